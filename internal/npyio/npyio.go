// Package npyio loads kernel arguments from, and saves kernel outputs to, NumPy
// .npy files, for `tcc run`.
//
// Files are read with github.com/sbinet/npyio (any .npy version, either byte
// order) and written in the NumPy format version 1.0 (2.0 for huge headers),
// little-endian, C order, with the header padded to a multiple of 64 bytes as
// NumPy itself writes it. (The library's writer only writes one-dimensional
// slices and has no float16, so the small writer here does it by hand.)
//
// Element types map to NumPy dtypes one element per array entry:
//
//	f64 float64 '<f8'    f32 float32 '<f4'    f16 float16 '<f2' (uint16 raw bits also accepted on load)
//	bf16 uint16 '<u2' holding the raw bfloat16 bits
//	i64 i32 i16 i8 -> '<i8' '<i4' '<i2' '|i1';  u32 u16 u8 -> '<u4' '<u2' '|u1'
//	i1..i7 -> int8 '|i1', one element per entry (range-checked), packed on load
//	u1..u7 -> uint8 '|u1', one element per entry (range-checked), packed on load
//	eXmY, ueXmY -> uint8 '|u1' holding the code of each element (packed on load
//	when narrower than 8 bits)
//
// Packed outputs are unpacked the same way on save. Arguments are returned in
// the Go types of the generated API (SPEC sections 3 and 9), ready for the
// generated function or interp.Call.
package npyio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sbinet/npyio/npy"

	"github.com/tensorcc/tcc/internal/rt"
	"github.com/tensorcc/tcc/ir"
)

// array is one .npy file's contents: dtype without byte order ("f4", "u1", ...),
// shape, and a slice of the matching Go type (float16 as []uint16 bits).
type array struct {
	dtype string
	shape []int
	data  any
}

// maxFileBytes bounds the size of a .npy file that tcc run loads.
const maxFileBytes = 1 << 34

// npyMagic starts every .npy file.
const npyMagic = "\x93NUMPY"

// dataOffset validates the fixed part of a .npy file (magic, version, header
// length) against the file's size and returns the offset of the data section.
// It guards the library's header reader, which slices by the header length
// without checking it.
func dataOffset(b []byte) (int, error) {
	if len(b) < len(npyMagic)+2 || string(b[:len(npyMagic)]) != npyMagic {
		return 0, errors.New("not a .npy file (no \\x93NUMPY magic)")
	}
	major := b[len(npyMagic)]
	pos := len(npyMagic) + 2
	var hlen uint64
	switch major {
	case 1:
		if len(b) < pos+2 {
			return 0, errors.New("truncated .npy header")
		}
		hlen = uint64(binary.LittleEndian.Uint16(b[pos:]))
		pos += 2
	case 2, 3:
		if len(b) < pos+4 {
			return 0, errors.New("truncated .npy header")
		}
		hlen = uint64(binary.LittleEndian.Uint32(b[pos:]))
		pos += 4
	default:
		return 0, fmt.Errorf("unsupported .npy format version %d", major)
	}
	if hlen == 0 || hlen > uint64(len(b)-pos) {
		return 0, fmt.Errorf("truncated .npy header: it declares %d bytes, the file has %d after the preamble", hlen, len(b)-pos)
	}
	return pos + int(hlen), nil
}

// itemSize returns the byte size of one element of dtype dt ("f4", ...).
func itemSize(dt string) int {
	if len(dt) == 2 && dt[1] >= '1' && dt[1] <= '8' {
		return int(dt[1] - '0')
	}
	return 0
}

