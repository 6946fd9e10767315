package golang

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// exprGen translates loop expressions to Go expressions. Vector expressions are
// translated one lane at a time; names maps every variable in scope to its Go name.
type exprGen struct {
	names map[*loop.Var]string
	bufs  map[*loop.Buf]string
	err   error
}

func (g *exprGen) fail(format string, args ...any) {
	if g.err == nil {
		g.err = fmt.Errorf("golang: "+format, args...)
	}
}

// castCode converts the Go expression x holding a value of type from into a
// value of type to with the semantics of ir.Cast (SPEC section 3).
func castCode(x string, from, to ir.DType) (string, error) {
	if from == to {
		return x, nil
	}
	switch from.Class {
	case ir.Bool:
		return castCode("tccgoB2I("+x+")", ir.I64, to)
	case ir.Float:
		if from.Bits == 16 {
			return castCode("tccF16ToF32("+x+")", ir.F32, to)
		}
	case ir.BFloat:
		return castCode("tccBF16ToF32("+x+")", ir.F32, to)
	case ir.MiniFloat, ir.UMiniFloat:
		return castCode("float32("+miniLit(from)+".Decode("+x+"))", ir.F32, to)
	}
	if !isIEEE(from) && !isInt(from) {
		return "", fmt.Errorf("golang: cannot convert from %v", from)
	}
	vt, err := valueType(to)
	if err != nil {
		return "", err
	}
	f64 := x
	if from != ir.F64 {
		f64 = "float64(" + x + ")"
	}
	switch to.Class {
	case ir.Bool:
		return "(" + x + " != 0)", nil
	case ir.Float, ir.BFloat:
		pre := "tccF"
		if to.Class == ir.BFloat {
			pre = "tccBF"
		}
		switch {
		case to.Bits == 32 || to.Bits == 64:
			return vt + "(" + x + ")", nil
		case to.Class == ir.BFloat && from == ir.F32:
			return "tccF32ToBF16(" + x + ")", nil
		case from == ir.F32:
			return "tccF32ToF16(" + x + ")", nil
		default:
			_ = pre
			if to.Class == ir.BFloat {
				return "tccF64ToBF16(" + f64 + ")", nil
			}
			return "tccF64ToF16(" + f64 + ")", nil
		}
	case ir.MiniFloat, ir.UMiniFloat:
		if from == ir.F32 {
			return miniLit(to) + ".EncodeF32(" + x + ")", nil
		}
		return miniLit(to) + ".EncodeF64(" + f64 + ")", nil
	case ir.Int, ir.Uint:
		signed := to.Class == ir.Int
		switch {
		case isInt(from) && intContains(to, from):
			return vt + "(" + x + ")", nil
		case isInt(from):
			return fmt.Sprintf("%s(tccIntSat(int64(%s), %d, %v))", vt, x, to.Bits, signed), nil
		case from == ir.F32:
			return fmt.Sprintf("%s(tccF32ToInt(%s, %d, %v))", vt, x, to.Bits, signed), nil
		default:
			return fmt.Sprintf("%s(tccF64ToInt(%s, %d, %v))", vt, x, to.Bits, signed), nil
		}
	}
	return "", fmt.Errorf("golang: cannot convert %v to %v", from, to)
}

// constCode is the Go expression for the constant c of element type t.
func constCode(t ir.DType, iv int64, fv float64) (string, error) {
	vt, err := valueType(t)
	if err != nil {
		return "", err
	}
	switch t.Class {
	case ir.Bool:
		if iv != 0 {
			return "true", nil
		}
		return "false", nil
	case ir.Int:
		if t.Bits < 64 {
			sh := 64 - uint(t.Bits)
			iv = iv << sh >> sh
		}
		return vt + "(" + strconv.FormatInt(iv, 10) + ")", nil
	case ir.Uint:
		u := uint64(iv)
		if t.Bits < 64 {
			u &= 1<<uint(t.Bits) - 1
		}
		return vt + "(" + strconv.FormatUint(u, 10) + ")", nil
	}
	if isIEEE(t) {
		v := fv
		if t.Bits == 32 {
			v = float64(float32(fv))
		}
		switch {
		case math.IsNaN(v):
			return vt + "(math.NaN())", nil
		case math.IsInf(v, 1):
			return vt + "(math.Inf(1))", nil
		case math.IsInf(v, -1):
			return vt + "(math.Inf(-1))", nil
		case v == 0 && math.Signbit(v):
			return vt + "(math.Copysign(0, -1))", nil
		}
		return vt + "(" + strconv.FormatFloat(v, 'g', -1, 64) + ")", nil
	}
	// f16, bf16 and minifloats: convert at run time from float64.
	lit, err := constCode(ir.F64, 0, fv)
	if err != nil {
		return "", err
	}
	return castCode(lit, ir.F64, t)
}

