package amd64

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/gotypes"
	avoir "github.com/mmcloughlin/avo/ir"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// bail aborts the translation of one Func; it is recovered in compileFunc.
type bail struct{ msg string }

// gen translates one loop.Func.
type gen struct {
	c      *build.Context
	k      *loop.Kernel
	f      *loop.Func
	name   string
	avx512 bool // 512-bit vectors, EVEX encodings and opmasks
	vnni   bool // AVX512-VNNI byte dot products
	// constVars are the variables assigned once, with a constant (the
	// invariants hoisted out of loops), and their constants.
	constVars map[*loop.Var]*loop.Const

	params  map[*loop.Var]string // sizes, scalars, Lo, Hi -> parameter name
	bufs    map[*loop.Buf]string // buffer -> parameter name
	vars    map[*loop.Var]reg.Register
	hoisted map[*loop.Buf]reg.Register // base pointers held across a leaf loop
	offs    map[*loop.Var]int64        // unroll offsets of loop variables
	cache   map[string]cached          // straight-line CSE of addresses and bases
	consts  map[string]operand.Mem
	uses    map[string]int // uses of each load in the current innermost body copy
	keys    map[loop.Expr]*exprInfo
	// inMem holds the integer scalar variables kept in stack slots: every one
	// not assigned inside an innermost loop (outer loop variables, offsets
	// computed once per tile), so that deep loop nests fit the 15
	// general-purpose registers.
	inMem map[*loop.Var]bool
	// pinned holds loop-invariant integer expressions computed before the
	// innermost loop that uses them, by CSE key.
	pinned map[string]reg.Register
	// pinnedLin holds loop-invariant parts of address expressions and
	// pinnedVar memory-resident variables read in the current innermost loop.
	pinnedLin map[string]reg.Register
	pinnedVar map[*loop.Var]reg.Register
	// variant is the set of variables assigned in the current innermost loop.
	variant map[*loop.Var]bool
	// lean disables optimisations that lengthen live ranges.
	lean bool
	// bounceBuf is the stack buffer of AVX2 8/16-bit tails.
	bounceBuf *operand.Mem
	slots     map[*loop.Var]operand.Mem
	nlabel    int
	nconst    int

	// streamed reports a non-temporal store: the function ends with SFENCE.
	streamed bool
	// streamOK holds, for the streaming stores of the current leaf loop
	// whose alignment does not change from one iteration to the next, the
	// register with the decision made once before the loop.
	streamOK map[*loop.Store]reg.Register
	// ids numbers variables and expression nodes for keys (see id).
	ids map[any]int
}

type cached struct {
	r    reg.Register
	deps []*loop.Var
	buf  *loop.Buf // for cached loads: invalidated by stores to buf
}

// val is a translated value.
type val struct {
	r reg.Register
	t loop.Type
	// tmp reports that r is a fresh temporary the consumer may overwrite.
	tmp bool
	// mbits is the lane width of a vector comparison result (AVX2 masks).
	mbits int
}

func (g *gen) fail(format string, args ...any) {
	panic(bail{fmt.Sprintf(format, args...)})
}

// compileFunc builds and compiles the avo file of one Func.
// On a register-allocation failure it retries once in lean mode, which gives
// up the register-hungry optimisations (hoisting, load and constant reuse).
func compileFunc(k *loop.Kernel, f *loop.Func, t loop.Target) (*avoir.File, error) {
	file, err := compileFuncMode(k, f, t, false)
	if err != nil && strings.Contains(err.Error(), "failed to allocate") {
		if file2, err2 := compileFuncMode(k, f, t, true); err2 == nil {
			return file2, nil
		}
	}
	return file, err
}

func compileFuncMode(k *loop.Kernel, f *loop.Func, t loop.Target, lean bool) (file *avoir.File, err error) {
	name := FuncName(k, f, t)
	g := &gen{
		lean:      lean,
		c:         build.NewContext(),
		k:         k,
		f:         f,
		name:      name,
		avx512:    t.VectorBits == 512,
		vnni:      t.VNNI,
		params:    map[*loop.Var]string{},
		bufs:      map[*loop.Buf]string{},
		vars:      map[*loop.Var]reg.Register{},
		hoisted:   map[*loop.Buf]reg.Register{},
		offs:      map[*loop.Var]int64{},
		cache:     map[string]cached{},
		consts:    map[string]operand.Mem{},
		keys:      map[loop.Expr]*exprInfo{},
		inMem:     map[*loop.Var]bool{},
		slots:     map[*loop.Var]operand.Mem{},
		pinned:    map[string]reg.Register{},
		pinnedLin: map[string]reg.Register{},
		pinnedVar: map[*loop.Var]reg.Register{},
		ids:       map[any]int{},
		constVars: singleConstAssigns(f.Body),
	}
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bail)
			if !ok {
				panic(r)
			}
			file, err = nil, &UnsupportedError{Func: name, Reason: b.msg}
		}
	}()
	if f.Target != "" && f.Target != t.Name {
		g.fail("func is for target %q", f.Target)
	}
	if !g.avx512 && f.VectorBits > 256 {
		g.fail("vector width %d bits", f.VectorBits)
	}
	g.c.Function(name)
	// Not NOSPLIT: the frame holds the spilled locals and can pass the
	// linker's nosplit limit (792 bytes); the assembler's stack check costs
	// a compare per call of a function that runs whole loop nests.
	g.c.Pragma("noescape")
	sig, err := gotypes.ParseSignature(g.signature())
	if err != nil {
		return nil, fmt.Errorf("amd64: %s: signature: %w", name, err)
	}
	g.c.Signature(sig)
	g.c.Doc(fmt.Sprintf("%s is func %s of kernel %s for %s.", name, f.Name, k.Name, t.Name))
	g.residency()
	g.stmts(f.Body)
	if g.streamed {
		// Non-temporal stores are weakly ordered: make them visible before
		// the caller (or the worker pool) reads the output.
		g.c.SFENCE()
	}
	g.c.RET()
	file, err = g.c.Result()
	if err != nil {
		return nil, &UnsupportedError{Func: name, Reason: "avo: " + err.Error()}
	}
	if err := compile(file, !g.avx512); err != nil {
		return nil, &UnsupportedError{Func: name, Reason: "avo: " + err.Error()}
	}
	return file, nil
}

