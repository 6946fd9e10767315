package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tensorcc/tcc/driver"
	"github.com/tensorcc/tcc/frontend"
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/tests/internal/progen"
)

// TestDiff is the differential test: random valid programs from package
// progen are compiled by the front end and the driver (targets go and
// amd64), built in batches of one package, run under every variant with
// random inputs and compared with interp.Eval under SPEC section 7 (the
// conformance suite's harness and comparison).
//
// By default it runs 30 programs from seed 1. Environment:
//
//	TCC_DIFFTEST=N          run N programs (a long campaign: 500)
//	TCC_DIFFTEST_SEED=S     first seed (default 1)
//	TCC_DIFFTEST_SEEDS=a,b  run exactly these seeds
//	TCC_DIFFTEST_DUMP=DIR   write each program to DIR/gen_SEED.tc
//
// A failing case is named gen_SEED; progen.Generate(SEED) reproduces it.
func TestDiff(t *testing.T) {
	needGo(t)
	seeds, err := diffSeeds()
	if err != nil {
		t.Fatal(err)
	}
	dump := os.Getenv("TCC_DIFFTEST_DUMP")
	const batch = 120
	for len(seeds) > 0 {
		n := min(batch, len(seeds))
		part := seeds[:n]
		seeds = seeds[n:]
		t.Run(fmt.Sprintf("seeds%d-%d", part[0], part[n-1]), func(t *testing.T) {
			var kernels []*ir.Kernel
			var cases []*kcase
			for _, seed := range part {
				p := progen.Generate(seed)
				file := fmt.Sprintf("gen_%d.tc", seed)
				if dump != "" {
					if err := os.WriteFile(filepath.Join(dump, file), []byte(p.Source), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				ks, cs, err := diffProgram(file, p)
				if err != nil {
					t.Errorf("%s: %v\n%s", file, err, p.Source)
					continue
				}
				kernels = append(kernels, ks...)
				cases = append(cases, cs...)
			}
			if len(kernels) == 0 {
				t.Fatal("no program compiled")
			}
			runSuite(t, kernels, cases, map[string][]byte{}, "progen")
		})
	}
}

// diffProgram compiles one generated program and builds its cases.
func diffProgram(file string, p progen.Program) ([]*ir.Kernel, []*kcase, error) {
	prog, err := frontend.Compile(frontend.Source{Name: file, Text: []byte(p.Source)})
	if err != nil {
		return nil, nil, fmt.Errorf("front end rejected a generated program:\n%v", err)
	}
	for _, k := range prog.Kernels {
		k.Name = prefix(file) + "_" + k.Name
	}
	if _, err := driver.Generate(&ir.Program{Package: "conf", Kernels: prog.Kernels}, driver.Options{Package: "conf", Targets: []string{"go", "amd64"}}); err != nil {
		return nil, nil, fmt.Errorf("driver.Generate: %v", err)
	}
	cc := confCase{file: file, specials: p.Specials}
	for _, s := range p.Sizes {
		cc.sizes = append(cc.sizes, sz(s))
	}
	var cases []*kcase
	for _, k := range prog.Kernels {
		kc, err := makeCases(cc, k)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %v", k.Name, err)
		}
		cases = append(cases, kc...)
	}
	return prog.Kernels, cases, nil
}

// diffSeeds returns the seeds TestDiff runs.
func diffSeeds() ([]uint64, error) {
	if list := os.Getenv("TCC_DIFFTEST_SEEDS"); list != "" {
		var seeds []uint64
		for _, f := range strings.Split(list, ",") {
			s, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("TCC_DIFFTEST_SEEDS: %v", err)
			}
			seeds = append(seeds, s)
		}
		return seeds, nil
	}
	n, first := 30, uint64(1)
	if v := os.Getenv("TCC_DIFFTEST"); v != "" {
		x, err := strconv.Atoi(v)
		if err != nil || x < 1 {
			return nil, fmt.Errorf("TCC_DIFFTEST=%q: want a positive count", v)
		}
		n = x
	}
	if v := os.Getenv("TCC_DIFFTEST_SEED"); v != "" {
		x, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("TCC_DIFFTEST_SEED: %v", err)
		}
		first = x
	}
	seeds := make([]uint64, n)
	for i := range seeds {
		seeds[i] = first + uint64(i)
	}
	return seeds, nil
}
