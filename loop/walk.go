package loop

// Operands returns e's direct operands in a fixed order, leaving out absent
// optional ones (a Load's Count and Guard).
func Operands(e Expr) []Expr {
	switch e := e.(type) {
	case *Load:
		return present(e.Index, e.Count, e.Guard)
	case *Bin:
		return []Expr{e.X, e.Y}
	case *Un:
		return []Expr{e.X}
	case *Call:
		return e.Args
	case *Cast:
		return []Expr{e.X}
	case *Select:
		return []Expr{e.Cond, e.A, e.B}
	case *Broadcast:
		return []Expr{e.X}
	case *HReduce:
		return []Expr{e.X}
	}
	return nil
}

// WalkExpr calls f for e and, recursively, for each of its operands, parents
// before children. A nil e is skipped.
func WalkExpr(e Expr, f func(Expr)) {
	if e == nil {
		return
	}
	f(e)
	for _, o := range Operands(e) {
		WalkExpr(o, f)
	}
}

// Exprs returns the expressions statement s holds itself (not those of its
// nested bodies), leaving out absent optional ones.
func Exprs(s Stmt) []Expr {
	switch s := s.(type) {
	case *For:
		return present(s.Lo, s.Hi)
	case *If:
		return present(s.Cond)
	case *Assign:
		return present(s.Value)
	case *Store:
		return present(s.Index, s.Value, s.Count, s.Stream)
	case *Memset:
		return present(s.Index, s.Len)
	}
	return nil
}

// Bodies returns the statement lists nested in s: a For's body, an If's
// branches.
func Bodies(s Stmt) [][]Stmt {
	switch s := s.(type) {
	case *For:
		return [][]Stmt{s.Body}
	case *If:
		return [][]Stmt{s.Then, s.Else}
	}
	return nil
}

// WalkStmts calls f for every statement of body and of the bodies nested in
// it, parents before children, then g for every expression those statements
// hold (g may be nil).
func WalkStmts(body []Stmt, f func(Stmt), g func(Expr)) {
	for _, s := range body {
		if f != nil {
			f(s)
		}
		if g != nil {
			for _, e := range Exprs(s) {
				WalkExpr(e, g)
			}
		}
		for _, b := range Bodies(s) {
			WalkStmts(b, f, g)
		}
	}
}

func present(es ...Expr) []Expr {
	out := es[:0]
	for _, e := range es {
		if e != nil {
			out = append(out, e)
		}
	}
	return out
}
