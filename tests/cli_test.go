package tests

import (
	"bytes"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sbinet/npyio"
)

// tcc runs the tcc binary with args in dir and returns stdout, stderr and
// the exit status.
func tcc(t *testing.T, dir string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	cmd := exec.Command(tccBinary(t), args...)
	cmd.Dir = dir
	cmd.Env = offlineEnv()
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		status = ee.ExitCode()
	default:
		t.Fatalf("tcc %v: %v", args, err)
	}
	return o.String(), e.String(), status
}

// TestCheckErrors runs every bad program of the front end's table
// (frontend/testdata/errors, each listing its errors as "// ERROR
// LINE:COL: message") through `tcc check`, expecting exactly those
// FILE:LINE:COL lines on stderr and status 1, and through `tcc compile`,
// expecting status 1 and no output directory.
func TestCheckErrors(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "frontend", "testdata", "errors")
	files, err := filepath.Glob(filepath.Join(dir, "*.tc"))
	if err != nil || len(files) == 0 {
		t.Skipf("no error table in %s (%v)", dir, err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(strings.TrimSuffix(name, ".tc"), func(t *testing.T) {
			text, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, line := range strings.Split(string(text), "\n") {
				if s, ok := strings.CutPrefix(strings.TrimSpace(line), "// ERROR "); ok {
					want = append(want, name+":"+s)
				}
			}
			if len(want) == 0 {
				t.Skip("no // ERROR lines")
			}
			stdout, stderr, status := tcc(t, dir, "check", name)
			if status != 1 {
				t.Errorf("tcc check: status %d, want 1", status)
			}
			if stdout != "" {
				t.Errorf("tcc check wrote to stdout: %q", stdout)
			}
			if got := strings.TrimRight(stderr, "\n"); got != strings.Join(want, "\n") {
				t.Errorf("tcc check stderr:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
			}
			out := filepath.Join(t.TempDir(), "pkg")
			_, _, status = tcc(t, dir, "compile", "-o", out, name)
			if status != 1 {
				t.Errorf("tcc compile: status %d, want 1", status)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("tcc compile created %s on error", out)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	root := repoRoot(t)
	tests := []struct {
		args   []string
		status int
		stdout string // substring
		stderr string // substring
	}{
		{nil, 2, "", "Usage"},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"help"}, 0, "compile", ""},
		{[]string{"check", "-h"}, 0, "", "usage: tcc check"},
		{[]string{"compile", "-h"}, 0, "", "-target"},
		{[]string{"run", "-h"}, 0, "", "NAME=FILE.npy"},
		{[]string{"bench", "-h"}, 0, "", "-threads"},
		{[]string{"explain", "-h"}, 0, "", "-k"},
		{[]string{"check"}, 2, "", "no files"},
		{[]string{"compile", "-bogus", "x.tc"}, 2, "", "flag provided but not defined"},
		{[]string{"compile", "-target", "sparc", "examples/matmul.tc"}, 2, "", `unknown target "sparc"`},
		{[]string{"explain", "examples/matmul.tc"}, 2, "", "-k KERNEL is required"},
		{[]string{"run", "examples/matmul.tc", "-k", "Matmul", "-i", "A=a.npy"}, 2, "", "missing -i for B"},
		{[]string{"check", "no/such/file.tc"}, 1, "", "no such file"},
		{[]string{"check", "examples/matmul.tc", "examples/softmax.tc"}, 0, "", ""},
		{[]string{"explain", "examples/matmul.tc", "-k", "Nope"}, 1, "", `no kernel "Nope"`},
		{[]string{"version"}, 0, "tcc ", ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			stdout, stderr, status := tcc(t, root, tt.args...)
			if status != tt.status {
				t.Errorf("status %d, want %d (stderr %q)", status, tt.status, stderr)
			}
			if !strings.Contains(stdout, tt.stdout) {
				t.Errorf("stdout %q does not contain %q", stdout, tt.stdout)
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr %q does not contain %q", stderr, tt.stderr)
			}
			if tt.stderr == "" && tt.status == 0 && stderr != "" {
				t.Errorf("unexpected stderr %q", stderr)
			}
		})
	}
}

// TestExamplesCompile compiles every example and every program of the front
// end's good table (frontend/testdata/good) with `tcc compile`, builds the
// packages (default and purego) and vets them: a program the front end
// accepts compiles on every target (SPEC section 8).
func TestExamplesCompile(t *testing.T) {
	root := repoRoot(t)
	examples, _ := filepath.Glob(filepath.Join(root, "examples", "*.tc"))
	if len(examples) < 6 {
		t.Fatalf("only %d examples", len(examples))
	}
	good, _ := filepath.Glob(filepath.Join(root, "frontend", "testdata", "good", "*.tc"))
	if len(good) < 2 {
		t.Fatalf("only %d good programs", len(good))
	}
	mod := writeModule(t, "examples.test", nil)
	for _, ex := range append(examples, good...) {
		name := strings.TrimSuffix(filepath.Base(ex), ".tc")
		out := filepath.Join(mod, name)
		if _, stderr, status := tcc(t, root, "compile", "-o", out, "-pkg", name, ex); status != 0 {
			t.Fatalf("tcc compile %s: status %d\n%s", ex, status, stderr)
		}
	}
	for _, args := range [][]string{{"vet", "./..."}, {"build", "-tags", "purego", "./..."}} {
		if out, err := goRun(t, mod, offlineEnv(), args...); err != nil {
			t.Errorf("go %v: %v\n%s", args, err, truncate(out, 8000))
		}
	}
}

// TestRun runs examples/matmul.tc with `tcc run` on .npy files and checks
// the product against a float64 reference.
func TestRun(t *testing.T) {
	root := repoRoot(t)
	dir := t.TempDir()
	const M, K, N = 3, 4, 5
	var a [M][K]float32
	var b [K][N]float32
	for m := range a {
		for k := range a[m] {
			a[m][k] = float32((m*K+k)%7) - 3
		}
	}
	for k := range b {
		for n := range b[k] {
			b[k][n] = float32((k*N+n)%5)*0.5 - 1
		}
	}
	write := func(name string, v any) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := npyio.Write(f, v); err != nil {
			t.Fatal(err)
		}
	}
	write("a.npy", a)
	write("b.npy", b)
	ex := filepath.Join(root, "examples", "matmul.tc")
	if _, stderr, status := tcc(t, dir, "run", ex, "-k", "Matmul", "-i", "A=a.npy", "-i", "B=b.npy", "-o", "C=c.npy"); status != 0 {
		t.Fatalf("tcc run: status %d\n%s", status, stderr)
	}
	f, err := os.Open(filepath.Join(dir, "c.npy"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := npyio.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Header.Descr.Shape; len(got) != 2 || got[0] != M || got[1] != N {
		t.Fatalf("c.npy shape %v, want [%d %d]", got, M, N)
	}
	var c []float32
	if err := r.Read(&c); err != nil {
		t.Fatal(err)
	}
	for m := 0; m < M; m++ {
		for n := 0; n < N; n++ {
			want := 0.0
			for k := 0; k < K; k++ {
				want += float64(a[m][k]) * float64(b[k][n])
			}
			if got := float64(c[m*N+n]); math.Abs(got-want) > 1e-5 {
				t.Errorf("C[%d, %d] = %v, want %v", m, n, got, want)
			}
		}
	}
}

func TestExplain(t *testing.T) {
	stdout, stderr, status := tcc(t, repoRoot(t), "explain", "examples/softmax.tc", "-k", "Softmax")
	if status != 0 {
		t.Fatalf("status %d\n%s", status, stderr)
	}
	for _, want := range []string{"== front end", "kernel Softmax(", "== after pass", "== loop IR for go", "== loop IR for avx2", "== loop IR for avx512"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("explain output lacks %q", want)
		}
	}
}

// unsimplified matches loop IR that Simplify removes: a select on a
// constant comparison, a loop that never runs.
var unsimplified = regexp.MustCompile(`select\(\(\d+ [<>=!]+ \d+\)|for (\w+) = (\d+); (\w+) < (\d+)[^\d]`)

// TestExplainSimplified: the loop IR of the examples that explain prints
// has no constant selects and no dead loops.
func TestExplainSimplified(t *testing.T) {
	root := repoRoot(t)
	for _, ex := range []struct{ file, kernel string }{{"examples/attention.tc", "Attention"}, {"examples/matmul.tc", "Matmul"}} {
		stdout, stderr, status := tcc(t, root, "explain", ex.file, "-k", ex.kernel)
		if status != 0 {
			t.Fatalf("%s: status %d\n%s", ex.kernel, status, stderr)
		}
		for _, m := range unsimplified.FindAllStringSubmatch(stdout, -1) {
			lo, _ := strconv.Atoi(m[2])
			hi, _ := strconv.Atoi(m[4])
			if m[1] == "" || (m[1] == m[3] && lo >= hi) {
				t.Errorf("%s: explain prints unsimplified loop IR: %q", ex.kernel, m[0])
			}
		}
	}
}

func TestBench(t *testing.T) {
	stdout, stderr, status := tcc(t, repoRoot(t), "bench", "examples/matmul.tc", "-k", "Matmul", "-s", "M=32,K=48,N=40", "-runs", "2", "-threads", "1")
	if status != 0 {
		t.Fatalf("status %d\n%s", status, stderr)
	}
	// 2 flops per multiply-add: 2*32*48*40 = 122880.
	for _, want := range []string{"time ", "GFLOP/s (1.229e+05 flops per call)", "GB/s"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("bench output %q lacks %q", stdout, want)
		}
	}
	if _, stderr, status := tcc(t, repoRoot(t), "bench", "examples/matmul.tc", "-k", "Matmul", "-s", "M=32,K=48"); status != 2 || !strings.Contains(stderr, "no value for size N") {
		t.Errorf("missing size: status %d, stderr %q", status, stderr)
	}
}

// TestRunBadNpy feeds `tcc run` malformed .npy files: each is an error that
// names the file, with exit status 1 and no panic (status 2).
func TestRunBadNpy(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "good.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if err := npyio.Write(f, []float32{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	good, err := os.ReadFile(filepath.Join(dir, "good.npy"))
	if err != nil {
		t.Fatal(err)
	}
	v2 := append(append(append([]byte{}, good[:6]...), 2, 0, 0xF0, 0xFF, 0xFF, 0xFF), good[10:]...)
	bad := map[string][]byte{
		"cut.npy":     good[:20],
		"hugelen.npy": v2,
		"short.npy":   good[:len(good)-4],
		"long.npy":    append(append([]byte{}, good...), 0, 0, 0, 0),
	}
	src := filepath.Join(dir, "ew.tc")
	if err := os.WriteFile(src, []byte("kernel Neg(X: f32[N]) -> (Y: f32[N]) { Y[i] = -X[i] }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, b := range bad {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		_, stderr, status := tcc(t, dir, "run", src, "-k", "Neg", "-i", "X="+name, "-o", "Y=y.npy")
		if status != 1 || !strings.Contains(stderr, name) || strings.Contains(stderr, "panic") {
			t.Errorf("%s: status %d (want 1), stderr %q (want the file's name, no panic)", name, status, stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "y.npy")); err == nil {
			t.Errorf("%s: an output was written", name)
			os.Remove(filepath.Join(dir, "y.npy"))
		}
	}
}

// TestCompileRefusesHandWrittenFile: `tcc compile -o DIR` never replaces a
// file it did not generate (SPEC 8); it exits 1 and writes nothing.
func TestCompileRefusesHandWrittenFile(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "add.tc")
	if err := os.WriteFile(src, []byte("package out\n\nkernel AddF32(X: f32[N], Y: f32[N]) -> (Z: f32[N]) { Z[i] = X[i] + Y[i] }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	hand := []byte("package out\n\n// AddF32 is mine.\nfunc AddF32() {}\n")
	if err := os.WriteFile(filepath.Join(out, "addf32.go"), hand, 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, status := tcc(t, dir, "compile", "-o", out, src)
	if status != 1 || !strings.Contains(stderr, "addf32.go") {
		t.Errorf("status %d (want 1), stderr %q (want the file's name)", status, stderr)
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 1 {
		t.Errorf("out holds %d files after the refused compile, want only addf32.go", len(entries))
	}
	if b, _ := os.ReadFile(filepath.Join(out, "addf32.go")); !bytes.Equal(b, hand) {
		t.Error("the hand-written file changed")
	}
}

// TestPlans: explain prints each target's plan (text and JSON); a plan file
// changes what compile, explain and bench build; an invalid plan is an
// error.
func TestPlans(t *testing.T) {
	root := repoRoot(t)
	dir := t.TempDir()
	stdout, stderr, status := tcc(t, root, "explain", "examples/matmul.tc", "-k", "Matmul")
	if status != 0 {
		t.Fatalf("explain: status %d\n%s", status, stderr)
	}
	for _, want := range []string{"== plan for go", "== plan for avx512", "gemm tile 12x32", `"kernel": "Matmul"`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("explain output lacks %q", want)
		}
	}
	plan := `{"kernel": "Matmul", "target": "avx512", "units": [{"stmts": [0], "vector": true, "accumulators": 4, "parallel": true, "grain": 1,
		"gemm": {"lanes": 16, "mr": 6, "nr": 16, "kc": 64, "mc": 60, "nc": 64, "max_groups": 2, "nc_split": 2, "direct_max_m": 0, "gemv_rows": 0, "gemv_cols": 0, "dot_block": 0}}]}`
	good := filepath.Join(dir, "plan.json")
	if err := os.WriteFile(good, []byte(plan), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, status = tcc(t, root, "explain", "examples/matmul.tc", "-k", "Matmul", "-plan", good)
	if status != 0 || !strings.Contains(stdout, "gemm tile 6x16") || !strings.Contains(stdout, "gemm tile 6x16") {
		t.Errorf("explain -plan: status %d, output lacks the plan's 6x16 tile (or the other targets' default)\n%s", status, stderr)
	}
	out := filepath.Join(dir, "kern")
	if _, stderr, status := tcc(t, root, "compile", "-plan", good, "-o", out, "examples/matmul.tc"); status != 0 {
		t.Fatalf("compile -plan: status %d\n%s", status, stderr)
	}
	if stdout, stderr, status := tcc(t, root, "bench", "examples/matmul.tc", "-k", "Matmul", "-plan", good, "-s", "M=30,K=40,N=50", "-runs", "1", "-threads", "1"); status != 0 || !strings.Contains(stdout, "GFLOP/s") {
		t.Errorf("bench -plan: status %d\n%s%s", status, stdout, stderr)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(strings.NewReplacer(`"mr": 6`, `"mr": 16`, `"nr": 16`, `"nr": 32`, `"mc": 60`, `"mc": 64`).Replace(plan)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, status = tcc(t, root, "compile", "-plan", bad, "-o", filepath.Join(dir, "bad"), "examples/matmul.tc")
	if status != 1 || !strings.Contains(stderr, "vector registers") {
		t.Errorf("compile with an invalid plan: status %d (want 1), stderr %q", status, stderr)
	}
}

// TestExplainCausal: the causal mask of examples/attention.tc is loop
// bounds, not a test per element, and its masked reductions and
// exponentials are vectorised (the masked triangle only stores zeros).
func TestExplainCausal(t *testing.T) {
	stdout, stderr, status := tcc(t, repoRoot(t), "explain", "examples/attention.tc", "-k", "Attention")
	if status != 0 {
		t.Fatalf("status %d\n%s", status, stderr)
	}
	ir := stdout[strings.Index(stdout, "== loop IR for avx512"):]
	perElement := regexp.MustCompile(`if \(?\(?t\d* <= s|select\(\(t\d* <= s`)
	if m := perElement.FindString(ir); m != "" {
		t.Errorf("the avx512 loop IR still tests the mask per element: %q", m)
	}
	// exp reaches the loop IR expanded (package legalize): its argument is
	// clamped, then a polynomial is scaled by a power of two.
	for _, want := range []string{"min(S, (s + 1))", "= min(max((score[", "scalef(fma(", "max(vacc"} {
		if !strings.Contains(ir, want) {
			t.Errorf("the avx512 loop IR lacks %q (bounded, vectorised masked loops)", want)
		}
	}
}
