package gemm

import (
	"fmt"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
	"github.com/tensorcc/tcc/schedule"
)

// Blocking is the plan of the template (schedule.GEMM): the register tile
// (MR rows, NR = NV*Lanes columns held in MR*NV accumulators), the cache
// blocks (a KC-deep B sliver in L1, an MC x KC block of A in L2, a KC x NC
// panel of B in L3), the parallel decomposition and the special-shape paths.
type Blocking = schedule.GEMM

// Defaults of the parallel decomposition and of the special-shape paths
// (see Lower, gemvRow and gemvDot for what each does and was measured at).
const (
	defaultMaxGroups  = 8
	defaultNCSplit    = 8
	defaultDirectMaxM = 4
	// defaultDirectMaxB: B read in place up to 1M elements (4 MiB of f32).
	// Measured on an AVX-512 Xeon (2 MiB L2), M = 8 or 16 rows, B read in
	// place against packed in the loop: K = N = 512 0.54-0.78x the time,
	// 1024 x 1024 0.92-0.98x, 1024 x 2048 1.43x, 2048 x 2048 2.9x,
	// 4096 x 4096 2.3-2.4x.
	defaultDirectMaxB = 1 << 20
	// defaultDirectAllB: B read in place for any M up to 64K elements
	// (256 KiB of f32). Same machine, square sizes, against packing B in
	// the loop: 128 0.95x the time, 256 0.91x, 512 1.03x.
	defaultDirectAllB = 1 << 16
	// defaultSplitMinWork: N is split for threads from 4M flops (128^3) on.
	// At 64^3 one NC block instead of two, B read in place: 0.72x the time.
	defaultSplitMinWork = 1 << 22
	// defaultPrefetchC: C's tiles prefetched from 1M elements (4 MiB of
	// f32, beyond L2) on. Same machine, against no prefetch: 2048^3
	// 0.93-0.95x the time, 1024^3 0.91-1.07x, 512^3 1.03-1.10x.
	defaultPrefetchC = 1 << 20
	// defaultPrefetchB: B's general pack prefetches 8 rows ahead. Same
	// machine, TwoIndex 128^4 (B's rows 512 bytes, 64 KiB apart) against
	// none: 0.68x -> 0.80x the GFLOP/s of a GEMM of its FLOP count (4 rows
	// 0.74x, 16 rows 0.78x).
	defaultPrefetchB = 8
	// defaultDirectA: A read in place up to 16K elements (64 KiB of f32).
	defaultDirectA  = 1 << 14
	defaultGEMVRows = 8 // with 32 vector registers; half with 16
	defaultGEMVCols = 4096
	defaultDotBlock = 256 // outputs per parallel block of a dot-product GEMV: one contiguous region of rows
)

// DefaultPlan returns the template's plan for m on target t: Choose's
// blocking, or the scalar tile when C has no contiguous output dimension
// for the vectors. A contraction whose K has outer reduction variables
// (convolution taps, a second summed index) packs A interleaved: its K
// blocks are the inner group's extent, often far below KC, and A as rows
// keeps a pitch of KC+16 per row (measured: a 3x3 convolution 56x56x64
// ran at 20 GFLOP/s with rows and 44 interleaved, Conv1D J=4 48 and 58).
func DefaultPlan(m *Matmul, t loop.Target) Blocking {
	rowUnit, colUnit := m.CRow.IsUnit(), m.CCol.IsUnit()
	var b Blocking
	if t.VectorBits > 0 && !colUnit && !rowUnit {
		b = Choose(loop.Target{Name: t.Name, VectorRegs: 16, L1: t.L1, L2: t.L2, L3: t.L3}, m.Acc)
	} else {
		b = Choose(t, m.Acc)
	}
	if len(m.KOuter) > 0 {
		// K blocks of the inner group's extent: A as rows (vector copies)
		// only where A is contiguous along k, with KC = 128 so that the
		// rows' pitch stays near a block's depth.
		b.ARows = b.Lanes > 1 && aKContiguous(m)
		if b.ARows {
			b.KC = min(b.KC, aRowsOuterKC)
		}
	}
	return b
}

