package main

import (
	"math"
	"testing"

	"example.com/gogenerate/kern"
)

func TestDense(t *testing.T) {
	for _, sz := range [][3]int{{1, 1, 1}, {3, 5, 7}, {64, 100, 48}, {0, 3, 2}} {
		m, k, n := sz[0], sz[1], sz[2]
		x, w, bias := inputs(m, k, n)
		y := make([]float32, m*n)
		if err := kern.Dense(x, w, bias, y, m, k, n); err != nil {
			t.Fatal(err)
		}
		want := dense(x, w, bias, m, k, n)
		for i := range y {
			if math.Abs(float64(y[i]-want[i])) > 1e-4*(1+math.Abs(float64(want[i]))) {
				t.Fatalf("%v: Y[%d] = %v, want %v", sz, i, y[i], want[i])
			}
		}
	}
	if err := kern.Dense(make([]float32, 5), nil, nil, nil, 2, 3, 0); err == nil {
		t.Error("no error for a wrong length")
	}
}
