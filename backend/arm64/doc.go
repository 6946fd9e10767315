// Package arm64 will translate the loop-level IR (package loop) into Go arm64
// assembly with NEON, WORD-encoding the vector instructions the Go assembler lacks
// (see docs and shared notes).
//
// It is empty in this version; the arm64 issue fills it. On arm64 the generated
// packages use the portable Go code today.
package arm64
