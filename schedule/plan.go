// Package schedule holds tcc's schedules as data. A Plan records every
// decision the lowering makes for one kernel on one target: which
// intermediates are computed inside their consumers, how statements are
// grouped into fused units, and per unit the loop order's vectorisation,
// the independent accumulators of its reductions, its parallel split and
// chunk size, streaming stores, and for a contraction the register tile,
// the cache blocks, the parallel decomposition and the special-shape paths
// of the GEMM template.
//
// A Plan is a plain value: it can be printed (String, which `tcc explain`
// shows), saved and read as JSON (`tcc compile -plan`, `tcc bench -plan`,
// the autotuner's records), hashed, validated against the kernel, and
// enumerated (GEMMSpace). The lowering (package lower) computes the default
// plan from its heuristics (lower.DefaultPlan) and obeys any valid plan it
// is given; the backends and the runtime only follow what the lowering
// recorded from it.
package schedule

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Plan is the schedule of one kernel for one target.
type Plan struct {
	// Kernel and Target name what the plan is for ("Matmul", "avx512").
	Kernel string `json:"kernel"`
	Target string `json:"target"`
	// Inline lists the intermediates computed inside their consumers
	// instead of being stored.
	Inline []string `json:"inline,omitempty"`
	// Units are the kernel's statements (not inlined), grouped and in
	// order: one unit is one step of the lowered kernel (a contraction
	// several).
	Units []Unit `json:"units"`
}

// Unit is one statement, or several fused along their outermost index (a
// row loop), and how its loops run.
type Unit struct {
	// Stmts are indices into the kernel's statements, in order; more than
	// one means they are fused into one loop over their shared row index.
	Stmts []int `json:"stmts"`
	// Vector vectorises the innermost output loop (and, where possible,
	// the innermost loop of each reduction) with the target's vectors.
	Vector bool `json:"vector"`
	// Accumulators is the number of independent accumulators of long
	// reductions (1 keeps one).
	Accumulators int `json:"accumulators"`
	// Parallel runs the outermost loop over chunks on several goroutines;
	// a chunk holds at least ChunkWork flops (and Grain iterations).
	Parallel  bool `json:"parallel"`
	Grain     int  `json:"grain,omitempty"`
	ChunkWork int  `json:"chunk_work,omitempty"`
	// Stream lets the full-vector stores of a large output that is written
	// once bypass the caches.
	Stream bool `json:"stream,omitempty"`
	// GEMM, when set, computes the unit's statement with the contraction
	// template.
	GEMM *GEMM `json:"gemm,omitempty"`
}

