package lower

import (
	"errors"
	"fmt"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
	"github.com/tensorcc/tcc/schedule"
)

// lowerStmt lowers one statement to a Step and its Func as unit u says:
// vectorised when u asks for vectors and the statement allows, in parallel
// when u asks for it.
func (l *lowerer) lowerStmt(s *ir.Stmt, name string, u *schedule.Unit) (*loop.Step, error) {
	vec := false
	if u.Vector && l.t.VectorBits > 0 && len(s.Index) > 0 {
		vec = l.vecStmt(s, s.Index[len(s.Index)-1])
	}
	b, err := l.stmtFunc(s, name, vec, u)
	if err != nil {
		return nil, err
	}
	if b.vector {
		b.f.VectorBits = l.t.VectorBits
		b.f.Target = l.t.Name
	}
	work, _, _, err := l.work(s)
	if err != nil {
		return nil, err
	}
	step := &loop.Step{Func: b.f, Work: work, ChunkWork: u.ChunkWork}
	if b.f.Lo != nil {
		step.Parallel = true
		step.Extent, err = l.dimExpr(s.Index[0].Extent)
		if err != nil {
			return nil, err
		}
		step.Grain = max(u.Grain, 1)
	}
	return step, nil
}

// stmtFunc builds the Func of s, vectorised along its last left-side index
// when vec. A construct found not to be vectorisable on the way (errNoVec)
// makes it start again with less: without that vector loop, then also with
// scalar reductions.
func (l *lowerer) stmtFunc(s *ir.Stmt, name string, vec bool, u *schedule.Unit) (*fnb, error) {
	attempts := []struct{ vec, scalarReduce bool }{{vec, !u.Vector}, {false, !u.Vector}, {false, true}}
	if !vec {
		attempts = attempts[1:]
	}
	var err error
	for _, a := range attempts {
		b := l.newFnb(name, u)
		b.scalarReduce = a.scalarReduce
		if err = b.stmt(s, a.vec); err == nil {
			return b, nil
		}
		if !errors.Is(err, errNoVec) {
			return nil, err
		}
	}
	return nil, err
}

// parallelOK reports whether the outermost left-side loop of s may run in
// parallel chunks.
func (l *lowerer) parallelOK(s *ir.Stmt) bool {
	if len(s.Index) == 0 || s.Target.Type.IsPacked() {
		return false // chunks of a packed tensor could share a byte
	}
	_, static, _, err := l.work(s)
	if err != nil {
		return false
	}
	return static < 0 || static >= minParallelWork
}

// stmt builds the Func body for s.
func (b *fnb) stmt(s *ir.Stmt, vec bool) error {
	l := b.l
	buf := l.bufs[s.Target]
	root := newLevel(1, nil)
	root.out = &b.f.Body
	b.levels = []*level{root}
	if s.Target.Kind == ir.Output && s.Target.Type.IsPacked() {
		// Clears the padding bits of the last byte, which the stores never touch.
		b.f.Body = append(b.f.Body, &loop.Memset{Buf: buf, Index: loop.I64(0), Len: buf.Len})
	}
	n := len(s.Index)
	if n == 0 {
		x, err := b.expr(s.Value)
		if err != nil {
			return err
		}
		*root.out = append(*root.out, &loop.Store{Buf: buf, Index: loop.I64(0), Value: x})
		return nil
	}
	parallel := b.unit.Parallel
	if parallel {
		b.f.Lo = &loop.Var{Name: b.name("lo"), T: loop.Int64}
		b.f.Hi = &loop.Var{Name: b.name("hi"), T: loop.Int64}
	}
	exts, err := l.extents(s)
	if err != nil {
		return err
	}
	var stream *loop.Var // the streaming-store flag of the vector main loop
	if vec && b.unit.Stream {
		if cond := l.streamCond(s, buf, exts[n-1]); cond != nil {
			stream = b.local("stream", loop.Bool)
			*root.out = append(*root.out, &loop.Assign{Dst: stream, Value: cond})
		}
	}
	lo, hi := loop.Expr(loop.I64(0)), exts[0]
	if parallel {
		lo, hi = loop.R(b.f.Lo), loop.R(b.f.Hi)
	}
	inner, err := b.stmtLoops(s, 0, vec, exts, lo, hi, stream)
	if err != nil {
		return err
	}
	*root.out = append(*root.out, inner...)
	return nil
}

