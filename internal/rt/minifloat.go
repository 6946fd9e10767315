package rt

import "math"

// MiniFloat describes a minifloat format of SPEC section 3: eXmY (Signed) or
// ueXmY, with Exp exponent bits, Man mantissa bits and bias 2^(Exp-1)-1.
//
// Special values: e5m2 is IEEE-like (exponent all ones is infinity or NaN);
// e4m3 is the OCP "FN" format (no infinities, only S.1111.111 is NaN, max
// 448); ue8m0 is the OCP MX scale (value 2^(e-127), 0xFF is NaN, no zero and
// no subnormals); every other format is finite-only with subnormals: every
// encoding is a number.
//
// A code is held in the low 1+Exp+Man (signed) or Exp+Man (unsigned) bits of a
// byte; Decode ignores the bits above.
type MiniFloat struct {
	Exp, Man int
	Signed   bool
}

// Width returns the number of bits of one code.
func (m MiniFloat) Width() int {
	if m.Signed {
		return 1 + m.Exp + m.Man
	}
	return m.Exp + m.Man
}

func (m MiniFloat) ieee() bool    { return m.Signed && m.Exp == 5 && m.Man == 2 }
func (m MiniFloat) fn() bool      { return m.Signed && m.Exp == 4 && m.Man == 3 }
func (m MiniFloat) scaleE8() bool { return !m.Signed && m.Exp == 8 && m.Man == 0 }
func (m MiniFloat) bias() int     { return 1<<(m.Exp-1) - 1 }

// IEEE reports whether m has infinities and NaNs as IEEE formats do (e5m2:
// the largest exponent encodes them).
func (m MiniFloat) IEEE() bool { return m.ieee() }

// FN reports whether m is the OCP "FN" format (e4m3: no infinities, only
// the all-ones magnitude is NaN).
func (m MiniFloat) FN() bool { return m.fn() }

// ScaleE8 reports whether m is ue8m0, the OCP MX scale: 2^(e-127), 0xFF NaN.
func (m MiniFloat) ScaleE8() bool { return m.scaleE8() }

// Bias returns the exponent bias 2^(Exp-1)-1.
func (m MiniFloat) Bias() int      { return m.bias() }
func (m MiniFloat) magMask() uint8 { return uint8(1<<(m.Exp+m.Man) - 1) }

// Valid reports whether m is a format allowed by SPEC section 3.
func (m MiniFloat) Valid() bool {
	return m.Exp >= 1 && m.Man >= 0 && m.Width() <= 8
}

// Decode returns the value of code b (its low Width bits) exactly. It
// returns NaN for an invalid format.
func (m MiniFloat) Decode(b uint8) float64 {
	if !m.Valid() {
		return math.NaN()
	}
	b &= uint8(1<<m.Width() - 1)
	if m.scaleE8() {
		if b == 0xff {
			return math.NaN()
		}
		return math.Ldexp(1, int(b)-127)
	}
	neg := m.Signed && b>>(m.Exp+m.Man) != 0
	e := int(b>>m.Man) & (1<<m.Exp - 1)
	f := int(b) & (1<<m.Man - 1)
	var v float64
	switch {
	case m.ieee() && e == 1<<m.Exp-1:
		if f != 0 {
			return math.NaN()
		}
		v = math.Inf(1)
	case m.fn() && b&m.magMask() == m.magMask():
		return math.NaN()
	case e == 0:
		v = math.Ldexp(float64(f), 1-m.bias()-m.Man)
	default:
		v = math.Ldexp(float64(f|1<<m.Man), e-m.bias()-m.Man)
	}
	if neg {
		v = -v
	}
	return v
}

// Table returns the decode table of m: entry b is Decode(b) as a float32
// (exact: every minifloat value is a float32).
func (m MiniFloat) Table() *[256]float32 {
	var t [256]float32
	for b := range t {
		t[b] = float32(m.Decode(uint8(b)))
	}
	return &t
}

// maxCode returns the code of the largest finite positive value.
func (m MiniFloat) maxCode() uint8 {
	switch {
	case m.ieee():
		return 0x7b
	case m.scaleE8():
		return 0xfe
	case m.fn():
		return 0x7e
	}
	return m.magMask()
}

// nanCode returns the code NaN converts to: the format's NaN, else 0.
func (m MiniFloat) nanCode() uint8 {
	switch {
	case m.ieee():
		return 0x7e
	case m.fn():
		return 0x7f
	case m.scaleE8():
		return 0xff
	}
	return 0
}

// EncodeF64 converts x to the code of m, rounding the exact value to the
// nearest representable one, ties to the even code, and saturating to the
// format's finite range (SPEC section 3); ±Inf saturate too, also for e5m2,
// whose infinities only arise from decoding. NaN
// gives the format's NaN (e5m2 0x7e, e4m3 0x7f, ue8m0 0xff) or 0 where the
// format has none. Signed formats keep the sign of zero; unsigned formats
// map negative values to their smallest value (0, or 2^-127 for ue8m0).
// An invalid format gives 0.
func (m MiniFloat) EncodeF64(x float64) uint8 {
	if !m.Valid() {
		return 0
	}
	if x != x {
		return m.nanCode()
	}
	bits := math.Float64bits(x)
	var sign uint8
	if bits>>63 != 0 {
		if !m.Signed {
			return 0
		}
		sign = uint8(1) << (m.Exp + m.Man)
	}
	bits &= 1<<63 - 1
	if bits >= 0x7ff0000000000000 { // ±Inf
		return sign | m.maxCode()
	}
	// Biased exponent of x in m's format, and the 53-bit significand.
	ef := int(bits>>52) - 1023 + m.bias()
	sig := bits&(1<<52-1) | 1<<52
	if bits>>52 == 0 {
		return sign // float64 subnormal: far below half the smallest code
	}
	shift := 52 - m.Man
	if ef < 1 {
		if m.scaleE8() {
			if ef < 0 {
				return 0
			}
		} else {
			shift += 1 - ef
			ef = 1
			if shift > 60 {
				return sign // below half the smallest subnormal
			}
		}
	}
	if ef > 1<<m.Exp+1 {
		ef = 1<<m.Exp + 1 // overflows whatever the mantissa; keep shifts small
	}
	// For ue8m0 with ef == 0 (x in [2^-127, 2^-126)), ef-1 wraps to -1 and
	// the significand's leading 1 brings the code back to 0, as it should.
	code := uint(ef-1)<<m.Man + uint(sig>>shift)
	rem := sig & (1<<shift - 1)
	half := uint64(1) << (shift - 1)
	if rem > half || rem == half && code&1 != 0 {
		code++
	}
	if code > uint(m.maxCode()) {
		return sign | m.maxCode()
	}
	return sign | uint8(code)
}

// EncodeF32 converts x to the code of m exactly as EncodeF64(float64(x)).
func (m MiniFloat) EncodeF32(x float32) uint8 { return m.EncodeF64(float64(x)) }
