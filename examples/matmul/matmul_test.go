package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/tensorcc/tcc/driver"
	"github.com/tensorcc/tcc/frontend"
)

// exact returns A*B computed in float64 with gonum's Dgemm from the float32
// inputs, rounded to float32: for these sizes its error is far below the f32
// tolerance, so it stands in for the exact product of SPEC section 7.
func exact(a, b []float32, m, k, n int) []float32 {
	f64 := func(x []float32) []float64 {
		y := make([]float64, len(x))
		for i, v := range x {
			y[i] = float64(v)
		}
		return y
	}
	c := make([]float64, m*n)
	if m > 0 && n > 0 && k > 0 {
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1,
			blas64.General{Rows: m, Cols: k, Stride: k, Data: f64(a)},
			blas64.General{Rows: k, Cols: n, Stride: n, Data: f64(b)},
			0, blas64.General{Rows: m, Cols: n, Stride: n, Data: c})
	}
	out := make([]float32, len(c))
	for i, v := range c {
		out[i] = float32(v)
	}
	return out
}

// TestMatmul checks every implementation (gonum's included) against the
// float64 product to SPEC tolerance, on sizes that exercise every edge of the
// register tiles and cache blocks.
func TestMatmul(t *testing.T) {
	sizes := [][3]int{
		{1, 1, 1}, {0, 3, 4}, {3, 0, 4}, {2, 5, 0}, {3, 3, 3}, {4, 4, 4},
		{5, 7, 11}, {13, 1, 17}, {17, 31, 2}, {31, 17, 29}, {64, 64, 64},
		{67, 129, 71}, {97, 600, 35}, {250, 70, 301},
	}
	if !testing.Short() {
		sizes = append(sizes, [3]int{300, 1100, 259}, [3]int{513, 515, 517})
	}
	for _, s := range sizes {
		m, k, n := s[0], s[1], s[2]
		a, b := random(m*k, uint64(m)), random(k*n, uint64(n)+100)
		want := exact(a, b, m, k, n)
		tol := tolerance(want)
		for _, im := range impls {
			t.Run(fmt.Sprintf("%s/%dx%dx%d", im.name, m, k, n), func(t *testing.T) {
				c := random(m*n, 3) // garbage that must be overwritten
				if err := im.run(a, b, c, m, k, n); err != nil {
					t.Fatal(err)
				}
				if d := maxDiff(c, want); d > tol {
					t.Errorf("max |C - A*B| = %g, want <= %g", d, tol)
				}
			})
		}
	}
}

// TestMatmulErrors checks that the generated functions reject wrong lengths.
func TestMatmulErrors(t *testing.T) {
	a, b, c := make([]float32, 6), make([]float32, 12), make([]float32, 8)
	for _, im := range impls[:2] {
		if err := im.run(a, b, c, 2, 3, 4); err != nil {
			t.Errorf("%s: valid call: %v", im.name, err)
		}
		if err := im.run(a, b, c[:7], 2, 3, 4); err == nil {
			t.Errorf("%s: short C accepted", im.name)
		}
		if err := im.run(a, b, c, 2, 4, 3); err == nil {
			t.Errorf("%s: wrong K accepted", im.name)
		}
	}
}

// TestGenerated checks that the committed packages gokern and kern are what
// the compiler in this tree generates from ../matmul.tc with the options of the
// go:generate lines in matmul.go (run `go generate` when it fails).
func TestGenerated(t *testing.T) {
	const src = "../matmul.tc"
	text, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dir     string
		targets []string
	}{
		{"gokern", []string{"go"}},
		{"kern", []string{"go", "amd64"}},
	} {
		t.Run(c.dir, func(t *testing.T) {
			prog, err := frontend.Compile(frontend.Source{Name: src, Text: text})
			if err != nil {
				t.Fatal(err)
			}
			files, err := driver.Generate(prog, driver.Options{Package: c.dir, Targets: c.targets, Source: src})
			if err != nil {
				t.Fatal(err)
			}
			entries, err := os.ReadDir(c.dir)
			if err != nil {
				t.Fatal(err)
			}
			var have []string
			for _, e := range entries {
				have = append(have, e.Name())
			}
			var want []string
			for name := range files {
				want = append(want, name)
			}
			slices.Sort(want)
			if !slices.Equal(have, want) {
				t.Errorf("files in %s: %v, generated: %v (run go generate)", c.dir, have, want)
			}
			for _, name := range want {
				got, err := os.ReadFile(filepath.Join(c.dir, name))
				if err != nil {
					t.Error(err)
					continue
				}
				if !bytes.Equal(got, files[name]) {
					t.Errorf("%s/%s is stale (run go generate ./examples/matmul)", c.dir, name)
				}
			}
		})
	}
}

// BenchmarkMatmul times the portable Go code (tcc-go), the best code for the
// CPU (tcc) and gonum's Sgemm on 512 x 512 x 512 float32 matrices and reports
// GFLOP/s. The project's goal is tcc-go at no less than half of gonum with
// GOMAXPROCS=1:
//
//	GOMAXPROCS=1 go test -run '^$' -bench Matmul -count 3 ./examples/matmul
func BenchmarkMatmul(b *testing.B) {
	const n = 512
	a, bm := random(n*n, 1), random(n*n, 2)
	c := make([]float32, n*n)
	for _, im := range impls {
		b.Run(fmt.Sprintf("%s/%d", im.name, n), func(b *testing.B) {
			for b.Loop() {
				if err := im.run(a, bm, c, n, n, n); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
