package interp

import (
	"errors"
	"fmt"
	"math"

	"github.com/tensorcc/tcc/ir"
)

// space iterates over the points of a reduction's variables in row-major order.
type space struct {
	vars  []int64
	slots []int
	ext   []int64
}

// first sets every variable to 0 and reports whether the space is non-empty.
func (s *space) first() bool {
	for j, sl := range s.slots {
		if s.ext[j] <= 0 {
			return false
		}
		s.vars[sl] = 0
	}
	return true
}

// next advances to the next point and reports whether there is one.
func (s *space) next() bool {
	for j := len(s.slots) - 1; j >= 0; j-- {
		sl := s.slots[j]
		s.vars[sl]++
		if s.vars[sl] < s.ext[j] {
			return true
		}
		s.vars[sl] = 0
	}
	return false
}

// reduce compiles a (possibly masked) reduction. Float sums use Neumaier
// compensated summation; integer sums and products wrap at the compute width.
func (m *machine) reduce(e *ir.Reduce) (code, error) {
	if len(e.Vars) == 0 {
		return code{}, errors.New("reduction without variables")
	}
	sp := &space{vars: m.vars, slots: make([]int, len(e.Vars)), ext: make([]int64, len(e.Vars))}
	for j, v := range e.Vars {
		sl, err := m.varSlot(v)
		if err != nil {
			return code{}, err
		}
		sp.slots[j] = sl
		sp.ext[j] = int64(v.Extent.Eval(m.sizes))
	}
	var where func() bool
	if e.Where != nil {
		c, err := m.compile(e.Where)
		if err != nil {
			return code{}, err
		}
		if c.b == nil {
			return code{}, errors.New("where-condition is not a Bool")
		}
		where = c.b
	}
	if e.Body == nil {
		return code{}, errors.New("reduction without a body")
	}
	cs, err := m.operands(e.T, e.Body)
	if err != nil {
		return code{}, err
	}
	body := cs[0]
	if f := body.f; f != nil {
		return floatReduce(e.Op, sp, where, f)
	}
	if f := body.i; f != nil {
		return intReduce(e.Op, e.T, sp, where, f)
	}
	return code{}, fmt.Errorf("%v reduction of Bool", e.Op)
}

func floatReduce(op ir.ReduceOp, sp *space, where func() bool, body func() float64) (code, error) {
	switch op {
	case ir.RSum:
		return floatCode(func() float64 {
			var s, c float64
			for ok := sp.first(); ok; ok = sp.next() {
				if where != nil && !where() {
					continue
				}
				x := body()
				t := s + x
				if math.Abs(s) >= math.Abs(x) {
					c += (s - t) + x
				} else {
					c += (x - t) + s
				}
				s = t
			}
			if math.IsInf(s, 0) || math.IsNaN(s) {
				return s // the compensation is meaningless (inf - inf)
			}
			return s + c
		}), nil
	case ir.RProd:
		return floatCode(func() float64 {
			p := 1.0
			for ok := sp.first(); ok; ok = sp.next() {
				if where == nil || where() {
					p *= body()
				}
			}
			return p
		}), nil
	case ir.RMax:
		return floatCode(func() float64 {
			acc := math.Inf(-1)
			for ok := sp.first(); ok; ok = sp.next() {
				if where == nil || where() {
					if x := body(); x > acc || x != x {
						acc = x
					}
				}
			}
			return acc
		}), nil
	case ir.RMin:
		return floatCode(func() float64 {
			acc := math.Inf(1)
			for ok := sp.first(); ok; ok = sp.next() {
				if where == nil || where() {
					if x := body(); x < acc || x != x {
						acc = x
					}
				}
			}
			return acc
		}), nil
	}
	return code{}, fmt.Errorf("unknown reduction %v", op)
}

func intReduce(op ir.ReduceOp, t ir.DType, sp *space, where func() bool, body func() int64) (code, error) {
	w := wrap(t)
	if w == nil {
		w = func(x int64) int64 { return x }
	}
	lo, hi := intRange(t)
	switch op {
	case ir.RSum:
		// Wrapping is a ring homomorphism, so wrapping once at the end equals
		// wrapping after every step.
		return intCode(func() int64 {
			var s int64
			for ok := sp.first(); ok; ok = sp.next() {
				if where == nil || where() {
					s += body()
				}
			}
			return w(s)
		}), nil
	case ir.RProd:
		return intCode(func() int64 {
			p := int64(1)
			for ok := sp.first(); ok; ok = sp.next() {
				if where == nil || where() {
					p *= body()
				}
			}
			return w(p)
		}), nil
	case ir.RMax:
		return intCode(func() int64 {
			acc := lo
			for ok := sp.first(); ok; ok = sp.next() {
				if where == nil || where() {
					acc = max(acc, body())
				}
			}
			return acc
		}), nil
	case ir.RMin:
		return intCode(func() int64 {
			acc := hi
			for ok := sp.first(); ok; ok = sp.next() {
				if where == nil || where() {
					acc = min(acc, body())
				}
			}
			return acc
		}), nil
	}
	return code{}, fmt.Errorf("unknown reduction %v", op)
}
