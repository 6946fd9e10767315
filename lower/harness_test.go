package lower

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/tensorcc/tcc/internal/loopeval"
	"github.com/tensorcc/tcc/internal/rt"
	"github.com/tensorcc/tcc/interp"
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
	"github.com/tensorcc/tcc/schedule"
)

var targets = []loop.Target{loop.TargetGo, loop.TargetAVX2, loop.TargetAVX512}

// randomArg returns a random argument for tensor t with the given sizes.
func randomArg(rng *rand.Rand, t *ir.Tensor, sizes []int) any {
	if t.Kind == ir.Scalar {
		return randomScalar(rng, t.Type)
	}
	n := t.Count(sizes)
	if t.Type.IsPacked() {
		b := make([]byte, t.Type.StorageBytes(n))
		rng.Read(b)
		return b
	}
	switch t.Type.GoType() {
	case "float64":
		s := make([]float64, n)
		for i := range s {
			s[i] = rng.Float64()*4 - 2
		}
		return s
	case "float32":
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(rng.Float64()*4 - 2)
		}
		return s
	case "uint16":
		s := make([]uint16, n)
		for i := range s {
			x := float32(rng.Float64()*4 - 2)
			if t.Type.Class == ir.BFloat {
				s[i] = rt.F32ToBF16(x)
			} else if t.Type.IsFloat() {
				s[i] = rt.F32ToF16(x)
			} else {
				s[i] = uint16(rng.Intn(1 << 16))
			}
		}
		return s
	case "int64":
		s := make([]int64, n)
		for i := range s {
			s[i] = int64(rng.Intn(201) - 100)
		}
		return s
	case "int32":
		s := make([]int32, n)
		for i := range s {
			s[i] = int32(rng.Intn(201) - 100)
		}
		return s
	case "int16":
		s := make([]int16, n)
		for i := range s {
			s[i] = int16(rng.Intn(1 << 16))
		}
		return s
	case "int8":
		s := make([]int8, n)
		for i := range s {
			s[i] = int8(rng.Intn(256))
		}
		return s
	case "uint32":
		s := make([]uint32, n)
		for i := range s {
			s[i] = uint32(rng.Intn(1000))
		}
		return s
	case "uint8":
		s := make([]uint8, n)
		rng.Read(s)
		if t.Type.IsFloat() { // avoid NaN encodings
			m := rt.MiniFloat{Exp: t.Type.Exp, Man: t.Type.Man, Signed: t.Type.Class == ir.MiniFloat}
			for i := range s {
				for math.IsNaN(m.Decode(s[i])) || math.IsInf(m.Decode(s[i]), 0) {
					s[i] = uint8(rng.Intn(256))
				}
			}
		}
		return s
	}
	panic("no random argument for " + t.Type.String())
}

func randomScalar(rng *rand.Rand, t ir.DType) any {
	switch t.GoType() {
	case "float64":
		return rng.Float64()*4 - 2
	case "float32":
		return float32(rng.Float64()*4 - 2)
	case "int32":
		return int32(rng.Intn(21) - 10)
	case "int64":
		return int64(rng.Intn(21) - 10)
	}
	panic("no random scalar for " + t.String())
}

// clone copies a slice argument.
func clone(a any) any {
	switch s := a.(type) {
	case []float64:
		return append([]float64(nil), s...)
	case []float32:
		return append([]float32(nil), s...)
	case []uint16:
		return append([]uint16(nil), s...)
	case []int64:
		return append([]int64(nil), s...)
	case []int32:
		return append([]int32(nil), s...)
	case []int16:
		return append([]int16(nil), s...)
	case []int8:
		return append([]int8(nil), s...)
	case []uint32:
		return append([]uint32(nil), s...)
	case []uint8:
		return append([]uint8(nil), s...)
	}
	return a
}

