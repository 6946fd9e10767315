package frontend

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tensorcc/tcc/ir"
)

// FuzzCompile checks that Compile never panics (its recover net reports a panic
// as an "internal error"), that failures are well-formed sorted ErrorLists, and
// that every kernel it returns passes ir.Verify.
func FuzzCompile(f *testing.F) {
	var seeds []string
	for _, pat := range []string{"../examples/*.tc", "../examples/*/*.tc", "../tests/*.tc", "../tests/*/*.tc", "../tests/*/*/*.tc", "testdata/*/*.tc"} {
		m, _ := filepath.Glob(pat)
		seeds = append(seeds, m...)
	}
	for _, path := range seeds {
		b, err := os.ReadFile(path)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("kernel F(A: f32[N]) -> (B: f32[N]) { B[i] = A[i] }"))
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Compile(Source{Name: "f.tc", Text: src})
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error is not a non-empty ErrorList: %v", err)
			}
			for i, e := range list {
				if strings.Contains(e.Msg, "internal error") {
					t.Fatalf("internal error: %v", e)
				}
				if e.Pos.File != "f.tc" || e.Pos.Line < 1 || e.Pos.Col < 1 {
					t.Fatalf("bad position in %v", e)
				}
				if i > 0 && comparePos(list[i-1].Pos, e.Pos) > 0 {
					t.Fatalf("errors not sorted: %v", list)
				}
			}
			return
		}
		for _, k := range p.Kernels {
			if err := ir.Verify(k); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			_ = k.String()
		}
	})
}
