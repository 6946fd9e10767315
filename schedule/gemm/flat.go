package gemm

import (
	"fmt"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/layout"
	"github.com/tensorcc/tcc/loop"
)

func isUnit(e loop.Expr) bool {
	c, ok := e.(*loop.Const)
	return ok && c.Int == 1
}

// flatDims are the size-level expressions shared by the schedules.
type flatDims struct {
	M, N, K, bt        loop.Expr
	batchExt           []loop.Expr
	ncE, nNC, kcE, mcE func() loop.Expr
}

// buildFlat is the schedule for vector (assembly) targets: three parallel
// steps
//
//  1. pack every (batch, NC block, KC block) panel of B, with its column sums
//     for VNNI;
//  2. pack every (batch, KC block, MC block) block of A (skipped at run
//     time when A is read in place, or packed block by block inside step 3
//     because N is one NC block);
//  3. for each (batch, NC block): for each KC block: for each MC block: for
//     each NR sliver: for each MR row tile: the micro-kernel (vmicro).
//
// The assembler keeps integer locals that the innermost loops do not assign in
// stack slots, so every index value is computed once, at the loop level where
// it changes, and held in a local; the innermost loops (the micro-kernel's k
// loop, the packing copies) advance running offsets. Packing reads the source
// along its rows: B (when its columns are contiguous) one row at a time with
// whole vectors, A one row at a time into the MR-interleaved panel. The
// arithmetic (blocking, order of the k sums, epilogue) is the same as the
// portable schedule's.
func (lw *lowering) buildFlat(d flatDims, vnni, correct bool) ([]*loop.Step, error) {
	m, env, bl := lw.m, lw.env, lw.bl
	MR, NR := int64(bl.MR), int64(bl.NR)
	L := bl.Lanes
	name := m.C.Name
	lw.inline = false
	// K blocks: the KC blocks of the inner reduction group, for each value
	// of the outer reduction variables (block pb is inner block pb % nKCin
	// of outer value pb / nKCin).
	nKCs := func() loop.Expr { return mul(ceilDiv2(d.K, d.kcE()), lw.outerK()) }
	nMCs := func() loop.Expr { return ceilDiv2(d.M, d.mcE()) }
	nTiles := func() loop.Expr { return mul(d.bt, d.nNC()) }
	nBBlocks := func() loop.Expr { return mul(nTiles(), nKCs()) }
	nABlocks := func() loop.Expr { return mul(mul(d.bt, nKCs()), nMCs()) }

	// With the plan's ARows (and without VNNI), packed A holds each block's
	// rows at the constant pitch P: the micro-kernel broadcasts A[r, k] from the sliver's origin
	// plus r*P + k (a constant displacement per row), and the pack copies
	// rows with whole vectors. The VNNI layout interleaves MR rows (P = 0).
	var P int64
	if bl.ARows && !vnni && m.C.Type == m.Acc { // (else K is one block of run-time depth)
		P = int64(bl.KC) + 16 // a cache line more than KC: the rows fall into different L1 sets
	}
	aDepth := func() loop.Expr {
		if P > 0 {
			return i64(P)
		}
		return d.kcE()
	}
	packA := env.NewScratch(name+"_packA", m.Acc, mul(nABlocks(), mul(d.mcE(), aDepth())))
	// Packed B holds every block of B, or, packed in the loop, one block
	// per tile (the one its MC blocks are using).
	// (VNNI GEMMs pack ahead: their byte-interleaving pack beside the
	// micro-kernel needs more than the 32 vector registers.)
	inLoop := bl.BInLoop && !vnni
	nBSlots := nBBlocks
	if inLoop {
		nBSlots = nTiles
	}
	packB := env.NewScratch(name+"_packB", m.Acc, mul(nBSlots(), mul(d.kcE(), d.ncE())))
	var csum *loop.Buf
	if correct {
		csum = env.NewScratch(name+"_colsum", ir.I32, mul(nBBlocks(), d.ncE()))
	}
	// Edge tiles and epilogues go through a per-iteration MR x NR tile.
	tile := env.NewScratch(name+"_tile", m.Acc, mul(nTiles(), i64(MR*NR)))
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

	// sizes holds the size-level values of one Func, computed once at its start.
	type sizes struct{ ncE, kcE, mcE, nNC, nKC, nKCin, nMC loop.Expr }
	newFunc := func(suffix string, body *[]loop.Stmt) (*loop.Func, sizes) {
		f := &loop.Func{Name: "gemm_" + name + suffix, Target: lw.t.Name, VectorBits: L * m.Acc.Bits,
			Lo: &loop.Var{Name: "lo", T: tI64}, Hi: &loop.Var{Name: "hi", T: tI64}}
		lw.f = f
		var z sizes
		z.ncE = lw.keep(body, "ncb", d.ncE())
		z.kcE = lw.keep(body, "kcb", d.kcE())
		z.mcE = lw.keep(body, "mcb", d.mcE())
		z.nNC = lw.keep(body, "nnc", ceilDiv2(d.N, z.ncE))
		z.nKCin = lw.keep(body, "nkci", ceilDiv2(d.K, z.kcE))
		z.nKC = lw.keep(body, "nkc", mul(z.nKCin, lw.outerK()))
		z.nMC = lw.keep(body, "nmc", ceilDiv2(d.M, z.mcE))
		return f, z
	}
	cRowE, cColE := lw.cRow.Expr(env), lw.cCol.Expr(env)
	aRowE, aColE := lw.a.row, lw.a.col
	bRowE, bColE := lw.b.row, lw.b.col
	// batchOff returns the offsets of batch b in an operand (strides per batch
	// variable, nil entries for variables the operand does not depend on) and
	// the batch coordinates.
	batchOff := func(b loop.Expr, strides []loop.Expr) (loop.Expr, []loop.Expr) {
		var off loop.Expr = i64(0)
		coords := make([]loop.Expr, len(m.Batch))
		rem := b
		for i := len(m.Batch) - 1; i >= 0; i-- {
			coords[i] = mod(rem, d.batchExt[i])
			rem = div(rem, d.batchExt[i])
			if strides[i] != nil {
				off = add(off, mul(coords[i], strides[i]))
			}
		}
		return off, coords
	}
	kdOf := func(kc loop.Expr) loop.Expr {
		if vnni {
			return ceilDiv(kc, 4)
		}
		return kc
	}

	// bindBlock binds the batch variables of batch b and the outer reduction
	// variables of K block pb (general operands are evaluated with them).
	bindBlock := func(body *[]loop.Stmt, b, pb, nKCin loop.Expr) map[*ir.Var]loop.Expr {
		bind := map[*ir.Var]loop.Expr{}
		_, coords := batchOff(b, make([]loop.Expr, len(m.Batch)))
		for i, v := range m.Batch {
			bind[v] = lw.keep(body, "bc", coords[i])
		}
		if pb != nil {
			lw.bindOuterK(bind, lw.keep(body, "ko", div(pb, nKCin)))
		}
		return bind
	}
	// Few rows of A use each element of B only a few times: then B is read in
	// place (when its rows are contiguous) instead of packed.
	rowsB := !vnni && lw.b.plain() && isUnit(bColE) && lw.b.buf.Elem == m.Acc && !lw.b.cast
	directOK := rowsB && (bl.DirectMaxM > 0 || bl.DirectAllB > 0)
	directCond := cmp(ir.Lt, d.M, i64(int64(bl.DirectMaxM)*MR))
	if bl.DirectMaxB > 0 {
		directCond = and(directCond, cmp(ir.Le, mul(d.K, d.N), i64(int64(bl.DirectMaxB))))
	}
	if bl.DirectAllB > 0 {
		directCond = or(directCond, cmp(ir.Le, mul(d.K, d.N), i64(int64(bl.DirectAllB))))
	}

	// A read in place: see schedule.GEMM.DirectA.
	directAOK := bl.DirectA > 0 && P > 0 && !vnni && lw.a.plain() && isUnit(aColE) && lw.a.buf.Elem == m.Acc && !lw.a.cast && len(m.KOuter) == 0
	directACondE := lw.directACond(d, P)
	if directOK {
		// (Only with B read in place too: one k loop per tile less to
		// generate; the products small enough for A in place are.)
		directACondE = and(directACondE, directCond)
	}
	// A packed in the loop (schedule.GEMM.AInLoop) when N is one NC block
	// (then every block of A is used by one compute iteration only) and A
	// is not read in place.
	aInLoopOK := bl.AInLoop && !vnni
	aInLoopCondE := cmp(ir.Eq, d.nNC(), i64(1))
	if directAOK {
		aInLoopCondE = and(aInLoopCondE, &loop.Un{Op: ir.Not, X: directACondE, T: tBool})
	}

	// packBBlock appends to body the statements that pack block blk = (b*nNC
	// + jb)*nKC + pb of B into packB at slot (the sizes z of the Func
	// being built).
	packBBlock := func(body *[]loop.Stmt, z sizes, blk, slot loop.Expr) error {
		pb := lw.keep(body, "pb", mod(blk, z.nKC))
		tc := lw.keep(body, "tc", div(blk, z.nKC))
		b := div(tc, z.nNC)
		jc := lw.keep(body, "jc", mul(mod(tc, z.nNC), z.ncE))
		nc := lw.keep(body, "nc", minE(z.ncE, sub(d.N, jc)))
		pc := lw.keep(body, "pc", mul(mod(pb, z.nKCin), z.kcE))
		kc := lw.keep(body, "kc", minE(z.kcE, sub(d.K, pc)))
		slot = lw.keep(body, "slot", slot)
		var st []loop.Stmt
		var src loop.Expr
		var err error
		if lw.b.plain() {
			offB, _ := batchOff(b, lw.b.batch)
			src = lw.keep(body, "src", add(offB, add(mul(pc, bRowE), mul(jc, bColE))))
		}
		switch {
		case !lw.b.plain():
			st, err = lw.packGeneral(layB, packB, slot, [2]loop.Expr{kc, nc}, lw.b, bindBlock(body, b, pb, z.nKCin), pc, jc, L, lw.aheadB())
		case vnni && isUnit(bColE):
			var cpos loop.Expr
			if correct {
				cpos = mul(blk, z.ncE)
			}
			st = lw.packRowsB4(packB, csum, slot, cpos, src, kc, nc, bRowE)
		case vnni:
			st, err = lw.packWith(layB, packB, slot, [2]loop.Expr{kdOf(kc), nc}, 0, [2]int64{}, func(c [2]loop.Expr, g, _ loop.Expr, _ int) loop.Expr {
				return lw.bytes4(func(q int64) (loop.Expr, loop.Expr) {
					kq := add(mul(c[0], i64(4)), i64(q))
					return add(src, add(mul(kq, bRowE), mul(c[1], bColE))), and(g, cmp(ir.Lt, kq, kc))
				}, lw.b.buf, false)
			})
		case rowsB:
			st = lw.packRowsB(packB, slot, src, kc, nc, bRowE)
		default:
			st, err = lw.pack(layB, packB, slot, [2]loop.Expr{kc, nc}, lw.b, src, bRowE, bColE, lw.aheadB())
		}
		if err != nil {
			return err
		}
		*body = append(*body, st...)
		if correct && !isUnit(bColE) {
			vj, vk := lw.loopVar("sj"), lw.loopVar("sk")
			vs := lw.newVar("csum", loop.Scalar(ir.I32))
			ld := &loop.Cast{X: &loop.Load{Buf: lw.b.buf, Index: add(src, add(mul(ref(vk), bRowE), mul(ref(vj), bColE))), T: loop.Scalar(lw.b.buf.Elem)}, T: loop.Scalar(ir.I32)}
			*body = append(*body, forLoop(vj, i64(0), nc, 1,
				assign(vs, &loop.Const{T: loop.Scalar(ir.I32)}),
				forLoop(vk, i64(0), kc, 1, assign(vs, &loop.Bin{Op: ir.Add, X: ref(vs), Y: ld, T: loop.Scalar(ir.I32)})),
				&loop.Store{Buf: csum, Index: add(mul(blk, z.ncE), ref(vj)), Value: ref(vs)}))
		}
		return nil
	}

	// Step 1: pack B (unless packed in the loop).
	var fB *loop.Func
	if !inLoop {
		var bodyB []loop.Stmt
		var zB sizes
		fB, zB = newFunc("_packb", &bodyB)
		vt := lw.loopVar("t")
		var body []loop.Stmt
		if err := packBBlock(&body, zB, ref(vt), mul(ref(vt), mul(zB.kcE, zB.ncE))); err != nil {
			return nil, err
		}
		fB.Body = append(bodyB, forLoop(vt, ref(fB.Lo), ref(fB.Hi), 1, body...))
	}

	// packABlock appends to body the statements that pack the block (batch
	// b, K block pb, MC block ib) of A into packA at slot (the sizes z of
	// the Func being built).
	packABlock := func(body *[]loop.Stmt, z sizes, b, pb, ib, slot loop.Expr) error {
		ic := lw.keep(body, "ic", mul(ib, z.mcE))
		mc := lw.keep(body, "mc", minE(z.mcE, sub(d.M, ic)))
		pc := lw.keep(body, "pc", mul(mod(pb, z.nKCin), z.kcE))
		kc := lw.keep(body, "kc", minE(z.kcE, sub(d.K, pc)))
		slot = lw.keep(body, "slot", slot)
		var st []loop.Stmt
		var src loop.Expr
		var err error
		if lw.a.plain() {
			offA, _ := batchOff(b, lw.a.batch)
			src = lw.keep(body, "src", add(offA, add(mul(ic, aRowE), mul(pc, aColE))))
		}
		switch {
		case !lw.a.plain():
			st, err = lw.packRowsGeneral(packA, slot, mc, kc, lw.a, bindBlock(body, b, pb, z.nKCin), ic, pc, P)
		case P > 0:
			st = lw.packRowsPitched(packA, slot, src, mc, kc, aRowE, aColE, P)
		case vnni && isUnit(aColE):
			st = lw.packRowsA4(packA, slot, src, mc, kc, aRowE, aColE, correct)
		case vnni:
			st, err = lw.packWith(layA, packA, slot, [2]loop.Expr{mc, kdOf(kc)}, 0, [2]int64{}, func(c [2]loop.Expr, g, _ loop.Expr, _ int) loop.Expr {
				return lw.bytes4(func(q int64) (loop.Expr, loop.Expr) {
					kq := add(mul(c[1], i64(4)), i64(q))
					return add(src, add(mul(c[0], aRowE), mul(kq, aColE))), and(g, cmp(ir.Lt, kq, kc))
				}, lw.a.buf, correct)
			})
		case isUnit(aRowE) && lw.bl.MR <= lw.bl.Lanes:
			st = lw.packColsA(packA, slot, src, mc, kc, aColE)
		default:
			st = lw.packRowsA(packA, slot, src, mc, kc, aRowE, aColE)
		}
		*body = append(*body, st...)
		return err
	}
	depthA := func(z sizes) loop.Expr {
		if P > 0 {
			return i64(P)
		}
		return z.kcE
	}

	// Step 2: pack A (unless packed in the loop). Block t = (b*nKC +
	// pb)*nMC + ib.
	var bodyA []loop.Stmt
	fA, zA := newFunc("_packa", &bodyA)
	{
		vt := lw.loopVar("t")
		var body []loop.Stmt
		pb := lw.keep(&body, "pb", mod(div(ref(vt), zA.nMC), zA.nKC))
		b := div(ref(vt), mul(zA.nMC, zA.nKC))
		if err := packABlock(&body, zA, b, pb, mod(ref(vt), zA.nMC), mul(ref(vt), mul(zA.mcE, depthA(zA)))); err != nil {
			return nil, err
		}
		fA.Body = append(bodyA, forLoop(vt, ref(fA.Lo), ref(fA.Hi), 1, body...))
	}

	// Step 3: compute. Tile t = b*nNC + jb.
	var bodyC []loop.Stmt
	fC, zC := newFunc("", &bodyC)
	var directA loop.Expr
	if directAOK {
		da := lw.newVar("dira", tBool)
		bodyC = append(bodyC, assign(da, directACondE))
		directA = ref(da)
	}
	var aLoop loop.Expr
	if aInLoopOK {
		al := lw.newVar("aloop", tBool)
		bodyC = append(bodyC, assign(al, aInLoopCondE))
		aLoop = ref(al)
	}
	{
		vt := lw.loopVar("t")
		var body []loop.Stmt
		b := lw.keep(&body, "b", div(ref(vt), zC.nNC))
		jc := lw.keep(&body, "jc", mul(mod(ref(vt), zC.nNC), zC.ncE))
		nc := lw.keep(&body, "nc", minE(zC.ncE, sub(d.N, jc)))
		var cBatch []loop.Expr
		for _, s := range m.CBatch {
			cBatch = append(cBatch, s.Expr(env))
		}
		offCE, coords := batchOff(b, cBatch)
		offC := lw.keep(&body, "offc", offCE)
		bind := map[*ir.Var]loop.Expr{}
		for i, v := range m.Batch {
			bind[v] = lw.keep(&body, "bc", coords[i])
		}
		zero, err := lw.zeroFill(d.M, jc, nc, offC, cRowE, cColE, bind)
		if err != nil {
			return nil, err
		}
		body = append(body, &loop.If{Cond: cmp(ir.Eq, mul(d.K, lw.outerK()), i64(0)), Then: zero})
		var offBD, offAD loop.Expr
		if directOK {
			o, _ := batchOff(b, lw.b.batch)
			offBD = lw.keep(&body, "offbd", o)
		}
		if directAOK {
			o, _ := batchOff(b, lw.a.batch)
			offAD = lw.keep(&body, "offad", o)
		}

		vpb := lw.loopVar("pb")
		var kbody []loop.Stmt
		pc := lw.keep(&kbody, "pc", mul(mod(ref(vpb), zC.nKCin), zC.kcE))
		kc := lw.keep(&kbody, "kc", minE(zC.kcE, sub(d.K, pc)))
		kd := kc
		if vnni {
			kd = lw.keep(&kbody, "kd", ceilDiv(kc, 4))
		}
		first := cmp(ir.Eq, ref(vpb), i64(0))
		last := cmp(ir.Eq, ref(vpb), sub(zC.nKC, i64(1)))
		blkB := add(mul(ref(vt), zC.nKC), ref(vpb))
		var bBlk loop.Expr
		if inLoop {
			bBlk = lw.keep(&kbody, "bblk", mul(ref(vt), mul(zC.kcE, zC.ncE)))
			var pack []loop.Stmt
			if err := packBBlock(&pack, zC, blkB, bBlk); err != nil {
				return nil, err
			}
			if directOK { // B read in place: nothing to pack
				pack = []loop.Stmt{&loop.If{Cond: &loop.Un{Op: ir.Not, X: directCond, T: tBool}, Then: pack}}
			}
			kbody = append(kbody, pack...)
		} else {
			bBlk = lw.keep(&kbody, "bblk", mul(blkB, mul(zC.kcE, zC.ncE)))
		}
		depthC := zC.kcE
		if P > 0 {
			depthC = i64(P)
		}
		aBlk := lw.keep(&kbody, "ablk", mul(mul(add(mul(b, zC.nKC), ref(vpb)), zC.nMC), mul(zC.mcE, depthC)))
		var dBlk loop.Expr
		if directOK {
			dBlk = lw.keep(&kbody, "dblk", add(offBD, add(mul(pc, bRowE), jc)))
		}

		vib := lw.loopVar("ib")
		var ibody []loop.Stmt
		ic := lw.keep(&ibody, "ic", mul(ref(vib), zC.mcE))
		mc := lw.keep(&ibody, "mc", minE(zC.mcE, sub(d.M, ic)))
		aIb := lw.keep(&ibody, "aib", add(aBlk, mul(ref(vib), mul(zC.mcE, depthC))))
		if aInLoopOK {
			// A packed in the loop: the block goes to this iteration's slot
			// just before its row tiles read it.
			slotL := mul(ref(vt), mul(zC.mcE, depthC))
			var pack []loop.Stmt
			if err := packABlock(&pack, zC, b, ref(vpb), ref(vib), slotL); err != nil {
				return nil, err
			}
			ibody = append(ibody, &loop.If{Cond: aLoop, Then: pack})
			aIb = lw.keep(&ibody, "aibl", &loop.Select{Cond: aLoop, A: slotL, B: aIb, T: tI64})
		}

		vjr := lw.loopVar("jr")
		var jbody []loop.Stmt
		nr := lw.keep(&jbody, "nr", minE(i64(NR), sub(nc, ref(vjr))))
		bJr := add(bBlk, mul(ref(vjr), kd))
		if directOK {
			bJr = &loop.Select{Cond: directCond, A: add(dBlk, ref(vjr)), B: bJr, T: tI64}
		}
		bJr = lw.keep(&jbody, "bjr", bJr)

		var prefetchC loop.Expr
		if bl.PrefetchC > 0 {
			pfc := lw.newVar("pfc", tBool)
			body = append(body, assign(pfc, cmp(ir.Ge, mul(d.M, d.N), i64(int64(bl.PrefetchC)))))
			prefetchC = ref(pfc)
		}
		// rowTiles returns the loop over row tiles from ir0 to ir1 of height
		// rows (0: MR).
		// With A read in place (inPlace), a tile that would run past the
		// block's end starts h rows before it instead (see directACond).
		rowTiles := func(ir0, ir1 loop.Expr, rows int, inPlace bool) (loop.Stmt, error) {
			h := int64(rows)
			if rows == 0 {
				h = MR
			}
			vir := lw.loopVar("ir")
			var irBody []loop.Stmt
			var start, mr loop.Expr = ref(vir), nil
			vpa, vpbp := lw.scalarVar("pa"), lw.scalarVar("pbp")
			var astr loop.Expr
			var aIn *loop.Buf
			if inPlace {
				start = lw.keep(&irBody, "irs", minE(ref(vir), sub(mc, i64(h))))
				mr = i64(h)
				astr, aIn = aRowE, lw.a.buf
				irBody = append(irBody, assign(vpa, add(offAD, add(mul(add(ic, start), aRowE), mul(pc, aColE)))))
			} else {
				mr = lw.keep(&irBody, "mr", minE(i64(h), sub(mc, ref(vir))))
				sliver := kd // MR rows of k-interleaved A
				if P > 0 {
					sliver = i64(P) // rows at pitch P: sliver ir starts at row ir
				}
				irBody = append(irBody, assign(vpa, add(aIb, mul(ref(vir), sliver))))
			}
			irBody = append(irBody, assign(vpbp, bJr))
			ct := lw.keep(&irBody, "ct", add(offC, add(mul(add(ic, start), cRowE), mul(add(jc, ref(vjr)), cColE))))
			var cpos loop.Expr
			if correct {
				cpos = add(mul(blkB, zC.ncE), ref(vjr))
			}
			var direct loop.Expr
			var directB *loop.Buf
			if directOK {
				direct, directB = directCond, lw.b.buf
			}
			micro, err := lw.vmicro(vmicroArgs{
				packA: packA, packB: packB, tile: tile, aPitch: P, aStride: astr, directA: aIn,
				pa: vpa, pb: vpbp, kc: kd, mr: mr, nr: nr, vnni: vnni, csum: csum, cpos: cpos,
				direct: direct, directB: directB, bStep: bRowE, onlyDirect: inPlace && directOK,
				ctile: ct, cRow: cRowE, cCol: cColE,
				first: first, last: last,
				tslot: mul(ref(vt), i64(MR*NR)),
				row:   add(ic, start), col: add(jc, ref(vjr)),
				bind: bind, rows: rows, prefetchC: prefetchC,
			})
			if err != nil {
				return nil, err
			}
			return forLoop(vir, ir0, ir1, h, append(irBody, micro...)...), nil
		}
		// With a tail height T (rows at a pitch only), a block whose last
		// rem = mc % MR rows number at most 2T ends with tiles of T rows
		// instead of one MR-row tile that is mostly padding.
		var mainEnd loop.Expr = mc
		T := lw.tailHeight(P)
		tail := T > 0
		if tail {
			rem := lw.keep(&jbody, "rem", tailRem(mc, MR))
			mainEnd = lw.keep(&jbody, "mend", &loop.Select{Cond: useTail(rem, T), A: sub(mc, rem), B: mc, T: tI64})
		}
		tiles := func(inPlace bool) ([]loop.Stmt, error) {
			mainLoop, err := rowTiles(i64(0), mainEnd, 0, inPlace)
			if err != nil || !tail {
				return []loop.Stmt{mainLoop}, err
			}
			tailLoop, err := rowTiles(mainEnd, mc, int(T), inPlace)
			return []loop.Stmt{mainLoop, tailLoop}, err
		}
		packedTiles, err := tiles(false)
		if err != nil {
			return nil, err
		}
		if directAOK {
			inPlaceTiles, err := tiles(true)
			if err != nil {
				return nil, err
			}
			packedTiles = []loop.Stmt{&loop.If{Cond: directA, Then: inPlaceTiles, Else: packedTiles}}
		}
		jbody = append(jbody, packedTiles...)
		ibody = append(ibody, forLoop(vjr, i64(0), nc, NR, jbody...))
		kbody = append(kbody, forLoop(vib, i64(0), zC.nMC, 1, ibody...))
		body = append(body, forLoop(vpb, i64(0), zC.nKC, 1, kbody...))
		fC.Body = append(bodyC, forLoop(vt, ref(fC.Lo), ref(fC.Hi), 1, body...))
	}

	// Step 4 (GEMV shapes, M == 1, B read in place): its own parallel split
	// into a few wide column blocks, gemvCols columns or more each, so that
	// every row of B is read in long contiguous runs (see gemvRow).
	// Block t = b*nG + g.
	gemvOK := directOK && lw.a.plain() && m.C.Type == m.Acc && isUnit(cColE) && bl.GEMVRows > 0 && bl.GEMVCols > 0
	gemvCond := cmp(ir.Eq, d.M, i64(1))
	nG := func() loop.Expr { return ceilDiv2(d.N, i64(int64(bl.GEMVCols))) }
	gW := func() loop.Expr { return roundUp(ceilDiv2(d.N, nG()), int64(L)) }
	var fG *loop.Func
	if gemvOK {
		var bodyG []loop.Stmt
		fG, _ = newFunc("_gemv", &bodyG)
		gw := lw.keep(&bodyG, "gw", gW())
		ng := lw.keep(&bodyG, "ng", nG())
		vt := lw.loopVar("t")
		var body []loop.Stmt
		b := lw.keep(&body, "b", div(ref(vt), ng))
		jc := lw.keep(&body, "jc", mul(mod(ref(vt), ng), gw))
		nc := lw.keep(&body, "nc", maxE(minE(gw, sub(d.N, jc)), i64(0)))
		var cBatch []loop.Expr
		for _, s := range m.CBatch {
			cBatch = append(cBatch, s.Expr(env))
		}
		offCE, coords := batchOff(b, cBatch)
		offC := lw.keep(&body, "offc", offCE)
		bind := map[*ir.Var]loop.Expr{}
		for i, v := range m.Batch {
			bind[v] = lw.keep(&body, "bc", coords[i])
		}
		zero, err := lw.zeroFill(i64(1), jc, nc, offC, cRowE, cColE, bind)
		if err != nil {
			return nil, err
		}
		body = append(body, &loop.If{Cond: cmp(ir.Eq, d.K, i64(0)), Then: zero})
		offBE, _ := batchOff(b, lw.b.batch)
		offBD := lw.keep(&body, "offbd", offBE)
		offAE, _ := batchOff(b, lw.a.batch)
		offA := lw.keep(&body, "offa", offAE)
		gemv, err := lw.gemvRow(offA, add(offBD, jc), add(offC, jc), nc, d.K, aColE, bRowE, jc, bind)
		if err != nil {
			return nil, err
		}
		body = append(body, gemv...)
		fG.Body = append(bodyG, forLoop(vt, ref(fG.Lo), ref(fG.Hi), 1, body...))
	}

	sizeB := mul(d.bt, mul(d.K, d.N))
	extB := nBBlocks()
	if directOK {
		extB = &loop.Select{Cond: directCond, A: i64(0), B: extB, T: tI64}
	}
	sizeA := mul(d.bt, mul(d.M, d.K))
	work := mul(i64(2), mul(d.bt, mul(d.M, mul(d.N, d.K))))
	// Step 5 (dot-product GEMV shapes): out[i] = sum_k W[i, k] x[k] with
	// W's rows contiguous, either C[0, n] = sum_k A[0, k] B[n, k] (M == 1,
	// B's k stride 1) or C[m, 0] = sum_k A[m, k] B[k, 0] (N == 1, A's k
	// stride 1, B's k stride 1 at run time). Block t = b*nD + g.
	plain := !vnni && bl.DotBlock > 0 && lw.a.plain() && lw.b.plain() && lw.a.buf.Elem == m.Acc && !lw.a.cast && lw.b.buf.Elem == m.Acc && !lw.b.cast && isUnit(aColE)
	dotT := plain && isUnit(bRowE) && !gemvOK
	dotN := plain && !dotT
	var dotCond loop.Expr = &loop.Const{T: tBool}
	var nOut loop.Expr = i64(0)
	switch {
	case dotT:
		dotCond, nOut = cmp(ir.Eq, d.M, i64(1)), d.N
	case dotN:
		dotCond, nOut = cmp(ir.Eq, d.N, i64(1)), d.M
		if !sameVar(bRowE, d.N) {
			dotCond = and(dotCond, cmp(ir.Eq, bRowE, i64(1)))
		}
		if gemvOK {
			dotCond = and(dotCond, cmp(ir.Ne, d.M, i64(1)))
		}
	}
	nD := func() loop.Expr { return ceilDiv2(nOut, i64(int64(bl.DotBlock))) }
	var fD *loop.Func
	if dotT || dotN {
		var bodyD []loop.Stmt
		fD, _ = newFunc("_gemvdot", &bodyD)
		nd := lw.keep(&bodyD, "nd", nD())
		vt := lw.loopVar("t")
		var body []loop.Stmt
		b := lw.keep(&body, "b", div(ref(vt), nd))
		i0 := lw.keep(&body, "i0", mul(mod(ref(vt), nd), i64(int64(bl.DotBlock))))
		n := lw.keep(&body, "n", maxE(minE(i64(int64(bl.DotBlock)), sub(nOut, i0)), i64(0)))
		var cBatch []loop.Expr
		for _, s := range m.CBatch {
			cBatch = append(cBatch, s.Expr(env))
		}
		offCE, coords := batchOff(b, cBatch)
		offC := lw.keep(&body, "offc", offCE)
		bind := map[*ir.Var]loop.Expr{}
		for i, v := range m.Batch {
			bind[v] = lw.keep(&body, "bc", coords[i])
		}
		offAE, _ := batchOff(b, lw.a.batch)
		offA := lw.keep(&body, "offa", offAE)
		offBE, _ := batchOff(b, lw.b.batch)
		offB := lw.keep(&body, "offb", offBE)
		da := dotArgs{i0: i0, n: n, K: d.K, bind: bind,
			vecW: loop.Vec(lw.acc, L), scalar: loop.Scalar(lw.acc)}
		if dotT {
			da.w, da.wBase, da.ws = lw.b.buf, offB, bColE
			da.v, da.vBase = lw.a.buf, offA
			da.cBase, da.cs = offC, cColE
			da.at = func(i loop.Expr) (loop.Expr, loop.Expr) { return i64(0), i }
		} else {
			da.w, da.wBase, da.ws = lw.a.buf, offA, aRowE
			da.v, da.vBase = lw.b.buf, offB
			da.cBase, da.cs = offC, cRowE
			da.at = func(i loop.Expr) (loop.Expr, loop.Expr) { return i, i64(0) }
		}
		st, err := lw.gemvDot(da)
		if err != nil {
			return nil, err
		}
		body = append(body, st...)
		fD.Body = append(bodyD, forLoop(vt, ref(fD.Lo), ref(fD.Hi), 1, body...))
	}

	extA, extC := nABlocks(), nTiles()
	if directAOK {
		extA = &loop.Select{Cond: directACondE, A: i64(0), B: extA, T: tI64}
	}
	if aInLoopOK {
		extA = &loop.Select{Cond: aInLoopCondE, A: i64(0), B: extA, T: tI64}
	}
	if gemvOK {
		extA = &loop.Select{Cond: gemvCond, A: i64(0), B: extA, T: tI64}
		extC = &loop.Select{Cond: gemvCond, A: i64(0), B: extC, T: tI64}
	}
	if fD != nil {
		extA = &loop.Select{Cond: dotCond, A: i64(0), B: extA, T: tI64}
		extB = &loop.Select{Cond: dotCond, A: i64(0), B: extB, T: tI64}
		extC = &loop.Select{Cond: dotCond, A: i64(0), B: extC, T: tI64}
	}
	// A shape whose packing step does not run (B or A read in place) asks
	// for no packing scratch (the pool would otherwise keep, and under
	// TCC_POISON_SCRATCH fill, a K x N packB for a GEMV).
	none := func(cond loop.Expr, n loop.Expr) loop.Expr {
		return &loop.Select{Cond: cond, A: i64(0), B: n, T: tI64}
	}
	if directOK {
		packB.Len = none(directCond, packB.Len)
	}
	if gemvOK {
		packA.Len = none(gemvCond, packA.Len)
	}
	if directAOK {
		packA.Len = none(directACondE, packA.Len)
	}
	if fD != nil {
		packA.Len = none(dotCond, packA.Len)
		packB.Len = none(dotCond, packB.Len)
	}
	var steps []*loop.Step
	if fB != nil {
		steps = append(steps, &loop.Step{Func: fB, Parallel: true, Extent: extB, Grain: 1, Work: sizeB})
	}
	steps = append(steps,
		&loop.Step{Func: fA, Parallel: true, Extent: extA, Grain: 1, Work: sizeA},
		&loop.Step{Func: fC, Parallel: true, Extent: extC, Grain: 1, Work: work})
	if gemvOK {
		extG := &loop.Select{Cond: gemvCond, A: mul(d.bt, nG()), B: i64(0), T: tI64}
		steps = append(steps, &loop.Step{Func: fG, Parallel: true, Extent: extG, Grain: 1, Work: work})
	}
	if fD != nil {
		extD := &loop.Select{Cond: dotCond, A: mul(d.bt, nD()), B: i64(0), T: tI64}
		steps = append(steps, &loop.Step{Func: fD, Parallel: true, Extent: extD, Grain: 1, Work: work})
	}
	return steps, nil
}

