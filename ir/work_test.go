package ir

import "testing"

// ints counts in int64 with every extent 10.
type ints struct{}

func (ints) Int(n int64) int64          { return n }
func (ints) Add(a, b int64) int64       { return a + b }
func (ints) Mul(a, b int64) int64       { return a * b }
func (ints) Extent(*Var) (int64, error) { return 10, nil }

func TestCountWork(t *testing.T) {
	n := &Size{Name: "N"}
	a := &Tensor{Name: "A", Kind: Input, Type: F32, Dims: []Dim{SizeDim(n)}}
	tmp := &Tensor{Name: "T", Kind: Temp, Type: F32, Dims: []Dim{SizeDim(n)}}
	k := &Var{Name: "k", Extent: SizeDim(n)}
	read := func(x *Tensor) Expr { return &Read{Tensor: x, Subs: []Expr{&Index{Var: k, T: I64}}} }
	mul := &Binary{Op: Mul, X: read(a), Y: read(a), T: F32}
	tmpDef := &Binary{Op: Add, X: read(a), Y: &Const{T: F32, Float: 1}, T: F32}
	tests := []struct {
		name         string
		e            Expr
		inline       bool
		flops, reads int64
	}{
		{"read", read(a), false, 0, 1},
		{"product", mul, false, 1, 2},
		{"dot", &Reduce{Op: RSum, Vars: []*Var{k}, Body: mul, T: F32}, false, 20, 20},
		{"masked max", &Reduce{Op: RMax, Vars: []*Var{k}, Where: &Binary{Op: Lt, X: &Index{Var: k, T: I64}, Y: &Const{T: I64, Int: 3}, T: BoolT}, Body: read(a), T: F32}, false, 10, 10},
		{"call and select", &Call{Fn: Exp, Args: []Expr{&Select{Cond: &Binary{Op: Gt, X: read(a), Y: &Const{T: F32}, T: BoolT}, A: read(a), B: mul, T: F32}}, T: F32}, false, 2, 4},
		{"temp read", read(tmp), false, 0, 1},
		{"temp inlined", read(tmp), true, 1, 1},
	}
	for _, tt := range tests {
		var inline func(*Read) Expr
		if tt.inline {
			inline = func(r *Read) Expr {
				if r.Tensor == tmp {
					return tmpDef
				}
				return nil
			}
		}
		w, err := CountWork[int64](tt.e, ints{}, inline)
		if err != nil || w.Flops != tt.flops || w.Reads != tt.reads {
			t.Errorf("%s: flops %d reads %d (%v), want %d and %d", tt.name, w.Flops, w.Reads, err, tt.flops, tt.reads)
		}
	}
}
