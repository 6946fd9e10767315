package interp

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	. "github.com/tensorcc/tcc/internal/irbuild"
	"github.com/tensorcc/tcc/ir"
)

// matmul builds C[m, n] = sum(k: A[m, k] * B[k, n]) over element type t.
func matmul(t ir.DType) *ir.Kernel {
	b := New("Matmul")
	M, K, N := b.Size("M"), b.Size("K"), b.Size("N")
	A := b.In("A", t, ir.SizeDim(M), ir.SizeDim(K))
	B := b.In("B", t, ir.SizeDim(K), ir.SizeDim(N))
	C := b.Out("C", t, ir.SizeDim(M), ir.SizeDim(N))
	m, n, k := Var("m", ir.SizeDim(M)), Var("n", ir.SizeDim(N)), Var("k", ir.SizeDim(K))
	body := Bin(ir.Mul, ReadCompute(A, Idx(m), Idx(k)), ReadCompute(B, Idx(k), Idx(n)))
	var v ir.Expr = Reduce(ir.RSum, Vars(k), nil, body)
	if v.Type() != t {
		v = Cast(v, t)
	}
	b.Stmt(C, Vars(m, n), v)
	return b.K
}

func gemm64(a, bb []float64, m, k, n int) []float64 {
	c := make([]float64, m*n)
	if m == 0 || n == 0 {
		return c
	}
	if k == 0 {
		return c
	}
	blas64.Gemm(blas.NoTrans, blas.NoTrans, 1,
		blas64.General{Rows: m, Cols: k, Stride: k, Data: a},
		blas64.General{Rows: k, Cols: n, Stride: n, Data: bb},
		0, blas64.General{Rows: m, Cols: n, Stride: n, Data: c})
	return c
}

func randF32(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

func f32to64(s []float32) []float64 {
	d := make([]float64, len(s))
	for i, v := range s {
		d[i] = float64(v)
	}
	return d
}

func TestMatmulAgainstGonum(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][3]int{{1, 1, 1}, {3, 5, 4}, {17, 33, 9}, {8, 64, 8}, {0, 4, 3}, {4, 0, 3}, {2, 3, 0}} {
		M, K, N := sz[0], sz[1], sz[2]
		t.Run("f32", func(t *testing.T) {
			a, b := randF32(r, M*K), randF32(r, K*N)
			want := gemm64(f32to64(a), f32to64(b), M, K, N)
			c := make([]float32, M*N)
			if err := Call(matmul(ir.F32), a, b, c, M, K, N); err != nil {
				t.Fatal(err)
			}
			for i := range c {
				// The exact sum rounds to float32 once; gonum's float64 sum is
				// within far less than half an f32 ulp of it.
				ulp := math.Abs(float64(math.Nextafter32(float32(want[i]), float32(math.Inf(1)))) - float64(float32(want[i])))
				if d := math.Abs(float64(c[i]) - want[i]); d > ulp {
					t.Fatalf("%v: C[%d] = %v, gonum %v", sz, i, c[i], want[i])
				}
			}
			outs, err := Eval(matmul(ir.F32), a, b, nil, M, K, N)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range outs[0].Float {
				if math.Abs(v-want[i]) > 1e-12*(1+math.Abs(want[i])) {
					t.Fatalf("%v: exact C[%d] = %v, gonum %v", sz, i, v, want[i])
				}
			}
		})
		t.Run("f64", func(t *testing.T) {
			a, b := f32to64(randF32(r, M*K)), f32to64(randF32(r, K*N))
			want := gemm64(a, b, M, K, N)
			c := make([]float64, M*N)
			if err := Call(matmul(ir.F64), a, b, c, M, K, N); err != nil {
				t.Fatal(err)
			}
			for i := range c {
				if math.Abs(c[i]-want[i]) > 1e-13*(1+math.Abs(want[i])) {
					t.Fatalf("%v: C[%d] = %v, gonum %v", sz, i, c[i], want[i])
				}
			}
		})
	}
}

