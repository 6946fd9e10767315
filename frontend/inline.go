package frontend

import (
	"fmt"
	"strings"

	"github.com/tensorcc/tcc/ir"
)

// inliner copies a callee's statements into the caller, substituting tensors,
// sizes and index variables.
type inliner struct {
	s       *kscope
	callee  *ir.Kernel
	pos     ir.Pos
	tensors map[*ir.Tensor]*ir.Tensor // callee tensor -> caller tensor
	sizes   map[*ir.Size]ir.Dim       // callee size -> caller dimension
	vars    map[*ir.Var]*ir.Var
}

func tensorDesc(t *ir.Tensor) string {
	if t.Kind == ir.Scalar {
		return t.Type.String()
	}
	dims := make([]string, len(t.Dims))
	for i, d := range t.Dims {
		dims[i] = d.String()
	}
	return fmt.Sprintf("%s[%s]", t.Type, strings.Join(dims, ", "))
}

// callStmt compiles O = F(X, ...) or (A, B) = F(X, ...) by inlining F.
func (s *kscope) callStmt(st *stmtAST, call *callNode) {
	c := s.c
	ki := c.kernels[call.name]
	if ki.state == 1 {
		c.fail(call.p, "recursive call of kernel %q", call.name)
	}
	c.compileKernel(ki)
	c.curPos = st.p
	if st.indexed {
		c.fail(st.p, "the result of kernel call %q cannot be indexed; write %s = %s(...)", call.name, st.targets[0].name, call.name)
	}
	ck := ki.k
	if len(call.args) != len(ck.Params) {
		c.fail(call.p, "wrong number of arguments to %s: got %d, want %d", call.name, len(call.args), len(ck.Params))
	}
	if len(st.targets) != len(ck.Outputs) {
		c.fail(st.p, "assignment mismatch: %d tensors on the left, but %s returns %d", len(st.targets), call.name, len(ck.Outputs))
	}
	if !ki.ok {
		panic(bailout{}) // the callee's errors are reported
	}
	in := &inliner{
		s: s, callee: ck, pos: call.p,
		tensors: map[*ir.Tensor]*ir.Tensor{},
		sizes:   map[*ir.Size]ir.Dim{},
		vars:    map[*ir.Var]*ir.Var{},
	}
	for i, p := range ck.Params {
		a := call.args[i]
		if id, ok := a.(*identNode); ok && (p.Kind != ir.Scalar || s.isTensorOf(id.name, p.Type)) {
			t := s.tensorArg(id)
			if t.Rank() != p.Rank() || t.Type != p.Type {
				c.fail(a.pos(), "cannot use %q (%s) as argument %q (%s) of %s", id.name, tensorDesc(t), p.Name, tensorDesc(p), call.name)
			}
			in.tensors[p] = t
			for j, d := range p.Dims {
				in.unify(a.pos(), d, t.Dims[j], fmt.Sprintf("call of %s: %s dimension %d (%s) vs parameter %s dimension %d (%s)",
					call.name, t.Name, j, t.Dims[j], p.Name, j, d))
			}
			continue
		}
		if p.Kind != ir.Scalar {
			c.fail(a.pos(), "argument %d of %s must be a tensor name", i+1, call.name)
		}
		// A scalar argument given by an expression is stored in a rank-0 temporary.
		var e ir.Expr
		if u, f := s.untyped(a); u {
			ct := p.Type.Compute()
			if f && !ct.IsFloat() {
				ct = ir.F32
			}
			e = s.mat(a, ct)
		} else {
			e = s.value(a)
			s.needNumber(e, a)
		}
		t := &ir.Tensor{Name: s.tempName(ck.Name + "_" + p.Name), Kind: ir.Temp, Type: p.Type, Pos: a.pos()}
		s.addTemp(t)
		s.k.Stmts = append(s.k.Stmts, &ir.Stmt{Pos: a.pos(), Target: t, Value: conv(e, p.Type)})
		in.tensors[p] = t
		for j, d := range p.Dims {
			in.unify(a.pos(), d, t.Dims[j], fmt.Sprintf("call of %s: %s dimension %d (%s) vs parameter %s dimension %d (%s)",
				call.name, t.Name, j, t.Dims[j], p.Name, j, d))
		}
	}
	// Outputs bound to existing caller outputs first, so their sizes unify.
	syms := make([]*sym, len(ck.Outputs))
	for i, o := range ck.Outputs {
		tn := st.targets[i]
		for _, prev := range st.targets[:i] {
			if prev.name == tn.name {
				c.fail(tn.p, "%q appears twice on the left side", tn.name)
			}
		}
		sy := s.target(tn)
		syms[i] = sy
		if sy == nil {
			continue
		}
		t := sy.t
		if t.Rank() != o.Rank() || t.Type != o.Type {
			c.fail(tn.p, "cannot assign result %q (%s) of %s to %q (%s)", o.Name, tensorDesc(o), call.name, tn.name, tensorDesc(t))
		}
		in.tensors[o] = t
		for j, d := range o.Dims {
			in.unify(tn.p, d, t.Dims[j], fmt.Sprintf("call of %s: %s dimension %d (%s) vs result %s dimension %d (%s)",
				call.name, t.Name, j, t.Dims[j], o.Name, j, d))
		}
	}
	for i, o := range ck.Outputs {
		if syms[i] != nil {
			continue
		}
		tn := st.targets[i]
		t := &ir.Tensor{Name: tn.name, Kind: ir.Temp, Type: o.Type, Pos: tn.p}
		for _, d := range o.Dims {
			t.Dims = append(t.Dims, in.dim(tn.p, d))
		}
		s.addTemp(t)
		in.tensors[o] = t
		syms[i] = &sym{t: t, pos: tn.p}
	}
	for _, t := range ck.Temps {
		nt := &ir.Tensor{Name: s.tempName(ck.Name + "_" + t.Name), Kind: ir.Temp, Type: t.Type, Pos: t.Pos}
		for _, d := range t.Dims {
			nt.Dims = append(nt.Dims, in.dim(call.p, d))
		}
		s.addTemp(nt)
		in.tensors[t] = nt
	}
	for _, chk := range ck.Checks {
		s.agree(call.p, in.dim(call.p, chk.A), in.dim(call.p, chk.B), fmt.Sprintf("call of %s: %s", call.name, chk.What))
	}
	for _, cs := range ck.Stmts {
		ns := &ir.Stmt{Pos: cs.Pos, Target: in.tensors[cs.Target]}
		for i, v := range cs.Index {
			nv := in.newVar(v)
			nv.Extent = ns.Target.Dims[i] // equal to the substituted extent, or checked to be
			ns.Index = append(ns.Index, nv)
		}
		ns.Value = in.expr(cs.Value)
		if cs.Target.Kind == ir.Output && ns.Target.Kind == ir.Temp && ns.Target.Type.IsFloat() {
			// A call's results have the callee's declared output types, as
			// the generated function's would: round to them explicitly, so
			// the rounding stays even where the value's type already matches
			// (the reference interpreter keeps unrounded values otherwise).
			if !isStoredAs(ns.Value, ns.Target.Type) {
				ns.Value = &ir.Cast{Pos: cs.Pos, X: ns.Value, To: ns.Target.Type}
			}
		}
		s.k.Stmts = append(s.k.Stmts, ns)
	}
	for i, tn := range st.targets {
		sy := syms[i]
		sy.defined, sy.pos = true, tn.p
		s.syms[tn.name] = sy
	}
}