// extents returns the extents of s's left-side indices as Int64 expressions.
func (l *lowerer) extents(s *ir.Stmt) ([]loop.Expr, error) {
	exts := make([]loop.Expr, len(s.Index))
	for i, v := range s.Index {
		e, err := l.dimExpr(v.Extent)
		if err != nil {
			return nil, err
		}
		exts[i] = e
	}
	return exts, nil
}

// stmtLoops builds the loop nest of s over its left-side indices from s.Index[k]
// on, the first k being already bound (k is 0 for a statement of its own and 1
// inside a fused row loop). The loop over s.Index[0], when built here, runs from
// lo0 to hi0. Code hoisted to the enclosing levels is appended to them; the
// returned statements go at the end of the current top level. stream, when not
// nil, is the streaming flag of the full-vector stores.
func (b *fnb) stmtLoops(s *ir.Stmt, k int, vec bool, exts []loop.Expr, lo0, hi0 loop.Expr, stream *loop.Var) ([]loop.Stmt, error) {
	l := b.l
	n := len(s.Index)
	buf := l.bufs[s.Target]
	local := b.rowLocals[s.Target]
	if buf == nil && local == nil {
		return nil, fmt.Errorf("statement target %s has no buffer", s.Target.Name)
	}
	// storeIndex is the linear index of the target at the left-side point.
	storeIndex := func() loop.Expr {
		var idx loop.Expr = loop.I64(0)
		for i, v := range s.Index {
			x := b.bind[v].x
			if slot, ok := b.slots[s.Target]; ok && i == 0 {
				x = slot
			}
			idx = loop.Add(loop.Mul(idx, exts[i]), x)
		}
		return idx
	}
	value := s.Value
	emit := func() error {
		x, err := b.expr(value)
		if err != nil {
			return err
		}
		top := b.top()
		if local != nil {
			if x.Type().Lanes != 1 {
				return fmt.Errorf("row value of %s is a vector", s.Target.Name)
			}
			*top.out = append(*top.out, &loop.Assign{Dst: local, Value: x})
			return nil
		}
		st := &loop.Store{Buf: buf, Index: storeIndex(), Value: b.widen(x, top.lanes)}
		if top.lanes > 1 {
			st.Count = top.count
			if top.count == nil && stream != nil {
				st.Stream = loop.R(stream)
			}
		}
		*top.out = append(*top.out, st)
		return nil
	}
	if k >= n {
		return nil, emit()
	}
	bounds := func(i int) (loop.Expr, loop.Expr) {
		if i == 0 {
			return lo0, hi0
		}
		return loop.I64(0), exts[i]
	}
	// Outer levels: every left-side variable from k but the last.
	type outer struct {
		lv    *loop.Var
		level *level
	}
	var outers []outer
	defer func() {
		for range outers {
			b.pop()
		}
		for _, v := range s.Index[k : n-1] {
			delete(b.bind, v)
		}
	}()
	for _, v := range s.Index[k : n-1] {
		o := outer{b.loopVar(v.Name), newLevel(1, nil, v)}
		outers = append(outers, o)
		b.bind[v] = binding{x: loop.R(o.lv)}
		b.push(o.level)
	}
	last := s.Index[n-1]
	lo, hi := bounds(n - 1)
	// lastLoops builds the loop over last from lo to hi computing val.
	lastLoops := func(lo, hi loop.Expr, val ir.Expr) ([]loop.Stmt, error) {
		value = val
		if !vec {
			return b.simpleLoop(last, lo, hi, 1, 1, nil, false, emit)
		}
		b.vector = true
		lanes := l.stmtLanes(s, val, last)
		out, err := b.simpleLoop(last, lo, loop.Sub(hi, loop.I64(int64(lanes-1))), lanes, lanes, nil, true, emit)
		if err != nil {
			return nil, err
		}
		// Start of the tail: lo + floor((hi-lo)/lanes)*lanes.
		start := loop.Add(lo, loop.Mul(loop.Div(loop.Sub(hi, lo), loop.I64(int64(lanes))), loop.I64(int64(lanes))))
		tail, err := b.tailLoop(last, start, hi, lanes, emit)
		return append(out, tail...), err
	}
	var inner []loop.Stmt
	var err error
	if sp, ok := l.selectSplit(s, last); ok {
		// select(c, a, b) with c an affine range of last: a inside the
		// range, b on either side of it, each a loop of its own (the masked
		// triangle of causal attention costs only its zero stores).
		clo, chi, rerr := b.loopRange(sp.rng, hi)
		if rerr != nil {
			return nil, rerr
		}
		vlo, vhi := b.local("lo", loop.Int64), b.local("hi", loop.Int64)
		top := b.top()
		*top.out = append(*top.out, &loop.Assign{Dst: vlo, Value: maxInt(lo, minInt(clo, hi))},
			&loop.Assign{Dst: vhi, Value: maxInt(loop.R(vlo), minInt(chi, hi))})
		for _, r := range []struct {
			lo, hi loop.Expr
			val    ir.Expr
		}{{lo, loop.R(vlo), sp.b}, {loop.R(vlo), loop.R(vhi), sp.a}, {loop.R(vhi), hi, sp.b}} {
			part, perr := lastLoops(r.lo, r.hi, r.val)
			if perr != nil {
				return nil, perr
			}
			inner = append(inner, part...)
		}
	} else {
		inner, err = lastLoops(lo, hi, s.Value)
	}
	if err != nil {
		return nil, err
	}
	// Wrap the outer levels, innermost first.
	for j := len(outers) - 1; j >= 0; j-- {
		o := outers[j]
		body := append(*o.level.out, inner...)
		lo, hi := bounds(k + j)
		inner = []loop.Stmt{&loop.For{Var: o.lv, Lo: lo, Hi: hi, Step: 1, Body: body}}
	}
	return inner, nil
}

