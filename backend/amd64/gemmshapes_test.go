package amd64_test

import (
	"strings"
	"testing"

	"github.com/tensorcc/tcc/backend/amd64"
	"github.com/tensorcc/tcc/driver"
	"github.com/tensorcc/tcc/frontend"
	"github.com/tensorcc/tcc/internal/gotest"
	"github.com/tensorcc/tcc/loop"
	"github.com/tensorcc/tcc/lower"
)

// gemmShapesSrc holds the GEMM forms whose lowered assembly
// TestGEMMShapesAsm checks: plain f32, a fused epilogue (bias and relu, run
// at the last KC block), i8 x i8 -> i32 (the VNNI path where the CPU has it)
// a transposed A and a transposed B with an epilogue.
const gemmShapesSrc = `package mm
kernel MM(A: f32[M, K], B: f32[K, N]) -> (C: f32[M, N]) {
    C[m, n] = sum(k: A[m, k] * B[k, n])
}
kernel Epi(A: f32[M, K], B: f32[K, N], bias: f32[N]) -> (C: f32[M, N]) {
    C[m, n] = relu(sum(k: A[m, k] * B[k, n]) + bias[n])
}
kernel I8(A: i8[M, K], B: i8[K, N]) -> (C: i32[M, N]) {
    C[m, n] = sum(k: i32(A[m, k]) * i32(B[k, n]))
}
kernel TA(A: f32[K, M], B: f32[K, N]) -> (C: f32[M, N]) {
    C[m, n] = sum(k: A[k, m] * B[k, n])
}
kernel TB(A: f32[M, K], B: f32[N, K], bias: f32[N]) -> (C: f32[M, N]) {
    C[m, n] = relu(sum(k: A[m, k] * B[n, k]) + bias[n])
}
`

// gemmShapesTest compares every kernel with plain Go loops (float64 sums for
// f32, exact wrapping i32 sums for i8) for shapes with every edge: 1, primes,
// sizes just past the register tile, several KC blocks (K up to 1100), several
// MC blocks (M up to 1100) and both the direct (M < 48) and packed B paths,
// the GEMV paths (M == 1 over B's rows; dot products for M == 1 with a
// transposed B and for N == 1, over several parallel blocks and with
// remainders), and checks that nothing outside C changes (the slices are views of larger
// arrays with sentinels).
const gemmShapesTest = `package mm

import (
	"math"
	"math/rand"
	"testing"
)

var shapes = [][3]int{
	{1, 1, 1}, {1, 7, 3}, {2, 33, 17}, {13, 1, 31}, {12, 32, 16}, {13, 33, 5},
	{47, 65, 129}, {48, 64, 64}, {61, 97, 263}, {100, 37, 700},
	{7, 300, 1031}, {1, 4100, 37}, {1, 33, 1030}, {1, 16, 4}, {130, 70, 520}, {1100, 40, 9}, {5, 4096, 3}, {50, 130, 1100},
	{1, 600, 1031}, {1, 5000, 19}, {300, 1, 1031}, {1, 3, 2}, {7, 1, 16},
}

func withGuard[T any](n int, fill T) ([]T, []T) {
	all := make([]T, n+32)
	for i := range all {
		all[i] = fill
	}
	return all, all[16 : 16+n : 16+n]
}

func TestShapes(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, s := range shapes {
		M, N, K := s[0], s[1], s[2]
		A, At, B, Bt, bias := make([]float32, M*K), make([]float32, K*M), make([]float32, K*N), make([]float32, N*K), make([]float32, N)
		A8, B8 := make([]int8, M*K), make([]int8, K*N)
		for i := range A {
			A[i] = rng.Float32()*2 - 1
			A8[i] = int8(rng.Intn(256) - 128)
		}
		for m := 0; m < M; m++ {
			for k := 0; k < K; k++ {
				At[k*M+m] = A[m*K+k]
			}
		}
		for i := range B {
			B[i] = rng.Float32()*2 - 1
			B8[i] = int8(rng.Intn(256) - 128)
		}
		for k := 0; k < K; k++ {
			for n := 0; n < N; n++ {
				Bt[n*K+k] = B[k*N+n]
			}
		}
		for i := range bias {
			bias[i] = rng.Float32() - 0.5
		}
		want := make([]float64, M*N)
		want8 := make([]int32, M*N)
		for m := 0; m < M; m++ {
			for n := 0; n < N; n++ {
				var s float64
				var s8 int32
				for k := 0; k < K; k++ {
					s += float64(A[m*K+k]) * float64(B[k*N+n])
					s8 += int32(A8[m*K+k]) * int32(B8[k*N+n])
				}
				want[m*N+n], want8[m*N+n] = s, s8
			}
		}
		tol := 1e-5 * float64(K+1)
		check := func(name string, all, c []float32, f func(m, n int) float64) {
			t.Helper()
			for i, x := range all {
				if (i < 16 || i >= 16+M*N) && !math.IsNaN(float64(x)) {
					t.Fatalf("%s %v: wrote outside C at %d", name, s, i-16)
				}
			}
			for m := 0; m < M; m++ {
				for n := 0; n < N; n++ {
					if d := math.Abs(float64(c[m*N+n]) - f(m, n)); !(d <= tol) {
						t.Fatalf("%s %v: C[%d,%d] = %v, want %v", name, s, m, n, c[m*N+n], f(m, n))
					}
				}
			}
		}
		nan := float32(math.NaN())
		all, c := withGuard(M*N, nan)
		if err := MM(A, B, c, M, K, N); err != nil {
			t.Fatal(err)
		}
		check("MM", all, c, func(m, n int) float64 { return want[m*N+n] })
		all, c = withGuard(M*N, nan)
		if err := TA(At, B, c, K, M, N); err != nil {
			t.Fatal(err)
		}
		check("TA", all, c, func(m, n int) float64 { return want[m*N+n] })
		all, c = withGuard(M*N, nan)
		if err := Epi(A, B, bias, c, M, K, N); err != nil {
			t.Fatal(err)
		}
		check("Epi", all, c, func(m, n int) float64 { return math.Max(want[m*N+n]+float64(bias[n]), 0) })
		all, c = withGuard(M*N, nan)
		if err := TB(A, Bt, bias, c, M, K, N); err != nil {
			t.Fatal(err)
		}
		check("TB", all, c, func(m, n int) float64 { return math.Max(want[m*N+n]+float64(bias[n]), 0) })
		all8, c8 := withGuard(M*N, int32(-7))
		if err := I8(A8, B8, c8, M, K, N); err != nil {
			t.Fatal(err)
		}
		for i, x := range all8 {
			if (i < 16 || i >= 16+M*N) && x != -7 {
				t.Fatalf("I8 %v: wrote outside C at %d", s, i-16)
			}
		}
		for i := range want8 {
			if c8[i] != want8[i] {
				t.Fatalf("I8 %v: C[%d] = %d, want %d", s, i, c8[i], want8[i])
			}
		}
	}
}
`

