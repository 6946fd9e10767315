package passes

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/tensorcc/tcc/frontend"
	"github.com/tensorcc/tcc/interp"
	"github.com/tensorcc/tcc/ir"
)

func compile(t *testing.T, src string) *ir.Kernel {
	t.Helper()
	prog, err := frontend.Compile(frontend.Source{Name: "p.tc", Text: []byte(src)})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return prog.Kernels[0]
}

func TestFoldConstants(t *testing.T) {
	tests := []struct {
		name, src string
		want      string // substring of the printed statement after folding
		absent    string // substring that must be gone
	}{
		{"int arithmetic", `kernel K(A: i32[N]) -> (C: i32[N]) { C[i] = A[i] * (2 + 3) }`, "* 5)", "2 + 3"},
		{"mul by one", `kernel K(A: f32[N]) -> (C: f32[N]) { C[i] = A[i] * 1.0 }`, "C[i] = A[i]", "*"},
		{"f32 rounding", `kernel K(A: f32[N]) -> (C: f32[N]) { C[i] = A[i] + 0.1 * 3.0 }`, "0.30000001192092896", "0.1"},
		{"select on constant", `kernel K(A: f32[N]) -> (C: f32[N]) { C[i] = select(1 < 2, A[i], 0.0) }`, "C[i] = A[i]", "select"},
		{"saturating cast", `kernel K(A: i32[N]) -> (C: i32[N]) { C[i] = A[i] + i32(3.0e10) }`, "2147483647", "3e+10"},
		{"i32 wrap", `kernel K(A: i32[N]) -> (C: i32[N]) { C[i] = A[i] + i32(2147483647) + 0 }`, "2147483647", "+ 0)"},
		{"tautological or", `kernel K(A: f32[N]) -> (C: f32[N]) { C[i] = sum(r where i != 1 || i != 2: A[r]) }`, "sum(r<N: A[r])", "where"},
		{"contradictory and", `kernel K(A: f32[N]) -> (C: f32[N]) { C[i] = sum(r where r == 1 && r == 2: A[r]) + A[i] }`, "C[i] = (0 + A[i])", "sum"},
		{"empty max", `kernel K(A: i8[N]) -> (C: i8[N]) { C[i] = max(r where r < 0 && r > 3: A[r]) }`, "i8(-2147483648)", "max"},
		{"weaker half", `kernel K(A: f32[N]) -> (C: f32[N]) { C[i] = sum(r where r < 3 || r < 5: A[r]) }`, "where (r < 5)", "r < 3"},
		{"stronger half", `kernel K(A: f32[N]) -> (C: f32[N]) { C[i] = sum(r where r >= 3 && r > 1: A[r]) }`, "where (r >= 3)", "r > 1"},
		{"mirrored", `kernel K(A: f32[N]) -> (C: f32[N]) { C[i] = sum(r where 2 > r || r >= 2: A[r]) }`, "sum(r<N: A[r])", "where"},
		{"redundant", `kernel K(A: f32[N]) -> (C: f32[N]) { C[i] = select(i > 2 && i > 2, A[i], 0.0) }`, "select((i > 2), A[i]", "&&"},
		{"kept", `kernel K(A: f32[N]) -> (C: f32[N]) { C[i] = sum(r where r > 1 && r < 5: A[r]) }`, "(r > 1) && (r < 5)", "sum(r: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := compile(t, tt.src)
			if err := Run(k, []Pass{{Name: "fold", Run: Fold}}, nil); err != nil {
				t.Fatal(err)
			}
			got := k.Stmts[0].String()
			if !strings.Contains(got, tt.want) || (tt.absent != "" && strings.Contains(got, tt.absent)) {
				t.Errorf("after fold: %s\nwant it to contain %q and not %q", got, tt.want, tt.absent)
			}
		})
	}
}

func TestDeadCode(t *testing.T) {
	k := compile(t, `kernel K(A: f32[N]) -> (C: f32[N]) {
    T[i] = exp(A[i])
    U[i] = A[i] * 2.0
    C[i] = U[i] + 1.0
}`)
	if err := Run(k, Default(), nil); err != nil {
		t.Fatal(err)
	}
	if len(k.Stmts) != 2 || len(k.Temps) != 1 || k.Temps[0].Name != "U" || k.Temps[0].Index != 0 {
		t.Fatalf("after dce:\n%s", k)
	}
}

