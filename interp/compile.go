package interp

import (
	"errors"
	"fmt"
	"math"

	"github.com/tensorcc/tcc/ir"
)

// code is a compiled expression: exactly one of f (float types), i (integer
// types) and b (Bool) is set.
type code struct {
	f func() float64
	i func() int64
	b func() bool
}

func floatCode(f func() float64) code { return code{f: f} }
func intCode(f func() int64) code     { return code{i: f} }
func boolCode(f func() bool) code     { return code{b: f} }

// compile turns e into closures over m's variables and stores.
func (m *machine) compile(e ir.Expr) (code, error) {
	if e == nil {
		return code{}, errors.New("nil expression")
	}
	c, err := m.compile1(e)
	if err != nil {
		return code{}, err
	}
	r, err := repOf(e.Type())
	if err != nil {
		return code{}, fmt.Errorf("%s: %w", ir.ExprString(e), err)
	}
	if r == repFloat && c.f == nil || r == repInt && c.i == nil || r == repBool && c.b == nil {
		return code{}, fmt.Errorf("%s: operand types do not match %s", ir.ExprString(e), e.Type())
	}
	return c, nil
}

// operands compiles es and checks that each has type t.
func (m *machine) operands(t ir.DType, es ...ir.Expr) ([]code, error) {
	cs := make([]code, len(es))
	for j, e := range es {
		if e == nil {
			return nil, errors.New("nil operand")
		}
		if e.Type() != t {
			return nil, fmt.Errorf("operand %s has type %s, want %s", ir.ExprString(e), e.Type(), t)
		}
		c, err := m.compile(e)
		if err != nil {
			return nil, err
		}
		cs[j] = c
	}
	return cs, nil
}

func (m *machine) compile1(e ir.Expr) (code, error) {
	switch e := e.(type) {
	case *ir.Const:
		return constCode(e.T, e.Int, e.Float)
	case *ir.SizeVal:
		if e.Size == nil || e.Size.Index < 0 || e.Size.Index >= len(m.sizes) {
			return code{}, errors.New("size value of an unknown size")
		}
		return constCode(e.T, int64(m.sizes[e.Size.Index]), float64(m.sizes[e.Size.Index]))
	case *ir.Index:
		return m.index(e)
	case *ir.Read:
		return m.read(e)
	case *ir.Unary:
		return m.unary(e)
	case *ir.Binary:
		return m.binary(e)
	case *ir.Call:
		return m.call(e)
	case *ir.Select:
		cond, err := m.compile(e.Cond)
		if err != nil {
			return code{}, err
		}
		if cond.b == nil {
			return code{}, errors.New("select condition is not a Bool")
		}
		ab, err := m.operands(e.T, e.A, e.B)
		if err != nil {
			return code{}, err
		}
		c, a, b := cond.b, ab[0], ab[1]
		switch {
		case a.f != nil:
			af, bf := a.f, b.f
			return floatCode(func() float64 {
				if c() {
					return af()
				}
				return bf()
			}), nil
		case a.i != nil:
			ai, bi := a.i, b.i
			return intCode(func() int64 {
				if c() {
					return ai()
				}
				return bi()
			}), nil
		default:
			ab, bb := a.b, b.b
			return boolCode(func() bool {
				if c() {
					return ab()
				}
				return bb()
			}), nil
		}
	case *ir.Cast:
		return m.cast(e)
	case *ir.Reduce:
		return m.reduce(e)
	}
	return code{}, fmt.Errorf("unknown expression %T", e)
}

// constCode returns the constant of type t: iv for integer and Bool types, fv for
// float types.
func constCode(t ir.DType, iv int64, fv float64) (code, error) {
	r, err := repOf(t)
	if err != nil {
		return code{}, err
	}
	switch r {
	case repFloat:
		return floatCode(func() float64 { return fv }), nil
	case repBool:
		b := iv != 0
		return boolCode(func() bool { return b }), nil
	}
	if w := wrap(t); w != nil {
		iv = w(iv)
	}
	return intCode(func() int64 { return iv }), nil
}

func (m *machine) varSlot(v *ir.Var) (int, error) {
	j, ok := m.slots[v]
	if !ok {
		return 0, fmt.Errorf("variable %s is not bound here", v.Name)
	}
	return j, nil
}

func (m *machine) index(e *ir.Index) (code, error) {
	if e.Var == nil {
		return code{}, errors.New("index of a nil variable")
	}
	sl, err := m.varSlot(e.Var)
	if err != nil {
		return code{}, err
	}
	vars := m.vars
	r, err := repOf(e.T)
	if err != nil {
		return code{}, err
	}
	switch r {
	case repFloat:
		return floatCode(func() float64 { return float64(vars[sl]) }), nil
	case repBool:
		return code{}, errors.New("index of Bool type")
	}
	if w := wrap(e.T); w != nil {
		return intCode(func() int64 { return w(vars[sl]) }), nil
	}
	return intCode(func() int64 { return vars[sl] }), nil
}

