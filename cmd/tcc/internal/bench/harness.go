package bench

import (
	"bytes"
	"context"
	"fmt"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tensorcc/tcc/ir"
)

// Options configures a benchmark.
type Options struct {
	// Sizes gives the value of every size symbol of the kernel.
	Sizes map[string]int
	// Threads sets GOMAXPROCS in the harness; 0 keeps the default.
	Threads int
	// Runs is the number of timed runs (default 7); each run repeats the call
	// until it has taken at least MinRunTime.
	Runs       int
	MinRunTime time.Duration
	// Env is extra environment for the harness process (e.g. TCC_CPU=avx2).
	Env []string
	// CacheBytes is the last-level cache size copied into the Result.
	CacheBytes int
	// Probe, when not nil, holds the files of a Go package named "probe"
	// (backend/amd64.ProbeFiles) exporting ProbeFMA and ProbeReadBandwidth;
	// the harness then also measures the machine's peak.
	Probe map[string][]byte
}

// Result is what a benchmark measured.
type Result struct {
	Median, Min, Max time.Duration // per call, over the timed runs
	Work             Work
	// PeakGFLOPS is the f32 FMA peak of the threads used (the best ISA's
	// per-core probe times GOMAXPROCS) and PeakGBs the streaming-read
	// bandwidth: medians of probes run between the timed runs, so that
	// both see the same load on a shared machine; 0 when unknown.
	PeakGFLOPS, PeakGBs float64
	// PeakSpread and BWSpread are max/min of the probes' rounds (1 when
	// steady, 0 when unknown).
	PeakSpread, BWSpread float64
	// CacheBytes is the size of the last-level cache (0 unknown): a call
	// that moves fewer bytes runs from the caches.
	CacheBytes int
}

// MaxSpread is the max/min ratio of the runs or probe rounds above which
// Report warns that the machine was too busy to trust the figures.
const MaxSpread = 1.25

// SizeValues orders opts.Sizes by the kernel's size symbols; every symbol
// must be given and no other name.
func SizeValues(k *ir.Kernel, sizes map[string]int) ([]int, error) {
	vals, err := kernelSizes(k, sizes)
	if err != nil {
		return nil, err
	}
	for name := range sizes {
		if !hasSize(k, name) {
			return nil, fmt.Errorf("kernel %s has no size %s", k.Name, name)
		}
	}
	return vals, nil
}

// SequenceSizes returns the size values of every kernel of seqs from the
// one map sizes: each kernel takes its own symbols, and every name given
// must be a size of some kernel.
func SequenceSizes(seqs [][]*ir.Kernel, sizes map[string]int) ([][][]int, error) {
	out := make([][][]int, len(seqs))
	used := map[string]bool{}
	for i, seq := range seqs {
		for _, k := range seq {
			vals, err := kernelSizes(k, sizes)
			if err != nil {
				return nil, err
			}
			out[i] = append(out[i], vals)
			for _, s := range k.Sizes {
				used[s.Name] = true
			}
		}
	}
	for name := range sizes {
		if !used[name] {
			return nil, fmt.Errorf("no kernel timed has a size %s", name)
		}
	}
	return out, nil
}

func hasSize(k *ir.Kernel, name string) bool {
	for _, s := range k.Sizes {
		if s.Name == name {
			return true
		}
	}
	return false
}

// kernelSizes orders k's size values from sizes, which must give each.
func kernelSizes(k *ir.Kernel, sizes map[string]int) ([]int, error) {
	vals := make([]int, len(k.Sizes))
	for i, s := range k.Sizes {
		v, ok := sizes[s.Name]
		if !ok {
			return nil, fmt.Errorf("kernel %s: no value for size %s (give -s %s=...)", k.Name, s.Name, s.Name)
		}
		vals[i] = v
	}
	for _, t := range append(append([]*ir.Tensor{}, k.Params...), k.Outputs...) {
		for _, d := range t.Dims {
			if d.Size != nil && d.Div > 1 && (vals[d.Size.Index]*d.Mul)%d.Div != 0 {
				return nil, fmt.Errorf("kernel %s: %s: size %s = %d is not divisible by %d", k.Name, t.Name, d.Size.Name, vals[d.Size.Index], d.Div)
			}
		}
	}
	return vals, nil
}

