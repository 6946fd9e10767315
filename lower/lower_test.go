package lower

import (
	"strings"
	"testing"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
	"github.com/tensorcc/tcc/schedule/gemm"
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
	b := newKernel("Add")
	M, N := b.size("M"), b.size("N")
	x := b.in("X", ir.F32, sd(M), sd(N))
	z := b.in("Z", ir.F32, sd(M), sd(N))
	y := b.out("Y", ir.F32, sd(M), sd(N))
	i, j := vr("i", sd(M)), vr("j", sd(N))
	b.stmt(y, vars(i, j), bin(ir.Add, rd(x, ix(i), ix(j)), rd(z, ix(i), ix(j))))
	check(t, b.k, tails(3)...)
	check(t, b.k, []int{0, 5})
}

func TestBroadcastFMA(t *testing.T) {
	b := newKernel("Bcast")
	M, N := b.size("M"), b.size("N")
	x := b.in("X", ir.F32, sd(M), sd(N))
	bv := b.in("B", ir.F32, sd(N))
	c := b.in("C", ir.F32, sd(M))
	y := b.out("Y", ir.F32, sd(M), sd(N))
	i, j := vr("i", sd(M)), vr("j", sd(N))
	b.stmt(y, vars(i, j), bin(ir.Add, bin(ir.Mul, rd(x, ix(i), ix(j)), rd(bv, ix(j))), rd(c, ix(i))))
	check(t, b.k, tails(2)...)
	lk, err := Lower(b.k, loop.TargetAVX512)
	if err != nil {
		t.Fatal(err)
	}
	s := lk.String()
	if !strings.Contains(s, "fma(") || !strings.Contains(s, "count") || !strings.Contains(s, "broadcast") {
		t.Errorf("AVX-512 lowering lacks FMA, masked tail or broadcast:\n%s", s)
	}
}

func TestRowSumAndDot(t *testing.T) {
	b := newKernel("RowSum")
	M, N := b.size("M"), b.size("N")
	x := b.in("X", ir.F32, sd(M), sd(N))
	w := b.in("W", ir.F32, sd(N))
	y := b.out("Y", ir.F32, sd(M))
	d := b.out("D", ir.F32)
	mx := b.out("Mx", ir.F32, sd(M))
	i, j := vr("i", sd(M)), vr("j", sd(N))
	b.stmt(y, vars(i), sum(vars(j), rd(x, ix(i), ix(j))))
	j2 := vr("j", sd(N))
	b.stmt(d, nil, sum(vars(j2), bin(ir.Mul, rd(w, ix(j2)), rd(x, i64(0), ix(j2)))))
	i3, j3 := vr("i", sd(M)), vr("j", sd(N))
	b.stmt(mx, vars(i3), red(ir.RMax, vars(j3), nil, rd(x, ix(i3), ix(j3))))
	check(t, b.k, tails(3)...)
	check(t, b.k, []int{0, 3}, []int{1, 1000})
	lk, err := Lower(b.k, loop.TargetAVX2)
	if err != nil {
		t.Fatal(err)
	}
	if s := lk.String(); !strings.Contains(s, "hsum(") || !strings.Contains(s, "hmax(") {
		t.Errorf("AVX2 lowering does not vectorise the reductions:\n%s", s)
	}
	lk, err = Lower(b.k, loop.TargetGo)
	if err != nil {
		t.Fatal(err)
	}
	if s := lk.String(); !strings.Contains(s, "+= 4") {
		t.Errorf("Go lowering does not unroll the reductions:\n%s", s)
	}
}

func TestMatmul(t *testing.T) {
	b := newKernel("Matmul")
	M, K, N := b.size("M"), b.size("K"), b.size("N")
	a := b.in("A", ir.F32, sd(M), sd(K))
	bm := b.in("B", ir.F32, sd(K), sd(N))
	c := b.out("C", ir.F32, sd(M), sd(N))
	m, n, k := vr("m", sd(M)), vr("n", sd(N)), vr("k", sd(K))
	b.stmt(c, vars(m, n), sum(vars(k), bin(ir.Mul, rd(a, ix(m), ix(k)), rd(bm, ix(k), ix(n)))))
	check(t, b.k, []int{3, 5, 17}, []int{1, 1, 1}, []int{0, 4, 4}, []int{4, 0, 9}, []int{33, 7, 65})
}

