package amd64

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

func (g *gen) expr(e loop.Expr) val { return g.exprHint(e, nil) }

// exprHint translates e; when hint is non-nil the result may be produced
// directly in hint (the caller's destination register).
func (g *gen) exprHint(e loop.Expr, hint reg.Register) val {
	t := e.Type()
	// Common scalar integer subexpressions (sizes, bounds, offsets) are
	// computed once per straight-line block.
	if t.Lanes == 1 && isIntLike(t.Elem) {
		switch e.(type) {
		case *loop.Bin, *loop.Un, *loop.Select, *loop.Cast, *loop.Call:
			in := g.info(e)
			if !in.load {
				key := "cse:" + in.key + "@" + g.offsFor(in.deps)
				if r, ok := g.pinned[key]; ok {
					return val{r: r, t: t}
				}
				if c, ok := g.cache[key]; ok {
					return val{r: c.r, t: t}
				}
				v := g.exprNoCSE(e, hint)
				if v.r.Kind() == reg.KindGP {
					g.cache[key] = cached{r: v.r, deps: in.deps}
					v.tmp = false
				}
				return v
			}
		}
	}
	return g.exprNoCSE(e, hint)
}

func (g *gen) exprNoCSE(e loop.Expr, hint reg.Register) val {
	t := e.Type()
	switch e := e.(type) {
	case *loop.Const:
		return g.constVal(e, hint)
	case *loop.Ref:
		return g.ref(e)
	case *loop.Load:
		if v, ok := g.reused(e, e.T.Lanes, false, func() val { return g.load(e, nil) }); ok {
			return v
		}
		return g.load(e, hint)
	case *loop.Broadcast:
		if l, ok := e.X.(*loop.Load); ok {
			if v, ok := g.reused(l, e.T.Lanes, true, func() val { return g.broadcast(e, nil) }); ok {
				return v
			}
		}
		return g.broadcast(e, hint)
	case *loop.Bin:
		if t.Lanes == 1 && isIntLike(t.Elem) && isIntLike(e.X.Type().Elem) {
			return g.intBin(e)
		}
		if e.Op.IsCompare() {
			return g.compare(e)
		}
		if e.Op == ir.And || e.Op == ir.Or {
			return g.maskLogic(e)
		}
		return g.floatBin(e, hint)
	case *loop.Un:
		return g.unary(e, hint)
	case *loop.Call:
		return g.call(e, hint)
	case *loop.Select:
		return g.sel(e, hint)
	case *loop.Cast:
		return g.cast(e, hint)
	case *loop.HReduce:
		return g.hreduce(e)
	case *loop.Bitcast:
		return g.bitcast(e, hint)
	case *loop.Lanes:
		return g.lanesConst(e)
	case *loop.Shuffle:
		return g.shuffle(e)
	}
	g.fail("expression %T", e)
	return val{}
}

// ---- constants ----

func (g *gen) dataBytes(b []byte) operand.Mem {
	key := string(b)
	if m, ok := g.consts[key]; ok {
		return m
	}
	g.nconst++
	m := g.c.StaticGlobal(fmt.Sprintf("%s_c%d", g.name, g.nconst))
	g.c.DataAttributes(attr.RODATA | attr.NOPTR)
	for i := 0; i+4 <= len(b); i += 4 {
		g.c.AppendDatum(operand.U32(binary.LittleEndian.Uint32(b[i:])))
	}
	g.consts[key] = m
	return m
}

// scalarData returns a memory operand holding the constant c of element type t.
func (g *gen) scalarData(t ir.DType, c *loop.Const) operand.Mem {
	switch {
	case t == ir.F32:
		return g.f32Data(float32(c.Float))
	case t == ir.F64:
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(c.Float))
		return g.dataBytes(b[:])
	case t.IsInteger() && t.Bits == 64:
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(c.Int))
		return g.dataBytes(b[:])
	case t.IsInteger() && t.Bits == 32:
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(c.Int))
		return g.dataBytes(b[:])
	case t.IsInteger() && t.Bits == 16:
		// Padded to 4 bytes: VPBROADCASTW reads two.
		var b [4]byte
		binary.LittleEndian.PutUint16(b[:], uint16(c.Int))
		return g.dataBytes(b[:])
	}
	g.fail("constant of type %v", t)
	return operand.Mem{}
}

func (g *gen) f32Data(f float32) operand.Mem {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], math.Float32bits(f))
	return g.dataBytes(b[:])
}

func (g *gen) u32Data(u uint32) operand.Mem {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], u)
	return g.dataBytes(b[:])
}

