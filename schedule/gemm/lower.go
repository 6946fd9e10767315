package gemm

import (
	"errors"
	"fmt"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/layout"
	"github.com/tensorcc/tcc/loop"
)

// Parallel decomposition. The parallel range of the Step enumerates
// (batch group, NC block) pairs: batches are split into at most MaxGroups
// groups (group g handles batches g, g+G, ...) and N into NC blocks, at least
// about NCSplit of them when N allows (plan fields). Each pair writes a
// disjoint part of C and owns one slot of every scratch buffer, so the result
// does not depend on how the range is split into chunks, and the scratch stays
// bounded by about MaxGroups * (N + NCSplit*NR) * KC elements.

// side is one packed operand seen in the orientation of the computation: rows
// (A side: the output's rows, B side: k) by columns (A side: k, B side: the
// output's columns).
type side struct {
	// expr is the operand's value; rows and cols are the groups of its
	// rows and columns in this orientation.
	expr       ir.Expr
	rows, cols Group
	// A plain operand (buf != nil) is read in place with strides.
	buf      *loop.Buf
	cast     bool
	row, col loop.Expr   // element strides
	batch    []loop.Expr // per batch variable; nil when not indexed
}

// plain reports whether s is read in place with strides.
func (s side) plain() bool { return s.buf != nil }

// transposed returns s seen with rows and columns exchanged.
func (s side) transposed() side {
	s.rows, s.cols = s.cols, s.rows
	s.row, s.col = s.col, s.row
	return s
}

// lowering holds the state of one Lower call.
type lowering struct {
	m   *Matmul
	env Env
	t   loop.Target
	bl  Blocking
	f   *loop.Func
	acc ir.DType
	// orientation
	a, b               side
	rowGroup, colGroup Group
	mExt, nExt         Dims
	cRow, cCol         Stride
	cBuf               *loop.Buf
	n                  int
	inline             bool // recompute index values instead of holding them in locals
}

// Lower returns the steps computing m for env.Target() with plan (nil: the
// DefaultPlan): a BLIS-style loop nest with packed operands and a
// register-blocked micro-kernel, run in parallel over (batch group, NC
// block) pairs.
func Lower(m *Matmul, env Env, plan *Blocking) ([]*loop.Step, error) {
	if m == nil || env == nil {
		return nil, errors.New("gemm: nil matmul or env")
	}
	t := env.Target()
	lw := &lowering{m: m, env: env, t: t, acc: m.Acc}
	if plan == nil {
		p := DefaultPlan(m, t)
		plan = &p
	}
	if err := checkPlan(*plan, t, m.Acc); err != nil {
		return nil, fmt.Errorf("gemm: %s: %w", m.C.Name, err)
	}
	lw.bl = *plan
	lw.cBuf = env.Buf(m.C)
	if lw.cBuf == nil {
		return nil, fmt.Errorf("gemm: %s: missing buffer for the output", m.C.Name)
	}
	a, err := lw.newSide(m.A, m.IGroup, m.KGroup)
	if err != nil {
		return nil, err
	}
	b, err := lw.newSide(m.B, m.KGroup, m.JGroup)
	if err != nil {
		return nil, err
	}
	lw.a, lw.b = a, b
	lw.rowGroup, lw.colGroup, lw.mExt, lw.nExt, lw.cRow, lw.cCol = m.IGroup, m.JGroup, m.M, m.N, m.CRow, m.CCol
	if !m.CCol.IsUnit() && m.CRow.IsUnit() {
		// C is stored transposed: compute C^T = B^T A^T so that the micro-tile's
		// columns are contiguous in C.
		lw.a, lw.b = b.transposed(), a.transposed()
		lw.rowGroup, lw.colGroup, lw.mExt, lw.nExt, lw.cRow, lw.cCol = m.JGroup, m.IGroup, m.N, m.M, m.CCol, m.CRow
	}
	if lw.bl.Lanes > 1 && !lw.cCol.IsUnit() {
		return nil, fmt.Errorf("gemm: %s: a vector plan needs a contiguous output dimension", m.C.Name)
	}
	return lw.build()
}

// newSide describes operand op with row and column groups rows and cols.
func (lw *lowering) newSide(op Operand, rows, cols Group) (side, error) {
	s := side{expr: op.Expr, rows: rows, cols: cols}
	if !op.Plain() || len(lw.m.KOuter) > 0 {
		return s, nil
	}
	s.buf, s.cast = lw.env.Buf(op.Tensor), op.Cast
	if s.buf == nil {
		return s, fmt.Errorf("gemm: %s: missing buffer for operand %s", lw.m.C.Name, op.Tensor.Name)
	}
	s.row, s.col = op.Row.Expr(lw.env), op.Col.Expr(lw.env)
	for i, st := range op.Batch {
		var e loop.Expr
		if op.HasBatch[i] {
			e = st.Expr(lw.env)
		}
		s.batch = append(s.batch, e)
	}
	return s, nil
}

// general reports whether an operand is evaluated through its expression.
func (lw *lowering) general() bool { return !lw.a.plain() || !lw.b.plain() }

