package gemm

import (
	"fmt"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// fakeEnv is a minimal Env for tests, standing in for package lower.
type fakeEnv struct {
	t       loop.Target
	k       *loop.Kernel
	bufs    map[*ir.Tensor]*loop.Buf
	sizes   map[*ir.Size]*loop.Var
	scalars map[*ir.Tensor]*loop.Var
}

func newFakeEnv(k *ir.Kernel, t loop.Target) *fakeEnv {
	e := &fakeEnv{t: t, k: &loop.Kernel{Name: k.Name, Source: k},
		bufs: map[*ir.Tensor]*loop.Buf{}, sizes: map[*ir.Size]*loop.Var{}, scalars: map[*ir.Tensor]*loop.Var{}}
	for _, s := range k.Sizes {
		v := &loop.Var{Name: s.Name, T: tI64}
		e.sizes[s] = v
		e.k.Sizes = append(e.k.Sizes, v)
	}
	mk := func(t *ir.Tensor, kind loop.BufKind) *loop.Buf {
		var n loop.Expr = i64(1)
		for _, d := range t.Dims {
			n = mul(n, e.Dim(d))
		}
		b := &loop.Buf{Name: t.Name, Elem: t.Type, Kind: kind, Len: n, Tensor: t}
		e.bufs[t] = b
		return b
	}
	for _, p := range k.Params {
		if p.Kind == ir.Scalar {
			v := &loop.Var{Name: p.Name, T: loop.Scalar(p.Type)}
			e.scalars[p] = v
			e.k.Scalars = append(e.k.Scalars, v)
			continue
		}
		e.k.Inputs = append(e.k.Inputs, mk(p, loop.InputBuf))
	}
	for _, o := range k.Outputs {
		e.k.Outputs = append(e.k.Outputs, mk(o, loop.OutputBuf))
	}
	return e
}

func (e *fakeEnv) Target() loop.Target        { return e.t }
func (e *fakeEnv) Buf(t *ir.Tensor) *loop.Buf { return e.bufs[t] }
func (e *fakeEnv) Size(s *ir.Size) *loop.Var  { return e.sizes[s] }
func (e *fakeEnv) NewScratch(name string, elem ir.DType, n loop.Expr) *loop.Buf {
	b := &loop.Buf{Name: name, Elem: elem, Kind: loop.ScratchBuf, Len: n}
	e.k.Scratch = append(e.k.Scratch, b)
	return b
}

func (e *fakeEnv) Dim(d ir.Dim) loop.Expr {
	if d.Size == nil {
		return i64(int64(d.Const))
	}
	x := mul(ref(e.sizes[d.Size]), i64(int64(d.Mul)))
	if d.Div != 1 {
		x = div(x, i64(int64(d.Div)))
	}
	return x
}

func (e *fakeEnv) ExprAlong(x ir.Expr, bind map[*ir.Var]loop.Expr, _ *ir.Var, lanes int, _ loop.Expr) (loop.Expr, error) {
	return e.Expr(x, bind, lanes)
}

func (e *fakeEnv) Expr(x ir.Expr, bind map[*ir.Var]loop.Expr, lanes int) (loop.Expr, error) {
	if lanes != 1 {
		return nil, fmt.Errorf("fake env: %d lanes", lanes)
	}
	sc := func(t ir.DType) loop.Type { return loop.Scalar(t) }
	switch x := x.(type) {
	case *ir.Const:
		return &loop.Const{T: sc(x.T), Int: x.Int, Float: x.Float}, nil
	case *ir.Index:
		b, ok := bind[x.Var]
		if !ok {
			return nil, fmt.Errorf("fake env: unbound variable %s", x.Var.Name)
		}
		if b.Type() != sc(x.T) {
			b = &loop.Cast{X: b, T: sc(x.T)}
		}
		return b, nil
	case *ir.SizeVal:
		var r loop.Expr = ref(e.sizes[x.Size])
		if x.T != ir.I64 {
			r = &loop.Cast{X: r, T: sc(x.T)}
		}
		return r, nil
	case *ir.Read:
		if v, ok := e.scalars[x.Tensor]; ok {
			return ref(v), nil
		}
		buf := e.bufs[x.Tensor]
		var idx loop.Expr = i64(0)
		var guard loop.Expr
		for p, s := range x.Subs {
			se, err := e.Expr(s, bind, 1)
			if err != nil {
				return nil, err
			}
			d := e.Dim(x.Tensor.Dims[p])
			idx = add(mul(idx, d), se)
			guard = and(guard, and(cmp(ir.Ge, se, i64(0)), cmp(ir.Lt, se, d)))
		}
		return &loop.Load{Buf: buf, Index: idx, T: sc(x.Tensor.Type), Guard: guard}, nil
	case *ir.Binary:
		a, err := e.Expr(x.X, bind, 1)
		if err != nil {
			return nil, err
		}
		b, err := e.Expr(x.Y, bind, 1)
		if err != nil {
			return nil, err
		}
		return &loop.Bin{Op: x.Op, X: a, Y: b, T: sc(x.T)}, nil
	case *ir.Unary:
		a, err := e.Expr(x.X, bind, 1)
		if err != nil {
			return nil, err
		}
		return &loop.Un{Op: x.Op, X: a, T: sc(x.T)}, nil
	case *ir.Call:
		var args []loop.Expr
		for _, a := range x.Args {
			l, err := e.Expr(a, bind, 1)
			if err != nil {
				return nil, err
			}
			args = append(args, l)
		}
		return &loop.Call{Fn: loop.Fn(x.Fn), Args: args, T: sc(x.T)}, nil
	case *ir.Cast:
		a, err := e.Expr(x.X, bind, 1)
		if err != nil {
			return nil, err
		}
		return &loop.Cast{X: a, T: sc(x.To)}, nil
	case *ir.Select:
		c, err := e.Expr(x.Cond, bind, 1)
		if err != nil {
			return nil, err
		}
		a, err := e.Expr(x.A, bind, 1)
		if err != nil {
			return nil, err
		}
		b, err := e.Expr(x.B, bind, 1)
		if err != nil {
			return nil, err
		}
		return &loop.Select{Cond: c, A: a, B: b, T: sc(x.T)}, nil
	}
	return nil, fmt.Errorf("fake env: unsupported %T", x)
}
