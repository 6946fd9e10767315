package frontend

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/tensorcc/tcc/ir"
)

// Error is a compile-time error at a source position.
type Error = ir.Error

// ErrorList is a list of compile-time errors, sorted by position and free of
// duplicates when returned by Compile.
type ErrorList []*Error

// Error joins the entries' messages with newlines.
func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the entries, so that errors.As finds an individual *Error.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

func comparePos(a, b ir.Pos) int {
	return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
}

// sortErrors sorts l by position (then message) and removes exact duplicates.
func sortErrors(l ErrorList) ErrorList {
	slices.SortStableFunc(l, func(a, b *Error) int {
		return cmp.Or(comparePos(a.Pos, b.Pos), strings.Compare(a.Msg, b.Msg))
	})
	return slices.CompactFunc(l, func(a, b *Error) bool { return a.Pos == b.Pos && a.Msg == b.Msg })
}

// errorSink collects errors.
type errorSink struct {
	errs ErrorList
}

func (s *errorSink) errorf(pos ir.Pos, format string, args ...any) {
	s.errs = append(s.errs, &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}
