package amd64

import (
	"testing"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// TestPacked reads an i3 stream and writes a u5 stream (both straddle byte
// boundaries) after a Memset of the output: y[i] = u5(2*x[i] + 3) (saturating), checked against a Go
// decoder/encoder written from SPEC section 4, for every N in 0..40.
func TestPacked(t *testing.T) {
	i3, u5 := ir.IntType(3), ir.UintType(5)
	build := func(tg loop.Target) (*loop.Kernel, *loop.Func) {
		n := v("N", loop.Scalar(ir.I64))
		x := buf("x", i3, loop.InputBuf)
		y := buf("y", u5, loop.OutputBuf)
		k := &loop.Kernel{Name: "Packed", Sizes: []*loop.Var{n}, Inputs: []*loop.Buf{x}, Outputs: []*loop.Buf{y}}
		i := v("i", loop.Scalar(ir.I64))
		s32 := loop.Scalar(ir.I32)
		xv := &loop.Cast{X: &loop.Load{Buf: x, Index: ref(i), T: loop.Scalar(i3)}, T: s32}
		val := &loop.Bin{Op: ir.Add, X: &loop.Bin{Op: ir.Mul, X: xv, Y: &loop.Const{T: s32, Int: 2}, T: s32}, Y: &loop.Const{T: s32, Int: 3}, T: s32}
		f := &loop.Func{Name: "s0", Locals: []*loop.Var{i}, Target: tg.Name}
		f.Body = []loop.Stmt{
			&loop.Memset{Buf: y, Index: ci(0), Len: ref(n)},
			&loop.For{Var: i, Lo: ci(0), Hi: ref(n), Step: 1,
				Body: []loop.Stmt{&loop.Store{Buf: y, Index: ref(i), Value: &loop.Cast{X: val, T: loop.Scalar(u5)}}}},
		}
		k.Funcs = []*loop.Func{f}
		return k, f
	}
	runCases(t, []asmCase{{name: "packed", build: build, test: `
	for n := 0; n <= 40; n++ {
		x := make([]byte, (n*3+7)/8)
		for i := range x { x[i] = byte(i*151 + n) }
		if r := n * 3 % 8; r != 0 { x[len(x)-1] |= 0xff << r } // junk in unused bits must be ignored
		ylen := (n*5 + 7) / 8
		back := make([]byte, ylen+4)
		for i := range back { back[i] = 0xAA }
		y := back[:ylen:ylen]
		{{fn}}(x, y, n)
		want := make([]byte, ylen)
		for i := 0; i < n; i++ {
			var e int
			for b := 0; b < 3; b++ { e |= int(x[(i*3+b)/8]>>((i*3+b)%8)&1) << b }
			if e >= 4 { e -= 8 }
			w := 2*e + 3
			if w < 0 { w = 0 }
			if w > 31 { w = 31 }
			for b := 0; b < 5; b++ { want[(i*5+b)/8] |= byte(w>>b&1) << ((i*5 + b) % 8) }
		}
		for i := range want {
			got := y[i]
			if r := n * 5 % 8; r != 0 && i == len(want)-1 {
				got &= byte(1)<<r - 1 // Memset and stores cover element bits only
			}
			if got != want[i] { t.Fatalf("n=%d byte %d: got %08b want %08b", n, i, y[i], want[i]) }
		}
		for i := ylen; i < len(back); i++ {
			if back[i] != 0xAA { t.Fatalf("n=%d: wrote past the end", n) }
		}
	}`}})
}
