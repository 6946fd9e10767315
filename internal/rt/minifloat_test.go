package rt

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// allMiniFloats lists every format SPEC section 3 allows.
func allMiniFloats() []MiniFloat {
	var fs []MiniFloat
	for x := 1; x <= 8; x++ {
		for y := 0; x+y <= 8; y++ {
			if 1+x+y <= 8 {
				fs = append(fs, MiniFloat{Exp: x, Man: y, Signed: true})
			}
			fs = append(fs, MiniFloat{Exp: x, Man: y})
		}
	}
	return fs
}

func mfName(m MiniFloat) string {
	if m.Signed {
		return fmt.Sprintf("e%dm%d", m.Exp, m.Man)
	}
	return fmt.Sprintf("ue%dm%d", m.Exp, m.Man)
}

// refMini decodes code c of m (c < 2^width) from SPEC section 3's definition.
func refMini(m MiniFloat, c uint32) float64 {
	x, y := m.Exp, m.Man
	if !m.Signed && x == 8 && y == 0 { // ue8m0: 2^(e-127), 0xFF NaN
		if c == 255 {
			return math.NaN()
		}
		return math.Pow(2, float64(c)-127)
	}
	mag := c % (1 << (x + y))
	neg := m.Signed && c>>(x+y) == 1
	e, f := int(mag>>y), float64(mag%(1<<y))
	bias := math.Pow(2, float64(x-1)) - 1
	var v float64
	switch {
	case m.Signed && x == 5 && y == 2 && e == 31: // IEEE-like e5m2
		if f != 0 {
			return math.NaN()
		}
		v = math.Inf(1)
	case m.Signed && x == 4 && y == 3 && mag == 127: // e4m3 FN: only S.1111.111 is NaN
		return math.NaN()
	case e == 0:
		v = math.Pow(2, 1-bias) * f / math.Pow(2, float64(y))
	default:
		v = math.Pow(2, float64(e)-bias) * (1 + f/math.Pow(2, float64(y)))
	}
	if neg {
		v = -v
	}
	return v
}

func sameFloat(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return a == b && math.Signbit(a) == math.Signbit(b)
}

func TestMiniFloatValid(t *testing.T) {
	if n := len(allMiniFloats()); n != 28+36 {
		t.Fatalf("%d formats, want 64", n)
	}
	for _, m := range allMiniFloats() {
		if !m.Valid() {
			t.Errorf("%s not valid", mfName(m))
		}
	}
	for _, m := range []MiniFloat{{0, 3, true}, {4, 4, true}, {8, 0, true}, {5, 4, false}, {0, 0, false}, {2, -1, true}} {
		if m.Valid() {
			t.Errorf("%+v valid", m)
		}
	}
}

func TestMiniFloatDecode(t *testing.T) {
	for _, m := range allMiniFloats() {
		w := m.Width()
		tab := m.Table()
		for b := range 256 {
			want := refMini(m, uint32(b)%(1<<w)) // bits above the width are ignored
			if got := m.Decode(uint8(b)); !sameFloat(got, want) {
				t.Errorf("%s.Decode(%#02x) = %v, want %v", mfName(m), b, got, want)
			}
			if got := float64(tab[b]); !sameFloat(got, want) {
				t.Errorf("%s.Table()[%#02x] = %v, want %v", mfName(m), b, got, want)
			}
		}
	}
}

func TestMiniFloatKnownValues(t *testing.T) {
	e2m1 := MiniFloat{Exp: 2, Man: 1, Signed: true}
	for c, want := range []float64{0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6} {
		if got := e2m1.Decode(uint8(c)); got != want {
			t.Errorf("e2m1 %#x = %v, want %v", c, got, want)
		}
	}
	cases := []struct {
		m    MiniFloat
		code uint8
		want float64
	}{
		{MiniFloat{4, 3, true}, 0x7e, 448},
		{MiniFloat{4, 3, true}, 0x01, 0x1p-9},
		{MiniFloat{4, 3, true}, 0x78, 256},
		{MiniFloat{4, 3, true}, 0xfe, -448},
		{MiniFloat{5, 2, true}, 0x7b, 57344},
		{MiniFloat{5, 2, true}, 0x7c, math.Inf(1)},
		{MiniFloat{5, 2, true}, 0xfc, math.Inf(-1)},
		{MiniFloat{5, 2, true}, 0x01, 0x1p-16},
		{MiniFloat{3, 2, true}, 0x1f, 28},
		{MiniFloat{2, 3, true}, 0x1f, 7.5},
		{MiniFloat{8, 0, false}, 0x7f, 1},
		{MiniFloat{8, 0, false}, 0x00, 0x1p-127},
		{MiniFloat{8, 0, false}, 0xfe, 0x1p127},
		{MiniFloat{4, 3, false}, 0x7f, 480},
		{MiniFloat{4, 3, false}, 0xff, 480}, // high bit ignored
		{MiniFloat{1, 0, true}, 0x1, 2},     // bias 0: ±{0, 2}
		{MiniFloat{1, 0, true}, 0x3, -2},
	}
	for _, c := range cases {
		if got := c.m.Decode(c.code); got != c.want {
			t.Errorf("%s.Decode(%#x) = %v, want %v", mfName(c.m), c.code, got, c.want)
		}
	}
	for _, c := range []struct {
		m    MiniFloat
		code uint8
	}{{MiniFloat{4, 3, true}, 0x7f}, {MiniFloat{4, 3, true}, 0xff}, {MiniFloat{5, 2, true}, 0x7d}, {MiniFloat{8, 0, false}, 0xff}} {
		if got := c.m.Decode(c.code); !math.IsNaN(got) {
			t.Errorf("%s.Decode(%#x) = %v, want NaN", mfName(c.m), c.code, got)
		}
	}
}

