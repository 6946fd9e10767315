package legalize

import (
	"math"

	"github.com/tensorcc/tcc/internal/rt"
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// Minifloat decoding by bit operations. An eXmY or ueXmY code with its
// sign removed, shifted so that its exponent and mantissa bits land on an
// f32's (mantissa at bit 23-Y), plus the difference of the biases in the
// exponent field, is the f32 of a normal code. A subnormal code (exponent
// field 0) gives 2^-bias * (1 + m/2^Y) that way, and twice that less
// 2^(1-bias) is its value 2^(1-bias) * m/2^Y, exactly. (Scaling the shifted
// code by 2^(127-bias) in one multiplication would cover both, but its
// operand is an f32 subnormal, which x86 cores multiply tens of times
// slower.) The sign is put back with an or, and the encodings that are not
// numbers are selected explicitly: e5m2's largest exponent (infinities and
// NaN), e4m3's all-ones magnitude (NaN), ue8m0 (2^(e-127): e in the f32
// exponent field, 0 and 0xFF apart).

// matchMiniDecode matches a cast of a vector load of 8-bit minifloats to
// f32 on a target without a native decode.
func matchMiniDecode(e loop.Expr, c Caps) bool {
	x, ok := e.(*loop.Cast)
	if !ok || c.MiniFloatDecode || x.T.Lanes < 2 || x.T.Elem != ir.F32 {
		return false
	}
	ld, ok := x.X.(*loop.Load)
	el := x.X.Type().Elem
	return ok && !ld.Raw && (el.Class == ir.MiniFloat || el.Class == ir.UMiniFloat) && el.Bits == 8
}

func expandMiniDecode(e loop.Expr) loop.Expr {
	x := e.(*loop.Cast)
	ld := x.X.(*loop.Load)
	n := x.T.Lanes
	raw := &loop.Load{Buf: ld.Buf, Index: ld.Index, T: loop.Vec(ir.U8, n), Count: ld.Count, Guard: ld.Guard, Raw: true}
	el := ld.T.Elem
	m := rt.MiniFloat{Exp: el.Exp, Man: el.Man, Signed: el.Class == ir.MiniFloat}
	if viaF16(m) {
		return DecodeMiniFloatF16(&loop.Cast{X: raw, T: loop.Vec(ir.U16, n)}, m)
	}
	return DecodeMiniFloat(&loop.Cast{X: raw, T: loop.Vec(ir.U32, n)}, m)
}

// viaF16 reports whether format m decodes through f16: its exponent field
// fits f16's with room for its largest exponent to stay finite (or, e5m2,
// to be f16's infinities and NaN).
func viaF16(m rt.MiniFloat) bool { return !m.ScaleE8() && (m.Exp <= 4 || m.IEEE()) }

// DecodeMiniFloatF16 returns the f32 values of the minifloat codes (u16
// lanes, the code in the low bits) of format m, for which viaF16 holds.
// The magnitude bits placed on an f16's (mantissa at bit 10-Y) are an f16
// whose value is the code's times 2^(bias-15), subnormals included (f16
// subnormals scale exactly); the hardware widens f16 to f32 in one
// instruction, and one exact multiplication by 2^(15-bias) scales it. The
// work is in 16-bit lanes, half the width of f32 ones.
func DecodeMiniFloatF16(codes loop.Expr, m rt.MiniFloat) loop.Expr {
	n := codes.Type().Lanes
	b := builder{n: n}
	E, M := uint64(m.Exp), uint64(m.Man)
	magMask := uint64(1)<<(E+M) - 1
	mag := b.and(codes, magMask)
	h := b.shl(mag, 10-M)
	if m.FN() {
		h = b.sel(b.eq(mag, magMask), like(h, 0x7e00), h) // the all-ones magnitude is NaN
	}
	if m.Signed {
		h = &loop.Call{Fn: loop.BitOr, Args: []loop.Expr{h, b.shl(b.shr(codes, E+M), 15)}, T: h.Type()}
	}
	f32 := loop.Vec(ir.F32, n)
	var f loop.Expr = &loop.Cast{X: &loop.Bitcast{X: h, T: loop.Vec(ir.F16, n)}, T: f32}
	if m.Bias() != 15 {
		f = &loop.Bin{Op: ir.Mul, X: f, Y: b.f32(math.Ldexp(1, 15-m.Bias())), T: f32}
	}
	return f
}

// DecodeMiniFloat returns the f32 values of the minifloat codes (u32 lanes,
// the code in the low bits) of format m.
func DecodeMiniFloat(codes loop.Expr, m rt.MiniFloat) loop.Expr {
	n := codes.Type().Lanes
	u32, f32 := loop.Vec(ir.U32, n), loop.Vec(ir.F32, n)
	b := builder{n: n}
	if m.ScaleE8() {
		f := &loop.Bitcast{X: b.shl(codes, 23), T: f32}
		f2 := b.sel(b.eq(codes, 0), b.f32(math.Ldexp(1, -127)), f)
		return b.sel(b.eq(codes, 0xff), b.f32(math.NaN()), f2)
	}
	E, M := uint64(m.Exp), uint64(m.Man)
	magMask := uint64(1)<<(E+M) - 1
	mag := b.and(codes, magMask)
	normal := &loop.Bitcast{X: &loop.Bin{Op: ir.Add, X: b.shl(mag, 23-M), Y: b.u32(uint64(127-m.Bias()) << 23), T: u32}, T: f32}
	// Both steps are exact, so one fused multiply-add computes them.
	sub := &loop.Call{Fn: loop.FMA, Args: []loop.Expr{normal, b.f32(2), b.f32(-math.Ldexp(1, 1-m.Bias()))}, T: f32}
	v := b.sel(b.eq(b.shr(mag, M), 0), sub, normal)
	var bits loop.Expr = &loop.Bitcast{X: v, T: u32}
	switch {
	case m.IEEE():
		// Exponent all ones: infinity (mantissa 0) or NaN, with the mantissa.
		special := b.or(b.shl(b.and(mag, 1<<M-1), 23-M), 0x7f800000)
		bits = b.selU(b.eq(b.shr(mag, M), 1<<E-1), special, bits)
	case m.FN():
		bits = b.selU(b.eq(mag, magMask), b.u32(0x7fc00000), bits)
	}
	if m.Signed {
		bits = &loop.Call{Fn: loop.BitOr, Args: []loop.Expr{bits, b.shl(b.shr(codes, E+M), 31)}, T: u32}
	}
	return &loop.Bitcast{X: bits, T: f32}
}

// builder makes the expressions of an expansion over n lanes; the integer
// constants of bit operations and comparisons take their operand's type.
type builder struct{ n int }

func (b builder) u32(v uint64) loop.Expr {
	return &loop.Const{T: loop.Vec(ir.U32, b.n), Int: int64(v)}
}

func (b builder) f32(v float64) loop.Expr {
	return &loop.Const{T: loop.Vec(ir.F32, b.n), Float: v}
}

// like is the constant v of x's type.
func like(x loop.Expr, v uint64) loop.Expr { return &loop.Const{T: x.Type(), Int: int64(v)} }

func (b builder) bit(fn loop.Fn, x loop.Expr, y uint64) loop.Expr {
	return &loop.Call{Fn: fn, Args: []loop.Expr{x, like(x, y)}, T: x.Type()}
}

func (b builder) and(x loop.Expr, y uint64) loop.Expr { return b.bit(loop.BitAnd, x, y) }
func (b builder) or(x loop.Expr, y uint64) loop.Expr  { return b.bit(loop.BitOr, x, y) }
func (b builder) shl(x loop.Expr, y uint64) loop.Expr { return b.bit(loop.Shl, x, y) }
func (b builder) shr(x loop.Expr, y uint64) loop.Expr { return b.bit(loop.Shr, x, y) }

func (b builder) eq(x loop.Expr, y uint64) loop.Expr {
	return &loop.Bin{Op: ir.Eq, X: x, Y: like(x, y), T: loop.Vec(ir.BoolT, b.n)}
}

func (b builder) sel(c, x, y loop.Expr) loop.Expr {
	return &loop.Select{Cond: c, A: x, B: y, T: x.Type()}
}

func (b builder) selU(c, x, y loop.Expr) loop.Expr { return b.sel(c, x, y) }