// signature returns the Go signature of the function per loop's calling convention.
func (g *gen) signature() string {
	var ps []string
	add := func(kind string, bs []*loop.Buf) {
		for i, b := range bs {
			n := fmt.Sprintf("%s%d", kind, i)
			g.bufs[b] = n
			ps = append(ps, n+" []"+b.Elem.GoType())
		}
	}
	add("in", g.k.Inputs)
	add("out", g.k.Outputs)
	add("scr", g.k.Scratch)
	for i, v := range g.k.Sizes {
		n := fmt.Sprintf("n%d", i)
		g.params[v] = n
		ps = append(ps, n+" int")
	}
	for i, v := range g.k.Scalars {
		n := fmt.Sprintf("s%d", i)
		g.params[v] = n
		ps = append(ps, n+" "+v.T.Elem.GoType())
	}
	if g.f.Lo != nil || g.f.Hi != nil {
		if g.f.Lo == nil || g.f.Hi == nil {
			g.fail("func has only one of Lo and Hi")
		}
		g.params[g.f.Lo] = "lo"
		g.params[g.f.Hi] = "hi"
		ps = append(ps, "lo int", "hi int")
	}
	return "func(" + strings.Join(ps, ", ") + ")"
}

// residency decides which integer scalar variables live in stack slots.
func (g *gen) residency() {
	inReg := map[*loop.Var]bool{}
	var walk func(ss []loop.Stmt)
	walk = func(ss []loop.Stmt) {
		for _, s := range ss {
			switch s := s.(type) {
			case *loop.For:
				if !hasLoop(s.Body) {
					inReg[s.Var] = true
					assigned(s.Body, inReg)
				} else {
					walk(s.Body)
				}
			case *loop.If:
				walk(s.Then)
				walk(s.Else)
			}
		}
	}
	walk(g.f.Body)
	all := map[*loop.Var]bool{}
	assigned(g.f.Body, all)
	for v := range all {
		if !inReg[v] && v.T.Lanes == 1 && isIntLike(v.T.Elem) {
			g.inMem[v] = true
		}
	}
}

// slot returns the stack slot of a memory-resident variable.
func (g *gen) slot(v *loop.Var) operand.Mem {
	m, ok := g.slots[v]
	if !ok {
		m = g.c.AllocLocal(8)
		g.slots[v] = m
	}
	return m
}

// rawVar returns a register holding variable v (without unroll offset).
func (g *gen) rawVar(v *loop.Var) reg.Register {
	if r, ok := g.pinnedVar[v]; ok {
		return r
	}
	if g.inMem[v] {
		if _, ok := g.slots[v]; !ok {
			g.fail("variable %s read before assignment", v.Name)
		}
		key := fmt.Sprintf("slot:%d", g.id(v))
		if c, ok := g.cache[key]; ok {
			return c.r
		}
		r := g.c.GP64()
		g.c.MOVQ(g.slot(v), r)
		g.cache[key] = cached{r: r, deps: []*loop.Var{v}}
		return r
	}
	r, ok := g.vars[v]
	if !ok {
		g.fail("variable %s read before assignment", v.Name)
	}
	return r
}

// ---- statements ----

func (g *gen) label(prefix string) string {
	g.nlabel++
	return fmt.Sprintf("%s%d", prefix, g.nlabel)
}

// place emits a label; straight-line caches are invalid past it.
func (g *gen) place(l string) {
	g.c.Label(l)
	g.cache = map[string]cached{}
}

func (g *gen) stmts(ss []loop.Stmt) {
	for _, s := range ss {
		g.stmt(s)
	}
}

func (g *gen) stmt(s loop.Stmt) {
	switch s := s.(type) {
	case *loop.Assign:
		g.assign(s.Dst, s.Value)
	case *loop.Store:
		g.store(s)
	case *loop.For:
		g.forLoop(s)
	case *loop.If:
		g.ifStmt(s)
	case *loop.Memset:
		g.memset(s)
	case *loop.Prefetch:
		if !s.Buf.Elem.IsPacked() {
			g.c.PREFETCHT0(g.addr(s.Buf, s.Index))
		}
	default:
		g.fail("statement %T", s)
	}
}

func (g *gen) isParam(v *loop.Var) bool { _, ok := g.params[v]; return ok }

// varReg returns the register holding local or loop variable v.
func (g *gen) varReg(v *loop.Var) reg.Register {
	if g.isParam(v) {
		g.fail("assignment to parameter %s", v.Name)
	}
	if r, ok := g.vars[v]; ok {
		return r
	}
	var r reg.Register
	switch {
	case v.T.Lanes > 1 && v.T.Elem.Class == ir.Bool:
		if !g.avx512 {
			g.fail("vector bool variable %s on avx2", v.Name)
		}
		r = g.c.K()
	case v.T.Lanes > 1:
		r = g.vecReg(v.T)
	case isIntLike(v.T.Elem):
		r = g.c.GP64()
	case isFloatScalar(v.T.Elem):
		r = g.c.XMM()
	default:
		g.fail("variable %s of type %v", v.Name, v.T.Elem)
	}
	g.vars[v] = r
	return r
}

func isIntLike(t ir.DType) bool { return t.IsInteger() || t.Class == ir.Bool }

