package loop

import (
	"testing"

	"github.com/tensorcc/tcc/ir"
)

func TestPrintMinMax(t *testing.T) {
	k := &Ref{Var: &Var{Name: "K", T: Int64}}
	boolT := Scalar(ir.BoolT)
	sel := func(op ir.Op, x, y Expr) *Select {
		return &Select{Cond: &Bin{Op: op, X: x, Y: y, T: boolT}, A: x, B: y, T: x.Type()}
	}
	f := &Ref{Var: &Var{Name: "x", T: Scalar(ir.F32)}}
	g := &Ref{Var: &Var{Name: "y", T: Scalar(ir.F32)}}
	tests := []struct {
		e    Expr
		want string
	}{
		{sel(ir.Lt, I64(384), k), "min(384, K)"},
		{sel(ir.Ge, k, I64(32)), "max(K, 32)"},
		{sel(ir.Lt, I64(4096), sel(ir.Gt, I64(32), k)), "min(4096, max(32, K))"},
		// Not min: the branches are not the compared values.
		{&Select{Cond: &Bin{Op: ir.Lt, X: k, Y: I64(8), T: boolT}, A: I64(8), B: k, T: Int64}, "select((K < 8), 8, K)"},
		// Floats keep select: min and max differ from it on NaN.
		{sel(ir.Lt, f, g), "select((x < y), x, y)"},
	}
	for _, tc := range tests {
		if got := ExprString(tc.e); got != tc.want {
			t.Errorf("ExprString = %q, want %q", got, tc.want)
		}
	}
}
