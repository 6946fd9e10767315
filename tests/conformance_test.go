package tests

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/tensorcc/tcc/driver"
	"github.com/tensorcc/tcc/frontend"
	"github.com/tensorcc/tcc/interp"
	"github.com/tensorcc/tcc/ir"
)

// A run of the generated package: which test binary and environment.
type variant struct {
	name   string
	purego bool
	env    []string
}

var variants = []variant{
	{name: "default"},
	{name: "avx2", env: []string{"TCC_CPU=avx2"}},
	{name: "generic", env: []string{"TCC_CPU=generic"}},
	{name: "purego", purego: true},
}

// kcase is one kernel call of the conformance suite.
type kcase struct {
	id     string // file name of its data, also the Go case name
	file   string
	kernel *ir.Kernel // renamed: FilePrefix_Name
	orig   string     // the kernel's source name
	sizes  []int
	args   []any // parameters then outputs (zeroed), as the generated API takes them
	want   []interp.Output
	lens   []int // Go slice length of each parameter (-1 for a scalar) and output
}

// prefix turns a file name such as "matmul_int8.tc" into "MatmulInt8".
func prefix(file string) string {
	var b strings.Builder
	up := true
	for _, r := range strings.TrimSuffix(file, ".tc") {
		if r == '_' || r == '-' {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
		}
		up = false
		b.WriteRune(r)
	}
	return b.String()
}

// TestConformance compiles every kernel of testdata/conformance with the
// front end and the driver (targets go and amd64) into one package, builds
// it in a temporary module, runs every case of the table under each variant
// (default dispatch, TCC_CPU=avx2, TCC_CPU=generic, -tags purego) and
// compares the outputs with interp.Eval under SPEC section 7.
func TestConformance(t *testing.T) {
	needGo(t)
	var kernels []*ir.Kernel
	var cases []*kcase
	gen := map[string][]byte{}
	only := map[string]bool{} // TCC_CONF_FILES=a.tc,b.tc runs only those files
	if v := os.Getenv("TCC_CONF_FILES"); v != "" {
		for _, f := range strings.Split(v, ",") {
			only[f] = true
		}
	}
	for _, cc := range conformance {
		if len(only) > 0 && !only[cc.file] {
			continue
		}
		path := filepath.Join("testdata", "conformance", cc.file)
		src, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		prog, err := frontend.Compile(frontend.Source{Name: path, Text: src})
		if err != nil {
			t.Errorf("%s: front end:\n%v", cc.file, err)
			continue
		}
		for _, k := range prog.Kernels {
			k.Name = prefix(cc.file) + "_" + k.Name
		}
		// Generate the file alone first so that a kernel the driver cannot
		// handle fails its own file, not the whole package.
		if _, err := driver.Generate(&ir.Program{Package: "conf", Kernels: prog.Kernels}, driver.Options{Package: "conf", Targets: []string{"go", "amd64"}}); err != nil {
			t.Errorf("%s: driver.Generate: %v", cc.file, err)
			continue
		}
		for _, k := range prog.Kernels {
			kc, err := makeCases(cc, k)
			if err != nil {
				t.Errorf("%s: %s: %v", cc.file, k.Name, err)
				continue
			}
			kernels = append(kernels, k)
			cases = append(cases, kc...)
		}
	}
	if len(kernels) == 0 {
		t.Fatal("no kernel compiled")
	}
	extra, err := os.ReadFile(filepath.Join("testdata", "extra_test.go.txt"))
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, k := range kernels {
		have[k.Name] = true
	}
	if have["Matmul_Matmul"] && have["Agree_Agree"] && have["GemvU4_GemvU4"] && have["Softmax_Softmax"] &&
		have["Attention_Attention"] && have["OobPad_OOBPad"] {
		gen["zz_extra_test.go"] = extra
	} else if len(only) == 0 {
		t.Errorf("misuse, allocation and concurrency tests not run: a kernel they use did not compile")
	}
	runSuite(t, kernels, cases, gen, "testdata/conformance")
}