func (g *gen) constVal(c *loop.Const, hint reg.Register) val {
	t := c.T
	if t.Lanes == 1 && isIntLike(t.Elem) {
		r := g.c.GP64()
		v := c.Int
		switch {
		case t.Elem.Class == ir.Int && t.Elem.Bits < 64:
			v = signExt(v, t.Elem.Bits)
		case t.Elem.Class == ir.Uint:
			v = int64(uint64(v) & (1<<uint(t.Elem.Bits) - 1))
		}
		if v == 0 {
			g.c.XORQ(r, r)
		} else {
			g.c.MOVQ(operand.I64(v), r)
		}
		return val{r: r, t: t, tmp: true}
	}
	if t.Lanes == 1 {
		if !isFloatScalar(t.Elem) {
			g.fail("scalar constant of type %v", t.Elem)
		}
		r := g.c.XMM()
		if t.Elem.Bits == 32 {
			g.c.VMOVSS(g.scalarData(t.Elem, c), r)
		} else {
			g.c.VMOVSD(g.scalarData(t.Elem, c), r)
		}
		return val{r: r, t: t, tmp: true}
	}
	key := fmt.Sprintf("const:%v:%d:%d:%x", t.Elem, t.Lanes, c.Int, math.Float64bits(c.Float))
	if cc, ok := g.cache[key]; ok && !g.lean {
		return val{r: cc.r, t: t}
	}
	r := g.vecReg(t)
	defer func() { g.cache[key] = cached{r: r} }()
	if (t.Elem.IsFloat() && c.Float == 0 && !math.Signbit(c.Float)) || (isIntLike(t.Elem) && c.Int == 0) {
		g.zero(r)
		return val{r: r, t: t}
	}
	g.bcastMem(t.Elem, g.scalarData(t.Elem, c), r)
	return val{r: r, t: t}
}

func signExt(v int64, bits int) int64 {
	s := uint(64 - bits)
	return v << s >> s
}

// dst returns hint when usable for a value of type t, else a fresh register.
func (g *gen) dst(t loop.Type, hint reg.Register) reg.Register {
	if hint != nil && hint.Kind() == reg.KindVector && int(hint.Size()) == t.Lanes*t.Elem.Bits/8 {
		return hint
	}
	return g.vecReg(t)
}

// zero clears r. VXORPS with identical inputs is the form avo's liveness
// knows as a pure definition (VPXORD is not, and would make r live from the
// function entry); on ZMM it needs AVX512DQ.
func (g *gen) zero(r reg.Register) {
	g.c.VXORPS(r, r, r)
}

// bcastMem broadcasts the scalar at m into every lane of r.
func (g *gen) bcastMem(elem ir.DType, m operand.Mem, r reg.Register) {
	switch elem.Bits {
	case 32:
		g.c.VBROADCASTSS(m, r)
	case 64:
		if r.Size() == 16 {
			g.c.VMOVDDUP(m, r)
		} else {
			g.c.VBROADCASTSD(m, r)
		}
	case 16:
		g.c.VPBROADCASTW(m, r)
	case 8:
		g.c.VPBROADCASTB(m, r)
	default:
		g.fail("broadcast of %v", elem)
	}
}

// ---- variables ----

func (g *gen) ref(e *loop.Ref) val {
	v := e.Var
	if n, ok := g.params[v]; ok {
		if v.T.Lanes != 1 {
			g.fail("vector parameter")
		}
		var r reg.Register
		switch {
		case isIntLike(v.T.Elem) || v.T.Elem.Bits == 16:
			r = g.c.GP64()
		case isFloatScalar(v.T.Elem):
			r = g.c.XMM()
		default:
			g.fail("parameter of type %v", v.T.Elem)
		}
		if isFloatScalar(v.T.Elem) {
			// avo's Load uses MOVSS/MOVSD, which cannot reach X16-X31 on
			// AVX-512: the VEX/EVEX forms can.
			b, err := g.c.Param(n).Resolve()
			if err != nil {
				g.fail("parameter %s: %v", n, err)
			}
			if v.T.Elem.Bits == 32 {
				g.c.VMOVSS(b.Addr, r)
			} else {
				g.c.VMOVSD(b.Addr, r)
			}
		} else {
			g.c.Load(g.c.Param(n), r)
		}
		if el := v.T.Elem; el.IsPacked() && el.IsInteger() {
			// A sub-byte scalar arrives as a byte whose bits above the
			// type's width are ignored (docs/language.md): sign-extend a
			// signed one, mask an unsigned one, as the Go code does.
			if el.Class == ir.Int {
				g.c.SHLQ(operand.U8(64-el.Bits), r)
				g.c.SARQ(operand.U8(64-el.Bits), r)
			} else {
				g.c.ANDQ(operand.I32(1<<el.Bits-1), r)
			}
		}
		return val{r: r, t: v.T, tmp: true}
	}
	r := g.rawVar(v)
	if off := g.offs[v]; off != 0 {
		t := g.c.GP64()
		g.c.LEAQ(operand.Mem{Base: r, Disp: int(off)}, t)
		return val{r: t, t: v.T, tmp: true}
	}
	return val{r: r, t: v.T}
}

