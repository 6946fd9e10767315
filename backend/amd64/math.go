package amd64

import (
	"encoding/binary"
	"math"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// Vector f32 log, log2, pow, sin and cos, not yet moved to package legalize
// (exp, exp2, sigmoid, silu, tanh, erf and gelu reach the backend expanded
// there; exp here serves pow). Each works on a whole register (a scalar f32
// is computed in lane 0 of an XMM register) and handles the whole input
// range: ±inf, NaN, overflow, underflow and subnormals. Errors are a few ulp
// for exp/log; see docs/amd64.md.

// fm is the f32 vector math emitter for one register type.
type fm struct {
	g  *gen
	t  loop.Type // vector type of the registers (4 lanes for scalars)
	it loop.Type // i32 vector of the same width
}

func (g *gen) fmFor(t loop.Type) *fm {
	vt := t
	if t.Lanes == 1 {
		vt = loop.Vec(ir.F32, 4)
	}
	return &fm{g: g, t: vt, it: loop.Vec(ir.I32, vt.Lanes)}
}

func (m *fm) reg() reg.Register { return m.g.vecReg(m.t) }

// full returns a memory operand holding the 32-bit pattern u in every lane of
// a register of the emitter's width.
func (m *fm) full(u uint32) operand.Mem {
	n := m.t.Lanes * 4
	b := make([]byte, n)
	for i := 0; i < n; i += 4 {
		binary.LittleEndian.PutUint32(b[i:], u)
	}
	return m.g.dataBytes(b)
}

// k returns f in every lane as a memory operand.
func (m *fm) k(f float64) operand.Op { return m.full(math.Float32bits(float32(f))) }

// ki returns the integer i in every lane as a memory operand.
func (m *fm) ki(i int64) operand.Op { return m.full(uint32(i)) }

// kr returns f in every lane in a fresh register.
func (m *fm) kr(f float64) reg.Register {
	d := m.reg()
	if m.g.avx512 {
		m.g.c.VBROADCASTSS(m.k(f), d)
		return d
	}
	m.g.c.VMOVUPS(m.k(f), d)
	return d
}

// bcst reports whether o is a constant from full to be read as an AVX-512
// embedded-broadcast operand: a 4-byte load instead of a whole vector, which
// keeps the load ports free in the memory-bound loops that call these
// functions (every memory operand of this emitter is such a constant).
func (m *fm) bcst(o operand.Op) bool {
	_, ok := o.(operand.Mem)
	return ok && m.g.avx512
}

func (m *fm) bin(op ir.Op, a reg.Register, b operand.Op) reg.Register {
	d := m.reg()
	m.g.arith(op, m.t, src{op: b, bcst: m.bcst(b)}, a, d)
	return d
}
func (m *fm) add(a reg.Register, b operand.Op) reg.Register { return m.bin(ir.Add, a, b) }
func (m *fm) sub(a reg.Register, b operand.Op) reg.Register { return m.bin(ir.Sub, a, b) }
func (m *fm) mul(a reg.Register, b operand.Op) reg.Register { return m.bin(ir.Mul, a, b) }
func (m *fm) div(a reg.Register, b operand.Op) reg.Register { return m.bin(ir.Div, a, b) }

// fma returns a*b+c.
func (m *fm) fma(a reg.Register, b, c operand.Op) reg.Register {
	d := m.reg()
	switch {
	case m.bcst(b):
		if m.bcst(c) {
			m.g.c.VBROADCASTSS(c, d)
		} else {
			m.g.c.VMOVUPS(c, d)
		}
		m.g.c.VFMADD231PS_BCST(b, a, d)
		return d
	case m.bcst(c):
		m.g.c.VMOVUPS(a, d)
		m.g.c.VFMADD213PS_BCST(c, b, d)
		return d
	}
	m.g.c.VMOVUPS(c, d)
	m.g.c.VFMADD231PS(b, a, d)
	return d
}

// max returns max(a, lo) propagating a NaN in a; min likewise.
func (m *fm) max(a reg.Register, lo operand.Op) reg.Register {
	d := m.reg()
	m.g.c.VMAXPS(a, m.toReg(lo), d)
	return d
}
func (m *fm) min(a reg.Register, hi operand.Op) reg.Register {
	d := m.reg()
	m.g.c.VMINPS(a, m.toReg(hi), d)
	return d
}

func (m *fm) toReg(o operand.Op) reg.Register {
	if r, ok := o.(reg.Register); ok {
		return r
	}
	d := m.reg()
	m.g.c.VMOVUPS(o, d)
	return d
}

func (m *fm) and(a reg.Register, b operand.Op) reg.Register {
	d := m.reg()
	m.g.logic("and", b, a, d)
	return d
}
func (m *fm) xor(a reg.Register, b operand.Op) reg.Register {
	d := m.reg()
	m.g.logic("xor", b, a, d)
	return d
}
func (m *fm) or(a reg.Register, b operand.Op) reg.Register {
	d := m.reg()
	m.g.logic("or", b, a, d)
	return d
}

func (m *fm) abs(a reg.Register) reg.Register { return m.and(a, m.ki(0x7fffffff)) }

// round returns a rounded to the nearest integer (ties to even), as float.
func (m *fm) round(a reg.Register) reg.Register {
	d := m.reg()
	m.g.round(m.t, 0x8, a, d)
	return d
}

// cmp returns a mask of lanes where a PRED b holds (an opmask on AVX-512).
func (m *fm) cmp(pred uint8, a reg.Register, b operand.Op) reg.Register {
	if m.g.avx512 {
		k := m.g.c.K()
		m.g.c.VCMPPS(operand.U8(pred), b, a, k)
		return k
	}
	d := m.reg()
	m.g.c.VCMPPS(operand.U8(pred), b, a, d)
	return d
}

// sel returns mask ? a : b.
func (m *fm) sel(mask reg.Register, a operand.Op, b reg.Register) reg.Register {
	d := m.reg()
	if mask.Kind() == reg.KindOpmask {
		// Merge-masked move: avo models the destination of a masked
		// instruction as an input, so it is defined first.
		m.g.c.VMOVUPS(b, d)
		m.g.c.VMOVUPS(a, mask, d)
	} else {
		m.g.c.VBLENDVPS(mask, a, b, d)
	}
	return d
}

// exp computes e^x (exp2 when base2 is set).
func (m *fm) exp(x reg.Register, base2 bool) reg.Register {
	var n, r reg.Register
	if base2 {
		x = m.min(m.max(x, m.k(-151)), m.k(129))
		n = m.round(x)
		r = m.mul(m.sub(x, n), m.k(math.Ln2))
	} else {
		x = m.min(m.max(x, m.k(-104)), m.k(89))
		n = m.round(m.mul(x, m.k(math.Log2E)))
		r = m.fma(n, m.k(-0.693145751953125), x)
		r = m.fma(n, m.k(-1.428606765330187045e-06), r)
	}
	// e^r on [-ln2/2, ln2/2]: Taylor polynomial of degree 7.
	p := m.kr(1.0 / 5040)
	for _, c := range []float64{1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1, 1} {
		p = m.fma(p, r, m.k(c))
	}
	c := m.g.c
	if m.g.avx512 {
		// VSCALEFPS computes p·2^n with one rounding, giving subnormal
		// results and overflow to +inf directly (NaN stays NaN).
		d := m.reg()
		c.VSCALEFPS(n, p, d)
		return d
	}
	// Scale by 2^n in two steps so that n in [-151, 129] stays representable.
	ni := m.g.vecReg(m.it)
	c.VCVTPS2DQ(n, ni)
	h := m.g.vecReg(m.it)
	c.VPSRAD(operand.U8(1), ni, h)
	l := m.g.vecReg(m.it)
	c.VPSUBD(h, ni, l)
	for _, e := range []reg.Register{h, l} {
		c.VPADDD(m.ki(127), e, e)
		c.VPSLLD(operand.U8(23), e, e)
		p = m.mul(p, e)
	}
	return p
}

// log computes the natural logarithm.
func (m *fm) log(x reg.Register) reg.Register {
	c := m.g.c
	// Scale subnormals up by 2^23.
	sub := m.cmp(0x11, x, m.k(0x1p-126))
	xs := m.sel(sub, m.mul(x, m.k(0x1p23)), x)
	eadj := m.sel(sub, m.k(-23), m.kr(0))
	// x = 2^e * mm with mm in [sqrt(1/2), sqrt(2)).
	bits := m.g.vecReg(m.it)
	c.VPSRLD(operand.U8(23), xs, bits)
	c.VPSUBD(m.ki(127), bits, bits)
	mm := m.or(m.and(xs, m.ki(0x007fffff)), m.k(1))
	big := m.cmp(0x1e, mm, m.k(math.Sqrt2))
	mm = m.sel(big, m.mul(mm, m.k(0.5)), mm)
	e := m.reg()
	c.VCVTDQ2PS(bits, e)
	e = m.add(e, m.sel(big, m.k(1), m.kr(0)))
	e = m.add(e, eadj)
	// log(mm) = 2 atanh(s), s = (mm-1)/(mm+1), |s| < 0.1716.
	f := m.sub(mm, m.k(1))
	s := m.div(f, m.add(mm, m.k(1)))
	s2 := m.mul(s, s)
	p := m.kr(2.0 / 11)
	for _, k := range []float64{2.0 / 9, 2.0 / 7, 2.0 / 5, 2.0 / 3, 2} {
		p = m.fma(p, s2, m.k(k))
	}
	r := m.fma(e, m.k(math.Ln2), m.mul(p, s))
	// Special cases: +inf -> +inf, 0 -> -inf, x < 0 or NaN -> NaN.
	r = m.sel(m.cmp(0x00, x, m.k(math.Inf(1))), m.k(math.Inf(1)), r)
	r = m.sel(m.cmp(0x00, x, m.k(0)), m.k(math.Inf(-1)), r)
	r = m.sel(m.cmp(0x19, x, m.k(0)), m.k(math.NaN()), r) // NGE_UQ: x < 0 or NaN
	return r
}

func (g *gen) mathFunc(fn ir.Func, e *loop.Call, hint reg.Register) val {
	t := e.T
	if t.Elem != ir.F32 {
		g.fail("%v on %v", fn, t.Elem)
	}
	m := g.fmFor(t)
	x := g.expr(e.Args[0]).r
	var r reg.Register
	switch fn {
	case ir.Log:
		r = m.log(x)
	case ir.Log2:
		r = m.mul(m.log(x), m.k(math.Log2E))
	case ir.Pow:
		r = m.pow(x, g.expr(e.Args[1]).r)
	case ir.Sin:
		r = m.sincos(x, false)
	case ir.Cos:
		r = m.sincos(x, true)
	default:
		g.fail("%v on %v", fn, t.Elem)
	}
	if hint != nil && hint.Size() == r.Size() {
		g.c.VMOVUPS(r, hint)
		return val{r: hint, t: t, tmp: true}
	}
	return val{r: r, t: t, tmp: true}
}

// pow computes x^y as e^(y log|x|) with the sign and special cases of
// math.Pow for the common inputs: y == 0 gives 1, a negative x gives a
// result only for integer y (negative for odd y), NaN otherwise.
func (m *fm) pow(x, y reg.Register) reg.Register {
	a := m.abs(x)
	r := m.exp(m.mul(y, m.log(a)), false)
	yi := m.round(y)
	isInt := m.cmp(0x00, yi, y)
	half := m.mul(y, m.k(0.5))
	odd := m.cmp(0x04, m.round(half), half) // y/2 not an integer
	neg := m.cmp(0x11, x, m.k(0))
	negr := m.sel(odd, m.xor(r, m.ki(math.MinInt32)), r)
	// A non-integer power of a negative number is NaN, except for -inf
	// (math.Pow(-inf, y) = math.Pow(-0, -y), which is 0 or +inf).
	negr = m.sel(isInt, negr, m.sel(m.cmp(0x00, x, m.k(math.Inf(-1))), r, m.kr(math.NaN())))
	r = m.sel(neg, negr, r)
	return m.sel(m.cmp(0x00, y, m.k(0)), m.k(1), r)
}

// sincos computes sin x (or cos x): n = round(x·2/π), r = x − n·π/2 by a
// three-part Cody–Waite reduction with FMAs, then the Cephes minimax
// polynomials on [−π/4, π/4], picking sin or cos of r and the sign by n mod 4.
// The reduction is accurate to about 1e-7 absolute for |x| up to 2^20 and
// degrades beyond (see docs/amd64.md); ±inf and NaN give NaN.
func (m *fm) sincos(x reg.Register, cos bool) reg.Register {
	c := m.g.c
	p1 := float32(math.Pi / 2)
	p2 := float32(math.Pi/2 - float64(p1))
	p3 := float32(math.Pi/2 - float64(p1) - float64(p2))
	n := m.round(m.mul(x, m.k(2/math.Pi)))
	r := m.fma(n, m.k(-float64(p1)), x)
	r = m.fma(n, m.k(-float64(p2)), r)
	r = m.fma(n, m.k(-float64(p3)), r)
	q := m.g.vecReg(m.it)
	c.VCVTPS2DQ(n, q)
	if cos {
		c.VPADDD(m.ki(1), q, q)
	}
	z := m.mul(r, r)
	// sin r = r + r·z·(s1 + z·(s2 + z·s3))
	ps := m.fma(z, m.k(-1.9515295891e-4), m.k(8.3321608736e-3))
	ps = m.fma(ps, z, m.k(-1.6666654611e-1))
	ps = m.fma(m.mul(ps, z), r, r)
	// cos r = 1 − z/2 + z²·(c1 + z·(c2 + z·c3))
	pc := m.fma(z, m.k(2.443315711809948e-5), m.k(-1.388731625493765e-3))
	pc = m.fma(pc, z, m.k(4.166664568298827e-2))
	pc = m.mul(m.mul(pc, z), z)
	pc = m.add(m.fma(z, m.k(-0.5), m.k(1)), pc)
	// Odd quadrants take the cosine branch; quadrants 2 and 3 are negated.
	odd := m.g.vecReg(m.it)
	c.VPSLLD(operand.U8(31), q, odd) // bit 0 of q -> sign bit
	neg := m.g.vecReg(m.it)
	c.VPSRLD(operand.U8(1), q, neg)
	c.VPSLLD(operand.U8(31), neg, neg) // bit 1 of q -> sign bit
	var res reg.Register
	if m.g.avx512 {
		k := m.g.c.K()
		c.VPMOVD2M(odd, k)
		res = m.sel(k, pc, ps)
	} else {
		res = m.reg()
		c.VBLENDVPS(odd, pc, ps, res)
	}
	res = m.xor(res, neg)
	// sin(±inf) and NaN are NaN: x − x is NaN exactly then.
	return m.add(res, m.sub(x, x))
}
