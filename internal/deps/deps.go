package deps
import (
 _ "github.com/mmcloughlin/avo/build"
 _ "github.com/llir/llvm/ir"
 _ "github.com/alecthomas/participle/v2"
 _ "gonum.org/v1/gonum/blas/blas32"
 _ "golang.org/x/sys/cpu"
 _ "github.com/sbinet/npyio"
)