// GEMM is the plan of the contraction template (package schedule/gemm).
type GEMM struct {
	// Lanes is the vector width in accumulator elements (1: scalar).
	Lanes int `json:"lanes"`
	// MR x NR is the register tile (NR a multiple of Lanes).
	MR int `json:"mr"`
	NR int `json:"nr"`
	// MRTail, when positive, is the height of the tail tiles: with A packed
	// as rows (ARows), a block whose last rows are at most 2*MRTail ends
	// with MRTail-row tiles instead of one MR-row tile that is mostly
	// padding (M = 16 with MR = 12: 16 rows computed instead of 24).
	MRTail int `json:"mr_tail,omitempty"`
	// KC, MC and NC are the cache blocks: a KC x NR sliver of packed B in
	// L1, an MC x KC block of A in L2, a KC x NC panel of B in L3.
	KC int `json:"kc"`
	MC int `json:"mc"`
	NC int `json:"nc"`
	// MaxGroups bounds the groups the batches are split into for parallel
	// work, NCSplit the NC blocks N is split into at least.
	MaxGroups int `json:"max_groups"`
	NCSplit   int `json:"nc_split"`
	// SplitMinWork: a product of fewer flops than this (2*M*N*K over all
	// batches) keeps N in one NC block (0: always split), as a product that
	// small runs on one thread.
	SplitMinWork int `json:"split_min_work,omitempty"`
	// NCMin is the least width of an NC block when N is split (NR if
	// smaller): a narrower block reads each row of B in shorter runs, a
	// page apart when B's rows are far apart.
	NCMin int `json:"nc_min,omitempty"`
	// DirectMaxM: below this many MR-row tiles B is read in place instead
	// of packed (0 never).
	DirectMaxM int `json:"direct_max_m"`
	// DirectMaxB bounds the K x N elements of a B read in place (0: no
	// bound): a larger B comes from memory, where rows read a sliver at a
	// time, a page apart, run at a fraction of the bandwidth that packing
	// (whole rows, once) reaches.
	DirectMaxB int `json:"direct_max_b,omitempty"`
	// DirectAllB: a B of at most this many K x N elements is read in place
	// whatever M (0: never), as it stays in cache across the row tiles.
	DirectAllB int `json:"direct_all_b,omitempty"`
	// DirectA: an A of at most this many M x K elements (0: never) whose
	// rows are contiguous along k is read in place instead of packed, when K
	// is one KC block and M has a whole tile: the micro-kernel broadcasts
	// from A's rows at its run-time row stride, and the last tile of a block
	// that would run past M is moved up to end at M (its rows computed twice
	// with the same sums). For small products, where packing A costs as
	// much as a large part of the multiply-adds.
	DirectA int `json:"direct_a,omitempty"`
	// GEMV paths (M == 1 or N == 1): rows of B streamed together, least
	// columns per parallel block, outputs per dot-product block; 0 turns
	// the path off.
	GEMVRows int `json:"gemv_rows"`
	GEMVCols int `json:"gemv_cols"`
	DotBlock int `json:"dot_block"`
	// VNNI uses the 4-way byte dot product for i8 GEMMs where the target
	// has it.
	VNNI bool `json:"vnni"`
	// ARows packs A on vector targets as rows at a pitch of KC+16 elements
	// (copied with whole vectors; the micro-kernel broadcasts A[r, k] from
	// row r's offset) instead of MR rows interleaved per k (a scalar
	// transpose). VNNI GEMMs always interleave.
	ARows bool `json:"a_rows"`
	// BInLoop packs each KC x NC block of B inside the compute step, just
	// before the MC blocks that use it (BLIS's order: the block is read from
	// memory once and stays in L2), instead of packing the whole of B in a
	// step of its own first (which writes and reads B's packed copy through
	// memory once more). VNNI GEMMs always pack ahead.
	BInLoop bool `json:"b_in_loop,omitempty"`
	// AInLoop packs each block of A inside the compute step, just before
	// its row tiles, when N is one NC block (each block of A is then used
	// by one compute iteration only), instead of in a step of its own
	// first, which writes the whole packed A to memory and reads it back
	// (a 3x3 convolution with 64 outputs packs 16 MB of A). VNNI GEMMs
	// always pack ahead.
	AInLoop bool `json:"a_in_loop,omitempty"`
	// PrefetchC: when C has at least this many elements (0: never), a
	// micro-tile's rows of C are prefetched before its k loop (on vector
	// targets), so that the partial sums read and the lines written after
	// the loop are in cache by then.
	PrefetchC int `json:"prefetch_c,omitempty"`
	// PrefetchB: B's pack prefetches the elements this many rows (steps
	// of the reduction) ahead of those it copies (0: none), for a B whose
	// rows are short runs far apart (a reduction over several indices, a
	// strided operand) that the hardware prefetcher does not follow. The
	// pack of a plain B read row by row with whole vectors does not use it.
	PrefetchB int `json:"prefetch_b,omitempty"`
}

