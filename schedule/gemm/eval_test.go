package gemm

// A small test-only evaluator of loop IR, independent of every backend: it walks
// the statements, rounds every arithmetic result to its element type, and checks
// every buffer access against the buffer's length.

import (
	"fmt"
	"math"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

const maxLanes = 16

// presetScalars holds the values of scalar parameters for the next execute.
var presetScalars map[*loop.Var]float64

type val struct {
	n int
	f [maxLanes]float64
	i [maxLanes]int64
}

type storage struct {
	elem ir.DType
	f    []float64
	i    []int64
}

func (s *storage) len() int {
	if s.elem.IsFloat() {
		return len(s.f)
	}
	return len(s.i)
}

type machine struct {
	k     *loop.Kernel
	vars  map[*loop.Var]*val
	bufs  map[*loop.Buf]*storage
	steps int64 // statement budget
}

type evalError struct{ msg string }

func (m *machine) fail(format string, args ...any) {
	panic(evalError{fmt.Sprintf(format, args...)})
}

func isF(t ir.DType) bool { return t.IsFloat() }

// round rounds a float64 to the element type.
func roundF(t ir.DType, x float64) float64 {
	if t == ir.F32 {
		return float64(float32(x))
	}
	return x
}

// wrap reduces an integer to the element type's width (two's complement).
func wrap(t ir.DType, x int64) int64 {
	if t.Class == ir.Bool {
		if x != 0 {
			return 1
		}
		return 0
	}
	switch {
	case t.Bits >= 64:
		return x
	case t.Class == ir.Uint:
		return x & (1<<t.Bits - 1)
	default:
		s := 64 - t.Bits
		return x << s >> s
	}
}

func (m *machine) run(stmts []loop.Stmt) {
	for _, s := range stmts {
		m.stmt(s)
	}
}

func (m *machine) stmt(s loop.Stmt) {
	m.steps--
	if m.steps < 0 {
		m.fail("statement budget exhausted (infinite loop?)")
	}
	switch s := s.(type) {
	case *loop.For:
		lo, hi := m.scalarInt(s.Lo), m.scalarInt(s.Hi)
		v := &val{n: 1}
		m.vars[s.Var] = v
		for x := lo; x < hi; x += s.Step {
			v.i[0] = x
			m.run(s.Body)
			v.i[0] = x // the body must not change the loop variable
		}
		delete(m.vars, s.Var)
	case *loop.If:
		if m.scalarInt(s.Cond) != 0 {
			m.run(s.Then)
		} else {
			m.run(s.Else)
		}
	case *loop.Assign:
		x := m.expr(s.Value)
		m.vars[s.Dst] = &x
	case *loop.Store:
		st := m.bufs[s.Buf]
		idx := m.scalarInt(s.Index)
		x := m.expr(s.Value)
		n := x.n
		if s.Count != nil {
			n = int(m.scalarInt(s.Count))
			if n < 0 || n > x.n {
				m.fail("store to %s: count %d", s.Buf.Name, n)
			}
		}
		for l := 0; l < n; l++ {
			p := idx + int64(l)
			if p < 0 || p >= int64(st.len()) {
				m.fail("store to %s at %d out of range [0,%d)", s.Buf.Name, p, st.len())
			}
			if isF(st.elem) {
				st.f[p] = roundF(st.elem, x.f[l])
			} else {
				st.i[p] = wrap(st.elem, x.i[l])
			}
		}
	case *loop.Memset:
		st := m.bufs[s.Buf]
		idx, n := m.scalarInt(s.Index), m.scalarInt(s.Len)
		for p := idx; p < idx+n; p++ {
			if p < 0 || p >= int64(st.len()) {
				m.fail("memset %s at %d out of range", s.Buf.Name, p)
			}
			if isF(st.elem) {
				st.f[p] = 0
			} else {
				st.i[p] = 0
			}
		}
	default:
		m.fail("unknown statement %T", s)
	}
}

func (m *machine) scalarInt(e loop.Expr) int64 {
	x := m.expr(e)
	if x.n != 1 || isF(e.Type().Elem) {
		m.fail("expected an integer scalar, got %v", e.Type())
	}
	return x.i[0]
}

func (m *machine) expr(e loop.Expr) val {
	t := e.Type()
	out := val{n: t.Lanes}
	if t.Lanes > maxLanes {
		m.fail("too many lanes %d", t.Lanes)
	}
	el := t.Elem
	switch e := e.(type) {
	case *loop.Const:
		for l := 0; l < t.Lanes; l++ {
			if isF(el) {
				out.f[l] = roundF(el, e.Float)
			} else {
				out.i[l] = wrap(el, e.Int)
			}
		}
	case *loop.Ref:
		v, ok := m.vars[e.Var]
		if !ok {
			m.fail("read of unset variable %s", e.Var.Name)
		}
		return *v
	case *loop.Load:
		if e.Guard != nil && m.scalarInt(e.Guard) == 0 {
			return out
		}
		st := m.bufs[e.Buf]
		idx := m.scalarInt(e.Index)
		n := t.Lanes
		if e.Count != nil {
			n = int(m.scalarInt(e.Count))
			if n < 0 || n > t.Lanes {
				m.fail("load from %s: count %d", e.Buf.Name, n)
			}
		}
		for l := 0; l < n; l++ {
			p := idx + int64(l)
			if p < 0 || p >= int64(st.len()) {
				m.fail("load from %s at %d out of range [0,%d)", e.Buf.Name, p, st.len())
			}
			if isF(el) {
				out.f[l] = st.f[p]
			} else {
				out.i[l] = st.i[p]
			}
		}
	case *loop.Bin:
		x, y := m.expr(e.X), m.expr(e.Y)
		xe := e.X.Type().Elem
		for l := 0; l < t.Lanes; l++ {
			if isF(xe) {
				a, b := x.f[l], y.f[l]
				switch e.Op {
				case ir.Add:
					out.f[l] = roundF(el, a+b)
				case ir.Sub:
					out.f[l] = roundF(el, a-b)
				case ir.Mul:
					out.f[l] = roundF(el, a*b)
				case ir.Div:
					out.f[l] = roundF(el, a/b)
				case ir.Lt, ir.Le, ir.Gt, ir.Ge, ir.Eq, ir.Ne:
					out.i[l] = b2i(cmpF(e.Op, a, b))
				default:
					m.fail("float op %v", e.Op)
				}
				continue
			}
			a, b := x.i[l], y.i[l]
			switch e.Op {
			case ir.Add:
				out.i[l] = wrap(el, a+b)
			case ir.Sub:
				out.i[l] = wrap(el, a-b)
			case ir.Mul:
				out.i[l] = wrap(el, a*b)
			case ir.Div:
				if b == 0 {
					out.i[l] = 0
				} else {
					q := a / b
					if a%b != 0 && (a < 0) != (b < 0) {
						q--
					}
					out.i[l] = wrap(el, q)
				}
			case ir.Mod:
				if b == 0 {
					out.i[l] = 0
				} else {
					r := a % b
					if r < 0 {
						r += abs64(b)
					}
					out.i[l] = r
				}
			case ir.And:
				out.i[l] = b2i(a != 0 && b != 0)
			case ir.Or:
				out.i[l] = b2i(a != 0 || b != 0)
			case ir.Lt, ir.Le, ir.Gt, ir.Ge, ir.Eq, ir.Ne:
				out.i[l] = b2i(cmpF(e.Op, float64(a), float64(b)) && cmpI(e.Op, a, b))
			default:
				m.fail("int op %v", e.Op)
			}
		}
	case *loop.Un:
		x := m.expr(e.X)
		for l := 0; l < t.Lanes; l++ {
			switch {
			case e.Op == ir.Not:
				out.i[l] = b2i(x.i[l] == 0)
			case isF(el):
				out.f[l] = -x.f[l]
			default:
				out.i[l] = wrap(el, -x.i[l])
			}
		}
	case *loop.Call:
		args := make([]val, len(e.Args))
		for i, a := range e.Args {
			args[i] = m.expr(a)
		}
		for l := 0; l < t.Lanes; l++ {
			switch {
			case e.Fn == loop.FMA:
				out.f[l] = roundF(el, math.FMA(args[0].f[l], args[1].f[l], args[2].f[l]))
			case e.Fn == loop.DotU8S8:
				var s int64
				for q := 0; q < 4; q++ {
					u := (args[0].i[l] >> (8 * q)) & 0xff
					v := int64(int8(args[1].i[l] >> (8 * q)))
					s += u * v
				}
				out.i[l] = wrap(el, args[2].i[l]+s)
			case e.Fn == loop.Fn(ir.Min) || e.Fn == loop.Fn(ir.Max):
				mx := e.Fn == loop.Fn(ir.Max)
				if isF(el) {
					a, b := args[0].f[l], args[1].f[l]
					if (a < b) == mx {
						a = b
					}
					out.f[l] = a
				} else {
					a, b := args[0].i[l], args[1].i[l]
					if (a < b) == mx {
						a = b
					}
					out.i[l] = a
				}
			case e.Fn == loop.Fn(ir.Relu) && isF(el):
				out.f[l] = math.Max(args[0].f[l], 0)
			default:
				m.fail("function %d not supported by the test evaluator", e.Fn)
			}
		}
	case *loop.Cast:
		x := m.expr(e.X)
		xe := e.X.Type().Elem
		for l := 0; l < t.Lanes; l++ {
			switch {
			case isF(el) && isF(xe):
				out.f[l] = roundF(el, x.f[l])
			case isF(el):
				out.f[l] = roundF(el, float64(x.i[l]))
			case isF(xe):
				out.i[l] = satInt(el, math.RoundToEven(x.f[l]))
			default:
				out.i[l] = satInt(el, float64(x.i[l]))
				if el.Bits >= 32 && xe.Bits <= el.Bits {
					out.i[l] = wrap(el, x.i[l])
				}
			}
		}
	case *loop.Select:
		c, a, b := m.expr(e.Cond), m.expr(e.A), m.expr(e.B)
		for l := 0; l < t.Lanes; l++ {
			if c.i[l] != 0 {
				out.f[l], out.i[l] = a.f[l], a.i[l]
			} else {
				out.f[l], out.i[l] = b.f[l], b.i[l]
			}
		}
	case *loop.Broadcast:
		x := m.expr(e.X)
		for l := 0; l < t.Lanes; l++ {
			out.f[l], out.i[l] = x.f[0], x.i[0]
		}
	case *loop.HReduce:
		// Only sums are emitted by the schedule; the lanes are added in
		// order (the backends' pairwise folding may round differently, well
		// within the tests' tolerance).
		if e.Op != ir.RSum {
			m.fail("HReduce %v not supported by the test evaluator", e.Op)
			break
		}
		x := m.expr(e.X)
		n := e.X.Type().Lanes
		for l := 0; l < n; l++ {
			if isF(el) {
				out.f[0] = roundF(el, out.f[0]+x.f[l])
			} else {
				out.i[0] = wrap(el, out.i[0]+x.i[l])
			}
		}
	default:
		m.fail("expression %T not supported by the test evaluator", e)
	}
	return out
}

func satInt(t ir.DType, x float64) int64 {
	if math.IsNaN(x) {
		return 0
	}
	var lo, hi float64
	if t.Class == ir.Uint {
		lo, hi = 0, math.Ldexp(1, t.Bits)-1
	} else {
		lo, hi = -math.Ldexp(1, t.Bits-1), math.Ldexp(1, t.Bits-1)-1
	}
	if x < lo {
		x = lo
	}
	if x > hi {
		x = hi
	}
	return int64(x)
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func cmpF(op ir.Op, a, b float64) bool {
	switch op {
	case ir.Lt:
		return a < b
	case ir.Le:
		return a <= b
	case ir.Gt:
		return a > b
	case ir.Ge:
		return a >= b
	case ir.Eq:
		return a == b
	}
	return a != b
}

func cmpI(op ir.Op, a, b int64) bool {
	switch op {
	case ir.Lt:
		return a < b
	case ir.Le:
		return a <= b
	case ir.Gt:
		return a > b
	case ir.Ge:
		return a >= b
	case ir.Eq:
		return a == b
	}
	return a != b
}

// execute runs every step of k with the given sizes and buffers; parallel steps
// run their range split into the given chunk bounds (in reverse order, to catch
// dependences between chunks).
func execute(k *loop.Kernel, sizes []int64, bufs map[*loop.Buf]*storage, chunks func(n int64) [][2]int64) (err error) {
	m := &machine{k: k, vars: map[*loop.Var]*val{}, bufs: bufs, steps: 1 << 34}
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(evalError); ok {
				err = fmt.Errorf("eval: %s", e.msg)
				return
			}
			panic(r)
		}
	}()
	for i, s := range k.Sizes {
		m.vars[s] = &val{n: 1, i: [maxLanes]int64{sizes[i]}}
	}
	for v, x := range presetScalars {
		m.vars[v] = &val{n: 1, f: [maxLanes]float64{x}, i: [maxLanes]int64{int64(x)}}
	}
	for _, b := range k.Scratch {
		n := m.scalarInt(b.Len)
		if n < 0 {
			m.fail("scratch %s has length %d", b.Name, n)
		}
		st := &storage{elem: b.Elem}
		// Fill scratch with garbage: the schedule must not rely on zeroed scratch.
		if isF(b.Elem) {
			st.f = make([]float64, n)
			for i := range st.f {
				st.f[i] = math.NaN()
			}
		} else {
			st.i = make([]int64, n)
			for i := range st.i {
				st.i[i] = 0x5a
			}
		}
		bufs[b] = st
	}
	for _, s := range k.Steps {
		if !s.Parallel {
			m.run(s.Func.Body)
			continue
		}
		n := m.scalarInt(s.Extent)
		cs := chunks(n)
		for i := len(cs) - 1; i >= 0; i-- {
			m.vars[s.Func.Lo] = &val{n: 1, i: [maxLanes]int64{cs[i][0]}}
			m.vars[s.Func.Hi] = &val{n: 1, i: [maxLanes]int64{cs[i][1]}}
			m.run(s.Func.Body)
		}
	}
	return nil
}
