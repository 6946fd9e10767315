// Package progen generates random, valid tcc programs for differential
// testing ("csmith for tcc").
//
// A generated program is a .tc source file of SPEC.md's language: a main
// kernel with random tensor and scalar parameters of random element types,
// one or two outputs, optional intermediates and an optional call of a helper
// kernel, whose statements use random elementwise expressions, casts,
// comparisons in select, every function of SPEC section 6, reductions (sum,
// prod, max, min over one or two variables, masked with where-conditions,
// nested), subscripts with offsets, strides, floor division and remainders
// (out-of-range reads), size symbols and index variables as values.
//
// Value ranges are kept sane so that the accuracy bounds of SPEC section 7
// are meaningful for code that computes in f32 against an interpreter that
// computes in float64: every float subexpression carries a bound on its
// magnitude and is rescaled by powers of two when the bound grows; functions
// get safe domains (exp of clamped values, log and sqrt of values >= 0.25,
// divisors >= 1); discontinuous operations (floor, ceil, round, comparisons,
// casts to integers and narrow floats) are applied only to values that both
// sides compute exactly (reads, scalars, casts of integers and their
// negations, minima and maxima); outputs narrower than f32 are kept away from
// zero, where one unit in the last place is smaller than f32 rounding.
// Integer expressions are exact on both sides (they wrap) and are used freely.
package progen

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Program is one generated source file.
type Program struct {
	// Source is the .tc text.
	Source string
	// Sizes are the size sets to run it with: each names every size symbol
	// of every kernel in Source.
	Sizes []map[string]int
	// Specials asks for NaN and infinities among the float inputs.
	Specials bool
}

// elementary types the generator draws for parameters and outputs.
var (
	floatTypes = []string{"f32", "f32", "f32", "f64", "f16", "bf16"}
	miniTypes  = []string{"e4m3", "e5m2", "e2m1", "e3m2", "e2m3", "ue8m0", "ue4m3", "e3m4", "e2m0"}
	intTypes   = []string{"i64", "i32", "i16", "i8", "u32", "u16", "u8", "i4", "u4", "i1", "u3", "i7", "u1", "i2"}
)

// tensor is a readable tensor: an input, an intermediate or a scalar.
type tensor struct {
	name  string
	typ   string // element type; "" for intermediates (see class)
	dims  []string
	float bool // float values (else integer)
	bound float64
	exact bool // reading it gives the same value on both sides
	wide  bool // integer of 32 or 64 bits (or unknown width)
}

// ivar is an index variable in scope with the size symbol of its range.
type ivar struct{ name, sym string }

// expr is a generated expression with its properties.
type expr struct {
	s     string
	float bool
	bound float64 // |value| <= bound (floats only)
	exact bool    // floats: computed exactly by both sides
	ityp  string  // integers: compute type i32, i64 or u32 ("" untyped)
}

type gen struct {
	r       *rand.Rand
	syms    []string
	tensors []*tensor // readable
	fresh   int
	depth   int
}

// Generate returns the program of the given seed.
func Generate(seed uint64) Program {
	g := &gen{r: rand.New(rand.NewPCG(seed, 0x7cc))}
	return g.program()
}

func (g *gen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }
func (g *gen) coin(p float64) bool     { return g.r.Float64() < p }

