package frontend

import (
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
	"github.com/tensorcc/tcc/ir"
)

// The simplified syntax tree the semantic analysis works on, converted from
// the participle grammar structs.

type node interface{ pos() ir.Pos }

// numLit is an integer or float literal.
type numLit struct {
	p       ir.Pos
	text    string
	isFloat bool
}

// identNode is a bare name.
type identNode struct {
	p    ir.Pos
	name string
}

// unaryNode is op x for op in "-", "!", "+".
type unaryNode struct {
	p  ir.Pos
	op string
	x  node
}

// binaryNode is x op y; p is where x starts, opPos where the operator is.
type binaryNode struct {
	p, opPos ir.Pos
	op       string
	x, y     node
}

// callNode is name(args) or the reduction name(vars where cond: body).
type callNode struct {
	p    ir.Pos
	name string
	args []node
	red  *reduceNode
}

type reduceNode struct {
	vars  []*identNode
	where node
	body  node
}

// indexNode is name[subs].
type indexNode struct {
	p    ir.Pos
	name string
	subs []node
}

func (n *numLit) pos() ir.Pos     { return n.p }
func (n *identNode) pos() ir.Pos  { return n.p }
func (n *unaryNode) pos() ir.Pos  { return n.p }
func (n *binaryNode) pos() ir.Pos { return n.p }
func (n *callNode) pos() ir.Pos   { return n.p }
func (n *indexNode) pos() ir.Pos  { return n.p }

type fileAST struct {
	name    string
	text    []byte
	pkg     *identNode
	consts  []*constAST
	kernels []*kernelAST
}

type constAST struct {
	name  *identNode
	value node
}

type paramAST struct {
	name   *identNode
	typ    *identNode
	tensor bool // written with brackets
	dims   []node
}

type stmtAST struct {
	p       ir.Pos
	targets []*identNode // more than one for (A, B) = F(X)
	multi   bool
	indexed bool
	subs    []node
	value   node
}

type kernelAST struct {
	p       ir.Pos
	name    *identNode
	doc     string
	file    *fileAST
	params  []*paramAST
	outputs []*paramAST
	body    []*stmtAST
}

func toPos(p lexer.Position) ir.Pos { return ir.Pos{File: p.Filename, Line: p.Line, Col: p.Column} }

func cvName(n gName) *identNode { return &identNode{p: toPos(n.Pos), name: n.Name} }

func cvFile(name string, text []byte, g *gFile) *fileAST {
	f := &fileAST{name: name, text: text}
	lines := splitLines(text)
	if g.Package != nil {
		f.pkg = &identNode{p: toPos(g.Package.Pos), name: g.Package.Name}
	}
	for _, d := range g.Decls {
		switch {
		case d.Const != nil:
			f.consts = append(f.consts, &constAST{name: cvName(d.Const.Name), value: cvExpr(d.Const.Value)})
		case d.Kernel != nil:
			f.kernels = append(f.kernels, cvKernel(f, lines, d.Kernel))
		}
	}
	return f
}

func cvParams(ps []*gParam) []*paramAST {
	out := make([]*paramAST, len(ps))
	for i, p := range ps {
		q := &paramAST{name: cvName(p.Name), typ: cvName(p.Type), tensor: p.Tensor}
		for _, d := range p.Dims {
			q.dims = append(q.dims, cvExpr(d))
		}
		out[i] = q
	}
	return out
}

func cvKernel(f *fileAST, lines []string, g *gKernel) *kernelAST {
	k := &kernelAST{p: toPos(g.Pos), name: cvName(g.Name), file: f}
	k.doc = docComment(lines, g.Pos.Line)
	k.params = cvParams(g.Params)
	k.outputs = cvParams(g.Outputs)
	for _, s := range g.Body {
		st := &stmtAST{p: toPos(s.Pos), indexed: s.Indexed, value: cvExpr(s.Value)}
		if s.Target != nil {
			st.targets = []*identNode{cvName(*s.Target)}
		} else {
			st.multi = true
			for _, n := range s.Multi {
				st.targets = append(st.targets, cvName(*n))
			}
		}
		for _, e := range s.Subs {
			st.subs = append(st.subs, cvExpr(e))
		}
		k.body = append(k.body, st)
	}
	return k
}

