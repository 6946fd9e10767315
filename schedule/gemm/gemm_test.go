package gemm

import (
	"flag"
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/tensorcc/tcc/internal/loopeval"
	"github.com/tensorcc/tcc/internal/rt"
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
	"github.com/tensorcc/tcc/schedule"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
)

// mmSpec describes a test kernel C[cOrder] = epi(sum(k: A[aOrder] * B[bOrder])),
// orders written with the letters b (batch), i, j, k.
type mmSpec struct {
	acc                    ir.DType // f32, f64 or i32
	elem                   ir.DType // operand storage type
	out                    ir.DType // C's type
	aOrder, bOrder, cOrder string
	epi                    string // "", "bias", "rowbias", "relu", "scale", "biasrelu", "cast"
	swapMul                bool   // write the product as B*A
}

type mmKernel struct {
	k       *ir.Kernel
	s       *ir.Stmt
	A, B, C *ir.Tensor
	bias    *ir.Tensor
	alpha   *ir.Tensor
	vars    map[byte]*ir.Var
	sizes   map[byte]*ir.Size
}

func buildKernel(sp mmSpec) *mmKernel {
	mk := &mmKernel{vars: map[byte]*ir.Var{}, sizes: map[byte]*ir.Size{}}
	k := &ir.Kernel{Name: "MM"}
	names := map[byte]string{'i': "M", 'j': "N", 'k': "K", 'b': "Bt"}
	for _, c := range []byte("ijkb") {
		if !strings.ContainsRune(sp.cOrder+sp.aOrder, rune(c)) {
			continue
		}
		s := &ir.Size{Name: names[c], Index: len(k.Sizes)}
		k.Sizes = append(k.Sizes, s)
		mk.sizes[c] = s
		mk.vars[c] = &ir.Var{Name: string(c), Extent: ir.SizeDim(s)}
	}
	tensor := func(name string, kind ir.TensorKind, t ir.DType, order string, idx int) *ir.Tensor {
		tt := &ir.Tensor{Name: name, Kind: kind, Type: t, Index: idx}
		for _, c := range []byte(order) {
			tt.Dims = append(tt.Dims, ir.SizeDim(mk.sizes[c]))
		}
		return tt
	}
	read := func(t *ir.Tensor, order string) ir.Expr {
		r := &ir.Read{Tensor: t}
		for _, c := range []byte(order) {
			r.Subs = append(r.Subs, &ir.Index{Var: mk.vars[c], T: ir.I64})
		}
		if t.Type != sp.acc {
			return &ir.Cast{X: r, To: sp.acc}
		}
		return r
	}
	mk.A = tensor("A", ir.Input, sp.elem, sp.aOrder, 0)
	mk.B = tensor("B", ir.Input, sp.elem, sp.bOrder, 1)
	k.Params = []*ir.Tensor{mk.A, mk.B}
	mk.C = tensor("C", ir.Output, sp.out, sp.cOrder, 0)
	k.Outputs = []*ir.Tensor{mk.C}
	x, y := read(mk.A, sp.aOrder), read(mk.B, sp.bOrder)
	if sp.swapMul {
		x, y = y, x
	}
	var v ir.Expr = &ir.Reduce{Op: ir.RSum, Vars: []*ir.Var{mk.vars['k']},
		Body: &ir.Binary{Op: ir.Mul, X: x, Y: y, T: sp.acc}, T: sp.acc}
	addBias := func(v ir.Expr, c byte) ir.Expr {
		mk.bias = tensor("bias", ir.Input, sp.acc, string(c), len(k.Params))
		k.Params = append(k.Params, mk.bias)
		return &ir.Binary{Op: ir.Add, X: v, Y: read(mk.bias, string(c)), T: sp.acc}
	}
	switch sp.epi {
	case "bias":
		v = addBias(v, 'j')
	case "rowbias":
		v = addBias(v, 'i')
	case "relu":
		v = &ir.Call{Fn: ir.Relu, Args: []ir.Expr{v}, T: sp.acc}
	case "biasrelu":
		v = &ir.Call{Fn: ir.Relu, Args: []ir.Expr{addBias(v, 'j')}, T: sp.acc}
	case "scale":
		mk.alpha = &ir.Tensor{Name: "alpha", Kind: ir.Scalar, Type: sp.acc, Index: len(k.Params)}
		k.Params = append(k.Params, mk.alpha)
		v = &ir.Binary{Op: ir.Mul, X: &ir.Read{Tensor: mk.alpha}, Y: v, T: sp.acc}
	}
	if sp.out != sp.acc {
		v = &ir.Cast{X: v, To: sp.out}
	}
	var left []*ir.Var
	for _, c := range []byte(sp.cOrder) {
		left = append(left, mk.vars[c])
	}
	mk.s = &ir.Stmt{Target: mk.C, Index: left, Value: v}
	k.Stmts = []*ir.Stmt{mk.s}
	mk.k = k
	return mk
}

