package gemm

import (
	"fmt"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// vmicroArgs are the loop-IR values a micro-tile of the vector schedule needs.
type vmicroArgs struct {
	packA, packB, tile *loop.Buf
	// aPitch > 0: packed A holds rows at this pitch (A[r, k] at pa + r*aPitch
	// + k); 0: MR rows interleaved per k step (A[r, k] at pa + k*MR + r).
	aPitch            int64
	pa, pb            *loop.Var // running offsets into the packed panels
	kc, mr, nr        loop.Expr // depth (in words of 4 k-steps for VNNI) and tile extents
	ctile, cRow, cCol loop.Expr // C index of the tile origin and C's strides
	first, last       loop.Expr // first / last KC block
	tslot             loop.Expr // offset of this iteration's slot in tile
	row, col          loop.Expr // global row and column of the tile origin
	bind              map[*ir.Var]loop.Expr
	// vnni selects the DotU8S8 micro-kernel; csum, when set, holds B's column
	// sums at cpos, subtracted 128 times from the accumulators to undo the
	// +128 bias of A.
	vnni bool
	csum *loop.Buf
	cpos loop.Expr
	// direct, when set, is the run-time condition under which B is read in
	// place from directB (pb is then an index into it, advanced by bStep per k
	// step) instead of from packB.
	direct  loop.Expr
	directB *loop.Buf
	bStep   loop.Expr
	// onlyDirect: the caller has established direct, and only the k loops
	// reading B in place are generated.
	onlyDirect bool
	// aStride, when set, is A's row stride at run time (A read in place, or
	// packed at a run-time pitch): A[r, k] at pa + r*aStride + k. The rows
	// are addressed in groups of three from a running offset per group, so
	// that the k loop holds the offsets of 1 and 2 strides in two registers
	// and a row costs one add.
	aStride loop.Expr
	// directA, when set, is the buffer A is read from in place (pa is then
	// an index into it), with row stride aStride.
	directA *loop.Buf
	// rows, when positive, is the tile height instead of the plan's MR
	// (the tail tiles of a block whose rows MR does not divide; packed A at
	// a pitch only).
	rows int
	// prefetchC, when set, is the condition under which the tile's rows of
	// C are prefetched before the k loop.
	prefetchC loop.Expr
}

// vmicro returns the statements computing one MR x NR micro-tile on a vector
// target: MR*NV vector accumulators updated over kc steps (NV vector loads of
// B, MR broadcasts of packed A and MR*NV multiply-adds per step, unrolled by
// 4). A full tile that needs no epilogue is added to C's partial sums (later
// KC blocks) and stored with whole vectors. Every other tile (edge tiles, and
// the last KC block when there is an epilogue) is written to a small scratch
// tile and finished by one scalar loop over its valid part: partial sums,
// epilogue, store. So there is one unrolled k loop per way of reading B and
// no code specialised per edge size.
func (lw *lowering) vmicro(a vmicroArgs) ([]loop.Stmt, error) {
	bl := lw.bl
	L := bl.Lanes
	MR, NV, NR := bl.MR, bl.NR/bl.Lanes, int64(bl.NR)
	if a.rows > 0 {
		MR = a.rows
	}
	vt := loop.Vec(lw.acc, L)
	st := loop.Scalar(lw.acc)
	acc := make([][]*loop.Var, MR)
	var out []loop.Stmt
	for r := range acc {
		acc[r] = make([]*loop.Var, NV)
		for v := range acc[r] {
			acc[r][v] = lw.newVar(fmt.Sprintf("c%d_%d", r, v), vt)
			out = append(out, assign(acc[r][v], &loop.Const{T: vt}))
		}
	}
	if a.prefetchC != nil {
		out = append(out, &loop.If{Cond: a.prefetchC, Then: lw.prefetchTile(a.ctile, a.cRow, a.cCol, MR)})
	}
	bv := make([]*loop.Var, NV)
	for v := range bv {
		bv[v] = lw.newVar(fmt.Sprintf("bv%d", v), vt)
	}
	ab := lw.newVar("ab", vt)
	useFMA := lw.t.FMA && lw.acc.IsFloat()
	// With a run-time stride, rows 3g .. 3g+2 are read from the running
	// offset qg[g] plus 0, 1 or 2 strides.
	var qg []*loop.Var
	if a.aStride != nil {
		for g := 0; g < (MR+2)/3; g++ {
			q := lw.scalarVar(fmt.Sprintf("qa%d", g))
			qg = append(qg, q)
			out = append(out, assign(q, add(ref(a.pa), mul(i64(int64(3*g)), a.aStride))))
		}
	}
	aAddr := func(r int) loop.Expr {
		switch {
		case qg != nil && r%3 == 0:
			return ref(qg[r/3])
		case qg != nil:
			return add(ref(qg[r/3]), mul(i64(int64(r%3)), a.aStride))
		case a.aPitch > 0:
			return add(ref(a.pa), i64(int64(r)*a.aPitch))
		}
		return add(ref(a.pa), i64(int64(r)))
	}
	aBuf := a.packA
	if a.directA != nil {
		aBuf = a.directA
	}
	kloop := func(bBuf *loop.Buf, bStep loop.Expr, counts []loop.Expr) loop.Stmt {
		var kb []loop.Stmt
		for v := range bv {
			ld := &loop.Load{Buf: bBuf, Index: add(ref(a.pb), i64(int64(v*L))), T: vt}
			if counts != nil {
				ld.Count = counts[v]
			}
			kb = append(kb, assign(bv[v], ld))
		}
		for r := 0; r < MR; r++ {
			kb = append(kb, assign(ab, &loop.Broadcast{X: &loop.Load{Buf: aBuf, Index: aAddr(r), T: st}, T: vt}))
			for v := range bv {
				c := acc[r][v]
				var e loop.Expr
				switch {
				case a.vnni:
					e = &loop.Call{Fn: loop.DotU8S8, Args: []loop.Expr{ref(ab), ref(bv[v]), ref(c)}, T: vt}
				case useFMA:
					e = &loop.Call{Fn: loop.FMA, Args: []loop.Expr{ref(ab), ref(bv[v]), ref(c)}, T: vt}
				default:
					e = &loop.Bin{Op: ir.Add, X: ref(c), Y: &loop.Bin{Op: ir.Mul, X: ref(ab), Y: ref(bv[v]), T: vt}, T: vt}
				}
				kb = append(kb, assign(c, e))
			}
		}
		aStep := int64(MR)
		if a.aPitch > 0 || qg != nil {
			aStep = 1
		}
		if qg != nil {
			for _, q := range qg {
				kb = append(kb, assign(q, add(ref(q), i64(1))))
			}
		} else {
			kb = append(kb, assign(a.pa, add(ref(a.pa), i64(aStep))))
		}
		kb = append(kb, assign(a.pb, add(ref(a.pb), bStep)))
		kl := forLoop(lw.loopVar("p"), i64(0), a.kc, 1, kb...)
		kl.Unroll = 4
		return kl
	}
	var packed loop.Stmt
	if !a.onlyDirect {
		packed = kloop(a.packB, i64(NR), nil)
	}
	if a.direct != nil {
		counts := make([]loop.Expr, NV)
		for v := range counts {
			counts[v] = minE(maxE(sub(a.nr, i64(int64(v*L))), i64(0)), i64(int64(L)))
		}
		direct := []loop.Stmt{&loop.If{Cond: cmp(ir.Eq, a.nr, i64(NR)),
			Then: []loop.Stmt{kloop(a.directB, a.bStep, nil)},
			Else: []loop.Stmt{kloop(a.directB, a.bStep, counts)}}}
		if a.onlyDirect {
			out = append(out, direct...)
		} else {
			out = append(out, &loop.If{Cond: a.direct, Then: direct, Else: []loop.Stmt{packed}})
		}
	} else {
		out = append(out, packed)
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

	full := and(cmp(ir.Eq, a.mr, i64(int64(MR))), cmp(ir.Eq, a.nr, i64(NR)))
	// When C cannot hold partial sums (its type is not the accumulator's),
	// there is a single KC block and the epilogue always runs.
	single := lw.m.C.Type != lw.acc
	hasEpi := lw.m.Epilogue != nil
	var fast loop.Expr
	switch {
	case single:
		fast = nil
	case hasEpi:
		fast = and(full, &loop.Un{Op: ir.Not, X: a.last, T: tBool})
	default:
		fast = full
	}

	// Fast path: whole vectors, C addressed through a row pointer advanced by
	// C's row stride so that every access is the pointer plus a constant.
	crow := lw.scalarVar("crow")
	cIdx := func(v int) loop.Expr { return add(ref(crow), mul(i64(int64(v*L)), a.cCol)) }
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
	var fastBody []loop.Stmt
	if fast != nil {
		addC := rows(func(r int) []loop.Stmt {
			var ss []loop.Stmt
			for v := 0; v < NV; v++ {
				ss = append(ss, assign(acc[r][v], &loop.Bin{Op: ir.Add, X: ref(acc[r][v]),
					Y: &loop.Load{Buf: lw.cBuf, Index: cIdx(v), T: vt}, T: vt}))
			}
			return ss
		})
		fastBody = append(fastBody, &loop.If{Cond: &loop.Un{Op: ir.Not, X: a.first, T: tBool}, Then: addC})
		fastBody = append(fastBody, rows(func(r int) []loop.Stmt {
			var ss []loop.Stmt
			for v := 0; v < NV; v++ {
				ss = append(ss, &loop.Store{Buf: lw.cBuf, Index: cIdx(v), Value: ref(acc[r][v])})
			}
			return ss
		})...)
	}

	// Slow path: spill the tile, then one scalar loop over its valid part.
	var slow []loop.Stmt
	for r := 0; r < MR; r++ {
		for v := 0; v < NV; v++ {
			slow = append(slow, &loop.Store{Buf: a.tile, Index: add(a.tslot, i64(int64(r)*NR+int64(v*L))), Value: ref(acc[r][v])})
		}
	}
	vr, vc := lw.loopVar("er"), lw.loopVar("ec")
	cAt := add(a.ctile, add(mul(ref(vr), a.cRow), mul(ref(vc), a.cCol)))
	var x loop.Expr = &loop.Load{Buf: a.tile, Index: add(a.tslot, add(mul(ref(vr), i64(NR)), ref(vc))), T: st}
	if !single {
		x = &loop.Bin{Op: ir.Add, X: x, Y: &loop.Load{Buf: lw.cBuf, Index: cAt, T: st,
			Guard: &loop.Un{Op: ir.Not, X: a.first, T: tBool}}, T: st}
	}
	elems := func(val loop.Expr) loop.Stmt {
		return forLoop(vr, i64(0), a.mr, 1, forLoop(vc, i64(0), a.nr, 1,
			&loop.Store{Buf: lw.cBuf, Index: cAt, Value: val}))
	}
	switch {
	case hasEpi:
		b := copyBind(a.bind)
		lw.bindGroup(b, lw.rowGroup, add(a.row, ref(vr)))
		lw.bindGroup(b, lw.colGroup, add(a.col, ref(vc)))
		b[lw.m.AccVar] = x
		val, err := lw.env.Expr(lw.m.Epilogue, b, 1)
		if err != nil {
			return nil, fmt.Errorf("gemm: %s: epilogue: %w", lw.m.C.Name, err)
		}
		if single {
			slow = append(slow, elems(val))
		} else {
			// The loop variables are shared by the two loops: only one runs.
			slow = append(slow, &loop.If{Cond: a.last, Then: []loop.Stmt{elems(val)}, Else: []loop.Stmt{elems(x)}})
		}
	default:
		slow = append(slow, elems(x))
	}
	// Full tiles of the last block run a vectorisable epilogue on whole
	// vectors, added to C's partial sums first.
	if epi := lw.vectorEpilogue(a, acc, rows, cIdx, single); epi != nil {
		cond := full
		if !single {
			cond = and(full, a.last)
		}
		slow = []loop.Stmt{&loop.If{Cond: cond, Then: epi, Else: slow}}
	}
	if fast == nil {
		return append(out, slow...), nil
	}
	return append(out, &loop.If{Cond: fast, Then: fastBody, Else: slow}), nil
}

// vectorEpilogue returns the statements that finish a full micro-tile of
// the last block on whole vectors: C's partial sums added (unless this is
// the first block, or C cannot hold them), the epilogue evaluated along the
// column variable, C stored. It returns nil when there is no epilogue or it
// does not vectorise (a flattened column group, a gathered read): the tile
// then goes through the scalar path.
func (lw *lowering) vectorEpilogue(a vmicroArgs, acc [][]*loop.Var, rows func(func(r int) []loop.Stmt) []loop.Stmt, cIdx func(v int) loop.Expr, single bool) []loop.Stmt {
	L := lw.bl.Lanes
	if lw.m.Epilogue == nil || len(lw.colGroup) != 1 || !lw.cCol.IsUnit() {
		return nil
	}
	vt := loop.Vec(lw.acc, L)
	var out []loop.Stmt
	if !single {
		out = append(out, &loop.If{Cond: &loop.Un{Op: ir.Not, X: a.first, T: tBool}, Then: rows(func(r int) []loop.Stmt {
			var ss []loop.Stmt
			for v := range acc[r] {
				ss = append(ss, assign(acc[r][v], &loop.Bin{Op: ir.Add, X: ref(acc[r][v]),
					Y: &loop.Load{Buf: lw.cBuf, Index: cIdx(v), T: vt}, T: vt}))
			}
			return ss
		})})
	}
	var failed error
	stores := rows(func(r int) []loop.Stmt {
		var ss []loop.Stmt
		for v := range acc[r] {
			b := copyBind(a.bind)
			lw.bindGroup(b, lw.rowGroup, add(a.row, i64(int64(r))))
			lw.bindGroup(b, lw.colGroup, add(a.col, i64(int64(v*L))))
			b[lw.m.AccVar] = ref(acc[r][v])
			val, err := lw.env.ExprAlong(lw.m.Epilogue, b, lw.colGroup[0], L, nil)
			if err != nil {
				failed = err
				return nil
			}
			ss = append(ss, &loop.Store{Buf: lw.cBuf, Index: cIdx(v), Value: val})
		}
		return ss
	})
	if failed != nil {
		return nil
	}
	return append(out, stores...)
}

// prefetchTile returns prefetches of the cache lines of the rows x NR tile
// of C at ctile (strides cRow, cCol), issued before the tile's k loop so that
// C's partial sums and the lines its stores fill arrive while the tile is
// computed: each row's first element, every vector's, and its last.
func (lw *lowering) prefetchTile(ctile, cRow, cCol loop.Expr, rows int) []loop.Stmt {
	L, NR := lw.bl.Lanes, lw.bl.NR
	var out []loop.Stmt
	for r := 0; r < rows; r++ {
		row := add(ctile, mul(i64(int64(r)), cRow))
		for c := 0; c < NR; c += L {
			out = append(out, &loop.Prefetch{Buf: lw.cBuf, Index: add(row, mul(i64(int64(c)), cCol))})
		}
		out = append(out, &loop.Prefetch{Buf: lw.cBuf, Index: add(row, mul(i64(int64(NR-1)), cCol))})
	}
	return out
}
