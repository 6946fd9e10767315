package tests

import (
	"fmt"
	"math"
	"sort"
	"sync"
	"testing"

	"github.com/tensorcc/tcc/ir"
)

// This file is the suite's own model of the element formats of SPEC section
// 3, written from the format definitions and independent of internal/rt and
// the interpreter: a decoder for every encoding, and correct rounding by
// exhaustive enumeration of the format's values.

// decodeFloat returns the value of encoding bits of the floating type t.
func decodeFloat(t ir.DType, bits uint64) float64 {
	switch t.Class {
	case ir.Float:
		switch t.Bits {
		case 64:
			return math.Float64frombits(bits)
		case 32:
			return float64(math.Float32frombits(uint32(bits)))
		case 16:
			return decodeIEEE(bits, 5, 10)
		}
	case ir.BFloat:
		return float64(math.Float32frombits(uint32(bits) << 16))
	case ir.MiniFloat, ir.UMiniFloat:
		return decodeMini(t, bits)
	}
	panic(fmt.Sprintf("decodeFloat(%v)", t))
}

// decodeIEEE decodes an IEEE 754 binary format with e exponent and m
// mantissa bits.
func decodeIEEE(bits uint64, e, m int) float64 {
	sign := 1.0
	if bits>>(e+m)&1 == 1 {
		sign = -1
	}
	exp := int(bits >> m & (1<<e - 1))
	man := float64(bits & (1<<m - 1))
	bias := 1<<(e-1) - 1
	switch exp {
	case 1<<e - 1:
		if man != 0 {
			return math.NaN()
		}
		return math.Inf(int(sign))
	case 0:
		return sign * math.Ldexp(man, 1-bias-m)
	}
	return sign * math.Ldexp(float64(int(1)<<m)+man, exp-bias-m)
}

// decodeMini decodes an eXmY or ueXmY encoding (SPEC section 3): bias
// 2^(X-1)-1 with subnormals; e5m2 has IEEE infinities and NaNs, e4m3 has only
// S.1111.111 as NaN, ue8m0 is 2^(e-127) with 0xFF NaN, every other format is
// finite-only.
func decodeMini(t ir.DType, bits uint64) float64 {
	x, y := t.Exp, t.Man
	signed := t.Class == ir.MiniFloat
	sign := 1.0
	if signed && bits>>(x+y)&1 == 1 {
		sign = -1
	}
	exp := int(bits >> y & (1<<x - 1))
	man := int(bits & (1<<y - 1))
	switch {
	case signed && x == 5 && y == 2 && exp == 31:
		if man != 0 {
			return math.NaN()
		}
		return math.Inf(int(sign))
	case signed && x == 4 && y == 3 && exp == 15 && man == 7:
		return math.NaN()
	case !signed && x == 8 && y == 0:
		if exp == 255 {
			return math.NaN()
		}
		return math.Ldexp(1, exp-127)
	}
	bias := 1<<(x-1) - 1
	if exp == 0 {
		return sign * math.Ldexp(float64(man), 1-bias-y)
	}
	return sign * math.Ldexp(float64(1<<y+man), exp-bias-y)
}

// valueTable is the ordered set of values of a sub-f32 float format.
type valueTable struct {
	vals []float64 // distinct finite values, ascending (-0 merged with 0)
	even []bool    // whether the encoding of vals[i] is even
	code []uint64  // the smallest encoding of vals[i]
	ieee bool      // overflow rounds to infinity (f16, bf16); else saturates
	nan  bool      // the format has a NaN
}

var (
	tablesMu sync.Mutex
	tables   = map[ir.DType]*valueTable{}
)

// tableOf enumerates every encoding of t.
func tableOf(t ir.DType) *valueTable {
	tablesMu.Lock()
	defer tablesMu.Unlock()
	if tb := tables[t]; tb != nil {
		return tb
	}
	tb := &valueTable{ieee: t.Class == ir.Float || t.Class == ir.BFloat}
	enc := map[float64]uint64{}
	for b := uint64(0); b < 1<<t.Bits; b++ {
		v := decodeFloat(t, b)
		switch {
		case math.IsNaN(v):
			tb.nan = true
			continue
		case math.IsInf(v, 0):
			continue
		}
		if old, ok := enc[v]; !ok || b < old {
			enc[v] = b
		}
	}
	for v := range enc {
		tb.vals = append(tb.vals, v)
	}
	sort.Float64s(tb.vals)
	for _, v := range tb.vals {
		tb.even = append(tb.even, enc[v]&1 == 0)
		tb.code = append(tb.code, enc[v])
	}
	tables[t] = tb
	return tb
}

// position returns the rank of the correctly rounded value of x in t's
// ordered values: 0..len-1 for finite values, -1 and len for the
// infinities; nan reports a NaN result.
func (tb *valueTable) position(x float64) (pos int, nan bool) {
	n := len(tb.vals)
	switch {
	case math.IsNaN(x):
		if tb.nan {
			return 0, true
		}
		return tb.position(0) // NaN converts to 0 in formats without NaN
	case math.IsInf(x, 1):
		if tb.ieee {
			return n, false
		}
		return n - 1, false
	case math.IsInf(x, -1):
		if tb.ieee {
			return -1, false
		}
		return 0, false
	}
	if x >= tb.vals[n-1] {
		if tb.ieee && x >= tb.vals[n-1]+(tb.vals[n-1]-tb.vals[n-2])/2 {
			return n, false // IEEE overflow; the tie goes to the even infinity
		}
		return n - 1, false
	}
	if x <= tb.vals[0] {
		if tb.ieee && x <= tb.vals[0]-(tb.vals[1]-tb.vals[0])/2 {
			return -1, false
		}
		return 0, false
	}
	i := sort.SearchFloat64s(tb.vals, x) // vals[i-1] < x <= vals[i]
	if tb.vals[i] == x {
		return i, false
	}
	lo, hi := tb.vals[i-1], tb.vals[i]
	switch dl, dh := x-lo, hi-x; {
	case dl < dh:
		return i - 1, false
	case dh < dl:
		return i, false
	case tb.even[i-1]:
		return i - 1, false
	}
	return i, false
}

