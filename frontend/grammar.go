package frontend

import (
	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// The participle grammar. Expressions are layered by precedence
// (|| < && < comparisons < + - < * / % < unary), each layer a head operand
// followed by (operator, operand) tails, so the grammar has no left recursion.

type gFile struct {
	Package *gPackage `parser:"';'* @@?"`
	Decls   []*gDecl  `parser:"( @@ | ';' )*"`
}

type gPackage struct {
	Pos  lexer.Position
	Name string `parser:"'package' @Ident"`
}

type gDecl struct {
	Const  *gConst  `parser:"  @@"`
	Kernel *gKernel `parser:"| @@"`
}

type gConst struct {
	Pos   lexer.Position
	Name  gName  `parser:"'const' @@ '='"`
	Value *gExpr `parser:"@@"`
}

type gName struct {
	Pos  lexer.Position
	Name string `parser:"@Ident"`
}

type gKernel struct {
	Pos     lexer.Position
	Name    gName     `parser:"'kernel' @@"`
	Params  []*gParam `parser:"'(' ( @@ ( ',' @@ )* ','? )? ')'"`
	Outputs []*gParam `parser:"'->' ( '(' ( @@ ( ',' @@ )* ','? )? ')' | @@ )"`
	Body    []*gStmt  `parser:"';'* '{' ( ';' | @@ )* '}'"`
}

type gParam struct {
	Pos    lexer.Position
	Name   gName    `parser:"@@ ':'"`
	Type   gName    `parser:"@@"`
	Tensor bool     `parser:"( @'['"`
	Dims   []*gExpr `parser:"  ( @@ ( ',' @@ )* ','? )? ']' )?"`
}

type gStmt struct {
	Pos     lexer.Position
	Multi   []*gName `parser:"( '(' @@ ( ',' @@ )* ','? ')'"`
	Target  *gName   `parser:"| @@"`
	Indexed bool     `parser:"  ( @'['"`
	Subs    []*gExpr `parser:"    ( @@ ( ',' @@ )* ','? )? ']' )? )"`
	Value   *gExpr   `parser:"'=' @@"`
	End     bool     `parser:"(?! ~( '}' | ';' ) ) @';'?"`
}

type gExpr struct {
	Pos  lexer.Position
	Head *gAnd    `parser:"@@"`
	Tail []*gOrOp `parser:"@@*"`
}

type gOrOp struct {
	Pos lexer.Position
	Op  string `parser:"@'||'"`
	Y   *gAnd  `parser:"@@"`
}

type gAnd struct {
	Pos  lexer.Position
	Head *gCmp     `parser:"@@"`
	Tail []*gAndOp `parser:"@@*"`
}

type gAndOp struct {
	Pos lexer.Position
	Op  string `parser:"@'&&'"`
	Y   *gCmp  `parser:"@@"`
}

type gCmp struct {
	Pos  lexer.Position
	Head *gAdd     `parser:"@@"`
	Tail []*gCmpOp `parser:"@@*"`
}

type gCmpOp struct {
	Pos lexer.Position
	Op  string `parser:"@( '<=' | '>=' | '==' | '!=' | '<' | '>' )"`
	Y   *gAdd  `parser:"@@"`
}

type gAdd struct {
	Pos  lexer.Position
	Head *gMul     `parser:"@@"`
	Tail []*gAddOp `parser:"@@*"`
}

type gAddOp struct {
	Pos lexer.Position
	Op  string `parser:"@( '+' | '-' )"`
	Y   *gMul  `parser:"@@"`
}

type gMul struct {
	Pos  lexer.Position
	Head *gUnary   `parser:"@@"`
	Tail []*gMulOp `parser:"@@*"`
}

type gMulOp struct {
	Pos lexer.Position
	Op  string  `parser:"@( '*' | '/' | '%' )"`
	Y   *gUnary `parser:"@@"`
}

type gUnary struct {
	Pos     lexer.Position
	Op      string    `parser:"( @( '-' | '!' | '+' )"`
	X       *gUnary   `parser:"  @@"`
	Operand *gOperand `parser:"| @@ )"`
}

type gOperand struct {
	Pos   lexer.Position
	Float *string `parser:"  @Float"`
	Int   *string `parser:"| @Int"`
	Ref   *gRef   `parser:"| @@"`
	Paren *gExpr  `parser:"| '(' @@ ')'"`
}

type gRef struct {
	Pos     lexer.Position
	Name    string   `parser:"@Ident"`
	Call    bool     `parser:"( @'('"`
	Red     *gReduce `parser:"  ( (?= Ident ( ',' Ident )* ( 'where' | ':' ) ) @@"`
	Args    []*gExpr `parser:"  | @@ ( ',' @@ )* ','? )? ')'"`
	Indexed bool     `parser:"| @'['"`
	Subs    []*gExpr `parser:"  ( @@ ( ',' @@ )* ','? )? ']' )?"`
}

type gReduce struct {
	Pos   lexer.Position
	Vars  []*gName `parser:"@@ ( ',' @@ )*"`
	Where *gExpr   `parser:"( 'where' @@ )?"`
	Body  *gExpr   `parser:"':' @@"`
}

// parser is built once; participle parsers are safe for concurrent use.
var parser = participle.MustBuild[gFile](
	participle.Lexer(langLexerDef),
	participle.UseLookahead(4),
)
