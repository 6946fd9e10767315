package interp

import (
	"errors"
	"fmt"
	"math"

	"github.com/tensorcc/tcc/internal/rt"
	"github.com/tensorcc/tcc/ir"
)

// maxElems bounds the element count of any tensor the interpreter allocates, so
// that absurd sizes (possible when a size only appears next to a zero dimension)
// give an error instead of exhausting memory.
const maxElems = 1 << 31

// Output is the exact value of one kernel output, before the final rounding to the
// output's element type: Float for float outputs, Int for integer outputs (whose
// exact value is the stored value).
type Output struct {
	Float []float64
	Int   []int64
}

// Call evaluates k on args, which are the arguments of the generated function of
// SPEC section 9 in the same order and with the same Go types: tensor parameters
// as slices and scalar parameters as Go scalars, then the outputs as slices, then
// one int per size symbol. It writes every output rounded to its element type. On
// error (a wrong argument type or length, a negative or non-dividing size, a failed
// ir.Agree check, or a kernel the interpreter cannot evaluate) nothing is written.
func Call(k *ir.Kernel, args ...any) error {
	m, err := prepare(k, args, false)
	if err != nil {
		return err
	}
	if err := m.run(); err != nil {
		return err
	}
	for j, t := range k.Outputs {
		s := m.stores[t]
		encode(t.Type, args[len(k.Params)+j], s.f, s.i)
	}
	return nil
}

// Eval evaluates k like Call but writes nothing: output arguments may be nil (if
// not nil they are validated). It returns the exact value of each output, in the
// order of k.Outputs: for a float output the statement's value before its final
// conversion to the output type (the operand of the Cast to that type, in
// float64), for an integer output the value after the store conversion.
func Eval(k *ir.Kernel, args ...any) ([]Output, error) {
	m, err := prepare(k, args, true)
	if err != nil {
		return nil, err
	}
	if err := m.run(); err != nil {
		return nil, err
	}
	outs := make([]Output, len(k.Outputs))
	for j, t := range k.Outputs {
		s := m.stores[t]
		if t.Type.IsFloat() {
			outs[j].Float = s.exact
		} else {
			outs[j].Int = s.i
		}
	}
	return outs, nil
}

// prepare validates args and builds the machine holding every tensor's values.
func prepare(k *ir.Kernel, args []any, nilOutputs bool) (*machine, error) {
	if k == nil {
		return nil, errors.New("interp: nil kernel")
	}
	np, no, ns := len(k.Params), len(k.Outputs), len(k.Sizes)
	if len(args) != np+no+ns {
		return nil, fmt.Errorf("%s: got %d arguments, want %d (%d parameters, %d outputs, %d sizes)",
			k.Name, len(args), np+no+ns, np, no, ns)
	}

	// Go types first, so that nothing below can be confused by a bad argument.
	for j, t := range k.Params {
		if err := checkType(k, t, args[j], false); err != nil {
			return nil, err
		}
	}
	for j, t := range k.Outputs {
		if err := checkType(k, t, args[np+j], nilOutputs); err != nil {
			return nil, err
		}
	}
	sizes := make([]int, ns)
	for j, s := range k.Sizes {
		v, ok := args[np+no+j].(int)
		if !ok {
			return nil, fmt.Errorf("%s: size %s: got %T, want int", k.Name, s.Name, args[np+no+j])
		}
		if s.Index != j {
			return nil, fmt.Errorf("%s: size %s has index %d, want %d", k.Name, s.Name, s.Index, j)
		}
		sizes[j] = v
	}

	// Sizes, divisibility, agreement.
	for j, s := range k.Sizes {
		if sizes[j] < 0 {
			return nil, rt.NegSizeError(k.Name, s.Name, sizes[j])
		}
	}
	all := make([]*ir.Tensor, 0, np+no+len(k.Temps))
	all = append(append(append(all, k.Params...), k.Outputs...), k.Temps...)
	for _, t := range all {
		for _, d := range t.Dims {
			if err := checkDim(k, d, sizes); err != nil {
				return nil, err
			}
		}
	}
	for _, s := range k.Stmts {
		for _, v := range s.Index {
			if err := checkDim(k, v.Extent, sizes); err != nil {
				return nil, err
			}
		}
	}
	for _, c := range k.Checks {
		if err := checkDim(k, c.A, sizes); err != nil {
			return nil, err
		}
		if err := checkDim(k, c.B, sizes); err != nil {
			return nil, err
		}
		if a, b := c.A.Eval(sizes), c.B.Eval(sizes); a != b {
			return nil, rt.MismatchError(k.Name, c.What, a, b)
		}
	}

	// Lengths.
	counts := make(map[*ir.Tensor]int, len(all))
	for _, t := range all {
		n, err := count(t, sizes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k.Name, err)
		}
		counts[t] = n
	}
	for j, t := range k.Params {
		if t.Kind == ir.Scalar {
			continue
		}
		if err := checkLen(k, t, args[j], counts[t], sizes, false); err != nil {
			return nil, err
		}
	}
	for j, t := range k.Outputs {
		if err := checkLen(k, t, args[np+j], counts[t], sizes, nilOutputs); err != nil {
			return nil, err
		}
	}

	m := &machine{k: k, sizes: sizes, stores: make(map[*ir.Tensor]*store, len(all))}
	for j, t := range all {
		s, err := newStore(t, sizes, counts[t])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k.Name, err)
		}
		if j < np {
			arg := args[j]
			if t.Kind == ir.Scalar {
				arg = scalarSlice(arg)
			}
			s.f, s.i = decode(t.Type, arg, counts[t])
		}
		m.stores[t] = s
	}
	return m, nil
}

