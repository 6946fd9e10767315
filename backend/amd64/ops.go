package amd64

import (
	"math"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// src is a second-source operand: a register, a full-vector memory operand or,
// on AVX-512, a broadcast scalar memory operand.
type src struct {
	op   operand.Op
	bcst bool
}

// srcOf translates e as the folded second operand of an instruction.
func (g *gen) srcOf(e loop.Expr) src {
	t := e.Type()
	if l, ok := foldable(e); ok && !l.Buf.Elem.IsPacked() {
		if v, ok := g.reused(l, l.T.Lanes, false, func() val { return g.load(l, nil) }); ok {
			return src{op: v.r}
		}
		return src{op: g.addr(l.Buf, l.Index)}
	}
	if t.Lanes > 1 && g.avx512 && (t.Elem.Bits == 32 || t.Elem.Bits == 64) {
		if b, ok := e.(*loop.Broadcast); ok {
			if l, ok := b.X.(*loop.Load); ok && l.Guard == nil && l.T.Lanes == 1 && l.Buf.Elem == t.Elem {
				if v, ok := g.reused(l, t.Lanes, true, func() val { return g.broadcast(b, nil) }); ok {
					return src{op: v.r}
				}
				return src{op: g.addr(l.Buf, l.Index), bcst: true}
			}
		}
		if c, ok := e.(*loop.Const); ok && !(c.Float == 0 && c.Int == 0) {
			return src{op: g.scalarData(t.Elem, c), bcst: true}
		}
	}
	return src{op: g.expr(e).r}
}

// regOf returns s in a register (loading a memory operand) for instructions
// without memory forms.
func (g *gen) regOf(s src, t loop.Type) reg.Register {
	if r, ok := s.op.(reg.Register); ok {
		return r
	}
	if t.Lanes == 1 {
		r := g.c.XMM()
		if t.Elem.Bits == 64 {
			g.c.VMOVSD(s.op, r)
		} else {
			g.c.VMOVSS(s.op, r)
		}
		return r
	}
	r := g.vecReg(t)
	if s.bcst {
		g.bcastMem(t.Elem, s.op.(operand.Mem), r)
	} else {
		g.c.VMOVUPS(s.op, r)
	}
	return r
}

// fdst picks the destination for a result of type t: hint, a temporary
// operand, or a fresh register.
func (g *gen) fdst(t loop.Type, hint reg.Register, x val) reg.Register {
	if t.Lanes == 1 {
		if hint != nil && hint.Kind() == reg.KindVector && hint.Size() == 16 {
			return hint
		}
		if x.tmp {
			return x.r
		}
		return g.c.XMM()
	}
	if hint != nil {
		return g.dst(t, hint)
	}
	if x.tmp && x.r.Kind() == reg.KindVector {
		return x.r
	}
	return g.vecReg(t)
}

func commutative(op ir.Op) bool { return op == ir.Add || op == ir.Mul }

func (g *gen) floatBin(e *loop.Bin, hint reg.Register) val {
	t := e.T
	X, Y := e.X, e.Y
	if commutative(e.Op) {
		if _, ok := foldable(X); ok {
			X, Y = Y, X
		} else if _, ok := X.(*loop.Broadcast); ok && g.avx512 {
			X, Y = Y, X
		}
	}
	x := g.expr(X)
	s := g.srcOf(Y)
	d := g.fdst(t, hint, x)
	g.arith(e.Op, t, s, x.r, d)
	return val{r: d, t: t, tmp: true}
}

// arith emits d = x OP s for float scalars/vectors and integer vectors.
func (g *gen) arith(op ir.Op, t loop.Type, s src, x, d reg.Register) {
	c := g.c
	el := t.Elem
	if t.Lanes == 1 {
		if s.bcst {
			g.fail("broadcast scalar operand")
		}
		if !isFloatScalar(el) {
			g.fail("scalar arithmetic on %v", el)
		}
		f32 := el.Bits == 32
		switch {
		case op == ir.Add && f32:
			c.VADDSS(s.op, x, d)
		case op == ir.Add:
			c.VADDSD(s.op, x, d)
		case op == ir.Sub && f32:
			c.VSUBSS(s.op, x, d)
		case op == ir.Sub:
			c.VSUBSD(s.op, x, d)
		case op == ir.Mul && f32:
			c.VMULSS(s.op, x, d)
		case op == ir.Mul:
			c.VMULSD(s.op, x, d)
		case op == ir.Div && f32:
			c.VDIVSS(s.op, x, d)
		case op == ir.Div:
			c.VDIVSD(s.op, x, d)
		default:
			g.fail("scalar %v on %v", op, el)
		}
		return
	}
	if el.IsInteger() {
		if s.bcst {
			s = src{op: g.regOf(s, t)}
		}
		switch {
		case op == ir.Add && el.Bits == 32:
			c.VPADDD(s.op, x, d)
		case op == ir.Add && el.Bits == 64:
			c.VPADDQ(s.op, x, d)
		case op == ir.Sub && el.Bits == 32:
			c.VPSUBD(s.op, x, d)
		case op == ir.Sub && el.Bits == 64:
			c.VPSUBQ(s.op, x, d)
		case op == ir.Mul && el.Bits == 32:
			c.VPMULLD(s.op, x, d)
		case op == ir.Mul && el.Bits == 64 && g.avx512:
			c.VPMULLQ(s.op, x, d)
		default:
			g.fail("vector %v on %v", op, el)
		}
		return
	}
	if !isFloatScalar(el) {
		g.fail("vector arithmetic on %v", el)
	}
	f32 := el.Bits == 32
	type pair struct{ ps, pd, psb, pdb func(...operand.Op) }
	var p pair
	switch op {
	case ir.Add:
		p = pair{c.VADDPS, c.VADDPD, c.VADDPS_BCST, c.VADDPD_BCST}
	case ir.Sub:
		p = pair{c.VSUBPS, c.VSUBPD, c.VSUBPS_BCST, c.VSUBPD_BCST}
	case ir.Mul:
		p = pair{c.VMULPS, c.VMULPD, c.VMULPS_BCST, c.VMULPD_BCST}
	case ir.Div:
		p = pair{c.VDIVPS, c.VDIVPD, c.VDIVPS_BCST, c.VDIVPD_BCST}
	default:
		g.fail("vector %v on %v", op, el)
	}
	switch {
	case s.bcst && f32:
		p.psb(s.op, x, d)
	case s.bcst:
		p.pdb(s.op, x, d)
	case f32:
		p.ps(s.op, x, d)
	default:
		p.pd(s.op, x, d)
	}
}

// minmax emits d = min(x, s) or max(x, s). On floats it has the semantics
// of IEEE 754-2019 minimum and maximum, as Go's min and max builtins and
// the interpreter: a NaN operand gives NaN, and -0 < +0 (fminmax).
func (g *gen) minmax(isMax bool, t loop.Type, s src, x, d reg.Register) {
	c := g.c
	el := t.Elem
	if s.bcst {
		s = src{op: g.regOf(s, t)}
	}
	if !el.IsInteger() {
		g.fminmax(isMax, t, s, x, d)
		return
	}
	switch {
	case t.Lanes == 1:
		g.fail("scalar integer min/max in vector registers")
	case isMax && el.Class == ir.Int && el.Bits == 32:
		c.VPMAXSD(s.op, x, d)
	case !isMax && el.Class == ir.Int && el.Bits == 32:
		c.VPMINSD(s.op, x, d)
	case isMax && el.Class == ir.Uint && el.Bits == 32:
		c.VPMAXUD(s.op, x, d)
	case !isMax && el.Class == ir.Uint && el.Bits == 32:
		c.VPMINUD(s.op, x, d)
	default:
		g.fail("vector min/max on %v", el)
	}
}

// fpOps are the instructions of one float element width and vector-or-scalar
// form that fminmax uses (avo's operand order: sources, then destination).
type fpOps struct {
	max, min, add, cmp, rng, and, or, movMask func(...operand.Op)
}

func (g *gen) fpOpsFor(t loop.Type) fpOps {
	c := g.c
	f32, scalar := t.Elem.Bits == 32, t.Lanes == 1
	switch {
	case f32 && scalar:
		return fpOps{c.VMAXSS, c.VMINSS, c.VADDSS, c.VCMPSS, c.VRANGESS, c.VANDPS, c.VORPS, c.VMOVAPS}
	case f32:
		return fpOps{c.VMAXPS, c.VMINPS, c.VADDPS, c.VCMPPS, c.VRANGEPS, c.VANDPS, c.VORPS, c.VMOVAPS}
	case scalar:
		return fpOps{c.VMAXSD, c.VMINSD, c.VADDSD, c.VCMPSD, c.VRANGESD, c.VANDPD, c.VORPD, c.VMOVAPD}
	}
	return fpOps{c.VMAXPD, c.VMINPD, c.VADDPD, c.VCMPPD, c.VRANGEPD, c.VANDPD, c.VORPD, c.VMOVAPD}
}

// fminmax emits the IEEE 754-2019 d = minimum(x, s) or maximum(x, s) of
// floats. x86's MAXPS and MINPS return their second source when either
// input is NaN or both are zeros, so the sequences repair those lanes:
//
//   - AVX-512: VRANGEPS orders -0 < +0 but, for a quiet NaN, returns the
//     other operand; the lanes where x or s is NaN (VCMPPS unordered into a
//     mask register) take x + s instead, which is NaN.
//   - AVX2: MIN(x, s) | MIN(s, x) is the minimum (the OR of a NaN and
//     anything is a NaN; of +0 and -0, -0); the maximum is
//     MAX(x, s) & MAX(s, x) (of +0 and -0, +0) with the unordered lanes set
//     to all ones (a NaN).
func (g *gen) fminmax(isMax bool, t loop.Type, s src, x, d reg.Register) {
	op := g.fpOpsFor(t)
	fresh := func() reg.Register {
		if t.Lanes == 1 {
			return g.c.XMM()
		}
		return g.vecReg(t)
	}
	const unord = 3
	if g.avx512 {
		imm := uint8(4) // min, sign from the comparison
		if isMax {
			imm = 5
		}
		nan := fresh()
		op.add(s.op, x, nan)
		k := g.c.K()
		op.cmp(operand.U8(unord), s.op, x, k)
		op.rng(operand.U8(imm), s.op, x, d)
		op.movMask(nan, k, d)
		return
	}
	sr := g.regOf(s, t)
	a, b := fresh(), fresh()
	if !isMax {
		op.min(sr, x, a)
		op.min(x, sr, b)
		op.or(a, b, d)
		return
	}
	op.max(sr, x, a)
	op.max(x, sr, b)
	u := fresh()
	op.cmp(operand.U8(unord), sr, x, u)
	op.and(a, b, a)
	op.or(u, a, d)
}

// logic emits a bitwise op on vector registers of any width.
func (g *gen) logic(op string, s operand.Op, x, d reg.Register) {
	wide := d.Size() == 64
	switch {
	case op == "and" && wide:
		g.c.VPANDD(s, x, d)
	case op == "and":
		g.c.VANDPS(s, x, d)
	case op == "or" && wide:
		g.c.VPORD(s, x, d)
	case op == "or":
		g.c.VORPS(s, x, d)
	case op == "xor" && wide:
		g.c.VPXORD(s, x, d)
	case op == "xor":
		g.c.VXORPS(s, x, d)
	case op == "andn" && wide:
		g.c.VPANDND(s, x, d)
	case op == "andn":
		g.c.VANDNPS(s, x, d) // d = ^x & s
	}
}

// cvec returns a register holding f in every lane of type t (f32 or f64 lanes).
func (g *gen) cvec(t loop.Type, f float64) reg.Register {
	r := g.c.XMM()
	var rr reg.Register = r
	if t.Lanes > 1 {
		rr = g.vecReg(t)
	}
	if f == 0 && !math.Signbit(f) {
		g.zero(rr)
		return rr
	}
	g.bcastMem(t.Elem, g.scalarData(t.Elem, &loop.Const{T: loop.Scalar(t.Elem), Float: f}), rr)
	return rr
}

// bitsVec returns a register holding the bit pattern u in every lane.
func (g *gen) bitsVec(t loop.Type, u uint64) reg.Register {
	var rr reg.Register
	if t.Lanes > 1 {
		rr = g.vecReg(t)
	} else {
		rr = g.c.XMM()
	}
	if t.Elem.Bits == 64 {
		g.bcastMem(t.Elem, g.scalarData(ir.I64, &loop.Const{Int: int64(u)}), rr)
	} else {
		g.bcastMem(ir.F32, g.u32Data(uint32(u)), rr)
	}
	return rr
}

func signMask(el ir.DType) uint64 {
	if el.Bits == 64 {
		return 1 << 63
	}
	return 1 << 31
}

func (g *gen) unary(e *loop.Un, hint reg.Register) val {
	t := e.T
	x := g.expr(e.X)
	switch {
	case t.Lanes == 1 && isIntLike(t.Elem):
		r := g.c.GP64()
		g.c.MOVQ(x.r, r)
		if e.Op == ir.Not {
			g.c.XORQ(operand.I32(1), r)
		} else {
			g.c.NEGQ(r)
			g.normalize(r, t.Elem)
		}
		return val{r: r, t: t, tmp: true}
	case e.Op == ir.Not && x.r.Kind() == reg.KindOpmask:
		k := g.c.K()
		g.c.KNOTQ(x.r, k)
		return val{r: k, t: t, tmp: true}
	case e.Op == ir.Not:
		ones := g.vecRegSize(int(x.r.Size()))
		g.c.VPCMPEQD(ones, ones, ones)
		d := g.vecRegSize(int(x.r.Size()))
		g.logic("xor", ones, x.r, d)
		return val{r: d, t: t, tmp: true, mbits: x.mbits}
	case t.Elem.IsInteger():
		z := g.dst(t, nil)
		g.zero(z)
		d := g.dst(t, hint)
		if t.Elem.Bits == 32 {
			g.c.VPSUBD(x.r, z, d)
		} else {
			g.c.VPSUBQ(x.r, z, d)
		}
		return val{r: d, t: t, tmp: true}
	}
	d := g.fdst(t, hint, x)
	g.logic("xor", g.bitsVec(t, signMask(t.Elem)), x.r, d)
	return val{r: d, t: t, tmp: true}
}

func (g *gen) vecRegSize(n int) reg.VecVirtual {
	switch n {
	case 16:
		return g.c.XMM()
	case 32:
		return g.c.YMM()
	}
	return g.c.ZMM()
}

// Comparison predicates of VCMPPS (ordered, non-signalling; != is unordered).
var cmpPred = map[ir.Op]uint8{ir.Lt: 0x11, ir.Le: 0x12, ir.Gt: 0x1e, ir.Ge: 0x1d, ir.Eq: 0x00, ir.Ne: 0x04}

// VPCMPD predicates.
var icmpPred = map[ir.Op]uint8{ir.Eq: 0, ir.Lt: 1, ir.Le: 2, ir.Ne: 4, ir.Ge: 5, ir.Gt: 6}

func (g *gen) compare(e *loop.Bin) val {
	xt := e.X.Type()
	el := xt.Elem
	x := g.expr(e.X)
	if xt.Lanes == 1 {
		if !isFloatScalar(el) {
			g.fail("scalar compare of %v", el)
		}
		y := g.expr(e.Y)
		p := operand.U8(cmpPred[e.Op])
		r := g.c.GP64()
		// The X-register destination of VCMPSS has no encoding for X16-X31,
		// which the operands may live in on AVX-512: compare into a mask there.
		var m reg.Register = g.c.XMM()
		if g.avx512 {
			m = g.c.K()
		}
		if el.Bits == 32 {
			g.c.VCMPSS(p, y.r, x.r, m)
		} else {
			g.c.VCMPSD(p, y.r, x.r, m)
		}
		if g.avx512 {
			g.c.KMOVW(m, r.As32())
		} else {
			g.c.VMOVD(m, r.As32())
			g.c.ANDQ(operand.I32(1), r)
		}
		return val{r: r, t: e.T, tmp: true}
	}
	s := g.srcOf(e.Y)
	if g.avx512 {
		k := g.c.K()
		switch {
		case el.Bits == 32 && el.IsFloat():
			if s.bcst {
				g.c.VCMPPS_BCST(operand.U8(cmpPred[e.Op]), s.op, x.r, k)
			} else {
				g.c.VCMPPS(operand.U8(cmpPred[e.Op]), s.op, x.r, k)
			}
		case el.Bits == 64 && el.IsFloat():
			if s.bcst {
				g.c.VCMPPD_BCST(operand.U8(cmpPred[e.Op]), s.op, x.r, k)
			} else {
				g.c.VCMPPD(operand.U8(cmpPred[e.Op]), s.op, x.r, k)
			}
		case el.Class == ir.Int && el.Bits == 32:
			g.c.VPCMPD(operand.U8(icmpPred[e.Op]), g.regOf(s, xt), x.r, k)
		case el.Class == ir.Int && el.Bits == 64:
			g.c.VPCMPQ(operand.U8(icmpPred[e.Op]), g.regOf(s, xt), x.r, k)
		case el.Class == ir.Uint && el.Bits == 32:
			g.c.VPCMPUD(operand.U8(icmpPred[e.Op]), g.regOf(s, xt), x.r, k)
		case el.Class == ir.Int && el.Bits == 16:
			g.c.VPCMPW(operand.U8(icmpPred[e.Op]), g.regOf(s, xt), x.r, k)
		case el.Class == ir.Uint && el.Bits == 16:
			g.c.VPCMPUW(operand.U8(icmpPred[e.Op]), g.regOf(s, xt), x.r, k)
		default:
			g.fail("vector compare of %v", el)
		}
		return val{r: k, t: e.T, tmp: true, mbits: el.Bits}
	}
	if el.IsInteger() && (el.Bits == 32 || el.Bits == 64) {
		return g.avx2IntCompare(e.Op, xt, g.regOf(s, xt), x.r, e.T)
	}
	if el.IsInteger() && el.Bits == 16 && (e.Op == ir.Eq || e.Op == ir.Ne) {
		d := g.vecReg(xt)
		g.c.VPCMPEQW(g.regOf(s, xt), x.r, d)
		if e.Op == ir.Ne {
			ones := g.vecReg(xt)
			g.c.VPCMPEQD(ones, ones, ones)
			g.c.VPXOR(ones, d, d)
		}
		return val{r: d, t: e.T, tmp: true, mbits: 16}
	}
	if !isFloatScalar(el) {
		g.fail("avx2 vector compare of %v", el)
	}
	m := g.vecReg(xt)
	if el.Bits == 32 {
		g.c.VCMPPS(operand.U8(cmpPred[e.Op]), s.op, x.r, m)
	} else {
		g.c.VCMPPD(operand.U8(cmpPred[e.Op]), s.op, x.r, m)
	}
	return val{r: m, t: e.T, tmp: true, mbits: el.Bits}
}

// avx2IntCompare compares integer lanes x op y on AVX2, which has only
// equality and signed greater-than: the others are those with the operands
// swapped or the result inverted, and unsigned lanes are compared with
// their sign bits flipped.
func (g *gen) avx2IntCompare(op ir.Op, xt loop.Type, y, x reg.Register, rt loop.Type) val {
	el := xt.Elem
	q := el.Bits == 64
	gt := func(a, b, d reg.Register) { // d = a > b
		if q {
			g.c.VPCMPGTQ(b, a, d)
		} else {
			g.c.VPCMPGTD(b, a, d)
		}
	}
	if el.Class == ir.Uint && op != ir.Eq && op != ir.Ne {
		flip := g.bitsVec(xt, signMask(el))
		fx, fy := g.vecReg(xt), g.vecReg(xt)
		g.c.VPXOR(flip, x, fx)
		g.c.VPXOR(flip, y, fy)
		x, y = fx, fy
	}
	d := g.vecReg(xt)
	invert := false
	switch op {
	case ir.Eq, ir.Ne:
		if q {
			g.c.VPCMPEQQ(y, x, d)
		} else {
			g.c.VPCMPEQD(y, x, d)
		}
		invert = op == ir.Ne
	case ir.Gt:
		gt(x, y, d)
	case ir.Lt:
		gt(y, x, d)
	case ir.Le:
		gt(x, y, d)
		invert = true
	case ir.Ge:
		gt(y, x, d)
		invert = true
	}
	if invert {
		ones := g.vecReg(xt)
		g.c.VPCMPEQD(ones, ones, ones)
		g.c.VPXOR(ones, d, d)
	}
	return val{r: d, t: rt, tmp: true, mbits: el.Bits}
}

func (g *gen) maskLogic(e *loop.Bin) val {
	x, y := g.expr(e.X), g.expr(e.Y)
	if x.r.Kind() == reg.KindOpmask {
		k := g.c.K()
		if e.Op == ir.And {
			g.c.KANDQ(y.r, x.r, k)
		} else {
			g.c.KORQ(y.r, x.r, k)
		}
		return val{r: k, t: e.T, tmp: true, mbits: x.mbits}
	}
	if x.r.Kind() != reg.KindVector || x.r.Size() != y.r.Size() {
		g.fail("logic on %v", e.T.Elem)
	}
	d := g.vecRegSize(int(x.r.Size()))
	if e.Op == ir.And {
		g.logic("and", y.r, x.r, d)
	} else {
		g.logic("or", y.r, x.r, d)
	}
	return val{r: d, t: e.T, tmp: true, mbits: x.mbits}
}

func (g *gen) sel(e *loop.Select, hint reg.Register) val {
	t := e.T
	if t.Lanes == 1 && isIntLike(t.Elem) && isIntLike(e.Cond.Type().Elem) {
		// Branch-free: both sides are pure.
		c := g.expr(e.Cond)
		a := g.expr(e.A)
		b := g.expr(e.B)
		d := g.c.GP64()
		g.c.MOVQ(b.r, d)
		g.c.TESTQ(c.r, c.r)
		g.c.CMOVQNE(a.r, d)
		return val{r: d, t: t, tmp: true}
	}
	if t.Lanes == 1 {
		var d reg.Register
		if isIntLike(t.Elem) {
			d = g.c.GP64()
		} else if isFloatScalar(t.Elem) {
			d = g.c.XMM()
		} else {
			g.fail("select of %v", t.Elem)
		}
		b := g.expr(e.B)
		g.move(b, d)
		skip := g.label("sel")
		g.branchFalse(e.Cond, skip)
		a := g.expr(e.A)
		g.move(a, d)
		g.place(skip)
		return val{r: d, t: t, tmp: true}
	}
	if bc, ok := e.Cond.(*loop.Broadcast); ok {
		return g.uniformSel(bc.X, e, hint)
	}
	cond := g.expr(e.Cond)
	a := g.expr(e.A)
	b := g.expr(e.B)
	d := g.dst(t, hint)
	el := t.Elem
	if cond.r.Kind() == reg.KindOpmask {
		// d = b, then a merge-masked move of a (avo treats the destination
		// of a merge-masked instruction as an input, so define it first).
		switch el.Bits {
		case 32:
			g.c.VBLENDMPS(a.r, b.r, cond.r, d) // d = cond ? a : b
		case 64:
			g.c.VBLENDMPD(a.r, b.r, cond.r, d)
		case 16:
			g.c.VPBLENDMW(a.r, b.r, cond.r, d)
		default:
			g.fail("select of %v", el)
		}
		return val{r: d, t: t, tmp: true}
	}
	if cond.mbits != el.Bits || cond.r.Size() != d.Size() {
		g.fail("select of %v under a %d-bit mask", el, cond.mbits)
	}
	switch el.Bits {
	case 32:
		g.c.VBLENDVPS(cond.r, a.r, b.r, d)
	case 64:
		g.c.VBLENDVPD(cond.r, a.r, b.r, d)
	default:
		g.c.VPBLENDVB(cond.r, a.r, b.r, d) // the mask's bytes are whole lanes
	}
	return val{r: d, t: t, tmp: true}
}

// uniformSel translates a vector select on one scalar condition c: the
// condition as a whole mask (0 or all ones: its negation, broadcast), then
// the blend.
func (g *gen) uniformSel(c loop.Expr, e *loop.Select, hint reg.Register) val {
	t := e.T
	el := t.Elem
	cv := g.expr(c)
	m := g.c.GP64()
	g.c.MOVQ(cv.r, m)
	g.c.NEGQ(m) // 1 -> all ones
	a := g.expr(e.A)
	b := g.expr(e.B)
	d := g.dst(t, hint)
	if g.avx512 {
		k := g.c.K()
		g.c.KMOVQ(m, k)
		switch el.Bits {
		case 32:
			g.c.VBLENDMPS(a.r, b.r, k, d)
		case 64:
			g.c.VBLENDMPD(a.r, b.r, k, d)
		case 16:
			g.c.VPBLENDMW(a.r, b.r, k, d)
		default:
			g.c.VPBLENDMB(a.r, b.r, k, d)
		}
		return val{r: d, t: t, tmp: true}
	}
	xm := g.c.XMM()
	g.c.VMOVQ(m, xm)
	mask := g.vecReg(t)
	g.c.VPBROADCASTQ(xm, mask)
	g.c.VPBLENDVB(mask, a.r, b.r, d)
	return val{r: d, t: t, tmp: true}
}

// hreduce folds the lanes of a float vector.
func (g *gen) hreduce(e *loop.HReduce) val {
	xt := e.X.Type()
	el := xt.Elem
	if !isFloatScalar(el) && !(el.IsInteger() && (el.Bits == 32 || el.Bits == 64)) {
		g.fail("horizontal reduction of %v", el)
	}
	if el.IsInteger() && el.Bits == 64 && e.Op != ir.RSum {
		g.fail("horizontal %v of %v", e.Op, el)
	}
	x := g.expr(e.X)
	t1 := loop.Vec(el, 128/el.Bits)
	op := func(a, b, d reg.Register) {
		switch e.Op {
		case ir.RSum:
			g.arith(ir.Add, t1, src{op: a}, b, d)
		case ir.RProd:
			g.arith(ir.Mul, t1, src{op: a}, b, d)
		case ir.RMax:
			g.minmax(true, t1, src{op: a}, b, d)
		case ir.RMin:
			g.minmax(false, t1, src{op: a}, b, d)
		}
	}
	cur := x.r.(reg.VecVirtual)
	if cur.Size() == 64 {
		hi := g.c.YMM()
		g.c.VEXTRACTF64X4(operand.U8(1), cur, hi)
		y := g.c.YMM()
		op2 := func(a, b, d reg.Register) {
			tt := loop.Vec(el, 256/el.Bits)
			switch e.Op {
			case ir.RSum:
				g.arith(ir.Add, tt, src{op: a}, b, d)
			case ir.RProd:
				g.arith(ir.Mul, tt, src{op: a}, b, d)
			case ir.RMax:
				g.minmax(true, tt, src{op: a}, b, d)
			case ir.RMin:
				g.minmax(false, tt, src{op: a}, b, d)
			}
		}
		op2(hi, cur.AsY(), y)
		cur = y
	}
	if cur.Size() == 32 {
		hi := g.c.XMM()
		if g.avx512 {
			g.c.VEXTRACTF32X4(operand.U8(1), cur, hi) // EVEX: cur may be Y16-Y31
		} else {
			g.c.VEXTRACTF128(operand.U8(1), cur, hi)
		}
		x2 := g.c.XMM()
		op(hi, cur.AsX(), x2)
		cur = x2
	}
	sh := g.c.XMM()
	if el.Bits == 32 {
		g.c.VPERMILPS(operand.U8(0x4e), cur, sh)
		x3 := g.c.XMM()
		op(sh, cur, x3)
		sh2 := g.c.XMM()
		g.c.VPERMILPS(operand.U8(0xb1), x3, sh2)
		x4 := g.c.XMM()
		op(sh2, x3, x4)
		return g.laneToScalar(x4, e.T)
	}
	g.c.VPERMILPD(operand.U8(1), cur, sh)
	x3 := g.c.XMM()
	op(sh, cur, x3)
	return g.laneToScalar(x3, e.T)
}

// laneToScalar returns lane 0 of x as a scalar of type t (moved to a
// general-purpose register for integers).
func (g *gen) laneToScalar(x reg.Register, t loop.Type) val {
	if !t.Elem.IsInteger() {
		return val{r: x, t: t, tmp: true}
	}
	r := g.c.GP64()
	if t.Elem.Bits == 64 {
		g.c.VMOVQ(x, r)
	} else {
		g.c.VMOVD(x, r.As32())
		g.normalize(r, t.Elem)
	}
	return val{r: r, t: t, tmp: true}
}