// read compiles a tensor read; a point outside the tensor reads as zero.
func (m *machine) read(e *ir.Read) (code, error) {
	st, ok := m.stores[e.Tensor]
	if !ok {
		return code{}, fmt.Errorf("read of %s, which is not a tensor of the kernel", e.Tensor.Name)
	}
	if len(e.Subs) != len(st.dims) {
		return code{}, fmt.Errorf("read of %s with %d subscripts, want %d", e.Tensor.Name, len(e.Subs), len(st.dims))
	}
	isFloat := e.Tensor.Type.IsFloat()
	// off returns the linear index of the point read, or -1 when it is outside.
	var off func() int
	dims, strides := st.dims, st.strides
	vars := m.vars
	plain := make([]int, len(e.Subs)) // variable slots when every subscript is an I64 index
	for j, s := range e.Subs {
		ix, ok := s.(*ir.Index)
		if !ok || ix.T != ir.I64 || ix.Var == nil {
			plain = nil
			break
		}
		sl, err := m.varSlot(ix.Var)
		if err != nil {
			return code{}, err
		}
		plain[j] = sl
	}
	switch {
	case len(e.Subs) == 0:
		off = func() int { return 0 }
		if len(st.f)+len(st.i) == 0 {
			off = func() int { return -1 }
		}
	case plain != nil && len(plain) == 1:
		s0, d0 := plain[0], uint64(dims[0])
		off = func() int {
			v := vars[s0]
			if uint64(v) >= d0 {
				return -1
			}
			return int(v)
		}
	case plain != nil && len(plain) == 2:
		s0, s1 := plain[0], plain[1]
		d0, d1, st0 := uint64(dims[0]), uint64(dims[1]), int64(strides[0])
		off = func() int {
			v0, v1 := vars[s0], vars[s1]
			if uint64(v0) >= d0 || uint64(v1) >= d1 {
				return -1
			}
			return int(v0*st0 + v1)
		}
	case plain != nil:
		off = func() int {
			o := 0
			for j, sl := range plain {
				v := vars[sl]
				if uint64(v) >= uint64(dims[j]) {
					return -1
				}
				o += int(v) * strides[j]
			}
			return o
		}
	default:
		subs := make([]func() int64, len(e.Subs))
		for j, s := range e.Subs {
			c, err := m.compile(s)
			if err != nil {
				return code{}, err
			}
			if c.i == nil || !s.Type().IsInteger() {
				return code{}, fmt.Errorf("subscript %s of %s is not an integer", ir.ExprString(s), e.Tensor.Name)
			}
			subs[j] = c.i
		}
		off = func() int {
			o := 0
			for j, sub := range subs {
				v := sub()
				if uint64(v) >= uint64(dims[j]) {
					return -1
				}
				o += int(v) * strides[j]
			}
			return o
		}
	}
	if isFloat {
		data := st.f // allocated (or decoded) before any statement is compiled
		return floatCode(func() float64 {
			if o := off(); o >= 0 {
				return data[o]
			}
			return 0
		}), nil
	}
	data := st.i
	return intCode(func() int64 {
		if o := off(); o >= 0 {
			return data[o]
		}
		return 0
	}), nil
}

func (m *machine) unary(e *ir.Unary) (code, error) {
	switch e.Op {
	case ir.Not:
		if e.T != ir.BoolT {
			return code{}, errors.New("! of a non-Bool type")
		}
		xs, err := m.operands(ir.BoolT, e.X)
		if err != nil {
			return code{}, err
		}
		x := xs[0].b
		return boolCode(func() bool { return !x() }), nil
	case ir.Neg:
		xs, err := m.operands(e.T, e.X)
		if err != nil {
			return code{}, err
		}
		if x := xs[0].f; x != nil {
			return floatCode(func() float64 { return -x() }), nil
		}
		if x := xs[0].i; x != nil {
			if w := wrap(e.T); w != nil {
				return intCode(func() int64 { return w(-x()) }), nil
			}
			return intCode(func() int64 { return -x() }), nil
		}
		return code{}, errors.New("- of a Bool")
	}
	return code{}, fmt.Errorf("bad unary operator %v", e.Op)
}

