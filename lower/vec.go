package lower

import (
	"github.com/tensorcc/tcc/ir"
)

// The vectorisability analysis works on ir expressions with inlined
// intermediates expanded; ren maps an inlined statement's index variables to the
// consumer's variables they stand for.

func resolve(v *ir.Var, ren map[*ir.Var]*ir.Var) *ir.Var {
	for {
		w, ok := ren[v]
		if !ok {
			return v
		}
		v = w
	}
}

// mentionsVar reports whether e depends on v.
func mentionsVar(e ir.Expr, v *ir.Var, ren map[*ir.Var]*ir.Var) bool {
	found := false
	ir.Walk(e, func(x ir.Expr) bool {
		if ix, ok := x.(*ir.Index); ok && resolve(ix.Var, ren) == v {
			found = true
		}
		return !found
	})
	return found
}

// inlineRen returns the renaming for expanding the inlined statement s at read r.
func inlineRen(s *ir.Stmt, r *ir.Read, ren map[*ir.Var]*ir.Var) (map[*ir.Var]*ir.Var, bool) {
	m := make(map[*ir.Var]*ir.Var, len(ren)+len(s.Index))
	for k, v := range ren {
		m[k] = v
	}
	for i, v := range s.Index {
		x, ok := r.Subs[i].(*ir.Index)
		if !ok {
			return nil, false
		}
		m[v] = resolve(x.Var, ren)
	}
	return m, true
}

// vecOK reports whether e can be computed with v as the lane variable: every read
// is invariant in v or contiguous along it (v as the plain, in-range last
// subscript and nowhere else), v is used as a value only as an i32, and no
// reduction condition depends on v.
func (l *lowerer) vecOK(e ir.Expr, v *ir.Var, ren map[*ir.Var]*ir.Var) bool {
	switch e := e.(type) {
	case *ir.Index:
		return resolve(e.Var, ren) != v || e.T == ir.I32 // the lane numbers as values
	case *ir.Read:
		if s, ok := l.inline[e.Tensor]; ok {
			m, ok := inlineRen(s, e, ren)
			return ok && l.vecOK(s.Value, v, m)
		}
		last := len(e.Subs) - 1
		for i, sub := range e.Subs {
			if !mentionsVar(sub, v, ren) {
				continue
			}
			x, ok := sub.(*ir.Index)
			if i != last || !ok || !l.eq.same(x.Var.Extent, e.Tensor.Dims[i]) {
				return false
			}
		}
		return true
	case *ir.Reduce:
		if e.Where != nil && mentionsVar(e.Where, v, ren) {
			return false
		}
		return l.vecOK(e.Body, v, ren)
	}
	for _, c := range ir.Children(e) {
		if !l.vecOK(c, v, ren) {
			return false
		}
	}
	return true
}

// vecLanes returns the number of lanes a vector computation of e along the lane
// variable v uses on the target: the vector width divided by the widest element
// type involved. A reduction that depends on v is computed inside the vector
// loop with an accumulator of its accumulator type (f64 for f32 sums and
// products, see wideAcc), which counts as involved.
func (l *lowerer) vecLanes(e ir.Expr, v *ir.Var) int {
	if l.t.VectorBits == 0 {
		return 1
	}
	bits := l.maxBits(e, v, nil, map[*ir.Tensor]bool{})
	if bits == 0 {
		bits = 32
	}
	return l.t.VectorBits / bits
}

func (l *lowerer) maxBits(e ir.Expr, v *ir.Var, ren map[*ir.Var]*ir.Var, seen map[*ir.Tensor]bool) int {
	m := 0
	ir.Walk(e, func(x ir.Expr) bool {
		t := x.Type()
		if t.Class != ir.Bool && t.Bits > m {
			m = t.Bits
		}
		if v != nil && !mentionsVar(x, v, ren) && !l.readsInlined(x) {
			// Computed once as a scalar and broadcast: only its own type
			// takes lanes (a condition on outer indices takes none).
			return false
		}
		if r, ok := x.(*ir.Read); ok {
			if s, ok := l.inline[r.Tensor]; ok && !seen[r.Tensor] {
				seen[r.Tensor] = true
				sren, ok := inlineRen(s, r, ren)
				if !ok {
					sren = ren
				}
				if n := l.maxBits(s.Value, v, sren, seen); n > m {
					m = n
				}
			}
			return false // subscripts are computed as scalars
		}
		if r, ok := x.(*ir.Reduce); ok {
			if wideAcc(r) && v != nil && mentionsVar(r, v, ren) && m < 64 {
				m = 64
			}
			if r.Where != nil {
				if n := l.maxBits(r.Body, v, ren, seen); n > m {
					m = n
				}
				return false
			}
		}
		return true
	})
	return m
}

// readsInlined reports whether e reads an inlined intermediate (whose
// expansion may depend on the lane variable through its own indices).
func (l *lowerer) readsInlined(e ir.Expr) bool {
	found := false
	ir.Walk(e, func(x ir.Expr) bool {
		if r, ok := x.(*ir.Read); ok && l.inline[r.Tensor] != nil {
			found = true
		}
		return !found
	})
	return found
}

// zeroPreserving reports whether e is zero on every lane where each load along v
// reads zero (a masked-off tail lane), so that a Count tail of a sum is exact.
func (l *lowerer) zeroPreserving(e ir.Expr, v *ir.Var, ren map[*ir.Var]*ir.Var) bool {
	switch e := e.(type) {
	case *ir.Read:
		if s, ok := l.inline[e.Tensor]; ok {
			m, ok := inlineRen(s, e, ren)
			return ok && l.zeroPreserving(s.Value, v, m)
		}
		return len(e.Subs) > 0 && mentionsVar(e.Subs[len(e.Subs)-1], v, ren)
	case *ir.Cast:
		return l.zeroPreserving(e.X, v, ren)
	case *ir.Unary:
		return e.Op == ir.Neg && l.zeroPreserving(e.X, v, ren)
	case *ir.Binary:
		x, y := l.zeroPreserving(e.X, v, ren), l.zeroPreserving(e.Y, v, ren)
		switch e.Op {
		case ir.Add, ir.Sub:
			return x && y
		case ir.Mul:
			if e.T.IsFloat() {
				return x && y // 0 * inf is NaN: both factors must vanish
			}
			return x || y
		}
	case *ir.Call:
		switch e.Fn {
		case ir.Abs, ir.Relu:
			return l.zeroPreserving(e.Args[0], v, ren)
		}
	}
	return false
}
