package golang

import (
	"bytes"
	"fmt"
	"go/format"
	"strings"

	"github.com/tensorcc/tcc/loop"
)

// ChunkWork is the least work (in the flops of loop.Step.Work) a runner gives one
// chunk of a parallel step; a step with less than twice this much work runs
// serially on the calling goroutine.
const ChunkWork = 1 << 16

// Runner returns the Go source of the runner of kernel k: a function named name
// whose parameters are k's Inputs and Outputs (Go slices), its Sizes (int) and its
// Scalars (storage Go type), in that order. The runner takes every scratch buffer
// from a package-level pool (tccPool), executes k's Steps in order — a parallel
// Step through tccParallelFor with a pooled task, or serially when its Work is
// below 2*ChunkWork — and returns the scratch. leaf gives the Go name of the
// function that implements each Func (its Go translation or an assembly stub).
//
// The source holds the runner and its package-level pools and task types (all
// named with the prefix name), but no package clause; it uses package sync. It
// allocates nothing once the pools are warm and shares no mutable state between
// concurrent calls.
func Runner(k *loop.Kernel, name string, leaf func(*loop.Func) string) (_ []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("golang: runner %s: malformed loop IR: %v", name, r)
		}
	}()
	src, err := runner(k, name, leaf)
	if err != nil {
		return nil, fmt.Errorf("golang: runner %s: %w", name, err)
	}
	out, err := format.Source(src)
	if err != nil {
		return nil, fmt.Errorf("golang: runner %s: formatting generated code: %w\n%s", name, err, src)
	}
	return out, nil
}

// sharedSizes returns copies of k's scratch lengths and its steps' extents
// and work (nil where a step has none) that read, for every computation
// they repeat (the blocking terms of a GEMM plan appear in dozens of
// them), a local computed once at the top of the runner; it writes the
// locals' definitions to body.
func sharedSizes(k *loop.Kernel, g *exprGen, namer *Namer, body *bytes.Buffer) (lens, extents, works []loop.Expr) {
	lens = make([]loop.Expr, len(k.Scratch))
	extents = make([]loop.Expr, len(k.Steps))
	works = make([]loop.Expr, len(k.Steps))
	var roots []*loop.Expr
	add := func(dst *loop.Expr, e loop.Expr) {
		if e != nil {
			*dst = loop.CloneExpr(e)
			roots = append(roots, dst)
		}
	}
	for i, b := range k.Scratch {
		add(&lens[i], b.Len)
	}
	for i, s := range k.Steps {
		if s != nil && s.Parallel {
			add(&extents[i], s.Extent)
			add(&works[i], s.Work)
		}
	}
	for _, a := range loop.ShareSizeExprs(roots, "sz") {
		name := namer.Name(a.Dst.Name)
		fmt.Fprintf(body, "%s := %s\n", name, g.index(a.Value, 0))
		g.names[a.Dst] = name
	}
	return lens, extents, works
}