func TestMatch(t *testing.T) {
	f32 := ir.F32
	tests := []struct {
		sp      mmSpec
		ok      bool
		batch   int
		epi     bool
		aT, bT  bool // A's row stride / B's column stride is unit
		swapped bool
	}{
		{sp: mmSpec{acc: f32, elem: f32, out: f32, aOrder: "ik", bOrder: "kj", cOrder: "ij"}, ok: true},
		{sp: mmSpec{acc: f32, elem: f32, out: f32, aOrder: "ki", bOrder: "jk", cOrder: "ij"}, ok: true},
		{sp: mmSpec{acc: f32, elem: f32, out: f32, aOrder: "ik", bOrder: "kj", cOrder: "ji", swapMul: true}, ok: true, swapped: true},
		{sp: mmSpec{acc: ir.F64, elem: ir.F64, out: ir.F64, aOrder: "bik", bOrder: "bkj", cOrder: "bij"}, ok: true, batch: 1},
		{sp: mmSpec{acc: f32, elem: f32, out: f32, aOrder: "ik", bOrder: "kj", cOrder: "ij", epi: "biasrelu"}, ok: true, epi: true},
		{sp: mmSpec{acc: ir.I32, elem: ir.I8, out: ir.I32, aOrder: "ik", bOrder: "kj", cOrder: "ij"}, ok: true},
		{sp: mmSpec{acc: ir.I32, elem: ir.I8, out: ir.I8, aOrder: "ik", bOrder: "kj", cOrder: "ij"}, ok: true, epi: true},
	}
	for _, tt := range tests {
		mk := buildKernel(tt.sp)
		m, ok := Match(mk.k, mk.s)
		if ok != tt.ok {
			t.Errorf("%+v: Match = %v, want %v", tt.sp, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		wi, wj, wa, wb := mk.vars['i'], mk.vars['j'], mk.A, mk.B
		if tt.swapped {
			// Computed as C[j, i] = sum(k: B[k, j] * A[i, k]): B is the row operand.
			wi, wj, wa, wb = wj, wi, wb, wa
		}
		if m.I != wi || m.J != wj || m.K != mk.vars['k'] || len(m.Batch) != tt.batch {
			t.Errorf("%+v: wrong variables i=%v j=%v k=%v batch=%d", tt.sp, m.I.Name, m.J.Name, m.K.Name, len(m.Batch))
		}
		if m.A.Tensor != wa || m.B.Tensor != wb {
			t.Errorf("%+v: operands swapped", tt.sp)
		}
		if (m.Epilogue != nil) != tt.epi {
			t.Errorf("%+v: epilogue %v", tt.sp, m.Epilogue)
		}
		wantARowUnit := tt.sp.aOrder[len(tt.sp.aOrder)-1] == 'i'
		if !tt.swapped && (m.A.Row.IsUnit() != wantARowUnit || m.A.Col.IsUnit() == wantARowUnit) {
			t.Errorf("%+v: A strides row %v col %v", tt.sp, m.A.Row, m.A.Col)
		}
	}
}

func TestNoMatch(t *testing.T) {
	f32 := ir.F32
	base := mmSpec{acc: f32, elem: f32, out: f32, aOrder: "ik", bOrder: "kj", cOrder: "ij"}
	// Not a sum of a product: max reduction.
	mk := buildKernel(base)
	mk.s.Value.(*ir.Reduce).Op = ir.RMax
	if _, ok := Match(mk.k, mk.s); ok {
		t.Error("max reduction matched")
	}
	// A masked sum.
	mk = buildKernel(base)
	mk.s.Value.(*ir.Reduce).Where = &ir.Const{T: ir.BoolT, Int: 1}
	if _, ok := Match(mk.k, mk.s); ok {
		t.Error("masked sum matched")
	}
	// A subscript that is not a plain variable (A[i, k+1]).
	mk = buildKernel(base)
	body := mk.s.Value.(*ir.Reduce).Body.(*ir.Binary)
	r := body.X.(*ir.Read)
	r.Subs[1] = &ir.Binary{Op: ir.Add, X: r.Subs[1], Y: &ir.Const{T: ir.I64, Int: 1}, T: ir.I64}
	if m, ok := Match(mk.k, mk.s); !ok || m.A.Plain() {
		t.Error("shifted subscript: not a contraction with a general operand")
	}
	// Operand dimension different from the variable's extent without a check.
	mk = buildKernel(base)
	other := &ir.Size{Name: "K2", Index: len(mk.k.Sizes)}
	mk.k.Sizes = append(mk.k.Sizes, other)
	mk.B.Dims[0] = ir.SizeDim(other)
	if m, ok := Match(mk.k, mk.s); !ok || m.B.Plain() {
		t.Error("unchecked dimension mismatch: not a general operand (its reads may fall outside)")
	}
	mk.k.Checks = append(mk.k.Checks, ir.Agree{A: ir.SizeDim(mk.sizes['k']), B: ir.SizeDim(other)})
	if m, ok := Match(mk.k, mk.s); !ok || !m.B.Plain() {
		t.Error("checked dimension: not a plain operand")
	}
	// Elementwise product without reduction variable in both operands: A[i,k]*B[j,j]? use
	// a reduction over a variable only A reads.
	mk = buildKernel(mmSpec{acc: f32, elem: f32, out: f32, aOrder: "ik", bOrder: "j", cOrder: "ij"})
	if _, ok := Match(mk.k, mk.s); ok {
		t.Error("outer product with a one-sided reduction matched")
	}
}

var long = flag.Bool("long", false, "test every shape (slow)")

// smallCaches shrinks the caches so that small problems span several KC, MC and
// NC blocks.
func smallCaches(t loop.Target) loop.Target {
	t.L1, t.L2, t.L3 = 1<<10, 8<<10, 32<<10
	return t
}

type testData struct {
	sizes       []int64
	bt, m, n, k int
	a, b, bias  []float64 // values (integers for integer kernels)
	alpha       float64
}

// runLowered lowers mk for target t and evaluates it, returning C's values. The
// parallel range is run with the given chunking.
func runLowered(t *testing.T, mk *mmKernel, tgt loop.Target, d *testData, chunks func(int64) [][2]int64) []float64 {
	t.Helper()
	return runLoweredPlan(t, mk, tgt, d, chunks, nil)
}

// runLoweredPlan is runLowered with the template's plan (nil: the default).
func runLoweredPlan(t *testing.T, mk *mmKernel, tgt loop.Target, d *testData, chunks func(int64) [][2]int64, plan *Blocking) []float64 {
	t.Helper()
	m, ok := Match(mk.k, mk.s)
	if !ok {
		t.Fatal("no match")
	}
	env := newFakeEnv(mk.k, tgt)
	steps, err := Lower(m, env, plan)
	if err != nil {
		t.Fatal(err)
	}
	lk := env.k
	lk.Steps = steps
	for _, s := range steps {
		lk.Funcs = append(lk.Funcs, s.Func)
	}
	if err := loop.Verify(lk); err != nil && !onlyDotU8S8(err) {
		t.Fatalf("loop.Verify: %v", err)
	}
	vals := map[*ir.Tensor][]float64{mk.A: d.a, mk.B: d.b}
	if mk.bias != nil {
		vals[mk.bias] = d.bias
	}
	var args []any
	for _, p := range mk.k.Params {
		if p.Kind == ir.Scalar {
			args = append(args, scalarArg(t, p, d.alpha))
			continue
		}
		args = append(args, encode(t, p.Type, vals[p]))
	}
	out := make([]float64, d.bt*d.m*d.n)
	for i := range out {
		out[i] = -12345 // must be overwritten
	}
	cArg := encode(t, mk.C.Type, out)
	args = append(args, cArg)
	for _, s := range mk.k.Sizes {
		switch s.Name {
		case "M":
			args = append(args, d.m)
		case "N":
			args = append(args, d.n)
		case "K":
			args = append(args, d.k)
		case "Bt":
			args = append(args, d.bt)
		}
	}
	if err := loopeval.Run(lk, args, loopeval.Options{Chunks: chunks, MaxSteps: 1 << 34}); err != nil {
		t.Fatal(err)
	}
	f, i, err := loopeval.Decode(mk.C.Type, cArg, len(out))
	if err != nil {
		t.Fatal(err)
	}
	res := make([]float64, len(out))
	for x := range res {
		if mk.C.Type.IsFloat() {
			res[x] = f[x]
		} else {
			res[x] = float64(i[x])
		}
	}
	return res
}

// encode returns vals as a buffer of element type typ.
func encode(t *testing.T, typ ir.DType, vals []float64) any {
	t.Helper()
	s, err := loopeval.Encode(typ, vals)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// scalarArg returns the value v as the Go value of scalar parameter p.
func scalarArg(t *testing.T, p *ir.Tensor, v float64) any {
	t.Helper()
	switch p.Type {
	case ir.F32:
		return float32(v)
	case ir.F64:
		return v
	case ir.I32:
		return int32(v)
	case ir.I64:
		return int64(v)
	}
	t.Fatalf("scalar %s of type %v", p.Name, p.Type)
	return nil
}

func oneChunk(n int64) [][2]int64 { return [][2]int64{{0, n}} }

// singleChunks splits [0, n) into chunks of one, last first (to catch
// dependences between chunks).
func singleChunks(n int64) [][2]int64 {
	var c [][2]int64
	for i := n - 1; i >= 0; i-- {
		c = append(c, [2]int64{i, i + 1})
	}
	return c
}

// index returns the row-major offset of the point with coordinates c (by letter)
// in a tensor with the given order and extents.
func index(order string, c map[byte]int, ext map[byte]int) int {
	off := 0
	for _, x := range []byte(order) {
		off = off*ext[x] + c[x]
	}
	return off
}

// reference computes C with gonum (floats) or exact integer arithmetic, then the
// epilogue in float64.
func reference(sp mmSpec, d *testData) []float64 {
	ext := map[byte]int{'b': d.bt, 'i': d.m, 'j': d.n, 'k': d.k}
	out := make([]float64, d.bt*d.m*d.n)
	for b := 0; b < d.bt; b++ {
		// Canonical row-major copies.
		prod := make([]float64, d.m*d.n)
		switch sp.acc {
		case ir.F32:
			A := make([]float32, d.m*d.k)
			B := make([]float32, d.k*d.n)
			for i := 0; i < d.m; i++ {
				for k := 0; k < d.k; k++ {
					A[i*d.k+k] = float32(d.a[index(sp.aOrder, map[byte]int{'b': b, 'i': i, 'k': k}, ext)])
				}
			}
			for k := 0; k < d.k; k++ {
				for j := 0; j < d.n; j++ {
					B[k*d.n+j] = float32(d.b[index(sp.bOrder, map[byte]int{'b': b, 'k': k, 'j': j}, ext)])
				}
			}
			C := make([]float32, d.m*d.n)
			if d.m > 0 && d.n > 0 && d.k > 0 {
				blas32.Gemm(blas.NoTrans, blas.NoTrans, 1,
					blas32.General{Rows: d.m, Cols: d.k, Stride: max(d.k, 1), Data: A},
					blas32.General{Rows: d.k, Cols: d.n, Stride: max(d.n, 1), Data: B},
					0, blas32.General{Rows: d.m, Cols: d.n, Stride: max(d.n, 1), Data: C})
			}
			for i := range C {
				prod[i] = float64(C[i])
			}
		case ir.F64:
			A := make([]float64, d.m*d.k)
			B := make([]float64, d.k*d.n)
			for i := 0; i < d.m; i++ {
				for k := 0; k < d.k; k++ {
					A[i*d.k+k] = d.a[index(sp.aOrder, map[byte]int{'b': b, 'i': i, 'k': k}, ext)]
				}
			}
			for k := 0; k < d.k; k++ {
				for j := 0; j < d.n; j++ {
					B[k*d.n+j] = d.b[index(sp.bOrder, map[byte]int{'b': b, 'k': k, 'j': j}, ext)]
				}
			}
			if d.m > 0 && d.n > 0 && d.k > 0 {
				blas64.Gemm(blas.NoTrans, blas.NoTrans, 1,
					blas64.General{Rows: d.m, Cols: d.k, Stride: max(d.k, 1), Data: A},
					blas64.General{Rows: d.k, Cols: d.n, Stride: max(d.n, 1), Data: B},
					0, blas64.General{Rows: d.m, Cols: d.n, Stride: max(d.n, 1), Data: prod})
			}
		default:
			for i := 0; i < d.m; i++ {
				for j := 0; j < d.n; j++ {
					var s int32
					for k := 0; k < d.k; k++ {
						s += int32(d.a[index(sp.aOrder, map[byte]int{'b': b, 'i': i, 'k': k}, ext)]) *
							int32(d.b[index(sp.bOrder, map[byte]int{'b': b, 'k': k, 'j': j}, ext)])
					}
					prod[i*d.n+j] = float64(s)
				}
			}
		}
		for i := 0; i < d.m; i++ {
			for j := 0; j < d.n; j++ {
				v := prod[i*d.n+j]
				switch sp.epi {
				case "bias":
					v += d.bias[j]
				case "rowbias":
					v += d.bias[i]
				case "relu":
					v = math.Max(v, 0)
				case "biasrelu":
					v = math.Max(v+d.bias[j], 0)
				case "scale":
					v *= d.alpha
				}
				if sp.out.IsInteger() && sp.out != sp.acc {
					v = float64(rt.F64ToInt(v, sp.out.Bits, sp.out.Class == ir.Int))
				}
				out[index(sp.cOrder, map[byte]int{'b': b, 'i': i, 'j': j}, ext)] = v
			}
		}
	}
	return out
}

func randData(rng *rand.Rand, sp mmSpec, bt, m, n, k int) *testData {
	d := &testData{bt: bt, m: m, n: n, k: k, alpha: 0.75}
	gen := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			if sp.elem.IsInteger() {
				v[i] = float64(rng.Intn(256) - 128)
			} else if sp.elem == ir.F32 {
				v[i] = float64(float32(rng.Float64()*2 - 1))
			} else {
				v[i] = rng.Float64()*2 - 1
			}
		}
		return v
	}
	d.a = gen(bt * m * k)
	d.b = gen(bt * k * n)
	d.bias = gen(max(m, n))
	return d
}

func checkClose(t *testing.T, what string, sp mmSpec, got, want []float64) {
	t.Helper()
	scale := 0.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(w))
	}
	tol := 1e-4 * (1 + scale)
	switch {
	case sp.out == ir.F64 && sp.acc == ir.F64:
		tol = 1e-10 * (1 + scale)
	case sp.out.IsInteger():
		tol = 0
	}
	for i := range want {
		if !(math.Abs(got[i]-want[i]) <= tol) {
			t.Fatalf("%s: element %d = %v, want %v (tol %g)", what, i, got[i], want[i], tol)
		}
	}
}