func (g *gen) program() Program {
	all := []string{"M", "N", "K"}
	g.syms = all[:1+g.r.IntN(3)]
	var src strings.Builder
	var params []string
	// Tensor parameters: every symbol appears at least once as a plain dim.
	nt := 1 + g.r.IntN(3)
	for i := 0; i < nt || !g.allSymsUsed(); i++ {
		t := &tensor{name: fmt.Sprintf("X%d", i)}
		rank := 1 + g.r.IntN(2)
		for j := 0; j < rank; j++ {
			t.dims = append(t.dims, g.pick(g.syms))
		}
		if i == 0 {
			t.dims[0] = g.syms[0]
		}
		g.setType(t, g.paramType())
		g.tensors = append(g.tensors, t)
		params = append(params, fmt.Sprintf("%s: %s[%s]", t.name, t.typ, strings.Join(t.dims, ", ")))
	}
	for i := 0; i < g.r.IntN(3); i++ {
		t := &tensor{name: fmt.Sprintf("s%d", i)}
		g.setType(t, g.paramType())
		g.tensors = append(g.tensors, t)
		params = append(params, fmt.Sprintf("%s: %s", t.name, t.typ))
	}
	var stmts []string
	no := 1 + g.r.IntN(2)
	otypes := make([]string, no)
	hasF64 := false
	for i := range otypes {
		otypes[i] = g.outType()
		hasF64 = hasF64 || otypes[i] == "f64"
	}
	// Optional helper kernel call. Its f32 result is computed in f32 (an
	// inlined kernel keeps its own precision), too coarse for f64 outputs.
	if !hasF64 && g.coin(0.3) {
		var in *tensor
		for _, t := range g.tensors {
			if t.float && len(t.dims) == 2 {
				in = t
				break
			}
		}
		if in != nil {
			src.WriteString(g.helper(in.typ))
			h := &tensor{name: "h", dims: in.dims, float: true, bound: 4}
			stmts = append(stmts, fmt.Sprintf("h = Helper(%s)", in.name))
			g.tensors = append(g.tensors, h)
		}
	}
	// Optional intermediates.
	for i := 0; i < g.r.IntN(3); i++ {
		anchor := g.anchorTensor()
		t := &tensor{name: fmt.Sprintf("t%d", i), dims: anchor.dims}
		var vars []ivar
		var lhs []string
		for j, d := range anchor.dims {
			v := fmt.Sprintf("a%d%d", i, j)
			vars = append(vars, ivar{v, d})
			lhs = append(lhs, v)
		}
		wantFloat := g.coin(0.7)
		e := g.anchored(anchor, vars, vars, wantFloat)
		t.float, t.bound, t.exact = e.float, e.bound, false
		t.wide = true
		stmts = append(stmts, fmt.Sprintf("%s[%s] = %s", t.name, strings.Join(lhs, ", "), e.s))
		g.tensors = append(g.tensors, t)
	}
	// Outputs.
	var outs []string
	for i := 0; i < no; i++ {
		name := fmt.Sprintf("O%d", i)
		rank := g.r.IntN(3)
		var dims, lhs []string
		var vars []ivar
		for j := 0; j < rank; j++ {
			d := g.pick(g.syms)
			dims = append(dims, d)
			v := fmt.Sprintf("o%d%d", i, j)
			lhs = append(lhs, v)
			vars = append(vars, ivar{v, d})
		}
		typ := otypes[i]
		outs = append(outs, fmt.Sprintf("%s: %s[%s]", name, typ, strings.Join(dims, ", ")))
		var e expr
		switch {
		case isIntType(typ):
			e = g.intExpr(vars, 3)
		case typ == "f32" || typ == "f64":
			e = g.floatExpr(vars, 3)
		default: // narrow float output: away from zero
			e = g.floatExpr(vars, 3)
			if !e.exact {
				sign := ""
				if !strings.HasPrefix(typ, "u") && g.coin(0.5) {
					sign = "-"
				}
				e.s = fmt.Sprintf("%s(1.5 + abs(%s))", sign, e.s)
			}
		}
		l := name
		if rank > 0 {
			l += "[" + strings.Join(lhs, ", ") + "]"
		}
		stmts = append(stmts, fmt.Sprintf("%s = %s", l, e.s))
	}
	if g.coin(0.3) {
		p, o, st := g.gemm()
		params, outs, stmts = append(params, p...), append(outs, o), append(stmts, st)
	}
	fmt.Fprintf(&src, "// K is a generated kernel.\nkernel K(%s) -> (%s) {\n", strings.Join(params, ", "), strings.Join(outs, ", "))
	for _, s := range stmts {
		src.WriteString("    " + s + "\n")
	}
	src.WriteString("}\n")
	return Program{Source: src.String(), Sizes: g.sizeSets(), Specials: g.coin(0.3)}
}