// aRowsOuterKC is KC for A as rows in a contraction with outer reduction
// variables. Measured on an AVX-512 Xeon, one thread, against interleaved
// A with KC = 384: a 3x3 convolution NHWC 56x56x64 -> 64 0.89-0.92x the
// time (KC = 64: 0.79-0.89x), Conv1D T = 4096, C = O = 256, J = 4 0.89x
// (KC = 64: 1.00x).
const aRowsOuterKC = 128

// aKContiguous reports whether the operand that the template packs as A
// reads memory contiguously along the reduction variable k: m.A, or m.B
// when the lowering transposes the product so that the vectors run along
// C's unit stride; for a plain operand its stride along k is 1, for a
// general one it reads a tensor whose last subscript is k itself.
func aKContiguous(m *Matmul) bool {
	o, kStride := m.A, m.A.Col
	if !m.CCol.IsUnit() && m.CRow.IsUnit() {
		o, kStride = m.B, m.B.Row
	}
	if o.Plain() {
		return kStride.IsUnit()
	}
	found := false
	ir.Walk(o.Expr, func(e ir.Expr) bool {
		if r, ok := e.(*ir.Read); ok && len(r.Subs) > 0 {
			if ix, ok := r.Subs[len(r.Subs)-1].(*ir.Index); ok && ix.Var == m.K {
				found = true
			}
		}
		return !found
	})
	return found
}

// checkPlan reports whether b can be used for accumulator acc on t.
func checkPlan(b Blocking, t loop.Target, acc ir.DType) error {
	regs := t.VectorRegs
	if t.VectorBits == 0 || b.Lanes == 1 {
		regs = 0 // the scalar tile lives in the Go compiler's registers
	}
	if err := b.Validate(regs); err != nil {
		return err
	}
	if b.Lanes != 1 && b.Lanes != t.Lanes(acc.Bits) {
		return fmt.Errorf("gemm plan: %d lanes of %v, target %s has %d", b.Lanes, acc, t.Name, t.Lanes(acc.Bits))
	}
	return nil
}

