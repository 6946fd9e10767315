package rt

import "math"

// F16ToF32 converts IEEE binary16 bits to float32 exactly. NaN payloads are
// kept (shifted into the float32 payload).
func F16ToF32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	o := uint32(h&0x7fff) << 13 // exponent and mantissa in float32 position
	exp := o & 0x0f800000
	o += (127 - 15) << 23 // rebias
	switch exp {
	case 0x0f800000: // inf or NaN
		o += (128 - 16) << 23
	case 0: // zero or subnormal: renormalise with one float subtraction
		o += 1 << 23
		o = math.Float32bits(math.Float32frombits(o) - 0x1p-14)
	}
	return math.Float32frombits(o | sign)
}

// F32ToF16 converts a float32 to IEEE binary16 bits, rounding to nearest with
// ties to even. Overflow gives infinity, tiny values give subnormals or zero
// (with the sign kept), and NaN gives a quiet NaN with the input's sign.
func F32ToF16(f float32) uint16 {
	x := math.Float32bits(f)
	a := x & 0x7fffffff
	var h uint32
	if a < (127-14)<<23 { // |f| < 2^-14: subnormal or zero
		// Adding 0.5 (whose ulp is 2^-24) rounds |f| to a multiple of the f16
		// subnormal step, ties to even, in the float32 unit.
		h = math.Float32bits(math.Float32frombits(a)+0.5) - 0x3f000000
	} else {
		// Round half to even and rebias; anything at or past 2^16 is infinity,
		// and NaN also gets the quiet bit 0x200.
		h = min((a+0xfff+(a>>13)&1-(127-15)<<23)>>13, 0x7c00) | (0x7f800000-a)>>31<<9
	}
	return uint16(x>>16)&0x8000 | uint16(h)
}

// F64ToF16 converts a float64 to IEEE binary16 bits with a single rounding to
// nearest, ties to even (no double rounding through float32). Overflow gives
// infinity, NaN a quiet NaN with the input's sign.
func F64ToF16(f float64) uint16 {
	x := math.Float64bits(f)
	sign := uint16(x>>48) & 0x8000
	x &= 1<<63 - 1
	switch {
	case x >= (1023+16)<<52:
		if x > 0x7ff0000000000000 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case x < (1023-14)<<52:
		// 2^28 has an ulp of 2^-24, the f16 subnormal step.
		s := math.Float64frombits(x) + 0x1p28
		return sign | uint16(math.Float64bits(s)-(1023+28)<<52)
	}
	odd := (x >> 42) & 1
	x += 1<<41 - 1 + odd
	x -= (1023 - 15) << 52
	return sign | uint16(x>>42)
}

// BF16ToF32 converts bfloat16 bits to float32 exactly.
func BF16ToF32(h uint16) float32 {
	return math.Float32frombits(uint32(h) << 16)
}

// F32ToBF16 converts a float32 to bfloat16 bits, rounding to nearest with ties
// to even. Overflow gives infinity, NaN a quiet NaN with the input's sign.
func F32ToBF16(f float32) uint16 {
	x := math.Float32bits(f)
	if x&0x7fffffff > 0x7f800000 {
		return uint16(x>>16) | 0x0040
	}
	x += 0x7fff + (x>>16)&1
	return uint16(x >> 16)
}

// F64ToBF16 converts a float64 to bfloat16 bits with a single rounding to
// nearest, ties to even. Overflow gives infinity, tiny values bfloat16
// subnormals or zero, NaN a quiet NaN with the input's sign.
func F64ToBF16(f float64) uint16 {
	x := math.Float64bits(f)
	sign := uint16(x>>48) & 0x8000
	x &= 1<<63 - 1
	switch {
	case x >= (1023+128)<<52:
		if x > 0x7ff0000000000000 {
			return sign | 0x7fc0
		}
		return sign | 0x7f80
	case x < (1023-126)<<52:
		// 2^-81 has an ulp of 2^-133, the bfloat16 subnormal step.
		s := math.Float64frombits(x) + 0x1p-81
		return sign | uint16(math.Float64bits(s)-(1023-81)<<52)
	}
	odd := (x >> 45) & 1
	x += 1<<44 - 1 + odd
	x -= (1023 - 127) << 52
	return sign | uint16(x>>45)
}
