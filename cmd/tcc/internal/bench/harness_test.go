package bench

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tensorcc/tcc/ir"
)

// fakeMatmul stands in for a generated package: a naive matmul with the
// SPEC section 9 signature.
const fakeMatmul = `package kern

import "errors"

func Matmul(A, B, C []float32, M, K, N int) error {
	if len(A) != M*K || len(B) != K*N || len(C) != M*N {
		return errors.New("Matmul: bad lengths")
	}
	for m := 0; m < M; m++ {
		for n := 0; n < N; n++ {
			var s float32
			for k := 0; k < K; k++ {
				s += A[m*K+k] * B[k*N+n]
			}
			C[m*N+n] = s
		}
	}
	return nil
}
`

func TestMeasure(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program; skipped in -short mode")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	k := matmulKernel(false)
	res, err := Measure(context.Background(), k, map[string][]byte{"kern.go": []byte(fakeMatmul)},
		Options{Sizes: map[string]int{"M": 16, "K": 8, "N": 4}, Runs: 3, MinRunTime: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Median <= 0 || res.Min > res.Median {
		t.Errorf("timings min %v median %v", res.Min, res.Median)
	}
	if want := 2.0 * 16 * 8 * 4; res.Work.Flops != want {
		t.Errorf("flops %v, want %v", res.Work.Flops, want)
	}
}

// TestMeasureAll times two sequences in one process: one Matmul, and two
// Matmuls with the work of both.
func TestMeasureAll(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program; skipped in -short mode")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	k := matmulKernel(false)
	rs, err := MeasureAll(context.Background(), [][]*ir.Kernel{{k}, {k, k}}, map[string][]byte{"kern.go": []byte(fakeMatmul)},
		Options{Sizes: map[string]int{"M": 16, "K": 8, "N": 4}, Runs: 3, MinRunTime: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Median <= 0 || rs[1].Median <= 0 {
		t.Fatalf("results %v", rs)
	}
	if want := 2 * 2.0 * 16 * 8 * 4; rs[1].Work.Flops != want {
		t.Errorf("flops of the pair %v, want %v", rs[1].Work.Flops, want)
	}
	if _, err := MeasureAll(context.Background(), [][]*ir.Kernel{{k}}, nil, Options{Sizes: map[string]int{"M": 1, "K": 1, "N": 1, "Z": 2}}); err == nil || !strings.Contains(err.Error(), "size Z") {
		t.Errorf("unknown size: err = %v", err)
	}
}

func TestSizeValues(t *testing.T) {
	k := matmulKernel(false)
	tests := []struct {
		sizes   map[string]int
		want    []int
		wantErr string
	}{
		{map[string]int{"M": 1, "K": 2, "N": 3}, []int{1, 2, 3}, ""},
		{map[string]int{"M": 1, "K": 2}, nil, "no value for size N"},
		{map[string]int{"M": 1, "K": 2, "N": 3, "Q": 4}, nil, "no size Q"},
	}
	for _, tt := range tests {
		got, err := SizeValues(k, tt.sizes)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("SizeValues(%v) error %v, want %q", tt.sizes, err, tt.wantErr)
			}
			continue
		}
		if err != nil || len(got) != len(tt.want) || got[0] != tt.want[0] || got[1] != tt.want[1] || got[2] != tt.want[2] {
			t.Errorf("SizeValues(%v) = %v, %v; want %v", tt.sizes, got, err, tt.want)
		}
	}
}

// TestParseOutputAndSpread: the probes interleaved with the runs are
// reported by their medians, and a spread beyond MaxSpread is a warning.
func TestParseOutputAndSpread(t *testing.T) {
	out := []byte("peak_gflops 100\npeak_gbs 20\nns 0 1000\nns 1 50\npeak_gflops 110\npeak_gbs 5\nns 0 1100\nns 1 60\npeak_gflops 105\npeak_gbs 21\nns 0 900\nns 1 70\npeak_gflops 104\npeak_gbs 22\n")
	rs, err := parseOutput(out, []Work{{Flops: 2e6, Bytes: 4e6}, {Flops: 1}})
	if err != nil {
		t.Fatal(err)
	}
	r := rs[0]
	if rs[1].Median != 60 || rs[1].Work.Flops != 1 {
		t.Errorf("second sequence: median %v work %v, want 60ns and its own work", rs[1].Median, rs[1].Work)
	}
	if r.Median != 1000 || r.Min != 900 || r.Max != 1100 {
		t.Errorf("times median %v min %v max %v, want 1µs 900ns 1.1µs", r.Median, r.Min, r.Max)
	}
	if r.PeakGFLOPS != 105 || r.PeakGBs != 21 {
		t.Errorf("peaks %v GFLOP/s %v GB/s, want the medians 105 and 21", r.PeakGFLOPS, r.PeakGBs)
	}
	rep := Report(r)
	if !strings.Contains(rep, "bandwidth probe varied 4.40x") || strings.Contains(rep, "FMA peak probe varied") {
		t.Errorf("report does not warn (only) about the bandwidth probe:\n%s", rep)
	}
	if _, err := parseOutput([]byte("peak_gflops 1\n"), []Work{{}}); err == nil {
		t.Error("no error for an output without timings")
	}
}
