package driver

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tensorcc/tcc/backend/golang"
	"github.com/tensorcc/tcc/ir"
)

// apiNames gives the Go names of the exported function's parameters: every
// tensor and scalar parameter, output and size, sanitised (a source name such as
// len or error gets a suffix) and distinct.
type apiNames struct {
	tensor map[*ir.Tensor]string
	size   map[*ir.Size]string
}

func (kg *kernelGen) names() apiNames {
	n := apiNames{tensor: map[*ir.Tensor]string{}, size: map[*ir.Size]string{}}
	namer := golang.NewNamer(kg.k.Name)
	for _, t := range kg.k.Params {
		n.tensor[t] = namer.Name(t.Name)
	}
	for _, t := range kg.k.Outputs {
		n.tensor[t] = namer.Name(t.Name)
	}
	for _, s := range kg.k.Sizes {
		n.size[s] = namer.Name(s.Name)
	}
	return n
}

// runnerSignature returns the parameter list of the kernel's runners (tensor
// parameters, outputs, sizes, scalar parameters: the order of golang.Runner) and
// the matching argument list.
func (kg *kernelGen) runnerSignature() (sig, args string) {
	n := kg.names()
	var ps, as []string
	for _, t := range kg.k.Params {
		if t.Kind != ir.Scalar {
			ps = append(ps, n.tensor[t]+" []"+t.Type.GoType())
			as = append(as, n.tensor[t])
		}
	}
	for _, t := range kg.k.Outputs {
		ps = append(ps, n.tensor[t]+" []"+t.Type.GoType())
		as = append(as, n.tensor[t])
	}
	for _, s := range kg.k.Sizes {
		ps = append(ps, n.size[s]+" int")
		as = append(as, n.size[s])
	}
	for _, t := range kg.k.Params {
		if t.Kind == ir.Scalar {
			ps = append(ps, n.tensor[t]+" "+t.Type.GoType())
			as = append(as, n.tensor[t])
		}
	}
	return strings.Join(ps, ", "), strings.Join(as, ", ")
}

// dimCode is the Go expression of d's value.
func dimCode(d ir.Dim, n apiNames) string {
	if d.Size == nil {
		return strconv.Itoa(d.Const)
	}
	s := n.size[d.Size]
	if d.Mul != 1 {
		s = fmt.Sprintf("tccgoMulLen(%s, %d)", s, d.Mul)
	}
	if d.Div != 1 {
		s = fmt.Sprintf("(%s)/%d", s, d.Div)
	}
	return s
}

// shape formats t's dimensions as in the source ("[M, K / 32]").
func shape(t *ir.Tensor) string {
	ds := make([]string, len(t.Dims))
	for i, d := range t.Dims {
		ds[i] = d.String()
	}
	return "[" + strings.Join(ds, ", ") + "]"
}

// lengthCode is the Go expression of the required length of t's slice: the
// element count, or for packed types the byte count. Products saturate to -1 on
// overflow (tccgoMulLen), so that no length can match then.
func lengthCode(t *ir.Tensor, n apiNames) string {
	c := countCode(t, n)
	if t.Type.IsPacked() {
		c = fmt.Sprintf("tccgoPackedLen(%s, %d)", c, t.Type.Bits)
	}
	return c
}

// countCode is the Go expression of t's element count, -1 when it overflows.
func countCode(t *ir.Tensor, n apiNames) string {
	c := "1"
	for i, d := range t.Dims {
		if i == 0 {
			c = dimCode(d, n)
		} else {
			c = fmt.Sprintf("tccgoMulLen(%s, %s)", c, dimCode(d, n))
		}
	}
	return c
}

// dimArgs is the list ", d0, d1, ..." of t's dimension values, for errors.
func dimArgs(t *ir.Tensor, n apiNames) string {
	var b strings.Builder
	for _, d := range t.Dims {
		b.WriteString(", " + dimCode(d, n))
	}
	return b.String()
}

// emptyOutputs is the Go condition under which every output of k has no
// elements, or "" when some output always has one (a scalar).
func emptyOutputs(k *ir.Kernel, n apiNames) string {
	var conds []string
	for _, o := range k.Outputs {
		if len(o.Dims) == 0 {
			return ""
		}
		if c := countCode(o, n) + " == 0"; !slices.Contains(conds, c) {
			conds = append(conds, c)
		}
	}
	return strings.Join(conds, " && ")
}

// lengthDoc describes the length of t's slice for the doc comment.
func lengthDoc(t *ir.Tensor) string {
	if len(t.Dims) == 0 {
		return "1"
	}
	ds := make([]string, len(t.Dims))
	for i, d := range t.Dims {
		ds[i] = d.String()
		if len(t.Dims) > 1 && strings.ContainsAny(ds[i], "*/") {
			ds[i] = "(" + ds[i] + ")"
		}
	}
	s := strings.Join(ds, "*")
	if t.Type.IsPacked() {
		return fmt.Sprintf("ceil(%s*%d/8) bytes", s, t.Type.Bits)
	}
	return s
}