// TestGEMMShapesAsm runs the generated GEMMs (AVX-512 with VNNI where the CPU
// has it, then AVX2, then the portable Go code) over edge-case shapes against
// plain Go loops.
func TestGEMMShapesAsm(t *testing.T) {
	prog, err := frontend.Compile(frontend.Source{Name: "mm.tc", Text: []byte(gemmShapesSrc)})
	if err != nil {
		t.Fatal(err)
	}
	files, err := driver.Generate(prog, driver.Options{Targets: []string{"go", "amd64"}})
	if err != nil {
		t.Fatal(err)
	}
	m := gotest.New(t, files)
	if err := m.WriteFile("shapes_test.go", []byte(gemmShapesTest)); err != nil {
		t.Fatal(err)
	}
	for _, cpu := range []string{"avx512", "avx2", "generic"} {
		out, err := m.Test(gotest.Options{Env: []string{"TCC_CPU=" + cpu}, Args: []string{"-v"}})
		if err == nil && !strings.Contains(out, "--- PASS: TestShapes") {
			t.Fatalf("TCC_CPU=%s: TestShapes did not run:\n%s", cpu, out)
		}
		if err != nil {
			t.Fatalf("TCC_CPU=%s: %v\n%s", cpu, err, out)
		}
	}
}

// TestGEMMTranslates checks that every Func of the lowered GEMMs translates
// to assembly for both instruction sets (none falls back to Go, e.g. for
// lack of registers).
func TestGEMMTranslates(t *testing.T) {
	prog, err := frontend.Compile(frontend.Source{Name: "mm.tc", Text: []byte(gemmShapesSrc)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range []loop.Target{loop.TargetAVX512VNNI, loop.TargetAVX512, loop.TargetAVX2} {
		for _, k := range prog.Kernels {
			lk, err := lower.Lower(k, tg, nil)
			if err != nil {
				t.Fatalf("%s %s: %v", tg.Name, k.Name, err)
			}
			if _, _, err := amd64.Generate(lk, lk.Funcs, tg); err != nil {
				t.Errorf("%s %s: %v", tg.Name, k.Name, err)
			}
		}
	}
}
