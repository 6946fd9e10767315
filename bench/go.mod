module github.com/tensorcc/tcc/bench

go 1.26.0

require (
	golang.org/x/sys v0.49.0
	gonum.org/v1/gonum v0.17.0
)

require (
	github.com/alecthomas/participle/v2 v2.1.4 // indirect
	github.com/mmcloughlin/avo v0.6.0 // indirect
	github.com/sbinet/npyio v0.6.0 // indirect
	github.com/tensorcc/tcc v0.0.0 // indirect
	golang.org/x/mod v0.42.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/tools v0.52.0 // indirect
)

replace github.com/tensorcc/tcc => ../

tool github.com/tensorcc/tcc/cmd/tcc
