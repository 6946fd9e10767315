package lower

import (
	"fmt"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// wideAcc reports whether reduction e accumulates in f64 although its type is
// f32. SPEC section 7 bounds the error of f32 results of reductions of up to
// 2^20 terms by 1e-4 * (1 + max |exact|); an f32 accumulator breaks that bound
// as soon as the terms cancel (2^19 copies of 0.1 and of -0.1 sum to about
// 3e-4 in f32), while an f64 accumulator keeps the error near 2^20 * 2^-53
// times the partial sums. Sums and products of f32 values (and of f16, bf16
// and minifloats, which compute as f32) therefore accumulate in f64 and are
// rounded to f32 once at the end; max and min are exact and stay in f32. The
// GEMM schedule has its own accumulators and is not affected.
func wideAcc(e *ir.Reduce) bool {
	return e.T == ir.F32 && (e.Op == ir.RSum || e.Op == ir.RProd)
}

// accType returns the accumulator element type of reduction e.
func accType(e *ir.Reduce) ir.DType {
	if wideAcc(e) {
		return ir.F64
	}
	return e.T
}

// toF64 converts the f32 value x (scalar or vector) to f64.
func toF64(x loop.Expr) loop.Expr {
	t := x.Type()
	if t.Elem == ir.F64 {
		return x
	}
	if c, ok := x.(*loop.Const); ok && t.Elem.IsFloat() {
		cc := *c
		cc.T = vt(ir.F64, t.Lanes)
		return &cc
	}
	return &loop.Cast{X: x, T: vt(ir.F64, t.Lanes)}
}

// accBody lowers the body of reduction e in its accumulator type: unchanged
// for a reduction accumulating in its own type; for a wide (f64) one, a
// product of two f32 factors is formed from the factors converted to f64 (the
// product of two f32 values is exact in f64, and contracts to an f64 FMA with
// the accumulator), any other body is converted to f64 after it is computed.
func (b *fnb) accBody(e *ir.Reduce) (loop.Expr, error) {
	if !wideAcc(e) {
		return b.expr(e.Body)
	}
	if m, ok := e.Body.(*ir.Binary); ok && m.Op == ir.Mul && m.T == ir.F32 {
		x, err := b.expr(m.X)
		if err != nil {
			return nil, err
		}
		if isSquare(m) {
			// x*x: convert x once, into a local assigned before the update
			// (its reads are guarded, so computing it on a masked-out point
			// is harmless).
			x = toF64(x)
			sq := b.local("sq", x.Type())
			*b.top().out = append(*b.top().out, &loop.Assign{Dst: sq, Value: x})
			return &loop.Bin{Op: ir.Mul, X: loop.R(sq), Y: loop.R(sq), T: sq.T}, nil
		}
		y, err := b.expr(m.Y)
		if err != nil {
			return nil, err
		}
		n := lanesOf(x, y)
		x, y = toF64(b.widen(x, n)), toF64(b.widen(y, n))
		return &loop.Bin{Op: ir.Mul, X: x, Y: y, T: vt(ir.F64, n)}, nil
	}
	x, err := b.expr(e.Body)
	if err != nil {
		return nil, err
	}
	return toF64(x), nil
}

// isSquare reports whether m multiplies an expression by itself.
func isSquare(m *ir.Binary) bool { return ir.SameExpr(m.X, m.Y) }

// result returns the value of reduction e from its accumulated value x:
// rounded once to e's type when the accumulator is wider.
func result(e *ir.Reduce, x loop.Expr) loop.Expr {
	if t := x.Type(); t.Elem != e.T {
		return &loop.Cast{X: x, T: vt(e.T, t.Lanes)}
	}
	return x
}

// reduce lowers a reduction: its code is hoisted to the innermost level that
// defines one of its free variables, and the result is a reference to a local.
func (b *fnb) reduce(e *ir.Reduce) (loop.Expr, error) {
	if len(e.Vars) == 0 {
		return nil, fmt.Errorf("reduction without variables")
	}
	// The variables of e and of the reductions nested in it are bound
	// inside e's code: they are not free variables of e.
	own := map[*ir.Var]bool{}
	ir.Walk(e, func(x ir.Expr) bool {
		if r, ok := x.(*ir.Reduce); ok {
			for _, v := range r.Vars {
				own[v] = true
			}
		}
		return true
	})
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
	if !t.Elem.IsFloat() && !t.Elem.IsInteger() {
		return nil, fmt.Errorf("reduction over %v", t.Elem)
	}
	c := op.Identity(t.Elem)
	return &loop.Const{T: t, Int: c.Int, Float: c.Float}, nil
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

// accumulate emits acc = acc op body (under the condition where, if any: what
// remains of e's Where condition once its bounds are the loop's) at the top
// level: one step of reduction e into the accumulator acc.
func (b *fnb) accumulate(e *ir.Reduce, where ir.Expr, acc *loop.Var) error {
	body, err := b.accBody(e)
	if err != nil {
		return err
	}
	var st loop.Stmt = &loop.Assign{Dst: acc, Value: b.combine(e.Op, loop.R(acc), body)}
	if where != nil {
		c, err := b.index(where)
		if err != nil {
			return err
		}
		st = &loop.If{Cond: c, Then: []loop.Stmt{st}}
	}
	*b.top().out = append(*b.top().out, st)
	return nil
}

// reduceCode builds the code computing e with the current top level as the
// enclosing level; it returns the statements and the result expression.
func (b *fnb) reduceCode(e *ir.Reduce) ([]loop.Stmt, loop.Expr, error) {
	parent := b.top()
	inner := e.Vars[len(e.Vars)-1]
	wide := wideAcc(e)
	// Conjuncts of the mask that bound the innermost variable become the
	// range of its loop.
	var rng varRange
	where := e.Where
	if where != nil {
		rng, where = splitBounds(where, inner)
	}
	if parent.lanes == 1 && b.l.t.VectorBits > 0 && !b.scalarReduce {
		n := b.l.vecLanes(e.Body, inner)
		if w := b.l.t.VectorBits / 64; wide && n > w {
			n = w // f32 vectors of as many lanes as the f64 accumulator
		}
		if n > 1 && b.l.vecOK(e.Body, inner, nil) &&
			(where == nil || !mentionsVar(where, inner, nil)) {
			return b.vecReduce(e, n, where, rng)
		}
	}
	unroll := 1
	if acc := b.unit.Accumulators; parent.lanes == 1 && b.l.t.VectorBits == 0 && e.Op != ir.RProd && acc > 1 {
		if n, ok := constValue(inner.Extent); !ok || n >= 4*int64(acc) {
			unroll = acc
		}
	}
	t := vt(accType(e), parent.lanes)
	if wide && parent.lanes > 1 && parent.lanes*64 > b.l.t.VectorBits {
		// vecLanes counts such a reduction as 64 bits wide, so this is not
		// expected; the statement is then lowered without vectors.
		return nil, nil, fmt.Errorf("f64 accumulator of %d lanes exceeds the vector width: %w", parent.lanes, errNoVec)
	}
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
	accumulate := func(acc *loop.Var) error { return b.accumulate(e, where, acc) }
	loops, err := b.nest(e.Vars[:len(e.Vars)-1], parent, func() ([]loop.Stmt, error) {
		ext, err := b.l.dimExpr(inner.Extent)
		if err != nil {
			return nil, err
		}
		lo, hi := loop.Expr(loop.I64(0)), ext
		if !rng.empty() {
			if parent.lanes > 1 {
				// Bounds that vary by lane cannot be the loop's: test them.
				where = e.Where
			} else if lo, hi, err = b.loopRange(rng, ext); err != nil {
				return nil, err
			}
		}
		if unroll == 1 || !rng.empty() {
			return b.simpleLoop(inner, lo, hi, 1, parent.lanes, parent.count, false, func() error {
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
	if unroll == 1 && !wide {
		return code, loop.R(accs[0]), nil
	}
	// Combination of the accumulators, then one rounding to e's type.
	res := b.local("red", vt(e.T, parent.lanes))
	var x loop.Expr = loop.R(accs[0])
	for _, a := range accs[1:] {
		x = b.combine(e.Op, x, loop.R(a))
	}
	code = append(code, &loop.Assign{Dst: res, Value: result(e, x)})
	return code, loop.R(res), nil
}

// vecReduce builds a reduction vectorised along its innermost variable with n
// lanes: a main loop with the unit's independent vector accumulators (when the
// extent may be long), a loop of single vectors, and a masked (Count) tail when
// the body gives zero on masked-off lanes or a scalar tail otherwise. A wide
// (f64) reduction loads f32 vectors of n lanes and converts them to f64.
func (b *fnb) vecReduce(e *ir.Reduce, n int, where ir.Expr, rng varRange) ([]loop.Stmt, loop.Expr, error) {
	parent := b.top()
	inner := e.Vars[len(e.Vars)-1]
	at := accType(e)
	st := loop.Scalar(at)
	vtp := vt(at, n)
	vid, err := identity(e.Op, vtp)
	if err != nil {
		return nil, nil, err
	}
	sid, _ := identity(e.Op, st)
	unroll := max(b.unit.Accumulators, 1)
	if c, ok := constValue(inner.Extent); ok && c < int64(2*unroll*n) {
		unroll = 1
	}
	vaccs := make([]*loop.Var, unroll)
	var code []loop.Stmt
	for u := range vaccs {
		vaccs[u] = b.local("vacc", vtp)
		code = append(code, &loop.Assign{Dst: vaccs[u], Value: vid})
	}
	b.vector = true
	maskedTail := e.Op == ir.RSum && b.l.zeroPreserving(e.Body, inner, nil)
	var sacc *loop.Var
	if !maskedTail {
		sacc = b.local("acc", st)
		code = append(code, &loop.Assign{Dst: sacc, Value: sid})
	}
	accumulate := func(acc *loop.Var) error { return b.accumulate(e, where, acc) }
	loops, err := b.nest(e.Vars[:len(e.Vars)-1], parent, func() ([]loop.Stmt, error) {
		ext, err := b.l.dimExpr(inner.Extent)
		if err != nil {
			return nil, err
		}
		lo, hi, err := b.loopRange(rng, ext)
		if err != nil {
			return nil, err
		}
		var out []loop.Stmt
		if !rng.empty() {
			// The range as locals: [lo, hi) with hi >= lo.
			vlo, vhi := b.local("lo", loop.Int64), b.local("hi", loop.Int64)
			out = append(out, &loop.Assign{Dst: vlo, Value: lo}, &loop.Assign{Dst: vhi, Value: maxInt(lo, hi)})
			lo, hi = loop.R(vlo), loop.R(vhi)
		}
		// len is the trip count; the loops below start at lo.
		length := loop.Sub(hi, lo)
		start := lo
		if unroll > 1 {
			// for k = 0; k < ext-(U*n-1); k += U*n { vacc_u += body(k+u*n) }
			w := int64(unroll * n)
			rv := b.loopVar(inner.Name)
			body := new([]loop.Stmt)
			for u := 0; u < unroll; u++ {
				lv := newLevel(n, nil, inner)
				lv.out = body
				b.bind[inner] = binding{x: loop.Add(loop.R(rv), loop.I64(int64(u*n))), vec: true}
				b.push(lv)
				err := accumulate(vaccs[u])
				b.pop()
				if err != nil {
					delete(b.bind, inner)
					return nil, err
				}
			}
			delete(b.bind, inner)
			out = append(out, &loop.For{Var: rv, Lo: lo, Hi: loop.Sub(hi, loop.I64(w-1)), Step: w, Body: *body})
			start = loop.Add(lo, loop.Mul(loop.Div(length, loop.I64(w)), loop.I64(w)))
		}
		main, err := b.simpleLoop(inner, start, loop.Sub(hi, loop.I64(int64(n-1))), n, n, nil, true,
			func() error { return accumulate(vaccs[0]) })
		if err != nil {
			return nil, err
		}
		out = append(out, main...)
		start = loop.Add(lo, loop.Mul(loop.Div(length, loop.I64(int64(n))), loop.I64(int64(n))))
		var tail []loop.Stmt
		if maskedTail {
			tail, err = b.tailLoop(inner, start, hi, n, func() error { return accumulate(vaccs[0]) })
		} else {
			tail, err = b.simpleLoop(inner, start, hi, 1, 1, nil, false, func() error { return accumulate(sacc) })
		}
		if err != nil {
			return nil, err
		}
		return append(out, tail...), nil
	})
	if err != nil {
		return nil, nil, err
	}
	code = append(code, loops...)
	// Pairwise combination of the vector accumulators, a horizontal
	// reduction, the scalar tail, then one rounding to e's type.
	vx := make([]loop.Expr, len(vaccs))
	for u, a := range vaccs {
		vx[u] = loop.R(a)
	}
	for len(vx) > 1 {
		var next []loop.Expr
		for i := 0; i+1 < len(vx); i += 2 {
			next = append(next, b.combine(e.Op, vx[i], vx[i+1]))
		}
		if len(vx)%2 == 1 {
			next = append(next, vx[len(vx)-1])
		}
		vx = next
	}
	var x loop.Expr = &loop.HReduce{Op: e.Op, X: vx[0], T: st}
	if sacc != nil {
		x = b.combine(e.Op, x, loop.R(sacc))
	}
	res := b.local("red", loop.Scalar(e.T))
	code = append(code, &loop.Assign{Dst: res, Value: result(e, x)})
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
