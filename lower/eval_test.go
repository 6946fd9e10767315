package lower

// A small interpreter of loop IR, used only to test the lowering against the
// reference interpreter (package interp). It models what every backend must do:
// exact element types (f32 arithmetic rounded to float32, integers wrapping at
// their width, conversions with SPEC section 3 semantics), packed bit streams,
// vector lanes with Count tails, Load guards, and parallel Steps run over
// arbitrary chunkings. Any out-of-bounds access is reported as an error.

import (
	"fmt"
	"math"
	"math/rand"

	"github.com/tensorcc/tcc/internal/rt"
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// val is a scalar or vector value: f for float element types, i for integers
// and bools.
type val struct {
	f []float64
	i []int64
}

type evalErr struct{ msg string }

func failf(format string, args ...any) { panic(evalErr{fmt.Sprintf(format, args...)}) }

type machine struct {
	k     *loop.Kernel
	bufs  map[*loop.Buf]any
	vars  map[*loop.Var]val
	rng   *rand.Rand
	steps int
	// chunk is the index of the running chunk of a parallel Step, -1 outside
	// one; access records, per element touched by the Step, which chunks read
	// and wrote it, to report accesses that would race if chunks ran
	// concurrently.
	chunk  int
	access map[elemKey]*elemAccess
}

type elemKey struct {
	b *loop.Buf
	i int64
}

// elemAccess is the writer chunk and the reader chunk of an element (-1:
// none; reader -2: several).
type elemAccess struct{ writer, reader int }

// track records an access of b[i] by the running chunk and fails when another
// chunk wrote it, or (for a write) read or wrote it.
func (m *machine) track(b *loop.Buf, i int64, write bool) {
	if m.access == nil || m.chunk < 0 || b.Kind == loop.InputBuf {
		return
	}
	k := elemKey{b, i}
	a := m.access[k]
	if a == nil {
		a = &elemAccess{writer: -1, reader: -1}
		m.access[k] = a
	}
	c := m.chunk
	if a.writer >= 0 && a.writer != c {
		failf("race: chunks %d and %d of a parallel step access %s[%d], one writing", a.writer, c, b.Name, i)
	}
	if write {
		if a.reader == -2 || (a.reader >= 0 && a.reader != c) {
			failf("race: chunk %d writes %s[%d], which another chunk read", c, b.Name, i)
		}
		a.writer = c
		return
	}
	switch a.reader {
	case -1:
		a.reader = c
	case c, -2:
	default:
		a.reader = -2
	}
}

// runLoop executes k on args given in the generated API order (parameters,
// outputs, sizes). Scratch buffers are filled with garbage first, so code must
// not rely on their contents other than as documented (zeroed by the pool).
func runLoop(k *loop.Kernel, rng *rand.Rand, args ...any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(evalErr); ok {
				err = fmt.Errorf("eval: %s", e.msg)
				return
			}
			panic(r)
		}
	}()
	m := &machine{k: k, bufs: map[*loop.Buf]any{}, vars: map[*loop.Var]val{}, rng: rng, chunk: -1}
	src := k.Source
	ai := 0
	in, sc := 0, 0
	for _, p := range src.Params {
		if p.Kind == ir.Scalar {
			m.vars[k.Scalars[sc]] = scalarArg(p.Type, args[ai])
			sc++
		} else {
			m.bufs[k.Inputs[in]] = args[ai]
			in++
		}
		ai++
	}
	for i := range src.Outputs {
		m.bufs[k.Outputs[i]] = args[ai]
		ai++
	}
	for i := range src.Sizes {
		m.vars[k.Sizes[i]] = val{i: []int64{int64(args[ai].(int))}}
		ai++
	}
	for _, b := range k.Scratch {
		n := m.eval(b.Len).i[0]
		m.bufs[b] = newSlice(b.Elem, int(n))
	}
	for _, st := range k.Steps {
		m.step(st)
	}
	return nil
}

