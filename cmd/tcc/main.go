// Command tcc is the tensor compiler's command-line tool.
//
// Usage:
//
//	tcc check FILE...                         check programs, print errors
//	tcc compile [-o DIR] [-pkg NAME] [-target go,amd64] FILE...
//	                                          generate a Go package
//	tcc run FILE -k KERNEL -i NAME=in.npy... -o NAME=out.npy...
//	                                          run a kernel with the reference interpreter
//	tcc explain FILE -k KERNEL                print the IR after each pass and the loop IR
//	tcc bench FILE -k KERNEL -s M=1024,N=1024 [-threads N] [-target go,amd64]
//	                                          time the generated code
//	tcc version                               print the version
//
// Compile-time errors are printed one per line as FILE:LINE:COL: message. The
// exit status is 0 on success, 1 on an error and 2 on a usage error. Run
// "tcc COMMAND -h" for the flags of a command.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// usageError is an error in the command line; it makes tcc exit with status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// command is one tcc subcommand.
type command struct {
	name  string
	short string
	run   func(args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"check", "check programs and print their errors", runCheck},
	{"compile", "compile programs into a Go package", runCompile},
	{"run", "run a kernel on .npy files with the reference interpreter", runRun},
	{"explain", "print a kernel's IR after each pass and its loop IR per target", runExplain},
	{"bench", "measure the generated code's speed", runBench},
	{"version", "print tcc's version", runVersion},
}

func main() {
	if os.Getenv("GOGC") == "" {
		// The assembler's liveness and register allocation allocate many
		// short-lived maps: a collection every 4x growth instead of 2x
		// compiles the examples 15-20% faster.
		debug.SetGCPercent(400)
	}
	os.Exit(tcc(os.Args[1:], os.Stdout, os.Stderr))
}

// tcc runs the command line args and returns the exit status.
func tcc(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		printUsage(stdout)
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(args[1:], stdout, stderr)
		var ue *usageError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, errHelp):
			return 0
		case errors.Is(err, errUsageShown):
			return 2
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "tcc %s: %v\nRun 'tcc %s -h' for usage.\n", c.name, err, c.name)
			return 2
		case errors.Is(err, errReported):
			return 1
		default:
			fmt.Fprintf(stderr, "tcc %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "tcc: unknown command %q\n", args[0])
	printUsage(stderr)
	return 2
}

func printUsage(w io.Writer) {
	fmt.Fprintf(w, "tcc is a tensor compiler: it turns .tc kernels into Go packages.\n\nUsage:\n\n\ttcc COMMAND [arguments]\n\nCommands:\n\n")
	for _, c := range commands {
		fmt.Fprintf(w, "\t%-8s %s\n", c.name, c.short)
	}
	fmt.Fprintf(w, "\nRun 'tcc COMMAND -h' for a command's flags.\n")
}

var (
	// errHelp means -h was given and usage was printed.
	errHelp = errors.New("help requested")
	// errUsageShown means a flag error was already printed with usage.
	errUsageShown = errors.New("usage error")
	// errReported means the errors were already printed (compile errors).
	errReported = errors.New("errors reported")
)
