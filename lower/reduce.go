package lower

import (
	"fmt"
	"math"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// goUnroll is the number of independent accumulators used for long reductions on
// scalar targets.
const goUnroll = 4

// reduce lowers a reduction: its code is hoisted to the innermost level that
// defines one of its free variables, and the result is a reference to a local.
func (b *fnb) reduce(e *ir.Reduce) (loop.Expr, error) {
	if len(e.Vars) == 0 {
		return nil, fmt.Errorf("reduction without variables")
	}
	own := map[*ir.Var]bool{}
	for _, v := range e.Vars {
		own[v] = true
	}
	lvl := 0
	ir.Walk(e, func(x ir.Expr) bool {
		ix, ok := x.(*ir.Index)
		if !ok || own[ix.Var] {
			return true
		}
		if bd, ok := b.bind[ix.Var]; ok && bd.val {
			lvl = len(b.levels) - 1
			return true
		}
		if n := b.levelOf(ix.Var); n > lvl {
			lvl = n
		}
		return true
	})
	L := b.levels[lvl]
	if r, ok := L.memo[e]; ok {
		return r, nil
	}
	saved := b.levels
	b.levels = b.levels[: lvl+1 : lvl+1]
	code, res, err := b.reduceCode(e)
	b.levels = saved
	if err != nil {
		return nil, err
	}
	*L.out = append(*L.out, code...)
	L.memo[e] = res
	return res, nil
}

// levelOf returns the index of the level defining v (the innermost one when
// several do), or the top level when v belongs to no level.
func (b *fnb) levelOf(v *ir.Var) int {
	for i := len(b.levels) - 1; i >= 0; i-- {
		for _, w := range b.levels[i].vars {
			if w == v {
				return i
			}
		}
	}
	return len(b.levels) - 1
}

// identity returns the identity of op for type t.
func identity(op ir.ReduceOp, t loop.Type) (*loop.Const, error) {
	c := &loop.Const{T: t}
	if t.Elem.IsFloat() {
		switch op {
		case ir.RSum:
		case ir.RProd:
			c.Float = 1
		case ir.RMax:
			c.Float = math.Inf(-1)
		case ir.RMin:
			c.Float = math.Inf(1)
		}
		return c, nil
	}
	if !t.Elem.IsInteger() {
		return nil, fmt.Errorf("reduction over %v", t.Elem)
	}
	bits := t.Elem.Bits
	switch op {
	case ir.RSum:
	case ir.RProd:
		c.Int = 1
	case ir.RMax:
		if t.Elem.IsSigned() {
			c.Int = -1 << (bits - 1)
		}
	case ir.RMin:
		if t.Elem.IsSigned() {
			c.Int = 1<<(bits-1) - 1
		} else {
			c.Int = int64(uint64(1)<<bits - 1)
		}
	}
	return c, nil
}

// combine returns acc op x, widening x to acc's lanes.
func (b *fnb) combine(op ir.ReduceOp, acc, x loop.Expr) loop.Expr {
	t := acc.Type()
	x = b.widen(x, t.Lanes)
	switch op {
	case ir.RSum:
		return b.add(acc, x)
	case ir.RProd:
		return &loop.Bin{Op: ir.Mul, X: acc, Y: x, T: t}
	case ir.RMax:
		return &loop.Call{Fn: loop.Fn(ir.Max), Args: []loop.Expr{acc, x}, T: t}
	default:
		return &loop.Call{Fn: loop.Fn(ir.Min), Args: []loop.Expr{acc, x}, T: t}
	}
}

// reduceCode builds the code computing e with the current top level as the
// enclosing level; it returns the statements and the result expression.
func (b *fnb) reduceCode(e *ir.Reduce) ([]loop.Stmt, loop.Expr, error) {
	parent := b.top()
	inner := e.Vars[len(e.Vars)-1]
	if parent.lanes == 1 && b.l.t.VectorBits > 0 {
		if n := b.l.vecLanes(e.Body); n > 1 && b.l.vecOK(e.Body, inner, nil) &&
			(e.Where == nil || !mentionsVar(e.Where, inner, nil)) {
			return b.vecReduce(e, n)
		}
	}
	unroll := 1
	if parent.lanes == 1 && b.l.t.VectorBits == 0 && e.Op != ir.RProd {
		if n, ok := constValue(inner.Extent); !ok || n >= 4*goUnroll {
			unroll = goUnroll
		}
	}
	t := vt(e.T, parent.lanes)
	id, err := identity(e.Op, t)
	if err != nil {
		return nil, nil, err
	}
	accs := make([]*loop.Var, unroll)
	var code []loop.Stmt
	for i := range accs {
		accs[i] = b.local("acc", t)
		code = append(code, &loop.Assign{Dst: accs[i], Value: id})
	}
	// accumulate emits acc_i = acc_i op body at the top level.
	accumulate := func(acc *loop.Var) error {
		body, err := b.expr(e.Body)
		if err != nil {
			return err
		}
		var st loop.Stmt = &loop.Assign{Dst: acc, Value: b.combine(e.Op, loop.R(acc), body)}
		if e.Where != nil {
			c, err := b.index(e.Where)
			if err != nil {
				return err
			}
			st = &loop.If{Cond: c, Then: []loop.Stmt{st}}
		}
		*b.top().out = append(*b.top().out, st)
		return nil
	}
	loops, err := b.nest(e.Vars[:len(e.Vars)-1], parent, func() ([]loop.Stmt, error) {
		ext, err := b.l.dimExpr(inner.Extent)
		if err != nil {
			return nil, err
		}
		if unroll == 1 {
			return b.simpleLoop(inner, loop.I64(0), ext, 1, parent.lanes, parent.count, false, func() error {
				return accumulate(accs[0])
			})
		}
		rv := b.loopVar(inner.Name)
		body := new([]loop.Stmt)
		for u := 0; u < unroll; u++ {
			lv := newLevel(1, nil, inner)
			lv.out = body
			b.bind[inner] = binding{x: loop.Add(loop.R(rv), loop.I64(int64(u)))}
			b.push(lv)
			err := accumulate(accs[u])
			b.pop()
			if err != nil {
				return nil, err
			}
		}
		delete(b.bind, inner)
		main := &loop.For{Var: rv, Lo: loop.I64(0), Hi: loop.Sub(ext, loop.I64(int64(unroll-1))), Step: int64(unroll), Body: *body}
		tail, err := b.simpleLoop(inner, loop.Mul(loop.Div(ext, loop.I64(int64(unroll))), loop.I64(int64(unroll))),
			ext, 1, 1, nil, false, func() error { return accumulate(accs[0]) })
		if err != nil {
			return nil, err
		}
		return append([]loop.Stmt{main}, tail...), nil
	})
	if err != nil {
		return nil, nil, err
	}
	code = append(code, loops...)
	if unroll == 1 {
		return code, loop.R(accs[0]), nil
	}
	// Pairwise combination of the accumulators.
	res := b.local("red", t)
	var x loop.Expr = loop.R(accs[0])
	for _, a := range accs[1:] {
		x = b.combine(e.Op, x, loop.R(a))
	}
	code = append(code, &loop.Assign{Dst: res, Value: x})
	return code, loop.R(res), nil
}

// vecReduce builds a reduction vectorised along its innermost variable with n
// lanes, with a masked (Count) tail when the body gives zero on masked-off lanes
// and a scalar tail otherwise.
func (b *fnb) vecReduce(e *ir.Reduce, n int) ([]loop.Stmt, loop.Expr, error) {
	parent := b.top()
	inner := e.Vars[len(e.Vars)-1]
	st := loop.Scalar(e.T)
	vtp := vt(e.T, n)
	vid, err := identity(e.Op, vtp)
	if err != nil {
		return nil, nil, err
	}
	sid, _ := identity(e.Op, st)
	vacc := b.local("vacc", vtp)
	code := []loop.Stmt{&loop.Assign{Dst: vacc, Value: vid}}
	b.vector = true
	maskedTail := e.Op == ir.RSum && b.l.zeroPreserving(e.Body, inner, nil)
	var sacc *loop.Var
	if !maskedTail {
		sacc = b.local("acc", st)
		code = append(code, &loop.Assign{Dst: sacc, Value: sid})
	}
	accumulate := func(acc *loop.Var) error {
		body, err := b.expr(e.Body)
		if err != nil {
			return err
		}
		var s loop.Stmt = &loop.Assign{Dst: acc, Value: b.combine(e.Op, loop.R(acc), body)}
		if e.Where != nil {
			c, err := b.index(e.Where)
			if err != nil {
				return err
			}
			s = &loop.If{Cond: c, Then: []loop.Stmt{s}}
		}
		*b.top().out = append(*b.top().out, s)
		return nil
	}
	loops, err := b.nest(e.Vars[:len(e.Vars)-1], parent, func() ([]loop.Stmt, error) {
		ext, err := b.l.dimExpr(inner.Extent)
		if err != nil {
			return nil, err
		}
		main, err := b.simpleLoop(inner, loop.I64(0), loop.Sub(ext, loop.I64(int64(n-1))), n, n, nil, true,
			func() error { return accumulate(vacc) })
		if err != nil {
			return nil, err
		}
		start := loop.Mul(loop.Div(ext, loop.I64(int64(n))), loop.I64(int64(n)))
		var tail []loop.Stmt
		if maskedTail {
			tail, err = b.tailLoop(inner, start, ext, n, func() error { return accumulate(vacc) })
		} else {
			tail, err = b.simpleLoop(inner, start, ext, 1, 1, nil, false, func() error { return accumulate(sacc) })
		}
		if err != nil {
			return nil, err
		}
		return append(main, tail...), nil
	})
	if err != nil {
		return nil, nil, err
	}
	code = append(code, loops...)
	res := b.local("red", st)
	var x loop.Expr = &loop.HReduce{Op: e.Op, X: loop.R(vacc), T: st}
	if sacc != nil {
		x = b.combine(e.Op, x, loop.R(sacc))
	}
	code = append(code, &loop.Assign{Dst: res, Value: x})
	return code, loop.R(res), nil
}

// nest builds loops over vars (outermost first), each a level inheriting parent's
// lanes and count, and calls inner inside the innermost one; inner returns the
// statements to place there after any hoisted code.
func (b *fnb) nest(vars []*ir.Var, parent *level, inner func() ([]loop.Stmt, error)) ([]loop.Stmt, error) {
	if len(vars) == 0 {
		return inner()
	}
	v := vars[0]
	ext, err := b.l.dimExpr(v.Extent)
	if err != nil {
		return nil, err
	}
	lv := b.loopVar(v.Name)
	level := newLevel(parent.lanes, parent.count, v)
	b.bind[v] = binding{x: loop.R(lv)}
	b.push(level)
	rest, err := b.nest(vars[1:], level, inner)
	b.pop()
	delete(b.bind, v)
	if err != nil {
		return nil, err
	}
	body := append(*level.out, rest...)
	return []loop.Stmt{&loop.For{Var: lv, Lo: loop.I64(0), Hi: ext, Step: 1, Body: body}}, nil
}

// simpleLoop builds for v = lo; v < hi; v += step with v bound as a lane variable
// when vec; the level has lanes lanes and count count; emit fills the body.
func (b *fnb) simpleLoop(v *ir.Var, lo, hi loop.Expr, step, lanes int, count loop.Expr, vec bool, emit func() error) ([]loop.Stmt, error) {
	lv := b.loopVar(v.Name)
	level := newLevel(lanes, count, v)
	b.bind[v] = binding{x: loop.R(lv), vec: vec}
	b.push(level)
	err := emit()
	b.pop()
	delete(b.bind, v)
	if err != nil {
		return nil, err
	}
	return []loop.Stmt{&loop.For{Var: lv, Lo: lo, Hi: hi, Step: int64(step), Body: *level.out}}, nil
}

// tailLoop builds the masked tail: a loop running at most once from start, with
// Count = hi - v lanes in use.
func (b *fnb) tailLoop(v *ir.Var, start, hi loop.Expr, n int, emit func() error) ([]loop.Stmt, error) {
	lv := b.loopVar(v.Name)
	level := newLevel(n, loop.Sub(hi, loop.R(lv)), v)
	b.bind[v] = binding{x: loop.R(lv), vec: true}
	b.push(level)
	err := emit()
	b.pop()
	delete(b.bind, v)
	if err != nil {
		return nil, err
	}
	return []loop.Stmt{&loop.For{Var: lv, Lo: start, Hi: hi, Step: int64(n), Body: *level.out}}, nil
}
