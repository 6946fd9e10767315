package amd64_test

import (
	"os"
	"testing"

	"github.com/tensorcc/tcc/backend/amd64"
	"github.com/tensorcc/tcc/frontend"
	"github.com/tensorcc/tcc/loop"
	"github.com/tensorcc/tcc/lower"
)

func TestZZDump(t *testing.T) {
	src := "package mm\nkernel Matmul(A: f32[M, K], B: f32[K, N]) -> (C: f32[M, N]) {\n    C[m, n] = sum(k: A[m, k] * B[k, n])\n}\n"
	prog, _ := frontend.Compile(frontend.Source{Name: "mm.tc", Text: []byte(src)})
	lk, _ := lower.Lower(prog.Kernels[0], loop.TargetAVX512)
	os.WriteFile("/tmp/amd64eng/gemm.txt", []byte(lk.String()), 0o644)
	asm, _, err := amd64.Generate(lk, lk.Funcs, loop.TargetAVX512)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile("/tmp/amd64eng/gemm.s", asm, 0o644)
}
