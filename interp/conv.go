package interp

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/tensorcc/tcc/internal/rt"
	"github.com/tensorcc/tcc/ir"
)

// rep is how the interpreter holds a value of a type: every float type as float64,
// every integer type as int64 (u32 as its non-negative value), Bool as bool.
type rep uint8

const (
	repInt rep = iota
	repFloat
	repBool
)

func repOf(t ir.DType) (rep, error) {
	switch {
	case t.Class == ir.Bool:
		return repBool, nil
	case t.IsFloat():
		return repFloat, nil
	case t.IsInteger():
		if t.Bits < 1 || t.Bits > 64 || t.Class == ir.Uint && t.Bits > 32 {
			return 0, fmt.Errorf("unsupported integer type %s", t)
		}
		return repInt, nil
	}
	return 0, fmt.Errorf("invalid type %v", t)
}

// wrap returns the function that reduces an int64 modulo 2^Bits into t's range (Go
// wrap-around), or nil when that is the identity (i64).
func wrap(t ir.DType) func(int64) int64 {
	switch {
	case t.Class == ir.Int && t.Bits == 64:
		return nil
	case t.Class == ir.Int && t.Bits == 32:
		return func(x int64) int64 { return int64(int32(x)) }
	case t.Class == ir.Uint && t.Bits == 32:
		return func(x int64) int64 { return int64(uint32(x)) }
	case t.Class == ir.Int:
		sh := uint(64 - t.Bits)
		return func(x int64) int64 { return x << sh >> sh }
	case t.Class == ir.Uint:
		mask := int64(1)<<uint(t.Bits) - 1
		return func(x int64) int64 { return x & mask }
	}
	return nil
}

// intRange returns the smallest and largest values of integer type t.
func intRange(t ir.DType) (lo, hi int64) {
	if t.Class == ir.Uint {
		return 0, int64(1)<<uint(t.Bits) - 1
	}
	if t.Bits == 64 {
		return math.MinInt64, math.MaxInt64
	}
	return -(int64(1) << uint(t.Bits-1)), int64(1)<<uint(t.Bits-1) - 1
}

// intSubset reports whether every value of integer type from is a value of to.
func intSubset(from, to ir.DType) bool {
	flo, fhi := intRange(from)
	tlo, thi := intRange(to)
	return tlo <= flo && fhi <= thi
}

// floatSubset reports whether every value the interpreter can hold for an
// expression of float type from is exactly a value of to, so that a cast is the
// identity. exactStorage says the value is known to be a value of from itself
// (a tensor element), not an unrounded f32 computation.
func floatSubset(from, to ir.DType, exactStorage bool) bool {
	if to == ir.F64 {
		return true
	}
	if from == to {
		return exactStorage
	}
	if to == ir.F32 {
		switch from.Class {
		case ir.BFloat, ir.MiniFloat, ir.UMiniFloat:
			return true
		case ir.Float:
			return from.Bits == 16
		}
	}
	return false
}

func miniFloat(t ir.DType) rt.MiniFloat {
	return rt.MiniFloat{Exp: t.Exp, Man: t.Man, Signed: t.Class == ir.MiniFloat}
}

// roundFloat returns the function rounding an exact float64 to the nearest value of
// float type to (SPEC section 3 conversion), as a float64.
func roundFloat(to ir.DType) (func(float64) float64, error) {
	switch {
	case to == ir.F64:
		return func(x float64) float64 { return x }, nil
	case to == ir.F32:
		return func(x float64) float64 { return float64(float32(x)) }, nil
	case to == ir.F16:
		return func(x float64) float64 { return float64(rt.F16ToF32(rt.F64ToF16(x))) }, nil
	case to == ir.BF16:
		return func(x float64) float64 { return float64(rt.BF16ToF32(rt.F64ToBF16(x))) }, nil
	case to.Class == ir.MiniFloat || to.Class == ir.UMiniFloat:
		m := miniFloat(to)
		return func(x float64) float64 { return m.Decode(m.EncodeF64(x)) }, nil
	}
	return nil, fmt.Errorf("cannot convert to %s", to)
}

// floatToInt returns the conversion of a float64 to integer type to: round half to
// even, saturate, NaN to 0.
func floatToInt(to ir.DType) func(float64) int64 {
	b, signed := to.Bits, to.Class == ir.Int
	return func(x float64) int64 { return rt.F64ToInt(x, b, signed) }
}

// intToInt returns the saturating conversion of an integer to integer type to, or
// nil when every value of from is a value of to.
func intToInt(from, to ir.DType) func(int64) int64 {
	if from.IsInteger() && intSubset(from, to) || from.Class == ir.Bool {
		return nil
	}
	b, signed := to.Bits, to.Class == ir.Int
	return func(x int64) int64 { return rt.IntSat(x, b, signed) }
}

// i64ToF64Odd converts i to float64 rounding to odd, so that a second rounding to
// any format of at most 51 significand bits is the correctly rounded result.
func i64ToF64Odd(i int64) float64 {
	if i > -(1<<53) && i < 1<<53 {
		return float64(i)
	}
	u := uint64(i)
	if i < 0 {
		u = -u
	}
	sh := bits.Len64(u) - 53
	m := u >> uint(sh)
	if u&(uint64(1)<<uint(sh)-1) != 0 {
		m |= 1
	}
	f := math.Ldexp(float64(m), sh)
	if i < 0 {
		f = -f
	}
	return f
}

// intToFloat returns the correctly rounded conversion of an integer to float type to.
func intToFloat(to ir.DType) (func(int64) float64, error) {
	if to == ir.F64 {
		return func(x int64) float64 { return float64(x) }, nil
	}
	r, err := roundFloat(to)
	if err != nil {
		return nil, err
	}
	return func(x int64) float64 { return r(i64ToF64Odd(x)) }, nil
}
