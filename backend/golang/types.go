package golang

import (
	"fmt"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// valueType is the Go type that holds one value of t inside generated code. It is
// t.GoType() except for signed sub-byte integers, which are held sign-extended in
// an int8 (their storage, a packed bit field, is a byte).
func valueType(t ir.DType) (string, error) {
	switch t.Class {
	case ir.Bool:
		return "bool", nil
	case ir.Int:
		switch {
		case t.Bits == 64:
			return "int64", nil
		case t.Bits == 32:
			return "int32", nil
		case t.Bits == 16:
			return "int16", nil
		case t.Bits >= 1 && t.Bits <= 8:
			return "int8", nil
		}
	case ir.Uint:
		switch {
		case t.Bits == 64:
			return "uint64", nil
		case t.Bits == 32:
			return "uint32", nil
		case t.Bits == 16:
			return "uint16", nil
		case t.Bits >= 1 && t.Bits <= 8:
			return "uint8", nil
		}
	case ir.Float:
		switch t.Bits {
		case 64:
			return "float64", nil
		case 32:
			return "float32", nil
		case 16:
			return "uint16", nil
		}
	case ir.BFloat:
		return "uint16", nil
	case ir.MiniFloat, ir.UMiniFloat:
		if t.Bits >= 1 && t.Bits <= 8 {
			return "uint8", nil
		}
	}
	return "", fmt.Errorf("golang: unsupported element type %v", t)
}

// goType is valueType for scalars and [Lanes]T for vectors.
func goType(t loop.Type) (string, error) {
	s, err := valueType(t.Elem)
	if err != nil {
		return "", err
	}
	if t.Lanes > 1 {
		return fmt.Sprintf("[%d]%s", t.Lanes, s), nil
	}
	return s, nil
}

// storageType is the Go element type of a buffer or scalar parameter of type t in
// the calling convention (ir.DType.GoType; byte for packed types).
func storageType(t ir.DType) (string, error) {
	if t.IsPacked() {
		return "byte", nil
	}
	s := t.GoType()
	if s == "invalid" || s == "bool" {
		return "", fmt.Errorf("golang: type %v cannot be stored", t)
	}
	return s, nil
}

// isIEEE reports whether t is f32 or f64 (computed directly by Go).
func isIEEE(t ir.DType) bool { return t.Class == ir.Float && (t.Bits == 32 || t.Bits == 64) }

// isInt reports whether t is a signed or unsigned integer type.
func isInt(t ir.DType) bool { return t.Class == ir.Int || t.Class == ir.Uint }

// intRange reports whether every value of integer type a is a value of integer type b.
func intContains(b, a ir.DType) bool {
	switch {
	case b.Class == ir.Int && a.Class == ir.Int:
		return a.Bits <= b.Bits
	case b.Class == ir.Int && a.Class == ir.Uint:
		return a.Bits < b.Bits
	case b.Class == ir.Uint && a.Class == ir.Uint:
		return a.Bits <= b.Bits
	}
	return false
}

// miniLit is the Go composite literal of the runtime's minifloat descriptor for t.
func miniLit(t ir.DType) string {
	return fmt.Sprintf("tccMiniFloat{Exp: %d, Man: %d, Signed: %v}", t.Exp, t.Man, t.Class == ir.MiniFloat)
}