// sameVar reports whether x and y read the same variable.
func sameVar(x, y loop.Expr) bool {
	rx, ok1 := x.(*loop.Ref)
	ry, ok2 := y.(*loop.Ref)
	return ok1 && ok2 && rx.Var == ry.Var
}

// packRowsB packs the kc x nc block of B at src (unit column stride, row
// stride rs, element type the accumulator's) into NR-column slivers at
// dst[slot:] (layout.Panel(KC, NC, 1, NR) with run-time depth kc), one source
// row at a time: each row is read with whole vectors and its NR-wide pieces
// go to the slivers; the last, partial sliver is read with lane counts, so its
// padding columns are zero.
func (lw *lowering) packRowsB(dst *loop.Buf, slot, src, kc, nc, rs loop.Expr) []loop.Stmt {
	NR, L := int64(lw.bl.NR), lw.bl.Lanes
	NV := NR / int64(L)
	vt := loop.Vec(lw.acc, L)
	var body []loop.Stmt
	nfull := lw.keep(&body, "nfull", div(nc, i64(NR)))
	rest := lw.keep(&body, "nrest", sub(nc, mul(nfull, i64(NR))))
	sst := lw.keep(&body, "sst", mul(kc, i64(NR)))
	vk, vs := lw.loopVar("bk"), lw.loopVar("bs")
	ps, pd := lw.scalarVar("bps"), lw.scalarVar("bpd")
	var inner, tail []loop.Stmt
	for v := int64(0); v < NV; v++ {
		inner = append(inner, &loop.Store{Buf: dst, Index: add(ref(pd), i64(v*int64(L))),
			Value: &loop.Load{Buf: lw.b.buf, Index: add(ref(ps), i64(v*int64(L))), T: vt}})
		cnt := minE(maxE(sub(rest, i64(v*int64(L))), i64(0)), i64(int64(L)))
		tail = append(tail, &loop.Store{Buf: dst, Index: add(ref(pd), i64(v*int64(L))),
			Value: &loop.Load{Buf: lw.b.buf, Index: add(ref(ps), i64(v*int64(L))), T: vt, Count: cnt}})
	}
	inner = append(inner, assign(ps, add(ref(ps), i64(NR))), assign(pd, add(ref(pd), sst)))
	row := []loop.Stmt{
		assign(ps, add(src, mul(ref(vk), rs))),
		assign(pd, add(slot, mul(ref(vk), i64(NR)))),
		forLoop(vs, i64(0), nfull, 1, inner...),
		&loop.If{Cond: cmp(ir.Gt, rest, i64(0)), Then: tail},
	}
	return append(body, forLoop(vk, i64(0), kc, 1, row...))
}