// ---- memory ----

// kmask returns an AVX-512 opmask with the low count bits set.
func (g *gen) kmask(count loop.Expr) reg.Register {
	key, deps, ok := g.linKey(count)
	key = "kmask:" + key
	if c, hit := g.cache[key]; hit && ok {
		return c.r
	}
	n := g.expr(count)
	ones := g.c.GP64()
	g.c.MOVQ(operand.I64(-1), ones)
	m := g.c.GP64()
	g.c.BZHIQ(n.r, ones, m)
	k := g.c.K()
	g.c.KMOVQ(m, k)
	if ok {
		g.cache[key] = cached{r: k, deps: deps}
	}
	return k
}

var iota32 = func() []byte {
	b := make([]byte, 32)
	for i := 0; i < 8; i++ {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(i))
	}
	return b
}()

var iota64 = func() []byte {
	b := make([]byte, 32)
	for i := 0; i < 4; i++ {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(i))
	}
	return b
}()

// vmask returns an AVX2 lane mask (all ones in lanes < count) for lanes of the
// given width in a register of size bytes.
func (g *gen) vmask(count loop.Expr, bits, bytes int) reg.Register {
	key, deps, ok := g.linKey(count)
	key = fmt.Sprintf("vmask%d/%d:%s", bits, bytes, key)
	if c, hit := g.cache[key]; hit && ok {
		return c.r
	}
	n := g.expr(count)
	x := g.c.XMM()
	g.c.VMOVQ(n.r, x)
	var m reg.VecVirtual
	if bytes == 16 {
		m = g.c.XMM()
	} else {
		m = g.c.YMM()
	}
	switch bits {
	case 32:
		g.c.VPBROADCASTD(x, m)
		g.c.VPCMPGTD(g.dataBytes(iota32), m, m)
	case 64:
		g.c.VPBROADCASTQ(x, m)
		g.c.VPCMPGTQ(g.dataBytes(iota64), m, m)
	default:
		g.fail("avx2 tail of %d-bit lanes", bits)
	}
	if ok {
		g.cache[key] = cached{r: m, deps: deps}
	}
	return m
}

// foldable reports whether e can be used as a full-vector memory operand.
func foldable(e loop.Expr) (*loop.Load, bool) {
	l, ok := e.(*loop.Load)
	if !ok || l.Raw || l.Count != nil || l.Guard != nil || l.T.Lanes == 1 || l.T.Lanes*l.T.Elem.Bits < 128 {
		return nil, false
	}
	return l, true
}

func (g *gen) load(e *loop.Load, hint reg.Register) val {
	t := e.T
	var skip string
	if e.Guard != nil {
		if e.Guard.Type().Lanes != 1 {
			g.fail("vector guard")
		}
		skip = g.label("guard")
	}
	if t.Lanes == 1 && e.Buf.Elem.IsPacked() && !e.Raw {
		r := g.c.GP64()
		g.c.XORQ(r, r)
		if skip != "" {
			g.branchFalse(e.Guard, skip)
		}
		g.loadPacked(e.Buf, e.Index, r)
		if skip != "" {
			g.place(skip)
		}
		return val{r: r, t: t, tmp: true}
	}
	if t.Lanes == 1 {
		var r reg.Register
		var load func(m operand.Mem)
		switch {
		case isFloatScalar(t.Elem):
			r = g.c.XMM()
			load = func(m operand.Mem) {
				if t.Elem.Bits == 32 {
					g.c.VMOVSS(m, r)
				} else {
					g.c.VMOVSD(m, r)
				}
			}
		case t.Elem.Class == ir.Int || t.Elem.Class == ir.Uint || t.Elem.Bits == 16 || t.Elem.Bits == 8:
			r = g.c.GP64()
			signed := t.Elem.Class == ir.Int
			load = func(m operand.Mem) {
				switch {
				case t.Elem.Bits == 64:
					g.c.MOVQ(m, r)
				case t.Elem.Bits == 32 && signed:
					g.c.MOVLQSX(m, r)
				case t.Elem.Bits == 32:
					g.c.MOVL(m, r.(reg.GPVirtual).As32())
				case t.Elem.Bits == 16 && signed:
					g.c.MOVWQSX(m, r)
				case t.Elem.Bits == 16:
					g.c.MOVWQZX(m, r)
				case t.Elem.Bits == 8 && signed:
					g.c.MOVBQSX(m, r)
				case t.Elem.Bits == 8:
					g.c.MOVBQZX(m, r)
				default:
					g.fail("load of %v", t.Elem)
				}
			}
		default:
			g.fail("scalar load of %v", t.Elem)
		}
		if skip != "" {
			if r.Kind() == reg.KindGP {
				g.c.XORQ(r, r)
			} else {
				g.c.VXORPS(r, r, r)
			}
			g.branchFalse(e.Guard, skip)
			load(g.loadAddr(e))
			g.place(skip)
		} else {
			load(g.loadAddr(e))
		}
		return val{r: r, t: t, tmp: true}
	}
	r := g.dst(t, hint)
	if skip != "" {
		g.zero(r)
		g.branchFalse(e.Guard, skip)
	}
	var k, vm reg.Register
	if e.Count != nil && !g.avx512 && t.Elem.Bits != 32 && t.Elem.Bits != 64 {
		g.bounceLoad(e, r)
		if skip != "" {
			g.place(skip)
		}
		return val{r: r, t: t, tmp: true}
	}
	if e.Count != nil {
		if g.avx512 {
			k = g.kmask(e.Count)
		} else {
			vm = g.vmask(e.Count, t.Elem.Bits, int(r.Size()))
		}
	}
	m := g.loadAddr(e)
	switch {
	case k != nil:
		switch t.Elem.Bits {
		case 32:
			g.c.VMOVUPS_Z(m, k, r)
		case 64:
			g.c.VMOVUPD_Z(m, k, r)
		case 16:
			g.c.VMOVDQU16_Z(m, k, r)
		case 8:
			g.c.VMOVDQU8_Z(m, k, r)
		}
	case vm != nil:
		switch t.Elem.Bits {
		case 32:
			g.c.VMASKMOVPS(m, vm, r)
		case 64:
			g.c.VMASKMOVPD(m, vm, r)
		}
	default:
		g.movPartial(t, m, r)
	}
	if skip != "" {
		g.place(skip)
	}
	return val{r: r, t: t, tmp: true}
}

