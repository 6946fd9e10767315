package deps

import (
	_ "github.com/alecthomas/participle/v2"
	_ "github.com/llir/llvm/ir"
	_ "github.com/mmcloughlin/avo/build"
	_ "github.com/sbinet/npyio"
	_ "golang.org/x/sys/cpu"
	_ "gonum.org/v1/gonum/blas/blas32"
)