// bindGroup binds the variables of g to the digits of the flattened index
// idx (row-major over the group's extents).
func (lw *lowering) bindGroup(b map[*ir.Var]loop.Expr, g Group, idx loop.Expr) {
	for i := len(g) - 1; i > 0; i-- {
		ext := lw.env.Dim(g[i].Extent)
		b[g[i]] = mod(idx, ext)
		idx = div(idx, ext)
	}
	b[g[0]] = idx
}

// outerK returns the number of values of the outer reduction variables.
func (lw *lowering) outerK() loop.Expr {
	var n loop.Expr = i64(1)
	for _, v := range lw.m.KOuter {
		n = mul(n, lw.env.Dim(v.Extent))
	}
	return n
}

// elem returns the value of side s at row r and column c (lanes values
// along the columns when lanes > 1, the first count of them when count is
// set), with the bindings of bind for the other variables, converted to the
// accumulator type. With guard set, nothing is read and the value is zero
// where guard is false (padding outside the block).
func (lw *lowering) elem(s side, bind map[*ir.Var]loop.Expr, r, c loop.Expr, lanes int, count, guard loop.Expr) (loop.Expr, error) {
	b := copyBind(bind)
	lw.bindGroup(b, s.rows, r)
	lw.bindGroup(b, s.cols, c)
	var lane *ir.Var
	if lanes > 1 {
		if len(s.cols) != 1 {
			return nil, fmt.Errorf("gemm: %s: vector pack along a flattened group", lw.m.C.Name)
		}
		lane = s.cols[0]
	}
	x, err := lw.env.ExprAlong(s.expr, b, lane, lanes, count)
	if err != nil {
		return nil, fmt.Errorf("gemm: %s: operand %s: %w", lw.m.C.Name, ir.ExprString(s.expr), err)
	}
	if x.Type().Elem != lw.acc {
		x = &loop.Cast{X: x, T: loop.Vec(lw.acc, x.Type().Lanes)}
	}
	if guard == nil {
		return x, nil
	}
	loop.WalkExpr(x, func(e loop.Expr) {
		if ld, ok := e.(*loop.Load); ok {
			ld.Guard = and(guard, ld.Guard)
		}
	})
	t := x.Type()
	g := guard
	if t.Lanes > 1 {
		g = &loop.Broadcast{X: guard, T: loop.Vec(ir.BoolT, t.Lanes)}
	}
	return &loop.Select{Cond: g, A: x, B: &loop.Const{T: t}, T: t}, nil
}

func (lw *lowering) newVar(name string, t loop.Type) *loop.Var {
	lw.n++
	v := &loop.Var{Name: fmt.Sprintf("%s_%d", name, lw.n), T: t}
	lw.f.Locals = append(lw.f.Locals, v)
	return v
}

func (lw *lowering) scalarVar(name string) *loop.Var { return lw.newVar(name, tI64) }

// let returns e as a value usable in later statements: a local assigned in
// stmts, or, when inlining (or when e is a constant or a variable), e itself.
func (lw *lowering) let(stmts *[]loop.Stmt, name string, e loop.Expr) loop.Expr {
	switch e.(type) {
	case *loop.Const, *loop.Ref:
		return e
	}
	if lw.inline {
		return e
	}
	v := lw.scalarVar(name)
	*stmts = append(*stmts, assign(v, e))
	return ref(v)
}

// keep is let that always uses a local (for values used many times).
func (lw *lowering) keep(stmts *[]loop.Stmt, name string, e loop.Expr) loop.Expr {
	inline := lw.inline
	lw.inline = false
	defer func() { lw.inline = inline }()
	return lw.let(stmts, name, e)
}

// loopVar returns a new For variable (loop variables are not Locals).
func (lw *lowering) loopVar(name string) *loop.Var {
	lw.n++
	return &loop.Var{Name: fmt.Sprintf("%s_%d", name, lw.n), T: tI64}
}

func assign(v *loop.Var, e loop.Expr) loop.Stmt { return &loop.Assign{Dst: v, Value: e} }

func forLoop(v *loop.Var, lo, hi loop.Expr, step int64, body ...loop.Stmt) *loop.For {
	return &loop.For{Var: v, Lo: lo, Hi: hi, Step: step, Body: body}
}

