package loop

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tensorcc/tcc/ir"
)

// String returns a readable, indented dump of the kernel (used by `tcc explain`).
func (k *Kernel) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "kernel %s\n", k.Name)
	for _, n := range k.Notes {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	if len(k.Sizes) > 0 {
		names := make([]string, len(k.Sizes))
		for i, s := range k.Sizes {
			names[i] = s.Name
		}
		fmt.Fprintf(&b, "  sizes %s\n", strings.Join(names, ", "))
	}
	for _, s := range k.Scalars {
		fmt.Fprintf(&b, "  scalar %s %s\n", s.Name, TypeString(s.T))
	}
	for _, group := range [][]*Buf{k.Inputs, k.Outputs, k.Scratch} {
		for _, buf := range group {
			kind := [...]string{"input", "output", "scratch"}[buf.Kind]
			fmt.Fprintf(&b, "  %s %s %s[%s]\n", kind, buf.Name, buf.Elem, ExprString(buf.Len))
		}
	}
	for i, s := range k.Steps {
		fmt.Fprintf(&b, "  step %d: %s", i, s.Func.Name)
		if s.Parallel {
			fmt.Fprintf(&b, " parallel over [0, %s) grain %d", ExprString(s.Extent), s.Grain)
		}
		if s.Work != nil {
			fmt.Fprintf(&b, " work %s", ExprString(s.Work))
		}
		b.WriteString("\n")
	}
	for _, f := range k.Funcs {
		b.WriteString(f.String())
	}
	return b.String()
}

// String returns a readable, indented dump of the function.
func (f *Func) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "func %s", f.Name)
	if f.Lo != nil {
		fmt.Fprintf(&b, "(%s, %s)", f.Lo.Name, f.Hi.Name)
	}
	if f.Target != "" {
		fmt.Fprintf(&b, " target %s", f.Target)
	}
	if f.VectorBits > 0 {
		fmt.Fprintf(&b, " vector %d", f.VectorBits)
	}
	b.WriteString(" {\n")
	for _, v := range f.Locals {
		fmt.Fprintf(&b, "  var %s %s\n", v.Name, TypeString(v.T))
	}
	printStmts(&b, f.Body, 1)
	b.WriteString("}\n")
	return b.String()
}

func printStmts(b *strings.Builder, ss []Stmt, depth int) {
	ind := strings.Repeat("  ", depth)
	for _, s := range ss {
		switch s := s.(type) {
		case *For:
			fmt.Fprintf(b, "%sfor %s = %s; %s < %s; %s += %d", ind, s.Var.Name, ExprString(s.Lo),
				s.Var.Name, ExprString(s.Hi), s.Var.Name, s.Step)
			if s.Unroll > 1 {
				fmt.Fprintf(b, " unroll %d", s.Unroll)
			}
			b.WriteString(" {\n")
			printStmts(b, s.Body, depth+1)
			fmt.Fprintf(b, "%s}\n", ind)
		case *If:
			fmt.Fprintf(b, "%sif %s {\n", ind, ExprString(s.Cond))
			printStmts(b, s.Then, depth+1)
			if len(s.Else) > 0 {
				fmt.Fprintf(b, "%s} else {\n", ind)
				printStmts(b, s.Else, depth+1)
			}
			fmt.Fprintf(b, "%s}\n", ind)
		case *Assign:
			fmt.Fprintf(b, "%s%s = %s\n", ind, s.Dst.Name, ExprString(s.Value))
		case *Store:
			fmt.Fprintf(b, "%s%s[%s]", ind, s.Buf.Name, ExprString(s.Index))
			if s.Value != nil && s.Value.Type().IsVector() {
				fmt.Fprintf(b, "<%d", s.Value.Type().Lanes)
				if s.Count != nil {
					fmt.Fprintf(b, " count %s", ExprString(s.Count))
				}
				if s.Stream != nil {
					fmt.Fprintf(b, " stream %s", ExprString(s.Stream))
				}
				b.WriteString(">")
			}
			fmt.Fprintf(b, " = %s\n", ExprString(s.Value))
		case *Memset:
			fmt.Fprintf(b, "%smemset %s[%s : +%s]\n", ind, s.Buf.Name, ExprString(s.Index), ExprString(s.Len))
		case *Prefetch:
			fmt.Fprintf(b, "%sprefetch %s[%s]\n", ind, s.Buf.Name, ExprString(s.Index))
		default:
			fmt.Fprintf(b, "%s<%T>\n", ind, s)
		}
	}
}

