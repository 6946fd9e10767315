package ir

import (
	"fmt"
	"strconv"
	"strings"
)

// String prints the kernel in a readable, source-like form (used by `tcc explain`).
func (k *Kernel) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "kernel %s(", k.Name)
	for i, t := range k.Params {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(tensorDecl(t))
	}
	b.WriteString(") -> (")
	for i, t := range k.Outputs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(tensorDecl(t))
	}
	b.WriteString(") {\n")
	for _, t := range k.Temps {
		fmt.Fprintf(&b, "    temp %s\n", tensorDecl(t))
	}
	for _, c := range k.Checks {
		fmt.Fprintf(&b, "    check %s == %s  // %s\n", c.A, c.B, c.What)
	}
	for _, s := range k.Stmts {
		fmt.Fprintf(&b, "    %s\n", s)
	}
	b.WriteString("}\n")
	return b.String()
}

func tensorDecl(t *Tensor) string {
	if t.Kind == Scalar {
		return t.Name + ": " + t.Type.String()
	}
	dims := make([]string, len(t.Dims))
	for i, d := range t.Dims {
		dims[i] = d.String()
	}
	return fmt.Sprintf("%s: %s[%s]", t.Name, t.Type, strings.Join(dims, ", "))
}

// String prints the statement with the extents of its index variables.
func (s *Stmt) String() string {
	idx := make([]string, len(s.Index))
	for i, v := range s.Index {
		idx[i] = v.Name
	}
	return fmt.Sprintf("%s[%s] = %s", s.Target.Name, strings.Join(idx, ", "), ExprString(s.Value))
}

// ExprString prints e with explicit types on casts and full parenthesisation.
func ExprString(e Expr) string {
	switch e := e.(type) {
	case nil:
		return "<nil>"
	case *Const:
		if e.T.IsFloat() {
			return strconv.FormatFloat(e.Float, 'g', -1, 64)
		}
		return strconv.FormatInt(e.Int, 10)
	case *SizeVal:
		return e.Size.Name
	case *Index:
		return e.Var.Name
	case *Read:
		if len(e.Subs) == 0 && e.Tensor.Kind == Scalar {
			return e.Tensor.Name
		}
		subs := make([]string, len(e.Subs))
		for i, s := range e.Subs {
			subs[i] = ExprString(s)
		}
		return e.Tensor.Name + "[" + strings.Join(subs, ", ") + "]"
	case *Unary:
		return "(" + e.Op.String() + ExprString(e.X) + ")"
	case *Binary:
		return "(" + ExprString(e.X) + " " + e.Op.String() + " " + ExprString(e.Y) + ")"
	case *Call:
		args := make([]string, len(e.Args))
		for i, a := range e.Args {
			args[i] = ExprString(a)
		}
		return e.Fn.String() + "(" + strings.Join(args, ", ") + ")"
	case *Select:
		return "select(" + ExprString(e.Cond) + ", " + ExprString(e.A) + ", " + ExprString(e.B) + ")"
	case *Cast:
		return e.To.String() + "(" + ExprString(e.X) + ")"
	case *Reduce:
		vars := make([]string, len(e.Vars))
		for i, v := range e.Vars {
			vars[i] = v.Name + "<" + v.Extent.String()
		}
		s := e.Op.String() + "(" + strings.Join(vars, ", ")
		if e.Where != nil {
			s += " where " + ExprString(e.Where)
		}
		return s + ": " + ExprString(e.Body) + ")"
	}
	return fmt.Sprintf("<%T>", e)
}
