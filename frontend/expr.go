package frontend

import (
	"fmt"
	"math"
	"strconv"

	"github.com/tensorcc/tcc/ir"
)

// conv converts e to type t, inserting a Cast when the types differ.
func conv(e ir.Expr, t ir.DType) ir.Expr {
	if e.Type() == t {
		return e
	}
	if c, ok := e.(*ir.Cast); ok && c.X.Type() == t && c.To == t.Compute() {
		return c.X // widening to the compute type and back is the identity
	}
	return &ir.Cast{Pos: e.Position(), X: e, To: t}
}

// promote converts e to its compute type. Only a cast has a value of a
// non-compute type (f16(x), i8(y)); an operation on it computes in the
// promoted type, as on a tensor read of that type (SPEC section 3).
func (s *kscope) promote(e ir.Expr) ir.Expr {
	if e.Type() == ir.BoolT {
		return e
	}
	return conv(e, s.ft(e.Type().Compute()))
}

// ft returns the float compute type to use for t: in a statement that stores
// into an f64 output, f32 arithmetic is carried out in f64, so that the output
// meets the f64 accuracy of SPEC section 7 (its value is the exact result
// rounded once to f64; f32 rounding on the way would exceed 1e-10).
func (s *kscope) ft(t ir.DType) ir.DType {
	if s.wide && t == ir.F32 {
		return ir.F64
	}
	return t
}

func defaultType(isFloat bool) ir.DType {
	if isFloat {
		return ir.F32
	}
	return ir.I32
}

// untyped reports whether n is an untyped expression (literals, constants, size
// symbols, index variables, inf, pi and arithmetic on them) and whether it
// involves a float literal.
func (s *kscope) untyped(n node) (untyped, isFloat bool) {
	if r, ok := s.untypedMemo[n]; ok {
		return r[0], r[1]
	}
	untyped, isFloat = s.untyped1(n)
	s.untypedMemo[n] = [2]bool{untyped, isFloat}
	return untyped, isFloat
}

func (s *kscope) untyped1(n node) (untyped, isFloat bool) {
	switch n := n.(type) {
	case *numLit:
		return true, n.isFloat
	case *identNode:
		if s.lookupVar(n.name) != nil {
			return true, false
		}
		if sy := s.syms[n.name]; sy != nil {
			return sy.t == nil, false
		}
		if _, ok := s.c.consts[n.name]; ok {
			return true, false
		}
		if n.name == "inf" || n.name == "pi" {
			return true, true
		}
	case *unaryNode:
		if n.op != "!" {
			return s.untyped(n.x)
		}
	case *binaryNode:
		switch n.op {
		case "+", "-", "*", "/", "%":
			ux, fx := s.untyped(n.x)
			uy, fy := s.untyped(n.y)
			return ux && uy, fx || fy
		}
	}
	return false, false
}

