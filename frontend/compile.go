package frontend

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
	"github.com/tensorcc/tcc/ir"
)

// Source is one source file: its name (used in positions) and its text.
type Source struct {
	Name string
	Text []byte
}

// bailout aborts the analysis of the current statement or declaration after its
// error has been reported (or silently, when it follows from an earlier error).
type bailout struct{}

// Compile parses, checks and lowers srcs to a verified ir.Program. All sources
// form one program: their constants and kernels share one name space, and their
// package clauses must agree. On failure the error is an ErrorList.
func Compile(srcs ...Source) (prog *ir.Program, err error) {
	c := &compiler{consts: map[string]*constInfo{}, kernels: map[string]*kernelInfo{}}
	defer func() {
		if r := recover(); r != nil {
			pos := ir.Pos{Line: 1, Col: 1}
			if len(srcs) > 0 {
				pos.File = srcs[0].Name
			}
			if c.curPos.File != "" {
				pos = c.curPos
			}
			prog, err = nil, ErrorList{{Pos: pos, Msg: fmt.Sprintf("internal error: %v", r)}}
		}
	}()
	return c.compile(srcs)
}

type constInfo struct {
	ast   *constAST
	state int // 0 new, 1 evaluating, 2 done
	val   int64
	ok    bool
}

type kernelInfo struct {
	ast   *kernelAST
	state int // 0 new, 1 compiling, 2 done
	k     *ir.Kernel
	ok    bool
}

type compiler struct {
	errorSink
	consts  map[string]*constInfo
	kernels map[string]*kernelInfo
	order   []*kernelInfo
	curPos  ir.Pos // position of the declaration being compiled, for internal errors
	sources map[string][]byte
}

func (c *compiler) compile(srcs []Source) (*ir.Program, error) {
	var files []*fileAST
	c.sources = map[string][]byte{}
	for _, src := range srcs {
		c.sources[src.Name] = src.Text
		g, err := parser.ParseBytes(src.Name, src.Text)
		if err != nil {
			c.syntaxError(src.Name, err)
			continue
		}
		files = append(files, cvFile(src.Name, src.Text, g))
	}
	if len(c.errs) > 0 {
		return nil, sortErrors(c.errs)
	}
	prog := &ir.Program{}
	var pkgPos ir.Pos
	for _, f := range files {
		if f.pkg == nil {
			continue
		}
		if prog.Package == "" {
			prog.Package, pkgPos = f.pkg.name, f.pkg.p
		} else if f.pkg.name != prog.Package {
			c.errorf(f.pkg.p, "package %q conflicts with package %q at %s", f.pkg.name, prog.Package, pkgPos)
		}
	}
	// Declare constants and kernels.
	for _, f := range files {
		for _, d := range f.consts {
			if prev, ok := c.consts[d.name.name]; ok {
				c.errorf(d.name.p, "constant %q redeclared; previous declaration at %s", d.name.name, prev.ast.name.p)
				continue
			}
			c.consts[d.name.name] = &constInfo{ast: d}
		}
	}
	for _, f := range files {
		for _, d := range f.kernels {
			name := d.name.name
			if prev, ok := c.kernels[name]; ok {
				c.errorf(d.name.p, "kernel %q redeclared; previous declaration at %s", name, prev.ast.name.p)
				continue
			}
			if prev, ok := c.consts[name]; ok {
				c.errorf(d.name.p, "kernel %q redeclares constant declared at %s", name, prev.ast.name.p)
				continue
			}
			if r, _ := utf8.DecodeRuneInString(name); !unicode.IsUpper(r) {
				c.errorf(d.name.p, "kernel name %q must be exported (start with an upper-case letter)", name)
			}
			ki := &kernelInfo{ast: d}
			c.kernels[name] = ki
			c.order = append(c.order, ki)
		}
	}
	for _, f := range files {
		for _, d := range f.consts {
			if ci := c.consts[d.name.name]; ci.ast == d {
				c.evalConstDecl(ci)
			}
		}
	}
	for _, ki := range c.order {
		c.compileKernel(ki)
	}
	if len(c.errs) > 0 {
		return nil, sortErrors(c.errs)
	}
	for _, ki := range c.order {
		prog.Kernels = append(prog.Kernels, ki.k)
	}
	return prog, nil
}

// syntaxError converts a participle or lexer error into an Error.
func (c *compiler) syntaxError(file string, err error) {
	var perr participle.Error
	if errors.As(err, &perr) {
		pos := toPos(perr.Position())
		if pos.File == "" {
			pos.File = file
		}
		if pos.Line == 0 {
			pos.Line, pos.Col = 1, 1
		}
		msg := strings.TrimPrefix(perr.Message(), "lexer: ")
		if rest, ok := strings.CutPrefix(msg, "invalid input text "); ok {
			if r, err := strconv.Unquote(rest); err == nil {
				ch, _ := utf8.DecodeRuneInString(r)
				msg = fmt.Sprintf("invalid character %q", ch)
			}
		}
		var ute *participle.UnexpectedTokenError
		if errors.As(err, &ute) {
			msg = c.unexpected(ute)
		}
		c.errorf(pos, "syntax error: %s", msg)
		return
	}
	c.errorf(ir.Pos{File: file, Line: 1, Col: 1}, "syntax error: %v", err)
}

// expectedRE finds the expectation participle appends to its messages.
var expectedRE = regexp.MustCompile(`\(expected (.*)\)$`)

