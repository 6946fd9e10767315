// Package llvm will translate the loop-level IR (package loop) into LLVM IR with
// github.com/llir/llvm and drive llc to produce code for targets that have no
// hand-written backend.
//
// It is empty in this version; the LLVM issue fills it.
package llvm
