package driver

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/tensorcc/tcc/frontend"
	"github.com/tensorcc/tcc/internal/gotest"
	"github.com/tensorcc/tcc/internal/rt"
	"github.com/tensorcc/tcc/interp"
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
	"github.com/tensorcc/tcc/schedule"
)

// generateWith is Generate with the lowering replaced by low.
func generateWith(t *testing.T, prog *ir.Program, opts Options, low func(*ir.Kernel, loop.Target) (*loop.Kernel, error)) map[string][]byte {
	t.Helper()
	g, err := newGenerator(prog, opts)
	if err != nil {
		t.Fatal(err)
	}
	g.lower = func(k *ir.Kernel, tg loop.Target, _ *schedule.Plan) (*loop.Kernel, error) { return low(k, tg) }
	files, err := g.generate(prog)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// makeArg returns a deterministic argument for tensor or scalar t.
func makeArg(r *rand.Rand, t *ir.Tensor, sizes []int, output bool) any {
	n := t.Count(sizes)
	if t.Kind == ir.Scalar {
		switch t.Type {
		case ir.F32:
			return float32(1.5)
		case ir.F64:
			return 1.5
		case ir.I32:
			return int32(3)
		}
		panic("test: unsupported scalar type " + t.Type.String())
	}
	if t.Type.IsPacked() {
		b := make([]byte, t.Type.StorageBytes(n))
		if !output {
			for i := range b {
				b[i] = byte(r.IntN(256))
			}
			if extra := len(b)*8 - n*t.Type.Bits; extra > 0 {
				b[len(b)-1] &= byte(0xff >> extra) // unused high bits are zero in tests
			}
		}
		return b
	}
	val := func() float64 { return float64(r.IntN(64)-32) / 8 }
	switch t.Type {
	case ir.F32:
		s := make([]float32, n)
		for i := range s {
			if !output {
				s[i] = float32(val())
			}
		}
		return s
	case ir.F64:
		s := make([]float64, n)
		for i := range s {
			if !output {
				s[i] = val()
			}
		}
		return s
	case ir.F16:
		s := make([]uint16, n)
		for i := range s {
			if !output {
				s[i] = rt.F32ToF16(float32(val()))
			}
		}
		return s
	}
	if t.Type.IsInteger() {
		typ := map[string]reflect.Type{"int8": reflect.TypeFor[int8](), "int16": reflect.TypeFor[int16](),
			"int32": reflect.TypeFor[int32](), "int64": reflect.TypeFor[int64](), "uint8": reflect.TypeFor[uint8](),
			"uint16": reflect.TypeFor[uint16](), "uint32": reflect.TypeFor[uint32]()}[t.Type.GoType()]
		s := reflect.MakeSlice(reflect.SliceOf(typ), n, n)
		for i := 0; i < n && !output; i++ {
			v := int64(r.IntN(200))
			if t.Type.IsSigned() {
				v -= 100
			}
			s.Index(i).Set(reflect.ValueOf(v).Convert(typ))
		}
		return s.Interface()
	}
	panic("test: unsupported tensor type " + t.Type.String())
}

// literal formats v as a Go expression.
func literal(v any) string {
	if reflect.TypeOf(v).Kind() == reflect.Slice {
		return fmt.Sprintf("%#v", v)
	}
	return fmt.Sprintf("%T(%#v)", v, v)
}

func cloneArg(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice {
		return v
	}
	c := reflect.MakeSlice(rv.Type(), rv.Len(), rv.Len())
	reflect.Copy(c, rv)
	return c.Interface()
}

// kernelTest returns the source of a Go test of kernel k at the given sizes that
// compares the generated function with the reference interpreter, checks that
// warm calls do not allocate, that a wrong-length call fails without writing,
// and that concurrent calls agree.
func kernelTest(t *testing.T, k *ir.Kernel, sizes []int, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 1))
	var args []any
	for _, p := range k.Params {
		args = append(args, makeArg(r, p, sizes, false))
	}
	for _, o := range k.Outputs {
		args = append(args, makeArg(r, o, sizes, true))
	}
	ref := make([]any, 0, len(args)+len(sizes))
	for _, a := range args {
		ref = append(ref, cloneArg(a))
	}
	for _, s := range sizes {
		ref = append(ref, s)
	}
	if err := interp.Call(k, ref...); err != nil {
		t.Fatalf("interp.Call(%s): %v", k.Name, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "func Test%s(t *testing.T) {\n", k.Name)
	var names []string
	for i, a := range args {
		n := fmt.Sprintf("a%d", i)
		names = append(names, n)
		fmt.Fprintf(&b, "%s := %s\n", n, literal(a))
	}
	for i, s := range sizes {
		n := fmt.Sprintf("s%d", i)
		names = append(names, n)
		fmt.Fprintf(&b, "%s := %d\n", n, s)
	}
	call := fmt.Sprintf("%s(%s)", k.Name, strings.Join(names, ", "))
	fmt.Fprintf(&b, "if err := %s; err != nil {\nt.Fatal(err)\n}\n", call)
	np := len(k.Params)
	for j, o := range k.Outputs {
		tol := 0.0
		switch o.Type {
		case ir.F32:
			tol = 1e-5
		case ir.F64:
			tol = 1e-12
		}
		fmt.Fprintf(&b, "tccCheck(t, %q, %s, %s, %g)\n", o.Name, names[np+j], literal(ref[np+j]), tol)
	}
	fmt.Fprintf(&b, "if n := testing.AllocsPerRun(5, func() { %s }); n != 0 {\nt.Errorf(\"%%v allocations per call\", n)\n}\n", call)
	// A wrong length: the first tensor argument one element short (or long).
	for i, p := range k.Params {
		if p.Kind == ir.Scalar {
			continue
		}
		bad := append([]string{}, names...)
		bad[i] = fmt.Sprintf("append(%s, %s...)", names[i], names[i])
		fmt.Fprintf(&b, "{\nfor _, o := range [][]byte{%s} { _ = o }\n", "")
		var outs []string
		for j := range k.Outputs {
			outs = append(outs, names[np+j])
		}
		fmt.Fprintf(&b, "before := fmt.Sprint(%s)\n", strings.Join(outs, ", "))
		fmt.Fprintf(&b, "err := %s(%s)\n", k.Name, strings.Join(bad, ", "))
		fmt.Fprintf(&b, "if err == nil || !strings.Contains(err.Error(), %q) || !strings.Contains(err.Error(), %q) {\nt.Errorf(\"bad length: error %%v\", err)\n}\n", k.Name, p.Name)
		fmt.Fprintf(&b, "if fmt.Sprint(%s) != before {\nt.Error(\"output written on error\")\n}\n}\n", strings.Join(outs, ", "))
		break
	}
	// Concurrent calls with private outputs agree with the first call.
	fmt.Fprintf(&b, "var wg sync.WaitGroup\nfor range 4 {\nwg.Add(1)\ngo func() {\ndefer wg.Done()\n")
	priv := append([]string{}, names...)
	for j := range k.Outputs {
		n := names[np+j]
		fmt.Fprintf(&b, "p%s := make(%T, len(%s))\n", n, args[np+j], n)
		priv[np+j] = "p" + n
	}
	fmt.Fprintf(&b, "for range 3 {\nif err := %s(%s); err != nil {\nt.Error(err)\n}\n}\n", k.Name, strings.Join(priv, ", "))
	for j := range k.Outputs {
		fmt.Fprintf(&b, "if fmt.Sprint(p%s) != fmt.Sprint(%s) {\nt.Error(\"concurrent call differs\")\n}\n", names[np+j], names[np+j])
	}
	b.WriteString("}()\n}\nwg.Wait()\n}\n\n")
	return b.String()
}

