// Package gotest builds, vets and runs generated Go packages in throw-away
// modules, for the tests of the package writer (package driver) and the
// conformance suite.
//
// A Module is a temporary directory holding go.mod ("module tmp", the Go
// version and the golang.org/x/sys requirement of the tcc module, with its
// go.sum lines) and one package directory named after the generated package. The
// go command runs offline (GOPROXY=off, GOWORK=off, GOTOOLCHAIN=local) against
// the shared module and build caches, so a build takes seconds.
package gotest

import (
	"bytes"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Module is a temporary module holding one generated package.
type Module struct {
	Dir    string // module root
	PkgDir string // directory of the package
	Pkg    string // package name (and import path "tmp/"+Pkg)
}

// root returns the directory of the tcc module (the nearest go.mod above the
// working directory).
func root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.Contains(b, []byte("module github.com/tensorcc/tcc\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("gotest: tcc's go.mod not found above the working directory")
		}
		dir = parent
	}
}

var (
	sysRE = regexp.MustCompile(`(?m)^\s*golang\.org/x/sys (v\S+)`)
	goRE  = regexp.MustCompile(`(?m)^go (\S+)`)
)

// modFiles returns go.mod and go.sum for the temporary module.
func modFiles() (mod, sum []byte, err error) {
	r, err := root()
	if err != nil {
		return nil, nil, err
	}
	gomod, err := os.ReadFile(filepath.Join(r, "go.mod"))
	if err != nil {
		return nil, nil, fmt.Errorf("gotest: %w", err)
	}
	gosum, err := os.ReadFile(filepath.Join(r, "go.sum"))
	if err != nil {
		return nil, nil, fmt.Errorf("gotest: %w", err)
	}
	goVer := "1.26"
	if m := goRE.FindSubmatch(gomod); m != nil {
		goVer = string(m[1])
	}
	m := sysRE.FindSubmatch(gomod)
	if m == nil {
		return nil, nil, errors.New("gotest: golang.org/x/sys not required by tcc's go.mod")
	}
	ver := string(m[1])
	var b bytes.Buffer
	fmt.Fprintf(&b, "module tmp\n\ngo %s\n\nrequire golang.org/x/sys %s\n", goVer, ver)
	var s bytes.Buffer
	for _, line := range strings.Split(string(gosum), "\n") {
		if strings.HasPrefix(line, "golang.org/x/sys "+ver+" ") || strings.HasPrefix(line, "golang.org/x/sys "+ver+"/go.mod ") {
			s.WriteString(line + "\n")
		}
	}
	return b.Bytes(), s.Bytes(), nil
}

// packageName returns the package clause shared by the Go files in files.
func packageName(files map[string][]byte) (string, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !strings.HasSuffix(n, ".go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), n, files[n], parser.PackageClauseOnly)
		if err != nil {
			return "", fmt.Errorf("gotest: %w", err)
		}
		return f.Name.Name, nil
	}
	return "", errors.New("gotest: no Go file")
}

// New writes files into a fresh temporary module (removed when t ends) and
// returns it.
func New(t testing.TB, files map[string][]byte) *Module {
	t.Helper()
	m, err := NewModule(t.TempDir(), files)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// NewModule writes files as package directory dir/<package name> of a module
// rooted at dir.
func NewModule(dir string, files map[string][]byte) (*Module, error) {
	pkg, err := packageName(files)
	if err != nil {
		return nil, err
	}
	mod, sum, err := modFiles()
	if err != nil {
		return nil, err
	}
	m := &Module{Dir: dir, PkgDir: filepath.Join(dir, pkg), Pkg: pkg}
	if err := os.MkdirAll(m.PkgDir, 0o755); err != nil {
		return nil, fmt.Errorf("gotest: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), mod, 0o644); err != nil {
		return nil, fmt.Errorf("gotest: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		return nil, fmt.Errorf("gotest: %w", err)
	}
	for name, src := range files {
		if name != filepath.Base(name) {
			return nil, fmt.Errorf("gotest: invalid file name %q", name)
		}
		if err := os.WriteFile(filepath.Join(m.PkgDir, name), src, 0o644); err != nil {
			return nil, fmt.Errorf("gotest: %w", err)
		}
	}
	return m, nil
}

// WriteFile adds a file to the package directory.
func (m *Module) WriteFile(name string, src []byte) error {
	if err := os.WriteFile(filepath.Join(m.PkgDir, name), src, 0o644); err != nil {
		return fmt.Errorf("gotest: %w", err)
	}
	return nil
}

// Go runs the go command with args in the package directory, with env added to
// the offline environment, and returns its combined output.
func (m *Module) Go(env []string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = m.PkgDir
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local", "GOFLAGS=-mod=readonly",
		"TCC_POISON_SCRATCH=1") // scratch that is not cleared reads as NaN until written
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("gotest: go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// Options controls Test.
type Options struct {
	Tags []string // build tags
	Race bool     // run with the race detector
	Env  []string // extra environment, e.g. "TCC_CPU=generic"
	Args []string // extra go test flags, e.g. "-run", "TestX"
}

// TestMainFile is the name under which Test writes its test source.
const TestMainFile = "tcc_gotest_test.go"

// Test writes files and test (the source of a _test.go file of the generated
// package, which may use its unexported names) into a temporary module, runs
// `go test` on it once, and returns the output (everything the tests printed).
// It fails t when the build or a test fails.
func Test(t testing.TB, files map[string][]byte, test string, o Options) string {
	t.Helper()
	m := New(t, files)
	if err := m.WriteFile(TestMainFile, []byte(test)); err != nil {
		t.Fatal(err)
	}
	out, err := m.Test(o)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Test runs `go test` in the package directory (local directory mode, so the
// tests' output is shown and nothing is cached).
func (m *Module) Test(o Options) (string, error) {
	args := []string{"test", "-count=1"}
	if len(o.Tags) > 0 {
		args = append(args, "-tags="+strings.Join(o.Tags, ","))
	}
	var env []string
	if o.Race {
		args = append(args, "-race")
		env = append(env, "CGO_ENABLED=1")
	}
	args = append(args, o.Args...)
	return m.Go(append(env, o.Env...), args...)
}

// BuildAndRun is Test with only build tags.
func BuildAndRun(t testing.TB, files map[string][]byte, test string, tags ...string) string {
	t.Helper()
	return Test(t, files, test, Options{Tags: tags})
}

// Build runs `go build` (and `go vet` when vet is set) of the package for
// GOOS/GOARCH (empty for the host) with tags, and returns the output.
func (m *Module) Build(goos, goarch string, vet bool, tags ...string) (string, error) {
	var env []string
	if goos != "" {
		env = append(env, "GOOS="+goos)
	}
	if goarch != "" {
		env = append(env, "GOARCH="+goarch)
	}
	var tagArgs []string
	if len(tags) > 0 {
		tagArgs = []string{"-tags=" + strings.Join(tags, ",")}
	}
	out, err := m.Go(env, append([]string{"build"}, append(tagArgs, ".")...)...)
	if err != nil || !vet {
		return out, err
	}
	vout, err := m.Go(env, append([]string{"vet"}, append(tagArgs, ".")...)...)
	return out + vout, err
}
