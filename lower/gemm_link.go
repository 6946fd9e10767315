package lower

import (
	"errors"

	"github.com/tensorcc/tcc/loop"
	"github.com/tensorcc/tcc/schedule/gemm"
)

// errGemmUnavailable makes a matched statement fall back to the default
// schedule; gemmLower may return it (tests swap gemmLower to exercise the
// default schedule on matmuls).
var errGemmUnavailable = errors.New("gemm schedule not available")

// gemmLower lowers a recognised matrix multiplication with package gemm.
var gemmLower = func(m *gemm.Matmul, env gemm.Env) ([]*loop.Step, error) {
	return gemm.Lower(m, env)
}