const testHeader = `package %s

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
)

var _ = strings.Contains

func tccCheck[T float32 | float64 | int8 | int16 | int32 | int64 | uint8 | uint16 | uint32](t *testing.T, name string, got, want []T, tol float64) {
	t.Helper()
	m := 0.0
	for _, w := range want {
		m = max(m, math.Abs(float64(w)))
	}
	if len(got) != len(want) {
		t.Fatalf("%%s: len %%d, want %%d", name, len(got), len(want))
	}
	for i := range want {
		if d := math.Abs(float64(got[i]) - float64(want[i])); !(d <= tol*(1+m)) {
			t.Errorf("%%s[%%d] = %%v, want %%v", name, i, got[i], want[i])
			return
		}
	}
}

`

func TestGenerateHandmade(t *testing.T) {
	prog, low := handmade()
	files := generateWith(t, prog, Options{Targets: []string{"amd64"}, Source: "handmade"}, low)
	for name, src := range files {
		if !bytes.HasPrefix(src, []byte(Header+"\n")) {
			t.Errorf("%s: missing header", name)
		}
	}
	var src strings.Builder
	fmt.Fprintf(&src, testHeader, "hand")
	cases := map[string][][]int{
		"Axpy":   {{1000}, {100000}},
		"Shift":  {{7}},
		"Scale4": {{20}},
		"Vec":    {{11}},
		"Quant":  {{9}},
	}
	for _, k := range prog.Kernels {
		for i, sizes := range cases[k.Name] {
			s := kernelTest(t, k, sizes, uint64(i))
			s = strings.Replace(s, "func Test"+k.Name+"(", fmt.Sprintf("func Test%s_%d(", k.Name, i), 1)
			src.WriteString(s)
		}
	}
	// Error cases that need specific sizes.
	src.WriteString(`func TestErrors(t *testing.T) {
	y := make([]float32, 2)
	if err := Scale4(make([]float32, 10), y, 10); err == nil || !strings.Contains(err.Error(), "Scale4") || !strings.Contains(err.Error(), "10") || !strings.Contains(err.Error(), "4") {
		t.Errorf("K=10: %v", err)
	}
	if err := Axpy(nil, nil, 1, nil, -1); err == nil || !strings.Contains(err.Error(), "N") {
		t.Errorf("N=-1: %v", err)
	}
	if err := Quant(make([]byte, 4), make([]uint16, 9), make([]float32, 9), make([]byte, 5), 9); err == nil || !strings.Contains(err.Error(), "W") {
		t.Errorf("packed length: %v", err)
	}
}
`)
	m := gotest.New(t, files)
	if err := m.WriteFile(gotest.TestMainFile, []byte(src.String())); err != nil {
		t.Fatal(err)
	}
	if out, err := m.Test(gotest.Options{}); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if testing.Short() {
		return
	}
	if out, err := m.Test(gotest.Options{Tags: []string{"purego"}, Env: []string{"TCC_CPU=generic"}}); err != nil {
		t.Fatalf("purego: %v\n%s", err, out)
	}
	if out, err := m.Build("", "", true); err != nil {
		t.Fatalf("vet: %v\n%s", err, out)
	}
	for _, p := range [][2]string{{"linux", "arm64"}, {"linux", "386"}, {"js", "wasm"}, {"windows", "amd64"}} {
		if out, err := m.Build(p[0], p[1], true); err != nil {
			t.Errorf("%s/%s: %v\n%s", p[0], p[1], err, out)
		}
	}
	if out, err := m.Test(gotest.Options{Race: true}); err != nil {
		t.Fatalf("race: %v\n%s", err, out)
	}
}