// Harness returns the source of a main package that times sequences of
// kernels of the generated package importPath (package name pkg): each
// sequence calls its kernels in order with their own random inputs, one
// call of the sequence per timed repetition; the runs of the sequences
// interleave, and the program prints "ns SEQ NANOSECONDS" per run.
// sizes[i][j] are the size values of kernel j of sequence i.
func Harness(seqs [][]*ir.Kernel, importPath, pkg string, sizes [][][]int, opts Options) ([]byte, error) {
	probeImport, probeCall := "", ""
	if opts.Probe != nil {
		probeImport = "\t\"tccbench/probe\"\n"
		probeCall = "\tprobes := func() {\n\t\tpeak := probe.ProbeFMA(\"avx512\", 40*time.Millisecond)\n\t\tif peak == 0 {\n\t\t\tpeak = probe.ProbeFMA(\"avx2\", 40*time.Millisecond)\n\t\t}\n\t\tfmt.Println(\"peak_gflops\", peak*float64(runtime.GOMAXPROCS(0)))\n\t\tfmt.Println(\"peak_gbs\", probe.ProbeReadBandwidth(64<<20, 80*time.Millisecond))\n\t}\n"
	} else {
		probeCall = "\tprobes := func() {}\n"
	}
	runs := opts.Runs
	if runs <= 0 {
		runs = 7
	}
	minRun := opts.MinRunTime
	if minRun <= 0 {
		minRun = 50 * time.Millisecond
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by tcc bench. DO NOT EDIT.\n\npackage main\n\nimport (\n\t\"fmt\"\n\t\"math/rand/v2\"\n\t\"os\"\n\t\"runtime\"\n\t\"time\"\n\n\t%s %q\n%s)\n\n", pkg, importPath, probeImport)
	b.WriteString(harnessHelpers)
	fmt.Fprintf(&b, "func main() {\n")
	if opts.Threads > 0 {
		fmt.Fprintf(&b, "\truntime.GOMAXPROCS(%d)\n", opts.Threads)
	}
	b.WriteString("\t_ = runtime.GOMAXPROCS\n\trng := rand.New(rand.NewPCG(1, 2))\n\t_ = rng\n")
	var calls []string
	for i, seq := range seqs {
		var body strings.Builder
		for j, k := range seq {
			body.WriteString("\t\t" + kernelCall(&b, k, pkg, fmt.Sprintf("s%d_%d_", i, j), sizes[i][j]) + "\n")
		}
		name := fmt.Sprintf("call%d", i)
		fmt.Fprintf(&b, "\t%s := func() {\n%s\t}\n", name, body.String())
		calls = append(calls, name)
	}
	fmt.Fprintf(&b, "%s\tmeasure([]func(){%s}, probes, %d, %d)\n}\n", probeCall, strings.Join(calls, ", "), runs, minRun.Nanoseconds())
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("format harness: %w\n%s", err, b.Bytes())
	}
	return src, nil
}

// kernelCall writes to b the declarations of random arguments of k (names
// prefixed with prefix) and returns the statement that calls k and exits
// on an error.
func kernelCall(b *bytes.Buffer, k *ir.Kernel, pkg, prefix string, sizes []int) string {
	var args []string
	for i, t := range k.Params {
		v := fmt.Sprintf("%sp%d", prefix, i)
		if t.Kind == ir.Scalar {
			fmt.Fprintf(b, "\tvar %s %s = %s\n", v, t.Type.GoType(), scalarValue(t.Type))
		} else {
			fmt.Fprintf(b, "\t%s := make([]%s, %d)\n\tfill(rng, %s, %q)\n", v, elemType(t.Type), storageLen(t, sizes), v, t.Type.String())
		}
		args = append(args, v)
	}
	for i, t := range k.Outputs {
		v := fmt.Sprintf("%so%d", prefix, i)
		fmt.Fprintf(b, "\t%s := make([]%s, %d)\n", v, elemType(t.Type), storageLen(t, sizes))
		args = append(args, v)
	}
	for _, s := range sizes {
		args = append(args, strconv.Itoa(s))
	}
	return fmt.Sprintf("if err := %s.%s(%s); err != nil {\n\t\t\tfmt.Fprintln(os.Stderr, err)\n\t\t\tos.Exit(1)\n\t\t}", pkg, k.Name, strings.Join(args, ", "))
}