func isFloatScalar(t ir.DType) bool { return t.Class == ir.Float && (t.Bits == 32 || t.Bits == 64) }

func (g *gen) vecReg(t loop.Type) reg.VecVirtual {
	switch t.Lanes * t.Elem.Bits {
	case 32, 64, 128:
		// 32- and 64-bit vectors (e.g. 8 bytes to widen) use the low part of
		// an XMM register.
		return g.c.XMM()
	case 256:
		return g.c.YMM()
	case 512:
		if !g.avx512 {
			g.fail("512-bit vector on avx2")
		}
		return g.c.ZMM()
	}
	g.fail("vector type %v x %d", t.Elem, t.Lanes)
	return nil
}

func (g *gen) invalidate(v *loop.Var) {
	for k, c := range g.cache {
		for _, d := range c.deps {
			if d == v {
				delete(g.cache, k)
				break
			}
		}
	}
}

func (g *gen) assign(dst *loop.Var, e loop.Expr) {
	if g.inMem[dst] {
		v := g.expr(e)
		g.invalidate(dst)
		g.c.MOVQ(v.r, g.slot(dst))
		return
	}
	r := g.varReg(dst)
	v := g.exprHint(e, r)
	g.invalidate(dst)
	if v.r != r {
		g.move(v, r)
	}
}

// move copies v into register d of the same kind.
func (g *gen) move(v val, d reg.Register) {
	switch {
	case v.r.Kind() == reg.KindGP:
		g.c.MOVQ(v.r, d)
	case v.r.Kind() == reg.KindOpmask:
		g.c.KMOVQ(v.r, d)
	default:
		g.c.VMOVUPS(v.r, d)
	}
}

func (g *gen) ifStmt(s *loop.If) {
	els, end := g.label("else"), g.label("endif")
	g.branchFalse(s.Cond, els)
	g.cache = map[string]cached{}
	g.stmts(s.Then)
	if len(s.Else) > 0 {
		g.c.JMP(operand.LabelRef(end))
	}
	g.place(els)
	g.stmts(s.Else)
	g.place(end)
}

// branchFalse jumps to l when the scalar condition c is false.
func (g *gen) branchFalse(c loop.Expr, l string) {
	if b, ok := c.(*loop.Bin); ok && b.Op.IsCompare() && b.X.Type().Lanes == 1 && isIntLike(b.X.Type().Elem) {
		x := g.expr(b.X)
		y := g.intOperand(b.Y)
		g.c.CMPQ(x.r, y)
		ref := operand.LabelRef(l)
		switch b.Op {
		case ir.Lt:
			g.c.JGE(ref)
		case ir.Le:
			g.c.JGT(ref)
		case ir.Gt:
			g.c.JLE(ref)
		case ir.Ge:
			g.c.JLT(ref)
		case ir.Eq:
			g.c.JNE(ref)
		case ir.Ne:
			g.c.JEQ(ref)
		}
		return
	}
	if c.Type().Lanes != 1 {
		g.fail("vector condition")
	}
	v := g.expr(c)
	if v.r.Kind() != reg.KindGP {
		g.fail("condition of type %v", c.Type().Elem)
	}
	g.c.TESTQ(v.r, v.r)
	g.c.JEQ(operand.LabelRef(l))
}

// intOperand returns a register or immediate operand for an integer scalar.
func (g *gen) intOperand(e loop.Expr) operand.Op {
	if c, ok := e.(*loop.Const); ok && c.Int >= math.MinInt32 && c.Int <= math.MaxInt32 {
		return operand.I32(c.Int)
	}
	if r, ok := e.(*loop.Ref); ok {
		if n, ok := g.params[r.Var]; ok && isIntLike(r.Var.T.Elem) && r.Var.T.Elem.Bits == 64 {
			return g.paramAddr(n)
		}
	}
	return g.expr(e).r
}

func (g *gen) paramAddr(name string) operand.Mem {
	b, err := g.c.Param(name).Resolve()
	if err != nil {
		g.fail("param %s: %v", name, err)
	}
	return b.Addr
}

// hasLoop reports whether any statement in ss contains a For loop.
func hasLoop(ss []loop.Stmt) bool {
	for _, s := range ss {
		switch s := s.(type) {
		case *loop.For:
			return true
		case *loop.If:
			if hasLoop(s.Then) || hasLoop(s.Else) {
				return true
			}
		}
	}
	return false
}

// assigned collects variables assigned in ss (loop variables included).
func assigned(ss []loop.Stmt, set map[*loop.Var]bool) {
	for _, s := range ss {
		switch s := s.(type) {
		case *loop.Assign:
			set[s.Dst] = true
		case *loop.For:
			set[s.Var] = true
			assigned(s.Body, set)
		case *loop.If:
			assigned(s.Then, set)
			assigned(s.Else, set)
		}
	}
}

// bufsIn collects buffers accessed in ss.
func bufsIn(ss []loop.Stmt, set map[*loop.Buf]bool) {
	var ex func(e loop.Expr)
	ex = func(e loop.Expr) {
		walkExpr(e, func(e loop.Expr) {
			if l, ok := e.(*loop.Load); ok {
				set[l.Buf] = true
			}
		})
	}
	for _, s := range ss {
		switch s := s.(type) {
		case *loop.Assign:
			ex(s.Value)
		case *loop.Store:
			set[s.Buf] = true
			ex(s.Value)
			ex(s.Index)
		case *loop.Memset:
			set[s.Buf] = true
		case *loop.Prefetch:
			set[s.Buf] = true
			ex(s.Index)
		case *loop.For:
			bufsIn(s.Body, set)
		case *loop.If:
			ex(s.Cond)
			bufsIn(s.Then, set)
			bufsIn(s.Else, set)
		}
	}
}