// frontendSrc exercises the whole pipeline: front end, lowering, both backends.
const frontendSrc = `package mm

// Matmul multiplies two matrices.
kernel Matmul(A: f32[M, K], B: f32[K, N]) -> (C: f32[M, N]) {
    C[m, n] = sum(k: A[m, k] * B[k, n])
}

// Softmax normalises rows.
kernel Softmax(X: f32[R, C]) -> (Y: f32[R, C]) {
    mx[r] = max(c: X[r, c])
    e[r, c] = exp(X[r, c] - mx[r])
    s[r] = sum(c: e[r, c])
    Y[r, c] = e[r, c] / s[r]
}

kernel Dequant(W: i4[N, K], S: f16[N, K / 4], len: f32) -> (error: f32[N, K]) {
    error[n, k] = f32(W[n, k]) * f32(S[n, k / 4]) * len
}

kernel Mix(X: i32[N], Y: f64[N]) -> (Q: i8[N], Z: f64[N], T: f32[]) {
    Q[i] = X[i] / 3
    Z[i] = select(i >= 1, Y[i - 1], -1.0) + sqrt(abs(Y[i]))
    T = sum(i: f32(X[i]) * 0.5 + 0.0)
}
`

func TestGenerateFrontend(t *testing.T) {
	prog, err := frontend.Compile(frontend.Source{Name: "mm.tc", Text: []byte(frontendSrc)})
	if err != nil {
		t.Fatal(err)
	}
	files, err := Generate(prog, Options{Targets: []string{"amd64"}, Source: "mm.tc"})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][][]int{
		"Matmul":  {{3, 5, 4}, {67, 45, 33}},
		"Softmax": {{3, 17}},
		"Dequant": {{3, 8}},
		"Mix":     {{10}},
	}
	var src strings.Builder
	fmt.Fprintf(&src, testHeader, prog.Package)
	for _, k := range prog.Kernels {
		for i, sizes := range cases[k.Name] {
			s := kernelTest(t, k, sizes, uint64(i))
			s = strings.Replace(s, "func Test"+k.Name+"(", fmt.Sprintf("func Test%s_%d(", k.Name, i), 1)
			src.WriteString(s)
		}
	}
	m := gotest.New(t, files)
	if err := m.WriteFile(gotest.TestMainFile, []byte(src.String())); err != nil {
		t.Fatal(err)
	}
	opts := []gotest.Options{{Args: []string{"-v"}}}
	if !testing.Short() {
		opts = append(opts, gotest.Options{Env: []string{"TCC_CPU=avx2"}}, gotest.Options{Tags: []string{"purego"}})
	}
	for _, o := range opts {
		out, err := m.Test(o)
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		if len(o.Args) > 0 && !strings.Contains(out, "--- PASS: TestMatmul_1") {
			t.Errorf("generated tests did not run:\n%s", out)
		}
	}
}

