package passes

import "github.com/tensorcc/tcc/ir"

// DeadCode removes the statements defining intermediates that no output depends
// on, and those intermediates.
func DeadCode(k *ir.Kernel) error {
	live := make(map[*ir.Tensor]bool)
	for _, o := range k.Outputs {
		live[o] = true
	}
	keep := make([]bool, len(k.Stmts))
	for i := len(k.Stmts) - 1; i >= 0; i-- {
		s := k.Stmts[i]
		if !live[s.Target] {
			continue
		}
		keep[i] = true
		ir.Walk(s.Value, func(e ir.Expr) bool {
			if r, ok := e.(*ir.Read); ok {
				live[r.Tensor] = true
			}
			return true
		})
	}
	stmts := k.Stmts[:0]
	for i, s := range k.Stmts {
		if keep[i] {
			stmts = append(stmts, s)
		}
	}
	k.Stmts = stmts
	temps := k.Temps[:0]
	for _, t := range k.Temps {
		if live[t] {
			t.Index = len(temps)
			temps = append(temps, t)
		}
	}
	k.Temps = temps
	return nil
}
