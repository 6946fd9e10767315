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

// IsUnit reports whether s is statically 1.
func (s Stride) IsUnit() bool {
	for _, d := range s {
		if !d.IsConst() || d.Const != 1 {
			return false
		}
	}
	return true
}

// Operand is one input matrix of a Matmul: the tensor, its element strides along
// the matrix's two variables and along each batch variable, and whether its
// elements are converted to the accumulator type (Cast(Read(X), Acc) in the IR).
type Operand struct {
	Tensor *ir.Tensor
	Cast   bool
	// Row and Col are the strides along the operand's row and column variables:
	// (I, K) for A, (K, J) for B.
	Row, Col Stride
	// Batch holds one stride per Matmul.Batch variable; nil entries mean the
	// operand does not depend on that variable (stride 0, broadcast).
	Batch []Stride
	// HasBatch[i] reports whether the operand is indexed by Batch[i].
	HasBatch []bool
}

// Matmul describes a recognised statement
//
//	C[b..., i, j] = epilogue(sum(k: A[.., i, k] * B[.., k, j]))
//
// with the subscripts of C, A and B in any order.
type Matmul struct {
	Kernel *ir.Kernel
	Stmt   *ir.Stmt
	C      *ir.Tensor
	A, B   Operand
	// I, J and K are the row, column and reduction variables; Batch are the other
	// left-side variables, in C's subscript order.
	I, J, K *ir.Var
	Batch   []*ir.Var
	// M, N and KDim are the extents of I, J and K.
	M, N, KDim ir.Dim
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

// Match reports whether s is a matrix multiplication with an optional elementwise
// epilogue and returns its description. It never modifies k or s.
func Match(k *ir.Kernel, s *ir.Stmt) (*Matmul, bool) {
	if k == nil || s == nil || s.Target == nil || s.Value == nil {
		return nil, false
	}
	// Exactly one reduction, and it must be the matmul sum.
	var red *ir.Reduce
	count := 0
	ir.Walk(s.Value, func(e ir.Expr) bool {
		if r, ok := e.(*ir.Reduce); ok {
			red = r
			count++
			return false
		}
		return true
	})
	if count != 1 || red.Op != ir.RSum || len(red.Vars) != 1 || red.Where != nil {
		return nil, false
	}
	if red.T != ir.F32 && red.T != ir.F64 && red.T != ir.I32 {
		return nil, false
	}
	mulx, ok := red.Body.(*ir.Binary)
	if !ok || mulx.Op != ir.Mul || mulx.T != red.T {
		return nil, false
	}
	opA, okA := operand(mulx.X, red.T)
	opB, okB := operand(mulx.Y, red.T)
	if !okA || !okB || opA.read.Tensor == s.Target || opB.read.Tensor == s.Target {
		return nil, false
	}
	if m, ok := build(k, s, red, opA, opB); ok {
		return m, true
	}
	// The product may be written B*A.
	return build(k, s, red, opB, opA)
}

func build(k *ir.Kernel, s *ir.Stmt, red *ir.Reduce, opA, opB opInfo) (*Matmul, bool) {
	kv := red.Vars[0]
	left := map[*ir.Var]bool{}
	for _, v := range s.Index {
		left[v] = true
	}
	if left[kv] || !opA.vars[kv] || !opB.vars[kv] {
		return nil, false
	}
	// Classify C's variables.
	var iv, jv *ir.Var
	var batch []*ir.Var
	for _, v := range s.Index {
		inA, inB := opA.vars[v], opB.vars[v]
		switch {
		case inA && inB:
			batch = append(batch, v)
		case inA:
			if iv != nil {
				return nil, false
			}
			iv = v
		case inB:
			if jv != nil {
				return nil, false
			}
			jv = v
		default:
			return nil, false // C broadcast along a variable no operand reads
		}
	}
	if iv == nil || jv == nil {
		return nil, false
	}
	// Every operand variable must be i/j/k or a batch variable.
	for _, op := range []*opInfo{&opA, &opB} {
		for v := range op.vars {
			if v != kv && !left[v] {
				return nil, false
			}
		}
	}
	if opA.vars[jv] || opB.vars[iv] {
		return nil, false
	}
	for _, op := range []*opInfo{&opA, &opB} {
		if !dimsAgree(k, op.read) {
			return nil, false
		}
	}
	m := &Matmul{
		Kernel: k, Stmt: s, C: s.Target,
		I: iv, J: jv, K: kv, Batch: batch,
		M: iv.Extent, N: jv.Extent, KDim: kv.Extent,
		Acc: red.T,
	}
	m.CRow = strideOf(s.Target, s.Index, iv)
	m.CCol = strideOf(s.Target, s.Index, jv)
	for _, b := range batch {
		m.CBatch = append(m.CBatch, strideOf(s.Target, s.Index, b))
	}
	m.A = opA.build(iv, kv, batch)
	m.B = opB.build(kv, jv, batch)
	if s.Value != ir.Expr(red) {
		m.AccVar = &ir.Var{Name: "acc", Extent: ir.ConstDim(1), Pos: red.Pos}
		m.Placeholder = &ir.Index{Pos: red.Pos, Var: m.AccVar, T: red.T}
		m.Epilogue = replace(s.Value, red, m.Placeholder)
	} else if s.Target.Type != red.T {
		return nil, false
	}
	return m, true
}

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

func (o *opInfo) build(row, col *ir.Var, batch []*ir.Var) Operand {
	op := Operand{Tensor: o.read.Tensor, Cast: o.cast}
	op.Row = strideOf(o.read.Tensor, o.subs, row)
	op.Col = strideOf(o.read.Tensor, o.subs, col)
	for _, b := range batch {
		op.Batch = append(op.Batch, strideOf(o.read.Tensor, o.subs, b))
		op.HasBatch = append(op.HasBatch, o.vars[b])
	}
	return op
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