// readArray reads a .npy file. The header must be well formed and the data
// section must hold exactly the elements of the header's shape.
func readArray(r io.Reader) (a *array, err error) {
	b, err := io.ReadAll(io.LimitReader(r, maxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileBytes {
		return nil, fmt.Errorf("file is larger than %d bytes", int64(maxFileBytes))
	}
	off, err := dataOffset(b)
	if err != nil {
		return nil, err
	}
	defer func() {
		// The library's header parser is not hardened against every
		// malformed dictionary: report its failure as an error.
		if p := recover(); p != nil {
			a, err = nil, fmt.Errorf("malformed .npy header: %v", p)
		}
	}()
	nr, err := npy.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("malformed .npy header: %w", err)
	}
	descr := nr.Header.Descr
	if descr.Fortran {
		return nil, errors.New("Fortran-order arrays are not supported; save with C order")
	}
	n := 1
	for _, d := range descr.Shape {
		if d < 0 || d > 1<<31 || n*d > 1<<31 {
			return nil, fmt.Errorf("array of shape %v is too large or invalid", descr.Shape)
		}
		n *= d
	}
	dt := strings.TrimLeft(descr.Type, "<>|=")
	size := itemSize(dt)
	if size == 0 {
		return nil, fmt.Errorf("unsupported dtype %q", descr.Type)
	}
	if got, want := len(b)-off, n*size; got != want {
		return nil, fmt.Errorf("data section holds %d bytes, shape %v of dtype %s needs %d", got, descr.Shape, descr.Type, want)
	}
	a = &array{dtype: dt, shape: descr.Shape}
	if dt == "f2" {
		// The library has no float16: decode the raw bits here.
		var order binary.ByteOrder = binary.LittleEndian
		if strings.HasPrefix(descr.Type, ">") {
			order = binary.BigEndian
		}
		s := make([]uint16, n)
		if err := binary.Read(bytes.NewReader(b[off:]), order, s); err != nil {
			return nil, fmt.Errorf("reading float16 data: %w", err)
		}
		a.data = s
		return a, nil
	}
	var ptr any
	switch dt {
	case "f8":
		ptr = new([]float64)
	case "f4":
		ptr = new([]float32)
	case "i8":
		ptr = new([]int64)
	case "i4":
		ptr = new([]int32)
	case "i2":
		ptr = new([]int16)
	case "i1":
		ptr = new([]int8)
	case "u4":
		ptr = new([]uint32)
	case "u2":
		ptr = new([]uint16)
	case "u1":
		ptr = new([]uint8)
	default:
		return nil, fmt.Errorf("unsupported dtype %q", descr.Type)
	}
	if err := nr.Read(ptr); err != nil && !(errors.Is(err, io.EOF) && n == 0) {
		return nil, fmt.Errorf("reading %s data: %w", descr.Type, err)
	}
	a.data = deref(ptr)
	if l := sliceLen(a.data); l != n {
		return nil, fmt.Errorf("file holds %d elements, shape %v needs %d", l, descr.Shape, n)
	}
	return a, nil
}

func deref(ptr any) any {
	switch p := ptr.(type) {
	case *[]float64:
		return *p
	case *[]float32:
		return *p
	case *[]int64:
		return *p
	case *[]int32:
		return *p
	case *[]int16:
		return *p
	case *[]int8:
		return *p
	case *[]uint32:
		return *p
	case *[]uint16:
		return *p
	case *[]uint8:
		return *p
	}
	return nil
}

func sliceLen(s any) int {
	switch s := s.(type) {
	case []float64:
		return len(s)
	case []float32:
		return len(s)
	case []int64:
		return len(s)
	case []int32:
		return len(s)
	case []int16:
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
	return -1
}

// writeArray writes a in the .npy format, version 1.0 (2.0 if the header needs it).
func writeArray(w io.Writer, a *array) error {
	var shape string
	switch len(a.shape) {
	case 0:
		shape = "()"
	case 1:
		shape = fmt.Sprintf("(%d,)", a.shape[0])
	default:
		s := make([]string, len(a.shape))
		for i, d := range a.shape {
			s[i] = fmt.Sprint(d)
		}
		shape = "(" + strings.Join(s, ", ") + ")"
	}
	order := "<"
	if a.dtype == "i1" || a.dtype == "u1" {
		order = "|"
	}
	dict := fmt.Sprintf("{'descr': '%s%s', 'fortran_order': False, 'shape': %s, }", order, a.dtype, shape)
	// Magic (6) + version (2) + header length (2 or 4), then the dict padded with
	// spaces and a final newline to a multiple of 64 bytes.
	pre, major := 10, byte(1)
	hlen := len(dict) + 1
	if hlen+64 > 65535 {
		pre, major = 12, 2
	}
	hlen += (64 - (pre+hlen)%64) % 64
	var buf bytes.Buffer
	buf.Write(npy.Magic[:])
	buf.Write([]byte{major, 0})
	if major == 1 {
		binary.Write(&buf, binary.LittleEndian, uint16(hlen))
	} else {
		binary.Write(&buf, binary.LittleEndian, uint32(hlen))
	}
	buf.WriteString(dict)
	buf.WriteString(strings.Repeat(" ", hlen-len(dict)-1))
	buf.WriteByte('\n')
	if err := binary.Write(&buf, binary.LittleEndian, a.data); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// fileType returns the dtype an element type is stored as.
func fileType(t ir.DType) (string, error) {
	switch {
	case t.Class == ir.Float && t.Bits == 64:
		return "f8", nil
	case t.Class == ir.Float && t.Bits == 32:
		return "f4", nil
	case t.Class == ir.Float && t.Bits == 16:
		return "f2", nil
	case t.Class == ir.BFloat:
		return "u2", nil
	case t.Class == ir.Int && t.Bits <= 8:
		return "i1", nil
	case t.Class == ir.Int && t.Bits == 16:
		return "i2", nil
	case t.Class == ir.Int && t.Bits == 32:
		return "i4", nil
	case t.Class == ir.Int && t.Bits == 64:
		return "i8", nil
	case t.Class == ir.Uint && t.Bits <= 8, t.Class == ir.MiniFloat, t.Class == ir.UMiniFloat:
		return "u1", nil
	case t.Class == ir.Uint && t.Bits == 16:
		return "u2", nil
	case t.Class == ir.Uint && t.Bits == 32:
		return "u4", nil
	}
	return "", fmt.Errorf("element type %s cannot be stored in .npy", t)
}

// toArg converts file data of element type t (already checked to have dtype
// fileType(t), or f16 bits as u2) to the generated API's Go value: a slice, or
// for packed types the packed bytes.
func toArg(t ir.DType, data any) (any, error) {
	if !t.IsPacked() {
		return data, nil
	}
	b := t.Bits
	switch s := data.(type) {
	case []int8:
		lo, hi := -(1 << (b - 1)), 1<<(b-1)-1
		out := make([]byte, rt.PackedLen(len(s), b))
		for i, v := range s {
			if int(v) < lo || int(v) > hi {
				return nil, fmt.Errorf("element %d = %d is out of the range of %s", i, v, t)
			}
			rt.SetBits(out, i, b, uint8(v))
		}
		return out, nil
	case []uint8:
		out := make([]byte, rt.PackedLen(len(s), b))
		for i, v := range s {
			if v>>uint(b) != 0 {
				return nil, fmt.Errorf("element %d = %d does not fit %s (%d bits)", i, v, t, b)
			}
			rt.SetBits(out, i, b, v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("internal error: %s data as %T", t, data)
}

// goElem returns the Go element type of t as fmt's %T spells it.
func goElem(t ir.DType) string {
	if g := t.GoType(); g != "byte" {
		return g
	}
	return "uint8"
}

// fromArg converts an output in the generated API's Go type to file data.
func fromArg(t ir.DType, arg any, n int) (any, error) {
	if !t.IsPacked() {
		if want := "[]" + goElem(t); fmt.Sprintf("%T", arg) != want {
			return nil, fmt.Errorf("got %T, want %s", arg, want)
		}
		if l := sliceLen(arg); l != n {
			return nil, fmt.Errorf("got %T of length %d, want %d elements", arg, l, n)
		}
		return arg, nil
	}
	buf, ok := arg.([]byte)
	if !ok || len(buf) != rt.PackedLen(n, t.Bits) {
		return nil, fmt.Errorf("got %T of length %d, want %d packed bytes", arg, sliceLen(arg), rt.PackedLen(n, t.Bits))
	}
	if t.Class == ir.Int {
		out := make([]int8, n)
		for i := range out {
			out[i] = int8(rt.SignExtend(rt.GetBits(buf, i, t.Bits), t.Bits))
		}
		return out, nil
	}
	out := make([]uint8, n)
	for i := range out {
		out[i] = rt.GetBits(buf, i, t.Bits)
	}
	return out, nil
}

// LoadArgs reads one .npy file per parameter of k (inputs maps parameter names to
// paths) and returns the parameters in the generated API's order and Go types,
// and the size symbols' values inferred from the arrays' shapes (in k.Sizes
// order). A scalar parameter's file holds one element (shape () or (1,)). It is
// an error if a parameter has no file, a name is not a parameter, a dtype or rank
// does not match, shapes disagree, or a size appears only in output shapes.
func LoadArgs(k *ir.Kernel, inputs map[string]string) (args []any, sizes []int, err error) {
	known := map[string]bool{}
	for _, p := range k.Params {
		known[p.Name] = true
	}
	var extra []string
	for name := range inputs {
		if !known[name] {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return nil, nil, fmt.Errorf("%s: no parameter named %s", k.Name, strings.Join(extra, ", "))
	}
	arrays := make([]*array, len(k.Params))
	for i, p := range k.Params {
		path, ok := inputs[p.Name]
		if !ok {
			return nil, nil, fmt.Errorf("%s: no input file for parameter %s", k.Name, p.Name)
		}
		a, err := load(path)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: parameter %s: %w", k.Name, p.Name, err)
		}
		want, err := fileType(p.Type)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: parameter %s: %w", k.Name, p.Name, err)
		}
		if a.dtype != want && !(want == "f2" && a.dtype == "u2") {
			return nil, nil, fmt.Errorf("%s: parameter %s (%s): %s holds dtype %s, want %s",
				k.Name, p.Name, p.Type, path, a.dtype, want)
		}
		if p.Kind == ir.Scalar {
			if count(a.shape) != 1 || len(a.shape) > 1 {
				return nil, nil, fmt.Errorf("%s: scalar parameter %s: %s has shape %v, want () or (1,)",
					k.Name, p.Name, path, a.shape)
			}
		} else if len(a.shape) != len(p.Dims) {
			return nil, nil, fmt.Errorf("%s: parameter %s: %s has rank %d (shape %v), want %d",
				k.Name, p.Name, path, len(a.shape), a.shape, len(p.Dims))
		}
		arrays[i] = a
	}

	sizes, err = inferSizes(k, arrays)
	if err != nil {
		return nil, nil, err
	}

	args = make([]any, len(k.Params))
	for i, p := range k.Params {
		a := arrays[i]
		if p.Kind == ir.Scalar {
			args[i] = scalar(p.Type, a.data)
			continue
		}
		v, err := toArg(p.Type, a.data)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: parameter %s: %w", k.Name, p.Name, err)
		}
		args[i] = v
	}
	return args, sizes, nil
}

func load(path string) (*array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := readArray(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// scalar returns the single element of data as the Go scalar of type t. Packed
// scalar types are passed as a byte holding the value in its low bits.
func scalar(t ir.DType, data any) any {
	switch s := data.(type) {
	case []float64:
		return s[0]
	case []float32:
		return s[0]
	case []int64:
		return s[0]
	case []int32:
		return s[0]
	case []int16:
		return s[0]
	case []int8:
		if t.IsPacked() {
			return uint8(s[0]) & uint8(1<<t.Bits-1)
		}
		return s[0]
	case []uint32:
		return s[0]
	case []uint16:
		return s[0]
	case []uint8:
		return s[0]
	}
	return nil
}

// inferSizes solves every size symbol from the parameters' shapes: plain
// dimensions first, then scaled ones (N * 2, K / 32); then checks that every
// dimension matches.
func inferSizes(k *ir.Kernel, arrays []*array) ([]int, error) {
	sizes := make([]int, len(k.Sizes))
	set := make([]bool, len(k.Sizes))
	from := make([]string, len(k.Sizes))
	for pass := 0; pass < 2; pass++ {
		for i, p := range k.Params {
			if p.Kind == ir.Scalar {
				continue
			}
			for j, d := range p.Dims {
				if d.Size == nil || d.Size.Index < 0 || d.Size.Index >= len(sizes) || set[d.Size.Index] {
					continue
				}
				plain := d.Mul == 1 && d.Div == 1
				if pass == 0 && !plain {
					continue
				}
				v := arrays[i].shape[j]
				if d.Mul < 1 || d.Div < 1 || v*d.Div%d.Mul != 0 {
					return nil, fmt.Errorf("%s: parameter %s dimension %d (%s) is %d, not a multiple of %d",
						k.Name, p.Name, j, d, v, d.Mul)
				}
				sizes[d.Size.Index] = v * d.Div / d.Mul
				set[d.Size.Index] = true
				from[d.Size.Index] = fmt.Sprintf("%s dimension %d", p.Name, j)
			}
		}
	}
	for i, s := range k.Sizes {
		if !set[i] {
			return nil, fmt.Errorf("%s: size %s does not appear in any parameter's shape; it cannot be inferred", k.Name, s.Name)
		}
	}
	for i, p := range k.Params {
		if p.Kind == ir.Scalar {
			continue
		}
		for j, d := range p.Dims {
			if d.Size != nil && d.Div > 1 && sizes[d.Size.Index]*d.Mul%d.Div != 0 {
				return nil, rt.DivError(k.Name, d.Size.Name, sizes[d.Size.Index], d.Div)
			}
			if got, want := arrays[i].shape[j], d.Eval(sizes); got != want {
				what := "constant"
				if d.Size != nil {
					what = fmt.Sprintf("%s = %d from %s", d.Size.Name, sizes[d.Size.Index], from[d.Size.Index])
				}
				return nil, fmt.Errorf("%s: parameter %s dimension %d (%s) is %d, want %d (%s)",
					k.Name, p.Name, j, d, got, want, what)
			}
		}
	}
	return sizes, nil
}

// AllocOutputs returns zeroed output slices for k at the given sizes, in the
// generated API's Go types (packed types as bytes).
func AllocOutputs(k *ir.Kernel, sizes []int) ([]any, error) {
	if len(sizes) != len(k.Sizes) {
		return nil, fmt.Errorf("%s: got %d sizes, want %d", k.Name, len(sizes), len(k.Sizes))
	}
	outs := make([]any, len(k.Outputs))
	for i, t := range k.Outputs {
		n := t.Count(sizes)
		if n < 0 || n > 1<<31 {
			return nil, fmt.Errorf("%s: output %s: bad element count %d", k.Name, t.Name, n)
		}
		if t.Type.IsPacked() {
			n = t.Type.StorageBytes(n)
		}
		switch t.Type.GoType() {
		case "float64":
			outs[i] = make([]float64, n)
		case "float32":
			outs[i] = make([]float32, n)
		case "int64":
			outs[i] = make([]int64, n)
		case "int32":
			outs[i] = make([]int32, n)
		case "int16":
			outs[i] = make([]int16, n)
		case "int8":
			outs[i] = make([]int8, n)
		case "uint32":
			outs[i] = make([]uint32, n)
		case "uint16":
			outs[i] = make([]uint16, n)
		case "uint8", "byte":
			outs[i] = make([]uint8, n)
		default:
			return nil, fmt.Errorf("%s: output %s: unsupported type %s", k.Name, t.Name, t.Type)
		}
	}
	return outs, nil
}

// SaveOutputs writes the outputs of k (outs in k.Outputs order, in the generated
// API's Go types, for the given sizes) to .npy files: paths maps output names to
// file paths; outputs without a path are not written. Each file is written to a
// temporary file in the same directory and renamed into place.
func SaveOutputs(k *ir.Kernel, outs []any, sizes []int, paths map[string]string) error {
	if len(outs) != len(k.Outputs) {
		return fmt.Errorf("%s: got %d outputs, want %d", k.Name, len(outs), len(k.Outputs))
	}
	if len(sizes) != len(k.Sizes) {
		return fmt.Errorf("%s: got %d sizes, want %d", k.Name, len(sizes), len(k.Sizes))
	}
	byName := map[string]int{}
	for i, t := range k.Outputs {
		byName[t.Name] = i
	}
	names := make([]string, 0, len(paths))
	for name := range paths {
		if _, ok := byName[name]; !ok {
			return fmt.Errorf("%s: no output named %s", k.Name, name)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t := k.Outputs[byName[name]]
		shape := make([]int, len(t.Dims))
		for j, d := range t.Dims {
			shape[j] = d.Eval(sizes)
		}
		dt, err := fileType(t.Type)
		if err != nil {
			return fmt.Errorf("%s: output %s: %w", k.Name, name, err)
		}
		data, err := fromArg(t.Type, outs[byName[name]], count(shape))
		if err != nil {
			return fmt.Errorf("%s: output %s: %w", k.Name, name, err)
		}
		if err := save(paths[name], &array{dtype: dt, shape: shape, data: data}); err != nil {
			return fmt.Errorf("%s: output %s: %w", k.Name, name, err)
		}
	}
	return nil
}

func save(path string, a *array) error {
	var buf bytes.Buffer
	if err := writeArray(&buf, a); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tcc-npy-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, errors.Unwrap(err))
	}
	tmp := f.Name()
	_, err = f.Write(buf.Bytes())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// count returns the element count of shape.
func count(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
