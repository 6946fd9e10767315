// Package passes holds tcc's tensor-level rewrites: each Pass transforms an
// ir.Kernel in place and leaves it valid (ir.Verify). The pipeline runs after the
// front end and before lowering to the loop-level IR; `tcc explain` prints the
// kernel after each pass.
//
// Operator-cascade fusion (online softmax, flash attention, FFT convolution,
// low-bit GEMM) arrives as further passes in later versions; this version has the
// clean-ups every later pass relies on.
package passes

import (
	"fmt"

	"github.com/tensorcc/tcc/ir"
)

// Pass is one tensor-level rewrite.
type Pass struct {
	Name string
	Doc  string
	Run  func(k *ir.Kernel) error
}

// Default returns the standard pipeline in order.
func Default() []Pass {
	return []Pass{
		{Name: "fold", Doc: "fold constant subexpressions and trivial identities", Run: Fold},
		{Name: "hoist", Doc: "compute costly subexpressions that miss some of their statement's indices once, as intermediates", Run: HoistInvariant},
		{Name: "dce", Doc: "drop intermediates that no output depends on", Run: DeadCode},
	}
}

// Run applies ps to k in order and verifies the kernel after each; after, if not
// nil, is called with each pass's name and the kernel it produced.
func Run(k *ir.Kernel, ps []Pass, after func(name string, k *ir.Kernel)) error {
	for _, p := range ps {
		if err := p.Run(k); err != nil {
			return fmt.Errorf("pass %s on kernel %s: %w", p.Name, k.Name, err)
		}
		if err := ir.Verify(k); err != nil {
			return fmt.Errorf("pass %s left kernel %s invalid: %w", p.Name, k.Name, err)
		}
		if after != nil {
			after(p.Name, k)
		}
	}
	return nil
}
