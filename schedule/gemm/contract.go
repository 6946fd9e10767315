package gemm

import (
	"slices"

	"github.com/tensorcc/tcc/ir"
)

// Contractions. Match recognises any statement
//
//	C[...] = epilogue(sum(k...: f1 * f2 * ... * fn))
//
// whose sum's body is a product of factors that split into two operands: A,
// the factors that read the output variables of the row group (M), and B,
// those that read the column group (N); factors that read neither join A.
// Each output variable read by both operands is a batch variable; every
// reduction variable must be read by both. The factors may be any
// elementwise expressions of their variables (casts, prologues such as a
// scale or a relu, reads at affine subscripts such as X[t - j, c], which
// read zero outside their tensor): the template packs an operand by
// evaluating it at every point of a block, so im2col and dequantisation
// happen inside the pack and are never materialised.
//
// Variables are grouped (see Group): the row group M holds the output
// variables only A reads that are consecutive subscripts of C, the column
// group N likewise for B (one variable unless B is a plain read that keeps
// them consecutive too), and the reduction group K the reduction variables
// that both operands can index as one (all of them for two plain reads
// that keep them consecutive, else one); the remaining reduction variables
// are iterated outside the K blocking (KOuter), the remaining output
// variables become batch variables of the operand that reads them.

// Group is a list of index variables that the template treats as one
// dimension of the GEMM: its flattened row-major index over Vars (outermost
// first), whose extent is the product of the variables' extents.
type Group []*ir.Var

// Inner returns the group's innermost variable.
func (g Group) Inner() *ir.Var { return g[len(g)-1] }

// Dims returns the extents of the group's variables.
func (g Group) Dims() Dims {
	d := make(Dims, len(g))
	for i, v := range g {
		d[i] = v.Extent
	}
	return d
}

// Dims is a product of dimensions.
type Dims []ir.Dim

// factors returns the factors of the product e (nested multiplications of
// type t, flattened left to right).
func factors(e ir.Expr, t ir.DType) []ir.Expr {
	if b, ok := e.(*ir.Binary); ok && b.Op == ir.Mul && b.T == t {
		return append(factors(b.X, t), factors(b.Y, t)...)
	}
	return []ir.Expr{e}
}

// product returns the product of fs in type t.
func product(fs []ir.Expr, t ir.DType) ir.Expr {
	p := fs[0]
	for _, f := range fs[1:] {
		p = &ir.Binary{Pos: p.Position(), Op: ir.Mul, X: p, Y: f, T: t}
	}
	return p
}

// varsOf returns the index variables read anywhere in e (subscripts
// included), in first-read order.
func varsOf(e ir.Expr) []*ir.Var {
	var vs []*ir.Var
	ir.Walk(e, func(x ir.Expr) bool {
		if ix, ok := x.(*ir.Index); ok && !slices.Contains(vs, ix.Var) {
			vs = append(vs, ix.Var)
		}
		return true
	})
	return vs
}

// split is an assignment of a product's factors to the two operands.
type split struct {
	a, b           []ir.Expr
	aVars, bVars   map[*ir.Var]bool
	rows, cols     []*ir.Var // output variables read only by A, only by B (C order)
	batch          []*ir.Var // output variables read by both
	neutralOnBSide bool
}

// splits returns the valid assignments of fs to two operands, the first
// factor always in A (the swapped assignment is the same contraction): each
// side reads at least one output variable the other does not, every output
// variable is read by a side, and every reduction variable by both.
func splits(fs []ir.Expr, left, red []*ir.Var) []split {
	n := len(fs)
	if n < 2 || n > 8 {
		return nil
	}
	vars := make([]map[*ir.Var]bool, n)
	for i, f := range fs {
		vars[i] = map[*ir.Var]bool{}
		for _, v := range varsOf(f) {
			vars[i][v] = true
		}
	}
	readsLeft := func(i int) bool {
		for _, v := range left {
			if vars[i][v] {
				return true
			}
		}
		return false
	}
	var out []split
	for mask := 0; mask < 1<<(n-1); mask++ {
		var sp split
		sp.aVars, sp.bVars = map[*ir.Var]bool{}, map[*ir.Var]bool{}
		bHasLeft := false
		for i := range fs {
			inB := i > 0 && mask>>(i-1)&1 == 1
			if inB && !readsLeft(i) {
				continue // neutral factors stay in A
			}
			if inB {
				sp.b = append(sp.b, fs[i])
				bHasLeft = true
				for v := range vars[i] {
					sp.bVars[v] = true
				}
			} else {
				sp.a = append(sp.a, fs[i])
				for v := range vars[i] {
					sp.aVars[v] = true
				}
			}
		}
		if !bHasLeft || len(sp.b) == 0 {
			continue
		}
		ok := true
		for _, v := range left {
			inA, inB := sp.aVars[v], sp.bVars[v]
			switch {
			case inA && inB:
				sp.batch = append(sp.batch, v)
			case inA:
				sp.rows = append(sp.rows, v)
			case inB:
				sp.cols = append(sp.cols, v)
			default:
				ok = false // C broadcast along a variable no operand reads
			}
		}
		for _, v := range red {
			if !sp.aVars[v] || !sp.bVars[v] {
				ok = false
			}
		}
		if ok && len(sp.rows) > 0 && len(sp.cols) > 0 {
			out = append(out, sp)
		}
	}
	return out
}