func scalarArg(t ir.DType, a any) val {
	switch x := a.(type) {
	case float32:
		return val{f: []float64{float64(x)}}
	case float64:
		return val{f: []float64{x}}
	case int64:
		return val{i: []int64{x}}
	case int32:
		return val{i: []int64{int64(x)}}
	case int16:
		return val{i: []int64{int64(x)}}
	case int8:
		return val{i: []int64{int64(x)}}
	case uint32:
		return val{i: []int64{int64(x)}}
	case uint16:
		if t.IsFloat() {
			return val{f: []float64{decodeF16(t, x)}}
		}
		return val{i: []int64{int64(x)}}
	case uint8:
		if t.IsFloat() {
			return val{f: []float64{mini(t).Decode(x)}}
		}
		return val{i: []int64{int64(x)}}
	}
	failf("scalar argument %T", a)
	return val{}
}

func mini(t ir.DType) rt.MiniFloat {
	return rt.MiniFloat{Exp: t.Exp, Man: t.Man, Signed: t.Class == ir.MiniFloat}
}

func decodeF16(t ir.DType, x uint16) float64 {
	if t.Class == ir.BFloat {
		return float64(rt.BF16ToF32(x))
	}
	return float64(rt.F16ToF32(x))
}

// newSlice allocates a buffer of n elements of t in its Go representation,
// filled with garbage.
func newSlice(t ir.DType, n int) any {
	if t.IsPacked() {
		b := make([]byte, t.StorageBytes(n))
		for i := range b {
			b[i] = 0xA5
		}
		return b
	}
	switch t.GoType() {
	case "float64":
		s := make([]float64, n)
		for i := range s {
			s[i] = math.NaN()
		}
		return s
	case "float32":
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(math.NaN())
		}
		return s
	case "uint16":
		s := make([]uint16, n)
		for i := range s {
			s[i] = 0x7e01
		}
		return s
	case "int64":
		return fill(make([]int64, n), 77)
	case "int32":
		return fill(make([]int32, n), 77)
	case "int16":
		return fill(make([]int16, n), 77)
	case "int8":
		return fill(make([]int8, n), 77)
	case "uint32":
		return fill(make([]uint32, n), 77)
	case "uint8", "byte":
		return fill(make([]uint8, n), 0x55)
	}
	failf("no slice for %v", t)
	return nil
}

func fill[T any](s []T, v T) []T {
	for i := range s {
		s[i] = v
	}
	return s
}

func (m *machine) step(st *loop.Step) {
	f := st.Func
	if !st.Parallel {
		m.run(f, 0, 0)
		return
	}
	n := m.eval(st.Extent).i[0]
	// Arbitrary chunking, run in a random order.
	var chunks [][2]int64
	for lo := int64(0); lo < n; {
		sz := int64(1 + m.rng.Intn(4))
		if m.rng.Intn(3) == 0 {
			sz = n
		}
		hi := min(lo+sz, n)
		chunks = append(chunks, [2]int64{lo, hi})
		lo = hi
	}
	m.rng.Shuffle(len(chunks), func(i, j int) { chunks[i], chunks[j] = chunks[j], chunks[i] })
	m.access = map[elemKey]*elemAccess{}
	for i, c := range chunks {
		m.chunk = i
		m.run(f, c[0], c[1])
	}
	m.chunk, m.access = -1, nil
}

func (m *machine) run(f *loop.Func, lo, hi int64) {
	for _, v := range f.Locals {
		delete(m.vars, v)
	}
	if f.Lo != nil {
		m.vars[f.Lo] = val{i: []int64{lo}}
		m.vars[f.Hi] = val{i: []int64{hi}}
	}
	m.stmts(f.Body)
}

func (m *machine) stmts(ss []loop.Stmt) {
	for _, s := range ss {
		m.stmt(s)
	}
}

