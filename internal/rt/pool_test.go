package rt

import (
	"sync"
	"testing"
)

func TestPoolZeroed(t *testing.T) {
	var p Pool[float32]
	for _, n := range []int{0, 5, 100, 3, 100, 1000, -1, 7} {
		s := p.Get(n)
		if want := max(n, 0); len(*s) != want {
			t.Fatalf("Get(%d): len %d, want %d", n, len(*s), want)
		}
		for i, v := range *s {
			if v != 0 {
				t.Fatalf("Get(%d)[%d] = %v, want 0", n, i, v)
			}
		}
		for i := range *s {
			(*s)[i] = float32(i + 1) // dirty it for the next Get
		}
		p.Put(s)
	}
	p.Put(nil) // allowed, ignored
}

func TestPoolNoAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation")
	}
	var p Pool[int64]
	p.Put(p.Get(256))
	a := testing.AllocsPerRun(100, func() {
		s := p.Get(200)
		u := p.Get(10) // a second slice: one more allocation the first time only
		(*s)[0] = 1
		p.Put(u)
		p.Put(s)
	})
	if a != 0 {
		t.Errorf("warm Get/Put: %v allocs, want 0", a)
	}
}

func TestPoolConcurrent(t *testing.T) {
	var p Pool[byte]
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				n := (g*31 + i*7) % 300
				s := p.Get(n)
				for k, v := range *s {
					if v != 0 {
						t.Errorf("element %d = %d, want 0", k, v)
						return
					}
					(*s)[k] = byte(g + 1)
				}
				p.Put(s)
			}
		}()
	}
	wg.Wait()
}

func TestPoolDistinct(t *testing.T) {
	// Two outstanding slices never share memory.
	var p Pool[int]
	p.Put(p.Get(10))
	a, b := p.Get(10), p.Get(10)
	(*a)[0], (*b)[0] = 1, 2
	if (*a)[0] != 1 {
		t.Error("two Gets returned the same memory")
	}
}

func TestPoolUncleared(t *testing.T) {
	if poisonScratch {
		t.Skip("TCC_POISON_SCRATCH=1: GetUncleared poisons")
	}
	var p Pool[float32]
	s := p.GetUncleared(8)
	if len(*s) != 8 {
		t.Fatalf("GetUncleared(8): len %d", len(*s))
	}
	for i := range *s {
		(*s)[i] = 7
	}
	p.Put(s)
	s = p.GetUncleared(5)
	if len(*s) != 5 {
		t.Fatalf("GetUncleared(5): len %d", len(*s))
	}
	for i, v := range *s {
		if v != 7 {
			t.Fatalf("GetUncleared(5)[%d] = %v, want the 7 it held (no clearing)", i, v)
		}
	}
	p.Put(s)
	if s := p.Get(8); (*s)[0] != 0 {
		t.Fatalf("Get after GetUncleared: element 0 = %v, want 0", (*s)[0])
	}
}

func TestPoison(t *testing.T) {
	s := []float32{1, 2, 3}
	poison(s)
	for i, v := range s {
		if v == v {
			t.Errorf("poisoned element %d = %v, want a NaN", i, v)
		}
	}
	u := []int16{1, 2}
	poison(u)
	if u[0] != -1 || u[1] != -1 {
		t.Errorf("poisoned int16s = %v, want all -1", u)
	}
	poison([]int64(nil)) // no elements: nothing to do
}