func TestTransposeAndAgree(t *testing.T) {
	b := newKernel("Transpose")
	M, N, N2 := b.size("M"), b.size("N"), b.size("N2")
	x := b.in("X", ir.F64, sd(M), sd(N))
	z := b.in("Z", ir.F64, sd(N2))
	y := b.out("Y", ir.F64, sd(N), sd(M))
	i, j := vr("i", sd(M)), vr("j", sd(N))
	b.agree(sd(N), sd(N2))
	b.stmt(y, vars(j, i), bin(ir.Mul, rd(x, ix(i), ix(j)), rd(z, ix(j))))
	check(t, b.k, []int{3, 9, 9}, []int{5, 1, 1}, []int{0, 2, 2})
}

func TestSoftmax(t *testing.T) {
	b := newKernel("Softmax")
	M, N := b.size("M"), b.size("N")
	x := b.in("X", ir.F32, sd(M), sd(N))
	y := b.out("Y", ir.F32, sd(M), sd(N))
	mx := b.temp("mx", ir.F32, sd(M))
	e := b.temp("e", ir.F32, sd(M), sd(N))
	s := b.temp("s", ir.F32, sd(M))
	i, j := vr("i", sd(M)), vr("j", sd(N))
	b.stmt(mx, vars(i), red(ir.RMax, vars(j), nil, rd(x, ix(i), ix(j))))
	i, j = vr("i", sd(M)), vr("j", sd(N))
	b.stmt(e, vars(i, j), call(ir.Exp, bin(ir.Sub, rd(x, ix(i), ix(j)), rd(mx, ix(i)))))
	i, j = vr("i", sd(M)), vr("j", sd(N))
	b.stmt(s, vars(i), sum(vars(j), rd(e, ix(i), ix(j))))
	i, j = vr("i", sd(M)), vr("j", sd(N))
	b.stmt(y, vars(i, j), bin(ir.Div, rd(e, ix(i), ix(j)), rd(s, ix(i))))
	check(t, b.k, tails(2)...)
}

func TestMeanScalarTemp(t *testing.T) {
	b := newKernel("Center")
	N := b.size("N")
	x := b.in("X", ir.F32, sd(N))
	y := b.out("Y", ir.F32, sd(N))
	mean := b.temp("mean", ir.F32)
	half := b.temp("half", ir.F32, sd(N))
	i := vr("i", sd(N))
	b.stmt(mean, nil, bin(ir.Div, sum(vars(i), rd(x, ix(i))), &ir.SizeVal{Size: N, T: ir.F32}))
	i = vr("i", sd(N))
	b.stmt(half, vars(i), bin(ir.Mul, rd(x, ix(i)), fc(ir.F32, 0.5)))
	i = vr("i", sd(N))
	b.stmt(y, vars(i), bin(ir.Sub, rd(half, ix(i)), rd(mean, nil...)))
	check(t, b.k, tails()...)
	lk, err := Lower(b.k, loop.TargetAVX512)
	if err != nil {
		t.Fatal(err)
	}
	if len(lk.Scratch) != 1 || lk.Scratch[0].Name != "mean" {
		t.Errorf("want only mean materialised, got %d scratch buffers:\n%s", len(lk.Scratch), lk)
	}
}

func TestRowNormalizeHoist(t *testing.T) {
	// The row sum does not depend on j: it must be computed once per row.
	b := newKernel("Norm")
	M, N := b.size("M"), b.size("N")
	x := b.in("X", ir.F32, sd(M), sd(N))
	y := b.out("Y", ir.F32, sd(M), sd(N))
	i, j, k := vr("i", sd(M)), vr("j", sd(N)), vr("k", sd(N))
	b.stmt(y, vars(i, j), bin(ir.Div, rd(x, ix(i), ix(j)),
		bin(ir.Add, fc(ir.F32, 1), sum(vars(k), call(ir.Abs, rd(x, ix(i), ix(k)))))))
	check(t, b.k, tails(3)...)
}

func TestCausalMaskedMax(t *testing.T) {
	b := newKernel("Causal")
	N := b.size("N")
	x := b.in("X", ir.F32, sd(N), sd(N))
	y := b.out("Y", ir.F32, sd(N))
	z := b.out("Z", ir.F32, sd(N), sd(N))
	s, tv := vr("s", sd(N)), vr("t", sd(N))
	b.stmt(y, vars(s), red(ir.RMax, vars(tv), bin(ir.Le, ix(tv), ix(s)), rd(x, ix(s), ix(tv))))
	i, j := vr("i", sd(N)), vr("j", sd(N))
	b.stmt(z, vars(i, j), sel(bin(ir.Le, ixT(j, ir.I64), ixT(i, ir.I64)), rd(x, ix(i), ix(j)), fc(ir.F32, 0)))
	check(t, b.k, [][]int{{0}, {1}, {2}, {7}, {17}, {33}}...)
}

