package amd64_test

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/tensorcc/tcc/backend/amd64"
	"github.com/tensorcc/tcc/driver"
	"github.com/tensorcc/tcc/frontend"
	"github.com/tensorcc/tcc/internal/gotest"
)

const peakSrc = `package mm
kernel MM(A: f32[M, K], B: f32[K, N]) -> (C: f32[M, N]) {
    C[m, n] = sum(k: A[m, k] * B[k, n])
}
kernel I8(A: i8[M, K], B: i8[K, N]) -> (C: i32[M, N]) {
    C[m, n] = sum(k: i32(A[m, k]) * i32(B[k, n]))
}
`

// peakBench measures, in one process and interleaved over several rounds
// (medians reported), the FMA probe, the generated f32 GEMM at 1024^3 on one
// and two threads, the i8 GEMM at 1024^3, the read-bandwidth probe over 128
// MiB and a GEMV-shaped call (M = 1, K = N = 4096) cycling over weight
// matrices totalling 192 MiB.
const peakBench = `package mm

import (
	"runtime"
	"slices"
	"testing"
	"time"
)

func timeIt(f func()) float64 {
	t := time.Now()
	f()
	return time.Since(t).Seconds()
}

func median(x []float64) float64 { slices.Sort(x); return x[len(x)/2] }

func BenchmarkPeak(b *testing.B) {
	const n, rounds = 1024, 7
	A, B, C := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
	A8, B8, C8 := make([]int8, n*n), make([]int8, n*n), make([]int32, n*n)
	for i := range A {
		A[i], B[i] = float32(i%7)-3, float32(i%5)-2
		A8[i], B8[i] = int8(i%7-3), int8(i%5-2)
	}
	const g = 4096
	x, y := make([]float32, g), make([]float32, g)
	var W [][]float32
	for i := 0; i < 3; i++ {
		w := make([]float32, g*g)
		for j := range w {
			w[j] = float32(j % 3)
		}
		W = append(W, w)
	}
	isa := "avx512"
	if ProbeFMA(isa, time.Millisecond) == 0 {
		isa = "avx2"
	}
	mm := func() { MM(A, B, C, n, n, n) }
	i8 := func() { I8(A8, B8, C8, n, n, n) }
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	mm(); i8()
	var peak, f1, f2, q, bw, gv []float64
	flop := 2.0 * n * n * n
	for i := 0; i < b.N; i++ {
		for r := 0; r < rounds; r++ {
			runtime.GOMAXPROCS(1)
			peak = append(peak, ProbeFMA(isa, 100*time.Millisecond))
			f1 = append(f1, flop/timeIt(func() { mm(); mm() })*2/1e9)
			q = append(q, flop/timeIt(func() { i8(); i8() })*2/1e9)
			bw = append(bw, ProbeReadBandwidth(128<<20, 100*time.Millisecond))
			gv = append(gv, float64(len(W))*g*g*4/timeIt(func() {
				for _, w := range W {
					MM(x, w, y, 1, g, g)
				}
			})/1e9)
			runtime.GOMAXPROCS(2)
			f2 = append(f2, flop/timeIt(func() { mm(); mm() })*2/1e9)
		}
	}
	p, g1, g2, gq, pb, gg := median(peak), median(f1), median(f2), median(q), median(bw), median(gv)
	b.ReportMetric(p, "peak-GFLOP/s")
	b.ReportMetric(g1, "f32-GFLOP/s")
	b.ReportMetric(g1/p, "f32-of-peak")
	b.ReportMetric(g2/g1, "2thread-scaling")
	b.ReportMetric(gq, "i8-GOP/s")
	b.ReportMetric(gq/g1, "i8/f32")
	b.ReportMetric(pb, "probe-GB/s")
	b.ReportMetric(gg, "gemv-GB/s")
	b.ReportMetric(gg/pb, "gemv-of-bw")
}
`

// BenchmarkGEMMPeak generates the f32 and i8 GEMMs and the machine probes
// into a temporary module and runs BenchmarkPeak there: the FMA probe and
// the 1024^3 GEMMs in the same process, reporting the fraction of the
// measured peak, the two-thread scaling, the i8/f32 ratio and the GEMV
// bandwidth against the read probe. It only runs with -bench, e.g.
//
//	go test ./backend/amd64 -run '^$' -bench GEMMPeak -benchtime 1x
func BenchmarkGEMMPeak(b *testing.B) {
	prog, err := frontend.Compile(frontend.Source{Name: "mm.tc", Text: []byte(peakSrc)})
	if err != nil {
		b.Fatal(err)
	}
	files, err := driver.Generate(prog, driver.Options{Targets: []string{"amd64"}})
	if err != nil {
		b.Fatal(err)
	}
	probe, err := amd64.ProbeFiles("mm")
	if err != nil {
		b.Fatal(err)
	}
	for k, v := range probe {
		files[k] = v
	}
	m := gotest.New(b, files)
	if err := m.WriteFile("peak_test.go", []byte(peakBench)); err != nil {
		b.Fatal(err)
	}
	out, err := m.Test(gotest.Options{Args: []string{"-run", "^$", "-bench", "Peak", "-benchtime", strconv.Itoa(b.N) + "x", "-timeout", "20m"}})
	if err != nil {
		b.Fatalf("%v\n%s", err, out)
	}
	b.Log(out)
	for _, mt := range regexp.MustCompile(`([\d.]+) ([\w/-]+)`).FindAllStringSubmatch(out, -1) {
		if v, err := strconv.ParseFloat(mt[1], 64); err == nil && mt[2] != "ns/op" && regexp.MustCompile(`[a-z]`).MatchString(mt[2]) {
			b.ReportMetric(v, mt[2])
		}
	}
}
