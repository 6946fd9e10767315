package loop

import (
	"fmt"

	"github.com/tensorcc/tcc/ir"
)

// HoistInvariants moves the vector values that do not change in an
// innermost loop of f — constants, lane constants, and broadcasts of
// scalars that no statement of the loop assigns (a scalar parameter, a
// value of an enclosing loop) — into locals assigned before the loop, so
// that a backend materialises each once instead of in every iteration. It
// is loop-invariant code motion restricted to what is free of memory
// effects and cheap to keep in a register. At most max values leave one
// loop: the backends keep them in registers for all of it.
func HoistInvariants(f *Func, max int) {
	h := &hoister{f: f, max: max}
	f.Body = h.stmts(f.Body)
}

type hoister struct {
	f   *Func
	max int
	n   int
}

func (h *hoister) stmts(ss []Stmt) []Stmt {
	var out []Stmt
	for _, s := range ss {
		switch s := s.(type) {
		case *For:
			if innermost(s.Body) {
				out = append(out, h.loop(s)...)
				continue
			}
			s.Body = h.stmts(s.Body)
		case *If:
			s.Then, s.Else = h.stmts(s.Then), h.stmts(s.Else)
		}
		out = append(out, s)
	}
	return out
}

// innermost reports whether body holds no loop.
func innermost(body []Stmt) bool {
	found := false
	WalkStmts(body, func(s Stmt) {
		if _, ok := s.(*For); ok {
			found = true
		}
	}, nil)
	return !found
}

// loop returns the assignments of l's invariant vector values followed by l
// with them replaced.
func (h *hoister) loop(l *For) []Stmt {
	assigned := map[*Var]bool{l.Var: true}
	WalkStmts(l.Body, func(s Stmt) {
		if a, ok := s.(*Assign); ok {
			assigned[a.Dst] = true
		}
	}, nil)
	// Shift counts stay constants: backends shift by an immediate.
	counts := map[Expr]bool{}
	WalkStmts(l.Body, nil, func(e Expr) {
		if c, ok := e.(*Call); ok && (c.Fn == Shl || c.Fn == Shr) {
			counts[c.Args[1]] = true
		}
	})
	locals := map[string]*Var{}
	var pre []Stmt
	hoist := func(e Expr) Expr {
		return MapExpr(e, func(x Expr) Expr {
			if counts[x] || !hoistable(x, assigned) {
				return x
			}
			k := exprKey(x)
			if v, ok := locals[k]; ok {
				return R(v)
			}
			if len(locals) >= h.max {
				return x
			}
			h.n++
			v := &Var{Name: fmt.Sprintf("inv%d", h.n), T: x.Type()}
			h.f.Locals = append(h.f.Locals, v)
			locals[k] = v
			pre = append(pre, &Assign{Dst: v, Value: x})
			return R(v)
		})
	}
	MapStmts(l.Body, hoist)
	return append(pre, l)
}

// hoistable reports whether x is a vector value invariant in a loop that
// assigns the variables assigned: a constant, lane constants, or the
// broadcast of a scalar read of unassigned variables.
func hoistable(x Expr, assigned map[*Var]bool) bool {
	t := x.Type()
	if !t.IsVector() || t.Elem.Class == ir.Bool {
		return false
	}
	switch x := x.(type) {
	case *Const:
		return !(x.Int == 0 && x.Float == 0)
	case *Lanes:
		return true
	case *Broadcast:
		r, ok := x.X.(*Ref)
		return ok && !assigned[r.Var]
	}
	return false
}
