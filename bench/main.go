package main

import (
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/tensorcc/tcc/examples/matmul/kern"
)

var (
	threadsFlag = flag.String("threads", "1,2", "comma-separated thread counts")
	quick       = flag.Bool("quick", false, "fewer and smaller shapes, shorter timing")
	child       = flag.Int("child", 0, "internal: run the measurements with this many threads")
)

type shape struct{ m, n, k int }

func shapes() []shape {
	var s []shape
	sq := []int{64, 128, 256, 512, 1024, 2048}
	llm := []int{1, 16, 128}
	if *quick {
		sq, llm = []int{64, 256, 512}, []int{1, 16}
	}
	for _, n := range sq {
		s = append(s, shape{n, n, n})
	}
	for _, m := range llm {
		s = append(s, shape{m, 4096, 4096})
	}
	return s
}

func main() {
	log.SetFlags(0)
	flag.Parse()
	if *child > 0 {
		measure(*child)
		return
	}
	if os.Getenv("OPENBLAS_CORETYPE") == "" {
		os.Setenv("OPENBLAS_CORETYPE", "Cooperlake")
	}
	exe, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range strings.Split(*threadsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(t))
		if err != nil || n < 1 {
			log.Fatalf("bad thread count %q", t)
		}
		args := []string{"-child", strconv.Itoa(n)}
		if *quick {
			args = append(args, "-quick")
		}
		cmd := exec.Command(exe, args...)
		cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(n), "OPENBLAS_NUM_THREADS="+strconv.Itoa(n))
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			log.Fatalf("threads=%d: %v", n, err)
		}
	}
}

// measure runs every shape with the given thread count in this process.
func measure(threads int) {
	openblasThreads(threads)
	fmt.Printf("threads=%d GOMAXPROCS=%d OPENBLAS_CORETYPE=%s\n", threads, runtime.GOMAXPROCS(0), os.Getenv("OPENBLAS_CORETYPE"))
	fmt.Printf("%-18s %10s %10s %10s %10s %10s\n", "shape (MxNxK)", "tcc", "gonum", "openblas", "tcc/gonum", "tcc/oblas")
	rng := rand.New(rand.NewSource(1))
	for _, s := range shapes() {
		a := randSlice(rng, s.m*s.k)
		b := randSlice(rng, s.k*s.n)
		c := make([]float32, s.m*s.n)
		ref := make([]float32, s.m*s.n)
		gonum := func() {
			blas32.Gemm(blas.NoTrans, blas.NoTrans, 1,
				blas32.General{Rows: s.m, Cols: s.k, Stride: s.k, Data: a},
				blas32.General{Rows: s.k, Cols: s.n, Stride: s.n, Data: b},
				0, blas32.General{Rows: s.m, Cols: s.n, Stride: s.n, Data: c})
		}
		tcc := func() {
			if err := kern.Matmul(a, b, c, s.m, s.k, s.n); err != nil {
				log.Fatal(err)
			}
		}
		// Check tcc against gonum before timing it.
		gonum()
		copy(ref, c)
		tcc()
		if err := compare(c, ref, s.k); err != nil {
			log.Fatalf("%dx%dx%d: tcc differs from gonum: %v", s.m, s.n, s.k, err)
		}
		flop := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		gG := flop / seconds(gonum) / 1e9
		var gT, gO float64
		if haveOpenBLAS {
			t := interleaved(tcc, func() { openblasSgemm(s.m, s.n, s.k, a, b, c) })
			gT, gO = flop/t[0]/1e9, flop/t[1]/1e9
		} else {
			gT, gO = flop/seconds(tcc)/1e9, math.NaN()
		}
		fmt.Printf("%-18s %10.1f %10.1f %10.1f %10.2f %10.2f\n", fmt.Sprintf("%dx%dx%d", s.m, s.n, s.k), gT, gG, gO, gT/gG, gT/gO)
	}
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*2 - 1
	}
	return s
}

// compare checks got against want within f32 rounding of k-term sums.
func compare(got, want []float32, k int) error {
	scale := 0.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(float64(w)))
	}
	tol := 1e-4 * (1 + scale)
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); !(d <= tol) {
			return fmt.Errorf("element %d: %v, want %v", i, got[i], want[i])
		}
	}
	return nil
}

// interleaved returns the best time of each of fs, timed in alternating
// rounds (about a quarter of a second in all per function, after one
// warm-up call each), so that a busy spell on a shared machine slows all of
// them rather than one.
func interleaved(fs ...func()) []float64 {
	const rounds = 8
	budget := 250 * time.Millisecond
	if *quick {
		budget = 60 * time.Millisecond
	}
	best := make([]float64, len(fs))
	for i, f := range fs {
		f()
		best[i] = math.Inf(1)
	}
	for range rounds {
		for i, f := range fs {
			start := time.Now()
			for n := 0; n < 1 || time.Since(start) < budget/rounds; n++ {
				t := time.Now()
				f()
				best[i] = math.Min(best[i], time.Since(t).Seconds())
				if n > 200 {
					break
				}
			}
		}
	}
	return best
}

// seconds returns the best time of f over repetitions lasting about a quarter
// of a second in total (after one warm-up call).
func seconds(f func()) float64 {
	f()
	budget := 250 * time.Millisecond
	if *quick {
		budget = 60 * time.Millisecond
	}
	best := math.Inf(1)
	start := time.Now()
	for n := 0; n < 3 || time.Since(start) < budget; n++ {
		t := time.Now()
		f()
		best = math.Min(best, time.Since(t).Seconds())
		if n > 1000 {
			break
		}
	}
	return best
}
