package loop

import (
	"github.com/tensorcc/tcc/internal/rt"
	"github.com/tensorcc/tcc/ir"
)

// Int64 is the scalar type of sizes, loop variables and element indices.
var Int64 = Scalar(ir.I64)

// Bool is the scalar type of conditions and guards.
var Bool = Scalar(ir.BoolT)

// I64 returns the Int64 constant n.
func I64(n int64) *Const { return &Const{T: Int64, Int: n} }

// R returns a reference to v.
func R(v *Var) *Ref { return &Ref{Var: v} }

// NewVar returns a new variable of type t.
func NewVar(name string, t Type) *Var { return &Var{Name: name, T: t} }

// Add returns x + y with x's type, folding Int64 constants and zeros.
func Add(x, y Expr) Expr {
	if c, ok := intConst(y); ok && c == 0 {
		return x
	}
	if c, ok := intConst(x); ok && c == 0 {
		return y
	}
	if a, ok := intConst(x); ok {
		if b, ok := intConst(y); ok {
			return &Const{T: x.Type(), Int: a + b}
		}
	}
	return &Bin{Op: ir.Add, X: x, Y: y, T: x.Type()}
}

// Sub returns x - y with x's type, folding Int64 constants.
func Sub(x, y Expr) Expr {
	if c, ok := intConst(y); ok && c == 0 {
		return x
	}
	if a, ok := intConst(x); ok {
		if b, ok := intConst(y); ok {
			return &Const{T: x.Type(), Int: a - b}
		}
	}
	return &Bin{Op: ir.Sub, X: x, Y: y, T: x.Type()}
}

// Mul returns x * y with x's type, folding Int64 constants, ones and zeros.
func Mul(x, y Expr) Expr {
	if c, ok := intConst(y); ok && c == 1 {
		return x
	}
	if c, ok := intConst(x); ok && c == 1 {
		return y
	}
	if c, ok := intConst(x); ok && c == 0 {
		return x
	}
	if c, ok := intConst(y); ok && c == 0 {
		return y
	}
	if a, ok := intConst(x); ok {
		if b, ok := intConst(y); ok {
			return &Const{T: x.Type(), Int: a * b}
		}
	}
	return &Bin{Op: ir.Mul, X: x, Y: y, T: x.Type()}
}

// Div returns the floor division x / y with x's type, folding Int64 constants.
func Div(x, y Expr) Expr {
	if c, ok := intConst(y); ok && c == 1 {
		return x
	}
	if a, ok := intConst(x); ok {
		if b, ok := intConst(y); ok && b > 0 {
			return &Const{T: x.Type(), Int: rt.FloorDiv(a, b)}
		}
	}
	return &Bin{Op: ir.Div, X: x, Y: y, T: x.Type()}
}

// Cmp returns the scalar or vector Bool comparison x op y.
func Cmp(op ir.Op, x, y Expr) Expr {
	return &Bin{Op: op, X: x, Y: y, T: Type{Elem: ir.BoolT, Lanes: x.Type().Lanes}}
}

// And returns x && y, dropping a nil operand.
func And(x, y Expr) Expr {
	if x == nil {
		return y
	}
	if y == nil {
		return x
	}
	return &Bin{Op: ir.And, X: x, Y: y, T: x.Type()}
}

func intConst(e Expr) (int64, bool) {
	c, ok := e.(*Const)
	if !ok || c.T != Int64 {
		return 0, false
	}
	return c.Int, true
}

// ReadAs returns the value of ld converted to elementwise type t (ld itself
// when its type is t). A guarded load whose guard fails gives zero bits,
// which for a type whose zero encoding is not the value 0 (ue8m0) would be a
// non-zero value; then the result selects the value 0 explicitly.
func ReadAs(ld *Load, t Type) Expr {
	var x Expr = ld
	if ld.T.Elem != t.Elem {
		x = &Cast{X: ld, T: t}
	}
	if ld.Guard == nil || ld.T.Elem.ZeroIsZero() {
		return x
	}
	g := ld.Guard
	if t.Lanes > 1 && g.Type().Lanes == 1 {
		g = &Broadcast{X: g, T: Vec(ir.BoolT, t.Lanes)}
	}
	return &Select{Cond: g, A: x, B: &Const{T: t}, T: t}
}