// expr returns the Go code of lane lane of e (lane is ignored for scalar e) and
// whether that code is a Go constant expression.
func (g *exprGen) expr(e loop.Expr, lane int) (string, bool) {
	if e == nil {
		g.fail("nil expression")
		return "0", true
	}
	t := e.Type()
	if t.Lanes <= 1 {
		lane = 0
	}
	switch e := e.(type) {
	case *loop.Const:
		s, err := constCode(e.T.Elem, e.Int, e.Float)
		if err != nil {
			g.fail("%v", err)
		}
		isConst := isInt(e.T.Elem) || e.T.Elem.Class == ir.Bool ||
			(isIEEE(e.T.Elem) && !math.IsNaN(e.Float) && !math.IsInf(e.Float, 0) && !(e.Float == 0 && math.Signbit(e.Float)))
		return s, isConst
	case *loop.Ref:
		n, ok := g.names[e.Var]
		if !ok {
			g.fail("variable %q is not in scope", e.Var.Name)
			return "0", false
		}
		if e.Var.T.Lanes > 1 {
			return fmt.Sprintf("%s[%d]", n, lane), false
		}
		return n, false
	case *loop.Load:
		return g.load(e, lane), false
	case *loop.Bin:
		return g.bin(e, lane)
	case *loop.Un:
		x, c := g.expr(e.X, lane)
		if c {
			x = "tccgoC(" + x + ")"
		}
		switch e.Op {
		case ir.Neg:
			return "(-" + x + ")", false
		case ir.Not:
			return "(!" + x + ")", false
		}
		g.fail("unsupported unary operator %v", e.Op)
		return "0", false
	case *loop.Call:
		return g.call(e, lane), false
	case *loop.Cast:
		x, _ := g.expr(e.X, lane)
		s, err := castCode(x, e.X.Type().Elem, e.T.Elem)
		if err != nil {
			g.fail("%v", err)
		}
		return s, false
	case *loop.Select:
		c, _ := g.expr(e.Cond, lane)
		a, _ := g.expr(e.A, lane)
		b, _ := g.expr(e.B, lane)
		return "tccgoSel(" + c + ", " + a + ", " + b + ")", false
	case *loop.Broadcast:
		return g.expr(e.X, 0)
	case *loop.HReduce:
		return g.hreduce(e), false
	case *loop.Bitcast:
		return g.bitcast(e, lane), false
	case *loop.Shuffle:
		return g.expr(e.X, e.Index[lane])
	case *loop.Lanes:
		s, err := constCode(e.T.Elem, laneInt(e, lane), laneFloat(e, lane))
		if err != nil {
			g.fail("%v", err)
		}
		return "tccgoC(" + s + ")", false
	}
	g.fail("unsupported expression %T", e)
	return "0", false
}

func laneInt(e *loop.Lanes, l int) int64 {
	if e.Int == nil {
		return 0
	}
	return e.Int[l]
}

func laneFloat(e *loop.Lanes, l int) float64 {
	if e.Float == nil {
		return 0
	}
	return e.Float[l]
}

// bits returns lane l of e as an unsigned integer of its width (the bit
// pattern of a float).
func (g *exprGen) bits(e loop.Expr, l int) string {
	t := e.Type().Elem
	x, _ := g.expr(e, l)
	switch {
	case t == ir.F32:
		return "math.Float32bits(" + x + ")"
	case t == ir.F64:
		return "math.Float64bits(" + x + ")"
	case isInt(t) && !t.IsPacked():
		return fmt.Sprintf("uint%d(%s)", t.Bits, x)
	}
	g.fail("bitcast of %v", t)
	return "0"
}

