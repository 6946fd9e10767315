package lower

import (
	"fmt"
	"github.com/tensorcc/tcc/internal/rt"
	"math"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
	"github.com/tensorcc/tcc/schedule"
)

// binding is what an ir index variable stands for while lowering.
type binding struct {
	x   loop.Expr // Int64 scalar index value (lane 0 for a lane variable), or a value
	vec bool      // lane variable: lane i holds x+i
	val bool      // x is a value bound by Env.Expr, not an index
}

// level is one loop level of the nest being built: the variables it defines, its
// vector width, and the statement list that code hoisted to it is appended to.
type level struct {
	vars  []*ir.Var
	lanes int
	count loop.Expr // lanes in use (a tail), nil for full vectors
	out   *[]loop.Stmt
	memo  map[*ir.Reduce]loop.Expr
}

func newLevel(lanes int, count loop.Expr, vars ...*ir.Var) *level {
	return &level{vars: vars, lanes: lanes, count: count, out: new([]loop.Stmt), memo: map[*ir.Reduce]loop.Expr{}}
}

// fnb builds one leaf Func.
type fnb struct {
	l      *lowerer
	f      *loop.Func
	names  map[string]bool
	levels []*level
	bind   map[*ir.Var]binding
	vector bool // a vector value was produced
	// scalarReduce keeps reductions scalar (the last resort of lowerStmt).
	scalarReduce bool
	// unit is the plan's unit of the statements being lowered.
	unit *schedule.Unit
	// rowLocals holds the row-local intermediates of a fused group of rank 1:
	// each is a scalar local, assigned once per row before it is read.
	rowLocals map[*ir.Tensor]*loop.Var
	// slots maps the row-local intermediates of a fused group that keep a
	// buffer to the row slot they use instead of their first subscript.
	slots map[*ir.Tensor]loop.Expr
}

func (l *lowerer) newFnb(name string, u *schedule.Unit) *fnb {
	return &fnb{
		l:     l,
		unit:  u,
		f:     &loop.Func{Name: name},
		names: map[string]bool{},
		bind:  map[*ir.Var]binding{},

		rowLocals: map[*ir.Tensor]*loop.Var{},
		slots:     map[*ir.Tensor]loop.Expr{},
	}
}

// name returns a fresh name, distinct from kernel-level names.
func (b *fnb) name(base string) string {
	base = sanitize(base)
	n := base
	for i := 2; b.names[n] || b.l.names[n]; i++ {
		n = fmt.Sprintf("%s%d", base, i)
	}
	b.names[n] = true
	return n
}

func (b *fnb) local(base string, t loop.Type) *loop.Var {
	v := &loop.Var{Name: b.name(base), T: t}
	b.f.Locals = append(b.f.Locals, v)
	return v
}

func (b *fnb) loopVar(base string) *loop.Var {
	return &loop.Var{Name: b.name(base), T: loop.Int64}
}

func (b *fnb) top() *level { return b.levels[len(b.levels)-1] }

func (b *fnb) push(lv *level) { b.levels = append(b.levels, lv) }
func (b *fnb) pop()           { b.levels = b.levels[:len(b.levels)-1] }

// widen broadcasts a scalar e to lanes lanes.
func (b *fnb) widen(e loop.Expr, lanes int) loop.Expr {
	t := e.Type()
	if lanes <= 1 || t.Lanes == lanes {
		return e
	}
	b.vector = true
	if c, ok := e.(*loop.Const); ok {
		cc := *c
		cc.T = loop.Vec(t.Elem, lanes)
		return &cc
	}
	return &loop.Broadcast{X: e, T: loop.Vec(t.Elem, lanes)}
}

func lanesOf(es ...loop.Expr) int {
	n := 1
	for _, e := range es {
		if l := e.Type().Lanes; l > n {
			n = l
		}
	}
	return n
}

func vt(elem ir.DType, lanes int) loop.Type { return loop.Type{Elem: elem, Lanes: lanes} }

