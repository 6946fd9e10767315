package frontend

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The programs in testdata/errors must each fail to compile. A file lists the
// complete set of errors it must produce, in order, as comment lines
//
//	// ERROR LINE:COL: message
//
// (the file name prefix of each error is omitted). The file is compiled as a
// Source whose Name is its base name.
func TestErrorFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/errors/*.tc")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 40 {
		t.Fatalf("only %d error cases", len(files))
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(strings.TrimSuffix(name, ".tc"), func(t *testing.T) {
			text, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want := expectedErrors(text)
			if len(want) == 0 {
				t.Fatal("no // ERROR lines")
			}
			prog, err := Compile(Source{Name: name, Text: text})
			if err == nil {
				t.Fatalf("compiled without error: %v", prog.Kernels)
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error %T is not an ErrorList: %v", err, err)
			}
			var got []string
			for _, e := range list {
				if e.Pos.File != name {
					t.Errorf("error %q has file %q, want %q", e, e.Pos.File, name)
				}
				got = append(got, strings.TrimPrefix(e.Error(), name+":"))
			}
			if !slices.Equal(got, want) {
				t.Errorf("errors:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
			}
		})
	}
}

// expectedErrors returns the "LINE:COL: message" texts of the // ERROR lines.
func expectedErrors(text []byte) []string {
	var want []string
	for line := range strings.Lines(string(text)) {
		if s, ok := strings.CutPrefix(strings.TrimSpace(line), "// ERROR "); ok {
			want = append(want, s)
		}
	}
	return want
}

func TestErrorFormat(t *testing.T) {
	e := &Error{Pos: posOf("a.tc", 3, 7), Msg: "boom"}
	if got := e.Error(); got != "a.tc:3:7: boom" {
		t.Errorf("Error() = %q", got)
	}
	l := sortErrors(ErrorList{
		{Pos: posOf("b.tc", 1, 1), Msg: "x"},
		{Pos: posOf("a.tc", 2, 1), Msg: "y"},
		{Pos: posOf("a.tc", 1, 9), Msg: "z"},
		{Pos: posOf("a.tc", 2, 1), Msg: "y"},
	})
	want := "a.tc:1:9: z\na.tc:2:1: y\nb.tc:1:1: x"
	if got := l.Error(); got != want {
		t.Errorf("sorted list:\n%s\nwant:\n%s", got, want)
	}
	var one *Error
	if !errors.As(error(l), &one) || one.Msg != "z" {
		t.Errorf("errors.As did not find the first entry: %v", one)
	}
	_ = strconv.Itoa
}