// bitcast returns lane l of e: the bits of the lanes of e.X it covers.
func (g *exprGen) bitcast(e *loop.Bitcast, l int) string {
	from, to := e.X.Type(), e.T
	fb, tb := from.Elem.Bits, to.Elem.Bits
	var w string
	switch {
	case fb == tb:
		w = g.bits(e.X, l)
	case tb > fb:
		// Combine tb/fb source lanes, the first in the low bits.
		parts := make([]string, tb/fb)
		for j := range parts {
			parts[j] = fmt.Sprintf("uint%d(%s)<<%d", tb, g.bits(e.X, l*(tb/fb)+j), j*fb)
		}
		w = "(" + strings.Join(parts, " | ") + ")"
	default:
		src := l * tb / fb
		w = fmt.Sprintf("uint%d(%s>>%d)", tb, g.bits(e.X, src), (l*tb)%fb)
	}
	switch t := to.Elem; {
	case t == ir.F32:
		return "math.Float32frombits(" + w + ")"
	case t == ir.F64:
		return "math.Float64frombits(" + w + ")"
	case isInt(t):
		vt, err := valueType(t)
		if err != nil {
			g.fail("%v", err)
		}
		return vt + "(" + w + ")"
	}
	g.fail("bitcast to %v", to.Elem)
	return "0"
}

// index is the Go code of an Int64 index expression plus a lane offset.
func (g *exprGen) index(e loop.Expr, lane int) string {
	s, c := g.expr(e, 0)
	if c {
		s = "tccgoC(" + s + ")"
	}
	if lane > 0 {
		return fmt.Sprintf("%s+%d", s, lane)
	}
	return s
}

func (g *exprGen) load(e *loop.Load, lane int) string {
	buf, ok := g.bufs[e.Buf]
	if !ok {
		g.fail("buffer %q is not in scope", e.Buf.Name)
		return "0"
	}
	idx := g.index(e.Index, lane)
	guard := ""
	if e.Guard != nil {
		guard, _ = g.expr(e.Guard, lane)
	}
	if e.Count != nil && e.T.Lanes > 1 {
		cnt, _ := g.expr(e.Count, 0)
		c := fmt.Sprintf("%d < %s", lane, cnt)
		if guard != "" {
			guard = "(" + guard + ") && " + c
		} else {
			guard = c
		}
	}
	elem := e.Buf.Elem
	if e.Raw {
		if elem == ir.I8 {
			buf = "tccgoBytes(" + buf + ")"
		}
		if guard != "" {
			return fmt.Sprintf("tccgoLoadG(%s, %s, %s)", buf, idx, guard)
		}
		return buf + "[" + idx + "]"
	}
	if elem.IsPacked() {
		var raw string
		if guard != "" {
			raw = fmt.Sprintf("tccgoGetBitsG(%s, %s, %d, %s)", buf, idx, elem.Bits, guard)
		} else {
			raw = fmt.Sprintf("tccGetBits(%s, int(%s), %d)", buf, idx, elem.Bits)
		}
		if elem.Class == ir.Int {
			return fmt.Sprintf("int8(tccSignExtend(%s, %d))", raw, elem.Bits)
		}
		return raw
	}
	if guard != "" {
		return fmt.Sprintf("tccgoLoadG(%s, %s, %s)", buf, idx, guard)
	}
	return buf + "[" + idx + "]"
}

func (g *exprGen) bin(e *loop.Bin, lane int) (string, bool) {
	if e.Op == ir.And || e.Op == ir.Or {
		return g.logic(e, lane)
	}
	x, xc := g.expr(e.X, lane)
	y, yc := g.expr(e.Y, lane)
	et := e.X.Type().Elem
	if xc && yc {
		// Keep Go from folding (and possibly rejecting) a constant expression.
		x, xc = "tccgoC("+x+")", false
	}
	var op string
	switch e.Op {
	case ir.Add:
		op = "+"
	case ir.Sub:
		op = "-"
	case ir.Mul:
		op = "*"
	case ir.Div:
		if isInt(et) {
			return "tccgoDiv(" + x + ", " + y + ")", false
		}
		if yc {
			y = "tccgoC(" + y + ")" // a constant zero divisor does not compile
		}
		op = "/"
	case ir.Mod:
		if !isInt(et) {
			g.fail("%% on %v", et)
		}
		return "tccgoMod(" + x + ", " + y + ")", false
	case ir.Lt:
		op = "<"
	case ir.Le:
		op = "<="
	case ir.Gt:
		op = ">"
	case ir.Ge:
		op = ">="
	case ir.Eq:
		op = "=="
	case ir.Ne:
		op = "!="
	case ir.And:
		op = "&&"
	case ir.Or:
		op = "||"
	default:
		g.fail("unsupported binary operator %v", e.Op)
		return "0", false
	}
	return "(" + x + " " + op + " " + y + ")", false
}

