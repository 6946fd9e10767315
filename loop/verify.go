package loop

import (
	"errors"
	"fmt"

	"github.com/tensorcc/tcc/ir"
)

// Verify checks the invariants of the loop IR that every backend relies on:
//
//   - sizes are Int64 scalars, scalars are scalar variables, buffers have valid
//     element types and Int64 lengths over sizes;
//   - every Step has a Func of the kernel; a parallel Step has an Int64 Extent, a
//     Grain of at least 1 and a Func with Lo and Hi; a serial Step's Func has none;
//     every Func is referenced by at least one Step;
//   - in a Func body every variable read is a size, a scalar, the Func's Lo or Hi, a
//     loop variable of an enclosing For, or a Local assigned earlier in program
//     order; Assign only targets Locals; loop variables are not Locals;
//   - expression types are consistent (operands of arithmetic share the result
//     type, comparisons yield Bool of the same lane count, loads and stores match
//     their buffer's element type, indices, counts and bounds are Int64 scalars,
//     guards and If conditions are Bool scalars) and inputs are never written.
//
// Verify returns all problems found, joined.
func Verify(k *Kernel) error {
	if k == nil {
		return errors.New("loop: nil kernel")
	}
	v := &verifier{k: k, global: map[*Var]bool{}, bufs: map[*Buf]bool{}}
	v.run()
	if len(v.errs) > 0 {
		return fmt.Errorf("loop: kernel %s: %w", k.Name, errors.Join(v.errs...))
	}
	return nil
}

type verifier struct {
	k      *Kernel
	errs   []error
	global map[*Var]bool // sizes and scalars
	bufs   map[*Buf]bool

	// per Func
	fn       *Func
	where    string
	locals   map[*Var]bool // declared locals
	assigned map[*Var]bool // locals assigned so far (program order)
	loopVars map[*Var]bool // enclosing For variables
}

func (v *verifier) errorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if v.where != "" {
		msg = v.where + ": " + msg
	}
	v.errs = append(v.errs, errors.New(msg))
}

func (v *verifier) run() {
	k := v.k
	for _, s := range k.Sizes {
		if s == nil || s.T != Int64 {
			v.errorf("size %v is not an Int64 scalar", varName(s))
			continue
		}
		v.defineGlobal(s)
	}
	for _, s := range k.Scalars {
		if s == nil || s.T.Lanes != 1 || !s.T.Elem.IsValid() {
			v.errorf("scalar %v is not a scalar variable", varName(s))
			continue
		}
		v.defineGlobal(s)
	}
	check := func(kind string, bufs []*Buf, want BufKind) {
		for _, b := range bufs {
			if b == nil {
				v.errorf("nil %s buffer", kind)
				continue
			}
			if v.bufs[b] {
				v.errorf("buffer %s listed twice", b.Name)
			}
			v.bufs[b] = true
			if b.Kind != want {
				v.errorf("%s buffer %s has kind %d", kind, b.Name, b.Kind)
			}
			if !b.Elem.IsValid() || b.Elem.Class == ir.Bool {
				v.errorf("buffer %s has invalid element type %v", b.Name, b.Elem)
			}
			v.sizeExpr("length of buffer "+b.Name, b.Len)
		}
	}
	check("input", k.Inputs, InputBuf)
	check("output", k.Outputs, OutputBuf)
	check("scratch", k.Scratch, ScratchBuf)

	funcs := map[*Func]bool{}
	for _, f := range k.Funcs {
		if f == nil {
			v.errorf("nil func")
			continue
		}
		if funcs[f] {
			v.errorf("func %s listed twice", f.Name)
		}
		funcs[f] = true
	}
	used := map[*Func]bool{}
	parallel := map[*Func]bool{}
	for i, s := range k.Steps {
		if s == nil || s.Func == nil {
			v.errorf("step %d: no func", i)
			continue
		}
		f := s.Func
		if !funcs[f] {
			v.errorf("step %d: func %s is not in the kernel's Funcs", i, f.Name)
		}
		if p, ok := parallel[f]; ok && p != s.Parallel {
			v.errorf("step %d: func %s used by both serial and parallel steps", i, f.Name)
		}
		used[f] = true
		parallel[f] = s.Parallel
		if s.Parallel {
			if f.Lo == nil || f.Hi == nil {
				v.errorf("step %d: parallel func %s lacks Lo/Hi", i, f.Name)
			}
			if s.Grain < 1 {
				v.errorf("step %d: grain %d < 1", i, s.Grain)
			}
			v.sizeExpr(fmt.Sprintf("step %d extent", i), s.Extent)
		} else {
			if f.Lo != nil || f.Hi != nil {
				v.errorf("step %d: serial func %s has Lo/Hi", i, f.Name)
			}
			if s.Extent != nil {
				v.errorf("step %d: serial step has an Extent", i)
			}
		}
		if s.Work != nil {
			v.sizeExpr(fmt.Sprintf("step %d work", i), s.Work)
		}
	}
	for _, f := range k.Funcs {
		if f == nil {
			continue
		}
		if !used[f] {
			v.errorf("func %s is not referenced by any step", f.Name)
		}
		v.fun(f)
	}
}

