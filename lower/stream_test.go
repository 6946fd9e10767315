package lower

import (
	"testing"

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
func evalSizes(k *loop.Kernel, e loop.Expr, sizes []int64) int64 {
	m := &machine{k: k, vars: map[*loop.Var]val{}}
	for i, v := range k.Sizes {
		m.vars[v] = val{i: []int64{sizes[i]}}
	}
	return m.eval(e).i[0]
}

// streamKernel has a large-output softmax (a scratch intermediate and a
// vectorised output), a row sum (scalar stores), an f16 conversion and a packed
// output.
func streamKernel() *ir.Kernel {
	b := newKernel("Stream")
	M, N := b.size("M"), b.size("N")
	x := b.in("X", ir.F32, sd(M), sd(N))
	y := b.out("Y", ir.F32, sd(M), sd(N))
	rs := b.out("RS", ir.F32, sd(M))
	h := b.out("H", ir.F16, sd(M), sd(N))
	p := b.out("P", ir.UintType(4), sd(M), sd(N))
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
	i, j = vr("i", sd(M)), vr("j", sd(N))
	b.stmt(rs, vars(i), sum(vars(j), rd(x, ix(i), ix(j))))
	i, j = vr("i", sd(M)), vr("j", sd(N))
	b.stmt(h, vars(i, j), cast(rd(x, ix(i), ix(j)), ir.F16))
	i, j = vr("i", sd(M)), vr("j", sd(N))
	b.stmt(p, vars(i, j), cast(call(ir.Clamp, rd(x, ix(i), ix(j)), fc(ir.F32, 0), fc(ir.F32, 15)), ir.UintType(4)))
	return b.k
}

func TestStreamingStores(t *testing.T) {
	k := streamKernel()
	check(t, k, []int{3, 37}, []int{2, 16}, []int{0, 5})
	type sizes struct {
		m, n int64
	}
	for _, tg := range []loop.Target{loop.TargetAVX512, loop.TargetAVX2, loop.TargetGo} {
		t.Run(tg.Name, func(t *testing.T) {
			lk, err := Lower(k, tg)
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
						if got := evalSizes(lk, cond, []int64{sz.m, sz.n}) != 0; got != want {
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