func (m *machine) stmt(s loop.Stmt) {
	m.steps++
	if m.steps > 50_000_000 {
		failf("too many steps")
	}
	switch s := s.(type) {
	case *loop.For:
		lo, hi := m.eval(s.Lo).i[0], m.eval(s.Hi).i[0]
		for v := lo; v < hi; v += s.Step {
			m.vars[s.Var] = val{i: []int64{v}}
			m.stmts(s.Body)
		}
		delete(m.vars, s.Var)
	case *loop.If:
		if m.eval(s.Cond).i[0] != 0 {
			m.stmts(s.Then)
		} else {
			m.stmts(s.Else)
		}
	case *loop.Assign:
		m.vars[s.Dst] = m.eval(s.Value)
	case *loop.Store:
		if s.Stream != nil {
			m.eval(s.Stream) // a hint, but it must be computable
		}
		idx := m.eval(s.Index).i[0]
		v := m.eval(s.Value)
		n := int64(s.Value.Type().Lanes)
		if s.Count != nil {
			n = min(n, m.eval(s.Count).i[0])
		}
		for l := int64(0); l < n; l++ {
			m.set(s.Buf, idx+l, v, int(l))
		}
	case *loop.Memset:
		idx, n := m.eval(s.Index).i[0], m.eval(s.Len).i[0]
		zero := val{f: []float64{0}, i: []int64{0}}
		for l := int64(0); l < n; l++ {
			m.set(s.Buf, idx+l, zero, 0)
		}
		if b, ok := m.bufs[s.Buf].([]byte); ok && s.Buf.Elem.IsPacked() && s.Buf.Elem.StorageBytes(int(idx+n)) == len(b) {
			bits := (idx + n) * int64(s.Buf.Elem.Bits)
			if bits%8 != 0 {
				b[len(b)-1] &= byte(1)<<(bits%8) - 1
			}
		}
	default:
		failf("unknown statement %T", s)
	}
}

func (m *machine) elemCount(b *loop.Buf) int64 {
	switch s := m.bufs[b].(type) {
	case []float64:
		return int64(len(s))
	case []float32:
		return int64(len(s))
	case []uint16:
		return int64(len(s))
	case []int64:
		return int64(len(s))
	case []int32:
		return int64(len(s))
	case []int16:
		return int64(len(s))
	case []int8:
		return int64(len(s))
	case []uint32:
		return int64(len(s))
	case []uint8:
		if b.Elem.IsPacked() {
			return int64(len(s)) * 8 / int64(b.Elem.Bits)
		}
		return int64(len(s))
	}
	failf("buffer %s has no slice", b.Name)
	return 0
}

func (m *machine) get(b *loop.Buf, i int64) (float64, int64) {
	if i < 0 || i >= m.elemCount(b) {
		failf("read of %s[%d] out of bounds (%d)", b.Name, i, m.elemCount(b))
	}
	m.track(b, i, false)
	t := b.Elem
	switch s := m.bufs[b].(type) {
	case []float64:
		return s[i], 0
	case []float32:
		return float64(s[i]), 0
	case []uint16:
		if t.IsFloat() {
			return decodeF16(t, s[i]), 0
		}
		return 0, int64(s[i])
	case []int64:
		return 0, s[i]
	case []int32:
		return 0, int64(s[i])
	case []int16:
		return 0, int64(s[i])
	case []int8:
		return 0, int64(s[i])
	case []uint32:
		return 0, int64(s[i])
	case []uint8:
		var x uint8
		if t.IsPacked() {
			x = rt.GetBits(s, int(i), t.Bits)
		} else {
			x = s[i]
		}
		if t.IsFloat() {
			return mini(t).Decode(x), 0
		}
		if t.Class == ir.Int && t.Bits < 8 {
			return 0, int64(rt.SignExtend(x, t.Bits))
		}
		if t.Class == ir.Int {
			return 0, int64(int8(x))
		}
		return 0, int64(x)
	}
	failf("bad buffer %s", b.Name)
	return 0, 0
}

func (m *machine) set(b *loop.Buf, i int64, v val, lane int) {
	if b.Kind == loop.InputBuf {
		failf("write to input %s", b.Name)
	}
	if i < 0 || i >= m.elemCount(b) {
		failf("write of %s[%d] out of bounds (%d)", b.Name, i, m.elemCount(b))
	}
	m.track(b, i, true)
	t := b.Elem
	var f float64
	var n int64
	if t.IsFloat() {
		f = v.f[lane]
	} else {
		n = v.i[lane]
	}
	switch s := m.bufs[b].(type) {
	case []float64:
		s[i] = f
	case []float32:
		s[i] = float32(f)
	case []uint16:
		switch {
		case t.Class == ir.BFloat:
			s[i] = rt.F64ToBF16(f)
		case t.IsFloat():
			s[i] = rt.F64ToF16(f)
		default:
			s[i] = uint16(n)
		}
	case []int64:
		s[i] = n
	case []int32:
		s[i] = int32(n)
	case []int16:
		s[i] = int16(n)
	case []int8:
		s[i] = int8(n)
	case []uint32:
		s[i] = uint32(n)
	case []uint8:
		var x uint8
		if t.IsFloat() {
			x = mini(t).EncodeF64(f)
		} else {
			x = uint8(n)
		}
		if t.IsPacked() {
			rt.SetBits(s, int(i), t.Bits, x&(1<<t.Bits-1))
		} else {
			s[i] = x
		}
	default:
		failf("bad buffer %s", b.Name)
	}
}