func (lw *lowering) build() ([]*loop.Step, error) {
	m, env, bl := lw.m, lw.env, lw.bl
	MR, NR, L := int64(bl.MR), int64(bl.NR), bl.Lanes
	name := m.C.Name
	// Size-level expressions (over size variables only).
	M, N, K := lw.mExt.Expr(env), lw.nExt.Expr(env), m.KDim.Expr(env)
	var batchExt []loop.Expr
	var bt loop.Expr = i64(1)
	for i, v := range m.Batch {
		e := env.Dim(v.Extent)
		batchExt = append(batchExt, e)
		if i == 0 {
			bt = e
		} else {
			bt = mul(bt, e)
		}
	}
	groups := func() loop.Expr { return minE(bt, i64(int64(bl.MaxGroups))) }
	ncE := func() loop.Expr {
		split := roundUp(ceilDiv(N, int64(bl.NCSplit)), NR)
		if bl.SplitMinWork > 0 { // a small product stays one NC block
			work := mul(i64(2), mul(bt, mul(M, mul(N, mul(K, lw.outerK())))))
			split = &loop.Select{Cond: cmp(ir.Lt, work, i64(int64(bl.SplitMinWork))), A: roundUp(N, NR), B: split, T: tI64}
		}
		return minE(i64(int64(bl.NC)), maxE(i64(max(NR, int64(bl.NCMin))), split))
	}
	nNC := func() loop.Expr { return ceilDiv2(N, ncE()) }
	kcE := func() loop.Expr {
		if m.C.Type != m.Acc {
			// The output cannot hold partial sums: one KC block spanning K.
			return K
		}
		return minE(i64(int64(bl.KC)), K)
	}
	mcE := func() loop.Expr { return minE(i64(int64(bl.MC)), roundUp(M, MR)) }
	nIter := func() loop.Expr { return mul(groups(), nNC()) }

	hasEpi := m.Epilogue != nil
	vnni := lw.useVNNI()
	correct := vnni && lw.a.buf.Elem == ir.I8 // A is biased to u8 by +128
	if L > 1 {
		return lw.buildFlat(flatDims{M: M, N: N, K: K, bt: bt, batchExt: batchExt,
			ncE: ncE, nNC: nNC, kcE: kcE, mcE: mcE}, vnni, correct)
	}
	packA := env.NewScratch(name+"_packA", m.Acc, mul(nIter(), mul(mcE(), kcE())))
	packB := env.NewScratch(name+"_packB", m.Acc, mul(nIter(), mul(kcE(), ncE())))
	var csum *loop.Buf
	if correct {
		csum = env.NewScratch(name+"_colsum", ir.I32, mul(nIter(), ncE()))
	}
	var tile *loop.Buf
	if hasEpi {
		tile = env.NewScratch(name+"_tile", m.Acc, mul(nIter(), i64(MR*NR)))
	}
	layA, err := layout.Panel(bl.MC, bl.KC, 0, bl.MR)
	if err != nil {
		return nil, fmt.Errorf("gemm: %s: %w", name, err)
	}
	layB, err := layout.Panel(bl.KC, bl.NC, 1, bl.NR)
	if err != nil {
		return nil, fmt.Errorf("gemm: %s: %w", name, err)
	}
	packA.Layout, packB.Layout = layA, layB
	uncleared(packA, packB, csum, tile)

	f := &loop.Func{Name: "gemm_" + name, Target: lw.t.Name}
	if L > 1 {
		f.VectorBits = L * m.Acc.Bits
	}
	if lw.t.Name == "go" || L == 1 && lw.t.Name == "" {
		f.Target = ""
	}
	lw.f = f
	f.Lo = &loop.Var{Name: "lo", T: tI64}
	f.Hi = &loop.Var{Name: "hi", T: tI64}
	// On vector (assembly) targets, index values outside the micro-kernel are
	// recomputed where used instead of held in locals: the assembler keeps locals
	// in general-purpose registers and does not spill, so a deep loop nest must
	// keep few scalars live. The Go compiler does better with locals.
	lw.inline = L > 1

	var body []loop.Stmt
	vM, vN, vK := lw.let(&body, "m", M), lw.let(&body, "n", N), lw.let(&body, "k", K)
	vBt := lw.let(&body, "batches", bt)
	vG, vNC := lw.let(&body, "groups", groups()), lw.let(&body, "ncb", ncE())
	vnNC, vKC, vMC := lw.let(&body, "nnc", nNC()), lw.let(&body, "kcb", kcE()), lw.let(&body, "mcb", mcE())
	cRowE, cColE := lw.let(&body, "crs", lw.cRow.Expr(env)), lw.let(&body, "ccs", lw.cCol.Expr(env))
	var aRowE, aColE, bRowE, bColE loop.Expr
	if lw.a.plain() {
		aRowE, aColE = lw.let(&body, "ars", lw.a.row), lw.let(&body, "acs", lw.a.col)
	}
	if lw.b.plain() {
		bRowE, bColE = lw.let(&body, "brs", lw.b.row), lw.let(&body, "bcs", lw.b.col)
	}

	vt := lw.loopVar("t")
	var iter []loop.Stmt
	vg := lw.let(&iter, "g", div(ref(vt), vnNC))
	vjc := lw.let(&iter, "jc", mul(mod(ref(vt), vnNC), vNC))
	vnc := lw.let(&iter, "nc", minE(vNC, sub(vN, vjc)))
	vaSlot := lw.let(&iter, "aslot", mul(ref(vt), mul(vMC, vKC)))
	vbSlot := lw.let(&iter, "bslot", mul(ref(vt), mul(vKC, vNC)))
	var vtSlot loop.Expr
	if hasEpi {
		vtSlot = lw.let(&iter, "tslot", mul(ref(vt), i64(MR*NR)))
	}

	// Batch loop: the q-th batch of group g is g + q*G.
	vq := lw.loopVar("q")
	var bbody []loop.Stmt
	vbi := lw.let(&bbody, "b", add(vg, mul(ref(vq), vG)))
	bind := map[*ir.Var]loop.Expr{}
	var offA, offB, offC loop.Expr = i64(0), i64(0), i64(0)
	if len(m.Batch) > 0 {
		rem := vbi
		for i := len(m.Batch) - 1; i >= 0; i-- {
			vc := lw.let(&bbody, "bc", mod(rem, batchExt[i]))
			if i > 0 {
				rem = lw.let(&bbody, "rem", div(rem, batchExt[i]))
			}
			bind[m.Batch[i]] = vc
			if lw.a.plain() && lw.a.batch[i] != nil {
				offA = add(offA, mul(vc, lw.a.batch[i]))
			}
			if lw.b.plain() && lw.b.batch[i] != nil {
				offB = add(offB, mul(vc, lw.b.batch[i]))
			}
			offC = add(offC, mul(vc, m.CBatch[i].Expr(env)))
		}
	}
	vOffA, vOffB, vOffC := lw.let(&bbody, "offa", offA), lw.let(&bbody, "offb", offB), lw.let(&bbody, "offc", offC)

	// K == 0: the sum is empty.
	zero, err := lw.zeroFill(vM, vjc, vnc, vOffC, cRowE, cColE, bind)
	if err != nil {
		return nil, err
	}
	nOuter := lw.let(&body, "nko", lw.outerK())
	bbody = append(bbody, &loop.If{Cond: cmp(ir.Eq, mul(vK, nOuter), i64(0)), Then: zero})

	// KC loop: the blocks of the inner reduction group, for each value of
	// the outer reduction variables.
	vpb := lw.loopVar("pb")
	var kbody []loop.Stmt
	nKCin := lw.let(&body, "nkci", ceilDiv2(vK, vKC))
	nKCtot := lw.let(&body, "nkct", mul(nKCin, nOuter))
	vpc := lw.let(&kbody, "pc", mul(mod(ref(vpb), nKCin), vKC))
	vkc := lw.let(&kbody, "kc", minE(vKC, sub(vK, vpc)))
	kbind := copyBind(bind)
	lw.bindOuterK(kbind, div(ref(vpb), nKCin))
	// kd is the depth of the packed panels: kc, or kc/4 words of 4 bytes (VNNI).
	kd := vkc
	if vnni {
		kd = lw.let(&kbody, "kd", ceilDiv(vkc, 4))
	}
	// Pack B: logical (kc x nc) tile of the B side at (pc, jc).
	var bsrc loop.Expr
	if lw.b.plain() {
		bsrc = lw.let(&kbody, "bsrc", add(vOffB, add(mul(vpc, bRowE), mul(vjc, bColE))))
	}
	var packBStmts []loop.Stmt
	if !lw.b.plain() {
		packBStmts, err = lw.packGeneral(layB, packB, vbSlot, [2]loop.Expr{vkc, vnc}, lw.b, kbind, vpc, vjc, 1, lw.aheadB())
	} else if vnni {
		packBStmts, err = lw.packWith(layB, packB, vbSlot, [2]loop.Expr{kd, vnc}, 0, [2]int64{}, func(c [2]loop.Expr, g, _ loop.Expr, _ int) loop.Expr {
			return lw.bytes4(func(q int64) (loop.Expr, loop.Expr) {
				kq := add(mul(c[0], i64(4)), i64(q))
				return add(bsrc, add(mul(kq, bRowE), mul(c[1], bColE))), and(g, cmp(ir.Lt, kq, vkc))
			}, lw.b.buf, false)
		})
	} else if lw.portable() {
		packBStmts = lw.packPanel(packB, vbSlot, vnc, vkc, bl.NR, lw.b, bsrc, bColE, bRowE)
	} else {
		packBStmts, err = lw.pack(layB, packB, vbSlot, [2]loop.Expr{vkc, vnc}, lw.b, bsrc, bRowE, bColE, lw.aheadB())
	}
	if err != nil {
		return nil, err
	}
	kbody = append(kbody, packBStmts...)
	var vcslot loop.Expr
	if correct {
		// Column sums of the B block for the +128 bias of A.
		vcslot = lw.let(&kbody, "cslot", mul(ref(vt), vNC))
		vj, vk := lw.loopVar("sj"), lw.loopVar("sk")
		vs := lw.newVar("csum", loop.Scalar(ir.I32))
		ld := &loop.Cast{X: &loop.Load{Buf: lw.b.buf, Index: add(bsrc, add(mul(ref(vk), bRowE), mul(ref(vj), bColE))), T: loop.Scalar(lw.b.buf.Elem)}, T: loop.Scalar(ir.I32)}
		kbody = append(kbody,
			forLoop(vj, i64(0), vnc, 1,
				assign(vs, &loop.Const{T: loop.Scalar(ir.I32)}),
				forLoop(vk, i64(0), vkc, 1, assign(vs, &loop.Bin{Op: ir.Add, X: ref(vs), Y: ld, T: loop.Scalar(ir.I32)})),
				&loop.Store{Buf: csum, Index: add(vcslot, ref(vj)), Value: ref(vs)}))
	}

	// MC loop.
	vib := lw.loopVar("ib")
	var ibody []loop.Stmt
	vic := lw.let(&ibody, "ic", mul(ref(vib), vMC))
	vmc := lw.let(&ibody, "mc", minE(vMC, sub(vM, vic)))
	var asrc loop.Expr
	if lw.a.plain() {
		asrc = lw.let(&ibody, "asrc", add(vOffA, add(mul(vic, aRowE), mul(vpc, aColE))))
	}
	var packAStmts []loop.Stmt
	if !lw.a.plain() {
		packAStmts, err = lw.packGeneral(layA, packA, vaSlot, [2]loop.Expr{vmc, vkc}, lw.a, kbind, vic, vpc, 1, [2]int64{})
	} else if vnni {
		packAStmts, err = lw.packWith(layA, packA, vaSlot, [2]loop.Expr{vmc, kd}, 0, [2]int64{}, func(c [2]loop.Expr, g, _ loop.Expr, _ int) loop.Expr {
			return lw.bytes4(func(q int64) (loop.Expr, loop.Expr) {
				kq := add(mul(c[1], i64(4)), i64(q))
				return add(asrc, add(mul(c[0], aRowE), mul(kq, aColE))), and(g, cmp(ir.Lt, kq, vkc))
			}, lw.a.buf, correct)
		})
	} else if lw.portable() {
		packAStmts = lw.packPanel(packA, vaSlot, vmc, vkc, bl.MR, lw.a, asrc, aRowE, aColE)
	} else {
		packAStmts, err = lw.pack(layA, packA, vaSlot, [2]loop.Expr{vmc, vkc}, lw.a, asrc, aRowE, aColE, [2]int64{})
	}
	if err != nil {
		return nil, err
	}
	ibody = append(ibody, packAStmts...)

	// Macro-kernel: NR-wide, MR-tall micro-tiles.
	vjr, vir := lw.loopVar("jr"), lw.loopVar("ir")
	var jrBody, irBody []loop.Stmt
	vnr := lw.let(&jrBody, "nr", minE(i64(NR), sub(vnc, ref(vjr))))
	vmr := lw.let(&irBody, "mr", minE(i64(MR), sub(vmc, ref(vir))))
	vpa, vpbp := lw.scalarVar("pa"), lw.scalarVar("pbp")
	irBody = append(irBody,
		assign(vpa, add(vaSlot, mul(ref(vir), kd))),
		assign(vpbp, add(vbSlot, mul(ref(vjr), kd))))
	vctile := lw.keep(&irBody, "ct", add(vOffC, add(mul(add(vic, ref(vir)), cRowE), mul(add(vjc, ref(vjr)), cColE))))
	var cpos loop.Expr
	if correct {
		cpos = add(vcslot, ref(vjr))
	}
	micro, err := lw.micro(microArgs{
		packA: packA, packB: packB, tile: tile,
		pa: vpa, pb: vpbp, kc: kd, mr: vmr, nr: vnr, vnni: vnni, csum: csum, cpos: cpos,
		ctile: vctile, cRow: cRowE, cCol: cColE,
		first: cmp(ir.Eq, ref(vpb), i64(0)), last: cmp(ir.Eq, ref(vpb), sub(nKCtot, i64(1))),
		tslot: vtSlot,
		row:   add(vic, ref(vir)), col: add(vjc, ref(vjr)),
		bind: bind,
	})
	if err != nil {
		return nil, err
	}
	irBody = append(irBody, micro...)
	jrBody = append(jrBody, forLoop(vir, i64(0), vmc, MR, irBody...))
	ibody = append(ibody, forLoop(vjr, i64(0), vnc, NR, jrBody...))
	kbody = append(kbody, forLoop(vib, i64(0), ceilDiv2(vM, vMC), 1, ibody...))
	bbody = append(bbody, forLoop(vpb, i64(0), nKCtot, 1, kbody...))

	nb := ceilDiv2(sub(vBt, vg), vG)
	iter = append(iter, forLoop(vq, i64(0), nb, 1, bbody...))
	body = append(body, forLoop(vt, ref(f.Lo), ref(f.Hi), 1, iter...))
	f.Body = body

	work := mul(i64(2), mul(bt, mul(M, mul(N, K))))
	step := &loop.Step{Func: f, Parallel: true, Extent: nIter(), Grain: 1, Work: work}
	return []*loop.Step{step}, nil
}

