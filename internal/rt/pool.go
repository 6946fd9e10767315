package rt

import "sync"

// maxPooled bounds the number of idle slices a Pool keeps.
const maxPooled = 64

// Pool keeps scratch slices of T for reuse. The zero value is ready to use, and
// a Pool is safe for concurrent use; it must not be copied after first use.
// Unlike sync.Pool it never drops slices at garbage collection, so Get does not
// allocate once the pool holds a large enough slice.
type Pool[T any] struct {
	mu   sync.Mutex
	free []*[]T
}

// Get returns a slice of length n (at least 0) whose elements are all zero,
// reusing the smallest idle slice that is large enough.
// Return it with Put when done.
func (p *Pool[T]) Get(n int) *[]T {
	n = max(n, 0)
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
		clear(*s)
		return s
	}
	p.mu.Unlock()
	s := make([]T, n)
	return &s
}

// Put returns s, obtained from Get, to the pool. s must not be used afterwards.
func (p *Pool[T]) Put(s *[]T) {
	if s == nil {
		return
	}
	p.mu.Lock()
	if len(p.free) < maxPooled {
		p.free = append(p.free, s)
	}
	p.mu.Unlock()
}