var targets = []loop.Target{smallCaches(loop.TargetGo), smallCaches(loop.TargetAVX2), smallCaches(loop.TargetAVX512), smallCaches(loop.TargetAVX512VNNI)}

func TestGEMMShapes(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	dims := []int{1, 2, 3, 7, 13, 17, 31, 64, 100, 257}
	keep, maxDim := 8, 100 // keep about one in keep of the shapes
	switch {
	case *long:
		keep, maxDim = 1, 1000
	case testing.Short():
		keep, maxDim = 12, 64
	}
	sp := mmSpec{acc: ir.F32, elem: ir.F32, out: ir.F32, aOrder: "ik", bOrder: "kj", cOrder: "ij"}
	for _, tgt := range targets {
		n := 0
		for _, M := range dims {
			for _, N := range dims {
				for _, K := range dims {
					// Shapes with at most one large extent (all with -long).
					big := b2i(M >= 64) + b2i(N >= 64) + b2i(K >= 64)
					if M > maxDim || N > maxDim || K > maxDim {
						continue
					}
					if big > 1 || big == 1 && rng.Intn(keep+1) != 0 || big == 0 && rng.Intn(keep) != 0 {
						continue
					}
					n++
					name := fmt.Sprintf("%s/%dx%dx%d", tgt.Name, M, N, K)
					d := randData(rng, sp, 1, M, N, K)
					got := runLowered(t, buildKernel(sp), tgt, d, oneChunk)
					checkClose(t, name, sp, got, reference(sp, d))
				}
			}
		}
		t.Logf("%s: %d shapes", tgt.Name, n)
	}
	if !*long {
		return
	}
	// A few large problems on the scalar target.
	for _, s := range [][3]int{{257, 100, 64}, {100, 257, 31}, {64, 64, 257}} {
		d := randData(rng, sp, 1, s[0], s[1], s[2])
		got := runLowered(t, buildKernel(sp), targets[0], d, oneChunk)
		checkClose(t, fmt.Sprint(s), sp, got, reference(sp, d))
	}
}