// bindOuterK binds the outer reduction variables to the digits of o, the
// index of their values (row-major over their extents).
func (lw *lowering) bindOuterK(b map[*ir.Var]loop.Expr, o loop.Expr) {
	ks := lw.m.KOuter
	for i := len(ks) - 1; i >= 0; i-- {
		ext := lw.env.Dim(ks[i].Extent)
		if i == 0 {
			b[ks[i]] = o
			break
		}
		b[ks[i]] = mod(o, ext)
		o = div(o, ext)
	}
}

// packGeneral is pack for a general operand: the element at (r, c) of the
// tile is s's value at row off0 + r, column off1 + c (vec lanes along the
// columns when the layout allows), zero outside the tile.
func (lw *lowering) packGeneral(lay layout.Layout, dst *loop.Buf, slot loop.Expr, ext [2]loop.Expr, s side, bind map[*ir.Var]loop.Expr, off0, off1 loop.Expr, vec int, ahead [2]int64) ([]loop.Stmt, error) {
	// The vector pack, unless the operand does not vectorise along its
	// columns (strided or gathered reads): then the scalar one.
	if vec > 1 {
		if st, err := lw.packWithValue(lay, dst, slot, ext, s, bind, off0, off1, vec, ahead); err == nil {
			return st, nil
		}
	}
	return lw.packWithValue(lay, dst, slot, ext, s, bind, off0, off1, 1, ahead)
}