func isFloat(t ir.DType) bool { return t.IsFloat() }

// wrap reduces x to the integer type t (two's complement wrap, as in Go).
func wrap(x int64, t ir.DType) int64 {
	if t.Class == ir.Bool {
		if x != 0 {
			return 1
		}
		return 0
	}
	if t.Bits >= 64 {
		return x
	}
	if t.Class == ir.Uint {
		return int64(uint64(x) & (1<<t.Bits - 1))
	}
	sh := 64 - t.Bits
	return x << sh >> sh
}

// round rounds x to the float type t (f32 or f64 compute types).
func round(x float64, t ir.DType) float64 {
	if t == ir.F32 {
		return float64(float32(x))
	}
	return x
}

func (m *machine) eval(e loop.Expr) val {
	t := e.Type()
	n := t.Lanes
	switch e := e.(type) {
	case *loop.Const:
		v := val{}
		for l := 0; l < n; l++ {
			if isFloat(t.Elem) {
				v.f = append(v.f, round(e.Float, t.Elem))
			} else {
				v.i = append(v.i, e.Int)
			}
		}
		return v
	case *loop.Ref:
		v, ok := m.vars[e.Var]
		if !ok {
			failf("variable %s undefined", e.Var.Name)
		}
		return v
	case *loop.Load:
		if e.Guard != nil && m.eval(e.Guard).i[0] == 0 {
			return zeroVal(t)
		}
		idx := m.eval(e.Index).i[0]
		cnt := int64(n)
		if e.Count != nil {
			cnt = min(cnt, m.eval(e.Count).i[0])
		}
		v := zeroVal(t)
		for l := int64(0); l < cnt; l++ {
			f, i := m.get(e.Buf, idx+l)
			if isFloat(t.Elem) {
				v.f[l] = f
			} else {
				v.i[l] = i
			}
		}
		return v
	case *loop.Bin:
		x, y := m.eval(e.X), m.eval(e.Y)
		ft := isFloat(e.X.Type().Elem)
		et := e.X.Type().Elem
		v := zeroVal(t)
		for l := 0; l < n; l++ {
			if e.Op.IsCompare() || e.Op == ir.And || e.Op == ir.Or {
				var r bool
				if ft {
					a, b := x.f[l], y.f[l]
					r = cmpF(e.Op, a, b)
				} else {
					a, b := x.i[l], y.i[l]
					if et.Class == ir.Uint {
						r = cmpU(e.Op, uint64(a), uint64(b))
					} else {
						r = cmpI(e.Op, a, b)
					}
				}
				if r {
					v.i[l] = 1
				}
				continue
			}
			if ft {
				a, b := x.f[l], y.f[l]
				var r float64
				switch e.Op {
				case ir.Add:
					r = a + b
				case ir.Sub:
					r = a - b
				case ir.Mul:
					r = a * b
				case ir.Div:
					r = a / b
				default:
					failf("float op %v", e.Op)
				}
				v.f[l] = round(r, t.Elem)
			} else {
				a, b := x.i[l], y.i[l]
				var r int64
				switch e.Op {
				case ir.Add:
					r = a + b
				case ir.Sub:
					r = a - b
				case ir.Mul:
					r = a * b
				case ir.Div:
					if b != 0 {
						if et.Class == ir.Uint {
							r = int64(uint64(a) / uint64(b))
						} else {
							r = floorDiv(a, b)
						}
					}
				case ir.Mod:
					if b != 0 {
						r = a - b*floorDiv(a, b)
					}
				default:
					failf("int op %v", e.Op)
				}
				v.i[l] = wrap(r, t.Elem)
			}
		}
		return v
	case *loop.Un:
		x := m.eval(e.X)
		v := zeroVal(t)
		for l := 0; l < n; l++ {
			switch {
			case e.Op == ir.Not:
				v.i[l] = 1 - x.i[l]
			case isFloat(t.Elem):
				v.f[l] = -x.f[l]
			default:
				v.i[l] = wrap(-x.i[l], t.Elem)
			}
		}
		return v
	case *loop.Call:
		args := make([]val, len(e.Args))
		for i, a := range e.Args {
			args[i] = m.eval(a)
		}
		v := zeroVal(t)
		for l := 0; l < n; l++ {
			if isFloat(t.Elem) {
				a := make([]float64, len(args))
				for i := range args {
					a[i] = args[i].f[l]
				}
				v.f[l] = round(callF(e.Fn, a), t.Elem)
			} else {
				a := make([]int64, len(args))
				for i := range args {
					a[i] = args[i].i[l]
				}
				v.i[l] = wrap(callI(e.Fn, a, t.Elem), t.Elem)
			}
		}
		return v
	case *loop.Cast:
		x := m.eval(e.X)
		from := e.X.Type().Elem
		v := zeroVal(t)
		for l := 0; l < n; l++ {
			if isFloat(from) {
				v2 := castF(x.f[l], t.Elem)
				if isFloat(t.Elem) {
					v.f[l] = v2.f[0]
				} else {
					v.i[l] = v2.i[0]
				}
			} else {
				v2 := castI(x.i[l], from, t.Elem)
				if isFloat(t.Elem) {
					v.f[l] = v2.f[0]
				} else {
					v.i[l] = v2.i[0]
				}
			}
		}
		return v
	case *loop.Select:
		c, a, b := m.eval(e.Cond), m.eval(e.A), m.eval(e.B)
		v := zeroVal(t)
		for l := 0; l < n; l++ {
			src := b
			if c.i[l] != 0 {
				src = a
			}
			if isFloat(t.Elem) {
				v.f[l] = src.f[l]
			} else {
				v.i[l] = src.i[l]
			}
		}
		return v
	case *loop.Broadcast:
		x := m.eval(e.X)
		v := zeroVal(t)
		for l := 0; l < n; l++ {
			if isFloat(t.Elem) {
				v.f[l] = x.f[0]
			} else {
				v.i[l] = x.i[0]
			}
		}
		return v
	case *loop.HReduce:
		x := m.eval(e.X)
		fn := map[ir.ReduceOp]loop.Fn{ir.RMax: loop.Fn(ir.Max), ir.RMin: loop.Fn(ir.Min)}
		if isFloat(t.Elem) {
			r := x.f[0]
			for _, y := range x.f[1:] {
				switch e.Op {
				case ir.RSum:
					r = round(r+y, t.Elem)
				case ir.RProd:
					r = round(r*y, t.Elem)
				default:
					r = callF(fn[e.Op], []float64{r, y})
				}
			}
			return val{f: []float64{r}}
		}
		r := x.i[0]
		for _, y := range x.i[1:] {
			switch e.Op {
			case ir.RSum:
				r = wrap(r+y, t.Elem)
			case ir.RProd:
				r = wrap(r*y, t.Elem)
			default:
				r = callI(fn[e.Op], []int64{r, y}, t.Elem)
			}
		}
		return val{i: []int64{r}}
	}
	failf("unknown expression %T", e)
	return val{}
}

