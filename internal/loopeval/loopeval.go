// Package loopeval is a test-only evaluator of loop IR; the oracle for
// schedule tests, never used by generated code.
//
// It models what every backend must do: exact element types (f32 arithmetic
// rounded to float32, integers wrapping at their width, conversions with SPEC
// section 3 semantics), packed bit streams, vector lanes with Count tails,
// Load guards, Stream hints (which must be computable), and parallel Steps run
// over arbitrary chunkings. Any out-of-bounds access, write to an input, or
// access of one element by two chunks of a parallel step (one of them
// writing) is reported as an error.
//
// Buffers are the Go slices of the generated API (SPEC section 6): []float32
// for f32, []uint16 for f16 and bf16, []byte for packed and minifloat types,
// and so on. Scratch buffers are filled with garbage before the first step, so
// code must not rely on their contents other than as documented.
package loopeval

import (
	"cmp"
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"slices"

	"github.com/tensorcc/tcc/internal/rt"
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// DefaultMaxSteps is the statement budget of a Run whose Options leave
// MaxSteps zero.
const DefaultMaxSteps = 50_000_000

// Options control how Run executes a kernel.
type Options struct {
	// Chunks, when non-nil, splits the range [0, n) of every parallel Step;
	// the chunks must partition the range and are run in the order given.
	Chunks func(n int64) [][2]int64
	// Rand, when Chunks is nil, splits every parallel Step into random
	// chunks run in a random order. With neither, a parallel Step runs as one
	// chunk.
	Rand *rand.Rand
	// MaxSteps bounds the number of statements executed (a guard against
	// infinite loops); zero means DefaultMaxSteps.
	MaxSteps int64
}

// evalErr carries an evaluation failure from deep in the walk to the
// exported entry points, which recover it and return it as an error.
type evalErr struct{ msg string }

func failf(format string, args ...any) { panic(evalErr{fmt.Sprintf(format, args...)}) }

// catch turns an evalErr panic into *err; other panics propagate.
func catch(err *error) {
	if r := recover(); r != nil {
		e, ok := r.(evalErr)
		if !ok {
			panic(r)
		}
		*err = fmt.Errorf("loopeval: %s", e.msg)
	}
}

// Run executes k on args given in the generated API order: the source
// kernel's parameters (input slices and scalar values), its output slices,
// then its sizes as ints. Outputs are written in place.
func Run(k *loop.Kernel, args []any, opts Options) (err error) {
	defer catch(&err)
	if opts.MaxSteps == 0 {
		opts.MaxSteps = DefaultMaxSteps
	}
	src := k.Source
	if src == nil {
		return fmt.Errorf("loopeval: kernel %s has no source kernel", k.Name)
	}
	if want := len(src.Params) + len(src.Outputs) + len(src.Sizes); len(args) != want {
		return fmt.Errorf("loopeval: kernel %s takes %d arguments, got %d", k.Name, want, len(args))
	}
	m := newMachine(k, opts)
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
		n, ok := args[ai].(int)
		if !ok {
			failf("size %s is %T, not int", src.Sizes[i].Name, args[ai])
		}
		m.vars[k.Sizes[i]] = val{i: []int64{int64(n)}}
		ai++
	}
	for _, b := range k.Scratch {
		n := m.eval(b.Len).i[0]
		if n < 0 {
			failf("scratch %s has length %d", b.Name, n)
		}
		m.bufs[b] = newSlice(b.Elem, int(n))
	}
	for _, st := range k.Steps {
		m.step(st)
	}
	return nil
}

// EvalInt evaluates the integer scalar expression e, which may refer to k's
// sizes only, with the sizes set to the given values.
func EvalInt(k *loop.Kernel, e loop.Expr, sizes []int64) (n int64, err error) {
	defer catch(&err)
	if len(sizes) != len(k.Sizes) {
		return 0, fmt.Errorf("loopeval: kernel %s has %d sizes, got %d", k.Name, len(k.Sizes), len(sizes))
	}
	if t := e.Type(); t.IsVector() || t.Elem.IsFloat() {
		return 0, fmt.Errorf("loopeval: %s is not an integer scalar", loop.ExprString(e))
	}
	m := newMachine(k, Options{MaxSteps: DefaultMaxSteps})
	for i, v := range k.Sizes {
		m.vars[v] = val{i: []int64{sizes[i]}}
	}
	return m.eval(e).i[0], nil
}

