package ir

import "math"

// Expr is a node of a value, subscript or condition expression.
type Expr interface {
	// Type is the node's result type: a compute type (i32, i64, u32, f32, f64), a
	// storage type (for Read and Cast), or BoolT for comparisons and logic.
	Type() DType
	// Position is where the node starts in the source.
	Position() Pos
}

// Const is a numeric constant of type T: Int holds the value for integer and Bool
// types, Float for floating types. inf and pi are Float constants.
type Const struct {
	Pos   Pos
	T     DType
	Int   int64
	Float float64
}

// SizeVal is the value of a size symbol, as an integer of type T (or converted to T
// when T is a float type).
type SizeVal struct {
	Pos  Pos
	Size *Size
	T    DType
}

// Index is the value of an index variable, of integer type T (I64 in subscripts).
type Index struct {
	Pos Pos
	Var *Var
	T   DType
}

// Read reads Tensor[Subs...]; a point outside the tensor's extent reads as zero.
// Subs are I64 expressions; a scalar parameter or scalar output is read with no Subs.
type Read struct {
	Pos    Pos
	Tensor *Tensor
	Subs   []Expr
}

// Op is a unary or binary operator.
type Op uint8

// Operators. Div on integers is floor division and yields 0 for a zero divisor;
// Mod is the non-negative remainder and only occurs in subscripts and conditions.
const (
	Add Op = iota
	Sub
	Mul
	Div
	Mod
	Lt
	Le
	Gt
	Ge
	Eq
	Ne
	And
	Or
	Neg
	Not
)

var opNames = [...]string{"+", "-", "*", "/", "%", "<", "<=", ">", ">=", "==", "!=", "&&", "||", "-", "!"}

func (o Op) String() string { return opNames[o] }

// IsCompare reports whether o is a comparison.
func (o Op) IsCompare() bool { return o >= Lt && o <= Ne }

// Unary is Op X for Op in {Neg, Not}.
type Unary struct {
	Pos Pos
	Op  Op
	X   Expr
	T   DType
}

// Binary is X Op Y. For comparisons T is BoolT and X, Y share a type; otherwise X, Y
// and the result all have type T.
type Binary struct {
	Pos  Pos
	Op   Op
	X, Y Expr
	T    DType
}

// Func is a built-in elementwise function.
type Func uint8

// Built-in functions of SPEC section 6.
const (
	Exp Func = iota
	Exp2
	Log
	Log2
	Sqrt
	Rsqrt
	Abs
	Tanh
	Sigmoid
	Relu
	Gelu
	Silu
	Erf
	Sin
	Cos
	Floor
	Ceil
	Round
	Min
	Max
	Pow
	Clamp
)

var funcNames = [...]string{"exp", "exp2", "log", "log2", "sqrt", "rsqrt", "abs", "tanh",
	"sigmoid", "relu", "gelu", "silu", "erf", "sin", "cos", "floor", "ceil", "round",
	"min", "max", "pow", "clamp"}

func (f Func) String() string { return funcNames[f] }

// Transcendental reports whether f costs a polynomial evaluation or more
// (exponentials, logarithms, trigonometric and sigmoid-like functions,
// pow), not a few instructions.
func (f Func) Transcendental() bool {
	switch f {
	case Exp, Exp2, Log, Log2, Tanh, Sigmoid, Gelu, Silu, Erf, Sin, Cos, Pow:
		return true
	}
	return false
}

// HasReduce reports whether e contains a reduction.
func HasReduce(e Expr) bool {
	found := false
	Walk(e, func(x Expr) bool {
		if _, ok := x.(*Reduce); ok {
			found = true
		}
		return !found
	})
	return found
}

// CallsTranscendental reports whether e calls a transcendental function.
func CallsTranscendental(e Expr) bool {
	found := false
	Walk(e, func(x Expr) bool {
		if c, ok := x.(*Call); ok && c.Fn.Transcendental() {
			found = true
		}
		return !found
	})
	return found
}

// Arity returns the number of arguments f takes.
func (f Func) Arity() int {
	switch f {
	case Min, Max, Pow:
		return 2
	case Clamp:
		return 3
	}
	return 1
}

// LookupFunc returns the built-in function named name.
func LookupFunc(name string) (Func, bool) {
	for i, n := range funcNames {
		if n == name {
			return Func(i), true
		}
	}
	return 0, false
}

// Call applies a built-in function; all Args and the result have type T.
type Call struct {
	Pos  Pos
	Fn   Func
	Args []Expr
	T    DType
}

// Select is Cond ? A : B; Cond is BoolT, A, B and the result have type T.
type Select struct {
	Pos  Pos
	Cond Expr
	A, B Expr
	T    DType
}

// Cast converts X to type To with the semantics of SPEC section 3 (round to nearest
// even; saturating for integers and minifloats; NaN to the type's NaN or 0; a Bool
// converts to 1 or 0).
type Cast struct {
	Pos Pos
	X   Expr
	To  DType
}

// ReduceOp is a reduction operator.
type ReduceOp uint8

// Reductions.
const (
	RSum ReduceOp = iota
	RProd
	RMax
	RMin
)

func (r ReduceOp) String() string { return [...]string{"sum", "prod", "max", "min"}[r] }

// Reduce folds Body over every point of Vars where Where holds (Where is nil when
// unmasked). An empty reduction yields the identity: 0, 1, -inf, +inf, or for
// integers the type's extreme values. Body and the result have type T.
type Reduce struct {
	Pos   Pos
	Op    ReduceOp
	Vars  []*Var
	Where Expr
	Body  Expr
	T     DType
}

