package driver

import (
	"github.com/tensorcc/tcc/backend/amd64"
	"github.com/tensorcc/tcc/internal/rt"
	"github.com/tensorcc/tcc/lower"
)

// The stages Generate builds on. They are variables so that tests can drive the
// package writer with hand-made loop IR.
var (
	// lowerKernel lowers a kernel for a target (package lower).
	lowerKernel = lower.Lower
	// amd64Generate translates funcs to Go assembly and stubs for package pkg.
	amd64Generate = amd64.GeneratePackage
	// rtFiles returns the runtime helper files for package pkg.
	rtFiles = rt.Files
	// amd64Unsupported is the sentinel wrapped by amd64Generate's errors for
	// functions it cannot translate.
	amd64Unsupported = amd64.ErrUnsupported
)
