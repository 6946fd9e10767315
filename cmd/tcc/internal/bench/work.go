// Package bench implements `tcc bench`: it counts a kernel's work from its IR,
// writes a timing harness around the generated package in a temporary module,
// runs it and reports time, throughput and the fraction of the machine's peak.
package bench

import (
	"fmt"

	"github.com/tensorcc/tcc/ir"
)

// Work is the amount of work one call of a kernel does.
type Work struct {
	// Flops counts arithmetic operations as ir.CountWork does: one per +,
	// -, *, / and function call, one per point combined into a reduction,
	// so a multiply-add in a reduction counts 2.
	Flops float64
	// Bytes is the minimum memory traffic: every parameter read once and
	// every output written once, in storage bytes.
	Bytes float64
}

// MemoryBound reports whether the kernel does fewer than 8 flops per byte
// moved; its speed is then reported in GB/s rather than GFLOP/s.
func (w Work) MemoryBound() bool { return w.Flops < 8*w.Bytes }

// Count returns the work of one call of k with the given size values
// (indexed by ir.Size.Index): the flops of ir.CountWork for every point of
// every statement.
func Count(k *ir.Kernel, sizes []int) Work {
	var w Work
	for _, s := range k.Stmts {
		points := 1.0
		for _, v := range s.Index {
			points *= float64(v.Extent.Eval(sizes))
		}
		sw, _ := ir.CountWork[float64](s.Value, floats(sizes), nil) // floats has no errors
		w.Flops += points * sw.Flops
	}
	for _, t := range k.Params {
		w.Bytes += float64(t.Type.StorageBytes(t.Count(sizes)))
	}
	for _, t := range k.Outputs {
		w.Bytes += float64(t.Type.StorageBytes(t.Count(sizes)))
	}
	return w
}

// floats counts work in float64 for concrete size values.
type floats []int

func (floats) Int(n int64) float64      { return float64(n) }
func (floats) Add(a, b float64) float64 { return a + b }
func (floats) Mul(a, b float64) float64 { return a * b }
func (s floats) Extent(v *ir.Var) (float64, error) {
	return float64(v.Extent.Eval(s)), nil
}

// Report formats a result: time per call, GFLOP/s and GB/s, the headline
// figure first (GB/s for memory-bound kernels).
func Report(r *Result) string {
	sec := r.Median.Seconds()
	gflops := r.Work.Flops / sec / 1e9
	gbs := r.Work.Bytes / sec / 1e9
	s := fmt.Sprintf("time     %v per call (median of runs; min %v, max %v)\n", r.Median, r.Min, r.Max)
	flops := fmt.Sprintf("compute  %.2f GFLOP/s (%.4g flops per call)", gflops, r.Work.Flops)
	if r.PeakGFLOPS > 0 {
		flops += fmt.Sprintf(", %.1f%% of the %.1f GFLOP/s f32 FMA peak (median of probes between the runs)", 100*gflops/r.PeakGFLOPS, r.PeakGFLOPS)
	}
	flops += "\n"
	mem := fmt.Sprintf("memory   %.2f GB/s (%.4g bytes per call)", gbs, r.Work.Bytes)
	if r.CacheBytes > 0 && r.Work.Bytes < float64(r.CacheBytes) {
		mem += fmt.Sprintf(": the data fits in the %d MiB of cache, so a fraction of the DRAM bandwidth does not apply", r.CacheBytes>>20)
	} else if r.PeakGBs > 0 {
		mem += fmt.Sprintf(", %.1f%% of the %.1f GB/s read bandwidth (median of probes between the runs)", 100*gbs/r.PeakGBs, r.PeakGBs)
	}
	mem += "\n"
	var warn string
	if r.Min > 0 && float64(r.Max)/float64(r.Min) > MaxSpread {
		warn += fmt.Sprintf("warning  the runs' times vary %.2fx: the machine is busy\n", float64(r.Max)/float64(r.Min))
	}
	for _, p := range []struct {
		what   string
		spread float64
	}{{"FMA peak", r.PeakSpread}, {"bandwidth", r.BWSpread}} {
		if p.spread > MaxSpread {
			warn += fmt.Sprintf("warning  the %s probe varied %.2fx between runs: its fraction is not trustworthy\n", p.what, p.spread)
		}
	}
	if r.Work.MemoryBound() {
		return s + mem + flops + warn
	}
	return s + flops + mem + warn
}