// packWithValue is packGeneral with the vector width vec.
func (lw *lowering) packWithValue(lay layout.Layout, dst *loop.Buf, slot loop.Expr, ext [2]loop.Expr, s side, bind map[*ir.Var]loop.Expr, off0, off1 loop.Expr, vec int, ahead [2]int64) ([]loop.Stmt, error) {
	var verr error
	st, err := lw.packWith(lay, dst, slot, ext, vec, ahead, func(coord [2]loop.Expr, guard, count loop.Expr, lanes int) loop.Expr {
		x, err := lw.elem(s, bind, add(off0, coord[0]), add(off1, coord[1]), lanes, count, guard)
		if err != nil {
			verr = err
			return &loop.Const{T: loop.Vec(lw.acc, lanes)}
		}
		return x
	})
	if err == nil {
		err = verr
	}
	return st, err
}

// ceilDiv2 returns ceil(x / y) for x >= 0 and y >= 0 (0 when y is 0).
func ceilDiv2(x, y loop.Expr) loop.Expr {
	return div(sub(add(x, y), i64(1)), y)
}

// portable reports whether the GEMM is scheduled for the portable Go target
// (scalar code translated to Go), whose loop nests are shaped for the Go
// compiler rather than for an assembler.
func (lw *lowering) portable() bool {
	return lw.bl.Lanes == 1 && (lw.t.Name == "go" || lw.t.Name == "")
}

