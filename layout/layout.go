// Package layout is tcc's algebra of memory layouts: CuTe-style hierarchical
// shape:stride functions from a logical (colexicographic) coordinate to an offset,
// with the operations needed to describe blocked and packed buffers (coalesce,
// composition, complement, logical divide and product) and to derive the loops that
// fill such buffers.
//
// A Layout is either a leaf, a single mode Shape:Stride, or a tuple of layouts.
// Coordinates are colexicographic: the first mode varies fastest. The function of a
// layout maps a linear index i in [0, Size) to the inner product of i's natural
// coordinate with the strides. Worked example: (3,(2,3)):(3,(12,1)) maps 16 to
// coordinate (1,(1,2)) and offset 1*3 + 1*12 + 2*1 = 17.
//
// Strides are non-negative integers; operations that cannot be carried out (a
// composition whose divisibility conditions fail, a complement of a non-injective
// layout) return errors and never panic.
package layout

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Layout is a hierarchical shape:stride function. A leaf has Modes == nil and uses
// Shape and Stride; a tuple has Modes and ignores Shape and Stride.
type Layout struct {
	Shape, Stride int
	Modes         []Layout
}

// Leaf returns the one-mode layout shape:stride.
func Leaf(shape, stride int) Layout { return Layout{Shape: shape, Stride: stride} }

// Of returns the tuple of the given layouts (CuTe make_layout / concatenation).
func Of(modes ...Layout) Layout {
	m := make([]Layout, len(modes))
	copy(m, modes)
	return Layout{Modes: m}
}

// IsLeaf reports whether l is a single mode.
func (l Layout) IsLeaf() bool { return l.Modes == nil }

// Rank returns the number of top-level modes (1 for a leaf).
func (l Layout) Rank() int {
	if l.IsLeaf() {
		return 1
	}
	return len(l.Modes)
}

// Mode returns the i-th top-level mode (l itself for a leaf and i == 0).
func (l Layout) Mode(i int) Layout {
	if l.IsLeaf() {
		return l
	}
	return l.Modes[i]
}

// Size returns the domain size, the product of all leaf shapes.
func (l Layout) Size() int {
	if l.IsLeaf() {
		return l.Shape
	}
	n := 1
	for _, m := range l.Modes {
		n *= m.Size()
	}
	return n
}

// Cosize returns one past the largest offset l produces (0 for an empty layout).
func (l Layout) Cosize() int {
	if l.Size() == 0 {
		return 0
	}
	c := 0
	for _, m := range l.Leaves() {
		c += (m.Shape - 1) * m.Stride
	}
	return c + 1
}

// Leaves returns the leaf modes of l in colexicographic order (CuTe flatten).
func (l Layout) Leaves() []Layout {
	if l.IsLeaf() {
		return []Layout{l}
	}
	var out []Layout
	for _, m := range l.Modes {
		out = append(out, m.Leaves()...)
	}
	return out
}

// Eval returns the offset of linear index i (taken modulo nothing: indices beyond
// Size extend the last mode, as in CuTe).
func (l Layout) Eval(i int) int {
	leaves := l.Leaves()
	off := 0
	for n, m := range leaves {
		if n == len(leaves)-1 {
			off += i * m.Stride
			break
		}
		if m.Shape == 0 {
			return off
		}
		off += (i % m.Shape) * m.Stride
		i /= m.Shape
	}
	return off
}

// Equal reports whether l and m have the same structure, shapes and strides.
func (l Layout) Equal(m Layout) bool {
	if l.IsLeaf() != m.IsLeaf() {
		return false
	}
	if l.IsLeaf() {
		return l.Shape == m.Shape && l.Stride == m.Stride
	}
	if len(l.Modes) != len(m.Modes) {
		return false
	}
	for i := range l.Modes {
		if !l.Modes[i].Equal(m.Modes[i]) {
			return false
		}
	}
	return true
}

// String formats l in CuTe notation, e.g. "((2,2),3):((24,2),8)".
func (l Layout) String() string {
	return l.tuple(func(m Layout) int { return m.Shape }) + ":" + l.tuple(func(m Layout) int { return m.Stride })
}

func (l Layout) tuple(f func(Layout) int) string {
	if l.IsLeaf() {
		return strconv.Itoa(f(l))
	}
	parts := make([]string, len(l.Modes))
	for i, m := range l.Modes {
		parts[i] = m.tuple(f)
	}
	return "(" + strings.Join(parts, ",") + ")"
}