// value compiles n in a value context: the result has a compute type or BoolT.
func (s *kscope) value(n node) ir.Expr {
	c := s.c
	if u, f := s.untyped(n); u {
		return s.mat(n, s.ft(defaultType(f)))
	}
	switch n := n.(type) {
	case *identNode:
		return s.load(s.read(n.name, n.p, nil))
	case *indexNode:
		return s.load(s.read(n.name, n.p, n.subs))
	case *unaryNode:
		x := s.value(n.x)
		switch n.op {
		case "-":
			s.needNumber(x, n.x)
			x = s.promote(x)
			return &ir.Unary{Pos: n.p, Op: ir.Neg, X: x, T: x.Type()}
		case "+":
			s.needNumber(x, n.x)
			return x
		}
		if x.Type() != ir.BoolT {
			c.fail(n.p, "operator ! needs a bool operand, got %s", x.Type())
		}
		return &ir.Unary{Pos: n.p, Op: ir.Not, X: x, T: ir.BoolT}
	case *binaryNode:
		switch n.op {
		case "&&", "||":
			x, y := s.value(n.x), s.value(n.y)
			for _, e := range []ir.Expr{x, y} {
				if e.Type() != ir.BoolT {
					c.fail(e.Position(), "operator %s needs bool operands, got %s", n.op, e.Type())
				}
			}
			op := ir.And
			if n.op == "||" {
				op = ir.Or
			}
			return &ir.Binary{Pos: n.p, Op: op, X: x, Y: y, T: ir.BoolT}
		case "%":
			c.fail(n.opPos, "operator %% is only allowed in subscripts and where conditions")
		}
		op := binOps[n.op]
		if op.IsCompare() {
			// A comparison of untyped integers (index variables, sizes,
			// constants and arithmetic on them) is exact: in i64, as in a
			// where-condition, never in a type that could wrap.
			ux, fx := s.untyped(n.x)
			uy, fy := s.untyped(n.y)
			if ux && uy && !fx && !fy {
				return &ir.Binary{Pos: n.p, Op: op, X: s.mat(n.x, ir.I64), Y: s.mat(n.y, ir.I64), T: ir.BoolT}
			}
		}
		es, t := s.unify([]node{n.x, n.y}, op == ir.Eq || op == ir.Ne)
		if op.IsCompare() {
			if t == ir.BoolT && op != ir.Eq && op != ir.Ne {
				c.fail(n.opPos, "operator %s is not defined on bool values", n.op)
			}
			return &ir.Binary{Pos: n.p, Op: op, X: es[0], Y: es[1], T: ir.BoolT}
		}
		return &ir.Binary{Pos: n.p, Op: op, X: es[0], Y: es[1], T: t}
	case *callNode:
		return s.call(n)
	}
	c.fail(n.pos(), "invalid expression")
	return nil
}

var binOps = map[string]ir.Op{
	"+": ir.Add, "-": ir.Sub, "*": ir.Mul, "/": ir.Div, "%": ir.Mod,
	"<": ir.Lt, "<=": ir.Le, ">": ir.Gt, ">=": ir.Ge, "==": ir.Eq, "!=": ir.Ne,
}

func (s *kscope) needNumber(e ir.Expr, n node) {
	if e.Type() == ir.BoolT {
		s.c.fail(n.pos(), "cannot use a bool value as a number")
	}
}

// common returns the compute type of an operation on compute types a and b.
func common(a, b ir.DType) ir.DType {
	switch {
	case a == b:
		return a
	case a.IsInteger() && b.IsInteger():
		return ir.I64
	case a.IsInteger():
		return b
	case b.IsInteger():
		return a
	case a.Bits >= b.Bits:
		return a
	}
	return b
}

// unify compiles operands that combine into one compute type: typed operands are
// promoted, untyped ones take the common type (f32 if a float literal meets
// integers). With allowBool the operands may all be bool.
func (s *kscope) unify(nodes []node, allowBool bool) ([]ir.Expr, ir.DType) {
	es := make([]ir.Expr, len(nodes))
	var t ir.DType
	untypedFloat, untypedAny := false, false
	for i, n := range nodes {
		if u, f := s.untyped(n); u {
			untypedFloat = untypedFloat || f
			untypedAny = true
			continue
		}
		e := s.promote(s.value(n))
		es[i] = e
		et := e.Type()
		if et == ir.BoolT || t == ir.BoolT {
			if !allowBool || (t.IsValid() && t != et) {
				s.c.fail(n.pos(), "cannot use a bool value as a number")
			}
		}
		if !t.IsValid() {
			t = et
		} else {
			t = common(t, et)
		}
	}
	switch {
	case !t.IsValid():
		t = s.ft(defaultType(untypedFloat))
	case t == ir.BoolT && untypedAny:
		for _, n := range nodes {
			if u, _ := s.untyped(n); u {
				s.c.fail(n.pos(), "cannot mix a number with bool values")
			}
		}
	case untypedFloat && t.IsInteger():
		t = s.ft(ir.F32)
	}
	for i, n := range nodes {
		if es[i] == nil {
			es[i] = s.mat(n, t)
		} else {
			es[i] = conv(es[i], t)
		}
	}
	return es, t
}

