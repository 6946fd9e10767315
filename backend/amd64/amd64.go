// Package amd64 translates tcc's loop-level IR to Go amd64 assembly through avo,
// used as a library (one build.Context per function, pass.Compile, printer).
//
// Generate emits one TEXT symbol per loop.Func for the AVX-512 or AVX2 target
// plus the Go stub declarations, both under the build constraint
// "amd64 && gc && !purego && !noasm". Constructs the translator does not handle
// yield an error wrapping ErrUnsupported; the driver then uses the portable Go
// translation of that Func.
//
// Register budgeting: avo's allocator never spills. The translator keeps buffer
// base pointers, sizes and scalar parameters in the argument frame and reloads
// them where needed (hoisting base pointers and invariant bounds only around
// innermost loops), and for AVX2 it restricts vector allocation to X0-X15/Y0-Y15
// (avo would otherwise hand EVEX-only Y16+ registers to AVX2 code). A Func whose
// live values exceed the register file fails allocation and is reported as
// unsupported.
package amd64

import (
	"errors"
	"fmt"
	"sort"

	"github.com/mmcloughlin/avo/buildtags"
	"github.com/mmcloughlin/avo/ir"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/pass"
	"github.com/mmcloughlin/avo/printer"
	"github.com/mmcloughlin/avo/reg"

	"github.com/tensorcc/tcc/backend"
	"github.com/tensorcc/tcc/internal/par"

	"github.com/tensorcc/tcc/loop"
)

// ErrUnsupported is wrapped by errors for Funcs (or targets) the amd64 backend
// cannot translate.
var ErrUnsupported = errors.New("amd64: unsupported")

// BuildConstraint is the constraint on both generated files.
const BuildConstraint = "amd64 && gc && !purego && !noasm"

// UnsupportedError reports one Func that could not be translated.
type UnsupportedError struct {
	Func   string // Go name of the function ("<kernel>_<func>_<target>")
	Reason string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("amd64: %s: %s", e.Func, e.Reason)
}

// Unwrap returns ErrUnsupported.
func (e *UnsupportedError) Unwrap() error { return ErrUnsupported }

// FuncName returns the Go name of the function for f (backend.Symbol).
func FuncName(k *loop.Kernel, f *loop.Func, t loop.Target) string {
	return backend.Symbol(k, f, t.Name)
}

// Generate translates funcs of kernel k for target t (loop.TargetAVX512 or
// loop.TargetAVX2) into a Go assembly file and its stub file for package "main";
// use GeneratePackage to choose the package. See GeneratePackage.
func Generate(k *loop.Kernel, funcs []*loop.Func, t loop.Target) (asm, stubs []byte, err error) {
	return GeneratePackage("main", k, funcs, t)
}

// GeneratePackage is Generate with the Go package name of the stub file.
//
// Every Func is translated independently. When some cannot be translated, the
// returned error wraps ErrUnsupported (it joins one *UnsupportedError per
// failed Func) and asm and stubs still hold every other Func; they are nil when
// no Func was translated.
func GeneratePackage(pkg string, k *loop.Kernel, funcs []*loop.Func, t loop.Target) (asm, stubs []byte, err error) {
	if t.VectorBits != 512 && t.VectorBits != 256 || !t.FMA {
		return nil, nil, fmt.Errorf("amd64: target %q: %w", t.Name, ErrUnsupported)
	}
	if k == nil {
		return nil, nil, errors.New("amd64: nil kernel")
	}
	// Functions compile independently (register allocation dominates the
	// compiler's run time): compile them on all cores, merge in order.
	files := make([]*ir.File, len(funcs))
	ferrs := make([]error, len(funcs))
	par.For(len(funcs), func(i int) {
		if funcs[i] == nil {
			ferrs[i] = errors.New("amd64: nil func")
			return
		}
		files[i], ferrs[i] = compileFunc(k, funcs[i], t)
	})
	merged := ir.NewFile()
	var errs []error
	for i, file := range files {
		if ferrs[i] != nil {
			errs = append(errs, ferrs[i])
			continue
		}
		merged.Sections = append(merged.Sections, file.Sections...)
	}
	if len(merged.Functions()) == 0 {
		return nil, nil, errors.Join(errs...)
	}
	asm, stubs, perr := printFile(pkg, merged)
	if perr != nil {
		return nil, nil, perr
	}
	return asm, stubs, errors.Join(errs...)
}

