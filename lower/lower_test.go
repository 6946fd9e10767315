package lower

import (
	"strings"
	"testing"

	. "github.com/tensorcc/tcc/internal/irbuild"
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
	"github.com/tensorcc/tcc/schedule"
)

// tails returns size sets {fixed..., n} for n = 0..33, covering every tail length
// of every vector width and zero sizes.
func tails(prefix ...int) [][]int {
	var out [][]int
	for n := 0; n <= 33; n++ {
		out = append(out, append(append([]int(nil), prefix...), n))
	}
	return out
}

func TestElementwiseAdd(t *testing.T) {
	b := New("Add")
	M, N := b.Size("M"), b.Size("N")
	x := b.In("X", ir.F32, ir.SizeDim(M), ir.SizeDim(N))
	z := b.In("Z", ir.F32, ir.SizeDim(M), ir.SizeDim(N))
	y := b.Out("Y", ir.F32, ir.SizeDim(M), ir.SizeDim(N))
	i, j := Var("i", ir.SizeDim(M)), Var("j", ir.SizeDim(N))
	b.Stmt(y, Vars(i, j), Bin(ir.Add, Read(x, Idx(i), Idx(j)), Read(z, Idx(i), Idx(j))))
	check(t, b.K, tails(3)...)
	check(t, b.K, []int{0, 5})
}

