package rt

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// refFormat is a brute-force reference for rounding into a small float format,
// built only from the list of its finite non-negative values: it picks the
// nearest value, ties to the even code.
type refFormat struct {
	name    string
	vals    []float64 // finite values >= 0, ascending, one per value (+0 only)
	codes   []uint32  // code of vals[i]
	signBit uint32    // 0 for unsigned formats
	infCode uint32    // code of +inf; IEEE rounding when hasInf and not saturate
	// saturate makes overflow (and ±Inf) give the largest finite value even
	// where the format has infinities: conversion to a minifloat saturates.
	saturate bool
	hasInf   bool

	ieeeVals  []float64 // vals and then the first value past the largest
	ieeeCodes []uint32  // codes and then infCode
}

// newRefFormat builds the reference from a decoder over all codes [0, n).
func newRefFormat(name string, n int, signBit uint32, decode func(uint32) float64) *refFormat {
	r := &refFormat{name: name, signBit: signBit}
	type vc struct {
		v float64
		c uint32
	}
	var list []vc
	for c := 0; c < n; c++ {
		v := decode(uint32(c))
		switch {
		case math.IsNaN(v):
		case math.IsInf(v, 1):
			r.infCode, r.hasInf = uint32(c), true
		case v > 0 || v == 0 && !math.Signbit(v):
			list = append(list, vc{v, uint32(c)})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].v < list[j].v })
	for _, e := range list {
		r.vals = append(r.vals, e.v)
		r.codes = append(r.codes, e.c)
	}
	if r.hasInf {
		// IEEE: round as if the exponent were unbounded; the first value past
		// the largest finite one is infinity.
		k := len(r.vals)
		r.ieeeVals = append(r.vals[:k:k], 2*r.vals[k-1]-r.vals[k-2])
		r.ieeeCodes = append(r.codes[:k:k], r.infCode)
	}
	return r
}

// want returns the expected code for x, and whether the result must be a NaN
// (then the code is not checked).
func (r *refFormat) want(x float64) (code uint32, nan bool) {
	if math.IsNaN(x) {
		return 0, true
	}
	neg := math.Signbit(x)
	if neg && r.signBit == 0 {
		return r.codes[0], false // unsigned: saturate to the smallest value
	}
	a := math.Abs(x)
	vals, codes := r.vals, r.codes
	if r.hasInf && !r.saturate {
		vals, codes = r.ieeeVals, r.ieeeCodes
	}
	var c uint32
	i := sort.SearchFloat64s(vals, a) // first vals[i] >= a
	switch {
	case i == len(vals): // beyond the largest
		c = codes[len(codes)-1]
	case vals[i] == a || i == 0:
		c = codes[i]
	default:
		lo, hi := vals[i-1], vals[i]
		mid := (lo + hi) / 2 // exact: adjacent values of a small format
		switch {
		case a < mid:
			c = codes[i-1]
		case a > mid:
			c = codes[i]
		case codes[i-1]&1 == 0:
			c = codes[i-1]
		default:
			c = codes[i]
		}
	}
	if neg {
		c |= r.signBit
	}
	return c, false
}

// probes returns inputs around every value and midpoint of r, both signs,
// plus specials and n random float64s of every magnitude.
func (r *refFormat) probes(rng *rand.Rand, n int) []float64 {
	xs := []float64{0, math.Inf(1), math.NaN(), math.MaxFloat64, math.SmallestNonzeroFloat64, 1, 0.5}
	vals := r.vals
	k := len(vals)
	vals = append(vals[:k:k], 2*vals[k-1]-vals[k-2], 4*vals[k-1])
	for i, v := range vals {
		xs = append(xs, v, math.Nextafter(v, 0), math.Nextafter(v, math.Inf(1)))
		if i+1 < len(vals) {
			m := (v + vals[i+1]) / 2
			xs = append(xs, m, math.Nextafter(m, 0), math.Nextafter(m, math.Inf(1)))
			m32 := float64(float32(m)) // the float32 neighbourhood, for the F32 paths
			xs = append(xs, float64(math.Nextafter32(float32(m32), 0)), float64(math.Nextafter32(float32(m32), float32(math.Inf(1)))))
		}
	}
	lo, hi := math.Log2(r.vals[1])-4, math.Log2(vals[len(vals)-1])+2
	for range n {
		xs = append(xs, math.Exp2(lo+(hi-lo)*rng.Float64()))
		xs = append(xs, math.Float64frombits(rng.Uint64()))
		xs = append(xs, float64(math.Float32frombits(rng.Uint32())))
	}
	for i := range xs {
		if !math.IsNaN(xs[i]) {
			xs = append(xs, -xs[i])
		}
	}
	return xs
}

// checkEncode compares enc against the reference on x.
func checkEncode(t *testing.T, r *refFormat, what string, x float64, got uint32, isNaN func(uint32) bool) {
	t.Helper()
	want, nan := r.want(x)
	if nan {
		if !isNaN(got) {
			t.Errorf("%s %s(%v) = %#x, want NaN", r.name, what, x, got)
		}
		return
	}
	if got != want {
		t.Errorf("%s %s(%v [%#x]) = %#x, want %#x", r.name, what, x, math.Float64bits(x), got, want)
	}
}

func TestRefFormatSelf(t *testing.T) {
	// The reference itself, on a format small enough to check by hand: e2m1.
	r := newRefFormat("e2m1", 16, 8, func(c uint32) float64 {
		v := []float64{0, 0.5, 1, 1.5, 2, 3, 4, 6}[c&7]
		if c&8 != 0 {
			return -v
		}
		return v
	})
	cases := []struct {
		x    float64
		want uint32
	}{
		{0.25, 0}, {0.26, 1}, {0.75, 2}, {1.25, 2}, {1.75, 4}, {2.5, 4}, {3.5, 6},
		{5, 6}, {5.1, 7}, {100, 7}, {math.Inf(1), 7}, {math.Copysign(0, -1), 8}, {-5, 14}, {-0.1, 8},
	}
	for _, c := range cases {
		if got, _ := r.want(c.x); got != c.want {
			t.Errorf("ref e2m1(%v) = %d, want %d", c.x, got, c.want)
		}
	}
}
