package layout

import (
	"fmt"
	"sort"
)

// Loop is one loop of a pack nest derived from a layout: it runs Extent times,
// advancing the logical coordinate of dimension Dim by DimStride and the buffer
// offset by BufStride.
type Loop struct {
	Dim       int // logical dimension (top-level mode of the layout)
	Extent    int
	DimStride int // step of the coordinate of Dim per iteration
	BufStride int // step of the buffer offset per iteration
}

// Loops derives the loop nest that visits a packed buffer in storage order. l maps
// a logical tile to the buffer: its top-level modes are the tile's dimensions (a
// leaf is a one-dimensional tile) and the leaves inside mode d split dimension d,
// first leaf fastest. The result is ordered outermost first (decreasing buffer
// stride); the innermost loop has BufStride 1. Loops fails unless l is a bijection
// onto [0, Size), i.e. its leaves, sorted by stride, are compact.
//
// Because the buffer is compact, BufStride of a loop is the product of the extents
// of the loops inside it; a schedule that clips the extents at run time (edge
// blocks) recomputes the strides from the clipped extents and keeps the buffer dense.
func (l Layout) Loops() ([]Loop, error) {
	var loops []Loop
	for d := 0; d < l.Rank(); d++ {
		step := 1
		for _, m := range l.Mode(d).Leaves() {
			if m.Shape != 1 {
				loops = append(loops, Loop{Dim: d, Extent: m.Shape, DimStride: step, BufStride: m.Stride})
			}
			step *= m.Shape
		}
	}
	sort.SliceStable(loops, func(i, j int) bool { return loops[i].BufStride > loops[j].BufStride })
	want := 1
	for i := len(loops) - 1; i >= 0; i-- {
		if loops[i].BufStride != want {
			return nil, fmt.Errorf("layout: %v is not a compact bijection (mode %d:%d, want stride %d)", l, loops[i].Extent, loops[i].BufStride, want)
		}
		want *= loops[i].Extent
	}
	return loops, nil
}

// Panel returns the layout of a two-dimensional tile of rows x cols elements
// (logical coordinate (i, j), i fastest) packed as GEMM panels: dimension dim (0 or
// 1) is divided into tiles of r, and the buffer holds one panel per tile, each
// panel storing its r elements of dim contiguously for every index of the other
// dimension. For dim == 0 (an A block packed in MR-row panels) element (i, k) lives
// at (i/r)*r*cols + k*r + i%r; for dim == 1 (a B panel in NR-column slivers)
// element (k, j) lives at (j/r)*r*rows + k*r + j%r. The tiling of dim is the
// logical divide of its extent by r:1; r must divide it.
func Panel(rows, cols, dim, r int) (Layout, error) {
	ext := [2]int{rows, cols}
	if dim != 0 && dim != 1 || r <= 0 || rows <= 0 || cols <= 0 || ext[dim]%r != 0 {
		return Layout{}, fmt.Errorf("layout: panel of %dx%d tiled by %d along dimension %d: bad arguments", rows, cols, r, dim)
	}
	// (r, ext/r):(1, r) splits dim into the in-panel index and the panel number.
	split, err := LogicalDivide(Leaf(ext[dim], 1), Leaf(r, 1))
	if err != nil {
		return Layout{}, err
	}
	split = Of(Leaf(split.Mode(0).Size(), 0), Leaf(split.Mode(1).Size(), 0))
	other := Leaf(ext[1-dim], 0)
	// Storage order: in-panel index fastest, then the other dimension, then panels.
	if dim == 0 {
		return Ordered(Of(split, other), []int{0, 2, 1})
	}
	return Ordered(Of(other, split), []int{1, 0, 2})
}