func TestGEMMVariants(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	f32, f64, i32, i8 := ir.F32, ir.F64, ir.I32, ir.I8
	specs := []mmSpec{
		{acc: f32, elem: f32, out: f32, aOrder: "ki", bOrder: "kj", cOrder: "ij"},
		{acc: f32, elem: f32, out: f32, aOrder: "ik", bOrder: "jk", cOrder: "ij"},
		{acc: f32, elem: f32, out: f32, aOrder: "ki", bOrder: "jk", cOrder: "ji"},
		{acc: f32, elem: f32, out: f32, aOrder: "ik", bOrder: "kj", cOrder: "ij", swapMul: true},
		{acc: f64, elem: f64, out: f64, aOrder: "ik", bOrder: "kj", cOrder: "ij"},
		{acc: f64, elem: f64, out: f64, aOrder: "bik", bOrder: "bkj", cOrder: "bij"},
		{acc: f32, elem: f32, out: f32, aOrder: "ibk", bOrder: "kbj", cOrder: "ibj"},
		{acc: f32, elem: f32, out: f32, aOrder: "bik", bOrder: "bkj", cOrder: "ijb"},
		{acc: f32, elem: f32, out: f32, aOrder: "ik", bOrder: "kj", cOrder: "ij", epi: "bias"},
		{acc: f32, elem: f32, out: f32, aOrder: "ik", bOrder: "kj", cOrder: "ij", epi: "rowbias"},
		{acc: f32, elem: f32, out: f32, aOrder: "ik", bOrder: "kj", cOrder: "ji", epi: "biasrelu"},
		{acc: f32, elem: f32, out: f32, aOrder: "bik", bOrder: "bkj", cOrder: "bij", epi: "relu"},
		{acc: f32, elem: f32, out: f32, aOrder: "ik", bOrder: "kj", cOrder: "ij", epi: "scale"},
		{acc: f32, elem: f32, out: f64, aOrder: "ik", bOrder: "kj", cOrder: "ij"},
		{acc: i32, elem: i8, out: i32, aOrder: "ik", bOrder: "kj", cOrder: "ij"},
		{acc: i32, elem: i8, out: i32, aOrder: "bki", bOrder: "bjk", cOrder: "bij"},
		{acc: i32, elem: i8, out: i8, aOrder: "ik", bOrder: "kj", cOrder: "ij"},
		{acc: i32, elem: i32, out: i32, aOrder: "ik", bOrder: "kj", cOrder: "ij", epi: "bias"},
	}
	shapes := [][4]int{{1, 1, 1, 1}, {2, 7, 13, 17}, {2, 13, 40, 0}, {1, 0, 5, 3}, {3, 17, 31, 3}, {1, 31, 5, 64}, {2, 33, 17, 70}}
	switch {
	case testing.Short():
		shapes = shapes[:4]
	case !*long:
		shapes = shapes[:5]
	}
	for si, sp := range specs {
		for _, tgt := range targets {
			for _, sh := range shapes {
				bt := sh[0]
				if !strings.Contains(sp.cOrder, "b") {
					bt = 1
				}
				name := fmt.Sprintf("spec%d/%s/%v", si, tgt.Name, sh)
				d := randData(rng, sp, bt, sh[1], sh[2], sh[3])
				mk := buildKernel(sp)
				got := runLowered(t, mk, tgt, d, oneChunk)
				checkClose(t, name, sp, got, reference(sp, d))
				if !*long && sh[1]*sh[2]*sh[3] > 2000 {
					continue
				}
				// Bit-identical whatever the chunking of the parallel range.
				got2 := runLowered(t, buildKernel(sp), tgt, d, singleChunks)
				for i := range got {
					if math.Float64bits(got[i]) != math.Float64bits(got2[i]) {
						t.Fatalf("%s: chunking changes element %d: %v vs %v", name, i, got[i], got2[i])
					}
				}
			}
		}
	}
}