func (g *gen) store(s *loop.Store) {
	t := s.Value.Type()
	if t.Elem != s.Buf.Elem {
		g.fail("store of %v into %v buffer", t.Elem, s.Buf.Elem)
	}
	v := g.expr(s.Value)
	defer g.stored(s.Buf)
	if t.Lanes == 1 && s.Buf.Elem.IsPacked() {
		g.storePacked(s.Buf, s.Index, v.r)
		return
	}
	if t.Lanes == 1 {
		m := g.addr(s.Buf, s.Index)
		switch {
		case isFloatScalar(t.Elem) && t.Elem.Bits == 32:
			g.c.VMOVSS(v.r, m)
		case isFloatScalar(t.Elem):
			g.c.VMOVSD(v.r, m)
		case v.r.Kind() == reg.KindGP:
			gp := v.r.(reg.GPVirtual)
			switch t.Elem.Bits {
			case 64:
				g.c.MOVQ(gp, m)
			case 32:
				g.c.MOVL(gp.As32(), m)
			case 16:
				g.c.MOVW(gp.As16(), m)
			case 8:
				g.c.MOVB(gp.As8(), m)
			default:
				g.fail("store of %v", t.Elem)
			}
		default:
			g.fail("store of %v", t.Elem)
		}
		return
	}
	if s.Count == nil {
		m := g.addr(s.Buf, s.Index)
		if s.Stream != nil && g.streamStore(s, t, v.r, m) {
			return
		}
		g.movPartial(t, v.r, m)
		return
	}
	if g.avx512 {
		k := g.kmask(s.Count)
		m := g.addr(s.Buf, s.Index)
		switch t.Elem.Bits {
		case 32:
			g.c.VMOVUPS(v.r, k, m)
		case 64:
			g.c.VMOVUPD(v.r, k, m)
		case 16:
			g.c.VMOVDQU16(v.r, k, m)
		case 8:
			g.c.VMOVDQU8(v.r, k, m)
		}
		return
	}
	if t.Elem.Bits != 32 && t.Elem.Bits != 64 {
		g.bounceStore(s, v.r)
		return
	}
	vm := g.vmask(s.Count, t.Elem.Bits, int(v.r.Size()))
	m := g.addr(s.Buf, s.Index)
	if t.Elem.Bits == 32 {
		g.c.VMASKMOVPS(v.r, vm, m)
	} else {
		g.c.VMASKMOVPD(v.r, vm, m)
	}
}

