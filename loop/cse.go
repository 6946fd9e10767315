package loop

import (
	"fmt"
)

// CSE computes the subexpressions that a statement of f uses more than once
// (the same node, or an equal one: the expansions of package legalize use
// a decoded value several times) into locals assigned just before the
// statement, so that every backend evaluates them once. Within one
// statement every read happens before its store, so moving a load into an
// earlier assignment changes nothing. Constants, variable reads and lane
// constants are left where they are: they cost nothing to repeat.
func CSE(f *Func) {
	n := 0
	f.Body = cseStmts(f, f.Body, &n)
}

func cseStmts(f *Func, ss []Stmt, n *int) []Stmt {
	var out []Stmt
	for _, s := range ss {
		switch s := s.(type) {
		case *For:
			s.Body = cseStmts(f, s.Body, n)
		case *If:
			s.Then, s.Else = cseStmts(f, s.Then, n), cseStmts(f, s.Else, n)
		}
		out = append(out, cseStmt(f, s, n)...)
	}
	return out
}

// cseStmt returns s preceded by the assignments of its repeated
// subexpressions.
func cseStmt(f *Func, s Stmt, n *int) []Stmt {
	var roots []*Expr
	switch s := s.(type) {
	case *Assign:
		roots = []*Expr{&s.Value}
	case *Store:
		roots = []*Expr{&s.Value}
	default:
		return []Stmt{s}
	}
	var pre []Stmt
	for _, a := range shareRepeated(roots, worthSharing, func(t Type) *Var {
		*n++
		v := &Var{Name: fmt.Sprintf("cse%d", *n), T: t}
		f.Locals = append(f.Locals, v)
		return v
	}) {
		pre = append(pre, a)
	}
	return append(pre, s)
}

// ShareSizeExprs rewrites the integer expressions at roots (buffer
// lengths, step extents and work over a kernel's sizes, which the schedule
// builds from the same blocking terms many times) so that every
// computation they repeat is done once: it returns the assignments, in
// dependency order, of new variables (named prefix1, prefix2, ...) that
// the rewritten roots and later assignments read. Evaluating the
// assignments first and then the roots gives the roots' values: the
// expressions read sizes only and have no effects.
func ShareSizeExprs(roots []*Expr, prefix string) []*Assign {
	n := 0
	return shareRepeated(roots, func(e Expr) bool {
		switch e.(type) {
		case *Const, *Ref:
			return false
		}
		return !e.Type().IsVector()
	}, func(t Type) *Var {
		n++
		return &Var{Name: fmt.Sprintf("%s%d", prefix, n), T: t}
	})
}

// shareRepeated replaces, in the expressions at roots, every subexpression
// for which worth holds and that occurs more than once (the same node or an
// equal one) by a new variable from newVar, and returns the variables'
// assignments in dependency order (an assignment reads only earlier ones).
func shareRepeated(roots []*Expr, worth func(Expr) bool, newVar func(Type) *Var) []*Assign {
	// Keys of the original nodes: rewriting replaces operands in place.
	count := map[string]int{}
	keys := map[Expr]string{}
	for _, r := range roots {
		WalkExpr(*r, func(e Expr) {
			if worth(e) {
				k := exprKey(e)
				keys[e] = k
				count[k]++
			}
		})
	}
	locals := map[string]*Var{}
	var pre []*Assign
	// Top-down: the largest repeated expression gets the local; the copies
	// it replaces no longer count for the expressions inside it.
	var share func(x Expr) (Expr, bool)
	share = func(x Expr) (Expr, bool) {
		k, ok := keys[x]
		if !ok || count[k] < 2 {
			return x, false
		}
		if v, ok := locals[k]; ok {
			return R(v), true
		}
		c := count[k]
		for _, o := range Operands(x) {
			WalkExpr(o, func(d Expr) {
				if dk, ok := keys[d]; ok {
					count[dk] -= c - 1
				}
			})
		}
		mapOperands(x, func(o Expr) Expr { return MapExprTopDown(o, share) })
		v := newVar(x.Type())
		locals[k] = v
		pre = append(pre, &Assign{Dst: v, Value: x})
		return R(v), true
	}
	for _, r := range roots {
		*r = MapExprTopDown(*r, share)
	}
	return pre
}

// worthSharing reports whether e is worth a local when used twice: a
// vector computation or load (a broadcast only of a computed scalar), or a
// scalar computed from a load (a packed window), not a constant or a
// variable.
func worthSharing(e Expr) bool {
	switch e := e.(type) {
	case *Const, *Ref, *Lanes:
		return false
	case *Broadcast:
		switch e.X.(type) {
		case *Const, *Ref:
			return false
		}
		return true
	}
	if e.Type().IsVector() {
		return true
	}
	_, isLoad := e.(*Load)
	return !isLoad && hasLoad(e)
}

// hasLoad reports whether e reads memory.
func hasLoad(e Expr) bool {
	found := false
	WalkExpr(e, func(x Expr) {
		if _, ok := x.(*Load); ok {
			found = true
		}
	})
	return found
}

// exprKey is a structural key of e: equal keys mean equal values within one
// statement (ExprString is fully parenthesised and typed; buffers and
// variables are named uniquely within a kernel).
func exprKey(e Expr) string { return ExprString(e) }
