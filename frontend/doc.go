// Package frontend compiles tcc source files (.tc) to the tensor-level IR of
// package ir.
//
// The pipeline, run by Compile, is:
//
//  1. Lexing and parsing (lexer.go, grammar.go). A participle lexer produces
//     tokens; a small filter drops comments and whitespace and, like Go, turns a
//     newline that ends a statement into ";" (a newline after an identifier, a
//     number, ")", "]" or "}" outside parentheses and brackets). The participle
//     grammar is layered by operator precedence, so it has no left recursion.
//     The parser is built once, at package initialisation.
//  2. Conversion (ast.go) of the participle structs into a small syntax tree,
//     with doc comments taken from the "//" lines directly above "kernel".
//  3. Declarations (compile.go): package clauses must agree across files;
//     constants are evaluated as int64 with cycle and overflow detection;
//     constant and kernel names are checked for clashes.
//  4. Kernels (kernel.go), compiled on demand so that a call can inline its
//     callee: the signature declares tensors and size symbols (in order of first
//     appearance; each must occur as a plain dimension); each statement is
//     checked and converted (expr.go) with the promotion rules of the language
//     reference: untyped literals, constants, sizes and index values take the
//     type of the other operand; a Cast is inserted wherever a value changes
//     type, including the decode of stored elements and the store conversion.
//     Index ranges are inferred from plain subscripts; ranges that are not
//     provably equal become ir.Agree run-time checks, constant ranges that
//     differ are errors.
//  5. Inlining (inline.go): a call statement copies the callee's IR with its
//     size symbols unified with the arguments' dimensions (a callee dimension
//     K / G bound to D binds K = D*G), its intermediates renamed apart, and its
//     checks carried over.
//  6. Verification: every kernel produced is checked by ir.Verify; a failure is
//     reported as an internal error at the kernel's position.
//
// Errors are collected per declaration and statement (the first error of a
// statement aborts it, and names it would define are then silently unusable, so
// that one mistake does not cascade), sorted by position and deduplicated. A
// recover() net turns any remaining internal panic into an error.
//
// Choices where the language reference leaves room:
//
//   - an untyped sub-expression is evaluated entirely in the type its context
//     gives it, so i / 2 next to an f32 operand is a float division;
//   - a parameter written name: T[] is a rank-0 tensor input (a one-element
//     slice); name: T is a scalar;
//   - a statement may not define an intermediate from a bool value (outputs
//     accept it, converting to 1/0); a kernel must have at least one output;
//   - a scalar argument of a call given by an expression is stored in a rank-0
//     intermediate named CALLEE_PARAM; inlined intermediates are named
//     CALLEE_NAME and inlined index variables are renamed (x_2) where they would
//     clash with a caller tensor;
//   - index variables may not reuse the name of a tensor, size or constant;
//   - brackets may nest at most 200 deep, and at most 200 operators may follow
//     one another, so that the parser cannot exhaust the stack.
//
// The error test cases in testdata/errors are .tc files that list the errors
// they must produce as comment lines "// ERROR LINE:COL: message"; the file is
// compiled under its base name, which the messages omit.
package frontend
