package gemm

import (
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// Small constructors for Int64 index arithmetic in the loop IR.

var (
	tI64  = loop.Scalar(ir.I64)
	tBool = loop.Scalar(ir.BoolT)
)

func i64(v int64) loop.Expr { return &loop.Const{T: tI64, Int: v} }

func ref(v *loop.Var) loop.Expr { return &loop.Ref{Var: v} }

func bin(op ir.Op, x, y loop.Expr) loop.Expr {
	return &loop.Bin{Op: op, X: x, Y: y, T: x.Type()}
}

func add(x, y loop.Expr) loop.Expr {
	if c, ok := y.(*loop.Const); ok && c.T == tI64 && c.Int == 0 {
		return x
	}
	if c, ok := x.(*loop.Const); ok && c.T == tI64 && c.Int == 0 {
		return y
	}
	return bin(ir.Add, x, y)
}

func sub(x, y loop.Expr) loop.Expr { return bin(ir.Sub, x, y) }

func mul(x, y loop.Expr) loop.Expr {
	if c, ok := y.(*loop.Const); ok && c.T == tI64 {
		switch c.Int {
		case 0:
			return i64(0)
		case 1:
			return x
		}
	}
	if c, ok := x.(*loop.Const); ok && c.T == tI64 {
		switch c.Int {
		case 0:
			return i64(0)
		case 1:
			return y
		}
	}
	return bin(ir.Mul, x, y)
}

func div(x, y loop.Expr) loop.Expr { return bin(ir.Div, x, y) }

func mod(x, y loop.Expr) loop.Expr { return bin(ir.Mod, x, y) }

func cmp(op ir.Op, x, y loop.Expr) loop.Expr {
	return &loop.Bin{Op: op, X: x, Y: y, T: tBool}
}

func or(x, y loop.Expr) loop.Expr { return &loop.Bin{Op: ir.Or, X: x, Y: y, T: tBool} }

func and(x, y loop.Expr) loop.Expr {
	if x == nil {
		return y
	}
	if y == nil {
		return x
	}
	return &loop.Bin{Op: ir.And, X: x, Y: y, T: tBool}
}

func minE(x, y loop.Expr) loop.Expr {
	return &loop.Select{Cond: cmp(ir.Lt, x, y), A: x, B: y, T: x.Type()}
}

func maxE(x, y loop.Expr) loop.Expr {
	return &loop.Select{Cond: cmp(ir.Gt, x, y), A: x, B: y, T: x.Type()}
}

// ceilDiv returns ceil(x / n) for x >= 0 and n > 0.
func ceilDiv(x loop.Expr, n int64) loop.Expr {
	if n == 1 {
		return x
	}
	return div(add(x, i64(n-1)), i64(n))
}

// roundUp returns x rounded up to a multiple of n.
func roundUp(x loop.Expr, n int64) loop.Expr {
	if n == 1 {
		return x
	}
	return mul(ceilDiv(x, n), i64(n))
}
