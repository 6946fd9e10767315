package ir

import "fmt"

// Verify checks the invariants documented in the package comment: tensors and
// dimensions are well formed, every tensor is defined exactly once before it is
// read, every output is defined, index variables are used only in their scope,
// operands have their node's compute type, a statement's value has its target's
// type, and subscripts and where-conditions are I64 / bool expressions over
// Index, SizeVal and Const leaves. It returns the first violation found.
func Verify(k *Kernel) error {
	v := &verifier{k: k, sizes: map[*Size]bool{}, tensors: map[*Tensor]bool{}, defined: map[*Tensor]bool{}, scope: map[*Var]bool{}}
	if err := v.kernel(); err != nil {
		return fmt.Errorf("kernel %q: %w", k.Name, err)
	}
	return nil
}

type verifier struct {
	k       *Kernel
	sizes   map[*Size]bool
	tensors map[*Tensor]bool
	defined map[*Tensor]bool
	scope   map[*Var]bool
}

func (v *verifier) kernel() error {
	k := v.k
	names := map[string]bool{}
	for i, s := range k.Sizes {
		if s == nil || s.Index != i || s.Name == "" {
			return fmt.Errorf("size %d is malformed", i)
		}
		if names[s.Name] {
			return fmt.Errorf("size %q declared twice", s.Name)
		}
		names[s.Name] = true
		v.sizes[s] = true
	}
	groups := []struct {
		list  []*Tensor
		kinds []TensorKind
		what  string
	}{
		{k.Params, []TensorKind{Input, Scalar}, "parameter"},
		{k.Outputs, []TensorKind{Output}, "output"},
		{k.Temps, []TensorKind{Temp}, "temporary"},
	}
	for _, g := range groups {
		for i, t := range g.list {
			if t == nil {
				return fmt.Errorf("%s %d is nil", g.what, i)
			}
			if t.Index != i {
				return fmt.Errorf("%s %q has Index %d, want %d", g.what, t.Name, t.Index, i)
			}
			if t.Kind != g.kinds[0] && (len(g.kinds) < 2 || t.Kind != g.kinds[1]) {
				return fmt.Errorf("%s %q has kind %s", g.what, t.Name, t.Kind)
			}
			if t.Name == "" || names[t.Name] {
				return fmt.Errorf("tensor name %q is empty or used twice", t.Name)
			}
			names[t.Name] = true
			if !t.Type.IsValid() || t.Type.Class == Bool {
				return fmt.Errorf("tensor %q has invalid element type %s", t.Name, t.Type)
			}
			if t.Kind == Scalar && len(t.Dims) != 0 {
				return fmt.Errorf("scalar %q has dimensions", t.Name)
			}
			for j, d := range t.Dims {
				if err := v.dim(d); err != nil {
					return fmt.Errorf("tensor %q dimension %d: %w", t.Name, j, err)
				}
			}
			v.tensors[t] = true
		}
	}
	for i, c := range k.Checks {
		if err := v.dim(c.A); err != nil {
			return fmt.Errorf("check %d: %w", i, err)
		}
		if err := v.dim(c.B); err != nil {
			return fmt.Errorf("check %d: %w", i, err)
		}
	}
	for i, s := range k.Stmts {
		if err := v.stmt(s); err != nil {
			return fmt.Errorf("statement %d (%s): %w", i, s.Pos, err)
		}
	}
	for _, t := range k.Outputs {
		if !v.defined[t] {
			return fmt.Errorf("output %q is never defined", t.Name)
		}
	}
	for _, t := range k.Temps {
		if !v.defined[t] {
			return fmt.Errorf("temporary %q is never defined", t.Name)
		}
	}
	return nil
}

func (v *verifier) dim(d Dim) error {
	if d.Size == nil {
		if d.Const < 0 {
			return fmt.Errorf("negative constant dimension %d", d.Const)
		}
		return nil
	}
	if !v.sizes[d.Size] {
		return fmt.Errorf("size %q is not a size of the kernel", d.Size.Name)
	}
	if d.Mul < 1 || d.Div < 1 {
		return fmt.Errorf("dimension %s has a non-positive factor", d)
	}
	return nil
}

