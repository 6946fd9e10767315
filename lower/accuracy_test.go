package lower

import (
	"math"
	"math/rand"
	"testing"

	"github.com/tensorcc/tcc/frontend"
	"github.com/tensorcc/tcc/internal/loopeval"
	"github.com/tensorcc/tcc/internal/rt"
	"github.com/tensorcc/tcc/interp"
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// accuracySrc holds reductions whose terms cancel exactly: the exact result is
// 0, so SPEC section 7 allows an absolute error of 1e-4 for f32 outputs, while
// an f32 accumulator over 2^20 such terms is off by about 3e-4.
const accuracySrc = `
kernel LongSum(X: f32[K]) -> (S: f32, H: f16, D: f64) {
    S = sum(k: X[k])
    H = sum(k: X[k])
    D = sum(k: X[k])
}

kernel LongDot(X: f32[K], Y: f32[K]) -> (S: f32) {
    S = sum(k: X[k] * Y[k])
}

kernel HalfSum(X: f16[K]) -> (S: f32) {
    S = sum(k: f32(X[k]))
}

kernel ColSum(X: f32[K, N]) -> (S: f32[N]) {
    S[n] = sum(k: X[k, n])
}

kernel SumSq(X: f32[K]) -> (S: f32) {
    S = sum(k: X[k] * X[k])
}
`

// cancelling returns n values (n even): first half as given by gen, second half
// their negations, so that every sum and dot product with a vector whose halves
// are equal is exactly 0.
func cancelling(n int, gen func(i int) float32) []float32 {
	x := make([]float32, n)
	for i := range n / 2 {
		x[i] = gen(i)
		x[n/2+i] = -x[i]
	}
	return x
}

// TestCancellingReductions runs reductions of cancelling terms (2^20 for the
// adversarial sum and dot product of the QA report, 2^16 for the others and
// for all with -short; f32 accumulation already fails most of them at 2^16)
// through the lowering for every target, executing the loop IR with
// exact element types, and checks the results against 0 (the exact value,
// confirmed by the reference interpreter) within the tolerances of SPEC
// section 7: 1e-4 for f32, 1e-10 for f64, and for f16 one unit in the last
// place of the rounding of 0 (the smallest subnormal, 2^-24).
func TestCancellingReductions(t *testing.T) {
	prog, err := frontend.Compile(frontend.Source{Name: "accuracy.tc", Text: []byte(accuracySrc)})
	if err != nil {
		t.Fatalf("frontend: %v", err)
	}
	long := 1 << 20
	if testing.Short() {
		long = 1 << 16
	}
	const K = 1 << 16
	const N = 3 // ColSum columns: a vector tail on every target
	rng := rand.New(rand.NewSource(1))
	tenth := cancelling(K, func(int) float32 { return 0.1 })
	longTenth := cancelling(long, func(int) float32 { return 0.1 })
	longThird := make([]float32, long)
	for i := range longThird {
		longThird[i] = 1.0 / 3
	}
	random := cancelling(K, func(int) float32 { return float32(rng.NormFloat64()) })
	ones := make([]float32, K)
	for i := range ones {
		ones[i] = float32(1 + rng.Float64()) // equal halves
		if i >= K/2 {
			ones[i] = ones[i-K/2]
		}
	}
	half := make([]uint16, K)
	for i := range K / 2 {
		half[i] = rt.F64ToF16(0.1 + 1e-3*float64(i%97))
		half[K/2+i] = half[i] ^ 0x8000
	}
	col := make([]float32, K*N)
	for k := range K {
		for n := range N {
			col[k*N+n] = tenth[k] * float32(n+1)
		}
	}
	// Positive terms: only the rounding of the f32 squares and of the sum.
	sq := make([]float32, K)
	for i := range sq {
		sq[i] = float32(rng.NormFloat64())
	}

	type out struct {
		name string
		typ  ir.DType
		n    int
	}
	cases := []struct {
		kernel string
		inputs []any
		outs   []out
		sizes  []int
		exact0 bool // every exact result is 0
	}{
		{"LongSum", []any{longTenth}, []out{{"S", ir.F32, 1}, {"H", ir.F16, 1}, {"D", ir.F64, 1}}, []int{long}, true},
		{"LongDot", []any{longThird, longTenth}, []out{{"S", ir.F32, 1}}, []int{long}, true},
		{"LongSum", []any{random}, []out{{"S", ir.F32, 1}, {"H", ir.F16, 1}, {"D", ir.F64, 1}}, []int{K}, true},
		{"LongDot", []any{random, ones}, []out{{"S", ir.F32, 1}}, []int{K}, true},
		{"LongDot", []any{ones, tenth}, []out{{"S", ir.F32, 1}}, []int{K}, true},
		{"HalfSum", []any{half}, []out{{"S", ir.F32, 1}}, []int{K}, true},
		{"ColSum", []any{col}, []out{{"S", ir.F32, N}}, []int{K, N}, true},
		{"SumSq", []any{sq}, []out{{"S", ir.F32, 1}}, []int{K}, false},
	}
	for _, c := range cases {
		k := prog.Kernel(c.kernel)
		if k == nil {
			t.Fatalf("no kernel %s", c.kernel)
		}
		refArgs := append([]any(nil), c.inputs...)
		for _, o := range c.outs {
			refArgs = append(refArgs, newSlice(t, o.typ, o.n))
		}
		for _, s := range c.sizes {
			refArgs = append(refArgs, s)
		}
		exact, err := interp.Eval(k, refArgs...)
		if err != nil {
			t.Fatalf("%s: interp.Eval: %v", c.kernel, err)
		}
		for i, o := range c.outs {
			for j, x := range exact[i].Float {
				if c.exact0 && x != 0 {
					t.Fatalf("%s: exact %s[%d] = %g, want 0 (bad test input)", c.kernel, o.name, j, x)
				}
			}
		}
		for _, tg := range targets {
			lk, err := Lower(k, tg, nil)
			if err != nil {
				t.Fatalf("%s: Lower(%s): %v", c.kernel, tg.Name, err)
			}
			args := append([]any(nil), c.inputs...)
			for _, o := range c.outs {
				args = append(args, newSlice(t, o.typ, o.n))
			}
			for _, s := range c.sizes {
				args = append(args, s)
			}
			if err := loopeval.Run(lk, args, loopeval.Options{Rand: rand.New(rand.NewSource(2))}); err != nil {
				t.Fatalf("%s/%s: %v", c.kernel, tg.Name, err)
			}
			for i, o := range c.outs {
				got, _ := decoded(t, k.Outputs[i], args[len(c.inputs)+i], o.n)
				maxAbs := 0.0
				for _, x := range exact[i].Float {
					maxAbs = math.Max(maxAbs, math.Abs(x))
				}
				var tol float64
				switch o.typ {
				case ir.F32:
					tol = 1e-4 * (1 + maxAbs)
				case ir.F64:
					tol = 1e-10 * (1 + maxAbs)
				default: // f16, exact 0: within one ulp of 0
					tol = math.Ldexp(1, -24)
				}
				for j, g := range got {
					if e := exact[i].Float[j]; !(math.Abs(g-e) <= tol) {
						t.Errorf("%s/%s K=%d: %s[%d] = %g, exact %g, error %.3g > tol %.3g",
							c.kernel, tg.Name, c.sizes[0], o.name, j, g, e, math.Abs(g-e), tol)
					}
				}
			}
		}
	}
}

// TestWideAccumulators checks the shape of the lowering of f32 reductions:
// sums and products accumulate in f64 (vector accumulators of VectorBits/64
// lanes fed by converted f32 vectors) and round to f32 once; max and min stay
// in f32.
func TestWideAccumulators(t *testing.T) {
	prog, err := frontend.Compile(frontend.Source{Name: "wide.tc", Text: []byte(`
kernel R(X: f32[K]) -> (S: f32, P: f32, M: f32) {
    S = sum(k: X[k])
    P = prod(k: X[k])
    M = max(k: X[k])
}`)})
	if err != nil {
		t.Fatalf("frontend: %v", err)
	}
	k := prog.Kernel("R")
	for _, tg := range targets {
		lk, err := Lower(k, tg, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range lk.Funcs {
			accs := map[loop.Type]int{}
			for _, v := range f.Locals {
				accs[v.T]++
			}
			lanes := 1
			if tg.VectorBits > 0 {
				lanes = tg.VectorBits / 64
			}
			wantWide := i < 2 // sum and prod
			f64acc := accs[loop.Vec(ir.F64, lanes)]
			if lanes == 1 {
				f64acc = accs[loop.Scalar(ir.F64)]
			}
			if wantWide && f64acc == 0 {
				t.Errorf("%s: func %s has no f64 accumulator of %d lanes:\n%s", tg.Name, f.Name, lanes, lk)
			}
			if !wantWide && (accs[loop.Scalar(ir.F64)] > 0 || accs[loop.Vec(ir.F64, lanes)] > 0) {
				t.Errorf("%s: func %s (max) accumulates in f64:\n%s", tg.Name, f.Name, lk)
			}
		}
	}
}