func walkExpr(e loop.Expr, f func(loop.Expr)) {
	if e == nil {
		return
	}
	f(e)
	switch e := e.(type) {
	case *loop.Load:
		walkExpr(e.Index, f)
		walkExpr(e.Count, f)
		walkExpr(e.Guard, f)
	case *loop.Bin:
		walkExpr(e.X, f)
		walkExpr(e.Y, f)
	case *loop.Un:
		walkExpr(e.X, f)
	case *loop.Call:
		for _, a := range e.Args {
			walkExpr(a, f)
		}
	case *loop.Cast:
		walkExpr(e.X, f)
	case *loop.Select:
		walkExpr(e.Cond, f)
		walkExpr(e.A, f)
		walkExpr(e.B, f)
	case *loop.Broadcast:
		walkExpr(e.X, f)
	case *loop.HReduce:
		walkExpr(e.X, f)
	}
}

func exprVars(e loop.Expr) []*loop.Var {
	var vs []*loop.Var
	walkExpr(e, func(e loop.Expr) {
		if r, ok := e.(*loop.Ref); ok {
			vs = append(vs, r.Var)
		}
	})
	return vs
}

func hasLoad(e loop.Expr) bool {
	found := false
	walkExpr(e, func(e loop.Expr) {
		if _, ok := e.(*loop.Load); ok {
			found = true
		}
	})
	return found
}

func (g *gen) forLoop(s *loop.For) {
	if s.Step <= 0 {
		g.fail("loop step %d", s.Step)
	}
	if !isIntLike(s.Var.T.Elem) || s.Var.T.Lanes != 1 {
		g.fail("loop variable %s of type %v", s.Var.Name, s.Var.T.Elem)
	}
	mem := g.inMem[s.Var]
	var ivReg reg.Register
	if mem {
		lo := g.expr(s.Lo)
		g.invalidate(s.Var)
		g.c.MOVQ(lo.r, g.slot(s.Var))
	} else {
		ivReg = g.varReg(s.Var)
		lo := g.exprHint(s.Lo, ivReg)
		g.invalidate(s.Var)
		if lo.r != ivReg {
			g.c.MOVQ(lo.r, ivReg)
		}
	}
	iv := func() reg.Register {
		if mem {
			return g.rawVar(s.Var)
		}
		return ivReg
	}
	step := func(n int64) {
		if mem {
			g.c.ADDQ(operand.I32(n), g.slot(s.Var))
		} else {
			g.c.ADDQ(operand.I32(n), ivReg)
		}
		g.invalidate(s.Var)
	}
	leaf := !hasLoop(s.Body)
	// Hoist the bound when it is invariant and the loop is innermost.
	set := map[*loop.Var]bool{}
	assigned(s.Body, set)
	set[s.Var] = true
	invariant := !hasLoad(s.Hi)
	for _, v := range exprVars(s.Hi) {
		if set[v] {
			invariant = false
		}
	}
	var hiOp operand.Op
	if c, ok := s.Hi.(*loop.Const); ok && c.Int >= math.MinInt32 && c.Int <= math.MaxInt32 {
		hiOp = operand.I32(c.Int)
	} else if invariant && leaf {
		v := g.expr(s.Hi)
		if v.tmp {
			hiOp = v.r
		} else {
			t := g.c.GP64()
			g.c.MOVQ(v.r, t)
			hiOp = t
		}
	}
	var saved []*loop.Buf
	var pins []string
	if leaf && !g.lean {
		g.variant = set
		pins = g.hoistAddresses(s.Body)
		pins = append(pins, g.hoistInvariants(s.Body, set)...)
		g.hoistStreamChecks(s, set)
	}
	if leaf && !g.lean {
		used := map[*loop.Buf]bool{}
		bufsIn(s.Body, used)
		var list []*loop.Buf
		for b := range used {
			if _, ok := g.hoisted[b]; !ok {
				list = append(list, b)
			}
		}
		sort.Slice(list, func(i, j int) bool { return g.bufs[list[i]] < g.bufs[list[j]] })
		for _, b := range list {
			r := g.c.GP64()
			g.c.Load(g.c.Param(g.bufs[b]).Base(), r)
			g.hoisted[b] = r
			saved = append(saved, b)
		}
	}
	hi := func() operand.Op {
		if hiOp != nil {
			return hiOp
		}
		return g.intOperand(s.Hi)
	}
	unroll := s.Unroll
	if unroll > 16 {
		unroll = 16
	}
	if unroll > 1 {
		// Main loop: while iv + (unroll-1)*step < hi.
		head, end := g.label("uloop"), g.label("uend")
		g.place(head)
		t := g.c.GP64()
		g.c.LEAQ(operand.Mem{Base: iv(), Disp: int((int64(unroll) - 1) * s.Step)}, t)
		g.c.CMPQ(t, hi())
		g.c.JGE(operand.LabelRef(end))
		for u := 0; u < unroll; u++ {
			g.offs[s.Var] = int64(u) * s.Step
			if leaf {
				g.countLoads(s.Body)
			}
			g.stmts(s.Body)
		}
		delete(g.offs, s.Var)
		step(int64(unroll) * s.Step)
		g.c.JMP(operand.LabelRef(head))
		g.place(end)
	}
	head, end := g.label("loop"), g.label("end")
	g.place(head)
	g.c.CMPQ(iv(), hi())
	g.c.JGE(operand.LabelRef(end))
	if leaf {
		g.countLoads(s.Body)
	}
	g.stmts(s.Body)
	step(s.Step)
	g.c.JMP(operand.LabelRef(head))
	g.place(end)
	for _, b := range saved {
		delete(g.hoisted, b)
	}
	for _, k := range pins {
		delete(g.pinned, k)
	}
	if leaf {
		g.variant = nil
		g.streamOK = nil
		g.pinnedLin = map[string]reg.Register{}
		g.pinnedVar = map[*loop.Var]reg.Register{}
	}
	g.uses = nil
}

