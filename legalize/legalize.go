// Package legalize rewrites loop IR so that a backend only translates: the
// operations a target has no instruction for are expanded into ones it
// has, by rules kept as data (rules) and chosen by the target's capability
// table (Caps), as Go's SSA backend lowers generic ops by per-architecture
// rule tables. The expansions are target-neutral loop IR, so every backend
// (amd64 today; arm64 and LLVM later) shares them, and each one is checked
// lane by lane against the operation it replaces (the tests evaluate both
// with package loopeval).
package legalize

import (
	"github.com/tensorcc/tcc/loop"
)

// Caps says which operations a target translates natively.
type Caps struct {
	// Name is the target's name.
	Name string
	// VectorBits is the width of the target's vector registers (0 for
	// scalar code).
	VectorBits int
	// MiniFloatDecode reports a native decode of 8-bit minifloat vectors
	// to f32 (else it is expanded into bit operations).
	MiniFloatDecode bool
	// PackedLoads reports native vector loads of packed (sub-byte)
	// integers (else they are expanded into windowed raw loads and bit
	// operations).
	PackedLoads bool
	// Math reports that the backend computes f32 transcendental functions
	// itself (else they are expanded into polynomials, see math.go).
	Math bool
	// Scalef reports loop.Scalef (x·2^n with one rounding).
	Scalef bool
	// Dot4 is the byte dot product the target has (loop.DotU8S8 with
	// VNNI), 0 for none; the other signedness forms are rewritten into it.
	Dot4 loop.Fn
}

// For returns the capability table of target t: the vector targets decode
// minifloats with the expansion (their only native form is a table
// gather, several times slower), have no packed vector loads, and compute
// f32 transcendental functions (vector and scalar ones alike) with the
// expansions of math.go, so that every backend of a vector target gives
// the same bits; scalar targets (portable Go, whose math package is
// correctly rounded or nearly) are never expanded.
func For(t loop.Target) Caps {
	scalar := t.VectorBits == 0
	c := Caps{Name: t.Name, VectorBits: t.VectorBits, MiniFloatDecode: scalar, PackedLoads: scalar, Math: scalar, Scalef: t.Scalef}
	if t.VNNI {
		c.Dot4 = loop.DotU8S8
	}
	return c
}

// rule is one expansion: it applies to the nodes that match and the target
// lacks, and returns their replacement.
type rule struct {
	name  string
	match func(e loop.Expr, c Caps) bool
	apply func(e loop.Expr, c Caps) loop.Expr
}

// rules are the expansions, tried in order on every node.
var rules = []rule{
	{name: "minifloat8 vector to f32", match: matchMiniDecode, apply: func(e loop.Expr, _ Caps) loop.Expr { return expandMiniDecode(e) }},
	{name: "f32 transcendental functions", match: matchMath, apply: expandMath},
	{name: "byte dot products in the target's signedness", match: matchDot, apply: expandDot},
}

// funcRules are the expansions that change a function's structure (they
// version its body), run before the expression rules.
var funcRules = []func(f *loop.Func, c Caps){
	expandPackedLoads,
}

// Run rewrites every expression of k that a rule matches for caps, once
// per node, bottom-up.
func Run(k *loop.Kernel, c Caps) {
	for _, f := range k.Funcs {
		for _, r := range funcRules {
			r(f, c)
		}
		loop.MapStmts(f.Body, func(e loop.Expr) loop.Expr {
			for _, r := range rules {
				if r.match(e, c) {
					return r.apply(e, c)
				}
			}
			return e
		})
	}
}
