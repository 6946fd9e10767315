package gemm

import (
	"fmt"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// microArgs are the loop-IR values a micro-tile needs.
type microArgs struct {
	packA, packB, tile *loop.Buf
	pa, pb             *loop.Var // running offsets into the packed panels
	kc, mr, nr         loop.Expr
	ctile, cRow, cCol  loop.Expr // C index of the tile origin and C's strides
	first, last        loop.Expr // first / last KC block
	tslot              loop.Expr // offset of this iteration's slot in tile
	row, col           loop.Expr // global row and column of the tile origin
	bind               map[*ir.Var]loop.Expr
	// vnni selects the DotU8S8 micro-kernel (kc is then in words of 4 k-steps);
	// csum, when set, holds B's column sums at cpos, subtracted 128 times from
	// the accumulators to undo the +128 bias of A.
	vnni bool
	csum *loop.Buf
	cpos loop.Expr
	// directB, when set, is the unpacked B buffer read in place (pb is then an
	// index into it, advanced by bStep per k step); vector targets only.
	directB *loop.Buf
	bStep   loop.Expr
}

// micro returns the statements computing one MR x NR micro-tile: MR*NV
// accumulators updated over kc steps with NV vector loads of packed B, MR
// broadcasts of packed A and MR*NV multiply-adds per step; then the tile is added
// to C's partial sums (later KC blocks), passed through the epilogue (last KC
// block) and stored, with edge tiles guarded.
func (lw *lowering) micro(a microArgs) ([]loop.Stmt, error) {
	bl := lw.bl
	L := bl.Lanes
	MR, NV := bl.MR, bl.NR/bl.Lanes
	vt := loop.Scalar(lw.acc)
	if L > 1 {
		vt = loop.Vec(lw.acc, L)
	}
	acc := make([][]*loop.Var, MR)
	var out []loop.Stmt
	for r := range acc {
		acc[r] = make([]*loop.Var, NV)
		for v := range acc[r] {
			acc[r][v] = lw.newVar(fmt.Sprintf("c%d%d", r, v), vt)
			out = append(out, assign(acc[r][v], &loop.Const{T: vt}))
		}
	}
	// Inner product loop over the KC block.
	bv := make([]*loop.Var, NV)
	for v := range bv {
		bv[v] = lw.newVar(fmt.Sprintf("bv%d", v), vt)
	}
	useFMA := lw.t.FMA && lw.acc.IsFloat()
	madd := func(x, y loop.Expr, c *loop.Var) loop.Stmt {
		if useFMA {
			return assign(c, &loop.Call{Fn: loop.FMA, Args: []loop.Expr{x, y, ref(c)}, T: vt})
		}
		return assign(c, &loop.Bin{Op: ir.Add, X: ref(c), Y: &loop.Bin{Op: ir.Mul, X: x, Y: y, T: vt}, T: vt})
	}
	bBuf, bStep := a.packB, loop.Expr(i64(int64(bl.NR)))
	if a.directB != nil {
		bBuf, bStep = a.directB, a.bStep
	}
	// kloop returns the k loop; counts (nil for full vectors) limit the lanes
	// of the B loads (edge slivers read directly from B).
	kloop := func(counts []loop.Expr) loop.Stmt {
		var kb []loop.Stmt
		for v := range bv {
			var ld loop.Expr = &loop.Load{Buf: bBuf, Index: add(ref(a.pb), i64(int64(v*L))), T: loop.Vec(bBuf.Elem, L)}
			if counts != nil {
				ld.(*loop.Load).Count = counts[v]
			}
			if bBuf.Elem != lw.acc {
				ld = &loop.Cast{X: ld, T: vt}
			}
			kb = append(kb, assign(bv[v], ld))
		}
		// On the portable Go target the loop variable is the index into packed
		// A, which saves the Go code a counter (the loop control is then one
		// add and one compare per k step).
		vp := lw.loopVar("p")
		aBase := ref(a.pa)
		if lw.portable() {
			aBase = ref(vp)
		}
		if L == 1 {
			// One A value live at a time keeps MR*NR + NR + 1 registers busy.
			// The Go compiler schedules each basic block by its own rules;
			// the bounds check of each A load ends one, so that the row's
			// multiplies and adds are scheduled before the next row's loads
			// (without them, all multiplies of the step come before all adds
			// and the Go code spills).
			for r := 0; r < MR; r++ {
				av := lw.newVar(fmt.Sprintf("av%d", r), vt)
				kb = append(kb, assign(av, &loop.Load{Buf: a.packA, Index: add(aBase, i64(int64(r))), T: vt}))
				for v := range bv {
					kb = append(kb, madd(ref(av), ref(bv[v]), acc[r][v]))
				}
			}
		} else {
			ab := lw.newVar("ab", vt)
			for r := 0; r < MR; r++ {
				kb = append(kb, assign(ab, &loop.Broadcast{X: &loop.Load{Buf: a.packA, Index: add(ref(a.pa), i64(int64(r))), T: loop.Scalar(lw.acc)}, T: vt}))
				for v := range bv {
					if a.vnni {
						kb = append(kb, assign(acc[r][v], &loop.Call{Fn: loop.DotU8S8, Args: []loop.Expr{ref(ab), ref(bv[v]), ref(acc[r][v])}, T: vt}))
						continue
					}
					kb = append(kb, madd(ref(ab), ref(bv[v]), acc[r][v]))
				}
			}
		}
		if lw.portable() {
			kb = append(kb, assign(a.pb, add(ref(a.pb), bStep)))
			return forLoop(vp, ref(a.pa), add(ref(a.pa), mul(a.kc, i64(int64(MR)))), int64(MR), kb...)
		}
		kb = append(kb, assign(a.pa, add(ref(a.pa), i64(int64(MR)))), assign(a.pb, add(ref(a.pb), bStep)))
		kl := forLoop(vp, i64(0), a.kc, 1, kb...)
		if L > 1 {
			// Amortise the loop control over several k steps.
			kl.Unroll = 4
		}
		return kl
	}
	if a.directB != nil && L > 1 {
		counts := make([]loop.Expr, NV)
		for v := range counts {
			counts[v] = minE(maxE(sub(a.nr, i64(int64(v*L))), i64(0)), i64(int64(L)))
		}
		out = append(out, &loop.If{Cond: cmp(ir.Eq, a.nr, i64(int64(bl.NR))),
			Then: []loop.Stmt{kloop(nil)}, Else: []loop.Stmt{kloop(counts)}})
	} else {
		out = append(out, kloop(nil))
	}
	if a.csum != nil {
		for v := 0; v < NV; v++ {
			cv := lw.newVar(fmt.Sprintf("cs%d", v), vt)
			out = append(out, assign(cv, &loop.Bin{Op: ir.Mul, X: &loop.Load{Buf: a.csum, Index: add(a.cpos, i64(int64(v*L))), T: vt},
				Y: &loop.Const{T: vt, Int: 128}, T: vt}))
			for r := 0; r < MR; r++ {
				out = append(out, assign(acc[r][v], &loop.Bin{Op: ir.Sub, X: ref(acc[r][v]), Y: ref(cv), T: vt}))
			}
		}
	}

	// The tile's extents, computed once after the k loop.
	a.mr, a.nr = lw.keep(&out, "mr", a.mr), lw.keep(&out, "nr", a.nr)
	full := and(cmp(ir.Eq, a.mr, i64(int64(MR))), cmp(ir.Eq, a.nr, i64(int64(bl.NR))))
	// C is addressed through a row pointer advanced by C's row stride, so that
	// every access is the pointer plus a constant.
	crow := lw.scalarVar("crow")
	cIdx := func(v int) loop.Expr {
		return add(ref(crow), mul(i64(int64(v*L)), a.cCol))
	}
	rows := func(f func(r int) []loop.Stmt) []loop.Stmt {
		ss := []loop.Stmt{assign(crow, a.ctile)}
		for r := 0; r < MR; r++ {
			if r > 0 {
				ss = append(ss, assign(crow, add(ref(crow), a.cRow)))
			}
			ss = append(ss, f(r)...)
		}
		return ss
	}
	// edge returns the guard of accumulator (r, v) and its lane count.
	edge := func(r, v int) (loop.Expr, loop.Expr) {
		g := and(cmp(ir.Lt, i64(int64(r)), a.mr), cmp(ir.Lt, i64(int64(v*L)), a.nr))
		if L == 1 {
			return g, nil
		}
		return g, minE(sub(a.nr, i64(int64(v*L))), i64(int64(L)))
	}
	// Later KC blocks add C's partial sums.
	addFull := rows(func(r int) []loop.Stmt {
		var ss []loop.Stmt
		for v := 0; v < NV; v++ {
			ss = append(ss, assign(acc[r][v], &loop.Bin{Op: ir.Add, X: ref(acc[r][v]),
				Y: &loop.Load{Buf: lw.cBuf, Index: cIdx(v), T: vt}, T: vt}))
		}
		return ss
	})
	addEdge := rows(func(r int) []loop.Stmt {
		var ss []loop.Stmt
		for v := 0; v < NV; v++ {
			g, cnt := edge(r, v)
			ss = append(ss, assign(acc[r][v], &loop.Bin{Op: ir.Add, X: ref(acc[r][v]),
				Y: &loop.Load{Buf: lw.cBuf, Index: cIdx(v), T: vt, Guard: g, Count: cnt}, T: vt}))
		}
		return ss
	})
	// When C cannot hold partial sums (its type is not the accumulator's), there
	// is a single KC block: no partial sums to add, and the epilogue always runs.
	single := lw.m.C.Type != lw.acc
	if !single {
		out = append(out, &loop.If{Cond: &loop.Un{Op: ir.Not, X: a.first, T: tBool}, Then: []loop.Stmt{
			&loop.If{Cond: full, Then: addFull, Else: addEdge}}})
	}

	// Plain stores of the accumulators to C.
	stFull := rows(func(r int) []loop.Stmt {
		var ss []loop.Stmt
		for v := 0; v < NV; v++ {
			ss = append(ss, &loop.Store{Buf: lw.cBuf, Index: cIdx(v), Value: ref(acc[r][v])})
		}
		return ss
	})
	stEdge := rows(func(r int) []loop.Stmt {
		var ss []loop.Stmt
		for v := 0; v < NV; v++ {
			g, cnt := edge(r, v)
			ss = append(ss, &loop.If{Cond: g, Then: []loop.Stmt{
				&loop.Store{Buf: lw.cBuf, Index: cIdx(v), Value: ref(acc[r][v]), Count: cnt}}})
		}
		return ss
	})
	plain := []loop.Stmt{&loop.If{Cond: full, Then: stFull, Else: stEdge}}
	if lw.m.Epilogue == nil {
		return append(out, plain...), nil
	}
	// Last KC block with an epilogue: spill the tile, then apply the epilogue
	// element by element to the valid part.
	var epi []loop.Stmt
	for r := 0; r < MR; r++ {
		for v := 0; v < NV; v++ {
			epi = append(epi, &loop.Store{Buf: a.tile, Index: add(a.tslot, i64(int64(r*bl.NR+v*L))), Value: ref(acc[r][v])})
		}
	}
	vr, vc := lw.loopVar("er"), lw.loopVar("ec")
	b := copyBind(a.bind)
	lw.bindGroup(b, lw.rowGroup, add(a.row, ref(vr)))
	lw.bindGroup(b, lw.colGroup, add(a.col, ref(vc)))
	b[lw.m.AccVar] = &loop.Load{Buf: a.tile, Index: add(a.tslot, add(mul(ref(vr), i64(int64(bl.NR))), ref(vc))), T: loop.Scalar(lw.acc)}
	val, err := lw.env.Expr(lw.m.Epilogue, b, 1)
	if err != nil {
		return nil, fmt.Errorf("gemm: %s: epilogue: %w", lw.m.C.Name, err)
	}
	st := &loop.Store{Buf: lw.cBuf, Index: add(a.ctile, add(mul(ref(vr), a.cRow), mul(ref(vc), a.cCol))), Value: val}
	epi = append(epi, forLoop(vr, i64(0), a.mr, 1, forLoop(vc, i64(0), a.nr, 1, st)))
	if single {
		return append(out, epi...), nil
	}
	return append(out, &loop.If{Cond: a.last, Then: epi, Else: plain}), nil
}
