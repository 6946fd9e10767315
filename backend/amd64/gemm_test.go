package amd64

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// microKernel builds the loop IR of a BLIS-style f32 micro-kernel as the GEMM
// schedule emits it: for each of T tiles, MR x NR/lanes vector accumulators,
// a k-loop (unrolled 4) of Broadcast(Load A) * Load B FMAs over packed panels
// A (T x K x MR) and B (K x NR), then a store of the tile to C (T x MR x NR).
func microKernel(tg loop.Target, mr, nrv int) (*loop.Kernel, *loop.Func) {
	lanes := tg.VectorBits / 32
	nr := nrv * lanes
	vt := loop.Vec(ir.F32, lanes)
	T, K := v("T", loop.Scalar(ir.I64)), v("K", loop.Scalar(ir.I64))
	A, B := buf("A", ir.F32, loop.InputBuf), buf("B", ir.F32, loop.InputBuf)
	C := buf("C", ir.F32, loop.OutputBuf)
	k := &loop.Kernel{Name: "Micro", Sizes: []*loop.Var{T, K}, Inputs: []*loop.Buf{A, B}, Outputs: []*loop.Buf{C}}
	t, p, ab := v("t", loop.Scalar(ir.I64)), v("p", loop.Scalar(ir.I64)), v("ab", loop.Scalar(ir.I64))
	f := &loop.Func{Name: "mk", Locals: []*loop.Var{t, p, ab}, VectorBits: tg.VectorBits, Target: tg.Name}
	acc := make([][]*loop.Var, mr)
	var zero, kbody, store []loop.Stmt
	for i := range acc {
		acc[i] = make([]*loop.Var, nrv)
		for j := range acc[i] {
			acc[i][j] = v(fmt.Sprintf("acc%d_%d", i, j), vt)
			f.Locals = append(f.Locals, acc[i][j])
			zero = append(zero, &loop.Assign{Dst: acc[i][j], Value: cf(vt, 0)})
			a := &loop.Broadcast{X: &loop.Load{Buf: A, T: loop.Scalar(ir.F32),
				Index: bin(ir.Add, bin(ir.Add, ref(ab), bin(ir.Mul, ref(p), ci(int64(mr)))), ci(int64(i)))}, T: vt}
			b := load(B, bin(ir.Add, bin(ir.Mul, ref(p), ci(int64(nr))), ci(int64(j*lanes))), lanes)
			kbody = append(kbody, &loop.Assign{Dst: acc[i][j], Value: call(loop.FMA, a, b, ref(acc[i][j]))})
			store = append(store, &loop.Store{Buf: C, Value: ref(acc[i][j]),
				Index: bin(ir.Add, bin(ir.Mul, bin(ir.Add, bin(ir.Mul, ref(t), ci(int64(mr))), ci(int64(i))), ci(int64(nr))), ci(int64(j*lanes)))})
		}
	}
	body := append([]loop.Stmt{&loop.Assign{Dst: ab, Value: bin(ir.Mul, bin(ir.Mul, ref(t), ref(K)), ci(int64(mr)))}}, zero...)
	body = append(body, &loop.For{Var: p, Lo: ci(0), Hi: ref(K), Step: 1, Body: kbody, Unroll: 4})
	body = append(body, store...)
	f.Body = []loop.Stmt{&loop.For{Var: t, Lo: ci(0), Hi: ref(T), Step: 1, Body: body}}
	k.Funcs = []*loop.Func{f}
	return k, f
}

func microShape(tg loop.Target) (mr, nrv int) {
	if tg.Name == "avx512" {
		return 14, 2
	}
	return 6, 2
}

const microTest = `
	const mr, nr = {{mr}}, {{nr}}
	for _, K := range []int{0, 1, 3, 4, 5, 9, 40} {
		T := 3
		A := make([]float32, T*K*mr)
		B := make([]float32, K*nr)
		for i := range A { A[i] = float32(math.Sin(float64(i)*0.7)) }
		for i := range B { B[i] = float32(math.Cos(float64(i)*0.3)) }
		C := make([]float32, T*mr*nr)
		{{fn}}(A, B, C, T, K)
		for tt := 0; tt < T; tt++ {
			for i := 0; i < mr; i++ {
				for j := 0; j < nr; j++ {
					w := 0.0
					for p := 0; p < K; p++ { w += float64(A[(tt*K+p)*mr+i]) * float64(B[p*nr+j]) }
					if g := float64(C[(tt*mr+i)*nr+j]); math.Abs(g-w) > 1e-5*(1+math.Abs(w)) {
						t.Fatalf("K=%d tile %d C[%d,%d] = %v, want %v", K, tt, i, j, g, w)
					}
				}
			}
		}
	}
}

func Benchmark_{{name}}(b *testing.B) {
	const mr, nr, K, T = {{mr}}, {{nr}}, 256, 16
	A := make([]float32, T*K*mr)
	B := make([]float32, K*nr)
	C := make([]float32, T*mr*nr)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		{{fn}}(A, B, C, T, K)
	}
	b.ReportMetric(float64(2*mr*nr*K*T)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")`

func TestMicroKernel(t *testing.T) {
	var cases []asmCase
	for _, tg := range targets(t) {
		mr, nrv := microShape(tg)
		nr := nrv * tg.VectorBits / 32
		tg := tg
		cases = append(cases, asmCase{
			name: "micro_only_" + tg.Name,
			build: func(t2 loop.Target) (*loop.Kernel, *loop.Func) {
				if t2.Name != tg.Name {
					return nil, nil
				}
				return microKernel(t2, mr, nrv)
			},
			test: strings.NewReplacer("{{mr}}", strconv.Itoa(mr), "{{nr}}", strconv.Itoa(nr), "{{name}}", tg.Name).Replace(microTest),
		})
	}
	out := runCasesArgs(t, cases, benchArgs()...)
	if os.Getenv("TCC_BENCH") != "" {
		t.Log(out)
		for _, m := range regexp.MustCompile(`(?m)^Benchmark_(\w+).*?([\d.]+) GFLOP/s`).FindAllStringSubmatch(out, -1) {
			t.Logf("%s: %s GFLOP/s", m[1], m[2])
		}
	}
}

// benchArgs runs the micro-kernel benchmarks only when TCC_BENCH is set.
func benchArgs() []string {
	if os.Getenv("TCC_BENCH") == "" {
		return nil
	}
	return []string{"-bench=.", "-benchtime=1s"}
}
