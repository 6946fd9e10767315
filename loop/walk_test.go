package loop

import (
	"testing"

	"github.com/tensorcc/tcc/ir"
)

func TestWalkStmtsVisitsEverything(t *testing.T) {
	i64 := Scalar(ir.I64)
	f32 := Scalar(ir.F32)
	buf := &Buf{Name: "B", Elem: ir.F32}
	i := &Var{Name: "i", T: i64}
	x := &Var{Name: "x", T: f32}
	n := &Var{Name: "n", T: i64}
	load := &Load{Buf: buf, Index: &Ref{Var: i}, T: f32, Guard: &Bin{Op: ir.Lt, X: &Ref{Var: i}, Y: &Ref{Var: n}, T: Scalar(ir.BoolT)}}
	body := []Stmt{&For{Var: i, Lo: &Const{T: i64}, Hi: &Ref{Var: n}, Step: 1, Body: []Stmt{
		&Assign{Dst: x, Value: &Call{Fn: Fn(ir.Exp), Args: []Expr{load}, T: f32}},
		&If{Cond: &Bin{Op: ir.Gt, X: &Ref{Var: x}, Y: &Const{T: f32}, T: Scalar(ir.BoolT)},
			Then: []Stmt{&Store{Buf: buf, Index: &Ref{Var: i}, Value: &Ref{Var: x}}}},
	}}}
	var stmts, refs, loads int
	WalkStmts(body, func(Stmt) { stmts++ }, func(e Expr) {
		switch e.(type) {
		case *Ref:
			refs++
		case *Load:
			loads++
		}
	})
	// For, Assign, If, Store; refs: n (Hi), i (index), i and n (guard), x (cond), i and x (store).
	if stmts != 4 || refs != 7 || loads != 1 {
		t.Errorf("visited %d statements, %d refs, %d loads; want 4, 7, 1", stmts, refs, loads)
	}
	if got := len(Operands(load)); got != 2 {
		t.Errorf("Operands(load) has %d entries, want 2 (Count is absent)", got)
	}
}