// packRowsA packs the mc x kc block of A at src (strides rs, cs) into MR-row
// panels at dst[slot:] (layout.Panel(MC, KC, 0, MR) with run-time depth kc),
// one source row at a time; the padding rows of the last panel are zeroed.
func (lw *lowering) packRowsA(dst *loop.Buf, slot, src, mc, kc, rs, cs loop.Expr) []loop.Stmt {
	MR := int64(lw.bl.MR)
	s := lw.a
	var body []loop.Stmt
	vi, vk, vz := lw.loopVar("ai"), lw.loopVar("ak"), lw.loopVar("az")
	ps, pd := lw.scalarVar("aps"), lw.scalarVar("apd")
	var val loop.Expr = &loop.Load{Buf: s.buf, Index: ref(ps), T: loop.Scalar(s.buf.Elem)}
	if s.cast || s.buf.Elem != lw.acc {
		val = &loop.Cast{X: val, T: loop.Scalar(lw.acc)}
	}
	// Element (i, k) lives at slot + (i/MR)*MR*kc + k*MR + i%MR.
	at := func(i loop.Expr) loop.Expr {
		return add(slot, add(mul(mul(div(i, i64(MR)), i64(MR)), kc), mod(i, i64(MR))))
	}
	copyRow := forLoop(vk, i64(0), kc, 1,
		&loop.Store{Buf: dst, Index: ref(pd), Value: val},
		assign(ps, add(ref(ps), cs)), assign(pd, add(ref(pd), i64(MR))))
	copyRow.Unroll = 4
	body = append(body, forLoop(vi, i64(0), mc, 1,
		assign(ps, add(src, mul(ref(vi), rs))),
		assign(pd, at(ref(vi))),
		copyRow))
	zeroRow := forLoop(vk, i64(0), kc, 1,
		&loop.Store{Buf: dst, Index: ref(pd), Value: &loop.Const{T: loop.Scalar(lw.acc)}},
		assign(pd, add(ref(pd), i64(MR))))
	vk2 := lw.loopVar("ak")
	zeroRow.Var = vk2
	body = append(body, forLoop(vz, mc, roundUp(mc, MR),
		1, assign(pd, at(ref(vz))), zeroRow))
	return body
}

