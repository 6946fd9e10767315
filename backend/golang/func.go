// Package golang translates tcc's loop-level IR (package loop) into portable Go
// source: one Go function per leaf loop.Func (Func), the per-target runner that
// executes a loop.Kernel's Steps (Runner), and the small helper file both rely on
// (Support).
//
// Scalar values become Go locals of the value's Go type (float32, int32, ...;
// f16/bf16 and minifloats are held as their raw bits and converted through the
// runtime helpers of package internal/rt); vector values become fixed-size Go
// arrays computed lane by lane. Every helper a translation calls is named with
// the prefix "tcc" so that it cannot collide with the (sanitised) names of the
// kernel's buffers and variables.
package golang

import (
	"bytes"
	"fmt"
	"go/format"
	"strings"

	"github.com/tensorcc/tcc/backend"
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// LeafName returns the Go name of the leaf function f of kernel k compiled for
// target, as fixed by the calling convention of package loop:
// "<kernel>_<func>_<target>" in lower case.
func LeafName(k *loop.Kernel, f *loop.Func, target string) string {
	return backend.Symbol(k, f, target)
}

// Func returns the Go source of the leaf function f of kernel k, named name, with
// the parameters of the calling convention of package loop (buffers, sizes as
// int, scalars, then lo and hi as int when f has them). The result is a
// gofmt'ed function declaration with no package clause, followed by the
// declarations of the helpers it calls that hold its outlined hot loops (named
// tccgoLoop_<name>_<n>, see outline.go); it calls the helpers of Support and of
// internal/rt, and refers to package math.
func Func(k *loop.Kernel, f *loop.Func, name string) (_ []byte, err error) {
	if k == nil || f == nil {
		return nil, fmt.Errorf("golang: nil kernel or function")
	}
	// Malformed IR (nil nodes in unexpected places) must give an error, not a panic.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("golang: %s: malformed loop IR: %v", name, r)
		}
	}()
	w := &funcWriter{exprGen: exprGen{names: map[*loop.Var]string{}, bufs: map[*loop.Buf]string{}}}
	src, err := w.function(k, f, name)
	if err != nil {
		return nil, fmt.Errorf("golang: %s: %w", name, err)
	}
	out, err := format.Source(src)
	if err != nil {
		return nil, fmt.Errorf("golang: %s: formatting generated code: %w\n%s", name, err, src)
	}
	return out, nil
}

type funcWriter struct {
	exprGen
	b      bytes.Buffer
	namer  *Namer
	ntemp  int
	locals []*loop.Var
	seen   map[*loop.Var]bool
	// Outlining (outline.go): the function's name, its helpers so far, the
	// loop depth of the statement being written and every variable's reads.
	fname   string
	nhelper int
	helpers []byte
	depth   int
	reads   map[*loop.Var]int
}

func (w *funcWriter) printf(format string, args ...any) { fmt.Fprintf(&w.b, format, args...) }

// signature is a named calling-convention parameter list.
type signature struct {
	list     string   // "A []float32, M int, ..." without parentheses
	prologue string   // statements converting parameters to loop IR variables
	args     []string // the parameter names, in order
	types    []string // their Go types
}

// params names the calling-convention parameters of k (the Kernel's buffers,
// scratch included when withScratch, sizes, scalars, then lo and hi when given),
// records the Go names of buffers and variables in bufs and names, and returns
// the signature.
func params(k *loop.Kernel, names map[*loop.Var]string, bufs map[*loop.Buf]string, namer *Namer, lo, hi *loop.Var, withScratch bool) (signature, error) {
	var sig signature
	var ps []string
	var pro strings.Builder
	add := func(n, t string) {
		ps = append(ps, n+" "+t)
		sig.args = append(sig.args, n)
		sig.types = append(sig.types, t)
	}
	all := append(append([]*loop.Buf{}, k.Inputs...), k.Outputs...)
	if withScratch {
		all = append(all, k.Scratch...)
	}
	for _, b := range all {
		if b == nil {
			return sig, fmt.Errorf("nil buffer")
		}
		st, err := storageType(b.Elem)
		if err != nil {
			return sig, fmt.Errorf("buffer %q: %w", b.Name, err)
		}
		n := namer.Name(b.Name)
		bufs[b] = n
		add(n, "[]"+st)
	}
	intVar := func(v *loop.Var) {
		p := namer.Name(v.Name)
		add(p, "int")
		n := namer.Name(v.Name + "64")
		names[v] = n
		fmt.Fprintf(&pro, "%s := int64(%s)\n_ = %s\n", n, p, n)
	}
	for _, v := range k.Sizes {
		if v == nil {
			return sig, fmt.Errorf("nil size variable")
		}
		intVar(v)
	}
	for _, v := range k.Scalars {
		if v == nil {
			return sig, fmt.Errorf("nil scalar variable")
		}
		st, err := storageType(v.T.Elem)
		if err != nil {
			return sig, fmt.Errorf("scalar %q: %w", v.Name, err)
		}
		p := namer.Name(v.Name)
		add(p, st)
		if v.T.Elem.IsPacked() && v.T.Elem.Class == ir.Int {
			n := namer.Name(v.Name + "v")
			names[v] = n
			fmt.Fprintf(&pro, "%s := int8(tccSignExtend(%s, %d))\n_ = %s\n", n, p, v.T.Elem.Bits, n)
		} else {
			names[v] = p
		}
	}
	if lo != nil && hi != nil {
		intVar(lo)
		intVar(hi)
	}
	sig.list = strings.Join(ps, ", ")
	sig.prologue = pro.String()
	return sig, nil
}

