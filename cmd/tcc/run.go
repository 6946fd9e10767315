package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/tensorcc/tcc/internal/npyio"
	"github.com/tensorcc/tcc/interp"
	"github.com/tensorcc/tcc/ir"
)

func runRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", "FILE -k KERNEL -i NAME=in.npy... -o NAME=out.npy...\n\nRun evaluates a kernel with the reference interpreter on NumPy .npy inputs\n(one -i per parameter; a scalar is a 0-d array) and writes each output named\nwith -o. Sizes are inferred from the input shapes. Packed sub-byte types are\none element per int8/uint8, f16 is float16 and bf16 is uint16 (raw bits).", stderr)
	kname := fs.String("k", "", "`kernel` to run (required)")
	ins := mapFlag{}
	outs := mapFlag{}
	fs.Var(ins, "i", "input `NAME=FILE.npy` (repeatable)")
	fs.Var(outs, "o", "output `NAME=FILE.npy` (repeatable)")
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return usagef("want exactly one FILE")
	}
	if *kname == "" {
		return usagef("-k KERNEL is required")
	}
	k, err := kernelOf(files[0], *kname, stderr)
	if err != nil {
		return err
	}
	if err := checkNames(k, ins, outs); err != nil {
		return usagef("%v", err)
	}
	if len(outs) == 0 {
		return usagef("no -o NAME=FILE.npy: nothing would be written (kernel %s has outputs %s)", k.Name, tensorNames(k.Outputs))
	}
	params, sizes, err := npyio.LoadArgs(k, ins)
	if err != nil {
		return err
	}
	outputs := make([]any, len(k.Outputs))
	for i, t := range k.Outputs {
		outputs[i] = newSlice(t.Type, t.Count(sizes))
	}
	all := append(append(append([]any{}, params...), outputs...), intsToAny(sizes)...)
	if err := interp.Call(k, all...); err != nil {
		return err
	}
	return npyio.SaveOutputs(k, outputs, sizes, outs)
}

// tensorNames lists the tensors' names.
func tensorNames(ts []*ir.Tensor) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.Name
	}
	return strings.Join(names, ", ")
}

// checkNames checks that ins names every parameter and outs only outputs.
func checkNames(k *ir.Kernel, ins, outs map[string]string) error {
	var missing []string
	for _, p := range k.Params {
		if _, ok := ins[p.Name]; !ok {
			missing = append(missing, p.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing -i for %s", strings.Join(missing, ", "))
	}
	for name := range ins {
		if !hasTensor(k.Params, name) {
			return fmt.Errorf("-i %s: kernel %s has no parameter %s", name, k.Name, name)
		}
	}
	var unknown []string
	for name := range outs {
		if !hasTensor(k.Outputs, name) {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	if len(unknown) > 0 {
		return fmt.Errorf("-o: kernel %s has no output %s", k.Name, strings.Join(unknown, ", "))
	}
	return nil
}

func hasTensor(ts []*ir.Tensor, name string) bool {
	for _, t := range ts {
		if t.Name == name {
			return true
		}
	}
	return false
}

func intsToAny(xs []int) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// newSlice returns a zeroed Go slice of t's element type holding count
// elements (bytes, for packed types), as the generated API takes it.
func newSlice(t ir.DType, count int) any {
	if t.IsPacked() {
		return make([]byte, t.StorageBytes(count))
	}
	switch t.GoType() {
	case "float64":
		return make([]float64, count)
	case "float32":
		return make([]float32, count)
	case "int64":
		return make([]int64, count)
	case "int32":
		return make([]int32, count)
	case "int16":
		return make([]int16, count)
	case "int8":
		return make([]int8, count)
	case "uint32":
		return make([]uint32, count)
	case "uint16":
		return make([]uint16, count)
	}
	return make([]uint8, count)
}
