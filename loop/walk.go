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
	case *Shuffle:
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
	case *Prefetch:
		return present(s.Index)
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
	mapOperands(e, func(o Expr) Expr { return MapExpr(o, f) })
	return f(e)
}

// MapExprTopDown rewrites e top-down: f sees a node before its operands
// and, when it reports done, its result replaces the node (whose operands
// are left alone); otherwise the operands are rewritten in place.
func MapExprTopDown(e Expr, f func(Expr) (Expr, bool)) Expr {
	if e == nil {
		return nil
	}
	if r, done := f(e); done {
		return r
	}
	mapOperands(e, func(o Expr) Expr { return MapExprTopDown(o, f) })
	return e
}

// mapOperands replaces every present operand o of e by g(o), in place.
func mapOperands(e Expr, g func(Expr) Expr) {
	opt := func(x Expr) Expr {
		if x == nil {
			return nil
		}
		return g(x)
	}
	switch e := e.(type) {
	case *Load:
		e.Index, e.Count, e.Guard = opt(e.Index), opt(e.Count), opt(e.Guard)
	case *Bin:
		e.X, e.Y = g(e.X), g(e.Y)
	case *Un:
		e.X = g(e.X)
	case *Call:
		for i, a := range e.Args {
			e.Args[i] = g(a)
		}
	case *Cast:
		e.X = g(e.X)
	case *Select:
		e.Cond, e.A, e.B = g(e.Cond), g(e.A), g(e.B)
	case *Broadcast:
		e.X = g(e.X)
	case *Bitcast:
		e.X = g(e.X)
	case *Shuffle:
		e.X = g(e.X)
	case *HReduce:
		e.X = g(e.X)
	}
}

// MapStmtsTopDown applies MapExprTopDown with f to every expression of
// body and of the bodies nested in it.
func MapStmtsTopDown(body []Stmt, f func(Expr) (Expr, bool)) {
	mapStmts(body, func(e Expr) Expr { return MapExprTopDown(e, f) })
}

// MapStmts applies MapExpr with f to every expression of body and of the
// bodies nested in it.
func MapStmts(body []Stmt, f func(Expr) Expr) {
	mapStmts(body, func(e Expr) Expr { return MapExpr(e, f) })
}

// mapStmts replaces every expression of body and of its nested bodies by
// m of it.
func mapStmts(body []Stmt, m func(Expr) Expr) {
	opt := func(e Expr) Expr {
		if e == nil {
			return nil
		}
		return m(e)
	}
	for _, s := range body {
		switch s := s.(type) {
		case *For:
			s.Lo, s.Hi = opt(s.Lo), opt(s.Hi)
		case *If:
			s.Cond = opt(s.Cond)
		case *Assign:
			s.Value = opt(s.Value)
		case *Store:
			s.Index, s.Value = opt(s.Index), opt(s.Value)
			s.Count, s.Stream = opt(s.Count), opt(s.Stream)
		case *Memset:
			s.Index, s.Len = opt(s.Index), opt(s.Len)
		case *Prefetch:
			s.Index = opt(s.Index)
		}
		for _, b := range Bodies(s) {
			mapStmts(b, m)
		}
	}
}