// hoistStreamChecks decides, before the leaf loop l (iteration variable
// at its first value), each streaming store whose flag is invariant and
// whose address moves by whole vectors per iteration: the alignment that
// allows a non-temporal store is then the same in every iteration.
func (g *gen) hoistStreamChecks(l *loop.For, variant map[*loop.Var]bool) {
	loop.WalkStmts(l.Body, func(st loop.Stmt) {
		s, ok := st.(*loop.Store)
		if !ok || s.Stream == nil || s.Count != nil || !s.Value.Type().IsVector() || s.Buf.Elem.IsPacked() {
			return
		}
		t := s.Value.Type()
		size := int64(t.Lanes * t.Elem.Bits / 8)
		if size < 16 {
			return
		}
		for _, v := range exprVars(s.Stream) {
			if variant[v] {
				return
			}
		}
		if hasLoad(s.Stream) || hasLoad(s.Index) {
			return
		}
		lin := g.linearize(s.Index)
		for _, tm := range lin.terms {
			r, isRef := tm.e.(*loop.Ref)
			switch {
			case isRef && r.Var == l.Var:
				if tm.coef*l.Step*int64(s.Buf.Elem.Bits/8)%size != 0 {
					return
				}
			case isRef && variant[r.Var], !isRef:
				return
			}
		}
		ok2 := g.c.GP64()
		g.c.XORQ(ok2, ok2)
		skip := g.label("ntchk")
		g.branchFalse(s.Stream, skip)
		p := g.c.GP64()
		g.c.LEAQ(g.addr(s.Buf, s.Index), p)
		g.c.TESTQ(operand.I32(size-1), p)
		g.c.SETEQ(ok2.As8())
		g.place(skip)
		if g.streamOK == nil {
			g.streamOK = map[*loop.Store]reg.Register{}
		}
		g.streamOK[s] = ok2
	}, nil)
}

// maxPinnedAddr bounds the invariant address parts and memory-resident
// variables held in registers across an innermost loop.
const maxPinnedAddr = 4

// hoistAddresses computes, before an innermost loop, the loop-invariant part
// of each address in the body and loads the memory-resident variables the
// body reads, so that the loop does not recompute or reload them.
func (g *gen) hoistAddresses(body []loop.Stmt) []string {
	n := 0
	var idx []loop.Expr
	var ex func(e loop.Expr)
	ex = func(e loop.Expr) {
		walkExpr(e, func(e loop.Expr) {
			if l, ok := e.(*loop.Load); ok {
				idx = append(idx, l.Index)
			}
		})
	}
	var vars []*loop.Var
	seenVar := map[*loop.Var]bool{}
	note := func(e loop.Expr) {
		for _, v := range exprVars(e) {
			if g.inMem[v] && !g.variant[v] && !seenVar[v] {
				seenVar[v] = true
				vars = append(vars, v)
			}
		}
	}
	for _, st := range body {
		switch st := st.(type) {
		case *loop.Assign:
			ex(st.Value)
			note(st.Value)
		case *loop.Store:
			idx = append(idx, st.Index)
			ex(st.Value)
			note(st.Value)
			note(st.Index)
			note(st.Count)
		case *loop.If:
			ex(st.Cond)
			note(st.Cond)
		}
	}
	for _, e := range idx {
		if n >= maxPinnedAddr {
			break
		}
		l := g.linearize(e)
		var terms []term
		for _, t := range l.terms {
			if t.coef != 0 {
				terms = append(terms, t)
			}
		}
		sort.Slice(terms, func(i, j int) bool { return terms[i].key < terms[j].key })
		inv, _ := g.splitInvariant(terms)
		if len(inv) == 0 || (len(inv) == 1 && inv[0].coef == 1 && !g.isParamRef(inv[0].e)) {
			continue // (a parameter is pinned: it is read from the frame)
		}
		key := termsKey(inv)
		if _, ok := g.pinnedLin[key]; ok {
			continue
		}
		g.pinnedLin[key] = g.materialize(linear{terms: inv})
		n++
	}
	for _, v := range vars {
		if n >= maxPinnedAddr {
			break
		}
		if _, ok := g.slots[v]; !ok {
			continue
		}
		g.pinnedVar[v] = g.rawVar(v)
		n++
	}
	return nil
}

// maxPinned bounds the loop-invariant expressions held in registers across an
// innermost loop.
const maxPinned = 4

// hoistInvariants computes the largest loop-invariant scalar integer
// expressions of an innermost loop body before the loop and pins them.
func (g *gen) hoistInvariants(body []loop.Stmt, variant map[*loop.Var]bool) []string {
	type cand struct {
		e    loop.Expr
		key  string
		size int
	}
	seen := map[string]bool{}
	var cands []cand
	var visit func(e loop.Expr)
	visit = func(e loop.Expr) {
		if e == nil {
			return
		}
		t := e.Type()
		switch e.(type) {
		case *loop.Bin, *loop.Un, *loop.Select, *loop.Cast, *loop.Call:
			if t.Lanes == 1 && isIntLike(t.Elem) {
				in := g.info(e)
				ok := !in.load
				for _, d := range in.deps {
					if variant[d] || g.offs[d] != 0 {
						ok = false
					}
				}
				if ok {
					key := "cse:" + in.key + "@"
					if !seen[key] {
						seen[key] = true
						n := 0
						walkExpr(e, func(loop.Expr) { n++ })
						if n > 2 {
							cands = append(cands, cand{e, key, n})
						}
					}
					return
				}
			}
		}
		switch e := e.(type) {
		case *loop.Load:
			visit(e.Index)
			visit(e.Count)
			visit(e.Guard)
		case *loop.Bin:
			visit(e.X)
			visit(e.Y)
		case *loop.Un:
			visit(e.X)
		case *loop.Call:
			for _, a := range e.Args {
				visit(a)
			}
		case *loop.Cast:
			visit(e.X)
		case *loop.Select:
			visit(e.Cond)
			visit(e.A)
			visit(e.B)
		case *loop.Broadcast:
			visit(e.X)
		case *loop.HReduce:
			visit(e.X)
		}
	}
	for _, st := range body {
		switch st := st.(type) {
		case *loop.Assign:
			visit(st.Value)
		case *loop.Store:
			visit(st.Index)
			visit(st.Value)
			visit(st.Count)
		case *loop.If:
			visit(st.Cond)
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].size > cands[j].size })
	if len(cands) > maxPinned {
		cands = cands[:maxPinned]
	}
	var keys []string
	for _, c := range cands {
		v := g.expr(c.e)
		g.pinned[c.key] = v.r
		keys = append(keys, c.key)
	}
	return keys
}