// isStoredAs reports whether e's value is already of type t exactly: a read of
// a tensor of type t, or a cast to t.
func isStoredAs(e ir.Expr, t ir.DType) bool {
	switch e := e.(type) {
	case *ir.Read:
		return e.Tensor.Type == t
	case *ir.Cast:
		return e.To == t
	}
	return false
}

func (s *kscope) addTemp(t *ir.Tensor) {
	t.Index = len(s.k.Temps)
	s.k.Temps = append(s.k.Temps, t)
	s.reserved[t.Name] = true
}

// tempName returns a name based on base that no tensor of the kernel uses.
func (s *kscope) tempName(base string) string {
	name := base
	for i := 2; s.reserved[name] || s.c.consts[name] != nil; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	s.reserved[name] = true
	return name
}

// scale returns d*mul/div, failing when a constant does not divide.
func (in *inliner) scale(pos ir.Pos, d ir.Dim, mul, div int) ir.Dim {
	if d.IsConst() {
		if d.Const*mul%div != 0 {
			in.s.c.fail(pos, "call of %s: dimension %d * %d / %d is not an integer", in.callee.Name, d.Const, mul, div)
		}
		return ir.ConstDim(d.Const * mul / div)
	}
	m, q := d.Mul*mul, d.Div*div
	g := gcd(m, q)
	return ir.Dim{Size: d.Size, Mul: m / g, Div: q / g}
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	if a == 0 {
		return 1
	}
	return a
}

// unify binds the callee dimension d to the caller dimension got.
func (in *inliner) unify(pos ir.Pos, d, got ir.Dim, what string) {
	if !d.IsConst() {
		if _, ok := in.sizes[d.Size]; !ok {
			// d = S*Mul/Div = got, so S = got*Div/Mul.
			in.sizes[d.Size] = in.scale(pos, got, d.Div, d.Mul)
		}
	}
	in.s.agree(pos, got, in.dim(pos, d), what)
}

