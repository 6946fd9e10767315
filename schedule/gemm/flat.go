package gemm

import (
	"fmt"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/layout"
	"github.com/tensorcc/tcc/loop"
)

// directMaxM is the number of MR-row tiles below which B is read in place.
const directMaxM = 4

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

// buildFlat is the schedule for vector (assembly) targets. The assembler keeps
// every loop variable and local in a general-purpose register and cannot spill,
// so the loop nests are kept shallow: three parallel steps
//
//  1. pack every (batch, NC block, KC block) panel of B, with its column sums
//     for VNNI;
//  2. pack every (batch, KC block, MC block) block of A;
//  3. for each (batch, NC block): for each KC block: for each (MC block, NR
//     sliver) pair: for each MR row tile: the micro-kernel,
//
// with index values recomputed where they are used rather than held in locals.
// The arithmetic (blocking, order of the k sums, epilogue) is the same as the
// portable schedule's.
func (lw *lowering) buildFlat(d flatDims, vnni, correct bool) ([]*loop.Step, error) {
	m, env, bl := lw.m, lw.env, lw.bl
	MR, NR, L := int64(bl.MR), int64(bl.NR), bl.Lanes
	name := m.C.Name
	hasEpi := m.Epilogue != nil
	lw.inline = true
	ncE, kcE, mcE := d.ncE, d.kcE, d.mcE
	nNC := d.nNC
	nKC := func() loop.Expr { return ceilDiv2(d.K, kcE()) }
	nMC := func() loop.Expr { return ceilDiv2(d.M, mcE()) }
	nTiles := func() loop.Expr { return mul(d.bt, nNC()) }
	nBBlocks := func() loop.Expr { return mul(nTiles(), nKC()) }
	nABlocks := func() loop.Expr { return mul(mul(d.bt, nKC()), nMC()) }

	packA := env.NewScratch(name+"_packA", m.Acc, mul(nABlocks(), mul(mcE(), kcE())))
	packB := env.NewScratch(name+"_packB", m.Acc, mul(nBBlocks(), mul(kcE(), ncE())))
	var csum *loop.Buf
	if correct {
		csum = env.NewScratch(name+"_colsum", ir.I32, mul(nBBlocks(), ncE()))
	}
	var tile *loop.Buf
	if hasEpi {
		tile = env.NewScratch(name+"_tile", m.Acc, mul(nTiles(), i64(MR*NR)))
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

	newFunc := func(suffix string) *loop.Func {
		f := &loop.Func{Name: "gemm_" + name + suffix, Target: lw.t.Name, VectorBits: L * m.Acc.Bits,
			Lo: &loop.Var{Name: "lo", T: tI64}, Hi: &loop.Var{Name: "hi", T: tI64}}
		lw.f = f
		return f
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

	// Few rows of A use each element of B only a few times: then B is read in
	// place (when its rows are contiguous) instead of packed.
	directOK := !vnni && isUnit(bColE) && lw.b.buf.Elem == m.Acc
	directCond := cmp(ir.Lt, d.M, i64(directMaxM*MR))

	// Step 1: pack B. Block t = (b*nNC + jb)*nKC + pb.
	fB := newFunc("_packb")
	{
		vt := lw.loopVar("t")
		var body []loop.Stmt
		pb := lw.let(&body, "pb", mod(ref(vt), nKC()))
		tc := div(ref(vt), nKC())
		b := div(tc, nNC())
		jc := mul(mod(tc, nNC()), ncE())
		nc := lw.keep(&body, "nc", minE(ncE(), sub(d.N, jc)))
		pc := mul(pb, kcE())
		kc := lw.keep(&body, "kc", minE(kcE(), sub(d.K, pc)))
		offB, _ := batchOff(b, lw.b.batch)
		src := lw.keep(&body, "src", add(offB, add(mul(pc, bRowE), mul(jc, bColE))))
		slot := lw.keep(&body, "slot", mul(ref(vt), mul(kcE(), ncE())))
		var st []loop.Stmt
		if vnni {
			st, err = lw.packWith(layB, packB, slot, [2]loop.Expr{kdOf(kc), nc}, 0, func(c [2]loop.Expr, g, _ loop.Expr, _ int) loop.Expr {
				return lw.bytes4(func(q int64) (loop.Expr, loop.Expr) {
					kq := add(mul(c[0], i64(4)), i64(q))
					return add(src, add(mul(kq, bRowE), mul(c[1], bColE))), and(g, cmp(ir.Lt, kq, kc))
				}, lw.b.buf, false)
			})
		} else {
			st, err = lw.pack(layB, packB, slot, [2]loop.Expr{kc, nc}, lw.b, src, bRowE, bColE)
		}
		if err != nil {
			return nil, err
		}
		body = append(body, st...)
		if correct {
			vj, vk := lw.loopVar("sj"), lw.loopVar("sk")
			vs := lw.newVar("csum", loop.Scalar(ir.I32))
			ld := &loop.Cast{X: &loop.Load{Buf: lw.b.buf, Index: add(src, add(mul(ref(vk), bRowE), mul(ref(vj), bColE))), T: loop.Scalar(lw.b.buf.Elem)}, T: loop.Scalar(ir.I32)}
			body = append(body, forLoop(vj, i64(0), nc, 1,
				assign(vs, &loop.Const{T: loop.Scalar(ir.I32)}),
				forLoop(vk, i64(0), kc, 1, assign(vs, &loop.Bin{Op: ir.Add, X: ref(vs), Y: ld, T: loop.Scalar(ir.I32)})),
				&loop.Store{Buf: csum, Index: add(mul(ref(vt), ncE()), ref(vj)), Value: ref(vs)}))
		}
		fB.Body = []loop.Stmt{forLoop(vt, ref(fB.Lo), ref(fB.Hi), 1, body...)}
	}

	// Step 2: pack A. Block t = (b*nKC + pb)*nMC + ib.
	fA := newFunc("_packa")
	{
		vt := lw.loopVar("t")
		var body []loop.Stmt
		ib := mod(ref(vt), nMC())
		pb := mod(div(ref(vt), nMC()), nKC())
		b := div(ref(vt), mul(nMC(), nKC()))
		ic := mul(ib, mcE())
		mc := lw.keep(&body, "mc", minE(mcE(), sub(d.M, ic)))
		pc := mul(pb, kcE())
		kc := lw.keep(&body, "kc", minE(kcE(), sub(d.K, pc)))
		offA, _ := batchOff(b, lw.a.batch)
		src := lw.keep(&body, "src", add(offA, add(mul(ic, aRowE), mul(pc, aColE))))
		slot := lw.keep(&body, "slot", mul(ref(vt), mul(mcE(), kcE())))
		var st []loop.Stmt
		if vnni {
			st, err = lw.packWith(layA, packA, slot, [2]loop.Expr{mc, kdOf(kc)}, 0, func(c [2]loop.Expr, g, _ loop.Expr, _ int) loop.Expr {
				return lw.bytes4(func(q int64) (loop.Expr, loop.Expr) {
					kq := add(mul(c[1], i64(4)), i64(q))
					return add(src, add(mul(c[0], aRowE), mul(kq, aColE))), and(g, cmp(ir.Lt, kq, kc))
				}, lw.a.buf, correct)
			})
		} else {
			st, err = lw.pack(layA, packA, slot, [2]loop.Expr{mc, kc}, lw.a, src, aRowE, aColE)
		}
		if err != nil {
			return nil, err
		}
		body = append(body, st...)
		fA.Body = []loop.Stmt{forLoop(vt, ref(fA.Lo), ref(fA.Hi), 1, body...)}
	}

	// Step 3: compute. Tile t = b*nNC + jb.
	fC := newFunc("")
	{
		vt := lw.loopVar("t")
		var body []loop.Stmt
		b := div(ref(vt), nNC())
		jc := mul(mod(ref(vt), nNC()), ncE())
		nc := minE(ncE(), sub(d.N, jc))
		var cBatch []loop.Expr
		for _, s := range m.CBatch {
			cBatch = append(cBatch, s.Expr(env))
		}
		offCE, coords := batchOff(b, cBatch)
		offC := offCE
		bind := map[*ir.Var]loop.Expr{}
		for i, v := range m.Batch {
			bind[v] = coords[i]
		}
		zero, err := lw.zeroFill(d.M, jc, nc, offC, cRowE, cColE, bind)
		if err != nil {
			return nil, err
		}
		body = append(body, &loop.If{Cond: cmp(ir.Eq, d.K, i64(0)), Then: zero})

		// kLoop returns the KC-block loop; with direct it reads B in place.
		kLoop := func(direct bool) (loop.Stmt, error) {
			vpb := lw.loopVar("pb")
			pc := mul(ref(vpb), kcE())
			kc := minE(kcE(), sub(d.K, pc))
			var kbody []loop.Stmt
			kd := kdOf(kc)
			bBase := mul(add(mul(ref(vt), nKC()), ref(vpb)), mul(kcE(), ncE()))
			aBase := mul(mul(add(mul(b, nKC()), ref(vpb)), nMC()), mul(mcE(), kcE()))
			nJR := ceilDiv(nc, NR)
			vu, vir := lw.loopVar("u"), lw.loopVar("ir")
			ib := div(ref(vu), nJR)
			jr := mul(mod(ref(vu), nJR), i64(NR))
			ic := mul(ib, mcE())
			var ubody, irBody []loop.Stmt
			mc := minE(mcE(), sub(d.M, ic))
			nr := minE(i64(NR), sub(nc, jr))
			mr := minE(i64(MR), sub(mc, ref(vir)))
			vpa, vpbp := lw.scalarVar("pa"), lw.scalarVar("pbp")
			pbStart := add(bBase, mul(jr, kd))
			var directB *loop.Buf
			var bStep loop.Expr
			if direct {
				offB, _ := batchOff(b, lw.b.batch)
				pbStart = add(offB, add(mul(pc, bRowE), add(jc, jr)))
				directB, bStep = lw.b.buf, bRowE
			}
			irBody = append(irBody,
				assign(vpa, add(add(aBase, mul(ib, mul(mcE(), kcE()))), mul(ref(vir), kd))),
				assign(vpbp, pbStart))
			ct := add(offC, add(mul(add(ic, ref(vir)), cRowE), mul(add(jc, jr), cColE)))
			var cpos loop.Expr
			if correct {
				cpos = add(mul(add(mul(ref(vt), nKC()), ref(vpb)), ncE()), jr)
			}
			micro, err := lw.micro(microArgs{
				packA: packA, packB: packB, tile: tile,
				pa: vpa, pb: vpbp, kc: kd, mr: mr, nr: nr, vnni: vnni, csum: csum, cpos: cpos,
				directB: directB, bStep: bStep,
				ctile: ct, cRow: cRowE, cCol: cColE,
				first: cmp(ir.Eq, ref(vpb), i64(0)), last: cmp(ir.Ge, add(pc, kc), d.K),
				tslot: mul(ref(vt), i64(MR*NR)),
				row:   add(ic, ref(vir)), col: add(jc, jr),
				bind: bind,
			})
			if err != nil {
				return nil, err
			}
			irBody = append(irBody, micro...)
			ubody = append(ubody, forLoop(vir, i64(0), mc, MR, irBody...))
			kbody = append(kbody, forLoop(vu, i64(0), mul(nMC(), nJR), 1, ubody...))
			return forLoop(vpb, i64(0), nKC(), 1, kbody...), nil
		}
		packed, err := kLoop(false)
		if err != nil {
			return nil, err
		}
		if directOK {
			direct, err := kLoop(true)
			if err != nil {
				return nil, err
			}
			body = append(body, &loop.If{Cond: directCond, Then: []loop.Stmt{direct}, Else: []loop.Stmt{packed}})
		} else {
			body = append(body, packed)
		}
		fC.Body = []loop.Stmt{forLoop(vt, ref(fC.Lo), ref(fC.Hi), 1, body...)}
	}

	sizeB := mul(d.bt, mul(d.K, d.N))
	extB := nBBlocks()
	if directOK {
		extB = &loop.Select{Cond: directCond, A: i64(0), B: extB, T: tI64}
	}
	sizeA := mul(d.bt, mul(d.M, d.K))
	work := mul(i64(2), mul(d.bt, mul(d.M, mul(d.N, d.K))))
	return []*loop.Step{
		{Func: fB, Parallel: true, Extent: extB, Grain: 1, Work: sizeB},
		{Func: fA, Parallel: true, Extent: nABlocks(), Grain: 1, Work: sizeA},
		{Func: fC, Parallel: true, Extent: nTiles(), Grain: 1, Work: work},
	}, nil
}
