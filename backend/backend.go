// Package backend defines what the driver needs from a code generator that
// translates loop IR for one architecture: its GOARCH and build constraint,
// a lattice of feature levels with the Go code that detects them at run
// time, and a per-function translation that reports which functions it
// covered and why the others were not.
//
// The driver lowers each kernel once per level (the level's loop.Target),
// skips a level whose code would use none of the features it adds over the
// level below (the lower level's code serves it), translates the rest, and
// dispatches at run time to the best level the CPU supports; functions a
// backend does not translate run as portable Go (package backend/golang),
// translated from the same loop IR.
package backend

import (
	"fmt"
	"strings"

	"github.com/tensorcc/tcc/loop"
)

// Level is one point of a backend's feature lattice.
type Level struct {
	// Target is what the code of this level is lowered for; its Name names
	// the level's files and runner ("avx512vnni").
	Target loop.Target
	// Cond is a Go boolean expression over the variables the backend's
	// Detection declares; it holds when the CPU (and the TCC_CPU override)
	// allows this level. A level's Cond implies the Cond of every level
	// after it.
	Cond string
	// Adds lists the features this level adds over the next one. When
	// non-empty and the code lowered for this level uses none of them, the
	// level is not generated: the next level's code runs instead.
	Adds []loop.Feature
}

// Func is the result of translating one loop.Func.
type Func struct {
	Func *loop.Func
	// Symbol is the Go name of the translated function.
	Symbol string
	// Err says why the function has no translation; nil when it has one.
	Err error
}

// Translation is a backend's output for one kernel at one level.
type Translation struct {
	// Files maps a file-name suffix (such as ".s" or "_stubs.go"; the driver
	// prefixes the kernel's base name and the level's name) to its content.
	// The backend's Constraint applies to every file.
	Files map[string][]byte
	// Funcs has one entry per function of the kernel, in order.
	Funcs []Func
}

// Covered reports whether f has a translation.
func (t *Translation) Covered(f *loop.Func) bool {
	for _, r := range t.Funcs {
		if r.Func == f {
			return r.Err == nil
		}
	}
	return false
}

// Failed returns the functions without a translation.
func (t *Translation) Failed() []Func {
	var out []Func
	for _, r := range t.Funcs {
		if r.Err != nil {
			out = append(out, r)
		}
	}
	return out
}

// Request asks a backend to translate functions of a kernel.
type Request struct {
	// Package is the Go package name of the generated files; Source names
	// the source files, for their headers.
	Package, Source string
	// Kernel holds the functions, lowered for Level.Target.
	Kernel *loop.Kernel
	// Level is the level the code is for (it names the symbols).
	Level Level
	// Funcs are the functions to translate.
	Funcs []*loop.Func
	// Constraint is the build constraint of the files (the backend's own
	// Constraint where it has one).
	Constraint string
}

// Backend is a code generator for one architecture.
type Backend interface {
	// Name is how the driver's options select the backend ("amd64").
	Name() string
	// GOARCH is the architecture the generated code runs on ("" for any).
	GOARCH() string
	// Constraint is the build constraint of every file the backend
	// generates ("" for none); the portable dispatch fallback carries its
	// complement.
	Constraint() string
	// Levels are the feature levels, best first.
	Levels() []Level
	// Detection is the Go source (package-level declarations, under
	// Constraint) that sets the variables the levels' conditions use.
	Detection() string
	// Translate translates the requested functions. A function it cannot
	// translate is reported in the Translation, not as an error; an error
	// means the backend itself failed.
	Translate(r Request) (*Translation, error)
}

// Symbol returns the Go name of the function for f in kernel k at the
// level of target t: "<kernel>_<func>_<target>" in lower case, with every
// character outside [a-z0-9_] spelled as "u" and its code point in hex (the
// calling convention of package loop). Every backend names functions so.
func Symbol(k *loop.Kernel, f *loop.Func, t string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(k.Name + "_" + f.Name + "_" + t) {
		if r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, "u%04x", r)
		}
	}
	return b.String()
}
