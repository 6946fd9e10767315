package rt

import (
	"os"
	"sync"
	"sync/atomic"
	"unsafe"
)

// maxPooled bounds the number of idle slices a Pool keeps.
const maxPooled = 64

// Pool keeps scratch slices of T for reuse. The zero value is ready to use, and
// a Pool is safe for concurrent use; it must not be copied after first use.
// Unlike sync.Pool it never drops slices at garbage collection, so Get does not
// allocate once the pool holds a large enough slice.
type Pool[T any] struct {
	// last is the most recently returned slice, taken and returned without
	// the lock: a kernel called in a loop finds its scratch here (at 64^3 a
	// GEMM call locked three pools twice each, 2-3% of the call).
	last atomic.Pointer[[]T]
	mu   sync.Mutex
	free []*[]T
}

// Get returns a slice of length n (at least 0) whose elements are all zero,
// reusing the smallest idle slice that is large enough.
// Return it with Put when done.
func (p *Pool[T]) Get(n int) *[]T {
	s, reused := p.take(n)
	if reused {
		clear(*s)
	}
	return s
}

// GetUncleared is Get for a scratch buffer whose every element is written
// before it is read: a reused slice keeps whatever it held, so the call costs
// no clearing pass over memory. With TCC_POISON_SCRATCH=1 in the environment
// at start-up, every byte is set to 0xFF instead (a NaN in every float
// element), so that a kernel reading an element it did not write gives a
// visibly wrong result in tests.
func (p *Pool[T]) GetUncleared(n int) *[]T {
	s, _ := p.take(n)
	if poisonScratch {
		poison(*s)
	}
	return s
}

// poisonScratch is set from TCC_POISON_SCRATCH at start-up.
var poisonScratch = os.Getenv("TCC_POISON_SCRATCH") == "1"

// poison sets every byte of s to 0xFF.
func poison[T any](s []T) {
	if len(s) == 0 {
		return
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), uintptr(len(s))*unsafe.Sizeof(s[0]))
	for i := range b {
		b[i] = 0xFF
	}
}

// take returns a slice of length n (at least 0): the smallest idle slice
// that is large enough (reused true), or a new zeroed one.
func (p *Pool[T]) take(n int) (s *[]T, reused bool) {
	n = max(n, 0)
	if s := p.last.Swap(nil); s != nil {
		if cap(*s) >= n {
			*s = (*s)[:n]
			return s, true
		}
		p.putLocked(s)
	}
	p.mu.Lock()
	best := -1 // the smallest idle slice that is large enough
	for i, s := range p.free {
		if c := cap(*s); c >= n && (best < 0 || c < cap(*p.free[best])) {
			best = i
		}
	}
	if best >= 0 {
		s := p.free[best]
		last := len(p.free) - 1
		p.free[best] = p.free[last]
		p.free[last] = nil
		p.free = p.free[:last]
		p.mu.Unlock()
		*s = (*s)[:n]
		return s, true
	}
	p.mu.Unlock()
	fresh := make([]T, n)
	return &fresh, false
}

// Put returns s, obtained from Get, to the pool. s must not be used afterwards.
func (p *Pool[T]) Put(s *[]T) {
	if s == nil || p.last.CompareAndSwap(nil, s) {
		return
	}
	p.putLocked(s)
}

// putLocked adds s to the idle list (if it is not full) under the lock.
func (p *Pool[T]) putLocked(s *[]T) {
	p.mu.Lock()
	if len(p.free) < maxPooled {
		p.free = append(p.free, s)
	}
	p.mu.Unlock()
}
