package golang

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/tensorcc/tcc/loop"
)

// Outlining. The Go compiler allocates registers for a whole function at once:
// in a deep loop nest (a GEMM's blocking loops around its micro-kernel) the
// dozens of index values live across the innermost loop crowd out the values
// that loop uses, and the register allocator spills and reloads them inside it
// (the loop counter and the slice headers, in the GEMM). The translator
// therefore moves a hot innermost loop of a large function into a helper
// function of its own, whose parameters are the buffers and variables the loop
// reads and whose results are the variables it assigns that are read
// elsewhere. This changes no operation and no order of evaluation; on amd64 it
// took the portable matmul from 5.9 to 7.3 GFLOP/s.
const (
	// outlineDepth is the least number of enclosing loops of an outlined loop.
	outlineDepth = 3
	// outlineStmts is the least number of statements in an outlined loop's body.
	outlineStmts = 8
	// outlineVars is the least number of variables (locals and loop
	// variables) of a function whose loops are outlined: smaller functions do
	// not run out of registers.
	outlineVars = 24
)

// loopInfo is what outlining needs to know about the variables of a loop.
type loopInfo struct {
	reads   map[*loop.Var]bool // read anywhere in the loop (bounds included)
	writes  map[*loop.Var]bool // assigned in the loop
	order   []*loop.Var        // every variable, in order of first appearance
	bufs    []*loop.Buf        // buffers, in order of first appearance
	seenBuf map[*loop.Buf]bool
	nested  bool // the body holds another loop
	nstmts  int  // statements in the body, counted recursively
}

func newLoopInfo() *loopInfo {
	return &loopInfo{reads: map[*loop.Var]bool{}, writes: map[*loop.Var]bool{}, seenBuf: map[*loop.Buf]bool{}}
}

func (li *loopInfo) note(v *loop.Var) {
	if v != nil && !li.reads[v] && !li.writes[v] {
		li.order = append(li.order, v)
	}
}

func (li *loopInfo) read(v *loop.Var) {
	li.note(v)
	if v != nil {
		li.reads[v] = true
	}
}

func (li *loopInfo) buf(b *loop.Buf) {
	if b != nil && !li.seenBuf[b] {
		li.seenBuf[b] = true
		li.bufs = append(li.bufs, b)
	}
}

func (li *loopInfo) expr(e loop.Expr) {
	loop.WalkExpr(e, func(e loop.Expr) {
		switch e := e.(type) {
		case *loop.Ref:
			li.read(e.Var)
		case *loop.Load:
			li.buf(e.Buf)
		}
	})
}

func (li *loopInfo) stmts(body []loop.Stmt) {
	for _, s := range body {
		li.nstmts++
		switch s := s.(type) {
		case *loop.For:
			li.nested = true
			li.note(s.Var)
			li.writes[s.Var] = true
		case *loop.Store:
			li.buf(s.Buf)
		case *loop.Memset:
			li.buf(s.Buf)
		}
		for _, e := range loop.Exprs(s) {
			li.expr(e)
		}
		if a, ok := s.(*loop.Assign); ok {
			li.note(a.Dst)
			li.writes[a.Dst] = true
		}
		for _, b := range loop.Bodies(s) {
			li.stmts(b)
		}
	}
}

// killed returns the variables that every iteration of body assigns before it
// reads them (by an unconditional top-level Assign whose value does not read
// the variable): their values on entry to the loop are never used.
func killed(body []loop.Stmt) map[*loop.Var]bool {
	k := map[*loop.Var]bool{}
	seen := newLoopInfo()
	for _, s := range body {
		if a, ok := s.(*loop.Assign); ok {
			seen.expr(a.Value)
			if !seen.reads[a.Dst] && !seen.writes[a.Dst] {
				k[a.Dst] = true
			}
			seen.writes[a.Dst] = true
			continue
		}
		seen.stmts([]loop.Stmt{s})
	}
	return k
}