func (v *verifier) stmt(s *Stmt) error {
	t := s.Target
	if t == nil || !v.tensors[t] {
		return fmt.Errorf("target is not a tensor of the kernel")
	}
	if t.Kind != Output && t.Kind != Temp {
		return fmt.Errorf("target %q is a %s", t.Name, t.Kind)
	}
	if v.defined[t] {
		return fmt.Errorf("tensor %q defined twice", t.Name)
	}
	if len(s.Index) != t.Rank() {
		return fmt.Errorf("%d indices for rank-%d target %q", len(s.Index), t.Rank(), t.Name)
	}
	v.scope = map[*Var]bool{}
	for i, x := range s.Index {
		if err := v.declare(x); err != nil {
			return err
		}
		if !x.Extent.Equal(t.Dims[i]) {
			return fmt.Errorf("index %q ranges over %s, but %q dimension %d is %s", x.Name, x.Extent, t.Name, i, t.Dims[i])
		}
	}
	if s.Value == nil {
		return fmt.Errorf("missing value")
	}
	if err := v.expr(s.Value); err != nil {
		return err
	}
	if s.Value.Type() != t.Type {
		return fmt.Errorf("value has type %s, target %q has type %s", s.Value.Type(), t.Name, t.Type)
	}
	v.defined[t] = true
	return nil
}

func (v *verifier) declare(x *Var) error {
	if x == nil {
		return fmt.Errorf("nil index variable")
	}
	if v.scope[x] {
		return fmt.Errorf("index variable %q declared twice", x.Name)
	}
	if err := v.dim(x.Extent); err != nil {
		return fmt.Errorf("index %q: %w", x.Name, err)
	}
	v.scope[x] = true
	return nil
}

func isCompute(t DType) bool { return t == I32 || t == I64 || t == U32 || t == F32 || t == F64 }

// expr checks a value expression.
func (v *verifier) expr(e Expr) error {
	switch e := e.(type) {
	case nil:
		return fmt.Errorf("nil expression")
	case *Const:
		if !isCompute(e.T) && e.T != BoolT {
			return fmt.Errorf("%s: constant of non-compute type %s", e.Pos, e.T)
		}
	case *SizeVal:
		if !v.sizes[e.Size] || !isCompute(e.T) {
			return fmt.Errorf("%s: bad size value", e.Pos)
		}
	case *Index:
		if !v.scope[e.Var] {
			return fmt.Errorf("%s: index variable %q used out of scope", e.Pos, varName(e.Var))
		}
		if !e.T.IsInteger() || !isCompute(e.T) {
			return fmt.Errorf("%s: index %q has type %s", e.Pos, e.Var.Name, e.T)
		}
	case *Read:
		t := e.Tensor
		if t == nil || !v.tensors[t] {
			return fmt.Errorf("%s: read of a tensor that is not in the kernel", e.Pos)
		}
		if (t.Kind == Output || t.Kind == Temp) && !v.defined[t] {
			return fmt.Errorf("%s: %q read before it is defined", e.Pos, t.Name)
		}
		if len(e.Subs) != t.Rank() {
			return fmt.Errorf("%s: %d subscripts for rank-%d tensor %q", e.Pos, len(e.Subs), t.Rank(), t.Name)
		}
		for _, s := range e.Subs {
			if err := v.index(s, false); err != nil {
				return err
			}
		}
	case *Unary:
		if err := v.expr(e.X); err != nil {
			return err
		}
		switch e.Op {
		case Neg:
			if !isCompute(e.T) || e.X.Type() != e.T {
				return fmt.Errorf("%s: bad negation of %s as %s", e.Pos, e.X.Type(), e.T)
			}
		case Not:
			if e.T != BoolT || e.X.Type() != BoolT {
				return fmt.Errorf("%s: ! needs bool", e.Pos)
			}
		default:
			return fmt.Errorf("%s: bad unary operator %s", e.Pos, e.Op)
		}
	case *Binary:
		if err := v.expr(e.X); err != nil {
			return err
		}
		if err := v.expr(e.Y); err != nil {
			return err
		}
		return binaryTypes(e)
	case *Call:
		if len(e.Args) != e.Fn.Arity() {
			return fmt.Errorf("%s: %s with %d arguments", e.Pos, e.Fn, len(e.Args))
		}
		if !isCompute(e.T) {
			return fmt.Errorf("%s: %s of non-compute type %s", e.Pos, e.Fn, e.T)
		}
		for _, a := range e.Args {
			if err := v.expr(a); err != nil {
				return err
			}
			if a.Type() != e.T {
				return fmt.Errorf("%s: %s argument of type %s, want %s", e.Pos, e.Fn, a.Type(), e.T)
			}
		}
	case *Select:
		for _, x := range []Expr{e.Cond, e.A, e.B} {
			if err := v.expr(x); err != nil {
				return err
			}
		}
		if e.Cond.Type() != BoolT || e.A.Type() != e.T || e.B.Type() != e.T || (!isCompute(e.T) && e.T != BoolT) {
			return fmt.Errorf("%s: select operand types", e.Pos)
		}
	case *Cast:
		if err := v.expr(e.X); err != nil {
			return err
		}
		if !e.To.IsValid() || e.To == BoolT {
			return fmt.Errorf("%s: cast to %s", e.Pos, e.To)
		}
	case *Reduce:
		if len(e.Vars) == 0 {
			return fmt.Errorf("%s: reduction without variables", e.Pos)
		}
		for _, x := range e.Vars {
			if err := v.declare(x); err != nil {
				return err
			}
		}
		defer func() {
			for _, x := range e.Vars {
				delete(v.scope, x)
			}
		}()
		if e.Where != nil {
			if err := v.index(e.Where, true); err != nil {
				return err
			}
		}
		if err := v.expr(e.Body); err != nil {
			return err
		}
		if !isCompute(e.T) || e.Body.Type() != e.T {
			return fmt.Errorf("%s: reduction body %s, result %s", e.Pos, e.Body.Type(), e.T)
		}
	default:
		return fmt.Errorf("unknown expression %T", e)
	}
	return nil
}