// split describes select(c, a, b) with c an affine range of a variable.
type split struct {
	rng  varRange
	a, b ir.Expr
}

// selectSplit recognises a statement whose value is select(c, a, b), or a
// cast of one, with c a conjunction of affine bounds on v (t <= s): its loop
// over v splits into the range where c holds (a) and the rest (b).
func (l *lowerer) selectSplit(s *ir.Stmt, v *ir.Var) (split, bool) {
	e := s.Value
	var cast *ir.Cast
	if c, ok := e.(*ir.Cast); ok {
		cast, e = c, c.X
	}
	sel, ok := e.(*ir.Select)
	if !ok || !mentionsVar(sel.Cond, v, nil) {
		return split{}, false
	}
	rng, rest := splitBounds(sel.Cond, v)
	if rest != nil || rng.empty() {
		return split{}, false
	}
	sp := split{rng: rng, a: sel.A, b: sel.B}
	if cast != nil {
		sp.a = &ir.Cast{Pos: cast.Pos, X: sel.A, To: cast.To}
		sp.b = &ir.Cast{Pos: cast.Pos, X: sel.B, To: cast.To}
	}
	return sp, true
}

// vecStmt reports whether statement s vectorises along v: its value, or
// both branches of a select split along v.
func (l *lowerer) vecStmt(s *ir.Stmt, v *ir.Var) bool {
	if sp, ok := l.selectSplit(s, v); ok {
		return l.stmtLanes(s, sp.a, v) > 1 && l.vecOK(sp.a, v, nil) && l.vecOK(sp.b, v, nil)
	}
	return l.stmtLanes(s, s.Value, v) > 1 && l.vecOK(s.Value, v, nil)
}

// stmtLanes is the vector width of statement s computing val along v: the
// lanes of the value, at most the vectors of the target's element type.
func (l *lowerer) stmtLanes(s *ir.Stmt, val ir.Expr, v *ir.Var) int {
	lanes := l.vecLanes(val, v)
	if w := l.t.VectorBits / s.Target.Type.Bits; s.Target.Type.Bits > 0 && w < lanes {
		lanes = w
	}
	return lanes
}

// work estimates the flops of s as an expression over sizes; static is its value
// when every extent is constant (-1 otherwise) and perIter the static work of one
// iteration of the outermost loop (-1 when not static).
func (l *lowerer) work(s *ir.Stmt) (work loop.Expr, static, perIter int64, err error) {
	cost, cstatic, err := l.cost(s.Value)
	if err != nil {
		return nil, 0, 0, err
	}
	work, static = cost, cstatic
	perIter = cstatic
	for i, v := range s.Index {
		d, err := l.dimExpr(v.Extent)
		if err != nil {
			return nil, 0, 0, err
		}
		work = loop.Mul(work, d)
		n, ok := constValue(v.Extent)
		if !ok || static < 0 {
			static = -1
		} else {
			static *= n
		}
		if i > 0 {
			if !ok || perIter < 0 {
				perIter = -1
			} else {
				perIter *= n
			}
		}
	}
	return work, static, perIter, nil
}