// outlineCandidate reports whether the loop s, inside depth enclosing loops of
// a function with nvars variables, is worth its own function.
func outlineCandidate(s *loop.For, depth, nvars int) bool {
	if depth < outlineDepth || nvars < outlineVars {
		return false
	}
	li := newLoopInfo()
	li.stmts(s.Body)
	return !li.nested && li.nstmts >= outlineStmts
}

// outline writes the loop s as a call of a new helper function (appended to
// w.helpers) that runs it. readOutside tells whether a variable is read
// anywhere in the function outside s.
func (w *funcWriter) outline(s *loop.For, readOutside func(*loop.Var) bool) {
	li := newLoopInfo()
	li.note(s.Var)
	li.writes[s.Var] = true
	li.expr(s.Lo)
	li.expr(s.Hi)
	li.stmts(s.Body)
	kill := killed(s.Body)

	var params, results, locals []*loop.Var
	for _, v := range li.order {
		if v == s.Var {
			continue
		}
		res := li.writes[v] && readOutside(v)
		switch {
		case res:
			// Also a parameter: a loop that runs no iteration keeps the value.
			results = append(results, v)
			params = append(params, v)
		case li.reads[v] && !kill[v]:
			params = append(params, v)
		default:
			locals = append(locals, v)
		}
	}
	w.nhelper++
	name := fmt.Sprintf("tccgoLoop_%s_%d", w.fname, w.nhelper)

	var plist, args, rlist, rtypes []string
	for _, b := range li.bufs {
		n, ok := w.bufs[b]
		if !ok {
			w.fail("buffer %q is not in scope", b.Name)
			return
		}
		st, err := storageType(b.Elem)
		if err != nil {
			w.fail("%v", err)
			return
		}
		plist = append(plist, n+" []"+st)
		args = append(args, n)
	}
	for _, v := range params {
		n, ok := w.names[v]
		if !ok {
			w.fail("variable %q is not in scope", v.Name)
			return
		}
		t, err := goType(v.T)
		if err != nil {
			w.fail("variable %q: %v", v.Name, err)
			return
		}
		plist = append(plist, n+" "+t)
		args = append(args, n)
	}
	for _, v := range results {
		t, _ := goType(v.T)
		rlist = append(rlist, w.names[v])
		rtypes = append(rtypes, t)
	}
	call := name + "(" + strings.Join(args, ", ") + ")"
	if len(results) > 0 {
		w.printf("%s = %s\n", strings.Join(rlist, ", "), call)
	} else {
		w.printf("%s\n", call)
	}

	// The helper, written with the same Go names as the caller.
	outer := w.b
	w.b = bytes.Buffer{}
	ret := ""
	switch len(rtypes) {
	case 0:
	case 1:
		ret = " " + rtypes[0]
	default:
		ret = " (" + strings.Join(rtypes, ", ") + ")"
	}
	w.printf("\n// %s runs a loop of %s.\nfunc %s(%s)%s {\n", name, w.fname, name, strings.Join(plist, ", "), ret)
	for _, v := range append([]*loop.Var{s.Var}, locals...) {
		t, err := goType(v.T)
		if err != nil {
			w.fail("variable %q: %v", v.Name, err)
			continue
		}
		n := w.names[v]
		w.printf("var %s %s\n_ = %s\n", n, t, n)
	}
	w.loop(s)
	if len(results) > 0 {
		w.printf("return %s\n", strings.Join(rlist, ", "))
	}
	w.printf("}\n")
	w.helpers = append(w.helpers, w.b.Bytes()...)
	w.b = outer
}

// countReads adds to n the number of reads of each variable in body.
func countReads(body []loop.Stmt, n map[*loop.Var]int) {
	loop.WalkStmts(body, nil, func(e loop.Expr) {
		if r, ok := e.(*loop.Ref); ok {
			n[r.Var]++
		}
	})
}
