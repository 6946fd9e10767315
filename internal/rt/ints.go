package rt

import "math"

// F64ToInt converts x to an integer of the given width (1..64) and signedness:
// round half to even, saturate to the type's range, NaN gives 0. An unsigned
// 64-bit result is returned as its two's complement bit pattern.
func F64ToInt(x float64, bits int, signed bool) int64 {
	if x != x {
		return 0
	}
	r := math.RoundToEven(x)
	if signed {
		lim := math.Ldexp(1, bits-1) // -lim is the minimum, lim-1 the maximum
		switch {
		case r >= lim:
			return 1<<(bits-1) - 1
		case r <= -lim:
			return -1 << (bits - 1)
		}
		return int64(r)
	}
	lim := math.Ldexp(1, bits)
	switch {
	case r >= lim:
		return int64(1<<bits - 1)
	case r <= 0:
		return 0
	}
	return int64(uint64(r))
}

// F32ToInt converts x like F64ToInt(float64(x), bits, signed).
func F32ToInt(x float32, bits int, signed bool) int64 {
	return F64ToInt(float64(x), bits, signed)
}

// IntSat converts the integer x to an integer of the given width (1..64) and
// signedness, saturating to the type's range. For an unsigned 64-bit target a
// negative x gives 0.
func IntSat(x int64, bits int, signed bool) int64 {
	if signed {
		hi := int64(1)<<(bits-1) - 1
		lo := int64(-1) << (bits - 1)
		return min(max(x, lo), hi)
	}
	if x < 0 {
		return 0
	}
	if bits >= 63 {
		return x
	}
	return min(x, int64(1)<<bits-1)
}
