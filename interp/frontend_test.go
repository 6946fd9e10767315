package interp

import (
	"math"
	"testing"

	"github.com/tensorcc/tcc/frontend"
	"github.com/tensorcc/tcc/ir"
)

// Kernels compiled by the front end, checked against answers computed directly
// in the test with package math.
const feSource = `
kernel Softmax(X: f32[R, C]) -> (Y: f32[R, C]) {
    m[r] = max(c: X[r, c])
    e[r, c] = exp(X[r, c] - m[r])
    s[r] = sum(c: e[r, c])
    Y[r, c] = e[r, c] / s[r]
}

kernel QMatVec(W: i4[N, K], S: f16[N, K / 2], X: f32[K]) -> (Y: f32[N], Z: i8[N]) {
    Y[n] = sum(k: f32(W[n, k]) * f32(S[n, k / 2]) * X[k])
    Z[n] = i8(Y[n] * 100)
}
`

func compileFE(t *testing.T) *ir.Program {
	t.Helper()
	prog, err := frontend.Compile(frontend.Source{Name: "fe.tc", Text: []byte(feSource)})
	if err != nil {
		t.Fatalf("front end: %v", err)
	}
	return prog
}

func TestFrontEndSoftmax(t *testing.T) {
	k := compileFE(t).Kernel("Softmax")
	x := []float32{1, 2, 3, 4, -1000, 0, 1000, 1000}
	y := make([]float32, len(x))
	if err := Call(k, x, y, 2, 4); err != nil {
		t.Fatal(err)
	}
	for r := 0; r < 2; r++ {
		row := x[r*4 : r*4+4]
		var m, s float64 = math.Inf(-1), 0
		for _, v := range row {
			m = math.Max(m, float64(v))
		}
		for _, v := range row {
			s += math.Exp(float64(v) - m)
		}
		for c, v := range row {
			want := math.Exp(float64(v)-m) / s
			if math.Abs(float64(y[r*4+c])-want) > 1e-7*want+1e-30 {
				t.Errorf("Y[%d, %d] = %v, want %v", r, c, y[r*4+c], want)
			}
		}
	}
}

func TestFrontEndQuantized(t *testing.T) {
	k := compileFE(t).Kernel("QMatVec")
	// W = [[1, 2], [3, -1]] as i4 (low nibble first); S = [[1], [0.5]] as f16.
	w := []byte{0x21, 0xF3}
	s := []uint16{0x3C00, 0x3800}
	y, z := make([]float32, 2), make([]int8, 2)
	if err := Call(k, w, s, []float32{1, 1}, y, z, 2, 2); err != nil {
		t.Fatal(err)
	}
	if y[0] != 3 || y[1] != 1 || z[0] != 127 || z[1] != 100 {
		t.Errorf("Y = %v, Z = %v, want [3 1] [127 100]", y, z)
	}
	// K = 3 does not divide by 2.
	if err := Call(k, w, s, []float32{1, 1, 1}, y, z, 2, 3); err == nil {
		t.Error("K = 3 accepted for S: f16[N, K / 2]")
	}
}
