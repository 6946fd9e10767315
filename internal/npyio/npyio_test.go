package npyio

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tensorcc/tcc/ir"
)

func newKernel(name string, sizes ...string) (*ir.Kernel, []*ir.Size) {
	k := &ir.Kernel{Name: name}
	for i, s := range sizes {
		k.Sizes = append(k.Sizes, &ir.Size{Name: s, Index: i})
	}
	return k, k.Sizes
}

func param(k *ir.Kernel, name string, t ir.DType, dims ...ir.Dim) *ir.Tensor {
	kind := ir.Input
	if dims == nil {
		kind = ir.Scalar
	}
	p := &ir.Tensor{Name: name, Kind: kind, Type: t, Dims: dims, Index: len(k.Params)}
	k.Params = append(k.Params, p)
	return p
}

func output(k *ir.Kernel, name string, t ir.DType, dims ...ir.Dim) *ir.Tensor {
	p := &ir.Tensor{Name: name, Kind: ir.Output, Type: t, Dims: dims, Index: len(k.Outputs)}
	k.Outputs = append(k.Outputs, p)
	return p
}

func sd(s *ir.Size) ir.Dim { return ir.SizeDim(s) }

func TestLoadGolden(t *testing.T) {
	k, s := newKernel("G", "M", "N", "K")
	param(k, "X", ir.F32, sd(s[0]), sd(s[1]))
	param(k, "H", ir.F16, sd(s[2]))
	param(k, "B", ir.I32, ir.ConstDim(2), ir.ConstDim(2))
	param(k, "P", ir.IntType(4), ir.Dim{Size: s[2], Mul: 5, Div: 3})
	args, sizes, err := LoadArgs(k, map[string]string{
		"X": "testdata/f32_2x3.npy",
		"H": "testdata/f16_3.npy",
		"B": "testdata/i32_be_2x2_v2.npy",
		"P": "testdata/i8_5.npy",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{
		[]float32{1, 2, 3, 4, 5, 6.5},
		[]uint16{0x3C00, 0xC000, 0x3800},
		[]int32{1, -2, 300000, -4},
		[]byte{0xF1, 0x87, 0x03}, // 1, -1, 7, -8, 3 as 4-bit two's complement, low nibble first
	}
	if !reflect.DeepEqual(args, want) {
		t.Errorf("args = %#v, want %#v", args, want)
	}
	if !reflect.DeepEqual(sizes, []int{2, 3, 3}) {
		t.Errorf("sizes = %v, want [2 3 3]", sizes)
	}
}

func TestSaveGolden(t *testing.T) {
	k, s := newKernel("G", "M", "N")
	output(k, "Y", ir.F32, sd(s[0]), sd(s[1]))
	output(k, "Z", ir.F16, sd(s[1]))
	dir := t.TempDir()
	y, z := filepath.Join(dir, "y.npy"), filepath.Join(dir, "z.npy")
	outs := []any{[]float32{1, 2, 3, 4, 5, 6.5}, []uint16{0x3C00, 0xC000, 0x3800}}
	if err := SaveOutputs(k, outs, []int{2, 3}, map[string]string{"Y": y, "Z": z}); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][2]string{{y, "testdata/f32_2x3.npy"}, {z, "testdata/f16_3.npy"}} {
		got, err := os.ReadFile(c[0])
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(c[1])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n%q\nwant %s:\n%q", c[0], got, c[1], want)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("directory holds %d files, want 2 (temporary files left?)", len(entries))
	}
}

// randomArg returns a random generated-API argument of n elements of type t.
func randomArg(r *rand.Rand, t ir.DType, n int) any {
	switch t.GoType() {
	case "float64":
		s := make([]float64, n)
		for i := range s {
			s[i] = r.NormFloat64()
		}
		return s
	case "float32":
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(r.NormFloat64())
		}
		return s
	case "int64":
		s := make([]int64, n)
		for i := range s {
			s[i] = int64(r.Uint64())
		}
		return s
	case "int32":
		s := make([]int32, n)
		for i := range s {
			s[i] = int32(r.Uint32())
		}
		return s
	case "int16":
		s := make([]int16, n)
		for i := range s {
			s[i] = int16(r.Uint32())
		}
		return s
	case "int8":
		s := make([]int8, n)
		for i := range s {
			s[i] = int8(r.Uint32())
		}
		return s
	case "uint32":
		s := make([]uint32, n)
		for i := range s {
			s[i] = r.Uint32()
		}
		return s
	case "uint16":
		s := make([]uint16, n)
		for i := range s {
			s[i] = uint16(r.Uint32())
		}
		return s
	}
	if t.IsPacked() {
		s := make([]byte, t.StorageBytes(n))
		for i := range s {
			s[i] = uint8(r.Uint32())
		}
		if used := n * t.Bits % 8; used != 0 {
			s[len(s)-1] &= 1<<used - 1 // unused high bits are zero in a saved output
		}
		return s
	}
	s := make([]byte, n)
	for i := range s {
		s[i] = uint8(r.Uint32())
	}
	return s
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	types := []ir.DType{ir.F64, ir.F32, ir.F16, ir.BF16, ir.I64, ir.I32, ir.I16, ir.I8,
		ir.U32, ir.U16, ir.U8, ir.IntType(1), ir.IntType(3), ir.UintType(5), ir.UintType(7),
		ir.MiniFloatType(true, 2, 1), ir.MiniFloatType(true, 4, 3), ir.MiniFloatType(false, 8, 0)}
	for _, typ := range types {
		for _, shape := range [][2]int{{3, 5}, {1, 7}, {0, 4}} {
			k, s := newKernel("RT", "A", "B")
			param(k, "X", typ, sd(s[0]), ir.Dim{Size: s[1], Mul: 2, Div: 1})
			output(k, "Y", typ, sd(s[0]), ir.Dim{Size: s[1], Mul: 2, Div: 1})
			sizes := []int{shape[0], shape[1]}
			n := shape[0] * shape[1] * 2
			y := randomArg(r, typ, n)
			path := filepath.Join(t.TempDir(), "y.npy")
			if err := SaveOutputs(k, []any{y}, sizes, map[string]string{"Y": path}); err != nil {
				t.Fatalf("%s: %v", typ, err)
			}
			args, gotSizes, err := LoadArgs(k, map[string]string{"X": path})
			if err != nil {
				t.Fatalf("%s %v: %v", typ, shape, err)
			}
			if !reflect.DeepEqual(args[0], y) || !reflect.DeepEqual(gotSizes, sizes) {
				t.Errorf("%s %v: loaded %v %v, saved %v %v", typ, shape, args[0], gotSizes, y, sizes)
			}
		}
	}
}

