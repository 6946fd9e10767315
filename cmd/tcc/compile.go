package main

import (
	"fmt"
	"go/token"
	"io"
	"path/filepath"
	"strings"

	"github.com/tensorcc/tcc/driver"
)

func runCompile(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("compile", "[-o DIR] [-pkg NAME] [-target go,amd64] [-plan P.json] FILE...\n\nCompile turns the files (one program) into a self-contained Go package in\nDIR. Nothing is written when there is an error.", stderr)
	out := fs.String("o", ".", "output `directory` of the generated package")
	pkg := fs.String("pkg", "", "Go package `name` (default: the files' package clause, else the directory's name)")
	target := fs.String("target", "", "comma-separated `targets` (go, amd64; default: every backend)")
	planFile := fs.String("plan", "", "schedule `file` (JSON plans by kernel and target, as tcc explain prints them); other kernels get the default plan")
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usagef("no files")
	}
	targets, err := parseTargets(*target)
	if err != nil {
		return usagef("%v", err)
	}
	if targets == nil {
		targets = allTargets
	}
	prog, err := compileFiles(files, stderr)
	if err != nil {
		return err
	}
	name, err := packageName(*pkg, prog.Package, *out)
	if err != nil {
		return usagef("%v", err)
	}
	plans, err := readPlans(*planFile)
	if err != nil {
		return err
	}
	gen, err := driver.Generate(prog, driver.Options{Package: name, Targets: targets, Source: strings.Join(files, " "), Plans: plans})
	if err != nil {
		return reportPositioned(err, stderr)
	}
	return driver.WritePackage(*out, gen)
}

// packageName chooses the generated package's name: the flag, else the
// program's package clause, else the output directory's base name if it is
// a Go identifier, else "kern".
func packageName(flagName, clause, dir string) (string, error) {
	if flagName != "" {
		if !token.IsIdentifier(flagName) || flagName == "_" {
			return "", fmt.Errorf("-pkg %q is not a Go package name", flagName)
		}
		return flagName, nil
	}
	if clause != "" {
		return clause, nil
	}
	abs, err := filepath.Abs(dir)
	if err == nil {
		base := filepath.Base(abs)
		if token.IsIdentifier(base) && base != "_" {
			return base, nil
		}
	}
	return "kern", nil
}