// loadKey identifies a full-vector load (bcast == false) or a broadcast of a
// scalar load for straight-line reuse.
func (g *gen) loadKey(l *loop.Load, lanes int, bcast bool) (string, []*loop.Var, bool) {
	if l.Count != nil || l.Guard != nil || l.Buf.Elem.IsPacked() {
		return "", nil, false
	}
	k, deps, ok := g.linKey(l.Index)
	if !ok {
		return "", nil, false
	}
	return fmt.Sprintf("ld:%t:%s:%d:%d:%s", bcast, g.bufs[l.Buf], l.T.Lanes, lanes, k), deps, true
}

// countLoads counts the loads of one innermost body copy, so that a load used
// more than once is read into a register once and a load used once is folded
// into its consumer as a memory operand.
func (g *gen) countLoads(ss []loop.Stmt) {
	g.uses = map[string]int{}
	var ex func(e loop.Expr)
	ex = func(e loop.Expr) {
		walkExpr(e, func(e loop.Expr) {
			switch e := e.(type) {
			case *loop.Load:
				if k, _, ok := g.loadKey(e, e.T.Lanes, false); ok && e.T.Lanes > 1 {
					g.uses[k]++
				}
			case *loop.Broadcast:
				if l, ok := e.X.(*loop.Load); ok {
					if k, _, ok := g.loadKey(l, e.T.Lanes, true); ok {
						g.uses[k]++
					}
				}
			}
		})
	}
	for _, s := range ss {
		switch s := s.(type) {
		case *loop.Assign:
			ex(s.Value)
		case *loop.Store:
			ex(s.Value)
		case *loop.If:
			ex(s.Cond)
		}
	}
}

// reused returns the cached register of a load used more than once in the
// current body, loading it on first use; ok is false for single-use loads.
func (g *gen) reused(l *loop.Load, lanes int, bcast bool, load func() val) (val, bool) {
	k, deps, ok := g.loadKey(l, lanes, bcast)
	if !ok || g.uses[k] < 2 || g.lean {
		return val{}, false
	}
	if c, hit := g.cache[k]; hit {
		return val{r: c.r, t: loop.Vec(l.T.Elem, lanes)}, true
	}
	v := load()
	g.cache[k] = cached{r: v.r, deps: deps, buf: l.Buf}
	v.tmp = false
	return v, true
}

// stored drops cached loads of buffer b.
func (g *gen) stored(b *loop.Buf) {
	for k, c := range g.cache {
		if c.buf == b {
			delete(g.cache, k)
		}
	}
}

// ---- addressing ----

// term is coef*atom of a linear index form.
type term struct {
	coef int64
	key  string
	e    loop.Expr // Ref or opaque expression
}

type linear struct {
	terms []term
	c     int64
}

func (l *linear) add(t term) {
	for i := range l.terms {
		if l.terms[i].key == t.key {
			l.terms[i].coef += t.coef
			return
		}
	}
	l.terms = append(l.terms, t)
}

func (l linear) scale(k int64) linear {
	out := linear{c: l.c * k}
	for _, t := range l.terms {
		t.coef *= k
		out.terms = append(out.terms, t)
	}
	return out
}

// linearize writes an Int64 scalar index as a sum of coef*atom plus a constant,
// folding unroll offsets of loop variables into the constant.
func (g *gen) linearize(e loop.Expr) linear {
	switch e := e.(type) {
	case *loop.Const:
		return linear{c: e.Int}
	case *loop.Ref:
		if e.Var.T.Elem.Bits == 64 && isIntLike(e.Var.T.Elem) {
			return linear{terms: []term{{1, fmt.Sprintf("v%d", g.id(e.Var)), e}}, c: g.offs[e.Var]}
		}
	case *loop.Bin:
		if e.T.Elem == ir.I64 && e.T.Lanes == 1 {
			switch e.Op {
			case ir.Add, ir.Sub:
				x, y := g.linearize(e.X), g.linearize(e.Y)
				if e.Op == ir.Sub {
					y = y.scale(-1)
				}
				for _, t := range y.terms {
					x.add(t)
				}
				x.c += y.c
				return x
			case ir.Mul:
				x, y := g.linearize(e.X), g.linearize(e.Y)
				if len(y.terms) == 0 {
					return x.scale(y.c)
				}
				if len(x.terms) == 0 {
					return y.scale(x.c)
				}
			}
		}
	}
	return linear{terms: []term{{1, fmt.Sprintf("e%d%v", g.id(e), g.offKey()), e}}}
}

