package amd64

import (
	"fmt"
	"testing"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/legalize"
	"github.com/tensorcc/tcc/loop"
)

// mathSweep is the Go test text that runs a generated f32 function over a
// sweep of inputs (specials, subnormals, huge values and a dense range) and
// compares it with package math: each result must be within rel*|want| or abs
// of the float64 reference, or match it exactly for infinities and NaN.
const mathSweep = `
	xs := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.5, -0.5, 1e-45, -1e-45, 1e-40, 1e-38, 1.17549435e-38, 3e38, -3e38,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 88.72, 88.73, -87.3, -103.9, -104.5, 127.9, 128.1, -149.5, -150.5, 1e10, -1e10}
	for i := 0; i < 20000; i++ {
		xs = append(xs, float32(-{{R}}+2*{{R}}*float64(i)/20000))
	}
	for e := -140; e <= 127; e++ {
		xs = append(xs, float32(math.Ldexp(1.37, e)), -float32(math.Ldexp(1.37, e)))
	}
	ys := make([]float32, len(xs))
	for i := range ys {
		ys[i] = float32(2.5 - 5*math.Sin(float64(i)))
		if i%9 == 0 { ys[i] = float32(math.Round(float64(ys[i]))) }
	}
	out := make([]float32, len(xs))
	{{call}}
	for i, x := range xs {
		y := ys[i]
		_ = y
		w := {{want}}
		g := float64(out[i])
		ok := g == w || (math.IsNaN(g) && math.IsNaN(w)) || math.Abs(g-w) <= {{rel}}*math.Abs(w) || math.Abs(g-w) <= {{abs}}
		if !ok && !math.IsInf(w, 0) && math.Abs(w) > math.MaxFloat32 && math.IsInf(g, 0) {
			ok = true // the exact result overflows f32
		}
		if !ok {
			t.Errorf("f(%v, %v) = %v, want %v", x, y, g, w)
		}
	}`

// TestMathFuncs sweeps the expansions of package legalize as the amd64
// backend translates them.
func TestMathFuncs(t *testing.T) {
	type mcase struct {
		fn       ir.Func
		want     string
		r        float64 // dense sweep range [-r, r]
		rel, abs float64
	}
	fns := []mcase{
		{ir.Exp, "math.Exp(float64(x))", 100, 3e-7, 1e-44},
		{ir.Exp2, "math.Exp2(float64(x))", 150, 3e-7, 1e-44},
		{ir.Log, "math.Log(float64(x))", 1000, 3e-7, 1e-7},
		{ir.Log2, "math.Log2(float64(x))", 1000, 3e-7, 2e-7},
		{ir.Tanh, "math.Tanh(float64(x))", 20, 1e-6, 2e-7},
		{ir.Sigmoid, "1/(1+math.Exp(-float64(x)))", 120, 1e-6, 1e-30},
		{ir.Silu, "func() float64 { if math.IsInf(float64(x), -1) { return 0 }; return float64(x)/(1+math.Exp(-float64(x))) }()", 120, 1e-6, 1e-30},
		{ir.Erf, "math.Erf(float64(x))", 6, 0, 5e-7},
		{ir.Gelu, "func() float64 { if math.IsInf(float64(x), -1) { return 0 }; return 0.5*float64(x)*(1+math.Erf(float64(x)/math.Sqrt2)) }()", 10, 1e-6, 1e-6},
		{ir.Pow, "math.Pow(float64(x), float64(y))", 30, 1e-5, 1e-30},
		{ir.Sin, "func() float64 { if math.IsInf(float64(x), 0) { return math.NaN() }; if math.Abs(float64(x)) > 1<<20 { return float64(out[i]) }; return math.Sin(float64(x)) }()", 1000, 0, 3e-7},
		{ir.Cos, "func() float64 { if math.IsInf(float64(x), 0) { return math.NaN() }; if math.Abs(float64(x)) > 1<<20 { return float64(out[i]) }; return math.Cos(float64(x)) }()", 1000, 0, 3e-7},
	}
	var cases []asmCase
	for _, c := range fns {
		c := c
		name := "m" + c.fn.String()
		for _, scalar := range []bool{false, true} {
			name := name
			if scalar {
				name += "_scalar"
			}
			scalar := scalar
			call := "{{fn}}(xs, out, len(xs))"
			ins := []ir.DType{ir.F32}
			if c.fn == ir.Pow {
				call = "{{fn}}(xs, ys, out, len(xs))"
				ins = append(ins, ir.F32)
			}
			cases = append(cases, asmCase{
				name: name,
				build: func(tg loop.Target) (*loop.Kernel, *loop.Func) {
					l := lanesFor(tg, ir.F32)
					if scalar {
						l = 1
					}
					k, f := elementwise(tg, name, ins, ir.F32, l, func(xs []loop.Expr) loop.Expr {
						return call2(loop.Fn(c.fn), xs...)
					})
					if scalar {
						// Scalar loads and stores cannot take a Count: drop the tail.
						f.Body = f.Body[:2]
					}
					// The functions reach the backend expanded, as from lower.Lower.
					legalize.Run(k, legalize.For(tg))
					loop.CSE(f)
					return k, f
				},
				test: strings2(mathSweep, "{{call}}", call, "{{want}}", c.want, "{{R}}", fmt.Sprint(c.r),
					"{{rel}}", fmt.Sprint(c.rel), "{{abs}}", fmt.Sprint(c.abs)),
			})
		}
	}
	runCases(t, cases)
}

func call2(fn loop.Fn, args ...loop.Expr) loop.Expr { return call(fn, args...) }
