package lower

import (
	"fmt"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
	"github.com/tensorcc/tcc/schedule/gemm"
)

// Row fusion.
//
// Consecutive statements whose outermost left-side index ranges over the same
// extent, and whose reads of each other's tensors all use that index as the
// plain first subscript, are computed in one leaf Func with one loop over the
// shared index (the row): for each row, every statement's remaining loops run
// in order. Row r of a consumer then needs only row r of its producers, which
// was computed just before and is still in cache.
//
// An intermediate that only statements of its group read is row-local:
//
//   - of rank 1 and a compute type, it becomes a scalar local of the Func,
//     assigned once per row (a row maximum or sum);
//   - otherwise it keeps a scratch buffer of only a few rows (slots): each
//     chunk of the row range writes and re-reads its rows in one slot of the
//     buffer instead of at their own row, so the intermediate never travels to
//     memory and the buffer the runtime zeroes per call is small. A serial
//     group has one slot; a parallel group runs over blocks of rows (at most
//     fusedBlocks of them) and a chunk of blocks uses the slot of its first
//     block, which no other chunk runs.

// fusedBlocks bounds the number of row blocks (and so slots) of a parallel
// fused group that has slotted intermediates.
const fusedBlocks = 64

// fusion is the result of the fusion analysis.
type fusion struct {
	units     [][]int              // statement indices, in order: one unit per Step
	rowLocal  map[*ir.Tensor]bool  // row-local intermediates of a fused group
	groupOf   map[int]int          // statement index -> unit index
	parallel  map[int]bool         // unit index -> its fused loop runs in parallel
	slotted   map[int][]*ir.Tensor // unit index -> its slotted intermediates
	localsOf  map[int][]*ir.Tensor // unit index -> its scalar row-local intermediates
	readersOf map[*ir.Tensor][]int // tensor -> statements reading it (inlining expanded)
}

// groupUnits groups the statements of l.k that are not inlined into the
// default plan's units: consecutive fusable statements that read each other
// row-wise form one unit, every other statement a unit of its own.
func (l *lowerer) groupUnits() [][]int {
	var units [][]int
	var cur []int
	flush := func() {
		if len(cur) > 0 {
			units = append(units, cur)
			cur = nil
		}
	}
	for i, s := range l.k.Stmts {
		if _, ok := l.inline[s.Target]; ok {
			continue
		}
		if !l.fusable(s) {
			flush()
			units = append(units, []int{i})
			continue
		}
		if len(cur) > 0 && l.rowWise(s, cur) {
			cur = append(cur, i)
			continue
		}
		flush()
		cur = []int{i}
	}
	flush()
	return units
}

// planFusion analyses the plan's units: units of more than one statement
// are fused, and their row-local intermediates found.
func (l *lowerer) planFusion() *fusion {
	k := l.k
	fu := &fusion{
		rowLocal:  map[*ir.Tensor]bool{},
		groupOf:   map[int]int{},
		parallel:  map[int]bool{},
		slotted:   map[int][]*ir.Tensor{},
		localsOf:  map[int][]*ir.Tensor{},
		readersOf: map[*ir.Tensor][]int{},
	}
	defIdx := map[*ir.Tensor]int{}
	for i, s := range k.Stmts {
		defIdx[s.Target] = i
		if _, ok := l.inline[s.Target]; ok {
			continue
		}
		seen := map[*ir.Tensor]bool{}
		l.eachRead(s.Value, nil, func(r *ir.Read, _ map[*ir.Var]*ir.Var) bool {
			if !seen[r.Tensor] {
				seen[r.Tensor] = true
				fu.readersOf[r.Tensor] = append(fu.readersOf[r.Tensor], i)
			}
			return true
		})
	}
	fu.units = l.planUnits()
	for u, idx := range fu.units {
		for _, i := range idx {
			fu.groupOf[i] = u
		}
		if len(idx) >= 2 && l.plan.Units[u].Parallel {
			fu.parallel[u] = true
		}
	}
	// Row-local intermediates.
	for u, idx := range fu.units {
		if len(idx) < 2 {
			continue
		}
		for _, i := range idx {
			t := k.Stmts[i].Target
			if t.Kind != ir.Temp || t.Rank() == 0 || t.Type.IsPacked() {
				continue
			}
			local := true
			for _, r := range fu.readersOf[t] {
				if g, ok := fu.groupOf[r]; !ok || g != u {
					local = false
				}
			}
			if !local {
				continue
			}
			fu.rowLocal[t] = true
			if t.Rank() == 1 && t.Type.Compute() == t.Type && t.Type.Class != ir.Bool {
				fu.localsOf[u] = append(fu.localsOf[u], t)
			} else {
				fu.slotted[u] = append(fu.slotted[u], t)
			}
		}
	}
	return fu
}

