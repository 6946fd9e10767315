package loop

import (
	"fmt"

	"github.com/tensorcc/tcc/ir"
)

// ReduceDivMod is strength reduction of the integer floor divisions and
// remainders that a loop computes from its own variable: in a loop
// `for i = lo; i < hi; i += 1`, every (i + c) / d and (i + c) % d with c
// and d invariant in the loop (the row index of a flattened (h, w) group,
// m / W and m % W, in an im2col pack) becomes a quotient and a remainder
// kept in two locals: computed once before the loop by the original
// division and advanced at the end of every iteration by one compare
// (the remainder steps by one and wraps at d). The update follows the
// loop IR's semantics for every divisor: floor division for either sign,
// 0 for a zero divisor. Loops nested inside the loop see the values of
// the current iteration, so their uses are rewritten too.
func ReduceDivMod(f *Func) {
	r := &divReducer{f: f}
	f.Body = r.stmts(f.Body)
}

type divReducer struct {
	f *Func
	n int
}

func (r *divReducer) stmts(ss []Stmt) []Stmt {
	var out []Stmt
	for _, s := range ss {
		switch s := s.(type) {
		case *If:
			s.Then, s.Else = r.stmts(s.Then), r.stmts(s.Else)
		case *For:
			s.Body = r.stmts(s.Body)
			if s.Step == 1 {
				out = append(out, r.loop(s)...)
				continue
			}
		}
		out = append(out, s)
	}
	return out
}

// divPair is the quotient and remainder of one (i + c) by one divisor.
type divPair struct {
	q, r *Var
}

// loop returns the initialisation of l's reduced divisions followed by l,
// rewritten to use them and to advance them after its body.
func (r *divReducer) loop(l *For) []Stmt {
	assigned := assignedIn(l)
	pairs := map[string]*divPair{}
	var pre, post []Stmt
	MapStmtsTopDown(l.Body, func(e Expr) (Expr, bool) {
		b, ok := e.(*Bin)
		if !ok || b.Op != ir.Div && b.Op != ir.Mod || b.T != Int64 || !invariantIn(b.Y, assigned) {
			return e, false
		}
		c, ok := inductionOffset(b.X, l.Var, assigned)
		if !ok {
			return e, false
		}
		k := ExprString(c) + " | " + ExprString(b.Y)
		p := pairs[k]
		if p == nil {
			p = r.newPair(l, c, b.Y, &pre, &post)
			pairs[k] = p
		}
		if b.Op == ir.Div {
			return R(p.q), true
		}
		return R(p.r), true
	})
	if len(pairs) == 0 {
		return []Stmt{l}
	}
	l.Body = append(l.Body, post...)
	return append(pre, l)
}

// newPair declares the quotient and remainder of (i + c) by d, appends
// their initialisation at i = l.Lo to pre and their advance by one to
// post. For d > 0 the remainder wraps from d to 0 and the quotient steps
// up; for d < 0 (remainders in (d, 0]) it wraps from 1 to d + 1 and the
// quotient steps down; for d = 0 both stay 0.
func (r *divReducer) newPair(l *For, c, d Expr, pre, post *[]Stmt) *divPair {
	r.n++
	local := func(name string) *Var {
		v := NewVar(fmt.Sprintf("%s%d", name, r.n), Int64)
		r.f.Locals = append(r.f.Locals, v)
		return v
	}
	p := &divPair{q: local("dq"), r: local("dr")}
	x0 := Add(CloneExpr(c), CloneExpr(l.Lo))
	dv := d
	if _, ok := d.(*Const); !ok {
		if _, ok := d.(*Ref); !ok {
			v := local("dd")
			*pre = append(*pre, &Assign{Dst: v, Value: CloneExpr(d)})
			dv = R(v)
		}
	}
	pos := Cmp(ir.Gt, CloneExpr(dv), I64(0))
	// The update's constants by the divisor's sign: folded for a constant
	// divisor, else computed once before the loop.
	sel := func(name string, cond, a, b Expr) Expr {
		e := SimplifyExpr(&Select{Cond: cond, A: a, B: b, T: Int64})
		switch e.(type) {
		case *Const, *Ref:
			return e
		}
		v := local(name)
		*pre = append(*pre, &Assign{Dst: v, Value: e})
		return R(v)
	}
	step := sel("dstep", Cmp(ir.Ne, CloneExpr(dv), I64(0)), I64(1), I64(0))
	wrapAt := sel("dwrap", CloneExpr(pos), CloneExpr(dv), I64(1))
	wrapTo := sel("dto", CloneExpr(pos), I64(0), Add(CloneExpr(dv), I64(1)))
	qStep := sel("dqstep", CloneExpr(pos), I64(1), I64(-1))
	*pre = append(*pre,
		&Assign{Dst: p.q, Value: SimplifyExpr(&Bin{Op: ir.Div, X: x0, Y: CloneExpr(dv), T: Int64})},
		&Assign{Dst: p.r, Value: SimplifyExpr(&Bin{Op: ir.Mod, X: CloneExpr(x0), Y: CloneExpr(dv), T: Int64})})
	*post = append(*post,
		&Assign{Dst: p.r, Value: Add(R(p.r), step)},
		&If{Cond: Cmp(ir.Eq, R(p.r), wrapAt), Then: []Stmt{
			&Assign{Dst: p.r, Value: wrapTo},
			&Assign{Dst: p.q, Value: Add(R(p.q), qStep)},
		}})
	return p
}

// assignedIn returns the variables that l assigns: its own variable, those
// of the loops nested in it and the destinations of its assignments.
func assignedIn(l *For) map[*Var]bool {
	assigned := map[*Var]bool{l.Var: true}
	WalkStmts(l.Body, func(s Stmt) {
		switch s := s.(type) {
		case *Assign:
			assigned[s.Dst] = true
		case *For:
			assigned[s.Var] = true
		}
	}, nil)
	return assigned
}

// invariantIn reports whether e reads no memory and none of the variables
// assigned.
func invariantIn(e Expr, assigned map[*Var]bool) bool {
	ok := true
	WalkExpr(e, func(x Expr) {
		switch x := x.(type) {
		case *Ref:
			ok = ok && !assigned[x.Var]
		case *Load:
			ok = false
		}
	})
	return ok
}

// inductionOffset returns c when x is i + c, with i the loop variable
// (coefficient one, in a tree of additions and subtractions of invariant
// terms) and c invariant.
func inductionOffset(x Expr, i *Var, assigned map[*Var]bool) (Expr, bool) {
	switch x := x.(type) {
	case *Ref:
		if x.Var == i {
			return I64(0), true
		}
	case *Bin:
		if x.T != Int64 || x.Op != ir.Add && x.Op != ir.Sub {
			return nil, false
		}
		if c, ok := inductionOffset(x.X, i, assigned); ok && invariantIn(x.Y, assigned) {
			if x.Op == ir.Add {
				return Add(c, CloneExpr(x.Y)), true
			}
			return Sub(c, CloneExpr(x.Y)), true
		}
		if x.Op == ir.Add && invariantIn(x.X, assigned) {
			if c, ok := inductionOffset(x.Y, i, assigned); ok {
				return Add(CloneExpr(x.X), c), true
			}
		}
	}
	return nil, false
}
