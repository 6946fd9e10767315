package interp

import (
	"math"
	"strings"
	"testing"

	. "github.com/tensorcc/tcc/internal/irbuild"
	"github.com/tensorcc/tcc/ir"
)

// packRef packs b-bit codes into bytes straight from SPEC section 4: element i
// occupies stream bits [i*b, (i+1)*b), stream bit j is bit j%8 of byte j/8.
func packRef(codes []uint8, b int) []byte {
	out := make([]byte, (len(codes)*b+7)/8)
	for i, c := range codes {
		for k := 0; k < b; k++ {
			if c>>k&1 != 0 {
				j := i*b + k
				out[j/8] |= 1 << (j % 8)
			}
		}
	}
	return out
}

func TestPackedInputs(t *testing.T) {
	// Five 4-bit elements 1, 15, 7, 8, 3 in three bytes; the high nibble of the last
	// byte is garbage and must be ignored.
	buf := []byte{0xF1, 0x87, 0xA3}
	for _, tc := range []struct {
		t    ir.DType
		want []int32
	}{
		{ir.UintType(4), []int32{1, 15, 7, 8, 3}},
		{ir.IntType(4), []int32{1, -1, 7, -8, 3}},
	} {
		y := make([]int32, 5)
		if err := Call(castKernel(tc.t, ir.I32), buf, y, 5); err != nil {
			t.Fatal(err)
		}
		if !equal(y, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.t, y, tc.want)
		}
	}
	// Odd widths cross byte boundaries: 3-bit codes.
	codes := []uint8{3, 4, 2, 7, 0, 3, 4, 1, 5}
	y := make([]int32, len(codes))
	if err := Call(castKernel(ir.IntType(3), ir.I32), packRef(codes, 3), y, len(codes)); err != nil {
		t.Fatal(err)
	}
	if want := []int32{3, -4, 2, -1, 0, 3, -4, 1, -3}; !equal(y, want) {
		t.Errorf("i3: got %v, want %v", y, want)
	}
	// 6-bit unsigned.
	codes = []uint8{63, 0, 42, 17, 1}
	if err := Call(castKernel(ir.UintType(6), ir.I32), packRef(codes, 6), y[:5], 5); err != nil {
		t.Fatal(err)
	}
	if want := []int32{63, 0, 42, 17, 1}; !equal(y[:5], want) {
		t.Errorf("u6: got %v, want %v", y[:5], want)
	}
}

func TestPackedOutputs(t *testing.T) {
	in := []int32{5, -5, 2, -1, 0, 3, -4, 1, 7}
	// Saturated to [-4, 3]: 3, -4, 2, -1, 0, 3, -4, 1, 3 -> 3-bit codes:
	want := packRef([]uint8{3, 4, 2, 7, 0, 3, 4, 1, 3}, 3)
	got := []byte{0xFF, 0xFF, 0xFF, 0xFF} // tail bits must come out zero
	if err := Call(castKernel(ir.I32, ir.IntType(3)), in, got, len(in)); err != nil {
		t.Fatal(err)
	}
	if !equal(got, want) {
		t.Errorf("i3: got %#x, want %#x", got, want)
	}
	// u1 mask: x > 0.
	b := New("Mask")
	N := b.Size("N")
	X := b.In("X", ir.F32, ir.SizeDim(N))
	Y := b.Out("Y", ir.UintType(1), ir.SizeDim(N))
	i := Var("i", ir.SizeDim(N))
	b.Stmt(Y, Vars(i), Cast(Bin(ir.Gt, Read(X, Idx(i)), FConst(ir.F32, 0)), ir.UintType(1)))
	x := []float32{1, -1, 2, 0, 3, 3, -3, 3, 1, 1}
	mask := []byte{0, 0}
	if err := Call(b.K, x, mask, len(x)); err != nil {
		t.Fatal(err)
	}
	if want := []byte{0b10110101, 0b11}; !equal(mask, want) {
		t.Errorf("u1: got %08b, want %08b", mask, want)
	}
	// Packed u4 round trip through a temp of type i32: Y = X + 1 saturated to u4.
	b = New("Inc4")
	N = b.Size("N")
	X4 := b.In("X", ir.UintType(4), ir.SizeDim(N))
	T := b.Temp("T", ir.I32, ir.SizeDim(N))
	Y4 := b.Out("Y", ir.UintType(4), ir.SizeDim(N))
	i, j := Var("i", ir.SizeDim(N)), Var("j", ir.SizeDim(N))
	b.Stmt(T, Vars(i), Bin(ir.Add, ReadCompute(X4, Idx(i)), IConst(ir.I32, 1)))
	b.Stmt(Y4, Vars(j), Cast(Read(T, Idx(j)), ir.UintType(4)))
	y := []byte{0xEE, 0xEE}
	if err := Call(b.K, packRef([]uint8{0, 14, 15}, 4), y, 3); err != nil {
		t.Fatal(err)
	}
	if want := packRef([]uint8{1, 15, 15}, 4); !equal(y, want) {
		t.Errorf("u4: got %#x, want %#x", y, want)
	}
}

