package frontend

import (
	"fmt"
	"regexp"

	"github.com/tensorcc/tcc/ir"
)

// sym is a kernel-level name: a tensor (parameter, output or intermediate) or a
// size symbol.
type sym struct {
	t       *ir.Tensor // nil for a size
	size    *ir.Size
	pos     ir.Pos
	plain   bool // size: appears as a plain dimension
	defined bool // output or temp: its statement has been compiled
	bad     bool // its declaration or definition failed; uses are silently rejected
}

// varInfo is an index variable of the statement being compiled.
type varInfo struct {
	v     *ir.Var
	fixed bool // extent known (left-side index of an output)
	lhs   bool
	occs  []occ
	what  string // description of where the fixed extent comes from
}

// occ is a plain-subscript occurrence of an index variable.
type occ struct {
	t   *ir.Tensor
	dim int
	pos ir.Pos
}

// kscope holds the state of compiling one kernel.
type kscope struct {
	c        *compiler
	info     *kernelInfo
	k        *ir.Kernel
	syms     map[string]*sym
	reserved map[string]bool // names that inlined temporaries must avoid
	targets  map[string]bool // names defined by some statement of the body
	scope    []*varInfo      // index variables in scope, innermost last
	stmtVars []*varInfo      // every variable of the current statement
	checks   map[[2]ir.Dim]bool
	failed   bool // some declaration or statement was rejected
	// untypedMemo caches untyped(n); a node's meaning is fixed by its lexical scope.
	untypedMemo map[node][2]bool
	// wide is set while compiling a statement that stores into an f64
	// output, or into an intermediate such a statement reads (directly or
	// through other intermediates): its f32 arithmetic is done in f64 (see ft).
	wide bool
	// wideTemps are the intermediates whose statements compile wide.
	wideTemps map[string]bool
}

func (c *compiler) compileKernel(ki *kernelInfo) {
	if ki.state != 0 {
		return
	}
	ki.state = 1
	defer func() { ki.state = 2 }()
	a := ki.ast
	c.curPos = a.p
	nerr := len(c.errs)
	s := &kscope{
		c:           c,
		info:        ki,
		k:           &ir.Kernel{Name: a.name.name, Doc: a.doc, Pos: a.p},
		syms:        map[string]*sym{},
		reserved:    map[string]bool{},
		targets:     map[string]bool{},
		untypedMemo: map[node][2]bool{},
		checks:      map[[2]ir.Dim]bool{},
	}
	s.signature()
	for _, st := range a.body {
		for _, t := range st.targets {
			s.reserved[t.name] = true
			s.targets[t.name] = true
		}
	}
	s.wideTemps = wideTemps(a)
	for _, st := range a.body {
		c.curPos = st.p
		s.stmt(st)
	}
	for _, o := range s.k.Outputs {
		if sy := s.syms[o.Name]; sy != nil && sy.t == o && !sy.defined {
			c.errorf(o.Pos, "output %q is never defined", o.Name)
		}
	}
	ki.k = s.k
	ki.ok = len(c.errs) == nerr && !s.failed
	if ki.ok {
		if err := ir.Verify(s.k); err != nil {
			c.errorf(a.p, "internal error: invalid IR for kernel %q: %v", a.name.name, err)
			ki.ok = false
		}
	}
}

// describe names what kind of thing name is in this kernel, or "".
func (s *kscope) describe(name string) string {
	if sy := s.syms[name]; sy != nil {
		if sy.t == nil {
			return "size"
		}
		switch sy.t.Kind {
		case ir.Input:
			return "input"
		case ir.Scalar:
			return "scalar parameter"
		case ir.Output:
			return "output"
		}
		return "tensor"
	}
	if _, ok := s.c.consts[name]; ok {
		return "constant"
	}
	return ""
}

var typeLike = regexp.MustCompile(`^(u?e[0-9]+m[0-9]+|[iuf][0-9]+|bf[0-9]+)$`)

// parseType resolves a type name, failing with a precise message.
func (c *compiler) parseType(n *identNode) ir.DType {
	if t, ok := ir.ParseDType(n.name); ok {
		return t
	}
	c.fail(n.p, "%s", typeError(n.name))
	return ir.DType{}
}

func typeError(name string) string {
	var x, y int
	if _, err := fmt.Sscanf(name, "e%dm%d", &x, &y); err == nil && typeLike.MatchString(name) {
		return fmt.Sprintf("invalid minifloat type %q: needs 1+%d+%d = %d bits, more than 8", name, x, y, 1+x+y)
	}
	if _, err := fmt.Sscanf(name, "ue%dm%d", &x, &y); err == nil && typeLike.MatchString(name) {
		return fmt.Sprintf("invalid minifloat type %q: needs %d+%d = %d bits, more than 8", name, x, y, x+y)
	}
	return fmt.Sprintf("unknown type %q", name)
}

