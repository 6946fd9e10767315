package loop

import (
	"fmt"

	"github.com/tensorcc/tcc/ir"
)

// HoistInvariants moves the values that do not change in a loop of f into
// locals assigned before the loop, so that a backend computes each once
// instead of in every iteration: out of an innermost loop vector
// constants, lane constants and broadcasts of scalars that no statement of
// the loop assigns (a scalar parameter, a value of an enclosing loop); out
// of every loop, innermost first, scalar integer expressions over such
// variables that cost more than an address computation (a division, a
// remainder, a shift, a minimum or maximum: buffer lengths, window bounds,
// the tap of a convolution's K block; affine ones stay, the backends fold
// them into addressing). It is loop-invariant code motion restricted to
// what is free of memory effects. The vector values hoisted out of one
// loop (the backends keep them in registers for all of it) take at most
// half of the target's regs vector registers less those the loop's own
// vector variables take; at most maxScalarInvariants scalars leave it.
func HoistInvariants(f *Func, regs int) {
	h := &hoister{f: f, regs: regs}
	f.Body = h.stmts(f.Body)
}

type hoister struct {
	f    *Func
	regs int
	n    int
}

func (h *hoister) stmts(ss []Stmt) []Stmt {
	var out []Stmt
	for _, s := range ss {
		switch s := s.(type) {
		case *For:
			inner := innermost(s.Body)
			if !inner {
				s.Body = h.stmts(s.Body)
			}
			out = append(out, h.loop(s, inner)...)
			continue
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

// loop returns the assignments of l's invariant values followed by l with
// them replaced: vector values only out of an innermost loop (they hold a
// register for all of it), costly scalars out of any loop.
func (h *hoister) loop(l *For, vectorsToo bool) []Stmt {
	assigned := assignedIn(l)
	live := 0 // vector variables the loop assigns: registers taken
	for v := range assigned {
		if v != l.Var && v.T.IsVector() {
			live++
		}
	}
	budget := max(2, h.regs/2-live)
	// Uniform shift counts stay constants: backends shift by an immediate.
	counts := map[Expr]bool{}
	WalkStmts(l.Body, nil, func(e Expr) {
		if c, ok := e.(*Call); ok && (c.Fn == Shl || c.Fn == Shr) && uniform(c.Args[1]) {
			counts[c.Args[1]] = true
		}
	})
	locals := map[string]*Var{}
	vectors, scalars := 0, 0
	var pre []Stmt
	// Top-down, so that the largest invariant scalar expression is hoisted.
	hoist := func(x Expr) (Expr, bool) {
		if counts[x] {
			return x, true
		}
		vec := vectorsToo && hoistable(x, assigned)
		if !vec && !costlyInvariant(x, assigned) {
			return x, false
		}
		k := exprKey(x)
		if v, ok := locals[k]; ok {
			return R(v), true
		}
		if vec && vectors >= budget || !vec && scalars >= maxScalarInvariants {
			return x, false
		}
		if vec {
			vectors++
		} else {
			scalars++
		}
		h.n++
		v := &Var{Name: fmt.Sprintf("inv%d", h.n), T: x.Type()}
		h.f.Locals = append(h.f.Locals, v)
		locals[k] = v
		pre = append(pre, &Assign{Dst: v, Value: x})
		return R(v), true
	}
	MapStmtsTopDown(l.Body, hoist)
	return append(pre, l)
}

// maxScalarInvariants bounds the scalars hoisted out of one loop (they
// take general-purpose registers for all of it).
const maxScalarInvariants = 4

// uniform reports whether a vector is one constant in every lane.
func uniform(e Expr) bool {
	switch e := e.(type) {
	case *Const:
		return true
	case *Broadcast:
		_, ok := e.X.(*Const)
		return ok
	}
	return false
}

// costlyInvariant reports whether x is a scalar integer expression, free
// of loads and of the variables assigned, with a division, remainder,
// shift, minimum or maximum in it.
func costlyInvariant(x Expr, assigned map[*Var]bool) bool {
	if x.Type().Lanes != 1 || !x.Type().Elem.IsInteger() {
		return false
	}
	switch x.(type) {
	case *Bin, *Call:
	default:
		return false
	}
	ok, costly := invariantIn(x, assigned), false
	WalkExpr(x, func(e Expr) {
		switch e := e.(type) {
		case *Bin:
			costly = costly || e.Op == ir.Div || e.Op == ir.Mod
		case *Call:
			costly = costly || e.Fn == Shr || e.Fn == Shl || e.Fn == Fn(ir.Min) || e.Fn == Fn(ir.Max)
		case *Ref, *Const, *Cast, *Bitcast, *Un, *Select:
		default: // loads (invariantIn refuses them) and vector forms
			ok = false
		}
	})
	return ok && costly
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