// wrapper returns the exported function of the kernel (SPEC section 9), which
// validates its arguments and calls runner.
func (kg *kernelGen) wrapper(runner string) ([]byte, error) {
	k := kg.k
	n := kg.names()
	var b bytes.Buffer
	// Doc comment.
	doc := strings.TrimSpace(k.Doc)
	switch {
	case doc == "":
		doc = k.Name + " runs the tcc kernel " + k.Name + "."
	case !strings.HasPrefix(doc, k.Name+" ") && doc != k.Name:
		doc = k.Name + ": " + doc
	}
	for _, line := range strings.Split(doc, "\n") {
		b.WriteString(strings.TrimRight("// "+line, " ") + "\n")
	}
	b.WriteString("//\n// Slice lengths:")
	tensors := append(append([]*ir.Tensor{}, k.Params...), k.Outputs...)
	first := true
	for _, t := range tensors {
		if t.Kind == ir.Scalar {
			continue
		}
		if !first {
			b.WriteString(",")
		}
		first = false
		fmt.Fprintf(&b, " %s %s", t.Name, lengthDoc(t))
	}
	if first {
		b.WriteString(" none")
	}
	b.WriteString(".\n")
	// Signature.
	var ps []string
	for _, t := range tensors {
		typ := t.Type.GoType()
		if t.Kind != ir.Scalar {
			typ = "[]" + typ
		}
		ps = append(ps, n.tensor[t]+" "+typ)
	}
	for _, s := range k.Sizes {
		ps = append(ps, n.size[s]+" int")
	}
	fmt.Fprintf(&b, "func %s(%s) error {\n", k.Name, strings.Join(ps, ", "))
	kn := strconv.Quote(k.Name)
	// 1. Sizes are non-negative.
	for _, s := range k.Sizes {
		fmt.Fprintf(&b, "if %s < 0 {\nreturn tccNegSizeError(%s, %q, %s)\n}\n", n.size[s], kn, s.Name, n.size[s])
	}
	// 2. Divisibility.
	type divKey struct {
		s        *ir.Size
		mul, div int
	}
	seen := map[divKey]bool{}
	for _, d := range k.Dims() {
		if d.Size == nil || d.Div <= 1 {
			continue
		}
		key := divKey{d.Size, d.Mul, d.Div}
		if seen[key] {
			continue
		}
		seen[key] = true
		v, name := n.size[d.Size], d.Size.Name
		if d.Mul != 1 {
			v = fmt.Sprintf("tccgoMulLen(%s, %d)", v, d.Mul)
			name = fmt.Sprintf("%s * %d", name, d.Mul)
		}
		fmt.Fprintf(&b, "if (%s)%%%d != 0 {\nreturn tccDivError(%s, %q, %s, %d)\n}\n", v, d.Div, kn, name, v, d.Div)
	}
	// 3. Agreement of dimensions.
	for _, c := range k.Checks {
		if c.A.Equal(c.B) {
			continue
		}
		fmt.Fprintf(&b, "if tccgoA, tccgoB := %s, %s; tccgoA != tccgoB {\nreturn tccMismatchError(%s, %q, tccgoA, tccgoB)\n}\n",
			dimCode(c.A, n), dimCode(c.B, n), kn, c.What)
	}
	// 4. Element counts fit in int, and slice lengths match them.
	for _, t := range tensors {
		if t.Kind == ir.Scalar {
			continue
		}
		v := n.tensor[t]
		fmt.Fprintf(&b, "if tccgoN := %s; tccgoN < 0 {\nreturn tccOverflowError(%s, %q, %q%s)\n} else if len(%s) != tccgoN {\nreturn tccLenError(%s, %q, len(%s), tccgoN, %q)\n}\n",
			lengthCode(t, n), kn, t.Name, shape(t), dimArgs(t, n), v, kn, t.Name, v, shape(t))
	}
	// 5. No output shares memory with another argument (SPEC section 9).
	var earlier []*ir.Tensor
	for _, t := range tensors {
		if t.Kind == ir.Scalar {
			continue
		}
		if t.Kind == ir.Output {
			for _, o := range earlier {
				fmt.Fprintf(&b, "if tccOverlap(%s, %s) {\nreturn tccOverlapError(%s, %q, %q)\n}\n", n.tensor[t], n.tensor[o], kn, t.Name, o.Name)
			}
		}
		earlier = append(earlier, t)
	}
	// 6. A call whose outputs have no elements returns at once.
	if empty := emptyOutputs(k, n); empty != "" {
		fmt.Fprintf(&b, "if %s {\nreturn nil\n}\n", empty)
	}
	// 7. Every intermediate fits in scratch memory.
	for _, t := range k.Temps {
		if len(t.Dims) == 0 {
			continue
		}
		per := max(t.Type.Bits/8, 1)
		fmt.Fprintf(&b, "if tccgoN := %s; tccgoN < 0 || tccgoN > tccMaxScratchBytes/%d {\nreturn tccTooLargeError(%s, %q, %q%s)\n}\n",
			countCode(t, n), per, kn, t.Name, shape(t), dimArgs(t, n))
	}
	// A scalar of a packed type is a byte whose unused high bits are
	// ignored on input (SPEC section 4), as in a packed slice.
	for _, t := range k.Params {
		if t.Kind == ir.Scalar && t.Type.IsPacked() && t.Type.Bits < 8 {
			fmt.Fprintf(&b, "%s &= %#x\n", n.tensor[t], 1<<t.Type.Bits-1)
		}
	}
	// 8. The unused high bits of a packed output's last byte are zero on
	// output (SPEC section 4); the runner writes only element bits.
	for _, t := range k.Outputs {
		if !t.Type.IsPacked() || t.Type.Bits%8 == 0 {
			continue
		}
		fmt.Fprintf(&b, "tccgoClearTail(%s, %s, %d)\n", n.tensor[t], countCode(t, n), t.Type.Bits)
	}
	_, args := kg.runnerSignature()
	fmt.Fprintf(&b, "%s(%s)\nreturn nil\n}\n", runner, args)
	return b.Bytes(), nil
}