// packPanel is pack for the portable Go target, specialised to the panel
// layouts of Lower (layout.Panel with slivers of w lines): dst[slot:] receives
// the slivers of w lines (lines [s*w, s*w+w) of the n lines of operand s,
// line i starting at src + i*ls) each as depth steps of w consecutive elements
// (element d of a line at d*ds), zero beyond line n. It writes the same
// elements in the same order as pack, but full slivers (all but the last) get
// an unguarded loop with one running index per line, which the Go compiler
// turns into a load and a store per element instead of a guarded gather with
// index multiplications.
func (lw *lowering) packPanel(dst *loop.Buf, slot, n, depth loop.Expr, w int, s side, src, ls, ds loop.Expr) []loop.Stmt {
	W := int64(w)
	value := func(idx, guard loop.Expr) loop.Expr {
		return loop.ReadAs(&loop.Load{Buf: s.buf, Index: idx, T: loop.Scalar(s.buf.Elem), Guard: guard}, loop.Scalar(lw.acc))
	}
	vs, vd, vd2 := lw.loopVar("ps"), lw.loopVar("pd"), lw.loopVar("pd")
	var body []loop.Stmt
	// The sliver's first line and its position in dst.
	line := lw.keep(&body, "pl", mul(ref(vs), i64(W)))
	doff := lw.scalarVar("po")
	body = append(body, assign(doff, add(slot, mul(line, depth))))
	// One running source index per line of a full sliver.
	lines := make([]*loop.Var, w)
	var init []loop.Stmt
	for r := range lines {
		lines[r] = lw.scalarVar(fmt.Sprintf("pr%d", r))
		init = append(init, assign(lines[r], add(src, mul(add(line, i64(int64(r))), ls))))
	}
	var full []loop.Stmt
	for r := range lines {
		full = append(full, &loop.Store{Buf: dst, Index: add(ref(doff), i64(int64(r))), Value: value(ref(lines[r]), nil)})
	}
	for r := range lines {
		full = append(full, assign(lines[r], add(ref(lines[r]), ds)))
	}
	full = append(full, assign(doff, add(ref(doff), i64(W))))
	// The last, partial sliver: lines at or past n read as zero.
	var part []loop.Stmt
	for r := 0; r < w; r++ {
		ln := add(line, i64(int64(r)))
		part = append(part, &loop.Store{Buf: dst, Index: add(ref(doff), i64(int64(r))),
			Value: value(add(src, add(mul(ln, ls), mul(ref(vd2), ds))), cmp(ir.Lt, ln, n))})
	}
	part = append(part, assign(doff, add(ref(doff), i64(W))))
	body = append(body, &loop.If{Cond: cmp(ir.Le, add(line, i64(W)), n),
		Then: append(init, forLoop(vd, i64(0), depth, 1, full...)),
		Else: []loop.Stmt{forLoop(vd2, i64(0), depth, 1, part...)}})
	return []loop.Stmt{forLoop(vs, i64(0), ceilDiv(n, W), 1, body...)}
}

