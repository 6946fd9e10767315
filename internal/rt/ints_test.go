package rt

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// intRange returns the range of the integer type of the given width and
// signedness as big integers.
func intRange(bits int, signed bool) (lo, hi *big.Int) {
	one := big.NewInt(1)
	if signed {
		hi = new(big.Int).Lsh(one, uint(bits-1))
		lo = new(big.Int).Neg(hi)
		return lo, hi.Sub(hi, one)
	}
	hi = new(big.Int).Lsh(one, uint(bits))
	return big.NewInt(0), hi.Sub(hi, one)
}

// clampBig clamps v into [lo, hi] and returns it as the int64 bit pattern.
func clampBig(v, lo, hi *big.Int) int64 {
	if v.Cmp(lo) < 0 {
		v = lo
	}
	if v.Cmp(hi) > 0 {
		v = hi
	}
	if v.IsInt64() {
		return v.Int64()
	}
	return int64(v.Uint64())
}

// refToInt converts x per the cast semantics: NaN -> 0, round half to even,
// saturate; computed with math.RoundToEven and exact big arithmetic.
func refToInt(x float64, bits int, signed bool) int64 {
	lo, hi := intRange(bits, signed)
	switch {
	case math.IsNaN(x):
		return 0
	case math.IsInf(x, 1):
		return clampBig(hi, lo, hi)
	case math.IsInf(x, -1):
		return clampBig(lo, lo, hi)
	}
	v, _ := big.NewFloat(math.RoundToEven(x)).Int(nil)
	return clampBig(v, lo, hi)
}

func TestFloatToInt(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for bits := 1; bits <= 64; bits++ {
		for _, signed := range []bool{true, false} {
			xs := []float64{0, math.Copysign(0, -1), 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999999999999994,
				math.NaN(), math.Inf(1), math.Inf(-1), math.MaxFloat64, -math.MaxFloat64}
			for _, e := range []int{bits - 1, bits} {
				p := math.Ldexp(1, e)
				for _, d := range []float64{-1.5, -1, -0.5, -0.25, 0, 0.25, 0.5, 1, 1.5} {
					xs = append(xs, p+d, -p+d, -p-1+d)
				}
				xs = append(xs, math.Nextafter(p, 0), math.Nextafter(-p, 0), math.Nextafter(p, math.Inf(1)), math.Nextafter(-p, math.Inf(-1)))
			}
			for range 200 {
				xs = append(xs, (rng.Float64()*2-1)*math.Ldexp(1, bits+1))
				xs = append(xs, math.Floor(rng.Float64()*math.Ldexp(1, bits))+0.5)
				xs = append(xs, float64(math.Float32frombits(rng.Uint32())))
			}
			for _, x := range xs {
				if got, want := F64ToInt(x, bits, signed), refToInt(x, bits, signed); got != want {
					t.Fatalf("F64ToInt(%v, %d, %v) = %d, want %d", x, bits, signed, got, want)
				}
				x32 := float32(x)
				if got, want := F32ToInt(x32, bits, signed), refToInt(float64(x32), bits, signed); got != want {
					t.Fatalf("F32ToInt(%v, %d, %v) = %d, want %d", x32, bits, signed, got, want)
				}
			}
		}
	}
}

func TestFloatToIntExamples(t *testing.T) {
	cases := []struct {
		x      float64
		bits   int
		signed bool
		want   int64
	}{
		{2.5, 8, true, 2}, {3.5, 8, true, 4}, {-2.5, 8, true, -2}, {127.5, 8, true, 127}, {-128.5, 8, true, -128},
		{-129, 8, true, -128}, {255.5, 8, false, 255}, {-0.7, 8, false, 0}, {300, 8, false, 255},
		{1e30, 64, true, math.MaxInt64}, {-1e30, 64, true, math.MinInt64}, {math.NaN(), 32, true, 0},
		{-1.5, 4, true, -2}, {7.5, 4, true, 7}, {1.5, 1, true, 0}, {-0.6, 1, true, -1}, {0.6, 1, false, 1},
		{4294967295.4, 32, false, 4294967295}, {1e30, 64, false, -1},
	}
	for _, c := range cases {
		if got := F64ToInt(c.x, c.bits, c.signed); got != c.want {
			t.Errorf("F64ToInt(%v, %d, %v) = %d, want %d", c.x, c.bits, c.signed, got, c.want)
		}
	}
}

func TestIntSat(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for bits := 1; bits <= 64; bits++ {
		for _, signed := range []bool{true, false} {
			lo, hi := intRange(bits, signed)
			xs := []int64{0, 1, -1, math.MaxInt64, math.MinInt64}
			for _, b := range []*big.Int{lo, hi} {
				for d := int64(-2); d <= 2; d++ {
					v := new(big.Int).Add(b, big.NewInt(d))
					if v.IsInt64() {
						xs = append(xs, v.Int64())
					}
				}
			}
			for range 200 {
				xs = append(xs, int64(rng.Uint64())>>rng.IntN(64))
			}
			for _, x := range xs {
				want := clampBig(big.NewInt(x), lo, hi)
				if got := IntSat(x, bits, signed); got != want {
					t.Fatalf("IntSat(%d, %d, %v) = %d, want %d", x, bits, signed, got, want)
				}
			}
		}
	}
}
