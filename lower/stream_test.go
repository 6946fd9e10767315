package lower

import (
	"testing"

	. "github.com/tensorcc/tcc/internal/irbuild"
	"github.com/tensorcc/tcc/internal/loopeval"
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// walkStores calls fn for every Store in ss, with the Assigns seen so far.
func walkStores(ss []loop.Stmt, assigns map[*loop.Var]loop.Expr, fn func(*loop.Store)) {
	for _, s := range ss {
		switch s := s.(type) {
		case *loop.Store:
			fn(s)
		case *loop.Assign:
			assigns[s.Dst] = s.Value
		case *loop.For:
			walkStores(s.Body, assigns, fn)
		case *loop.If:
			walkStores(s.Then, assigns, fn)
			walkStores(s.Else, assigns, fn)
		}
	}
}

// evalSizes evaluates the size-only expression e with the kernel's sizes set.
func evalSizes(t *testing.T, k *loop.Kernel, e loop.Expr, sizes []int64) int64 {
	t.Helper()
	n, err := loopeval.EvalInt(k, e, sizes)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// streamKernel has a large-output softmax (a scratch intermediate and a
// vectorised output), a row sum (scalar stores), an f16 conversion and a packed
// output.
func streamKernel() *ir.Kernel {
	b := New("Stream")
	M, N := b.Size("M"), b.Size("N")
	x := b.In("X", ir.F32, ir.SizeDim(M), ir.SizeDim(N))
	y := b.Out("Y", ir.F32, ir.SizeDim(M), ir.SizeDim(N))
	rs := b.Out("RS", ir.F32, ir.SizeDim(M))
	h := b.Out("H", ir.F16, ir.SizeDim(M), ir.SizeDim(N))
	p := b.Out("P", ir.UintType(4), ir.SizeDim(M), ir.SizeDim(N))
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
	i, j = Var("i", ir.SizeDim(M)), Var("j", ir.SizeDim(N))
	b.Stmt(rs, Vars(i), Sum(Vars(j), Read(x, Idx(i), Idx(j))))
	i, j = Var("i", ir.SizeDim(M)), Var("j", ir.SizeDim(N))
	b.Stmt(h, Vars(i, j), Cast(Read(x, Idx(i), Idx(j)), ir.F16))
	i, j = Var("i", ir.SizeDim(M)), Var("j", ir.SizeDim(N))
	b.Stmt(p, Vars(i, j), Cast(CallFn(ir.Clamp, Read(x, Idx(i), Idx(j)), FConst(ir.F32, 0), FConst(ir.F32, 15)), ir.UintType(4)))
	return b.K
}

func TestStreamingStores(t *testing.T) {
	k := streamKernel()
	check(t, k, []int{3, 37}, []int{2, 16}, []int{0, 5})
	type sizes struct {
		m, n int64
	}
	for _, tg := range []loop.Target{loop.TargetAVX512, loop.TargetAVX2, loop.TargetGo} {
		t.Run(tg.Name, func(t *testing.T) {
			lk, err := Lower(k, tg, nil)
			if err != nil {
				t.Fatal(err)
			}
			streamed := map[string]int{}
			for _, f := range lk.Funcs {
				assigns := map[*loop.Var]loop.Expr{}
				walkStores(f.Body, assigns, func(s *loop.Store) {
					full := s.Value.Type().IsVector() && s.Count == nil
					wantStream := tg.VectorBits > 0 && full && (s.Buf.Name == "Y" || s.Buf.Name == "H")
					if (s.Stream != nil) != wantStream {
						t.Errorf("func %s: store to %s (lanes %d, count %v): stream %v, want %v\n%s",
							f.Name, s.Buf.Name, s.Value.Type().Lanes, s.Count != nil, s.Stream != nil, wantStream, lk)
						return
					}
					if s.Stream == nil {
						return
					}
					streamed[s.Buf.Name]++
					r, ok := s.Stream.(*loop.Ref)
					if !ok || assigns[r.Var] == nil {
						t.Errorf("func %s: stream flag %s is not a local assigned before the loop", f.Name, loop.ExprString(s.Stream))
						return
					}
					cond := assigns[r.Var]
					es := int64(s.Buf.Elem.Bits / 8)
					lanes := int64(s.Value.Type().Lanes)
					thr := int64(tg.L3 / 2)
					for _, sz := range []sizes{{0, 0}, {1, 16}, {64, 64}, {4096, 4096}, {1 << 20, 17}, {1 << 20, 32},
						{1 << 20, 600}, {1 << 14, 1 << 14}, {1, 1 << 24}, {thr / es / 64, 64}, {thr/es/64 + 1, 64}} {
						want := sz.m*sz.n*es > thr && (sz.n%lanes == 0 || sz.n*es >= 2048)
						if got := evalSizes(t, lk, cond, []int64{sz.m, sz.n}) != 0; got != want {
							t.Errorf("func %s: store to %s: stream at M=%d N=%d is %v, want %v", f.Name, s.Buf.Name, sz.m, sz.n, got, want)
						}
					}
				})
			}
			if tg.VectorBits > 0 && (streamed["Y"] == 0 || streamed["H"] == 0) {
				t.Errorf("no streaming stores to Y and H: %v\n%s", streamed, lk)
			}
		})
	}
}