// pack fills dst[slot:] with the logical tile of extents ext of operand s starting
// at src (element strides rs, cs along the tile's two dimensions), in the order
// of the loops derived from the panel layout lay, padding with zeros beyond ext.
//
// On vector targets, when the innermost pack loop runs along a dimension that is
// contiguous in the source (unit stride) and padded to a multiple of the vector
// width, it moves whole vectors, the tail through a lane count.
func (lw *lowering) pack(lay layout.Layout, dst *loop.Buf, slot loop.Expr, ext [2]loop.Expr, s side, src, rs, cs loop.Expr, ahead [2]int64) ([]loop.Stmt, error) {
	value := func(coord [2]loop.Expr, guard, count loop.Expr, lanes int) loop.Expr {
		idx := add(src, add(mul(coord[0], rs), mul(coord[1], cs)))
		t := loop.Vec(s.buf.Elem, lanes)
		return loop.ReadAs(&loop.Load{Buf: s.buf, Index: idx, T: t, Guard: guard, Count: count}, loop.Vec(lw.acc, lanes))
	}
	vec := 0
	if L := lw.bl.Lanes; L > 1 {
		if loops, err := lay.Loops(); err == nil && len(loops) > 0 {
			in := loops[len(loops)-1]
			stride := [2]loop.Expr{rs, cs}[in.Dim]
			if c, ok := stride.(*loop.Const); ok && c.Int == 1 && in.DimStride == 1 && in.Extent%L == 0 && len(loops) > 1 {
				vec = L
			}
		}
	}
	return lw.packWith(lay, dst, slot, ext, vec, ahead, value)
}

// packWith is pack with the element value given by value(coord, guard), where
// guard (nil when always true) tells whether coord lies inside the tile.
//
// With vec > 0 the innermost loop, which must run along a guarded dimension with
// a constant extent that vec divides, steps by vec and value is asked for vec
// lanes with count (the number of lanes inside the tile) instead of a guard on
// that dimension.
func (lw *lowering) packWith(lay layout.Layout, dst *loop.Buf, slot loop.Expr, ext [2]loop.Expr, vec int, ahead [2]int64, value func(coord [2]loop.Expr, guard, count loop.Expr, lanes int) loop.Expr) ([]loop.Stmt, error) {
	loops, err := lay.Loops()
	if err != nil {
		return nil, fmt.Errorf("gemm: pack %s: %w", dst.Name, err)
	}
	// The outermost loop of each dimension covers the run-time extent; inner ones
	// keep their constant extent (tile sizes) and are guarded. The innermost
	// loop (within a sliver) keeps its constant extent even when it is its
	// dimension's only loop (a block of one sliver, NC == NR): the buffer's
	// strides must not depend on the tile's size.
	outer := map[int]int{}
	guarded := map[int]bool{}
	nloops := map[int]int{}
	for i, lp := range loops {
		nloops[lp.Dim]++
		if o, ok := outer[lp.Dim]; !ok || loops[o].DimStride < lp.DimStride {
			outer[lp.Dim] = i
		}
	}
	if in := loops[len(loops)-1]; nloops[in.Dim] == 1 && len(loops) > 1 {
		delete(outer, in.Dim)
	}
	var pre []loop.Stmt
	extents := make([]loop.Expr, len(loops))
	for i, lp := range loops {
		if o, ok := outer[lp.Dim]; ok && o == i {
			extents[i] = ceilDiv(ext[lp.Dim], int64(lp.DimStride))
		} else {
			extents[i] = i64(int64(lp.Extent))
			guarded[lp.Dim] = true
		}
	}
	// Buffer strides of the dense buffer from the run-time extents.
	strides := make([]loop.Expr, len(loops))
	var st loop.Expr = i64(1)
	for i := len(loops) - 1; i >= 0; i-- {
		if c, ok := st.(*loop.Const); ok {
			strides[i] = c
		} else {
			v := lw.scalarVar("pst")
			pre = append(pre, assign(v, st))
			strides[i] = ref(v)
		}
		st = mul(st, extents[i])
	}
	vars := make([]*loop.Var, len(loops))
	for i := range loops {
		vars[i] = lw.loopVar("px")
	}
	var coord [2]loop.Expr
	coord[0], coord[1] = i64(0), i64(0)
	off := slot
	for i, lp := range loops {
		coord[lp.Dim] = add(coord[lp.Dim], mul(ref(vars[i]), i64(int64(lp.DimStride))))
		off = add(off, mul(ref(vars[i]), strides[i]))
	}
	inner := len(loops) - 1
	vecDim := -1
	if o, ok := outer[loops[inner].Dim]; vec > 1 && inner > 0 && guarded[loops[inner].Dim] && (!ok || o != inner) &&
		loops[inner].DimStride == 1 && loops[inner].Extent%vec == 0 {
		vecDim = loops[inner].Dim
	} else {
		vec = 1
	}
	var guard, count loop.Expr
	for d := 0; d < 2; d++ {
		if guarded[d] && d != vecDim {
			guard = and(guard, cmp(ir.Lt, coord[d], ext[d]))
		}
	}
	if vecDim >= 0 {
		count = minE(maxE(sub(ext[vecDim], coord[vecDim]), i64(0)), i64(int64(vec)))
	}
	body := append(prefetchAhead(coord, ahead, count, vec, value),
		&loop.Store{Buf: dst, Index: off, Value: value(coord, guard, count, vec)})
	for i := len(loops) - 1; i >= 0; i-- {
		step := int64(1)
		if i == inner {
			step = int64(vec)
		}
		body = []loop.Stmt{forLoop(vars[i], i64(0), extents[i], step, body...)}
	}
	stmt := body[0]
	return append(pre, stmt), nil
}

