package amd64_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/tensorcc/tcc/driver"
	"github.com/tensorcc/tcc/frontend"
	"github.com/tensorcc/tcc/internal/gotest"
)

const matmulSrc = `package mm
kernel Matmul(A: f32[M, K], B: f32[K, N]) -> (C: f32[M, N]) {
    C[m, n] = sum(k: A[m, k] * B[k, n])
}
`

const matmulBench = `package mm

import (
	"runtime"
	"testing"
	"time"
)

func BenchmarkMatmul1024(b *testing.B) {
	runtime.GOMAXPROCS(1)
	const n = 1024
	A, B, C := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
	for i := range A {
		A[i], B[i] = float32(i%7), float32(i%5)
	}
	Matmul(A, B, C, n, n, n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Matmul(A, B, C, n, n, n); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	_ = time.Now
}
`

// TestMatmulSpeedAsm measures the 1024^3 f32 matmul on one core for the
// AVX-512 and AVX2 paths (TCC_CPU) and logs GFLOP/s. It runs only when
// TCC_BENCH=1 (it takes tens of seconds and needs a quiet machine).
func TestMatmulSpeedAsm(t *testing.T) {
	if os.Getenv("TCC_BENCH") != "1" {
		t.Skip("set TCC_BENCH=1 to measure the assembly matmul")
	}
	prog, err := frontend.Compile(frontend.Source{Name: "mm.tc", Text: []byte(matmulSrc)})
	if err != nil {
		t.Fatal(err)
	}
	files, err := driver.Generate(prog, driver.Options{Targets: []string{"amd64"}})
	if err != nil {
		t.Fatal(err)
	}
	m := gotest.New(t, files)
	if err := m.WriteFile("bench_test.go", []byte(matmulBench)); err != nil {
		t.Fatal(err)
	}
	for _, cpu := range []string{"avx512", "avx2"} {
		out, err := m.Test(gotest.Options{Env: []string{"TCC_CPU=" + cpu}, Args: []string{"-run", "^$", "-bench", "Matmul1024", "-benchtime", "5x"}})
		if err != nil {
			t.Fatal(err)
		}
		mt := regexp.MustCompile(`([\d.]+) GFLOP/s`).FindStringSubmatch(out)
		if mt == nil {
			t.Fatalf("no result in:\n%s", out)
		}
		t.Logf("%s: %s GFLOP/s (%s)", cpu, mt[1], strings.TrimSpace(out))
	}
}
