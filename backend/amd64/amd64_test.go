package amd64

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// ewTest returns the Go test text of an elementwise case: for every N in 0..40
// it fills the inputs (Go types ins) with values from fill, calls the function,
// and compares every output with want (a Go expression over x0[i], x1[i], ...)
// within tol (relative to 1+|want|), and checks nothing was written past N.
func ewTest(ins []string, out, fill, want string, tol float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\tfor n := 0; n <= 40; n++ {\n")
	var args []string
	for j, in := range ins {
		fmt.Fprintf(&b, "\t\tx%d := make([]%s, n)\n\t\tfor i := range x%d { x%d[i] = %s(%s) }\n", j, in, j, j, in,
			strings.ReplaceAll(fill, "J", fmt.Sprint(j)))
		args = append(args, fmt.Sprintf("x%d", j))
	}
	fmt.Fprintf(&b, "\t\tback := make([]%s, n+20)\n\t\tfor i := range back { back[i] = 77 }\n\t\ty := back[:n:n]\n", out)
	args = append(args, "y", "n")
	fmt.Fprintf(&b, "\t\t{{fn}}(%s)\n", strings.Join(args, ", "))
	fmt.Fprintf(&b, "\t\tfor i := 0; i < n; i++ {\n\t\t\tw := float64(%s)\n", want)
	fmt.Fprintf(&b, "\t\t\tif g := float64(y[i]); !(math.Abs(g-w) <= %g*(1+math.Abs(w))) && !(math.IsNaN(g) && math.IsNaN(w)) && g != w {\n", tol)
	fmt.Fprintf(&b, "\t\t\t\tt.Fatalf(\"n=%%d i=%%d: got %%v want %%v (inputs %%v)\", n, i, g, w, []any{%s})\n\t\t\t}\n\t\t}\n",
		strings.Join(func() []string {
			var s []string
			for j := range ins {
				s = append(s, fmt.Sprintf("x%d[i]", j))
			}
			return s
		}(), ", "))
	fmt.Fprintf(&b, "\t\tfor i := n; i < len(back); i++ {\n\t\t\tif back[i] != 77 { t.Fatalf(\"n=%%d: wrote past the end at %%d\", n, i) }\n\t\t}\n\t}\n")
	return b.String()
}

const fillWave = "math.Sin(float64(i)*1.37+float64(J))*5"

func lanesFor(tg loop.Target, e ir.DType) int { return tg.VectorBits / e.Bits }

func TestElementwise(t *testing.T) {
	f32, f64 := ir.F32, ir.F64
	cases := []asmCase{
		{
			name: "axpb",
			build: func(tg loop.Target) (*loop.Kernel, *loop.Func) {
				l := lanesFor(tg, f32)
				return elementwise(tg, "Axpb", []ir.DType{f32, f32}, f32, l, func(xs []loop.Expr) loop.Expr {
					return call(loop.FMA, xs[0], cf(loop.Vec(f32, l), 2.5), xs[1])
				})
			},
			test: ewTest([]string{"float32", "float32"}, "float32", fillWave, "float64(x0[i])*2.5+float64(x1[i])", 1e-6),
		},
		{
			name: "arith64",
			build: func(tg loop.Target) (*loop.Kernel, *loop.Func) {
				l := lanesFor(tg, f64)
				return elementwise(tg, "Arith64", []ir.DType{f64, f64}, f64, l, func(xs []loop.Expr) loop.Expr {
					vt := loop.Vec(f64, l)
					s := bin(ir.Sub, bin(ir.Mul, xs[0], xs[1]), bin(ir.Div, xs[1], cf(vt, 3)))
					return call(loop.Fn(ir.Max), bin(ir.Add, s, cf(vt, 1)), cf(vt, -2))
				})
			},
			test: ewTest([]string{"float64", "float64"}, "float64", fillWave, "math.Max(x0[i]*x1[i]-x1[i]/3+1, -2)", 1e-14),
		},
		{
			name: "selects",
			build: func(tg loop.Target) (*loop.Kernel, *loop.Func) {
				l := lanesFor(tg, f32)
				vt := loop.Vec(f32, l)
				return elementwise(tg, "Selects", []ir.DType{f32}, f32, l, func(xs []loop.Expr) loop.Expr {
					x := xs[0]
					pos := bin(ir.Gt, x, cf(vt, 0))
					neg := &loop.Un{Op: ir.Neg, X: call(loop.Fn(ir.Abs), call(loop.Fn(ir.Floor), bin(ir.Mul, x, cf(vt, 3)))), T: vt}
					return &loop.Select{Cond: pos, A: call(loop.Fn(ir.Sqrt), x), B: neg, T: vt}
				})
			},
			test: ewTest([]string{"float32"}, "float32", fillWave,
				"func() float64 { x := float64(x0[i]); if x > 0 { return math.Sqrt(x) }; return -math.Abs(math.Floor(float64(x0[i]*3))) }()", 1e-6),
		},
		{
			name: "rounds",
			build: func(tg loop.Target) (*loop.Kernel, *loop.Func) {
				l := lanesFor(tg, f32)
				vt := loop.Vec(f32, l)
				return elementwise(tg, "Rounds", []ir.DType{f32}, f32, l, func(xs []loop.Expr) loop.Expr {
					x := bin(ir.Mul, xs[0], cf(vt, 0.5))
					r := bin(ir.Add, call(loop.Fn(ir.Round), x), bin(ir.Mul, call(loop.Fn(ir.Ceil), x), cf(vt, 100)))
					return call(loop.Fn(ir.Clamp), bin(ir.Add, r, call(loop.Fn(ir.Rsqrt), call(loop.Fn(ir.Relu), x))), cf(vt, -300), cf(vt, 300))
				})
			},
			test: ewTest([]string{"float32"}, "float32", "math.Round(math.Sin(float64(i)*1.37)*10)/2",
				"func() float64 { x := float64(x0[i]*0.5); r := math.RoundToEven(x) + math.Ceil(x)*100 + 1/math.Sqrt(math.Max(x, 0)); return math.Min(math.Max(r, -300), 300) }()", 1e-6),
		},
		{
			name: "casts",
			build: func(tg loop.Target) (*loop.Kernel, *loop.Func) {
				l := lanesFor(tg, f32)
				return elementwise(tg, "Casts", []ir.DType{f32}, ir.I32, l, func(xs []loop.Expr) loop.Expr {
					x := bin(ir.Mul, xs[0], cf(loop.Vec(f32, l), 1e9))
					return &loop.Cast{X: x, T: loop.Vec(ir.I32, l)}
				})
			},
			test: ewTest([]string{"float32"}, "int32", "func() float64 { switch i%7 { case 3: return math.NaN(); case 5: return math.Inf(-1) }; return math.Sin(float64(i)*1.37)*4 }()",
				"func() float64 { x := float64(x0[i]*1e9); if math.IsNaN(x) { return 0 }; return math.Max(math.Min(math.RoundToEven(x), math.MaxInt32), math.MinInt32) }()", 0),
		},
		{
			name: "halves",
			build: func(tg loop.Target) (*loop.Kernel, *loop.Func) {
				l := lanesFor(tg, f32)
				vt := loop.Vec(f32, l)
				return elementwise(tg, "Halves", []ir.DType{ir.F16, ir.BF16}, ir.F16, l, func(xs []loop.Expr) loop.Expr {
					a := &loop.Cast{X: xs[0], T: vt}
					b := &loop.Cast{X: xs[1], T: vt}
					return &loop.Cast{X: bin(ir.Add, a, b), T: loop.Vec(ir.F16, l)}
				})
			},
			test: ewTest([]string{"uint16", "uint16"}, "uint16", "0x3c00 + i*37 + J*5",
				"f32ToF16(f16ToF32(x0[i]) + math.Float32frombits(uint32(x1[i])<<16))", 0),
		},
	}
	runCases(t, cases)
}

func TestUnsupported(t *testing.T) {
	tg := loop.TargetAVX2
	k, f2 := elementwise(tg, "Bad", []ir.DType{ir.F32}, ir.F32, 8, func(xs []loop.Expr) loop.Expr { return xs[0] })
	f2.Name = "s1"
	f := &loop.Func{Name: "s0", Body: []loop.Stmt{&loop.Store{Buf: k.Outputs[0], Index: ci(0),
		Value: &loop.Cast{T: loop.Scalar(ir.F32), X: call(loop.Fn(ir.Tanh),
			&loop.Cast{T: loop.Scalar(ir.F64), X: load(k.Inputs[0], ci(0), 1)})}}}}
	k.Funcs = append(k.Funcs, f)
	asm, stubs, err := Generate(k, []*loop.Func{f, f2}, tg)
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("err = %v, want ErrUnsupported", err)
	}
	var ue *UnsupportedError
	if !errors.As(err, &ue) || ue.Func != "bad_s0_avx2" {
		t.Fatalf("err = %#v, want an UnsupportedError for bad_s0_avx2", err)
	}
	if !strings.Contains(string(asm), "bad_s1_avx2") || strings.Contains(string(asm), "bad_s0_avx2") {
		t.Fatalf("asm should hold only the supported func (err %v):\n%s", err, asm)
	}
	if !strings.Contains(string(stubs), "//go:build "+BuildConstraint) || !strings.Contains(string(asm), "//go:build "+BuildConstraint) {
		t.Fatalf("missing build constraint")
	}
	if _, _, err := Generate(k, []*loop.Func{f}, loop.TargetGo); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("go target: err = %v", err)
	}
}