func (w *funcWriter) function(k *loop.Kernel, f *loop.Func, name string) ([]byte, error) {
	if (f.Lo == nil) != (f.Hi == nil) {
		return nil, fmt.Errorf("function has only one of Lo and Hi")
	}
	w.namer = NewNamer(name)
	sig, err := params(k, w.names, w.bufs, w.namer, f.Lo, f.Hi, true)
	if err != nil {
		return nil, err
	}
	// Collect the locals: declared ones first, then any other assigned or read variable.
	w.seen = map[*loop.Var]bool{}
	for _, v := range f.Locals {
		w.addLocal(v)
	}
	w.collect(f.Body)
	w.printf("func %s(%s) {\n%s", name, sig.list, sig.prologue)
	for _, v := range w.locals {
		t, err := goType(v.T)
		if err != nil {
			return nil, fmt.Errorf("variable %q: %w", v.Name, err)
		}
		n := w.namer.Name(v.Name)
		w.names[v] = n
		w.printf("var %s %s\n_ = %s\n", n, t, n)
	}
	w.fname = name
	w.reads = map[*loop.Var]int{}
	countReads(f.Body, w.reads)
	w.stmts(f.Body)
	w.printf("}\n")
	w.b.Write(w.helpers)
	if w.err != nil {
		return nil, w.err
	}
	return w.b.Bytes(), nil
}

func (w *funcWriter) addLocal(v *loop.Var) {
	if v == nil || w.seen[v] {
		return
	}
	if _, ok := w.names[v]; ok {
		return // a parameter
	}
	w.seen[v] = true
	w.locals = append(w.locals, v)
}

func (w *funcWriter) collect(body []loop.Stmt) {
	for _, s := range body {
		switch s := s.(type) {
		case *loop.For:
			w.addLocal(s.Var)
		case *loop.Assign:
			w.addLocal(s.Dst)
		}
		for _, e := range loop.Exprs(s) {
			loop.WalkExpr(e, func(e loop.Expr) {
				if r, ok := e.(*loop.Ref); ok {
					w.addLocal(r.Var)
				}
			})
		}
		for _, b := range loop.Bodies(s) {
			w.collect(b)
		}
	}
}

func (w *funcWriter) temp(base string) string {
	w.ntemp++
	return fmt.Sprintf("tccgo%s%d", base, w.ntemp)
}

// vector returns a Go array literal holding every lane of e.
func (w *funcWriter) vector(e loop.Expr) string {
	if e == nil {
		w.fail("nil expression")
		return "0"
	}
	t := e.Type()
	gt, err := goType(t)
	if err != nil {
		w.fail("%v", err)
		return "0"
	}
	lanes := make([]string, t.Lanes)
	for i := range lanes {
		lanes[i], _ = w.expr(e, i)
	}
	return gt + "{" + strings.Join(lanes, ", ") + "}"
}

// value is the Go code of the scalar expression e converted to type want.
func (w *funcWriter) value(e loop.Expr, want ir.DType, lane int) string {
	if e == nil {
		w.fail("nil expression")
		return "0"
	}
	s, _ := w.expr(e, lane)
	if got := e.Type().Elem; got != want {
		c, err := castCode(s, got, want)
		if err != nil {
			w.fail("%v", err)
		}
		return c
	}
	return s
}

func (w *funcWriter) stmts(body []loop.Stmt) {
	for _, s := range body {
		w.stmt(s)
	}
}