// aheadB is the prefetch distance of B's pack: the plan's PrefetchB rows
// along the depth (dimension 0 of B's block).
func (lw *lowering) aheadB() [2]int64 { return [2]int64{int64(lw.bl.PrefetchB), 0} }

// prefetchAhead returns, for a pack that reads value(coord), prefetches of
// the source elements that it reads ahead[d] steps further along each
// dimension d (none when ahead is zero): for an operand whose rows are short
// runs far apart (B of a reduction over several indices, a strided
// operand), which the hardware prefetcher does not follow from row to row.
// The prefetched index may lie past the operand; a prefetch reads nothing.
func prefetchAhead(coord [2]loop.Expr, ahead [2]int64, count loop.Expr, vec int, value func(coord [2]loop.Expr, guard, count loop.Expr, lanes int) loop.Expr) []loop.Stmt {
	if ahead == [2]int64{} {
		return nil
	}
	c := [2]loop.Expr{add(coord[0], i64(ahead[0])), add(coord[1], i64(ahead[1]))}
	var out []loop.Stmt
	loop.WalkExpr(value(c, nil, count, vec), func(x loop.Expr) {
		if ld, ok := x.(*loop.Load); ok {
			out = append(out, &loop.Prefetch{Buf: ld.Buf, Index: ld.Index})
		}
	})
	return out
}

// zeroFill writes the value of an empty sum (through the epilogue) to the rows
// [0, m) and columns [jc, jc+nc) of C.
func (lw *lowering) zeroFill(m, jc, nc, offC, cRow, cCol loop.Expr, bind map[*ir.Var]loop.Expr) ([]loop.Stmt, error) {
	vi, vj := lw.loopVar("zi"), lw.loopVar("zj")
	var val loop.Expr = &loop.Const{T: loop.Scalar(lw.acc)}
	if lw.m.Epilogue != nil {
		b := copyBind(bind)
		lw.bindGroup(b, lw.rowGroup, ref(vi))
		lw.bindGroup(b, lw.colGroup, ref(vj))
		b[lw.m.AccVar] = val
		e, err := lw.env.Expr(lw.m.Epilogue, b, 1)
		if err != nil {
			return nil, fmt.Errorf("gemm: %s: epilogue: %w", lw.m.C.Name, err)
		}
		val = e
	}
	st := &loop.Store{Buf: lw.cBuf, Index: add(offC, add(mul(ref(vi), cRow), mul(ref(vj), cCol))), Value: val}
	return []loop.Stmt{forLoop(vi, i64(0), m, 1, forLoop(vj, jc, add(jc, nc), 1, st))}, nil
}

func copyBind(b map[*ir.Var]loop.Expr) map[*ir.Var]loop.Expr {
	c := make(map[*ir.Var]loop.Expr, len(b)+3)
	for k, v := range b {
		c[k] = v
	}
	return c
}

// useVNNI reports whether the i8 x i8 (or u8 x i8) -> i32 product is lowered
// with the 4-way byte dot product: A's bytes (biased to u8 by +128 when signed)
// and B's signed bytes are packed four k-steps to an i32 word.
func (lw *lowering) useVNNI() bool {
	if lw.general() {
		return false
	}
	ae, be := lw.a.buf.Elem, lw.b.buf.Elem
	return lw.bl.VNNI && lw.t.VNNI && lw.bl.Lanes > 1 && lw.acc == ir.I32 && lw.a.cast && lw.b.cast &&
		(ae == ir.I8 || ae == ir.U8) && be == ir.I8
}

// bytes4 returns the i32 word holding the four bytes at k = 4g+q, q = 0..3, of an
// operand: at(q) gives the element index and guard of byte q (out-of-tile bytes
// are zero). Signed bytes are stored in two's complement (x mod 256); bias adds
// 128 to each signed byte, turning it into the unsigned byte x+128.
func (lw *lowering) bytes4(at func(q int64) (loop.Expr, loop.Expr), buf *loop.Buf, bias bool) loop.Expr {
	i32 := loop.Scalar(ir.I32)
	c := func(v int64) loop.Expr { return &loop.Const{T: i32, Int: v} }
	var word loop.Expr
	for q := int64(0); q < 4; q++ {
		idx, g := at(q)
		var b loop.Expr = &loop.Cast{X: &loop.Load{Buf: buf, Index: idx, T: loop.Scalar(buf.Elem), Guard: g}, T: i32}
		if bias {
			b = &loop.Bin{Op: ir.Add, X: b, Y: c(128), T: i32}
		} else if buf.Elem.IsSigned() {
			b = &loop.Bin{Op: ir.Mod, X: b, Y: c(256), T: i32}
		}
		if q > 0 {
			b = &loop.Bin{Op: ir.Mul, X: b, Y: c(1 << (8 * q)), T: i32}
			word = &loop.Bin{Op: ir.Add, X: word, Y: b, T: i32}
		} else {
			word = b
		}
	}
	return word
}