// expr lowers a value expression at the top level's vector width. The result is
// scalar when it does not depend on a lane variable.
func (b *fnb) expr(e ir.Expr) (loop.Expr, error) {
	switch e := e.(type) {
	case *ir.Const:
		return &loop.Const{T: loop.Scalar(e.T), Int: e.Int, Float: e.Float}, nil
	case *ir.SizeVal:
		v := b.l.sizes[e.Size]
		if v == nil {
			return nil, fmt.Errorf("unknown size %s", e.Size.Name)
		}
		return convert(loop.R(v), e.T), nil
	case *ir.Index:
		bd, ok := b.bind[e.Var]
		if !ok {
			return nil, fmt.Errorf("index variable %s is not bound", e.Var.Name)
		}
		if bd.val {
			x := b.widen(bd.x, lanesOf(bd.x))
			if x.Type().Elem != e.T {
				return &loop.Cast{X: x, T: vt(e.T, x.Type().Lanes)}, nil
			}
			return x, nil
		}
		if bd.vec {
			return b.laneIndex(e, bd)
		}
		return convert(bd.x, e.T), nil
	case *ir.Read:
		return b.read(e)
	case *ir.Unary:
		x, err := b.expr(e.X)
		if err != nil {
			return nil, err
		}
		return &loop.Un{Op: e.Op, X: x, T: vt(e.T, lanesOf(x))}, nil
	case *ir.Binary:
		x, err := b.expr(e.X)
		if err != nil {
			return nil, err
		}
		y, err := b.expr(e.Y)
		if err != nil {
			return nil, err
		}
		n := lanesOf(x, y)
		x, y = b.widen(x, n), b.widen(y, n)
		if e.Op == ir.Add {
			return b.add(x, y), nil
		}
		return &loop.Bin{Op: e.Op, X: x, Y: y, T: vt(e.T, n)}, nil
	case *ir.Call:
		args := make([]loop.Expr, len(e.Args))
		for i, a := range e.Args {
			x, err := b.expr(a)
			if err != nil {
				return nil, err
			}
			args[i] = x
		}
		n := lanesOf(args...)
		for i := range args {
			args[i] = b.widen(args[i], n)
		}
		return &loop.Call{Fn: loop.Fn(e.Fn), Args: args, T: vt(e.T, n)}, nil
	case *ir.Select:
		c, err := b.expr(e.Cond)
		if err != nil {
			return nil, err
		}
		x, err := b.expr(e.A)
		if err != nil {
			return nil, err
		}
		y, err := b.expr(e.B)
		if err != nil {
			return nil, err
		}
		n := lanesOf(c, x, y)
		return &loop.Select{Cond: b.widen(c, n), A: b.widen(x, n), B: b.widen(y, n), T: vt(e.T, n)}, nil
	case *ir.Cast:
		x, err := b.expr(e.X)
		if err != nil {
			return nil, err
		}
		if x.Type().Elem == e.To {
			return x, nil
		}
		return &loop.Cast{X: x, T: vt(e.To, lanesOf(x))}, nil
	case *ir.Reduce:
		return b.reduce(e)
	case nil:
		return nil, fmt.Errorf("nil expression")
	}
	return nil, fmt.Errorf("unsupported expression %T", e)
}

// laneIndex is the value of lane variable e as a vector: its lane-0 value
// broadcast plus the lane numbers (only as i32: wider lanes would halve the
// vector).
func (b *fnb) laneIndex(e *ir.Index, bd binding) (loop.Expr, error) {
	n := 0
	for _, lv := range b.levels {
		for _, v := range lv.vars {
			if v == e.Var {
				n = lv.lanes
			}
		}
	}
	if e.T != ir.I32 || n < 2 {
		return nil, errNoVec
	}
	t := vt(ir.I32, n)
	lanes := make([]int64, n)
	for i := range lanes {
		lanes[i] = int64(i)
	}
	return &loop.Bin{Op: ir.Add, X: &loop.Broadcast{X: convert(bd.x, ir.I32), T: t}, Y: &loop.Lanes{T: t, Int: lanes}, T: t}, nil
}

// convert casts an Int64 scalar to t when needed.
func convert(x loop.Expr, t ir.DType) loop.Expr {
	if t == ir.I64 {
		return x
	}
	return &loop.Cast{X: x, T: loop.Scalar(t)}
}

