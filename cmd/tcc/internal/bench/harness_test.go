package bench

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
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
