// Package gemm recognises matrix-multiplication statements (any operand
// transposition written through the subscripts, batch dimensions, fused
// epilogues) and lowers them BLIS-style to the loop-level IR: cache-blocked loops,
// operand panels packed into scratch buffers whose layout comes from package
// layout, and a register-blocked micro-kernel sized for the target's register file.
//
// Match recognises
//
//	C[b..., i, j] = f(sum(k: A[.., i, k] * B[.., k, j]))
//
// for f32, f64 and integer operands cast to i32 (i8 x i8 -> i32), where every
// operand subscript is a plain variable and f is elementwise. Lower then emits,
// for the portable Go target, one parallel step over (batch group, NC block)
// pairs running NC -> KC -> pack B -> MC -> pack A -> NR x MR micro-tiles, with a
// 3 x 3 scalar register tile (see Choose); for vector targets three parallel
// steps (pack all B panels, pack all A blocks, compute) whose loop nests are
// shallow enough for an assembler that keeps every scalar in a register. Both
// sum each output element's k terms in the same order whatever the split of the
// parallel range, so results do not depend on the thread count. Partial sums of
// later KC blocks are added to C; the epilogue runs at the last KC block, element
// by element, through Env.Expr with Matmul.AccVar bound to the accumulated value.
// When C's type is not the accumulator's (a fused cast), K is not blocked.
//
// i8 GEMMs use the AVX512-VNNI dot product (loop.DotU8S8) on targets with
// Target.VNNI: A is biased to u8 by +128 and corrected with 128 times B's
// column sums, operands are packed four k-steps to an i32 word. Without VNNI
// i8 GEMMs multiply-add in i32 vectors.
//
// On vector targets (buildFlat) the micro-kernel is vmicro: one unrolled k
// loop per way of reading B, full tiles stored with whole vectors, edge tiles
// and epilogues finished from a small scratch tile by one scalar loop. GEMV
// shapes have parallel steps of their own, chosen at run time (the other
// steps then have no work): M == 1 with B's rows contiguous streams B row by
// row over a few wide column blocks (gemvRow); M == 1 with a transposed B,
// and N == 1, compute dot products of contiguous rows, several rows at a
// time (gemvDot).
package gemm

import (
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// Env gives the matmul schedule access to the enclosing lowering (package lower),
// which owns the loop.Kernel being built.
type Env interface {
	// Target is the machine being scheduled for.
	Target() loop.Target
	// Buf returns the buffer that holds tensor t.
	Buf(t *ir.Tensor) *loop.Buf
	// Size returns the variable holding size symbol s.
	Size(s *ir.Size) *loop.Var
	// Dim returns d's value as an Int64 expression.
	Dim(d ir.Dim) loop.Expr
	// NewScratch adds a scratch buffer of n elements to the kernel.
	NewScratch(name string, elem ir.DType, n loop.Expr) *loop.Buf
	// Expr lowers an ir value expression (for epilogues) with the ir variables in
	// bind replaced by loop expressions; lanes > 1 asks for a vector expression
	// (bound expressions are then vectors or broadcast scalars). The result has the
	// expression's compute type.
	Expr(e ir.Expr, bind map[*ir.Var]loop.Expr, lanes int) (loop.Expr, error)
	// ExprAlong is Expr vectorised along the variable lane (its binding is
	// lane 0's value; lane i stands for that value plus i), reading only
	// the first count lanes when count is not nil.
	ExprAlong(e ir.Expr, bind map[*ir.Var]loop.Expr, lane *ir.Var, lanes int, count loop.Expr) (loop.Expr, error)
}
