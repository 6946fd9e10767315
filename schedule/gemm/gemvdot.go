package gemm

import (
	"fmt"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// dotRows is the number of output elements (rows of the matrix) gemvDot
// computes together: that many contiguous rows are read at once, each into its
// own vector accumulator.
const dotRows = 4

// dotArgs describe a matrix-vector product computed as dot products of
// contiguous rows: out[i] = sum over k of W[wBase + i*ws + k] * V[vBase + k]
// for i in [i0, i0+n), stored at C[cBase + i*cs] through the epilogue with
// the output's row and column given by at(i).
type dotArgs struct {
	w, v         *loop.Buf
	wBase, ws    loop.Expr
	vBase        loop.Expr
	cBase, cs    loop.Expr
	i0, n, K     loop.Expr
	at           func(i loop.Expr) (row, col loop.Expr)
	bind         map[*ir.Var]loop.Expr
	vecW, scalar loop.Type
}

// gemvDot returns the statements of one block of a dot-product GEMV (the
// transposed GEMV y[n] = sum_k B[n, k] x[k], and y[m] = sum_k A[m, k] x[k]):
// dotRows rows of the matrix are read together, contiguously, with whole
// vectors along k into one vector accumulator each (the last piece of a row
// with a lane count), and each accumulator is folded with HReduce. The order
// of the k terms depends only on K, never on the split into blocks.
func (lw *lowering) gemvDot(a dotArgs) ([]loop.Stmt, error) {
	L := int64(lw.bl.Lanes)
	vt, st := a.vecW, a.scalar
	useFMA := lw.t.FMA && lw.acc.IsFloat()
	pass := func(rows int64, i loop.Expr) ([]loop.Stmt, error) {
		var ss []loop.Stmt
		acc := make([]*loop.Var, rows)
		pw := make([]*loop.Var, rows)
		for r := range acc {
			acc[r] = lw.newVar(fmt.Sprintf("da%d", r), vt)
			pw[r] = lw.scalarVar(fmt.Sprintf("dpw%d", r))
			ss = append(ss, assign(acc[r], &loop.Const{T: vt}),
				assign(pw[r], add(a.wBase, mul(add(add(a.i0, i), i64(int64(r))), a.ws))))
		}
		pv := lw.scalarVar("dpv")
		ss = append(ss, assign(pv, a.vBase))
		body := func(count loop.Expr) []loop.Stmt {
			var b []loop.Stmt
			x := &loop.Load{Buf: a.v, Index: ref(pv), T: vt, Count: count}
			xv := lw.newVar("dx", vt)
			b = append(b, assign(xv, x))
			for r := range acc {
				w := &loop.Load{Buf: a.w, Index: ref(pw[r]), T: vt, Count: count}
				var e loop.Expr
				if useFMA {
					e = &loop.Call{Fn: loop.FMA, Args: []loop.Expr{w, ref(xv), ref(acc[r])}, T: vt}
				} else {
					e = &loop.Bin{Op: ir.Add, X: ref(acc[r]), Y: &loop.Bin{Op: ir.Mul, X: w, Y: ref(xv), T: vt}, T: vt}
				}
				b = append(b, assign(acc[r], e), assign(pw[r], add(ref(pw[r]), i64(L))))
			}
			return append(b, assign(pv, add(ref(pv), i64(L))))
		}
		vk, vk2 := lw.loopVar("dk"), lw.loopVar("dk")
		main := forLoop(vk, i64(0), sub(a.K, i64(L-1)), L, body(nil)...)
		main.Unroll = 2
		ss = append(ss, main)
		lo := mul(div(a.K, i64(L)), i64(L))
		ss = append(ss, forLoop(vk2, lo, a.K, L, body(sub(a.K, ref(vk2)))...))
		for r := range acc {
			gi := add(add(a.i0, i), i64(int64(r)))
			var val loop.Expr = &loop.HReduce{Op: ir.RSum, X: ref(acc[r]), T: st}
			if lw.m.Epilogue != nil {
				b := copyBind(a.bind)
				r, c := a.at(gi)
				lw.bindGroup(b, lw.rowGroup, r)
				lw.bindGroup(b, lw.colGroup, c)
				b[lw.m.AccVar] = val
				e, err := lw.env.Expr(lw.m.Epilogue, b, 1)
				if err != nil {
					return nil, fmt.Errorf("gemm: %s: epilogue: %w", lw.m.C.Name, err)
				}
				val = e
			}
			ss = append(ss, &loop.Store{Buf: lw.cBuf, Index: add(a.cBase, mul(gi, a.cs)), Value: val})
		}
		return ss, nil
	}
	vi, vi1 := lw.loopVar("di"), lw.loopVar("di")
	many, err := pass(dotRows, ref(vi))
	if err != nil {
		return nil, err
	}
	one, err := pass(1, ref(vi1))
	if err != nil {
		return nil, err
	}
	return []loop.Stmt{
		forLoop(vi, i64(0), sub(a.n, i64(dotRows-1)), dotRows, many...),
		forLoop(vi1, mul(div(a.n, i64(dotRows)), i64(dotRows)), a.n, 1, one...),
	}, nil
}