// encodeRound returns the encoding of the correctly rounded value of x in t
// (used to make inputs).
func encodeRound(t ir.DType, x float64) uint64 {
	tb := tableOf(t)
	pos, _ := tb.position(x)
	return tb.code[max(0, min(pos, len(tb.vals)-1))]
}

func TestFormatModel(t *testing.T) {
	mf := func(name string) ir.DType {
		d, ok := ir.ParseDType(name)
		if !ok {
			t.Fatalf("ParseDType(%q) failed", name)
		}
		return d
	}
	// Facts from the format definitions (OCP MX and OFP8 specs, IEEE 754).
	tests := []struct {
		typ      string
		min, max float64
		count    int // distinct finite values
	}{
		{"e2m1", -6, 6, 15},
		{"e4m3", -448, 448, 253},
		{"e5m2", -57344, 57344, 247},
		{"e3m2", -28, 28, 63},
		{"e2m3", -7.5, 7.5, 63},
		{"ue8m0", math.Ldexp(1, -127), math.Ldexp(1, 127), 255},
		{"ue4m3", 0, 480, 128},
		{"f16", -65504, 65504, 63487},
		{"bf16", -float64(math.Float32frombits(0x7f7f0000)), float64(math.Float32frombits(0x7f7f0000)), 65279},
	}
	for _, tt := range tests {
		tb := tableOf(mf(tt.typ))
		if got := tb.vals[0]; got != tt.min {
			t.Errorf("%s min = %v, want %v", tt.typ, got, tt.min)
		}
		if got := tb.vals[len(tb.vals)-1]; got != tt.max {
			t.Errorf("%s max = %v, want %v", tt.typ, got, tt.max)
		}
		if len(tb.vals) != tt.count {
			t.Errorf("%s has %d values, want %d", tt.typ, len(tb.vals), tt.count)
		}
	}
	e2m1 := tableOf(mf("e2m1")).vals
	want := []float64{-6, -4, -3, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 3, 4, 6}
	if fmt.Sprint(e2m1) != fmt.Sprint(want) {
		t.Errorf("e2m1 values %v, want %v", e2m1, want)
	}
	rounds := []struct {
		typ  string
		x, y float64 // x rounds to y
	}{
		{"e2m1", 2.5, 2}, // tie: 2 is 0.10.0 (even), 3 is 0.10.1
		{"e2m1", 3.5, 4}, // tie: 4 is 0.11.0
		{"e2m1", 5, 4},   // tie between 4 (even) and 6
		{"e2m1", 100, 6}, // saturates
		{"e2m1", -0.25, 0},
		{"e4m3", 1000, 448},
		{"e4m3", math.Inf(1), 448},
		{"e5m2", 1e6, 57344},
		{"f16", 65519, 65504},
		{"f16", 65520, math.Inf(1)},
		{"f16", math.Ldexp(1, -25), 0},                    // tie with the smallest subnormal
		{"f16", math.Ldexp(1.5, -25), math.Ldexp(1, -24)}, // above the tie
		{"bf16", 1 + 1.0/256, 1},                          // tie, 1 is even
		{"bf16", 1 + 3.0/256, 1 + 4.0/256},
		{"ue8m0", 3, 4}, // tie between 2 (e=128, even) and 4 (e=129)? 2 is even
		{"ue8m0", 0, math.Ldexp(1, -127)},
	}
	for _, r := range rounds {
		tb := tableOf(mf(r.typ))
		pos, _ := tb.position(r.x)
		var got float64
		switch {
		case pos < 0:
			got = math.Inf(-1)
		case pos >= len(tb.vals):
			got = math.Inf(1)
		default:
			got = tb.vals[pos]
		}
		want := r.y
		if r.typ == "ue8m0" && r.x == 3 {
			want = 2 // encodings 128 (value 2) and 129 (value 4); 128 is even
		}
		if got != want {
			t.Errorf("round %s(%v) = %v, want %v", r.typ, r.x, got, want)
		}
	}
	if nan := decodeFloat(mf("e4m3"), 0x7f); !math.IsNaN(nan) {
		t.Errorf("e4m3 0x7f = %v, want NaN", nan)
	}
	if v := decodeFloat(mf("e4m3"), 0x7e); v != 448 {
		t.Errorf("e4m3 0x7e = %v, want 448", v)
	}
	if v := decodeFloat(ir.F16, 0x3c00); v != 1 {
		t.Errorf("f16 0x3c00 = %v, want 1", v)
	}
	if v := decodeFloat(ir.F16, 0x0001); v != math.Ldexp(1, -24) {
		t.Errorf("f16 0x0001 = %v, want 2^-24", v)
	}
}

// ulpAt returns the type's unit in the last place at x: the gap between the
// two consecutive finite values around x (the last gap beyond the range).
func (tb *valueTable) ulpAt(x float64) float64 {
	n := len(tb.vals)
	if n < 2 {
		return math.Inf(1)
	}
	p := sort.SearchFloat64s(tb.vals, x) // first value >= x
	switch {
	case p <= 0:
		return tb.vals[1] - tb.vals[0]
	case p >= n:
		return tb.vals[n-1] - tb.vals[n-2]
	}
	return tb.vals[p] - tb.vals[p-1]
}
