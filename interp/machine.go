package interp

import (
	"fmt"

	"github.com/tensorcc/tcc/ir"
)

// store holds one tensor's values: f for float types, i for integer types. For a
// float output, exact holds the values before the final rounding.
type store struct {
	t       *ir.Tensor
	dims    []int
	strides []int
	f       []float64
	i       []int64
	exact   []float64
}

func newStore(t *ir.Tensor, sizes []int, count int) (*store, error) {
	s := &store{t: t, dims: make([]int, len(t.Dims)), strides: make([]int, len(t.Dims))}
	stride := 1
	for j := len(t.Dims) - 1; j >= 0; j-- {
		s.dims[j] = t.Dims[j].Eval(sizes)
		s.strides[j] = stride
		stride *= s.dims[j]
	}
	if t.Kind == ir.Input || t.Kind == ir.Scalar {
		return s, nil // filled by decode
	}
	r, err := repOf(t.Type)
	if err != nil || r == repBool {
		return nil, fmt.Errorf("%s %s: unsupported element type %s", t.Kind, t.Name, t.Type)
	}
	if r == repFloat {
		s.f = make([]float64, count)
		if t.Kind == ir.Output {
			s.exact = make([]float64, count)
		}
	} else {
		s.i = make([]int64, count)
	}
	return s, nil
}

// machine evaluates one call of a kernel. Index variables live in vars, at the slot
// the compiler gave them; the compiled closures capture vars and the stores.
type machine struct {
	k      *ir.Kernel
	sizes  []int
	stores map[*ir.Tensor]*store
	vars   []int64
	slots  map[*ir.Var]int
}

// run compiles and executes the statements in order.
func (m *machine) run() error {
	if err := m.validate(); err != nil {
		return fmt.Errorf("%s: %w", m.k.Name, err)
	}
	m.slots = make(map[*ir.Var]int)
	// Give every variable of every statement a slot first, so that vars is never
	// reallocated after closures captured it.
	for _, s := range m.k.Stmts {
		if s == nil || s.Target == nil || s.Value == nil {
			return fmt.Errorf("%s: malformed statement", m.k.Name)
		}
		for _, v := range s.Index {
			m.slot(v)
		}
		var err error
		ir.Walk(s.Value, func(e ir.Expr) bool {
			if r, ok := e.(*ir.Reduce); ok {
				for _, v := range r.Vars {
					if v == nil {
						err = fmt.Errorf("%s: nil reduction variable", m.k.Name)
						return false
					}
					m.slot(v)
				}
			}
			return true
		})
		if err != nil {
			return err
		}
	}
	m.vars = make([]int64, len(m.slots))
	for _, s := range m.k.Stmts {
		if err := m.stmt(s); err != nil {
			return fmt.Errorf("%s: %v: statement %s: %w", m.k.Name, s.Pos, s.Target.Name, err)
		}
	}
	return nil
}

func (m *machine) slot(v *ir.Var) int {
	if j, ok := m.slots[v]; ok {
		return j
	}
	j := len(m.slots)
	m.slots[v] = j
	return j
}

// stmt compiles and runs one statement.
func (m *machine) stmt(s *ir.Stmt) error {
	st, ok := m.stores[s.Target]
	if !ok {
		return fmt.Errorf("target is not a tensor of the kernel")
	}
	if s.Target.Kind == ir.Input || s.Target.Kind == ir.Scalar {
		return fmt.Errorf("assigns to parameter %s", s.Target.Name)
	}
	if len(s.Index) != len(st.dims) {
		return fmt.Errorf("%d indices for a tensor of rank %d", len(s.Index), len(st.dims))
	}
	slots := make([]int, len(s.Index))
	ext := make([]int64, len(s.Index))
	seen := map[*ir.Var]bool{}
	for j, v := range s.Index {
		if v == nil || seen[v] {
			return fmt.Errorf("left-side index %d is nil or repeated", j)
		}
		seen[v] = true
		slots[j] = m.slots[v]
		ext[j] = int64(v.Extent.Eval(m.sizes))
		if ext[j] != int64(st.dims[j]) {
			return fmt.Errorf("index %s ranges over %d but dimension %d of %s is %d",
				v.Name, ext[j], j, s.Target.Name, st.dims[j])
		}
	}
	n := len(st.f) + len(st.i)
	if n == 0 {
		return nil
	}
	tt := s.Target.Type

	// The value to store, and for float outputs the exact value before rounding.
	val := s.Value
	if val.Type() != tt {
		return fmt.Errorf("value has type %s, target %s", val.Type(), tt)
	}
	iter := func(body func(lin int)) {
		vars := m.vars
		for _, sl := range slots {
			vars[sl] = 0
		}
		for lin := 0; lin < n; lin++ {
			body(lin)
			for j := len(slots) - 1; j >= 0; j-- {
				sl := slots[j]
				vars[sl]++
				if vars[sl] < ext[j] {
					break
				}
				vars[sl] = 0
			}
		}
	}

	if tt.IsFloat() {
		// exact: the value before the final conversion to tt; round: that conversion.
		var exact func() float64
		var round func(float64) float64
		if c, ok := val.(*ir.Cast); ok && s.Target.Kind == ir.Output {
			x, err := m.compile(c.X)
			if err != nil {
				return err
			}
			switch {
			case x.f != nil:
				exact = x.f
			case x.i != nil:
				xi := x.i
				exact = func() float64 { return float64(xi()) }
				// Round integers directly: float64(i) may already round.
				conv, err := intToFloat(tt)
				if err != nil {
					return err
				}
				dst, ex := st.f, st.exact
				iter(func(lin int) {
					v := xi()
					ex[lin] = float64(v)
					dst[lin] = conv(v)
				})
				return nil
			default:
				xb := x.b
				exact = func() float64 { return b2f(xb()) }
			}
		} else {
			x, err := m.compile(val)
			if err != nil {
				return err
			}
			exact = x.f
		}
		round, err := roundFloat(tt)
		if err != nil {
			return err
		}
		if s.Target.Kind != ir.Output {
			round = func(x float64) float64 { return x } // temps keep their value
		}
		dst, ex := st.f, st.exact
		iter(func(lin int) {
			v := exact()
			if ex != nil {
				ex[lin] = v
			}
			dst[lin] = round(v)
		})
		return nil
	}

	x, err := m.compile(val)
	if err != nil {
		return err
	}
	if x.i == nil {
		return fmt.Errorf("integer target with a non-integer value")
	}
	xi := x.i
	dst := st.i
	iter(func(lin int) { dst[lin] = xi() })
	return nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