func binaryTypes(e *Binary) error {
	x, y := e.X.Type(), e.Y.Type()
	switch {
	case e.Op.IsCompare():
		if e.T != BoolT || x != y || (!isCompute(x) && x != BoolT) {
			return fmt.Errorf("%s: comparison of %s and %s as %s", e.Pos, x, y, e.T)
		}
	case e.Op == And || e.Op == Or:
		if e.T != BoolT || x != BoolT || y != BoolT {
			return fmt.Errorf("%s: %s needs bool operands", e.Pos, e.Op)
		}
	case e.Op <= Mod:
		if !isCompute(e.T) || x != e.T || y != e.T {
			return fmt.Errorf("%s: %s on %s and %s as %s", e.Pos, e.Op, x, y, e.T)
		}
	default:
		return fmt.Errorf("%s: bad binary operator %s", e.Pos, e.Op)
	}
	return nil
}

// index checks a subscript (cond false: an I64 expression) or a where-condition
// (cond true: a bool combination of comparisons of I64 expressions).
func (v *verifier) index(e Expr, cond bool) error {
	if cond {
		switch e := e.(type) {
		case *Unary:
			if e.Op == Not && e.T == BoolT {
				return v.index(e.X, true)
			}
		case *Binary:
			switch {
			case e.Op == And || e.Op == Or:
				if e.T != BoolT {
					break
				}
				if err := v.index(e.X, true); err != nil {
					return err
				}
				return v.index(e.Y, true)
			case e.Op.IsCompare():
				if e.T != BoolT {
					break
				}
				if err := v.index(e.X, false); err != nil {
					return err
				}
				return v.index(e.Y, false)
			}
		}
		return fmt.Errorf("%s: malformed where-condition", e.Position())
	}
	if e == nil || e.Type() != I64 {
		return fmt.Errorf("subscript %s is not I64", ExprString(e))
	}
	switch e := e.(type) {
	case *Const:
		return nil
	case *SizeVal:
		return v.expr(e)
	case *Index:
		return v.expr(e)
	case *Unary:
		if e.Op == Neg {
			return v.index(e.X, false)
		}
	case *Binary:
		if e.Op <= Mod {
			if err := v.index(e.X, false); err != nil {
				return err
			}
			return v.index(e.Y, false)
		}
	}
	return fmt.Errorf("%s: subscript %s is not an index expression", e.Position(), ExprString(e))
}

func varName(x *Var) string {
	if x == nil {
		return "<nil>"
	}
	return x.Name
}
