package frontend

import (
	"io"
	"strconv"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
)

// baseLexer tokenises .tc source. Comments, whitespace and newlines are
// filtered by stmtLexer, which turns significant newlines into ";" tokens.
var baseLexer = lexer.MustSimple([]lexer.SimpleRule{
	{Name: "Comment", Pattern: `//[^\n]*|/\*([^*]|\*+[^*/])*\*+/`},
	{Name: "OpenComment", Pattern: `/\*`},
	{Name: "Newline", Pattern: `\n`},
	{Name: "Whitespace", Pattern: `[ \t\r\f\v]+`},
	{Name: "Float", Pattern: `(\d+\.\d*|\.\d+)([eE][-+]?\d+)?|\d+[eE][-+]?\d+`},
	{Name: "Int", Pattern: `\d+`},
	{Name: "Ident", Pattern: `[\p{L}_][\p{L}\p{Nd}_]*`},
	{Name: "Punct", Pattern: `->|<=|>=|==|!=|&&|\|\||[-+*/%<>=!(),:\[\]{};]`},
})

var (
	symbols      = baseLexer.Symbols()
	tokComment   = symbols["Comment"]
	tokOpen      = symbols["OpenComment"]
	tokNewline   = symbols["Newline"]
	tokSpace     = symbols["Whitespace"]
	tokFloat     = symbols["Float"]
	tokInt       = symbols["Int"]
	tokIdent     = symbols["Ident"]
	tokPunct     = symbols["Punct"]
	langLexerDef = &stmtLexerDef{}
)

// stmtLexerDef wraps baseLexer with Go-like automatic statement termination
// (SPEC section 10.7): a newline outside parentheses and brackets that
// follows an identifier, a number, ")", "]" or "}" becomes a ";" token;
// other newlines, comments and whitespace are dropped. A statement therefore
// continues on the next line after a binary operator or a comma, or inside
// brackets; a kernel signature (from "kernel" to its "{") may break
// anywhere. A line that would start a new statement with a binary operator
// is an error that says where the operator belongs. "{" and "}" reset the
// bracket depth so that an unbalanced bracket in one kernel does not swallow
// the newlines of the rest of the file.
type stmtLexerDef struct{}

func (*stmtLexerDef) Symbols() map[string]lexer.TokenType { return symbols }

func (d *stmtLexerDef) Lex(filename string, r io.Reader) (lexer.Lexer, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return d.LexBytes(filename, b)
}

func (*stmtLexerDef) LexBytes(filename string, b []byte) (lexer.Lexer, error) {
	l, err := baseLexer.LexString(filename, string(b))
	if err != nil {
		return nil, err
	}
	return &stmtLexer{l: l, start: true}, nil
}

type stmtLexer struct {
	l       lexer.Lexer
	pending *lexer.Token // a token read ahead after a ";"
	depth   int
	semi    bool // a newline now would end a statement
	start   bool // the next token starts a declaration or statement
	sig     bool // inside a kernel signature: newlines never end it
	ops     int  // length of the current run of operator tokens
}

// maxNesting bounds bracket nesting and runs of operators (as in "- - - x"), so
// that the recursive-descent parser cannot exhaust the stack.
const maxNesting = 200

// leadingOps are the tokens that cannot start a line that follows a
// complete statement: the binary operators, and "=".
var leadingOps = map[string]bool{
	"+": true, "-": true, "*": true, "/": true, "%": true, "<": true, "<=": true, ">": true, ">=": true,
	"==": true, "!=": true, "&&": true, "||": true, "=": true,
}

// next returns the token read ahead, or the next token of the base lexer.
func (s *stmtLexer) next() (lexer.Token, error) {
	if t := s.pending; t != nil {
		s.pending = nil
		return *t, nil
	}
	return s.l.Next()
}

// significant reads ahead to the next token that is not space, a comment or
// a newline.
func (s *stmtLexer) significant() (lexer.Token, error) {
	for {
		t, err := s.l.Next()
		if err != nil || (t.Type != tokSpace && t.Type != tokComment && t.Type != tokNewline) {
			return t, err
		}
	}
}

// endStatement returns the ";" that a newline at pos inserts, unless the
// next line starts with a binary operator: then it returns an error saying
// that the operator belongs at the end of the previous line.
func (s *stmtLexer) endStatement(pos lexer.Position) (lexer.Token, error) {
	t, err := s.significant()
	if err != nil {
		return t, err
	}
	if t.Type == tokPunct && leadingOps[t.Value] {
		what := "the binary operator " + strconv.Quote(t.Value)
		if t.Value == "=" {
			what = strconv.Quote("=")
		}
		return t, &lexer.Error{Pos: t.Pos, Msg: "a line cannot start with " + what +
			": the previous line ends the statement; to continue it, end that line with the operator (a statement continues after a binary operator, a comma or inside brackets)"}
	}
	s.pending = &t
	s.start = true
	return lexer.Token{Type: tokPunct, Value: ";", Pos: pos}, nil
}

func (s *stmtLexer) Next() (lexer.Token, error) {
	for {
		t, err := s.next()
		if err != nil {
			return t, err
		}
		start := s.start
		s.start = false
		switch t.Type {
		case tokSpace:
			s.start = start
			continue
		case tokOpen:
			return t, &lexer.Error{Msg: "comment not terminated", Pos: t.Pos}
		case tokComment, tokNewline:
			s.start = start
			if t.Type == tokComment && !strings.Contains(t.Value, "\n") && !strings.HasPrefix(t.Value, "//") {
				continue // a one-line block comment is like a space
			}
			if t.Type == tokComment && strings.HasPrefix(t.Value, "//") {
				continue // the newline that ends it follows
			}
			if s.semi && s.depth == 0 && !s.sig {
				s.semi = false
				return s.endStatement(t.Pos)
			}
			continue
		case tokIdent, tokInt, tokFloat:
			s.semi = true
			s.ops = 0
			if start && t.Value == "kernel" && s.depth == 0 {
				s.sig = true
			}
		case tokPunct:
			switch t.Value {
			case "(", "[":
				s.depth++
			case ")", "]":
				if s.depth > 0 {
					s.depth--
				}
			case "{", "}":
				s.depth = 0
				s.sig = false
				s.start = true
			case ";":
				s.start = true
			}
			s.semi = t.Value == ")" || t.Value == "]" || t.Value == "}"
			if s.semi {
				s.ops = 0
			} else {
				s.ops++
			}
			if s.depth > maxNesting || s.ops > maxNesting {
				return t, &lexer.Error{Msg: "expression nested too deeply", Pos: t.Pos}
			}
		}
		return t, nil
	}
}
