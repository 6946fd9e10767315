package amd64

import (
	"testing"

	"golang.org/x/sys/cpu"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

func TestDotU8S8(t *testing.T) {
	if !cpu.X86.HasAVX512VNNI {
		t.Skip("host lacks AVX512-VNNI")
	}
	k, f := elementwise(loop.TargetAVX512VNNI, "Dot", []ir.DType{ir.I32, ir.I32, ir.I32}, ir.I32, 16, func(xs []loop.Expr) loop.Expr {
		return &loop.Call{Fn: loop.DotU8S8, Args: xs, T: xs[0].Type()}
	})
	if _, _, err := Generate(k, []*loop.Func{f}, loop.TargetAVX2); err == nil {
		t.Fatalf("DotU8S8 on avx2 should be unsupported")
	}
	runCases(t, []asmCase{{
		name:  "dot",
		only:  &loop.TargetAVX512VNNI,
		build: func(tg loop.Target) (*loop.Kernel, *loop.Func) { return k, f },
		test: ewTest([]string{"int32", "int32", "int32"}, "int32", "int64(uint32(i*2654435761+J*40503))",
			`func() float64 {
				s := x2[i]
				for q := 0; q < 4; q++ {
					s += int32(uint8(x0[i]>>(8*q))) * int32(int8(x1[i]>>(8*q)))
				}
				return float64(s)
			}()`, 0),
	}})
}
