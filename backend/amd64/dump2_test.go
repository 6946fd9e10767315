package amd64_test

import (
	"fmt"
	"testing"

	"github.com/mmcloughlin/avo/reg"
	"github.com/tensorcc/tcc/backend/amd64"
	"github.com/tensorcc/tcc/frontend"
	"github.com/tensorcc/tcc/loop"
	"github.com/tensorcc/tcc/lower"
)

func TestDumpGemm(t *testing.T) {
	src := "package mm\nkernel Matmul(A: f32[M, K], B: f32[K, N]) -> (C: f32[M, N]) {\n    C[m, n] = sum(k: A[m, k] * B[k, n])\n}\n"
	prog, err := frontend.Compile(frontend.Source{Name: "mm.tc", Text: []byte(src)})
	if err != nil {
		t.Fatal(err)
	}
	lk, err := lower.Lower(prog.Kernels[0], loop.TargetAVX512)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(lk.String())
}

func TestDumpGemmLive(t *testing.T) {
	src := "package mm\nkernel Matmul(A: f32[M, K], B: f32[K, N]) -> (C: f32[M, N]) {\n    C[m, n] = sum(k: A[m, k] * B[k, n])\n}\n"
	prog, _ := frontend.Compile(frontend.Source{Name: "mm.tc", Text: []byte(src)})
	lk, _ := lower.Lower(prog.Kernels[0], loop.TargetAVX512)
	fmt.Println(amd64.DebugLive(lk, lk.Funcs[0], loop.TargetAVX512, reg.KindVector))
	lk, _ = lower.Lower(prog.Kernels[0], loop.TargetAVX2)
	fmt.Println(amd64.DebugLive(lk, lk.Funcs[0], loop.TargetAVX2, reg.KindGP))
}