func (s *kscope) signature() {
	a := s.info.ast
	c := s.c
	declare := func(p *paramAST, kind ir.TensorKind) {
		name := p.name.name
		if prev := s.syms[name]; prev != nil {
			c.errorf(p.name.p, "%q redeclared in kernel signature; previous declaration at %s", name, prev.pos)
			return
		}
		if ci, ok := c.consts[name]; ok {
			c.errorf(p.name.p, "%q redeclares constant declared at %s", name, ci.ast.name.p)
			return
		}
		t := &ir.Tensor{Name: name, Kind: kind, Pos: p.name.p}
		sy := &sym{t: t, pos: p.name.p}
		s.syms[name] = sy
		s.reserved[name] = true
		ok := catch(func() { t.Type = c.parseType(p.typ) })
		if kind == ir.Input && !p.tensor {
			t.Kind = ir.Scalar
		}
		for _, d := range p.dims {
			dim, dok := s.dim(d)
			ok = ok && dok
			t.Dims = append(t.Dims, dim)
		}
		sy.bad = !ok
		s.failed = s.failed || !ok
		switch t.Kind {
		case ir.Input, ir.Scalar:
			t.Index = len(s.k.Params)
			s.k.Params = append(s.k.Params, t)
		case ir.Output:
			t.Index = len(s.k.Outputs)
			s.k.Outputs = append(s.k.Outputs, t)
		}
	}
	for _, p := range a.params {
		declare(p, ir.Input)
	}
	for _, p := range a.outputs {
		declare(p, ir.Output)
	}
	if len(a.outputs) == 0 {
		c.errorf(a.name.p, "kernel %q has no outputs", a.name.name)
	}
	for _, sz := range s.k.Sizes {
		sy := s.sizeSym(sz)
		if !sy.plain {
			c.errorf(sy.pos, "size %q never appears as a plain dimension, so its value cannot be known", sz.Name)
		}
	}
}

func (s *kscope) sizeSym(sz *ir.Size) *sym {
	for _, sy := range s.sizeSyms() {
		if sy.size == sz {
			return sy
		}
	}
	return nil
}

func (s *kscope) sizeSyms() []*sym {
	out := make([]*sym, len(s.k.Sizes))
	for _, sy := range s.syms {
		if sy.size != nil && sy.t == nil {
			out[sy.size.Index] = sy
		}
	}
	return out
}

// size returns the size symbol named by n, declaring it on first use.
func (s *kscope) size(n *identNode, plain bool) (*ir.Size, bool) {
	sy := s.syms[n.name]
	if sy == nil {
		sz := &ir.Size{Name: n.name, Index: len(s.k.Sizes)}
		s.k.Sizes = append(s.k.Sizes, sz)
		sy = &sym{size: sz, pos: n.p}
		s.syms[n.name] = sy
		s.reserved[n.name] = true
	}
	if sy.t != nil {
		s.c.errorf(n.p, "%q is used both as a size and as a tensor", n.name)
		return nil, false
	}
	sy.plain = sy.plain || plain
	return sy.size, true
}

// dim converts a dimension expression of a signature.
func (s *kscope) dim(n node) (ir.Dim, bool) {
	c := s.c
	var d ir.Dim
	ok := catch(func() {
		if c.isConstExpr(n) {
			v := c.evalConst(n)
			if v < 0 {
				c.fail(n.pos(), "negative dimension %d", v)
			}
			if v > math32 {
				c.fail(n.pos(), "dimension %d too large", v)
			}
			d = ir.ConstDim(int(v))
			return
		}
		switch n := n.(type) {
		case *identNode:
			sz, ok := s.size(n, true)
			if !ok {
				panic(bailout{})
			}
			d = ir.SizeDim(sz)
			return
		case *binaryNode:
			id, isID := n.x.(*identNode)
			k := n.y
			if n.op == "*" && !isID {
				id, isID = n.y.(*identNode)
				k = n.x
			}
			if (n.op == "*" || n.op == "/") && isID && !c.isConstExpr(id) && c.isConstExpr(k) {
				v := c.evalConst(k)
				if v <= 0 || v > math32 {
					c.fail(k.pos(), "dimension factor %d must be a positive constant", v)
				}
				sz, ok := s.size(id, false)
				if !ok {
					panic(bailout{})
				}
				d = ir.Dim{Size: sz, Mul: 1, Div: 1}
				if n.op == "*" {
					d.Mul = int(v)
				} else {
					d.Div = int(v)
				}
				return
			}
		}
		c.fail(n.pos(), "invalid dimension: want SIZE, CONST, SIZE / CONST or SIZE * CONST")
	})
	return d, ok
}