// NewSlice returns a buffer of n elements of t in its Go representation,
// filled with garbage (NaNs, or a fixed non-zero pattern).
func NewSlice(t ir.DType, n int) (s any, err error) {
	defer catch(&err)
	return newSlice(t, n), nil
}

// Decode returns the first n elements of the buffer a of element type t, as
// float64 values for float types (f) or int64 values otherwise (i).
func Decode(t ir.DType, a any, n int) (f []float64, i []int64, err error) {
	defer catch(&err)
	b := &loop.Buf{Name: "buffer", Elem: t, Kind: loop.OutputBuf}
	m := &machine{bufs: map[*loop.Buf]any{b: a}, chunk: -1}
	f = make([]float64, n)
	i = make([]int64, n)
	for x := range n {
		f[x], i[x] = m.get(b, int64(x))
	}
	return f, i, nil
}

// Encode returns a new buffer of element type t in its Go representation
// holding vals, converted as a Store of an f64 (float types) or i64 (others)
// value would: rounded or wrapped to t.
func Encode(t ir.DType, vals []float64) (s any, err error) {
	defer catch(&err)
	a := newSlice(t, len(vals))
	b := &loop.Buf{Name: "buffer", Elem: t, Kind: loop.OutputBuf}
	m := &machine{bufs: map[*loop.Buf]any{b: a}, chunk: -1}
	for x, v := range vals {
		m.set(b, int64(x), val{f: []float64{v}, i: []int64{int64(v)}}, 0)
	}
	return a, nil
}

func newMachine(k *loop.Kernel, opts Options) *machine {
	return &machine{k: k, bufs: map[*loop.Buf]any{}, vars: map[*loop.Var]val{}, opts: opts, chunk: -1}
}

// val is a scalar or vector value: f for float element types, i for integers
// and bools.
type val struct {
	f []float64
	i []int64
}

type machine struct {
	k     *loop.Kernel
	bufs  map[*loop.Buf]any
	vars  map[*loop.Var]val
	opts  Options
	steps int64
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
	chunks := m.chunks(n)
	m.access = map[elemKey]*elemAccess{}
	for i, c := range chunks {
		m.chunk = i
		m.run(f, c[0], c[1])
	}
	m.chunk, m.access = -1, nil
}

// chunks splits the range [0, n) of a parallel step as the options say.
func (m *machine) chunks(n int64) [][2]int64 {
	switch {
	case m.opts.Chunks != nil:
		cs := m.opts.Chunks(n)
		next := int64(0)
		for _, c := range sortedChunks(cs) {
			if c[0] != next || c[1] < c[0] {
				failf("chunks %v do not partition [0, %d)", cs, n)
			}
			next = c[1]
		}
		if next != n && !(n <= 0 && len(cs) == 0) {
			failf("chunks %v do not partition [0, %d)", cs, n)
		}
		return cs
	case m.opts.Rand != nil:
		// Arbitrary chunking, run in a random order.
		var chunks [][2]int64
		for lo := int64(0); lo < n; {
			sz := int64(1 + m.opts.Rand.Intn(4))
			if m.opts.Rand.Intn(3) == 0 {
				sz = n
			}
			hi := min(lo+sz, n)
			chunks = append(chunks, [2]int64{lo, hi})
			lo = hi
		}
		m.opts.Rand.Shuffle(len(chunks), func(i, j int) { chunks[i], chunks[j] = chunks[j], chunks[i] })
		return chunks
	}
	return [][2]int64{{0, n}}
}

