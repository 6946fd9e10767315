package loop_test

import (
	"testing"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// TestShareSizeExprs checks that the repeated blocking terms of three size
// expressions are computed once, in dependency order, and that substituting the assignments back
// gives the original expressions.
func TestShareSizeExprs(t *testing.T) {
	m, k := loop.NewVar("M", loop.Int64), loop.NewVar("K", loop.Int64)
	bin := func(op ir.Op, x, y loop.Expr) loop.Expr { return &loop.Bin{Op: op, X: x, Y: y, T: loop.Int64} }
	// mc = min(336, (M + 11) / 12 * 12), written out afresh in each root.
	mc := func() loop.Expr {
		x := bin(ir.Mul, bin(ir.Div, bin(ir.Add, loop.R(m), loop.I64(11)), loop.I64(12)), loop.I64(12))
		return &loop.Select{Cond: loop.Cmp(ir.Lt, loop.I64(336), x), A: loop.I64(336), B: loop.CloneExpr(x), T: loop.Int64}
	}
	exprs := []loop.Expr{
		bin(ir.Mul, mc(), loop.I64(400)),
		bin(ir.Div, bin(ir.Sub, bin(ir.Add, loop.R(m), mc()), loop.I64(1)), mc()),
		bin(ir.Add, loop.R(k), loop.I64(3)), // nothing repeated
	}
	want := make([]string, len(exprs))
	roots := make([]*loop.Expr, len(exprs))
	for i := range exprs {
		want[i] = loop.ExprString(exprs[i])
		roots[i] = &exprs[i]
	}
	lets := loop.ShareSizeExprs(roots, "sz")
	// (M + 11) / 12 * 12 twice inside the min, the min three times.
	if len(lets) != 2 {
		t.Fatalf("%d assignments, want 2 (the rounded M, then the min)", len(lets))
	}
	if _, ok := lets[1].Value.(*loop.Select); !ok {
		t.Errorf("second assignment %s, want the min", loop.ExprString(lets[1].Value))
	}
	value := map[*loop.Var]loop.Expr{}
	for _, a := range lets {
		value[a.Dst] = a.Value
	}
	var inline func(e loop.Expr) loop.Expr
	inline = func(e loop.Expr) loop.Expr {
		return loop.MapExpr(loop.CloneExpr(e), func(x loop.Expr) loop.Expr {
			if r, ok := x.(*loop.Ref); ok && value[r.Var] != nil {
				return inline(value[r.Var])
			}
			return x
		})
	}
	for i, e := range exprs {
		if got := loop.ExprString(inline(e)); got != want[i] {
			t.Errorf("root %d: %s after substitution, want %s", i, got, want[i])
		}
	}
}
