// Package irbuild holds small constructors for hand-built tensor IR in tests:
// a kernel Builder that keeps tensors' indices in order, and one-line
// expression constructors that fill in each node's type as the front end
// would. It is meant for tests (which may dot-import it), never for
// generated code.
package irbuild

import "github.com/tensorcc/tcc/ir"

// Builder builds an ir.Kernel.
type Builder struct {
	// K is the kernel being built.
	K *ir.Kernel
}

// New returns a Builder of an empty kernel with the given name.
func New(name string) *Builder { return &Builder{K: &ir.Kernel{Name: name}} }

// Size adds a size parameter.
func (b *Builder) Size(name string) *ir.Size {
	s := &ir.Size{Name: name, Index: len(b.K.Sizes)}
	b.K.Sizes = append(b.K.Sizes, s)
	return s
}

// Tensor adds a tensor of the given kind, numbered in its list (parameters,
// outputs or temporaries).
func (b *Builder) Tensor(kind ir.TensorKind, name string, t ir.DType, dims ...ir.Dim) *ir.Tensor {
	x := &ir.Tensor{Name: name, Kind: kind, Type: t, Dims: dims}
	switch kind {
	case ir.Input, ir.Scalar:
		x.Index = len(b.K.Params)
		b.K.Params = append(b.K.Params, x)
	case ir.Output:
		x.Index = len(b.K.Outputs)
		b.K.Outputs = append(b.K.Outputs, x)
	case ir.Temp:
		x.Index = len(b.K.Temps)
		b.K.Temps = append(b.K.Temps, x)
	}
	return x
}

// In adds an input tensor.
func (b *Builder) In(name string, t ir.DType, dims ...ir.Dim) *ir.Tensor {
	return b.Tensor(ir.Input, name, t, dims...)
}

// Scalar adds a scalar parameter.
func (b *Builder) Scalar(name string, t ir.DType) *ir.Tensor { return b.Tensor(ir.Scalar, name, t) }

// Out adds an output tensor.
func (b *Builder) Out(name string, t ir.DType, dims ...ir.Dim) *ir.Tensor {
	return b.Tensor(ir.Output, name, t, dims...)
}

// Temp adds a temporary tensor.
func (b *Builder) Temp(name string, t ir.DType, dims ...ir.Dim) *ir.Tensor {
	return b.Tensor(ir.Temp, name, t, dims...)
}

// Stmt appends target[index...] = value, the index variables ranging over
// the target's dimensions.
func (b *Builder) Stmt(target *ir.Tensor, index []*ir.Var, value ir.Expr) {
	b.K.Stmts = append(b.K.Stmts, &ir.Stmt{Target: target, Index: index, Value: value})
}

// Agree adds the check that dimensions x and y are equal, described by what.
func (b *Builder) Agree(x, y ir.Dim, what string) {
	b.K.Checks = append(b.K.Checks, ir.Agree{A: x, B: y, What: what})
}

// Var returns an index variable ranging over d.
func Var(name string, d ir.Dim) *ir.Var { return &ir.Var{Name: name, Extent: d} }

// Vars returns its arguments as a slice.
func Vars(vs ...*ir.Var) []*ir.Var { return vs }

// Idx returns the value of v as an I64 expression.
func Idx(v *ir.Var) ir.Expr { return &ir.Index{Var: v, T: ir.I64} }

// IdxAs returns the value of v as an expression of type t.
func IdxAs(v *ir.Var, t ir.DType) ir.Expr { return &ir.Index{Var: v, T: t} }

// Read returns t[subs...] in t's storage type.
func Read(t *ir.Tensor, subs ...ir.Expr) ir.Expr { return &ir.Read{Tensor: t, Subs: subs} }

// ReadCompute reads t[subs...] and casts the element to its compute type, as
// the front end does.
func ReadCompute(t *ir.Tensor, subs ...ir.Expr) ir.Expr {
	r := Read(t, subs...)
	if c := t.Type.Compute(); c != t.Type {
		return Cast(r, c)
	}
	return r
}

// StoreAs casts v to t's type when it differs, as the front end does for the
// value of a statement.
func StoreAs(t *ir.Tensor, v ir.Expr) ir.Expr {
	if v.Type() != t.Type {
		return Cast(v, t.Type)
	}
	return v
}

// Cast converts x to type to.
func Cast(x ir.Expr, to ir.DType) ir.Expr { return &ir.Cast{X: x, To: to} }

// FConst returns the float constant v of type t.
func FConst(t ir.DType, v float64) ir.Expr { return &ir.Const{T: t, Float: v} }

// IConst returns the integer (or bool) constant v of type t.
func IConst(t ir.DType, v int64) ir.Expr { return &ir.Const{T: t, Int: v} }

// I64 returns the I64 constant v.
func I64(v int64) ir.Expr { return IConst(ir.I64, v) }

// Bin returns x op y, of x's type (Bool for comparisons).
func Bin(op ir.Op, x, y ir.Expr) ir.Expr {
	t := x.Type()
	if op.IsCompare() {
		t = ir.BoolT
	}
	return &ir.Binary{Op: op, X: x, Y: y, T: t}
}

// CallFn returns fn(args...), of the first argument's type.
func CallFn(fn ir.Func, args ...ir.Expr) ir.Expr {
	return &ir.Call{Fn: fn, Args: args, T: args[0].Type()}
}

// Select returns c ? a : b, of a's type.
func Select(c, a, b ir.Expr) ir.Expr { return &ir.Select{Cond: c, A: a, B: b, T: a.Type()} }

// Reduce returns the reduction op over vs of body where where holds (nil:
// everywhere), of body's type.
func Reduce(op ir.ReduceOp, vs []*ir.Var, where, body ir.Expr) ir.Expr {
	return &ir.Reduce{Op: op, Vars: vs, Where: where, Body: body, T: body.Type()}
}

// Sum returns the sum over vs of body.
func Sum(vs []*ir.Var, body ir.Expr) ir.Expr { return Reduce(ir.RSum, vs, nil, body) }