// streamStore emits a full-vector store with the Stream hint: a non-temporal
// store when the flag is true and m is aligned to the vector size (the
// instructions fault otherwise), the normal store else. It reports false,
// emitting nothing, when the vector has no non-temporal store (narrow
// vectors). The function then ends with SFENCE (see compileFuncMode).
func (g *gen) streamStore(s *loop.Store, t loop.Type, v reg.Register, m operand.Mem) bool {
	size := t.Lanes * t.Elem.Bits / 8
	if size < 16 || size != int(v.Size()) {
		return false
	}
	normal, done := g.label("ntnormal"), g.label("ntdone")
	if ok, decided := g.streamOK[s]; decided {
		g.c.TESTQ(ok, ok)
		g.c.JZ(operand.LabelRef(normal))
	} else {
		g.branchFalse(s.Stream, normal)
		p := g.c.GP64()
		g.c.LEAQ(m, p)
		g.c.TESTQ(operand.I32(size-1), p)
		g.c.JNZ(operand.LabelRef(normal))
	}
	switch {
	case t.Elem.IsFloat() && t.Elem.Bits == 32:
		g.c.VMOVNTPS(v, m)
	case t.Elem.IsFloat() && t.Elem.Bits == 64:
		g.c.VMOVNTPD(v, m)
	default:
		g.c.VMOVNTDQ(v, m)
	}
	g.c.JMP(operand.LabelRef(done))
	g.place(normal)
	g.movPartial(t, v, m)
	g.place(done)
	g.streamed = true
	return true
}

func (g *gen) memset(s *loop.Memset) {
	if s.Buf.Elem.IsPacked() {
		g.memsetBits(s)
		return
	}
	defer g.stored(s.Buf)
	es := int64(s.Buf.Elem.Bits / 8)
	p := g.c.GP64()
	g.c.LEAQ(g.addr(s.Buf, s.Index), p)
	n := g.c.GP64()
	g.c.MOVQ(g.expr(s.Len).r, n)
	if es != 1 {
		g.c.IMUL3Q(operand.I32(es), n, n)
	}
	z := g.c.GP64()
	g.c.XORQ(z, z)
	g.memsetVectors(p, n)
	w, b, end := g.label("msw"), g.label("msb"), g.label("msend")
	g.place(w)
	g.c.CMPQ(n, operand.I32(8))
	g.c.JLT(operand.LabelRef(b))
	g.c.MOVQ(z, operand.Mem{Base: p})
	g.c.ADDQ(operand.I32(8), p)
	g.c.SUBQ(operand.I32(8), n)
	g.c.JMP(operand.LabelRef(w))
	g.place(b)
	g.c.CMPQ(n, operand.I32(0))
	g.c.JLE(operand.LabelRef(end))
	g.c.MOVB(z.As8(), operand.Mem{Base: p})
	g.c.INCQ(p)
	g.c.DECQ(n)
	g.c.JMP(operand.LabelRef(b))
	g.place(end)
}

// memsetVectors zeroes the leading whole vectors of the n bytes at p (a
// ZMM register's 64 bytes on AVX-512, a YMM's 32 on AVX2) and advances p
// and decreases n past them; the caller zeroes the rest.
func (g *gen) memsetVectors(p, n reg.Register) {
	var v reg.VecVirtual
	width := 32
	if g.avx512 {
		v, width = g.c.ZMM(), 64
	} else {
		v = g.c.YMM()
	}
	g.zero(v)
	loop, end := g.label("msv"), g.label("msvend")
	g.place(loop)
	g.c.CMPQ(n, operand.I32(width))
	g.c.JLT(operand.LabelRef(end))
	g.c.VMOVUPS(v, operand.Mem{Base: p})
	g.c.ADDQ(operand.I32(width), p)
	g.c.SUBQ(operand.I32(width), n)
	g.c.JMP(operand.LabelRef(loop))
	g.place(end)
}

// ---- broadcast ----

func (g *gen) broadcast(e *loop.Broadcast, hint reg.Register) val {
	t := e.T
	r := g.dst(t, hint)
	if l, ok := e.X.(*loop.Load); ok && l.Guard == nil && l.T.Lanes == 1 && !l.Buf.Elem.IsPacked() {
		g.bcastMem(t.Elem, g.addr(l.Buf, l.Index), r)
		return val{r: r, t: t, tmp: true}
	}
	if c, ok := e.X.(*loop.Const); ok {
		return g.constVal(&loop.Const{T: t, Int: c.Int, Float: c.Float}, hint)
	}
	x := g.expr(e.X)
	switch {
	case x.r.Kind() == reg.KindVector:
		if t.Elem.Bits == 32 {
			g.c.VBROADCASTSS(x.r, r)
		} else if r.Size() == 16 {
			g.c.VMOVDDUP(x.r, r)
		} else {
			g.c.VBROADCASTSD(x.r, r)
		}
	case x.r.Kind() == reg.KindGP && g.avx512 && t.Elem.Bits == 64:
		g.c.VPBROADCASTQ(x.r, r) // EVEX: straight from the register
	case x.r.Kind() == reg.KindGP && g.avx512 && t.Elem.Bits == 32:
		g.c.VPBROADCASTD(x.r.(reg.GPVirtual).As32(), r)
	case x.r.Kind() == reg.KindGP:
		xm := g.c.XMM()
		g.c.VMOVQ(x.r, xm)
		switch t.Elem.Bits {
		case 64:
			g.c.VPBROADCASTQ(xm, r)
		case 32:
			g.c.VPBROADCASTD(xm, r)
		case 16:
			g.c.VPBROADCASTW(xm, r)
		case 8:
			g.c.VPBROADCASTB(xm, r)
		}
	default:
		g.fail("broadcast of %v", e.X.Type().Elem)
	}
	return val{r: r, t: t, tmp: true}
}

