package loop

import (
	"github.com/tensorcc/tcc/internal/rt"
	"github.com/tensorcc/tcc/ir"
)

// Simplify rewrites k in place into an equivalent, simpler kernel: integer
// and boolean scalar expressions on constants are folded (x+0, x*1, x*0,
// x/1, constant comparisons, && and || with a constant, select on a
// constant, min and max of constants), If statements on a constant keep
// only the branch taken, loops that never run and statements that do
// nothing are removed, and locals no statement uses are dropped. Every
// backend and `tcc explain` see the simplified kernel, so neither emits
// select((1 < 8), 1, 8) or for e = 64; e < 64.
func Simplify(k *Kernel) {
	for _, b := range allBufs(k) {
		b.Len = SimplifyExpr(b.Len)
	}
	for _, s := range k.Steps {
		s.Extent = simplifyOpt(s.Extent)
		s.Work = simplifyOpt(s.Work)
	}
	for _, f := range k.Funcs {
		f.Body = simplifyStmts(f.Body)
		pruneLocals(f)
	}
}

func allBufs(k *Kernel) []*Buf {
	var bs []*Buf
	bs = append(bs, k.Inputs...)
	bs = append(bs, k.Outputs...)
	return append(bs, k.Scratch...)
}

func simplifyOpt(e Expr) Expr {
	if e == nil {
		return nil
	}
	return SimplifyExpr(e)
}

// simplifyStmts simplifies a statement list; statements may disappear or
// be replaced by the list of a branch.
func simplifyStmts(ss []Stmt) []Stmt {
	var out []Stmt
	for _, s := range ss {
		out = append(out, simplifyStmt(s)...)
	}
	return out
}

func simplifyStmt(s Stmt) []Stmt {
	switch s := s.(type) {
	case *For:
		s.Lo, s.Hi = SimplifyExpr(s.Lo), SimplifyExpr(s.Hi)
		s.Body = simplifyStmts(s.Body)
		lo, lok := intConst(s.Lo)
		hi, hok := intConst(s.Hi)
		if len(s.Body) == 0 || (lok && hok && lo >= hi) {
			return nil
		}
	case *If:
		s.Cond = SimplifyExpr(s.Cond)
		s.Then, s.Else = simplifyStmts(s.Then), simplifyStmts(s.Else)
		if c, ok := boolConst(s.Cond); ok {
			if c {
				return s.Then
			}
			return s.Else
		}
		if len(s.Then) == 0 && len(s.Else) == 0 {
			return nil
		}
	case *Assign:
		s.Value = SimplifyExpr(s.Value)
	case *Store:
		s.Index, s.Value = SimplifyExpr(s.Index), SimplifyExpr(s.Value)
		s.Count, s.Stream = simplifyOpt(s.Count), simplifyOpt(s.Stream)
		if c, ok := boolConst(s.Stream); ok && !c {
			s.Stream = nil
		}
	case *Prefetch:
		s.Index = SimplifyExpr(s.Index)
	case *Memset:
		s.Index, s.Len = SimplifyExpr(s.Index), SimplifyExpr(s.Len)
		if n, ok := intConst(s.Len); ok && n <= 0 {
			return nil
		}
	}
	return []Stmt{s}
}

// pruneLocals drops the locals of f that no statement assigns or reads.
func pruneLocals(f *Func) {
	used := map[*Var]bool{}
	WalkStmts(f.Body, func(s Stmt) {
		switch s := s.(type) {
		case *Assign:
			used[s.Dst] = true
		case *For:
			used[s.Var] = true
		}
	}, func(e Expr) {
		if r, ok := e.(*Ref); ok {
			used[r.Var] = true
		}
	})
	kept := f.Locals[:0]
	for _, v := range f.Locals {
		if used[v] {
			kept = append(kept, v)
		}
	}
	f.Locals = kept
}

