package interp

import (
	"math"
	"strings"
	"testing"

	. "github.com/tensorcc/tcc/internal/irbuild"
	"github.com/tensorcc/tcc/ir"
)

// castKernel builds Y[i] = to(X[i]) over N elements.
func castKernel(from, to ir.DType) *ir.Kernel {
	b := New("Cast")
	N := b.Size("N")
	X := b.In("X", from, ir.SizeDim(N))
	Y := b.Out("Y", to, ir.SizeDim(N))
	i := Var("i", ir.SizeDim(N))
	var x ir.Expr = Read(X, Idx(i))
	if x.Type() != to {
		x = Cast(x, to)
	}
	b.Stmt(Y, Vars(i), x)
	return b.K
}

var nan32 = float32(math.NaN())

func TestCasts(t *testing.T) {
	e4m3 := ir.MiniFloatType(true, 4, 3)
	e2m1 := ir.MiniFloatType(true, 2, 1)
	ue8m0 := ir.MiniFloatType(false, 8, 0)
	tests := []struct {
		name     string
		from, to ir.DType
		in, want any
	}{
		{"f32-i8", ir.F32, ir.I8,
			[]float32{300.7, -1e9, 2.5, 3.5, -2.5, nan32, -0.4, float32(math.Inf(1))},
			[]int8{127, -128, 2, 4, -2, 0, 0, 127}},
		{"f32-u8", ir.F32, ir.U8, []float32{-3, 255.5, 254.5, 1.5}, []uint8{0, 255, 254, 2}},
		{"f64-i64", ir.F64, ir.I64, []float64{1e19, -1e19, -2.5}, []int64{math.MaxInt64, math.MinInt64, -2}},
		{"f64-u32", ir.F64, ir.U32, []float64{5e9, -1, 4294967294.5}, []uint32{math.MaxUint32, 0, 4294967294}},
		{"i32-i8", ir.I32, ir.I8, []int32{200, -200, 5}, []int8{127, -128, 5}},
		{"i32-u16", ir.I32, ir.U16, []int32{-1, 70000, 65535}, []uint16{0, 65535, 65535}},
		{"i64-i32", ir.I64, ir.I32, []int64{1 << 40, -(1 << 40), -7}, []int32{math.MaxInt32, math.MinInt32, -7}},
		{"u32-i32", ir.U32, ir.I32, []uint32{math.MaxUint32, 3}, []int32{math.MaxInt32, 3}},
		{"f64-f32", ir.F64, ir.F32,
			[]float64{1 + 0x1p-24, 1 + 3*0x1p-24, 1e300, 0x1p-150, 0x1p-149 * 1.5},
			[]float32{1, 1 + 0x1p-22, float32(math.Inf(1)), 0, 0x1p-148}},
		{"i64-f32", ir.I64, ir.F32, []int64{1<<24 + 1, 1<<24 + 3, -(1<<24 + 1)}, []float32{1 << 24, 1<<24 + 4, -(1 << 24)}},
		{"f32-f16", ir.F32, ir.F16,
			[]float32{1, -2, 65504, 65519, 65520, 0x1p-24, 0x1p-25, 0x1.8p-25, 1.0 / 3},
			[]uint16{0x3C00, 0xC000, 0x7BFF, 0x7BFF, 0x7C00, 0x0001, 0x0000, 0x0001, 0x3555}},
		{"f32-bf16", ir.F32, ir.BF16,
			[]float32{1, 1 + 0x1p-8, 1 + 3*0x1p-8, float32(math.Inf(-1)), -0.5},
			[]uint16{0x3F80, 0x3F80, 0x3F82, 0xFF80, 0xBF00}},
		// 2^62 + 2^54 + 1 is just above the midpoint of two bf16 values: a double
		// rounding through float64 would give the even one, 2^62 (0x5E80).
		{"i64-bf16", ir.I64, ir.BF16, []int64{1<<62 + 1<<54 + 1, 1<<62 + 1<<54}, []uint16{0x5E81, 0x5E80}},
		{"f16-f32", ir.F16, ir.F32, []uint16{0x3C00, 0x0001, 0xFC00, 0x7BFF}, []float32{1, 0x1p-24, float32(math.Inf(-1)), 65504}},
		{"bf16-f64", ir.BF16, ir.F64, []uint16{0x3F80, 0xC040}, []float64{1, -3}},
		{"f32-e4m3", ir.F32, e4m3,
			[]float32{500, -500, nan32, 1, 0, 0x1p-9, 0x1p-10, 448, 464, 465},
			[]uint8{0x7E, 0xFE, 0x7F, 0x38, 0x00, 0x01, 0x00, 0x7E, 0x7E, 0x7E}},
		{"e4m3-f32", e4m3, ir.F32, []uint8{0x7E, 0x01, 0xB8}, []float32{448, 0x1p-9, -1}},
		{"f32-ue8m0", ir.F32, ue8m0, []float32{1, 0.5, 0x1p127, 3}, []uint8{127, 126, 254, 128}},
		// e2m1 is packed two to a byte: codes 1,7,7,A,0,2,4,6 (see TestPacked for
		// the bit order). Ties go to the even code: 0.25 -> 0, 0.75 -> 1, 2.5 -> 2, 5 -> 4.
		{"f32-e2m1", ir.F32, e2m1,
			[]float32{0.5, 6, 100, -1, 0.25, 0.75, 2.5, 5},
			[]uint8{0x71, 0xA7, 0x20, 0x64}},
		{"e2m1-f32", e2m1, ir.F32, []uint8{0x71, 0xA7, 0x20, 0x64},
			[]float32{0.5, 6, 6, -1, 0, 1, 2, 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := lenOf(tc.want)
			if tc.to.IsPacked() {
				n = lenOf(tc.in)
			}
			got := zeroLike(tc.want)
			if err := Call(castKernel(tc.from, tc.to), tc.in, got, n); err != nil {
				t.Fatal(err)
			}
			if !sameValues(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNaNConversions(t *testing.T) {
	h := []uint16{0}
	if err := Call(castKernel(ir.F32, ir.F16), []float32{nan32}, h, 1); err != nil {
		t.Fatal(err)
	}
	if h[0]&0x7C00 != 0x7C00 || h[0]&0x3FF == 0 {
		t.Errorf("f16(NaN) = %#x, not a NaN", h[0])
	}
	e5m2 := ir.MiniFloatType(true, 5, 2)
	b := []uint8{0, 0, 0}
	if err := Call(castKernel(ir.F32, e5m2), []float32{nan32, 1e6, -57344}, b, 3); err != nil {
		t.Fatal(err)
	}
	// e5m2 is IEEE-like: NaN has exponent 11111 and a non-zero mantissa; overflow
	// saturates to the largest finite value, 57344 = 0x7B (SPEC section 3).
	if b[0]&0x7C != 0x7C || b[0]&3 == 0 || b[1] != 0x7B || b[2] != 0xFB {
		t.Errorf("e5m2(NaN, 1e6, -57344) = %#x", b)
	}
}

func lenOf(s any) int {
	switch s := s.(type) {
	case []float64:
		return len(s)
	case []float32:
		return len(s)
	case []int64:
		return len(s)
	case []int32:
		return len(s)
	case []int8:
		return len(s)
	case []uint32:
		return len(s)
	case []uint16:
		return len(s)
	case []uint8:
		return len(s)
	}
	panic("lenOf")
}

func zeroLike(s any) any {
	switch s := s.(type) {
	case []float64:
		return make([]float64, len(s))
	case []float32:
		return make([]float32, len(s))
	case []int64:
		return make([]int64, len(s))
	case []int32:
		return make([]int32, len(s))
	case []int8:
		return make([]int8, len(s))
	case []uint32:
		return make([]uint32, len(s))
	case []uint16:
		return make([]uint16, len(s))
	case []uint8:
		return make([]uint8, len(s))
	}
	panic("zeroLike")
}

// sameValues compares two slices of one type elementwise, NaN equal to NaN.
func sameValues(a, b any) bool {
	switch a := a.(type) {
	case []float64:
		b := b.([]float64)
		for i := range a {
			if a[i] != b[i] && !(a[i] != a[i] && b[i] != b[i]) {
				return false
			}
		}
		return len(a) == len(b)
	case []float32:
		b := b.([]float32)
		for i := range a {
			if a[i] != b[i] && !(a[i] != a[i] && b[i] != b[i]) {
				return false
			}
		}
		return len(a) == len(b)
	case []int64:
		return equal(a, b.([]int64))
	case []int32:
		return equal(a, b.([]int32))
	case []int8:
		return equal(a, b.([]int8))
	case []uint32:
		return equal(a, b.([]uint32))
	case []uint16:
		return equal(a, b.([]uint16))
	case []uint8:
		return equal(a, b.([]uint8))
	}
	return false
}

// unary builds Y[i] = OP(X[i]) for one element type.
func unaryKernel(t ir.DType, f func(x ir.Expr) ir.Expr) *ir.Kernel {
	b := New("Unary")
	N := b.Size("N")
	X := b.In("X", t, ir.SizeDim(N))
	Y := b.Out("Y", t, ir.SizeDim(N))
	i := Var("i", ir.SizeDim(N))
	b.Stmt(Y, Vars(i), f(Read(X, Idx(i))))
	return b.K
}

func TestIntegerWrap(t *testing.T) {
	tests := []struct {
		name string
		t    ir.DType
		f    func(x ir.Expr) ir.Expr
		in   any
		want any
	}{
		{"i32 x*x+1", ir.I32, func(x ir.Expr) ir.Expr { return Bin(ir.Add, Bin(ir.Mul, x, x), IConst(ir.I32, 1)) },
			[]int32{65536, 46341, -3}, []int32{1, -2147479014, 10}},
		{"u32 x-1", ir.U32, func(x ir.Expr) ir.Expr { return Bin(ir.Sub, x, IConst(ir.U32, 1)) },
			[]uint32{0, 5}, []uint32{math.MaxUint32, 4}},
		{"u32 x*x", ir.U32, func(x ir.Expr) ir.Expr { return Bin(ir.Mul, x, x) },
			[]uint32{65536, 65537}, []uint32{0, 131073}},
		{"i64 x+1", ir.I64, func(x ir.Expr) ir.Expr { return Bin(ir.Add, x, IConst(ir.I64, 1)) },
			[]int64{math.MaxInt64}, []int64{math.MinInt64}},
		{"i32 -x", ir.I32, func(x ir.Expr) ir.Expr { return &ir.Unary{Op: ir.Neg, X: x, T: ir.I32} },
			[]int32{math.MinInt32, 4}, []int32{math.MinInt32, -4}},
		{"i32 abs", ir.I32, func(x ir.Expr) ir.Expr { return CallFn(ir.Abs, x) },
			[]int32{math.MinInt32, -4, 3}, []int32{math.MinInt32, 4, 3}},
		{"i32 x/2", ir.I32, func(x ir.Expr) ir.Expr { return Bin(ir.Div, x, IConst(ir.I32, 2)) },
			[]int32{-7, 7, -8, 0}, []int32{-4, 3, -4, 0}},
		{"i32 7/x", ir.I32, func(x ir.Expr) ir.Expr { return Bin(ir.Div, IConst(ir.I32, 7), x) },
			[]int32{-2, 0, 2, -7}, []int32{-4, 0, 3, -1}},
		{"i32 x/-1", ir.I32, func(x ir.Expr) ir.Expr { return Bin(ir.Div, x, IConst(ir.I32, -1)) },
			[]int32{math.MinInt32, 5}, []int32{math.MinInt32, -5}},
		{"i64 x/0", ir.I64, func(x ir.Expr) ir.Expr { return Bin(ir.Div, x, IConst(ir.I64, 0)) },
			[]int64{math.MinInt64, 5}, []int64{0, 0}},
		{"i32 round", ir.I32, func(x ir.Expr) ir.Expr { return CallFn(ir.Round, CallFn(ir.Floor, CallFn(ir.Ceil, x))) },
			[]int32{-3, 9}, []int32{-3, 9}},
		{"i32 clamp relu", ir.I32, func(x ir.Expr) ir.Expr {
			return CallFn(ir.Relu, CallFn(ir.Clamp, x, IConst(ir.I32, -5), IConst(ir.I32, 10)))
		}, []int32{-100, 3, 100}, []int32{0, 3, 10}},
		{"i32 min max", ir.I32, func(x ir.Expr) ir.Expr {
			return Bin(ir.Add, CallFn(ir.Min, x, IConst(ir.I32, 2)), CallFn(ir.Max, x, IConst(ir.I32, 2)))
		}, []int32{-1, 7}, []int32{1, 9}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := zeroLike(tc.want)
			if err := Call(unaryKernel(tc.t, tc.f), tc.in, got, lenOf(tc.in)); err != nil {
				t.Fatal(err)
			}
			if !sameValues(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestNarrowIntegersPromote checks that i8 arithmetic happens in i32 (no wrap at
// 8 bits) and that the store into an i8 saturates.
func TestNarrowIntegersPromote(t *testing.T) {
	b := New("Promote")
	N := b.Size("N")
	X := b.In("X", ir.I8, ir.SizeDim(N))
	Y := b.Out("Y", ir.I32, ir.SizeDim(N))
	Z := b.Out("Z", ir.I8, ir.SizeDim(N))
	S := b.Out("S", ir.I32)
	i, j, k := Var("i", ir.SizeDim(N)), Var("i", ir.SizeDim(N)), Var("k", ir.SizeDim(N))
	twice := func(v *ir.Var) ir.Expr { return Bin(ir.Add, ReadCompute(X, Idx(v)), ReadCompute(X, Idx(v))) }
	b.Stmt(Y, Vars(i), twice(i))
	b.Stmt(Z, Vars(j), Cast(twice(j), ir.I8))
	// S = sum(k: X[k] * 2^24): wraps at 32 bits.
	b.Stmt(S, nil, Reduce(ir.RSum, Vars(k), nil, Bin(ir.Mul, ReadCompute(X, Idx(k)), IConst(ir.I32, 1<<24))))
	y, z, s := make([]int32, 3), make([]int8, 3), make([]int32, 1)
	if err := Call(b.K, []int8{100, -100, 127}, y, z, s, 3); err != nil {
		t.Fatal(err)
	}
	if want := []int32{200, -200, 254}; !equal(y, want) {
		t.Errorf("Y = %v, want %v", y, want)
	}
	if want := []int8{127, -128, 127}; !equal(z, want) {
		t.Errorf("Z = %v, want %v", z, want)
	}
	// (100 - 100 + 127) * 2^24 = 2130706432 fits; use the exact sum to check the wrap:
	if want := int32(int64(127) << 24); s[0] != want {
		t.Errorf("S = %v, want %v", s[0], want)
	}
	if err := Call(b.K, []int8{127, 127, 0}, y, z, s, 3); err != nil {
		t.Fatal(err)
	}
	if want := int32(-33554432); s[0] != want { // 254 * 2^24 mod 2^32, as int32
		t.Errorf("S = %v, want %v", s[0], want)
	}
}

func TestFloatFunctions(t *testing.T) {
	x := []float64{-2.5, -0.5, 0, 0.5, 1, 1.5, 2.5, 4}
	tests := []struct {
		fn   ir.Func
		want func(float64) float64
	}{
		{ir.Exp, math.Exp}, {ir.Exp2, math.Exp2}, {ir.Log, math.Log}, {ir.Log2, math.Log2},
		{ir.Sqrt, math.Sqrt}, {ir.Rsqrt, func(v float64) float64 { return 1 / math.Sqrt(v) }},
		{ir.Abs, math.Abs}, {ir.Tanh, math.Tanh}, {ir.Erf, math.Erf}, {ir.Sin, math.Sin}, {ir.Cos, math.Cos},
		{ir.Floor, math.Floor}, {ir.Ceil, math.Ceil},
		{ir.Sigmoid, func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }},
		{ir.Silu, func(v float64) float64 { return v / (1 + math.Exp(-v)) }},
		{ir.Relu, func(v float64) float64 { return max(v, 0) }},
	}
	for _, tc := range tests {
		y := make([]float64, len(x))
		if err := Call(unaryKernel(ir.F64, func(e ir.Expr) ir.Expr { return CallFn(tc.fn, e) }), x, y, len(x)); err != nil {
			t.Fatal(err)
		}
		for i, v := range x {
			w := tc.want(v)
			if !(y[i] == w || math.Abs(y[i]-w) <= 1e-15*math.Abs(w) || w != w && y[i] != y[i]) {
				t.Errorf("%v(%v) = %v, want %v", tc.fn, v, y[i], w)
			}
		}
	}
	// Hand-checked values.
	hand := []struct {
		fn   ir.Func
		x, y float64
	}{
		{ir.Round, 2.5, 2}, {ir.Round, 3.5, 4}, {ir.Round, -0.5, 0}, {ir.Round, -1.5, -2},
		{ir.Gelu, 1, 0.8413447460685429}, {ir.Gelu, -1, -0.15865525393145707}, {ir.Gelu, 0, 0},
		{ir.Sigmoid, 0, 0.5}, {ir.Silu, 1, 0.7310585786300049}, {ir.Rsqrt, 4, 0.5},
	}
	for _, h := range hand {
		y := make([]float64, 1)
		if err := Call(unaryKernel(ir.F64, func(e ir.Expr) ir.Expr { return CallFn(h.fn, e) }), []float64{h.x}, y, 1); err != nil {
			t.Fatal(err)
		}
		if math.Abs(y[0]-h.y) > 1e-15 {
			t.Errorf("%v(%v) = %v, want %v", h.fn, h.x, y[0], h.y)
		}
	}
	// Two- and three-argument functions, and NaN propagation of min/max.
	two := []struct {
		name string
		f    func(e ir.Expr) ir.Expr
		x, y float64
	}{
		{"pow", func(e ir.Expr) ir.Expr { return CallFn(ir.Pow, e, FConst(ir.F64, 3)) }, 2, 8},
		{"min", func(e ir.Expr) ir.Expr { return CallFn(ir.Min, e, FConst(ir.F64, 3)) }, 5, 3},
		{"max", func(e ir.Expr) ir.Expr { return CallFn(ir.Max, e, FConst(ir.F64, 3)) }, 5, 5},
		{"maxnan", func(e ir.Expr) ir.Expr { return CallFn(ir.Max, e, FConst(ir.F64, 3)) }, math.NaN(), math.NaN()},
		{"clamp", func(e ir.Expr) ir.Expr { return CallFn(ir.Clamp, e, FConst(ir.F64, -1), FConst(ir.F64, 1)) }, -7, -1},
		{"select", func(e ir.Expr) ir.Expr { return Select(Bin(ir.Gt, e, FConst(ir.F64, 0)), e, FConst(ir.F64, -9)) }, -3, -9},
		{"neg", func(e ir.Expr) ir.Expr { return &ir.Unary{Op: ir.Neg, X: e, T: ir.F64} }, 2, -2},
		{"bool", func(e ir.Expr) ir.Expr {
			c := &ir.Unary{Op: ir.Not, X: Bin(ir.Or, Bin(ir.Lt, e, FConst(ir.F64, 0)), Bin(ir.Ne, e, e)), T: ir.BoolT}
			return Cast(c, ir.F64)
		}, 2, 1},
	}
	for _, h := range two {
		y := make([]float64, 1)
		if err := Call(unaryKernel(ir.F64, h.f), []float64{h.x}, y, 1); err != nil {
			t.Fatal(err)
		}
		if y[0] != h.y && !(y[0] != y[0] && h.y != h.y) {
			t.Errorf("%s(%v) = %v, want %v", h.name, h.x, y[0], h.y)
		}
	}
}

// TestEvalExact checks that Eval reports the value before the final rounding.
func TestEvalExact(t *testing.T) {
	k := unaryKernel(ir.F32, func(e ir.Expr) ir.Expr { return Bin(ir.Div, e, FConst(ir.F32, 3)) })
	outs, err := Eval(k, []float32{1, 2}, nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := outs[0].Float; got[0] != 1.0/3 || got[1] != 2.0/3 {
		t.Errorf("exact = %v, want [1/3 2/3] in float64", got)
	}
	// A cast to the output type at the root is the final rounding: Eval reports its operand.
	k = castKernel(ir.F64, ir.F16)
	outs, err = Eval(k, []float64{1.0 / 3}, make([]uint16, 1), 1)
	if err != nil {
		t.Fatal(err)
	}
	if outs[0].Float[0] != 1.0/3 {
		t.Errorf("exact = %v, want 1/3", outs[0].Float[0])
	}
	// Integer outputs report the stored value.
	k = castKernel(ir.F64, ir.I8)
	outs, err = Eval(k, []float64{1000, 2.5}, nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := outs[0].Int; got[0] != 127 || got[1] != 2 {
		t.Errorf("exact = %v, want [127 2]", got)
	}
}

// TestSizeIndexValues checks size symbols and index variables used as values.
func TestSizeIndexValues(t *testing.T) {
	b := New("Tri")
	N := b.Size("N")
	X := b.In("X", ir.F32, ir.SizeDim(N), ir.SizeDim(N))
	Y := b.Out("Y", ir.F32, ir.SizeDim(N), ir.SizeDim(N))
	I := b.Out("I", ir.I32, ir.SizeDim(N))
	i, j := Var("i", ir.SizeDim(N)), Var("j", ir.SizeDim(N))
	b.Stmt(Y, Vars(i, j), Select(Bin(ir.Le, Idx(j), Idx(i)), Read(X, Idx(i), Idx(j)), FConst(ir.F32, 0)))
	k := Var("k", ir.SizeDim(N))
	// I[k] = k * N - 1 in i32
	b.Stmt(I, Vars(k), Bin(ir.Sub, Bin(ir.Mul, IdxAs(k, ir.I32), &ir.SizeVal{Size: N, T: ir.I32}), IConst(ir.I32, 1)))
	y, iv := make([]float32, 4), make([]int32, 2)
	if err := Call(b.K, []float32{1, 2, 3, 4}, y, iv, 2); err != nil {
		t.Fatal(err)
	}
	if want := []float32{1, 0, 3, 4}; !equal(y, want) {
		t.Errorf("Y = %v, want %v", y, want)
	}
	if want := []int32{-1, 1}; !equal(iv, want) {
		t.Errorf("I = %v, want %v", iv, want)
	}
}

func TestUnsupportedIR(t *testing.T) {
	// exp on an integer type must be rejected, not evaluated.
	k := unaryKernel(ir.I32, func(e ir.Expr) ir.Expr { return CallFn(ir.Exp, e) })
	err := Call(k, []int32{1}, make([]int32, 1), 1)
	if err == nil || !strings.Contains(err.Error(), "exp") {
		t.Errorf("exp on i32: err = %v", err)
	}
	// A value whose type differs from the target's.
	k = unaryKernel(ir.F32, func(e ir.Expr) ir.Expr { return Cast(e, ir.F64) })
	if err := Call(k, []float32{1}, make([]float32, 1), 1); err == nil {
		t.Error("mistyped statement accepted")
	}
}
