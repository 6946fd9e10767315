package loop

import (
	"testing"

	"github.com/tensorcc/tcc/ir"
)

func TestSimplifyExpr(t *testing.T) {
	n := &Var{Name: "n", T: Int64}
	b := &Var{Name: "b", T: Bool}
	lt := func(x, y Expr) Expr { return Cmp(ir.Lt, x, y) }
	sel := func(c, x, y Expr) Expr { return &Select{Cond: c, A: x, B: y, T: x.Type()} }
	bin := func(op ir.Op, x, y Expr) Expr { return &Bin{Op: op, X: x, Y: y, T: x.Type()} }
	tests := []struct {
		in   Expr
		want string
	}{
		{sel(lt(I64(1), I64(8)), I64(1), I64(8)), "1"},
		{sel(lt(I64(9), I64(8)), R(n), I64(8)), "8"},
		{bin(ir.Add, bin(ir.Mul, R(n), I64(1)), I64(0)), "n"},
		{bin(ir.Mul, R(n), I64(0)), "0"},
		{bin(ir.Div, I64(-7), I64(2)), "-4"},
		{bin(ir.Mod, I64(-7), I64(2)), "1"},
		{bin(ir.Div, I64(7), I64(0)), "0"},
		{bin(ir.And, lt(I64(1), I64(2)), R(b)), "b"},
		{bin(ir.Or, R(b), lt(I64(1), I64(2))), "true:bool"},
		{bin(ir.And, R(b), lt(I64(3), I64(2))), "false:bool"},
		{&Call{Fn: Fn(ir.Min), Args: []Expr{I64(4), I64(9)}, T: Int64}, "4"},
		{sel(R(b), I64(3), I64(3)), "3"},
		{sel(R(b), R(n), I64(3)), "select(b, n, 3)"},
	}
	for _, tt := range tests {
		if got := ExprString(SimplifyExpr(tt.in)); got != tt.want {
			t.Errorf("SimplifyExpr(%s) = %s, want %s", ExprString(tt.in), got, tt.want)
		}
	}
}

func TestSimplifyStmts(t *testing.T) {
	n := &Var{Name: "n", T: Int64}
	i, j, x, dead := &Var{Name: "i", T: Int64}, &Var{Name: "j", T: Int64}, &Var{Name: "x", T: Int64}, &Var{Name: "dead", T: Int64}
	f := &Func{Name: "f", Locals: []*Var{i, j, x, dead}, Body: []Stmt{
		&For{Var: i, Lo: I64(64), Hi: I64(64), Step: 1, Body: []Stmt{&Assign{Dst: dead, Value: R(i)}}},
		&If{Cond: Cmp(ir.Lt, I64(1), I64(2)), Then: []Stmt{&Assign{Dst: x, Value: R(n)}}, Else: []Stmt{&Assign{Dst: x, Value: I64(0)}}},
		&For{Var: j, Lo: I64(0), Hi: R(n), Step: 1},
	}}
	k := &Kernel{Name: "k", Sizes: []*Var{n}, Funcs: []*Func{f}}
	Simplify(k)
	if len(f.Body) != 1 {
		t.Fatalf("body %s, want only x = n", f)
	}
	if a, ok := f.Body[0].(*Assign); !ok || a.Dst != x || ExprString(a.Value) != "n" {
		t.Errorf("body %s, want x = n", f)
	}
	if len(f.Locals) != 1 || f.Locals[0] != x {
		t.Errorf("locals %v, want only x", f.Locals)
	}
}