// packColsA is packRowsA for an A whose rows are contiguous in memory (unit
// row stride, column stride cs; a transposed operand such as A[k, m]): for
// each MR-row panel and each k it copies the MR consecutive elements of
// column k with one vector load and store (MR <= lanes), reading zeros past
// the block's last row, so the padding rows need no second pass.
func (lw *lowering) packColsA(dst *loop.Buf, slot, src, mc, kc, cs loop.Expr) []loop.Stmt {
	MR, L := int64(lw.bl.MR), lw.bl.Lanes
	vg, vk := lw.loopVar("ag"), lw.loopVar("ak")
	ps, pd := lw.scalarVar("aps"), lw.scalarVar("apd")
	var body []loop.Stmt
	npan := lw.keep(&body, "npan", ceilDiv(mc, MR))
	cnt := minE(sub(mc, mul(ref(vg), i64(MR))), i64(MR))
	load := loop.ReadAs(&loop.Load{Buf: lw.a.buf, Index: ref(ps), T: loop.Vec(lw.a.buf.Elem, L), Count: cnt}, loop.Vec(lw.acc, L))
	col := forLoop(vk, i64(0), kc, 1,
		&loop.Store{Buf: dst, Index: ref(pd), Value: load, Count: i64(MR)},
		assign(ps, add(ref(ps), cs)), assign(pd, add(ref(pd), i64(MR))))
	return append(body, forLoop(vg, i64(0), npan, 1,
		assign(ps, add(src, mul(ref(vg), i64(MR)))),
		assign(pd, add(slot, mul(mul(ref(vg), i64(MR)), kc))),
		col))
}

