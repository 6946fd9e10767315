package lower

import (
	"os"
	"testing"

	"github.com/tensorcc/tcc/frontend"
)

// TestFrontendKernels lowers the kernels of testdata/kernels.tc, compiled by the
// front end, and checks them against the reference interpreter.
func TestFrontendKernels(t *testing.T) {
	src, err := os.ReadFile("testdata/kernels.tc")
	if err != nil {
		t.Fatal(err)
	}
	prog, err := frontend.Compile(frontend.Source{Name: "kernels.tc", Text: src})
	if err != nil {
		t.Fatalf("frontend: %v", err)
	}
	sizes := map[string][][]int{
		"Norm":       {{3, 1}, {2, 17}, {4, 33}, {0, 5}},
		"Causal":     {{1, 3}, {9, 5}, {17, 16}, {0, 2}},
		"Dequant":    {{3, 4}, {5, 36}, {2, 0}},
		"Pad":        {{0}, {1}, {2}, {17}, {33}},
		"Gelu":       {{2, 9}, {3, 33}},
		"PackedRows": {{1, 1}, {2, 3}, {3, 13}, {5, 16}, {7, 31}, {3, 130}},
		"PackedSum":  {{1}, {5}, {17}, {33}, {100}, {1023}},
	}
	for _, k := range prog.Kernels {
		ss, ok := sizes[k.Name]
		if !ok {
			t.Errorf("no sizes for kernel %s", k.Name)
			continue
		}
		t.Run(k.Name, func(t *testing.T) { check(t, k, ss...) })
	}
}