const harnessHelpers = `// fill sets s to random values suitable for type name.
func fill(rng *rand.Rand, s any, name string) {
	switch s := s.(type) {
	case []float64:
		for i := range s {
			s[i] = rng.Float64()*2 - 1
		}
	case []float32:
		for i := range s {
			s[i] = rng.Float32()*2 - 1
		}
	case []uint16:
		for i := range s {
			switch name {
			case "f16":
				s[i] = 0x3800 | uint16(rng.Uint32())&0x83ff // +-[0.5, 1)
			case "bf16":
				s[i] = 0x3f00 | uint16(rng.Uint32())&0x807f // +-[0.5, 1)
			default:
				s[i] = uint16(rng.Uint32())
			}
		}
	case []uint8:
		for i := range s {
			s[i] = uint8(rng.Uint32()) & 0x77 // small values, no minifloat NaN
		}
	case []int8:
		for i := range s {
			s[i] = int8(rng.Uint32())
		}
	case []int16:
		for i := range s {
			s[i] = int16(rng.Uint32())
		}
	case []int32:
		for i := range s {
			s[i] = int32(rng.Uint32() >> 8)
		}
	case []uint32:
		for i := range s {
			s[i] = rng.Uint32() >> 8
		}
	case []int64:
		for i := range s {
			s[i] = int64(rng.Uint32() >> 8)
		}
	}
}

// measure calls each f once to warm up, then prints the per-call time in
// nanoseconds of runs timed runs of each (at least minRun nanoseconds
// each), the sequences' runs interleaved, with a round of the machine
// probes before each round of runs and after the last.
func measure(fs []func(), probes func(), runs int, minRun int64) {
	reps := make([]int, len(fs))
	for i, f := range fs {
		start := time.Now()
		f()
		warm := time.Since(start).Nanoseconds()
		reps[i] = 1
		if warm > 0 && warm < minRun {
			reps[i] = int(minRun / warm)
		}
		// A second warm-up call settles caches and the worker pool.
		f()
	}
	for r := 0; r < runs; r++ {
		probes()
		for i, f := range fs {
			start := time.Now()
			for j := 0; j < reps[i]; j++ {
				f()
			}
			fmt.Println("ns", i, time.Since(start).Nanoseconds()/int64(reps[i]))
		}
	}
	probes()
}

`

func scalarValue(t ir.DType) string {
	switch {
	case t.Class == ir.Float && t.Bits == 16:
		return "0x3c00" // 1.0
	case t.Class == ir.BFloat:
		return "0x3f80" // 1.0
	case t.IsFloat() && t.Bits < 16:
		return "0x38" // a small positive value in every minifloat
	case t.IsFloat():
		return "0.5"
	}
	return "1"
}

func elemType(t ir.DType) string {
	if t.IsPacked() {
		return "byte"
	}
	return t.GoType()
}

func storageLen(t *ir.Tensor, sizes []int) int {
	n := t.Count(sizes)
	if t.Type.IsPacked() {
		return t.Type.StorageBytes(n)
	}
	return n
}

