package golang

import (
	"go/token"
	"strconv"
	"strings"
	"unicode"
)

// predeclared lists Go's predeclared identifiers and the package names generated
// code imports; a source name equal to one of them is renamed so that it cannot
// shadow something the generated code uses.
var predeclared = map[string]bool{
	"any": true, "append": true, "bool": true, "byte": true, "cap": true, "clear": true,
	"close": true, "comparable": true, "complex": true, "complex64": true, "complex128": true,
	"copy": true, "delete": true, "error": true, "false": true, "float32": true, "float64": true,
	"imag": true, "int": true, "int8": true, "int16": true, "int32": true, "int64": true,
	"iota": true, "len": true, "make": true, "max": true, "min": true, "new": true, "nil": true,
	"panic": true, "print": true, "println": true, "real": true, "recover": true, "rune": true,
	"string": true, "true": true, "uint": true, "uint8": true, "uint16": true, "uint32": true,
	"uint64": true, "uintptr": true,
	// package names used by generated files
	"math": true, "sync": true, "os": true, "cpu": true, "unsafe": true, "bits": true,
	"errors": true, "fmt": true, "strconv": true, "runtime": true, "testing": true,
	// the blank identifier and the receiver name used by task types
	"_": true,
}

// Namer hands out distinct, valid Go identifiers derived from source names. It
// never returns a keyword, a predeclared identifier, an imported package name, a
// name that starts with "tcc" (the prefix of every helper in a generated package)
// or a name it has already returned or been told to reserve.
type Namer struct {
	used map[string]bool
}

// NewNamer returns a Namer that also avoids the reserved names.
func NewNamer(reserved ...string) *Namer {
	n := &Namer{used: make(map[string]bool)}
	for _, r := range reserved {
		n.used[r] = true
	}
	return n
}

// Reserve marks names as taken.
func (n *Namer) Reserve(names ...string) {
	for _, r := range names {
		n.used[r] = true
	}
}

// Name returns a fresh identifier as close to want as possible.
func (n *Namer) Name(want string) string {
	base := sanitize(want)
	if strings.HasPrefix(base, "tcc") {
		base = "x" + base // no candidate may start with tcc
	}
	if n.ok(base) {
		n.used[base] = true
		return base
	}
	if n.ok(base + "_") {
		n.used[base+"_"] = true
		return base + "_"
	}
	for i := 1; ; i++ {
		c := base + "_" + strconv.Itoa(i)
		if n.ok(c) {
			n.used[c] = true
			return c
		}
	}
}

func (n *Namer) ok(s string) bool {
	return !n.used[s] && !token.IsKeyword(s) && !predeclared[s] && !strings.HasPrefix(s, "tcc")
}

// sanitize turns s into a valid Go identifier.
func sanitize(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '_' || unicode.IsLetter(r):
			b.WriteRune(r)
		case unicode.IsDigit(r):
			if i == 0 {
				b.WriteString("x")
			}
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "x"
	}
	return b.String()
}
