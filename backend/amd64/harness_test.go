package amd64

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/cpu"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// targets returns the targets the host can run.
func targets(t *testing.T) []loop.Target {
	var ts []loop.Target
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512DQ {
		ts = append(ts, loop.TargetAVX512)
	} else {
		t.Log("host lacks AVX-512: skipping the avx512 target")
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ts = append(ts, loop.TargetAVX2)
	}
	if len(ts) == 0 {
		t.Skip("host lacks AVX2+FMA")
	}
	return ts
}

// asmCase is a hand-built loop kernel plus a Go test (file text) that checks
// the generated function against an independent Go reference. In Test,
// {{fn}} names the generated function and {{lanes}} is the f32 lane count.
type asmCase struct {
	name  string
	build func(t loop.Target) (*loop.Kernel, *loop.Func)
	test  string
	// only, when set, is the one target of the case (instead of the host's).
	only *loop.Target
}

// runModule writes files into a fresh module and runs go vet and go test there.
func runModule(t *testing.T, files map[string][]byte, args ...string) string {
	t.Helper()
	return runModuleMod(t, files, "module tcctest\n\ngo 1.26\n", args...)
}

// runModuleMod is runModule with the given go.mod text.
func runModuleMod(t *testing.T, files map[string][]byte, gomod string, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	files["go.mod"] = []byte(gomod)
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, cmd := range [][]string{{"go", "vet", "."}, append([]string{"go", "test", "-count=1"}, args...)} {
		c := exec.Command(cmd[0], cmd[1:]...)
		c.Dir = dir
		c.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOPROXY=off", "TCC_POISON_SCRATCH=1")
		out, err := c.CombinedOutput()
		if err != nil {
			var listing bytes.Buffer
			for name, b := range files {
				if strings.HasSuffix(name, ".s") {
					fmt.Fprintf(&listing, "==== %s\n%s\n", name, b)
				}
			}
			t.Fatalf("%s: %v\n%s\n%s", strings.Join(cmd, " "), err, out, listing.String())
		}
		if cmd[1] == "test" {
			return string(out)
		}
	}
	return ""
}

// runCases generates every case for every host target into one module and
// runs its tests.
func runCases(t *testing.T, cases []asmCase) { runCasesArgs(t, cases) }

// runCasesArgs is runCases with extra go test arguments; it returns the output.
func runCasesArgs(t *testing.T, cases []asmCase, args ...string) string {
	files := map[string][]byte{}
	var tests bytes.Buffer
	tests.WriteString("package tcctest\n\nimport (\n\t\"math\"\n\t\"testing\"\n)\n\nvar _ = math.Abs\n\n")
	host := targets(t)
	for _, c := range cases {
		tgs := host
		if c.only != nil {
			tgs = []loop.Target{*c.only}
		}
		for _, tg := range tgs {
			k, f := c.build(tg)
			if k == nil {
				continue
			}
			asm, stubs, err := GeneratePackage("tcctest", k, []*loop.Func{f}, tg)
			if err != nil {
				t.Fatalf("%s/%s: %v", c.name, tg.Name, err)
			}
			base := c.name + "_" + tg.Name
			files[base+"_amd64.s"] = asm
			files[base+"_amd64.go"] = stubs
			body := strings.NewReplacer("{{fn}}", FuncName(k, f, tg), "{{lanes}}", fmt.Sprint(tg.VectorBits/32)).Replace(c.test)
			fmt.Fprintf(&tests, "func Test_%s(t *testing.T) {\n%s\n}\n\n", base, body)
		}
	}
	tests.WriteString(testHelpers)
	tests.WriteString(miniHelpers)
	files["cases_test.go"] = tests.Bytes()
	out := runModule(t, files, append([]string{"-v"}, args...)...)
	if testing.Verbose() {
		t.Log(out)
	}
	return out
}

// ---- loop IR builders ----

func v(name string, t loop.Type) *loop.Var { return &loop.Var{Name: name, T: t} }
func ref(x *loop.Var) loop.Expr            { return &loop.Ref{Var: x} }
func ci(x int64) loop.Expr                 { return &loop.Const{T: loop.Scalar(ir.I64), Int: x} }
func cf(t loop.Type, f float64) loop.Expr  { return &loop.Const{T: t, Float: f} }
func bin(op ir.Op, x, y loop.Expr) loop.Expr {
	t := x.Type()
	if op.IsCompare() {
		t = loop.Type{Elem: ir.BoolT, Lanes: t.Lanes}
	}
	return &loop.Bin{Op: op, X: x, Y: y, T: t}
}
func call(fn loop.Fn, args ...loop.Expr) loop.Expr {
	return &loop.Call{Fn: fn, Args: args, T: args[0].Type()}
}
func load(b *loop.Buf, idx loop.Expr, lanes int) *loop.Load {
	return &loop.Load{Buf: b, Index: idx, T: loop.Vec(b.Elem, lanes)}
}
func buf(name string, elem ir.DType, kind loop.BufKind) *loop.Buf {
	return &loop.Buf{Name: name, Elem: elem, Kind: kind}
}

// elementwise builds out[i] = body(load of each input at i) over N elements:
// a vector main loop and a masked tail (Count), as the lowering emits.
func elementwise(tg loop.Target, name string, ins []ir.DType, out ir.DType, lanes int,
	body func(xs []loop.Expr) loop.Expr) (*loop.Kernel, *loop.Func) {
	n := v("N", loop.Scalar(ir.I64))
	k := &loop.Kernel{Name: name, Sizes: []*loop.Var{n}}
	for i, e := range ins {
		k.Inputs = append(k.Inputs, buf(fmt.Sprint("x", i), e, loop.InputBuf))
	}
	o := buf("y", out, loop.OutputBuf)
	k.Outputs = []*loop.Buf{o}
	i := v("i", loop.Scalar(ir.I64))
	nm := v("nm", loop.Scalar(ir.I64))
	mk := func(idx loop.Expr, count loop.Expr) loop.Stmt {
		var xs []loop.Expr
		for _, b := range k.Inputs {
			l := load(b, idx, lanes)
			l.Count = count
			xs = append(xs, l)
		}
		return &loop.Store{Buf: o, Index: idx, Value: body(xs), Count: count}
	}
	f := &loop.Func{Name: "s0", Locals: []*loop.Var{i, nm}, VectorBits: tg.VectorBits, Target: tg.Name}
	f.Body = []loop.Stmt{
		&loop.Assign{Dst: nm, Value: bin(ir.Mul, bin(ir.Div, ref(n), ci(int64(lanes))), ci(int64(lanes)))},
		&loop.For{Var: i, Lo: ci(0), Hi: ref(nm), Step: int64(lanes), Body: []loop.Stmt{mk(ref(i), nil)}, Unroll: 2},
		&loop.If{Cond: bin(ir.Lt, ref(nm), ref(n)), Then: []loop.Stmt{mk(ref(nm), bin(ir.Sub, ref(n), ref(nm)))}},
	}
	k.Funcs = []*loop.Func{f}
	return k, f
}

func strings2(s string, oldnew ...string) string { return strings.NewReplacer(oldnew...).Replace(s) }