// runSuite generates one package "conf" from kernels (targets go and amd64)
// plus the files in gen, builds it in a temporary module with and without
// -tags purego, runs every case under each variant and compares the outputs
// with the interpreter's (c.want) under SPEC section 7.
func runSuite(t *testing.T, kernels []*ir.Kernel, cases []*kcase, gen map[string][]byte, source string) {
	files, err := driver.Generate(&ir.Program{Package: "conf", Kernels: kernels}, driver.Options{Package: "conf", Targets: []string{"go", "amd64"}, Source: source})
	if err != nil {
		t.Fatalf("driver.Generate: %v", err)
	}
	for name, src := range files {
		gen[name] = src
	}
	runner, err := runnerSource(kernels, cases)
	if err != nil {
		t.Fatal(err)
	}
	gen["zz_conformance_test.go"] = runner
	for _, c := range cases {
		var buf bytes.Buffer
		for i, p := range c.kernel.Params {
			_ = p
			if err := binary.Write(&buf, binary.LittleEndian, c.args[i]); err != nil {
				t.Fatalf("%s: encode input: %v", c.id, err)
			}
		}
		gen["testdata/"+c.id+".in"] = buf.Bytes()
	}
	dir := writeModule(t, "conftest", map[string]map[string][]byte{"conf": gen})
	pkgDir := filepath.Join(dir, "conf")
	// SPEC section 8: the generated package is go vet clean.
	if out, err := goRun(t, pkgDir, offlineEnv(), "vet", "."); err != nil {
		t.Errorf("go vet of the generated package: %v\n%s", err, truncate(out, 8000))
	}
	bins := map[bool]string{}
	for _, purego := range []bool{false, true} {
		bin := filepath.Join(dir, fmt.Sprintf("conf-%v.test", purego))
		args := []string{"test", "-c", "-o", bin}
		if purego {
			args = append(args, "-tags", "purego")
		}
		if out, err := goRun(t, pkgDir, offlineEnv(), append(args, ".")...); err != nil {
			t.Fatalf("build the generated package (purego=%v): %v\n%s", purego, err, truncate(out, 8000))
		}
		bins[purego] = bin
	}
	for _, v := range variants {
		outDir := filepath.Join(dir, "out-"+v.name)
		if err := os.Mkdir(outDir, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := command(bins[v.purego], pkgDir, offlineEnv(append(v.env, "TCC_CONF_OUT="+outDir)...), "-test.v", "-test.timeout=5m")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("variant %s: the generated package's tests failed: %v\n%s", v.name, err, truncate(failLines(out), 12000))
		}
		t.Run(v.name, func(t *testing.T) {
			for _, c := range cases {
				c := c
				t.Run(c.id, func(t *testing.T) { checkCase(t, c, outDir) })
			}
		})
	}
}

// makeCases builds the calls of kernel k for every size set of cc.
func makeCases(cc confCase, k *ir.Kernel) ([]*kcase, error) {
	var cases []*kcase
	for si, set := range cc.sizes {
		c := &kcase{id: fmt.Sprintf("%s_s%d", k.Name, si), file: cc.file, kernel: k, orig: k.Name[len(prefix(cc.file))+1:]}
		for _, s := range k.Sizes {
			v, ok := set[s.Name]
			if !ok {
				return nil, fmt.Errorf("size set %d has no value for %s", si, s.Name)
			}
			c.sizes = append(c.sizes, v)
		}
		h := fnv.New64a()
		h.Write([]byte(c.id))
		rng := rand.New(rand.NewPCG(h.Sum64(), 7))
		for _, p := range k.Params {
			if p.Kind == ir.Scalar {
				c.args = append(c.args, randomScalar(rng, p.Type, cc.positive))
				c.lens = append(c.lens, -1)
				continue
			}
			s, n := randomSlice(rng, p.Type, p.Count(c.sizes), cc.positive)
			if cc.specials {
				addSpecials(rng, s, si)
			}
			c.args = append(c.args, s)
			c.lens = append(c.lens, n)
		}
		for _, o := range k.Outputs {
			s, n := zeroSlice(o.Type, o.Count(c.sizes))
			c.args = append(c.args, s)
			c.lens = append(c.lens, n)
		}
		all := append(slices.Clone(c.args), intsToAny(c.sizes)...)
		want, err := interp.Eval(k, all...)
		if err != nil {
			return nil, fmt.Errorf("interp.Eval with sizes %v: %v", set, err)
		}
		c.want = want
		cases = append(cases, c)
	}
	return cases, nil
}

