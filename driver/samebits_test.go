package driver

import (
	"strings"
	"testing"

	"github.com/tensorcc/tcc/frontend"
	"github.com/tensorcc/tcc/internal/gotest"
)

// sameBitsSrc holds kernels whose results the SPEC fixes for a given plan:
// reductions folded in vector lanes and across them, the GEMM template's
// FMAs, a convolution, integer and f64 sums, and the transcendental
// functions that package legalize expands (exp and what is built on it).
const sameBitsSrc = `package sb

kernel Sum(X: f32[N]) -> (S: f32[]) { S = sum(i: X[i]) }
kernel Dot(X: f32[N], Y: f32[N]) -> (S: f32[]) { S = sum(i: X[i] * Y[i]) }
kernel RowMax(X: f32[R, C]) -> (Y: f32[R]) { Y[r] = max(c: X[r, c]) }
kernel Mean(X: f32[R, C]) -> (Y: f32[R]) { Y[r] = sum(c: X[r, c] * X[r, c]) / f32(C) }
kernel Matmul(A: f32[M, K], B: f32[K, N]) -> (C: f32[M, N]) { C[m, n] = sum(k: A[m, k] * B[k, n]) }
kernel Conv(X: f32[T, C], W: f32[J, C, O]) -> (Y: f32[T, O]) {
    Y[t, o] = sum(j, c: select(t >= j, X[t - j, c], 0.0) * W[j, c, o])
}
kernel Fma(A: f32[N], B: f32[N], C: f32[N]) -> (Y: f32[N]) { Y[i] = A[i] * B[i] + C[i] }
kernel ISum(X: i32[R, C]) -> (Y: i32[R]) { Y[r] = sum(c: X[r, c] * 3) }
kernel DSum(X: f64[N], Y: f64[N]) -> (S: f64[]) { S = sum(i: X[i] * Y[i]) }
kernel Softmax(X: f32[R, C]) -> (Y: f32[R, C]) {
    m[r] = max(c: X[r, c])
    e[r, c] = exp(X[r, c] - m[r])
    s[r] = sum(c: e[r, c])
    Y[r, c] = e[r, c] / s[r]
}
kernel Act(X: f32[N]) -> (A: f32[N], B: f32[N], G: f32[N], T: f32[N], E: f32[N]) {
    A[i] = silu(X[i])
    B[i] = sigmoid(X[i])
    G[i] = gelu(X[i])
    T[i] = tanh(X[i])
    E[i] = exp2(X[i] * 7.0)
}
`

