package lower

import (
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// Affine masks as loop bounds. A where-condition such as t <= s (causal
// attention), a band t >= s - w, or t < n, is a conjunct comparing the
// reduction's innermost variable with an expression that does not read it:
// rather than testing it at every point, the loop runs over the range it
// allows. What remains of the condition is tested per point.

// varRange holds inclusive lower and exclusive upper bounds of a variable, as
// integer expressions over other variables.
type varRange struct {
	lo, hi []ir.Expr
}

func (r varRange) empty() bool { return len(r.lo) == 0 && len(r.hi) == 0 }

// conjuncts returns the &&-operands of e (e itself when it is no &&).
func conjuncts(e ir.Expr) []ir.Expr {
	if b, ok := e.(*ir.Binary); ok && b.Op == ir.And {
		return append(conjuncts(b.X), conjuncts(b.Y)...)
	}
	return []ir.Expr{e}
}

// splitBounds separates from cond the conjuncts v < e, v <= e, v > e,
// v >= e (either way round) with e not reading v, as bounds of v; rest is
// the conjunction of the others (nil when there are none).
func splitBounds(cond ir.Expr, v *ir.Var) (r varRange, rest ir.Expr) {
	for _, c := range conjuncts(cond) {
		if lo, hi, ok := boundOf(c, v); ok {
			if lo != nil {
				r.lo = append(r.lo, lo)
			}
			if hi != nil {
				r.hi = append(r.hi, hi)
			}
			continue
		}
		if rest == nil {
			rest = c
		} else {
			rest = &ir.Binary{Pos: c.Position(), Op: ir.And, X: rest, Y: c, T: ir.BoolT}
		}
	}
	return r, rest
}

// boundOf returns the bound that comparison c puts on v: an inclusive lower
// or an exclusive upper bound.
func boundOf(c ir.Expr, v *ir.Var) (lo, hi ir.Expr, ok bool) {
	b, isBin := c.(*ir.Binary)
	if !isBin || !b.Op.IsCompare() {
		return nil, nil, false
	}
	op, x, y := b.Op, b.X, b.Y
	if isVar(y, v) && !isVar(x, v) {
		op, x, y = mirrorOp(op), y, x
	}
	if !isVar(x, v) || mentionsVar(y, v, nil) || y.Type() != ir.I64 {
		return nil, nil, false
	}
	one := &ir.Const{Pos: b.Pos, T: ir.I64, Int: 1}
	switch op {
	case ir.Lt:
		return nil, y, true
	case ir.Le:
		return nil, &ir.Binary{Pos: b.Pos, Op: ir.Add, X: y, Y: one, T: ir.I64}, true
	case ir.Gt:
		return &ir.Binary{Pos: b.Pos, Op: ir.Add, X: y, Y: one, T: ir.I64}, nil, true
	case ir.Ge:
		return y, nil, true
	}
	return nil, nil, false
}

func isVar(e ir.Expr, v *ir.Var) bool {
	x, ok := e.(*ir.Index)
	return ok && x.Var == v && x.T == ir.I64
}

// mirrorOp returns the comparison with its operands swapped.
func mirrorOp(op ir.Op) ir.Op {
	switch op {
	case ir.Lt:
		return ir.Gt
	case ir.Le:
		return ir.Ge
	case ir.Gt:
		return ir.Lt
	case ir.Ge:
		return ir.Le
	}
	return op
}

// loopRange returns the range [lo, hi) of a loop over a variable of extent
// ext restricted by r: lo the largest lower bound (at least 0), hi the
// smallest upper bound (at most ext).
func (b *fnb) loopRange(r varRange, ext loop.Expr) (lo, hi loop.Expr, err error) {
	lo, hi = loop.I64(0), ext
	for _, e := range r.lo {
		x, err := b.index(e)
		if err != nil {
			return nil, nil, err
		}
		lo = maxInt(lo, x)
	}
	for _, e := range r.hi {
		x, err := b.index(e)
		if err != nil {
			return nil, nil, err
		}
		hi = minInt(hi, x)
	}
	return lo, hi, nil
}

func minInt(x, y loop.Expr) loop.Expr {
	return &loop.Call{Fn: loop.Fn(ir.Min), Args: []loop.Expr{x, y}, T: loop.Int64}
}

func maxInt(x, y loop.Expr) loop.Expr {
	return &loop.Call{Fn: loop.Fn(ir.Max), Args: []loop.Expr{x, y}, T: loop.Int64}
}
