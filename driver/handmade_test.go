package driver

import (
	"fmt"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// Hand-made kernels (ir and their loop IR), so that the package writer can be
// tested independently of the front end and the lowering.

func idx(v *ir.Var) ir.Expr { return &ir.Index{Var: v, T: ir.I64} }

func read(t *ir.Tensor, subs ...ir.Expr) ir.Expr { return &ir.Read{Tensor: t, Subs: subs} }

func cast(x ir.Expr, to ir.DType) ir.Expr { return &ir.Cast{X: x, To: to} }

func bin(op ir.Op, x, y ir.Expr) ir.Expr {
	t := x.Type()
	if op.IsCompare() || op == ir.And || op == ir.Or {
		t = ir.BoolT
	}
	return &ir.Binary{Op: op, X: x, Y: y, T: t}
}

func i64(v int64) ir.Expr { return &ir.Const{T: ir.I64, Int: v} }

// tensor makes a tensor of kind kind.
func tensor(name string, kind ir.TensorKind, t ir.DType, dims ...ir.Dim) *ir.Tensor {
	return &ir.Tensor{Name: name, Kind: kind, Type: t, Dims: dims}
}

// loop IR helpers.

func lref(v *loop.Var) loop.Expr { return &loop.Ref{Var: v} }

func lint(v int64) loop.Expr { return &loop.Const{T: loop.Scalar(ir.I64), Int: v} }

func lbin(op ir.Op, x, y loop.Expr) loop.Expr {
	t := x.Type()
	if op.IsCompare() || op == ir.And || op == ir.Or {
		t.Elem = ir.BoolT
	}
	return &loop.Bin{Op: op, X: x, Y: y, T: t}
}

func lload(b *loop.Buf, i loop.Expr) *loop.Load {
	return &loop.Load{Buf: b, Index: i, T: loop.Scalar(b.Elem)}
}

func ivar(name string) *loop.Var { return &loop.Var{Name: name, T: loop.Scalar(ir.I64)} }

// lowered starts a loop kernel for k with one buffer per tensor and one variable
// per size and scalar.
type lowered struct {
	lk   *loop.Kernel
	buf  map[*ir.Tensor]*loop.Buf
	size map[*ir.Size]*loop.Var
	sc   map[*ir.Tensor]*loop.Var
}

func newLowered(k *ir.Kernel) *lowered {
	l := &lowered{lk: &loop.Kernel{Name: k.Name, Source: k}, buf: map[*ir.Tensor]*loop.Buf{},
		size: map[*ir.Size]*loop.Var{}, sc: map[*ir.Tensor]*loop.Var{}}
	for _, s := range k.Sizes {
		v := ivar(s.Name)
		l.size[s] = v
		l.lk.Sizes = append(l.lk.Sizes, v)
	}
	for _, t := range k.Params {
		if t.Kind == ir.Scalar {
			v := &loop.Var{Name: t.Name, T: loop.Scalar(t.Type)}
			l.sc[t] = v
			l.lk.Scalars = append(l.lk.Scalars, v)
			continue
		}
		b := &loop.Buf{Name: t.Name, Elem: t.Type, Kind: loop.InputBuf, Tensor: t}
		l.buf[t] = b
		l.lk.Inputs = append(l.lk.Inputs, b)
	}
	for _, t := range k.Outputs {
		b := &loop.Buf{Name: t.Name, Elem: t.Type, Kind: loop.OutputBuf, Tensor: t}
		l.buf[t] = b
		l.lk.Outputs = append(l.lk.Outputs, b)
	}
	return l
}

func (l *lowered) step(f *loop.Func, parallel bool, extent, work loop.Expr) {
	l.lk.Funcs = append(l.lk.Funcs, f)
	l.lk.Steps = append(l.lk.Steps, &loop.Step{Func: f, Parallel: parallel, Extent: extent, Grain: 16, Work: work})
}

// axpy: Z[i] = X[i]*a + Y[i], one parallel step.
func axpyKernel() (*ir.Kernel, func(loop.Target) *loop.Kernel) {
	n := &ir.Size{Name: "N"}
	x := tensor("X", ir.Input, ir.F32, ir.SizeDim(n))
	y := tensor("Y", ir.Input, ir.F32, ir.SizeDim(n))
	a := tensor("a", ir.Scalar, ir.F32)
	a.Index = 2
	y.Index = 1
	z := tensor("Z", ir.Output, ir.F32, ir.SizeDim(n))
	i := &ir.Var{Name: "i", Extent: ir.SizeDim(n)}
	k := &ir.Kernel{Name: "Axpy", Doc: "Axpy computes X*a + Y.", Sizes: []*ir.Size{n},
		Params: []*ir.Tensor{x, y, a}, Outputs: []*ir.Tensor{z},
		Stmts: []*ir.Stmt{{Target: z, Index: []*ir.Var{i},
			Value: bin(ir.Add, bin(ir.Mul, read(x, idx(i)), read(a)), read(y, idx(i)))}}}
	return k, func(loop.Target) *loop.Kernel {
		l := newLowered(k)
		lo, hi, iv := ivar("lo"), ivar("hi"), ivar("i")
		X, Y, Z := l.buf[x], l.buf[y], l.buf[z]
		f := &loop.Func{Name: "s0", Lo: lo, Hi: hi, Body: []loop.Stmt{
			&loop.For{Var: iv, Lo: lref(lo), Hi: lref(hi), Step: 1, Body: []loop.Stmt{
				&loop.Store{Buf: Z, Index: lref(iv), Value: lbin(ir.Add,
					lbin(ir.Mul, lload(X, lref(iv)), lref(l.sc[a])), lload(Y, lref(iv)))},
			}},
		}}
		N := lref(l.size[n])
		l.step(f, true, N, lbin(ir.Mul, N, lint(2)))
		return l.lk
	}
}

// shift: Z[i] = X[i-1] (the out-of-range read gives 0), scalar with a guard;
// also names that must be sanitised: the input is called len, the output
// error and the size copy.
func shiftKernel() (*ir.Kernel, func(loop.Target) *loop.Kernel) {
	n := &ir.Size{Name: "copy"}
	x := tensor("len", ir.Input, ir.F64, ir.SizeDim(n))
	z := tensor("error", ir.Output, ir.F64, ir.SizeDim(n))
	i := &ir.Var{Name: "i", Extent: ir.SizeDim(n)}
	k := &ir.Kernel{Name: "Shift", Sizes: []*ir.Size{n}, Params: []*ir.Tensor{x}, Outputs: []*ir.Tensor{z},
		Stmts: []*ir.Stmt{{Target: z, Index: []*ir.Var{i}, Value: read(x, bin(ir.Sub, idx(i), i64(1)))}}}
	return k, func(loop.Target) *loop.Kernel {
		l := newLowered(k)
		iv := ivar("i")
		X, Z := l.buf[x], l.buf[z]
		j := lbin(ir.Sub, lref(iv), lint(1))
		ld := lload(X, j)
		ld.Guard = lbin(ir.Ge, j, lint(0))
		f := &loop.Func{Name: "s0", Body: []loop.Stmt{
			&loop.For{Var: iv, Lo: lint(0), Hi: lref(l.size[n]), Step: 1, Body: []loop.Stmt{
				&loop.Store{Buf: Z, Index: lref(iv), Value: ld},
			}},
		}}
		l.step(f, false, nil, nil)
		return l.lk
	}
}

// scale4: Y[j] = X[4*j] * 2 for X: f32[K], Y: f32[K / 4]: a strided read and
// a divisibility check.
func scale4Kernel() (*ir.Kernel, func(loop.Target) *loop.Kernel) {
	kk := &ir.Size{Name: "K"}
	x := tensor("X", ir.Input, ir.F32, ir.SizeDim(kk))
	y := tensor("Y", ir.Output, ir.F32, ir.Dim{Size: kk, Mul: 1, Div: 4})
	j := &ir.Var{Name: "j", Extent: y.Dims[0]}
	two := &ir.Const{T: ir.F32, Float: 2}
	k := &ir.Kernel{Name: "Scale4", Sizes: []*ir.Size{kk}, Params: []*ir.Tensor{x}, Outputs: []*ir.Tensor{y},
		Stmts: []*ir.Stmt{{Target: y, Index: []*ir.Var{j},
			Value: bin(ir.Mul, read(x, bin(ir.Mul, idx(j), i64(4))), two)}}}
	return k, func(loop.Target) *loop.Kernel {
		l := newLowered(k)
		jv := ivar("j")
		X, Y := l.buf[x], l.buf[y]
		m := lbin(ir.Div, lref(l.size[kk]), lint(4))
		s := &loop.Func{Name: "s0", Body: []loop.Stmt{
			&loop.For{Var: jv, Lo: lint(0), Hi: m, Step: 1, Body: []loop.Stmt{
				&loop.Store{Buf: Y, Index: lref(jv), Value: lbin(ir.Mul,
					lload(X, lbin(ir.Mul, lref(jv), lint(4))), &loop.Const{T: loop.Scalar(ir.F32), Float: 2})},
			}},
		}}
		l.step(s, false, nil, nil)
		return l.lk
	}
}

// vec: Y[i] = X[i] * 2 + 1 with 4-lane vectors, Count tails on loads and stores.
func vecKernel() (*ir.Kernel, func(loop.Target) *loop.Kernel) {
	n := &ir.Size{Name: "N"}
	x := tensor("X", ir.Input, ir.F32, ir.SizeDim(n))
	y := tensor("Y", ir.Output, ir.F32, ir.SizeDim(n))
	i := &ir.Var{Name: "i", Extent: ir.SizeDim(n)}
	k := &ir.Kernel{Name: "Vec", Sizes: []*ir.Size{n}, Params: []*ir.Tensor{x}, Outputs: []*ir.Tensor{y},
		Stmts: []*ir.Stmt{{Target: y, Index: []*ir.Var{i},
			Value: bin(ir.Add, bin(ir.Mul, read(x, idx(i)), &ir.Const{T: ir.F32, Float: 2}), &ir.Const{T: ir.F32, Float: 1})}}}
	return k, func(loop.Target) *loop.Kernel {
		l := newLowered(k)
		iv := ivar("i")
		X, Y := l.buf[x], l.buf[y]
		v4 := loop.Vec(ir.F32, 4)
		v := &loop.Var{Name: "v", T: v4}
		N := lref(l.size[n])
		cnt := &loop.Call{Fn: loop.Fn(ir.Min), Args: []loop.Expr{lbin(ir.Sub, N, lref(iv)), lint(4)}, T: loop.Scalar(ir.I64)}
		ld := &loop.Load{Buf: X, Index: lref(iv), T: v4, Count: cnt}
		two := &loop.Broadcast{X: &loop.Const{T: loop.Scalar(ir.F32), Float: 2}, T: v4}
		f := &loop.Func{Name: "s0", Locals: []*loop.Var{v}, Body: []loop.Stmt{
			&loop.For{Var: iv, Lo: lint(0), Hi: N, Step: 4, Body: []loop.Stmt{
				&loop.Assign{Dst: v, Value: &loop.Call{Fn: loop.FMA, Args: []loop.Expr{ld, two, &loop.Const{T: v4, Float: 1}}, T: v4}},
				&loop.Store{Buf: Y, Index: lref(iv), Value: lref(v), Count: cnt},
			}},
		}}
		l.step(f, false, nil, nil)
		return l.lk
	}
}

// quant: O[i] = f32(W[i]) + f32(H[i]) and P[i] = u4(W[i]) for W: i4[N], H: f16[N],
// O: f32[N], P: u4[N]: packed loads and stores, f16 decode, saturating casts.
func quantKernel() (*ir.Kernel, func(loop.Target) *loop.Kernel) {
	n := &ir.Size{Name: "N"}
	u4 := ir.UintType(4)
	w := tensor("W", ir.Input, ir.IntType(4), ir.SizeDim(n))
	h := tensor("H", ir.Input, ir.F16, ir.SizeDim(n))
	h.Index = 1
	o := tensor("O", ir.Output, ir.F32, ir.SizeDim(n))
	p := tensor("P", ir.Output, u4, ir.SizeDim(n))
	p.Index = 1
	i := &ir.Var{Name: "i", Extent: ir.SizeDim(n)}
	i2 := &ir.Var{Name: "i", Extent: ir.SizeDim(n)}
	k := &ir.Kernel{Name: "Quant", Sizes: []*ir.Size{n}, Params: []*ir.Tensor{w, h}, Outputs: []*ir.Tensor{o, p},
		Stmts: []*ir.Stmt{
			{Target: o, Index: []*ir.Var{i}, Value: bin(ir.Add, cast(cast(read(w, idx(i)), ir.I32), ir.F32), cast(read(h, idx(i)), ir.F32))},
			{Target: p, Index: []*ir.Var{i2}, Value: cast(cast(read(w, idx(i2)), ir.I32), u4)},
		}}
	return k, func(loop.Target) *loop.Kernel {
		l := newLowered(k)
		iv := ivar("i")
		W, H, O, P := l.buf[w], l.buf[h], l.buf[o], l.buf[p]
		wi := &loop.Cast{X: lload(W, lref(iv)), T: loop.Scalar(ir.I32)}
		f := &loop.Func{Name: "s0", Body: []loop.Stmt{
			&loop.For{Var: iv, Lo: lint(0), Hi: lref(l.size[n]), Step: 1, Body: []loop.Stmt{
				&loop.Store{Buf: O, Index: lref(iv), Value: lbin(ir.Add, &loop.Cast{X: wi, T: loop.Scalar(ir.F32)},
					&loop.Cast{X: lload(H, lref(iv)), T: loop.Scalar(ir.F32)})},
				&loop.Store{Buf: P, Index: lref(iv), Value: &loop.Cast{X: wi, T: loop.Scalar(u4)}},
			}},
		}}
		l.step(f, false, nil, nil)
		return l.lk
	}
}

// handmade returns the test kernels and a lowering hook that serves their loop IR.
func handmade() (*ir.Program, func(*ir.Kernel, loop.Target) (*loop.Kernel, error)) {
	prog := &ir.Program{Package: "hand"}
	lows := map[string]func(loop.Target) *loop.Kernel{} // by name: the driver lowers a copy
	for _, mk := range []func() (*ir.Kernel, func(loop.Target) *loop.Kernel){axpyKernel, shiftKernel, scale4Kernel, vecKernel, quantKernel} {
		k, lo := mk()
		prog.Kernels = append(prog.Kernels, k)
		lows[k.Name] = lo
	}
	return prog, func(k *ir.Kernel, t loop.Target) (*loop.Kernel, error) {
		if lo := lows[k.Name]; lo != nil {
			return lo(t), nil
		}
		return nil, fmt.Errorf("no hand-made lowering for %s", k.Name)
	}
}
