package lower

import (
	"fmt"
	"slices"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
	"github.com/tensorcc/tcc/schedule"
	"github.com/tensorcc/tcc/schedule/gemm"
)

// Defaults of the plan's per-unit knobs.
const (
	// defaultAccumulators is the number of independent accumulators of a
	// long reduction (scalar on the portable target, vectors on vector
	// targets): enough to hide the latency of the add.
	defaultAccumulators = 4
	// defaultChunkWork is the least work (flops) of one chunk of a
	// parallel step, and minParallelWork the static work below which a
	// statement runs serially.
	defaultChunkWork = 1 << 16
	minParallelWork  = 1 << 15
	// chunkWork is the work per chunk from which a static grain is derived.
	chunkWork = 1 << 14
)

// DefaultPlan returns tcc's default schedule of k for target t as data:
// the intermediates worth inlining (chooseInlining), the statement groups
// worth fusing (planFusion), and per unit the heuristics' choices — the
// GEMM template's plan for a contraction (gemm.DefaultPlan). Lower(k, t,
// nil) lowers with it.
func DefaultPlan(k *ir.Kernel, t loop.Target) (*schedule.Plan, error) {
	l, err := newLowerer(k, t)
	if err != nil {
		return nil, err
	}
	return l.defaultPlan(), nil
}

// defaultPlan computes the default plan with l's analyses.
func (l *lowerer) defaultPlan() *schedule.Plan {
	k := l.k
	p := &schedule.Plan{Kernel: k.Name, Target: l.t.Name}
	l.chooseInlining()
	for _, t := range k.Temps {
		if _, ok := l.inline[t]; ok {
			p.Inline = append(p.Inline, t.Name)
		}
	}
	for _, idx := range l.groupUnits() {
		u := schedule.Unit{Stmts: idx, Vector: l.t.VectorBits > 0, Accumulators: defaultAccumulators, ChunkWork: defaultChunkWork, Stream: true}
		if len(idx) == 1 {
			s := k.Stmts[idx[0]]
			if m, ok := gemm.Match(k, s); ok {
				g := gemm.DefaultPlan(m, l.t)
				u.GEMM = &g
				u.Vector = g.Lanes > 1
			}
		}
		for _, i := range idx {
			u.Parallel = u.Parallel || u.GEMM != nil || l.parallelOK(k.Stmts[i])
		}
		u.Grain = l.defaultGrain(idx)
		p.Units = append(p.Units, u)
	}
	return p
}

// defaultGrain returns the least iterations of a chunk of the unit's
// parallel loop: enough for chunkWork flops when the work of one iteration
// is static.
func (l *lowerer) defaultGrain(idx []int) int {
	var perRow int64
	for _, i := range idx {
		_, _, perIter, err := l.work(l.k.Stmts[i])
		if err != nil || perIter < 0 {
			return 1
		}
		perRow += perIter
	}
	if perRow > 0 && perRow < chunkWork {
		return int((chunkWork + perRow - 1) / perRow)
	}
	return 1
}

// applyPlan checks plan against the kernel and makes it l's schedule: the
// inlined intermediates and the units. Whatever the plan asks must be
// possible (an intermediate read out of range cannot be inlined, a fused
// group must be row-wise, a packed output cannot be written in parallel
// chunks, a GEMM plan needs a contraction); a plan can always ask for less
// (no inlining, no fusion, scalar code, serial loops, no GEMM template).
func (l *lowerer) applyPlan(p *schedule.Plan) error {
	k := l.k
	temps := make([]string, len(k.Temps))
	for i, t := range k.Temps {
		temps[i] = t.Name
	}
	regs := l.t.VectorRegs
	if l.t.VectorBits == 0 {
		regs = 0
	}
	if err := p.Validate(len(k.Stmts), temps, regs); err != nil {
		return err
	}
	ok := l.inlinable()
	l.inline = map[*ir.Tensor]*ir.Stmt{}
	for _, t := range k.Temps {
		if !p.Inlined(t.Name) {
			continue
		}
		if !ok[t] {
			return fmt.Errorf("plan: intermediate %s cannot be inlined (it has a reduction, or a read of it may fall outside it, or a GEMM reads it in place)", t.Name)
		}
		l.inline[t] = l.defs[t]
	}
	covered := map[int]bool{}
	for _, u := range p.Units {
		for _, i := range u.Stmts {
			covered[i] = true
		}
	}
	for i, s := range k.Stmts {
		_, inl := l.inline[s.Target]
		if inl == covered[i] {
			return fmt.Errorf("plan: statement %d (defining %s) must be in exactly one unit unless it is inlined", i, s.Target.Name)
		}
	}
	for ui, u := range p.Units {
		if err := l.checkUnit(ui, u); err != nil {
			return err
		}
	}
	l.plan = p
	return nil
}

// checkUnit reports whether unit u (the ui-th) of a plan can be lowered.
func (l *lowerer) checkUnit(ui int, u schedule.Unit) error {
	k := l.k
	first := k.Stmts[u.Stmts[0]]
	if u.GEMM != nil {
		if _, ok := gemm.Match(k, first); !ok {
			return fmt.Errorf("plan: unit %d: statement %d is not a contraction for the GEMM template", ui, u.Stmts[0])
		}
		return nil
	}
	if len(u.Stmts) > 1 {
		for j, i := range u.Stmts {
			s := k.Stmts[i]
			if !l.fusable(s) || (j > 0 && !l.rowWise(s, u.Stmts[:j])) {
				return fmt.Errorf("plan: unit %d: statement %d cannot be fused with the ones before it", ui, i)
			}
		}
	}
	if u.Parallel {
		for _, i := range u.Stmts {
			if s := k.Stmts[i]; len(s.Index) == 0 || s.Target.Type.IsPacked() {
				return fmt.Errorf("plan: unit %d: statement %d cannot run in parallel chunks (a scalar, or a packed output whose chunks could share a byte)", ui, i)
			}
		}
	}
	return nil
}

// unitOf returns the plan's unit holding statement i.
func (l *lowerer) unitOf(i int) *schedule.Unit { return l.plan.Unit(i) }

// planUnits returns the plan's units as statement index lists.
func (l *lowerer) planUnits() [][]int {
	us := make([][]int, len(l.plan.Units))
	for i, u := range l.plan.Units {
		us[i] = slices.Clone(u.Stmts)
	}
	return us
}