func intsToAny(xs []int) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// checkCase compares the generated code's outputs of c with the exact
// values under SPEC section 7.
func checkCase(t *testing.T, c *kcase, outDir string) {
	if msg, err := os.ReadFile(filepath.Join(outDir, c.id+".err")); err == nil {
		t.Fatalf("%s (%s) sizes %v: the generated function failed: %s", c.orig, c.file, c.sizes, msg)
	}
	raw, err := os.ReadFile(filepath.Join(outDir, c.id+".out"))
	if err != nil {
		t.Fatalf("%s (%s) sizes %v: no output (the generated test did not run this case)", c.orig, c.file, c.sizes)
	}
	r := bytes.NewReader(raw)
	np := len(c.kernel.Params)
	for j, o := range c.kernel.Outputs {
		got, _ := zeroSlice(o.Type, o.Count(c.sizes))
		if err := binary.Read(r, binary.LittleEndian, got); err != nil {
			t.Fatalf("read output %s: %v", o.Name, err)
		}
		n := o.Count(c.sizes)
		if msg := compareOutput(o.Type, got, n, c.want[j], reduced(c.kernel, o)); msg != "" {
			t.Errorf("%s (%s) sizes %v output %s: %s", c.orig, c.file, c.sizes, o.Name, msg)
		}
		_ = np
	}
}

// reduced reports whether output o of k is computed by a reduction: its
// statement, or an intermediate it reads (transitively), has one. SPEC
// section 7 bounds such a sub-f32 output more loosely.
func reduced(k *ir.Kernel, o *ir.Tensor) bool {
	defs := map[*ir.Tensor]*ir.Stmt{}
	for _, s := range k.Stmts {
		defs[s.Target] = s
	}
	seen := map[*ir.Tensor]bool{}
	var visit func(t *ir.Tensor) bool
	visit = func(t *ir.Tensor) bool {
		s := defs[t]
		if s == nil || seen[t] {
			return false
		}
		seen[t] = true
		found := false
		ir.Walk(s.Value, func(e ir.Expr) bool {
			switch e := e.(type) {
			case *ir.Reduce:
				found = true
			case *ir.Read:
				if e.Tensor.Kind == ir.Temp && visit(e.Tensor) {
					found = true
				}
			}
			return !found
		})
		return found
	}
	return visit(o)
}

// compareOutput checks n elements of the output slice got (of type t)
// against the exact values under SPEC section 7 and returns a description
// of the first few mismatches, or "". A sub-f32 float output must be within
// one ulp of the rounding of the exact value, or, when it is computed by a
// reduction (reduced), within ulp + 1e-4 * (1 + max |exact|), ulp being the
// type's unit in the last place at the exact value.
func compareOutput(t ir.DType, got any, n int, want interp.Output, reduced bool) string {
	var bad []string
	report := func(i int, g, w any) {
		if len(bad) < 5 {
			bad = append(bad, fmt.Sprintf("[%d] got %v, want %v", i, g, w))
		} else if len(bad) == 5 {
			bad = append(bad, "...")
		}
	}
	switch {
	case t.IsInteger():
		if len(want.Int) != n {
			return fmt.Sprintf("interpreter gave %d values, want %d", len(want.Int), n)
		}
		for i := 0; i < n; i++ {
			if g := intElem(t, got, i); g != want.Int[i] {
				report(i, g, want.Int[i])
			}
		}
	case t.Class == ir.Float && t.Bits >= 32:
		if len(want.Float) != n {
			return fmt.Sprintf("interpreter gave %d values, want %d", len(want.Float), n)
		}
		tol := 1e-4
		if t.Bits == 64 {
			tol = 1e-10
		}
		maxAbs := 0.0
		for _, w := range want.Float {
			if !math.IsInf(w, 0) && !math.IsNaN(w) {
				maxAbs = max(maxAbs, math.Abs(w))
			}
		}
		bound := tol * (1 + maxAbs)
		for i := 0; i < n; i++ {
			g, w := floatElem(t, got, i), want.Float[i]
			switch {
			case math.IsNaN(w) || math.IsInf(w, 0):
				if !(math.IsNaN(w) && math.IsNaN(g)) && g != w {
					report(i, g, w)
				}
			case !(math.Abs(g-w) <= bound):
				report(i, g, fmt.Sprintf("%v (error %.3g > %.3g)", w, math.Abs(g-w), bound))
			}
		}
	default: // f16, bf16, minifloats
		if len(want.Float) != n {
			return fmt.Sprintf("interpreter gave %d values, want %d", len(want.Float), n)
		}
		tb := tableOf(t)
		slack := 0.0
		if reduced {
			maxAbs := 0.0
			for _, w := range want.Float {
				if !math.IsInf(w, 0) && !math.IsNaN(w) {
					maxAbs = max(maxAbs, math.Abs(w))
				}
			}
			slack = 1e-4 * (1 + maxAbs)
		}
		for i := 0; i < n; i++ {
			g := floatElem(t, got, i)
			w := want.Float[i]
			wp, wnan := tb.position(w)
			gp, gnan := tb.position(g)
			if math.IsInf(g, 0) && !tb.ieee {
				report(i, g, "a finite value (conversions to minifloats saturate to the finite range, SPEC section 3)")
				continue
			}
			if g != 0 && !math.IsNaN(g) && !math.IsInf(g, 0) && tb.vals[gp] != g {
				report(i, g, "a value of the type")
				continue
			}
			if wnan || gnan {
				if wnan != gnan {
					report(i, g, fmt.Sprintf("%v (rounds to NaN: %v)", w, wnan))
				}
				continue
			}
			if d := gp - wp; d >= -1 && d <= 1 {
				continue
			}
			if reduced && !math.IsInf(w, 0) && !math.IsInf(g, 0) && math.Abs(g-w) <= tb.ulpAt(w)+slack {
				continue
			}
			if reduced {
				report(i, g, fmt.Sprintf("%v within ulp %.3g + %.3g", w, tb.ulpAt(w), slack))
			} else {
				report(i, g, fmt.Sprintf("%v within one ulp of %v", w, valueAt(tb, wp)))
			}
		}
	}
	if len(bad) == 0 {
		return ""
	}
	return strings.Join(bad, "; ")
}

