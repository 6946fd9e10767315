// Command bench compares, in one process per thread count, the single-precision
// GEMM that tcc generates (the committed package examples/matmul/kern of the
// main module, compiled from examples/matmul.tc for the portable Go and amd64
// targets; `go generate ./examples/matmul` in the main module regenerates it)
// with gonum's Sgemm and OpenBLAS's cblas_sgemm (through cgo; Debian package
// libopenblas-dev).
//
// Usage:
//
//	go run . [-threads 1,2] [-quick]
//
// For each thread count the program re-executes itself with GOMAXPROCS and
// OPENBLAS_NUM_THREADS set, so that every library runs with the same number of
// threads (tcc's worker pool is sized once, from GOMAXPROCS). OPENBLAS_CORETYPE
// defaults to SapphireRapids. It prints GFLOP/s for square sizes 64..2048 and
// the LLM shapes M = 1, 16, 128 with K = N = 4096, and the ratios of tcc to the
// others. Without cgo the OpenBLAS column is empty.
//
// This is a separate module (it needs cgo and OpenBLAS); it is not part of the
// main module's `go test ./...`.
package main
