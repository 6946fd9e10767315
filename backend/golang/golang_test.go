package golang

import (
	"fmt"
	"go/token"
	"strings"
	"testing"

	"github.com/tensorcc/tcc/internal/gotest"
	"github.com/tensorcc/tcc/internal/rt"
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

func TestNamer(t *testing.T) {
	n := NewNamer("reserved")
	tests := []struct{ in, want string }{
		{"A", "A"},
		{"A", "A_"},
		{"A", "A_1"},
		{"len", "len_"},
		{"error", "error_"},
		{"func", "func_"},
		{"math", "math_"},
		{"tccLenError", "xtccLenError"}, // the tcc prefix is never handed out
		{"reserved", "reserved_"},
		{"1x", "x1x"},
		{"a-b", "a_b"},
		{"", "x"},
		{"_", "__"},
	}
	for _, tt := range tests {
		got := n.Name(tt.in)
		if got != tt.want {
			t.Errorf("Name(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if !token.IsIdentifier(got) {
			t.Errorf("Name(%q) = %q is not an identifier", tt.in, got)
		}
	}
}

func TestFuncBadInput(t *testing.T) {
	v := &loop.Var{Name: "x", T: loop.Scalar(ir.F32)}
	b := &loop.Buf{Name: "B", Elem: ir.F32}
	k := &loop.Kernel{Name: "K", Outputs: []*loop.Buf{b}}
	tests := []struct {
		name string
		f    *loop.Func
	}{
		{"nil expr", &loop.Func{Name: "f", Body: []loop.Stmt{&loop.Assign{Dst: v, Value: nil}}}},
		{"unknown buffer", &loop.Func{Name: "f", Body: []loop.Stmt{&loop.Store{Buf: &loop.Buf{Name: "Z", Elem: ir.F32}, Index: &loop.Const{T: loop.Scalar(ir.I64)}, Value: &loop.Ref{Var: v}}}}},
		{"zero step", &loop.Func{Name: "f", Body: []loop.Stmt{&loop.For{Var: &loop.Var{Name: "i", T: loop.Scalar(ir.I64)}, Lo: &loop.Const{T: loop.Scalar(ir.I64)}, Hi: &loop.Const{T: loop.Scalar(ir.I64)}}}}},
		{"float function on int", &loop.Func{Name: "f", Body: []loop.Stmt{&loop.Assign{Dst: &loop.Var{Name: "i", T: loop.Scalar(ir.I32)},
			Value: &loop.Call{Fn: loop.Fn(ir.Exp), Args: []loop.Expr{&loop.Const{T: loop.Scalar(ir.I32)}}, T: loop.Scalar(ir.I32)}}}}},
	}
	for _, tt := range tests {
		if _, err := Func(k, tt.f, "k_f_go"); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	if _, err := Func(nil, nil, "x"); err == nil {
		t.Error("nil kernel: no error")
	}
}

// castTypes are the element types whose every pairwise conversion is tested.
var castTypes = []ir.DType{ir.F64, ir.F32, ir.F16, ir.BF16, ir.I64, ir.I32, ir.I16, ir.I8, ir.U32, ir.U16, ir.U8,
	ir.IntType(4), ir.UintType(3), ir.MiniFloatType(true, 4, 3), ir.MiniFloatType(true, 2, 1), ir.MiniFloatType(false, 8, 0), ir.BoolT}

// TestCasts builds, for every pair of types, a Go function that converts a value
// and checks, in the generated package, that the result equals the conversion
// through float64 with the runtime's own converters (the definition of SPEC
// section 3 for these inputs, which are exact in every source type).
func TestCasts(t *testing.T) {
	var b strings.Builder
	b.WriteString("package casts\n\nimport \"math\"\n\nvar _ = math.Abs\n\n")
	var tb strings.Builder
	tb.WriteString("package casts\n\nimport \"testing\"\n\nfunc TestCasts(t *testing.T) {\n")
	values := []float64{0, 1, -1, 2.5, -3, 7, 100, 300, -1000, 1e6}
	for i, from := range castTypes {
		for j, to := range castTypes {
			fromT, _ := valueType(from)
			toT, _ := valueType(to)
			code, err := castCode("x", from, to)
			if err != nil {
				t.Fatalf("%v -> %v: %v", from, to, err)
			}
			fmt.Fprintf(&b, "func cast%d_%d(x %s) %s { return %s }\n", i, j, fromT, toT, code)
			// Reference: decode the source to float64 exactly, encode the target.
			for _, v := range values {
				src, ok := encodeExact(from, v)
				if !ok {
					continue
				}
				want, ok := encodeRef(to, decodeRef(from, src))
				if !ok {
					continue
				}
				fmt.Fprintf(&tb, "if got := cast%d_%d(%s); got != %s {\nt.Errorf(\"%v(%v) -> %v = %%v, want %%v\", got, %s)\n}\n",
					i, j, src, want, from, v, to, want)
			}
		}
	}
	tb.WriteString("}\n")
	rtf, err := rt.Files("casts")
	if err != nil {
		t.Fatal(err)
	}
	sup, err := Support("casts")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"casts.go": []byte(b.String()), SupportFile: sup}
	for n, s := range rtf {
		files[n] = s
	}
	gotest.Test(t, files, tb.String(), gotest.Options{})
}

// encodeExact returns a Go literal of type from holding v, if v is exact in from.
func encodeExact(from ir.DType, v float64) (string, bool) {
	vt, _ := valueType(from)
	switch {
	case from.Class == ir.Bool:
		return fmt.Sprint(v != 0), v == 0 || v == 1
	case from.Class == ir.Int || from.Class == ir.Uint:
		lo, hi := 0.0, float64(uint64(1)<<from.Bits-1)
		if from.Class == ir.Int {
			lo, hi = -float64(uint64(1)<<(from.Bits-1)), float64(uint64(1)<<(from.Bits-1)-1)
		}
		return fmt.Sprintf("%s(%v)", vt, v), v == float64(int64(v)) && v >= lo && v <= hi
	case from == ir.F64 || from == ir.F32:
		return fmt.Sprintf("%s(%v)", vt, v), true
	case from == ir.F16:
		h := rt.F64ToF16(v)
		return fmt.Sprintf("uint16(%d)", h), float64(rt.F16ToF32(h)) == v
	case from == ir.BF16:
		h := rt.F64ToBF16(v)
		return fmt.Sprintf("uint16(%d)", h), float64(rt.BF16ToF32(h)) == v
	default:
		m := rt.MiniFloat{Exp: from.Exp, Man: from.Man, Signed: from.Class == ir.MiniFloat}
		c := m.EncodeF64(v)
		return fmt.Sprintf("uint8(%d)", c), m.Decode(c) == v
	}
}

// decodeRef is the exact value of a literal made by encodeExact.
func decodeRef(from ir.DType, lit string) float64 {
	var raw float64
	if from.Class == ir.Bool {
		if lit == "true" {
			return 1
		}
		return 0
	}
	open := strings.IndexByte(lit, '(')
	fmt.Sscan(lit[open+1:len(lit)-1], &raw)
	switch {
	case from == ir.F16:
		return float64(rt.F16ToF32(uint16(raw)))
	case from == ir.BF16:
		return float64(rt.BF16ToF32(uint16(raw)))
	case from.Class == ir.MiniFloat || from.Class == ir.UMiniFloat:
		return rt.MiniFloat{Exp: from.Exp, Man: from.Man, Signed: from.Class == ir.MiniFloat}.Decode(uint8(raw))
	}
	return raw
}

// encodeRef converts the exact value v to a literal of type to.
func encodeRef(to ir.DType, v float64) (string, bool) {
	vt, _ := valueType(to)
	switch {
	case to.Class == ir.Bool:
		return fmt.Sprint(v != 0), true
	case to.Class == ir.Int || to.Class == ir.Uint:
		return fmt.Sprintf("%s(%d)", vt, rt.F64ToInt(v, to.Bits, to.Class == ir.Int)), true
	case to == ir.F64:
		return fmt.Sprintf("float64(%v)", v), true
	case to == ir.F32:
		f := float32(v)
		return fmt.Sprintf("float32(%v)", f), f == f && f-f == 0
	case to == ir.F16:
		return fmt.Sprintf("uint16(%d)", rt.F64ToF16(v)), true
	case to == ir.BF16:
		return fmt.Sprintf("uint16(%d)", rt.F64ToBF16(v)), true
	default:
		m := rt.MiniFloat{Exp: to.Exp, Man: to.Man, Signed: to.Class == ir.MiniFloat}
		return fmt.Sprintf("uint8(%d)", m.EncodeF64(v)), true
	}
}
