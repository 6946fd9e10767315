package amd64

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/legalize"
	"github.com/tensorcc/tcc/loop"
)

// streamKernel builds y[i] = body(x0[i]) over N elements like elementwise, but
// with a second size ST and the main loop's stores marked Stream = ST > 0.
func streamKernel(tg loop.Target, name string, in, out ir.DType, lanes int, body func(x loop.Expr) loop.Expr) (*loop.Kernel, *loop.Func) {
	n := v("N", loop.Scalar(ir.I64))
	st := v("ST", loop.Scalar(ir.I64))
	x := buf("x0", in, loop.InputBuf)
	o := buf("y", out, loop.OutputBuf)
	x.Len, o.Len = ref(n), ref(n)
	k := &loop.Kernel{Name: name, Sizes: []*loop.Var{n, st}, Inputs: []*loop.Buf{x}, Outputs: []*loop.Buf{o}}
	i := v("i", loop.Scalar(ir.I64))
	nm := v("nm", loop.Scalar(ir.I64))
	mk := func(idx, count loop.Expr) *loop.Store {
		l := load(x, idx, lanes)
		l.Count = count
		return &loop.Store{Buf: o, Index: idx, Value: body(l), Count: count}
	}
	main := mk(ref(i), nil)
	main.Stream = bin(ir.Gt, ref(st), ci(0))
	f := &loop.Func{Name: "s0", Locals: []*loop.Var{nm}, VectorBits: tg.VectorBits, Target: tg.Name}
	f.Body = []loop.Stmt{
		&loop.Assign{Dst: nm, Value: bin(ir.Mul, bin(ir.Div, ref(n), ci(int64(lanes))), ci(int64(lanes)))},
		&loop.For{Var: i, Lo: ci(0), Hi: ref(nm), Step: int64(lanes), Body: []loop.Stmt{main}, Unroll: 2},
		&loop.If{Cond: bin(ir.Lt, ref(nm), ref(n)), Then: []loop.Stmt{mk(ref(nm), bin(ir.Sub, ref(n), ref(nm)))}},
	}
	k.Funcs = []*loop.Func{f}
	k.Steps = []*loop.Step{{Func: f}}
	return k, f
}

// streamTest is the Go test text of a streaming case: with streaming off and
// on, for output slices starting at every element offset from a 64-byte
// boundary (aligned and unaligned) and for N = 0..40 (every tail length) and
// a few longer N, it compares y with want (over x0[i]) within tol and checks
// that nothing around y was written.
func streamTest(in, out string, es int, fill, want string, tol float64) string {
	return strings2(`
	ns := []int{}
	for n := 0; n <= 40; n++ { ns = append(ns, n) }
	ns = append(ns, 255, 1000, 4099)
	for _, st := range []int{0, 1} {
		for off := 0; off < 64/ES; off++ {
			for _, n := range ns {
				x0 := make([]IN, n)
				for i := range x0 { x0[i] = IN(FILL) }
				back := make([]OUT, n+2*64/ES+8)
				base := (64 - int(uintptr(unsafe.Pointer(&back[0]))%64)) % 64 / ES
				for i := range back { back[i] = 77 }
				lo := base + off
				y := back[lo : lo+n : lo+n]
				FN(x0, y, n, st)
				for i := range y {
					w := float64(WANT)
					if g := float64(y[i]); !(math.Abs(g-w) <= TOL*(1+math.Abs(w))) {
						t.Fatalf("st=%d off=%d n=%d i=%d: got %v want %v", st, off, n, i, g, w)
					}
				}
				for i := range back {
					if (i < lo || i >= lo+n) && back[i] != 77 {
						t.Fatalf("st=%d off=%d n=%d: wrote outside y at %d", st, off, n, i-lo)
					}
				}
			}
		}
	}
`, "IN", in, "OUT", out, "ES", fmt.Sprint(es), "FILL", fill, "WANT", want, "TOL", fmt.Sprint(tol))
}

