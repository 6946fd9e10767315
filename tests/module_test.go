package tests

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// repoRoot is the tcc module's root directory (the parent of tests/).
func repoRoot(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(wd)
}

// offlineEnv is the environment for go commands run by the suite: no
// network, modules from the cache, no workspace.
func offlineEnv(extra ...string) []string {
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOSUMDB=off")
	return append(env, extra...)
}

// needGo skips the test when there is no go command or in -short mode.
func needGo(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds Go packages; skipped in -short mode")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
}

// goRun runs the go command with args in dir and returns its combined output.
func goRun(t testing.TB, dir string, env []string, args ...string) ([]byte, error) {
	t.Helper()
	// Stop the command well before the test binary's own deadline, so that a
	// slow build fails this test with its output instead of a panic.
	deadline := time.Now().Add(8 * time.Minute)
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if td, ok := d.Deadline(); ok && td.Add(-30*time.Second).Before(deadline) {
			deadline = td.Add(-30 * time.Second)
		}
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir, cmd.Env = dir, env
	return cmd.CombinedOutput()
}

// sysRequirement returns the require line and go.sum lines for
// golang.org/x/sys as the tcc module pins it, for temporary modules that
// hold generated packages (whose dispatch file imports x/sys/cpu).
func sysRequirement(t testing.TB) (require, sum string) {
	t.Helper()
	root := repoRoot(t)
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`golang\.org/x/sys (v[^\s]+)`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod does not require golang.org/x/sys")
	}
	version := string(m[1])
	sums, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(sums))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "golang.org/x/sys "+version+" ") || strings.HasPrefix(sc.Text(), "golang.org/x/sys "+version+"/go.mod ") {
			b.WriteString(sc.Text() + "\n")
		}
	}
	return "require golang.org/x/sys " + version + "\n", b.String()
}

// writeModule creates a temporary module named name whose packages are
// given as dir -> file -> content, and returns its directory.
func writeModule(t testing.TB, name string, pkgs map[string]map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	req, sum := sysRequirement(t)
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module "+name+"\n\ngo 1.26\n\n"+req), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), []byte(sum), 0o644); err != nil {
		t.Fatal(err)
	}
	for pkg, files := range pkgs {
		for name, src := range files {
			p := filepath.Join(dir, pkg, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, src, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

var (
	tccOnce sync.Once
	tccPath string
	tccErr  error
)

// tccBinary builds cmd/tcc once per test binary and returns its path.
func tccBinary(t testing.TB) string {
	t.Helper()
	needGo(t)
	tccOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tcc-bin")
		if err != nil {
			tccErr = err
			return
		}
		tccPath = filepath.Join(dir, "tcc")
		out, err := goRun(t, repoRoot(t), append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off"), "build", "-o", tccPath, "./cmd/tcc")
		if err != nil {
			tccErr = fmt.Errorf("go build ./cmd/tcc: %v\n%s", err, out)
		}
	})
	if tccErr != nil {
		t.Fatal(tccErr)
	}
	return tccPath
}
