package driver

import (
	"os"
	"regexp"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/tensorcc/tcc/frontend"
	"github.com/tensorcc/tcc/internal/gotest"
)

const matmulSrc = `package mm
kernel Matmul(A: f32[M, K], B: f32[K, N]) -> (C: f32[M, N]) {
    C[m, n] = sum(k: A[m, k] * B[k, n])
}
`

const matmulBench = `package mm

import "testing"

func BenchmarkMatmul512(b *testing.B) {
	const n = 512
	A, B, C := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
	for i := range A {
		A[i], B[i] = float32(i%7), float32(i%5)
	}
	for b.Loop() {
		if err := Matmul(A, B, C, n, n, n); err != nil {
			b.Fatal(err)
		}
	}
}
`

// TestMatmulSpeed compares the portable Go matmul (TCC_CPU=generic) at 512^3
// with gonum's Sgemm; the Go code must reach half of gonum's speed. It takes
// tens of seconds, so it runs only when TCC_BENCH=1.
func TestMatmulSpeed(t *testing.T) {
	if os.Getenv("TCC_BENCH") != "1" {
		t.Skip("set TCC_BENCH=1 to compare the Go matmul with gonum")
	}
	prog, err := frontend.Compile(frontend.Source{Name: "mm.tc", Text: []byte(matmulSrc)})
	if err != nil {
		t.Fatal(err)
	}
	files, err := Generate(prog, Options{Targets: []string{"amd64"}})
	if err != nil {
		t.Fatal(err)
	}
	m := gotest.New(t, files)
	if err := m.WriteFile("bench_test.go", []byte(matmulBench)); err != nil {
		t.Fatal(err)
	}
	out, err := m.Test(gotest.Options{Env: []string{"TCC_CPU=generic"}, Args: []string{"-run", "^$", "-bench", "Matmul512", "-benchtime", "5x"}})
	if err != nil {
		t.Fatal(err)
	}
	mt := regexp.MustCompile(`BenchmarkMatmul512\S*\s+\d+\s+(\d+) ns/op`).FindStringSubmatch(out)
	if mt == nil {
		t.Fatalf("no benchmark result in:\n%s", out)
	}
	tcc, _ := strconv.ParseFloat(mt[1], 64)
	const n = 512
	mk := func() blas32.General {
		g := blas32.General{Rows: n, Cols: n, Stride: n, Data: make([]float32, n*n)}
		for i := range g.Data {
			g.Data[i] = float32(i % 7)
		}
		return g
	}
	a, b, c := mk(), mk(), mk()
	res := testing.Benchmark(func(tb *testing.B) {
		for tb.Loop() {
			blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, a, b, 0, c)
		}
	})
	gonum := float64(res.NsPerOp())
	flops := 2.0 * n * n * n
	t.Logf("tcc go: %.2f GFLOP/s, gonum: %.2f GFLOP/s", flops/tcc, flops/gonum)
	if tcc > 2*gonum {
		t.Errorf("portable Go matmul is %.2fx slower than gonum (want at most 2x)", tcc/gonum)
	}
}