func cvExpr(e *gExpr) node {
	if e == nil {
		return nil
	}
	x := cvAnd(e.Head)
	for _, t := range e.Tail {
		x = &binaryNode{p: x.pos(), opPos: toPos(t.Pos), op: t.Op, x: x, y: cvAnd(t.Y)}
	}
	return x
}

func cvAnd(e *gAnd) node {
	x := cvCmp(e.Head)
	for _, t := range e.Tail {
		x = &binaryNode{p: x.pos(), opPos: toPos(t.Pos), op: t.Op, x: x, y: cvCmp(t.Y)}
	}
	return x
}

func cvCmp(e *gCmp) node {
	x := cvAdd(e.Head)
	for _, t := range e.Tail {
		x = &binaryNode{p: x.pos(), opPos: toPos(t.Pos), op: t.Op, x: x, y: cvAdd(t.Y)}
	}
	return x
}

func cvAdd(e *gAdd) node {
	x := cvMul(e.Head)
	for _, t := range e.Tail {
		x = &binaryNode{p: x.pos(), opPos: toPos(t.Pos), op: t.Op, x: x, y: cvMul(t.Y)}
	}
	return x
}

func cvMul(e *gMul) node {
	x := cvUnary(e.Head)
	for _, t := range e.Tail {
		x = &binaryNode{p: x.pos(), opPos: toPos(t.Pos), op: t.Op, x: x, y: cvUnary(t.Y)}
	}
	return x
}

func cvUnary(e *gUnary) node {
	if e.X != nil {
		return &unaryNode{p: toPos(e.Pos), op: e.Op, x: cvUnary(e.X)}
	}
	o := e.Operand
	p := toPos(o.Pos)
	switch {
	case o.Float != nil:
		return &numLit{p: p, text: *o.Float, isFloat: true}
	case o.Int != nil:
		return &numLit{p: p, text: *o.Int}
	case o.Paren != nil:
		return cvExpr(o.Paren)
	}
	r := o.Ref
	switch {
	case r.Call:
		c := &callNode{p: p, name: r.Name}
		if r.Red != nil {
			red := &reduceNode{where: cvExpr(r.Red.Where), body: cvExpr(r.Red.Body)}
			for _, v := range r.Red.Vars {
				red.vars = append(red.vars, cvName(*v))
			}
			c.red = red
		}
		for _, a := range r.Args {
			c.args = append(c.args, cvExpr(a))
		}
		return c
	case r.Indexed:
		n := &indexNode{p: p, name: r.Name}
		for _, s := range r.Subs {
			n.subs = append(n.subs, cvExpr(s))
		}
		return n
	}
	return &identNode{p: p, name: r.Name}
}

// docComment returns the block of // lines immediately above line (1-based).
func docComment(lines []string, line int) string {
	if line-1 > len(lines) || line < 1 {
		return ""
	}
	var doc []string
	for i := line - 2; i >= 0; i-- {
		s := trimSpace(lines[i])
		if len(s) < 2 || s[0] != '/' || s[1] != '/' {
			break
		}
		s = s[2:]
		if len(s) > 0 && s[0] == ' ' {
			s = s[1:]
		}
		doc = append(doc, s)
	}
	var out strings.Builder
	for i := len(doc) - 1; i >= 0; i-- {
		out.WriteString(doc[i])
		out.WriteByte('\n')
	}
	return out.String()
}

func splitLines(b []byte) []string {
	var out []string
	start := 0
	for i, c := range b {
		if c == '\n' {
			out = append(out, string(b[start:i]))
			start = i + 1
		}
	}
	return append(out, string(b[start:]))
}

func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}
