package loop

// CloneStmts returns a deep copy of body: new statements and expression
// nodes, sharing the variables and buffers they name. A pass that makes
// two versions of a body (one per run-time condition) rewrites each copy
// on its own.
func CloneStmts(body []Stmt) []Stmt {
	if body == nil {
		return nil
	}
	out := make([]Stmt, len(body))
	for i, s := range body {
		out[i] = cloneStmt(s)
	}
	return out
}

func cloneStmt(s Stmt) Stmt {
	switch s := s.(type) {
	case *For:
		c := *s
		c.Lo, c.Hi, c.Body = CloneExpr(s.Lo), CloneExpr(s.Hi), CloneStmts(s.Body)
		return &c
	case *If:
		return &If{Cond: CloneExpr(s.Cond), Then: CloneStmts(s.Then), Else: CloneStmts(s.Else)}
	case *Assign:
		return &Assign{Dst: s.Dst, Value: CloneExpr(s.Value)}
	case *Store:
		return &Store{Buf: s.Buf, Index: CloneExpr(s.Index), Value: CloneExpr(s.Value), Count: CloneExpr(s.Count), Stream: CloneExpr(s.Stream)}
	case *Memset:
		return &Memset{Buf: s.Buf, Index: CloneExpr(s.Index), Len: CloneExpr(s.Len)}
	case *Prefetch:
		return &Prefetch{Buf: s.Buf, Index: CloneExpr(s.Index)}
	}
	panic("loop: CloneStmts: unknown statement")
}

// CloneExpr returns a deep copy of e (nil for nil); variables and buffers
// are shared.
func CloneExpr(e Expr) Expr {
	switch e := e.(type) {
	case nil:
		return nil
	case *Const:
		c := *e
		return &c
	case *Ref:
		return &Ref{Var: e.Var}
	case *Load:
		c := *e
		c.Index, c.Count, c.Guard = CloneExpr(e.Index), CloneExpr(e.Count), CloneExpr(e.Guard)
		return &c
	case *Bin:
		return &Bin{Op: e.Op, X: CloneExpr(e.X), Y: CloneExpr(e.Y), T: e.T}
	case *Un:
		return &Un{Op: e.Op, X: CloneExpr(e.X), T: e.T}
	case *Call:
		args := make([]Expr, len(e.Args))
		for i, a := range e.Args {
			args[i] = CloneExpr(a)
		}
		return &Call{Fn: e.Fn, Args: args, T: e.T}
	case *Cast:
		return &Cast{X: CloneExpr(e.X), T: e.T}
	case *Select:
		return &Select{Cond: CloneExpr(e.Cond), A: CloneExpr(e.A), B: CloneExpr(e.B), T: e.T}
	case *Broadcast:
		return &Broadcast{X: CloneExpr(e.X), T: e.T}
	case *Bitcast:
		return &Bitcast{X: CloneExpr(e.X), T: e.T}
	case *Shuffle:
		return &Shuffle{X: CloneExpr(e.X), Index: append([]int(nil), e.Index...), T: e.T}
	case *Lanes:
		return &Lanes{T: e.T, Int: append([]int64(nil), e.Int...), Float: append([]float64(nil), e.Float...)}
	case *HReduce:
		return &HReduce{Op: e.Op, X: CloneExpr(e.X), T: e.T}
	}
	panic("loop: CloneExpr: unknown expression")
}