const math32 = 1<<31 - 1

// target checks that name may be defined by a statement and returns its symbol
// (nil for a new intermediate).
func (s *kscope) target(n *identNode) *sym {
	sy := s.syms[n.name]
	if sy == nil {
		if _, ok := s.c.consts[n.name]; ok {
			s.c.fail(n.p, "cannot assign to constant %q", n.name)
		}
		return nil
	}
	if sy.t == nil {
		s.c.fail(n.p, "cannot assign to size %q", n.name)
	}
	switch sy.t.Kind {
	case ir.Input:
		s.c.fail(n.p, "cannot assign to input %q", n.name)
	case ir.Scalar:
		s.c.fail(n.p, "cannot assign to scalar parameter %q", n.name)
	}
	if sy.defined {
		s.c.fail(n.p, "%q is already defined at %s", n.name, sy.pos)
	}
	if sy.bad {
		panic(bailout{})
	}
	return sy
}

// poison marks the targets of a failed statement as defined but unusable.
func (s *kscope) poison(st *stmtAST) {
	for _, t := range st.targets {
		sy := s.syms[t.name]
		if sy == nil {
			if _, ok := s.c.consts[t.name]; ok {
				continue
			}
			s.syms[t.name] = &sym{pos: t.p, defined: true, bad: true, t: &ir.Tensor{Name: t.name, Kind: ir.Temp}}
			continue
		}
		if sy.t != nil && (sy.t.Kind == ir.Output || sy.t.Kind == ir.Temp) {
			sy.defined, sy.bad = true, true
		}
	}
}

func (s *kscope) stmt(st *stmtAST) {
	s.scope, s.stmtVars = nil, nil
	ok := catch(func() {
		if call, isCall := st.value.(*callNode); isCall && call.red == nil && s.c.kernels[call.name] != nil {
			s.callStmt(st, call)
			return
		}
		if st.multi {
			s.c.fail(st.p, "assignment to %d tensors needs a kernel call on the right side", len(st.targets))
		}
		s.assign(st)
	})
	if !ok {
		s.failed = true
		s.poison(st)
	}
}

// assign compiles T[i, j, ...] = EXPR.
func (s *kscope) assign(st *stmtAST) {
	c := s.c
	tn := st.targets[0]
	sy := s.target(tn)
	if sy != nil && len(st.subs) != sy.t.Rank() {
		c.fail(tn.p, "output %q has %s, but the left side has %d subscripts", tn.name, plural(sy.t.Rank(), "dimension"), len(st.subs))
	}
	var vars []*ir.Var
	for i, sub := range st.subs {
		id, ok := sub.(*identNode)
		if !ok {
			c.fail(sub.pos(), "left-side subscript %d of %q must be a plain index variable", i+1, tn.name)
		}
		vi := s.newVar(id, true)
		if sy != nil {
			vi.v.Extent = sy.t.Dims[i]
			vi.fixed = true
			vi.what = fmt.Sprintf("%s dimension %d (%s)", tn.name, i, sy.t.Dims[i])
		}
		vars = append(vars, vi.v)
	}
	s.wide = (sy != nil && sy.t.Kind == ir.Output && sy.t.Type == ir.F64) || (sy == nil && s.wideTemps[tn.name])
	val := s.value(st.value)
	s.wide = false
	s.resolveVars()
	var t *ir.Tensor
	if sy != nil {
		t = sy.t
	} else {
		if val.Type() == ir.BoolT {
			c.fail(st.value.pos(), "cannot define %q from a bool value; convert it with a cast such as i32(...)", tn.name)
		}
		t = &ir.Tensor{Name: tn.name, Kind: ir.Temp, Type: val.Type(), Pos: tn.p, Index: len(s.k.Temps)}
		for _, v := range vars {
			t.Dims = append(t.Dims, v.Extent)
		}
		s.k.Temps = append(s.k.Temps, t)
		sy = &sym{t: t, pos: tn.p}
		s.syms[tn.name] = sy
	}
	sy.defined = true
	sy.pos = tn.p
	s.k.Stmts = append(s.k.Stmts, &ir.Stmt{Pos: st.p, Target: t, Index: vars, Value: conv(val, t.Type)})
}