// sortedChunks returns a copy of cs sorted by start.
func sortedChunks(cs [][2]int64) [][2]int64 {
	s := slices.Clone(cs)
	slices.SortFunc(s, func(a, b [2]int64) int { return cmp.Compare(a[0], b[0]) })
	return s
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
	if m.steps > m.opts.MaxSteps {
		failf("more than %d statements executed (infinite loop?)", m.opts.MaxSteps)
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
	case *loop.Prefetch:
		// A hint: no effect on the results.
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

// elemCount returns the number of elements of b's slice.
func (m *machine) elemCount(b *loop.Buf) int64 {
	switch s := m.bufs[b].(type) {
	case []uint8:
		if b.Elem.IsPacked() {
			return int64(len(s)) * 8 / int64(b.Elem.Bits)
		}
		return int64(len(s))
	case []float64, []float32, []uint16, []int64, []int32, []int16, []int8, []uint32:
		return int64(reflect.ValueOf(s).Len())
	}
	failf("buffer %s has no slice", b.Name)
	return 0
}

// rawBytes returns the bytes of a buffer stored as bytes.
func (m *machine) rawBytes(b *loop.Buf) []byte {
	switch s := m.bufs[b].(type) {
	case []uint8:
		return s
	case []int8:
		bs := make([]byte, len(s))
		for i, x := range s {
			bs[i] = byte(x)
		}
		return bs
	}
	failf("raw load from %s, which is not stored as bytes", b.Name)
	return nil
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
		if e.Raw {
			bs := m.rawBytes(e.Buf)
			for l := int64(0); l < cnt; l++ {
				if idx+l < 0 || idx+l >= int64(len(bs)) {
					failf("raw read of %s byte %d out of bounds (%d)", e.Buf.Name, idx+l, len(bs))
				}
				v.i[l] = int64(bs[idx+l])
			}
			return v
		}
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
					r = compare(e.Op, a, b)
				} else {
					a, b := x.i[l], y.i[l]
					if et.Class == ir.Uint {
						r = compare(e.Op, uint64(a), uint64(b))
					} else {
						r = compare(e.Op, a, b)
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
							r = rt.FloorDiv(a, b)
						}
					}
				case ir.Mod:
					if b != 0 {
						r = a - b*rt.FloorDiv(a, b)
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
	case *loop.Bitcast:
		return bitcast(m.eval(e.X), e.X.Type(), t)
	case *loop.Shuffle:
		x := m.eval(e.X)
		v := zeroVal(t)
		for l, i := range e.Index {
			if isFloat(t.Elem) {
				v.f[l] = x.f[i]
			} else {
				v.i[l] = x.i[i]
			}
		}
		return v
	case *loop.Lanes:
		v := zeroVal(t)
		for l := 0; l < n; l++ {
			if isFloat(t.Elem) {
				v.f[l] = round(e.Float[l], t.Elem)
			} else {
				v.i[l] = wrap(e.Int[l], t.Elem)
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
			return val{f: []float64{loop.FoldLanes(slices.Clone(x.f), func(r, y float64) float64 {
				switch e.Op {
				case ir.RSum:
					return round(r+y, t.Elem)
				case ir.RProd:
					return round(r*y, t.Elem)
				}
				return callF(fn[e.Op], []float64{r, y})
			})}}
		}
		return val{i: []int64{loop.FoldLanes(slices.Clone(x.i), func(r, y int64) int64 {
			switch e.Op {
			case ir.RSum:
				return wrap(r+y, t.Elem)
			case ir.RProd:
				return wrap(r*y, t.Elem)
			}
			return callI(fn[e.Op], []int64{r, y}, t.Elem)
		})}}
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

// compare applies the comparison op, or And and Or on bools, to a and b.
func compare[T int64 | uint64 | float64](op ir.Op, a, b T) bool {
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
	failf("compare %v", op)
	return false
}

func callF(fn loop.Fn, a []float64) float64 {
	if fn == loop.FMA {
		return math.FMA(a[0], a[1], a[2])
	}
	if fn == loop.Scalef {
		return scalef(a[0], a[1])
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
	if fn.IsBitOp() {
		return bitOp(fn, a[0], a[1], t)
	}
	if fn.IsDot4() {
		// a[0] and a[1] hold 4 bytes each, a[2] the accumulator.
		as, bs := loop.Dot4Signs(fn)
		byteOf := func(x int64, q int, signed bool) int64 {
			if signed {
				return int64(int8(x >> (8 * q)))
			}
			return (x >> (8 * q)) & 0xff
		}
		s := a[2]
		for q := 0; q < 4; q++ {
			s += byteOf(a[0], q, as) * byteOf(a[1], q, bs)
		}
		return s
	}
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

// bitOp evaluates a bit operation on values of integer type t (held
// normalised: unsigned ones non-negative, signed ones sign-extended).
func bitOp(fn loop.Fn, x, y int64, t ir.DType) int64 {
	sh := uint64(y)
	switch fn {
	case loop.BitAnd:
		return x & y
	case loop.BitOr:
		return x | y
	case loop.BitXor:
		return x ^ y
	case loop.Shl:
		if sh >= 64 {
			return 0
		}
		return x << sh
	}
	// Shr: logical for unsigned types, arithmetic for signed ones.
	if t.Class == ir.Uint {
		if sh >= 64 {
			return 0
		}
		return int64(uint64(x) >> sh)
	}
	if sh >= 64 {
		sh = 63
	}
	return x >> sh
}

// bitsOf returns lane l of v, of type t, as its bit pattern.
func bitsOf(v val, t ir.DType, l int) uint64 {
	switch {
	case t == ir.F32:
		return uint64(math.Float32bits(float32(v.f[l])))
	case t == ir.F64:
		return math.Float64bits(v.f[l])
	case t == ir.F16:
		return uint64(rt.F32ToF16(float32(v.f[l])))
	case t == ir.BF16:
		return uint64(rt.F32ToBF16(float32(v.f[l])))
	case t.IsInteger():
		return uint64(v.i[l]) & (^uint64(0) >> (64 - t.Bits))
	}
	failf("bitcast of %v", t)
	return 0
}

// fromBits returns the value of type t with bit pattern b.
func fromBits(b uint64, t ir.DType) (float64, int64) {
	switch {
	case t == ir.F32:
		return float64(math.Float32frombits(uint32(b))), 0
	case t == ir.F64:
		return math.Float64frombits(b), 0
	case t == ir.F16:
		return float64(rt.F16ToF32(uint16(b))), 0
	case t == ir.BF16:
		return float64(rt.BF16ToF32(uint16(b))), 0
	case t.IsInteger():
		return 0, wrap(int64(b), t)
	}
	failf("bitcast to %v", t)
	return 0, 0
}

// bitcast reinterprets x (of type from) as type to: the lanes' bits laid
// out from the lowest.
func bitcast(x val, from, to loop.Type) val {
	fb, tb := from.Elem.Bits, to.Elem.Bits
	bits := make([]byte, from.Lanes*fb) // one entry per bit, lowest first
	for l := 0; l < from.Lanes; l++ {
		w := bitsOf(x, from.Elem, l)
		for j := 0; j < fb; j++ {
			bits[l*fb+j] = byte(w >> j & 1)
		}
	}
	v := zeroVal(to)
	for l := 0; l < to.Lanes; l++ {
		var w uint64
		for j := 0; j < tb; j++ {
			w |= uint64(bits[l*tb+j]) << j
		}
		f, i := fromBits(w, to.Elem)
		if to.Elem.IsFloat() {
			v.f[l] = f
		} else {
			v.i[l] = i
		}
	}
	return v
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

// scalef returns x·2^n for an integral n (NaN for a NaN n; the float64
// product is exact for the f32 range, rounded once by the caller).
func scalef(x, n float64) float64 {
	if math.IsNaN(n) {
		return math.NaN()
	}
	return math.Ldexp(x, int(max(-2000, min(2000, n))))
}
