package lower

import (
	"os"
	"slices"
	"testing"

	"github.com/tensorcc/tcc/frontend"
	. "github.com/tensorcc/tcc/internal/irbuild"
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// TestFusion lowers the kernels of testdata/fusion.tc, checks them against the
// reference interpreter (the evaluator runs parallel steps over random
// chunkings and reports accesses that would race between chunks), and checks
// the shape of the schedule: how many steps, and which intermediates became
// scalar locals, row-slot buffers or stayed whole.
func TestFusion(t *testing.T) {
	src, err := os.ReadFile("testdata/fusion.tc")
	if err != nil {
		t.Fatal(err)
	}
	prog, err := frontend.Compile(frontend.Source{Name: "fusion.tc", Text: src})
	if err != nil {
		t.Fatalf("frontend: %v", err)
	}
	rowsCols := [][]int{{0, 5}, {1, 1}, {3, 7}, {2, 16}, {5, 33}, {2, 0}}
	for n := 0; n <= 17; n++ {
		rowsCols = append(rowsCols, []int{2, n})
	}
	tests := []struct {
		kernel string
		sizes  [][]int
		big    []int64  // sizes at which row slots must be a small part of the whole
		steps  int      // steps on every target
		locals []string // intermediates that are scalar locals (no buffer)
		slots  []string // intermediates with a row-slot buffer
		whole  []string // intermediates with a whole buffer
	}{
		{"Softmax", rowsCols, []int64{4096, 4096}, 1, []string{"mx", "total"}, []string{"e"}, nil},
		{"LayerNorm", rowsCols, []int64{4096, 4096}, 1, []string{"mean", "variance"}, nil, nil},
		{"Shifted", rowsCols, []int64{4096, 4096}, 2, nil, nil, []string{"e"}},
		{"Transposed", [][]int{{0}, {1}, {3}, {17}}, []int64{4096}, 2, nil, nil, []string{"e"}},
		{"Mixed", [][]int{{3, 9, 2}, {0, 4, 3}, {2, 17, 0}, {1, 33, 5}}, []int64{4096, 4096, 8}, 2, []string{"m"}, nil, nil},
		{"Escape", [][]int{{3, 9}, {0, 4}, {2, 17}, {5, 1}}, []int64{4096, 4096}, 2, nil, nil, []string{"e"}},
		{"PackedMid", [][]int{{3, 9}, {0, 4}, {2, 17}, {5, 1}}, []int64{4096, 4096}, 3, nil, nil, []string{"m"}},
		{"Small", [][]int{nil}, nil, 1, []string{"mx", "total"}, []string{"e"}, nil},
		{"Batch", [][]int{{2, 3, 17}, {0, 2, 2}, {3, 1, 1}, {1, 4, 0}}, []int64{1000, 64, 64}, 1, []string{"s"}, []string{"e"}, nil},
		{"HalfMean", rowsCols, []int64{4096, 4096}, 1, nil, []string{"m"}, nil},
		{"IntRows", rowsCols, []int64{4096, 4096}, 1, []string{"lo"}, nil, nil},
	}
	for _, tc := range tests {
		k := prog.Kernel(tc.kernel)
		if k == nil {
			t.Fatalf("no kernel %s", tc.kernel)
		}
		t.Run(tc.kernel, func(t *testing.T) {
			check(t, k, tc.sizes...)
			for _, tg := range targets {
				lk, err := Lower(k, tg, nil)
				if err != nil {
					t.Fatal(err)
				}
				if len(lk.Steps) != tc.steps {
					t.Errorf("%s: %d steps, want %d\n%s", tg.Name, len(lk.Steps), tc.steps, lk)
				}
				for _, tmp := range k.Temps {
					var buf *loop.Buf
					for _, b := range lk.Scratch {
						if b.Tensor == tmp {
							buf = b
						}
					}
					switch {
					case slices.Contains(tc.locals, tmp.Name):
						if buf != nil {
							t.Errorf("%s: %s has a buffer, want a scalar local\n%s", tg.Name, tmp.Name, lk)
						}
					case slices.Contains(tc.slots, tmp.Name):
						if buf == nil {
							t.Fatalf("%s: %s has no buffer\n%s", tg.Name, tmp.Name, lk)
						}
						row := int64(1)
						for _, d := range tmp.Dims[1:] {
							row *= int64(d.Eval(sizesInt(tc.big)))
						}
						if tc.big == nil {
							if n := evalSizes(t, lk, buf.Len, nil); n != row {
								t.Errorf("%s: serial group: %s has %d elements, want one row of %d", tg.Name, tmp.Name, n, row)
							}
						} else if n := evalSizes(t, lk, buf.Len, tc.big); n > fusedBlocks*row || n < row {
							t.Errorf("%s: %s has %d elements at sizes %v, want one to %d rows of %d", tg.Name, tmp.Name, n, tc.big, fusedBlocks, row)
						}
					case slices.Contains(tc.whole, tmp.Name):
						if buf == nil {
							t.Fatalf("%s: %s has no buffer\n%s", tg.Name, tmp.Name, lk)
						}
						if tc.big != nil {
							if n, want := evalSizes(t, lk, buf.Len, tc.big), int64(tmp.Count(sizesInt(tc.big))); n != want {
								t.Errorf("%s: %s has %d elements, want all %d", tg.Name, tmp.Name, n, want)
							}
						}
					default:
						if buf != nil {
							t.Errorf("%s: unexpected buffer for %s", tg.Name, tmp.Name)
						}
					}
				}
			}
		})
	}
}

func sizesInt(s []int64) []int {
	out := make([]int, len(s))
	for i, v := range s {
		out[i] = int(v)
	}
	return out
}

// TestFusedSoftmaxStructure checks that the softmax of the examples becomes one
// parallel step whose Func has a single loop over the rows, containing the
// statements' inner loops in order, vectorised with masked tails on vector
// targets.
func TestFusedSoftmaxStructure(t *testing.T) {
	src, err := os.ReadFile("../examples/softmax.tc")
	if err != nil {
		t.Fatal(err)
	}
	prog, err := frontend.Compile(frontend.Source{Name: "softmax.tc", Text: src})
	if err != nil {
		t.Fatalf("frontend: %v", err)
	}
	k := prog.Kernel("Softmax")
	for _, tg := range targets {
		lk, err := Lower(k, tg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(lk.Steps) != 1 || len(lk.Funcs) != 1 || !lk.Steps[0].Parallel {
			t.Fatalf("%s: want one parallel step\n%s", tg.Name, lk)
		}
		var rows []*loop.For
		for _, s := range lk.Funcs[0].Body {
			if f, ok := s.(*loop.For); ok {
				rows = append(rows, f)
			}
		}
		if len(rows) != 1 {
			t.Fatalf("%s: %d top-level loops, want 1\n%s", tg.Name, len(rows), lk)
		}
		// Inner loops over c, in statement order: max, exp store, sum, divide.
		var inner []*loop.For
		for _, s := range rows[0].Body {
			if f, ok := s.(*loop.For); ok {
				inner = append(inner, f)
			}
		}
		// Vector targets: the two reductions have an unrolled main loop, a
		// loop of single vectors and a tail; the elementwise statements a main
		// loop and a tail.
		want := 10
		if tg.VectorBits == 0 {
			want = 6 // unrolled reductions with tails, plain elementwise loops
		}
		if len(inner) != want {
			t.Errorf("%s: %d inner loops, want %d\n%s", tg.Name, len(inner), want, lk)
		}
		if tg.VectorBits > 0 {
			if lk.Funcs[0].Target != tg.Name {
				t.Errorf("%s: fused func is not vector code for the target", tg.Name)
			}
			tails, streams := 0, 0
			walkStores(lk.Funcs[0].Body, map[*loop.Var]loop.Expr{}, func(s *loop.Store) {
				if s.Count != nil {
					tails++
				}
				if s.Stream != nil {
					streams++
					if s.Buf.Name != "Y" {
						t.Errorf("%s: streaming store to %s", tg.Name, s.Buf.Name)
					}
				}
			})
			if tails != 2 || streams != 1 {
				t.Errorf("%s: %d masked tail stores, %d streaming stores; want 2 and 1\n%s", tg.Name, tails, streams, lk)
			}
		}
	}
}

// TestNoFusionOfPackedOrScalar checks that statements without a row index or
// with a packed target stay steps of their own.
func TestNoFusionOfPackedOrScalar(t *testing.T) {
	b := New("NoFuse")
	M, N := b.Size("M"), b.Size("N")
	x := b.In("X", ir.F32, ir.SizeDim(M), ir.SizeDim(N))
	tot := b.Out("T", ir.F32)
	p := b.Out("P", ir.UintType(2), ir.SizeDim(M), ir.SizeDim(N))
	y := b.Out("Y", ir.F32, ir.SizeDim(M), ir.SizeDim(N))
	i, j := Var("i", ir.SizeDim(M)), Var("j", ir.SizeDim(N))
	b.Stmt(tot, nil, Sum(Vars(i, j), Read(x, Idx(i), Idx(j))))
	i, j = Var("i", ir.SizeDim(M)), Var("j", ir.SizeDim(N))
	b.Stmt(p, Vars(i, j), Cast(CallFn(ir.Clamp, Read(x, Idx(i), Idx(j)), FConst(ir.F32, 0), FConst(ir.F32, 3)), ir.UintType(2)))
	i, j = Var("i", ir.SizeDim(M)), Var("j", ir.SizeDim(N))
	b.Stmt(y, Vars(i, j), Bin(ir.Mul, Read(x, Idx(i), Idx(j)), Read(tot)))
	check(t, b.K, []int{3, 5}, []int{1, 17}, []int{0, 2})
	for _, tg := range targets {
		lk, err := Lower(b.K, tg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(lk.Steps) != 3 {
			t.Errorf("%s: %d steps, want 3\n%s", tg.Name, len(lk.Steps), lk)
		}
	}
}
