package amd64

import (
	"fmt"
	"testing"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// TestMiniDecode decodes every e4m3 and e5m2 byte to f32 (vector with masked
// tails, and scalar) and compares with decoders written from SPEC section 3.
func TestMiniDecode(t *testing.T) {
	e4m3 := ir.MiniFloatType(true, 4, 3)
	e5m2 := ir.MiniFloatType(true, 5, 2)
	var cases []asmCase
	for _, c := range []struct {
		t   ir.DType
		dec string
	}{{e4m3, "decE4M3"}, {e5m2, "decE5M2"}} {
		for _, scalar := range []bool{false, true} {
			c, scalar := c, scalar
			name := fmt.Sprintf("mini_%v_%t", c.t, scalar)
			cases = append(cases, asmCase{
				name: name,
				build: func(tg loop.Target) (*loop.Kernel, *loop.Func) {
					l := tg.VectorBits / 32
					if scalar {
						l = 1
					}
					k, f := elementwise(tg, name, []ir.DType{c.t}, ir.F32, l, func(xs []loop.Expr) loop.Expr {
						return &loop.Cast{X: xs[0], T: loop.Vec(ir.F32, l)}
					})
					if scalar {
						f.Body = f.Body[:2]
					}
					return k, f
				},
				test: `	for _, n := range []int{0, 1, 7, 17, 33, 256} {
		x := make([]uint8, n)
		for i := range x { x[i] = uint8(i*37 + 11) }
		if n == 256 { for i := range x { x[i] = uint8(i) } }
		y := make([]float32, n)
		{{fn}}(x, y, n)
		for i := range x {
			w := float32(` + c.dec + `(x[i]))
			if y[i] != w && !(w != w && y[i] != y[i]) {
				t.Fatalf("n=%d: decode(%#x) = %v, want %v", n, x[i], y[i], w)
			}
		}
	}`,
			})
		}
	}
	runCases(t, cases)
}

const miniHelpers = `
func decE4M3(b uint8) float64 {
	e, m := int(b>>3&15), float64(b&7)
	v := 0.0
	switch {
	case e == 15 && b&7 == 7:
		return math.NaN()
	case e == 0:
		v = m / 8 * math.Ldexp(1, -6)
	default:
		v = (1 + m/8) * math.Ldexp(1, e-7)
	}
	if b&0x80 != 0 { v = -v }
	return v
}

func decE5M2(b uint8) float64 {
	e, m := int(b>>2&31), float64(b&3)
	v := 0.0
	switch {
	case e == 31 && b&3 == 0:
		v = math.Inf(1)
	case e == 31:
		return math.NaN()
	case e == 0:
		v = m / 4 * math.Ldexp(1, -14)
	default:
		v = (1 + m/4) * math.Ldexp(1, e-15)
	}
	if b&0x80 != 0 { v = -v }
	return v
}
`
