package ir

import "fmt"

// Error is an error at a source position, from any stage of the compiler
// (SPEC section 8: every compile-time error carries one). Its message names
// source-level identifiers.
type Error struct {
	Pos Pos
	Msg string
}

// Error formats e as "FILE:LINE:COL: Msg".
func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Errorf returns an *Error at pos with a formatted message.
func Errorf(pos Pos, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}
