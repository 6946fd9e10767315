package legalize

import (
	"math"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// Vector f32 transcendental functions as loop IR: exp, exp2 and what is
// built on them (sigmoid, silu, tanh, erf, gelu). Each expansion handles
// the whole input range (±inf, NaN, overflow, underflow, subnormals) with
// operations every vector backend has (FMA, min/max, round to even,
// compares, selects, bit operations on the bits of the values), so that the
// assembly and the Go translation of the same loop IR give the same bits.
// Errors are a few ulp for exp, below 2e-7 absolute for erf
// (Abramowitz-Stegun 7.1.26); backend/amd64 TestMathFuncs sweeps them.
// log, pow, sin and cos are still the amd64 backend's (math.go there):
// their expansions share subtrees deeply enough that the backend's
// per-expression keys and live values grow too large without statement-
// level temporaries, which an expression rule cannot introduce.

// mathFuncs are the functions expanded.
var mathFuncs = map[ir.Func]func(b mathBuilder, args []loop.Expr) loop.Expr{
	ir.Exp:     func(b mathBuilder, a []loop.Expr) loop.Expr { return b.exp(a[0], false) },
	ir.Exp2:    func(b mathBuilder, a []loop.Expr) loop.Expr { return b.exp(a[0], true) },
	ir.Sigmoid: func(b mathBuilder, a []loop.Expr) loop.Expr { return b.sigmoid(a[0]) },
	ir.Silu: func(b mathBuilder, a []loop.Expr) loop.Expr {
		return b.zeroAtMinusInf(a[0], b.mul(a[0], b.sigmoid(a[0])))
	},
	ir.Tanh: func(b mathBuilder, a []loop.Expr) loop.Expr { return b.tanh(a[0]) },
	ir.Erf:  func(b mathBuilder, a []loop.Expr) loop.Expr { return b.erf(a[0]) },
	ir.Gelu: func(b mathBuilder, a []loop.Expr) loop.Expr { return b.gelu(a[0]) },
}

// matchMath matches an f32 transcendental call on a target without native
// vector math.
func matchMath(e loop.Expr, c Caps) bool {
	x, ok := e.(*loop.Call)
	if !ok || c.Math || x.T.Elem != ir.F32 || x.Fn < 0 || int(x.Fn) > int(ir.Clamp) {
		return false
	}
	_, ok = mathFuncs[ir.Func(x.Fn)]
	return ok
}

// expandMath returns the expansion of a call matchMath matched.
func expandMath(e loop.Expr, c Caps) loop.Expr {
	x := e.(*loop.Call)
	return mathFuncs[ir.Func(x.Fn)](mathBuilder{t: x.T, scalef: c.Scalef}, x.Args)
}

// mathBuilder builds f32 expressions of type t (and i32 ones of the same
// lane count).
type mathBuilder struct {
	t      loop.Type
	scalef bool // the target has loop.Scalef
}

func (b mathBuilder) it() loop.Type               { return loop.Vec(ir.I32, b.t.Lanes) }
func (b mathBuilder) bt() loop.Type               { return loop.Vec(ir.BoolT, b.t.Lanes) }
func (b mathBuilder) k(f float64) loop.Expr       { return &loop.Const{T: b.t, Float: f} }
func (b mathBuilder) ki(i int64) loop.Expr        { return &loop.Const{T: b.it(), Int: i} }
func (b mathBuilder) bits(x loop.Expr) loop.Expr  { return &loop.Bitcast{X: x, T: b.it()} }
func (b mathBuilder) float(x loop.Expr) loop.Expr { return &loop.Bitcast{X: x, T: b.t} }
func (b mathBuilder) bin(op ir.Op, x, y loop.Expr) loop.Expr {
	return &loop.Bin{Op: op, X: x, Y: y, T: x.Type()}
}
func (b mathBuilder) add(x, y loop.Expr) loop.Expr { return b.bin(ir.Add, x, y) }
func (b mathBuilder) sub(x, y loop.Expr) loop.Expr { return b.bin(ir.Sub, x, y) }
func (b mathBuilder) mul(x, y loop.Expr) loop.Expr { return b.bin(ir.Mul, x, y) }
func (b mathBuilder) div(x, y loop.Expr) loop.Expr { return b.bin(ir.Div, x, y) }
func (b mathBuilder) neg(x loop.Expr) loop.Expr    { return &loop.Un{Op: ir.Neg, X: x, T: x.Type()} }
func (b mathBuilder) call(fn loop.Fn, args ...loop.Expr) loop.Expr {
	return &loop.Call{Fn: fn, Args: args, T: args[0].Type()}
}
func (b mathBuilder) fma(x, y, z loop.Expr) loop.Expr { return b.call(loop.FMA, x, y, z) }
func (b mathBuilder) round(x loop.Expr) loop.Expr     { return b.call(loop.Fn(ir.Round), x) }
func (b mathBuilder) abs(x loop.Expr) loop.Expr       { return b.call(loop.Fn(ir.Abs), x) }

// clamp bounds x to [lo, hi]; a NaN stays NaN (SPEC min and max propagate it).
func (b mathBuilder) clamp(x loop.Expr, lo, hi float64) loop.Expr {
	return b.call(loop.Fn(ir.Min), b.call(loop.Fn(ir.Max), x, b.k(lo)), b.k(hi))
}
func (b mathBuilder) cmp(op ir.Op, x, y loop.Expr) loop.Expr {
	return &loop.Bin{Op: op, X: x, Y: y, T: b.bt()}
}
func (b mathBuilder) sel(c, x, y loop.Expr) loop.Expr {
	return &loop.Select{Cond: c, A: x, B: y, T: x.Type()}
}
func (b mathBuilder) ibit(fn loop.Fn, x loop.Expr, y int64) loop.Expr {
	return b.call(fn, x, b.ki(y))
}

// signOf returns the sign bit of x as i32 lanes.
func (b mathBuilder) signOf(x loop.Expr) loop.Expr {
	return b.ibit(loop.BitAnd, b.bits(x), math.MinInt32)
}

// withSign returns r with the sign bit sign (i32 lanes) or'ed in.
func (b mathBuilder) withSign(r, sign loop.Expr) loop.Expr {
	return b.float(b.call(loop.BitOr, b.bits(r), sign))
}

// horner evaluates the polynomial with coefficients cs (highest first) at x.
func (b mathBuilder) horner(x loop.Expr, cs ...float64) loop.Expr {
	p := b.k(cs[0])
	for _, c := range cs[1:] {
		p = b.fma(p, x, b.k(c))
	}
	return p
}

// exp computes e^x (2^x when base2): x = n + r/ln2 with n an integer and
// |r| <= ln2/2, e^r by its Taylor polynomial of degree 7, times 2^n with
// one rounding (loop.Scalef, or two exact-then-rounding multiplications by
// powers of two built in the exponent field, which give the same bits).
func (b mathBuilder) exp(x loop.Expr, base2 bool) loop.Expr {
	var n, r loop.Expr
	if base2 {
		x = b.clamp(x, -151, 129)
		n = b.round(x)
		r = b.mul(b.sub(x, n), b.k(math.Ln2))
	} else {
		x = b.clamp(x, -104, 89)
		n = b.round(b.mul(x, b.k(math.Log2E)))
		r = b.fma(n, b.k(-0.693145751953125), x)
		r = b.fma(n, b.k(-1.428606765330187045e-06), r)
	}
	p := b.horner(r, 1.0/5040, 1.0/720, 1.0/120, 1.0/24, 1.0/6, 0.5, 1, 1)
	if b.scalef {
		return b.call(loop.Scalef, p, n)
	}
	// n + 1.5*2^23 is exact, and its bits are 0x4B400000 + n.
	ni := b.bin(ir.Sub, b.bits(b.add(n, b.k(0x1.8p23))), b.ki(0x4B400000))
	h := b.ibit(loop.Shr, ni, 1)
	l := b.bin(ir.Sub, ni, h)
	for _, e := range []loop.Expr{h, l} {
		p = b.mul(p, b.float(b.ibit(loop.Shl, b.bin(ir.Add, e, b.ki(127)), 23)))
	}
	return p
}

// sigmoid computes 1/(1+e^-x).
func (b mathBuilder) sigmoid(x loop.Expr) loop.Expr {
	return b.div(b.k(1), b.add(b.exp(b.neg(x), false), b.k(1)))
}

// zeroAtMinusInf returns r, or 0 where x is -inf (silu and gelu, whose
// formulas give -inf * 0 there).
func (b mathBuilder) zeroAtMinusInf(x, r loop.Expr) loop.Expr {
	return b.sel(b.cmp(ir.Eq, x, b.k(math.Inf(-1))), b.k(0), r)
}

// tanh computes tanh|x| = 1 - 2/(e^{2|x|}+1) with x's sign.
func (b mathBuilder) tanh(x loop.Expr) loop.Expr {
	a := b.abs(x)
	ex := b.exp(b.add(a, a), false)
	r := b.sub(b.k(1), b.div(b.k(2), b.add(ex, b.k(1))))
	return b.withSign(r, b.signOf(x))
}

// erf uses Abramowitz-Stegun 7.1.26 (absolute error below 1.5e-7).
func (b mathBuilder) erf(x loop.Expr) loop.Expr {
	a := b.abs(x)
	t := b.div(b.k(1), b.fma(a, b.k(0.3275911), b.k(1)))
	p := b.mul(b.horner(t, 1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592), t)
	e := b.exp(b.neg(b.mul(a, a)), false)
	return b.withSign(b.sub(b.k(1), b.mul(p, e)), b.signOf(x))
}

// gelu computes x/2 (1 + erf(x/sqrt 2)).
func (b mathBuilder) gelu(x loop.Expr) loop.Expr {
	h := b.mul(x, b.k(0.5))
	return b.zeroAtMinusInf(x, b.fma(h, b.erf(b.mul(x, b.k(1/math.Sqrt2))), h))
}
