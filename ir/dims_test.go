package ir

import "testing"

func TestKernelDimsIncludesEveryUse(t *testing.T) {
	n := &Size{Name: "N"}
	half := Dim{Size: n, Mul: 1, Div: 2}
	quarter := Dim{Size: n, Mul: 1, Div: 4}
	a := &Tensor{Name: "A", Kind: Input, Type: F32, Dims: []Dim{SizeDim(n)}}
	tmp := &Tensor{Name: "T", Kind: Temp, Type: F32, Dims: []Dim{half}}
	out := &Tensor{Name: "B", Kind: Output, Type: F32, Dims: []Dim{SizeDim(n)}}
	r := &Var{Name: "r", Extent: quarter}
	i := &Var{Name: "i", Extent: SizeDim(n)}
	k := &Kernel{
		Sizes: []*Size{n}, Params: []*Tensor{a}, Outputs: []*Tensor{out}, Temps: []*Tensor{tmp},
		Stmts:  []*Stmt{{Target: out, Index: []*Var{i}, Value: &Reduce{Op: RSum, Vars: []*Var{r}, Body: &Const{T: F32}, T: F32}}},
		Checks: []Agree{{A: ConstDim(3), B: SizeDim(n)}},
	}
	got := k.Dims()
	want := []Dim{SizeDim(n), half, quarter, ConstDim(3)}
	if len(got) != len(want) {
		t.Fatalf("Dims() = %v, want %v", got, want)
	}
	for j := range want {
		if got[j] != want[j] {
			t.Errorf("Dims()[%d] = %v, want %v", j, got[j], want[j])
		}
	}
}