// plainRead returns the read of a plain operand: a tensor read, possibly
// cast to acc, whose subscripts are distinct plain variables within the
// tensor's extent (statically or by a check), and whether the read is cast.
func plainRead(k *ir.Kernel, e ir.Expr, acc ir.DType) (*ir.Read, bool, bool) {
	info, ok := operand(e, acc)
	if !ok || !dimsAgree(k, info.read) {
		return nil, false, false
	}
	return info.read, info.cast, true
}

// consecutive reports whether vars are subscripts of consecutive
// dimensions of r, in that order: then their flattened index has a constant
// stride in r.
func consecutive(r *ir.Read, vars []*ir.Var) bool {
	pos := -1
	for i, sub := range r.Subs {
		if x, ok := sub.(*ir.Index); ok && x.Var == vars[0] {
			pos = i
		}
	}
	if pos < 0 || pos+len(vars) > len(r.Subs) {
		return false
	}
	for j, v := range vars {
		x, ok := r.Subs[pos+j].(*ir.Index)
		if !ok || x.Var != v {
			return false
		}
	}
	return true
}

// cGroup returns the longest run of vars (given in C's subscript order)
// that are subscripts of consecutive dimensions of C ending with the last
// of them; the others are returned as rest.
func cGroup(index []*ir.Var, vars []*ir.Var) (group, rest []*ir.Var) {
	pos := func(v *ir.Var) int { return slices.Index(index, v) }
	last := len(vars) - 1
	start := last
	for start > 0 && pos(vars[start-1]) == pos(vars[start])-1 {
		start--
	}
	return vars[start:], vars[:start]
}

// strideOfVar returns the stride of variable v in the plain read r.
func strideOfVar(r *ir.Read, v *ir.Var) Stride {
	subs := make([]*ir.Var, len(r.Subs))
	for i, s := range r.Subs {
		subs[i] = s.(*ir.Index).Var
	}
	return strideOf(r.Tensor, subs, v)
}

// reductionGroup chooses the K group and the outer reduction variables:
// every reduction variable when both operands are plain reads that keep
// them consecutive (in the order of A's subscripts), else one: the
// reduction variable with the smallest stride in a general operand (which is
// packed by evaluating it, so that consecutive k reads consecutive memory),
// else in A.
func reductionGroup(red []*ir.Var, ra, rb *ir.Read, aExpr, bExpr ir.Expr) (Group, []*ir.Var) {
	if len(red) == 1 {
		return Group{red[0]}, nil
	}
	if ra != nil && rb != nil {
		var order []*ir.Var
		for _, s := range ra.Subs {
			if v := s.(*ir.Index).Var; slices.Contains(red, v) {
				order = append(order, v)
			}
		}
		if consecutive(ra, order) && consecutive(rb, order) {
			return Group(order), nil
		}
	}
	var inner *ir.Var
	switch {
	case ra == nil:
		inner = innermostRead(aExpr, red)
	case rb == nil:
		inner = innermostRead(bExpr, red)
	}
	if inner == nil {
		inner = innermostRead(aExpr, red)
	}
	if inner == nil {
		inner = red[len(red)-1]
	}
	var outer []*ir.Var
	for _, v := range red {
		if v != inner {
			outer = append(outer, v)
		}
	}
	return Group{inner}, outer
}

// innermostRead returns the variable of vars that is a plain subscript of
// a read in e at the highest dimension (the smallest stride), or nil.
func innermostRead(e ir.Expr, vars []*ir.Var) *ir.Var {
	var found *ir.Var
	best := -1
	ir.Walk(e, func(x ir.Expr) bool {
		r, ok := x.(*ir.Read)
		if !ok {
			return true
		}
		for i, sub := range r.Subs {
			// d is -1 for the last subscript, -2 for the one before...
			if ix, ok := sub.(*ir.Index); ok && slices.Contains(vars, ix.Var) {
				if d := i - len(r.Subs); found == nil || d > best {
					found, best = ix.Var, d
				}
			}
		}
		return true
	})
	return found
}

// Match reports whether s is a contraction that the template computes
// (see the comment at the top of this file) and returns its description.
// It never modifies k or s.
func Match(k *ir.Kernel, s *ir.Stmt) (*Matmul, bool) {
	if k == nil || s == nil || s.Target == nil || s.Value == nil {
		return nil, false
	}
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
	if count != 1 || red.Op != ir.RSum || red.Where != nil || len(red.Vars) == 0 {
		return nil, false
	}
	if red.T != ir.F32 && red.T != ir.F64 && red.T != ir.I32 {
		return nil, false
	}
	fs := factors(red.Body, red.T)
	for _, f := range fs {
		if f.Type() != red.T || reads(f, s.Target) || ir.HasReduce(f) {
			return nil, false
		}
	}
	for _, v := range red.Vars {
		if slices.Contains(s.Index, v) {
			return nil, false
		}
	}
	for _, sp := range splits(fs, s.Index, red.Vars) {
		if m, ok := build(k, s, red, sp); ok {
			return m, true
		}
	}
	return nil, false
}

