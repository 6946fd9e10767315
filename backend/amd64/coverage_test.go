package amd64_test

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/tensorcc/tcc/backend/amd64"
	"github.com/tensorcc/tcc/frontend"
	"github.com/tensorcc/tcc/loop"
	"github.com/tensorcc/tcc/lower"
)

// TestLoweredCoverage lowers every kernel of the conformance suite, the
// examples and the benchmark kernels for the amd64 targets and translates
// all of its funcs. An internal error of the lowering and a translation
// failure other than ErrUnsupported are errors; the share of funcs translated is logged, and the
// kernels listed in mustTranslate must translate completely. (The run-time
// results of the translated code are checked against the interpreter by the
// conformance suite in package tests, for the default dispatch and TCC_CPU=avx2.)
func TestLoweredCoverage(t *testing.T) {
	if testing.Short() {
		t.Skip("lowers the whole conformance suite; skipped in -short mode")
	}
	var files []string
	for _, pat := range []string{"../../tests/testdata/conformance/*.tc", "../../examples/*.tc", "../../bench/kernels/*.tc"} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skip("no conformance sources")
	}
	mustTranslate := map[string]bool{"Matmul": true, "Softmax": true, "LayerNorm": true}
	total, done := 0, 0
	var missing []string
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := frontend.Compile(frontend.Source{Name: filepath.Base(name), Text: src})
		if err != nil {
			t.Logf("%s: %v", name, err)
			continue
		}
		for _, k := range prog.Kernels {
			for _, tg := range []loop.Target{loop.TargetAVX512VNNI, loop.TargetAVX512, loop.TargetAVX2} {
				lk, err := lower.Lower(k, tg, nil)
				if errors.Is(err, lower.ErrInternal) {
					t.Errorf("%s %s: lower: %v", k.Name, tg.Name, err)
				}
				if err != nil {
					t.Logf("%s %s: lower: %v", k.Name, tg.Name, err)
					continue
				}
				_, _, err = amd64.GeneratePackage("p", lk, lk.Funcs, tg)
				total += len(lk.Funcs)
				failed := 0
				if err != nil {
					if !errors.Is(err, amd64.ErrUnsupported) {
						t.Errorf("%s %s: %v", k.Name, tg.Name, err)
					}
					for _, e := range strings.Split(err.Error(), "\n") {
						missing = append(missing, e)
						failed++
					}
					if mustTranslate[k.Name] {
						t.Errorf("%s %s must translate: %v", k.Name, tg.Name, err)
					}
				}
				done += len(lk.Funcs) - failed
			}
		}
	}
	sort.Strings(missing)
	t.Logf("translated %d of %d funcs", done, total)
	if testing.Verbose() {
		for _, m := range missing {
			t.Log(m)
		}
	}
}
