package ir

import (
	"strings"
	"testing"
)

// matmul builds C[m, n] = sum(k: f32(A[m, k]) * B[k, n]) with A of type f16, by hand.
func matmul() *Kernel {
	M, K, N := &Size{Name: "M", Index: 0}, &Size{Name: "K", Index: 1}, &Size{Name: "N", Index: 2}
	A := &Tensor{Name: "A", Kind: Input, Type: F16, Dims: []Dim{SizeDim(M), SizeDim(K)}, Index: 0}
	B := &Tensor{Name: "B", Kind: Input, Type: F32, Dims: []Dim{SizeDim(K), SizeDim(N)}, Index: 1}
	C := &Tensor{Name: "C", Kind: Output, Type: F32, Dims: []Dim{SizeDim(M), SizeDim(N)}, Index: 0}
	m, n, k := &Var{Name: "m", Extent: SizeDim(M)}, &Var{Name: "n", Extent: SizeDim(N)}, &Var{Name: "k", Extent: SizeDim(K)}
	idx := func(v *Var) Expr { return &Index{Var: v, T: I64} }
	body := &Binary{Op: Mul, T: F32,
		X: &Cast{X: &Read{Tensor: A, Subs: []Expr{idx(m), idx(k)}}, To: F32},
		Y: &Read{Tensor: B, Subs: []Expr{idx(k), idx(n)}}}
	where := &Binary{Op: Lt, T: BoolT, X: &Binary{Op: Mod, T: I64, X: idx(k), Y: &Const{T: I64, Int: 2}}, Y: &SizeVal{Size: N, T: I64}}
	return &Kernel{
		Name: "Matmul", Sizes: []*Size{M, K, N}, Params: []*Tensor{A, B}, Outputs: []*Tensor{C},
		Stmts: []*Stmt{{Target: C, Index: []*Var{m, n}, Value: &Reduce{Op: RSum, Vars: []*Var{k}, Where: where, Body: body, T: F32}}},
	}
}

func TestVerifyValid(t *testing.T) {
	if err := Verify(matmul()); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyRejects(t *testing.T) {
	red := func(k *Kernel) *Reduce { return k.Stmts[0].Value.(*Reduce) }
	body := func(k *Kernel) *Binary { return red(k).Body.(*Binary) }
	tests := []struct {
		name   string
		mutate func(k *Kernel)
		want   string
	}{
		{"output never defined", func(k *Kernel) { k.Stmts = nil }, `output "C" is never defined`},
		{"defined twice", func(k *Kernel) { k.Stmts = append(k.Stmts, k.Stmts[0]) }, "defined twice"},
		{"missing decode cast", func(k *Kernel) { body(k).X = body(k).X.(*Cast).X }, "* on f16 and f32"},
		{"value type differs from target", func(k *Kernel) { k.Outputs[0].Type = F64 }, "value has type f32"},
		{"subscript not I64", func(k *Kernel) {
			r := body(k).Y.(*Read)
			r.Subs[0] = &Index{Var: red(k).Vars[0], T: I32}
		}, "not I64"},
		{"read in subscript", func(k *Kernel) {
			r := body(k).Y.(*Read)
			r.Subs[0] = &Cast{X: &Read{Tensor: k.Params[1], Subs: []Expr{&Const{T: I64}, &Const{T: I64}}}, To: I64}
		}, "not an index expression"},
		{"variable out of scope", func(k *Kernel) {
			body(k).Y.(*Read).Subs[0] = &Index{Var: &Var{Name: "z", Extent: ConstDim(3)}, T: I64}
		}, `"z" used out of scope`},
		{"wrong subscript count", func(k *Kernel) {
			r := body(k).Y.(*Read)
			r.Subs = r.Subs[:1]
		}, "1 subscripts for rank-2"},
		{"index count", func(k *Kernel) { k.Stmts[0].Index = k.Stmts[0].Index[:1] }, "1 indices for rank-2"},
		{"extent differs from target", func(k *Kernel) { k.Stmts[0].Index[0].Extent = ConstDim(4) }, "ranges over 4"},
		{"foreign size", func(k *Kernel) { k.Params[0].Dims[0] = SizeDim(&Size{Name: "Q"}) }, `size "Q" is not a size`},
		{"bad factor", func(k *Kernel) { k.Params[0].Dims[0].Div = 0 }, "non-positive factor"},
		{"negative dim", func(k *Kernel) { k.Params[0].Dims[0] = ConstDim(-1) }, "negative constant dimension"},
		{"size index", func(k *Kernel) { k.Sizes[1].Index = 5 }, "size 1 is malformed"},
		{"tensor index", func(k *Kernel) { k.Params[1].Index = 0 }, "has Index 0, want 1"},
		{"duplicate names", func(k *Kernel) { k.Params[1].Name = "A" }, `"A" is empty or used twice`},
		{"assign to input", func(k *Kernel) { k.Stmts[0].Target = k.Params[1] }, "is a input"},
		{"bool tensor", func(k *Kernel) { k.Params[1].Type = BoolT }, "invalid element type"},
		{"non-compute arithmetic", func(k *Kernel) {
			b := body(k)
			b.T, red(k).T = F16, F16
			b.X = &Cast{X: b.X, To: F16}
			b.Y = &Cast{X: b.Y, To: F16}
		}, "* on f16 and f16 as f16"},
		{"where not bool", func(k *Kernel) { red(k).Where = &Const{T: I64, Int: 1} }, "malformed where-condition"},
		{"call arity", func(k *Kernel) { red(k).Body = &Call{Fn: Max, Args: []Expr{body(k)}, T: F32} }, "max with 1 arguments"},
		{"select cond", func(k *Kernel) { red(k).Body = &Select{Cond: body(k), A: body(k), B: body(k), T: F32} }, "select operand types"},
		{"check dims", func(k *Kernel) { k.Checks = []Agree{{A: ConstDim(1), B: SizeDim(&Size{Name: "X"})}} }, "check 0"},
		{"read before definition", func(k *Kernel) {
			T := &Tensor{Name: "T", Kind: Temp, Type: F32, Index: 0}
			k.Temps = []*Tensor{T}
			k.Stmts[0].Value = &Binary{Op: Add, T: F32, X: red(k), Y: &Read{Tensor: T}}
			k.Stmts = append(k.Stmts, &Stmt{Target: T, Value: &Const{T: F32, Float: 1}})
		}, `"T" read before it is defined`},
		{"reduction reuses a variable", func(k *Kernel) { red(k).Vars[0] = k.Stmts[0].Index[0] }, "declared twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := matmul()
			tt.mutate(k)
			err := Verify(k)
			if err == nil {
				t.Fatal("Verify accepted an invalid kernel")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}
