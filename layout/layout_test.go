package layout

import (
	"math/rand"
	"testing"
)

func mustParse(t *testing.T, s string) Layout {
	t.Helper()
	l, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestEvalWorkedExample(t *testing.T) {
	// 01_layout.md: (3,(2,3)):(3,(12,1)), coordinate 16 -> (1,(1,2)) -> 17.
	l := mustParse(t, "(3,(2,3)):(3,(12,1))")
	if got := l.Eval(16); got != 17 {
		t.Errorf("Eval(16) = %d, want 17", got)
	}
	if l.Size() != 18 || l.Cosize() != 2*3+1*12+2*1+1 {
		t.Errorf("size %d cosize %d", l.Size(), l.Cosize())
	}
}

func TestParseString(t *testing.T) {
	for _, s := range []string{"4:2", "(2,3):(1,8)", "((2,2),(2,3)):((4,1),(2,8))", "(3,(2,3)):(3,(12,1))"} {
		if got := mustParse(t, s).String(); got != s {
			t.Errorf("round trip %q = %q", s, got)
		}
	}
	for _, s := range []string{"", "4", "(2,3):(1)", "(2,3:(1,2)", "a:b", "(2,3):(1,2))"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) succeeded", s)
		}
	}
}

func TestCoalesce(t *testing.T) {
	tests := []struct{ in, want string }{
		{"(2,(1,6)):(1,(6,2))", "12:1"},
		{"(4,2,3):(2,1,8)", "(4,2,3):(2,1,8)"},
		{"(2,4):(3,6)", "8:3"},
		{"(1,1):(5,7)", "1:0"},
	}
	for _, tt := range tests {
		in := mustParse(t, tt.in)
		got := Coalesce(in)
		if got.String() != tt.want {
			t.Errorf("Coalesce(%s) = %s, want %s", tt.in, got, tt.want)
		}
		for i := 0; i < in.Size(); i++ {
			if in.Eval(i) != got.Eval(i) {
				t.Errorf("Coalesce(%s) changes the function at %d", tt.in, i)
			}
		}
	}
}

func TestCompose(t *testing.T) {
	tests := []struct{ a, b, want string }{
		{"(6,2):(8,2)", "(4,3):(3,1)", "((2,2),3):((24,2),8)"},
		{"20:2", "(5,4):(4,1)", "(5,4):(8,2)"},
	}
	for _, tt := range tests {
		a, b := mustParse(t, tt.a), mustParse(t, tt.b)
		got, err := Compose(a, b)
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != tt.want {
			t.Errorf("%s ∘ %s = %s, want %s", tt.a, tt.b, got, tt.want)
		}
	}
	// The documented image: 0,24,2,26,8,32,10,34,16,40,18,42.
	r, _ := Compose(mustParse(t, "(6,2):(8,2)"), mustParse(t, "(4,3):(3,1)"))
	want := []int{0, 24, 2, 26, 8, 32, 10, 34, 16, 40, 18, 42}
	for i, w := range want {
		if r.Eval(i) != w {
			t.Errorf("(a∘b)(%d) = %d, want %d", i, r.Eval(i), w)
		}
	}
	if _, err := Compose(mustParse(t, "(3,5):(1,4)"), Leaf(2, 2)); err == nil {
		t.Error("composition violating divisibility succeeded")
	}
}

// TestComposeProperty checks (a∘b)(i) == a(b(i)) for random compatible layouts.
func TestComposeProperty(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	pow := []int{1, 2, 4, 8}
	n := 0
	for iter := 0; iter < 2000; iter++ {
		a := randLayout(rng, pow, 3)
		b := randLayout(rng, pow, 2)
		if b.Cosize() > a.Size() || !injective(b) {
			continue
		}
		r, err := Compose(a, b)
		if err != nil {
			continue
		}
		n++
		if r.Size() != b.Size() {
			t.Fatalf("%v∘%v = %v: size %d, want %d", a, b, r, r.Size(), b.Size())
		}
		for i := 0; i < b.Size(); i++ {
			if r.Eval(i) != a.Eval(b.Eval(i)) {
				t.Fatalf("%v∘%v = %v differs at %d: %d vs %d", a, b, r, i, r.Eval(i), a.Eval(b.Eval(i)))
			}
		}
	}
	if n < 200 {
		t.Fatalf("only %d compositions tested", n)
	}
}

func injective(l Layout) bool {
	seen := map[int]bool{}
	for i := 0; i < l.Size(); i++ {
		if seen[l.Eval(i)] {
			return false
		}
		seen[l.Eval(i)] = true
	}
	return true
}

func randLayout(rng *rand.Rand, vals []int, maxModes int) Layout {
	k := 1 + rng.Intn(maxModes)
	modes := make([]Layout, k)
	for i := range modes {
		modes[i] = Leaf(vals[rng.Intn(len(vals))], vals[rng.Intn(len(vals))])
	}
	if k == 1 {
		return modes[0]
	}
	return Of(modes...)
}

