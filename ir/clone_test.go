package ir

import "testing"

func TestCloneIsDeepAndEqual(t *testing.T) {
	n := &Size{Name: "N"}
	a := &Tensor{Name: "A", Kind: Input, Type: F32, Dims: []Dim{SizeDim(n)}}
	out := &Tensor{Name: "B", Kind: Output, Type: F32, Dims: []Dim{SizeDim(n)}}
	i := &Var{Name: "i", Extent: SizeDim(n)}
	j := &Var{Name: "j", Extent: SizeDim(n)}
	read := &Read{Tensor: a, Subs: []Expr{&Index{Var: j, T: I64}}}
	k := &Kernel{Name: "K", Sizes: []*Size{n}, Params: []*Tensor{a}, Outputs: []*Tensor{out},
		Stmts: []*Stmt{{Target: out, Index: []*Var{i}, Value: &Reduce{Op: RMax, Vars: []*Var{j},
			Where: &Binary{Op: Le, X: &Index{Var: j, T: I64}, Y: &Index{Var: i, T: I64}, T: BoolT}, Body: read, T: F32}}}}
	c := Clone(k)
	if got, want := c.String(), k.String(); got != want {
		t.Fatalf("clone prints\n%s\nwant\n%s", got, want)
	}
	if c.Params[0] == a || c.Sizes[0] == n || c.Stmts[0].Index[0] == i {
		t.Fatal("clone shares objects with the original")
	}
	// The clone's references point at the clone's own objects.
	r := c.Stmts[0].Value.(*Reduce)
	if r.Body.(*Read).Tensor != c.Params[0] || r.Vars[0] != r.Body.(*Read).Subs[0].(*Index).Var ||
		c.Params[0].Dims[0].Size != c.Sizes[0] {
		t.Fatal("clone's references are not consistent")
	}
	if err := Verify(c); err != nil {
		t.Fatalf("clone does not verify: %v", err)
	}
}