// dim substitutes the caller's sizes into a callee dimension.
func (in *inliner) dim(pos ir.Pos, d ir.Dim) ir.Dim {
	if d.IsConst() {
		return d
	}
	x, ok := in.sizes[d.Size]
	if !ok {
		in.s.c.fail(pos, "cannot infer size %q of kernel %s from the call's arguments", d.Size.Name, in.callee.Name)
	}
	return in.scale(pos, x, d.Mul, d.Div)
}

func (in *inliner) newVar(v *ir.Var) *ir.Var {
	name := v.Name
	for i := 2; in.s.reserved[name]; i++ {
		// Keep index names distinct from the caller's tensor names, as in source.
		name = fmt.Sprintf("%s_%d", v.Name, i)
	}
	nv := &ir.Var{Name: name, Extent: in.dim(in.pos, v.Extent), Pos: v.Pos}
	in.vars[v] = nv
	return nv
}

// sizeValue is the value of caller dimension d as an expression of type t.
func sizeValue(pos ir.Pos, d ir.Dim, t ir.DType) ir.Expr {
	if d.IsConst() {
		if t.IsFloat() {
			return floatConst(pos, float64(d.Const), t)
		}
		return &ir.Const{Pos: pos, T: t, Int: int64(d.Const)}
	}
	if d.Mul == 1 && d.Div == 1 {
		return &ir.SizeVal{Pos: pos, Size: d.Size, T: t}
	}
	var e ir.Expr = &ir.SizeVal{Pos: pos, Size: d.Size, T: ir.I64}
	if d.Mul != 1 {
		e = &ir.Binary{Pos: pos, Op: ir.Mul, X: e, Y: &ir.Const{Pos: pos, T: ir.I64, Int: int64(d.Mul)}, T: ir.I64}
	}
	if d.Div != 1 {
		e = &ir.Binary{Pos: pos, Op: ir.Div, X: e, Y: &ir.Const{Pos: pos, T: ir.I64, Int: int64(d.Div)}, T: ir.I64}
	}
	return conv(e, t)
}

// expr copies a callee expression with substitutions.
func (in *inliner) expr(e ir.Expr) ir.Expr {
	switch e := e.(type) {
	case *ir.Const:
		c := *e
		return &c
	case *ir.SizeVal:
		return sizeValue(e.Pos, in.dim(e.Pos, ir.SizeDim(e.Size)), e.T)
	case *ir.Index:
		return &ir.Index{Pos: e.Pos, Var: in.vars[e.Var], T: e.T}
	case *ir.Read:
		r := &ir.Read{Pos: e.Pos, Tensor: in.tensors[e.Tensor]}
		for _, sub := range e.Subs {
			r.Subs = append(r.Subs, in.expr(sub))
		}
		return r
	case *ir.Unary:
		return &ir.Unary{Pos: e.Pos, Op: e.Op, X: in.expr(e.X), T: e.T}
	case *ir.Binary:
		return &ir.Binary{Pos: e.Pos, Op: e.Op, X: in.expr(e.X), Y: in.expr(e.Y), T: e.T}
	case *ir.Call:
		n := &ir.Call{Pos: e.Pos, Fn: e.Fn, T: e.T}
		for _, a := range e.Args {
			n.Args = append(n.Args, in.expr(a))
		}
		return n
	case *ir.Select:
		return &ir.Select{Pos: e.Pos, Cond: in.expr(e.Cond), A: in.expr(e.A), B: in.expr(e.B), T: e.T}
	case *ir.Cast:
		return &ir.Cast{Pos: e.Pos, X: in.expr(e.X), To: e.To}
	case *ir.Reduce:
		r := &ir.Reduce{Pos: e.Pos, Op: e.Op, T: e.T}
		for _, v := range e.Vars {
			r.Vars = append(r.Vars, in.newVar(v))
		}
		if e.Where != nil {
			r.Where = in.expr(e.Where)
		}
		r.Body = in.expr(e.Body)
		return r
	}
	panic(fmt.Sprintf("inline: unexpected expression %T", e))
}

// isTensorOf reports whether name denotes a rank-0 tensor of type t.
func (s *kscope) isTensorOf(name string, t ir.DType) bool {
	if s.lookupVar(name) != nil {
		return false
	}
	sy := s.syms[name]
	return sy != nil && sy.t != nil && !sy.bad && sy.t.Rank() == 0 && sy.t.Type == t
}
