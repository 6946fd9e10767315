package loopeval

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

func TestEncodeDecode(t *testing.T) {
	cases := []struct {
		typ   ir.DType
		in    []float64
		wantF []float64 // nil for integer types
		wantI []int64
	}{
		{ir.F32, []float64{0.1, -2}, []float64{float64(float32(0.1)), -2}, nil},
		{ir.F16, []float64{1.5, 65504, 1e6}, []float64{1.5, 65504, 1e6}, nil}, // 1e6 rounds to +Inf below
		{ir.I8, []float64{127, 200, -129}, nil, []int64{127, 200 - 256, -129 + 256}},
		{ir.U8, []float64{255, 256}, nil, []int64{255, 0}},
		{ir.UintType(4), []float64{3, 15, 16, 7}, nil, []int64{3, 15, 0, 7}},
		{ir.IntType(4), []float64{7, 8, -8}, nil, []int64{7, -8, -8}},
	}
	for _, c := range cases {
		a, err := Encode(c.typ, c.in)
		if err != nil {
			t.Fatalf("%v: %v", c.typ, err)
		}
		f, i, err := Decode(c.typ, a, len(c.in))
		if err != nil {
			t.Fatalf("%v: %v", c.typ, err)
		}
		for x := range c.in {
			switch {
			case c.wantF != nil && c.typ == ir.F16 && x == 2:
				if f[x] <= 65504 {
					t.Errorf("%v: %g encodes to %g, want +Inf", c.typ, c.in[x], f[x])
				}
			case c.wantF != nil:
				if f[x] != c.wantF[x] {
					t.Errorf("%v: %g decodes to %g, want %g", c.typ, c.in[x], f[x], c.wantF[x])
				}
			default:
				if i[x] != c.wantI[x] {
					t.Errorf("%v: %g decodes to %d, want %d", c.typ, c.in[x], i[x], c.wantI[x])
				}
			}
		}
	}
	if _, _, err := Decode(ir.F32, []float32{1}, 2); err == nil {
		t.Error("Decode past the end: no error")
	}
}

// copyKernel is Y[i] = X[i+shift] * 2 over [0, N), in a parallel step whose
// chunks write Y[i] and, when racy, also Y[0].
func copyKernel(shift int64, racy bool) *loop.Kernel {
	src := &ir.Kernel{Name: "Copy"}
	n := &ir.Size{Name: "N"}
	src.Sizes = []*ir.Size{n}
	x := &ir.Tensor{Name: "X", Kind: ir.Input, Type: ir.F32, Dims: []ir.Dim{ir.SizeDim(n)}}
	y := &ir.Tensor{Name: "Y", Kind: ir.Output, Type: ir.F32, Dims: []ir.Dim{ir.SizeDim(n)}}
	src.Params, src.Outputs = []*ir.Tensor{x}, []*ir.Tensor{y}
	N := loop.NewVar("N", loop.Int64)
	X := &loop.Buf{Name: "X", Elem: ir.F32, Kind: loop.InputBuf, Len: loop.R(N), Tensor: x}
	Y := &loop.Buf{Name: "Y", Elem: ir.F32, Kind: loop.OutputBuf, Len: loop.R(N), Tensor: y}
	f32 := loop.Scalar(ir.F32)
	lo, hi := loop.NewVar("lo", loop.Int64), loop.NewVar("hi", loop.Int64)
	i := loop.NewVar("i", loop.Int64)
	body := []loop.Stmt{&loop.Store{Buf: Y, Index: loop.R(i), Value: &loop.Bin{Op: ir.Mul, T: f32,
		X: &loop.Load{Buf: X, Index: loop.Add(loop.R(i), loop.I64(shift)), T: f32},
		Y: &loop.Const{T: f32, Float: 2}}}}
	if racy {
		body = append(body, &loop.Store{Buf: Y, Index: loop.I64(0), Value: &loop.Const{T: f32}})
	}
	f := &loop.Func{Name: "copy", Lo: lo, Hi: hi, Body: []loop.Stmt{
		&loop.For{Var: i, Lo: loop.R(lo), Hi: loop.R(hi), Step: 1, Body: body}}}
	return &loop.Kernel{Name: "Copy", Source: src, Sizes: []*loop.Var{N},
		Inputs: []*loop.Buf{X}, Outputs: []*loop.Buf{Y}, Funcs: []*loop.Func{f},
		Steps: []*loop.Step{{Func: f, Parallel: true, Extent: loop.R(N), Grain: 1}}}
}

func TestRun(t *testing.T) {
	ones := func(n int64) [][2]int64 {
		var c [][2]int64
		for i := n - 1; i >= 0; i-- {
			c = append(c, [2]int64{i, i + 1})
		}
		return c
	}
	cases := []struct {
		name    string
		shift   int64
		racy    bool
		opts    Options
		wantErr string
	}{
		{"one chunk", 0, false, Options{}, ""},
		{"random chunks", 0, false, Options{Rand: rand.New(rand.NewSource(1))}, ""},
		{"given chunks", 0, false, Options{Chunks: ones}, ""},
		{"out of bounds", 1, false, Options{}, "out of bounds"},
		{"race", 0, true, Options{Chunks: ones}, "race"},
		{"race unseen in one chunk", 0, true, Options{}, ""},
		{"bad chunks", 0, false, Options{Chunks: func(n int64) [][2]int64 { return [][2]int64{{0, 1}} }}, "partition"},
		{"step budget", 0, false, Options{MaxSteps: 3}, "statements"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			const n = 7
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(i) + 0.5
			}
			y := make([]float32, n)
			err := Run(copyKernel(c.shift, c.racy), []any{x, y, n}, c.opts)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := range y {
				want := 2 * x[i]
				if c.racy && i == 0 {
					want = 0
				}
				if y[i] != want {
					t.Errorf("Y[%d] = %g, want %g", i, y[i], want)
				}
			}
		})
	}
}
