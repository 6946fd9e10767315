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
	// Keys of the original nodes: rewriting replaces operands in place.
	count := map[string]int{}
	keys := map[Expr]string{}
	for _, r := range roots {
		WalkExpr(*r, func(e Expr) {
			if worthSharing(e) {
				k := exprKey(e)
				keys[e] = k
				count[k]++
			}
		})
	}
	locals := map[string]*Var{}
	var pre []Stmt
	var share func(e Expr) Expr
	share = func(e Expr) Expr {
		return MapExpr(e, func(x Expr) Expr {
			k, ok := keys[x]
			if !ok || count[k] < 2 {
				return x
			}
			if v, ok := locals[k]; ok {
				return R(v)
			}
			*n++
			v := &Var{Name: fmt.Sprintf("cse%d", *n), T: x.Type()}
			f.Locals = append(f.Locals, v)
			locals[k] = v
			pre = append(pre, &Assign{Dst: v, Value: x})
			return R(v)
		})
	}
	for _, r := range roots {
		*r = share(*r)
	}
	return append(pre, s)
}

// worthSharing reports whether e is worth a local when used twice: a
// vector computation or load, not a constant or a variable.
func worthSharing(e Expr) bool {
	switch e.(type) {
	case *Const, *Ref, *Lanes:
		return false
	case *Broadcast:
		return false
	}
	return e.Type().IsVector()
}

// exprKey is a structural key of e: equal keys mean equal values within one
// statement (ExprString is fully parenthesised and typed; buffers and
// variables are named uniquely within a kernel).
func exprKey(e Expr) string { return ExprString(e) }