func zeroVal(t loop.Type) val {
	if isFloat(t.Elem) {
		return val{f: make([]float64, t.Lanes)}
	}
	return val{i: make([]int64, t.Lanes)}
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
	case ir.Ne:
		return a != b
	}
	failf("float compare %v", op)
	return false
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
	case ir.Ne:
		return a != b
	case ir.And:
		return a != 0 && b != 0
	case ir.Or:
		return a != 0 || b != 0
	}
	failf("int compare %v", op)
	return false
}

func cmpU(op ir.Op, a, b uint64) bool {
	switch op {
	case ir.Lt:
		return a < b
	case ir.Le:
		return a <= b
	case ir.Gt:
		return a > b
	case ir.Ge:
		return a >= b
	}
	return cmpI(op, int64(a), int64(b))
}

func callF(fn loop.Fn, a []float64) float64 {
	if fn == loop.FMA {
		return math.FMA(a[0], a[1], a[2])
	}
	x := a[0]
	switch ir.Func(fn) {
	case ir.Exp:
		return math.Exp(x)
	case ir.Exp2:
		return math.Exp2(x)
	case ir.Log:
		return math.Log(x)
	case ir.Log2:
		return math.Log2(x)
	case ir.Sqrt:
		return math.Sqrt(x)
	case ir.Rsqrt:
		return 1 / math.Sqrt(x)
	case ir.Abs:
		return math.Abs(x)
	case ir.Tanh:
		return math.Tanh(x)
	case ir.Sigmoid:
		return 1 / (1 + math.Exp(-x))
	case ir.Relu:
		return math.Max(x, 0)
	case ir.Gelu:
		return 0.5 * x * (1 + math.Erf(x/math.Sqrt2))
	case ir.Silu:
		return x / (1 + math.Exp(-x))
	case ir.Erf:
		return math.Erf(x)
	case ir.Sin:
		return math.Sin(x)
	case ir.Cos:
		return math.Cos(x)
	case ir.Floor:
		return math.Floor(x)
	case ir.Ceil:
		return math.Ceil(x)
	case ir.Round:
		return math.RoundToEven(x)
	case ir.Min:
		return math.Min(x, a[1])
	case ir.Max:
		return math.Max(x, a[1])
	case ir.Pow:
		return math.Pow(x, a[1])
	case ir.Clamp:
		return math.Min(math.Max(x, a[1]), a[2])
	}
	failf("float function %d", fn)
	return 0
}

