package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/tensorcc/tcc/frontend"
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/schedule"
)

// newFlagSet returns a flag set for command name whose usage prints synopsis
// and the flags.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		sep := " "
		if strings.HasPrefix(synopsis, "\n") {
			sep = ""
		}
		fmt.Fprintln(fs.Output(), "usage: tcc "+name+sep+synopsis)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintf(fs.Output(), "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parse parses args with fs, allowing positional arguments between flags
// ("tcc run FILE -k K"), and returns the positional arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			return nil, errUsageShown
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// mapFlag is a repeatable NAME=VALUE flag.
type mapFlag map[string]string

func (m mapFlag) String() string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ",")
}

func (m mapFlag) Set(s string) error {
	name, val, ok := strings.Cut(s, "=")
	if !ok || name == "" || val == "" {
		return fmt.Errorf("want NAME=FILE, got %q", s)
	}
	if _, dup := m[name]; dup {
		return fmt.Errorf("%s given twice", name)
	}
	m[name] = val
	return nil
}

// parseSizes parses "M=1024,N=512" into a map.
func parseSizes(s string) (map[string]int, error) {
	sizes := map[string]int{}
	if strings.TrimSpace(s) == "" {
		return sizes, nil
	}
	for _, part := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("size %q: want NAME=VALUE", part)
		}
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("size %s: %q is not a non-negative integer", name, val)
		}
		if _, dup := sizes[name]; dup {
			return nil, fmt.Errorf("size %s given twice", name)
		}
		sizes[name] = n
	}
	return sizes, nil
}

// parseTargets parses "go,amd64" into a list; "" gives nil (every backend).
func parseTargets(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	var ts []string
	for _, t := range strings.Split(s, ",") {
		t = strings.TrimSpace(t)
		switch t {
		case "go", "amd64":
			ts = append(ts, t)
		default:
			return nil, fmt.Errorf("unknown target %q (have go, amd64)", t)
		}
	}
	return ts, nil
}

// allTargets lists every backend the driver has.
var allTargets = []string{"go", "amd64"}

// readSources reads the named files.
func readSources(files []string) ([]frontend.Source, error) {
	srcs := make([]frontend.Source, 0, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, frontend.Source{Name: f, Text: b})
	}
	return srcs, nil
}

// compileFiles reads and compiles files; compile errors are printed to stderr
// one per line and reported as errReported.
func compileFiles(files []string, stderr io.Writer) (*ir.Program, error) {
	srcs, err := readSources(files)
	if err != nil {
		return nil, err
	}
	prog, err := frontend.Compile(srcs...)
	if err != nil {
		var list frontend.ErrorList
		var one *ir.Error
		if errors.As(err, &list) || errors.As(err, &one) {
			fmt.Fprintln(stderr, err)
			return nil, errReported
		}
		return nil, err
	}
	return prog, nil
}

// readPlans reads a plan file (schedule.ParseFile), or returns nil for "".
func readPlans(path string) (*schedule.File, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := schedule.ParseFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// reportPositioned prints an error with a source position as
// FILE:LINE:COL: message (SPEC section 8) and returns errReported; other
// errors are returned as they are.
func reportPositioned(err error, stderr io.Writer) error {
	var pe *ir.Error
	if errors.As(err, &pe) {
		fmt.Fprintln(stderr, pe)
		return errReported
	}
	return err
}

// kernelOf compiles file and returns kernel name.
func kernelOf(file, name string, stderr io.Writer) (*ir.Kernel, error) {
	prog, err := compileFiles([]string{file}, stderr)
	if err != nil {
		return nil, err
	}
	k := prog.Kernel(name)
	if k == nil {
		var names []string
		for _, k := range prog.Kernels {
			names = append(names, k.Name)
		}
		return nil, fmt.Errorf("%s has no kernel %q (it has %s)", file, name, strings.Join(names, ", "))
	}
	return k, nil
}
