package interp

import (
	"github.com/tensorcc/tcc/ir"
)

// Small constructors for hand-built IR in tests.

type kb struct{ k *ir.Kernel }

func newKernel(name string) *kb { return &kb{k: &ir.Kernel{Name: name}} }

func (b *kb) size(name string) *ir.Size {
	s := &ir.Size{Name: name, Index: len(b.k.Sizes)}
	b.k.Sizes = append(b.k.Sizes, s)
	return s
}

func (b *kb) tensor(kind ir.TensorKind, name string, t ir.DType, dims ...ir.Dim) *ir.Tensor {
	x := &ir.Tensor{Name: name, Kind: kind, Type: t, Dims: dims}
	switch kind {
	case ir.Input, ir.Scalar:
		x.Index = len(b.k.Params)
		b.k.Params = append(b.k.Params, x)
	case ir.Output:
		x.Index = len(b.k.Outputs)
		b.k.Outputs = append(b.k.Outputs, x)
	case ir.Temp:
		x.Index = len(b.k.Temps)
		b.k.Temps = append(b.k.Temps, x)
	}
	return x
}

func (b *kb) in(name string, t ir.DType, dims ...ir.Dim) *ir.Tensor {
	return b.tensor(ir.Input, name, t, dims...)
}
func (b *kb) out(name string, t ir.DType, dims ...ir.Dim) *ir.Tensor {
	return b.tensor(ir.Output, name, t, dims...)
}
func (b *kb) temp(name string, t ir.DType, dims ...ir.Dim) *ir.Tensor {
	return b.tensor(ir.Temp, name, t, dims...)
}

// stmt appends target[index...] = value, with the index variables ranging over
// the target's dimensions.
func (b *kb) stmt(target *ir.Tensor, index []*ir.Var, value ir.Expr) {
	b.k.Stmts = append(b.k.Stmts, &ir.Stmt{Target: target, Index: index, Value: value})
}

func (b *kb) agree(a, c ir.Dim, what string) {
	b.k.Checks = append(b.k.Checks, ir.Agree{A: a, B: c, What: what})
}

func sd(s *ir.Size) ir.Dim { return ir.SizeDim(s) }
func cd(n int) ir.Dim      { return ir.ConstDim(n) }

func vr(name string, d ir.Dim) *ir.Var { return &ir.Var{Name: name, Extent: d} }
func vars(vs ...*ir.Var) []*ir.Var     { return vs }

func ix(v *ir.Var) ir.Expr                     { return &ir.Index{Var: v, T: ir.I64} }
func ixT(v *ir.Var, t ir.DType) ir.Expr        { return &ir.Index{Var: v, T: t} }
func rd(t *ir.Tensor, subs ...ir.Expr) ir.Expr { return &ir.Read{Tensor: t, Subs: subs} }
func cast(x ir.Expr, to ir.DType) ir.Expr      { return &ir.Cast{X: x, To: to} }
func fc(t ir.DType, v float64) ir.Expr         { return &ir.Const{T: t, Float: v} }
func ic(t ir.DType, v int64) ir.Expr           { return &ir.Const{T: t, Int: v} }
func i64(v int64) ir.Expr                      { return ic(ir.I64, v) }

func bin(op ir.Op, x, y ir.Expr) ir.Expr {
	t := x.Type()
	if op.IsCompare() {
		t = ir.BoolT
	}
	return &ir.Binary{Op: op, X: x, Y: y, T: t}
}

func call(fn ir.Func, args ...ir.Expr) ir.Expr {
	return &ir.Call{Fn: fn, Args: args, T: args[0].Type()}
}

func sel(c, a, b ir.Expr) ir.Expr { return &ir.Select{Cond: c, A: a, B: b, T: a.Type()} }

func red(op ir.ReduceOp, vs []*ir.Var, where, body ir.Expr) ir.Expr {
	return &ir.Reduce{Op: op, Vars: vs, Where: where, Body: body, T: body.Type()}
}

// readAs reads t and casts the element to its compute type, as the front end does.
func readAs(t *ir.Tensor, subs ...ir.Expr) ir.Expr {
	r := rd(t, subs...)
	if c := t.Type.Compute(); c != t.Type {
		return cast(r, c)
	}
	return r
}