// Parse parses CuTe notation "SHAPE:STRIDE" with congruent integer tuples, e.g.
// "(3,(2,3)):(3,(12,1))".
func Parse(s string) (Layout, error) {
	i := strings.IndexByte(s, ':')
	if i < 0 {
		return Layout{}, fmt.Errorf("layout: parse %q: missing ':'", s)
	}
	shape, err := parseTuple(strings.TrimSpace(s[:i]))
	if err != nil {
		return Layout{}, fmt.Errorf("layout: parse %q: shape: %w", s, err)
	}
	stride, err := parseTuple(strings.TrimSpace(s[i+1:]))
	if err != nil {
		return Layout{}, fmt.Errorf("layout: parse %q: stride: %w", s, err)
	}
	l, err := zip(shape, stride)
	if err != nil {
		return Layout{}, fmt.Errorf("layout: parse %q: %w", s, err)
	}
	return l, nil
}

type itup struct {
	v    int
	subs []itup
	leaf bool
}

func parseTuple(s string) (itup, error) {
	t, rest, err := parseTupleRec(s)
	if err != nil {
		return itup{}, err
	}
	if strings.TrimSpace(rest) != "" {
		return itup{}, fmt.Errorf("trailing text %q", rest)
	}
	return t, nil
}

func parseTupleRec(s string) (itup, string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return itup{}, "", errors.New("unexpected end")
	}
	if s[0] != '(' {
		j := 0
		for j < len(s) && (s[j] >= '0' && s[j] <= '9' || j == 0 && s[j] == '-') {
			j++
		}
		v, err := strconv.Atoi(s[:j])
		if err != nil {
			return itup{}, "", fmt.Errorf("bad integer at %q", s)
		}
		return itup{v: v, leaf: true}, s[j:], nil
	}
	s = s[1:]
	var t itup
	for {
		sub, rest, err := parseTupleRec(s)
		if err != nil {
			return itup{}, "", err
		}
		t.subs = append(t.subs, sub)
		rest = strings.TrimSpace(rest)
		if rest == "" {
			return itup{}, "", errors.New("missing ')'")
		}
		if rest[0] == ')' {
			return t, rest[1:], nil
		}
		if rest[0] != ',' {
			return itup{}, "", fmt.Errorf("expected ',' at %q", rest)
		}
		s = rest[1:]
	}
}

func zip(sh, st itup) (Layout, error) {
	if sh.leaf != st.leaf || len(sh.subs) != len(st.subs) {
		return Layout{}, errors.New("shape and stride are not congruent")
	}
	if sh.leaf {
		if sh.v < 0 || st.v < 0 {
			return Layout{}, errors.New("negative shape or stride")
		}
		return Leaf(sh.v, st.v), nil
	}
	modes := make([]Layout, len(sh.subs))
	for i := range sh.subs {
		m, err := zip(sh.subs[i], st.subs[i])
		if err != nil {
			return Layout{}, err
		}
		modes[i] = m
	}
	return Layout{Modes: modes}, nil
}