// ---- integer scalars ----

// normalize re-extends r after a 64-bit operation on a narrower compute type.
func (g *gen) normalize(r reg.Register, t ir.DType) {
	gp := r.(reg.GPVirtual)
	switch {
	case t.Class == ir.Int && t.Bits == 32:
		g.c.MOVLQSX(gp.As32(), gp)
	case t.Class == ir.Uint && t.Bits == 32:
		g.c.MOVL(gp.As32(), gp.As32())
	case t.Class == ir.Bool, t.Bits == 64:
	default:
		g.fail("integer compute type %v", t)
	}
}

func (g *gen) intBin(e *loop.Bin) val {
	t := e.T
	if e.Op.IsCompare() {
		x := g.expr(e.X)
		y := g.intOperand(e.Y)
		r := g.c.GP64()
		g.c.XORQ(r, r)
		g.c.CMPQ(x.r, y)
		r8 := r.(reg.GPVirtual).As8()
		switch e.Op {
		case ir.Lt:
			g.c.SETLT(r8)
		case ir.Le:
			g.c.SETLE(r8)
		case ir.Gt:
			g.c.SETGT(r8)
		case ir.Ge:
			g.c.SETGE(r8)
		case ir.Eq:
			g.c.SETEQ(r8)
		case ir.Ne:
			g.c.SETNE(r8)
		}
		return val{r: r, t: t, tmp: true}
	}
	x := g.expr(e.X)
	r := g.c.GP64()
	g.c.MOVQ(x.r, r)
	switch e.Op {
	case ir.Add, ir.Sub, ir.Mul, ir.And, ir.Or:
		y := g.intOperand(e.Y)
		switch e.Op {
		case ir.Add:
			g.c.ADDQ(y, r)
		case ir.Sub:
			g.c.SUBQ(y, r)
		case ir.Mul:
			if k, ok := y.(operand.I32); ok && k > 0 && k&(k-1) == 0 {
				g.c.SHLQ(operand.U8(bits.TrailingZeros32(uint32(k))), r) // a power of two
			} else if ok {
				g.c.IMUL3Q(y, r, r)
			} else {
				g.c.IMULQ(y, r)
			}
		case ir.And:
			g.c.ANDQ(y, r)
		case ir.Or:
			g.c.ORQ(y, r)
		}
		g.normalize(r, t.Elem)
		return val{r: r, t: t, tmp: true}
	case ir.Div, ir.Mod:
		return g.intDivMod(e, r)
	}
	g.fail("integer operator %v", e.Op)
	return val{}
}

// intDivMod computes floor division (0 for a zero divisor) or the
// non-negative remainder of r by e.Y.
func (g *gen) intDivMod(e *loop.Bin, r reg.Register) val {
	t := e.T
	if c, ok := e.Y.(*loop.Const); ok && c.Int > 0 && c.Int&(c.Int-1) == 0 {
		sh := uint64(0)
		for int64(1)<<sh < c.Int {
			sh++
		}
		if e.Op == ir.Div {
			g.c.SARQ(operand.U8(sh), r)
		} else {
			g.c.ANDQ(operand.I32(c.Int-1), r)
		}
		g.normalize(r, t.Elem)
		return val{r: r, t: t, tmp: true}
	}
	if t.Elem.Class == ir.Uint {
		g.fail("unsigned division")
	}
	y := g.expr(e.Y)
	done := g.label("divz")
	out := g.c.GP64()
	g.c.XORQ(out, out)
	g.c.TESTQ(y.r, y.r)
	g.c.JEQ(operand.LabelRef(done))
	g.c.MOVQ(r, reg.RAX)
	g.c.CQO()
	g.c.IDIVQ(y.r)
	// Floor: when the remainder is non-zero and its sign differs from the
	// divisor's, q -= 1 and rem += y.
	fix := g.label("divfix")
	g.c.TESTQ(reg.RDX, reg.RDX)
	g.c.JEQ(operand.LabelRef(fix))
	sgn := g.c.GP64()
	g.c.MOVQ(reg.RDX, sgn)
	g.c.XORQ(y.r, sgn)
	g.c.JGE(operand.LabelRef(fix))
	g.c.DECQ(reg.RAX)
	g.c.ADDQ(y.r, reg.RDX)
	g.c.Label(fix)
	if e.Op == ir.Div {
		g.c.MOVQ(reg.RAX, out)
	} else {
		g.c.MOVQ(reg.RDX, out)
	}
	g.normalize(out, t.Elem)
	g.place(done)
	return val{r: out, t: t, tmp: true}
}

