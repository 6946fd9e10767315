package interp

import (
	"errors"
	"fmt"

	"github.com/tensorcc/tcc/ir"
)

// validType reports whether t is a type the interpreter can hold a value of.
func validType(t ir.DType) error {
	switch t.Class {
	case ir.Bool:
		return nil
	case ir.Int:
		if t.Bits >= 1 && t.Bits <= 64 {
			return nil
		}
	case ir.Uint:
		if t.Bits >= 1 && t.Bits <= 32 {
			return nil
		}
	case ir.Float:
		if t.Bits == 16 || t.Bits == 32 || t.Bits == 64 {
			return nil
		}
	case ir.BFloat:
		if t.Bits == 16 {
			return nil
		}
	case ir.MiniFloat, ir.UMiniFloat:
		w := t.Exp + t.Man
		if t.Class == ir.MiniFloat {
			w++
		}
		if t.Exp >= 1 && t.Man >= 0 && w <= 8 && t.Bits == w {
			return nil
		}
	}
	return fmt.Errorf("invalid element type %+v", t)
}

// validate checks the parts of the IR the compiler relies on before it builds any
// closure, so that malformed IR gives an error rather than a panic: no nil nodes,
// tensors, variables or sizes, operators and functions in range, valid types, and
// variable extents whose sizes belong to the kernel.
func (m *machine) validate() error {
	k := m.k
	for _, t := range append(append(append([]*ir.Tensor{}, k.Params...), k.Outputs...), k.Temps...) {
		if t == nil {
			return errors.New("nil tensor")
		}
		if err := validType(t.Type); err != nil {
			return fmt.Errorf("%s %s: %w", t.Kind, t.Name, err)
		}
	}
	for _, s := range k.Stmts {
		if s == nil || s.Target == nil || s.Value == nil {
			return errors.New("malformed statement")
		}
		var err error
		ir.Walk(s.Value, func(e ir.Expr) bool {
			if err == nil {
				err = m.validateNode(e)
			}
			return err == nil
		})
		if err != nil {
			return fmt.Errorf("statement %s: %w", s.Target.Name, err)
		}
	}
	return nil
}

func (m *machine) validateNode(e ir.Expr) error {
	for _, c := range ir.Children(e) {
		if c == nil {
			return fmt.Errorf("%T with a nil operand", e)
		}
	}
	var t ir.DType
	switch e := e.(type) {
	case *ir.Const:
		t = e.T
	case *ir.SizeVal:
		if e.Size == nil || e.Size.Index < 0 || e.Size.Index >= len(m.k.Sizes) || m.k.Sizes[e.Size.Index] != e.Size {
			return errors.New("value of a size that is not the kernel's")
		}
		t = e.T
	case *ir.Index:
		if e.Var == nil {
			return errors.New("index of a nil variable")
		}
		t = e.T
	case *ir.Read:
		if e.Tensor == nil {
			return errors.New("read of a nil tensor")
		}
		t = e.Tensor.Type
	case *ir.Unary:
		if e.Op != ir.Neg && e.Op != ir.Not {
			return fmt.Errorf("bad unary operator %d", e.Op)
		}
		t = e.T
	case *ir.Binary:
		if e.Op > ir.Or {
			return fmt.Errorf("bad binary operator %d", e.Op)
		}
		t = e.T
	case *ir.Call:
		if e.Fn > ir.Clamp {
			return fmt.Errorf("bad function %d", e.Fn)
		}
		t = e.T
	case *ir.Select:
		t = e.T
	case *ir.Cast:
		t = e.To
	case *ir.Reduce:
		if e.Op > ir.RMin {
			return fmt.Errorf("bad reduction %d", e.Op)
		}
		if e.Body == nil {
			return errors.New("reduction without a body")
		}
		for _, v := range e.Vars {
			if v == nil {
				return errors.New("nil reduction variable")
			}
			if err := checkDim(m.k, v.Extent, m.sizes); err != nil {
				return err
			}
		}
		t = e.T
	default:
		return fmt.Errorf("unknown expression %T", e)
	}
	return validType(t)
}
