// Command matmul compares the matrix multiplication that tcc generates from
// ../matmul.tc with gonum's Sgemm on one core.
//
// The two generated packages are committed; regenerate them with
//
//	go generate ./examples/matmul
//
// gokern is the portable Go translation only; kern adds the amd64 assembly
// (AVX-512, AVX2) with run-time dispatch. Run the comparison with
//
//	go run ./examples/matmul [-n 512] [-reps 5]
package main

//go:generate go run ../../cmd/tcc compile -target go -pkg gokern -o gokern ../matmul.tc
//go:generate go run ../../cmd/tcc compile -target go,amd64 -pkg kern -o kern ../matmul.tc
