module github.com/tensorcc/tcc/bench

go 1.26.0

require (
	github.com/tensorcc/tcc v0.0.0
	gonum.org/v1/gonum v0.17.0
)

require golang.org/x/sys v0.49.0 // indirect

replace github.com/tensorcc/tcc => ../