// add returns x + y, contracted to an FMA when one side is a float product and
// the target has FMA.
func (b *fnb) add(x, y loop.Expr) loop.Expr {
	t := x.Type()
	if b.l.t.FMA && t.Elem.IsFloat() {
		if m, ok := x.(*loop.Bin); ok && m.Op == ir.Mul {
			return &loop.Call{Fn: loop.FMA, Args: []loop.Expr{m.X, m.Y, y}, T: t}
		}
		if m, ok := y.(*loop.Bin); ok && m.Op == ir.Mul {
			return &loop.Call{Fn: loop.FMA, Args: []loop.Expr{m.X, m.Y, x}, T: t}
		}
	}
	return &loop.Bin{Op: ir.Add, X: x, Y: y, T: t}
}

// index lowers a subscript or condition expression to a scalar; lane variables
// stand for their lane-0 value (callers check that this is meaningful).
func (b *fnb) index(e ir.Expr) (loop.Expr, error) {
	switch e := e.(type) {
	case *ir.Index:
		bd, ok := b.bind[e.Var]
		if !ok {
			return nil, fmt.Errorf("index variable %s is not bound", e.Var.Name)
		}
		if bd.val || bd.x.Type().Lanes != 1 {
			return nil, fmt.Errorf("index variable %s is bound to a value", e.Var.Name)
		}
		return convert(bd.x, e.T), nil
	case *ir.Const, *ir.SizeVal:
		return b.expr(e)
	case *ir.Unary:
		x, err := b.index(e.X)
		if err != nil {
			return nil, err
		}
		return &loop.Un{Op: e.Op, X: x, T: loop.Scalar(e.T)}, nil
	case *ir.Binary:
		x, err := b.index(e.X)
		if err != nil {
			return nil, err
		}
		y, err := b.index(e.Y)
		if err != nil {
			return nil, err
		}
		if e.T == ir.I64 {
			switch e.Op {
			case ir.Add:
				return loop.Add(x, y), nil
			case ir.Sub:
				return loop.Sub(x, y), nil
			case ir.Mul:
				return loop.Mul(x, y), nil
			}
		}
		return &loop.Bin{Op: e.Op, X: x, Y: y, T: loop.Scalar(e.T)}, nil
	case *ir.Cast:
		x, err := b.index(e.X)
		if err != nil {
			return nil, err
		}
		if x.Type().Elem == e.To {
			return x, nil
		}
		return &loop.Cast{X: x, T: loop.Scalar(e.To)}, nil
	}
	return nil, fmt.Errorf("unsupported subscript expression %s", ir.ExprString(e))
}

// mentionsLane reports whether e depends on a lane variable.
func (b *fnb) mentionsLane(e ir.Expr) bool {
	found := false
	ir.Walk(e, func(x ir.Expr) bool {
		if ix, ok := x.(*ir.Index); ok && b.bind[ix.Var].vec {
			found = true
		}
		return !found
	})
	return found
}

// read lowers a tensor read.
func (b *fnb) read(e *ir.Read) (loop.Expr, error) {
	t := e.Tensor
	if t.Kind == ir.Scalar {
		v := b.l.scalars[t]
		if v == nil {
			return nil, fmt.Errorf("unknown scalar %s", t.Name)
		}
		return loop.R(v), nil
	}
	if s, ok := b.l.inline[t]; ok {
		return b.inlined(s, e)
	}
	if v, ok := b.rowLocals[t]; ok {
		// Fusion guarantees the read is at the current row.
		return loop.R(v), nil
	}
	buf := b.l.bufs[t]
	if buf == nil {
		return nil, fmt.Errorf("tensor %s has no buffer", t.Name)
	}
	if len(e.Subs) != len(t.Dims) {
		return nil, fmt.Errorf("read of %s with %d subscripts, want %d", t.Name, len(e.Subs), len(t.Dims))
	}
	var (
		idx   loop.Expr = loop.I64(0)
		guard loop.Expr
		lanes = 1
	)
	for i, sub := range e.Subs {
		d, err := b.l.dimExpr(t.Dims[i])
		if err != nil {
			return nil, err
		}
		if b.mentionsLane(sub) {
			x, ok := sub.(*ir.Index)
			if i != len(e.Subs)-1 || !ok || !b.l.eq.same(x.Var.Extent, t.Dims[i]) {
				return nil, errNoVec
			}
			lanes = b.top().lanes
		}
		s, err := b.index(sub)
		if err != nil {
			return nil, err
		}
		if slot, ok := b.slots[t]; ok && i == 0 {
			// Fusion guarantees sub is the current row, which lives in the slot.
			s = slot
		}
		idx = loop.Add(loop.Mul(idx, d), s)
		lo, hi := b.l.inRange(sub, t.Dims[i])
		if !lo {
			guard = loop.And(guard, loop.Cmp(ir.Ge, s, loop.I64(0)))
		}
		if !hi {
			guard = loop.And(guard, loop.Cmp(ir.Lt, s, d))
		}
	}
	ld := &loop.Load{Buf: buf, Index: idx, T: vt(t.Type, lanes), Guard: guard}
	if lanes > 1 {
		b.vector = true
		ld.Count = b.top().count
	}
	if !t.Type.ZeroIsZero() {
		// Every read of such a type is converted to its compute type.
		return loop.ReadAs(ld, vt(t.Type.Compute(), lanes)), nil
	}
	return ld, nil
}