// packRowsPitched packs the mc x kc block of A at src (strides rs, cs)
// into rows of pitch P at dst[slot:] (element (i, k) at slot + i*P + k), a
// row at a time (whole vectors when A's rows are contiguous), and zeroes the
// padding rows up to a multiple of MR.
func (lw *lowering) packRowsPitched(dst *loop.Buf, slot, src, mc, kc, rs, cs loop.Expr, P int64) []loop.Stmt {
	L := lw.bl.Lanes
	vi, vk, vk2, vz := lw.loopVar("ai"), lw.loopVar("ak"), lw.loopVar("ak"), lw.loopVar("az")
	ps, pd := lw.scalarVar("aps"), lw.scalarVar("apd")
	s := lw.a
	load := func(lanes int, count loop.Expr) loop.Expr {
		return loop.ReadAs(&loop.Load{Buf: s.buf, Index: ref(ps), T: loop.Vec(s.buf.Elem, lanes), Count: count}, loop.Vec(lw.acc, lanes))
	}
	var row []loop.Stmt
	if isUnit(cs) {
		main := forLoop(vk, i64(0), sub(kc, i64(int64(L-1))), int64(L),
			&loop.Store{Buf: dst, Index: ref(pd), Value: load(L, nil)},
			assign(ps, add(ref(ps), i64(int64(L)))), assign(pd, add(ref(pd), i64(int64(L)))))
		tail := forLoop(vk2, mul(div(kc, i64(int64(L))), i64(int64(L))), kc, int64(L),
			&loop.Store{Buf: dst, Index: ref(pd), Value: load(L, sub(kc, ref(vk2))), Count: sub(kc, ref(vk2))})
		row = []loop.Stmt{main, tail}
	} else {
		c := forLoop(vk, i64(0), kc, 1,
			&loop.Store{Buf: dst, Index: ref(pd), Value: load(1, nil)},
			assign(ps, add(ref(ps), cs)), assign(pd, add(ref(pd), i64(1))))
		c.Unroll = 4
		row = []loop.Stmt{c}
	}
	body := []loop.Stmt{forLoop(vi, i64(0), mc, 1, append([]loop.Stmt{
		assign(ps, add(src, mul(ref(vi), rs))),
		assign(pd, add(slot, mul(ref(vi), i64(P))))}, row...)...)}
	return append(body, lw.zeroRows(dst, slot, mc, kc, vz, P)...)
}

