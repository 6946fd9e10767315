package driver

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/tensorcc/tcc/backend"
	"github.com/tensorcc/tcc/backend/golang"
	"github.com/tensorcc/tcc/internal/gofile"
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
	"github.com/tensorcc/tcc/lower"
	"github.com/tensorcc/tcc/schedule"
)

// portableLevel names the files of the portable runner.
const portableLevel = "generic"

// kernelFiles returns the files of one kernel: its API function, the
// portable runner and, per native backend, the runner of every level the
// kernel's code needs and the run-time dispatch between them.
func (g *generator) kernelFiles(kg *kernelGen) (map[string][]byte, error) {
	k := kg.k
	files := map[string][]byte{}
	target := runName(k) + "_go"
	if len(g.native) > 0 {
		target = runName(k)
	}
	api, err := kg.wrapper(target)
	if err != nil {
		return nil, err
	}
	if files[kg.base+".go"], err = gofile.Build(g.pkg, "", g.opts.Source, api); err != nil {
		return nil, fmt.Errorf("API file: %w", err)
	}
	lv := g.portable.Levels()[0]
	lk, err := g.lower(k, lv.Target, g.opts.Plans.Find(k.Name, lv.Target.Name))
	if err == nil {
		err = checkLowered(k, lk)
	}
	if err != nil {
		return nil, err
	}
	tr, err := g.portable.Translate(g.request(lk, lv, lk.Funcs, ""))
	if err != nil {
		return nil, err
	}
	if err := g.addLevel(files, kg, lv, portableLevel, "", "", lk, nil, tr); err != nil {
		return nil, err
	}
	for _, b := range g.native {
		if err := g.backendFiles(files, kg, b); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// request returns the request to translate funcs of lk for level lv.
func (g *generator) request(lk *loop.Kernel, lv backend.Level, funcs []*loop.Func, constraint string) backend.Request {
	return backend.Request{Package: g.pkg, Source: g.opts.Source, Kernel: lk, Level: lv, Funcs: funcs, Constraint: constraint}
}

// planFor returns the user's plan for level i of levels: its own, or for a
// level that only adds features, the next level's.
func (g *generator) planFor(k *ir.Kernel, levels []backend.Level, i int) *schedule.Plan {
	if p := g.opts.Plans.Find(k.Name, levels[i].Target.Name); p != nil || len(levels[i].Adds) == 0 || i+1 == len(levels) {
		return p
	}
	return g.opts.Plans.Find(k.Name, levels[i+1].Target.Name)
}

// backendFiles adds the files of backend b for one kernel: a runner per
// level (a level whose code would not use what it adds is left to the next
// one) and the kernel's dispatch.
func (g *generator) backendFiles(files map[string][]byte, kg *kernelGen, b backend.Backend) error {
	k := kg.k
	levels := b.Levels()
	var disp bytes.Buffer
	sig, args := kg.runnerSignature()
	fmt.Fprintf(&disp, "// %s runs kernel %s with the best code the CPU supports.\nfunc %s(%s) {\n\tswitch {\n", runName(k), k.Name, runName(k), sig)
	for i, lv := range levels {
		plan := g.planFor(k, levels, i)
		lk, err := g.lower(k, lv.Target, plan)
		if err == nil {
			err = checkLowered(k, lk)
		}
		if err != nil && (plan != nil || errors.Is(err, lower.ErrInternal)) {
			return err // the user's plan cannot be followed, or a bug of tcc
		}
		if len(lv.Adds) > 0 && i+1 < len(levels) && (err != nil || !loop.UsesAny(lk, lv.Adds)) {
			continue // the next level's code serves this one
		}
		if err != nil {
			err = g.forward(files, kg, b, lv, "lowering for "+lv.Target.Name+" failed: "+oneLine(err.Error()))
		} else {
			err = g.nativeLevel(files, kg, b, lv, lk, plan)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(&disp, "\tcase %s:\n\t\t%s_%s(%s)\n", lv.Cond, runName(k), lv.Target.Name, args)
	}
	fmt.Fprintf(&disp, "\tdefault:\n\t\t%s_go(%s)\n\t}\n}\n", runName(k), args)
	src, err := gofile.Build(g.pkg, b.Constraint(), g.opts.Source, disp.Bytes())
	if err != nil {
		return fmt.Errorf("%s dispatch: %w", b.Name(), err)
	}
	files[kg.base+"_"+b.Name()+".go"] = src
	return nil
}

// nativeLevel adds the files of level lv of backend b: the backend's
// translation, the Go translation of the functions it does not cover, and
// the runner. A vector function the backend cannot translate is first
// lowered again with its plan unit scalar (the plan records it); when some
// vector function still has no translation, the level runs the portable
// code (the Go translation of vector code emulates every lane).
func (g *generator) nativeLevel(files map[string][]byte, kg *kernelGen, b backend.Backend, lv backend.Level, lk *loop.Kernel, plan *schedule.Plan) error {
	name := lv.Target.Name
	tr, err := b.Translate(g.request(lk, lv, lk.Funcs, b.Constraint()))
	if err != nil {
		return g.forward(files, kg, b, lv, "the "+name+" backend failed: "+oneLine(err.Error()))
	}
	var notes []string
	if failed := tr.Failed(); len(failed) > 0 {
		if lk2, tr2, why := g.scalarFallback(kg.k, b, lv, lk, plan, failed); lk2 != nil {
			lk, tr, notes = lk2, tr2, why
		}
	}
	var rest []*loop.Func
	for _, f := range tr.Failed() {
		if f.Func.VectorBits > 0 {
			return g.forward(files, kg, b, lv, fmt.Sprintf("%s has no %s translation (%s)", f.Symbol, name, oneLine(f.Err.Error())))
		}
		rest = append(rest, f.Func)
		notes = append(notes, fmt.Sprintf("%s runs as Go: %s", f.Symbol, oneLine(f.Err.Error())))
	}
	goTr, err := g.portable.Translate(g.request(lk, lv, rest, b.Constraint()))
	if err != nil {
		return g.forward(files, kg, b, lv, "the Go translation of its functions failed: "+oneLine(err.Error()))
	}
	if err := g.addLevel(files, kg, lv, name, b.GOARCH(), b.Constraint(), lk, notes, tr, goTr); err != nil {
		return err
	}
	if !g.mirror {
		return nil
	}
	mv := lv
	mv.Target.Name += "_mirror"
	mtr, err := g.portable.Translate(g.request(lk, mv, lk.Funcs, b.Constraint()))
	if err != nil {
		return err
	}
	return g.addLevel(files, kg, mv, mv.Target.Name, b.GOARCH(), b.Constraint(), lk, nil, mtr)
}

// scalarFallback lowers lk's kernel again for lv with the plan units of the
// failed vector functions scalar and translates it; it returns the result
// and notes saying what changed, or nil when nothing could change.
func (g *generator) scalarFallback(k *ir.Kernel, b backend.Backend, lv backend.Level, lk *loop.Kernel, plan *schedule.Plan, failed []backend.Func) (*loop.Kernel, *backend.Translation, []string) {
	if plan == nil {
		var err error
		if plan, err = lower.DefaultPlan(k, lv.Target); err != nil {
			return nil, nil, nil
		}
	}
	amended := plan.Clone()
	var notes []string
	for _, f := range failed {
		for _, st := range lk.Steps {
			if st.Func != f.Func || st.PlanUnit == 0 || st.PlanUnit > len(amended.Units) {
				continue
			}
			u := &amended.Units[st.PlanUnit-1]
			if !u.Vector || u.GEMM != nil {
				continue
			}
			u.Vector = false
			notes = append(notes, fmt.Sprintf("statement %d runs scalar on %s: %s", u.Stmts[0], lv.Target.Name, oneLine(f.Err.Error())))
		}
	}
	if notes == nil {
		return nil, nil, nil
	}
	lk2, err := g.lower(k, lv.Target, amended)
	if err == nil {
		err = checkLowered(k, lk2)
	}
	if err != nil {
		return nil, nil, nil
	}
	tr, err := b.Translate(g.request(lk2, lv, lk2.Funcs, b.Constraint()))
	if err != nil {
		return nil, nil, nil
	}
	return lk2, tr, notes
}

// addLevel adds the files of one level: the translations' files and the
// runner, which calls every function by its symbol and records notes.
func (g *generator) addLevel(files map[string][]byte, kg *kernelGen, lv backend.Level, level, goarch, constraint string, lk *loop.Kernel, notes []string, trs ...*backend.Translation) error {
	for _, tr := range trs {
		for suffix, src := range tr.Files {
			files[levelFile(kg.base, level, suffix, goarch)] = src
		}
	}
	leaf := func(f *loop.Func) string { return backend.Symbol(lk, f, lv.Target.Name) }
	runner, err := golang.Runner(lk, runName(kg.k)+"_"+lv.Target.Name, leaf)
	if err != nil {
		return fmt.Errorf("%s runner: %w", level, err)
	}
	var body bytes.Buffer
	for _, n := range notes {
		fmt.Fprintf(&body, "// Note: %s.\n", n)
	}
	if len(notes) > 0 {
		body.WriteString("\n")
	}
	body.Write(runner)
	src, err := gofile.Build(g.pkg, constraint, g.opts.Source, body.Bytes())
	if err != nil {
		return fmt.Errorf("%s runner: %w", level, err)
	}
	files[levelFile(kg.base, level, ".go", goarch)] = src
	return nil
}

// levelFile names a file of a level: base_level, the suffix's stem, the
// architecture, the suffix's extension ("matmul_avx2_stubs_amd64.go").
func levelFile(base, level, suffix, goarch string) string {
	stem, ext := suffix, ""
	if i := strings.LastIndexByte(suffix, '.'); i >= 0 {
		stem, ext = suffix[:i], suffix[i:]
	}
	name := base + "_" + level + stem
	if goarch != "" {
		name += "_" + goarch
	}
	return name + ext
}

// forward adds a runner for level lv of b that runs the portable code, and
// says why in its comment.
func (g *generator) forward(files map[string][]byte, kg *kernelGen, b backend.Backend, lv backend.Level, why string) error {
	k := kg.k
	sig, args := kg.runnerSignature()
	fwd := fmt.Sprintf("// %s_%s runs the portable code: %s.\nfunc %s_%s(%s) {\n\t%s_go(%s)\n}\n",
		runName(k), lv.Target.Name, why, runName(k), lv.Target.Name, sig, runName(k), args)
	src, err := gofile.Build(g.pkg, b.Constraint(), g.opts.Source, []byte(fwd))
	if err != nil {
		return fmt.Errorf("%s runner: %w", lv.Target.Name, err)
	}
	files[levelFile(kg.base, lv.Target.Name, ".go", b.GOARCH())] = src
	return nil
}

// dispatchFiles returns the package-level dispatch files: each native
// backend's CPU detection, and the runners for builds that no native
// backend's constraint admits.
func (g *generator) dispatchFiles(kgs []*kernelGen) (map[string][]byte, error) {
	if len(g.native) == 0 {
		return nil, nil
	}
	files := map[string][]byte{}
	var none []string
	for _, b := range g.native {
		src, err := gofile.Build(g.pkg, b.Constraint(), g.opts.Source, []byte(b.Detection()))
		if err != nil {
			return nil, fmt.Errorf("driver: %s detection: %w", b.Name(), err)
		}
		files["tcc_dispatch_"+b.Name()+".go"] = src
		none = append(none, "!("+b.Constraint()+")")
	}
	var body bytes.Buffer
	for _, kg := range kgs {
		sig, args := kg.runnerSignature()
		k := kg.k
		fmt.Fprintf(&body, "// %s runs kernel %s with the portable Go code.\nfunc %s(%s) {\n%s(%s)\n}\n\n",
			runName(k), k.Name, runName(k), sig, runName(k)+"_go", args)
	}
	src, err := gofile.Build(g.pkg, strings.Join(none, " && "), g.opts.Source, body.Bytes())
	if err != nil {
		return nil, fmt.Errorf("driver: dispatch fallback: %w", err)
	}
	files["tcc_dispatch_portable.go"] = src
	return files, nil
}

// oneLine keeps the first line of s, for a comment.
func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// checkLowered verifies that lk matches k's calling convention and that
// every step's function is one of lk's functions.
func checkLowered(k *ir.Kernel, lk *loop.Kernel) error {
	if lk == nil {
		return errors.New("lowering returned no kernel")
	}
	nt, ns := 0, 0
	for _, p := range k.Params {
		if p.Kind == ir.Scalar {
			ns++
		} else {
			nt++
		}
	}
	if len(lk.Sizes) != len(k.Sizes) || len(lk.Inputs) != nt || len(lk.Scalars) != ns || len(lk.Outputs) != len(k.Outputs) {
		return fmt.Errorf("lowered kernel has %d sizes, %d inputs, %d scalars, %d outputs; want %d, %d, %d, %d",
			len(lk.Sizes), len(lk.Inputs), len(lk.Scalars), len(lk.Outputs), len(k.Sizes), nt, ns, len(k.Outputs))
	}
	have := map[*loop.Func]bool{}
	for _, f := range lk.Funcs {
		have[f] = true
	}
	for _, st := range lk.Steps {
		if st == nil || !have[st.Func] {
			return errors.New("lowered kernel has a step whose function is not in its functions")
		}
	}
	return nil
}
