// Package ir is tcc's tensor-level intermediate representation.
//
// A Kernel is a cascade of statements, each defining one tensor by an einsum-style
// expression with reductions, masks and casts; calls of other kernels are already
// inlined by the front end. The IR is typed and explicit:
//
//   - every arithmetic node (Binary, Call, Select, Reduce) carries its compute type
//     (SPEC section 3 promotion already applied) and its operands have exactly that type;
//     the front end inserts Cast nodes wherever a value changes type, including the
//     decode of a stored element (a Read of an f16, u4 or e4m3 tensor has the storage
//     type and is wrapped in a Cast to f32 or i32 before arithmetic);
//   - a Stmt's Value has exactly the Target's element type (the store conversion is an
//     explicit Cast);
//   - subscripts and where-conditions are integer expressions of type I64 over Index,
//     SizeVal and Const leaves.
//
// The reference interpreter (package interp), the passes, and the lowering to the
// loop-level IR all consume this form.
package ir

import "fmt"

// Pos is a position in a source file.
type Pos struct {
	File      string
	Line, Col int
}

// String formats p as FILE:LINE:COL.
func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Size is a size symbol of a kernel signature (M, N, K, ...). Its value is passed to
// the generated function as an int argument.
type Size struct {
	Name  string
	Index int // position among the kernel's Sizes (order of first appearance)
}

// Dim is one dimension of a tensor: the constant Const when Size is nil, otherwise
// Size*Mul/Div. Div > 1 means the size must be divisible by Div at run time.
// Mul and Div are at least 1 when Size is set.
type Dim struct {
	Size  *Size
	Mul   int
	Div   int
	Const int
}

// ConstDim returns the constant dimension n.
func ConstDim(n int) Dim { return Dim{Const: n} }

// SizeDim returns the dimension equal to the size symbol s.
func SizeDim(s *Size) Dim { return Dim{Size: s, Mul: 1, Div: 1} }

// IsConst reports whether d has a compile-time value.
func (d Dim) IsConst() bool { return d.Size == nil }

// Eval returns d's value given the size symbols' values (indexed by Size.Index).
func (d Dim) Eval(sizes []int) int {
	if d.Size == nil {
		return d.Const
	}
	return sizes[d.Size.Index] * d.Mul / d.Div
}

// Equal reports whether d and e are the same expression.
func (d Dim) Equal(e Dim) bool {
	if d.Size == nil || e.Size == nil {
		return d.Size == nil && e.Size == nil && d.Const == e.Const
	}
	// Compare s*a/b with s*c/d as rationals.
	return d.Size == e.Size && d.Mul*e.Div == e.Mul*d.Div
}

// String formats d as in the source ("M", "K / 32", "64").
func (d Dim) String() string {
	if d.Size == nil {
		return fmt.Sprint(d.Const)
	}
	s := d.Size.Name
	if d.Mul != 1 {
		s += fmt.Sprintf(" * %d", d.Mul)
	}
	if d.Div != 1 {
		s += fmt.Sprintf(" / %d", d.Div)
	}
	return s
}

// TensorKind tells where a tensor lives.
type TensorKind uint8

// Tensor kinds.
const (
	Input  TensorKind = iota // a tensor parameter
	Scalar                   // a scalar parameter (Dims is empty)
	Output                   // a kernel output (a scalar output has empty Dims)
	Temp                     // an intermediate defined by a statement
)

func (k TensorKind) String() string {
	return [...]string{"input", "scalar", "output", "temp"}[k]
}

// Tensor is a parameter, output or intermediate of a kernel.
type Tensor struct {
	Name string
	Kind TensorKind
	Type DType // storage element type
	Dims []Dim
	Pos  Pos
	// Index is the position among the kernel's Params, Outputs or Temps.
	Index int
}

// Rank returns the number of dimensions.
func (t *Tensor) Rank() int { return len(t.Dims) }

// Count returns the number of elements given the size values.
func (t *Tensor) Count(sizes []int) int {
	n := 1
	for _, d := range t.Dims {
		n *= d.Eval(sizes)
	}
	return n
}

// Var is an index variable: a left-side index of a statement or a reduction variable.
// Each statement has its own variables.
type Var struct {
	Name   string
	Extent Dim // the variable ranges over [0, Extent)
	Pos    Pos
}

// Stmt defines Target[Index...] = Value for every point of the index space.
type Stmt struct {
	Pos    Pos
	Target *Tensor
	Index  []*Var // distinct; len(Index) == Target.Rank()
	Value  Expr   // Value.Type() == Target.Type
}

// Agree is a run-time check that two dimensions which the program requires to be
// equal (an index used as a plain subscript of two tensors, or a kernel call's
// unification) are equal. The generated function returns an error naming What when
// they are not.
type Agree struct {
	Pos  Pos
	A, B Dim
	What string // e.g. `index "k": A dimension 1 (K) vs B dimension 0 (K2)`
}

// Kernel is one compiled kernel.
type Kernel struct {
	Name    string
	Doc     string // doc comment text without comment markers, "" if none
	Pos     Pos
	Sizes   []*Size   // in order of first appearance in the signature
	Params  []*Tensor // parameters in signature order (Kind Input or Scalar)
	Outputs []*Tensor // outputs in signature order
	Temps   []*Tensor // intermediates in definition order
	Stmts   []*Stmt
	Checks  []Agree
}

// Program is the result of compiling a set of source files.
type Program struct {
	Package string // Go package name from the package clause, "" if none
	Kernels []*Kernel
}

// Kernel returns the kernel named name, or nil.
func (p *Program) Kernel(name string) *Kernel {
	for _, k := range p.Kernels {
		if k.Name == name {
			return k
		}
	}
	return nil
}

// Dims returns every dimension expression k uses, each once, in a
// deterministic order: the dimensions of parameters, outputs and
// intermediates, then the extents of index variables, then both sides of the
// Agree checks. Code that validates sizes uses it so that a dimension with a
// divisor that only an intermediate or an inlined call introduces is checked
// too.
func (k *Kernel) Dims() []Dim {
	var dims []Dim
	add := func(d Dim) {
		for _, e := range dims {
			if e == d {
				return
			}
		}
		dims = append(dims, d)
	}
	for _, ts := range [][]*Tensor{k.Params, k.Outputs, k.Temps} {
		for _, t := range ts {
			for _, d := range t.Dims {
				add(d)
			}
		}
	}
	for _, s := range k.Stmts {
		for _, v := range s.Index {
			add(v.Extent)
		}
		Walk(s.Value, func(e Expr) bool {
			if r, ok := e.(*Reduce); ok {
				for _, v := range r.Vars {
					add(v.Extent)
				}
			}
			return true
		})
	}
	for _, c := range k.Checks {
		add(c.A)
		add(c.B)
	}
	return dims
}
