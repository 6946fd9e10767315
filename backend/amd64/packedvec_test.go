package amd64

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/tensorcc/tcc/frontend"
	"github.com/tensorcc/tcc/internal/rt"
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

// TestMiniFloatVectorDecode runs the lowered vector decode (package
// legalize: through f16 or through f32 bits) of every 8-bit minifloat
// format on every code, over lengths with tails and two chunks, against
// the format's definition (rt.MiniFloat), bit for bit (any NaN for NaN).
func TestMiniFloatVectorDecode(t *testing.T) {
	var cases []asmCase
	var formats []rt.MiniFloat
	for e := 1; e <= 7; e++ {
		formats = append(formats, rt.MiniFloat{Exp: e, Man: 7 - e, Signed: true})
	}
	for e := 1; e <= 8; e++ {
		formats = append(formats, rt.MiniFloat{Exp: e, Man: 8 - e})
	}
	for _, m := range formats {
		name := fmt.Sprintf("ue%dm%d", m.Exp, m.Man)
		if m.Signed {
			name = name[1:]
		}
		src := fmt.Sprintf("kernel D%s(X: %s[N]) -> (Y: f32[N]) { Y[i] = f32(X[i]) }", name, name)
		prog, err := frontend.Compile(frontend.Source{Name: "d.tc", Text: []byte(src)})
		if err != nil {
			t.Fatal(err)
		}
		k := prog.Kernels[0]
		var want strings.Builder
		for c := 0; c < 256; c++ {
			f := float32(m.Decode(uint8(c)))
			fmt.Fprintf(&want, "%#x, ", math.Float32bits(f))
		}
		test := strings.Replace(miniVecTest, "WANT", want.String(), 1)
		cases = append(cases, asmCase{name: "mv_" + name, build: func(tg loop.Target) (*loop.Kernel, *loop.Func) {
			lk, err := lower.Lower(k, tg, nil)
			if err != nil {
				t.Fatal(err)
			}
			return lk, lk.Funcs[0]
		}, test: test})
	}
	runCases(t, cases)
}

const miniVecTest = `
	want := []uint32{WANT}
	for _, n := range []int{1, 7, 16, 40, 256, 263} {
		x := make([]byte, n)
		for i := range x { x[i] = byte(i*37 + n) }
		y := make([]float32, n)
		{{fn}}(x, y, n, 0, n/3)
		{{fn}}(x, y, n, n/3, n)
		for i, c := range x {
			got, w := math.Float32bits(y[i]), want[c]
			if got != w && !(y[i] != y[i] && math.Float32frombits(w) != math.Float32frombits(w)) {
				t.Fatalf("n=%d: code %#02x decodes to %#x, want %#x", n, c, got, w)
			}
		}
	}
`
