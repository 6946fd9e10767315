package loop

import (
	"strings"
	"testing"

	"github.com/tensorcc/tcc/ir"
)

// validKernel returns a small kernel Y[i] = X[i] * 2 over a parallel step.
func validKernel() (*Kernel, *Func) {
	n := NewVar("N", Int64)
	x := &Buf{Name: "X", Elem: ir.F32, Kind: InputBuf, Len: R(n)}
	y := &Buf{Name: "Y", Elem: ir.F32, Kind: OutputBuf, Len: R(n)}
	i := NewVar("i", Int64)
	f := &Func{Name: "s0", Lo: NewVar("lo", Int64), Hi: NewVar("hi", Int64)}
	f.Body = []Stmt{&For{Var: i, Lo: R(f.Lo), Hi: R(f.Hi), Step: 1, Body: []Stmt{
		&Store{Buf: y, Index: R(i), Value: &Bin{Op: ir.Mul, X: &Load{Buf: x, Index: R(i), T: Scalar(ir.F32)},
			Y: &Const{T: Scalar(ir.F32), Float: 2}, T: Scalar(ir.F32)}},
	}}}
	k := &Kernel{Name: "K", Sizes: []*Var{n}, Inputs: []*Buf{x}, Outputs: []*Buf{y},
		Funcs: []*Func{f}, Steps: []*Step{{Func: f, Parallel: true, Extent: R(n), Grain: 1}}}
	return k, f
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(k *Kernel, f *Func)
		want   string // "" for valid
	}{
		{"valid", func(*Kernel, *Func) {}, ""},
		{"serial step with bounds", func(k *Kernel, f *Func) { k.Steps[0].Parallel = false; k.Steps[0].Extent = nil }, "serial func"},
		{"unreferenced func", func(k *Kernel, f *Func) { k.Funcs = append(k.Funcs, &Func{Name: "s1"}) }, "not referenced"},
		{"store to input", func(k *Kernel, f *Func) {
			f.Body = append(f.Body, &Store{Buf: k.Inputs[0], Index: I64(0), Value: &Const{T: Scalar(ir.F32)}})
		}, "write to input"},
		{"type mismatch", func(k *Kernel, f *Func) {
			f.Body = append(f.Body, &Store{Buf: k.Outputs[0], Index: I64(0), Value: &Const{T: Scalar(ir.F64)}})
		}, "element type"},
		{"undefined local", func(k *Kernel, f *Func) {
			v := NewVar("a", Scalar(ir.F32))
			f.Locals = append(f.Locals, v)
			f.Body = append(f.Body, &Store{Buf: k.Outputs[0], Index: I64(0), Value: R(v)})
		}, "before it is assigned"},
		{"assign to non-local", func(k *Kernel, f *Func) {
			f.Body = append(f.Body, &Assign{Dst: NewVar("b", Int64), Value: I64(1)})
		}, "not a local"},
		{"loop var out of scope", func(k *Kernel, f *Func) {
			i := f.Body[0].(*For).Var
			f.Body = append(f.Body, &Store{Buf: k.Outputs[0], Index: R(i), Value: &Const{T: Scalar(ir.F32)}})
		}, "not in scope"},
		{"vector in scalar func", func(k *Kernel, f *Func) {
			f.Body = append(f.Body, &Store{Buf: k.Outputs[0], Index: I64(0), Value: &Const{T: Vec(ir.F32, 8)}})
		}, "scalar func"},
		{"count on scalar", func(k *Kernel, f *Func) {
			f.Body = append(f.Body, &Store{Buf: k.Outputs[0], Index: I64(0), Value: &Const{T: Scalar(ir.F32)}, Count: I64(1)})
		}, "Count on a scalar"},
		{"float guard", func(k *Kernel, f *Func) {
			f.Body = append(f.Body, &Store{Buf: k.Outputs[0], Index: I64(0),
				Value: &Load{Buf: k.Inputs[0], Index: I64(0), T: Scalar(ir.F32), Guard: I64(1)}})
		}, "guard"},
		{"bad fma arity", func(k *Kernel, f *Func) {
			c := &Const{T: Scalar(ir.F32)}
			f.Body = append(f.Body, &Store{Buf: k.Outputs[0], Index: I64(0), Value: &Call{Fn: FMA, Args: []Expr{c, c}, T: c.T}})
		}, "arguments"},
		{"stream flag", func(k *Kernel, f *Func) {
			st := f.Body[0].(*For).Body[0].(*Store)
			st.Stream = Cmp(ir.Gt, R(k.Sizes[0]), I64(1<<20))
		}, ""},
		{"non-bool stream", func(k *Kernel, f *Func) {
			f.Body[0].(*For).Body[0].(*Store).Stream = I64(1)
		}, "Stream has type"},
		{"stream reads undefined local", func(k *Kernel, f *Func) {
			v := NewVar("s", Bool)
			f.Locals = append(f.Locals, v)
			f.Body[0].(*For).Body[0].(*Store).Stream = R(v)
		}, "before it is assigned"},
		{"load in length", func(k *Kernel, f *Func) {
			k.Outputs[0].Len = &Load{Buf: k.Inputs[0], Index: I64(0), T: Scalar(ir.F32)}
		}, "length"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, f := validKernel()
			tc.mutate(k, f)
			err := Verify(k)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Verify: %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("Verify accepted an invalid kernel:\n%s", k)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("Verify error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestPrint(t *testing.T) {
	k, _ := validKernel()
	want := `kernel K
  sizes N
  input X f32[N]
  output Y f32[N]
  step 0: s0 parallel over [0, N) grain 1
func s0(lo, hi) {
  for i = lo; i < hi; i += 1 {
    Y[i] = (X[i] * 2:f32)
  }
}
`
	if got := k.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
}