func (m *machine) binary(e *ir.Binary) (code, error) {
	if e.X == nil || e.Y == nil {
		return code{}, errors.New("nil operand")
	}
	if e.Op.IsCompare() {
		if e.T != ir.BoolT {
			return code{}, errors.New("comparison of non-Bool type")
		}
		cs, err := m.operands(e.X.Type(), e.X, e.Y)
		if err != nil {
			return code{}, err
		}
		return compare(e.Op, cs[0], cs[1])
	}
	cs, err := m.operands(e.T, e.X, e.Y)
	if err != nil {
		return code{}, err
	}
	x, y := cs[0], cs[1]
	switch {
	case x.b != nil:
		xb, yb := x.b, y.b
		switch e.Op {
		case ir.And:
			return boolCode(func() bool { return xb() && yb() }), nil
		case ir.Or:
			return boolCode(func() bool { return xb() || yb() }), nil
		}
	case x.f != nil:
		xf, yf := x.f, y.f
		switch e.Op {
		case ir.Add:
			return floatCode(func() float64 { return xf() + yf() }), nil
		case ir.Sub:
			return floatCode(func() float64 { return xf() - yf() }), nil
		case ir.Mul:
			return floatCode(func() float64 { return xf() * yf() }), nil
		case ir.Div:
			return floatCode(func() float64 { return xf() / yf() }), nil
		}
	default:
		xi, yi := x.i, y.i
		var f func() int64
		switch e.Op {
		case ir.Add:
			f = func() int64 { return xi() + yi() }
		case ir.Sub:
			f = func() int64 { return xi() - yi() }
		case ir.Mul:
			f = func() int64 { return xi() * yi() }
		case ir.Div:
			f = func() int64 { return floorDiv(xi(), yi()) }
		case ir.Mod:
			f = func() int64 { return floorMod(xi(), yi()) }
		}
		if f != nil {
			if w := wrap(e.T); w != nil {
				g := f
				f = func() int64 { return w(g()) }
			}
			return intCode(f), nil
		}
	}
	return code{}, fmt.Errorf("operator %v not defined on %s", e.Op, e.T)
}

