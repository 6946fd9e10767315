package golang

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/tensorcc/tcc/internal/gotest"
	"github.com/tensorcc/tcc/internal/rt"
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// outlineKernel returns a kernel whose function has a hot innermost loop at
// depth 3 and, with filler > 0, enough further locals to be outlined:
//
//	for i < n, j < n, l < 1:
//	    s, c, last = 0, 0, -1
//	    for p < j: a = X[i*n+p]; d = X[j*n+p]; b = a*2; e = a*d
//	               s = s+b; s = s+d; s = s-e; c = c+1; last = a
//	    Y[i*n+j] = s + f32(c) + last
func outlineKernel(filler int) (*loop.Kernel, *loop.Func) {
	i64t, f32t := loop.Scalar(ir.I64), loop.Scalar(ir.F32)
	n := &loop.Var{Name: "n", T: i64t}
	X := &loop.Buf{Name: "X", Elem: ir.F32, Len: &loop.Bin{Op: ir.Mul, X: &loop.Ref{Var: n}, Y: &loop.Ref{Var: n}, T: i64t}}
	Y := &loop.Buf{Name: "Y", Elem: ir.F32, Len: X.Len}
	k := &loop.Kernel{Name: "K", Sizes: []*loop.Var{n}, Inputs: []*loop.Buf{X}, Outputs: []*loop.Buf{Y}}
	c64 := func(v int64) loop.Expr { return &loop.Const{T: i64t, Int: v} }
	c32 := func(v float64) loop.Expr { return &loop.Const{T: f32t, Float: v} }
	r := func(v *loop.Var) loop.Expr { return &loop.Ref{Var: v} }
	bin := func(op ir.Op, x, y loop.Expr) loop.Expr { return &loop.Bin{Op: op, X: x, Y: y, T: x.Type()} }
	set := func(v *loop.Var, e loop.Expr) loop.Stmt { return &loop.Assign{Dst: v, Value: e} }
	vi, vj, vl, vp := &loop.Var{Name: "i", T: i64t}, &loop.Var{Name: "j", T: i64t}, &loop.Var{Name: "l", T: i64t}, &loop.Var{Name: "p", T: i64t}
	s, a, b, d, e, last := &loop.Var{Name: "s", T: f32t}, &loop.Var{Name: "a", T: f32t}, &loop.Var{Name: "b", T: f32t},
		&loop.Var{Name: "d", T: f32t}, &loop.Var{Name: "e", T: f32t}, &loop.Var{Name: "last", T: f32t}
	c := &loop.Var{Name: "c", T: i64t}
	f := &loop.Func{Name: "f", Locals: []*loop.Var{s, a, b, d, e, last, c}}
	for q := 0; q < filler; q++ {
		v := &loop.Var{Name: fmt.Sprintf("fill%d", q), T: i64t}
		f.Locals = append(f.Locals, v)
		f.Body = append(f.Body, set(v, c64(int64(q))))
	}
	row := func(x, y *loop.Var) loop.Expr { return bin(ir.Add, bin(ir.Mul, r(x), r(n)), r(y)) }
	inner := &loop.For{Var: vp, Lo: c64(0), Hi: r(vj), Step: 1, Body: []loop.Stmt{
		set(a, &loop.Load{Buf: X, Index: row(vi, vp), T: f32t}),
		set(d, &loop.Load{Buf: X, Index: row(vj, vp), T: f32t}),
		set(b, bin(ir.Mul, r(a), c32(2))),
		set(e, bin(ir.Mul, r(a), r(d))),
		set(s, bin(ir.Add, r(s), r(b))),
		set(s, bin(ir.Add, r(s), r(d))),
		set(s, bin(ir.Sub, r(s), r(e))),
		set(c, bin(ir.Add, r(c), c64(1))),
		set(last, r(a)),
	}}
	out := &loop.Store{Buf: Y, Index: row(vi, vj),
		Value: bin(ir.Add, bin(ir.Add, r(s), &loop.Cast{X: r(c), T: f32t}), r(last))}
	body := []loop.Stmt{set(s, c32(0)), set(c, c64(0)), set(last, c32(-1)), inner, out}
	f.Body = append(f.Body, &loop.For{Var: vi, Lo: c64(0), Hi: r(n), Step: 1, Body: []loop.Stmt{
		&loop.For{Var: vj, Lo: c64(0), Hi: r(n), Step: 1, Body: []loop.Stmt{
			&loop.For{Var: vl, Lo: c64(0), Hi: c64(1), Step: 1, Body: body}}}}})
	return k, f
}

// TestOutline checks that the hot inner loop of a large function is moved to
// a helper (and that of a small one is not), and that the outlined code
// computes the kernel's definition, including the values a loop that runs no
// iteration (j == 0) must leave unchanged.
func TestOutline(t *testing.T) {
	k, small := outlineKernel(0)
	src, err := Func(k, small, "k_small_go")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(src, []byte("tccgoLoop_")) {
		t.Errorf("small function was outlined:\n%s", src)
	}
	k, f := outlineKernel(outlineVars)
	src, err = Func(k, f, "k_f_go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(src, []byte("func tccgoLoop_k_f_go_1(")) {
		t.Fatalf("inner loop not outlined:\n%s", src)
	}
	const n = 6
	x := make([]float32, n*n)
	for i := range x {
		x[i] = float32(i%7)*0.5 - 1
	}
	var want strings.Builder
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			var s float32
			last := float32(-1)
			for p := 0; p < j; p++ {
				a, d := x[i*n+p], x[j*n+p]
				s = s + a*2
				s = s + d
				s = s - a*d
				last = a
			}
			fmt.Fprintf(&want, "%v, ", s+float32(j)+last)
		}
	}
	test := fmt.Sprintf(`package outl

import (
	"math"
	"testing"
)

var _ = math.Abs

func TestOutlined(t *testing.T) {
	x := %#v
	want := []float32{%s}
	y := make([]float32, len(want))
	k_f_go(x, y, %d)
	for i := range want {
		if d := math.Abs(float64(y[i] - want[i])); d > 1e-5 {
			t.Errorf("Y[%%d] = %%v, want %%v", i, y[i], want[i])
		}
	}
}
`, x, want.String(), n)
	rtf, err := rt.Files("outl")
	if err != nil {
		t.Fatal(err)
	}
	sup, err := Support("outl")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"k.go": append([]byte("package outl\n\nimport \"math\"\n\nvar _ = math.Abs\n\n"), src...), SupportFile: sup}
	for name, s := range rtf {
		files[name] = s
	}
	gotest.Test(t, files, test, gotest.Options{})
}
