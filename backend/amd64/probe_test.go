package amd64

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"
)

// xsysGoMod returns go.mod and go.sum text for a temp module that uses
// golang.org/x/sys at the version of the main module (read from ../../go.mod).
func xsysGoMod(t *testing.T) (mod, sum string) {
	gomod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`golang.org/x/sys (v\S+)`).FindSubmatch(gomod)
	if m == nil {
		t.Skip("main module does not require golang.org/x/sys")
	}
	f, err := os.Open("../../go.sum")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	s := bufio.NewScanner(f)
	for s.Scan() {
		if strings.HasPrefix(s.Text(), "golang.org/x/sys "+string(m[1])) {
			b.WriteString(s.Text() + "\n")
		}
	}
	return "module tcctest\n\ngo 1.26\n\nrequire golang.org/x/sys " + string(m[1]) + "\n", b.String()
}

func TestProbeFiles(t *testing.T) {
	targets(t)
	files, err := ProbeFiles("tcctest")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tcc_probe_amd64.s", "tcc_probe_stubs_amd64.go", "tcc_probe_amd64.go", "tcc_probe_other.go"} {
		if len(files[name]) == 0 {
			t.Fatalf("missing %s", name)
		}
	}
	mod, sum := xsysGoMod(t)
	files["go.sum"] = []byte(sum)
	files["probe_test.go"] = []byte(`package tcctest

import (
	"testing"
	"time"
)

func TestProbes(t *testing.T) {
	for _, isa := range []string{"avx512", "avx2"} {
		g := ProbeFMA(isa, 100*time.Millisecond)
		t.Logf("%s: %.1f GFLOP/s", isa, g)
		if isa == "avx2" && !(g > 1 && g < 1e4) {
			t.Fatalf("avx2 FMA throughput %v GFLOP/s is implausible", g)
		}
	}
	bw := ProbeReadBandwidth(1<<20, 100*time.Millisecond)
	t.Logf("read bandwidth (1 MiB): %.1f GB/s", bw)
	if !(bw > 0.5 && bw < 1e4) {
		t.Fatalf("bandwidth %v GB/s is implausible", bw)
	}
}
`)
	out := runModuleMod(t, files, mod, "-v")
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "GFLOP/s") || strings.Contains(l, "GB/s") {
			t.Log(strings.TrimSpace(l))
		}
	}
}