// gemm returns the parameters, output and statement of a matrix product of
// two operands of random, possibly different float types (the GEMM
// schedule's mixed-precision paths), B possibly transposed, with an
// optional elementwise epilogue.
func (g *gen) gemm() (params []string, out, stmt string) {
	types := []string{"f32", "f32", "f64", "f16", "bf16"}
	ta, tb := g.pick(types), g.pick(types)
	to := "f32"
	if ta == "f64" || tb == "f64" {
		to = "f64"
	}
	m, k, n := g.pick(g.syms), g.pick(g.syms), g.pick(g.syms)
	params = []string{fmt.Sprintf("GA: %s[%s, %s]", ta, m, k)}
	b := "GB[gk, gn]"
	if g.coin(0.5) {
		params = append(params, fmt.Sprintf("GB: %s[%s, %s]", tb, k, n))
	} else {
		params = append(params, fmt.Sprintf("GB: %s[%s, %s]", tb, n, k))
		b = "GB[gn, gk]"
	}
	e := fmt.Sprintf("sum(gk: GA[gm, gk] * %s)", b)
	switch g.r.IntN(4) {
	case 0:
		e = "relu(" + e + ")"
	case 1:
		e += " * 0.5 + 1.0"
	}
	return params, fmt.Sprintf("OG: %s[%s, %s]", to, m, n), "OG[gm, gn] = " + e
}