func TestOutOfRangeConv(t *testing.T) {
	b := newKernel("Conv")
	N, K := b.size("N"), b.size("K")
	x := b.in("X", ir.F32, sd(N))
	w := b.in("W", ir.F32, sd(K))
	y := b.out("Y", ir.F32, sd(N))
	z := b.out("Z", ir.F32, sd(N))
	i, k := vr("i", sd(N)), vr("k", sd(K))
	b.stmt(y, vars(i), sum(vars(k), bin(ir.Mul, rd(w, ix(k)), rd(x, bin(ir.Sub, ix(i), ix(k))))))
	i2 := vr("i", sd(N))
	// Shifted, halved and modular reads.
	b.stmt(z, vars(i2), bin(ir.Add, bin(ir.Add, rd(x, bin(ir.Add, ix(i2), i64(1))), rd(x, bin(ir.Div, ix(i2), i64(2)))),
		rd(w, bin(ir.Mod, ix(i2), i64(3)))))
	check(t, b.k, []int{0, 3}, []int{5, 3}, []int{19, 4}, []int{2, 7}, []int{33, 1})
}

func TestPacked(t *testing.T) {
	b := newKernel("Packed")
	N := b.size("N")
	q := b.in("Q", ir.UintType(4), sd(N))
	s := b.in("S", ir.IntType(3), sd(N))
	e := b.in("E", ir.MiniFloatType(true, 2, 1), sd(N))
	scale := b.scalar("scale", ir.F32)
	y := b.out("Y", ir.F32, sd(N))
	p := b.out("P", ir.UintType(4), sd(N))
	r := b.out("R", ir.MiniFloatType(true, 4, 3), sd(N))
	i := vr("i", sd(N))
	b.stmt(y, vars(i), bin(ir.Mul, bin(ir.Add, cast(rdc(q, ix(i)), ir.F32), cast(rdc(s, ix(i)), ir.F32)),
		bin(ir.Mul, rdc(e, ix(i)), rd(scale))))
	i = vr("i", sd(N))
	b.stmt(p, vars(i), cast(call(ir.Clamp, call(ir.Round, bin(ir.Mul, rd(y, ix(i)), fc(ir.F32, 3))),
		fc(ir.F32, 0), fc(ir.F32, 15)), ir.UintType(4)))
	i = vr("i", sd(N))
	b.stmt(r, vars(i), cast(rd(y, ix(i)), r.Type))
	check(t, b.k, tails()...)
}

func TestHalfAndInts(t *testing.T) {
	b := newKernel("Mixed")
	M, N := b.size("M"), b.size("N")
	h := b.in("H", ir.F16, sd(M), sd(N))
	bf := b.in("BF", ir.BF16, sd(N))
	x8 := b.in("X8", ir.I8, sd(M), sd(N))
	w8 := b.in("W8", ir.I8, sd(N))
	yh := b.out("YH", ir.F16, sd(M), sd(N))
	yi := b.out("YI", ir.I32, sd(M))
	yd := b.out("YD", ir.I16, sd(M), sd(N))
	i, j := vr("i", sd(M)), vr("j", sd(N))
	b.stmt(yh, vars(i, j), cast(bin(ir.Mul, rdc(h, ix(i), ix(j)), rdc(bf, ix(j))), ir.F16))
	i, j = vr("i", sd(M)), vr("j", sd(N))
	b.stmt(yi, vars(i), sum(vars(j), bin(ir.Mul, rdc(x8, ix(i), ix(j)), rdc(w8, ix(j)))))
	i, j = vr("i", sd(M)), vr("j", sd(N))
	// Floor division by a value that can be zero or negative, saturated to i16.
	b.stmt(yd, vars(i, j), cast(bin(ir.Mul, bin(ir.Div, rdc(x8, ix(i), ix(j)), rdc(w8, ix(j))), ic(ir.I32, 1000)), ir.I16))
	check(t, b.k, tails(2)...)
}

