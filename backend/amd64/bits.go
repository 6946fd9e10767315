package amd64

import (
	"math"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// Bit operations, bit casts, lane constants and raw byte loads: the loop
// IR primitives that the target-neutral expansions of packed loads and
// minifloat conversions (package legalize) are written in.

// bitCall translates the bit operations (loop.BitAnd ... loop.Shr).
func (g *gen) bitCall(e *loop.Call, hint reg.Register) val {
	t := e.T
	if t.Lanes == 1 {
		return g.scalarBitOp(e)
	}
	el := t.Elem
	x := g.expr(e.Args[0])
	d := g.fdst(t, hint, x)
	switch e.Fn {
	case loop.BitAnd, loop.BitOr, loop.BitXor:
		y := g.regOf(g.srcOf(e.Args[1]), t)
		g.vlogic(e.Fn, y, x.r, d)
		return val{r: d, t: t, tmp: true}
	}
	if c, ok := uniformCount(e.Args[1]); ok && el.Bits == 16 {
		g.shiftImm16(e.Fn, el, uint8(min(c, 16)), x.r, d)
		return val{r: d, t: t, tmp: true}
	}
	if el.Bits != 32 && el.Bits != 64 {
		g.fail("vector shift of %v", el)
	}
	if c, ok := uniformCount(e.Args[1]); ok {
		g.shiftImm(e.Fn, el, uint8(min(c, 63)), x.r, d)
		return val{r: d, t: t, tmp: true}
	}
	y := g.regOf(g.srcOf(e.Args[1]), t)
	g.shiftVar(e.Fn, el, y, x.r, d)
	return val{r: d, t: t, tmp: true}
}

// vlogic emits d = x op y on vectors of any element type.
func (g *gen) vlogic(fn loop.Fn, y, x, d reg.Register) {
	c := g.c
	switch {
	case fn == loop.BitAnd && g.avx512:
		c.VPANDQ(y, x, d)
	case fn == loop.BitOr && g.avx512:
		c.VPORQ(y, x, d)
	case fn == loop.BitXor && g.avx512:
		c.VPXORQ(y, x, d)
	case fn == loop.BitAnd:
		c.VPAND(y, x, d)
	case fn == loop.BitOr:
		c.VPOR(y, x, d)
	default:
		c.VPXOR(y, x, d)
	}
}

// shiftImm emits a vector shift by the constant n (less than 64; shifts of
// 32-bit lanes by 32 or more give 0 or the sign, as the loop IR defines).
func (g *gen) shiftImm(fn loop.Fn, el ir.DType, n uint8, x, d reg.Register) {
	c := g.c
	imm := operand.U8(n)
	q := el.Bits == 64
	switch {
	case fn == loop.Shl && q:
		c.VPSLLQ(imm, x, d)
	case fn == loop.Shl:
		c.VPSLLD(imm, x, d)
	case el.Class == ir.Uint && q:
		c.VPSRLQ(imm, x, d)
	case el.Class == ir.Uint:
		c.VPSRLD(imm, x, d)
	case q && g.avx512:
		c.VPSRAQ(imm, x, d)
	case q:
		g.fail("arithmetic shift of i64 lanes on avx2")
	default:
		c.VPSRAD(imm, x, d)
	}
}

// shiftImm16 emits a shift of 16-bit lanes by the constant n (at most 16:
// the hardware gives 0 or the sign for 16 and more).
func (g *gen) shiftImm16(fn loop.Fn, el ir.DType, n uint8, x, d reg.Register) {
	imm := operand.U8(n)
	switch {
	case fn == loop.Shl:
		g.c.VPSLLW(imm, x, d)
	case el.Class == ir.Uint:
		g.c.VPSRLW(imm, x, d)
	default:
		g.c.VPSRAW(imm, x, d)
	}
}

// shiftVar emits a vector shift by per-lane counts y (counts of the element
// width or more give 0 or the sign, as the hardware does).
func (g *gen) shiftVar(fn loop.Fn, el ir.DType, y, x, d reg.Register) {
	c := g.c
	q := el.Bits == 64
	switch {
	case fn == loop.Shl && q:
		c.VPSLLVQ(y, x, d)
	case fn == loop.Shl:
		c.VPSLLVD(y, x, d)
	case el.Class == ir.Uint && q:
		c.VPSRLVQ(y, x, d)
	case el.Class == ir.Uint:
		c.VPSRLVD(y, x, d)
	case q && g.avx512:
		c.VPSRAVQ(y, x, d)
	case q:
		g.fail("arithmetic shift of i64 lanes on avx2")
	default:
		c.VPSRAVD(y, x, d)
	}
}

// uniformCount reports the count of a shift by the same constant in every
// lane.
func uniformCount(e loop.Expr) (uint64, bool) {
	switch e := e.(type) {
	case *loop.Const:
		return uint64(e.Int), true
	case *loop.Broadcast:
		return uniformCount(e.X)
	case *loop.Lanes:
		for _, v := range e.Int {
			if v != e.Int[0] {
				return 0, false
			}
		}
		return uint64(e.Int[0]), len(e.Int) > 0
	}
	return 0, false
}

// scalarBitOp translates a bit operation on a scalar integer (held
// normalised in a general-purpose register).
func (g *gen) scalarBitOp(e *loop.Call) val {
	t := e.T
	x := g.expr(e.Args[0])
	r := g.c.GP64()
	g.c.MOVQ(x.r, r)
	y := g.intOperand(e.Args[1])
	switch e.Fn {
	case loop.BitAnd:
		g.c.ANDQ(y, r)
	case loop.BitOr:
		g.c.ORQ(y, r)
	case loop.BitXor:
		g.c.XORQ(y, r)
	default:
		g.scalarShift(e.Fn, t.Elem, e.Args[1], r)
	}
	g.normalize(r, t.Elem)
	return val{r: r, t: t, tmp: true}
}

// scalarShift shifts r by count as the loop IR defines: counts of 64 or
// more (negative ones included) give 0, or the sign for an arithmetic shift.
func (g *gen) scalarShift(fn loop.Fn, el ir.DType, count loop.Expr, r reg.Register) {
	arith := fn == loop.Shr && el.Class != ir.Uint
	if c, ok := count.(*loop.Const); ok {
		n := uint64(c.Int)
		switch {
		case n >= 64 && !arith:
			g.c.XORQ(r, r)
		case fn == loop.Shl:
			g.c.SHLQ(operand.U8(n), r)
		case arith:
			g.c.SARQ(operand.U8(min(n, 63)), r)
		default:
			g.c.SHRQ(operand.U8(n), r)
		}
		return
	}
	n := g.c.GP64()
	g.c.MOVQ(g.expr(count).r, n)
	if below64(count) {
		switch {
		case fn == loop.Shl:
			g.c.SHLXQ(n, r, r)
		case arith:
			g.c.SARXQ(n, r, r)
		default:
			g.c.SHRXQ(n, r, r)
		}
		return
	}
	big := g.c.GP64()
	g.c.MOVQ(operand.I64(63), big)
	if arith {
		g.c.CMPQ(n, big)
		g.c.CMOVQHI(big, n) // clamp to 63: the sign
		g.c.SARXQ(n, r, r)
		return
	}
	zero := g.c.GP64()
	g.c.XORQ(zero, zero)
	g.c.CMPQ(n, big)
	if fn == loop.Shl {
		g.c.SHLXQ(n, r, r)
	} else {
		g.c.SHRXQ(n, r, r)
	}
	g.c.CMOVQHI(zero, r)
}

// below64 reports whether a shift count is known to be less than 64: an
// and with a constant below 64.
func below64(count loop.Expr) bool {
	c, ok := count.(*loop.Call)
	if !ok || c.Fn != loop.BitAnd {
		return false
	}
	for _, a := range c.Args {
		if k, ok := a.(*loop.Const); ok && uint64(k.Int) < 64 {
			return true
		}
	}
	return false
}

// bitcast reinterprets a value's bits (loop.Bitcast).
func (g *gen) bitcast(e *loop.Bitcast, hint reg.Register) val {
	from, to := e.X.Type(), e.T
	inGP := func(t loop.Type) bool { return t.Lanes == 1 && isIntLike(t.Elem) }
	if l, ok := e.X.(*loop.Load); ok && inGP(to) && to.Elem.Bits == 64 && l.Count == nil && l.Guard == nil && from.Lanes*from.Elem.Bits == 64 && (l.Raw || !l.Buf.Elem.IsPacked()) {
		// Eight bytes straight into a general-purpose register.
		r := g.c.GP64()
		g.c.MOVQ(g.loadAddr(l), r)
		return val{r: r, t: to, tmp: true}
	}
	x := g.expr(e.X)
	switch {
	case inGP(from) && inGP(to):
		r := g.c.GP64()
		g.c.MOVQ(x.r, r)
		g.normalize(r, to.Elem)
		return val{r: r, t: to, tmp: true}
	case inGP(to):
		r := g.c.GP64()
		if to.Elem.Bits == 64 {
			g.c.VMOVQ(x.r, r)
		} else {
			g.c.VMOVD(x.r, r.(reg.GPVirtual).As32())
			g.normalize(r, to.Elem)
		}
		return val{r: r, t: to, tmp: true}
	case inGP(from):
		d := g.c.XMM()
		if from.Elem.Bits == 64 {
			g.c.VMOVQ(x.r, d)
		} else {
			g.c.VMOVD(x.r.(reg.GPVirtual).As32(), d)
		}
		return val{r: d, t: to, tmp: true}
	}
	// Vector (or float scalar) registers hold any type of their size.
	return val{r: x.r, t: to, tmp: x.tmp}
}

// lanesConst loads a per-lane constant from read-only data.
func (g *gen) lanesConst(e *loop.Lanes) val {
	t := e.T
	es := t.Elem.Bits / 8
	b := make([]byte, max(t.Lanes*es, 4))
	for l := 0; l < t.Lanes; l++ {
		var u uint64
		switch {
		case t.Elem == ir.F32:
			u = uint64(math.Float32bits(float32(e.Float[l])))
		case t.Elem == ir.F64:
			u = math.Float64bits(e.Float[l])
		case t.Elem.IsInteger() && !t.Elem.IsPacked():
			u = uint64(e.Int[l])
		default:
			g.fail("lane constant of %v", t.Elem)
		}
		for j := 0; j < es; j++ {
			b[l*es+j] = byte(u >> (8 * j))
		}
	}
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	d := g.vecReg(t)
	g.movPartial(t, g.dataBytes(b), d)
	return val{r: d, t: t, tmp: true}
}

// rawAddr is addr for a raw load: index counts bytes.
func (g *gen) rawAddr(b *loop.Buf, index loop.Expr) operand.Mem {
	l := g.linearize(index)
	idx := g.materialize(l)
	if l.c > math.MaxInt32/2 || l.c < math.MinInt32/2 {
		g.fail("displacement out of range")
	}
	m := operand.Mem{Base: g.base(b), Disp: int(l.c)}
	if idx != nil {
		m.Index, m.Scale = idx, 1
	}
	return m
}

// loadAddr is the memory operand of a load: element or, for a raw load,
// byte addressing.
func (g *gen) loadAddr(e *loop.Load) operand.Mem {
	if e.Raw {
		return g.rawAddr(e.Buf, e.Index)
	}
	return g.addr(e.Buf, e.Index)
}

// shuffle picks lanes by constant indices (loop.Shuffle): VPERMD over the
// whole source register (64-bit lanes as pairs of 32-bit ones), VPSHUFD
// within one XMM register; the result is the low part of the permuted
// register.
func (g *gen) shuffle(e *loop.Shuffle) val {
	xt := e.X.Type()
	if xt.Elem.Bits == 8 {
		return g.byteShuffle(e)
	}
	x := g.expr(e.X)
	per := xt.Elem.Bits / 32 // 32-bit lanes per element
	if xt.Elem.Bits%32 != 0 || per == 0 {
		g.fail("shuffle of %v lanes", xt.Elem)
	}
	var dwords []int
	for _, i := range e.Index {
		for q := 0; q < per; q++ {
			dwords = append(dwords, i*per+q)
		}
	}
	size := xt.Lanes * xt.Elem.Bits
	var d reg.Register
	if size <= 128 {
		if len(dwords) > 4 {
			g.fail("shuffle to more than 4 dwords in an XMM register")
		}
		imm := 0
		for q, w := range dwords {
			imm |= w << (2 * q)
		}
		d = g.c.XMM()
		g.c.VPSHUFD(operand.U8(uint8(imm)), x.r, d)
	} else {
		all := size / 32
		b := make([]byte, 4*all)
		for q := 0; q < all; q++ {
			w := 0
			if q < len(dwords) {
				w = dwords[q]
			}
			b[4*q] = byte(w)
		}
		idx := g.vecRegSize(size / 8)
		g.movdqu(g.dataBytes(b), idx)
		full := g.vecRegSize(size / 8)
		g.c.VPERMD(x.r, idx, full)
		d = full
	}
	return val{r: sized(d, e.T), t: e.T, tmp: true}
}

// byteShuffle translates a shuffle of the bytes of a vector of at most 16:
// the source replicated into every 128-bit lane of the result's register
// (straight from memory for a load), then VPSHUFB with the indices as its
// table.
func (g *gen) byteShuffle(e *loop.Shuffle) val {
	src := e.X.Type().Lanes
	if src != 8 && src != 16 {
		g.fail("shuffle of %d bytes", src)
	}
	size := max(16, len(e.Index))
	if size > 16 && size != 32 && size != 64 || size == 64 && !g.avx512 {
		g.fail("shuffle to %d bytes", len(e.Index))
	}
	d := g.vecRegSize(size)
	if l, ok := e.X.(*loop.Load); ok && l.Count == nil && l.Guard == nil && (l.Raw || !l.Buf.Elem.IsPacked()) {
		m := g.loadAddr(l)
		switch {
		case src == 8:
			g.c.VPBROADCASTQ(m, d)
		case size == 16:
			g.movdqu(m, d)
		case size == 32 && !g.avx512:
			g.c.VBROADCASTI128(m, d)
		default:
			g.c.VBROADCASTI32X4(m, d)
		}
	} else {
		x := g.expr(e.X)
		xv := x.r.(reg.VecVirtual)
		switch {
		case src == 8:
			g.c.VPBROADCASTQ(xv.AsX(), d)
		case size == 16:
			g.movdqu(xv.AsX(), d)
		case size == 32 && !g.avx512:
			g.c.VINSERTI128(operand.U8(1), xv.AsX(), xv.AsY(), d)
		case size == 32:
			g.c.VINSERTI32X4(operand.U8(1), xv.AsX(), xv.AsY(), d)
		default:
			g.c.VSHUFI32X4(operand.U8(0), xv.AsZ(), xv.AsZ(), d)
		}
	}
	table := make([]byte, size)
	for i := range table {
		table[i] = 0x80 // zero
		if i < len(e.Index) {
			table[i] = byte(e.Index[i] % 16)
		}
	}
	t := g.vecRegSize(size)
	g.movdqu(g.dataBytes(table), t)
	g.c.VPSHUFB(t, d, d)
	return val{r: sized(d, e.T), t: e.T, tmp: true}
}

// sized returns the part of vector register r that holds a value of type t
// (its low XMM or YMM part).
func sized(r reg.Register, t loop.Type) reg.Register {
	v, ok := r.(reg.VecVirtual)
	if !ok {
		return r
	}
	switch bits := t.Lanes * t.Elem.Bits; {
	case bits <= 128:
		return v.AsX()
	case bits <= 256:
		return v.AsY()
	}
	return v.AsZ()
}

// movdqu moves a whole vector: the EVEX VMOVDQU64 on AVX-512 (the VEX
// VMOVDQU cannot name X16-X31 and Y16-Y31), VMOVDQU on AVX2.
func (g *gen) movdqu(src, dst operand.Op) {
	if g.avx512 {
		g.c.VMOVDQU64(src, dst)
	} else {
		g.c.VMOVDQU(src, dst)
	}
}