// Measure writes the generated package files (as driver.Generate returns
// them) and a harness into a temporary module, builds and runs it, and
// returns the timings of kernel k. The go command must be on PATH.
func Measure(ctx context.Context, k *ir.Kernel, files map[string][]byte, opts Options) (*Result, error) {
	if _, err := SizeValues(k, opts.Sizes); err != nil {
		return nil, err
	}
	rs, err := MeasureAll(ctx, [][]*ir.Kernel{{k}}, files, opts)
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// MeasureAll is Measure for sequences of kernels timed in one process (see
// Harness), one Result per sequence; opts.Sizes gives every kernel's sizes.
func MeasureAll(ctx context.Context, seqs [][]*ir.Kernel, files map[string][]byte, opts Options) ([]*Result, error) {
	sizes, err := SequenceSizes(seqs, opts.Sizes)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "tccbench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	pkgDir := filepath.Join(dir, "kern")
	if err := os.Mkdir(pkgDir, 0o755); err != nil {
		return nil, err
	}
	needSys := false
	if opts.Probe != nil {
		probeDir := filepath.Join(dir, "probe")
		if err := os.Mkdir(probeDir, 0o755); err != nil {
			return nil, err
		}
		for name, src := range opts.Probe {
			if err := os.WriteFile(filepath.Join(probeDir, name), src, 0o644); err != nil {
				return nil, err
			}
			needSys = needSys || bytes.Contains(src, []byte(`"golang.org/x/sys/`))
		}
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(pkgDir, name), src, 0o644); err != nil {
			return nil, err
		}
		needSys = needSys || bytes.Contains(src, []byte(`"golang.org/x/sys/`))
	}
	main, err := Harness(seqs, "tccbench/kern", "kern", sizes, opts)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), main, 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(GoMod("tccbench", needSys)), 0o644); err != nil {
		return nil, err
	}
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOSUMDB=off")
	build := exec.CommandContext(ctx, "go", "build", "-o", "bench", ".")
	build.Dir, build.Env = dir, env
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build the benchmark harness: %w\n%s", err, out)
	}
	run := exec.CommandContext(ctx, filepath.Join(dir, "bench"))
	run.Dir, run.Env = dir, append(env, opts.Env...)
	var stderr bytes.Buffer
	run.Stderr = &stderr
	out, err := run.Output()
	if err != nil {
		return nil, fmt.Errorf("run the benchmark: %w\n%s", err, stderr.Bytes())
	}
	works := make([]Work, len(seqs))
	for i, seq := range seqs {
		for j, k := range seq {
			w := Count(k, sizes[i][j])
			works[i].Flops += w.Flops
			works[i].Bytes += w.Bytes
		}
	}
	res, err := parseOutput(out, works)
	if err != nil {
		return nil, err
	}
	for _, r := range res {
		r.CacheBytes = opts.CacheBytes
	}
	return res, nil
}

// parseOutput reads the harness's output: "ns SEQ N" per timed run of
// sequence SEQ (whose work is works[SEQ]) and "peak_gflops X", "peak_gbs Y"
// per probe round.
func parseOutput(out []byte, works []Work) ([]*Result, error) {
	times := make([][]time.Duration, len(works))
	var peaks, bws []float64
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch {
		case (f[0] == "peak_gflops" || f[0] == "peak_gbs") && len(f) == 2:
			x, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark output %q: %w", line, err)
			}
			if f[0] == "peak_gbs" {
				bws = append(bws, x)
			} else {
				peaks = append(peaks, x)
			}
		case f[0] == "ns" && len(f) == 3:
			i, err1 := strconv.Atoi(f[1])
			ns, err2 := strconv.ParseInt(f[2], 10, 64)
			if err1 != nil || err2 != nil || i < 0 || i >= len(works) {
				return nil, fmt.Errorf("benchmark output %q: not a timing", line)
			}
			times[i] = append(times[i], time.Duration(ns))
		}
	}
	res := make([]*Result, len(works))
	peak, peakSpread := medianSpread(peaks)
	bw, bwSpread := medianSpread(bws)
	for i, ts := range times {
		if len(ts) == 0 {
			return nil, fmt.Errorf("benchmark printed no timings:\n%s", out)
		}
		slices.Sort(ts)
		res[i] = &Result{Work: works[i], Median: ts[len(ts)/2], Min: ts[0], Max: ts[len(ts)-1],
			PeakGFLOPS: peak, PeakSpread: peakSpread, PeakGBs: bw, BWSpread: bwSpread}
	}
	return res, nil
}

// medianSpread returns the median of xs and max/min (0, 0 for none).
func medianSpread(xs []float64) (median, spread float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	xs = slices.Clone(xs)
	slices.Sort(xs)
	if xs[0] > 0 {
		spread = xs[len(xs)-1] / xs[0]
	}
	return xs[len(xs)/2], spread
}

// SysVersion is the golang.org/x/sys version generated packages are built
// with: the one tcc itself was built with, else the one tcc's go.mod requires.
func SysVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "golang.org/x/sys" {
				if d.Replace != nil {
					d = d.Replace
				}
				return d.Version
			}
		}
	}
	return "v0.49.0"
}

// GoMod returns a go.mod for a temporary module named module holding a
// generated package, requiring golang.org/x/sys when needSys.
func GoMod(module string, needSys bool) string {
	s := "module " + module + "\n\ngo 1.26\n"
	if needSys {
		s += "\nrequire golang.org/x/sys " + SysVersion() + "\n"
	}
	return s
}