// printFile prints an avo file as Go assembly and stubs with tcc's header and
// build constraint.
func printFile(pkg string, f *ir.File) (asm, stubs []byte, err error) {
	c, err := buildtags.ParseConstraint("amd64,gc,!purego,!noasm")
	if err != nil {
		return nil, nil, fmt.Errorf("amd64: build constraint: %w", err)
	}
	f.Constraints = buildtags.Constraints{c}
	f.Includes = []string{"textflag.h"}
	cfg := printer.Config{Name: "tcc", Pkg: pkg}
	asm, err = printer.NewGoAsm(cfg).Print(f)
	if err != nil {
		return nil, nil, fmt.Errorf("amd64: printing assembly: %w", err)
	}
	stubs, err = printer.NewStubs(cfg).Print(f)
	if err != nil {
		return nil, nil, fmt.Errorf("amd64: printing stubs: %w", err)
	}
	return asm, stubs, nil
}

// compile runs avo's pass.Compile pipeline, with the register allocator
// restricted to the first 16 vector registers when avx2 is set.
func compile(f *ir.File, avx2 bool) error {
	vecRegs := 32
	if avx2 {
		vecRegs = 16
	}
	alloc := pass.FunctionPass(func(fn *ir.Function) error { return allocate(fn, vecRegs) })
	p := pass.Concat(
		pass.Verify,
		pass.FunctionPass(pass.PruneJumpToFollowingLabel),
		pass.FunctionPass(pass.PruneDanglingLabels),
		pass.FunctionPass(pass.LabelTarget),
		pass.FunctionPass(pass.CFG),
		pass.InstructionPass(pass.ZeroExtend32BitOutputs),
		pass.FunctionPass(pass.Liveness),
		alloc,
		pass.FunctionPass(pass.BindRegisters),
		pass.FunctionPass(pass.VerifyAllocation),
		pass.FunctionPass(pass.EnsureBasePointerCalleeSaved),
		pass.Func(pass.IncludeTextFlagHeader),
		pass.FunctionPass(pruneSelfMoves),
		pass.FunctionPass(pass.RequiredISAExtensions),
	)
	return p.Execute(f)
}

// pruneSelfMoves replaces pass.PruneSelfMoves, which also deletes MOVL
// from a register to itself: that is not a no-op on amd64 but clears the
// upper 32 bits (the zero extension of a u32 result, normalize), and
// register allocation turns MOVL r32, s32 into one whenever r and s share
// a register. 8-, 16- and 64-bit self-moves change nothing and go.
func pruneSelfMoves(fn *ir.Function) error {
	nodes := fn.Nodes[:0]
	for _, n := range fn.Nodes {
		if i, ok := n.(*ir.Instruction); ok && i.Opcode != "MOVL" && len(i.Operands) == 2 {
			switch i.Opcode {
			case "MOVB", "MOVW", "MOVQ":
				if operand.IsRegister(i.Operands[0]) && operand.IsRegister(i.Operands[1]) && i.Operands[0] == i.Operands[1] {
					continue
				}
			case "VMOVUPS", "VMOVUPD", "VMOVAPS", "VMOVDQU", "VMOVDQU64", "VMOVDQU32":
				// A ZMM register to itself changes nothing; narrower vector
				// moves clear the upper bits and stay.
				if r, ok := i.Operands[0].(reg.Register); ok && i.Operands[0] == i.Operands[1] && r.Size() == 64 {
					continue
				}
			}
		}
		nodes = append(nodes, n)
	}
	fn.Nodes = nodes
	// Removed instructions invalidate the control-flow graph, as in avo.
	fn.LabelTarget = nil
	for _, i := range fn.Instructions() {
		i.Pred, i.Succ = nil, nil
	}
	return nil
}

