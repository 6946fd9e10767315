package passes

import (
	"math"

	"github.com/tensorcc/tcc/internal/rt"
	"github.com/tensorcc/tcc/ir"
)

// Fold replaces operations on constants by their value, computed with the same
// semantics as the generated code (integer wrap-around at the compute width, f32
// rounding, cast saturation), and removes the identities x*1, 1*x and, for
// integers, x+0, 0+x and x-0.
func Fold(k *ir.Kernel) error {
	for _, s := range k.Stmts {
		s.Value = fold(s.Value)
	}
	return nil
}

func fold(e ir.Expr) ir.Expr {
	switch e := e.(type) {
	case *ir.Read:
		for i, s := range e.Subs {
			e.Subs[i] = fold(s)
		}
	case *ir.Unary:
		e.X = fold(e.X)
		if c, ok := e.X.(*ir.Const); ok {
			return foldUnary(e, c)
		}
	case *ir.Binary:
		e.X, e.Y = fold(e.X), fold(e.Y)
		return foldBinary(e)
	case *ir.Call:
		for i, a := range e.Args {
			e.Args[i] = fold(a)
		}
	case *ir.Select:
		e.Cond, e.A, e.B = fold(e.Cond), fold(e.A), fold(e.B)
		if c, ok := e.Cond.(*ir.Const); ok {
			if c.Int != 0 {
				return e.A
			}
			return e.B
		}
	case *ir.Cast:
		e.X = fold(e.X)
		if c, ok := e.X.(*ir.Const); ok {
			if r, ok := foldCast(c, e.To); ok {
				r.Pos = e.Pos
				return r
			}
		}
	case *ir.Reduce:
		if e.Where != nil {
			e.Where = fold(e.Where)
			if c, ok := e.Where.(*ir.Const); ok {
				if c.Int == 0 {
					c := e.Op.Identity(e.T) // nothing is reduced
					c.Pos = e.Pos
					return c
				}
				e.Where = nil // always true: no mask
			}
		}
		e.Body = fold(e.Body)
	}
	return e
}

func foldUnary(e *ir.Unary, c *ir.Const) ir.Expr {
	r := &ir.Const{Pos: e.Pos, T: e.T}
	switch {
	case e.Op == ir.Not:
		r.Int = 1 - c.Int
	case e.T.IsFloat():
		r.Float = roundTo(-c.Float, e.T)
	default:
		r.Int = wrap(-c.Int, e.T)
	}
	return r
}

func foldBinary(e *ir.Binary) ir.Expr {
	x, xok := e.X.(*ir.Const)
	y, yok := e.Y.(*ir.Const)
	if xok && yok {
		if r, ok := evalBinary(e.Op, x, y, e.T); ok {
			r.Pos = e.Pos
			return r
		}
		return e
	}
	if e.Op == ir.And || e.Op == ir.Or {
		if r, ok := foldConstLogic(e, x, y); ok {
			return r
		}
		return foldLogic(e)
	}
	switch {
	case e.Op == ir.Mul && isOne(y):
		return e.X
	case e.Op == ir.Mul && isOne(x):
		return e.Y
	case e.T.IsInteger() && (e.Op == ir.Add || e.Op == ir.Sub) && isZero(y):
		return e.X
	case e.T.IsInteger() && e.Op == ir.Add && isZero(x):
		return e.Y
	}
	return e
}

// foldConstLogic folds an && or || with one constant operand: true || y is
// true, false && y false, and true && y and false || y are y.
func foldConstLogic(e *ir.Binary, x, y *ir.Const) (ir.Expr, bool) {
	c, other := x, e.Y
	if c == nil {
		c, other = y, e.X
	}
	if c == nil {
		return nil, false
	}
	if (c.Int != 0) == (e.Op == ir.Or) {
		return &ir.Const{Pos: e.Pos, T: ir.BoolT, Int: c.Int}, true
	}
	return other, true
}

func isOne(c *ir.Const) bool {
	if c == nil {
		return false
	}
	if c.T.IsFloat() {
		return c.Float == 1
	}
	return c.T.IsInteger() && c.Int == 1
}

func isZero(c *ir.Const) bool { return c != nil && c.T.IsInteger() && c.Int == 0 }

