package bench

import (
	"strings"
	"testing"
	"time"

	"github.com/tensorcc/tcc/ir"
)

// matmulKernel builds C[m, n] = sum(k: A[m, k] * B[k, n]) (+ Bias[n] when
// bias) by hand, without the front end.
func matmulKernel(bias bool) *ir.Kernel {
	M, K, N := &ir.Size{Name: "M", Index: 0}, &ir.Size{Name: "K", Index: 1}, &ir.Size{Name: "N", Index: 2}
	A := &ir.Tensor{Name: "A", Kind: ir.Input, Type: ir.F32, Dims: []ir.Dim{ir.SizeDim(M), ir.SizeDim(K)}}
	B := &ir.Tensor{Name: "B", Kind: ir.Input, Type: ir.F32, Dims: []ir.Dim{ir.SizeDim(K), ir.SizeDim(N)}, Index: 1}
	Bias := &ir.Tensor{Name: "Bias", Kind: ir.Input, Type: ir.F32, Dims: []ir.Dim{ir.SizeDim(N)}, Index: 2}
	C := &ir.Tensor{Name: "C", Kind: ir.Output, Type: ir.F32, Dims: []ir.Dim{ir.SizeDim(M), ir.SizeDim(N)}}
	m := &ir.Var{Name: "m", Extent: ir.SizeDim(M)}
	n := &ir.Var{Name: "n", Extent: ir.SizeDim(N)}
	k := &ir.Var{Name: "k", Extent: ir.SizeDim(K)}
	idx := func(v *ir.Var) ir.Expr { return &ir.Index{Var: v, T: ir.I64} }
	prod := &ir.Binary{Op: ir.Mul, T: ir.F32,
		X: &ir.Read{Tensor: A, Subs: []ir.Expr{idx(m), idx(k)}},
		Y: &ir.Read{Tensor: B, Subs: []ir.Expr{idx(k), idx(n)}}}
	var val ir.Expr = &ir.Reduce{Op: ir.RSum, Vars: []*ir.Var{k}, Body: prod, T: ir.F32}
	params := []*ir.Tensor{A, B}
	if bias {
		val = &ir.Binary{Op: ir.Add, T: ir.F32, X: val, Y: &ir.Read{Tensor: Bias, Subs: []ir.Expr{idx(n)}}}
		params = append(params, Bias)
	}
	return &ir.Kernel{
		Name: "Matmul", Sizes: []*ir.Size{M, K, N}, Params: params, Outputs: []*ir.Tensor{C},
		Stmts: []*ir.Stmt{{Target: C, Index: []*ir.Var{m, n}, Value: val}},
	}
}

func TestCount(t *testing.T) {
	tests := []struct {
		name        string
		bias        bool
		m, k, n     int
		flops       float64
		bytes       float64
		memoryBound bool
	}{
		// 2 flops per multiply-add: 2*M*N*K.
		{"square", false, 64, 64, 64, 2 * 64 * 64 * 64, 4 * 3 * 64 * 64, false},
		{"rect", false, 3, 5, 7, 2 * 3 * 5 * 7, 4 * (3*5 + 5*7 + 3*7), true},
		// The bias adds one flop per output element and N floats read.
		{"bias", true, 10, 20, 30, 2*10*20*30 + 10*30, 4 * (10*20 + 20*30 + 30 + 10*30), true},
		{"empty", false, 4, 0, 4, 0, 4 * 16, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := Count(matmulKernel(tt.bias), []int{tt.m, tt.k, tt.n})
			if w.Flops != tt.flops || w.Bytes != tt.bytes {
				t.Errorf("Count = %+v, want flops %v bytes %v", w, tt.flops, tt.bytes)
			}
			if w.MemoryBound() != tt.memoryBound {
				t.Errorf("MemoryBound = %v, want %v", w.MemoryBound(), tt.memoryBound)
			}
		})
	}
}

func TestReport(t *testing.T) {
	r := &Result{Median: time.Second, Min: time.Second, Work: Work{Flops: 4e9, Bytes: 1e8}, PeakGFLOPS: 8, PeakGBs: 0}
	got := Report(r)
	for _, want := range []string{"compute  4.00 GFLOP/s", "50.0% of the 8.0 GFLOP/s f32 FMA peak", "memory   0.10 GB/s (1e+08 bytes per call)\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("Report = %q, lacks %q", got, want)
		}
	}
	// A memory-bound kernel leads with GB/s.
	r.Work = Work{Flops: 1e6, Bytes: 1e9}
	if got := Report(r); strings.Index(got, "memory") > strings.Index(got, "compute") {
		t.Errorf("memory-bound report does not lead with memory:\n%s", got)
	}
}