// mat materialises the untyped expression n at compute type t.
func (s *kscope) mat(n node, t ir.DType) ir.Expr {
	c := s.c
	switch n := n.(type) {
	case *numLit:
		if n.isFloat {
			v, err := strconv.ParseFloat(n.text, 64)
			if err != nil && !math.IsInf(v, 0) {
				c.fail(n.p, "invalid float literal %s", n.text)
			}
			return floatConst(n.p, v, t)
		}
		return s.intConst(n.p, c.parseInt(n), n.text, t)
	case *identNode:
		if vi := s.lookupVar(n.name); vi != nil {
			if t.IsInteger() {
				return &ir.Index{Pos: n.p, Var: vi.v, T: t}
			}
			return &ir.Cast{Pos: n.p, X: &ir.Index{Pos: n.p, Var: vi.v, T: ir.I64}, To: t}
		}
		if sy := s.syms[n.name]; sy != nil && sy.size != nil {
			return &ir.SizeVal{Pos: n.p, Size: sy.size, T: t}
		}
		if ci, ok := c.consts[n.name]; ok {
			v, ok := c.evalConstDecl(ci)
			if !ok {
				panic(bailout{})
			}
			return s.intConst(n.p, v, n.name, t)
		}
		switch n.name {
		case "inf":
			return floatConst(n.p, math.Inf(1), t)
		case "pi":
			return floatConst(n.p, math.Pi, t)
		}
	case *unaryNode:
		x := s.mat(n.x, t)
		if n.op == "+" {
			return x
		}
		return &ir.Unary{Pos: n.p, Op: ir.Neg, X: x, T: t}
	case *binaryNode:
		if n.op == "%" {
			c.fail(n.opPos, "operator %% is only allowed in subscripts and where conditions")
		}
		return &ir.Binary{Pos: n.p, Op: binOps[n.op], X: s.mat(n.x, t), Y: s.mat(n.y, t), T: t}
	}
	c.fail(n.pos(), "invalid constant expression")
	return nil
}

func floatConst(pos ir.Pos, v float64, t ir.DType) ir.Expr {
	if t == ir.F32 {
		v = float64(float32(v))
	}
	return &ir.Const{Pos: pos, T: t, Float: v}
}

func (s *kscope) intConst(pos ir.Pos, v int64, text string, t ir.DType) ir.Expr {
	if t.IsFloat() {
		return floatConst(pos, float64(v), t)
	}
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	switch t {
	case ir.I32:
		lo, hi = math.MinInt32, math.MaxInt32
	case ir.U32:
		lo, hi = 0, math.MaxUint32
	}
	if v < lo || v > hi {
		s.c.fail(pos, "constant %s overflows %s", text, t)
	}
	return &ir.Const{Pos: pos, T: t, Int: v}
}

// read compiles a tensor read (subs nil for a bare name); the result has the
// tensor's storage type.
func (s *kscope) read(name string, pos ir.Pos, subs []node) ir.Expr {
	c := s.c
	t := s.tensorArg(&identNode{p: pos, name: name})
	if t.Kind == ir.Scalar && subs != nil {
		c.fail(pos, "cannot index scalar parameter %q", name)
	}
	if len(subs) != t.Rank() {
		c.fail(pos, "%q has %s, but is indexed with %d subscripts", name, plural(t.Rank(), "dimension"), len(subs))
	}
	r := &ir.Read{Pos: pos, Tensor: t}
	for i, sub := range subs {
		r.Subs = append(r.Subs, s.subscript(sub, "subscript"))
		if id, ok := sub.(*identNode); ok {
			if vi := s.lookupVar(id.name); vi != nil {
				vi.occs = append(vi.occs, occ{t: t, dim: i, pos: id.p})
			}
		}
	}
	return r
}

// tensorArg resolves a name that must denote a tensor defined by now.
func (s *kscope) tensorArg(id *identNode) *ir.Tensor {
	c := s.c
	name, pos := id.name, id.p
	sy := s.syms[name]
	if sy == nil || sy.t == nil {
		switch {
		case sy != nil || s.lookupVar(name) != nil:
			c.fail(pos, "%q is not a tensor", name)
		case c.consts[name] != nil:
			c.fail(pos, "constant %q is not a tensor", name)
		case c.kernels[name] != nil:
			c.fail(pos, "kernel %q used as a value", name)
		}
		if s.targets[name] {
			c.fail(pos, "%q is used before it is defined", name)
		}
		c.fail(pos, "undefined name %q", name)
	}
	if sy.bad {
		panic(bailout{})
	}
	if (sy.t.Kind == ir.Output || sy.t.Kind == ir.Temp) && !sy.defined {
		c.fail(pos, "%q is used before it is defined", name)
	}
	return sy.t
}