func evalBinary(op ir.Op, x, y *ir.Const, t ir.DType) (*ir.Const, bool) {
	r := &ir.Const{T: t}
	if op.IsCompare() {
		var cmp int
		if x.T.IsFloat() {
			if math.IsNaN(x.Float) || math.IsNaN(y.Float) {
				r.Int = b2i(op == ir.Ne)
				return r, true
			}
			cmp = compare(x.Float, y.Float)
		} else if x.T.Class == ir.Uint {
			cmp = compare(uint64(x.Int), uint64(y.Int))
		} else {
			cmp = compare(x.Int, y.Int)
		}
		r.Int = b2i(holds(op, cmp))
		return r, true
	}
	switch op {
	case ir.And:
		r.Int = b2i(x.Int != 0 && y.Int != 0)
		return r, true
	case ir.Or:
		r.Int = b2i(x.Int != 0 || y.Int != 0)
		return r, true
	}
	if t.IsFloat() {
		a, b := x.Float, y.Float
		var v float64
		switch op {
		case ir.Add:
			v = a + b
		case ir.Sub:
			v = a - b
		case ir.Mul:
			v = a * b
		case ir.Div:
			v = a / b
		default:
			return nil, false
		}
		if t == ir.F32 {
			// Round each operand and the result as f32 arithmetic does.
			v = float64(f32op(op, float32(a), float32(b)))
		}
		r.Float = v
		return r, true
	}
	a, b := x.Int, y.Int
	switch op {
	case ir.Add:
		r.Int = wrap(a+b, t)
	case ir.Sub:
		r.Int = wrap(a-b, t)
	case ir.Mul:
		r.Int = wrap(a*b, t)
	case ir.Div:
		r.Int = wrap(floorDiv(a, b, t), t)
	case ir.Mod:
		if b <= 0 {
			return nil, false
		}
		r.Int = ((a % b) + b) % b
	default:
		return nil, false
	}
	return r, true
}

func f32op(op ir.Op, a, b float32) float32 {
	switch op {
	case ir.Add:
		return a + b
	case ir.Sub:
		return a - b
	case ir.Mul:
		return a * b
	}
	return a / b
}

// floorDiv is integer floor division with x/0 == 0, in the unsigned domain for
// unsigned types.
func floorDiv(a, b int64, t ir.DType) int64 {
	if t.Class == ir.Uint && b != 0 {
		return int64(uint64(a) / uint64(b))
	}
	return rt.FloorDiv(a, b)
}

// wrap truncates v to the compute type t (i32, u32, i64) as two's complement.
func wrap(v int64, t ir.DType) int64 {
	switch {
	case t.Class == ir.Int && t.Bits == 32:
		return int64(int32(v))
	case t.Class == ir.Uint && t.Bits == 32:
		return int64(uint32(v))
	}
	return v
}

func roundTo(v float64, t ir.DType) float64 {
	if t == ir.F32 {
		return float64(float32(v))
	}
	return v
}

func foldCast(c *ir.Const, to ir.DType) (*ir.Const, bool) {
	r := &ir.Const{T: to}
	switch {
	case to == ir.F64 || to == ir.F32:
		v := c.Float
		if !c.T.IsFloat() {
			if c.T.Class == ir.Uint {
				v = float64(uint64(c.Int))
			} else {
				v = float64(c.Int)
			}
		}
		r.Float = roundTo(v, to)
	case to.IsInteger() && to.Bits >= 32:
		signed := to.Class == ir.Int
		if c.T.IsFloat() {
			r.Int = rt.F64ToInt(c.Float, to.Bits, signed)
		} else {
			r.Int = rt.IntSat(c.Int, to.Bits, signed)
		}
	default:
		return nil, false // narrower storage types keep their Cast
	}
	return r, true
}

func compare[T int64 | uint64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func holds(op ir.Op, cmp int) bool {
	switch op {
	case ir.Lt:
		return cmp < 0
	case ir.Le:
		return cmp <= 0
	case ir.Gt:
		return cmp > 0
	case ir.Ge:
		return cmp >= 0
	case ir.Eq:
		return cmp == 0
	}
	return cmp != 0
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