// Coalesce returns the flattest layout with the same function on [0, Size): size-1
// modes are dropped and adjacent modes s0:d0, s1:s0*d0 merge into s0*s1:d0.
// Example: (2,(1,6)):(1,(6,2)) coalesces to 12:1.
func Coalesce(l Layout) Layout {
	var out []Layout
	for _, m := range l.Leaves() {
		if m.Shape == 1 {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Shape*out[n-1].Stride == m.Stride {
			out[n-1].Shape *= m.Shape
			continue
		}
		out = append(out, m)
	}
	switch len(out) {
	case 0:
		return Leaf(1, 0)
	case 1:
		return out[0]
	}
	return Layout{Modes: out}
}

// Compose returns a∘b, the layout with b's shape whose function is a(b(i)) (CuTe
// composition). It fails when the divisibility conditions do not hold.
// Example: (6,2):(8,2) ∘ (4,3):(3,1) = ((2,2),3):((24,2),8).
func Compose(a, b Layout) (Layout, error) {
	if !b.IsLeaf() {
		modes := make([]Layout, len(b.Modes))
		for i, m := range b.Modes {
			r, err := Compose(a, m)
			if err != nil {
				return Layout{}, err
			}
			modes[i] = r
		}
		return Layout{Modes: modes}, nil
	}
	s, d := b.Shape, b.Stride
	if d == 0 || s == 1 {
		return Leaf(s, 0), nil
	}
	am := Coalesce(a).Leaves()
	var out []Layout
	restStride, restShape := d, s
	for i, m := range am {
		if i == len(am)-1 {
			out = append(out, Leaf(restShape, m.Stride*restStride))
			restShape = 1
			break
		}
		var ns, nd int
		if restStride >= m.Shape {
			if restStride%m.Shape != 0 {
				return Layout{}, fmt.Errorf("layout: compose %v with %v: stride %d not divisible by shape %d", a, b, restStride, m.Shape)
			}
			restStride /= m.Shape
			continue
		}
		if m.Shape%restStride != 0 {
			return Layout{}, fmt.Errorf("layout: compose %v with %v: shape %d not divisible by stride %d", a, b, m.Shape, restStride)
		}
		ns, nd = m.Shape/restStride, m.Stride*restStride
		restStride = 1
		if restShape >= ns {
			if restShape%ns != 0 {
				return Layout{}, fmt.Errorf("layout: compose %v with %v: shape %d not divisible by %d", a, b, restShape, ns)
			}
			out = append(out, Leaf(ns, nd))
			restShape /= ns
		} else {
			out = append(out, Leaf(restShape, nd))
			restShape = 1
		}
		if restShape == 1 {
			break
		}
	}
	r := Layout{Modes: out}
	if len(out) == 1 {
		r = out[0]
	}
	return r, nil
}

// Stride0 returns the stride of the first leaf (the step of linear index 1 when the
// first mode is larger than one).
func (l Layout) Stride0() int {
	for _, m := range Coalesce(l).Leaves() {
		return m.Stride
	}
	return 0
}

// Complement returns the ordered layout that fills the gaps of a's image up to size
// m (CuTe complement): its strides increase, its image is disjoint from a's except
// at 0, and (a, complement) covers [0, m) when a divides it.
// Examples: complement(4:2, 24) = (2,3):(1,8); complement((2,2):(1,6), 24) = (3,2):(2,12).
func Complement(a Layout, m int) (Layout, error) {
	var modes []Layout
	for _, l := range a.Leaves() {
		if l.Shape != 1 && l.Stride != 0 {
			modes = append(modes, l)
		}
	}
	sort.SliceStable(modes, func(i, j int) bool {
		if modes[i].Stride != modes[j].Stride {
			return modes[i].Stride < modes[j].Stride
		}
		return modes[i].Shape < modes[j].Shape
	})
	var out []Layout
	curr := 1
	for _, l := range modes {
		if l.Stride%curr != 0 {
			return Layout{}, fmt.Errorf("layout: complement of %v: stride %d not a multiple of %d (not injective or not complementable)", a, l.Stride, curr)
		}
		out = append(out, Leaf(l.Stride/curr, curr))
		curr = l.Shape * l.Stride
	}
	out = append(out, Leaf((m+curr-1)/curr, curr))
	return Coalesce(Layout{Modes: out}), nil
}

// LogicalDivide returns a ⊘ b = a ∘ (b, complement(b, size a)): mode 0 of the
// result is the tile b selects, mode 1 enumerates the tiles.
// Example: (4,2,3):(2,1,8) ⊘ 4:2 = ((2,2),(2,3)):((4,1),(2,8)).
func LogicalDivide(a, b Layout) (Layout, error) {
	c, err := Complement(b, a.Size())
	if err != nil {
		return Layout{}, fmt.Errorf("layout: divide %v by %v: %w", a, b, err)
	}
	r, err := Compose(a, Of(b, c))
	if err != nil {
		return Layout{}, fmt.Errorf("layout: divide %v by %v: %w", a, b, err)
	}
	return r, nil
}

// LogicalProduct returns a ⊗ b = (a, complement(a, size(a)*cosize(b)) ∘ b): b
// repeats the tile a. Example: (2,2):(4,1) ⊗ 6:1 = ((2,2),(2,3)):((4,1),(2,8)).
func LogicalProduct(a, b Layout) (Layout, error) {
	c, err := Complement(a, a.Size()*b.Cosize())
	if err != nil {
		return Layout{}, fmt.Errorf("layout: product %v by %v: %w", a, b, err)
	}
	r, err := Compose(c, b)
	if err != nil {
		return Layout{}, fmt.Errorf("layout: product %v by %v: %w", a, b, err)
	}
	return Of(a, r), nil
}

// Ordered returns the compact layout with shape's structure and shapes (its strides
// are ignored) whose leaves are laid out in memory in the given order: order[i] is
// the rank of leaf i (colexicographic leaf numbering), 0 being the fastest
// (CuTe make_ordered_layout). order must be a permutation of the leaf numbers.
func Ordered(shape Layout, order []int) (Layout, error) {
	leaves := shape.Leaves()
	if len(order) != len(leaves) {
		return Layout{}, fmt.Errorf("layout: ordered %v: %d ranks for %d leaves", shape, len(order), len(leaves))
	}
	byRank := make([]int, len(order))
	for i := range byRank {
		byRank[i] = -1
	}
	for i, r := range order {
		if r < 0 || r >= len(order) || byRank[r] >= 0 {
			return Layout{}, fmt.Errorf("layout: ordered %v: order %v is not a permutation", shape, order)
		}
		byRank[r] = i
	}
	strides := make([]int, len(leaves))
	s := 1
	for _, i := range byRank {
		strides[i] = s
		s *= leaves[i].Shape
	}
	n := 0
	var rebuild func(l Layout) Layout
	rebuild = func(l Layout) Layout {
		if l.IsLeaf() {
			r := Leaf(l.Shape, strides[n])
			n++
			return r
		}
		modes := make([]Layout, len(l.Modes))
		for i, m := range l.Modes {
			modes[i] = rebuild(m)
		}
		return Layout{Modes: modes}
	}
	return rebuild(shape), nil
}