// TypeString formats t as "f32" or "f32x16".
func TypeString(t Type) string { return typeString(t) }

// ExprString formats e with explicit vector types, fully parenthesised.
func ExprString(e Expr) string {
	switch e := e.(type) {
	case nil:
		return "<nil>"
	case *Const:
		var s string
		switch {
		case e.T.Elem.IsFloat():
			s = strconv.FormatFloat(e.Float, 'g', -1, 64)
		case e.T.Elem.Class == ir.Bool:
			s = strconv.FormatBool(e.Int != 0)
		default:
			s = strconv.FormatInt(e.Int, 10)
		}
		if e.T == Int64 {
			return s
		}
		return s + ":" + typeString(e.T)
	case *Ref:
		return e.Var.Name
	case *Load:
		s := e.Buf.Name + "[" + ExprString(e.Index)
		if e.Raw {
			s = e.Buf.Name + ".bytes[" + ExprString(e.Index)
		}
		if e.T.IsVector() {
			s += fmt.Sprintf(" : %s", typeString(e.T))
			if e.Count != nil {
				s += " count " + ExprString(e.Count)
			}
		}
		s += "]"
		if e.Guard != nil {
			s += " if " + ExprString(e.Guard)
		}
		return s
	case *Bin:
		return "(" + ExprString(e.X) + " " + e.Op.String() + " " + ExprString(e.Y) + ")"
	case *Un:
		return "(" + e.Op.String() + ExprString(e.X) + ")"
	case *Call:
		args := make([]string, len(e.Args))
		for i, a := range e.Args {
			args[i] = ExprString(a)
		}
		return fnName(e.Fn) + "(" + strings.Join(args, ", ") + ")"
	case *Cast:
		return typeString(e.T) + "(" + ExprString(e.X) + ")"
	case *Select:
		if fn, ok := minMaxSelect(e); ok {
			return fn + "(" + ExprString(e.A) + ", " + ExprString(e.B) + ")"
		}
		return "select(" + ExprString(e.Cond) + ", " + ExprString(e.A) + ", " + ExprString(e.B) + ")"
	case *Broadcast:
		return "broadcast<" + typeString(e.T) + ">(" + ExprString(e.X) + ")"
	case *HReduce:
		return "h" + e.Op.String() + "(" + ExprString(e.X) + ")"
	case *Bitcast:
		return "bitcast<" + typeString(e.T) + ">(" + ExprString(e.X) + ")"
	case *Shuffle:
		idx := make([]string, len(e.Index))
		for i, x := range e.Index {
			idx[i] = strconv.Itoa(x)
		}
		return "shuffle<" + typeString(e.T) + ">(" + ExprString(e.X) + ", {" + strings.Join(idx, ", ") + "})"
	case *Lanes:
		vals := make([]string, e.T.Lanes)
		for i := range vals {
			if e.T.Elem.IsFloat() {
				vals[i] = strconv.FormatFloat(e.Float[i], 'g', -1, 64)
			} else {
				vals[i] = strconv.FormatInt(e.Int[i], 10)
			}
		}
		return "lanes<" + typeString(e.T) + ">{" + strings.Join(vals, ", ") + "}"
	}
	return fmt.Sprintf("<%T>", e)
}

// minMaxSelect reports whether e is select(a < b, a, b) or select(a > b, a,
// b) (<= and >= too) on scalar integers, which print as min(a, b) and
// max(a, b).
func minMaxSelect(e *Select) (string, bool) {
	c, ok := e.Cond.(*Bin)
	if !ok || e.T.Lanes != 1 || e.T.Elem.Class != ir.Int || !sameTree(c.X, e.A) || !sameTree(c.Y, e.B) {
		return "", false
	}
	switch c.Op {
	case ir.Lt, ir.Le:
		return "min", true
	case ir.Gt, ir.Ge:
		return "max", true
	}
	return "", false
}

// sameTree reports whether x and y are the same expression: the same node,
// or equal constants or references.
func sameTree(x, y Expr) bool {
	if x == y {
		return true
	}
	switch x := x.(type) {
	case *Const:
		y, ok := y.(*Const)
		return ok && *x == *y
	case *Ref:
		y, ok := y.(*Ref)
		return ok && x.Var == y.Var
	}
	return ExprString(x) == ExprString(y)
}
