// Package gemm recognises matrix-multiplication statements (any operand
// transposition written through the subscripts, batch dimensions, fused
// epilogues) and lowers them BLIS-style to the loop-level IR: cache-blocked loops,
// operand panels packed into scratch buffers whose layout comes from package
// layout, and a register-blocked micro-kernel sized for the target's register file.
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
}