// load converts a stored value to its compute type.
func (s *kscope) load(e ir.Expr) ir.Expr { return conv(e, s.ft(e.Type().Compute())) }

// subscript compiles an integer index expression to I64; ctx names the context
// for messages ("subscript" or "where condition").
func (s *kscope) subscript(n node, ctx string) ir.Expr {
	c := s.c
	switch n := n.(type) {
	case *numLit:
		if n.isFloat {
			c.fail(n.p, "%s must be an integer expression, not %s", ctx, n.text)
		}
		return &ir.Const{Pos: n.p, T: ir.I64, Int: c.parseInt(n)}
	case *identNode:
		if vi := s.lookupVar(n.name); vi != nil {
			return &ir.Index{Pos: n.p, Var: vi.v, T: ir.I64}
		}
		if sy := s.syms[n.name]; sy != nil {
			if sy.size != nil {
				return &ir.SizeVal{Pos: n.p, Size: sy.size, T: ir.I64}
			}
			c.fail(n.p, "%s may only use index variables, sizes and constants, not tensor %q", ctx, n.name)
		}
		if ci, ok := c.consts[n.name]; ok {
			v, ok := c.evalConstDecl(ci)
			if !ok {
				panic(bailout{})
			}
			return &ir.Const{Pos: n.p, T: ir.I64, Int: v}
		}
		if n.name == "inf" || n.name == "pi" {
			c.fail(n.p, "%s must be an integer expression, not %s", ctx, n.name)
		}
		c.fail(n.p, "undefined name %q", n.name)
	case *unaryNode:
		if n.op == "-" || n.op == "+" {
			x := s.subscript(n.x, ctx)
			if n.op == "+" {
				return x
			}
			return &ir.Unary{Pos: n.p, Op: ir.Neg, X: x, T: ir.I64}
		}
	case *binaryNode:
		switch n.op {
		case "+", "-":
		case "*":
			if s.hasIndex(n.x) && s.hasIndex(n.y) {
				c.fail(n.opPos, "%s product needs a constant or size operand", ctx)
			}
		case "/", "%":
			if !c.isConstExpr(n.y) {
				c.fail(n.y.pos(), "%s divisor of %s must be a positive constant", ctx, n.op)
			}
			if v := c.evalConst(n.y); v <= 0 {
				c.fail(n.y.pos(), "%s divisor of %s must be a positive constant, not %d", ctx, n.op, v)
			}
		default:
			c.fail(n.opPos, "%s must be an integer expression; operator %s is not allowed", ctx, n.op)
		}
		return &ir.Binary{Pos: n.p, Op: binOps[n.op], X: s.subscript(n.x, ctx), Y: s.subscript(n.y, ctx), T: ir.I64}
	case *indexNode:
		c.fail(n.p, "%s may only use index variables, sizes and constants, not tensor %q", ctx, n.name)
	}
	c.fail(n.pos(), "%s must be an integer expression of index variables, sizes and constants", ctx)
	return nil
}

// hasIndex reports whether n mentions an index variable.
func (s *kscope) hasIndex(n node) bool {
	switch n := n.(type) {
	case *identNode:
		return s.lookupVar(n.name) != nil
	case *unaryNode:
		return s.hasIndex(n.x)
	case *binaryNode:
		return s.hasIndex(n.x) || s.hasIndex(n.y)
	}
	return false
}