// newVar declares an index variable of the current statement.
func (s *kscope) newVar(id *identNode, lhs bool) *varInfo {
	c := s.c
	for _, vi := range s.scope {
		if vi.v.Name != id.name {
			continue
		}
		switch {
		case lhs:
			c.fail(id.p, "index %q appears twice on the left side", id.name)
		case vi.lhs:
			c.fail(id.p, "reduction variable %q shadows a left-side index", id.name)
		default:
			c.fail(id.p, "reduction variable %q shadows an enclosing reduction variable", id.name)
		}
	}
	if what := s.describe(id.name); what != "" {
		c.fail(id.p, "index variable %q conflicts with the %s of the same name", id.name, what)
	}
	if id.name == "inf" || id.name == "pi" {
		c.fail(id.p, "index variable %q conflicts with the predeclared constant", id.name)
	}
	vi := &varInfo{v: &ir.Var{Name: id.name, Pos: id.p}, lhs: lhs}
	s.scope = append(s.scope, vi)
	s.stmtVars = append(s.stmtVars, vi)
	return vi
}

// resolveVars sets the extents of the statement's variables from their plain
// subscript occurrences and adds run-time checks where they must agree.
func (s *kscope) resolveVars() {
	for _, vi := range s.stmtVars {
		if !vi.fixed {
			if len(vi.occs) == 0 {
				s.c.fail(vi.v.Pos, "cannot infer the range of index %q: it is never a plain subscript of a tensor", vi.v.Name)
			}
			o := vi.occs[0]
			vi.v.Extent = o.t.Dims[o.dim]
			vi.what = fmt.Sprintf("%s dimension %d (%s)", o.t.Name, o.dim, vi.v.Extent)
			vi.occs = vi.occs[1:]
		} else {
			// A left-side index of an output ranges over the output's dimension
			// (SPEC section 6); reads beyond another tensor's extent give zero,
			// so nothing has to agree.
			continue
		}
		for _, o := range vi.occs {
			d := o.t.Dims[o.dim]
			what := fmt.Sprintf("index %q: %s vs %s dimension %d (%s)", vi.v.Name, vi.what, o.t.Name, o.dim, d)
			s.agree(o.pos, vi.v.Extent, d, what)
		}
	}
}

// agree records that a and b must be equal: nothing when provably equal, an
// error when provably different, a run-time check otherwise.
func (s *kscope) agree(pos ir.Pos, a, b ir.Dim, what string) {
	if a.Equal(b) {
		return
	}
	if a.IsConst() && b.IsConst() {
		s.c.fail(pos, "mismatched sizes: %s", what)
	}
	key := [2]ir.Dim{a, b}
	if s.checks[key] || s.checks[[2]ir.Dim{b, a}] {
		return
	}
	s.checks[key] = true
	s.k.Checks = append(s.k.Checks, ir.Agree{Pos: pos, A: a, B: b, What: what})
}

// lookupVar finds an index variable in scope.
func (s *kscope) lookupVar(name string) *varInfo {
	for i := len(s.scope) - 1; i >= 0; i-- {
		if s.scope[i].v.Name == name {
			return s.scope[i]
		}
	}
	return nil
}

// wideTemps returns the names of the intermediates that statements storing
// into f64 outputs read, directly or through other intermediates: they are
// computed in f64 too, so that the outputs meet the f64 accuracy of SPEC
// section 7 (an intermediate's value is exact; only casts round).
func wideTemps(a *kernelAST) map[string]bool {
	f64out := map[string]bool{}
	outs := map[string]bool{}
	for _, o := range a.outputs {
		outs[o.name.name] = true
		if o.typ != nil && o.typ.name == "f64" {
			f64out[o.name.name] = true
		}
	}
	wide := map[string]bool{}
	for i := len(a.body) - 1; i >= 0; i-- {
		st := a.body[i]
		if len(st.targets) != 1 || st.multi {
			continue
		}
		n := st.targets[0].name
		if !f64out[n] && (outs[n] || !wide[n]) {
			continue
		}
		readNames(st.value, func(name string) {
			if !outs[name] {
				wide[name] = true
			}
		})
	}
	return wide
}

// readNames calls f with every name n reads (tensors, scalars, variables).
func readNames(n node, f func(string)) {
	switch n := n.(type) {
	case *identNode:
		f(n.name)
	case *indexNode:
		f(n.name)
		for _, x := range n.subs {
			readNames(x, f)
		}
	case *unaryNode:
		readNames(n.x, f)
	case *binaryNode:
		readNames(n.x, f)
		readNames(n.y, f)
	case *callNode:
		for _, x := range n.args {
			readNames(x, f)
		}
		if n.red != nil {
			readNames(n.red.where, f)
			readNames(n.red.body, f)
		}
	}
}
