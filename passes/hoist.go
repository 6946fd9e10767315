package passes

import (
	"fmt"

	"github.com/tensorcc/tcc/ir"
)

// HoistInvariant computes, once, the costly parts of a statement that do
// not depend on all of its indices: a subexpression that calls a
// transcendental function and reads only some of the statement's index
// variables (RoPE's cos(s * pow(10000, -e/E)) in a statement over s, h, p
// and e) becomes an intermediate over the variables it uses, defined just
// before the statement and read in its place. The value is the same
// expression evaluated at the same points, so the rewrite is exact; it is
// loop-invariant code motion at the tensor level, where the interpreter
// still checks it, and the lowering computes the intermediate with vectors
// like any other statement. Equal subexpressions share one intermediate.
func HoistInvariant(k *ir.Kernel) error {
	h := &hoister{k: k}
	var stmts []*ir.Stmt
	for _, s := range k.Stmts {
		h.pre = nil
		h.done = nil
		s.Value = h.visit(s, s.Value)
		stmts = append(stmts, h.pre...)
		stmts = append(stmts, s)
	}
	k.Stmts = stmts
	for i, t := range k.Temps {
		t.Index = i
	}
	return nil
}

type hoister struct {
	k   *ir.Kernel
	n   int
	pre []*ir.Stmt // the intermediates of the current statement
	// done pairs the hoisted subexpressions of the current statement with
	// their reads.
	done []hoisted
}

type hoisted struct {
	x    ir.Expr
	read *ir.Read
}

// visit rewrites e, a part of statement s, top-down: the largest hoistable
// subexpressions are replaced by reads.
func (h *hoister) visit(s *ir.Stmt, e ir.Expr) ir.Expr {
	if vars, ok := h.hoistable(s, e); ok {
		return h.hoist(s, e, vars)
	}
	ir.MapChildren(e, func(c ir.Expr) ir.Expr { return h.visit(s, c) })
	return e
}

// hoistable reports whether e calls a transcendental function, has no
// reduction, and reads a strict subset of s's index variables (and no
// others); it returns them in s's order.
func (h *hoister) hoistable(s *ir.Stmt, e ir.Expr) ([]*ir.Var, bool) {
	if !ir.CallsTranscendental(e) || ir.HasReduce(e) || !computeType(e.Type()) {
		return nil, false
	}
	used := map[*ir.Var]bool{}
	ir.Walk(e, func(x ir.Expr) bool {
		if ix, ok := x.(*ir.Index); ok {
			used[ix.Var] = true
		}
		return true
	})
	var vars []*ir.Var
	for _, v := range s.Index {
		if used[v] {
			vars = append(vars, v)
			delete(used, v)
		}
	}
	if len(used) > 0 || len(vars) == len(s.Index) {
		return nil, false // a reduction's variable, or nothing to save
	}
	return vars, true
}

// hoist defines an intermediate T[vars] = e before s and returns its read.
func (h *hoister) hoist(s *ir.Stmt, e ir.Expr, vars []*ir.Var) ir.Expr {
	for _, d := range h.done {
		if ir.SameExpr(d.x, e) {
			same := map[*ir.Var]*ir.Var{}
			for _, v := range vars {
				same[v] = v
			}
			return ir.CloneExpr(d.read, same)
		}
	}
	t := &ir.Tensor{Name: h.fresh(s.Target.Name), Kind: ir.Temp, Type: e.Type(), Pos: e.Position()}
	rename := map[*ir.Var]*ir.Var{}
	var index []*ir.Var
	read := &ir.Read{Pos: e.Position(), Tensor: t}
	for _, v := range vars {
		t.Dims = append(t.Dims, v.Extent)
		w := &ir.Var{Name: v.Name, Extent: v.Extent, Pos: v.Pos}
		rename[v] = w
		index = append(index, w)
		read.Subs = append(read.Subs, &ir.Index{Pos: e.Position(), Var: v, T: ir.I64})
	}
	h.k.Temps = append(h.k.Temps, t)
	h.pre = append(h.pre, &ir.Stmt{Pos: s.Pos, Target: t, Index: index, Value: ir.CloneExpr(e, rename)})
	h.done = append(h.done, hoisted{x: e, read: read})
	return read
}

// fresh returns a tensor name of the form <target>_invN that the kernel
// does not use.
func (h *hoister) fresh(target string) string {
	taken := map[string]bool{}
	for _, ts := range [][]*ir.Tensor{h.k.Params, h.k.Outputs, h.k.Temps} {
		for _, t := range ts {
			taken[t.Name] = true
		}
	}
	for {
		h.n++
		if name := fmt.Sprintf("%s_inv%d", target, h.n); !taken[name] {
			return name
		}
	}
}

// computeType reports whether t is a type an intermediate can hold the
// value in exactly (the compute types; narrower storage would round).
func computeType(t ir.DType) bool {
	return t == ir.F32 || t == ir.F64 || t == ir.I32 || t == ir.I64
}