func valueAt(tb *valueTable, pos int) float64 {
	switch {
	case pos < 0:
		return math.Inf(-1)
	case pos >= len(tb.vals):
		return math.Inf(1)
	}
	return tb.vals[pos]
}

// rawBits returns element i of a storage slice: packed types from the bit
// stream of SPEC section 4, others from the Go slice.
func rawBits(t ir.DType, s any, i int) uint64 {
	if t.IsPacked() {
		b := s.([]byte)
		var v uint64
		for j := 0; j < t.Bits; j++ {
			bit := i*t.Bits + j
			v |= uint64(b[bit/8]>>(bit%8)&1) << j
		}
		return v
	}
	switch s := s.(type) {
	case []uint16:
		return uint64(s[i])
	case []uint8:
		return uint64(s[i])
	}
	panic(fmt.Sprintf("rawBits(%v, %T)", t, s))
}

func floatElem(t ir.DType, s any, i int) float64 {
	switch s := s.(type) {
	case []float64:
		return s[i]
	case []float32:
		return float64(s[i])
	}
	return decodeFloat(t, rawBits(t, s, i))
}

func intElem(t ir.DType, s any, i int) int64 {
	switch s := s.(type) {
	case []int64:
		return s[i]
	case []int32:
		return int64(s[i])
	case []int16:
		return int64(s[i])
	case []int8:
		return int64(s[i])
	case []uint32:
		return int64(s[i])
	case []uint16:
		return int64(s[i])
	}
	v := rawBits(t, s, i) // u8 or packed
	if t.Class == ir.Int && v>>(t.Bits-1)&1 == 1 {
		return int64(v) - 1<<t.Bits
	}
	return int64(v)
}

// zeroSlice returns a zeroed storage slice for count elements of t and its
// Go length.
func zeroSlice(t ir.DType, count int) (any, int) {
	if t.IsPacked() {
		n := t.StorageBytes(count)
		return make([]byte, n), n
	}
	switch t.GoType() {
	case "float64":
		return make([]float64, count), count
	case "float32":
		return make([]float32, count), count
	case "int64":
		return make([]int64, count), count
	case "int32":
		return make([]int32, count), count
	case "int16":
		return make([]int16, count), count
	case "int8":
		return make([]int8, count), count
	case "uint32":
		return make([]uint32, count), count
	case "uint16":
		return make([]uint16, count), count
	}
	return make([]uint8, count), count
}