// fusable reports whether s may be part of a fused group at all.
func (l *lowerer) fusable(s *ir.Stmt) bool {
	if len(s.Index) == 0 || s.Target.Type.IsPacked() {
		return false // nothing to fuse over; chunks of a packed tensor could share a byte
	}
	if len(s.Target.Dims) == 0 || !l.eq.same(s.Index[0].Extent, s.Target.Dims[0]) {
		return false
	}
	if _, ok := gemm.Match(l.k, s); ok {
		return false // the GEMM template takes it
	}
	if len(s.Index) == 1 && l.t.VectorBits > 0 && l.vecStmt(s, s.Index[0]) {
		return false // vectorised along the row index on its own
	}
	return true
}

// rowWise reports whether s can join the group of statements cur: its row
// index has the same extent, and it reads every tensor cur defines at its own
// row index as the plain first subscript.
func (l *lowerer) rowWise(s *ir.Stmt, cur []int) bool {
	first := l.k.Stmts[cur[0]]
	row := s.Index[0]
	if !l.eq.same(row.Extent, first.Index[0].Extent) {
		return false
	}
	defined := map[*ir.Tensor]bool{}
	for _, i := range cur {
		defined[l.k.Stmts[i].Target] = true
	}
	return l.eachRead(s.Value, nil, func(r *ir.Read, ren map[*ir.Var]*ir.Var) bool {
		if !defined[r.Tensor] {
			return true
		}
		if len(r.Subs) == 0 || len(r.Subs) != len(r.Tensor.Dims) {
			return false
		}
		x, ok := r.Subs[0].(*ir.Index)
		return ok && resolve(x.Var, ren) == row && l.eq.same(row.Extent, r.Tensor.Dims[0])
	})
}

// eachRead calls fn for every tensor read in e with inlined intermediates
// expanded (ren maps an inlined statement's variables to the reader's); it
// stops and reports false as soon as fn does or an inlined read cannot be
// expanded.
func (l *lowerer) eachRead(e ir.Expr, ren map[*ir.Var]*ir.Var, fn func(*ir.Read, map[*ir.Var]*ir.Var) bool) bool {
	ok := true
	ir.Walk(e, func(x ir.Expr) bool {
		if !ok {
			return false
		}
		r, isRead := x.(*ir.Read)
		if !isRead {
			return true
		}
		if s, in := l.inline[r.Tensor]; in {
			m, good := inlineRen(s, r, ren)
			if !good || !l.eachRead(s.Value, m, fn) {
				ok = false
			}
			return false
		}
		if !fn(r, ren) {
			ok = false
		}
		return false
	})
	return ok
}

// rowElems returns the element count of one row of t (every dimension but the
// first).
func (l *lowerer) rowElems(t *ir.Tensor) (loop.Expr, error) {
	var n loop.Expr = loop.I64(1)
	for _, d := range t.Dims[1:] {
		de, err := l.dimExpr(d)
		if err != nil {
			return nil, fmt.Errorf("tensor %s: %w", t.Name, err)
		}
		n = loop.Mul(n, de)
	}
	return n, nil
}

// blockRows returns the rows per block of a parallel fused group over ext
// rows: ext/fusedBlocks + 1, so that there are at most fusedBlocks blocks.
func blockRows(ext loop.Expr) loop.Expr {
	return loop.Add(loop.Div(ext, loop.I64(fusedBlocks)), loop.I64(1))
}

// blockCount returns the number of blocks of a parallel fused group over ext
// rows: ceil(ext / blockRows(ext)).
func blockCount(ext loop.Expr) loop.Expr {
	br := blockRows(ext)
	return loop.Div(loop.Add(ext, loop.Sub(br, loop.I64(1))), br)
}

// slotCount returns the number of row slots of the slotted intermediates of
// unit u.
func (l *lowerer) slotCount(fu *fusion, u int) (loop.Expr, error) {
	if !fu.parallel[u] {
		return loop.I64(1), nil
	}
	ext, err := l.dimExpr(l.k.Stmts[fu.units[u][0]].Index[0].Extent)
	if err != nil {
		return nil, err
	}
	return blockCount(ext), nil
}