// TestMiniFloatDecode checks every e2m1 and e3m2 code against the formats'
// definition: sign, bias 2^(X-1)-1, subnormals, no special values.
func TestMiniFloatDecode(t *testing.T) {
	for _, f := range [][2]int{{2, 1}, {3, 2}, {2, 3}} {
		e, m := f[0], f[1]
		mt := ir.MiniFloatType(true, e, m)
		bits := 1 + e + m
		n := 1 << bits
		codes := make([]uint8, n)
		want := make([]float32, n)
		bias := 1<<(e-1) - 1
		for c := 0; c < n; c++ {
			codes[c] = uint8(c)
			ex := c >> m & (1<<e - 1)
			man := c & (1<<m - 1)
			var v float64
			if ex == 0 {
				v = float64(man) / float64(int(1)<<m) * math.Pow(2, float64(1-bias))
			} else {
				v = (1 + float64(man)/float64(int(1)<<m)) * math.Pow(2, float64(ex-bias))
			}
			if c>>(e+m) != 0 {
				v = -v
			}
			want[c] = float32(v)
		}
		got := make([]float32, n)
		if err := Call(castKernel(mt, ir.F32), packRef(codes, bits), got, n); err != nil {
			t.Fatal(err)
		}
		if !equal(got, want) {
			t.Errorf("%s: got %v, want %v", mt, got, want)
		}
		// Encoding every decoded value gives its code back (except -0 -> code of -0).
		back := make([]byte, (n*bits+7)/8)
		if err := Call(castKernel(ir.F32, mt), want, back, n); err != nil {
			t.Fatal(err)
		}
		if !equal(back, packRef(codes, bits)) {
			t.Errorf("%s: re-encoding gives %#x", mt, back)
		}
	}
}

// errKernel: A: f32[M, K], B: f32[K2, N], S: u4[K / 2] -> C: f32[M, N], with
// the check K == K2.
func errKernel() *ir.Kernel {
	b := New("Gemm")
	M, K, K2, N := b.Size("M"), b.Size("K"), b.Size("K2"), b.Size("N")
	A := b.In("A", ir.F32, ir.SizeDim(M), ir.SizeDim(K))
	B := b.In("B", ir.F32, ir.SizeDim(K2), ir.SizeDim(N))
	half := ir.Dim{Size: K, Mul: 1, Div: 2}
	S := b.In("S", ir.UintType(4), half)
	C := b.Out("C", ir.F32, ir.SizeDim(M), ir.SizeDim(N))
	b.Agree(ir.SizeDim(K), ir.SizeDim(K2), `index "k": A dimension 1 (K) vs B dimension 0 (K2)`)
	m, n, k := Var("m", ir.SizeDim(M)), Var("n", ir.SizeDim(N)), Var("k", ir.SizeDim(K))
	scale := Cast(Cast(Read(S, Bin(ir.Div, Idx(k), I64(2))), ir.I32), ir.F32)
	body := Bin(ir.Mul, Bin(ir.Mul, Read(A, Idx(m), Idx(k)), Read(B, Idx(k), Idx(n))), scale)
	b.Stmt(C, Vars(m, n), Reduce(ir.RSum, Vars(k), nil, body))
	return b.K
}

func TestValidation(t *testing.T) {
	k := errKernel()
	// M=2, K=K2=4, N=3.
	good := func() []any {
		return []any{make([]float32, 8), make([]float32, 12), make([]byte, 1), make([]float32, 6), 2, 4, 4, 3}
	}
	if err := Call(k, good()...); err != nil {
		t.Fatalf("valid call: %v", err)
	}
	tests := []struct {
		name string
		edit func(a []any) []any
		msg  []string // substrings the error must contain
	}{
		{"too few", func(a []any) []any { return a[:7] }, []string{"Gemm", "7", "8"}},
		{"too many", func(a []any) []any { return append(a, 1) }, []string{"Gemm", "9"}},
		{"A type", func(a []any) []any { a[0] = make([]float64, 8); return a }, []string{"Gemm", "A", "[]float64", "[]float32"}},
		{"S type", func(a []any) []any { a[2] = make([]int8, 1); return a }, []string{"Gemm", "S", "[]uint8"}},
		{"C nil", func(a []any) []any { a[3] = nil; return a }, []string{"Gemm", "C"}},
		{"size type", func(a []any) []any { a[4] = int64(2); return a }, []string{"Gemm", "M", "int64"}},
		{"A length", func(a []any) []any { a[0] = make([]float32, 7); return a }, []string{"Gemm", "A", "7", "8"}},
		{"B length", func(a []any) []any { a[1] = make([]float32, 13); return a }, []string{"Gemm", "B", "13", "12"}},
		{"S length", func(a []any) []any { a[2] = make([]byte, 2); return a }, []string{"Gemm", "S", "2", "1"}},
		{"C length", func(a []any) []any { a[3] = make([]float32, 5); return a }, []string{"Gemm", "C", "5", "6"}},
		{"negative", func(a []any) []any { a[4] = -1; return a }, []string{"Gemm", "M", "-1"}},
		{"not divisible", func(a []any) []any {
			a[0], a[1], a[5], a[6] = make([]float32, 6), make([]float32, 9), 3, 3
			return a
		}, []string{"Gemm", "K", "3", "2"}},
		{"disagree", func(a []any) []any { a[1], a[6] = make([]float32, 6), 2; return a }, []string{"Gemm", "K2", "4", "2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.edit(good())
			var c []float32
			if len(args) > 3 {
				c, _ = args[3].([]float32)
			}
			for i := range c {
				c[i] = 42
			}
			err := Call(k, args...)
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range tc.msg {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			for i := range c {
				if c[i] != 42 {
					t.Fatalf("output written on error: %v", c)
				}
			}
			if _, err := Eval(k, args...); err == nil && tc.name != "C nil" {
				t.Error("Eval: no error")
			}
		})
	}
	// Eval accepts nil outputs, typed or not.
	a := good()
	a[3] = nil
	if _, err := Eval(k, a...); err != nil {
		t.Errorf("Eval with nil output: %v", err)
	}
	a[3] = []float32(nil)
	if _, err := Eval(k, a...); err != nil {
		t.Errorf("Eval with typed nil output: %v", err)
	}
	if err := Call(nil); err == nil {
		t.Error("nil kernel accepted")
	}
}