// memsetBits zeroes elements [Index, Index+Len) of a packed buffer: single
// bits up to a byte boundary, whole bytes, then the remaining bits. Only bytes
// that hold an element of the range are touched.
func (g *gen) memsetBits(s *loop.Memset) {
	defer g.stored(s.Buf)
	bits := int64(s.Buf.Elem.Bits)
	p := g.c.GP64()
	g.c.MOVQ(g.expr(s.Index).r, p)
	g.c.IMUL3Q(operand.I32(bits), p, p)
	e := g.c.GP64()
	g.c.MOVQ(g.expr(s.Len).r, e)
	g.c.IMUL3Q(operand.I32(bits), e, e)
	g.c.ADDQ(p, e)
	base := g.c.GP64()
	g.c.Load(g.c.Param(g.bufs[s.Buf]).Base(), base)
	clear := func() {
		t, c, x := g.c.GP64(), g.c.GP64(), g.c.GP64()
		g.c.MOVQ(p, t)
		g.c.SHRQ(operand.U8(3), t)
		g.c.MOVQ(p, c)
		g.c.ANDQ(operand.I32(7), c)
		g.c.MOVBQZX(operand.Mem{Base: base, Index: t, Scale: 1}, x)
		g.c.BTRQ(c, x)
		g.c.MOVB(x.As8(), operand.Mem{Base: base, Index: t, Scale: 1})
		g.c.INCQ(p)
	}
	head, bytes, tail, end := g.label("mbh"), g.label("mbb"), g.label("mbt"), g.label("mbe")
	g.place(head)
	g.c.CMPQ(p, e)
	g.c.JGE(operand.LabelRef(end))
	g.c.TESTQ(operand.I32(7), p)
	g.c.JEQ(operand.LabelRef(bytes))
	clear()
	g.c.JMP(operand.LabelRef(head))
	g.place(bytes)
	n := g.c.GP64()
	g.c.LEAQ(operand.Mem{Base: p, Disp: 8}, n)
	g.c.CMPQ(n, e)
	g.c.JGT(operand.LabelRef(tail))
	t := g.c.GP64()
	g.c.MOVQ(p, t)
	g.c.SHRQ(operand.U8(3), t)
	g.c.MOVB(operand.U8(0), operand.Mem{Base: base, Index: t, Scale: 1})
	g.c.ADDQ(operand.I32(8), p)
	g.c.JMP(operand.LabelRef(bytes))
	g.place(tail)
	g.c.CMPQ(p, e)
	g.c.JGE(operand.LabelRef(end))
	clear()
	g.c.JMP(operand.LabelRef(tail))
	g.place(end)
}

// bounce returns a 32-byte stack buffer used for AVX2 tails of 8- and 16-bit
// lanes, which have no masked load or store.
func (g *gen) bounce() operand.Mem {
	if g.bounceBuf == nil {
		m := g.c.AllocLocal(32)
		g.bounceBuf = &m
	}
	return *g.bounceBuf
}

// copyBytes copies count elements of es bytes from src to dst addresses
// (registers), one byte at a time.
func (g *gen) copyBytes(count loop.Expr, es int64, src, dst reg.Register) {
	n := g.c.GP64()
	g.c.MOVQ(g.expr(count).r, n)
	if es != 1 {
		g.c.IMUL3Q(operand.I32(es), n, n)
	}
	j := g.c.GP64()
	g.c.XORQ(j, j)
	head, end := g.label("cpy"), g.label("cpyend")
	g.place(head)
	g.c.CMPQ(j, n)
	g.c.JGE(operand.LabelRef(end))
	t := g.c.GP64()
	g.c.MOVBQZX(operand.Mem{Base: src, Index: j, Scale: 1}, t)
	g.c.MOVB(t.As8(), operand.Mem{Base: dst, Index: j, Scale: 1})
	g.c.INCQ(j)
	g.c.JMP(operand.LabelRef(head))
	g.place(end)
}

func (g *gen) bounceLoad(e *loop.Load, r reg.Register) {
	b := g.bounce()
	z := g.c.YMM()
	g.c.VXORPS(z, z, z)
	g.c.VMOVUPS(z, b)
	src := g.c.GP64()
	g.c.LEAQ(g.loadAddr(e), src)
	dst := g.c.GP64()
	g.c.LEAQ(b, dst)
	g.copyBytes(e.Count, int64(e.T.Elem.Bits/8), src, dst) // a raw load counts bytes
	g.c.VMOVUPS(g.bounce(), r)
}

func (g *gen) bounceStore(s *loop.Store, v reg.Register) {
	b := g.bounce()
	g.c.VMOVUPS(v, b)
	src := g.c.GP64()
	g.c.LEAQ(b, src)
	dst := g.c.GP64()
	g.c.LEAQ(g.addr(s.Buf, s.Index), dst)
	g.copyBytes(s.Count, int64(s.Buf.Elem.Bits/8), src, dst)
}