func (w *funcWriter) stmt(s loop.Stmt) {
	switch s := s.(type) {
	case *loop.For:
		if outlineCandidate(s, w.depth, len(w.locals)) {
			inside := map[*loop.Var]int{}
			countReads([]loop.Stmt{s}, inside)
			w.outline(s, func(v *loop.Var) bool { return w.reads[v] > inside[v] })
			return
		}
		w.loop(s)
	case *loop.If:
		c, _ := w.expr(s.Cond, 0)
		w.printf("if %s {\n", c)
		w.stmts(s.Then)
		if len(s.Else) > 0 {
			w.printf("} else {\n")
			w.stmts(s.Else)
		}
		w.printf("}\n")
	case *loop.Assign:
		n := w.names[s.Dst]
		if s.Dst.T.Lanes > 1 {
			if s.Value.Type().Lanes != s.Dst.T.Lanes {
				w.fail("assignment of %d lanes to %q of %d lanes", s.Value.Type().Lanes, s.Dst.Name, s.Dst.T.Lanes)
				return
			}
			w.printf("%s = %s\n", n, w.vector(s.Value))
			return
		}
		w.printf("%s = %s\n", n, w.value(s.Value, s.Dst.T.Elem, 0))
	case *loop.Store:
		w.store(s)
	case *loop.Prefetch:
		// Go has no prefetch: the hint is dropped.
	case *loop.Memset:
		buf, ok := w.bufs[s.Buf]
		if !ok {
			w.fail("buffer %q is not in scope", s.Buf.Name)
			return
		}
		idx := w.index(s.Index, 0)
		n := w.index(s.Len, 0)
		if s.Buf.Elem.IsPacked() {
			w.printf("tccgoClearBits(%s, %s, %s, %d)\n", buf, idx, n, s.Buf.Elem.Bits)
			return
		}
		w.printf("{\n%s := %s\nclear(%s[%s : %s+%s])\n}\n", "tccgoAt", idx, buf, "tccgoAt", "tccgoAt", n)
	default:
		w.fail("unsupported statement %T", s)
	}
}

// loop writes the for statement s.
func (w *funcWriter) loop(s *loop.For) {
	v := w.names[s.Var]
	if s.Var == nil || v == "" {
		w.fail("loop without a variable")
		return
	}
	if s.Step <= 0 {
		w.fail("loop %q has non-positive step %d", s.Var.Name, s.Step)
		return
	}
	lo := w.value(s.Lo, s.Var.T.Elem, 0)
	hi := w.value(s.Hi, s.Var.T.Elem, 0)
	switch s.Hi.(type) {
	case *loop.Ref, *loop.Const:
		w.printf("for %s = %s; %s < %s; %s += %d {\n", v, lo, v, hi, v, s.Step)
	default:
		end := w.temp("End")
		w.printf("{\n%s := %s\nfor %s = %s; %s < %s; %s += %d {\n", end, hi, v, lo, v, end, v, s.Step)
		w.body(s.Body)
		w.printf("}\n}\n")
		return
	}
	w.body(s.Body)
	w.printf("}\n")
}

// body writes the statements of a loop body, one loop deeper.
func (w *funcWriter) body(body []loop.Stmt) {
	w.depth++
	w.stmts(body)
	w.depth--
}

func (w *funcWriter) storeLane(buf string, b *loop.Buf, idx, val string) {
	if b.Elem.IsPacked() {
		w.printf("tccSetBits(%s, int(%s), %d, uint8(%s)&%d)\n", buf, idx, b.Elem.Bits, val, 1<<uint(b.Elem.Bits)-1)
		return
	}
	w.printf("%s[%s] = %s\n", buf, idx, val)
}

func (w *funcWriter) store(s *loop.Store) {
	buf, ok := w.bufs[s.Buf]
	if !ok {
		w.fail("buffer %q is not in scope", s.Buf.Name)
		return
	}
	vt := s.Value.Type()
	if vt.Lanes <= 1 {
		w.storeLane(buf, s.Buf, w.index(s.Index, 0), w.value(s.Value, s.Buf.Elem, 0))
		return
	}
	// Vector: evaluate every lane (converted to the storage type) before writing.
	st, err := goType(loop.Vec(s.Buf.Elem, vt.Lanes))
	if err != nil {
		w.fail("%v", err)
		return
	}
	lanes := make([]string, vt.Lanes)
	for i := range lanes {
		lanes[i] = w.value(s.Value, s.Buf.Elem, i)
	}
	tmp, at := w.temp("V"), w.temp("At")
	w.printf("{\n%s := %s{%s}\n%s := %s\n", tmp, st, strings.Join(lanes, ", "), at, w.index(s.Index, 0))
	if s.Count != nil {
		cnt, _ := w.expr(s.Count, 0)
		l := w.temp("L")
		w.printf("for %s := int64(0); %s < min(%s, %d); %s++ {\n", l, l, cnt, vt.Lanes, l)
		w.storeLane(buf, s.Buf, at+"+"+l, tmp+"["+l+"]")
		w.printf("}\n}\n")
		return
	}
	for i := range lanes {
		w.storeLane(buf, s.Buf, fmt.Sprintf("%s+%d", at, i), fmt.Sprintf("%s[%d]", tmp, i))
	}
	w.printf("}\n")
}
