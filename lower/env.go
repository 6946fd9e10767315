package lower

import (
	"errors"
	"fmt"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
	"github.com/tensorcc/tcc/schedule"
	"github.com/tensorcc/tcc/schedule/gemm"
)

// gemmStmt lowers s with the GEMM template when its unit of the plan asks
// for it; it returns nil steps when s is left to the default schedule.
func (l *lowerer) gemmStmt(s *ir.Stmt, i int) ([]*loop.Step, error) {
	u := l.unitOf(i)
	if u == nil || u.GEMM == nil {
		return nil, nil
	}
	m, ok := gemm.Match(l.k, s)
	if !ok {
		return nil, fmt.Errorf("%s: statement %d is not a contraction", s.Pos, i)
	}
	env := &env{l: l, stmt: s, prefix: fmt.Sprintf("s%d", i)}
	nScratch := len(l.out.Scratch)
	steps, err := gemm.Lower(m, env, u.GEMM)
	if err == nil && len(steps) == 0 {
		err = errors.New("it produced no steps")
	}
	if err != nil {
		// The default schedule computes every statement: a GEMM that the
		// GEMM template cannot handle is slower, never rejected.
		l.out.Scratch = l.out.Scratch[:nScratch]
		l.out.Notes = append(l.out.Notes, fmt.Sprintf("%s: the GEMM schedule failed for %s (%v); the default schedule computes it", s.Pos, s.Target.Name, err))
		return nil, nil
	}
	for _, st := range steps {
		st.ChunkWork = u.ChunkWork
		if !u.Parallel && st.Parallel {
			st.Grain = 1 << 30 // one chunk: the runtime runs it serially
		}
	}
	return steps, nil
}

// env implements gemm.Env for one statement.
type env struct {
	l      *lowerer
	stmt   *ir.Stmt
	prefix string
}

var _ gemm.Env = (*env)(nil)

// Target implements gemm.Env.
func (e *env) Target() loop.Target { return e.l.t }

// Buf implements gemm.Env.
func (e *env) Buf(t *ir.Tensor) *loop.Buf { return e.l.bufs[t] }

// Size implements gemm.Env.
func (e *env) Size(s *ir.Size) *loop.Var { return e.l.sizes[s] }

// Dim implements gemm.Env. An invalid dimension yields the constant 0.
func (e *env) Dim(d ir.Dim) loop.Expr {
	x, err := e.l.dimExpr(d)
	if err != nil {
		return loop.I64(0)
	}
	return x
}

// NewScratch implements gemm.Env.
func (e *env) NewScratch(name string, elem ir.DType, n loop.Expr) *loop.Buf {
	b := &loop.Buf{Name: e.l.kernelName(e.prefix + "_" + name), Elem: elem, Kind: loop.ScratchBuf, Len: n}
	e.l.out.Scratch = append(e.l.out.Scratch, b)
	return b
}

// Expr implements gemm.Env. Bindings of type Int64 scalar are index values; any
// other binding is a value (the accumulator placeholder). With lanes > 1 the
// vector runs along the statement's last left-side index: its binding is the
// value of lane 0 and lane i stands for that value plus i, so reads contiguous
// along it become full-width vector loads (ExprCount gives masked ones); every
// other index binding is the same in all lanes. Reductions are not supported.
func (e *env) Expr(x ir.Expr, bind map[*ir.Var]loop.Expr, lanes int) (loop.Expr, error) {
	return e.ExprCount(x, bind, lanes, nil)
}

// ExprCount is Expr with vector loads limited to the first count lanes (a tail);
// count nil means full vectors.
func (e *env) ExprCount(x ir.Expr, bind map[*ir.Var]loop.Expr, lanes int, count loop.Expr) (loop.Expr, error) {
	var laneVar *ir.Var
	if n := len(e.stmt.Index); n > 0 && lanes > 1 {
		laneVar = e.stmt.Index[n-1]
	}
	return e.ExprAlong(x, bind, laneVar, lanes, count)
}

// ExprAlong implements gemm.Env: Expr vectorised along lane.
func (e *env) ExprAlong(x ir.Expr, bind map[*ir.Var]loop.Expr, laneVar *ir.Var, lanes int, count loop.Expr) (loop.Expr, error) {
	if lanes < 1 {
		return nil, fmt.Errorf("lanes %d < 1", lanes)
	}
	if lanes > 1 && laneVar == nil {
		return nil, errors.New("a vector value without a lane variable")
	}
	if ir.HasReduce(x) {
		return nil, errors.New("gemm epilogue contains a reduction")
	}
	b := e.l.newFnb("epilogue", &schedule.Unit{Accumulators: 1})
	root := newLevel(lanes, count)
	b.levels = []*level{root}
	for v, ex := range bind {
		if ex == nil {
			return nil, fmt.Errorf("nil binding for %s", v.Name)
		}
		if ex.Type() == loop.Int64 {
			b.bind[v] = binding{x: ex, vec: v == laneVar}
		} else {
			b.bind[v] = binding{x: ex, val: true}
		}
	}
	r, err := b.expr(x)
	if errors.Is(err, errNoVec) {
		return nil, fmt.Errorf("%s cannot be vectorised along %s", ir.ExprString(x), laneVar.Name)
	}
	if err != nil {
		return nil, err
	}
	if len(*root.out) > 0 || len(b.f.Locals) > 0 {
		return nil, errors.New("the expression needs statements")
	}
	return b.widen(r, lanes), nil
}