func varName(x *Var) string {
	if x == nil {
		return "<nil>"
	}
	return x.Name
}

func (v *verifier) defineGlobal(x *Var) {
	if v.global[x] {
		v.errorf("variable %s defined twice", x.Name)
	}
	v.global[x] = true
}

// sizeExpr checks an Int64 scalar expression over sizes and constants only.
func (v *verifier) sizeExpr(what string, e Expr) {
	if e == nil {
		v.errorf("%s: missing", what)
		return
	}
	if e.Type() != Int64 {
		v.errorf("%s: type %s, want i64", what, typeString(e.Type()))
	}
	walkExpr(e, func(x Expr) {
		switch x := x.(type) {
		case *Ref:
			if !v.global[x.Var] || x.Var.T != Int64 {
				v.errorf("%s: refers to %s, which is not a size", what, varName(x.Var))
			}
		case *Load, *HReduce, *Broadcast:
			v.errorf("%s: %T not allowed", what, x)
		}
	})
	v.expr(e, true)
}

func walkExpr(e Expr, f func(Expr)) {
	if e == nil {
		return
	}
	f(e)
	switch e := e.(type) {
	case *Load:
		walkExpr(e.Index, f)
		walkExpr(e.Count, f)
		walkExpr(e.Guard, f)
	case *Bin:
		walkExpr(e.X, f)
		walkExpr(e.Y, f)
	case *Un:
		walkExpr(e.X, f)
	case *Call:
		for _, a := range e.Args {
			walkExpr(a, f)
		}
	case *Cast:
		walkExpr(e.X, f)
	case *Select:
		walkExpr(e.Cond, f)
		walkExpr(e.A, f)
		walkExpr(e.B, f)
	case *Broadcast:
		walkExpr(e.X, f)
	case *HReduce:
		walkExpr(e.X, f)
	}
}

func (v *verifier) fun(f *Func) {
	v.fn = f
	v.where = "func " + f.Name
	defer func() { v.fn, v.where = nil, "" }()
	v.locals = map[*Var]bool{}
	v.assigned = map[*Var]bool{}
	v.loopVars = map[*Var]bool{}
	if (f.Lo == nil) != (f.Hi == nil) {
		v.errorf("only one of Lo and Hi is set")
	}
	for _, x := range []*Var{f.Lo, f.Hi} {
		if x != nil && x.T != Int64 {
			v.errorf("chunk bound %s is not Int64", x.Name)
		}
	}
	for _, x := range f.Locals {
		if x == nil {
			v.errorf("nil local")
			continue
		}
		if v.global[x] || x == f.Lo || x == f.Hi || v.locals[x] {
			v.errorf("local %s is also declared elsewhere", x.Name)
		}
		if x.T.Lanes < 1 || !x.T.Elem.IsValid() {
			v.errorf("local %s has invalid type", x.Name)
		}
		v.locals[x] = true
	}
	v.stmts(f.Body)
}

func (v *verifier) stmts(ss []Stmt) {
	for _, s := range ss {
		v.stmt(s)
	}
}

