package ir

// Clone returns a deep copy of k: its sizes, tensors, variables, statements
// and expressions are new objects, so passes may rewrite the copy while other
// users (the reference interpreter, say) keep the original.
func Clone(k *Kernel) *Kernel {
	c := &cloner{
		sizes:   map[*Size]*Size{},
		tensors: map[*Tensor]*Tensor{},
		vars:    map[*Var]*Var{},
	}
	n := *k
	n.Sizes = make([]*Size, len(k.Sizes))
	for i, s := range k.Sizes {
		n.Sizes[i] = c.size(s)
	}
	n.Params = c.tensorList(k.Params)
	n.Outputs = c.tensorList(k.Outputs)
	n.Temps = c.tensorList(k.Temps)
	n.Stmts = make([]*Stmt, len(k.Stmts))
	for i, s := range k.Stmts {
		ns := *s
		ns.Target = c.tensor(s.Target)
		ns.Index = c.varList(s.Index)
		ns.Value = c.expr(s.Value)
		n.Stmts[i] = &ns
	}
	n.Checks = make([]Agree, len(k.Checks))
	for i, a := range k.Checks {
		a.A, a.B = c.dim(a.A), c.dim(a.B)
		n.Checks[i] = a
	}
	return &n
}

// CloneExpr returns a deep copy of e for another statement: each variable
// in vars is replaced by its image and every other variable (a reduction's)
// by a copy; tensors and sizes are shared.
func CloneExpr(e Expr, vars map[*Var]*Var) Expr {
	c := &cloner{shared: true, vars: map[*Var]*Var{}}
	for k, v := range vars {
		c.vars[k] = v
	}
	return c.expr(e)
}

type cloner struct {
	sizes   map[*Size]*Size
	tensors map[*Tensor]*Tensor
	vars    map[*Var]*Var
	// shared keeps sizes and tensors (an expression copied within one
	// kernel).
	shared bool
}

func (c *cloner) size(s *Size) *Size {
	if s == nil || c.shared {
		return s
	}
	if n, ok := c.sizes[s]; ok {
		return n
	}
	n := *s
	c.sizes[s] = &n
	return &n
}

func (c *cloner) dim(d Dim) Dim {
	d.Size = c.size(d.Size)
	return d
}

func (c *cloner) tensor(t *Tensor) *Tensor {
	if c.shared {
		return t
	}
	if n, ok := c.tensors[t]; ok {
		return n
	}
	n := *t
	n.Dims = make([]Dim, len(t.Dims))
	for i, d := range t.Dims {
		n.Dims[i] = c.dim(d)
	}
	c.tensors[t] = &n
	return &n
}

func (c *cloner) tensorList(ts []*Tensor) []*Tensor {
	out := make([]*Tensor, len(ts))
	for i, t := range ts {
		out[i] = c.tensor(t)
	}
	return out
}

func (c *cloner) variable(v *Var) *Var {
	if n, ok := c.vars[v]; ok {
		return n
	}
	n := *v
	n.Extent = c.dim(v.Extent)
	c.vars[v] = &n
	return &n
}

func (c *cloner) varList(vs []*Var) []*Var {
	out := make([]*Var, len(vs))
	for i, v := range vs {
		out[i] = c.variable(v)
	}
	return out
}

func (c *cloner) exprList(es []Expr) []Expr {
	out := make([]Expr, len(es))
	for i, e := range es {
		out[i] = c.expr(e)
	}
	return out
}

func (c *cloner) expr(e Expr) Expr {
	switch e := e.(type) {
	case nil:
		return nil
	case *Const:
		n := *e
		return &n
	case *SizeVal:
		n := *e
		n.Size = c.size(e.Size)
		return &n
	case *Index:
		n := *e
		n.Var = c.variable(e.Var)
		return &n
	case *Read:
		n := *e
		n.Tensor = c.tensor(e.Tensor)
		n.Subs = c.exprList(e.Subs)
		return &n
	case *Unary:
		n := *e
		n.X = c.expr(e.X)
		return &n
	case *Binary:
		n := *e
		n.X, n.Y = c.expr(e.X), c.expr(e.Y)
		return &n
	case *Call:
		n := *e
		n.Args = c.exprList(e.Args)
		return &n
	case *Select:
		n := *e
		n.Cond, n.A, n.B = c.expr(e.Cond), c.expr(e.A), c.expr(e.B)
		return &n
	case *Cast:
		n := *e
		n.X = c.expr(e.X)
		return &n
	case *Reduce:
		n := *e
		n.Vars = c.varList(e.Vars)
		n.Where = c.expr(e.Where)
		n.Body = c.expr(e.Body)
		return &n
	}
	panic("ir.Clone: unknown expression type")
}
