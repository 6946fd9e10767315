package ir

// Work is what one evaluation of an expression costs, in a number system
// T: Flops counts one per +, -, * and / and one per function call, and one
// per point combined into a reduction (so a multiply-add summed counts 2);
// Reads counts the tensor reads. Every point of a reduction is counted.
// `tcc bench` (concrete sizes, float64) and the schedule's cost fields
// (expressions over the size variables) count with this one definition.
type Work[T any] struct {
	Flops, Reads T
}

// Arith is the number system Work is counted in.
type Arith[T any] interface {
	// Int is the number n.
	Int(n int64) T
	// Add and Mul are the sum and the product.
	Add(a, b T) T
	Mul(a, b T) T
	// Extent is the number of values of index variable v.
	Extent(v *Var) (T, error)
}

// CountWork returns the work of one evaluation of e. inline, when not
// nil, gives for a read of an intermediate computed where it is read the
// expression that computes it (counted in place of the read; an
// intermediate inside its own definition is counted as a read).
func CountWork[T any](e Expr, a Arith[T], inline func(*Read) Expr) (Work[T], error) {
	c := workCounter[T]{a: a, inline: inline, seen: map[*Tensor]bool{}}
	return c.count(e)
}

type workCounter[T any] struct {
	a      Arith[T]
	inline func(*Read) Expr
	seen   map[*Tensor]bool
}

func (c workCounter[T]) count(e Expr) (Work[T], error) {
	a := c.a
	switch e := e.(type) {
	case *Read:
		if c.inline != nil && !c.seen[e.Tensor] {
			if def := c.inline(e); def != nil {
				c.seen[e.Tensor] = true
				w, err := c.count(def)
				delete(c.seen, e.Tensor)
				return w, err
			}
		}
		return Work[T]{Flops: a.Int(0), Reads: a.Int(1)}, nil
	case *Reduce:
		w, err := c.count(e.Body)
		if err != nil {
			return w, err
		}
		w.Flops = a.Add(w.Flops, a.Int(1))
		for _, v := range e.Vars {
			n, err := a.Extent(v)
			if err != nil {
				return w, err
			}
			w.Flops, w.Reads = a.Mul(w.Flops, n), a.Mul(w.Reads, n)
		}
		return w, nil
	}
	own := int64(0)
	switch e := e.(type) {
	case *Binary:
		switch e.Op {
		case Add, Sub, Mul, Div:
			own = 1
		}
	case *Call:
		own = 1
	}
	w := Work[T]{Flops: a.Int(own), Reads: a.Int(0)}
	for _, ch := range Children(e) {
		cw, err := c.count(ch)
		if err != nil {
			return w, err
		}
		w.Flops, w.Reads = a.Add(w.Flops, cw.Flops), a.Add(w.Reads, cw.Reads)
	}
	return w, nil
}