// TestMatmulSpeed checks the interpreter is fast enough to serve as the oracle
// for 256x256x256 matmuls (16.7M multiply-adds).
func TestMatmulSpeed(t *testing.T) {
	n := 256
	if testing.Short() {
		n = 128
	}
	r := rand.New(rand.NewPCG(3, 4))
	a, b := randF32(r, n*n), randF32(r, n*n)
	c := make([]float32, n*n)
	start := time.Now()
	if err := Call(matmul(ir.F32), a, b, c, n, n, n); err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	rate := float64(n*n*n) / el.Seconds()
	t.Logf("%d^3 matmul: %v, %.1fM inner ops/s", n, el, rate/1e6)
	if rate < 5e6 { // generous floor (the target is 20M/s) for slow or shared machines
		t.Errorf("interpreter too slow: %.1fM inner ops/s", rate/1e6)
	}
	want := gemm64(f32to64(a), f32to64(b), n, n, n)
	for i := range c {
		if math.Abs(float64(c[i])-want[i]) > 1e-5*(1+math.Abs(want[i])) {
			t.Fatalf("C[%d] = %v, gonum %v", i, c[i], want[i])
		}
	}
}

func BenchmarkMatmul128(b *testing.B) {
	n := 128
	r := rand.New(rand.NewPCG(3, 4))
	a, bb := randF32(r, n*n), randF32(r, n*n)
	c := make([]float32, n*n)
	k := matmul(ir.F32)
	for b.Loop() {
		if err := Call(k, a, bb, c, n, n, n); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*n*n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mops/s")
}

// TestCausalMaxMask checks a masked reduction: O[s] = max(t where t <= s: X[s, t]).
func TestCausalMaxMask(t *testing.T) {
	b := New("CausalMax")
	S := b.Size("S")
	X := b.In("X", ir.F32, ir.SizeDim(S), ir.SizeDim(S))
	O := b.Out("O", ir.F32, ir.SizeDim(S))
	Cnt := b.Out("Cnt", ir.I32, ir.SizeDim(S))
	s, tv := Var("s", ir.SizeDim(S)), Var("t", ir.SizeDim(S))
	b.Stmt(O, Vars(s), Reduce(ir.RMax, Vars(tv), Bin(ir.Le, Idx(tv), Idx(s)), Read(X, Idx(s), Idx(tv))))
	s2, t2 := Var("s", ir.SizeDim(S)), Var("t", ir.SizeDim(S))
	// Cnt[s] = sum(t where t % 2 == 1 && t < s: 1)
	cond := Bin(ir.And, Bin(ir.Eq, Bin(ir.Mod, Idx(t2), I64(2)), I64(1)), Bin(ir.Lt, Idx(t2), Idx(s2)))
	b.Stmt(Cnt, Vars(s2), Reduce(ir.RSum, Vars(t2), cond, IConst(ir.I32, 1)))
	x := []float32{
		1, 9, 9, 9,
		5, 2, 9, 9,
		-1, -3, -2, 9,
		0, 7, 3, 6,
	}
	o, cnt := make([]float32, 4), make([]int32, 4)
	if err := Call(b.K, x, o, cnt, 4); err != nil {
		t.Fatal(err)
	}
	wantO := []float32{1, 5, -1, 7}
	wantC := []int32{0, 0, 1, 1} // odd t below s: s=2 -> {1}, s=3 -> {1}
	for i := range o {
		if o[i] != wantO[i] || cnt[i] != wantC[i] {
			t.Errorf("s=%d: O=%v Cnt=%v, want %v %v", i, o[i], cnt[i], wantO[i], wantC[i])
		}
	}
}

// TestPaddedConv checks out-of-range reads: Y[i] = sum(k: X[i + k - 1] * W[k]).
func TestPaddedConv(t *testing.T) {
	b := New("Conv")
	N := b.Size("N")
	X := b.In("X", ir.F64, ir.SizeDim(N))
	W := b.In("W", ir.F64, ir.ConstDim(3))
	Y := b.Out("Y", ir.F64, ir.SizeDim(N))
	i, k := Var("i", ir.SizeDim(N)), Var("k", ir.ConstDim(3))
	sub := Bin(ir.Sub, Bin(ir.Add, Idx(i), Idx(k)), I64(1))
	b.Stmt(Y, Vars(i), Reduce(ir.RSum, Vars(k), nil, Bin(ir.Mul, Read(X, sub), Read(W, Idx(k)))))
	x := []float64{1, 2, 3, 4}
	w := []float64{1, 10, 100}
	y := make([]float64, 4)
	if err := Call(b.K, x, w, y, 4); err != nil {
		t.Fatal(err)
	}
	want := []float64{0*1 + 1*10 + 2*100, 1 + 20 + 300, 2 + 30 + 400, 3 + 40 + 0}
	for j := range y {
		if y[j] != want[j] {
			t.Errorf("Y = %v, want %v", y, want)
			break
		}
	}
}

// TestSubscriptArithmetic checks floor division and remainder in subscripts
// (a reshape) and negative-offset reads.
func TestSubscriptArithmetic(t *testing.T) {
	b := New("Reshape")
	X := b.In("X", ir.I32, ir.ConstDim(6))
	Y := b.Out("Y", ir.I32, ir.ConstDim(2), ir.ConstDim(3))
	Z := b.Out("Z", ir.I32, ir.ConstDim(6))
	r, c := Var("r", ir.ConstDim(2)), Var("c", ir.ConstDim(3))
	b.Stmt(Y, Vars(r, c), Read(X, Bin(ir.Add, Bin(ir.Mul, Idx(r), I64(3)), Idx(c))))
	// Z[i] = Y[(i - 1) / 3, (i - 1) % 3]: floor semantics put i = 0 at [-1, 2] -> 0.
	i := Var("i", ir.ConstDim(6))
	im1 := Bin(ir.Sub, Idx(i), I64(1))
	b.Stmt(Z, Vars(i), Read(Y, Bin(ir.Div, im1, I64(3)), Bin(ir.Mod, im1, I64(3))))
	x := []int32{1, 2, 3, 4, 5, 6}
	y, z := make([]int32, 6), make([]int32, 6)
	if err := Call(b.K, x, y, z); err != nil {
		t.Fatal(err)
	}
	if want := []int32{1, 2, 3, 4, 5, 6}; !equal(y, want) {
		t.Errorf("Y = %v, want %v", y, want)
	}
	if want := []int32{0, 1, 2, 3, 4, 5}; !equal(z, want) {
		t.Errorf("Z = %v, want %v", z, want)
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestEmptyReductions checks the identities of SPEC section 6 with K = 0.
func TestEmptyReductions(t *testing.T) {
	b := New("Empty")
	K := b.Size("K")
	X := b.In("X", ir.F32, ir.SizeDim(K))
	Xi := b.In("Xi", ir.I32, ir.SizeDim(K))
	Xu := b.In("Xu", ir.U32, ir.SizeDim(K))
	outs := []struct {
		name string
		t    ir.DType
		op   ir.ReduceOp
		src  *ir.Tensor
	}{
		{"Sum", ir.F32, ir.RSum, X}, {"Prod", ir.F32, ir.RProd, X},
		{"Max", ir.F32, ir.RMax, X}, {"Min", ir.F32, ir.RMin, X},
		{"ISum", ir.I32, ir.RSum, Xi}, {"IProd", ir.I32, ir.RProd, Xi},
		{"IMax", ir.I32, ir.RMax, Xi}, {"IMin", ir.I32, ir.RMin, Xi},
		{"UMax", ir.U32, ir.RMax, Xu}, {"UMin", ir.U32, ir.RMin, Xu},
	}
	for _, o := range outs {
		T := b.Out(o.name, o.t)
		k := Var("k", ir.SizeDim(K))
		b.Stmt(T, nil, Reduce(o.op, Vars(k), nil, Read(o.src, Idx(k))))
	}
	f := func() []float32 { return []float32{42} }
	i := func() []int32 { return []int32{42} }
	u := func() []uint32 { return []uint32{42} }
	args := []any{[]float32{}, []int32{}, []uint32{}, f(), f(), f(), f(), i(), i(), i(), i(), u(), u(), 0}
	if err := Call(b.K, args...); err != nil {
		t.Fatal(err)
	}
	want := []any{float32(0), float32(1), float32(math.Inf(-1)), float32(math.Inf(1)),
		int32(0), int32(1), int32(math.MinInt32), int32(math.MaxInt32), uint32(0), uint32(math.MaxUint32)}
	for j, w := range want {
		var got any
		switch s := args[3+j].(type) {
		case []float32:
			got = s[0]
		case []int32:
			got = s[0]
		case []uint32:
			got = s[0]
		}
		if got != w {
			t.Errorf("%s = %v, want %v", outs[j].name, got, w)
		}
	}
}

// TestMultipleOutputsAndTemps checks statements that read earlier outputs (which
// hold rounded values) and temps (which do not), and zero-sized tensors.
func TestMultipleOutputsAndTemps(t *testing.T) {
	b := New("Multi")
	N := b.Size("N")
	X := b.In("X", ir.F64, ir.SizeDim(N))
	T := b.Temp("T", ir.F64, ir.SizeDim(N))
	A := b.Out("A", ir.F32, ir.SizeDim(N))
	B := b.Out("B", ir.F64, ir.SizeDim(N))
	C := b.Out("C", ir.F64, ir.SizeDim(N))
	i1, i2, i3, i4 := Var("i", ir.SizeDim(N)), Var("i", ir.SizeDim(N)), Var("i", ir.SizeDim(N)), Var("i", ir.SizeDim(N))
	third := Bin(ir.Div, Read(X, Idx(i1)), FConst(ir.F64, 3))
	b.Stmt(T, Vars(i1), third)
	b.Stmt(A, Vars(i2), Cast(Read(T, Idx(i2)), ir.F32))
	// B = A (rounded to f32) * 3; C = T (unrounded) * 3
	b.Stmt(B, Vars(i3), Bin(ir.Mul, Cast(Read(A, Idx(i3)), ir.F64), FConst(ir.F64, 3)))
	b.Stmt(C, Vars(i4), Bin(ir.Mul, Read(T, Idx(i4)), FConst(ir.F64, 3)))
	x := []float64{1, 2, 10}
	a, bb, c := make([]float32, 3), make([]float64, 3), make([]float64, 3)
	if err := Call(b.K, x, a, bb, c, 3); err != nil {
		t.Fatal(err)
	}
	for j, v := range x {
		if want := float32(v / 3); a[j] != want {
			t.Errorf("A[%d] = %v, want %v", j, a[j], want)
		}
		if want := float64(float32(v/3)) * 3; bb[j] != want {
			t.Errorf("B[%d] = %v, want %v", j, bb[j], want)
		}
		if want := v / 3 * 3; c[j] != want {
			t.Errorf("C[%d] = %v, want %v", j, c[j], want)
		}
	}
	outs, err := Eval(b.K, x, nil, nil, nil, 3)
	if err != nil {
		t.Fatal(err)
	}
	for j, v := range x {
		if outs[0].Float[j] != v/3 {
			t.Errorf("exact A[%d] = %v, want %v", j, outs[0].Float[j], v/3)
		}
	}
	// Zero-sized: nothing to compute, no error.
	if err := Call(b.K, []float64{}, []float32{}, []float64{}, []float64{}, 0); err != nil {
		t.Errorf("N = 0: %v", err)
	}
}

// TestScalars checks scalar parameters, scalar outputs and size values.
func TestScalars(t *testing.T) {
	b := New("Mean")
	N := b.Size("N")
	X := b.In("X", ir.F32, ir.SizeDim(N))
	s := b.Tensor(ir.Scalar, "scale", ir.F32)
	O := b.Out("O", ir.F32)
	k := Var("k", ir.SizeDim(N))
	sum := Reduce(ir.RSum, Vars(k), nil, Read(X, Idx(k)))
	mean := Bin(ir.Div, sum, &ir.SizeVal{Size: N, T: ir.F32})
	b.Stmt(O, nil, Bin(ir.Mul, mean, Read(s)))
	o := []float32{0}
	if err := Call(b.K, []float32{1, 2, 3, 6}, float32(2), o, 4); err != nil {
		t.Fatal(err)
	}
	if o[0] != 6 {
		t.Errorf("O = %v, want 6", o[0])
	}
	if err := Call(b.K, []float32{1}, 2.0, o, 1); err == nil {
		t.Error("float64 scalar for an f32 parameter accepted")
	}
}