func TestChoose(t *testing.T) {
	for _, tc := range []struct {
		t          loop.Target
		acc        ir.DType
		mr, nr, ln int
	}{
		{loop.TargetGo, ir.F32, 3, 3, 1},
		{loop.Target{Name: "go", VectorRegs: 32}, ir.F32, 4, 4, 1},
		{loop.TargetAVX2, ir.F32, 6, 16, 8},
		{loop.TargetAVX512, ir.F32, 12, 32, 16},
		{loop.TargetAVX512, ir.F64, 12, 16, 8},
	} {
		b := Choose(tc.t, tc.acc)
		if b.MR != tc.mr || b.NR != tc.nr || b.Lanes != tc.ln {
			t.Errorf("%s %v: %+v", tc.t.Name, tc.acc, b)
		}
		regs := b.MR*b.NR/b.Lanes + b.NR/b.Lanes + 1
		if regs > tc.t.VectorRegs {
			t.Errorf("%s: %d registers live", tc.t.Name, regs)
		}
		esize := tc.acc.Bits / 8
		l1, l2, l3 := tc.t.L1, tc.t.L2, tc.t.L3
		if l1 == 0 {
			l1, l2, l3 = 32<<10, 1<<20, 8<<20
		}
		// The AVX-512 tile lets the A sliver stream past an L1 filled by the
		// B sliver (see Choose).
		sliver := (b.MR + b.NR) * b.KC * esize
		if tc.t.VectorRegs >= 32 && b.Lanes > 1 {
			sliver = b.NR * b.KC * esize
		}
		if sliver > l1 || b.MC*b.KC*esize > l2 || b.KC*b.NC*esize > l3 {
			t.Errorf("%s: blocks %+v exceed the caches", tc.t.Name, b)
		}
		if b.MC%b.MR != 0 || b.NC%b.NR != 0 {
			t.Errorf("%s: blocks %+v not multiples of the tile", tc.t.Name, b)
		}
	}
}

