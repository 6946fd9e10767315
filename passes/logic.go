package passes

import (
	"math"
	"slices"

	"github.com/tensorcc/tcc/ir"
)

// Folding of conditions. A condition such as `i != 1 || i != 2` (always
// true) or `i == 1 && i == 2` (always false) is legal and means what it
// says, but Go's vet rejects the generated code that spells it out, and a
// condition that is constant, or equal to one of its halves, is better
// decided at compile time anyway. foldLogic decides an && or || of two
// comparisons of the same integer expression with integer constants.

// intCmp is a comparison x op c of an integer expression x with a constant.
type intCmp struct {
	x  ir.Expr
	op ir.Op
	c  int64
}

// asIntCmp recognises x op c and c op x (turned around).
func asIntCmp(e ir.Expr) (intCmp, bool) {
	b, ok := e.(*ir.Binary)
	if !ok || !b.Op.IsCompare() || !b.X.Type().IsInteger() {
		return intCmp{}, false
	}
	if c, ok := b.Y.(*ir.Const); ok {
		return intCmp{b.X, b.Op, c.Int}, true
	}
	if c, ok := b.X.(*ir.Const); ok {
		return intCmp{b.Y, mirror(b.Op), c.Int}, true
	}
	return intCmp{}, false
}

// mirror returns the comparison with its operands swapped.
func mirror(op ir.Op) ir.Op {
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

// at reports whether the comparison holds for x == v.
func (c intCmp) at(v int64) bool {
	switch {
	case v < c.c:
		return holds(c.op, -1)
	case v > c.c:
		return holds(c.op, 1)
	}
	return holds(c.op, 0)
}

// foldLogic simplifies e, an && or || of Bool operands, when both are
// comparisons of the same integer expression with constants: to a constant
// when the result is the same for every value of the expression, or to one
// operand when the other adds nothing. Both predicates change value only at
// their constants, so testing the constants, their neighbours and points
// far outside decides every integer.
func foldLogic(e *ir.Binary) ir.Expr {
	a, ok1 := asIntCmp(e.X)
	b, ok2 := asIntCmp(e.Y)
	if !ok1 || !ok2 || !ir.SameExpr(a.x, b.x) {
		if ir.SameExpr(e.X, e.Y) {
			return e.X // e && e, e || e
		}
		return e
	}
	var pts []int64
	for _, c := range []int64{a.c, b.c} {
		if c > math.MinInt64+1 && c < math.MaxInt64-1 {
			pts = append(pts, c-1, c, c+1)
		}
	}
	pts = append(pts, math.MinInt64, math.MaxInt64)
	slices.Sort(pts)
	always, never, isA, isB := true, true, true, true
	for _, v := range pts {
		av, bv := a.at(v), b.at(v)
		r := av && bv
		if e.Op == ir.Or {
			r = av || bv
		}
		always = always && r
		never = never && !r
		isA = isA && r == av
		isB = isB && r == bv
	}
	switch {
	case always:
		return &ir.Const{Pos: e.Pos, T: ir.BoolT, Int: 1}
	case never:
		return &ir.Const{Pos: e.Pos, T: ir.BoolT, Int: 0}
	case isA:
		return e.X
	case isB:
		return e.Y
	}
	return e
}