func callI(fn loop.Fn, a []int64, t ir.DType) int64 {
	less := func(x, y int64) bool {
		if t.Class == ir.Uint {
			return uint64(x) < uint64(y)
		}
		return x < y
	}
	mn := func(x, y int64) int64 {
		if less(y, x) {
			return y
		}
		return x
	}
	mx := func(x, y int64) int64 {
		if less(x, y) {
			return y
		}
		return x
	}
	x := a[0]
	switch ir.Func(fn) {
	case ir.Abs:
		if x < 0 && t.Class != ir.Uint {
			return -x
		}
		return x
	case ir.Relu:
		if t.Class == ir.Uint {
			return x
		}
		return mx(x, 0)
	case ir.Floor, ir.Ceil, ir.Round:
		return x
	case ir.Min:
		return mn(x, a[1])
	case ir.Max:
		return mx(x, a[1])
	case ir.Clamp:
		return mn(mx(x, a[1]), a[2])
	}
	failf("integer function %d", fn)
	return 0
}

// castF converts a float value to t.
func castF(x float64, t ir.DType) val {
	switch t.Class {
	case ir.Float:
		switch t.Bits {
		case 64:
			return val{f: []float64{x}}
		case 32:
			return val{f: []float64{float64(float32(x))}}
		default:
			return val{f: []float64{float64(rt.F16ToF32(rt.F64ToF16(x)))}}
		}
	case ir.BFloat:
		return val{f: []float64{float64(rt.BF16ToF32(rt.F64ToBF16(x)))}}
	case ir.MiniFloat, ir.UMiniFloat:
		m := mini(t)
		return val{f: []float64{m.Decode(m.EncodeF64(x))}}
	case ir.Int, ir.Uint:
		return val{i: []int64{rt.F64ToInt(x, t.Bits, t.Class == ir.Int)}}
	}
	failf("cast to %v", t)
	return val{}
}

// castI converts an integer (or bool) value of type from to t.
func castI(x int64, from, t ir.DType) val {
	if t.IsFloat() {
		var f float64
		switch {
		case t == ir.F32 && from.Class == ir.Uint:
			f = float64(float32(uint64(x)))
		case t == ir.F32:
			f = float64(float32(x))
		case from.Class == ir.Uint:
			f = float64(uint64(x))
		default:
			f = float64(x)
		}
		return castF(f, t)
	}
	if from.Class == ir.Uint && from.Bits == 64 && x < 0 {
		x = math.MaxInt64
	}
	return val{i: []int64{rt.IntSat(x, t.Bits, t.Class == ir.Int)}}
}
