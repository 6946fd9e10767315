package legalize_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/tensorcc/tcc/frontend"
	"github.com/tensorcc/tcc/internal/loopeval"
	"github.com/tensorcc/tcc/internal/rt"
	"github.com/tensorcc/tcc/loop"
	"github.com/tensorcc/tcc/lower"
)

// formats8 are every 8-bit minifloat format of SPEC section 3.
func formats8() []string {
	var fs []string
	for e := 1; e <= 7; e++ {
		fs = append(fs, fmt.Sprintf("e%dm%d", e, 7-e))
	}
	for e := 1; e <= 8; e++ {
		fs = append(fs, fmt.Sprintf("ue%dm%d", e, 8-e))
	}
	return fs
}

// TestMiniFloatDecode decodes every code of every 8-bit minifloat format
// with the expansion (the vector targets' lowering) and compares it with
// the format's definition (rt.MiniFloat.Decode), bit for bit.
func TestMiniFloatDecode(t *testing.T) {
	for _, name := range formats8() {
		src := fmt.Sprintf("kernel D(X: %s[N]) -> (Y: f32[N]) { Y[i] = f32(X[i]) }", name)
		prog, err := frontend.Compile(frontend.Source{Name: "d.tc", Text: []byte(src)})
		if err != nil {
			t.Fatal(err)
		}
		k := prog.Kernels[0]
		for _, tg := range []loop.Target{loop.TargetAVX512, loop.TargetAVX2} {
			lk, err := lower.Lower(k, tg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !usesRaw(lk) {
				t.Fatalf("%s on %s: the decode was not expanded", name, tg.Name)
			}
			codes := make([]uint8, 256+7) // a tail of 7
			for i := range codes {
				codes[i] = uint8(i)
			}
			y := make([]float32, len(codes))
			if err := loopeval.Run(lk, []any{codes, y, len(codes)}, loopeval.Options{}); err != nil {
				t.Fatal(err)
			}
			in := k.Params[0].Type
			m := rt.MiniFloat{Exp: in.Exp, Man: in.Man, Signed: name[0] == 'e'}
			for i, c := range codes {
				want := float32(m.Decode(c))
				got := y[i]
				if math.Float32bits(got) != math.Float32bits(want) && !(want != want && got != got) {
					t.Errorf("%s on %s: code %#02x decodes to %v, want %v", name, tg.Name, c, got, want)
				}
			}
		}
	}
}

func usesRaw(k *loop.Kernel) bool {
	found := false
	for _, f := range k.Funcs {
		loop.WalkStmts(f.Body, nil, func(e loop.Expr) {
			if l, ok := e.(*loop.Load); ok && l.Raw {
				found = true
			}
		})
	}
	return found
}

// TestPackedLoads reads buffers of every packed integer width with the
// windowed expansion (the vector targets' lowering), at lengths below,
// at and above one window and with vector tails, and compares every
// element with the SPEC's bit stream read bit by bit.
func TestPackedLoads(t *testing.T) {
	for _, signed := range []bool{false, true} {
		for b := 1; b <= 7; b++ {
			name := fmt.Sprintf("u%d", b)
			if signed {
				name = fmt.Sprintf("i%d", b)
			}
			src := fmt.Sprintf("kernel P(X: %s[N]) -> (Y: i32[N], Z: f32[N]) {\n Y[i] = i32(X[i])\n Z[i] = f32(X[i]) }", name)
			prog, err := frontend.Compile(frontend.Source{Name: "p.tc", Text: []byte(src)})
			if err != nil {
				t.Fatal(err)
			}
			k := prog.Kernels[0]
			for _, tg := range []loop.Target{loop.TargetAVX512, loop.TargetAVX2} {
				lk, err := lower.Lower(k, tg, nil)
				if err != nil {
					t.Fatal(err)
				}
				if !usesRaw(lk) {
					t.Fatalf("%s on %s: the packed loads were not expanded", name, tg.Name)
				}
				for _, n := range []int{1, 3, 7, 8, 15, 16, 17, 23, 40, 64, 100, 257} {
					checkPacked(t, lk, name, tg.Name, b, signed, n)
				}
			}
		}
	}
}

func checkPacked(t *testing.T, lk *loop.Kernel, name, tg string, b int, signed bool, n int) {
	t.Helper()
	x := make([]byte, (n*b+7)/8)
	for i := range x {
		x[i] = byte(i*151 + 77 + n)
	}
	y, z := make([]int32, n), make([]float32, n)
	if err := loopeval.Run(lk, []any{x, y, z, n}, loopeval.Options{}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		var v int64
		for q := 0; q < b; q++ {
			bit := i*b + q
			v |= int64(x[bit/8]>>(bit%8)&1) << q
		}
		if signed && v >= 1<<(b-1) {
			v -= 1 << b
		}
		if int64(y[i]) != v || float32(v) != z[i] {
			t.Errorf("%s on %s, N=%d: element %d reads %d and %v, want %d", name, tg, n, i, y[i], z[i], v)
			return
		}
	}
}