func (v *verifier) stmt(s Stmt) {
	switch s := s.(type) {
	case *For:
		if s.Var == nil || s.Var.T != Int64 {
			v.errorf("for: loop variable %s is not Int64", varName(s.Var))
			return
		}
		if v.locals[s.Var] || v.global[s.Var] || s.Var == v.fn.Lo || s.Var == v.fn.Hi {
			v.errorf("for: loop variable %s is also a local, size, scalar or bound", s.Var.Name)
		}
		if v.loopVars[s.Var] {
			v.errorf("for: loop variable %s reused in a nested loop", s.Var.Name)
		}
		v.index("for lower bound", s.Lo)
		v.index("for upper bound", s.Hi)
		if s.Step < 1 {
			v.errorf("for %s: step %d < 1", s.Var.Name, s.Step)
		}
		if s.Unroll < 0 {
			v.errorf("for %s: negative unroll", s.Var.Name)
		}
		v.loopVars[s.Var] = true
		v.stmts(s.Body)
		delete(v.loopVars, s.Var)
	case *If:
		v.expr(s.Cond, false)
		if s.Cond != nil && s.Cond.Type() != Bool {
			v.errorf("if: condition has type %s, want bool", typeString(s.Cond.Type()))
		}
		v.stmts(s.Then)
		v.stmts(s.Else)
	case *Assign:
		if s.Dst == nil || !v.locals[s.Dst] {
			v.errorf("assign to %s, which is not a local", varName(s.Dst))
			return
		}
		v.expr(s.Value, false)
		if s.Value != nil && s.Value.Type() != s.Dst.T {
			v.errorf("assign to %s: value type %s, want %s", s.Dst.Name, typeString(s.Value.Type()), typeString(s.Dst.T))
		}
		v.assigned[s.Dst] = true
	case *Store:
		v.buf(s.Buf, true)
		v.index("store index", s.Index)
		v.expr(s.Value, false)
		if s.Buf == nil || s.Value == nil {
			return
		}
		t := s.Value.Type()
		if t.Elem != s.Buf.Elem {
			v.errorf("store to %s: value element type %v, want %v", s.Buf.Name, t.Elem, s.Buf.Elem)
		}
		if s.Count != nil {
			if !t.IsVector() {
				v.errorf("store to %s: Count on a scalar store", s.Buf.Name)
			}
			v.index("store count", s.Count)
		}
		if s.Stream != nil {
			v.expr(s.Stream, false)
			if s.Stream.Type() != Bool {
				v.errorf("store to %s: Stream has type %s, want bool", s.Buf.Name, typeString(s.Stream.Type()))
			}
		}
	case *Memset:
		v.buf(s.Buf, true)
		v.index("memset index", s.Index)
		v.index("memset length", s.Len)
	case *Prefetch:
		v.buf(s.Buf, false)
		v.index("prefetch index", s.Index)
	case nil:
		v.errorf("nil statement")
	default:
		v.errorf("unknown statement %T", s)
	}
}

func (v *verifier) buf(b *Buf, write bool) {
	if b == nil {
		v.errorf("nil buffer")
		return
	}
	if !v.bufs[b] {
		v.errorf("buffer %s is not a buffer of the kernel", b.Name)
	}
	if write && b.Kind == InputBuf {
		v.errorf("write to input buffer %s", b.Name)
	}
}

func (v *verifier) index(what string, e Expr) {
	if e == nil {
		v.errorf("%s: missing", what)
		return
	}
	v.expr(e, false)
	if e.Type() != Int64 {
		v.errorf("%s: type %s, want i64", what, typeString(e.Type()))
	}
}

func validType(t Type) bool {
	return t.Lanes >= 1 && t.Elem.IsValid()
}

