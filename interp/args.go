package interp

import (
	"fmt"
	"strings"

	"github.com/tensorcc/tcc/internal/rt"
	"github.com/tensorcc/tcc/ir"
)

// goSliceType returns the Go type of a tensor argument of element type t, as
// fmt's %T prints it.
func goSliceType(t ir.DType) string { return "[]" + goScalarType(t) }

func goScalarType(t ir.DType) string {
	g := t.GoType()
	if g == "byte" {
		return "uint8"
	}
	return g
}

// checkSlice reports whether arg is a slice of the Go element type of t and
// returns its length. A nil interface is reported as not ok.
func checkSlice(t ir.DType, arg any) (n int, ok bool) {
	switch t.GoType() {
	case "float64":
		s, ok := arg.([]float64)
		return len(s), ok
	case "float32":
		s, ok := arg.([]float32)
		return len(s), ok
	case "int64":
		s, ok := arg.([]int64)
		return len(s), ok
	case "int32":
		s, ok := arg.([]int32)
		return len(s), ok
	case "int16":
		s, ok := arg.([]int16)
		return len(s), ok
	case "int8":
		s, ok := arg.([]int8)
		return len(s), ok
	case "uint32":
		s, ok := arg.([]uint32)
		return len(s), ok
	case "uint16":
		s, ok := arg.([]uint16)
		return len(s), ok
	case "uint8", "byte":
		s, ok := arg.([]uint8)
		return len(s), ok
	}
	return 0, false
}

// checkScalar reports whether arg is a Go scalar of t's element type.
func checkScalar(t ir.DType, arg any) bool {
	switch t.GoType() {
	case "float64":
		_, ok := arg.(float64)
		return ok
	case "float32":
		_, ok := arg.(float32)
		return ok
	case "int64":
		_, ok := arg.(int64)
		return ok
	case "int32":
		_, ok := arg.(int32)
		return ok
	case "int16":
		_, ok := arg.(int16)
		return ok
	case "int8":
		_, ok := arg.(int8)
		return ok
	case "uint32":
		_, ok := arg.(uint32)
		return ok
	case "uint16":
		_, ok := arg.(uint16)
		return ok
	case "uint8", "byte":
		_, ok := arg.(uint8)
		return ok
	}
	return false
}

// decodeElem returns a decoder from raw storage bits (as the Go element type
// converted to uint64 or int64) to the interpreter's value.
func decodeFloatBits(t ir.DType) func(uint64) float64 {
	switch t.Class {
	case ir.BFloat:
		return func(b uint64) float64 { return float64(rt.BF16ToF32(uint16(b))) }
	case ir.Float: // f16; f32 and f64 are handled by their Go types
		return func(b uint64) float64 { return float64(rt.F16ToF32(uint16(b))) }
	}
	m := miniFloat(t)
	tab := m.Table()
	return func(b uint64) float64 { return float64(tab[uint8(b)]) }
}

// decode converts a validated tensor or scalar argument of type t holding count
// elements into the interpreter's representation: f for float types, i for
// integer types.
func decode(t ir.DType, arg any, count int) (f []float64, i []int64) {
	if t.IsPacked() {
		buf := arg.([]uint8)
		if t.IsFloat() {
			dec := decodeFloatBits(t)
			f = make([]float64, count)
			for j := range f {
				f[j] = dec(uint64(rt.GetBits(buf, j, t.Bits)))
			}
			return f, nil
		}
		i = make([]int64, count)
		for j := range i {
			v := rt.GetBits(buf, j, t.Bits)
			if t.Class == ir.Int {
				i[j] = int64(rt.SignExtend(v, t.Bits))
			} else {
				i[j] = int64(v)
			}
		}
		return nil, i
	}
	switch s := arg.(type) {
	case []float64:
		return append([]float64(nil), s...), nil
	case []float32:
		f = make([]float64, len(s))
		for j, v := range s {
			f[j] = float64(v)
		}
		return f, nil
	case []uint16:
		if t.IsFloat() {
			dec := decodeFloatBits(t)
			f = make([]float64, len(s))
			for j, v := range s {
				f[j] = dec(uint64(v))
			}
			return f, nil
		}
		return nil, widen(s)
	case []uint8:
		if t.IsFloat() {
			dec := decodeFloatBits(t)
			f = make([]float64, len(s))
			for j, v := range s {
				f[j] = dec(uint64(v))
			}
			return f, nil
		}
		return nil, widen(s)
	case []int64:
		return nil, append([]int64(nil), s...)
	case []int32:
		return nil, widen(s)
	case []int16:
		return nil, widen(s)
	case []int8:
		return nil, widen(s)
	case []uint32:
		return nil, widen(s)
	}
	return nil, nil
}

func widen[T int32 | int16 | int8 | uint32 | uint16 | uint8](s []T) []int64 {
	r := make([]int64, len(s))
	for j, v := range s {
		r[j] = int64(v)
	}
	return r
}

// scalarSlice wraps a validated scalar argument in a one-element slice of its type,
// so that decode can handle it. A packed type's scalar is the low Bits of its byte.
func scalarSlice(arg any) any {
	switch v := arg.(type) {
	case float64:
		return []float64{v}
	case float32:
		return []float32{v}
	case int64:
		return []int64{v}
	case int32:
		return []int32{v}
	case int16:
		return []int16{v}
	case int8:
		return []int8{v}
	case uint32:
		return []uint32{v}
	case uint16:
		return []uint16{v}
	case uint8:
		return []uint8{v}
	}
	return nil
}

// encode writes the rounded values f or i of an output of type t into the Go
// slice arg (validated to have the right type and length).
func encode(t ir.DType, arg any, f []float64, i []int64) {
	if t.IsPacked() {
		buf := arg.([]uint8)
		clear(buf)
		if t.IsFloat() {
			m := miniFloat(t)
			for j, v := range f {
				rt.SetBits(buf, j, t.Bits, m.EncodeF64(v))
			}
			return
		}
		mask := int64(1)<<uint(t.Bits) - 1
		for j, v := range i {
			rt.SetBits(buf, j, t.Bits, uint8(v&mask))
		}
		return
	}
	switch s := arg.(type) {
	case []float64:
		copy(s, f)
	case []float32:
		for j, v := range f {
			s[j] = float32(v)
		}
	case []uint16:
		switch {
		case t.Class == ir.BFloat:
			for j, v := range f {
				s[j] = rt.F64ToBF16(v)
			}
		case t.IsFloat():
			for j, v := range f {
				s[j] = rt.F64ToF16(v)
			}
		default:
			narrow(s, i)
		}
	case []uint8:
		if t.IsFloat() {
			m := miniFloat(t)
			for j, v := range f {
				s[j] = m.EncodeF64(v)
			}
		} else {
			narrow(s, i)
		}
	case []int64:
		copy(s, i)
	case []int32:
		narrow(s, i)
	case []int16:
		narrow(s, i)
	case []int8:
		narrow(s, i)
	case []uint32:
		narrow(s, i)
	}
}

func narrow[T int32 | int16 | int8 | uint32 | uint16 | uint8](s []T, i []int64) {
	for j, v := range i {
		s[j] = T(v)
	}
}

// shapeString formats a tensor's declared and actual shape, e.g. "[M, K] = [3, 4]".
func shapeString(t *ir.Tensor, sizes []int) string {
	decl := make([]string, len(t.Dims))
	val := make([]string, len(t.Dims))
	for j, d := range t.Dims {
		decl[j] = d.String()
		val[j] = fmt.Sprint(d.Eval(sizes))
	}
	return "[" + strings.Join(decl, ", ") + "] = [" + strings.Join(val, ", ") + "]"
}