// mathCall applies a float64 function f to a value of IEEE type t.
func mathCall(f string, t ir.DType, args ...string) string {
	s := f + "("
	for i, a := range args {
		if i > 0 {
			s += ", "
		}
		if t.Bits == 32 {
			s += "float64(" + a + ")"
		} else {
			s += a
		}
	}
	s += ")"
	if t.Bits == 32 {
		return "float32(" + s + ")"
	}
	return s
}

func (g *exprGen) call(e *loop.Call, lane int) string {
	args := make([]string, len(e.Args))
	for i, a := range e.Args {
		args[i], _ = g.expr(a, lane)
	}
	t := e.T.Elem
	want := 1
	switch {
	case e.Fn.IsBitOp():
		if len(args) != 2 || !isInt(t) {
			g.fail("bit operation %d on %v", e.Fn, t)
			return "0"
		}
		op := map[loop.Fn]string{loop.BitAnd: "&", loop.BitOr: "|", loop.BitXor: "^", loop.Shl: "<<", loop.Shr: ">>"}[e.Fn]
		if e.Fn == loop.Shl || e.Fn == loop.Shr {
			// A shift count as uint64: negative or too large shifts give 0
			// (or the sign), as the loop IR defines.
			return "(tccgoC(" + args[0] + ") " + op + " uint64(" + args[1] + "))"
		}
		return "(tccgoC(" + args[0] + ") " + op + " " + args[1] + ")"
	case e.Fn == loop.FMA, e.Fn.IsDot4():
		want = 3
	case e.Fn == loop.Scalef:
		if !isIEEE(t) || len(args) != 2 {
			g.fail("scalef on %v", t)
			return "0"
		}
		if t.Bits == 32 {
			return "float32(tccgoScalef(float64(" + args[0] + "), float64(" + args[1] + ")))"
		}
		return "tccgoScalef(" + args[0] + ", " + args[1] + ")"
	case e.Fn >= 0 && int(e.Fn) <= int(ir.Clamp):
		want = ir.Func(e.Fn).Arity()
	default:
		g.fail("unsupported function %d", e.Fn)
		return "0"
	}
	if len(args) != want {
		g.fail("function %d takes %d arguments, got %d", e.Fn, want, len(args))
		return "0"
	}
	if e.Fn.IsDot4() {
		// One lane: c + sum over the four bytes q of a's byte times b's,
		// each read as uint8 or int8, wrapping. A function literal keeps
		// constant arguments from becoming overflowing constant conversions.
		if t != ir.I32 {
			g.fail("byte dot product on %v", t)
			return "0"
		}
		as, bs := loop.Dot4Signs(e.Fn)
		conv := map[bool]string{false: "uint8", true: "int8"}
		body := "c"
		for q := 0; q < 4; q++ {
			sh := ""
			if q > 0 {
				sh = fmt.Sprintf(">>%d", 8*q)
			}
			body += fmt.Sprintf(" + int32(%s(a%s))*int32(%s(b%s))", conv[as], sh, conv[bs], sh)
		}
		return "func(a, b, c int32) int32 { return " + body + " }(" + args[0] + ", " + args[1] + ", " + args[2] + ")"
	}
	if e.Fn == loop.FMA {
		if t == ir.F32 {
			return "tccgoFMA32(" + args[0] + ", " + args[1] + ", " + args[2] + ")"
		}
		if isIEEE(t) {
			return mathCall("math.FMA", t, args...)
		}
		if isInt(t) {
			return "(" + args[0] + "*" + args[1] + " + " + args[2] + ")"
		}
		g.fail("fma on %v", t)
		return "0"
	}
	fn := ir.Func(e.Fn)
	switch fn {
	case ir.Min, ir.Max, ir.Clamp, ir.Relu, ir.Abs, ir.Floor, ir.Ceil, ir.Round:
		if !isIEEE(t) && !isInt(t) {
			g.fail("%v on %v", fn, t)
			return "0"
		}
		switch fn {
		case ir.Min:
			return "min(" + args[0] + ", " + args[1] + ")"
		case ir.Max:
			return "max(" + args[0] + ", " + args[1] + ")"
		case ir.Clamp:
			return "min(max(" + args[0] + ", " + args[1] + "), " + args[2] + ")"
		case ir.Relu:
			z, _ := constCode(t, 0, 0)
			return "max(" + args[0] + ", " + z + ")"
		}
		if isInt(t) {
			if fn == ir.Abs {
				return "tccgoAbs(" + args[0] + ")"
			}
			return args[0] // floor, ceil and round are the identity on integers
		}
		switch fn {
		case ir.Abs:
			return mathCall("math.Abs", t, args[0])
		case ir.Floor:
			return mathCall("math.Floor", t, args[0])
		case ir.Ceil:
			return mathCall("math.Ceil", t, args[0])
		default:
			return mathCall("math.RoundToEven", t, args[0])
		}
	}
	if !isIEEE(t) {
		g.fail("%v on %v (float function on a non-float type)", fn, t)
		return "0"
	}
	name := map[ir.Func]string{
		ir.Exp: "math.Exp", ir.Exp2: "math.Exp2", ir.Log: "math.Log", ir.Log2: "math.Log2",
		ir.Sqrt: "math.Sqrt", ir.Rsqrt: "tccgoRsqrt", ir.Tanh: "math.Tanh", ir.Sigmoid: "tccgoSigmoid",
		ir.Gelu: "tccgoGelu", ir.Silu: "tccgoSilu", ir.Erf: "math.Erf", ir.Sin: "math.Sin",
		ir.Cos: "math.Cos", ir.Pow: "math.Pow",
	}[fn]
	if name == "" {
		g.fail("unsupported function %v", fn)
		return "0"
	}
	return mathCall(name, t, args...)
}

