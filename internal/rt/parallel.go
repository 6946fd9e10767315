package rt

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Task is a unit of parallel work: Run computes the indices [lo, hi).
// Different calls of Run of one ParallelFor touch disjoint index ranges and may
// run concurrently.
type Task interface {
	Run(lo, hi int)
}

// MaxChunks bounds the number of chunks ParallelFor splits a range into.
const MaxChunks = 256

// Chunks returns the number of chunks ParallelFor splits [0, n) into for the
// given grain: ceil(n/grain), at most MaxChunks, and 0 for n <= 0. Chunk c
// covers [c*n/chunks, (c+1)*n/chunks). The split depends only on n and grain,
// never on the number of CPUs, so results that depend on it are reproducible.
func Chunks(n, grain int) int {
	if n <= 0 {
		return 0
	}
	grain = max(grain, 1)
	return min((n-1)/grain+1, MaxChunks)
}

// ParallelFor calls t.Run on every chunk (see Chunks) of [0, n), and returns
// when all are done. It runs the chunks in order on the calling goroutine when
// there is one chunk or GOMAXPROCS is 1; otherwise the caller and helpers from
// a fixed pool of GOMAXPROCS workers, started on first use, share them.
// Nested calls (from inside Run) are allowed and cannot deadlock: the caller
// alone can finish every chunk.
//
// ParallelFor itself does not allocate once warm; t is kept by the workers, so
// a caller that must not allocate passes a t that already lives on the heap
// (for example a task reused from a Pool).
func ParallelFor(n, grain int, t Task) {
	chunks := Chunks(n, grain)
	if chunks == 0 {
		return
	}
	procs := runtime.GOMAXPROCS(0)
	if chunks == 1 || procs == 1 {
		for c := range chunks {
			t.Run(c*n/chunks, (c+1)*n/chunks)
		}
		return
	}
	workers.once.Do(startWorkers)
	helpers := min(chunks, procs, workers.n+1) - 1
	c := getParCall()
	c.t, c.n, c.chunks = t, n, chunks
	c.next.Store(0)
	c.waiting.Store(0)
	c.left.Store(int64(chunks))
	c.refs.Store(int32(helpers) + 1)
	for range helpers {
		select {
		case workers.work <- c:
		default: // queue full (deep nesting): do without this helper
			c.refs.Add(-1)
		}
	}
	if helpers > 0 {
		// A goroutine woken by a channel send waits in this P's runnext
		// slot, and the chunks (assembly, not preemptible) keep this
		// goroutine on the P: on a 2-core machine the helper found the
		// chunks of a 256^3 GEMM already taken in 80% of the calls.
		// Yielding once lets the helper start here while an idle P takes
		// this goroutine (helper present in 99% of the calls; 256^3 on two
		// threads 129 -> 172 GFLOP/s best).
		runtime.Gosched()
	}
	c.work()
	c.wait()
	c.release()
}

// spinWaits is how many times the caller yields, waiting for the helpers'
// last chunks, before it blocks on the done channel.
const spinWaits = 64

// wait returns when every chunk of c is finished. The caller yields while
// the helpers finish their last chunks (a goroutine that blocks and is woken
// costs microseconds, and the runtime's blocking receive sometimes allocates
// its wait record); after spinWaits yields it blocks until the last helper
// signals done. waiting arbitrates between the two: the caller announces a
// block with 0 -> 1, and either takes it back (1 -> 0, nothing was sent)
// or the finisher took it (1 -> 2) and sends.
func (c *parCall) wait() {
	for range spinWaits {
		if c.left.Load() == 0 {
			return
		}
		runtime.Gosched()
	}
	c.waiting.Store(1)
	if c.left.Load() == 0 && c.waiting.CompareAndSwap(1, 0) {
		return
	}
	<-c.done
}

// parCall is the shared state of one ParallelFor call. It is reused: whoever
// drops the last reference puts it back on the free list.
type parCall struct {
	t         Task
	n, chunks int
	next      atomic.Int64 // next chunk to hand out
	left      atomic.Int64 // chunks not yet finished
	refs      atomic.Int32 // the caller and the helpers that were sent c
	waiting   atomic.Int32 // 1: the caller blocks on done; 2: done is sent (see wait)
	done      chan struct{}
}

// work runs chunks until none is left; whoever finishes the last one signals
// done.
func (c *parCall) work() {
	for {
		i := int(c.next.Add(1) - 1)
		if i >= c.chunks {
			return
		}
		c.t.Run(i*c.n/c.chunks, (i+1)*c.n/c.chunks)
		if c.left.Add(-1) == 0 && c.waiting.CompareAndSwap(1, 2) {
			c.done <- struct{}{}
		}
	}
}

func (c *parCall) release() {
	if c.refs.Add(-1) != 0 {
		return
	}
	c.t = nil
	workers.mu.Lock()
	workers.free = append(workers.free, c)
	workers.mu.Unlock()
}

// workers is the process-wide worker pool.
var workers struct {
	once sync.Once
	n    int
	work chan *parCall
	mu   sync.Mutex
	free []*parCall
}

func startWorkers() {
	workers.n = runtime.GOMAXPROCS(0)
	workers.work = make(chan *parCall, 4*workers.n)
	// A helper can hold a finished call for a while after the caller has
	// returned (it is descheduled before its release), so that the next call
	// finds the free list empty: start with enough calls for every helper
	// and a few nested calls, and room in the list for all of them, so that
	// a warm ParallelFor does not allocate on a loaded machine either.
	workers.free = make([]*parCall, 0, 4*workers.n+8)
	for range 2*workers.n + 4 {
		workers.free = append(workers.free, &parCall{done: make(chan struct{}, 1)})
	}
	for range workers.n {
		go func() {
			for c := range workers.work {
				c.work()
				c.release()
			}
		}()
	}
}

func getParCall() *parCall {
	workers.mu.Lock()
	if k := len(workers.free); k > 0 {
		c := workers.free[k-1]
		workers.free[k-1] = nil
		workers.free = workers.free[:k-1]
		workers.mu.Unlock()
		return c
	}
	workers.mu.Unlock()
	return &parCall{done: make(chan struct{}, 1)}
}