func TestComplement(t *testing.T) {
	tests := []struct {
		a    string
		m    int
		want string
	}{
		{"4:1", 24, "6:4"},
		{"4:2", 24, "(2,3):(1,8)"},
		{"(2,2):(1,6)", 24, "(3,2):(2,12)"},
	}
	for _, tt := range tests {
		a := mustParse(t, tt.a)
		got, err := Complement(a, tt.m)
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != tt.want {
			t.Errorf("complement(%s, %d) = %s, want %s", tt.a, tt.m, got, tt.want)
		}
		// (a, complement) is a bijection onto [0, m) here.
		full := Of(a, got)
		seen := make([]bool, tt.m)
		for i := 0; i < full.Size(); i++ {
			o := full.Eval(i)
			if o >= tt.m || seen[o] {
				t.Fatalf("(%s, %s) is not a bijection onto [0,%d): offset %d", tt.a, got, tt.m, o)
			}
			seen[o] = true
		}
	}
	if _, err := Complement(mustParse(t, "(2,2):(1,1)"), 8); err == nil {
		t.Error("complement of a non-injective layout succeeded")
	}
}

func TestDivideProduct(t *testing.T) {
	d, err := LogicalDivide(mustParse(t, "(4,2,3):(2,1,8)"), mustParse(t, "4:2"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.String(), "((2,2),(2,3)):((4,1),(2,8))"; got != want {
		t.Errorf("divide = %s, want %s", got, want)
	}
	p, err := LogicalProduct(mustParse(t, "(2,2):(4,1)"), mustParse(t, "6:1"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.String(), "((2,2),(2,3)):((4,1),(2,8))"; got != want {
		t.Errorf("product = %s, want %s", got, want)
	}
}

func TestOrdered(t *testing.T) {
	l, err := Ordered(mustParse(t, "((4,3),5):((0,0),0)"), []int{0, 2, 1})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := l.String(), "((4,3),5):((1,20),4)"; got != want {
		t.Errorf("Ordered = %s, want %s", got, want)
	}
	if _, err := Ordered(Leaf(3, 0), []int{1}); err == nil {
		t.Error("bad order accepted")
	}
}

// TestPanelLoops checks that the pack loops derived from a panel layout visit every
// buffer offset once, every logical element once, and agree with the closed form.
func TestPanelLoops(t *testing.T) {
	for _, tc := range []struct{ rows, cols, dim, r int }{
		{8, 5, 0, 4}, {12, 7, 0, 6}, {3, 16, 1, 8}, {5, 32, 1, 16}, {1, 1, 0, 1}, {16, 3, 0, 16},
	} {
		l, err := Panel(tc.rows, tc.cols, tc.dim, tc.r)
		if err != nil {
			t.Fatal(err)
		}
		loops, err := l.Loops()
		if err != nil {
			t.Fatal(err)
		}
		if len(loops) > 0 && loops[len(loops)-1].BufStride != 1 {
			t.Fatalf("%v: innermost loop stride %d", l, loops[len(loops)-1].BufStride)
		}
		size := tc.rows * tc.cols
		bufSeen := make([]bool, size)
		logSeen := make([]bool, size)
		var walk func(n int, coord [2]int, off int)
		walk = func(n int, coord [2]int, off int) {
			if n == len(loops) {
				i, j := coord[0], coord[1]
				if bufSeen[off] || logSeen[i+tc.rows*j] {
					t.Fatalf("%v: offset %d or element (%d,%d) visited twice", l, off, i, j)
				}
				bufSeen[off], logSeen[i+tc.rows*j] = true, true
				var want int
				if tc.dim == 0 {
					want = (i/tc.r)*tc.r*tc.cols + j*tc.r + i%tc.r
				} else {
					want = (j/tc.r)*tc.r*tc.rows + i*tc.r + j%tc.r
				}
				if off != want || l.Eval(i+tc.rows*j) != want {
					t.Fatalf("%v: element (%d,%d) at %d (layout %d), want %d", l, i, j, off, l.Eval(i+tc.rows*j), want)
				}
				return
			}
			lp := loops[n]
			for x := 0; x < lp.Extent; x++ {
				c := coord
				c[lp.Dim] += x * lp.DimStride
				walk(n+1, c, off+x*lp.BufStride)
			}
		}
		walk(0, [2]int{}, 0)
		for i := range bufSeen {
			if !bufSeen[i] || !logSeen[i] {
				t.Fatalf("%v: offset or element %d never visited", l, i)
			}
		}
	}
	if _, err := Panel(10, 4, 0, 4); err == nil {
		t.Error("panel with non-dividing tile accepted")
	}
	if _, err := mustParse(t, "(2,2):(1,3)").Loops(); err == nil {
		t.Error("non-compact layout gave loops")
	}
}
