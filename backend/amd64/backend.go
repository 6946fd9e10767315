package amd64

import (
	"errors"
	"fmt"

	"github.com/tensorcc/tcc/backend"
	"github.com/tensorcc/tcc/loop"
)

// Backend is the amd64 code generator as a backend.Backend: levels
// avx512vnni, avx512 and avx2, detected with golang.org/x/sys/cpu.
type Backend struct{}

var _ backend.Backend = Backend{}

// Name returns "amd64".
func (Backend) Name() string { return "amd64" }

// GOARCH returns "amd64".
func (Backend) GOARCH() string { return "amd64" }

// Constraint returns BuildConstraint.
func (Backend) Constraint() string { return BuildConstraint }

// Levels returns avx512vnni (generated only for code that uses byte dot
// products), avx512 and avx2.
func (Backend) Levels() []backend.Level {
	return []backend.Level{
		{Target: loop.TargetAVX512VNNI, Cond: "tccAVX512VNNI", Adds: []loop.Feature{loop.FeatureDot8}},
		{Target: loop.TargetAVX512, Cond: "tccAVX512"},
		{Target: loop.TargetAVX2, Cond: "tccAVX2"},
	}
}

// Detection returns the declarations of tccAVX512VNNI, tccAVX512 and
// tccAVX2.
func (Backend) Detection() string { return detection }

const detection = `
// tccAVX512VNNI, tccAVX512 and tccAVX2 tell the dispatch which assembly may
// run. They are set once, at package initialisation, from the CPU's features
// and the environment variable TCC_CPU (avx512vnni, avx512, avx2 or
// generic), which can only lower the level the CPU supports.
var tccAVX512VNNI, tccAVX512, tccAVX2 = tccDetectCPU()

func tccDetectCPU() (vnni, avx512, avx2 bool) {
	// Every level also uses BMI2 (shifts) and F16C (f16 conversions); the
	// AVX-512 levels use F, BW, VL and DQ.
	avx2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasBMI2 && cpu.X86.HasF16C
	avx512 = avx2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512DQ
	vnni = avx512 && cpu.X86.HasAVX512VNNI
	switch os.Getenv("TCC_CPU") {
	case "avx512":
		vnni = false
	case "avx2":
		vnni, avx512 = false, false
	case "generic":
		vnni, avx512, avx2 = false, false, false
	}
	return vnni, avx512, avx2
}
`

// Translate translates the requested functions (see GeneratePackage):
// files ".s" and "_stubs.go", one entry per function.
func (Backend) Translate(r backend.Request) (*backend.Translation, error) {
	t := r.Level.Target
	asm, stubs, err := GeneratePackage(r.Package, r.Kernel, r.Funcs, t)
	failed := map[string]error{}
	for _, e := range unwrapAll(err) {
		var ue *UnsupportedError
		if !errors.As(e, &ue) {
			return nil, fmt.Errorf("amd64 %s: %w", t.Name, err)
		}
		failed[ue.Func] = ue
	}
	tr := &backend.Translation{Files: map[string][]byte{}}
	if len(asm) > 0 {
		tr.Files[".s"] = asm
		tr.Files["_stubs.go"] = stubs
	}
	for _, f := range r.Funcs {
		name := FuncName(r.Kernel, f, t)
		res := backend.Func{Func: f, Symbol: name, Err: failed[name]}
		if len(asm) == 0 && res.Err == nil {
			res.Err = errors.New("no function translated")
		}
		tr.Funcs = append(tr.Funcs, res)
	}
	return tr, nil
}

// unwrapAll returns the errors joined in err (err itself when it joins
// none; nothing for nil).
func unwrapAll(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unwrapAll(e)...)
		}
		return out
	}
	return []error{err}
}