// packedPos returns the base pointer, byte index and bit shift of element
// index of a packed buffer (SPEC section 4: little-endian bit stream).
func (g *gen) packedPos(b *loop.Buf, index loop.Expr) (base, byteIdx, sh reg.GPVirtual) {
	bit := g.c.GP64()
	g.c.MOVQ(g.expr(index).r, bit)
	g.c.IMUL3Q(operand.I32(int64(b.Elem.Bits)), bit, bit)
	byteIdx, sh = g.c.GP64(), g.c.GP64()
	g.c.MOVQ(bit, byteIdx)
	g.c.SHRQ(operand.U8(3), byteIdx)
	g.c.MOVQ(bit, sh)
	g.c.ANDQ(operand.I32(7), sh)
	base = g.c.GP64()
	g.c.MOVQ(g.base(b), base)
	return base, byteIdx, sh
}

// loadPacked reads one packed element into r (zero- or sign-extended),
// touching the second byte only when the element straddles it.
func (g *gen) loadPacked(b *loop.Buf, index loop.Expr, r reg.Register) {
	bits := b.Elem.Bits
	base, bi, sh := g.packedPos(b, index)
	m0 := operand.Mem{Base: base, Index: bi, Scale: 1}
	g.c.MOVBQZX(m0, r)
	g.c.SHRXQ(sh, r, r)
	if 8%bits != 0 {
		done := g.label("pkl")
		t := g.c.GP64()
		g.c.LEAQ(operand.Mem{Base: sh, Disp: bits}, t)
		g.c.CMPQ(t, operand.I32(8))
		g.c.JLE(operand.LabelRef(done))
		hi := g.c.GP64()
		g.c.MOVBQZX(operand.Mem{Base: base, Index: bi, Scale: 1, Disp: 1}, hi)
		c := g.c.GP64()
		g.c.MOVQ(operand.I32(8), c)
		g.c.SUBQ(sh, c)
		g.c.SHLXQ(c, hi, hi)
		g.c.ORQ(hi, r)
		g.c.Label(done)
	}
	g.c.ANDQ(operand.I32(int64(1)<<uint(bits)-1), r)
	if b.Elem.IsSigned() && b.Elem.IsInteger() {
		g.c.SHLQ(operand.U8(64-bits), r)
		g.c.SARQ(operand.U8(64-bits), r)
	}
}

// storePacked writes the low bits of v as one packed element with
// read-modify-write of the one or two bytes it occupies.
func (g *gen) storePacked(b *loop.Buf, index loop.Expr, v reg.Register) {
	bits := b.Elem.Bits
	mask := int64(1)<<uint(bits) - 1
	base, bi, sh := g.packedPos(b, index)
	val := g.c.GP64()
	g.c.MOVQ(v, val)
	g.c.ANDQ(operand.I32(mask), val)
	m := g.c.GP64()
	g.c.MOVQ(operand.I32(mask), m)
	m0 := operand.Mem{Base: base, Index: bi, Scale: 1}
	old := g.c.GP64()
	g.c.MOVBQZX(m0, old)
	ms, ds := g.c.GP64(), g.c.GP64()
	g.c.SHLXQ(sh, m, ms)
	g.c.SHLXQ(sh, val, ds)
	g.c.ANDNQ(old, ms, old) // old &^ ms
	g.c.ORQ(ds, old)
	g.c.MOVB(old.As8(), m0)
	if 8%bits != 0 {
		done := g.label("pks")
		t := g.c.GP64()
		g.c.LEAQ(operand.Mem{Base: sh, Disp: bits}, t)
		g.c.CMPQ(t, operand.I32(8))
		g.c.JLE(operand.LabelRef(done))
		c := g.c.GP64()
		g.c.MOVQ(operand.I32(8), c)
		g.c.SUBQ(sh, c)
		m1 := operand.Mem{Base: base, Index: bi, Scale: 1, Disp: 1}
		old1 := g.c.GP64()
		g.c.MOVBQZX(m1, old1)
		g.c.SHRXQ(c, m, ms)
		g.c.SHRXQ(c, val, ds)
		g.c.ANDNQ(old1, ms, old1)
		g.c.ORQ(ds, old1)
		g.c.MOVB(old1.As8(), m1)
		g.c.Label(done)
	}
}

// movPartial moves a whole vector of type t between a register and memory,
// with VMOVD/VMOVQ for 32- and 64-bit vectors held in an XMM register.
func (g *gen) movPartial(t loop.Type, src, dst operand.Op) {
	switch t.Lanes * t.Elem.Bits {
	case 32:
		g.c.VMOVD(src, dst)
	case 64:
		g.c.VMOVQ(src, dst)
	default:
		g.c.VMOVUPS(src, dst)
	}
}