func TestMiniFloatEncode(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n := 2000
	if testing.Short() {
		n = 200
	}
	for _, m := range allMiniFloats() {
		w := m.Width()
		var signBit uint32
		if m.Signed {
			signBit = 1 << (w - 1)
		}
		ref := newRefFormat(mfName(m), 1<<w, signBit, func(c uint32) float64 { return refMini(m, c) })
		ref.saturate = true
		hasNaN := false
		for c := range 1 << w {
			hasNaN = hasNaN || math.IsNaN(refMini(m, uint32(c)))
		}
		isNaN := func(c uint32) bool {
			if !hasNaN {
				return c == 0 // NaN converts to 0 in formats without NaN
			}
			return math.IsNaN(refMini(m, c))
		}
		for _, x := range ref.probes(rng, n) {
			checkEncode(t, ref, "EncodeF64", x, uint32(m.EncodeF64(x)), isNaN)
			x32 := float32(x)
			checkEncode(t, ref, "EncodeF32", float64(x32), uint32(m.EncodeF32(x32)), isNaN)
			if t.Failed() {
				return
			}
		}
	}
}

func TestMiniFloatEncodeExamples(t *testing.T) {
	e4m3 := MiniFloat{4, 3, true}
	e5m2 := MiniFloat{5, 2, true}
	e2m1 := MiniFloat{2, 1, true}
	ue8m0 := MiniFloat{8, 0, false}
	ue4m3 := MiniFloat{4, 3, false}
	negZero := math.Copysign(0, -1)
	cases := []struct {
		m    MiniFloat
		x    float64
		want uint8
	}{
		{e4m3, 448, 0x7e}, {e4m3, 464, 0x7e}, {e4m3, 1e9, 0x7e}, {e4m3, math.Inf(1), 0x7e},
		{e4m3, math.Inf(-1), 0xfe}, {e4m3, math.NaN(), 0x7f}, {e4m3, negZero, 0x80}, {e4m3, -0x1p-11, 0x80},
		{e5m2, 57344, 0x7b}, {e5m2, 61439, 0x7b}, {e5m2, 61440, 0x7b}, {e5m2, 1e9, 0x7b}, {e5m2, math.Inf(1), 0x7b}, {e5m2, math.Inf(-1), 0xfb}, {e5m2, math.NaN(), 0x7e},
		{e2m1, 2.5, 0x4}, {e2m1, 3.5, 0x6}, {e2m1, 5, 0x6}, {e2m1, 5.01, 0x7}, {e2m1, 0.25, 0x0}, {e2m1, -0.3, 0x9},
		{e2m1, math.NaN(), 0}, {e2m1, math.Inf(1), 0x7},
		{ue8m0, 1, 0x7f}, {ue8m0, 0, 0x00}, {ue8m0, -5, 0x00}, {ue8m0, math.NaN(), 0xff}, {ue8m0, math.Inf(1), 0xfe},
		{ue8m0, 1.5, 0x80}, {ue8m0, 0.75, 0x7e}, {ue8m0, 1.49, 0x7f}, {ue8m0, 3, 0x80}, // ties to the even code
		{ue8m0, 0x1.8p127, 0xfe}, {ue8m0, 0x1p128, 0xfe}, {ue8m0, 0x1p-200, 0x00},
		{ue4m3, -1, 0}, {ue4m3, 1, 0x38}, {ue4m3, 1000, 0x7f},
	}
	for _, c := range cases {
		if got := c.m.EncodeF64(c.x); got != c.want {
			t.Errorf("%s.EncodeF64(%v) = %#02x, want %#02x", mfName(c.m), c.x, got, c.want)
		}
	}
}

func TestMiniFloatRoundTrip(t *testing.T) {
	for _, m := range allMiniFloats() {
		for c := range 1 << m.Width() {
			v := m.Decode(uint8(c))
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue // NaN has no single code; ±Inf saturates (SPEC section 3)
			}
			if got := m.EncodeF64(v); got != uint8(c) {
				t.Errorf("%s.EncodeF64(Decode(%#x) = %v) = %#x", mfName(m), c, v, got)
			}
		}
	}
}

func TestMiniFloatInvalidNoPanic(t *testing.T) {
	for x := -2; x <= 10; x++ {
		for y := -2; y <= 10; y++ {
			for _, signed := range []bool{true, false} {
				m := MiniFloat{Exp: x, Man: y, Signed: signed}
				if m.Valid() {
					continue
				}
				if v := m.Decode(0x41); !math.IsNaN(v) {
					t.Errorf("%+v.Decode = %v, want NaN", m, v)
				}
				if c := m.EncodeF64(1.5); c != 0 {
					t.Errorf("%+v.EncodeF64 = %#x, want 0", m, c)
				}
				m.Table()
			}
		}
	}
}