// onlyDotU8S8 reports whether every problem loop.Verify found is its not (yet)
// knowing loop.DotU8S8.
func onlyDotU8S8(err error) bool {
	for _, line := range strings.Split(err.Error(), "\n") {
		if strings.HasPrefix(line, "loop: kernel") {
			line = line[strings.Index(line, ": ")+2:]
			line = line[strings.Index(line, ": ")+2:]
		}
		if !strings.Contains(line, fmt.Sprintf("unknown function %d", loop.DotU8S8)) {
			return false
		}
	}
	return true
}

func usesDot(k *loop.Kernel) bool {
	found := false
	var walk func(ss []loop.Stmt)
	var expr func(e loop.Expr)
	expr = func(e loop.Expr) {
		switch e := e.(type) {
		case *loop.Call:
			if e.Fn == loop.DotU8S8 {
				found = true
			}
		case *loop.Bin:
			expr(e.X)
			expr(e.Y)
		}
	}
	walk = func(ss []loop.Stmt) {
		for _, s := range ss {
			switch s := s.(type) {
			case *loop.For:
				walk(s.Body)
			case *loop.If:
				walk(s.Then)
				walk(s.Else)
			case *loop.Assign:
				expr(s.Value)
			}
		}
	}
	for _, f := range k.Funcs {
		walk(f.Body)
	}
	return found
}