// lowerGroup lowers the fused statements idx (unit u) to one Step.
func (l *lowerer) lowerGroup(fu *fusion, u int) (*loop.Step, error) {
	idx := fu.units[u]
	stmts := make([]*ir.Stmt, len(idx))
	for j, i := range idx {
		stmts[j] = l.k.Stmts[i]
	}
	first := stmts[0]
	b := l.newFnb(fmt.Sprintf("s%d", idx[0]), &l.plan.Units[u])
	root := newLevel(1, nil)
	root.out = &b.f.Body
	b.levels = []*level{root}
	parallel := fu.parallel[u]
	slotted := len(fu.slotted[u]) > 0
	if parallel {
		b.f.Lo = &loop.Var{Name: b.name("lo"), T: loop.Int64}
		b.f.Hi = &loop.Var{Name: b.name("hi"), T: loop.Int64}
	}
	ext, err := l.dimExpr(first.Index[0].Extent)
	if err != nil {
		return nil, err
	}
	rv := b.loopVar(first.Index[0].Name)
	var rowLo, rowHi, slot loop.Expr
	switch {
	case parallel && slotted:
		// Chunks are ranges of blocks; rows [lo*br, min(hi*br, ext)).
		br := blockRows(ext)
		end := b.local("end", loop.Int64)
		b.f.Body = append(b.f.Body,
			&loop.Assign{Dst: end, Value: loop.Mul(loop.R(b.f.Hi), br)},
			&loop.If{Cond: loop.Cmp(ir.Gt, loop.R(end), ext), Then: []loop.Stmt{&loop.Assign{Dst: end, Value: ext}}})
		rowLo, rowHi, slot = loop.Mul(loop.R(b.f.Lo), br), loop.R(end), loop.R(b.f.Lo)
	case parallel:
		rowLo, rowHi = loop.R(b.f.Lo), loop.R(b.f.Hi)
	default:
		rowLo, rowHi, slot = loop.I64(0), ext, loop.I64(0)
	}
	for _, t := range fu.slotted[u] {
		b.slots[t] = slot
	}
	for _, t := range fu.localsOf[u] {
		b.rowLocals[t] = b.local(t.Name, loop.Scalar(t.Type))
	}
	// An output that a later statement of the group reads stays cached.
	readLater := map[*ir.Tensor]bool{}
	for j, s := range stmts {
		for _, r := range fu.readersOf[s.Target] {
			for _, i := range idx[j+1:] {
				if r == i {
					readLater[s.Target] = true
				}
			}
		}
	}
	rowBody := new([]loop.Stmt)
	for _, s := range stmts {
		n := len(s.Index)
		vec := false
		if b.unit.Vector && l.t.VectorBits > 0 && n > 1 {
			vec = l.vecStmt(s, s.Index[n-1])
		}
		exts, err := l.extents(s)
		if err != nil {
			return nil, stmtError(s, err)
		}
		var stream *loop.Var
		if vec && b.unit.Stream && !readLater[s.Target] && l.bufs[s.Target] != nil {
			if cond := l.streamCond(s, l.bufs[s.Target], exts[n-1]); cond != nil {
				stream = b.local("stream", loop.Bool)
				b.f.Body = append(b.f.Body, &loop.Assign{Dst: stream, Value: cond})
			}
		}
		lvl := newLevel(1, nil, s.Index[0])
		lvl.out = rowBody
		b.bind[s.Index[0]] = binding{x: loop.R(rv)}
		b.push(lvl)
		inner, err := b.stmtLoops(s, 1, vec, exts, nil, nil, stream)
		b.pop()
		delete(b.bind, s.Index[0])
		if err != nil {
			return nil, stmtError(s, err)
		}
		*rowBody = append(*rowBody, inner...)
	}
	b.f.Body = append(b.f.Body, &loop.For{Var: rv, Lo: rowLo, Hi: rowHi, Step: 1, Body: *rowBody})
	if b.vector {
		b.f.VectorBits = l.t.VectorBits
		b.f.Target = l.t.Name
	}
	step := &loop.Step{Func: b.f, ChunkWork: b.unit.ChunkWork}
	var work loop.Expr = loop.I64(0)
	for _, s := range stmts {
		w, _, _, err := l.work(s)
		if err != nil {
			return nil, err
		}
		work = loop.Add(work, w)
	}
	step.Work = work
	if parallel {
		step.Parallel = true
		step.Extent = ext
		step.Grain = 1
		if slotted {
			step.Extent = blockCount(ext)
		} else {
			step.Grain = max(b.unit.Grain, 1)
		}
	}
	return step, nil
}