// inlined lowers the value of an inlined intermediate at the point read by e.
func (b *fnb) inlined(s *ir.Stmt, e *ir.Read) (loop.Expr, error) {
	saved := make(map[*ir.Var]binding, len(s.Index))
	had := make(map[*ir.Var]bool, len(s.Index))
	for i, v := range s.Index {
		x, ok := e.Subs[i].(*ir.Index)
		if !ok {
			return nil, fmt.Errorf("inlined read of %s at a non-plain subscript", s.Target.Name)
		}
		bd, ok := b.bind[x.Var]
		if !ok {
			return nil, fmt.Errorf("index variable %s is not bound", x.Var.Name)
		}
		saved[v], had[v] = b.bind[v]
		b.bind[v] = bd
	}
	defer func() {
		for v := range saved {
			if had[v] {
				b.bind[v] = saved[v]
			} else {
				delete(b.bind, v)
			}
		}
	}()
	return b.expr(s.Value)
}

// inRange reports whether subscript e is provably >= 0 and provably < d.
func (l *lowerer) inRange(e ir.Expr, d ir.Dim) (lo, hi bool) {
	if x, ok := e.(*ir.Index); ok && l.eq.same(x.Var.Extent, d) {
		return true, true
	}
	min, max, minOK, maxOK := bounds(e)
	lo = minOK && min >= 0
	if n, ok := constValue(d); ok && maxOK && max < n {
		hi = true
	}
	return lo, hi
}

// bounds computes a constant interval [min, max] containing every value of the
// subscript expression e; minOK/maxOK report whether each end is known.
func bounds(e ir.Expr) (min, max int64, minOK, maxOK bool) {
	const lim = math.MaxInt32
	switch e := e.(type) {
	case *ir.Const:
		return e.Int, e.Int, true, true
	case *ir.Index:
		if n, ok := constValue(e.Var.Extent); ok {
			return 0, n - 1, true, n <= lim
		}
		return 0, 0, true, false
	case *ir.SizeVal:
		return 0, 0, true, false
	case *ir.Cast:
		return bounds(e.X)
	case *ir.Binary:
		a0, a1, a0ok, a1ok := bounds(e.X)
		b0, b1, b0ok, b1ok := bounds(e.Y)
		fits := func(vs ...int64) bool {
			for _, v := range vs {
				if v > lim || v < -lim {
					return false
				}
			}
			return true
		}
		if !fits(a0, a1, b0, b1) {
			return 0, 0, false, false
		}
		switch e.Op {
		case ir.Add:
			return a0 + b0, a1 + b1, a0ok && b0ok, a1ok && b1ok
		case ir.Sub:
			return a0 - b1, a1 - b0, a0ok && b1ok, a1ok && b0ok
		case ir.Mul:
			// Only multiplication by a non-negative constant.
			if c, ok := e.Y.(*ir.Const); ok && c.Int >= 0 {
				return a0 * c.Int, a1 * c.Int, a0ok, a1ok
			}
			if c, ok := e.X.(*ir.Const); ok && c.Int >= 0 {
				return b0 * c.Int, b1 * c.Int, b0ok, b1ok
			}
		case ir.Div:
			if c, ok := e.Y.(*ir.Const); ok && c.Int > 0 {
				return rt.FloorDiv(a0, c.Int), rt.FloorDiv(a1, c.Int), a0ok, a1ok
			}
		case ir.Mod:
			if c, ok := e.Y.(*ir.Const); ok && c.Int > 0 {
				return 0, c.Int - 1, true, true
			}
		}
	}
	return 0, 0, false, false
}