func runner(k *loop.Kernel, name string, leaf func(*loop.Func) string) ([]byte, error) {
	if k == nil {
		return nil, fmt.Errorf("nil kernel")
	}
	g := &exprGen{names: map[*loop.Var]string{}, bufs: map[*loop.Buf]string{}}
	namer := NewNamer(name)
	for _, s := range k.Steps {
		if s == nil || s.Func == nil {
			return nil, fmt.Errorf("step without a function")
		}
		namer.Reserve(leaf(s.Func))
	}
	sig, err := params(k, g.names, g.bufs, namer, nil, nil, false)
	if err != nil {
		return nil, err
	}
	nbuf := len(k.Inputs) + len(k.Outputs)
	var decl, body bytes.Buffer
	lens, extents, works := sharedSizes(k, g, namer, &body)
	if g.err != nil {
		return nil, g.err
	}
	// Scratch buffers from pools.
	scratch := make([]string, len(k.Scratch))
	var puts []string
	for i, b := range k.Scratch {
		st, err := storageType(b.Elem)
		if err != nil {
			return nil, fmt.Errorf("scratch %q: %w", b.Name, err)
		}
		pool := fmt.Sprintf("%s_pool%d", name, i)
		fmt.Fprintf(&decl, "// %s holds scratch buffer %s of %s.\nvar %s tccPool[%s]\n\n", pool, b.Name, name, pool, st)
		n := g.index(lens[i], 0)
		if g.err != nil {
			return nil, fmt.Errorf("scratch %q: %w", b.Name, g.err)
		}
		if b.Elem.IsPacked() {
			n = fmt.Sprintf("(%s*%d+7)/8", n, b.Elem.Bits)
		}
		p := namer.Name(b.Name + "p")
		v := namer.Name(b.Name)
		g.bufs[b] = v
		scratch[i] = v
		get := "Get"
		if b.Uncleared {
			get = "GetUncleared"
		}
		fmt.Fprintf(&body, "%s := %s.%s(int(%s))\n%s := *%s\n", p, pool, get, n, v, p)
		puts = append(puts, fmt.Sprintf("%s.Put(%s)\n", pool, p))
	}
	// Leaf call arguments (without lo, hi).
	args := append(append(append([]string{}, sig.args[:nbuf]...), scratch...), sig.args[nbuf:]...)
	var types []string
	types = append(types, sig.types[:nbuf]...)
	for _, b := range k.Scratch {
		st, _ := storageType(b.Elem)
		types = append(types, "[]"+st)
	}
	types = append(types, sig.types[nbuf:]...)

	for si, s := range k.Steps {
		fn := leaf(s.Func)
		if !s.Parallel {
			if s.Func.Lo != nil {
				return nil, fmt.Errorf("step %d: serial step of function %q with Lo/Hi", si, s.Func.Name)
			}
			fmt.Fprintf(&body, "%s(%s)\n", fn, strings.Join(args, ", "))
			continue
		}
		if s.Func.Lo == nil || s.Func.Hi == nil {
			return nil, fmt.Errorf("step %d: parallel step of function %q without Lo/Hi", si, s.Func.Name)
		}
		ext := g.index(extents[si], 0)
		work := "int64(1) << 62"
		if works[si] != nil {
			work = g.index(works[si], 0)
		}
		if g.err != nil {
			return nil, fmt.Errorf("step %d: %w", si, g.err)
		}
		grain := max(s.Grain, 1)
		task := fmt.Sprintf("%s_task%d", name, si)
		tasks := fmt.Sprintf("%s_tasks%d", name, si)
		// Task type.
		fmt.Fprintf(&decl, "// %s runs step %d of %s over a chunk.\ntype %s struct {\n", task, si, name, task)
		fields := make([]string, len(args))
		inits := make([]string, len(args))
		for i := range args {
			fields[i] = fmt.Sprintf("t.f%d", i)
			inits[i] = fmt.Sprintf("f%d: %s", i, args[i])
			fmt.Fprintf(&decl, "f%d %s\n", i, types[i])
		}
		fmt.Fprintf(&decl, "}\n\n// Run computes iterations [lo, hi).\nfunc (t *%s) Run(lo, hi int) {\n%s(%s, lo, hi)\n}\n\n",
			task, fn, strings.Join(fields, ", "))
		fmt.Fprintf(&decl, "var %s = sync.Pool{New: func() any { return new(%s) }}\n\n", tasks, task)
		// Call.
		fmt.Fprintf(&body, "{\ntccgoN := %s\ntccgoWork := %s\n", ext, work)
		chunk := "tccgoChunkWork"
		if s.ChunkWork > 0 {
			chunk = fmt.Sprint(s.ChunkWork) // the plan's
		}
		fmt.Fprintf(&body, "if tccgoN > 0 {\nif tccgoN <= %d || tccgoWork < 2*%s {\n%s(%s, 0, int(tccgoN))\n} else {\n", grain, chunk, fn, strings.Join(args, ", "))
		fmt.Fprintf(&body, "tccgoG := max(int64(%d), (tccgoN/(tccgoWork/%s)))\n", grain, chunk)
		fmt.Fprintf(&body, "tccgoT := %s.Get().(*%s)\n*tccgoT = %s{%s}\ntccParallelFor(int(tccgoN), int(tccgoG), tccgoT)\n*tccgoT = %s{}\n%s.Put(tccgoT)\n}\n}\n}\n",
			tasks, task, task, strings.Join(inits, ", "), task, tasks)
	}
	for i := len(puts) - 1; i >= 0; i-- {
		body.WriteString(puts[i])
	}
	var out bytes.Buffer
	out.Write(decl.Bytes())
	fmt.Fprintf(&out, "// %s executes kernel %s.\nfunc %s(%s) {\n%s%s}\n", name, k.Name, name, sig.list, sig.prologue, body.Bytes())
	return out.Bytes(), nil
}
