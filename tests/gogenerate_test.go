package tests

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGoGenerateExample copies the separate module examples/gogenerate,
// points its replace directive at this repository, and runs `go generate
// ./...` (which runs `go tool tcc compile`) and `go test ./...` in it,
// offline, from the module cache.
func TestGoGenerateExample(t *testing.T) {
	needGo(t)
	root := repoRoot(t)
	src := filepath.Join(root, "examples", "gogenerate")
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			if rel == "kern" { // a previous go generate's output
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if rel == "go.mod" {
			s := string(b)
			if !strings.Contains(s, "=> ../..") {
				t.Fatalf("examples/gogenerate/go.mod has no replace => ../..:\n%s", s)
			}
			b = []byte(strings.Replace(s, "=> ../..", "=> "+root, 1))
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"generate", "./..."}, {"test", "-count=1", "./..."}, {"run", "."}} {
		out, err := goRun(t, dst, offlineEnv(), args...)
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if args[0] == "run" && !strings.Contains(string(out), "max |generated - reference|") {
			t.Errorf("go run printed %q", out)
		}
	}
	if _, err := os.Stat(filepath.Join(dst, "kern", "tcc_rt.go")); err != nil {
		t.Errorf("go generate did not write the runtime helpers: %v", err)
	}
}