// cond compiles a where condition.
func (s *kscope) cond(n node) ir.Expr {
	switch n := n.(type) {
	case *unaryNode:
		if n.op == "!" {
			return &ir.Unary{Pos: n.p, Op: ir.Not, X: s.cond(n.x), T: ir.BoolT}
		}
	case *binaryNode:
		switch n.op {
		case "&&", "||":
			op := ir.And
			if n.op == "||" {
				op = ir.Or
			}
			return &ir.Binary{Pos: n.p, Op: op, X: s.cond(n.x), Y: s.cond(n.y), T: ir.BoolT}
		case "<", "<=", ">", ">=", "==", "!=":
			x := s.subscript(n.x, "where condition")
			y := s.subscript(n.y, "where condition")
			return &ir.Binary{Pos: n.p, Op: binOps[n.op], X: x, Y: y, T: ir.BoolT}
		}
	}
	s.c.fail(n.pos(), "where condition must compare integer index expressions")
	return nil
}

var reduceOps = map[string]ir.ReduceOp{"sum": ir.RSum, "prod": ir.RProd, "max": ir.RMax, "min": ir.RMin}

// call compiles a call of a built-in function, a cast, select or a reduction.
func (s *kscope) call(n *callNode) ir.Expr {
	c := s.c
	if n.red != nil {
		op, ok := reduceOps[n.name]
		if !ok {
			c.fail(n.p, "%q is not a reduction (want sum, prod, max or min)", n.name)
		}
		mark := len(s.scope)
		r := &ir.Reduce{Pos: n.p, Op: op}
		for _, id := range n.red.vars {
			for _, w := range n.red.vars[:len(r.Vars)] {
				if w.name == id.name {
					c.fail(id.p, "duplicate reduction variable %q", id.name)
				}
			}
			r.Vars = append(r.Vars, s.newVar(id, false).v)
		}
		if n.red.where != nil {
			r.Where = s.cond(n.red.where)
		}
		body := s.value(n.red.body)
		s.needNumber(body, n.red.body)
		body = s.promote(body)
		r.Body, r.T = body, body.Type()
		s.scope = s.scope[:mark]
		return r
	}
	nargs := func(want int) {
		if len(n.args) != want {
			c.fail(n.p, "wrong number of arguments to %s: got %d, want %d", n.name, len(n.args), want)
		}
	}
	if t, ok := ir.ParseDType(n.name); ok {
		nargs(1)
		a := n.args[0]
		if u, f := s.untyped(a); u {
			ct := t.Compute()
			if f != ct.IsFloat() {
				ct = s.ft(defaultType(f))
			}
			return conv(s.mat(a, ct), t)
		}
		return conv(s.value(a), t)
	}
	if typeLike.MatchString(n.name) {
		c.fail(n.p, "%s", typeError(n.name))
	}
	if n.name == "select" {
		nargs(3)
		cond := s.value(n.args[0])
		if cond.Type() != ir.BoolT {
			c.fail(n.args[0].pos(), "select condition must be a bool, got %s", cond.Type())
		}
		es, t := s.unify(n.args[1:], true)
		return &ir.Select{Pos: n.p, Cond: cond, A: es[0], B: es[1], T: t}
	}
	fn, ok := ir.LookupFunc(n.name)
	switch {
	case !ok && (n.name == "sum" || n.name == "prod"):
		c.fail(n.p, "%s is a reduction: write %s(k: EXPR), naming the index it runs over before a colon", n.name, n.name)
	case ok && (fn == ir.Min || fn == ir.Max) && len(n.args) == 1:
		c.fail(n.p, "%s with one argument: the reduction is written %s(k: EXPR), naming its index before a colon; the function takes two arguments", n.name, n.name)
	}
	if !ok {
		if c.kernels[n.name] != nil {
			c.fail(n.p, "kernel %q can only be called as a whole statement, as in X = %s(...)", n.name, n.name)
		}
		c.fail(n.p, "unknown function or kernel %q", n.name)
	}
	nargs(fn.Arity())
	es, t := s.unify(n.args, false)
	switch fn {
	case ir.Abs, ir.Relu, ir.Floor, ir.Ceil, ir.Round, ir.Min, ir.Max, ir.Clamp:
	default:
		if t.IsInteger() {
			t = s.ft(ir.F32)
			for i := range es {
				es[i] = conv(es[i], t)
			}
		}
	}
	return &ir.Call{Pos: n.p, Fn: fn, Args: es, T: t}
}

// plural returns "n thing" or "n things".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