func checkType(k *ir.Kernel, t *ir.Tensor, arg any, nilOK bool) error {
	if _, err := repOf(t.Type); err != nil || t.Type.Class == ir.Bool {
		return fmt.Errorf("%s: %s %s: unsupported element type %s", k.Name, t.Kind, t.Name, t.Type)
	}
	if nilOK && arg == nil {
		return nil
	}
	if t.Kind == ir.Scalar {
		if !checkScalar(t.Type, arg) {
			return fmt.Errorf("%s: argument %s: got %T, want %s", k.Name, t.Name, arg, goScalarType(t.Type))
		}
		return nil
	}
	if _, ok := checkSlice(t.Type, arg); !ok {
		return fmt.Errorf("%s: argument %s: got %T, want %s", k.Name, t.Name, arg, goSliceType(t.Type))
	}
	return nil
}

func checkLen(k *ir.Kernel, t *ir.Tensor, arg any, count int, sizes []int, nilOK bool) error {
	if nilOK && arg == nil {
		return nil
	}
	n, _ := checkSlice(t.Type, arg)
	if nilOK && n == 0 && count != 0 {
		if isNilSlice(arg) {
			return nil
		}
	}
	want := count
	if t.Type.IsPacked() {
		want = t.Type.StorageBytes(count)
	}
	if n != want {
		return rt.LenError(k.Name, t.Name, n, want, shapeString(t, sizes))
	}
	return nil
}

func isNilSlice(arg any) bool {
	switch s := arg.(type) {
	case []float64:
		return s == nil
	case []float32:
		return s == nil
	case []int64:
		return s == nil
	case []int32:
		return s == nil
	case []int16:
		return s == nil
	case []int8:
		return s == nil
	case []uint32:
		return s == nil
	case []uint16:
		return s == nil
	case []uint8:
		return s == nil
	}
	return false
}

// checkDim checks that a dimension's size divides as the dimension requires.
func checkDim(k *ir.Kernel, d ir.Dim, sizes []int) error {
	if d.Size == nil {
		if d.Const < 0 {
			return fmt.Errorf("%s: negative constant dimension %d", k.Name, d.Const)
		}
		return nil
	}
	if d.Size.Index < 0 || d.Size.Index >= len(sizes) || k.Sizes[d.Size.Index] != d.Size {
		return fmt.Errorf("%s: dimension %s uses a size that is not the kernel's", k.Name, d)
	}
	if d.Mul < 1 || d.Div < 1 {
		return fmt.Errorf("%s: dimension %s has a bad factor", k.Name, d)
	}
	v := sizes[d.Size.Index]
	if v > math.MaxInt32 && d.Mul > 1 && v > math.MaxInt64/d.Mul {
		return fmt.Errorf("%s: dimension %s overflows for %s = %d", k.Name, d, d.Size.Name, v)
	}
	if d.Div > 1 && v*d.Mul%d.Div != 0 {
		return rt.DivError(k.Name, d.Size.Name, v, d.Div)
	}
	return nil
}

// count returns t's element count, or an error when it is too large.
func count(t *ir.Tensor, sizes []int) (int, error) {
	n := 1
	for _, d := range t.Dims {
		v := d.Eval(sizes)
		if v == 0 {
			return 0, nil
		}
	}
	for _, d := range t.Dims {
		v := d.Eval(sizes)
		if v > maxElems || n > maxElems/v {
			return 0, fmt.Errorf("%s %s: shape %s is too large", t.Kind, t.Name, shapeString(t, sizes))
		}
		n *= v
	}
	return n, nil
}
