package loop

import "sort"

// Feature is an instruction-set feature that lowered code can use beyond the
// base of its target's level; a backend's feature lattice (package backend)
// generates a level only when the code lowered for it uses what the level
// adds.
type Feature string

// Features the lowering can use.
const (
	// FeatureDot8 is the 4-way byte dot product with i32 accumulation
	// (the byte dot product Calls; AVX512-VNNI VPDPBUSD).
	FeatureDot8 Feature = "dot8"
)

// Features returns the features that k's functions use, sorted.
func Features(k *Kernel) []Feature {
	seen := map[Feature]bool{}
	visit := func(e Expr) {
		if c, ok := e.(*Call); ok && c.Fn.IsDot4() {
			seen[FeatureDot8] = true
		}
	}
	for _, f := range k.Funcs {
		WalkStmts(f.Body, nil, visit)
	}
	for _, s := range k.Steps {
		if s.Func != nil {
			WalkStmts(s.Func.Body, nil, visit)
		}
	}
	out := make([]Feature, 0, len(seen))
	for f := range seen {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// UsesAny reports whether k uses any of fs.
func UsesAny(k *Kernel, fs []Feature) bool {
	for _, have := range Features(k) {
		for _, f := range fs {
			if have == f {
				return true
			}
		}
	}
	return false
}