// expr checks e; sizesOnly is set for kernel-level expressions (no locals).
func (v *verifier) expr(e Expr, sizesOnly bool) {
	if e == nil {
		v.errorf("nil expression")
		return
	}
	t := e.Type()
	if !validType(t) {
		v.errorf("%T has invalid type", e)
		return
	}
	if t.IsVector() && v.fn != nil && v.fn.VectorBits == 0 {
		v.errorf("vector value %s in a scalar func", typeString(t))
	}
	switch e := e.(type) {
	case *Const:
	case *Ref:
		x := e.Var
		switch {
		case x == nil:
			v.errorf("ref of nil variable")
		case v.global[x]:
		case sizesOnly:
			v.errorf("ref of %s outside a func", x.Name)
		case x == v.fn.Lo || x == v.fn.Hi:
		case v.loopVars[x]:
		case v.locals[x]:
			if !v.assigned[x] {
				v.errorf("local %s read before it is assigned", x.Name)
			}
		default:
			v.errorf("variable %s is not in scope", x.Name)
		}
	case *Load:
		if sizesOnly {
			v.errorf("load outside a func")
			return
		}
		v.buf(e.Buf, false)
		v.index("load index", e.Index)
		switch {
		case e.Raw && e.Buf != nil && (t.Elem != ir.U8 || e.Buf.Elem.Bits > 8):
			v.errorf("raw load from %s: want u8 lanes from a byte buffer, got %s from %v", e.Buf.Name, typeString(t), e.Buf.Elem)
		case !e.Raw && e.Buf != nil && t.Elem != e.Buf.Elem:
			v.errorf("load from %s: element type %v, want %v", e.Buf.Name, t.Elem, e.Buf.Elem)
		}
		if e.Count != nil {
			if !t.IsVector() {
				v.errorf("load from %s: Count on a scalar load", e.Buf.Name)
			}
			v.index("load count", e.Count)
		}
		if e.Guard != nil {
			v.expr(e.Guard, false)
			if e.Guard.Type() != Bool {
				v.errorf("load guard has type %s, want bool", typeString(e.Guard.Type()))
			}
		}
	case *Bin:
		v.expr(e.X, sizesOnly)
		v.expr(e.Y, sizesOnly)
		if e.X == nil || e.Y == nil {
			return
		}
		xt, yt := e.X.Type(), e.Y.Type()
		if xt != yt {
			v.errorf("%v: operand types %s and %s differ", e.Op, typeString(xt), typeString(yt))
		}
		switch {
		case e.Op.IsCompare():
			if t != (Type{Elem: ir.BoolT, Lanes: xt.Lanes}) {
				v.errorf("%v: result type %s, want bool with %d lanes", e.Op, typeString(t), xt.Lanes)
			}
			if xt.Elem.Class == ir.Bool && e.Op != ir.Eq && e.Op != ir.Ne {
				v.errorf("%v on bool operands", e.Op)
			}
		case e.Op == ir.And || e.Op == ir.Or:
			if xt.Elem.Class != ir.Bool || t != xt {
				v.errorf("%v: operands and result must be bool", e.Op)
			}
		case e.Op <= ir.Mod:
			if t != xt {
				v.errorf("%v: result type %s, want %s", e.Op, typeString(t), typeString(xt))
			}
			if !isArith(t.Elem) {
				v.errorf("%v on non-arithmetic type %s", e.Op, typeString(t))
			}
			if e.Op == ir.Mod && !t.Elem.IsInteger() {
				v.errorf("%% on non-integer type %s", typeString(t))
			}
		default:
			v.errorf("%v is not a binary operator", e.Op)
		}
	case *Un:
		v.expr(e.X, sizesOnly)
		if e.X == nil {
			return
		}
		if e.X.Type() != t {
			v.errorf("%v: operand type %s, want %s", e.Op, typeString(e.X.Type()), typeString(t))
		}
		switch e.Op {
		case ir.Neg:
			if !isArith(t.Elem) {
				v.errorf("negation of %s", typeString(t))
			}
		case ir.Not:
			if t.Elem.Class != ir.Bool {
				v.errorf("! of %s", typeString(t))
			}
		default:
			v.errorf("%v is not a unary operator", e.Op)
		}
	case *Call:
		want := 3
		if e.Fn.IsBitOp() {
			if !t.Elem.IsInteger() || t.Elem.IsPacked() {
				v.errorf("%s on %s, want an integer type", fnName(e.Fn), typeString(t))
			}
			want = 2
		} else if e.Fn.IsDot4() {
			if t.Elem != ir.I32 {
				v.errorf("%s on %s, want i32 lanes", fnName(e.Fn), typeString(t))
			}
		} else if e.Fn == Scalef {
			if t.Elem != ir.F32 && t.Elem != ir.F64 {
				v.errorf("scalef on %s, want f32 or f64", typeString(t))
			}
			want = 2
		} else if e.Fn != FMA {
			if e.Fn < 0 || int(e.Fn) > int(ir.Clamp) {
				v.errorf("unknown function %d", e.Fn)
				return
			}
			want = ir.Func(e.Fn).Arity()
		} else if !t.Elem.IsFloat() {
			v.errorf("fma on %s", typeString(t))
		}
		if len(e.Args) != want {
			v.errorf("%s: %d arguments, want %d", fnName(e.Fn), len(e.Args), want)
		}
		if !isArith(t.Elem) {
			v.errorf("%s on %s", fnName(e.Fn), typeString(t))
		}
		for _, a := range e.Args {
			v.expr(a, sizesOnly)
			if a != nil && a.Type() != t {
				v.errorf("%s: argument type %s, want %s", fnName(e.Fn), typeString(a.Type()), typeString(t))
			}
		}
	case *Cast:
		v.expr(e.X, sizesOnly)
		if e.X != nil && e.X.Type().Lanes != t.Lanes {
			v.errorf("cast changes lanes from %d to %d", e.X.Type().Lanes, t.Lanes)
		}
		if t.Elem.Class == ir.Bool {
			v.errorf("cast to bool")
		}
	case *Select:
		v.expr(e.Cond, sizesOnly)
		v.expr(e.A, sizesOnly)
		v.expr(e.B, sizesOnly)
		if e.Cond == nil || e.A == nil || e.B == nil {
			return
		}
		if e.Cond.Type() != (Type{Elem: ir.BoolT, Lanes: t.Lanes}) {
			v.errorf("select: condition type %s, want bool with %d lanes", typeString(e.Cond.Type()), t.Lanes)
		}
		if e.A.Type() != t || e.B.Type() != t {
			v.errorf("select: operand types %s, %s, want %s", typeString(e.A.Type()), typeString(e.B.Type()), typeString(t))
		}
	case *Bitcast:
		v.expr(e.X, sizesOnly)
		if e.X != nil {
			xt := e.X.Type()
			if xt.Lanes*xt.Elem.Bits != t.Lanes*t.Elem.Bits || xt.Elem.IsPacked() || t.Elem.IsPacked() || xt.Elem.Class == ir.Bool || t.Elem.Class == ir.Bool {
				v.errorf("bitcast of %s to %s", typeString(xt), typeString(t))
			}
		}
	case *Shuffle:
		v.expr(e.X, sizesOnly)
		if e.X == nil {
			return
		}
		xt := e.X.Type()
		if !xt.IsVector() || xt.Elem != t.Elem || len(e.Index) != t.Lanes || !t.IsVector() {
			v.errorf("shuffle of %s to %s with %d indices", typeString(xt), typeString(t), len(e.Index))
		}
		for _, i := range e.Index {
			if i < 0 || i >= xt.Lanes {
				v.errorf("shuffle index %d out of range for %s", i, typeString(xt))
			}
		}
	case *Lanes:
		n := len(e.Int)
		if t.Elem.IsFloat() {
			n = len(e.Float)
		}
		if n != t.Lanes || !t.IsVector() || !isArith(t.Elem) {
			v.errorf("lane constant of %d values for %s", n, typeString(t))
		}
	case *Broadcast:
		v.expr(e.X, sizesOnly)
		if e.X != nil && (e.X.Type() != Scalar(t.Elem) || !t.IsVector()) {
			v.errorf("broadcast of %s to %s", typeString(e.X.Type()), typeString(t))
		}
	case *HReduce:
		v.expr(e.X, sizesOnly)
		if e.X != nil && (!e.X.Type().IsVector() || t != Scalar(e.X.Type().Elem)) {
			v.errorf("hreduce of %s to %s", typeString(e.X.Type()), typeString(t))
		}
		if e.Op > ir.RMin {
			v.errorf("hreduce: unknown operator %d", e.Op)
		}
	default:
		v.errorf("unknown expression %T", e)
	}
}

func isArith(t ir.DType) bool {
	return t.IsInteger() || t.IsFloat()
}

func fnName(f Fn) string {
	if f == FMA {
		return "fma"
	}
	if f.IsDot4() {
		a, b := Dot4Signs(f)
		sign := map[bool]string{false: "u8", true: "s8"}
		return "dot" + sign[a] + sign[b]
	}
	if f == Scalef {
		return "scalef"
	}
	if name, ok := bitOpNames[f]; ok {
		return name
	}
	if f >= 0 && int(f) <= int(ir.Clamp) {
		return ir.Func(f).String()
	}
	return fmt.Sprintf("fn%d", int(f))
}

func typeString(t Type) string {
	if t.Lanes == 1 {
		return t.Elem.String()
	}
	return fmt.Sprintf("%sx%d", t.Elem, t.Lanes)
}

var bitOpNames = map[Fn]string{BitAnd: "bitand", BitOr: "bitor", BitXor: "bitxor", Shl: "shl", Shr: "shr"}