// floorDiv is integer division rounding toward negative infinity; x/0 == 0.
func floorDiv(a, b int64) int64 {
	if b == 0 {
		return 0
	}
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// floorMod is the remainder of floorDiv made non-negative (|b| > r >= 0); x%0 == 0.
func floorMod(a, b int64) int64 {
	if b == 0 {
		return 0
	}
	r := a % b
	if r < 0 {
		if b < 0 {
			r -= b
		} else {
			r += b
		}
	}
	return r
}

func compare(op ir.Op, x, y code) (code, error) {
	switch {
	case x.f != nil:
		xf, yf := x.f, y.f
		switch op {
		case ir.Lt:
			return boolCode(func() bool { return xf() < yf() }), nil
		case ir.Le:
			return boolCode(func() bool { return xf() <= yf() }), nil
		case ir.Gt:
			return boolCode(func() bool { return xf() > yf() }), nil
		case ir.Ge:
			return boolCode(func() bool { return xf() >= yf() }), nil
		case ir.Eq:
			return boolCode(func() bool { return xf() == yf() }), nil
		case ir.Ne:
			return boolCode(func() bool { return xf() != yf() }), nil
		}
	case x.i != nil:
		xi, yi := x.i, y.i
		switch op {
		case ir.Lt:
			return boolCode(func() bool { return xi() < yi() }), nil
		case ir.Le:
			return boolCode(func() bool { return xi() <= yi() }), nil
		case ir.Gt:
			return boolCode(func() bool { return xi() > yi() }), nil
		case ir.Ge:
			return boolCode(func() bool { return xi() >= yi() }), nil
		case ir.Eq:
			return boolCode(func() bool { return xi() == yi() }), nil
		case ir.Ne:
			return boolCode(func() bool { return xi() != yi() }), nil
		}
	default:
		xb, yb := x.b, y.b
		switch op {
		case ir.Eq:
			return boolCode(func() bool { return xb() == yb() }), nil
		case ir.Ne:
			return boolCode(func() bool { return xb() != yb() }), nil
		}
	}
	return code{}, fmt.Errorf("comparison %v not defined on these operands", op)
}

// cast compiles a conversion with SPEC section 3 semantics.
func (m *machine) cast(e *ir.Cast) (code, error) {
	if e.X == nil {
		return code{}, errors.New("cast of nil")
	}
	x, err := m.compile(e.X)
	if err != nil {
		return code{}, err
	}
	from, to := e.X.Type(), e.To
	tr, err := repOf(to)
	if err != nil {
		return code{}, err
	}
	if x.b != nil { // Bool converts to 1 or 0
		xb := x.b
		x = intCode(func() int64 { return b2i(xb()) })
		from = ir.I32
	}
	_, isRead := e.X.(*ir.Read)
	switch tr {
	case repBool:
		if x.f != nil {
			xf := x.f
			return boolCode(func() bool { return xf() != 0 }), nil
		}
		xi := x.i
		return boolCode(func() bool { return xi() != 0 }), nil
	case repFloat:
		if x.f != nil {
			if floatSubset(from, to, isRead) {
				return x, nil
			}
			r, err := roundFloat(to)
			if err != nil {
				return code{}, err
			}
			xf := x.f
			if to == ir.F32 {
				return floatCode(func() float64 { return float64(float32(xf())) }), nil
			}
			return floatCode(func() float64 { return r(xf()) }), nil
		}
		conv, err := intToFloat(to)
		if err != nil {
			return code{}, err
		}
		xi := x.i
		return floatCode(func() float64 { return conv(xi()) }), nil
	}
	if x.f != nil {
		conv, xf := floatToInt(to), x.f
		return intCode(func() int64 { return conv(xf()) }), nil
	}
	conv := intToInt(from, to)
	if conv == nil {
		return x, nil
	}
	xi := x.i
	return intCode(func() int64 { return conv(xi()) }), nil
}

// call compiles a built-in function application.
func (m *machine) call(e *ir.Call) (code, error) {
	if len(e.Args) != e.Fn.Arity() {
		return code{}, fmt.Errorf("%v takes %d arguments, got %d", e.Fn, e.Fn.Arity(), len(e.Args))
	}
	cs, err := m.operands(e.T, e.Args...)
	if err != nil {
		return code{}, err
	}
	if cs[0].f != nil {
		return floatCall(e.Fn, cs)
	}
	if cs[0].i != nil {
		return intCall(e.Fn, e.T, cs)
	}
	return code{}, fmt.Errorf("%v of Bool", e.Fn)
}

func floatCall(fn ir.Func, cs []code) (code, error) {
	x := cs[0].f
	unary := func(f func(float64) float64) (code, error) {
		return floatCode(func() float64 { return f(x()) }), nil
	}
	switch fn {
	case ir.Exp:
		return unary(math.Exp)
	case ir.Exp2:
		return unary(math.Exp2)
	case ir.Log:
		return unary(math.Log)
	case ir.Log2:
		return unary(math.Log2)
	case ir.Sqrt:
		return unary(math.Sqrt)
	case ir.Rsqrt:
		return unary(func(v float64) float64 { return 1 / math.Sqrt(v) })
	case ir.Abs:
		return unary(math.Abs)
	case ir.Tanh:
		return unary(math.Tanh)
	case ir.Sigmoid:
		return unary(sigmoid)
	case ir.Relu:
		return unary(func(v float64) float64 { return math.Max(v, 0) })
	case ir.Gelu:
		return unary(func(v float64) float64 { return 0.5 * v * (1 + math.Erf(v/math.Sqrt2)) })
	case ir.Silu:
		return unary(func(v float64) float64 { return v * sigmoid(v) })
	case ir.Erf:
		return unary(math.Erf)
	case ir.Sin:
		return unary(math.Sin)
	case ir.Cos:
		return unary(math.Cos)
	case ir.Floor:
		return unary(math.Floor)
	case ir.Ceil:
		return unary(math.Ceil)
	case ir.Round:
		return unary(math.RoundToEven)
	case ir.Min:
		y := cs[1].f
		return floatCode(func() float64 { return math.Min(x(), y()) }), nil
	case ir.Max:
		y := cs[1].f
		return floatCode(func() float64 { return math.Max(x(), y()) }), nil
	case ir.Pow:
		y := cs[1].f
		return floatCode(func() float64 { return math.Pow(x(), y()) }), nil
	case ir.Clamp:
		lo, hi := cs[1].f, cs[2].f
		return floatCode(func() float64 { return math.Min(math.Max(x(), lo()), hi()) }), nil
	}
	return code{}, fmt.Errorf("unknown function %v", fn)
}

func sigmoid(v float64) float64 { return 1 / (1 + math.Exp(-v)) }

func intCall(fn ir.Func, t ir.DType, cs []code) (code, error) {
	x := cs[0].i
	switch fn {
	case ir.Floor, ir.Ceil, ir.Round:
		return cs[0], nil
	case ir.Abs:
		w := wrap(t)
		if w == nil {
			w = func(v int64) int64 { return v }
		}
		return intCode(func() int64 {
			v := x()
			if v < 0 {
				return w(-v)
			}
			return v
		}), nil
	case ir.Relu:
		return intCode(func() int64 { return max(x(), 0) }), nil
	case ir.Min:
		y := cs[1].i
		return intCode(func() int64 { return min(x(), y()) }), nil
	case ir.Max:
		y := cs[1].i
		return intCode(func() int64 { return max(x(), y()) }), nil
	case ir.Clamp:
		lo, hi := cs[1].i, cs[2].i
		return intCode(func() int64 { return min(max(x(), lo()), hi()) }), nil
	}
	return code{}, fmt.Errorf("function %v is not defined on integer type %s", fn, t)
}