func (g *exprGen) hreduce(e *loop.HReduce) string {
	n := e.X.Type().Lanes
	if n <= 1 {
		s, _ := g.expr(e.X, 0)
		return s
	}
	lanes := make([]string, n)
	for i := range lanes {
		lanes[i], _ = g.expr(e.X, i)
	}
	var combine func(a, b string) string
	switch e.Op {
	case ir.RMax:
		combine = func(a, b string) string { return "max(" + a + ", " + b + ")" }
	case ir.RMin:
		combine = func(a, b string) string { return "min(" + a + ", " + b + ")" }
	case ir.RSum:
		combine = func(a, b string) string { return "(" + a + " + " + b + ")" }
	case ir.RProd:
		combine = func(a, b string) string { return "(" + a + " * " + b + ")" }
	default:
		g.fail("unsupported horizontal reduction %v", e.Op)
		return "0"
	}
	return loop.FoldLanes(lanes, combine)
}

// logic generates a chain of && (or ||) without repeated operands: x && x
// is x, and go vet (run by go test) rejects the redundant form, which the
// bounds checks of reads such as T[0, 0] with T: [M, M] produce.
func (g *exprGen) logic(e *loop.Bin, lane int) (string, bool) {
	var terms []loop.Expr
	var flatten func(x loop.Expr)
	flatten = func(x loop.Expr) {
		if b, ok := x.(*loop.Bin); ok && b.Op == e.Op {
			flatten(b.X)
			flatten(b.Y)
			return
		}
		terms = append(terms, x)
	}
	flatten(e)
	op := " && "
	if e.Op == ir.Or {
		op = " || "
	}
	seen := map[string]bool{}
	var parts []string
	allConst := true
	for _, t := range terms {
		s, c := g.expr(t, lane)
		if seen[s] {
			continue
		}
		seen[s] = true
		allConst = allConst && c
		parts = append(parts, s)
	}
	if len(parts) == 1 {
		return parts[0], allConst
	}
	if allConst {
		parts[0] = "tccgoC(" + parts[0] + ")"
	}
	return "(" + strings.Join(parts, op) + ")", false
}
