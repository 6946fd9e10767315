package rt

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func emitted(t *testing.T, pkg string) (*token.FileSet, *ast.File, []byte) {
	t.Helper()
	files, err := Files(pkg)
	if err != nil {
		t.Fatalf("Files(%q): %v", pkg, err)
	}
	if len(files) != 1 || files[RuntimeFile] == nil {
		t.Fatalf("Files(%q) returned %d files, want just %s", pkg, len(files), RuntimeFile)
	}
	src := files[RuntimeFile]
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, RuntimeFile, src, parser.ParseComments)
	if err != nil {
		t.Fatalf("emitted file does not parse: %v", err)
	}
	return fset, f, src
}

func TestFilesHeaderAndPackage(t *testing.T) {
	_, f, src := emitted(t, "foo")
	if !strings.HasPrefix(string(src), Header+"\n") {
		t.Errorf("emitted file starts with %q, want the header %q", strings.SplitN(string(src), "\n", 2)[0], Header)
	}
	if !ast.IsGenerated(f) {
		t.Error("ast.IsGenerated reports false")
	}
	if f.Name.Name != "foo" {
		t.Errorf("package %s, want foo", f.Name.Name)
	}
	for _, im := range f.Imports {
		p := strings.Trim(im.Path.Value, `"`)
		if first, _, _ := strings.Cut(p, "/"); strings.Contains(first, ".") {
			t.Errorf("emitted file imports %s, want the standard library only", p)
		}
	}
	for _, bad := range []string{"", "1x", "func", "_", "a-b", "a b"} {
		if _, err := Files(bad); err == nil {
			t.Errorf("Files(%q) succeeded, want an error", bad)
		}
	}
}

// sourceTopLevel returns the top-level names (methods excluded) declared in
// this package's files that Files emits, read from the directory.
func sourceTopLevel(t *testing.T) (map[string]bool, []*ast.File, *token.FileSet) {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	top := map[string]bool{}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Comments) > 0 && f.Comments[0].List[0].Text == "//tcc:noemit" {
			continue
		}
		files = append(files, f)
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					top[d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						top[s.Name.Name] = true
					case *ast.ValueSpec:
						for _, id := range s.Names {
							top[id.Name] = true
						}
					}
				}
			}
		}
	}
	return top, files, fset
}

func TestFilesRenamesEverything(t *testing.T) {
	_, f, _ := emitted(t, "foo")
	top, _, _ := sourceTopLevel(t)
	if !top["ParallelFor"] || !top["MiniFloat"] || !top["workers"] || top["Files"] {
		t.Fatalf("unexpected top-level set %v", top)
	}
	got := map[string]bool{}
	for _, d := range f.Decls {
		var ids []*ast.Ident
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				ids = append(ids, d.Name)
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					ids = append(ids, s.Name)
				case *ast.ValueSpec:
					ids = append(ids, s.Names...)
				}
			}
		}
		for _, id := range ids {
			if id.IsExported() {
				t.Errorf("emitted file exports %s", id.Name)
			}
			got[id.Name] = true
		}
	}
	for name := range top {
		if !got["tcc"+name] {
			t.Errorf("%s not emitted as tcc%s", name, name)
		}
	}
	if len(got) != len(top) {
		t.Errorf("emitted %d top-level names, source has %d", len(got), len(top))
	}
}

// TestRenamedMatchesTypes checks the syntactic renaming against go/types: the
// identifiers renamed are exactly those that denote package-level objects.
func TestRenamedMatchesTypes(t *testing.T) {
	top, files, fset := sourceTopLevel(t)
	info := &types.Info{Defs: map[*ast.Ident]types.Object{}, Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: importer.Default()}
	pkg, err := conf.Check("rt", fset, files, info)
	if err != nil {
		t.Fatalf("type-checking the sources: %v", err)
	}
	want := map[token.Pos]bool{}
	for _, m := range []map[*ast.Ident]types.Object{info.Defs, info.Uses} {
		for id, obj := range m {
			if obj != nil && obj.Parent() == pkg.Scope() {
				want[id.Pos()] = true
			}
		}
	}
	got := map[token.Pos]bool{}
	for _, f := range files {
		for _, id := range renamed(f, top) {
			got[id.Pos()] = true
		}
	}
	for p := range want {
		if !got[p] {
			t.Errorf("%v: package-level reference not renamed", fset.Position(p))
		}
	}
	for p := range got {
		if !want[p] {
			t.Errorf("%v: renamed, but not a package-level reference", fset.Position(p))
		}
	}
	if len(want) < 50 {
		t.Errorf("only %d package-level references found", len(want))
	}
}

// TestFilesBuild type-checks the emitted package, then builds, vets and runs a
// small test of it with the go command.
func TestFilesBuild(t *testing.T) {
	fset, f, src := emitted(t, "gen")
	conf := types.Config{Importer: importer.Default()}
	if _, err := conf.Check("gen", fset, []*ast.File{f}, nil); err != nil {
		t.Fatalf("emitted package does not type-check: %v", err)
	}
	if testing.Short() {
		t.Skip("go build of the emitted package in -short mode")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module tmp\n\ngo 1.26\n")
	write(RuntimeFile, string(src))
	write("gen_test.go", `package gen

import "testing"

type count struct{ n []int }

func (c *count) Run(lo, hi int) {
	for i := lo; i < hi; i++ {
		c.n[i]++
	}
}

func TestEmitted(t *testing.T) {
	if got := tccF16ToF32(0x3c00); got != 1 {
		t.Errorf("tccF16ToF32(0x3c00) = %v", got)
	}
	e4m3 := tccMiniFloat{Exp: 4, Man: 3, Signed: true}
	if got := e4m3.Decode(e4m3.EncodeF64(448)); got != 448 {
		t.Errorf("e4m3 round trip of 448 = %v", got)
	}
	c := &count{n: make([]int, 1000)}
	tccParallelFor(len(c.n), 10, c)
	for i, v := range c.n {
		if v != 1 {
			t.Fatalf("index %d visited %d times", i, v)
		}
	}
	var p tccPool[float32]
	s := p.Get(3)
	p.Put(s)
	if tccFloorDiv(-7, 2) != -4 || tccGetBits([]byte{0xab}, 1, 4) != 0xa {
		t.Error("helpers")
	}
}
`)
	for _, args := range [][]string{{"vet", "./..."}, {"test", "-count=1", "./..."}} {
		cmd := exec.Command(goBin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

func TestHasLineAndConstraint(t *testing.T) {
	if !hasLine([]byte("package x\n//tcc:noemit\r\n"), noEmit) || hasLine([]byte("// //tcc:noemit\n"), noEmit) {
		t.Error("hasLine")
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", "//go:build amd64\n\npackage x\n", parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := merge("x", []source{{name: "x.go", text: []byte("//go:build amd64\n\npackage x\n"), file: f}}); err == nil {
		t.Error("merge accepted a file with a build constraint")
	}
}
