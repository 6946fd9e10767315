// Package autotune will implement `tcc autotune`: it enumerates schedule
// candidates for a kernel on the target machine, measures them, trains the cost
// model (package cost) and stores the chosen schedules for later compiles.
//
// It is empty in this version; the autotuning issue fills it.
package autotune
