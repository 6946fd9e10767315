package amd64

import (
	"encoding/binary"
	"math"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/tensorcc/tcc/internal/rt"
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

func (g *gen) call(e *loop.Call, hint reg.Register) val {
	t := e.T
	if e.Fn == loop.FMA {
		return g.fma(e, hint)
	}
	if e.Fn == loop.DotU8S8 {
		return g.dotU8S8(e, hint)
	}
	if e.Fn.IsBitOp() {
		return g.bitCall(e, hint)
	}
	if e.Fn == loop.Scalef {
		return g.scalef(e)
	}
	fn := ir.Func(e.Fn)
	if int(e.Fn) < 0 || int(e.Fn) > int(ir.Clamp) || len(e.Args) != fn.Arity() {
		g.fail("call of function %d with %d arguments", e.Fn, len(e.Args))
	}
	el := t.Elem
	if el.IsInteger() {
		return g.intCall(fn, e, hint)
	}
	if !isFloatScalar(el) {
		g.fail("%v on %v", fn, el)
	}
	switch fn {
	case ir.Min, ir.Max, ir.Clamp:
		return g.minMaxClamp(fn, e, t, hint)
	case ir.Relu:
		x := g.expr(e.Args[0])
		z := g.cvec(t, 0)
		d := g.fdst(t, hint, x)
		g.minmax(true, t, src{op: z}, x.r, d)
		return val{r: d, t: t, tmp: true}
	case ir.Abs:
		x := g.expr(e.Args[0])
		d := g.fdst(t, hint, x)
		g.logic("and", g.bitsVec(t, signMask(el)-1), x.r, d)
		return val{r: d, t: t, tmp: true}
	case ir.Sqrt, ir.Rsqrt:
		x := g.expr(e.Args[0])
		d := g.fdst(t, hint, x)
		g.sqrt(t, x.r, d)
		if fn == ir.Rsqrt {
			one := g.cvec(t, 1)
			g.arith(ir.Div, t, src{op: d}, one, d)
		}
		return val{r: d, t: t, tmp: true}
	case ir.Floor, ir.Ceil, ir.Round:
		x := g.expr(e.Args[0])
		d := g.fdst(t, hint, x)
		imm := map[ir.Func]uint8{ir.Round: 0x8, ir.Floor: 0x9, ir.Ceil: 0xa}[fn]
		g.round(t, imm, x.r, d)
		return val{r: d, t: t, tmp: true}
	}
	return g.mathFunc(fn, e, hint)
}

func (g *gen) sqrt(t loop.Type, x, d reg.Register) {
	switch {
	case t.Lanes == 1 && t.Elem.Bits == 32:
		g.c.VSQRTSS(x, x, d)
	case t.Lanes == 1:
		g.c.VSQRTSD(x, x, d)
	case t.Elem.Bits == 32:
		g.c.VSQRTPS(x, d)
	default:
		g.c.VSQRTPD(x, d)
	}
}

// round rounds with the VROUND/VRNDSCALE immediate imm (0x8 nearest even,
// 0x9 floor, 0xa ceil; precision exceptions suppressed).
func (g *gen) round(t loop.Type, imm uint8, x, d reg.Register) {
	i := operand.U8(imm)
	f32 := t.Elem.Bits == 32
	switch {
	// On AVX-512 the EVEX forms, which reach X16-X31 at every width.
	case g.avx512 && t.Lanes == 1 && f32:
		g.c.VRNDSCALESS(i, x, x, d)
	case g.avx512 && t.Lanes == 1:
		g.c.VRNDSCALESD(i, x, x, d)
	case g.avx512 && f32:
		g.c.VRNDSCALEPS(i, x, d)
	case g.avx512:
		g.c.VRNDSCALEPD(i, x, d)
	case t.Lanes == 1 && f32:
		g.c.VROUNDSS(i, x, x, d)
	case t.Lanes == 1:
		g.c.VROUNDSD(i, x, x, d)
	case f32:
		g.c.VROUNDPS(i, x, d)
	default:
		g.c.VROUNDPD(i, x, d)
	}
}

// minMaxClamp emits min, max or clamp of float or integer vectors (minmax
// picks the instruction for the element type).
func (g *gen) minMaxClamp(fn ir.Func, e *loop.Call, t loop.Type, hint reg.Register) val {
	if !t.Elem.IsInteger() && g.plainBound(e.Args[1]) && (fn != ir.Clamp || g.plainBound(e.Args[2])) {
		return g.minMaxConst(fn, e, t, hint)
	}
	x := g.expr(e.Args[0])
	s := g.srcOf(e.Args[1])
	d := g.fdst(t, hint, x)
	if fn == ir.Clamp {
		g.minmax(true, t, s, x.r, d)
		hi := g.srcOf(e.Args[2])
		g.minmax(false, t, hi, d, d)
	} else {
		g.minmax(fn == ir.Max, t, s, x.r, d)
	}
	return val{r: d, t: t, tmp: true}
}

// plainBound reports whether e is a float constant that is neither NaN nor
// zero: max and min with it need no IEEE 754-2019 care (it is never NaN,
// and equal operands then have the same sign), so the one-instruction
// x86 form with x as its second source (returned when x is NaN) is exact.
func (g *gen) plainBound(e loop.Expr) bool {
	c, ok := g.constOf(e)
	return ok && c.Float == c.Float && c.Float != 0
}

// minMaxConst translates min, max and clamp of x with plainBound constants.
func (g *gen) minMaxConst(fn ir.Func, e *loop.Call, t loop.Type, hint reg.Register) val {
	op := g.fpOpsFor(t)
	x := g.expr(e.Args[0])
	d := g.fdst(t, hint, x)
	cur := x.r
	bound := func(isMax bool, c loop.Expr) {
		cr := g.regOf(g.srcOf(c), t)
		if isMax {
			op.max(cur, cr, d) // d = cr > cur ? cr : cur (cur when NaN)
		} else {
			op.min(cur, cr, d)
		}
		cur = d
	}
	switch fn {
	case ir.Clamp:
		bound(true, e.Args[1])
		bound(false, e.Args[2])
	default:
		bound(fn == ir.Max, e.Args[1])
	}
	return val{r: d, t: t, tmp: true}
}

func (g *gen) intCall(fn ir.Func, e *loop.Call, hint reg.Register) val {
	t := e.T
	switch fn {
	case ir.Floor, ir.Ceil, ir.Round:
		return g.expr(e.Args[0])
	}
	if t.Lanes == 1 {
		return g.scalarIntCall(fn, e)
	}
	switch fn {
	case ir.Min, ir.Max, ir.Clamp:
		return g.minMaxClamp(fn, e, t, hint)
	case ir.Relu:
		x := g.expr(e.Args[0])
		z := g.dst(t, nil)
		g.zero(z)
		d := g.fdst(t, hint, x)
		g.minmax(true, t, src{op: z}, x.r, d)
		return val{r: d, t: t, tmp: true}
	case ir.Abs:
		if t.Elem.Bits != 32 || t.Elem.Class != ir.Int {
			break
		}
		x := g.expr(e.Args[0])
		d := g.fdst(t, hint, x)
		g.c.VPABSD(x.r, d)
		return val{r: d, t: t, tmp: true}
	}
	g.fail("vector integer %v", fn)
	return val{}
}

// fma translates a*b+c with VFMADD231, folding a load or broadcast operand and
// accumulating in place when c is the destination variable.
func (g *gen) fma(e *loop.Call, hint reg.Register) val {
	t := e.T
	if len(e.Args) != 3 {
		g.fail("fma with %d arguments", len(e.Args))
	}
	if !isFloatScalar(t.Elem) {
		g.fail("fma on %v", t.Elem)
	}
	a, b, cc := e.Args[0], e.Args[1], e.Args[2]
	// Fold the operand that is a load or broadcast; the other goes in a register.
	if _, ok := foldable(a); ok {
		a, b = b, a
	} else if _, ok := a.(*loop.Broadcast); ok && g.avx512 {
		a, b = b, a
	}
	var d reg.Register
	if r, ok := cc.(*loop.Ref); ok && hint != nil && g.vars[r.Var] == hint && g.offs[r.Var] == 0 {
		d = hint
	}
	av := g.expr(a)
	s := g.srcOf(b)
	if d == nil && av.tmp && t.Lanes > 1 && addendKept(cc) {
		// The addend is a constant or a variable, which the 231 form would
		// first copy: accumulate into a's temporary instead (213: d = b*d + c).
		return g.fma213(t, av.r, g.regOf(s, t), g.srcOf(cc))
	}
	if d == nil {
		cv := g.expr(cc)
		if cv.tmp {
			d = cv.r
		} else {
			if t.Lanes == 1 {
				d = g.c.XMM()
			} else {
				d = g.dst(t, hint)
			}
			g.move(cv, d)
		}
	}
	f32 := t.Elem.Bits == 32
	switch {
	case t.Lanes == 1 && f32:
		g.c.VFMADD231SS(g.regOf(s, t), av.r, d)
	case t.Lanes == 1:
		g.c.VFMADD231SD(g.regOf(s, t), av.r, d)
	case s.bcst && f32:
		g.c.VFMADD231PS_BCST(s.op, av.r, d)
	case s.bcst:
		g.c.VFMADD231PD_BCST(s.op, av.r, d)
	case f32:
		g.c.VFMADD231PS(s.op, av.r, d)
	default:
		g.c.VFMADD231PD(s.op, av.r, d)
	}
	return val{r: d, t: t, tmp: true}
}

// addendKept reports whether an FMA addend's value lives on after the FMA
// (a constant, cached per block, or a variable's register).
func addendKept(e loop.Expr) bool {
	switch e.(type) {
	case *loop.Const, *loop.Ref:
		return true
	}
	return false
}

// fma213 computes d = b*d + c in place (VFMADD213PS/PD; c a register, memory
// or embedded-broadcast operand).
func (g *gen) fma213(t loop.Type, d, b reg.Register, c src) val {
	f32 := t.Elem.Bits == 32
	switch {
	case c.bcst && f32:
		g.c.VFMADD213PS_BCST(c.op, b, d)
	case c.bcst:
		g.c.VFMADD213PD_BCST(c.op, b, d)
	case f32:
		g.c.VFMADD213PS(c.op, b, d)
	default:
		g.c.VFMADD213PD(c.op, b, d)
	}
	return val{r: d, t: t, tmp: true}
}

// dotU8S8 translates the VNNI byte dot product c + a·b (a unsigned, b signed
// bytes per i32 lane) to VPDPBUSD, accumulating in place when c is the
// destination variable and folding a load or broadcast of b.
func (g *gen) dotU8S8(e *loop.Call, hint reg.Register) val {
	t := e.T
	if !g.vnni || t.Lanes == 1 || t.Elem.Bits != 32 || !t.Elem.IsInteger() || len(e.Args) != 3 {
		g.fail("DotU8S8 of %v x %d on this target", t.Elem, t.Lanes)
	}
	a, b, cc := e.Args[0], e.Args[1], e.Args[2]
	var d reg.Register
	if r, ok := cc.(*loop.Ref); ok && hint != nil && g.vars[r.Var] == hint {
		d = hint
	}
	av := g.expr(a)
	var s src
	if l, ok := foldable(b); ok && !l.Buf.Elem.IsPacked() {
		s = g.srcOf(b)
	} else {
		s = src{op: g.expr(b).r}
	}
	if d == nil {
		cv := g.expr(cc)
		if cv.tmp {
			d = cv.r
		} else {
			d = g.dst(t, hint)
			g.move(cv, d)
		}
	}
	g.c.VPDPBUSD(s.op, av.r, d)
	return val{r: d, t: t, tmp: true}
}

// ---- casts ----

func (g *gen) cast(e *loop.Cast, hint reg.Register) val {
	from, to := e.X.Type(), e.T
	fe, te := from.Elem, to.Elem
	if from.Lanes != to.Lanes {
		g.fail("cast changes lane count")
	}
	if fe == te {
		return g.expr(e.X)
	}
	if to.Lanes == 1 {
		return g.scalarCast(e)
	}
	// Vector casts.
	switch {
	case fe == ir.F16 && te == ir.F32:
		x := g.expr(e.X)
		d := g.dst(to, hint)
		g.c.VCVTPH2PS(x.r, d)
		return val{r: d, t: to, tmp: true}
	case fe == ir.F32 && te == ir.F16:
		x := g.expr(e.X)
		d := g.vecReg(to)
		g.c.VCVTPS2PH(operand.U8(0), x.r, d)
		return val{r: d, t: to, tmp: true}
	case fe == ir.BF16 && te == ir.F32:
		x := g.expr(e.X)
		d := g.dst(to, hint)
		g.c.VPMOVZXWD(x.r, d)
		g.c.VPSLLD(operand.U8(16), d, d)
		return val{r: d, t: to, tmp: true}
	case fe == ir.F32 && te == ir.F64:
		x := g.expr(e.X)
		d := g.dst(to, hint)
		g.c.VCVTPS2PD(x.r, d)
		return val{r: d, t: to, tmp: true}
	case fe == ir.F64 && te == ir.F32:
		x := g.expr(e.X)
		d := g.dst(to, hint)
		if x.r.Size() == 32 {
			// ymm -> xmm needs the explicit Y form in the Go assembler.
			g.c.VCVTPD2PSY(x.r, d)
		} else {
			g.c.VCVTPD2PS(x.r, d)
		}
		return val{r: d, t: to, tmp: true}
	case fe == ir.I32 && te == ir.I64, fe == ir.U32 && te == ir.I64, fe == ir.I32 && te == ir.F64:
		x := g.expr(e.X)
		d := g.dst(to, hint)
		switch {
		case te == ir.F64:
			g.c.VCVTDQ2PD(x.r, d)
		case fe == ir.I32:
			g.c.VPMOVSXDQ(x.r, d)
		default:
			g.c.VPMOVZXDQ(x.r, d)
		}
		return val{r: d, t: to, tmp: true}
	case g.avx512 && fe == ir.I32 && (te == ir.I8 || te == ir.U8 || te == ir.I16 || te == ir.U16):
		// Saturate, then narrow (AVX-512 VPMOV*).
		x := g.expr(e.X)
		src := x.r
		if te.Class == ir.Uint {
			lo, hi := intRange(te)
			c := g.vecReg(from)
			g.c.VPMAXSD(g.constVal(&loop.Const{T: from, Int: lo}, nil).r, x.r, c)
			g.c.VPMINSD(g.constVal(&loop.Const{T: from, Int: hi}, nil).r, c, c)
			src = c
		}
		d := g.vecReg(to)
		switch {
		case te == ir.I8:
			g.c.VPMOVSDB(src, d)
		case te == ir.I16:
			g.c.VPMOVSDW(src, d)
		case te == ir.U8:
			g.c.VPMOVDB(src, d)
		default:
			g.c.VPMOVDW(src, d)
		}
		return val{r: d, t: to, tmp: true}
	case fe == ir.I32 && te == ir.F32:
		x := g.expr(e.X)
		d := g.dst(to, hint)
		g.c.VCVTDQ2PS(x.r, d)
		return val{r: d, t: to, tmp: true}
	case fe == ir.F32 && te == ir.I32:
		return g.f32ToI32(e, hint)
	case g.avx512 && fe == ir.F32 && (te == ir.I8 || te == ir.U8 || te == ir.I16 || te == ir.U16):
		// Saturating f32 -> i32, then saturating narrowing: the same result
		// as rounding and saturating to the narrow type directly.
		mid := loop.Vec(ir.I32, to.Lanes)
		return g.cast(&loop.Cast{X: &loop.Cast{X: e.X, T: mid}, T: to}, hint)
	case (fe.Class == ir.MiniFloat || fe.Class == ir.UMiniFloat) && fe.Bits == 8 && te == ir.F32:
		return g.decodeGather(e, hint)
	case (fe == ir.I8 || fe == ir.U8 || fe == ir.I16 || fe == ir.U16) && te == ir.I32,
		(fe == ir.U8 || fe == ir.U16) && te == ir.U32, fe == ir.U8 && te == ir.U16: // widening, exact
		x := g.expr(e.X)
		d := g.dst(to, hint)
		if te == ir.U16 {
			g.c.VPMOVZXBW(x.r, d)
			return val{r: d, t: to, tmp: true}
		}
		switch fe {
		case ir.I8:
			g.c.VPMOVSXBD(x.r, d)
		case ir.U8:
			g.c.VPMOVZXBD(x.r, d)
		case ir.I16:
			g.c.VPMOVSXWD(x.r, d)
		case ir.U16:
			g.c.VPMOVZXWD(x.r, d)
		}
		return val{r: d, t: to, tmp: true}
	}
	g.fail("vector cast %v -> %v", fe, te)
	return val{}
}

// f32ToI32 converts with round-half-even, saturation and NaN -> 0.
func (g *gen) f32ToI32(e *loop.Cast, hint reg.Register) val {
	to := e.T
	x := g.expr(e.X)
	d := g.dst(to, hint)
	g.c.VCVTPS2DQ(x.r, d) // overflow and NaN give 0x80000000
	big := g.cvec(e.X.Type(), 2147483648)
	maxi := g.bitsVec(to, math.MaxInt32)
	if g.avx512 {
		k := g.c.K()
		g.c.VCMPPS(operand.U8(0x1d), big, x.r, k) // x >= 2^31
		g.c.VMOVDQU32(maxi, k, d)
		kn := g.c.K()
		g.c.VCMPPS(operand.U8(0x07), x.r, x.r, kn) // ordered
		g.c.VMOVDQU32_Z(d, kn, d)
		return val{r: d, t: to, tmp: true}
	}
	m := g.vecReg(e.X.Type())
	g.c.VCMPPS(operand.U8(0x1d), big, x.r, m)
	g.c.VBLENDVPS(m, maxi, d, d)
	g.c.VCMPPS(operand.U8(0x07), x.r, x.r, m)
	g.c.VANDPS(m, d, d)
	return val{r: d, t: to, tmp: true}
}

// andMask returns m when e is a bit and of an integer with the constant
// m >= 0, so that e lies in [0, m].
func andMask(e loop.Expr) (int64, bool) {
	c, ok := e.(*loop.Call)
	if !ok || c.Fn != loop.BitAnd {
		return 0, false
	}
	for _, a := range c.Args {
		if k, ok := a.(*loop.Const); ok && k.Int >= 0 {
			return k.Int, true
		}
	}
	return 0, false
}

// intRange returns the finite range of integer type t.
func intRange(t ir.DType) (lo, hi int64) {
	if t.Class == ir.Uint && t.Bits == 64 {
		return 0, math.MaxInt64
	}
	if t.Class == ir.Uint {
		return 0, int64(uint64(1)<<uint(t.Bits) - 1)
	}
	return -1 << uint(t.Bits-1), 1<<uint(t.Bits-1) - 1
}

func (g *gen) scalarCast(e *loop.Cast) val {
	from, to := e.X.Type(), e.T
	fe, te := from.Elem, to.Elem
	x := g.expr(e.X)
	switch {
	case fe.Class == ir.Bool && te.IsInteger():
		return val{r: x.r, t: to}
	case fe.Class == ir.Bool && isFloatScalar(te):
		return g.intToFloat(x, to)
	case fe.IsInteger() && te.IsInteger():
		lo, hi := intRange(te)
		flo, fhi := intRange(fe)
		if m, ok := andMask(e.X); ok {
			flo, fhi = 0, m // an and with a non-negative constant bounds it
		}
		if flo >= lo && (fhi <= hi || te.Bits == 64) {
			return val{r: x.r, t: to}
		}
		r := g.c.GP64()
		g.c.MOVQ(x.r, r)
		t := g.c.GP64()
		g.c.MOVQ(operand.I64(hi), t)
		g.c.CMPQ(r, t)
		g.c.CMOVQGT(t, r)
		if flo < lo {
			g.c.MOVQ(operand.I64(lo), t)
			g.c.CMPQ(r, t)
			g.c.CMOVQLT(t, r)
		}
		return val{r: r, t: to, tmp: true}
	case fe.IsInteger() && isFloatScalar(te):
		return g.intToFloat(x, to)
	case isFloatScalar(fe) && isFloatScalar(te):
		d := g.c.XMM()
		if fe.Bits == 32 {
			g.c.VCVTSS2SD(x.r, x.r, d)
		} else {
			g.c.VCVTSD2SS(x.r, x.r, d)
		}
		return val{r: d, t: to, tmp: true}
	case (fe.Class == ir.MiniFloat || fe.Class == ir.UMiniFloat) && te == ir.F32:
		// Exact decode by table lookup.
		tb := g.c.GP64()
		g.c.LEAQ(g.miniTable(fe), tb)
		d := g.c.XMM()
		g.c.VMOVSS(operand.Mem{Base: tb, Index: x.r, Scale: 4}, d)
		return val{r: d, t: to, tmp: true}
	case fe == ir.F16 && te == ir.F32:
		d := g.c.XMM()
		g.c.VMOVQ(x.r, d)
		g.c.VCVTPH2PS(d, d)
		return val{r: d, t: to, tmp: true}
	case fe == ir.BF16 && te == ir.F32:
		r := g.c.GP64()
		g.c.MOVQ(x.r, r)
		g.c.SHLQ(operand.U8(16), r)
		d := g.c.XMM()
		g.c.VMOVQ(r, d)
		return val{r: d, t: to, tmp: true}
	case fe == ir.F32 && te == ir.F16:
		d := g.c.XMM()
		g.c.VCVTPS2PH(operand.U8(0), x.r, d)
		r := g.c.GP64()
		g.c.VMOVQ(d, r)
		g.c.MOVWQZX(r.As16(), r)
		return val{r: r, t: to, tmp: true}
	case isFloatScalar(fe) && te.IsInteger() && te.Bits <= 32:
		// Convert through f64, where every bound is exact.
		f := x.r
		if fe.Bits == 32 {
			f = g.c.XMM()
			g.c.VCVTSS2SD(x.r, x.r, f)
		}
		lo, hi := intRange(te)
		c := g.c.XMM()
		g.c.VMAXSD(g.scalarData(ir.F64, &loop.Const{Float: float64(lo)}), f, c)
		g.c.VMINSD(g.scalarData(ir.F64, &loop.Const{Float: float64(hi)}), c, c)
		r := g.c.GP64()
		g.c.VCVTSD2SIQ(c, r)
		// NaN gives 0: VUCOMISD of f with itself sets PF when unordered
		// (VCMPSD into an X register has no encoding for X16-X31).
		z := g.c.GP64()
		g.c.XORQ(z, z)
		g.c.VUCOMISD(f, f)
		g.c.CMOVQPS(z, r)
		return val{r: r, t: to, tmp: true}
	}
	g.fail("scalar cast %v -> %v", fe, te)
	return val{}
}

func (g *gen) intToFloat(x val, to loop.Type) val {
	d := g.c.XMM()
	g.c.VXORPS(d, d, d)
	if to.Elem.Bits == 32 {
		g.c.VCVTSI2SSQ(x.r, d, d)
	} else {
		g.c.VCVTSI2SDQ(x.r, d, d)
	}
	return val{r: d, t: to, tmp: true}
}

// scalarIntCall translates min, max, clamp, abs and relu on scalar integers
// with compares and conditional moves.
func (g *gen) scalarIntCall(fn ir.Func, e *loop.Call) val {
	t := e.T
	x := g.expr(e.Args[0])
	d := g.c.GP64()
	g.c.MOVQ(x.r, d)
	pick := func(y operand.Op, takeIfLess bool) {
		yr, ok := y.(reg.Register)
		if !ok {
			yr = g.c.GP64()
			g.c.MOVQ(y, yr)
		}
		g.c.CMPQ(yr, d)
		if takeIfLess {
			g.c.CMOVQLT(yr, d) // d = min(d, y)
		} else {
			g.c.CMOVQGT(yr, d) // d = max(d, y)
		}
	}
	switch fn {
	case ir.Min:
		pick(g.expr(e.Args[1]).r, true)
	case ir.Max:
		pick(g.expr(e.Args[1]).r, false)
	case ir.Clamp:
		pick(g.expr(e.Args[1]).r, false)
		pick(g.expr(e.Args[2]).r, true)
	case ir.Relu:
		z := g.c.GP64()
		g.c.XORQ(z, z)
		pick(z, false)
	case ir.Abs:
		n := g.c.GP64()
		g.c.MOVQ(d, n)
		g.c.NEGQ(n)
		pick(n, false)
		g.normalize(d, t.Elem)
	default:
		g.fail("scalar integer %v", fn)
	}
	return val{r: d, t: t, tmp: true}
}

// miniTable returns the 256-entry f32 decode table of minifloat type t (from
// package rt, which implements SPEC section 3).
func (g *gen) miniTable(t ir.DType) operand.Mem {
	tab := rt.MiniFloat{Exp: t.Exp, Man: t.Man, Signed: t.Class == ir.MiniFloat}.Table()
	b := make([]byte, 4*256)
	for i, f := range tab {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return g.dataBytes(b)
}

// decodeGather decodes a vector of 8-bit minifloats to f32 with a gather from
// the decode table.
func (g *gen) decodeGather(e *loop.Cast, hint reg.Register) val {
	to := e.T
	x := g.expr(e.X)
	idx := g.vecReg(loop.Vec(ir.I32, to.Lanes))
	g.c.VPMOVZXBD(x.r, idx)
	tb := g.c.GP64()
	g.c.LEAQ(g.miniTable(e.X.Type().Elem), tb)
	d := g.vecReg(to)
	g.zero(d)
	m := operand.Mem{Base: tb, Index: idx, Scale: 4}
	if g.avx512 {
		ones := g.c.GP64()
		g.c.MOVQ(operand.I64(-1), ones)
		k := g.c.K()
		g.c.KMOVQ(ones, k)
		g.c.VGATHERDPS(m, k, d)
	} else {
		mask := g.vecReg(to)
		g.c.VPCMPEQD(mask, mask, mask)
		g.c.VGATHERDPS(mask, m, d)
	}
	return val{r: d, t: to, tmp: true}
}

// scalef translates loop.Scalef to VSCALEFPS or VSCALEFPD (AVX-512).
func (g *gen) scalef(e *loop.Call) val {
	t := e.T
	if !g.avx512 || len(e.Args) != 2 || t.Elem != ir.F32 && t.Elem != ir.F64 {
		g.fail("scalef of %v on this target", t)
	}
	x, n := g.expr(e.Args[0]), g.expr(e.Args[1])
	d := g.vecReg(t)
	if t.Elem == ir.F32 {
		g.c.VSCALEFPS(n.r, x.r, d)
	} else {
		g.c.VSCALEFPD(n.r, x.r, d)
	}
	return val{r: d, t: t, tmp: true}
}
