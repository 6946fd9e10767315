package amd64

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tensorcc/tcc/frontend"
	"github.com/tensorcc/tcc/loop"
	"github.com/tensorcc/tcc/lower"
)

// TestPackedVectorLoads runs the lowered (windowed, package legalize) vector
// reads of every packed integer width, signed and unsigned, over lengths
// 0..300 split into two chunks at every offset class, against the SPEC's
// bit stream read bit by bit.
func TestPackedVectorLoads(t *testing.T) {
	var cases []asmCase
	for _, signed := range []bool{false, true} {
		for b := 1; b <= 7; b++ {
			name := fmt.Sprintf("u%d", b)
			if signed {
				name = fmt.Sprintf("i%d", b)
			}
			src := fmt.Sprintf("kernel P%s(X: %s[N]) -> (Y: i32[N]) { Y[i] = i32(X[i]) }", name, name)
			prog, err := frontend.Compile(frontend.Source{Name: "p.tc", Text: []byte(src)})
			if err != nil {
				t.Fatal(err)
			}
			k := prog.Kernels[0]
			test := strings.NewReplacer("BITS", fmt.Sprint(b), "SIGNED", fmt.Sprint(signed)).Replace(packedVecTest)
			cases = append(cases, asmCase{name: "pv_" + name, build: func(tg loop.Target) (*loop.Kernel, *loop.Func) {
				lk, err := lower.Lower(k, tg, nil)
				if err != nil {
					t.Fatal(err)
				}
				if len(lk.Funcs) != 1 || lk.Funcs[0].Lo == nil {
					t.Fatalf("%s: want one parallel function", name)
				}
				return lk, lk.Funcs[0]
			}, test: test})
		}
	}
	runCases(t, cases)
}

const packedVecTest = `
	const b, signed = BITS, SIGNED
	for n := 0; n <= 300; n += 1 + n/40 {
		x := make([]byte, (n*b+7)/8)
		for i := range x { x[i] = byte(i*151 + 77 + n) }
		for _, split := range []int{0, n / 2, n/3 + 1, n - 1} {
			if split < 0 || split > n { continue }
			y := make([]int32, n)
			{{fn}}(x, y, n, 0, split)
			{{fn}}(x, y, n, split, n)
			for i := 0; i < n; i++ {
				var v int64
				for q := 0; q < b; q++ {
					bit := i*b + q
					v |= int64(x[bit/8]>>(bit%8)&1) << q
				}
				if signed && v >= 1<<(b-1) { v -= 1 << b }
				if int64(y[i]) != v { t.Fatalf("n=%d split %d: element %d reads %d, want %d", n, split, i, y[i], v) }
			}
		}
	}
`
