package rt

import (
	"strings"
	"testing"
)

func TestErrors(t *testing.T) {
	cases := []struct {
		err  error
		want []string
	}{
		{LenError("Matmul", "A", 5, 6, "[M, K] = [2, 3]"), []string{"Matmul", "A", "5", "6", "[M, K] = [2, 3]"}},
		{MismatchError("Matmul", "K (dim 1 of A, dim 0 of B)", 3, 4), []string{"Matmul", "K (dim 1 of A, dim 0 of B)", "3", "4"}},
		{DivError("Dequant", "K", 100, 32), []string{"Dequant", "K", "100", "32"}},
		{NegSizeError("Matmul", "N", -7), []string{"Matmul", "N", "-7"}},
	}
	for _, c := range cases {
		if c.err == nil {
			t.Fatalf("nil error, want one naming %q", c.want)
		}
		msg := c.err.Error()
		if !strings.HasPrefix(msg, c.want[0]+": ") {
			t.Errorf("%q does not start with the kernel name", msg)
		}
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%q does not mention %q", msg, w)
			}
		}
	}
}
