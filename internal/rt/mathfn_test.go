package rt

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

func close(got, want, rel, abs float64) bool {
	return math.Abs(got-want) <= abs+rel*math.Abs(want)
}

func TestActivations(t *testing.T) {
	for i := -4000; i <= 4000; i++ {
		x := float64(i) / 100
		// Gelu is x times the standard normal CDF. erfc's condition number
		// grows like x^2, so one rounding of x/sqrt 2 costs about x^2 ulps.
		if got, want := Gelu(x), x*distuv.UnitNormal.CDF(x); !close(got, want, 1e-14*(1+x*x), 1e-300) {
			t.Errorf("Gelu(%v) = %v, want %v", x, got, want)
		}
		// The textbook form is accurate for |x| < 700 (Sigmoid uses e^x/(1+e^x) for x < 0).
		want := 1 / (1 + math.Exp(-x))
		if got := Sigmoid(x); !close(got, want, 1e-13, 1e-300) {
			t.Errorf("Sigmoid(%v) = %v, want %v", x, got, want)
		}
		if got := Silu(x); !close(got, x*want, 1e-13, 1e-300) {
			t.Errorf("Silu(%v) = %v, want %v", x, got, x*want)
		}
		x32 := float32(x)
		if got, want := Gelu32(x32), float64(x32)*distuv.UnitNormal.CDF(float64(x32)); !close(float64(got), want, 1e-7, 1e-38) {
			t.Errorf("Gelu32(%v) = %v, want %v", x32, got, want)
		}
		if got, want := Erf32(x32), math.Erf(float64(x32)); !close(float64(got), want, 1e-7, 1e-38) {
			t.Errorf("Erf32(%v) = %v, want %v", x32, got, want)
		}
		s := Sigmoid32(x32)
		if !close(float64(s), Sigmoid(float64(x32)), 1e-7, 1e-38) {
			t.Errorf("Sigmoid32(%v) = %v", x32, s)
		}
		if got := Silu32(x32); !close(float64(got), float64(x32)*Sigmoid(float64(x32)), 1e-7, 1e-38) {
			t.Errorf("Silu32(%v) = %v", x32, got)
		}
	}
	// Known values of x*Phi(x).
	for _, c := range []struct{ x, want float64 }{
		{1, 0.8413447460685429}, {-1, -0.15865525393145707}, {-5, -5 * 2.866515718791939e-07}, {0, 0}, {3, 3 * 0.9986501019683699},
	} {
		if got := Gelu(c.x); !close(got, c.want, 1e-14, 0) {
			t.Errorf("Gelu(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	for _, x := range []float64{-1000, -745, 745, 1000, math.Inf(1), math.Inf(-1)} {
		s := Sigmoid(x)
		if math.IsNaN(s) || s < 0 || s > 1 {
			t.Errorf("Sigmoid(%v) = %v, want in [0, 1]", x, s)
		}
	}
	if Sigmoid(math.Inf(1)) != 1 || Sigmoid(math.Inf(-1)) != 0 {
		t.Errorf("Sigmoid(±Inf) = %v, %v, want 1, 0", Sigmoid(math.Inf(1)), Sigmoid(math.Inf(-1)))
	}
}

func TestRsqrtRound(t *testing.T) {
	for _, x := range []float64{0.25, 1, 2, 3, 1e-300, 1e300, 12345.678} {
		if got, want := Rsqrt(x), math.Pow(x, -0.5); !close(got, want, 1e-15, 0) {
			t.Errorf("Rsqrt(%v) = %v, want %v", x, got, want)
		}
		if got, want := Rsqrt32(float32(x)), math.Pow(float64(float32(x)), -0.5); !close(float64(got), want, 1e-7, 0) && !math.IsInf(float64(got), 0) {
			t.Errorf("Rsqrt32(%v) = %v, want %v", float32(x), got, want)
		}
	}
	if !math.IsInf(Rsqrt(0), 1) || !math.IsNaN(Rsqrt(-1)) {
		t.Errorf("Rsqrt(0), Rsqrt(-1) = %v, %v, want +Inf, NaN", Rsqrt(0), Rsqrt(-1))
	}
	cases := []struct{ x, want float64 }{
		{0.5, 0}, {1.5, 2}, {2.5, 2}, {-0.5, 0}, {-1.5, -2}, {-2.5, -2}, {2.4, 2}, {2.6, 3}, {1e20, 1e20},
		{0x1.fffffep22, 0x1p23}, {8388609, 8388609},
	}
	for _, c := range cases {
		if got := RoundEven(c.x); got != c.want {
			t.Errorf("RoundEven(%v) = %v, want %v", c.x, got, c.want)
		}
		if got := RoundEven32(float32(c.x)); got != float32(c.want) {
			t.Errorf("RoundEven32(%v) = %v, want %v", c.x, got, c.want)
		}
	}
}

func TestFloorDivMod(t *testing.T) {
	for a := -60; a <= 60; a++ {
		for b := -13; b <= 13; b++ {
			wantQ, wantR := 0, 0
			if b != 0 {
				wantQ = int(math.Floor(float64(a) / float64(b)))
				wantR = a - b*wantQ
			}
			if got := FloorDiv(int64(a), int64(b)); got != int64(wantQ) {
				t.Errorf("FloorDiv(%d, %d) = %d, want %d", a, b, got, wantQ)
			}
			if got := FloorDiv(int32(a), int32(b)); got != int32(wantQ) {
				t.Errorf("FloorDiv[int32](%d, %d) = %d, want %d", a, b, got, wantQ)
			}
			if got := FloorMod(a, b); got != wantR {
				t.Errorf("FloorMod(%d, %d) = %d, want %d", a, b, got, wantR)
			}
			if a >= 0 && b >= 0 {
				if got := FloorDiv(uint32(a), uint32(b)); got != uint32(wantQ) {
					t.Errorf("FloorDiv[uint32](%d, %d) = %d, want %d", a, b, got, wantQ)
				}
			}
		}
	}
	if got := FloorDiv(int64(math.MinInt64), -1); got != math.MinInt64 {
		t.Errorf("FloorDiv(MinInt64, -1) = %d, want MinInt64 (wraps)", got)
	}
	if got := FloorDiv(int32(math.MinInt32), -1); got != math.MinInt32 {
		t.Errorf("FloorDiv(MinInt32, -1) = %d, want MinInt32 (wraps)", got)
	}
	if got := FloorDiv(uint32(math.MaxUint32), 2); got != math.MaxUint32/2 {
		t.Errorf("FloorDiv(MaxUint32, 2) = %d", got)
	}
}
