//go:build cgo

package main

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
*/
import "C"

// haveOpenBLAS reports whether the OpenBLAS column is measured.
const haveOpenBLAS = true

// openblasSgemm computes C = A B (row-major, m x k times k x n) with
// cblas_sgemm.
func openblasSgemm(m, n, k int, a, b, c []float32) {
	C.cblas_sgemm(C.CblasRowMajor, C.CblasNoTrans, C.CblasNoTrans,
		C.blasint(m), C.blasint(n), C.blasint(k), 1,
		(*C.float)(&a[0]), C.blasint(k), (*C.float)(&b[0]), C.blasint(n),
		0, (*C.float)(&c[0]), C.blasint(n))
}

// openblasThreads sets OpenBLAS's thread count.
func openblasThreads(n int) { C.openblas_set_num_threads(C.int(n)) }
