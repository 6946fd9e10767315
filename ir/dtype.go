package ir

import (
	"fmt"
	"strconv"
	"strings"
)

// Class is the family of an element type.
type Class uint8

// The element type classes of SPEC section 3.
const (
	Invalid    Class = iota
	Bool             // result of comparisons and logic; never stored in a tensor
	Int              // signed two's complement integer of Bits bits (1..64)
	Uint             // unsigned integer of Bits bits (1..32)
	Float            // IEEE binary64, binary32, binary16 (Bits = 64, 32, 16)
	BFloat           // bfloat16 (Bits = 16)
	MiniFloat        // eXmY: sign, Exp exponent bits, Man mantissa bits
	UMiniFloat       // ueXmY: Exp exponent bits, Man mantissa bits, no sign
)

// DType is an element type. The zero value is invalid. DType is comparable.
type DType struct {
	Class Class
	Bits  int // storage width in bits
	Exp   int // exponent bits (minifloats only)
	Man   int // mantissa bits (minifloats only)
}

// Common element types.
var (
	BoolT = DType{Class: Bool, Bits: 1}
	F64   = DType{Class: Float, Bits: 64}
	F32   = DType{Class: Float, Bits: 32}
	F16   = DType{Class: Float, Bits: 16}
	BF16  = DType{Class: BFloat, Bits: 16}
	I64   = DType{Class: Int, Bits: 64}
	I32   = DType{Class: Int, Bits: 32}
	I16   = DType{Class: Int, Bits: 16}
	I8    = DType{Class: Int, Bits: 8}
	U32   = DType{Class: Uint, Bits: 32}
	// U64 is not a SPEC element type: the loop IR's expansions use it
	// for 64-bit bit windows.
	U64 = DType{Class: Uint, Bits: 64}
	U16 = DType{Class: Uint, Bits: 16}
	U8  = DType{Class: Uint, Bits: 8}
)

// IntType returns the signed integer type of the given width.
func IntType(bits int) DType { return DType{Class: Int, Bits: bits} }

// UintType returns the unsigned integer type of the given width.
func UintType(bits int) DType { return DType{Class: Uint, Bits: bits} }

// MiniFloatType returns eXmY (signed) or ueXmY (unsigned).
func MiniFloatType(signed bool, exp, man int) DType {
	if signed {
		return DType{Class: MiniFloat, Bits: 1 + exp + man, Exp: exp, Man: man}
	}
	return DType{Class: UMiniFloat, Bits: exp + man, Exp: exp, Man: man}
}