func reads(e ir.Expr, t *ir.Tensor) bool {
	found := false
	ir.Walk(e, func(x ir.Expr) bool {
		if r, ok := x.(*ir.Read); ok && r.Tensor == t {
			found = true
		}
		return !found
	})
	return found
}

// build describes the contraction for the split sp, or reports false.
func build(k *ir.Kernel, s *ir.Stmt, red *ir.Reduce, sp split) (*Matmul, bool) {
	acc := red.T
	aExpr, bExpr := product(sp.a, acc), product(sp.b, acc)
	var ra, rb *ir.Read
	var ca, cb bool
	if len(sp.a) == 1 {
		ra, ca, _ = plainRead(k, sp.a[0], acc)
	}
	if len(sp.b) == 1 {
		rb, cb, _ = plainRead(k, sp.b[0], acc)
	}
	rows, rowsRest := cGroup(s.Index, sp.rows)
	cols, colsRest := cGroup(s.Index, sp.cols)
	// The column group of B is its innermost variable unless B is a plain
	// read that keeps the group consecutive; likewise the rows of a plain A
	// (a general A computes its rows' variables from the flattened row).
	if len(cols) > 1 && (rb == nil || !consecutive(rb, cols)) {
		colsRest, cols = append(colsRest, cols[:len(cols)-1]...), cols[len(cols)-1:]
	}
	if len(rows) > 1 && ra != nil && !consecutive(ra, rows) {
		rowsRest, rows = append(rowsRest, rows[:len(rows)-1]...), rows[len(rows)-1:]
	}
	kg, kOuter := reductionGroup(red.Vars, ra, rb, aExpr, bExpr)
	if len(kOuter) > 0 && s.Target.Type != acc {
		return nil, false // C cannot hold the partial sums of the outer blocks
	}
	batch := append(append(append([]*ir.Var{}, sp.batch...), rowsRest...), colsRest...)
	// Keep the batch variables in C's order.
	slices.SortFunc(batch, func(x, y *ir.Var) int { return slices.Index(s.Index, x) - slices.Index(s.Index, y) })
	m := &Matmul{
		Kernel: k, Stmt: s, C: s.Target,
		IGroup: Group(rows), JGroup: Group(cols), KGroup: kg, KOuter: kOuter,
		Batch: batch, Acc: acc,
	}
	m.I, m.J, m.K = m.IGroup.Inner(), m.JGroup.Inner(), m.KGroup.Inner()
	m.M, m.N, m.KDim = m.IGroup.Dims(), m.JGroup.Dims(), m.KGroup.Dims()
	m.CRow = strideOf(s.Target, s.Index, m.I)
	m.CCol = strideOf(s.Target, s.Index, m.J)
	for _, b := range batch {
		m.CBatch = append(m.CBatch, strideOf(s.Target, s.Index, b))
	}
	m.A = newOperand(aExpr, ra, ca, m.I, m.K, batch, sp.aVars)
	m.B = newOperand(bExpr, rb, cb, m.K, m.J, batch, sp.bVars)
	if len(kOuter) > 0 {
		// Outer reduction variables shift the operands per block: they are
		// evaluated through their expressions.
		m.A.Tensor, m.B.Tensor = nil, nil
	}
	if s.Value != ir.Expr(red) {
		m.AccVar = &ir.Var{Name: "acc", Extent: ir.ConstDim(1), Pos: red.Pos}
		m.Placeholder = &ir.Index{Pos: red.Pos, Var: m.AccVar, T: red.T}
		m.Epilogue = replace(s.Value, red, m.Placeholder)
	} else if s.Target.Type != red.T {
		return nil, false
	}
	return m, true
}

// newOperand describes one operand: its expression, and for a plain read r
// (nil otherwise) its strides along the row and column variables' groups
// and the batch variables.
func newOperand(e ir.Expr, r *ir.Read, cast bool, row, col *ir.Var, batch []*ir.Var, vars map[*ir.Var]bool) Operand {
	op := Operand{Expr: e}
	for _, b := range batch {
		op.HasBatch = append(op.HasBatch, vars[b])
	}
	if r == nil {
		return op
	}
	op.Tensor, op.Cast = r.Tensor, cast
	op.Row, op.Col = strideOfVar(r, row), strideOfVar(r, col)
	for i, b := range batch {
		var st Stride
		if op.HasBatch[i] {
			st = strideOfVar(r, b)
		}
		op.Batch = append(op.Batch, st)
	}
	return op
}