// sameBitsTest calls each kernel's runner for every instruction set and its
// mirror (the Go translation of the same loop IR) on the same inputs and
// compares the outputs bit for bit. Inputs span many binades so that
// reassociation changes results; Fma's inputs include the case where a
// float64 FMA rounded to float32 rounds twice.
const sameBitsTest = `package sb

import (
	"math"
	"math/rand"
	"testing"
)

func f32s(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(math.Ldexp(r.Float64()*2-1, r.Intn(40)-20))
	}
	return x
}

// cancelling returns values below 1 with pairs of ±big added (x[i] and
// x[i+n/2] cancel), so that the rounding of partial sums, which depends on
// the order they are added in, shows in the result.
func cancelling(r *rand.Rand, n int, big float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = r.Float64()*2 - 1
	}
	for i := 0; i+n/2 < n && i < n/2; i += 3 {
		b := math.Ldexp(big, -r.Intn(8))
		x[i] += b
		x[i+n/2] -= b
	}
	return x
}

func to32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

func same32(t *testing.T, name string, a, b []float32) {
	t.Helper()
	for i := range a {
		if a[i] != a[i] && b[i] != b[i] {
			continue // NaN either way: SPEC 7 fixes no NaN payload or sign
		}
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("%s[%d]: assembly %v (%#x), Go %v (%#x)", name, i, a[i], math.Float32bits(a[i]), b[i], math.Float32bits(b[i]))
		}
	}
}

type runner struct {
	name       string
	sum        func(x, s []float32, n int)
	dot        func(x, y, s []float32, n int)
	rowmax     func(x, y []float32, r, c int)
	mean       func(x, y []float32, r, c int)
	matmul     func(a, b, c []float32, m, k, n int)
	conv       func(x, w, y []float32, t, c, j, o int)
	fma        func(a, b, c, y []float32, n int)
	isum       func(x, y []int32, r, c int)
	dsum       func(x, y, s []float64, n int)
	softmax    func(x, y []float32, r, c int)
	act        func(x, a, b, g, t, e []float32, n int)
}

func TestSameBits(t *testing.T) {
	pairs := [][2]runner{
		{{"avx512", tccRun_Sum_avx512, tccRun_Dot_avx512, tccRun_RowMax_avx512, tccRun_Mean_avx512, tccRun_Matmul_avx512, tccRun_Conv_avx512, tccRun_Fma_avx512, tccRun_ISum_avx512, tccRun_DSum_avx512, tccRun_Softmax_avx512, tccRun_Act_avx512},
			{"avx512_mirror", tccRun_Sum_avx512_mirror, tccRun_Dot_avx512_mirror, tccRun_RowMax_avx512_mirror, tccRun_Mean_avx512_mirror, tccRun_Matmul_avx512_mirror, tccRun_Conv_avx512_mirror, tccRun_Fma_avx512_mirror, tccRun_ISum_avx512_mirror, tccRun_DSum_avx512_mirror, tccRun_Softmax_avx512_mirror, tccRun_Act_avx512_mirror}},
		{{"avx2", tccRun_Sum_avx2, tccRun_Dot_avx2, tccRun_RowMax_avx2, tccRun_Mean_avx2, tccRun_Matmul_avx2, tccRun_Conv_avx2, tccRun_Fma_avx2, tccRun_ISum_avx2, tccRun_DSum_avx2, tccRun_Softmax_avx2, tccRun_Act_avx2},
			{"avx2_mirror", tccRun_Sum_avx2_mirror, tccRun_Dot_avx2_mirror, tccRun_RowMax_avx2_mirror, tccRun_Mean_avx2_mirror, tccRun_Matmul_avx2_mirror, tccRun_Conv_avx2_mirror, tccRun_Fma_avx2_mirror, tccRun_ISum_avx2_mirror, tccRun_DSum_avx2_mirror, tccRun_Softmax_avx2_mirror, tccRun_Act_avx2_mirror}},
	}
	if !tccAVX512 {
		pairs = pairs[1:]
	}
	if !tccAVX2 {
		t.Skip("host lacks AVX2")
	}
	r := rand.New(rand.NewSource(1))
	for _, p := range pairs {
		a, g := p[0], p[1]
		for _, n := range []int{1, 7, 16, 33, 1000, 4099} {
			x, y := to32(cancelling(r, n, 1<<30)), f32s(r, n)
			for i := range y {
				y[i] = float32(1 + r.Intn(2))
			}
			s1, s2 := make([]float32, 1), make([]float32, 1)
			a.sum(x, s1, n)
			g.sum(x, s2, n)
			same32(t, a.name+" Sum", s1, s2)
			a.dot(x, y, s1, n)
			g.dot(x, y, s2, n)
			same32(t, a.name+" Dot", s1, s2)
			c := make([]float32, n)
			y1, y2 := make([]float32, n), make([]float32, n)
			copy(c, f32s(r, n))
			a.fma(x, y, c, y1, n)
			g.fma(x, y, c, y2, n)
			same32(t, a.name+" Fma", y1, y2)
		}
		for _, rc := range [][2]int{{3, 5}, {7, 64}, {5, 1001}} {
			x := to32(cancelling(r, rc[0]*rc[1], 1<<12))
			y1, y2 := make([]float32, rc[0]), make([]float32, rc[0])
			a.rowmax(x, y1, rc[0], rc[1])
			g.rowmax(x, y2, rc[0], rc[1])
			same32(t, a.name+" RowMax", y1, y2)
			a.mean(x, y1, rc[0], rc[1])
			g.mean(x, y2, rc[0], rc[1])
			same32(t, a.name+" Mean", y1, y2)
			xi := make([]int32, len(x))
			for i := range xi {
				xi[i] = int32(r.Uint32())
			}
			i1, i2 := make([]int32, rc[0]), make([]int32, rc[0])
			a.isum(xi, i1, rc[0], rc[1])
			g.isum(xi, i2, rc[0], rc[1])
			for i := range i1 {
				if i1[i] != i2[i] {
					t.Fatalf("%s ISum[%d]: %d vs %d", a.name, i, i1[i], i2[i])
				}
			}
		}
		for _, mkn := range [][3]int{{1, 1, 1}, {5, 17, 33}, {67, 130, 45}, {200, 300, 70}} {
			m, k, n := mkn[0], mkn[1], mkn[2]
			A, B := f32s(r, m*k), f32s(r, k*n)
			c1, c2 := make([]float32, m*n), make([]float32, m*n)
			a.matmul(A, B, c1, m, k, n)
			g.matmul(A, B, c2, m, k, n)
			same32(t, a.name+" Matmul", c1, c2)
		}
		{
			T, C, J, O := 50, 19, 4, 21
			x, w := f32s(r, T*C), f32s(r, J*C*O)
			y1, y2 := make([]float32, T*O), make([]float32, T*O)
			a.conv(x, w, y1, T, C, J, O)
			g.conv(x, w, y2, T, C, J, O)
			same32(t, a.name+" Conv", y1, y2)
		}
		{
			n := 999
			x, y := cancelling(r, n, 1<<60), make([]float64, n)
			for i := range y {
				y[i] = float64(1 + r.Intn(2))
			}
			d1, d2 := make([]float64, 1), make([]float64, 1)
			a.dsum(x, y, d1, n)
			g.dsum(x, y, d2, n)
			if math.Float64bits(d1[0]) != math.Float64bits(d2[0]) {
				t.Fatalf("%s DSum: %v vs %v", a.name, d1[0], d2[0])
			}
		}
		for _, rc := range [][2]int{{3, 7}, {5, 100}, {2, 1000}} {
			x := f32s(r, rc[0]*rc[1])
			for i := range x {
				x[i] *= 1 << 10 // scores spanning exp's whole range
			}
			y1, y2 := make([]float32, len(x)), make([]float32, len(x))
			a.softmax(x, y1, rc[0], rc[1])
			g.softmax(x, y2, rc[0], rc[1])
			same32(t, a.name+" Softmax", y1, y2)
		}
		{
			xs := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 1e-45, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 88.7, -87.3, -103.9, 30, -30}
			for i := 0; i < 3000; i++ {
				xs = append(xs, float32(-120+240*float64(i)/3000))
			}
			n := len(xs)
			o1 := [5][]float32{make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)}
			o2 := [5][]float32{make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)}
			a.act(xs, o1[0], o1[1], o1[2], o1[3], o1[4], n)
			g.act(xs, o2[0], o2[1], o2[2], o2[3], o2[4], n)
			for j, name := range []string{"silu", "sigmoid", "gelu", "tanh", "exp2"} {
				same32(t, a.name+" "+name, o1[j], o2[j])
			}
		}
		// a*b is 1 + 2^-11 + 2^-24, halfway between two float32s; c = 2^-80
		// decides the rounding, which a float64 FMA rounded to float32 loses.
		h := float32(1 + 1.0/4096)
		x := []float32{h, h, h, 3}
		c := []float32{float32(math.Ldexp(1, -80)), -float32(math.Ldexp(1, -80)), 0, 1}
		y1, y2 := make([]float32, 4), make([]float32, 4)
		a.fma(x, x, c, y1, 4)
		g.fma(x, x, c, y2, 4)
		same32(t, a.name+" Fma (double rounding)", y1, y2)
	}
}
`

// TestGoAndAsmSameBits checks that the Go translation of the loop IR a
// plan produced gives the same bits as its assembly (the defined order of
// horizontal reductions, correctly rounded float32 FMAs).
func TestGoAndAsmSameBits(t *testing.T) {
	prog, err := frontend.Compile(frontend.Source{Name: "sb.tc", Text: []byte(sameBitsSrc)})
	if err != nil {
		t.Fatal(err)
	}
	g, err := newGenerator(prog, Options{Targets: []string{"amd64"}})
	if err != nil {
		t.Fatal(err)
	}
	g.mirror = true
	files, err := g.generate(prog)
	if err != nil {
		t.Fatal(err)
	}
	for name, src := range files {
		if strings.Contains(string(src), "runs the portable code") {
			t.Fatalf("%s: a level runs the portable code; the test compares nothing there", name)
		}
	}
	m := gotest.New(t, files)
	if err := m.WriteFile(gotest.TestMainFile, []byte(sameBitsTest)); err != nil {
		t.Fatal(err)
	}
	out, err := m.Test(gotest.Options{Args: []string{"-v", "-run", "TestSameBits"}})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "--- PASS: TestSameBits") {
		t.Fatalf("TestSameBits did not run:\n%s", out)
	}
}
