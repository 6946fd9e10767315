// Command gogenerate shows tcc used through go generate: kern.tc is compiled
// into the package ./kern by
//
//	go generate ./...
//
// (which runs the tcc tool pinned in go.mod), and this program calls the
// generated kernel and compares it with a plain Go loop.
package main

//go:generate go tool tcc compile -o kern kern.tc

import (
	"fmt"
	"log"
	"math"

	"example.com/gogenerate/kern"
)

// dense is the naive reference for kern.Dense.
func dense(x, w, bias []float32, m, k, n int) []float32 {
	y := make([]float32, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s := float64(bias[j])
			for l := 0; l < k; l++ {
				s += float64(x[i*k+l]) * float64(w[l*n+j])
			}
			y[i*n+j] = float32(math.Max(s, 0))
		}
	}
	return y
}

// inputs returns deterministic test data.
func inputs(m, k, n int) (x, w, bias []float32) {
	x, w, bias = make([]float32, m*k), make([]float32, k*n), make([]float32, n)
	for i := range x {
		x[i] = float32(i%13)/13 - 0.5
	}
	for i := range w {
		w[i] = float32(i%7)/7 - 0.4
	}
	for i := range bias {
		bias[i] = float32(i%3) - 1
	}
	return x, w, bias
}

func main() {
	const m, k, n = 64, 100, 48
	x, w, bias := inputs(m, k, n)
	y := make([]float32, m*n)
	if err := kern.Dense(x, w, bias, y, m, k, n); err != nil {
		log.Fatal(err)
	}
	want := dense(x, w, bias, m, k, n)
	maxErr := 0.0
	for i := range y {
		maxErr = math.Max(maxErr, math.Abs(float64(y[i]-want[i])))
	}
	fmt.Printf("Dense %dx%dx%d: max |generated - reference| = %.3g\n", m, k, n, maxErr)
}
