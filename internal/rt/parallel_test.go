package rt

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

// recordTask counts visits per index and records the chunks it was given.
type recordTask struct {
	hits   []atomic.Int32
	mu     sync.Mutex
	chunks [][2]int
}

func (r *recordTask) Run(lo, hi int) {
	for i := lo; i < hi; i++ {
		r.hits[i].Add(1)
	}
	r.mu.Lock()
	r.chunks = append(r.chunks, [2]int{lo, hi})
	r.mu.Unlock()
}

// wantChunks is the split documented by Chunks, computed independently:
// ceil(n/grain) (grain at least 1) pieces, at most MaxChunks, balanced.
func wantChunks(n, grain int) [][2]int {
	if n <= 0 {
		return nil
	}
	if grain < 1 {
		grain = 1
	}
	k := n / grain
	if n%grain != 0 {
		k++
	}
	if k > 256 {
		k = 256
	}
	var cs [][2]int
	for c := 0; c < k; c++ {
		cs = append(cs, [2]int{c * n / k, (c + 1) * n / k})
	}
	return cs
}

func TestParallelForCoverage(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 3, 8} {
		runtime.GOMAXPROCS(procs)
		for _, n := range []int{-1, 0, 1, 2, 3, 7, 100, 1000, 12345} {
			for _, grain := range []int{-5, 0, 1, 3, 64, 1000, 100000} {
				r := &recordTask{hits: make([]atomic.Int32, max(n, 0))}
				ParallelFor(n, grain, r)
				for i := range r.hits {
					if h := r.hits[i].Load(); h != 1 {
						t.Fatalf("procs %d, n %d, grain %d: index %d run %d times", procs, n, grain, i, h)
					}
				}
				slices.SortFunc(r.chunks, func(a, b [2]int) int { return a[0] - b[0] })
				if want := wantChunks(n, grain); !slices.Equal(r.chunks, want) {
					t.Fatalf("procs %d, n %d, grain %d: chunks %v, want %v", procs, n, grain, r.chunks, want)
				}
				if got := Chunks(n, grain); got != len(r.chunks) {
					t.Fatalf("Chunks(%d, %d) = %d, ran %d", n, grain, got, len(r.chunks))
				}
			}
		}
	}
}

// nestedTask runs an inner ParallelFor from each chunk of an outer one.
type nestedTask struct {
	inner int
	hits  []atomic.Int32
}

func (t *nestedTask) Run(lo, hi int) {
	for i := lo; i < hi; i++ {
		ParallelFor(t.inner, 1, &rowTask{row: t.hits[i*t.inner : (i+1)*t.inner]})
	}
}

type rowTask struct{ row []atomic.Int32 }

func (t *rowTask) Run(lo, hi int) {
	for i := lo; i < hi; i++ {
		t.row[i].Add(1)
	}
}

func TestParallelForNestedAndConcurrent(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outer, inner := 20+g, 37
			nt := &nestedTask{inner: inner, hits: make([]atomic.Int32, outer*inner)}
			ParallelFor(outer, 1, nt)
			for i := range nt.hits {
				if h := nt.hits[i].Load(); h != 1 {
					t.Errorf("goroutine %d: index %d run %d times", g, i, h)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// sumTask writes disjoint elements; it allocates nothing.
type sumTask struct{ out []float64 }

func (s *sumTask) Run(lo, hi int) {
	for i := lo; i < hi; i++ {
		s.out[i] += float64(i)
	}
}

func TestParallelForNoAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation")
	}
	task := &sumTask{out: make([]float64, 4096)}
	// testing.AllocsPerRun runs with GOMAXPROCS 1: the serial path.
	if a := testing.AllocsPerRun(100, func() { ParallelFor(4096, 64, task) }); a != 0 {
		t.Errorf("serial ParallelFor: %v allocs per call, want 0", a)
	}
	// The parallel path, measured by hand with more than one P. A caller
	// that waits long for a helper (an OS thread descheduled on a loaded
	// machine) blocks on a channel, and the runtime may allocate the wait
	// record of a blocking receive when its caches are empty: measured with
	// four Ps on two cores, up to 15 in 1000 calls. A per-call allocation
	// of ParallelFor's own would be 1000.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	for range 100 {
		ParallelFor(4096, 64, task) // warm up: worker pool and free list
	}
	const runs = 1000
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		ParallelFor(4096, 64, task)
	}
	runtime.ReadMemStats(&after)
	if d := after.Mallocs - before.Mallocs; d > runs/20 {
		t.Errorf("parallel ParallelFor: %d allocations in %d calls, want 0", d, runs)
	}
}

func BenchmarkParallelFor(b *testing.B) {
	task := &sumTask{out: make([]float64, 1<<16)}
	b.ReportAllocs()
	for b.Loop() {
		ParallelFor(len(task.out), 1024, task)
	}
}