// Validate checks the plan's own constraints, for a target with vectorRegs
// vector registers: positive sizes, NR a multiple of the lanes, MC and NC
// multiples of MR and NR, a register tile that fits the register file
// (MR*NR/Lanes accumulators, NR/Lanes B vectors and one broadcast).
func (g *GEMM) Validate(vectorRegs int) error {
	switch {
	case g.Lanes < 1 || g.MR < 1 || g.NR < 1 || g.KC < 1 || g.MC < 1 || g.NC < 1:
		return fmt.Errorf("gemm plan %v: sizes must be positive", *g)
	case g.NR%g.Lanes != 0:
		return fmt.Errorf("gemm plan: NR %d is not a multiple of the %d lanes", g.NR, g.Lanes)
	case g.MC%g.MR != 0 || g.NC%g.NR != 0:
		return fmt.Errorf("gemm plan: MC %d and NC %d must be multiples of MR %d and NR %d", g.MC, g.NC, g.MR, g.NR)
	case g.MRTail < 0 || g.MRTail >= g.MR && g.MRTail > 0:
		return fmt.Errorf("gemm plan: tail height %d must be below MR %d", g.MRTail, g.MR)
	case g.MaxGroups < 1 || g.NCSplit < 1 || g.DirectMaxM < 0 || g.DirectMaxB < 0 || g.DirectAllB < 0 || g.DirectA < 0 || g.SplitMinWork < 0 || g.NCMin < 0 || g.PrefetchC < 0 || g.PrefetchB < 0 || g.GEMVRows < 0 || g.GEMVCols < 0 || g.DotBlock < 0:
		return errors.New("gemm plan: parallel and special-shape knobs must be non-negative (groups and splits positive)")
	}
	if vectorRegs > 0 {
		nv := g.NR / g.Lanes
		if need := g.MR*nv + nv + 1; need > vectorRegs {
			return fmt.Errorf("gemm plan: a %dx%d tile needs %d vector registers, the target has %d", g.MR, g.NR, need, vectorRegs)
		}
	}
	return nil
}

// Validate checks p against a kernel of nstmts statements whose
// intermediates are named temps: every statement not inlined is in exactly
// one unit, units are in statement order, and the GEMM plans are valid.
func (p *Plan) Validate(nstmts int, temps []string, vectorRegs int) error {
	isTemp := map[string]bool{}
	for _, t := range temps {
		isTemp[t] = true
	}
	for _, t := range p.Inline {
		if !isTemp[t] {
			return fmt.Errorf("plan for %s: %q is not an intermediate of the kernel", p.Kernel, t)
		}
	}
	seen := make([]bool, nstmts)
	last := -1
	for _, u := range p.Units {
		if len(u.Stmts) == 0 {
			return fmt.Errorf("plan for %s: a unit without statements", p.Kernel)
		}
		if u.GEMM != nil && len(u.Stmts) != 1 {
			return fmt.Errorf("plan for %s: a GEMM unit has %d statements", p.Kernel, len(u.Stmts))
		}
		for _, i := range u.Stmts {
			if i < 0 || i >= nstmts || seen[i] || i <= last {
				return fmt.Errorf("plan for %s: statement %d is out of range, repeated or out of order", p.Kernel, i)
			}
			seen[i] = true
			last = i
		}
		if u.Accumulators < 1 {
			return fmt.Errorf("plan for %s: statement %d: accumulators must be at least 1", p.Kernel, u.Stmts[0])
		}
		if u.GEMM != nil {
			if err := u.GEMM.Validate(vectorRegs); err != nil {
				return fmt.Errorf("plan for %s: statement %d: %w", p.Kernel, u.Stmts[0], err)
			}
		}
	}
	return nil
}

// Clone returns a deep copy of p.
func (p *Plan) Clone() *Plan {
	c := *p
	c.Inline = append([]string(nil), p.Inline...)
	c.Units = make([]Unit, len(p.Units))
	for i, u := range p.Units {
		u.Stmts = append([]int(nil), u.Stmts...)
		if u.GEMM != nil {
			gm := *u.GEMM
			u.GEMM = &gm
		}
		c.Units[i] = u
	}
	return &c
}