var kindName = map[reg.Kind]string{reg.KindGP: "general-purpose", reg.KindVector: "vector", reg.KindOpmask: "opmask"}

// allocate replaces pass.AllocateRegisters. It colours the same interference
// graph with the same strategy as avo's allocator (the most restricted virtual
// register first, lowest physical register first, the base pointer last) but
// updates candidate sets incrementally, which keeps large functions fast; and it
// limits vector registers to the first vecRegs (16 for AVX2 code: X16-X31 are
// EVEX-only, and avo's vector family would hand them out).
func allocate(fn *ir.Function, vecRegs int) error {
	type kindState struct {
		phys     []reg.ID // candidates in preference order
		possible map[reg.ID]map[reg.ID]bool
		adj      map[reg.ID]map[reg.ID]bool
	}
	ks := map[reg.Kind]*kindState{}
	state := func(k reg.Kind) (*kindState, error) {
		if st, ok := ks[k]; ok {
			return st, nil
		}
		fam := reg.FamilyOfKind(k)
		if fam == nil {
			return nil, errors.New("unknown register family")
		}
		var low, bp []reg.ID
		for _, p := range fam.Registers() {
			if p.Info()&reg.Restricted != 0 || (k == reg.KindVector && int(p.PhysicalIndex()) >= vecRegs) {
				continue
			}
			if p.Info()&reg.BasePointer != 0 {
				bp = append(bp, p.ID())
			} else {
				low = append(low, p.ID())
			}
		}
		sort.Slice(low, func(i, j int) bool { return low[i] < low[j] })
		st := &kindState{phys: append(low, bp...), possible: map[reg.ID]map[reg.ID]bool{}, adj: map[reg.ID]map[reg.ID]bool{}}
		ks[k] = st
		return st, nil
	}
	add := func(st *kindState, v reg.ID) {
		if !v.IsVirtual() {
			return
		}
		if _, ok := st.possible[v]; ok {
			return
		}
		m := map[reg.ID]bool{}
		for _, p := range st.phys {
			m[p] = true
		}
		st.possible[v] = m
		st.adj[v] = map[reg.ID]bool{}
	}
	for _, i := range fn.Instructions() {
		for _, r := range i.Registers() {
			st, err := state(r.Kind())
			if err != nil {
				return err
			}
			add(st, r.ID())
		}
	}
	for _, i := range fn.Instructions() {
		for _, d := range i.OutputRegisters() {
			st := ks[d.Kind()]
			out := i.LiveOut.OfKind(d.Kind())
			out.DiscardRegister(d)
			for id, mask := range out {
				if d.Mask()&mask == 0 {
					continue
				}
				x, y := d.ID(), id
				add(st, x)
				add(st, y)
				switch {
				case x.IsVirtual() && y.IsVirtual():
					st.adj[x][y] = true
					st.adj[y][x] = true
				case x.IsVirtual():
					delete(st.possible[x], y)
				case y.IsVirtual():
					delete(st.possible[y], x)
				case x == y:
					return errors.New("impossible register allocation")
				}
			}
		}
	}
	fn.Allocation = reg.NewEmptyAllocation()
	for k, st := range ks {
		left := make([]reg.ID, 0, len(st.possible))
		for v := range st.possible {
			left = append(left, v)
		}
		sort.Slice(left, func(i, j int) bool { return left[i] < left[j] })
		for len(left) > 0 {
			bi := 0
			for i, v := range left {
				if len(st.possible[v]) < len(st.possible[left[bi]]) {
					bi = i
				}
			}
			v := left[bi]
			left = append(left[:bi], left[bi+1:]...)
			var p reg.ID
			found := false
			for _, c := range st.phys {
				if st.possible[v][c] {
					p, found = c, true
					break
				}
			}
			if !found {
				return fmt.Errorf("failed to allocate registers (%s registers)", kindName[k])
			}
			fn.Allocation[v] = p
			for w := range st.adj[v] {
				delete(st.possible[w], p)
			}
			delete(st.possible, v)
		}
	}
	return nil
}
