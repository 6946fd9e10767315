package gemm

import (
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// Stride is the element stride of an index variable in a row-major tensor: the
// product of the dimensions after the variable's position (empty means 1).
type Stride []ir.Dim

// Expr returns s as an Int64 loop expression.
func (s Stride) Expr(env Env) loop.Expr {
	var e loop.Expr = i64(1)
	for i, d := range s {
		if i == 0 {
			e = env.Dim(d)
			continue
		}
		e = mul(e, env.Dim(d))
	}
	return e
}

// Expr returns the product of d as an Int64 loop expression.
func (d Dims) Expr(env Env) loop.Expr {
	var e loop.Expr = i64(1)
	for i, x := range d {
		if i == 0 {
			e = env.Dim(x)
			continue
		}
		e = mul(e, env.Dim(x))
	}
	return e
}

// IsUnit reports whether s is statically 1.
func (s Stride) IsUnit() bool {
	for _, d := range s {
		if !d.IsConst() || d.Const != 1 {
			return false
		}
	}
	return true
}

// Operand is one operand of a contraction: its value as an expression of
// its variables (Expr, in the accumulator type), and, for a plain operand (a
// tensor read, possibly cast, at plain subscripts: Tensor != nil), its
// element strides, which let the template read it in place.
type Operand struct {
	// Expr is the operand's value at a point of its variables.
	Expr ir.Expr
	// Tensor is the tensor of a plain operand, nil for a general one.
	Tensor *ir.Tensor
	// Cast reports a plain operand read through a cast to the accumulator.
	Cast bool
	// Row and Col are the strides along the operand's row and column
	// groups: (I, K) for A, (K, J) for B (plain operands only).
	Row, Col Stride
	// Batch holds one stride per Matmul.Batch variable; nil entries mean the
	// operand does not depend on that variable (stride 0, broadcast).
	Batch []Stride
	// HasBatch[i] reports whether the operand reads Batch[i].
	HasBatch []bool
}

// Plain reports whether the operand is a plain read with strides.
func (o Operand) Plain() bool { return o.Tensor != nil }

// Matmul describes a recognised contraction
//
//	C[b..., i..., j...] = epilogue(sum(k...: A(b, i, k) * B(b, k, j)))
//
// (see contract.go): the row, column and reduction variables in groups, the
// batch variables, and the two operands.
type Matmul struct {
	Kernel *ir.Kernel
	Stmt   *ir.Stmt
	C      *ir.Tensor
	A, B   Operand
	// IGroup, JGroup and KGroup are the row, column and reduction groups;
	// I, J and K their innermost variables.
	IGroup, JGroup, KGroup Group
	I, J, K                *ir.Var
	// KOuter are the reduction variables iterated outside the K blocking.
	KOuter []*ir.Var
	// Batch are the other output variables, in C's subscript order.
	Batch []*ir.Var
	// M, N and KDim are the extents of the groups.
	M, N, KDim Dims
	// CRow, CCol and CBatch are C's strides along I, J and Batch.
	CRow, CCol Stride
	CBatch     []Stride
	// Acc is the accumulator type: F32, F64 or I32.
	Acc ir.DType
	// Epilogue is the statement's value with the reduction replaced by
	// Placeholder, or nil when the value is the reduction itself (then C's type is
	// Acc). It has C's element type and reads only variables of C's subscripts.
	Epilogue ir.Expr
	// Placeholder is the *ir.Index{Var: AccVar, T: Acc} standing for the
	// accumulated sum in Epilogue; lowering binds AccVar to the accumulator.
	Placeholder *ir.Index
	AccVar      *ir.Var
}

// General reports whether the contraction needs the general template: an
// operand that is not a plain read, or outer reduction variables.
func (m *Matmul) General() bool { return !m.A.Plain() || !m.B.Plain() || len(m.KOuter) > 0 }

type opInfo struct {
	read *ir.Read
	cast bool
	vars map[*ir.Var]bool
	subs []*ir.Var
}

func operand(e ir.Expr, acc ir.DType) (opInfo, bool) {
	var info opInfo
	if c, ok := e.(*ir.Cast); ok {
		if c.To != acc {
			return info, false
		}
		info.cast = true
		e = c.X
	}
	r, ok := e.(*ir.Read)
	if !ok || r.Tensor == nil || len(r.Subs) == 0 || len(r.Subs) != len(r.Tensor.Dims) {
		return info, false
	}
	if r.Tensor.Kind == ir.Scalar {
		return info, false
	}
	if !info.cast && r.Tensor.Type != acc {
		return info, false
	}
	if info.cast {
		t := r.Tensor.Type
		if acc == ir.I32 && !t.IsInteger() || acc != ir.I32 && !t.IsFloat() || t.Bits > acc.Bits {
			return info, false
		}
	}
	info.read = r
	info.vars = map[*ir.Var]bool{}
	for _, sub := range r.Subs {
		x, ok := sub.(*ir.Index)
		if !ok || x.Var == nil || info.vars[x.Var] {
			return info, false
		}
		info.vars[x.Var] = true
		info.subs = append(info.subs, x.Var)
	}
	return info, true
}

// strideOf returns the row-major stride of the dimension of t subscripted by v.
func strideOf(t *ir.Tensor, subs []*ir.Var, v *ir.Var) Stride {
	for p, s := range subs {
		if s == v {
			st := Stride{}
			for _, d := range t.Dims[p+1:] {
				st = append(st, d)
			}
			return st
		}
	}
	return nil
}

// dimsAgree reports whether every dimension of the read equals the extent of the
// variable subscripting it, statically or through a run-time ir.Agree check, so
// that no read falls outside the tensor (reads outside would have to give zero).
func dimsAgree(k *ir.Kernel, r *ir.Read) bool {
	for p, sub := range r.Subs {
		v := sub.(*ir.Index).Var
		d := r.Tensor.Dims[p]
		if d.Equal(v.Extent) {
			continue
		}
		found := false
		for _, c := range k.Checks {
			if c.A.Equal(d) && c.B.Equal(v.Extent) || c.B.Equal(d) && c.A.Equal(v.Extent) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// replace returns a copy of e in which the node old is replaced by repl. Nodes not
// on the path to old are shared.
func replace(e, old, repl ir.Expr) ir.Expr {
	if e == old {
		return repl
	}
	switch x := e.(type) {
	case *ir.Unary:
		c := *x
		c.X = replace(x.X, old, repl)
		return &c
	case *ir.Binary:
		c := *x
		c.X, c.Y = replace(x.X, old, repl), replace(x.Y, old, repl)
		return &c
	case *ir.Call:
		c := *x
		c.Args = make([]ir.Expr, len(x.Args))
		for i, a := range x.Args {
			c.Args[i] = replace(a, old, repl)
		}
		return &c
	case *ir.Select:
		c := *x
		c.Cond, c.A, c.B = replace(x.Cond, old, repl), replace(x.A, old, repl), replace(x.B, old, repl)
		return &c
	case *ir.Cast:
		c := *x
		c.X = replace(x.X, old, repl)
		return &c
	}
	return e
}
