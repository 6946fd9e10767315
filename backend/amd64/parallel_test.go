package amd64_test

import (
	"strings"
	"testing"

	"github.com/tensorcc/tcc/driver"
	"github.com/tensorcc/tcc/frontend"
	"github.com/tensorcc/tcc/internal/gotest"
)

const parallelSrc = `package mm
kernel MM(A: f32[M, K], B: f32[K, N]) -> (C: f32[M, N]) {
    C[m, n] = sum(k: A[m, k] * B[k, n])
}
kernel TB(A: f32[M, K], B: f32[N, K]) -> (C: f32[M, N]) {
    C[m, n] = sum(k: A[m, k] * B[n, k])
}
kernel I8(A: i8[M, K], B: i8[K, N]) -> (C: i32[M, N]) {
    C[m, n] = sum(k: i32(A[m, k]) * i32(B[k, n]))
}
`

// parallelTest runs every kernel with GOMAXPROCS 1 (the runtime then runs
// the chunks of each parallel step in order on one goroutine) and with
// GOMAXPROCS 4 (the chunks are shared by several workers in whatever order
// they take them), for shapes whose steps split into several chunks: GEMMs
// with several NC, KC and MC blocks, GEMVs (M = 1 over B's rows, and the dot
// products of M = 1 with a transposed B and of N = 1) with several column or
// row blocks, and requires bit-identical outputs.
const parallelTest = `package mm

import (
	"math"
	"math/rand"
	"runtime"
	"testing"
)

func TestParallelBitIdentical(t *testing.T) {
	shapes := [][3]int{{300, 700, 900}, {1, 5000, 300}, {1, 1100, 700}, {1000, 1, 700}, {130, 1100, 50}}
	rng := rand.New(rand.NewSource(3))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, s := range shapes {
		M, N, K := s[0], s[1], s[2]
		A, B := make([]float32, M*K), make([]float32, K*N)
		A8, B8 := make([]int8, M*K), make([]int8, K*N)
		for i := range A {
			A[i], A8[i] = rng.Float32()*2-1, int8(rng.Intn(256)-128)
		}
		for i := range B {
			B[i], B8[i] = rng.Float32()*2-1, int8(rng.Intn(256)-128)
		}
		runs := map[string]func(procs int) []uint32{
			"MM": func(procs int) []uint32 {
				runtime.GOMAXPROCS(procs)
				C := make([]float32, M*N)
				if err := MM(A, B, C, M, K, N); err != nil {
					t.Fatal(err)
				}
				return bitsF(C)
			},
			"TB": func(procs int) []uint32 {
				runtime.GOMAXPROCS(procs)
				C := make([]float32, M*N)
				if err := TB(A, B, C, M, K, N); err != nil { // B read as N x K
					t.Fatal(err)
				}
				return bitsF(C)
			},
			"I8": func(procs int) []uint32 {
				runtime.GOMAXPROCS(procs)
				C := make([]int32, M*N)
				if err := I8(A8, B8, C, M, K, N); err != nil {
					t.Fatal(err)
				}
				out := make([]uint32, len(C))
				for i, c := range C {
					out[i] = uint32(c)
				}
				return out
			},
		}
		for name, run := range runs {
			serial := run(1)
			for rep := 0; rep < 3; rep++ {
				par := run(4)
				for i := range serial {
					if serial[i] != par[i] {
						t.Fatalf("%s %v: element %d: serial %#x, parallel %#x", name, s, i, serial[i], par[i])
					}
				}
			}
		}
	}
}

func bitsF(x []float32) []uint32 {
	out := make([]uint32, len(x))
	for i, v := range x {
		out[i] = math.Float32bits(v)
	}
	return out
}
`

// TestParallelBitIdentical checks, in the generated package (AVX-512 where
// the CPU has it, then AVX2), that parallel runs of the f32 and i8 GEMMs and
// of the GEMV paths give results bit-identical to serial runs.
func TestParallelBitIdentical(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a generated package")
	}
	prog, err := frontend.Compile(frontend.Source{Name: "mm.tc", Text: []byte(parallelSrc)})
	if err != nil {
		t.Fatal(err)
	}
	files, err := driver.Generate(prog, driver.Options{Targets: []string{"go", "amd64"}})
	if err != nil {
		t.Fatal(err)
	}
	m := gotest.New(t, files)
	if err := m.WriteFile("parallel_test.go", []byte(parallelTest)); err != nil {
		t.Fatal(err)
	}
	for _, cpu := range []string{"avx512", "avx2"} {
		out, err := m.Test(gotest.Options{Env: []string{"TCC_CPU=" + cpu}, Args: []string{"-v", "-run", "TestParallelBitIdentical"}})
		if err == nil && !strings.Contains(out, "--- PASS: TestParallelBitIdentical") {
			t.Fatalf("TCC_CPU=%s: test did not run:\n%s", cpu, out)
		}
		if err != nil {
			t.Fatalf("TCC_CPU=%s: %v\n%s", cpu, err, out)
		}
	}
}
