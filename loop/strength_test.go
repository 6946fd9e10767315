package loop_test

import (
	"math"
	"strings"
	"testing"

	"github.com/tensorcc/tcc/internal/loopeval"
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// divModKernel has sizes N, L, C and D and two outputs Q and M of 3N
// elements; its loop runs i over [L, L+N) and stores, at 3(i-L)+j:
//
//	j = 0: (i + C) / D and % D            (offset and divisor as variables)
//	j = 1: (i - 3 + C) / (2D) and % (2D)  (a subtraction, a computed divisor)
//	j = 2: (k + i) / 5, k = 0 (a nested loop, reduced from both loops)
func divModKernel() (*loop.Kernel, *loop.Func) {
	src := &ir.Kernel{Name: "DivMod"}
	var sizes []*loop.Var
	for _, n := range []string{"N", "L", "C", "D"} {
		src.Sizes = append(src.Sizes, &ir.Size{Name: n})
		sizes = append(sizes, loop.NewVar(n, loop.Int64))
	}
	n, l, c, d := sizes[0], sizes[1], sizes[2], sizes[3]
	out := func(name string) *loop.Buf {
		t := &ir.Tensor{Name: name, Kind: ir.Output, Type: ir.I64}
		src.Outputs = append(src.Outputs, t)
		return &loop.Buf{Name: name, Elem: ir.I64, Kind: loop.OutputBuf, Len: loop.Mul(loop.I64(3), loop.R(n)), Tensor: t}
	}
	q, m := out("Q"), out("M")
	i, k := loop.NewVar("i", loop.Int64), loop.NewVar("k", loop.Int64)
	at := func(j int64) loop.Expr {
		return loop.Add(loop.Mul(loop.I64(3), loop.Sub(loop.R(i), loop.R(l))), loop.I64(j))
	}
	div := func(op ir.Op, x, y loop.Expr) loop.Expr { return &loop.Bin{Op: op, X: x, Y: y, T: loop.Int64} }
	pair := func(j int64, x func() loop.Expr, y func() loop.Expr) []loop.Stmt {
		return []loop.Stmt{
			&loop.Store{Buf: q, Index: at(j), Value: div(ir.Div, x(), y())},
			&loop.Store{Buf: m, Index: at(j), Value: div(ir.Mod, x(), y())},
		}
	}
	var body []loop.Stmt
	body = append(body, pair(0,
		func() loop.Expr { return loop.Add(loop.R(i), loop.R(c)) },
		func() loop.Expr { return loop.R(d) })...)
	body = append(body, pair(1,
		func() loop.Expr {
			return &loop.Bin{Op: ir.Add, X: loop.Sub(loop.R(i), loop.I64(3)), Y: loop.R(c), T: loop.Int64}
		},
		func() loop.Expr { return &loop.Bin{Op: ir.Mul, X: loop.I64(2), Y: loop.R(d), T: loop.Int64} })...)
	body = append(body, &loop.For{Var: k, Lo: loop.I64(0), Hi: loop.I64(1), Step: 1, Body: pair(2,
		func() loop.Expr { return loop.Add(loop.R(k), loop.R(i)) },
		func() loop.Expr { return loop.I64(5) })})
	f := &loop.Func{Name: "divmod", Body: []loop.Stmt{
		&loop.For{Var: i, Lo: loop.R(l), Hi: loop.Add(loop.R(l), loop.R(n)), Step: 1, Body: body}}}
	kern := &loop.Kernel{Name: "DivMod", Source: src, Sizes: sizes,
		Outputs: []*loop.Buf{q, m}, Funcs: []*loop.Func{f}, Steps: []*loop.Step{{Func: f}}}
	return kern, f
}

// floorDivMod is floor division and its remainder by float64 arithmetic,
// 0 and 0 for a zero divisor.
func floorDivMod(a, b int64) (int64, int64) {
	if b == 0 {
		return 0, 0
	}
	q := int64(math.Floor(float64(a) / float64(b)))
	return q, a - b*q
}

func TestReduceDivMod(t *testing.T) {
	cases := []struct{ n, l, c, d int64 }{
		{20, 0, 0, 3},
		{20, -7, 2, 4},
		{17, 5, -11, -3},
		{9, -4, 1, 1},
		{9, 2, 3, -1},
		{6, -2, 0, 0},
		{30, -15, 7, 7},
	}
	kern, f := divModKernel()
	loop.ReduceDivMod(f)
	text := f.String()
	// Only the initialisations before the loop may divide.
	if body := text[strings.Index(text, "for i"):]; strings.ContainsAny(body, "/%") {
		t.Fatalf("a division is left in the loop:\n%s", text)
	}
	for _, c := range cases {
		q, m := make([]int64, 3*c.n), make([]int64, 3*c.n)
		if err := loopeval.Run(kern, []any{q, m, int(c.n), int(c.l), int(c.c), int(c.d)}, loopeval.Options{}); err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		for x := int64(0); x < c.n; x++ {
			i := c.l + x
			want := [3][2]int64{}
			want[0][0], want[0][1] = floorDivMod(i+c.c, c.d)
			want[1][0], want[1][1] = floorDivMod(i-3+c.c, 2*c.d)
			want[2][0], want[2][1] = floorDivMod(i, 5)
			for j := range want {
				if got := [2]int64{q[3*x+int64(j)], m[3*x+int64(j)]}; got != want[j] {
					t.Errorf("%+v: i = %d, case %d: quotient and remainder %v, want %v", c, i, j, got, want[j])
				}
			}
		}
	}
}

// TestHoistInvariantsOuter checks that a costly scalar invariant leaves
// every loop it does not depend on: N / D before both loops, i % D out of
// the inner one only, and that the values stay those of the loop nest.
func TestHoistInvariantsOuter(t *testing.T) {
	src := &ir.Kernel{Name: "Hoist"}
	var sizes []*loop.Var
	for _, n := range []string{"N", "D"} {
		src.Sizes = append(src.Sizes, &ir.Size{Name: n})
		sizes = append(sizes, loop.NewVar(n, loop.Int64))
	}
	n, d := sizes[0], sizes[1]
	yt := &ir.Tensor{Name: "Y", Kind: ir.Output, Type: ir.I64}
	src.Outputs = []*ir.Tensor{yt}
	y := &loop.Buf{Name: "Y", Elem: ir.I64, Kind: loop.OutputBuf, Len: loop.Mul(loop.R(n), loop.R(n)), Tensor: yt}
	i, j := loop.NewVar("i", loop.Int64), loop.NewVar("j", loop.Int64)
	bin := func(op ir.Op, x, y loop.Expr) loop.Expr { return &loop.Bin{Op: op, X: x, Y: y, T: loop.Int64} }
	value := loop.Add(loop.Add(bin(ir.Div, loop.R(n), loop.R(d)), bin(ir.Mod, bin(ir.Mul, loop.I64(7), loop.R(i)), loop.R(d))), loop.R(j))
	inner := &loop.For{Var: j, Lo: loop.I64(0), Hi: loop.R(n), Step: 1, Body: []loop.Stmt{
		&loop.Store{Buf: y, Index: loop.Add(loop.Mul(loop.R(i), loop.R(n)), loop.R(j)), Value: value}}}
	f := &loop.Func{Name: "hoist", Body: []loop.Stmt{
		&loop.For{Var: i, Lo: loop.I64(0), Hi: loop.R(n), Step: 1, Body: []loop.Stmt{inner}}}}
	kern := &loop.Kernel{Name: "Hoist", Source: src, Sizes: sizes,
		Outputs: []*loop.Buf{y}, Funcs: []*loop.Func{f}, Steps: []*loop.Step{{Func: f}}}
	loop.HoistInvariants(f, 16)
	text := f.String()
	outer := text[:strings.Index(text, "for i")]
	between := text[strings.Index(text, "for i"):strings.Index(text, "for j")]
	if !strings.Contains(outer, "(N / D)") || !strings.Contains(between, "% D)") ||
		strings.Contains(text[strings.Index(text, "for j"):], "/") || strings.Contains(text[strings.Index(text, "for j"):], "%") {
		t.Fatalf("invariants not hoisted to their loops:\n%s", text)
	}
	for _, c := range []struct{ n, d int64 }{{5, 3}, {4, -3}, {3, 0}} {
		out := make([]int64, c.n*c.n)
		if err := loopeval.Run(kern, []any{out, int(c.n), int(c.d)}, loopeval.Options{}); err != nil {
			t.Fatal(err)
		}
		for a := int64(0); a < c.n; a++ {
			for b := int64(0); b < c.n; b++ {
				q, _ := floorDivMod(c.n, c.d)
				_, r := floorDivMod(7*a, c.d)
				if want := q + r + b; out[a*c.n+b] != want {
					t.Errorf("N=%d D=%d: Y[%d,%d] = %d, want %d", c.n, c.d, a, b, out[a*c.n+b], want)
				}
			}
		}
	}
}