// randomBits draws one random encoding of t: floats uniform in [-1, 1) (or
// [0, 1) when positive) rounded to t, minifloats among their finite values
// of magnitude at most 1e4 (2^-20..2^13 for ue8m0), integers over the whole
// range.
func randomBits(rng *rand.Rand, t ir.DType, positive bool) uint64 {
	switch t.Class {
	case ir.Float, ir.BFloat:
		x := rng.Float64()
		if !positive {
			x = 2*x - 1
		}
		switch t.Bits {
		case 64:
			return math.Float64bits(x)
		case 32:
			return uint64(math.Float32bits(float32(x)))
		}
		return encodeRound(t, x)
	case ir.MiniFloat, ir.UMiniFloat:
		for {
			b := rng.Uint64() & (1<<t.Bits - 1)
			v := decodeFloat(t, b)
			if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e4 || (positive && v < 0) {
				continue
			}
			if t.Class == ir.UMiniFloat && t.Exp == 8 && t.Man == 0 && (v < math.Ldexp(1, -20) || v > math.Ldexp(1, 13)) {
				continue
			}
			return b
		}
	}
	return rng.Uint64() & (1<<t.Bits - 1) // integers: every bit pattern
}

// randomSlice returns a storage slice of count random elements of t and its
// Go length.
func randomSlice(rng *rand.Rand, t ir.DType, count int, positive bool) (any, int) {
	s, n := zeroSlice(t, count)
	if t.IsPacked() {
		b := s.([]byte)
		for i := 0; i < count; i++ {
			v := randomBits(rng, t, positive)
			for j := 0; j < t.Bits; j++ {
				bit := i*t.Bits + j
				b[bit/8] |= byte(v>>j&1) << (bit % 8)
			}
		}
		return b, n
	}
	for i := 0; i < count; i++ {
		v := randomBits(rng, t, positive)
		switch s := s.(type) {
		case []float64:
			s[i] = math.Float64frombits(v)
		case []float32:
			s[i] = math.Float32frombits(uint32(v))
		case []int64:
			s[i] = int64(v)
		case []int32:
			s[i] = int32(v)
		case []int16:
			s[i] = int16(v)
		case []int8:
			s[i] = int8(v)
		case []uint32:
			s[i] = uint32(v)
		case []uint16:
			s[i] = uint16(v)
		case []uint8:
			s[i] = uint8(v)
		}
	}
	return s, n
}

// addSpecials overwrites elements of the float slice s (other types are left
// alone) with NaN, +inf and -inf: NaN at the first element (set%3 == 0), the
// last one (1) or a random one (2), and infinities at random elements, so
// that a NaN lands in a vector's first lane, its masked tail, or between.
func addSpecials(rng *rand.Rand, s any, set int) {
	var n int
	var put func(i int, v float64)
	switch s := s.(type) {
	case []float32:
		n, put = len(s), func(i int, v float64) { s[i] = float32(v) }
	case []float64:
		n, put = len(s), func(i int, v float64) { s[i] = v }
	default:
		return
	}
	if n == 0 {
		return
	}
	nan := [3]int{0, n - 1, rng.IntN(n)}[set%3]
	if n > 8 {
		put(rng.IntN(n), math.Inf(1))
		put(rng.IntN(n), math.Inf(-1))
	}
	put(nan, math.NaN())
}

// randomScalar returns a random Go scalar of the generated API's type for t.
func randomScalar(rng *rand.Rand, t ir.DType, positive bool) any {
	s, _ := randomSlice(rng, t, 1, positive)
	switch s := s.(type) {
	case []float64:
		return s[0]
	case []float32:
		return s[0]
	case []int64:
		return s[0]
	case []int32:
		return s[0]
	case []int16:
		return s[0]
	case []int8:
		return s[0]
	case []uint32:
		return s[0]
	case []uint16:
		return s[0]
	case []uint8:
		return s[0]
	}
	panic("unreachable")
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "\n... (truncated)"
}

// failLines keeps the interesting lines of a go test -v log.
func failLines(out []byte) []byte {
	var b bytes.Buffer
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "=== RUN") || strings.HasPrefix(strings.TrimSpace(line), "--- PASS") {
			continue
		}
		b.WriteString(line + "\n")
	}
	return b.Bytes()
}
