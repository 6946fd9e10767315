package legalize

import (
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// Byte dot products in the signedness a target lacks, through the one it
// has (Caps.Dot4, today x86's u8 x s8 VPDPBUSD). With x ^ 0x80 per byte,
// a signed byte s reads as the unsigned s + 128 and an unsigned byte u as
// the signed u - 128, so
//
//	s8·s8: dot(a, b) = dotU8S8(a ^ 0x80.., b) - 128·dotU8S8(0x01.., b)
//	u8·u8: dot(a, b) = dotU8S8(a, b ^ 0x80..) + 128·dotU8S8(a, 0x01..)
//	s8·u8: dot(a, b) = dotU8S8(b, a)
//
// with the accumulator in the first dot product; all of it wraps at 32
// bits exactly as the definition does.

func matchDot(e loop.Expr, c Caps) bool {
	x, ok := e.(*loop.Call)
	return ok && x.Fn.IsDot4() && c.Dot4 == loop.DotU8S8 && x.Fn != loop.DotU8S8
}

func expandDot(e loop.Expr, _ Caps) loop.Expr {
	x := e.(*loop.Call)
	a, b, acc := x.Args[0], x.Args[1], x.Args[2]
	t := x.T
	k := func(v int64) loop.Expr { return &loop.Const{T: t, Int: v} }
	dot := func(a, b, c loop.Expr) loop.Expr {
		return &loop.Call{Fn: loop.DotU8S8, Args: []loop.Expr{a, b, c}, T: t}
	}
	flip := func(v loop.Expr) loop.Expr {
		return &loop.Call{Fn: loop.BitXor, Args: []loop.Expr{v, k(-0x7f7f7f80)}, T: t} // 0x80808080
	}
	times128 := func(v loop.Expr) loop.Expr {
		return &loop.Call{Fn: loop.Shl, Args: []loop.Expr{v, k(7)}, T: t}
	}
	ones := k(0x01010101)
	switch x.Fn {
	case loop.DotS8U8:
		return dot(b, a, acc)
	case loop.DotS8S8:
		sum := dot(ones, loop.CloneExpr(b), k(0))
		return &loop.Bin{Op: ir.Sub, X: dot(flip(a), b, acc), Y: times128(sum), T: t}
	default: // DotU8U8
		sum := dot(loop.CloneExpr(a), ones, k(0))
		return &loop.Bin{Op: ir.Add, X: dot(a, flip(b), acc), Y: times128(sum), T: t}
	}
}
