package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/tensorcc/tcc/examples/matmul/gokern"
	"github.com/tensorcc/tcc/examples/matmul/kern"
)

// impl is one matrix multiplication C = A*B of row-major A (m x k), B (k x n)
// and C (m x n).
type impl struct {
	name string
	run  func(a, b, c []float32, m, k, n int) error
}

// impls are the implementations compared, gonum (the reference) last.
var impls = []impl{
	{"tcc-go", gokern.Matmul},
	{"tcc", kern.Matmul},
	{"gonum", gonumSgemm},
}

// gonumSgemm computes C = A*B with gonum's blas32.Gemm.
func gonumSgemm(a, b, c []float32, m, k, n int) error {
	if len(a) != m*k || len(b) != k*n || len(c) != m*n {
		return errors.New("gonum: slice lengths do not match the sizes")
	}
	if k == 0 {
		clear(c) // an empty sum; gonum rejects empty operands
		return nil
	}
	if m == 0 || n == 0 {
		return nil
	}
	ga := blas32.General{Rows: m, Cols: k, Stride: k, Data: a}
	gb := blas32.General{Rows: k, Cols: n, Stride: n, Data: b}
	gc := blas32.General{Rows: m, Cols: n, Stride: n, Data: c}
	blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, ga, gb, 0, gc)
	return nil
}

// random returns n deterministic pseudo-random values in [-1, 1).
func random(n int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 0x7cc))
	x := make([]float32, n)
	for i := range x {
		x[i] = 2*r.Float32() - 1
	}
	return x
}

// tolerance is the error SPEC section 7 allows an f32 output whose exact value
// is ref: 1e-4 * (1 + max |ref|).
func tolerance(ref []float32) float64 {
	m := 0.0
	for _, v := range ref {
		m = math.Max(m, math.Abs(float64(v)))
	}
	return 1e-4 * (1 + m)
}

// maxDiff returns the largest |got[i] - want[i]| (NaN counts as infinite).
func maxDiff(got, want []float32) float64 {
	d := 0.0
	for i := range got {
		e := math.Abs(float64(got[i]) - float64(want[i]))
		if math.IsNaN(e) {
			return math.Inf(1)
		}
		d = math.Max(d, e)
	}
	return d
}

// timeIt returns the fastest of reps timed calls of f after one warm-up call.
func timeIt(reps int, f func() error) (time.Duration, error) {
	if err := f(); err != nil {
		return 0, err
	}
	best := time.Duration(math.MaxInt64)
	for range reps {
		t0 := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		best = min(best, time.Since(t0))
	}
	return best, nil
}

func main() {
	log.SetFlags(0)
	n := flag.Int("n", 512, "matrix `size`: multiply n x n matrices")
	reps := flag.Int("reps", 5, "timed `runs` per implementation (the fastest counts)")
	flag.Parse()
	if *n <= 0 || *reps <= 0 {
		log.Fatal("matmul: -n and -reps must be positive")
	}
	runtime.GOMAXPROCS(1)
	if err := compare(*n, *reps); err != nil {
		log.Fatal(err)
	}
}

// compare times every implementation on n x n x n, checks each result against
// gonum's and prints GFLOP/s and the ratio to gonum.
func compare(n, reps int) error {
	a, b := random(n*n, 1), random(n*n, 2)
	outs := make([][]float32, len(impls))
	times := make([]time.Duration, len(impls))
	for i, im := range impls {
		outs[i] = make([]float32, n*n)
		t, err := timeIt(reps, func() error { return im.run(a, b, outs[i], n, n, n) })
		if err != nil {
			return fmt.Errorf("%s: %w", im.name, err)
		}
		times[i] = t
	}
	ref, refTime := outs[len(outs)-1], times[len(times)-1]
	tol := tolerance(ref)
	flops := 2 * float64(n) * float64(n) * float64(n)
	fmt.Printf("C = A*B, %d x %d x %d float32, GOMAXPROCS=%d, best of %d\n", n, n, n, runtime.GOMAXPROCS(0), reps)
	fmt.Printf("%-8s %10s %8s %12s\n", "impl", "GFLOP/s", "ratio", "max |diff|")
	bad := false
	for i, im := range impls {
		d := maxDiff(outs[i], ref)
		mark := ""
		if d > tol {
			mark, bad = "  EXCEEDS TOLERANCE", true
		}
		fmt.Printf("%-8s %10.2f %8.2f %12.3g%s\n", im.name, flops/times[i].Seconds()/1e9,
			refTime.Seconds()/times[i].Seconds(), d, mark)
	}
	fmt.Printf("tolerance (SPEC section 7): %.3g\n", tol)
	if bad {
		fmt.Fprintln(os.Stderr, "matmul: results disagree with gonum")
		os.Exit(1)
	}
	return nil
}
