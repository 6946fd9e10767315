package rt

import (
	"math"
	"math/rand/v2"
	"testing"
)

// refF16 decodes binary16 from the format's definition.
func refF16(h uint32) float64 {
	s, e, m := h>>15&1, int(h>>10&31), float64(h&1023)
	var v float64
	switch e {
	case 31:
		if m != 0 {
			return math.NaN()
		}
		v = math.Inf(1)
	case 0:
		v = math.Ldexp(m, -24)
	default:
		v = math.Ldexp(1024+m, e-25)
	}
	if s != 0 {
		v = -v
	}
	return v
}

// refBF16 decodes bfloat16 from the format's definition (8-bit exponent,
// bias 127, 7 mantissa bits).
func refBF16(h uint32) float64 {
	s, e, m := h>>15&1, int(h>>7&255), float64(h&127)
	var v float64
	switch e {
	case 255:
		if m != 0 {
			return math.NaN()
		}
		v = math.Inf(1)
	case 0:
		v = math.Ldexp(m, -133)
	default:
		v = math.Ldexp(128+m, e-134)
	}
	if s != 0 {
		v = -v
	}
	return v
}

func TestF16ToF32Exhaustive(t *testing.T) {
	for h := range 1 << 16 {
		got := F16ToF32(uint16(h))
		want := refF16(uint32(h))
		if math.IsNaN(want) {
			if !math.IsNaN(float64(got)) {
				t.Errorf("F16ToF32(%#04x) = %v, want NaN", h, got)
			}
			continue
		}
		if float64(got) != want || math.Signbit(float64(got)) != math.Signbit(want) {
			t.Errorf("F16ToF32(%#04x) = %v, want %v", h, got, want)
		}
	}
}

func TestBF16ToF32Exhaustive(t *testing.T) {
	for h := range 1 << 16 {
		got := BF16ToF32(uint16(h))
		want := refBF16(uint32(h))
		if math.IsNaN(want) {
			if !math.IsNaN(float64(got)) {
				t.Errorf("BF16ToF32(%#04x) = %v, want NaN", h, got)
			}
			continue
		}
		if float64(got) != want || math.Signbit(float64(got)) != math.Signbit(want) {
			t.Errorf("BF16ToF32(%#04x) = %v, want %v", h, got, want)
		}
	}
}

func TestToF16(t *testing.T) {
	ref := newRefFormat("f16", 1<<16, 0x8000, refF16)
	isNaN := func(c uint32) bool { return math.IsNaN(refF16(c)) }
	rng := rand.New(rand.NewPCG(1, 2))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for _, x := range ref.probes(rng, n) {
		checkEncode(t, ref, "F64ToF16", x, uint32(F64ToF16(x)), isNaN)
		// float32 inputs: every float32 is a float64 exactly.
		x32 := float32(x)
		checkEncode(t, ref, "F32ToF16", float64(x32), uint32(F32ToF16(x32)), isNaN)
		if t.Failed() {
			return
		}
	}
}

func TestToBF16(t *testing.T) {
	ref := newRefFormat("bf16", 1<<16, 0x8000, refBF16)
	isNaN := func(c uint32) bool { return math.IsNaN(refBF16(c)) }
	rng := rand.New(rand.NewPCG(3, 4))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for _, x := range ref.probes(rng, n) {
		checkEncode(t, ref, "F64ToBF16", x, uint32(F64ToBF16(x)), isNaN)
		x32 := float32(x)
		checkEncode(t, ref, "F32ToBF16", float64(x32), uint32(F32ToBF16(x32)), isNaN)
		if t.Failed() {
			return
		}
	}
}

func TestF16RoundTrip(t *testing.T) {
	// Every non-NaN f16 survives F16ToF32 followed by either encoder.
	for h := range 1 << 16 {
		f := F16ToF32(uint16(h))
		if f != f {
			continue
		}
		if got := F32ToF16(f); got != uint16(h) {
			t.Errorf("F32ToF16(F16ToF32(%#04x)) = %#04x", h, got)
		}
		if got := F64ToF16(float64(f)); got != uint16(h) {
			t.Errorf("F64ToF16(F16ToF32(%#04x)) = %#04x", h, got)
		}
		b := BF16ToF32(uint16(h))
		if b != b {
			continue
		}
		if got := F32ToBF16(b); got != uint16(h) {
			t.Errorf("F32ToBF16(BF16ToF32(%#04x)) = %#04x", h, got)
		}
	}
}

func TestF16Examples(t *testing.T) {
	cases := []struct {
		x    float64
		want uint16
	}{
		{1, 0x3c00}, {-2, 0xc000}, {65504, 0x7bff}, {65519.99, 0x7bff}, {65520, 0x7c00},
		{0x1p-24, 0x0001}, {0x1p-25, 0x0000}, {0x1.000001p-25, 0x0001}, {0x1.8p-24, 0x0002},
		{math.Copysign(0, -1), 0x8000}, {1 + 0x1p-11, 0x3c00}, {1 + 0x1p-11 + 0x1p-30, 0x3c01}, {1 + 3*0x1p-11, 0x3c02},
		{math.Inf(-1), 0xfc00},
	}
	for _, c := range cases {
		if got := F64ToF16(c.x); got != c.want {
			t.Errorf("F64ToF16(%v) = %#04x, want %#04x", c.x, got, c.want)
		}
	}
	// Double rounding: 1 + 2^-11 + 2^-40 rounds up in one step, but to 1 via float32.
	x := 1 + 0x1p-11 + 0x1p-40
	if got := F64ToF16(x); got != 0x3c01 {
		t.Errorf("F64ToF16(1+2^-11+2^-40) = %#04x, want 0x3c01 (single rounding)", got)
	}
}

var sinkU16 uint16

func BenchmarkF32ToF16(b *testing.B) {
	x := float32(1.2345)
	for b.Loop() {
		sinkU16 += F32ToF16(x)
		x += 0.001
	}
}

func BenchmarkEncodeE4M3(b *testing.B) {
	m := MiniFloat{Exp: 4, Man: 3, Signed: true}
	x := float32(1.2345)
	for b.Loop() {
		sinkU16 += uint16(m.EncodeF32(x))
		x += 0.001
	}
}
