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
	case *Bitcast:
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

// MapExpr rewrites e bottom-up: the operands of every node are replaced by
// their rewritten forms (in place), then f maps the node itself. It returns
// the rewritten expression (nil for nil).
func MapExpr(e Expr, f func(Expr) Expr) Expr {
	if e == nil {
		return nil
	}
	switch e := e.(type) {
	case *Load:
		e.Index, e.Count, e.Guard = MapExpr(e.Index, f), MapExpr(e.Count, f), MapExpr(e.Guard, f)
	case *Bin:
		e.X, e.Y = MapExpr(e.X, f), MapExpr(e.Y, f)
	case *Un:
		e.X = MapExpr(e.X, f)
	case *Call:
		for i, a := range e.Args {
			e.Args[i] = MapExpr(a, f)
		}
	case *Cast:
		e.X = MapExpr(e.X, f)
	case *Select:
		e.Cond, e.A, e.B = MapExpr(e.Cond, f), MapExpr(e.A, f), MapExpr(e.B, f)
	case *Broadcast:
		e.X = MapExpr(e.X, f)
	case *Bitcast:
		e.X = MapExpr(e.X, f)
	case *HReduce:
		e.X = MapExpr(e.X, f)
	}
	return f(e)
}

// MapStmts applies MapExpr with f to every expression of body and of the
// bodies nested in it.
func MapStmts(body []Stmt, f func(Expr) Expr) {
	for _, s := range body {
		switch s := s.(type) {
		case *For:
			s.Lo, s.Hi = MapExpr(s.Lo, f), MapExpr(s.Hi, f)
		case *If:
			s.Cond = MapExpr(s.Cond, f)
		case *Assign:
			s.Value = MapExpr(s.Value, f)
		case *Store:
			s.Index, s.Value = MapExpr(s.Index, f), MapExpr(s.Value, f)
			s.Count, s.Stream = MapExpr(s.Count, f), MapExpr(s.Stream, f)
		case *Memset:
			s.Index, s.Len = MapExpr(s.Index, f), MapExpr(s.Len, f)
		}
		for _, b := range Bodies(s) {
			MapStmts(b, f)
		}
	}
}