func TestScalarAndAlloc(t *testing.T) {
	k, s := newKernel("S", "N")
	param(k, "X", ir.F64, sd(s[0]))
	param(k, "alpha", ir.F32)
	output(k, "Y", ir.UintType(3), sd(s[0]))
	output(k, "Z", ir.BF16)
	dir := t.TempDir()
	xp, ap := filepath.Join(dir, "x.npy"), filepath.Join(dir, "a.npy")
	write(t, xp, &array{dtype: "f8", shape: []int{4}, data: []float64{1, 2, 3, 4}})
	write(t, ap, &array{dtype: "f4", shape: []int{}, data: []float32{2.5}})
	args, sizes, err := LoadArgs(k, map[string]string{"X": xp, "alpha": ap})
	if err != nil {
		t.Fatal(err)
	}
	if args[1] != float32(2.5) || sizes[0] != 4 {
		t.Errorf("alpha = %v, N = %v", args[1], sizes[0])
	}
	outs, err := AllocOutputs(k, sizes)
	if err != nil {
		t.Fatal(err)
	}
	if want := []any{make([]byte, 2), make([]uint16, 1)}; !reflect.DeepEqual(outs, want) {
		t.Errorf("AllocOutputs = %#v, want %#v", outs, want)
	}
}

func write(t *testing.T, path string, a *array) {
	t.Helper()
	var buf bytes.Buffer
	if err := writeArray(&buf, a); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	file := func(name string, a *array) string {
		p := filepath.Join(dir, name)
		write(t, p, a)
		return p
	}
	f32x6 := file("f32x6.npy", &array{dtype: "f4", shape: []int{2, 3}, data: make([]float32, 6)})
	f32x4 := file("f32x4.npy", &array{dtype: "f4", shape: []int{4}, data: make([]float32, 4)})
	f32x5 := file("f32x5.npy", &array{dtype: "f4", shape: []int{5}, data: make([]float32, 5)})
	f64x4 := file("f64x4.npy", &array{dtype: "f8", shape: []int{4}, data: make([]float64, 4)})
	i8bad := file("i8bad.npy", &array{dtype: "i1", shape: []int{2}, data: []int8{1, 9}})
	u8bad := file("u8bad.npy", &array{dtype: "u1", shape: []int{1}, data: []uint8{16}})
	fortran := filepath.Join(dir, "fortran.npy")
	{
		b, _ := os.ReadFile(f32x6)
		b = bytes.Replace(b, []byte("False, 'shape': (2, 3), }"), []byte("True, 'shape': (2, 3), } "), 1)
		os.WriteFile(fortran, b, 0o644)
	}
	trunc := filepath.Join(dir, "trunc.npy")
	{
		b, _ := os.ReadFile(f32x6)
		os.WriteFile(trunc, b[:len(b)-3], 0o644)
	}
	// Malformed files that once panicked or were accepted: a header cut
	// short, a v2 header-length field far beyond the file, a data section
	// shorter and one longer than the shape.
	corrupt := func(name string, edit func([]byte) []byte) string {
		b, err := os.ReadFile(f32x6)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, edit(b), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cutHeader := corrupt("cut_header.npy", func(b []byte) []byte { return b[:20] })
	cutPreamble := corrupt("cut_preamble.npy", func(b []byte) []byte { return b[:9] })
	hugeLen := corrupt("huge_len.npy", func(b []byte) []byte {
		v2 := append([]byte{}, b[:6]...)
		v2 = append(v2, 2, 0, 0xF0, 0xFF, 0xFF, 0xFF)
		return append(v2, b[10:]...)
	})
	zeroLen := corrupt("zero_len.npy", func(b []byte) []byte {
		v2 := append([]byte{}, b[:6]...)
		v2 = append(v2, 2, 0, 0, 0, 0, 0)
		return append(v2, b[10:]...)
	})
	short := corrupt("short.npy", func(b []byte) []byte { return b[:len(b)-4] })
	long := corrupt("long.npy", func(b []byte) []byte { return append(b, 1, 2, 3, 4) })
	garbage := filepath.Join(dir, "garbage.npy")
	os.WriteFile(garbage, []byte("not a numpy file at all"), 0o644)

	vec := func(typ ir.DType) *ir.Kernel {
		k, s := newKernel("V", "N")
		param(k, "X", typ, sd(s[0]))
		return k
	}
	two := func() *ir.Kernel {
		k, s := newKernel("T", "N")
		param(k, "X", ir.F32, sd(s[0]))
		param(k, "Y", ir.F32, sd(s[0]))
		return k
	}
	div := func() *ir.Kernel {
		k, s := newKernel("D", "K")
		param(k, "X", ir.F32, ir.Dim{Size: s[0], Mul: 1, Div: 2})
		param(k, "W", ir.F32, sd(s[0]))
		return k
	}
	outOnly := func() *ir.Kernel {
		k, s := newKernel("O", "N", "M")
		param(k, "X", ir.F32, sd(s[0]))
		output(k, "Y", ir.F32, sd(s[1]))
		return k
	}
	tests := []struct {
		name   string
		k      *ir.Kernel
		inputs map[string]string
		msg    string
	}{
		{"missing", two(), map[string]string{"X": f32x4}, "no input file for parameter Y"},
		{"unknown", vec(ir.F32), map[string]string{"X": f32x4, "Q": f32x4}, "no parameter named Q"},
		{"no file", vec(ir.F32), map[string]string{"X": filepath.Join(dir, "nope.npy")}, "nope.npy"},
		{"dtype", vec(ir.F32), map[string]string{"X": f64x4}, "dtype f8, want f4"},
		{"rank", vec(ir.F32), map[string]string{"X": f32x6}, "rank 2"},
		{"disagree", two(), map[string]string{"X": f32x4, "Y": f32x5}, "is 5, want 4"},
		{"divisibility", div(), map[string]string{"X": f32x4, "W": f32x5}, "not a multiple of 2"},
		{"out-only size", outOnly(), map[string]string{"X": f32x4}, "size M"},
		{"packed signed range", vec(ir.IntType(4)), map[string]string{"X": i8bad}, "out of the range of i4"},
		{"packed unsigned range", vec(ir.UintType(4)), map[string]string{"X": u8bad}, "does not fit u4"},
		{"fortran", vec(ir.F32), map[string]string{"X": fortran}, "Fortran"},
		{"truncated", vec(ir.F32), map[string]string{"X": trunc}, "trunc.npy"},
		{"garbage", vec(ir.F32), map[string]string{"X": garbage}, "garbage.npy"},
		{"cut header", vec(ir.F32), map[string]string{"X": cutHeader}, "cut_header.npy: truncated .npy header"},
		{"cut preamble", vec(ir.F32), map[string]string{"X": cutPreamble}, "cut_preamble.npy: truncated .npy header"},
		{"huge header length", vec(ir.F32), map[string]string{"X": hugeLen}, "huge_len.npy: truncated .npy header"},
		{"zero header length", vec(ir.F32), map[string]string{"X": zeroLen}, "zero_len.npy: truncated .npy header"},
		{"short data", vec(ir.F32), map[string]string{"X": short}, "short.npy: data section holds 20 bytes"},
		{"long data", vec(ir.F32), map[string]string{"X": long}, "long.npy: data section holds 28 bytes"},
	}
	for _, tc := range tests {
		_, _, err := LoadArgs(tc.k, tc.inputs)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: error %q does not mention %q", tc.name, err, tc.msg)
		}
	}
}

func TestSaveErrors(t *testing.T) {
	k, s := newKernel("S", "N")
	output(k, "Y", ir.F32, sd(s[0]))
	output(k, "P", ir.UintType(4), sd(s[0]))
	p := filepath.Join(t.TempDir(), "y.npy")
	tests := []struct {
		name  string
		outs  []any
		paths map[string]string
	}{
		{"unknown output", []any{make([]float32, 3), make([]byte, 2)}, map[string]string{"Q": p}},
		{"wrong length", []any{make([]float32, 2), make([]byte, 2)}, map[string]string{"Y": p}},
		{"wrong type", []any{make([]float64, 3), make([]byte, 2)}, map[string]string{"Y": p}},
		{"packed length", []any{make([]float32, 3), make([]byte, 1)}, map[string]string{"P": p}},
		{"count", []any{make([]float32, 3)}, map[string]string{"Y": p}},
	}
	for _, tc := range tests {
		if err := SaveOutputs(k, tc.outs, []int{3}, tc.paths); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("a file was written on error")
	}
}
