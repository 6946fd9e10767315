package schedule

import (
	"strings"
	"testing"
)

func TestPlanJSONRoundTrip(t *testing.T) {
	p := &Plan{Kernel: "K", Target: "avx512", Inline: []string{"t"}, Units: []Unit{
		{Stmts: []int{1, 2}, Vector: true, Accumulators: 4, Parallel: true, Grain: 3, ChunkWork: 1 << 16},
		{Stmts: []int{3}, Accumulators: 1, GEMM: &GEMM{Lanes: 16, MR: 12, NR: 32, KC: 384, MC: 336, NC: 4096, MaxGroups: 8, NCSplit: 8}},
	}}
	js, err := p.JSON()
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseFile(js)
	if err != nil {
		t.Fatal(err)
	}
	q := f.Find("K", "avx512")
	if q == nil || q.Hash() != p.Hash() || q.String() != p.String() {
		t.Fatalf("round trip changed the plan:\n%s\nwant\n%s", q, p)
	}
	if f.Find("K", "avx2") != nil {
		t.Error("found a plan for another target")
	}
	if _, err := ParseFile([]byte(`{"kernel": "K", "target": "go", "units": [], "bogus": 1}`)); err == nil {
		t.Error("an unknown field was accepted")
	}
}

func TestPlanValidate(t *testing.T) {
	ok := GEMM{Lanes: 16, MR: 12, NR: 32, KC: 384, MC: 336, NC: 4096, MaxGroups: 8, NCSplit: 8}
	tests := []struct {
		name string
		p    Plan
		want string
	}{
		{"ok", Plan{Units: []Unit{{Stmts: []int{0}, Accumulators: 1, GEMM: &ok}}}, ""},
		{"missing accumulators", Plan{Units: []Unit{{Stmts: []int{0}}}}, "accumulators"},
		{"order", Plan{Units: []Unit{{Stmts: []int{1}, Accumulators: 1}, {Stmts: []int{0}, Accumulators: 1}}}, "out of order"},
		{"range", Plan{Units: []Unit{{Stmts: []int{5}, Accumulators: 1}}}, "out of range"},
		{"inline", Plan{Inline: []string{"nope"}}, "not an intermediate"},
		{"tile too big", Plan{Units: []Unit{{Stmts: []int{0}, Accumulators: 1, GEMM: &GEMM{Lanes: 16, MR: 16, NR: 32, KC: 8, MC: 16, NC: 32, MaxGroups: 1, NCSplit: 1}}}}, "vector registers"},
		{"nr lanes", Plan{Units: []Unit{{Stmts: []int{0}, Accumulators: 1, GEMM: &GEMM{Lanes: 16, MR: 4, NR: 24, KC: 8, MC: 4, NC: 24, MaxGroups: 1, NCSplit: 1}}}}, "multiple of the 16 lanes"},
	}
	for _, tt := range tests {
		err := tt.p.Validate(2, []string{"t"}, 32)
		if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: Validate = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestGEMMSpace(t *testing.T) {
	s := GEMMSpace{Lanes: 16, VectorRegs: 32, MR: []int{1, 12, 16}, NV: []int{1, 2}, KC: []int{64}, MCTiles: []int{1}, NCPanels: []int{1}, DirectMaxM: []int{0}, GEMV: []bool{false}}
	plans := s.Plans()
	// 16x32 needs 16*2+2+1 = 35 > 32 registers: 5 of the 6 tiles are valid.
	if len(plans) != 5 {
		t.Fatalf("%d plans, want 5: %+v", len(plans), plans)
	}
	for _, g := range plans {
		if err := g.Validate(32); err != nil {
			t.Errorf("%+v: %v", g, err)
		}
	}
}
