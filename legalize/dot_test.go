package legalize_test

import (
	"math/rand/v2"
	"testing"

	"github.com/tensorcc/tcc/internal/loopeval"
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/legalize"
	"github.com/tensorcc/tcc/loop"
)

// dotKernel returns y[i] = dot(a[i], b[i], c[i]) over N i32 elements, 16
// lanes at a time (N a multiple of 16).
func dotKernel(fn loop.Fn) *loop.Kernel {
	n := &loop.Var{Name: "N", T: loop.Int64}
	buf := func(name string, kind loop.BufKind) *loop.Buf {
		return &loop.Buf{Name: name, Elem: ir.I32, Kind: kind, Len: loop.R(n)}
	}
	a, b, c, y := buf("a", loop.InputBuf), buf("b", loop.InputBuf), buf("c", loop.InputBuf), buf("y", loop.OutputBuf)
	i := &loop.Var{Name: "i", T: loop.Int64}
	vt := loop.Vec(ir.I32, 16)
	ld := func(x *loop.Buf) loop.Expr { return &loop.Load{Buf: x, Index: loop.R(i), T: vt} }
	f := &loop.Func{Name: "s0", VectorBits: 512, Body: []loop.Stmt{&loop.For{Var: i, Lo: loop.I64(0), Hi: loop.R(n), Step: 16, Body: []loop.Stmt{
		&loop.Store{Buf: y, Index: loop.R(i), Value: &loop.Call{Fn: fn, Args: []loop.Expr{ld(a), ld(b), ld(c)}, T: vt}},
	}}}}
	size := &ir.Size{Name: "N"}
	tensor := func(name string, kind ir.TensorKind) *ir.Tensor {
		return &ir.Tensor{Name: name, Kind: kind, Type: ir.I32, Dims: []ir.Dim{ir.SizeDim(size)}}
	}
	src := &ir.Kernel{Name: "Dot", Sizes: []*ir.Size{size},
		Params:  []*ir.Tensor{tensor("a", ir.Input), tensor("b", ir.Input), tensor("c", ir.Input)},
		Outputs: []*ir.Tensor{tensor("y", ir.Output)}}
	return &loop.Kernel{Name: "Dot", Source: src, Sizes: []*loop.Var{n}, Inputs: []*loop.Buf{a, b, c}, Outputs: []*loop.Buf{y},
		Steps: []*loop.Step{{Func: f}}, Funcs: []*loop.Func{f}}
}

// TestDotSignedness rewrites every byte dot product into the VNNI form and
// compares the result with the form's own definition (package loopeval
// evaluates each form directly) on random words, extreme bytes included.
func TestDotSignedness(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 64 * 16
	words := func() []int32 {
		w := make([]int32, n)
		for i := range w {
			w[i] = int32(r.Uint32())
		}
		for i, v := range []uint32{0, 0xffffffff, 0x80808080, 0x7f7f7f7f, 0x807f0180} {
			w[i] = int32(v)
		}
		return w
	}
	a, b, c := words(), words(), words()
	for _, fn := range []loop.Fn{loop.DotU8S8, loop.DotU8U8, loop.DotS8S8, loop.DotS8U8} {
		want := make([]int32, n)
		if err := loopeval.Run(dotKernel(fn), []any{a, b, c, want, n}, loopeval.Options{}); err != nil {
			t.Fatal(err)
		}
		k := dotKernel(fn)
		legalize.Run(k, legalize.For(loop.TargetAVX512VNNI))
		loop.WalkStmts(k.Funcs[0].Body, nil, func(e loop.Expr) {
			if x, ok := e.(*loop.Call); ok && x.Fn.IsDot4() && x.Fn != loop.DotU8S8 {
				t.Errorf("fn %d: a %d call is left", fn, x.Fn)
			}
		})
		if err := loop.Verify(k); err != nil {
			t.Fatal(err)
		}
		got := make([]int32, n)
		if err := loopeval.Run(k, []any{a, b, c, got, n}, loopeval.Options{}); err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("fn %d: lane %d: a %#x b %#x c %d: got %d, want %d", fn, i, uint32(a[i]), uint32(b[i]), c[i], got[i], want[i])
			}
		}
	}
}