func (g *gen) offKey() string {
	if len(g.offs) == 0 {
		return ""
	}
	var parts []string
	for v, o := range g.offs {
		parts = append(parts, fmt.Sprintf("%d=%d", g.id(v), o))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// materialize computes the non-constant part of l into a register (nil when
// there is none), reusing an earlier computation in the same straight-line block.
func (g *gen) materialize(l linear) reg.Register {
	var terms []term
	for _, t := range l.terms {
		if t.coef != 0 {
			terms = append(terms, t)
		}
	}
	if len(terms) == 0 {
		return nil
	}
	sort.Slice(terms, func(i, j int) bool { return terms[i].key < terms[j].key })
	var kb strings.Builder
	cacheable := true
	var deps []*loop.Var
	for _, t := range terms {
		fmt.Fprintf(&kb, "%d*%s+", t.coef, t.key)
		if hasLoad(t.e) {
			cacheable = false
		}
		deps = append(deps, exprVars(t.e)...)
	}
	key := kb.String()
	if c, ok := g.cache[key]; ok && cacheable {
		return c.r
	}
	if r, ok := g.pinnedLin[key]; ok {
		return r
	}
	// Start from the pinned loop-invariant part, if any.
	if g.variant != nil && len(g.pinnedLin) > 0 {
		inv, rest := g.splitInvariant(terms)
		if len(inv) > 0 && len(rest) > 0 {
			if r, ok := g.pinnedLin[termsKey(inv)]; ok {
				acc := g.c.GP64()
				if !g.leaTerm(r, rest, acc) {
					g.c.MOVQ(r, acc)
					for _, t := range rest {
						g.addTerm(acc, t)
					}
				}
				if cacheable {
					g.cache[key] = cached{r: acc, deps: deps}
				}
				return acc
			}
		}
	}
	if len(terms) == 1 && terms[0].coef == 1 {
		if r, ok := terms[0].e.(*loop.Ref); ok && !g.isParam(r.Var) {
			return g.rawVar(r.Var)
		}
	}
	var acc reg.Register
	for _, t := range terms {
		var x reg.Register
		if r, ok := t.e.(*loop.Ref); ok && !g.isParam(r.Var) {
			x = g.rawVar(r.Var)
		} else if r, ok := t.e.(*loop.Ref); ok {
			x = g.c.GP64()
			g.c.Load(g.c.Param(g.params[r.Var]), x)
		} else {
			saved := g.offs
			g.offs = map[*loop.Var]int64{}
			for k, v := range saved {
				g.offs[k] = v
			}
			x = g.expr(t.e).r
			g.offs = saved
		}
		switch {
		case acc == nil && t.coef == 1:
			acc = g.c.GP64()
			g.c.MOVQ(x, acc)
		case acc == nil:
			acc = g.c.GP64()
			g.c.IMUL3Q(operand.I32(t.coef), x, acc)
		case t.coef == 1:
			g.c.ADDQ(x, acc)
		case t.coef == -1:
			g.c.SUBQ(x, acc)
		default:
			tmp := g.c.GP64()
			g.c.IMUL3Q(operand.I32(t.coef), x, tmp)
			g.c.ADDQ(tmp, acc)
		}
	}
	if cacheable {
		g.cache[key] = cached{r: acc, deps: deps}
	}
	return acc
}

// linKey returns a cache key and dependencies for a scalar integer
// expression, or ok == false when it must not be cached.
func (g *gen) linKey(e loop.Expr) (key string, deps []*loop.Var, ok bool) {
	l := g.linearize(e)
	sort.Slice(l.terms, func(i, j int) bool { return l.terms[i].key < l.terms[j].key })
	var kb strings.Builder
	for _, t := range l.terms {
		if hasLoad(t.e) {
			return "", nil, false
		}
		fmt.Fprintf(&kb, "%d*%s+", t.coef, t.key)
		deps = append(deps, exprVars(t.e)...)
	}
	fmt.Fprintf(&kb, "%d", l.c)
	return kb.String(), deps, true
}

// termsKey is the canonical key of sorted linear terms.
func termsKey(terms []term) string {
	var kb strings.Builder
	for _, t := range terms {
		fmt.Fprintf(&kb, "%d*%s+", t.coef, t.key)
	}
	return kb.String()
}

// splitInvariant separates the terms that do not change in the current
// innermost loop.
func (g *gen) splitInvariant(terms []term) (inv, rest []term) {
	for _, t := range terms {
		ok := !hasLoad(t.e)
		for _, d := range exprVars(t.e) {
			if g.variant[d] || g.offs[d] != 0 {
				ok = false
			}
		}
		if ok {
			inv = append(inv, t)
		} else {
			rest = append(rest, t)
		}
	}
	return inv, rest
}

// addTerm adds coef*atom to acc.
// isParamRef reports whether e reads a kernel parameter (held in the
// argument frame, not in a register).
func (g *gen) isParamRef(e loop.Expr) bool {
	r, ok := e.(*loop.Ref)
	return ok && g.isParam(r.Var)
}

// leaTerm computes r plus rest into acc with one LEAQ when rest is a
// single register variable scaled by 1, 2, 4 or 8 (a row of A read in
// place: the group's running offset plus a pinned multiple of the stride),
// and reports whether it did.
func (g *gen) leaTerm(r reg.Register, rest []term, acc reg.Register) bool {
	if len(rest) != 1 {
		return false
	}
	t := rest[0]
	v, ok := t.e.(*loop.Ref)
	if !ok || g.isParam(v.Var) {
		return false
	}
	switch t.coef {
	case 1, 2, 4, 8:
	default:
		return false
	}
	g.c.LEAQ(operand.Mem{Base: r, Index: g.rawVar(v.Var), Scale: uint8(t.coef)}, acc)
	return true
}

func (g *gen) addTerm(acc reg.Register, t term) {
	var x reg.Register
	if r, ok := t.e.(*loop.Ref); ok && !g.isParam(r.Var) {
		x = g.rawVar(r.Var)
	} else {
		x = g.expr(t.e).r
	}
	switch t.coef {
	case 1:
		g.c.ADDQ(x, acc)
	case -1:
		g.c.SUBQ(x, acc)
	default:
		tmp := g.c.GP64()
		g.c.IMUL3Q(operand.I32(t.coef), x, tmp)
		g.c.ADDQ(tmp, acc)
	}
}

// base returns a register holding the base pointer of buffer b.
func (g *gen) base(b *loop.Buf) reg.Register {
	if r, ok := g.hoisted[b]; ok {
		return r
	}
	n, ok := g.bufs[b]
	if !ok {
		g.fail("buffer %s is not a kernel buffer", b.Name)
	}
	key := "base:" + n
	if c, ok := g.cache[key]; ok {
		return c.r
	}
	r := g.c.GP64()
	g.c.Load(g.c.Param(n).Base(), r)
	g.cache[key] = cached{r: r}
	return r
}

// addr returns the memory operand of element index of buffer b.
func (g *gen) addr(b *loop.Buf, index loop.Expr) operand.Mem {
	if b.Elem.IsPacked() {
		g.fail("packed element type %v", b.Elem)
	}
	es := int64(b.Elem.Bits / 8)
	l := g.linearize(index)
	idx := g.materialize(l)
	disp := l.c * es
	if disp > math.MaxInt32/2 || disp < math.MinInt32/2 {
		g.fail("displacement out of range")
	}
	m := operand.Mem{Base: g.base(b), Disp: int(disp)}
	if idx != nil {
		m.Index = idx
		m.Scale = uint8(es)
	}
	return m
}

// exprInfo is the memoised structural key of a scalar expression.
type exprInfo struct {
	key  string
	deps []*loop.Var
	load bool
}

// info returns e's structural key, the variables it reads and whether it
// reads memory.
func (g *gen) info(e loop.Expr) *exprInfo {
	if in, ok := g.keys[e]; ok {
		return in
	}
	in := &exprInfo{}
	var kids []loop.Expr
	var head string
	switch e := e.(type) {
	case *loop.Const:
		head = fmt.Sprintf("c%v/%d/%d/%x", e.T.Elem, e.T.Lanes, e.Int, math.Float64bits(e.Float))
	case *loop.Ref:
		head = fmt.Sprintf("v%d", g.id(e.Var))
		in.deps = []*loop.Var{e.Var}
	case *loop.Load:
		head = fmt.Sprintf("ld%d", g.id(e))
		in.load = true
	case *loop.Bin:
		head, kids = fmt.Sprintf("b%d%v", e.Op, e.T), []loop.Expr{e.X, e.Y}
	case *loop.Un:
		head, kids = fmt.Sprintf("u%d%v", e.Op, e.T), []loop.Expr{e.X}
	case *loop.Call:
		head, kids = fmt.Sprintf("f%d%v", e.Fn, e.T), e.Args
	case *loop.Cast:
		head, kids = fmt.Sprintf("k%v", e.T), []loop.Expr{e.X}
	case *loop.Select:
		head, kids = fmt.Sprintf("s%v", e.T), []loop.Expr{e.Cond, e.A, e.B}
	case *loop.Bitcast:
		head, kids = fmt.Sprintf("bc%v", e.T), []loop.Expr{e.X}
	default:
		head = fmt.Sprintf("x%d", g.id(e))
		in.load = true
	}
	var b strings.Builder
	b.WriteString("(" + head)
	seen := map[*loop.Var]bool{}
	for _, d := range in.deps {
		seen[d] = true
	}
	for _, k := range kids {
		ki := g.info(k)
		b.WriteString(" " + ki.key)
		in.load = in.load || ki.load
		for _, d := range ki.deps {
			if !seen[d] {
				seen[d] = true
				in.deps = append(in.deps, d)
			}
		}
	}
	b.WriteString(")")
	in.key = b.String()
	if len(in.key) > 64 {
		// Keep keys short: identical long keys are interned by content hash.
		in.key = fmt.Sprintf("h%x", fnv64(in.key))
	}
	g.keys[e] = in
	return in
}

// id returns a number naming the variable or expression node p, in the
// order of first use: keys built from it (unlike from addresses) sort the
// same way in every run, so the generated code is deterministic.
func (g *gen) id(p any) int {
	if n, ok := g.ids[p]; ok {
		return n
	}
	n := len(g.ids)
	g.ids[p] = n
	return n
}

func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// offsFor returns the unroll offsets of deps as a key suffix.
func (g *gen) offsFor(deps []*loop.Var) string {
	var parts []string
	for _, d := range deps {
		if o := g.offs[d]; o != 0 {
			parts = append(parts, fmt.Sprintf("%d=%d", g.id(d), o))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// singleConstAssigns returns the variables of body assigned exactly once,
// with a constant, and the constants.
func singleConstAssigns(body []loop.Stmt) map[*loop.Var]*loop.Const {
	count := map[*loop.Var]int{}
	consts := map[*loop.Var]*loop.Const{}
	loop.WalkStmts(body, func(s loop.Stmt) {
		if a, ok := s.(*loop.Assign); ok {
			count[a.Dst]++
			if c, ok := a.Value.(*loop.Const); ok {
				consts[a.Dst] = c
			}
		}
	}, nil)
	for v := range consts {
		if count[v] != 1 {
			delete(consts, v)
		}
	}
	return consts
}

// constOf returns the constant e is: a Const, or a variable of constVars.
func (g *gen) constOf(e loop.Expr) (*loop.Const, bool) {
	switch e := e.(type) {
	case *loop.Const:
		return e, true
	case *loop.Ref:
		c, ok := g.constVars[e.Var]
		return c, ok
	}
	return nil, false
}