// Unit returns the unit holding statement i, or nil.
func (p *Plan) Unit(i int) *Unit {
	for k := range p.Units {
		for _, j := range p.Units[k].Stmts {
			if j == i {
				return &p.Units[k]
			}
		}
	}
	return nil
}

// Inlined reports whether the plan inlines intermediate name.
func (p *Plan) Inlined(name string) bool {
	for _, t := range p.Inline {
		if t == name {
			return true
		}
	}
	return false
}

// JSON returns the plan as indented JSON.
func (p *Plan) JSON() ([]byte, error) {
	return json.MarshalIndent(p, "", "  ")
}

// Hash returns a short hash of the plan's canonical JSON form, which names
// it in tuning records.
func (p *Plan) Hash() string {
	b, err := json.Marshal(p)
	if err != nil {
		return ""
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

// String formats the plan for people, one unit per line.
func (p *Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "plan %s for %s (hash %s)\n", p.Kernel, p.Target, p.Hash())
	if len(p.Inline) > 0 {
		fmt.Fprintf(&b, "  inline %s\n", strings.Join(p.Inline, ", "))
	}
	for _, u := range p.Units {
		fmt.Fprintf(&b, "  stmts %v:", u.Stmts)
		if u.GEMM != nil {
			g := u.GEMM
			fmt.Fprintf(&b, " gemm tile %dx%d (%d lanes, tail tiles of %d rows) blocks kc %d mc %d nc %d, A as rows %v, A packed in the loop %v, B packed in the loop %v, groups %d, nc split %d, direct below %d tiles and %d elements of B or up to %d elements, A in place up to %d elements, one NC block below %d flops, NC blocks of at least %d columns, C prefetched from %d elements, B's pack prefetching %d rows ahead, gemv rows %d cols %d, dot block %d, vnni %v",
				g.MR, g.NR, g.Lanes, g.MRTail, g.KC, g.MC, g.NC, g.ARows, g.AInLoop, g.BInLoop, g.MaxGroups, g.NCSplit, g.DirectMaxM, g.DirectMaxB, g.DirectAllB, g.DirectA, g.SplitMinWork, g.NCMin, g.PrefetchC, g.PrefetchB, g.GEMVRows, g.GEMVCols, g.DotBlock, g.VNNI)
		} else {
			fmt.Fprintf(&b, " vector %v, accumulators %d", u.Vector, u.Accumulators)
		}
		if u.Parallel {
			fmt.Fprintf(&b, ", parallel (grain %d, chunks of %d flops)", u.Grain, u.ChunkWork)
		} else {
			b.WriteString(", serial")
		}
		if u.Stream {
			b.WriteString(", streaming stores")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// File is a set of plans, as `tcc compile -plan` reads them: one per
// kernel and target.
type File struct {
	Plans []*Plan `json:"plans"`
}

// Find returns the plan for kernel on target, or nil.
func (f *File) Find(kernel, target string) *Plan {
	if f == nil {
		return nil
	}
	for _, p := range f.Plans {
		if p.Kernel == kernel && p.Target == target {
			return p
		}
	}
	return nil
}

// ParseFile reads a plan file: {"plans": [...]}, or a single plan.
func ParseFile(data []byte) (*File, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err == nil && len(f.Plans) > 0 {
		return &f, nil
	}
	dec = json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Plan
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("plan file: %w", err)
	}
	if p.Kernel == "" || p.Target == "" {
		return nil, errors.New("plan file: a plan needs a kernel and a target")
	}
	return &File{Plans: []*Plan{&p}}, nil
}

// GEMMSpace is a space of GEMM plans: a domain per knob. Plans enumerates
// its points that pass Validate, in a fixed order; the autotuner samples
// it, and a test sweeps a small one.
type GEMMSpace struct {
	// Lanes and VectorRegs describe the target.
	Lanes, VectorRegs int
	// MR and NV (NR = NV*Lanes) are the register tiles to try.
	MR, NV []int
	// KC are the depths; MCTiles and NCPanels give MC and NC as multiples
	// of MR and NR.
	KC, MCTiles, NCPanels []int
	// DirectMaxM and GEMV are the special-shape settings (GEMV false turns
	// both GEMV paths off).
	DirectMaxM []int
	GEMV       []bool
	// BInLoop and AInLoop are the ways of packing B and A to try (none:
	// packed ahead).
	BInLoop, AInLoop []bool
	// MRTail are the tail heights to try (none: 0); a height of MR or more
	// counts as 0 for that MR.
	MRTail []int
	// PrefetchB are the prefetch distances of B's pack to try (none: 0).
	PrefetchB []int
	// DirectA are the bounds of an A read in place to try (none: 0).
	DirectA []int
	// VNNI is used where the target has it.
	VNNI bool
}

// bInLoop returns the BInLoop domain, {false} if it is empty.
func (s GEMMSpace) bInLoop() []bool {
	if len(s.BInLoop) == 0 {
		return []bool{false}
	}
	return s.BInLoop
}

// aInLoop returns the AInLoop domain, {false} if it is empty.
func (s GEMMSpace) aInLoop() []bool {
	if len(s.AInLoop) == 0 {
		return []bool{false}
	}
	return s.AInLoop
}

// mrTail returns the MRTail domain, {0} if it is empty.
func (s GEMMSpace) mrTail() []int {
	if len(s.MRTail) == 0 {
		return []int{0}
	}
	return s.MRTail
}

// prefetchB returns the PrefetchB domain, {0} if it is empty.
func (s GEMMSpace) prefetchB() []int {
	if len(s.PrefetchB) == 0 {
		return []int{0}
	}
	return s.PrefetchB
}

// directA returns the DirectA domain, {0} if it is empty.
func (s GEMMSpace) directA() []int {
	if len(s.DirectA) == 0 {
		return []int{0}
	}
	return s.DirectA
}

// Plans returns every valid plan of the space.
func (s GEMMSpace) Plans() []GEMM {
	var out []GEMM
	for _, mr := range s.MR {
		for _, nv := range s.NV {
			for _, kc := range s.KC {
				for _, mt := range s.MCTiles {
					for _, np := range s.NCPanels {
						for _, dm := range s.DirectMaxM {
							for _, gv := range s.GEMV {
								g := GEMM{Lanes: s.Lanes, MR: mr, NR: nv * s.Lanes, KC: kc, MC: mt * mr, NC: np * nv * s.Lanes,
									MaxGroups: 8, NCSplit: 8, DirectMaxM: dm, VNNI: s.VNNI, ARows: gv}
								if gv {
									g.GEMVRows, g.GEMVCols, g.DotBlock = 8, 4096, 256
									if s.VectorRegs < 32 {
										g.GEMVRows = 4
									}
								}
								out = s.appendVariants(out, g)
							}
						}
					}
				}
			}
		}
	}
	return out
}

// appendVariants appends to out the valid variants of g over the domains
// that do not change the loop structure's tiles: B's and A's packing
// order, the tail height, B's prefetch distance and reading A in place.
func (s GEMMSpace) appendVariants(out []GEMM, g GEMM) []GEMM {
	for _, bil := range s.bInLoop() {
		for _, ail := range s.aInLoop() {
			for _, tail := range s.mrTail() {
				for _, pf := range s.prefetchB() {
					for _, da := range s.directA() {
						g.BInLoop, g.AInLoop, g.MRTail, g.PrefetchB, g.DirectA = bil, ail, tail, pf, da
						if tail >= g.MR {
							g.MRTail = 0
						}
						if g.Validate(s.VectorRegs) == nil {
							out = append(out, g)
						}
					}
				}
			}
		}
	}
	return out
}