// zeroRows zeroes kc elements of the rows mc .. rowsRead(mc, P) of a block
// with rows at pitch P, so that the micro-kernel's padding rows are zero.
func (lw *lowering) zeroRows(dst *loop.Buf, slot, mc, kc loop.Expr, vz *loop.Var, P int64) []loop.Stmt {
	return []loop.Stmt{forLoop(vz, mc, lw.rowsRead(mc, P), 1,
		&loop.Memset{Buf: dst, Index: add(slot, mul(ref(vz), i64(P))), Len: kc})}
}

// directACond returns the run-time condition under which A is read in
// place (schedule.GEMM.DirectA): at most DirectA elements, K one block, and
// every tile that runs past a block's end can start earlier instead: M has
// a whole MR-row tile, or its last rows go to tail tiles and M has one of
// those (tiles of a block start at most h rows before its end, and rows
// before the block's start are rows of the previous block: in A, and in
// C, which they rewrite with the same sums, K being one block).
func (lw *lowering) directACond(d flatDims, P int64) loop.Expr {
	MR := int64(lw.bl.MR)
	c := and(cmp(ir.Le, mul(d.M, d.K), i64(int64(lw.bl.DirectA))), cmp(ir.Le, d.K, i64(int64(lw.bl.KC))))
	shape := cmp(ir.Ge, d.M, i64(MR))
	if T := lw.tailHeight(P); T > 0 {
		shape = or(shape, and(cmp(ir.Ge, d.M, i64(T)), useTail(tailRem(d.M, MR), T)))
	}
	return and(c, shape)
}

// tailHeight returns the height of the tail tiles of a block of A packed at
// pitch P (the plan's MRTail; 0 when there are none: A interleaved, or no
// tail height below MR).
func (lw *lowering) tailHeight(P int64) int64 {
	T := int64(lw.bl.MRTail)
	if T > 0 && P > 0 && T < int64(lw.bl.MR) {
		return T
	}
	return 0
}

// tailRem returns the rows of an mc-row block past its last whole MR-row
// tile.
func tailRem(mc loop.Expr, MR int64) loop.Expr { return sub(mc, mul(div(mc, i64(MR)), i64(MR))) }

// useTail reports whether the rem rows past the last whole MR-row tile are
// computed by tail tiles of height T (at most 2T rows) rather than by one
// more MR-row tile.
func useTail(rem loop.Expr, T int64) loop.Expr { return cmp(ir.Le, rem, i64(2*T)) }

// rowsRead returns how many rows of an mc-row block packed at pitch P the
// micro-tiles read: whole MR-row tiles, or with tail tiles the last whole
// MR-row tile's end plus the tail tiles' rows (M = 64 with 12 + 4-row tiles:
// 64 rows, no padding to 72).
func (lw *lowering) rowsRead(mc loop.Expr, P int64) loop.Expr {
	MR := int64(lw.bl.MR)
	full := roundUp(mc, MR)
	T := lw.tailHeight(P)
	if T == 0 {
		return full
	}
	rem := tailRem(mc, MR)
	return &loop.Select{Cond: useTail(rem, T), A: add(sub(mc, rem), roundUp(rem, T)), B: full, T: tI64}
}

// packRowsGeneral is packRowsA for a general operand: the mc x kc block at
// row r0 and column c0 of side s, evaluated one row at a time (so that what
// depends on the row only is computed once per row): with P > 0 into rows
// of pitch P (whole vectors along k when the operand vectorises along its
// column variable), else into MR-row panels; the padding rows of the last
// panel are zeroed.
func (lw *lowering) packRowsGeneral(dst *loop.Buf, slot, mc, kc loop.Expr, s side, bind map[*ir.Var]loop.Expr, r0, c0 loop.Expr, P int64) ([]loop.Stmt, error) {
	MR := int64(lw.bl.MR)
	L := lw.bl.Lanes
	vi, vk, vz := lw.loopVar("ai"), lw.loopVar("ak"), lw.loopVar("az")
	if P > 0 {
		vk2 := lw.loopVar("ak")
		rowAt := add(slot, mul(ref(vi), i64(P)))
		vmain, err1 := lw.elem(s, bind, add(r0, ref(vi)), add(c0, ref(vk)), L, nil, nil)
		cnt := sub(kc, ref(vk2))
		vtail, err2 := lw.elem(s, bind, add(r0, ref(vi)), add(c0, ref(vk2)), L, cnt, nil)
		var row []loop.Stmt
		if err1 == nil && err2 == nil {
			row = []loop.Stmt{
				forLoop(vk, i64(0), sub(kc, i64(int64(L-1))), int64(L), &loop.Store{Buf: dst, Index: add(rowAt, ref(vk)), Value: vmain}),
				forLoop(vk2, mul(div(kc, i64(int64(L))), i64(int64(L))), kc, int64(L), &loop.Store{Buf: dst, Index: add(rowAt, ref(vk2)), Value: vtail, Count: cnt}),
			}
		} else {
			val, err := lw.elem(s, bind, add(r0, ref(vi)), add(c0, ref(vk)), 1, nil, nil)
			if err != nil {
				return nil, err
			}
			row = []loop.Stmt{forLoop(vk, i64(0), kc, 1, &loop.Store{Buf: dst, Index: add(rowAt, ref(vk)), Value: val})}
		}
		body := []loop.Stmt{forLoop(vi, i64(0), mc, 1, row...)}
		return append(body, lw.zeroRows(dst, slot, mc, kc, vz, P)...), nil
	}
	if st := lw.packColsGeneral(dst, slot, mc, kc, s, bind, r0, c0); st != nil {
		return st, nil
	}
	pd := lw.scalarVar("apd")
	val, err := lw.elem(s, bind, add(r0, ref(vi)), add(c0, ref(vk)), 1, nil, nil)
	if err != nil {
		return nil, err
	}
	// Element (i, k) lives at slot + (i/MR)*MR*kc + k*MR + i%MR.
	at := func(i loop.Expr) loop.Expr {
		return add(slot, add(mul(mul(div(i, i64(MR)), i64(MR)), kc), mod(i, i64(MR))))
	}
	copyRow := forLoop(vk, i64(0), kc, 1,
		&loop.Store{Buf: dst, Index: ref(pd), Value: val},
		assign(pd, add(ref(pd), i64(MR))))
	body := []loop.Stmt{forLoop(vi, i64(0), mc, 1, assign(pd, at(ref(vi))), copyRow)}
	vk2 := lw.loopVar("ak")
	zeroRow := forLoop(vk2, i64(0), kc, 1,
		&loop.Store{Buf: dst, Index: ref(pd), Value: &loop.Const{T: loop.Scalar(lw.acc)}},
		assign(pd, add(ref(pd), i64(MR))))
	body = append(body, forLoop(vz, mc, roundUp(mc, MR), 1, assign(pd, at(ref(vz))), zeroRow))
	return body, nil
}

