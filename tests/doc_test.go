// Package tests is tcc's end-to-end suite: the conformance kernels of
// testdata/conformance compiled by the real compiler (front end + driver),
// built as a Go package in a temporary module and compared with the
// reference interpreter under the tolerances of SPEC section 7; the tcc
// command's error reporting; run-time misuse of generated code; and the
// go:generate example module.
//
// The suite needs the go command and the module cache (run `go mod download`
// first); it never uses the network (GOPROXY=off).
package tests

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMain(m *testing.M) {
	// Generated code run by these tests fills scratch that it does not clear
	// with NaNs, so a kernel that reads what it did not write fails.
	os.Setenv("TCC_POISON_SCRATCH", "1")
	code := m.Run()
	if tccPath != "" {
		os.RemoveAll(filepath.Dir(tccPath))
	}
	os.Exit(code)
}