// newSlice returns a garbage-filled buffer of n elements of typ.
func newSlice(t testing.TB, typ ir.DType, n int) any {
	t.Helper()
	s, err := loopeval.NewSlice(typ, n)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// decoded returns the output buffer's elements as float64 (for float types) or
// int64 values, using the test evaluator's storage decoding.
func decoded(t testing.TB, o *ir.Tensor, a any, n int) ([]float64, []int64) {
	t.Helper()
	fs, is, err := loopeval.Decode(o.Type, a, n)
	if err != nil {
		t.Fatalf("output %s: %v", o.Name, err)
	}
	return fs, is
}

// check lowers k for every target and compares the loop-IR evaluation with the
// reference interpreter on random inputs, for each size assignment.
func check(t *testing.T, k *ir.Kernel, sizeSets ...[]int) {
	t.Helper()
	checkPlanned(t, k, nil, sizeSets...)
}

// checkPlanned is check with the default plan changed by modify (nil:
// unchanged) before lowering.
func checkPlanned(t *testing.T, k *ir.Kernel, modify func(*schedule.Plan), sizeSets ...[]int) {
	t.Helper()
	if len(sizeSets) == 0 {
		sizeSets = [][]int{nil}
	}
	for _, tg := range targets {
		plan, err := DefaultPlan(k, tg)
		if err != nil {
			t.Fatalf("%s: DefaultPlan(%s): %v", k.Name, tg.Name, err)
		}
		if modify != nil {
			modify(plan)
		}
		lk, err := Lower(k, tg, plan)
		if err != nil {
			t.Fatalf("%s: Lower(%s): %v", k.Name, tg.Name, err)
		}
		for si, sizes := range sizeSets {
			rng := rand.New(rand.NewSource(int64(si*7 + 1)))
			args := make([]any, 0, len(k.Params)+len(k.Outputs)+len(sizes))
			for _, p := range k.Params {
				args = append(args, randomArg(rng, p, sizes))
			}
			refArgs := append([]any(nil), args...)
			gotArgs := append([]any(nil), args...)
			for _, o := range k.Outputs {
				n := o.Count(sizes)
				refArgs = append(refArgs, newSlice(t, o.Type, n))
				gotArgs = append(gotArgs, newSlice(t, o.Type, n))
			}
			for _, s := range sizes {
				refArgs = append(refArgs, s)
				gotArgs = append(gotArgs, s)
			}
			exact, err := interp.Eval(k, refArgs...)
			if err != nil {
				t.Fatalf("%s sizes %v: interp.Eval: %v", k.Name, sizes, err)
			}
			if err := interp.Call(k, refArgs...); err != nil {
				t.Fatalf("%s sizes %v: interp.Call: %v", k.Name, sizes, err)
			}
			inputs := make([]any, len(k.Params))
			for i := range inputs {
				inputs[i] = clone(args[i])
			}
			if err := loopeval.Run(lk, gotArgs, loopeval.Options{Rand: rng}); err != nil {
				t.Fatalf("%s/%s sizes %v: %v\n%s", k.Name, tg.Name, sizes, err, lk)
			}
			for i, o := range k.Outputs {
				n := o.Count(sizes)
				where := fmt.Sprintf("%s/%s sizes %v output %s", k.Name, tg.Name, sizes, o.Name)
				compare(t, where, o, exact[i], refArgs[len(k.Params)+i], gotArgs[len(k.Params)+i], n, lk)
				if o.Type.IsPacked() {
					ref := refArgs[len(k.Params)+i].([]byte)
					got := gotArgs[len(k.Params)+i].([]byte)
					if len(got) > 0 && got[len(got)-1] != ref[len(ref)-1] {
						t.Errorf("%s: last byte %#x, want %#x (padding bits)", where, got[len(got)-1], ref[len(ref)-1])
					}
				}
			}
		}
	}
}

func compare(t *testing.T, where string, o *ir.Tensor, exact interp.Output, ref, got any, n int, lk *loop.Kernel) {
	t.Helper()
	gf, gi := decoded(t, o, got, n)
	rf, ri := decoded(t, o, ref, n)
	if !o.Type.IsFloat() {
		for i := range n {
			if gi[i] != ri[i] {
				t.Fatalf("%s[%d] = %d, want %d\n%s", where, i, gi[i], ri[i], lk)
			}
		}
		return
	}
	maxAbs := 0.0
	for _, x := range exact.Float {
		if a := math.Abs(x); a > maxAbs && !math.IsInf(a, 0) {
			maxAbs = a
		}
	}
	tol := 1e-4 * (1 + maxAbs)
	switch {
	case o.Type == ir.F64:
		tol = 1e-10 * (1 + maxAbs)
	case o.Type.Bits < 32:
		tol = 0 // compared against the reference's rounding, within one step below
	}
	for i := range n {
		g, r := gf[i], rf[i]
		if math.IsNaN(r) || math.IsInf(r, 0) {
			if !(math.IsNaN(r) && math.IsNaN(g)) && g != r {
				t.Fatalf("%s[%d] = %v, want %v\n%s", where, i, g, r, lk)
			}
			continue
		}
		if tol == 0 {
			// One unit of the output type around the reference's rounding.
			if g != r && math.Abs(g-exact.Float[i]) > 2*math.Abs(r-exact.Float[i])+1e-3*(1+maxAbs) {
				t.Fatalf("%s[%d] = %v, want %v (exact %v)\n%s", where, i, g, r, exact.Float[i], lk)
			}
			continue
		}
		if math.Abs(g-exact.Float[i]) > tol {
			t.Fatalf("%s[%d] = %v, want %v (exact %v, tol %g)\n%s", where, i, g, r, exact.Float[i], tol, lk)
		}
	}
}
