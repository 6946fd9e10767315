package golang

import (
	"bytes"
	"fmt"

	"github.com/tensorcc/tcc/backend"
	"github.com/tensorcc/tcc/internal/gofile"
	"github.com/tensorcc/tcc/loop"
)

// Backend is the portable Go code generator as a backend.Backend: one
// level, "go", that runs everywhere. It translates any loop IR (vector
// operations lane by lane), which makes it the fallback of every other
// backend's functions.
type Backend struct{}

var _ backend.Backend = Backend{}

// Name returns "go".
func (Backend) Name() string { return "go" }

// GOARCH returns "": the code runs on every architecture.
func (Backend) GOARCH() string { return "" }

// Constraint returns "": no build constraint.
func (Backend) Constraint() string { return "" }

// Levels returns the one level, for loop.TargetGo.
func (Backend) Levels() []backend.Level {
	return []backend.Level{{Target: loop.TargetGo, Cond: "true"}}
}

// Detection returns "": there is nothing to detect.
func (Backend) Detection() string { return "" }

// Translate returns file "_leaves.go" with the Go source of every requested
// function, named for r.Level.
func (Backend) Translate(r backend.Request) (*backend.Translation, error) {
	tr := &backend.Translation{Files: map[string][]byte{}}
	var b bytes.Buffer
	for _, f := range r.Funcs {
		name := LeafName(r.Kernel, f, r.Level.Target.Name)
		src, err := Func(r.Kernel, f, name)
		if err != nil {
			return nil, fmt.Errorf("golang: %s: %w", name, err)
		}
		b.WriteString("\n")
		b.Write(src)
		tr.Funcs = append(tr.Funcs, backend.Func{Func: f, Symbol: name})
	}
	if b.Len() == 0 {
		return tr, nil
	}
	src, err := gofile.Build(r.Package, r.Constraint, r.Source, b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("golang: %w", err)
	}
	tr.Files["_leaves.go"] = src
	return tr, nil
}