// packColsGeneral is packColsA for a general operand that vectorises along
// its row variable with contiguous loads (rows adjacent in memory): each
// MR-row panel is copied one column at a time with one vector of MR lanes,
// zeros past the block's last row. It returns nil when the operand does not
// vectorise so, or the tile is wider than a vector.
func (lw *lowering) packColsGeneral(dst *loop.Buf, slot, mc, kc loop.Expr, s side, bind map[*ir.Var]loop.Expr, r0, c0 loop.Expr) []loop.Stmt {
	MR, L := int64(lw.bl.MR), lw.bl.Lanes
	if L <= 1 || MR > int64(L) || len(s.rows) != 1 {
		return nil
	}
	vg, vk := lw.loopVar("ag"), lw.loopVar("ak")
	var body []loop.Stmt
	npan := lw.keep(&body, "npan", ceilDiv(mc, MR))
	cnt := minE(sub(mc, mul(ref(vg), i64(MR))), i64(MR))
	val, err := lw.elem(s.transposed(), bind, add(c0, ref(vk)), add(r0, mul(ref(vg), i64(MR))), L, cnt, nil)
	if err != nil || !contiguousLoads(val, L) {
		return nil
	}
	col := forLoop(vk, i64(0), kc, 1,
		&loop.Store{Buf: dst, Index: add(add(slot, mul(mul(ref(vg), i64(MR)), kc)), mul(ref(vk), i64(MR))), Value: val, Count: i64(MR)})
	return append(body, forLoop(vg, i64(0), npan, 1, col))
}

// contiguousLoads reports whether every load in x reads lanes consecutive
// elements.
func contiguousLoads(x loop.Expr, lanes int) bool {
	ok := true
	loop.WalkExpr(x, func(e loop.Expr) {
		if ld, isLoad := e.(*loop.Load); isLoad && ld.T.Lanes != lanes {
			ok = false
		}
	})
	return ok
}

// packRowsB4 is packRowsB for the VNNI layout: B's signed bytes (unit column
// stride, row stride rs) packed four k-steps to an i32 word, word (kd, j) at
// slot + (j/NR)*NR*kdN + kd*NR + j%NR with byte q = B[4kd+q, j] (zero past
// kc). Four rows are read with byte vectors, widened to i32 lanes and
// combined; with csum set, the column sums of the block are accumulated at
// csum[cpos + j] in the same pass.
func (lw *lowering) packRowsB4(dst, csum *loop.Buf, slot, cpos, src, kc, nc, rs loop.Expr) []loop.Stmt {
	NR, L := int64(lw.bl.NR), lw.bl.Lanes
	NV := NR / int64(L)
	vt := loop.Vec(ir.I32, L)
	bt := loop.Vec(lw.b.buf.Elem, L)
	var body []loop.Stmt
	nfull := lw.keep(&body, "nfull", div(nc, i64(NR)))
	rest := lw.keep(&body, "nrest", sub(nc, mul(nfull, i64(NR))))
	kdN := lw.keep(&body, "kdn", ceilDiv(kc, 4))
	sst := lw.keep(&body, "sst", mul(kdN, i64(NR)))
	if csum != nil {
		body = append(body, &loop.Memset{Buf: csum, Index: cpos, Len: nc})
	}
	vk, vs := lw.loopVar("bk"), lw.loopVar("bs")
	ps, pd, pc := lw.scalarVar("bps"), lw.scalarVar("bpd"), lw.scalarVar("bpc")
	c := func(v int64) loop.Expr { return &loop.Const{T: vt, Int: v} }
	word := func(v int64, count loop.Expr) ([]loop.Stmt, []loop.Stmt) {
		var w, sum loop.Expr
		for q := int64(0); q < 4; q++ {
			idx := add(ref(ps), i64(v*int64(L)))
			if q > 0 {
				idx = add(idx, mul(i64(q), rs))
			}
			var g loop.Expr
			if q > 0 {
				g = cmp(ir.Lt, add(mul(ref(vk), i64(4)), i64(q)), kc)
			}
			x := loop.Expr(&loop.Cast{X: &loop.Load{Buf: lw.b.buf, Index: idx, T: bt, Guard: g, Count: count}, T: vt})
			if sum == nil {
				sum = x
			} else {
				sum = &loop.Bin{Op: ir.Add, X: sum, Y: x, T: vt}
			}
			if q < 3 && lw.b.buf.Elem.IsSigned() {
				// The byte's two's complement pattern: x mod 256.
				x = &loop.Select{Cond: &loop.Bin{Op: ir.Lt, X: x, Y: c(0), T: loop.Vec(ir.BoolT, L)},
					A: &loop.Bin{Op: ir.Add, X: x, Y: c(256), T: vt}, B: x, T: vt}
			}
			if q > 0 {
				x = &loop.Bin{Op: ir.Mul, X: x, Y: c(1 << (8 * q)), T: vt}
				w = &loop.Bin{Op: ir.Add, X: w, Y: x, T: vt}
			} else {
				w = x
			}
		}
		st := []loop.Stmt{&loop.Store{Buf: dst, Index: add(ref(pd), i64(v*int64(L))), Value: w}}
		if csum == nil {
			return st, nil
		}
		ci := add(ref(pc), i64(v*int64(L)))
		return st, []loop.Stmt{&loop.Store{Buf: csum, Index: ci, Count: count,
			Value: &loop.Bin{Op: ir.Add, X: &loop.Load{Buf: csum, Index: ci, T: vt, Count: count}, Y: sum, T: vt}}}
	}
	var inner, tail []loop.Stmt
	for v := int64(0); v < NV; v++ {
		st, cs := word(v, nil)
		inner = append(append(inner, st...), cs...)
		cnt := minE(maxE(sub(rest, i64(v*int64(L))), i64(0)), i64(int64(L)))
		st, cs = word(v, cnt)
		tail = append(append(tail, st...), cs...)
	}
	inner = append(inner, assign(ps, add(ref(ps), i64(NR))), assign(pd, add(ref(pd), sst)))
	if csum != nil {
		inner = append(inner, assign(pc, add(ref(pc), i64(NR))))
	}
	row := []loop.Stmt{
		assign(ps, add(src, mul(mul(ref(vk), i64(4)), rs))),
		assign(pd, add(slot, mul(ref(vk), i64(NR)))),
	}
	if csum != nil {
		row = append(row, assign(pc, cpos))
	}
	row = append(row,
		forLoop(vs, i64(0), nfull, 1, inner...),
		&loop.If{Cond: cmp(ir.Gt, rest, i64(0)), Then: tail})
	return append(body, forLoop(vk, i64(0), kdN, 1, row...))
}

