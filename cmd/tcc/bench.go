package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/tensorcc/tcc/backend/amd64"
	"github.com/tensorcc/tcc/cmd/tcc/internal/bench"
	"github.com/tensorcc/tcc/driver"
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

func runBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", "FILE -k KERNEL -s M=1024,N=1024,K=1024 [-threads N] [-runs N] [-target go,amd64] [-vs K1,K2,...] [-plan P.json]\n\nBench generates the package for FILE into a temporary module with a harness\nthat fills the inputs with random values, warms up, times several runs and\nprints the median time per call, the throughput (flops counted from the IR:\n2 per multiply-add in a reduction; bytes for memory-bound kernels) and, where\nthe machine's peak is known, the fraction of it reached. The go command must\nbe on PATH. TCC_CPU in the environment forces the amd64 dispatch level.", stderr)
	kname := fs.String("k", "", "`kernel` to time (required)")
	sizes := fs.String("s", "", "size values `M=1024,N=1024,...` (every size symbol)")
	threads := fs.Int("threads", 0, "GOMAXPROCS for the run (default: all cores)")
	target := fs.String("target", "", "comma-separated `targets` (go, amd64; default: every backend)")
	runs := fs.Int("runs", 7, "number of timed runs")
	planFile := fs.String("plan", "", "schedule `file` (JSON plans, as tcc explain prints them) to time instead of the default plan")
	var versus []string
	fs.Func("vs", "also time `K1,K2,...` (kernels called in sequence, each with its own inputs) in the same process, and report its time against -k's; repeatable", func(v string) error {
		versus = append(versus, v)
		return nil
	})
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
	sz, err := parseSizes(*sizes)
	if err != nil {
		return usagef("-s: %v", err)
	}
	targets, err := parseTargets(*target)
	if err != nil {
		return usagef("%v", err)
	}
	if targets == nil {
		targets = allTargets
	}
	switch c := os.Getenv("TCC_CPU"); c {
	case "", "avx512vnni", "avx512", "avx2", "generic":
	default:
		return usagef("TCC_CPU=%q: want avx512vnni, avx512, avx2 or generic (or unset for the best level the CPU has)", c)
	}
	if *threads < 0 || *runs < 1 {
		return usagef("-threads must be >= 0 and -runs >= 1")
	}
	prog, err := compileFiles(files, stderr)
	if err != nil {
		return err
	}
	var seqs [][]*ir.Kernel
	for _, list := range append([]string{*kname}, versus...) {
		var seq []*ir.Kernel
		for _, name := range strings.Split(list, ",") {
			k := prog.Kernel(strings.TrimSpace(name))
			if k == nil {
				return fmt.Errorf("%s has no kernel %q", files[0], name)
			}
			seq = append(seq, k)
		}
		seqs = append(seqs, seq)
	}
	if _, err := bench.SequenceSizes(seqs, sz); err != nil {
		return usagef("%v", err)
	}
	plans, err := readPlans(*planFile)
	if err != nil {
		return err
	}
	gen, err := driver.Generate(prog, driver.Options{Package: "kern", Targets: targets, Source: files[0], Plans: plans})
	if err != nil {
		return reportPositioned(err, stderr)
	}
	probe, err := amd64.ProbeFiles("probe")
	if err != nil {
		return fmt.Errorf("machine probes: %w", err)
	}
	res, err := bench.MeasureAll(context.Background(), seqs, gen, bench.Options{Sizes: sz, Threads: *threads, Runs: *runs, Probe: probe, CacheBytes: loop.TargetAVX512.L3})
	if err != nil {
		return err
	}
	level := os.Getenv("TCC_CPU")
	if level == "" {
		level = "the best the CPU has"
	}
	if !slices.Contains(targets, "amd64") {
		level = "portable Go only"
	}
	fmt.Fprintf(stdout, "kernel   %s  %s  targets %s  threads %s  dispatch %s\n", *kname, *sizes, strings.Join(targets, ","), threadsString(*threads), level)
	fmt.Fprint(stdout, bench.Report(res[0]))
	for i, r := range res[1:] {
		fmt.Fprintf(stdout, "\nversus   %s: %.2fx the time of %s (same process, runs interleaved)\n", versus[i], r.Median.Seconds()/res[0].Median.Seconds(), *kname)
		fmt.Fprint(stdout, bench.Report(r))
	}
	return nil
}

func threadsString(n int) string {
	if n == 0 {
		return "all"
	}
	return fmt.Sprint(n)
}