func TestGEMMVNNI(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	i32, i8 := ir.I32, ir.I8
	specs := []mmSpec{
		{acc: i32, elem: i8, out: i32, aOrder: "ik", bOrder: "kj", cOrder: "ij"},
		{acc: i32, elem: i8, out: i32, aOrder: "bki", bOrder: "bjk", cOrder: "bij", epi: "bias"},
		{acc: i32, elem: i8, out: i8, aOrder: "ik", bOrder: "kj", cOrder: "ij"},
	}
	shapes := [][4]int{{1, 1, 1, 1}, {2, 7, 13, 17}, {1, 13, 40, 0}, {1, 17, 33, 5}, {2, 31, 5, 64}}
	for si, sp := range specs {
		for _, tgt := range []loop.Target{smallCaches(loop.TargetAVX512VNNI)} {
			mk := buildKernel(sp)
			m, _ := Match(mk.k, mk.s)
			env := newFakeEnv(mk.k, tgt)
			steps, err := Lower(m, env, nil)
			if err != nil {
				t.Fatal(err)
			}
			env.k.Steps = steps
			for _, s := range steps {
				env.k.Funcs = append(env.k.Funcs, s.Func)
			}
			if !usesDot(env.k) {
				t.Fatalf("spec%d: VNNI lowering not used", si)
			}
			for _, sh := range shapes {
				bt := sh[0]
				if !strings.Contains(sp.cOrder, "b") {
					bt = 1
				}
				d := randData(rng, sp, bt, sh[1], sh[2], sh[3])
				got := runLowered(t, buildKernel(sp), tgt, d, oneChunk)
				checkClose(t, fmt.Sprintf("vnni spec%d %v", si, sh), sp, got, reference(sp, d))
			}
		}
	}
	// u8 x i8 needs no bias correction.
	sp := mmSpec{acc: i32, elem: i8, out: i32, aOrder: "ik", bOrder: "kj", cOrder: "ij"}
	mk := buildKernel(sp)
	mk.A.Type = ir.U8
	d := randData(rng, sp, 1, 9, 37, 11)
	for i := range d.a {
		d.a[i] += 128
	}
	got := runLowered(t, mk, smallCaches(loop.TargetAVX512), d, oneChunk)
	checkClose(t, "u8 x i8", sp, got, reference(sp, d))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestGEMMPlanSpace sweeps a small space of template plans exhaustively
// (register tiles, depths, cache blocks, direct reads of A and B, packing in
// the loop, the GEMV paths)
// for the vector and the scalar targets: every plan in it is valid and
// computes the product, for shapes that exercise edge tiles, several
// blocks and the GEMV shapes.
func TestGEMMPlanSpace(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	sp := mmSpec{acc: ir.F32, elem: ir.F32, out: ir.F32, aOrder: "ik", bOrder: "kj", cOrder: "ij", epi: "bias"}
	spaces := []struct {
		tgt   loop.Target
		space schedule.GEMMSpace
	}{
		{loop.TargetAVX512, schedule.GEMMSpace{Lanes: 16, VectorRegs: 32, MR: []int{1, 5, 12}, NV: []int{1, 2}, KC: []int{8, 40},
			MCTiles: []int{1, 3}, NCPanels: []int{1, 2}, DirectMaxM: []int{0, 4}, GEMV: []bool{false, true}, BInLoop: []bool{true}, AInLoop: []bool{true}, MRTail: []int{4}, DirectA: []int{0, 1 << 14}}},
		{loop.TargetAVX2, schedule.GEMMSpace{Lanes: 8, VectorRegs: 16, MR: []int{2, 6}, NV: []int{1, 2}, KC: []int{16},
			MCTiles: []int{2}, NCPanels: []int{1}, DirectMaxM: []int{0, 4}, GEMV: []bool{true}, BInLoop: []bool{false, true}, AInLoop: []bool{false, true}, MRTail: []int{0, 2}, PrefetchB: []int{3}, DirectA: []int{0, 1 << 14}}},
		{loop.TargetGo, schedule.GEMMSpace{Lanes: 1, MR: []int{1, 3, 4}, NV: []int{2, 3}, KC: []int{8, 33},
			MCTiles: []int{1, 2}, NCPanels: []int{1, 3}, DirectMaxM: []int{4}, GEMV: []bool{false}}},
	}
	shapes := [][3]int{{1, 37, 21}, {23, 1, 9}, {29, 45, 50}, {3, 70, 17}, {21, 30, 16}}
	if testing.Short() {
		shapes = shapes[2:3]
	}
	for _, s := range spaces {
		plans := s.space.Plans()
		if len(plans) == 0 {
			t.Fatalf("%s: an empty space", s.tgt.Name)
		}
		for _, plan := range plans {
			for _, sh := range shapes {
				d := randData(rng, sp, 1, sh[0], sh[1], sh[2])
				got := runLoweredPlan(t, buildKernel(sp), s.tgt, d, oneChunk, &plan)
				checkClose(t, fmt.Sprintf("%s %+v %v", s.tgt.Name, plan, sh), sp, got, reference(sp, d))
			}
		}
		t.Logf("%s: %d plans, each correct on %d shapes", s.tgt.Name, len(plans), len(shapes))
	}
}
