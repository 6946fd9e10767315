// Package driver writes the Go package that `tcc compile` produces: for every
// kernel of an ir.Program the exported function of SPEC section 9 (argument
// validation, then a call of the runner of the best available target), the
// portable Go runner and leaf functions (package backend/golang), and for amd64
// the assembly of package backend/amd64 with a run-time CPU dispatch; plus the
// runtime helpers of package internal/rt. See docs/generated-api.md.
package driver

import (
	"errors"
	"fmt"
	"go/token"
	"sort"
	"strings"

	"github.com/tensorcc/tcc/backend"
	"github.com/tensorcc/tcc/backend/amd64"
	"github.com/tensorcc/tcc/backend/golang"
	"github.com/tensorcc/tcc/internal/gofile"
	"github.com/tensorcc/tcc/internal/par"
	"github.com/tensorcc/tcc/internal/rt"
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
	"github.com/tensorcc/tcc/lower"
	"github.com/tensorcc/tcc/passes"
	"github.com/tensorcc/tcc/schedule"
)

// Header is the first line of every generated file.
const Header = gofile.Header

// DefaultPackage is the package name used when neither Options nor the program
// names one.
const DefaultPackage = "kern"

// Options controls Generate.
type Options struct {
	// Package is the Go package name; "" means the program's package clause, or
	// DefaultPackage.
	Package string
	// Targets lists the backends to use besides the portable Go one ("go"),
	// which is always included: "amd64" adds AVX-512 and AVX2 assembly with
	// run-time dispatch (see Backends).
	Targets []string
	// Source names the source files, for the headers of the generated files.
	Source string
	// Plans, when set, gives the schedule of kernels by name and target
	// ("go", "avx512vnni", "avx512", "avx2"; a plan for avx512 also serves
	// avx512vnni); the others get the default plan.
	Plans *schedule.File
}

// Backends returns the native backends Options.Targets can name, by name.
func Backends() map[string]backend.Backend {
	return map[string]backend.Backend{"amd64": amd64.Backend{}}
}

// lowerFunc lowers a kernel for a target following a plan (nil: the default).
type lowerFunc func(*ir.Kernel, loop.Target, *schedule.Plan) (*loop.Kernel, error)

// generator holds what Generate builds on: the lowering, the portable
// backend and the native backends chosen by the options.
type generator struct {
	opts     Options
	pkg      string
	lower    lowerFunc
	portable backend.Backend
	native   []backend.Backend
	// mirror adds to every native level a runner named with the suffix
	// "_mirror" that runs the Go translation of the same loop IR (for the
	// tests that compare the two bit for bit).
	mirror bool
}

// kernelGen holds the per-kernel state of Generate.
type kernelGen struct {
	k    *ir.Kernel
	base string // file base name
	pkg  string
}

// Generate returns the files (name -> content) of the Go package for prog. The
// output is deterministic. It writes nothing; see WritePackage.
func Generate(prog *ir.Program, opts Options) (map[string][]byte, error) {
	g, err := newGenerator(prog, opts)
	if err != nil {
		return nil, err
	}
	return g.generate(prog)
}

// newGenerator checks the options and returns the generator for prog.
func newGenerator(prog *ir.Program, opts Options) (*generator, error) {
	if prog == nil {
		return nil, errors.New("driver: nil program")
	}
	pkg := opts.Package
	if pkg == "" {
		pkg = prog.Package
	}
	if pkg == "" {
		pkg = DefaultPackage
	}
	if !token.IsIdentifier(pkg) || pkg == "_" {
		return nil, fmt.Errorf("driver: invalid package name %q", pkg)
	}
	g := &generator{opts: opts, pkg: pkg, lower: lower.Lower, portable: golang.Backend{}}
	if err := g.chooseBackends(); err != nil {
		return nil, err
	}
	return g, nil
}