// Choose returns the blocking for accumulator type acc on target t.
//
// Register tile. An FMA unit with latency 4 cycles and two ports needs at least 8
// independent accumulators in flight; beyond that each k step must load NV
// vectors of packed B and broadcast MR scalars of packed A, so a taller tile
// amortises the loads better. With 32 vector registers (AVX-512) the tile is
// 12 x 2 vectors: 24 accumulators + 2 B vectors + 1 broadcast = 27 registers,
// leaving room for the backend's temporaries, and 24 FMAs per 14 loads. With 16
// registers (AVX2) it is 6 x 2 vectors: 12 accumulators + 2 + 1 = 15.
//
// The portable Go target keeps the accumulators in scalar locals, which the Go
// compiler holds in float registers only while no more than about 13 values are
// live: on amd64 (16 X registers) a 4 x 4 tile (16 accumulators + 4 B + 1 A) spills
// 32 values per k step and ran at 6.7 GFLOP/s in a measured hot-cache kernel, while
// the 3 x 3 tile (9 + 3 + 1 = 13 registers, no spills) ran at 8.3 GFLOP/s. A 4 x 3
// or 3 x 4 tile with one A value live at a time (12 + 3 + 1 registers) does not
// help in Go: the Go compiler schedules each basic block by its own rules, which
// put every multiply of a block before its adds, so each product needs a register
// of its own until its add; the 3 x 3 tile's row of 3 products fits (9 + 3 + 3),
// a 4 x 3 or 3 x 4 tile spills (4.6 GFLOP/s against 5.3 for 3 x 3 in the same
// hot-cache test without bounds checks). Unrolling the k loop by 2 or 4 was
// measured neutral to slower in the whole GEMM and is not done. With 32 float
// registers (arm64) the scalar tile is 4 x 4.
//
// Cache blocks. KC makes the KC x NR sliver of packed B fill half of L1 (the A
// sliver streams through the other half); MC makes the MC x KC block of A fill half
// of L2; NC makes the KC x NC panel of B fill half of L3.
func Choose(t loop.Target, acc ir.DType) Blocking {
	esize := acc.Bits / 8
	if esize <= 0 {
		esize = 4
	}
	b := Blocking{Lanes: t.Lanes(acc.Bits), MaxGroups: defaultMaxGroups, NCSplit: defaultNCSplit,
		DirectMaxM: defaultDirectMaxM, DirectMaxB: defaultDirectMaxB, DirectAllB: defaultDirectAllB, SplitMinWork: defaultSplitMinWork,
		GEMVRows: defaultGEMVRows, GEMVCols: defaultGEMVCols, DotBlock: defaultDotBlock, VNNI: t.VNNI,
		ARows: true, BInLoop: true, AInLoop: true, PrefetchC: defaultPrefetchC}
	if t.VectorRegs < 32 {
		b.GEMVRows /= 2
	}
	if b.Lanes < 1 {
		b.Lanes = 1
	}
	if b.Lanes > 1 {
		b.PrefetchB = defaultPrefetchB
		b.DirectA = defaultDirectA
	}
	switch {
	case b.Lanes == 1 && t.VectorRegs >= 32:
		b.MR, b.NR = 4, 4
	case b.Lanes == 1:
		b.MR, b.NR = 3, 3
	case t.VectorRegs >= 32:
		b.MR, b.NR = 12, 2*b.Lanes
	default:
		b.MR, b.NR = 6, 2*b.Lanes
	}
	if b.Lanes > 1 {
		// NC blocks of at least 4 slivers. Measured on an AVX-512 Xeon, one
		// thread, against 8 blocks of N/8: 256^3 0.95x the time, 512^3
		// 0.99x, T[k,l] = sum(i,j: A[i,j,k] B[j,i,l]) at 128^4 (rows of B
		// 64 KiB apart) 0.85x.
		b.NCMin = 4 * b.NR
	}
	if b.Lanes > 1 && b.MR >= 8 {
		b.MRTail = b.MR / 3 // 4 rows x NR: still 2*NR/Lanes independent FMA chains
	}
	l1, l2, l3 := t.L1, t.L2, t.L3
	if l1 <= 0 {
		l1 = 32 << 10
	}
	if l2 <= 0 {
		l2 = 1 << 20
	}
	if l3 <= 0 {
		l3 = 8 << 20
	}
	b.KC = clamp(l1/2/(b.NR*esize)/8*8, 16, 512)
	b.MC = clamp(l2/2/(b.KC*esize)/b.MR*b.MR, b.MR, 1024/b.MR*b.MR)
	b.NC = clamp(l3/2/(b.KC*esize)/b.NR*b.NR, b.NR, 4096/b.NR*b.NR)
	if b.Lanes > 1 && t.VectorRegs >= 32 {
		// AVX-512 (measured on a Zen 4 core with 32 KiB L1D and 1 MiB L2, and
		// sized for a 48 KiB L1D / 2 MiB L2 core): a deeper KC amortises the
		// tile's C update and loop setup, and the 12 x 32 tile keeps the FMA
		// ports busy even when the B sliver (KC x NR) is served from L2, so KC
		// fills all of a 48 KiB L1 (384 for 4-byte elements: 85% -> 88% of the
		// FMA peak at 1024^3 compared with 192); MC keeps the MC x KC block of
		// A within a quarter of a 2 MiB L2 (480 rows).
		b.KC = clamp(l1/(b.NR*esize)/8*8, 16, 512)
		b.MC = clamp(l2/4/(b.KC*esize)/b.MR*b.MR, b.MR, 1024/b.MR*b.MR)
	}
	return b
}

func clamp(x, lo, hi int) int {
	if x < lo {
		return lo
	}
	if x > hi {
		return hi
	}
	return x
}