func TestReductionsVariety(t *testing.T) {
	b := newKernel("Reds")
	M, N := b.size("M"), b.size("N")
	x := b.in("X", ir.F64, sd(M), sd(N))
	xi := b.in("XI", ir.I32, sd(M), sd(N))
	a := b.out("A", ir.F64)
	mn := b.out("Mn", ir.I32, sd(M))
	pr := b.out("Pr", ir.F64, sd(M))
	ev := b.out("Ev", ir.F64, sd(N))
	i, j := vr("i", sd(M)), vr("j", sd(N))
	b.stmt(a, nil, sum(vars(i, j), rd(x, ix(i), ix(j))))
	i, j = vr("i", sd(M)), vr("j", sd(N))
	b.stmt(mn, vars(i), red(ir.RMin, vars(j), nil, rd(xi, ix(i), ix(j))))
	i, j = vr("i", sd(M)), vr("j", sd(N))
	b.stmt(pr, vars(i), red(ir.RProd, vars(j), nil, bin(ir.Add, fc(ir.F64, 1), bin(ir.Mul, fc(ir.F64, 0.01), rd(x, ix(i), ix(j))))))
	// Column sum with an odd-row mask: vectorised along the output.
	i, j = vr("i", sd(M)), vr("j", sd(N))
	b.stmt(ev, vars(j), red(ir.RSum, vars(i), bin(ir.Eq, bin(ir.Mod, ix(i), i64(2)), i64(1)), rd(x, ix(i), ix(j))))
	check(t, b.k, tails(3)...)
	check(t, b.k, []int{0, 0}, []int{70, 3})
}

func TestParallelLarge(t *testing.T) {
	b := newKernel("Big")
	M, N := b.size("M"), b.size("N")
	x := b.in("X", ir.F32, sd(M), sd(N))
	y := b.out("Y", ir.F32, sd(M), sd(N))
	r := b.out("R", ir.F32, sd(M))
	i, j := vr("i", sd(M)), vr("j", sd(N))
	b.stmt(y, vars(i, j), call(ir.Tanh, rd(x, ix(i), ix(j))))
	i, j = vr("i", sd(M)), vr("j", sd(N))
	b.stmt(r, vars(i), sum(vars(j), rd(x, ix(i), ix(j))))
	lk, err := Lower(b.k, loop.TargetAVX512)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range lk.Steps {
		if !st.Parallel {
			t.Errorf("step %s is not parallel:\n%s", st.Func.Name, lk)
		}
	}
	check(t, b.k, []int{37, 41}, []int{1, 3}, []int{0, 0})
}

func TestConstSmallSerial(t *testing.T) {
	b := newKernel("Small")
	x := b.in("X", ir.F32, cd(4), cd(5))
	y := b.out("Y", ir.F32, cd(5), cd(4))
	i, j := vr("i", cd(4)), vr("j", cd(5))
	b.stmt(y, vars(j, i), bin(ir.Add, rd(x, ix(i), ix(j)), rd(x, bin(ir.Add, ix(i), i64(1)), ix(j))))
	check(t, b.k)
	lk, err := Lower(b.k, loop.TargetGo)
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
	if _, err := Lower(nil, loop.TargetGo); err == nil {
		t.Error("Lower(nil) succeeded")
	}
	b := newKernel("Bad")
	N := b.size("N")
	y := b.out("Y", ir.F32, sd(N))
	b.stmt(y, nil, fc(ir.F32, 1)) // wrong number of indices
	if _, err := Lower(b.k, loop.TargetGo); err == nil {
		t.Error("Lower of a malformed statement succeeded")
	}
}

func TestMatmulDefaultSchedule(t *testing.T) {
	saved := gemmLower
	gemmLower = func(*gemm.Matmul, gemm.Env) ([]*loop.Step, error) { return nil, errGemmUnavailable }
	defer func() { gemmLower = saved }()
	TestMatmul(t)
}

func TestMatmulEpilogue(t *testing.T) {
	b := newKernel("MatmulBias")
	M, K, N := b.size("M"), b.size("K"), b.size("N")
	a := b.in("A", ir.F32, sd(M), sd(K))
	bm := b.in("B", ir.F32, sd(N), sd(K))
	bias := b.in("Bias", ir.F32, sd(N))
	c := b.out("C", ir.F32, sd(M), sd(N))
	m, n, k := vr("m", sd(M)), vr("n", sd(N)), vr("k", sd(K))
	b.stmt(c, vars(m, n), call(ir.Relu, bin(ir.Add,
		sum(vars(k), bin(ir.Mul, rd(a, ix(m), ix(k)), rd(bm, ix(n), ix(k)))), rd(bias, ix(n)))))
	check(t, b.k, []int{3, 5, 17}, []int{1, 1, 1}, []int{0, 4, 4}, []int{4, 0, 9}, []int{13, 7, 33})
}
