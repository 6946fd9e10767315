package legalize

import (
	"math"

	"github.com/tensorcc/tcc/internal/rt"
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// Minifloat decoding by bit operations. An eXmY or ueXmY code with its
// sign removed, shifted so that its exponent and mantissa bits land on an
// f32's (mantissa at bit 23-Y), is an f32 whose value is the minifloat's
// times 2^(bias-127), subnormals included (an f32 subnormal scales
// exactly); one multiplication by 2^(127-bias) makes it the value. The sign
// is put back with an or, and the encodings that are not numbers are
// selected explicitly: e5m2's largest exponent (infinities and NaN), e4m3's
// all-ones magnitude (NaN), ue8m0 (2^(e-127): e in the f32 exponent field,
// 0 and 0xFF apart).

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
	codes := &loop.Cast{X: raw, T: loop.Vec(ir.U32, n)}
	el := ld.T.Elem
	return DecodeMiniFloat(codes, rt.MiniFloat{Exp: el.Exp, Man: el.Man, Signed: el.Class == ir.MiniFloat})
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
	v := &loop.Bin{Op: ir.Mul, X: &loop.Bitcast{X: b.shl(mag, 23-M), T: f32}, Y: b.f32(math.Ldexp(1, 127-m.Bias())), T: f32}
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

// builder makes the expressions of an expansion over n lanes.
type builder struct{ n int }

func (b builder) u32(v uint64) loop.Expr {
	return &loop.Const{T: loop.Vec(ir.U32, b.n), Int: int64(v)}
}

func (b builder) f32(v float64) loop.Expr {
	return &loop.Const{T: loop.Vec(ir.F32, b.n), Float: v}
}

func (b builder) bit(fn loop.Fn, x loop.Expr, y uint64) loop.Expr {
	return &loop.Call{Fn: fn, Args: []loop.Expr{x, b.u32(y)}, T: x.Type()}
}

func (b builder) and(x loop.Expr, y uint64) loop.Expr { return b.bit(loop.BitAnd, x, y) }
func (b builder) or(x loop.Expr, y uint64) loop.Expr  { return b.bit(loop.BitOr, x, y) }
func (b builder) shl(x loop.Expr, y uint64) loop.Expr { return b.bit(loop.Shl, x, y) }
func (b builder) shr(x loop.Expr, y uint64) loop.Expr { return b.bit(loop.Shr, x, y) }

func (b builder) eq(x loop.Expr, y uint64) loop.Expr {
	return &loop.Bin{Op: ir.Eq, X: x, Y: b.u32(y), T: loop.Vec(ir.BoolT, b.n)}
}

func (b builder) sel(c, x, y loop.Expr) loop.Expr {
	return &loop.Select{Cond: c, A: x, B: y, T: x.Type()}
}

func (b builder) selU(c, x, y loop.Expr) loop.Expr { return b.sel(c, x, y) }