func TestStreamingStore(t *testing.T) {
	f32, f64 := ir.F32, ir.F64
	type scase struct {
		name    string
		in, out ir.DType
		lanes   func(tg loop.Target) int
		body    func(x loop.Expr, lanes int) loop.Expr
		nt      string // the non-temporal instruction expected
		test    string
	}
	fill := "1 + math.Abs(math.Sin(float64(i)*1.37))*5"
	cases := []scase{
		{"sf32", f32, f32, func(tg loop.Target) int { return lanesFor(tg, f32) },
			func(x loop.Expr, l int) loop.Expr {
				return call(loop.FMA, x, cf(loop.Vec(f32, l), 2.5), cf(loop.Vec(f32, l), 1))
			}, "VMOVNTPS", streamTest("float32", "float32", 4, fill, "float64(x0[i])*2.5+1", 1e-6)},
		{"sexp", f32, f32, func(tg loop.Target) int { return lanesFor(tg, f32) },
			func(x loop.Expr, l int) loop.Expr { return call(loop.Fn(ir.Exp), x) },
			"VMOVNTPS", streamTest("float32", "float32", 4, fill, "math.Exp(float64(x0[i]))", 1e-6)},
		{"sf64", f64, f64, func(tg loop.Target) int { return lanesFor(tg, f64) },
			func(x loop.Expr, l int) loop.Expr { return bin(ir.Mul, x, x) },
			"VMOVNTPD", streamTest("float64", "float64", 8, fill, "x0[i]*x0[i]", 1e-14)},
		{"si32", f32, ir.I32, func(tg loop.Target) int { return lanesFor(tg, f32) },
			func(x loop.Expr, l int) loop.Expr {
				return &loop.Cast{X: bin(ir.Mul, x, cf(loop.Vec(f32, l), 1000)), T: loop.Vec(ir.I32, l)}
			}, "VMOVNTDQ", streamTest("float32", "int32", 4, fill, "math.RoundToEven(float64(x0[i]*1000))", 0)},
		{"sf16", f32, ir.F16, func(tg loop.Target) int { return lanesFor(tg, f32) },
			func(x loop.Expr, l int) loop.Expr { return &loop.Cast{X: x, T: loop.Vec(ir.F16, l)} },
			"VMOVNTDQ", streamTest("float32", "uint16", 2, fill, "f32ToF16(x0[i])", 0)},
	}
	files := map[string][]byte{}
	var tests bytes.Buffer
	tests.WriteString("package tcctest\n\nimport (\n\t\"math\"\n\t\"testing\"\n\t\"unsafe\"\n)\n\n")
	for _, tg := range targets(t) {
		for _, c := range cases {
			lanes := c.lanes(tg)
			k, f := streamKernel(tg, strings.ToUpper(c.name[:1])+c.name[1:], c.in, c.out, lanes, func(x loop.Expr) loop.Expr { return c.body(x, lanes) })
			legalize.Run(k, legalize.For(tg)) // exp reaches the backend expanded
			if err := loop.Verify(k); err != nil {
				t.Fatalf("%s/%s: %v", c.name, tg.Name, err)
			}
			asm, stubs, err := GeneratePackage("tcctest", k, []*loop.Func{f}, tg)
			if err != nil {
				t.Fatalf("%s/%s: %v", c.name, tg.Name, err)
			}
			for _, want := range []string{c.nt, "SFENCE"} {
				if !bytes.Contains(asm, []byte(want)) {
					t.Errorf("%s/%s: no %s in\n%s", c.name, tg.Name, want, asm)
				}
			}
			base := c.name + "_" + tg.Name
			files[base+"_amd64.s"] = asm
			files[base+"_amd64.go"] = stubs
			fmt.Fprintf(&tests, "func Test_%s(t *testing.T) {\n%s\n}\n\n", base, strings2(c.test, "FN", FuncName(k, f, tg)))
		}
	}
	tests.WriteString("var _ = math.Abs\n")
	tests.WriteString(testHelpers)
	files["cases_test.go"] = tests.Bytes()
	out := runModule(t, files, "-v")
	if testing.Verbose() {
		t.Log(out)
	}
}