// SimplifyExpr returns e with its integer and boolean scalar constant
// subexpressions folded (operands first). It changes no value: integer
// arithmetic wraps at 64 bits, division is floor division with 0 for a zero
// divisor, as the loop IR defines them. Other nodes are rebuilt only when an
// operand changed.
func SimplifyExpr(e Expr) Expr {
	switch e := e.(type) {
	case *Load:
		e.Index, e.Count, e.Guard = SimplifyExpr(e.Index), simplifyOpt(e.Count), simplifyOpt(e.Guard)
		if c, ok := boolConst(e.Guard); ok && c {
			e.Guard = nil
		}
	case *Bin:
		e.X, e.Y = SimplifyExpr(e.X), SimplifyExpr(e.Y)
		return foldBin(e)
	case *Un:
		e.X = SimplifyExpr(e.X)
		if c, ok := e.X.(*Const); ok && e.T.Lanes == 1 {
			switch {
			case e.Op == ir.Not && e.T.Elem == ir.BoolT:
				return boolC(c.Int == 0)
			case e.Op == ir.Neg && e.T == Int64:
				return I64(-c.Int)
			}
		}
	case *Call:
		for i, a := range e.Args {
			e.Args[i] = SimplifyExpr(a)
		}
		if e.T == Int64 && (e.Fn == Fn(ir.Min) || e.Fn == Fn(ir.Max)) && len(e.Args) == 2 {
			a, aok := intConst(e.Args[0])
			b, bok := intConst(e.Args[1])
			if aok && bok {
				if e.Fn == Fn(ir.Min) {
					return I64(min(a, b))
				}
				return I64(max(a, b))
			}
		}
	case *Cast:
		e.X = SimplifyExpr(e.X)
	case *Select:
		e.Cond, e.A, e.B = SimplifyExpr(e.Cond), SimplifyExpr(e.A), SimplifyExpr(e.B)
		if c, ok := boolConst(e.Cond); ok {
			if c {
				return e.A
			}
			return e.B
		}
		if a, ok := e.A.(*Const); ok {
			if b, ok := e.B.(*Const); ok && *a == *b {
				return a
			}
		}
	case *Broadcast:
		e.X = SimplifyExpr(e.X)
	case *HReduce:
		e.X = SimplifyExpr(e.X)
	case *Bitcast:
		e.X = SimplifyExpr(e.X)
	case *Shuffle:
		e.X = SimplifyExpr(e.X)
	}
	return e
}

// foldBin folds a binary operation whose operands are already simplified.
func foldBin(e *Bin) Expr {
	if e.T.Lanes != 1 {
		return e
	}
	if e.T.Elem == ir.BoolT && (e.Op == ir.And || e.Op == ir.Or) {
		return foldLogic(e)
	}
	a, aok := intConst(e.X)
	b, bok := intConst(e.Y)
	if aok && bok {
		if e.Op.IsCompare() {
			return boolC(holds(e.Op, a, b))
		}
		if v, ok := intOp(e.Op, a, b); ok && e.T == Int64 {
			return I64(v)
		}
	}
	if e.T != Int64 {
		return e
	}
	switch {
	case (e.Op == ir.Add || e.Op == ir.Sub) && bok && b == 0:
		return e.X
	case e.Op == ir.Add && aok && a == 0:
		return e.Y
	case (e.Op == ir.Mul || e.Op == ir.Div) && bok && b == 1:
		return e.X
	case e.Op == ir.Mul && aok && a == 1:
		return e.Y
	case e.Op == ir.Mul && ((aok && a == 0) || (bok && b == 0)):
		return I64(0)
	}
	return e
}

// foldLogic folds && and || with a constant operand.
func foldLogic(e *Bin) Expr {
	for _, p := range [][2]Expr{{e.X, e.Y}, {e.Y, e.X}} {
		c, ok := boolConst(p[0])
		if !ok {
			continue
		}
		if c == (e.Op == ir.Or) {
			return boolC(c) // true || y, false && y
		}
		return p[1] // true && y, false || y
	}
	return e
}

// intOp evaluates a 64-bit integer operation as the loop IR defines it.
func intOp(op ir.Op, a, b int64) (int64, bool) {
	switch op {
	case ir.Add:
		return a + b, true
	case ir.Sub:
		return a - b, true
	case ir.Mul:
		return a * b, true
	case ir.Div:
		if b == 0 {
			return 0, true
		}
		return rt.FloorDiv(a, b), true
	case ir.Mod:
		if b == 0 {
			return 0, true
		}
		return rt.FloorMod(a, b), true
	}
	return 0, false
}

func holds(op ir.Op, a, b int64) bool {
	switch op {
	case ir.Lt:
		return a < b
	case ir.Le:
		return a <= b
	case ir.Gt:
		return a > b
	case ir.Ge:
		return a >= b
	case ir.Eq:
		return a == b
	}
	return a != b
}

func boolC(v bool) *Const {
	c := &Const{T: Bool}
	if v {
		c.Int = 1
	}
	return c
}

// boolConst reports the value of a scalar Bool constant.
func boolConst(e Expr) (bool, bool) {
	c, ok := e.(*Const)
	if !ok || c.T != Bool {
		return false, false
	}
	return c.Int != 0, true
}