// unexpected describes an unexpected token without the grammar's internals:
// what was found (a newline that ends a statement is "end of line") and,
// when the parser wanted exactly one token, which.
func (c *compiler) unexpected(u *participle.UnexpectedTokenError) string {
	tok := u.Unexpected
	var what string
	switch {
	case tok.EOF():
		what = "end of file"
	case tok.Value == ";" && c.isNewline(tok.Pos):
		what = "end of line"
	case tok.Type == tokIdent && (tok.Value == "package" || tok.Value == "const" || tok.Value == "kernel"):
		what = fmt.Sprintf("keyword %q", tok.Value)
	case tok.Type == tokIdent:
		what = fmt.Sprintf("name %q", tok.Value)
	case tok.Type == tokInt || tok.Type == tokFloat:
		what = fmt.Sprintf("number %s", tok.Value)
	default:
		what = fmt.Sprintf("%q", tok.Value)
	}
	if tok.Type == tokPunct && leadingOps[tok.Value] && tok.Value != "=" {
		// The operator parsed; what follows it is not an operand.
		return fmt.Sprintf("%q must be followed by an operand", tok.Value)
	}
	msg := "unexpected " + what
	if m := expectedRE.FindStringSubmatch(u.Message()); m != nil {
		if want, err := strconv.Unquote(m[1]); err == nil && !strings.ContainsAny(want, " \"") {
			msg += fmt.Sprintf(", expected %q", want)
		}
	}
	return msg
}

// isNewline reports whether the source at pos is a newline (a ";" the
// lexer inserted).
func (c *compiler) isNewline(pos lexer.Position) bool {
	text := c.sources[pos.Filename]
	return pos.Offset >= 0 && pos.Offset < len(text) && text[pos.Offset] == '\n'
}

// fail reports an error and aborts the current statement.
func (c *compiler) fail(pos ir.Pos, format string, args ...any) {
	c.errorf(pos, format, args...)
	panic(bailout{})
}

// catch runs f, absorbing a bailout; it reports whether f completed.
func catch(f func()) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, isBail := r.(bailout); !isBail {
				panic(r)
			}
			ok = false
		}
	}()
	f()
	return true
}

// evalConstDecl evaluates a constant declaration (once).
func (c *compiler) evalConstDecl(ci *constInfo) (int64, bool) {
	switch ci.state {
	case 1:
		c.errorf(ci.ast.name.p, "constant %q is defined in terms of itself", ci.ast.name.name)
		return 0, false
	case 2:
		return ci.val, ci.ok
	}
	ci.state = 1
	ci.ok = catch(func() { ci.val = c.evalConst(ci.ast.value) })
	ci.state = 2
	return ci.val, ci.ok
}

// isConstExpr reports whether n is an integer constant expression: integer
// literals and constants combined with + - * / % and unary minus.
func (c *compiler) isConstExpr(n node) bool {
	switch n := n.(type) {
	case *numLit:
		return !n.isFloat
	case *identNode:
		_, ok := c.consts[n.name]
		return ok
	case *unaryNode:
		return n.op != "!" && c.isConstExpr(n.x)
	case *binaryNode:
		switch n.op {
		case "+", "-", "*", "/", "%":
			return c.isConstExpr(n.x) && c.isConstExpr(n.y)
		}
	}
	return false
}

// evalConst evaluates an integer constant expression, failing on anything else.
func (c *compiler) evalConst(n node) int64 {
	switch n := n.(type) {
	case *numLit:
		if n.isFloat {
			c.fail(n.p, "constant expression must be an integer, not %s", n.text)
		}
		return c.parseInt(n)
	case *identNode:
		ci, ok := c.consts[n.name]
		if !ok {
			c.fail(n.p, "%q is not a constant", n.name)
		}
		v, ok := c.evalConstDecl(ci)
		if !ok {
			panic(bailout{})
		}
		return v
	case *unaryNode:
		x := c.evalConst(n.x)
		switch n.op {
		case "-":
			if x == math.MinInt64 {
				c.fail(n.p, "constant overflow")
			}
			return -x
		case "+":
			return x
		}
	case *binaryNode:
		x, y := c.evalConst(n.x), c.evalConst(n.y)
		var r int64
		ok := true
		switch n.op {
		case "+":
			r = x + y
			ok = !(x > 0 && y > 0 && r < 0) && !(x < 0 && y < 0 && r >= 0)
		case "-":
			r = x - y
			ok = !(x >= 0 && y < 0 && r < 0) && !(x < 0 && y > 0 && r >= 0)
		case "*":
			r = x * y
			ok = x == 0 || (r/x == y && !(x == -1 && y == math.MinInt64))
		case "/", "%":
			if y == 0 {
				c.fail(n.opPos, "division by zero in constant expression")
			}
			if x == math.MinInt64 && y == -1 {
				c.fail(n.opPos, "constant overflow")
			}
			q, m := x/y, x%y
			if m != 0 && (m < 0) != (y < 0) {
				q--
				m += y
			}
			if n.op == "/" {
				return q
			}
			return m
		default:
			c.fail(n.opPos, "operator %s is not allowed in a constant expression", n.op)
		}
		if !ok {
			c.fail(n.opPos, "constant overflow")
		}
		return r
	}
	c.fail(n.pos(), "not an integer constant expression")
	return 0
}

func (c *compiler) parseInt(n *numLit) int64 {
	v, err := strconv.ParseInt(n.text, 10, 64)
	if err != nil {
		c.fail(n.p, "integer literal %s out of range", n.text)
	}
	return v
}