func TestBroadcastFMA(t *testing.T) {
	b := New("Bcast")
	M, N := b.Size("M"), b.Size("N")
	x := b.In("X", ir.F32, ir.SizeDim(M), ir.SizeDim(N))
	bv := b.In("B", ir.F32, ir.SizeDim(N))
	c := b.In("C", ir.F32, ir.SizeDim(M))
	y := b.Out("Y", ir.F32, ir.SizeDim(M), ir.SizeDim(N))
	i, j := Var("i", ir.SizeDim(M)), Var("j", ir.SizeDim(N))
	b.Stmt(y, Vars(i, j), Bin(ir.Add, Bin(ir.Mul, Read(x, Idx(i), Idx(j)), Read(bv, Idx(j))), Read(c, Idx(i))))
	check(t, b.K, tails(2)...)
	lk, err := Lower(b.K, loop.TargetAVX512, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := lk.String()
	if !strings.Contains(s, "fma(") || !strings.Contains(s, "count") || !strings.Contains(s, "broadcast") {
		t.Errorf("AVX-512 lowering lacks FMA, masked tail or broadcast:\n%s", s)
	}
}

func TestRowSumAndDot(t *testing.T) {
	b := New("RowSum")
	M, N := b.Size("M"), b.Size("N")
	x := b.In("X", ir.F32, ir.SizeDim(M), ir.SizeDim(N))
	w := b.In("W", ir.F32, ir.SizeDim(N))
	y := b.Out("Y", ir.F32, ir.SizeDim(M))
	d := b.Out("D", ir.F32)
	mx := b.Out("Mx", ir.F32, ir.SizeDim(M))
	i, j := Var("i", ir.SizeDim(M)), Var("j", ir.SizeDim(N))
	b.Stmt(y, Vars(i), Sum(Vars(j), Read(x, Idx(i), Idx(j))))
	j2 := Var("j", ir.SizeDim(N))
	b.Stmt(d, nil, Sum(Vars(j2), Bin(ir.Mul, Read(w, Idx(j2)), Read(x, I64(0), Idx(j2)))))
	i3, j3 := Var("i", ir.SizeDim(M)), Var("j", ir.SizeDim(N))
	b.Stmt(mx, Vars(i3), Reduce(ir.RMax, Vars(j3), nil, Read(x, Idx(i3), Idx(j3))))
	check(t, b.K, tails(3)...)
	check(t, b.K, []int{0, 3}, []int{1, 1000})
	lk, err := Lower(b.K, loop.TargetAVX2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := lk.String(); !strings.Contains(s, "hsum(") || !strings.Contains(s, "hmax(") {
		t.Errorf("AVX2 lowering does not vectorise the reductions:\n%s", s)
	}
	lk, err = Lower(b.K, loop.TargetGo, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := lk.String(); !strings.Contains(s, "+= 4") {
		t.Errorf("Go lowering does not unroll the reductions:\n%s", s)
	}
}

// matmulKernel is C[m, n] = sum(k: A[m, k] * B[k, n]).
func matmulKernel() *ir.Kernel {
	b := New("Matmul")
	M, K, N := b.Size("M"), b.Size("K"), b.Size("N")
	a := b.In("A", ir.F32, ir.SizeDim(M), ir.SizeDim(K))
	bm := b.In("B", ir.F32, ir.SizeDim(K), ir.SizeDim(N))
	c := b.Out("C", ir.F32, ir.SizeDim(M), ir.SizeDim(N))
	m, n, k := Var("m", ir.SizeDim(M)), Var("n", ir.SizeDim(N)), Var("k", ir.SizeDim(K))
	b.Stmt(c, Vars(m, n), Sum(Vars(k), Bin(ir.Mul, Read(a, Idx(m), Idx(k)), Read(bm, Idx(k), Idx(n)))))
	return b.K
}

var matmulSizes = [][]int{{3, 5, 17}, {1, 1, 1}, {0, 4, 4}, {4, 0, 9}, {33, 7, 65}}

func TestMatmul(t *testing.T) {
	check(t, matmulKernel(), matmulSizes...)
}

func TestTransposeAndAgree(t *testing.T) {
	b := New("Transpose")
	M, N, N2 := b.Size("M"), b.Size("N"), b.Size("N2")
	x := b.In("X", ir.F64, ir.SizeDim(M), ir.SizeDim(N))
	z := b.In("Z", ir.F64, ir.SizeDim(N2))
	y := b.Out("Y", ir.F64, ir.SizeDim(N), ir.SizeDim(M))
	i, j := Var("i", ir.SizeDim(M)), Var("j", ir.SizeDim(N))
	b.Agree(ir.SizeDim(N), ir.SizeDim(N2), "test")
	b.Stmt(y, Vars(j, i), Bin(ir.Mul, Read(x, Idx(i), Idx(j)), Read(z, Idx(j))))
	check(t, b.K, []int{3, 9, 9}, []int{5, 1, 1}, []int{0, 2, 2})
}

func TestSoftmax(t *testing.T) {
	b := New("Softmax")
	M, N := b.Size("M"), b.Size("N")
	x := b.In("X", ir.F32, ir.SizeDim(M), ir.SizeDim(N))
	y := b.Out("Y", ir.F32, ir.SizeDim(M), ir.SizeDim(N))
	mx := b.Temp("mx", ir.F32, ir.SizeDim(M))
	e := b.Temp("e", ir.F32, ir.SizeDim(M), ir.SizeDim(N))
	s := b.Temp("s", ir.F32, ir.SizeDim(M))
	i, j := Var("i", ir.SizeDim(M)), Var("j", ir.SizeDim(N))
	b.Stmt(mx, Vars(i), Reduce(ir.RMax, Vars(j), nil, Read(x, Idx(i), Idx(j))))
	i, j = Var("i", ir.SizeDim(M)), Var("j", ir.SizeDim(N))
	b.Stmt(e, Vars(i, j), CallFn(ir.Exp, Bin(ir.Sub, Read(x, Idx(i), Idx(j)), Read(mx, Idx(i)))))
	i, j = Var("i", ir.SizeDim(M)), Var("j", ir.SizeDim(N))
	b.Stmt(s, Vars(i), Sum(Vars(j), Read(e, Idx(i), Idx(j))))
	i, j = Var("i", ir.SizeDim(M)), Var("j", ir.SizeDim(N))
	b.Stmt(y, Vars(i, j), Bin(ir.Div, Read(e, Idx(i), Idx(j)), Read(s, Idx(i))))
	check(t, b.K, tails(2)...)
}

func TestMeanScalarTemp(t *testing.T) {
	b := New("Center")
	N := b.Size("N")
	x := b.In("X", ir.F32, ir.SizeDim(N))
	y := b.Out("Y", ir.F32, ir.SizeDim(N))
	mean := b.Temp("mean", ir.F32)
	half := b.Temp("half", ir.F32, ir.SizeDim(N))
	i := Var("i", ir.SizeDim(N))
	b.Stmt(mean, nil, Bin(ir.Div, Sum(Vars(i), Read(x, Idx(i))), &ir.SizeVal{Size: N, T: ir.F32}))
	i = Var("i", ir.SizeDim(N))
	b.Stmt(half, Vars(i), Bin(ir.Mul, Read(x, Idx(i)), FConst(ir.F32, 0.5)))
	i = Var("i", ir.SizeDim(N))
	b.Stmt(y, Vars(i), Bin(ir.Sub, Read(half, Idx(i)), Read(mean, nil...)))
	check(t, b.K, tails()...)
	lk, err := Lower(b.K, loop.TargetAVX512, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(lk.Scratch) != 1 || lk.Scratch[0].Name != "mean" {
		t.Errorf("want only mean materialised, got %d scratch buffers:\n%s", len(lk.Scratch), lk)
	}
}

func TestRowNormalizeHoist(t *testing.T) {
	// The row sum does not depend on j: it must be computed once per row.
	b := New("Norm")
	M, N := b.Size("M"), b.Size("N")
	x := b.In("X", ir.F32, ir.SizeDim(M), ir.SizeDim(N))
	y := b.Out("Y", ir.F32, ir.SizeDim(M), ir.SizeDim(N))
	i, j, k := Var("i", ir.SizeDim(M)), Var("j", ir.SizeDim(N)), Var("k", ir.SizeDim(N))
	b.Stmt(y, Vars(i, j), Bin(ir.Div, Read(x, Idx(i), Idx(j)),
		Bin(ir.Add, FConst(ir.F32, 1), Sum(Vars(k), CallFn(ir.Abs, Read(x, Idx(i), Idx(k)))))))
	check(t, b.K, tails(3)...)
}

func TestCausalMaskedMax(t *testing.T) {
	b := New("Causal")
	N := b.Size("N")
	x := b.In("X", ir.F32, ir.SizeDim(N), ir.SizeDim(N))
	y := b.Out("Y", ir.F32, ir.SizeDim(N))
	z := b.Out("Z", ir.F32, ir.SizeDim(N), ir.SizeDim(N))
	s, tv := Var("s", ir.SizeDim(N)), Var("t", ir.SizeDim(N))
	b.Stmt(y, Vars(s), Reduce(ir.RMax, Vars(tv), Bin(ir.Le, Idx(tv), Idx(s)), Read(x, Idx(s), Idx(tv))))
	i, j := Var("i", ir.SizeDim(N)), Var("j", ir.SizeDim(N))
	b.Stmt(z, Vars(i, j), Select(Bin(ir.Le, IdxAs(j, ir.I64), IdxAs(i, ir.I64)), Read(x, Idx(i), Idx(j)), FConst(ir.F32, 0)))
	check(t, b.K, [][]int{{0}, {1}, {2}, {7}, {17}, {33}}...)
}

func TestOutOfRangeConv(t *testing.T) {
	b := New("Conv")
	N, K := b.Size("N"), b.Size("K")
	x := b.In("X", ir.F32, ir.SizeDim(N))
	w := b.In("W", ir.F32, ir.SizeDim(K))
	y := b.Out("Y", ir.F32, ir.SizeDim(N))
	z := b.Out("Z", ir.F32, ir.SizeDim(N))
	i, k := Var("i", ir.SizeDim(N)), Var("k", ir.SizeDim(K))
	b.Stmt(y, Vars(i), Sum(Vars(k), Bin(ir.Mul, Read(w, Idx(k)), Read(x, Bin(ir.Sub, Idx(i), Idx(k))))))
	i2 := Var("i", ir.SizeDim(N))
	// Shifted, halved and modular reads.
	b.Stmt(z, Vars(i2), Bin(ir.Add, Bin(ir.Add, Read(x, Bin(ir.Add, Idx(i2), I64(1))), Read(x, Bin(ir.Div, Idx(i2), I64(2)))),
		Read(w, Bin(ir.Mod, Idx(i2), I64(3)))))
	check(t, b.K, []int{0, 3}, []int{5, 3}, []int{19, 4}, []int{2, 7}, []int{33, 1})
}

func TestPacked(t *testing.T) {
	b := New("Packed")
	N := b.Size("N")
	q := b.In("Q", ir.UintType(4), ir.SizeDim(N))
	s := b.In("S", ir.IntType(3), ir.SizeDim(N))
	e := b.In("E", ir.MiniFloatType(true, 2, 1), ir.SizeDim(N))
	scale := b.Scalar("scale", ir.F32)
	y := b.Out("Y", ir.F32, ir.SizeDim(N))
	p := b.Out("P", ir.UintType(4), ir.SizeDim(N))
	r := b.Out("R", ir.MiniFloatType(true, 4, 3), ir.SizeDim(N))
	i := Var("i", ir.SizeDim(N))
	b.Stmt(y, Vars(i), Bin(ir.Mul, Bin(ir.Add, Cast(ReadCompute(q, Idx(i)), ir.F32), Cast(ReadCompute(s, Idx(i)), ir.F32)),
		Bin(ir.Mul, ReadCompute(e, Idx(i)), Read(scale))))
	i = Var("i", ir.SizeDim(N))
	b.Stmt(p, Vars(i), Cast(CallFn(ir.Clamp, CallFn(ir.Round, Bin(ir.Mul, Read(y, Idx(i)), FConst(ir.F32, 3))),
		FConst(ir.F32, 0), FConst(ir.F32, 15)), ir.UintType(4)))
	i = Var("i", ir.SizeDim(N))
	b.Stmt(r, Vars(i), Cast(Read(y, Idx(i)), r.Type))
	check(t, b.K, tails()...)
}

func TestHalfAndInts(t *testing.T) {
	b := New("Mixed")
	M, N := b.Size("M"), b.Size("N")
	h := b.In("H", ir.F16, ir.SizeDim(M), ir.SizeDim(N))
	bf := b.In("BF", ir.BF16, ir.SizeDim(N))
	x8 := b.In("X8", ir.I8, ir.SizeDim(M), ir.SizeDim(N))
	w8 := b.In("W8", ir.I8, ir.SizeDim(N))
	yh := b.Out("YH", ir.F16, ir.SizeDim(M), ir.SizeDim(N))
	yi := b.Out("YI", ir.I32, ir.SizeDim(M))
	yd := b.Out("YD", ir.I16, ir.SizeDim(M), ir.SizeDim(N))
	i, j := Var("i", ir.SizeDim(M)), Var("j", ir.SizeDim(N))
	b.Stmt(yh, Vars(i, j), Cast(Bin(ir.Mul, ReadCompute(h, Idx(i), Idx(j)), ReadCompute(bf, Idx(j))), ir.F16))
	i, j = Var("i", ir.SizeDim(M)), Var("j", ir.SizeDim(N))
	b.Stmt(yi, Vars(i), Sum(Vars(j), Bin(ir.Mul, ReadCompute(x8, Idx(i), Idx(j)), ReadCompute(w8, Idx(j)))))
	i, j = Var("i", ir.SizeDim(M)), Var("j", ir.SizeDim(N))
	// Floor division by a value that can be zero or negative, saturated to i16.
	b.Stmt(yd, Vars(i, j), Cast(Bin(ir.Mul, Bin(ir.Div, ReadCompute(x8, Idx(i), Idx(j)), ReadCompute(w8, Idx(j))), IConst(ir.I32, 1000)), ir.I16))
	check(t, b.K, tails(2)...)
}

func TestReductionsVariety(t *testing.T) {
	b := New("Reds")
	M, N := b.Size("M"), b.Size("N")
	x := b.In("X", ir.F64, ir.SizeDim(M), ir.SizeDim(N))
	xi := b.In("XI", ir.I32, ir.SizeDim(M), ir.SizeDim(N))
	a := b.Out("A", ir.F64)
	mn := b.Out("Mn", ir.I32, ir.SizeDim(M))
	pr := b.Out("Pr", ir.F64, ir.SizeDim(M))
	ev := b.Out("Ev", ir.F64, ir.SizeDim(N))
	i, j := Var("i", ir.SizeDim(M)), Var("j", ir.SizeDim(N))
	b.Stmt(a, nil, Sum(Vars(i, j), Read(x, Idx(i), Idx(j))))
	i, j = Var("i", ir.SizeDim(M)), Var("j", ir.SizeDim(N))
	b.Stmt(mn, Vars(i), Reduce(ir.RMin, Vars(j), nil, Read(xi, Idx(i), Idx(j))))
	i, j = Var("i", ir.SizeDim(M)), Var("j", ir.SizeDim(N))
	b.Stmt(pr, Vars(i), Reduce(ir.RProd, Vars(j), nil, Bin(ir.Add, FConst(ir.F64, 1), Bin(ir.Mul, FConst(ir.F64, 0.01), Read(x, Idx(i), Idx(j))))))
	// Column sum with an odd-row mask: vectorised along the output.
	i, j = Var("i", ir.SizeDim(M)), Var("j", ir.SizeDim(N))
	b.Stmt(ev, Vars(j), Reduce(ir.RSum, Vars(i), Bin(ir.Eq, Bin(ir.Mod, Idx(i), I64(2)), I64(1)), Read(x, Idx(i), Idx(j))))
	check(t, b.K, tails(3)...)
	check(t, b.K, []int{0, 0}, []int{70, 3})
}

func TestParallelLarge(t *testing.T) {
	b := New("Big")
	M, N := b.Size("M"), b.Size("N")
	x := b.In("X", ir.F32, ir.SizeDim(M), ir.SizeDim(N))
	y := b.Out("Y", ir.F32, ir.SizeDim(M), ir.SizeDim(N))
	r := b.Out("R", ir.F32, ir.SizeDim(M))
	i, j := Var("i", ir.SizeDim(M)), Var("j", ir.SizeDim(N))
	b.Stmt(y, Vars(i, j), CallFn(ir.Tanh, Read(x, Idx(i), Idx(j))))
	i, j = Var("i", ir.SizeDim(M)), Var("j", ir.SizeDim(N))
	b.Stmt(r, Vars(i), Sum(Vars(j), Read(x, Idx(i), Idx(j))))
	lk, err := Lower(b.K, loop.TargetAVX512, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range lk.Steps {
		if !st.Parallel {
			t.Errorf("step %s is not parallel:\n%s", st.Func.Name, lk)
		}
	}
	check(t, b.K, []int{37, 41}, []int{1, 3}, []int{0, 0})
}

func TestConstSmallSerial(t *testing.T) {
	b := New("Small")
	x := b.In("X", ir.F32, ir.ConstDim(4), ir.ConstDim(5))
	y := b.Out("Y", ir.F32, ir.ConstDim(5), ir.ConstDim(4))
	i, j := Var("i", ir.ConstDim(4)), Var("j", ir.ConstDim(5))
	b.Stmt(y, Vars(j, i), Bin(ir.Add, Read(x, Idx(i), Idx(j)), Read(x, Bin(ir.Add, Idx(i), I64(1)), Idx(j))))
	check(t, b.K)
	lk, err := Lower(b.K, loop.TargetGo, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lk.Steps[0].Parallel {
		t.Errorf("tiny constant step is parallel:\n%s", lk)
	}
	// X[i+1] needs only its upper bound checked; X[i] none.
	if s := lk.String(); strings.Count(s, " if ") != 1 || strings.Contains(s, ">=") {
		t.Errorf("unexpected guards:\n%s", s)
	}
}

func TestLowerErrors(t *testing.T) {
	if _, err := Lower(nil, loop.TargetGo, nil); err == nil {
		t.Error("Lower(nil) succeeded")
	}
	b := New("Bad")
	N := b.Size("N")
	y := b.Out("Y", ir.F32, ir.SizeDim(N))
	b.Stmt(y, nil, FConst(ir.F32, 1)) // wrong number of indices
	if _, err := Lower(b.K, loop.TargetGo, nil); err == nil {
		t.Error("Lower of a malformed statement succeeded")
	}
}

// TestMatmulDefaultSchedule lowers a matmul with a plan without the GEMM
// template (the loops of the default schedule).
func TestMatmulDefaultSchedule(t *testing.T) {
	checkPlanned(t, matmulKernel(), func(p *schedule.Plan) {
		for i := range p.Units {
			p.Units[i].GEMM = nil
		}
	}, matmulSizes...)
}

func TestMatmulEpilogue(t *testing.T) {
	b := New("MatmulBias")
	M, K, N := b.Size("M"), b.Size("K"), b.Size("N")
	a := b.In("A", ir.F32, ir.SizeDim(M), ir.SizeDim(K))
	bm := b.In("B", ir.F32, ir.SizeDim(N), ir.SizeDim(K))
	bias := b.In("Bias", ir.F32, ir.SizeDim(N))
	c := b.Out("C", ir.F32, ir.SizeDim(M), ir.SizeDim(N))
	m, n, k := Var("m", ir.SizeDim(M)), Var("n", ir.SizeDim(N)), Var("k", ir.SizeDim(K))
	b.Stmt(c, Vars(m, n), CallFn(ir.Relu, Bin(ir.Add,
		Sum(Vars(k), Bin(ir.Mul, Read(a, Idx(m), Idx(k)), Read(bm, Idx(n), Idx(k)))), Read(bias, Idx(n)))))
	check(t, b.K, []int{3, 5, 17}, []int{1, 1, 1}, []int{0, 4, 4}, []int{4, 0, 9}, []int{13, 7, 33})
}
