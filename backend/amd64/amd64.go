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
	"strings"

	"github.com/mmcloughlin/avo/buildtags"
	"github.com/mmcloughlin/avo/ir"
	"github.com/mmcloughlin/avo/pass"
	"github.com/mmcloughlin/avo/printer"
	"github.com/mmcloughlin/avo/reg"

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

// FuncName returns the Go name of the function for f: "<kernel>_<func>_<target>"
// in lower case (see the calling convention in package loop).
func FuncName(k *loop.Kernel, f *loop.Func, t loop.Target) string {
	return sanitize(strings.ToLower(k.Name + "_" + f.Name + "_" + t.Name))
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
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
	if t.Name != "avx512" && t.Name != "avx2" {
		return nil, nil, fmt.Errorf("amd64: target %q: %w", t.Name, ErrUnsupported)
	}
	if k == nil {
		return nil, nil, errors.New("amd64: nil kernel")
	}
	merged := ir.NewFile()
	var errs []error
	for _, f := range funcs {
		if f == nil {
			errs = append(errs, errors.New("amd64: nil func"))
			continue
		}
		file, err := compileFunc(k, f, t)
		if err != nil {
			errs = append(errs, err)
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
		pass.FunctionPass(pass.PruneSelfMoves),
		pass.FunctionPass(pass.RequiredISAExtensions),
	)
	return p.Execute(f)
}

var kindName = map[reg.Kind]string{reg.KindGP: "general-purpose", reg.KindVector: "vector", reg.KindOpmask: "opmask"}

// allocate is pass.AllocateRegisters with vector registers limited to the
// first vecRegs (16 for AVX2 code: X0-X15 are the VEX-encodable ones).
func allocate(fn *ir.Function, vecRegs int) error {
	as := map[reg.Kind]*pass.Allocator{}
	for _, i := range fn.Instructions() {
		for _, r := range i.Registers() {
			k := r.Kind()
			if _, ok := as[k]; ok {
				continue
			}
			fam := reg.FamilyOfKind(k)
			if fam == nil {
				return errors.New("unknown register family")
			}
			var rs []reg.Physical
			for _, p := range fam.Registers() {
				if k == reg.KindVector && int(p.PhysicalIndex()) >= vecRegs {
					continue
				}
				rs = append(rs, p)
			}
			a, err := pass.NewAllocator(rs)
			if err != nil {
				return err
			}
			for _, p := range rs {
				if p.Info()&reg.BasePointer != 0 {
					a.SetPriority(p.ID(), -1)
				}
			}
			as[k] = a
		}
	}
	for _, i := range fn.Instructions() {
		for _, r := range i.Registers() {
			as[r.Kind()].Add(r.ID())
		}
	}
	for _, i := range fn.Instructions() {
		for _, d := range i.OutputRegisters() {
			k := d.Kind()
			out := i.LiveOut.OfKind(k)
			out.DiscardRegister(d)
			as[k].AddInterferenceSet(d, out)
		}
	}
	fn.Allocation = reg.NewEmptyAllocation()
	for k, a := range as {
		al, err := a.Allocate()
		if err != nil {
			return fmt.Errorf("%w (%s registers)", err, kindName[k])
		}
		if err := fn.Allocation.Merge(al); err != nil {
			return err
		}
	}
	return nil
}