// TestPipelinePreservesMeaning checks, with the reference interpreter, that the
// default pipeline does not change what a kernel computes.
func TestPipelinePreservesMeaning(t *testing.T) {
	src := `kernel K(A: f32[M, N], s: f32) -> (C: f32[M], D: i32[M]) {
    T[m, n] = A[m, n] * (2.0 * 0.5) + 0.0
    Dead[m] = sum(n: A[m, n])
    C[m] = sum(n where n % 2 == 1: T[m, n] * s) + f32(3 - 3)
    D[m] = i32(max(n: A[m, n] * 100.0)) + (7 / 2) * 0
}`
	const M, N = 5, 7
	rng := rand.New(rand.NewSource(1))
	a := make([]float32, M*N)
	for i := range a {
		a[i] = rng.Float32()*2 - 1
	}
	eval := func(k *ir.Kernel) []interp.Output {
		out, err := interp.Eval(k, a, float32(1.5), nil, nil, M, N)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	before := eval(compile(t, src))
	k := compile(t, src)
	if err := Run(k, Default(), nil); err != nil {
		t.Fatal(err)
	}
	after := eval(k)
	for i := range before[0].Float {
		if d := before[0].Float[i] - after[0].Float[i]; d > 1e-6 || d < -1e-6 {
			t.Errorf("C[%d]: %v before, %v after", i, before[0].Float[i], after[0].Float[i])
		}
		if before[1].Int[i] != after[1].Int[i] {
			t.Errorf("D[%d]: %v before, %v after", i, before[1].Int[i], after[1].Int[i])
		}
	}
}

// TestHoistInvariant checks which subexpressions the hoist pass moves into
// intermediates, and, with the reference interpreter, that the kernel still
// computes the same values bit for bit.
func TestHoistInvariant(t *testing.T) {
	tests := []struct {
		name, src string
		temps     int    // intermediates after the pass
		want      string // substring of the printed kernel
	}{
		{"rope angle", `kernel K(X: f32[S, H, E]) -> (Y: f32[S, H, E]) {
    Y[s, h, e] = X[s, h, e] * cos(f32(s) * pow(10000.0, -f32(e) / f32(E))) + X[s, h, e] * sin(f32(s) * pow(10000.0, -f32(e) / f32(E)))
}`, 2, "Y_inv1[s, e] = cos("},
		{"shared", `kernel K(X: f32[M, N]) -> (Y: f32[M, N]) { Y[m, n] = X[m, n] * exp(f32(m)) + exp(f32(m)) }`, 1, "Y_inv1[m] = exp("},
		{"every index", `kernel K(X: f32[M, N]) -> (Y: f32[M, N]) { Y[m, n] = exp(X[m, n]) }`, 0, "Y[m, n] = exp("},
		{"reads a tensor", `kernel K(X: f32[M, N], B: f32[M]) -> (Y: f32[M, N]) { Y[m, n] = X[m, n] * tanh(B[m]) }`, 1, "Y_inv1[m] = tanh(B[m])"},
		{"reduction variable", `kernel K(X: f32[M, N]) -> (Y: f32[M, N]) { Y[m, n] = sum(r: X[m, r] * exp(f32(r))) + X[m, n] }`, 0, "exp(f32(r))"},
		{"cheap", `kernel K(X: f32[M, N]) -> (Y: f32[M, N]) { Y[m, n] = X[m, n] * sqrt(f32(m)) }`, 0, "sqrt(f32(m))"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := compile(t, tt.src)
			k := compile(t, tt.src)
			if err := Run(k, []Pass{{Name: "hoist", Run: HoistInvariant}}, nil); err != nil {
				t.Fatal(err)
			}
			if len(k.Temps) != tt.temps || !strings.Contains(k.String(), tt.want) {
				t.Fatalf("after hoist (%d intermediates, want %d):\n%s\nwant it to contain %q", len(k.Temps), tt.temps, k, tt.want)
			}
			sizes := make([]int, len(k.Sizes))
			for i := range sizes {
				sizes[i] = 3 + 2*i
			}
			rng := rand.New(rand.NewSource(2))
			var args []any
			for _, p := range k.Params {
				x := make([]float32, p.Count(sizes))
				for i := range x {
					x[i] = rng.Float32()*2 - 1
				}
				args = append(args, x)
			}
			for range k.Outputs {
				args = append(args, nil)
			}
			for _, n := range sizes {
				args = append(args, n)
			}
			want, err := interp.Eval(orig, args...)
			if err != nil {
				t.Fatal(err)
			}
			got, err := interp.Eval(k, args...)
			if err != nil {
				t.Fatal(err)
			}
			for i := range want[0].Float {
				if want[0].Float[i] != got[0].Float[i] {
					t.Fatalf("element %d: %v after the pass, %v before", i, got[0].Float[i], want[0].Float[i])
				}
			}
		})
	}
}
