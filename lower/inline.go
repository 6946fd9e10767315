package lower

import (
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/schedule/gemm"
)

// maxInlineNodes bounds the size of an intermediate's expression that is
// recomputed at every read.
const maxInlineNodes = 16

// chooseInlining decides which intermediates are computed inside their
// consumers instead of being materialised (the default plan's Inline): of
// the inlinable ones, those that are cheap or read exactly once at the
// consumer's own point (so nothing is recomputed).
func (l *lowerer) chooseInlining() {
	ok := l.inlinable()
	uses := l.tempUses()
	for _, t := range l.k.Temps {
		s := l.defs[t]
		u := uses[t]
		if !ok[t] {
			continue
		}
		cheap := nodeCount(s.Value) <= maxInlineNodes && !ir.CallsTranscendental(s.Value)
		if cheap || (u.reads == 1 && u.samePt) || u.reads == 0 {
			l.inline[t] = s
		}
	}
}

// tempUse describes the reads of an intermediate.
type tempUse struct {
	reads  int
	ok     bool // every read uses plain index variables that cover its extent
	samePt bool // every read is at the consumer's left-side point, outside reductions
}

// tempUses returns how each intermediate is read.
func (l *lowerer) tempUses() map[*ir.Tensor]*tempUse {
	uses := map[*ir.Tensor]*tempUse{}
	for _, t := range l.k.Temps {
		uses[t] = &tempUse{ok: true, samePt: true}
	}
	for _, s := range l.k.Stmts {
		var visit func(e ir.Expr, inReduce bool)
		visit = func(e ir.Expr, inReduce bool) {
			switch e := e.(type) {
			case *ir.Read:
				if u := uses[e.Tensor]; u != nil {
					u.reads++
					if !l.plainInRange(e) {
						u.ok = false
					}
					if inReduce || !sameLeftPoint(s, e) {
						u.samePt = false
					}
				}
			case *ir.Reduce:
				if e.Where != nil {
					visit(e.Where, true)
				}
				visit(e.Body, true)
				return
			}
			for _, c := range ir.Children(e) {
				visit(c, inReduce)
			}
		}
		visit(s.Value, false)
	}
	return uses
}

// inlinable returns the intermediates that may be inlined: their statement
// has no reduction, every read of them uses plain index variables that
// provably cover their extent (so no out-of-range zero can occur), and no
// GEMM reads them in place.
func (l *lowerer) inlinable() map[*ir.Tensor]bool {
	ok := map[*ir.Tensor]bool{}
	uses := l.tempUses()
	operands := l.gemmOperands()
	for _, t := range l.k.Temps {
		s := l.defs[t]
		ok[t] = s != nil && uses[t].ok && !ir.HasReduce(s.Value) && !operands[t]
	}
	return ok
}

// gemmOperands returns the tensors that a statement the GEMM schedule takes
// reads as a matrix operand: they must be materialised, since the GEMM packs
// its operands from buffers. (An elementwise prologue computed inside the
// pack is the contraction template's job.)
func (l *lowerer) gemmOperands() map[*ir.Tensor]bool {
	ops := map[*ir.Tensor]bool{}
	for _, s := range l.k.Stmts {
		if m, ok := gemm.Match(l.k, s); ok {
			if m.A.Plain() {
				ops[m.A.Tensor] = true
			}
			if m.B.Plain() {
				ops[m.B.Tensor] = true
			}
		}
	}
	return ops
}

// plainInRange reports whether every subscript of r is a plain index variable
// whose extent equals the tensor's dimension.
func (l *lowerer) plainInRange(r *ir.Read) bool {
	if len(r.Subs) != len(r.Tensor.Dims) {
		return false
	}
	for i, sub := range r.Subs {
		x, ok := sub.(*ir.Index)
		if !ok || !l.eq.same(x.Var.Extent, r.Tensor.Dims[i]) {
			return false
		}
	}
	return true
}

// sameLeftPoint reports whether r reads at s's left-side index point.
func sameLeftPoint(s *ir.Stmt, r *ir.Read) bool {
	if len(r.Subs) != len(s.Index) {
		return false
	}
	for i, sub := range r.Subs {
		x, ok := sub.(*ir.Index)
		if !ok || x.Var != s.Index[i] {
			return false
		}
	}
	return true
}

func nodeCount(e ir.Expr) int {
	n := 0
	ir.Walk(e, func(ir.Expr) bool { n++; return true })
	return n
}
