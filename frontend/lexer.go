package frontend

import (
	"io"
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

// stmtLexerDef wraps baseLexer with Go-like automatic statement termination: a
// newline outside parentheses and brackets that follows an identifier, a number,
// ")", "]" or "}" becomes a ";" token; other newlines, comments and whitespace are
// dropped. "{" and "}" reset the bracket depth so that an unbalanced bracket in
// one kernel does not swallow the newlines of the rest of the file.
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
	return &stmtLexer{l: l}, nil
}

type stmtLexer struct {
	l     lexer.Lexer
	depth int
	semi  bool // a newline now would end a statement
	ops   int  // length of the current run of operator tokens
}

// maxNesting bounds bracket nesting and runs of operators (as in "- - - x"), so
// that the recursive-descent parser cannot exhaust the stack.
const maxNesting = 200

func (s *stmtLexer) Next() (lexer.Token, error) {
	for {
		t, err := s.l.Next()
		if err != nil {
			return t, err
		}
		switch t.Type {
		case tokSpace:
			continue
		case tokOpen:
			return t, &lexer.Error{Msg: "comment not terminated", Pos: t.Pos}
		case tokComment, tokNewline:
			if t.Type == tokComment && !strings.Contains(t.Value, "\n") && !strings.HasPrefix(t.Value, "//") {
				continue // a one-line block comment is like a space
			}
			if t.Type == tokComment && strings.HasPrefix(t.Value, "//") {
				continue // the newline that ends it follows
			}
			if s.semi && s.depth == 0 {
				s.semi = false
				return lexer.Token{Type: tokPunct, Value: ";", Pos: t.Pos}, nil
			}
			continue
		case tokIdent, tokInt, tokFloat:
			s.semi = true
			s.ops = 0
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