// TestIntReduce checks integer horizontal reductions, scalar integer min/max/
// abs and saturating narrowing casts: y[i] = clamp(abs(sum of an 8- or 16-lane
// vector of x) - max(i,3), ...) computed per element.
func TestIntReduce(t *testing.T) {
	cases := []asmCase{{
		name: "ireduce",
		build: func(tg loop.Target) (*loop.Kernel, *loop.Func) {
			l := lanesFor(tg, ir.I32)
			n := v("N", loop.Scalar(ir.I64))
			x := buf("x", ir.I32, loop.InputBuf)
			y := buf("y", ir.I32, loop.OutputBuf)
			k := &loop.Kernel{Name: "IReduce", Sizes: []*loop.Var{n}, Inputs: []*loop.Buf{x}, Outputs: []*loop.Buf{y}}
			i := v("i", loop.Scalar(ir.I64))
			s32 := loop.Scalar(ir.I32)
			vec := load(x, bin(ir.Mul, ref(i), ci(int64(l))), l)
			sum := &loop.HReduce{Op: ir.RSum, X: vec, T: s32}
			mx := &loop.HReduce{Op: ir.RMax, X: vec, T: s32}
			val := &loop.Bin{Op: ir.Sub, X: call(loop.Fn(ir.Abs), sum), Y: call(loop.Fn(ir.Max), mx, &loop.Const{T: s32, Int: 3}), T: s32}
			val2 := call(loop.Fn(ir.Clamp), val, &loop.Const{T: s32, Int: -1000}, &loop.Const{T: s32, Int: 100000})
			f := &loop.Func{Name: "s0", Locals: []*loop.Var{i}, VectorBits: tg.VectorBits, Target: tg.Name}
			f.Body = []loop.Stmt{&loop.For{Var: i, Lo: ci(0), Hi: ref(n), Step: 1,
				Body: []loop.Stmt{&loop.Store{Buf: y, Index: ref(i), Value: val2}}}}
			k.Funcs = []*loop.Func{f}
			return k, f
		},
		test: `	for _, n := range []int{0, 1, 5} {
		l := {{lanes}}
		x := make([]int32, n*l)
		for i := range x { x[i] = int32((i*7919)%20001 - 10000) }
		y := make([]int32, n)
		{{fn}}(x, y, n)
		for i := 0; i < n; i++ {
			s, m := int32(0), int32(math.MinInt32)
			for j := 0; j < l; j++ { s += x[i*l+j]; if x[i*l+j] > m { m = x[i*l+j] } }
			if s < 0 { s = -s }
			if m < 3 { m = 3 }
			w := s - m
			if w < -1000 { w = -1000 }
			if w > 100000 { w = 100000 }
			if y[i] != w { t.Fatalf("n=%d i=%d: got %d want %d", n, i, y[i], w) }
		}
	}`,
	}, {
		name: "narrow",
		build: func(tg loop.Target) (*loop.Kernel, *loop.Func) {
			if tg.Name != "avx512" {
				return nil, nil
			}
			return elementwise(tg, "Narrow", []ir.DType{ir.I32}, ir.U8, 16, func(xs []loop.Expr) loop.Expr {
				return &loop.Cast{X: xs[0], T: loop.Vec(ir.U8, 16)}
			})
		},
		test: ewTest([]string{"int32"}, "uint8", "(i*97)%700-200", "math.Max(0, math.Min(255, float64(x0[i])))", 0),
	}}
	runCases(t, cases)
}

// testHelpers are Go helpers shared by the generated tests.
const testHelpers = `
// f16ToF32 decodes an IEEE half (normal numbers only, as the inputs).
func f16ToF32(h uint16) float32 {
	e := int(h>>10) & 31
	m := float64(h & 1023)
	v := math.Ldexp(1+m/1024, e-15)
	if h&0x8000 != 0 {
		v = -v
	}
	return float32(v)
}

// f32ToF16 rounds a normal-range float32 to half, nearest even.
func f32ToF16(f float32) uint16 {
	x := float64(f)
	s := uint16(0)
	if x < 0 {
		s, x = 0x8000, -x
	}
	fr, e := math.Frexp(x) // x = fr * 2^e, fr in [0.5, 1)
	m := math.RoundToEven((fr*2 - 1) * 1024)
	ee := e - 1 + 15
	if m == 1024 {
		m, ee = 0, ee+1
	}
	return s | uint16(ee)<<10 | uint16(m)
}
`