// cost estimates the work of one evaluation of e, its flops plus its
// reads (ir.CountWork, inlined intermediates counted where they are read),
// as an expression over sizes and, when every extent is constant, as a
// number (-1 otherwise).
func (l *lowerer) cost(e ir.Expr) (loop.Expr, int64, error) {
	inline := func(r *ir.Read) ir.Expr {
		if s, ok := l.inline[r.Tensor]; ok {
			return s.Value
		}
		return nil
	}
	w, err := ir.CountWork[symCost](e, costArith{l}, inline)
	if err != nil {
		return nil, 0, err
	}
	c := costArith{l}.Add(w.Flops, w.Reads)
	return c.e, c.st, nil
}

// symCost is a count as an expression over sizes and, when static, a
// number (st -1 when not).
type symCost struct {
	e  loop.Expr
	st int64
}

// costArith counts symCost values for the lowerer's kernel.
type costArith struct{ l *lowerer }

func (costArith) Int(n int64) symCost { return symCost{loop.I64(n), n} }

func (costArith) Add(a, b symCost) symCost {
	st := a.st + b.st
	if a.st < 0 || b.st < 0 {
		st = -1
	}
	return symCost{loop.Add(a.e, b.e), st}
}

func (costArith) Mul(a, b symCost) symCost {
	st := a.st * b.st
	if a.st < 0 || b.st < 0 {
		st = -1
	}
	return symCost{loop.Mul(a.e, b.e), st}
}

func (c costArith) Extent(v *ir.Var) (symCost, error) {
	d, err := c.l.dimExpr(v.Extent)
	if err != nil {
		return symCost{}, err
	}
	n, ok := constValue(v.Extent)
	if !ok {
		n = -1
	}
	return symCost{d, n}, nil
}

// Streaming stores. A non-temporal store writes a whole cache line without
// reading it first (no read-for-ownership), which saves a third of the memory
// traffic of an elementwise kernel, but leaves the data out of the caches. So
// the schedule asks for it only where the output could not stay cached for its
// consumer anyway: a kernel output, written exactly once and contiguously (the
// left-side loop nest walks it in row-major order), by the full vectors of the
// main loop, when its size exceeds half the last-level cache.
const (
	// streamMinRowBytes is the row length from which rows that are not a
	// whole number of vectors still stream: the partial lines at the ends of a
	// row (written by normal tail stores) are then a small fraction.
	streamMinRowBytes = 2048
)

// streamThreshold returns the output size in bytes above which stores stream,
// or 0 when the target has no cache sizes.
func streamThreshold(t loop.Target) int64 {
	switch {
	case t.L3 > 0:
		return int64(t.L3 / 2)
	case t.L2 > 0:
		return int64(t.L2)
	}
	return 0
}

// streamCond returns the run-time condition under which the full-vector
// stores of s into buf may stream, or nil when they never should. row is the
// extent of the last left-side index.
func (l *lowerer) streamCond(s *ir.Stmt, buf *loop.Buf, row loop.Expr) loop.Expr {
	thr := streamThreshold(l.t)
	t := s.Target.Type
	if thr == 0 || s.Target.Kind != ir.Output || t.IsPacked() || t.Bits%8 != 0 || buf.Kind != loop.OutputBuf {
		return nil
	}
	lanes := l.vecLanes(s.Value, s.Index[len(s.Index)-1])
	if w := l.t.VectorBits / t.Bits; w < lanes {
		lanes = w
	}
	if lanes*t.Bits < 128 {
		return nil // narrow vectors have no non-temporal store
	}
	es := int64(t.Bits / 8)
	big := loop.Cmp(ir.Gt, loop.Mul(buf.Len, loop.I64(es)), loop.I64(thr))
	whole := loop.Cmp(ir.Eq, &loop.Bin{Op: ir.Mod, X: row, Y: loop.I64(int64(lanes)), T: loop.Int64}, loop.I64(0))
	long := loop.Cmp(ir.Ge, loop.Mul(row, loop.I64(es)), loop.I64(streamMinRowBytes))
	return loop.And(big, &loop.Bin{Op: ir.Or, X: whole, Y: long, T: loop.Bool})
}