// chooseBackends sets g.native from the options' targets.
func (g *generator) chooseBackends() error {
	reg := Backends()
	seen := map[string]bool{}
	for _, t := range g.opts.Targets {
		if t == "" || t == g.portable.Name() || seen[t] {
			continue
		}
		b, ok := reg[t]
		if !ok {
			return fmt.Errorf("driver: unknown target %q (want go or amd64)", t)
		}
		seen[t] = true
		g.native = append(g.native, b)
	}
	return nil
}

// generate returns the files of the package for prog.
func (g *generator) generate(prog *ir.Program) (map[string][]byte, error) {
	pkg := g.pkg
	files := map[string][]byte{}
	add := func(name string, src []byte) error {
		if _, dup := files[name]; dup {
			return fmt.Errorf("driver: two generated files named %s", name)
		}
		files[name] = src
		return nil
	}
	rtf, err := rt.Files(pkg)
	if err != nil {
		return nil, fmt.Errorf("driver: runtime helpers: %w", err)
	}
	for name, src := range rtf {
		if err := add(name, src); err != nil {
			return nil, err
		}
	}
	sup, err := golang.Support(pkg)
	if err != nil {
		return nil, fmt.Errorf("driver: %w", err)
	}
	if err := add(golang.SupportFile, sup); err != nil {
		return nil, err
	}

	seenName := map[string]bool{}
	usedBase := map[string]bool{}
	kgs := make([]*kernelGen, len(prog.Kernels))
	for i, k := range prog.Kernels {
		if k == nil {
			return nil, errors.New("driver: nil kernel")
		}
		if !token.IsIdentifier(k.Name) || !token.IsExported(k.Name) {
			return nil, fmt.Errorf("driver: kernel name %q is not an exported Go identifier", k.Name)
		}
		if seenName[strings.ToLower(k.Name)] {
			return nil, fmt.Errorf("driver: kernel %s: another kernel has the same name up to case", k.Name)
		}
		seenName[strings.ToLower(k.Name)] = true
		// The tensor-level passes rewrite a copy: the caller's program stays as
		// the front end made it (the reference interpreter evaluates that one).
		k = ir.Clone(k)
		if err := passes.Run(k, passes.Default(), nil); err != nil {
			return nil, positioned(k, err)
		}
		kgs[i] = &kernelGen{k: k, base: fileBase(k.Name, usedBase), pkg: pkg}
	}
	// Kernels are independent: generate them on all cores, then merge in order
	// so that the output stays deterministic.
	kfs := make([]map[string][]byte, len(kgs))
	errs := make([]error, len(kgs))
	par.For(len(kgs), func(i int) { kfs[i], errs[i] = g.kernelFiles(kgs[i]) })
	for i, kg := range kgs {
		if errs[i] != nil {
			return nil, positioned(kg.k, errs[i])
		}
		for _, name := range sortedKeys(kfs[i]) {
			if err := add(name, kfs[i][name]); err != nil {
				return nil, err
			}
		}
	}
	disp, err := g.dispatchFiles(kgs)
	if err != nil {
		return nil, err
	}
	for _, name := range sortedKeys(disp) {
		if err := add(name, disp[name]); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// positioned returns err, an error generating kernel k, as an *ir.Error
// (SPEC section 8): unchanged when it has a position, else at the kernel.
func positioned(k *ir.Kernel, err error) error {
	var pe *ir.Error
	if errors.As(err, &pe) {
		return pe
	}
	return ir.Errorf(k.Pos, "kernel %s: %v", k.Name, err)
}

func runName(k *ir.Kernel) string { return "tccRun_" + k.Name }

// fileBase returns a file base name for kernel name: lower case without
// underscores (so that no suffix such as _test or _amd64 changes how Go treats
// the file), made unique among used.
func fileBase(name string, used map[string]bool) string {
	b := strings.ToLower(strings.ReplaceAll(name, "_", ""))
	if strings.HasPrefix(b, "tcc") {
		b = "k" + b
	}
	cand := b
	for i := 2; used[cand]; i++ {
		cand = fmt.Sprintf("%s%d", b, i)
	}
	used[cand] = true
	return cand
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
