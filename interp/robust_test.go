package interp

import (
	"math"
	"testing"

	. "github.com/tensorcc/tcc/internal/irbuild"
	"github.com/tensorcc/tcc/ir"
)

// TestMalformedIR checks that broken IR gives an error, never a panic.
func TestMalformedIR(t *testing.T) {
	foreign := &ir.Size{Name: "Z", Index: 0}
	tests := []struct {
		name string
		f    func(x *ir.Read) ir.Expr
	}{
		{"nil tensor", func(x *ir.Read) ir.Expr { return &ir.Read{} }},
		{"nil operand", func(x *ir.Read) ir.Expr { return &ir.Binary{Op: ir.Add, X: x, T: ir.F32} }},
		{"bad op", func(x *ir.Read) ir.Expr { return &ir.Binary{Op: 200, X: x, Y: x, T: ir.F32} }},
		{"bad func", func(x *ir.Read) ir.Expr { return &ir.Call{Fn: 200, Args: []ir.Expr{x}, T: ir.F32} }},
		{"bad arity", func(x *ir.Read) ir.Expr { return &ir.Call{Fn: ir.Pow, Args: []ir.Expr{x}, T: ir.F32} }},
		{"bad type", func(x *ir.Read) ir.Expr { return Cast(Cast(x, ir.DType{Class: ir.MiniFloat}), ir.F32) }},
		{"foreign size", func(x *ir.Read) ir.Expr { return &ir.SizeVal{Size: foreign, T: ir.F32} }},
		{"foreign extent", func(x *ir.Read) ir.Expr {
			return Reduce(ir.RSum, Vars(Var("k", ir.SizeDim(foreign))), nil, x)
		}},
		{"unbound var", func(x *ir.Read) ir.Expr { return Cast(Idx(Var("q", ir.ConstDim(3))), ir.F32) }},
		{"bad reduce", func(x *ir.Read) ir.Expr {
			return &ir.Reduce{Op: 9, Vars: Vars(Var("k", ir.ConstDim(2))), Body: x, T: ir.F32}
		}},
		{"bool sum", func(x *ir.Read) ir.Expr {
			return Cast(Reduce(ir.RSum, Vars(Var("k", ir.ConstDim(2))), nil, Bin(ir.Lt, x, x)), ir.F32)
		}},
		{"read rank", func(x *ir.Read) ir.Expr { return Read(x.Tensor) }},
		{"float subscript", func(x *ir.Read) ir.Expr { return Read(x.Tensor, x) }},
		{"mixed operands", func(x *ir.Read) ir.Expr { return &ir.Binary{Op: ir.Add, X: x, Y: FConst(ir.F64, 1), T: ir.F32} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := New("Bad")
			N := b.Size("N")
			X := b.In("X", ir.F32, ir.SizeDim(N))
			Y := b.Out("Y", ir.F32, ir.SizeDim(N))
			i := Var("i", ir.SizeDim(N))
			b.Stmt(Y, Vars(i), tc.f(Read(X, Idx(i)).(*ir.Read)))
			y := []float32{42, 42}
			if err := Call(b.K, []float32{1, 2}, y, 2); err == nil {
				t.Error("no error")
			}
			if y[0] != 42 || y[1] != 42 {
				t.Errorf("output written: %v", y)
			}
		})
	}
}

// TestLongCompensatedSum checks a 2^20-term reduction and that float sums do
// not lose small terms next to large ones.
func TestLongCompensatedSum(t *testing.T) {
	b := New("Sum")
	N := b.Size("N")
	X := b.In("X", ir.F64, ir.SizeDim(N))
	S := b.Out("S", ir.F64)
	k := Var("k", ir.SizeDim(N))
	b.Stmt(S, nil, Reduce(ir.RSum, Vars(k), nil, Read(X, Idx(k))))
	n := 1 << 20
	x := make([]float64, n)
	for i := range x {
		// 1e16, 1, -1e16, 1, ...: the exact sum is n/2; naive float64 summation
		// loses every 1 added to 1e16 and gets n/4.
		switch i % 4 {
		case 0:
			x[i] = 1e16
		case 2:
			x[i] = -1e16
		default:
			x[i] = 1
		}
	}
	s := []float64{0}
	if err := Call(b.K, x, s, n); err != nil {
		t.Fatal(err)
	}
	if s[0] != float64(n/2) {
		t.Errorf("sum = %v, want %v", s[0], n/2)
	}
	for i := range x {
		x[i] = 0.1
	}
	if err := Call(b.K, x, s, n); err != nil {
		t.Fatal(err)
	}
	if want := 0.1 * float64(n); math.Abs(s[0]-want) > 1e-15*want {
		t.Errorf("sum = %v, want %v", s[0], want)
	}
}
