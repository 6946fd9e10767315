package frontend

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tensorcc/tcc/ir"
)

func compileOne(t *testing.T, src string) *ir.Program {
	t.Helper()
	p, err := Compile(Source{Name: "t.tc", Text: []byte(src)})
	if err != nil {
		t.Fatalf("Compile: %v\nsource:\n%s", err, src)
	}
	return p
}

func last(p *ir.Program) *ir.Kernel { return p.Kernels[len(p.Kernels)-1] }

// TestPrintedIR compares the printed IR of the last kernel of each program with
// the form derived by hand from the language rules (promotion, literal typing,
// explicit decode and store casts, range inference, inlining).
func TestPrintedIR(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"matmul", `
kernel Matmul(A: f32[M, K], B: f32[K, N]) -> (C: f32[M, N]) {
    C[m, n] = sum(k: A[m, k] * B[k, n])
}`, `kernel Matmul(A: f32[M, K], B: f32[K, N]) -> (C: f32[M, N]) {
    C[m, n] = sum(k<K: (A[m, k] * B[k, n]))
}
`},
		{"decode and store casts", `
const G = 32
kernel Deq(W: u4[N, K], S: e4m3[N, K / G]) -> (O: bf16[N, K]) {
    O[n, k] = f32(W[n, k]) * S[n, k / G]
}`, `kernel Deq(W: u4[N, K], S: e4m3[N, K / 32]) -> (O: bf16[N, K]) {
    O[n, k] = bf16((f32(i32(W[n, k])) * f32(S[n, (k / 32)])))
}
`},
		{"integer promotion", `
kernel P(a: i8, b: i16, c: u32, d: u32) -> (X: i32, Y: i64, Z: u32) {
    X = a + b
    Y = b * c
    Z = c - d
}`, `kernel P(a: i8, b: i16, c: u32, d: u32) -> (X: i32[], Y: i64[], Z: u32[]) {
    X[] = (i32(a) + i32(b))
    Y[] = (i64(i32(b)) * i64(c))
    Z[] = (c - d)
}
`},
		{"float promotion and literals", `
kernel P(a: i32, h: f16, x: f32, y: f64) -> (A: f32, B: f64, C: f64, D: f32) {
    A = a + 1.5
    B = x * y
    C = y * 2 + pi
    D = h + a
}`, `kernel P(a: i32, h: f16, x: f32, y: f64) -> (A: f32[], B: f64[], C: f64[], D: f32[]) {
    A[] = (f32(a) + 1.5)
    B[] = (f64(x) * y)
    C[] = ((y * 2) + 3.141592653589793)
    D[] = (f32(h) + f32(a))
}
`},
		{"untyped statements default to i32 or f32", `
kernel U() -> (A: f64, B: i8, C: f32[N]) {
    A = 1 / 3
    B = 0.5 * 2
    C[i] = i * 2
}`, `kernel U() -> (A: f64[], B: i8[], C: f32[N]) {
    A[] = f64((1 / 3))
    B[] = i8((0.5 * 2))
    C[i] = f32((i * 2))
}
`},
		{"functions", `
kernel F(x: i32, y: f32, z: f64) -> (A: f32, B: i32, C: f64, D: f32) {
    A = exp(x)
    B = max(abs(x), 3)
    C = clamp(z, 0, y)
    D = pow(y, 2)
}`, `kernel F(x: i32, y: f32, z: f64) -> (A: f32[], B: i32[], C: f64[], D: f32[]) {
    A[] = exp(f32(x))
    B[] = max(abs(x), 3)
    C[] = clamp(z, 0, f64(y))
    D[] = pow(y, 2)
}
`},
		{"masked reduction, select and index values", `
kernel Causal(X: f32[S, S]) -> (Y: f32[S, S], M: f32[S]) {
    Y[i, j] = select(j <= i, X[i, j], 0.0)
    M[s] = max(t where t <= s && t % 2 == 0: X[s, t])
}`, `kernel Causal(X: f32[S, S]) -> (Y: f32[S, S], M: f32[S]) {
    Y[i, j] = select((j <= i), X[i, j], 0)
    M[s] = max(t<S where ((t <= s) && ((t % 2) == 0)): X[s, t])
}
`},
		{"intermediates, casts and mean", `
kernel Norm(X: f16[R, C]) -> (Y: f16[R, C]) {
    h[r, c] = f16(X[r, c])
    m[r] = sum(c: h[r, c]) / C
    Y[r, c] = X[r, c] - m[r]
}`, `kernel Norm(X: f16[R, C]) -> (Y: f16[R, C]) {
    temp h: f16[R, C]
    temp m: f32[R]
    h[r, c] = X[r, c]
    m[r] = (sum(c<C: f32(h[r, c])) / C)
    Y[r, c] = f16((f32(X[r, c]) - m[r]))
}
`},
		{"agree checks", `
kernel MV(A: f32[M, K], x: f32[K2]) -> (y: f32[M2]) {
    y[m] = sum(k: A[m, k] * x[k])
}`, `kernel MV(A: f32[M, K], x: f32[K2]) -> (y: f32[M2]) {
    check K == K2  // index "k": A dimension 1 (K) vs x dimension 0 (K2)
    y[m] = sum(k<K: (A[m, k] * x[k]))
}
`},
		{"inlining with size unification", `
kernel Pair(X: f32[K], Y: f32[K / 2]) -> (Z: f32[K / 2], T: f32) {
    s = sum(i: X[i])
    Z[j] = Y[j] * s
    T = s * K
}
kernel Caller(A: f32[M], B: f32[N]) -> (C: f32[N]) {
    (V, t) = Pair(A, B)
    C[i] = V[i] + t
}`, `kernel Caller(A: f32[M], B: f32[N]) -> (C: f32[N]) {
    temp V: f32[M / 2]
    temp t: f32[]
    temp Pair_s: f32[]
    check N == M / 2  // call of Pair: B dimension 0 (N) vs parameter Y dimension 0 (K / 2)
    Pair_s[] = sum(i<M: A[i])
    V[j] = f32((B[j] * Pair_s[]))
    t[] = f32((Pair_s[] * M))
    C[i] = (V[i] + t[])
}
`},
		{"call into an output with a scalar argument", `
kernel Scale(X: f32[N], a: f32) -> (Y: f32[N]) {
    Y[i] = X[i] * a
}
kernel C(A: f32[M]) -> (B: f32[M]) {
    B = Scale(A, 2)
}`, `kernel C(A: f32[M]) -> (B: f32[M]) {
    temp Scale_a: f32[]
    Scale_a[] = 2
    B[i] = (A[i] * Scale_a[])
}
`},
		{"call result into an output of another size expression", `
kernel Pair(X: f32[K], Y: f32[K / 2]) -> (Z: f32[K / 2]) {
    Z[j] = Y[j] * X[j]
}
kernel Caller(A: f32[M], B: f32[N]) -> (C: f32[N]) {
    C = Pair(A, B)
}`, `kernel Caller(A: f32[M], B: f32[N]) -> (C: f32[N]) {
    check N == M / 2  // call of Pair: B dimension 0 (N) vs parameter Y dimension 0 (K / 2)
    C[j] = (B[j] * A[j])
}
`},
		{"inlined index variables avoid caller tensor names", `
kernel Id(X: f32[N]) -> (Y: f32[N]) {
    Y[x] = X[x]
}
kernel C(x: f32[M]) -> (y: f32[M]) {
    y = Id(x)
}`, `kernel C(x: f32[M]) -> (y: f32[M]) {
    y[x_2] = x[x_2]
}
`},
		{"subscript arithmetic and zero-size dimension", `
const P = 1
kernel Conv(X: f32[N], W: f32[3], Z: f32[0]) -> (Y: f32[N]) {
    Y[i] = sum(k: X[i + k - P] * W[k]) + sum(z: Z[z])
}`, `kernel Conv(X: f32[N], W: f32[3], Z: f32[0]) -> (Y: f32[N]) {
    Y[i] = (sum(k<3: (X[((i + k) - 1)] * W[k])) + sum(z<0: Z[z]))
}
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := last(compileOne(t, tt.src)).String()
			if got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestProgramProperties(t *testing.T) {
	p := compileOne(t, `package kern

// Matmul multiplies two matrices.
//
// It is the classic one.
kernel Matmul(A: f32[M, K], B: f32[K, N]) -> (C: f32[M, N]) {
    C[m, n] = sum(k: A[m, k] * B[k, n])
}

kernel NoDoc(x: f32) -> (y: f32) { y = x }
`)
	if p.Package != "kern" {
		t.Errorf("Package = %q", p.Package)
	}
	k := p.Kernel("Matmul")
	if k == nil {
		t.Fatal("no Matmul")
	}
	if want := "Matmul multiplies two matrices.\n\nIt is the classic one.\n"; k.Doc != want {
		t.Errorf("Doc = %q, want %q", k.Doc, want)
	}
	var sizes []string
	for i, s := range k.Sizes {
		sizes = append(sizes, s.Name)
		if s.Index != i {
			t.Errorf("size %s has Index %d", s.Name, s.Index)
		}
	}
	if strings.Join(sizes, ",") != "M,K,N" {
		t.Errorf("Sizes = %v", sizes)
	}
	if k.Pos.Line != 6 || k.Pos.Col != 1 || k.Pos.File != "t.tc" {
		t.Errorf("Pos = %v", k.Pos)
	}
	n := p.Kernel("NoDoc")
	if n.Doc != "" || n.Params[0].Kind != ir.Scalar || n.Outputs[0].Rank() != 0 {
		t.Errorf("NoDoc: doc %q, kinds %v %v", n.Doc, n.Params[0].Kind, n.Outputs[0].Rank())
	}
}

func TestMultipleFiles(t *testing.T) {
	a := Source{Name: "a.tc", Text: []byte("package kern\nconst G = 4\nkernel A(X: f32[N]) -> (Y: f32[N]) {\n    Y = B(X)\n}\n")}
	b := Source{Name: "b.tc", Text: []byte("package kern\nkernel B(X: f32[N]) -> (Y: f32[N]) {\n    Y[i] = X[i] * G\n}\n")}
	p, err := Compile(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if p.Package != "kern" || len(p.Kernels) != 2 || p.Kernels[0].Name != "A" {
		t.Errorf("got package %q, %d kernels", p.Package, len(p.Kernels))
	}
	c := Source{Name: "c.tc", Text: []byte("package other\n")}
	_, err = Compile(a, b, c)
	want := `c.tc:1:1: package "other" conflicts with package "kern" at a.tc:1:1`
	if err == nil || err.Error() != want {
		t.Errorf("got error %v, want %s", err, want)
	}
	// Syntax errors in two files are both reported, in order.
	_, err = Compile(Source{Name: "y.tc", Text: []byte("kernel")}, Source{Name: "x.tc", Text: []byte("const = 1")})
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 2 || list[0].Pos.File != "x.tc" || list[1].Pos.File != "y.tc" {
		t.Errorf("got %v", err)
	}
}

func TestNoSources(t *testing.T) {
	p, err := Compile()
	if err != nil || len(p.Kernels) != 0 {
		t.Errorf("Compile() = %v, %v", p, err)
	}
}

// TestGoodFiles compiles every program in testdata/good; each must compile and
// verify.
func TestGoodFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/good/*.tc")
	if len(files) == 0 {
		t.Fatal("no good programs")
	}
	for _, path := range files {
		text, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Compile(Source{Name: filepath.Base(path), Text: text})
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		for _, k := range p.Kernels {
			if err := ir.Verify(k); err != nil {
				t.Errorf("%s: %v", path, err)
			}
		}
	}
}

// TestLineBreaks: a signature may break anywhere before its "{", and a
// statement after a binary operator, a comma or inside brackets (SPEC
// 10.7); the result is the kernel of the one-line form.
func TestLineBreaks(t *testing.T) {
	tests := []struct{ broken, oneLine string }{
		{"kernel K(X: f32[N])\n-> (Y: f32[N]) { Y[i] = X[i] }", "kernel K(X: f32[N]) -> (Y: f32[N]) { Y[i] = X[i] }"},
		{"kernel\nK\n(\nX\n:\nf32\n[\nN\n]\n)\n->\n(\nY\n:\nf32\n[\nN\n]\n)\n{ Y[i] = X[i] }", "kernel K(X: f32[N]) -> (Y: f32[N]) { Y[i] = X[i] }"},
		{"kernel K(X: f32[N]) -> (Y: f32[N])\n{\nY[i] = X[i] +\n1.0\n}", "kernel K(X: f32[N]) -> (Y: f32[N]) { Y[i] = X[i] + 1.0 }"},
		{"kernel K(X: f32[N]) -> (Y: f32[N]) {\nY[i] = max(X[i],\n0.0) * (X[i]\n- 1.0)\n}", "kernel K(X: f32[N]) -> (Y: f32[N]) { Y[i] = max(X[i], 0.0) * (X[i] - 1.0) }"},
		{"kernel K(X: f32[N]) -> (Y: f32[]) {\nY = sum(i where i > 1 &&\ni < 4: X[\ni])\n}", "kernel K(X: f32[N]) -> (Y: f32[]) { Y = sum(i where i > 1 && i < 4: X[i]) }"},
	}
	for _, tt := range tests {
		a, err := Compile(Source{Name: "a.tc", Text: []byte(tt.broken)})
		if err != nil {
			t.Errorf("%q: %v", tt.broken, err)
			continue
		}
		b, err := Compile(Source{Name: "a.tc", Text: []byte(tt.oneLine)})
		if err != nil {
			t.Fatalf("%q: %v", tt.oneLine, err)
		}
		if got, want := a.Kernels[0].String(), b.Kernels[0].String(); got != want {
			t.Errorf("%q compiles to\n%s\nwant\n%s", tt.broken, got, want)
		}
	}
}