// ParseDType parses a type name of SPEC section 3 ("f32", "u4", "e4m3", "ue8m0", ...).
// It reports false for names that are not types.
func ParseDType(name string) (DType, bool) {
	switch name {
	case "f64":
		return F64, true
	case "f32":
		return F32, true
	case "f16":
		return F16, true
	case "bf16":
		return BF16, true
	}
	if len(name) >= 2 && (name[0] == 'i' || name[0] == 'u') && isDigits(name[1:]) {
		n, err := strconv.Atoi(name[1:])
		if err != nil || name[1] == '0' {
			return DType{}, false
		}
		if name[0] == 'i' && (n == 64 || n == 32 || n == 16 || n == 8 || (n >= 1 && n <= 7)) {
			return IntType(n), true
		}
		if name[0] == 'u' && (n == 32 || n == 16 || n == 8 || (n >= 1 && n <= 7)) {
			return UintType(n), true
		}
		return DType{}, false
	}
	signed := true
	s := name
	if strings.HasPrefix(s, "ue") {
		signed, s = false, s[1:]
	}
	if !strings.HasPrefix(s, "e") {
		return DType{}, false
	}
	m := strings.IndexByte(s, 'm')
	if m < 2 || m == len(s)-1 || !isDigits(s[1:m]) || !isDigits(s[m+1:]) {
		return DType{}, false
	}
	if (len(s[1:m]) > 1 && s[1] == '0') || (len(s[m+1:]) > 1 && s[m+1] == '0') {
		return DType{}, false
	}
	x, err1 := strconv.Atoi(s[1:m])
	y, err2 := strconv.Atoi(s[m+1:])
	if err1 != nil || err2 != nil || x < 1 || y < 0 {
		return DType{}, false
	}
	if signed && 1+x+y > 8 || !signed && x+y > 8 {
		return DType{}, false
	}
	return MiniFloatType(signed, x, y), true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// String returns the type's source name.
func (t DType) String() string {
	switch t.Class {
	case Bool:
		return "bool"
	case Int:
		return "i" + strconv.Itoa(t.Bits)
	case Uint:
		return "u" + strconv.Itoa(t.Bits)
	case Float:
		return "f" + strconv.Itoa(t.Bits)
	case BFloat:
		return "bf16"
	case MiniFloat:
		return fmt.Sprintf("e%dm%d", t.Exp, t.Man)
	case UMiniFloat:
		return fmt.Sprintf("ue%dm%d", t.Exp, t.Man)
	}
	return "invalid"
}

// IsValid reports whether t is a real type.
func (t DType) IsValid() bool { return t.Class != Invalid }

// IsInteger reports whether t is a signed or unsigned integer type.
func (t DType) IsInteger() bool { return t.Class == Int || t.Class == Uint }

// IsFloat reports whether t is any floating type (IEEE, bfloat16 or minifloat).
func (t DType) IsFloat() bool {
	return t.Class == Float || t.Class == BFloat || t.Class == MiniFloat || t.Class == UMiniFloat
}

// IsSigned reports whether t can hold negative values.
func (t DType) IsSigned() bool { return t.Class != Uint && t.Class != UMiniFloat && t.Class != Bool }

// ZeroIsZero reports whether the all-zero encoding of t is the value 0. It
// is not for ue8m0, whose zero byte is 2^-127: an out-of-range read of such a
// type (which reads as the value 0, SPEC section 6) cannot be a zero load.
func (t DType) ZeroIsZero() bool {
	return !(t.Class == UMiniFloat && t.Exp == 8 && t.Man == 0)
}

// IsPacked reports whether t is narrower than a byte and so stored as a packed bit stream (SPEC section 4).
func (t DType) IsPacked() bool { return t.Class != Bool && t.Bits < 8 }

// Compute returns the type arithmetic on t is carried out in (SPEC section 3): integers
// narrower than 32 bits compute as i32, f16/bf16/minifloats as f32.
func (t DType) Compute() DType {
	switch t.Class {
	case Int, Uint:
		if t.Bits < 32 {
			return I32
		}
	case BFloat, MiniFloat, UMiniFloat:
		return F32
	case Float:
		if t.Bits < 32 {
			return F32
		}
	}
	return t
}

// GoType returns the Go element type used for t in the generated API (SPEC section 3).
func (t DType) GoType() string {
	switch t.Class {
	case Float:
		switch t.Bits {
		case 64:
			return "float64"
		case 32:
			return "float32"
		case 16:
			return "uint16"
		}
	case BFloat:
		return "uint16"
	case Int:
		switch t.Bits {
		case 64:
			return "int64"
		case 32:
			return "int32"
		case 16:
			return "int16"
		case 8:
			return "int8"
		}
		return "byte"
	case Uint:
		switch t.Bits {
		case 32:
			return "uint32"
		case 16:
			return "uint16"
		case 8:
			return "uint8"
		}
		return "byte"
	case MiniFloat, UMiniFloat:
		return "byte"
	case Bool:
		return "bool"
	}
	return "invalid"
}

// StorageBytes returns the number of bytes a tensor of count elements of type t occupies
// in the default layout: count*Bits/8 rounded up.
func (t DType) StorageBytes(count int) int { return (count*t.Bits + 7) / 8 }