// packRowsA4 is packRowsA for the VNNI layout: word (i, kd) of the MR-row
// panels holds A[i, 4kd..4kd+3] (biased by +128 when bias is set), one
// source row at a time, the full words without guards.
func (lw *lowering) packRowsA4(dst *loop.Buf, slot, src, mc, kc, rs, cs loop.Expr, bias bool) []loop.Stmt {
	MR := int64(lw.bl.MR)
	var body []loop.Stmt
	kdN := lw.keep(&body, "kdn", ceilDiv(kc, 4))
	kdFull := lw.keep(&body, "kdf", div(kc, i64(4)))
	vi, vk, vz := lw.loopVar("ai"), lw.loopVar("ak"), lw.loopVar("az")
	ps, pd := lw.scalarVar("aps"), lw.scalarVar("apd")
	at := func(i loop.Expr) loop.Expr {
		return add(slot, add(mul(mul(div(i, i64(MR)), i64(MR)), kdN), mod(i, i64(MR))))
	}
	full := lw.bytes4(func(q int64) (loop.Expr, loop.Expr) {
		return add(ref(ps), mul(i64(q), cs)), nil
	}, lw.a.buf, bias)
	part := lw.bytes4(func(q int64) (loop.Expr, loop.Expr) {
		return add(ref(ps), mul(i64(q), cs)), cmp(ir.Lt, add(mul(kdFull, i64(4)), i64(q)), kc)
	}, lw.a.buf, bias)
	copyRow := forLoop(vk, i64(0), kdFull, 1,
		&loop.Store{Buf: dst, Index: ref(pd), Value: full},
		assign(ps, add(ref(ps), mul(i64(4), cs))), assign(pd, add(ref(pd), i64(MR))))
	body = append(body, forLoop(vi, i64(0), mc, 1,
		assign(ps, add(src, mul(ref(vi), rs))),
		assign(pd, at(ref(vi))),
		copyRow,
		&loop.If{Cond: cmp(ir.Lt, kdFull, kdN), Then: []loop.Stmt{&loop.Store{Buf: dst, Index: ref(pd), Value: part}}}))
	vk2 := lw.loopVar("ak")
	body = append(body, forLoop(vz, mc, roundUp(mc, MR), 1, assign(pd, at(ref(vz))),
		forLoop(vk2, i64(0), kdN, 1,
			&loop.Store{Buf: dst, Index: ref(pd), Value: &loop.Const{T: loop.Scalar(ir.I32)}},
			assign(pd, add(ref(pd), i64(MR))))))
	return body
}

// GEMVRows (plan) is the number of rows of B that one pass of gemvRow reads
// together: by default 8 on targets with 32 vector registers (half of it with 16): enough
// concurrent streams to keep many cache misses in flight (measured on Zen 4,
// M = 1, K = N = 4096, one thread, 2048-column blocks: 4 rows 19.4 GB/s,
// 8 rows 23.5-24.5 GB/s, 12 rows 2.6 GB/s as the pointers spill), each with
// a running offset of its own in a general-purpose register.

// GEMVCols (plan) is the least width of the column blocks a GEMV (M == 1) is split
// into for parallel work: each block walks all K rows of B over its columns,
// so the rows are read in runs of at least GEMVCols elements. Measured on
// Zen 4 (M = 1, K = N = 4096, one thread, scratch no longer zeroed): 1024
// columns 23.5-24.0 GB/s, 2048 23.5-24.5, 4096 (whole rows, one block)
// 25.3-26.7 (the default 4096); a GEMV with N <= GEMVCols is therefore not
// split across threads.

// gemvRow is the compute of one (batch, NC block) tile when M == 1: C's row
// is accumulated in place over K, gemvRows rows of B at a time (each row read
// once, contiguously, so that a GEMV streams B at memory bandwidth instead
// of walking NR-wide column slivers), then passed through the epilogue. Each
// element sums its k terms in order, whatever the split into tiles.
func (lw *lowering) gemvRow(offA, bBase, cBase, nc, K, aCol, bRow loop.Expr, col loop.Expr, bind map[*ir.Var]loop.Expr) ([]loop.Stmt, error) {
	L := lw.bl.Lanes
	vt := loop.Vec(lw.acc, L)
	st := loop.Scalar(lw.acc)
	var out []loop.Stmt
	pass := func(rows int64, k0 loop.Expr) []loop.Stmt {
		var ss []loop.Stmt
		xs := make([]*loop.Var, rows)
		for q := range xs {
			xs[q] = lw.newVar(fmt.Sprintf("gx%d", q), vt)
			a := loop.ReadAs(&loop.Load{Buf: lw.a.buf, Index: add(offA, mul(add(k0, i64(int64(q))), aCol)), T: loop.Scalar(lw.a.buf.Elem)}, st)
			ss = append(ss, assign(xs[q], &loop.Broadcast{X: a, T: vt}))
		}
		// One running offset per row of B, so that every access in the
		// loop is a register plus a constant.
		pbs := make([]*loop.Var, rows)
		for q := range pbs {
			pbs[q] = lw.scalarVar(fmt.Sprintf("gpb%d", q))
			ss = append(ss, assign(pbs[q], add(bBase, mul(add(k0, i64(int64(q))), bRow))))
		}
		pc := lw.scalarVar("gpc")
		ss = append(ss, assign(pc, cBase))
		body := func(count, guard loop.Expr, first bool) []loop.Stmt {
			var y loop.Expr = &loop.Const{T: vt}
			if !first {
				y = &loop.Load{Buf: lw.cBuf, Index: ref(pc), T: vt, Count: count, Guard: guard}
			}
			for q := int64(0); q < rows; q++ {
				b := &loop.Load{Buf: lw.b.buf, Index: ref(pbs[q]), T: vt, Count: count}
				if lw.t.FMA && lw.acc.IsFloat() {
					y = &loop.Call{Fn: loop.FMA, Args: []loop.Expr{ref(xs[q]), b, y}, T: vt}
				} else {
					y = &loop.Bin{Op: ir.Add, X: y, Y: &loop.Bin{Op: ir.Mul, X: ref(xs[q]), Y: b, T: vt}, T: vt}
				}
			}
			st := []loop.Stmt{&loop.Store{Buf: lw.cBuf, Index: ref(pc), Value: y, Count: count}}
			for q := range pbs {
				st = append(st, assign(pbs[q], add(ref(pbs[q]), i64(int64(L)))))
			}
			return append(st, assign(pc, add(ref(pc), i64(int64(L)))))
		}
		// The first pass starts from zero, the others add to C: two main
		// loops, so that the loop body tests nothing.
		mainLoop := func(first bool) []loop.Stmt {
			l := forLoop(lw.loopVar("gn"), i64(0), sub(nc, i64(int64(L-1))), int64(L), body(nil, nil, first)...)
			l.Unroll = 2
			return []loop.Stmt{l}
		}
		ss = append(ss, &loop.If{Cond: cmp(ir.Eq, k0, i64(0)), Then: mainLoop(true), Else: mainLoop(false)})
		vn2 := lw.loopVar("gn")
		lo := mul(div(nc, i64(int64(L))), i64(int64(L)))
		ss = append(ss, forLoop(vn2, lo, nc, int64(L), body(sub(nc, ref(vn2)), cmp(ir.Ne, k0, i64(0)), false)...))
		return ss
	}
	R := int64(lw.bl.GEMVRows)
	vk, vk1 := lw.loopVar("gk"), lw.loopVar("gk")
	out = append(out, forLoop(vk, i64(0), sub(K, i64(R-1)), R, pass(R, ref(vk))...))
	out = append(out, forLoop(vk1, mul(div(K, i64(R)), i64(R)), K, 1, pass(1, ref(vk1))...))
	if lw.m.Epilogue == nil {
		return out, nil
	}
	vj := lw.loopVar("gj")
	b := copyBind(bind)
	lw.bindGroup(b, lw.rowGroup, i64(0))
	lw.bindGroup(b, lw.colGroup, add(col, ref(vj)))
	b[lw.m.AccVar] = &loop.Load{Buf: lw.cBuf, Index: add(cBase, ref(vj)), T: st}
	val, err := lw.env.Expr(lw.m.Epilogue, b, 1)
	if err != nil {
		return nil, fmt.Errorf("gemm: %s: epilogue: %w", lw.m.C.Name, err)
	}
	out = append(out, &loop.If{Cond: cmp(ir.Gt, K, i64(0)), Then: []loop.Stmt{
		forLoop(vj, i64(0), nc, 1, &loop.Store{Buf: lw.cBuf, Index: add(cBase, ref(vj)), Value: val})}})
	return out, nil
}

// uncleared marks the template's scratch buffers (nil ones skipped) as
// written before read: the packs write every element the micro-kernel reads,
// padding rows and columns included, the column sums start with a Memset,
// and a tile is spilled before it is read back. The runtime then hands them
// out without clearing them on every call.
func uncleared(bufs ...*loop.Buf) {
	for _, b := range bufs {
		if b != nil {
			b.Uncleared = true
		}
	}
}
