// Package deps pins modules the project requires before any code imports
// them: github.com/llir/llvm (v0.3.6, the LLVM 14 generation of the library)
// is the LLVM IR builder the backend/llvm issue will use. Without this import
// `go mod tidy` would drop it from go.mod.
package deps

import _ "github.com/llir/llvm/ir" // pinned for backend/llvm
