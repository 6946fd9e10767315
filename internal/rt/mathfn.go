package rt

import "math"

// Erf returns the error function of x (math.Erf; here for symmetry with Erf32).
func Erf(x float64) float64 { return math.Erf(x) }

// Erf32 returns the error function of x, computed in float64 and rounded once.
func Erf32(x float32) float32 { return float32(math.Erf(float64(x))) }

// Gelu returns the exact (erf form) GELU: x/2 * (1 + erf(x/sqrt 2)), computed
// as x/2 * erfc(-x/sqrt 2), which keeps full relative accuracy for x < 0.
func Gelu(x float64) float64 { return 0.5 * x * math.Erfc(-x*(1/math.Sqrt2)) }

// Gelu32 returns Gelu of x computed in float64 and rounded once.
func Gelu32(x float32) float32 { return float32(Gelu(float64(x))) }

// Sigmoid returns 1/(1+e^-x) without overflow for large |x|.
func Sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// Sigmoid32 returns Sigmoid of x computed in float64 and rounded once.
func Sigmoid32(x float32) float32 { return float32(Sigmoid(float64(x))) }

// Silu returns x * Sigmoid(x).
func Silu(x float64) float64 { return x * Sigmoid(x) }

// Silu32 returns Silu of x computed in float64 and rounded once.
func Silu32(x float32) float32 { return float32(Silu(float64(x))) }

// Rsqrt returns 1/sqrt(x).
func Rsqrt(x float64) float64 { return 1 / math.Sqrt(x) }

// Rsqrt32 returns 1/sqrt(x) computed in float64 and rounded once.
func Rsqrt32(x float32) float32 { return float32(1 / math.Sqrt(float64(x))) }

// RoundEven rounds x to the nearest integer, ties to even (math.RoundToEven).
func RoundEven(x float64) float64 { return math.RoundToEven(x) }

// RoundEven32 rounds x to the nearest integer, ties to even.
func RoundEven32(x float32) float32 { return float32(math.RoundToEven(float64(x))) }

// Integer is the set of integer compute types of tcc.
type Integer interface {
	~int | ~int32 | ~int64 | ~uint32
}

// FloorDiv returns a/b rounded toward negative infinity, and 0 when b == 0
// (tcc's integer division never panics). The most negative value divided by
// -1 wraps to itself, as in Go.
func FloorDiv[T Integer](a, b T) T {
	if b == 0 {
		return 0
	}
	q := a / b
	if r := a % b; r != 0 && (r < 0) != (b < 0) {
		q--
	}
	return q
}

// FloorMod returns the remainder of FloorDiv: a - b*FloorDiv(a, b), which has
// the sign of b (non-negative for the positive divisors tcc allows), and 0
// when b == 0.
func FloorMod[T Integer](a, b T) T {
	if b == 0 {
		return 0
	}
	r := a % b
	if r != 0 && (r < 0) != (b < 0) {
		r += b
	}
	return r
}