// Type implementations.

func (e *Const) Type() DType   { return e.T }
func (e *SizeVal) Type() DType { return e.T }
func (e *Index) Type() DType   { return e.T }
func (e *Read) Type() DType    { return e.Tensor.Type }
func (e *Unary) Type() DType   { return e.T }
func (e *Binary) Type() DType  { return e.T }
func (e *Call) Type() DType    { return e.T }
func (e *Select) Type() DType  { return e.T }
func (e *Cast) Type() DType    { return e.To }
func (e *Reduce) Type() DType  { return e.T }

// Position implementations.

func (e *Const) Position() Pos   { return e.Pos }
func (e *SizeVal) Position() Pos { return e.Pos }
func (e *Index) Position() Pos   { return e.Pos }
func (e *Read) Position() Pos    { return e.Pos }
func (e *Unary) Position() Pos   { return e.Pos }
func (e *Binary) Position() Pos  { return e.Pos }
func (e *Call) Position() Pos    { return e.Pos }
func (e *Select) Position() Pos  { return e.Pos }
func (e *Cast) Position() Pos    { return e.Pos }
func (e *Reduce) Position() Pos  { return e.Pos }

// Walk calls f for e and, if f returns true, for each of e's operands in order
// (subscripts and where-conditions included).
func Walk(e Expr, f func(Expr) bool) {
	if e == nil || !f(e) {
		return
	}
	for _, c := range Children(e) {
		Walk(c, f)
	}
}

// MapChildren replaces each direct operand c of e (as Children lists them)
// by f(c), in place.
func MapChildren(e Expr, f func(Expr) Expr) {
	switch e := e.(type) {
	case *Read:
		for i, c := range e.Subs {
			e.Subs[i] = f(c)
		}
	case *Unary:
		e.X = f(e.X)
	case *Binary:
		e.X, e.Y = f(e.X), f(e.Y)
	case *Call:
		for i, c := range e.Args {
			e.Args[i] = f(c)
		}
	case *Select:
		e.Cond, e.A, e.B = f(e.Cond), f(e.A), f(e.B)
	case *Cast:
		e.X = f(e.X)
	case *Reduce:
		if e.Where != nil {
			e.Where = f(e.Where)
		}
		e.Body = f(e.Body)
	}
}

// Children returns e's direct operands.
func Children(e Expr) []Expr {
	switch e := e.(type) {
	case *Read:
		return e.Subs
	case *Unary:
		return []Expr{e.X}
	case *Binary:
		return []Expr{e.X, e.Y}
	case *Call:
		return e.Args
	case *Select:
		return []Expr{e.Cond, e.A, e.B}
	case *Cast:
		return []Expr{e.X}
	case *Reduce:
		if e.Where != nil {
			return []Expr{e.Where, e.Body}
		}
		return []Expr{e.Body}
	}
	return nil
}

// SameExpr reports whether x and y are the same reduction-free computation:
// equal structure over the same tensors, variables and sizes.
func SameExpr(x, y Expr) bool {
	switch x := x.(type) {
	case *Const:
		y, ok := y.(*Const)
		return ok && x.T == y.T && x.Int == y.Int && x.Float == y.Float
	case *SizeVal:
		y, ok := y.(*SizeVal)
		return ok && x.Size == y.Size && x.T == y.T
	case *Index:
		y, ok := y.(*Index)
		return ok && x.Var == y.Var && x.T == y.T
	case *Read:
		y, ok := y.(*Read)
		return ok && x.Tensor == y.Tensor && sameExprs(x.Subs, y.Subs)
	case *Unary:
		y, ok := y.(*Unary)
		return ok && x.Op == y.Op && x.T == y.T && SameExpr(x.X, y.X)
	case *Binary:
		y, ok := y.(*Binary)
		return ok && x.Op == y.Op && x.T == y.T && SameExpr(x.X, y.X) && SameExpr(x.Y, y.Y)
	case *Call:
		y, ok := y.(*Call)
		return ok && x.Fn == y.Fn && x.T == y.T && sameExprs(x.Args, y.Args)
	case *Select:
		y, ok := y.(*Select)
		return ok && x.T == y.T && SameExpr(x.Cond, y.Cond) && SameExpr(x.A, y.A) && SameExpr(x.B, y.B)
	case *Cast:
		y, ok := y.(*Cast)
		return ok && x.To == y.To && SameExpr(x.X, y.X)
	}
	return false // reductions and unknown nodes are never merged
}

func sameExprs(xs, ys []Expr) bool {
	if len(xs) != len(ys) {
		return false
	}
	for i := range xs {
		if !SameExpr(xs[i], ys[i]) {
			return false
		}
	}
	return true
}

// Identity returns the value of an empty reduction of type t (SPEC section
// 6): 0, 1, -inf and +inf; for integers the type's extreme values.
func (op ReduceOp) Identity(t DType) *Const {
	c := &Const{T: t}
	if t.IsFloat() {
		switch op {
		case RProd:
			c.Float = 1
		case RMax:
			c.Float = math.Inf(-1)
		case RMin:
			c.Float = math.Inf(1)
		}
		return c
	}
	bits := t.Bits
	switch {
	case op == RProd:
		c.Int = 1
	case op == RMax && t.IsSigned():
		c.Int = -1 << (bits - 1)
	case op == RMin && t.IsSigned():
		c.Int = 1<<(bits-1) - 1
	case op == RMin:
		c.Int = int64(uint64(1)<<bits - 1)
	}
	return c
}