// TestGenerateErrorsArePositioned: an error of a stage after the front end
// (here the lowering, given a statement no schedule can compute) is an
// *ir.Error at the statement's position that names the kernel (SPEC 8).
func TestGenerateErrorsArePositioned(t *testing.T) {
	src := "kernel Neg(X: f32[N]) -> (Y: f32[N]) {\n    Y[i] = -X[i]\n}\n"
	prog, err := frontend.Compile(frontend.Source{Name: "neg.tc", Text: []byte(src)})
	if err != nil {
		t.Fatal(err)
	}
	// A statement whose value reads an index variable bound by nothing.
	s := prog.Kernels[0].Stmts[0]
	stray := &ir.Var{Name: "q", Extent: ir.ConstDim(3), Pos: s.Pos}
	s.Value = &ir.Binary{Pos: s.Pos, Op: ir.Add, X: s.Value, Y: &ir.Cast{Pos: s.Pos, X: &ir.Index{Pos: s.Pos, Var: stray, T: ir.I64}, To: ir.F32}, T: ir.F32}
	_, err = Generate(prog, Options{Targets: []string{"amd64"}})
	var pe *ir.Error
	if !errors.As(err, &pe) {
		t.Fatalf("Generate: %v (%T), want an *ir.Error", err, err)
	}
	if pe.Pos.File != "neg.tc" || pe.Pos.Line == 0 || !strings.Contains(pe.Msg, "Neg") {
		t.Errorf("error %q: want a position in neg.tc and the kernel's name", pe)
	}
}

// TestGenerateDeterministic: the same program gives the same files, however
// the compiler's objects lie in memory (keys once sorted by address).
func TestGenerateDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a GEMM eight times")
	}
	var first map[string][]byte
	var junk [][]byte
	for i := 0; i < 8; i++ {
		junk = append(junk, make([]byte, 1+(i*7919)%4096)) // shift later allocations
		prog, err := frontend.Compile(frontend.Source{Name: "mm.tc", Text: []byte(frontendSrc)})
		if err != nil {
			t.Fatal(err)
		}
		files, err := Generate(prog, Options{Targets: []string{"amd64"}})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = files
			continue
		}
		for name, src := range files {
			if !bytes.Equal(src, first[name]) {
				t.Fatalf("run %d: %s differs from the first run's", i, name)
			}
		}
	}
	_ = junk
}