func (g *gen) allSymsUsed() bool {
	for _, s := range g.syms {
		ok := false
		for _, t := range g.tensors {
			for _, d := range t.dims {
				ok = ok || d == s
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// helper returns the source of a helper kernel of signature
// Helper(A: f32[P, Q]) -> (B: f32[P, Q]), called with any 2-D float tensor.
func (g *gen) helper(typ string) string {
	fns := []string{"tanh(%s * 2.0)", "sigmoid(%s)", "%s * 0.5 + 1.0", "clamp(%s, -0.5, 0.5)", "erf(%s)"}
	body := fmt.Sprintf(fns[g.r.IntN(len(fns))], "f32(A[p, q])")
	if g.coin(0.5) {
		body = fmt.Sprintf("%s + sum(r: f32(A[p, r])) * 0.125", body)
	}
	return fmt.Sprintf("// Helper is a generated callee.\nkernel Helper(A: %s[P, Q]) -> (B: f32[P, Q]) {\n    B[p, q] = clamp(%s, -4.0, 4.0)\n}\n\n", typ, body)
}

func (g *gen) sizeSets() []map[string]int {
	var sets []map[string]int
	for i := 0; i < 3; i++ {
		// P and Q are the helper kernel's sizes (it is also run alone).
		m := map[string]int{"P": 1 + g.r.IntN(4), "Q": 1 + g.r.IntN(5)}
		for _, s := range g.syms {
			switch i {
			case 0:
				m[s] = 1 + g.r.IntN(3)
			case 1:
				m[s] = 2 + g.r.IntN(9)
			default:
				m[s] = g.r.IntN(14)
				if g.coin(0.2) {
					m[s] = 0
				}
			}
		}
		sets = append(sets, m)
	}
	return sets
}

func (g *gen) paramType() string {
	switch n := g.r.IntN(10); {
	case n < 5:
		return g.pick(floatTypes)
	case n < 7:
		return g.pick(miniTypes)
	default:
		return g.pick(intTypes)
	}
}

func (g *gen) outType() string {
	switch n := g.r.IntN(10); {
	case n < 5:
		return g.pick([]string{"f32", "f32", "f64"})
	case n < 7:
		return g.pick(append([]string{"f16", "bf16"}, miniTypes...))
	default:
		return g.pick(intTypes)
	}
}

func isIntType(t string) bool { return t[0] == 'i' || (t[0] == 'u' && t[1] != 'e') }

// setType fills in t's value properties for element type typ.
func (g *gen) setType(t *tensor, typ string) {
	t.typ = typ
	t.exact = true
	switch {
	case isIntType(typ):
		t.float = false
		t.wide = typ == "i64" || typ == "i32" || typ == "u32"
	case typ == "f32" || typ == "f64" || typ == "f16" || typ == "bf16":
		t.float, t.bound = true, 1
	default:
		t.float, t.bound = true, miniMax(typ)
	}
}

// miniMax bounds the values drawn for a minifloat input (the conformance
// suite draws magnitudes up to 1e4, 2^13 for ue8m0).
func miniMax(typ string) float64 {
	switch typ {
	case "e2m1":
		return 6
	case "e2m0":
		return 3
	case "e2m3":
		return 7.5
	case "e3m2":
		return 28
	case "e3m4":
		return 31
	case "e4m3", "ue4m3":
		return 480
	case "ue8m0":
		return 8192
	}
	return 1e4
}

// anchorTensor picks a readable tensor of rank >= 1.
func (g *gen) anchorTensor() *tensor {
	for {
		t := g.tensors[g.r.IntN(len(g.tensors))]
		if len(t.dims) > 0 {
			return t
		}
	}
}

// anchored returns an expression that reads anchor with the variables plain
// (so that their ranges are inferred), combined with a random expression.
func (g *gen) anchored(anchor *tensor, plain []ivar, scope []ivar, float bool) expr {
	var subs []string
	for _, v := range plain {
		subs = append(subs, v.name)
	}
	read := g.readValue(anchor, anchor.name+"["+strings.Join(subs, ", ")+"]", float)
	other := g.valueExpr(scope, 2, float)
	return g.combine(read, other)
}

func (g *gen) valueExpr(scope []ivar, depth int, float bool) expr {
	if float {
		return g.floatExpr(scope, depth)
	}
	return g.intExpr(scope, depth)
}

// combine joins two expressions of the same class with + - or *.
func (g *gen) combine(a, b expr) expr {
	if a.float {
		switch g.r.IntN(3) {
		case 0:
			return g.norm(expr{s: "(" + a.s + " + " + b.s + ")", float: true, bound: a.bound + b.bound})
		case 1:
			return g.norm(expr{s: "(" + a.s + " - " + b.s + ")", float: true, bound: a.bound + b.bound})
		}
		return g.norm(expr{s: "(" + a.s + " * " + b.s + ")", float: true, bound: a.bound * b.bound})
	}
	op := g.pick([]string{" + ", " - ", " * "})
	return expr{s: "(" + a.s + op + b.s + ")", ityp: promote(a.ityp, b.ityp)}
}

// norm rescales a float expression by a power of two when its bound is
// large, so that absolute f32 rounding errors stay small.
func (g *gen) norm(e expr) expr {
	if !e.float || e.bound <= 16 {
		return e
	}
	k := 0
	b := e.bound
	for b > 4 {
		b /= 2
		k++
	}
	e.s = fmt.Sprintf("(%s * %s)", e.s, pow2lit(-k))
	e.bound = b
	return e
}

func pow2lit(k int) string {
	if k >= 0 {
		return fmt.Sprintf("%d.0", 1<<k)
	}
	return fmt.Sprintf("%g", 1/float64(uint64(1)<<(-k)))
}

func promote(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	case a == b:
		return a
	case a == "i64" || b == "i64":
		return "i64"
	}
	return "i64" // i32 with u32
}

// readValue turns a read of t (source text s) into an expression of the
// wanted class.
func (g *gen) readValue(t *tensor, s string, float bool) expr {
	switch {
	case t.float && float:
		return g.norm(expr{s: s, float: true, bound: t.bound, exact: t.exact})
	case !t.float && !float:
		it := "i32"
		if t.typ == "i64" || t.typ == "" {
			it = "i64"
		} else if t.typ == "u32" {
			it = "u32"
		}
		if t.typ == "" {
			it = "u32" // intermediate: unknown compute type; no negative literals
		}
		return expr{s: s, ityp: it}
	case float: // integer read used as a float: exact conversion, scaled
		if t.exact && !t.wide && g.coin(0.5) {
			// implicit promotion: narrow integer times a float literal
			return expr{s: fmt.Sprintf("(%s * 0.03125)", s), float: true, bound: 1024, exact: true}
		}
		c := g.pick([]string{"f32", "f64"})
		e := expr{s: fmt.Sprintf("%s(%s)", c, s), float: true, exact: true, bound: 1 << 31}
		if t.typ == "i64" || t.typ == "" {
			e.bound = 1 << 62
		}
		return g.norm(e)
	}
	// float read used as an integer
	if t.exact {
		c := g.pick([]string{"i32", "i8", "i16", "u8", "i64"})
		it := "i32"
		if c == "i64" {
			it = "i64"
		}
		return expr{s: fmt.Sprintf("%s(%s * 8.0)", c, s), ityp: it}
	}
	// an inexact float as an integer would be discontinuous: keep the read
	// (it may anchor a range) but not its value
	return expr{s: fmt.Sprintf("(0 * i32(%s))", s), ityp: "i32"}
}

// read returns a random read of a random tensor with subscripts over scope.
func (g *gen) read(scope []ivar, float bool) expr {
	t := g.tensors[g.r.IntN(len(g.tensors))]
	if len(t.dims) == 0 {
		return g.readValue(t, t.name, float)
	}
	var subs []string
	for _, d := range t.dims {
		subs = append(subs, g.subscript(scope, d))
	}
	return g.readValue(t, t.name+"["+strings.Join(subs, ", ")+"]", float)
}

// subscript returns a subscript for a dimension of symbol d. A variable of
// another symbol is never used plain (that would add a size agreement check).
func (g *gen) subscript(scope []ivar, d string) string {
	if len(scope) == 0 || g.coin(0.1) {
		return fmt.Sprint(g.r.IntN(3))
	}
	v := scope[g.r.IntN(len(scope))]
	forms := []string{"%s + 1", "%s - 1", "%s + 2", "2 * %s", "%s / 2", "(%s + 1) / 3", "(%s + 2) %% 3", "%s - %s", "(%s - 3) / 2", "2 * %s - 1"}
	if v.sym == d && g.coin(0.5) {
		return v.name
	}
	f := forms[g.r.IntN(len(forms))]
	if strings.Count(f, "%s") == 2 {
		return fmt.Sprintf(f, v.name, d)
	}
	return fmt.Sprintf(f, v.name)
}

// floatExpr returns a random float expression over the scope.
func (g *gen) floatExpr(scope []ivar, depth int) expr {
	if depth <= 0 || g.coin(0.2) {
		return g.floatLeaf(scope)
	}
	d := depth - 1
	switch g.r.IntN(14) {
	case 0, 1:
		return g.combine(g.floatExpr(scope, d), g.floatExpr(scope, d))
	case 2:
		a, b := g.floatExpr(scope, d), g.floatExpr(scope, d)
		return g.norm(expr{s: fmt.Sprintf("(%s / (1.0 + abs(%s)))", a.s, b.s), float: true, bound: a.bound})
	case 3, 4:
		return g.unary(g.floatExpr(scope, d))
	case 5:
		a, b := g.floatExpr(scope, d), g.floatExpr(scope, d)
		f := g.pick([]string{"min", "max"})
		return expr{s: fmt.Sprintf("%s(%s, %s)", f, a.s, b.s), float: true, bound: max(a.bound, b.bound), exact: a.exact && b.exact}
	case 6:
		a := g.floatExpr(scope, d)
		return expr{s: fmt.Sprintf("clamp(%s, -0.75, 1.25)", a.s), float: true, bound: 1.25, exact: a.exact}
	case 7:
		a, b := g.floatExpr(scope, d), g.floatExpr(scope, d)
		return expr{s: fmt.Sprintf("pow(clamp(abs(%s), 0.5, 4.0), clamp(%s, -2.0, 2.0))", a.s, b.s), float: true, bound: 16}
	case 8:
		a, b := g.floatExpr(scope, d), g.floatExpr(scope, d)
		return expr{s: fmt.Sprintf("select(%s, %s, %s)", g.cond(scope, d), a.s, b.s), float: true, bound: max(a.bound, b.bound), exact: a.exact && b.exact}
	case 9, 10:
		return g.reduction(scope, d, true)
	case 11:
		// an integer expression, converted
		i := g.intExpr(scope, d)
		return g.norm(expr{s: fmt.Sprintf("%s(%s)", g.pick([]string{"f32", "f64"}), i.s), float: true, bound: 1 << 62, exact: true})
	case 12:
		// size symbol or index variable as a value
		if len(scope) > 0 && g.coin(0.5) {
			v := scope[g.r.IntN(len(scope))]
			a := g.floatExpr(scope, d)
			return g.norm(expr{s: fmt.Sprintf("(%s + %s * 0.25)", a.s, v.name), float: true, bound: a.bound + 4})
		}
		a := g.floatExpr(scope, d)
		return expr{s: fmt.Sprintf("(%s / (%s + 1))", a.s, g.pick(g.syms)), float: true, bound: a.bound}
	default:
		a := g.floatExpr(scope, d)
		if a.exact {
			f := g.pick([]string{"floor", "ceil", "round"})
			return expr{s: fmt.Sprintf("%s(%s * 4.0)", f, a.s), float: true, bound: a.bound*4 + 1, exact: true}
		}
		return g.unary(a)
	}
}

// unary applies a function of SPEC section 6 on a safe domain.
func (g *gen) unary(a expr) expr {
	f := func(format string, bound float64) expr {
		return g.norm(expr{s: fmt.Sprintf(format, a.s), float: true, bound: bound})
	}
	switch g.r.IntN(17) {
	case 0:
		return f("exp(clamp(%s, -3.0, 3.0))", 20.1)
	case 1:
		return f("exp2(clamp(%s, -3.0, 3.0))", 8)
	case 2:
		return f("log(abs(%s) + 0.25)", max(1.4, a.bound))
	case 3:
		return f("log2(abs(%s) + 0.25)", max(2, a.bound))
	case 4:
		return f("sqrt(abs(%s) + 0.25)", a.bound+1)
	case 5:
		return f("rsqrt(abs(%s) + 0.25)", 2)
	case 6:
		e := f("abs(%s)", a.bound)
		e.exact = a.exact
		return e
	case 7:
		return f("tanh(%s)", 1)
	case 8:
		return f("sigmoid(%s)", 1)
	case 9:
		e := f("relu(%s)", a.bound)
		e.exact = a.exact
		return e
	case 10:
		return f("gelu(%s)", a.bound)
	case 11:
		return f("silu(%s)", a.bound)
	case 12:
		return f("erf(%s)", 1)
	case 13:
		return f("sin(%s)", 1)
	case 14:
		return f("cos(%s)", 1)
	case 15:
		e := f("(-%s)", a.bound)
		e.exact = a.exact
		return e
	}
	if a.exact {
		// a cast of an exact value to a narrow float, used as a value
		return f(g.pick([]string{"f16", "bf16", "e4m3", "e2m1", "e5m2", "f32", "ue4m3"})+"(%s)", max(a.bound, 448)*1.01)
	}
	return f("tanh(%s)", 1)
}

func (g *gen) floatLeaf(scope []ivar) expr {
	switch g.r.IntN(8) {
	case 0:
		return expr{s: g.pick([]string{"0.5", "1.25", "-0.75", "2.0", "pi", "0.1"}), float: true, bound: 4, exact: true}
	case 1:
		if len(scope) > 0 && g.coin(0.3) {
			// compare exact reads
			a, b := g.read(scope, true), g.read(scope, true)
			if a.exact && b.exact {
				return expr{s: fmt.Sprintf("select(%s %s %s, 1.0, -0.5)", a.s, g.pick([]string{"<", "<=", ">", ">=", "==", "!="}), b.s), float: true, bound: 1, exact: true}
			}
		}
	}
	return g.read(scope, true)
}

// cond returns a boolean condition for select: comparisons of integer
// expressions or of exact float values, combined with && || !.
func (g *gen) cond(scope []ivar, depth int) string {
	cmp := g.pick([]string{"<", "<=", ">", ">=", "==", "!="})
	var c string
	switch g.r.IntN(3) {
	case 0:
		a := g.read(scope, true)
		if a.exact {
			c = fmt.Sprintf("%s %s %s", a.s, cmp, g.pick([]string{"0.0", "0.25", "-0.5"}))
			break
		}
		fallthrough
	case 1:
		a, b := g.intExpr(scope, max(depth-1, 0)), g.intExpr(scope, 0)
		c = fmt.Sprintf("%s %s %s", a.s, cmp, b.s)
	default:
		c = g.indexCond(scope, false)
	}
	switch g.r.IntN(6) {
	case 0:
		return "!(" + c + ")"
	case 1:
		return "(" + c + ") && (" + g.indexCond(scope, false) + ")"
	case 2:
		return "(" + c + ") || (" + g.indexCond(scope, false) + ")"
	}
	return c
}

// indexCond compares integer index expressions (the where grammar); % is
// allowed only in where-conditions (mod).
func (g *gen) indexCond(scope []ivar, mod bool) string {
	if len(scope) == 0 {
		return fmt.Sprintf("%s > 1", g.pick(g.syms))
	}
	v := scope[g.r.IntN(len(scope))].name
	w := scope[g.r.IntN(len(scope))].name
	n := g.r.IntN(6)
	if !mod && (n == 0 || n == 3) {
		n = 1
	}
	switch n {
	case 0:
		return fmt.Sprintf("%s %% 2 == %d", v, g.r.IntN(2))
	case 1:
		return fmt.Sprintf("%s <= %s", v, w)
	case 2:
		return fmt.Sprintf("%s + 1 < %s", v, g.pick(g.syms))
	case 3:
		return fmt.Sprintf("(%s + %s) %% 3 != 0", v, w)
	case 4:
		return fmt.Sprintf("%s >= %s - 1", v, w)
	}
	return fmt.Sprintf("%s != %d", v, g.r.IntN(3))
}

func (g *gen) whereCond(scope []ivar) string {
	c := g.indexCond(scope, true)
	if len(scope) > 0 && g.coin(0.15) {
		// Masks that are always true, always false or redundant: legal,
		// and the generated code must still pass go vet.
		v := scope[g.r.IntN(len(scope))].name
		a := g.r.IntN(3)
		switch g.r.IntN(3) {
		case 0:
			return fmt.Sprintf("%s != %d || %s != %d", v, a, v, a+1)
		case 1:
			return fmt.Sprintf("%s == %d && %s == %d", v, a, v, a+2)
		default:
			return c + " && " + c
		}
	}
	switch g.r.IntN(5) {
	case 0:
		return "!(" + c + ")"
	case 1:
		return c + " && " + g.indexCond(scope, true)
	case 2:
		return c + " || " + g.indexCond(scope, true)
	}
	return c
}

// reduction returns a reduction over one or two fresh variables whose
// ranges come from a plain read of a tensor in the body.
func (g *gen) reduction(scope []ivar, depth int, float bool) expr {
	anchor := g.anchorTensor()
	nv := 1
	if len(anchor.dims) == 2 && g.coin(0.3) {
		nv = 2
	}
	var vars []ivar
	var names []string
	var subs []string
	for j, d := range anchor.dims {
		if j < nv {
			g.fresh++
			v := ivar{fmt.Sprintf("r%d", g.fresh), d}
			vars = append(vars, v)
			names = append(names, v.name)
			subs = append(subs, v.name)
		} else {
			subs = append(subs, g.subscript(scope, d))
		}
	}
	inner := append(append([]ivar{}, scope...), vars...)
	read := g.readValue(anchor, anchor.name+"["+strings.Join(subs, ", ")+"]", float)
	body := g.combine(read, g.valueExpr(inner, depth, float))
	op := g.pick([]string{"sum", "sum", "max", "min", "prod"})
	if op == "prod" {
		if float {
			body = expr{s: fmt.Sprintf("(1.0 + 0.125 * tanh(%s))", body.s), float: true, bound: 1.125}
		} else {
			body = expr{s: fmt.Sprintf("clamp(%s, -3, 3)", body.s), ityp: body.ityp}
			if body.ityp == "u32" {
				body.s = strings.Replace(body.s, "-3", "0", 1)
			}
		}
	}
	head := strings.Join(names, ", ")
	if g.coin(0.4) {
		head += " where " + g.whereCond(inner)
	}
	s := fmt.Sprintf("%s(%s: %s)", op, head, body.s)
	if !float {
		return expr{s: s, ityp: body.ityp}
	}
	b := body.bound
	if op == "sum" {
		b *= 14
		if nv == 2 {
			b *= 14
		}
	} else if op == "prod" {
		b = 1e4
	}
	if op == "max" || op == "min" {
		// an empty max is -inf: keep it out of further arithmetic
		s = fmt.Sprintf("clamp(%s, -8.0, 8.0)", s)
		b = min(b, 8)
	}
	return g.norm(expr{s: s, float: true, bound: b, exact: false})
}

// intExpr returns a random integer expression over the scope.
func (g *gen) intExpr(scope []ivar, depth int) expr {
	if depth <= 0 || g.coin(0.2) {
		return g.intLeaf(scope)
	}
	d := depth - 1
	switch g.r.IntN(10) {
	case 0, 1:
		return g.combine(g.intExpr(scope, d), g.intExpr(scope, d))
	case 2:
		a, b := g.intExpr(scope, d), g.intExpr(scope, d)
		return expr{s: fmt.Sprintf("(%s / %s)", a.s, b.s), ityp: promote(a.ityp, b.ityp)}
	case 3:
		a, b := g.intExpr(scope, d), g.intExpr(scope, d)
		return expr{s: fmt.Sprintf("%s(%s, %s)", g.pick([]string{"min", "max"}), a.s, b.s), ityp: promote(a.ityp, b.ityp)}
	case 4:
		a := g.intExpr(scope, d)
		f := g.pick([]string{"abs", "relu", "floor", "ceil", "round", "-"})
		return expr{s: fmt.Sprintf("%s(%s)", f, a.s), ityp: a.ityp}
	case 5:
		a := g.intExpr(scope, d)
		c := g.pick(intTypes)
		it := "i32"
		if c == "i64" {
			it = "i64"
		} else if c == "u32" {
			it = "u32"
		}
		return expr{s: fmt.Sprintf("%s(%s)", c, a.s), ityp: it}
	case 6:
		a, b := g.intExpr(scope, d), g.intExpr(scope, d)
		return expr{s: fmt.Sprintf("select(%s, %s, %s)", g.cond(scope, d), a.s, b.s), ityp: promote(a.ityp, b.ityp)}
	case 7:
		return g.reduction(scope, d, false)
	case 8:
		a := g.intExpr(scope, d)
		if a.ityp == "u32" {
			return expr{s: fmt.Sprintf("clamp(%s, 2, 100)", a.s), ityp: "u32"}
		}
		return expr{s: fmt.Sprintf("clamp(%s, -100, 100)", a.s), ityp: a.ityp}
	}
	// an exact float value converted to an integer
	a := g.floatLeaf(scope)
	if a.exact {
		return expr{s: fmt.Sprintf("i32(%s * 16.0)", a.s), ityp: "i32"}
	}
	return g.intLeaf(scope)
}

func (g *gen) intLeaf(scope []ivar) expr {
	switch g.r.IntN(6) {
	case 0:
		return expr{s: fmt.Sprint(g.r.IntN(7) + 1)}
	case 1:
		if len(scope) > 0 {
			return expr{s: scope[g.r.IntN(len(scope))].name}
		}
		return expr{s: g.pick(g.syms)}
	case 2:
		return expr{s: g.pick(g.syms)}
	}
	return g.read(scope, false)
}
