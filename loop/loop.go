// Package loop is tcc's loop-level IR: imperative loop nests over flat buffers with
// typed scalar and vector values. It is the single input of every code generator
// (portable Go, amd64 through avo, arm64 assembly text, LLVM IR through llir), so
// it is explicit about everything a backend would otherwise have to decide: loop
// order, vector width, tails, unrolling, blocking, packing buffers and the split of
// work across threads are all fixed here by the schedule. A backend only translates.
//
// Structure:
//
//   - A Kernel is the lowered form of one ir.Kernel: its buffers, its scratch
//     buffers, and an ordered list of Steps.
//   - A Step runs one leaf Func, either once or over a parallel range [0, Extent)
//     split into chunks by the runtime's worker pool (Func then receives the
//     chunk bounds Lo and Hi).
//   - A Func body is a tree of statements (For, If, Assign, Store) over
//     expressions (Load, Bin, Call, Cast, Broadcast, HReduce, ...). Values are
//     scalars (Lanes == 1) or vectors of Lanes elements.
//
// Calling convention. Every backend compiles a leaf Func to a function whose
// parameters are, in this order: the Kernel's Inputs, Outputs and Scratch buffers
// (Go slices of the storage type's Go element type, ir.DType.GoType; []byte for
// packed types), its Sizes (int), its Scalars (their Go type), then Lo and Hi (int)
// when the Func has them. The Go names of these functions are
// "<kernel>_<func>_<target>" in lower case, e.g. "matmul_s0_avx512". The package
// writer generates, per target, a Go runner that validates nothing (the exported
// wrapper did), takes scratch from a pool, and executes the Steps in order.
//
// Element indices are always element (not byte) indices into a buffer in its
// default layout; loads and stores of packed (sub-byte) element types address the
// bit stream of SPEC section 4 and a backend expands them to bit operations.
package loop

import (
	"github.com/tensorcc/tcc/ir"
)

// Type is a scalar (Lanes == 1) or vector type.
type Type struct {
	Elem  ir.DType
	Lanes int
}

// Scalar returns the scalar type of elem.
func Scalar(elem ir.DType) Type { return Type{Elem: elem, Lanes: 1} }

// Vec returns the vector type of n lanes of elem.
func Vec(elem ir.DType, n int) Type { return Type{Elem: elem, Lanes: n} }

// IsVector reports whether t has more than one lane.
func (t Type) IsVector() bool { return t.Lanes > 1 }

// BufKind tells where a buffer comes from.
type BufKind uint8

// Buffer kinds.
const (
	InputBuf   BufKind = iota // a tensor parameter (read-only)
	OutputBuf                 // a kernel output
	ScratchBuf                // per-call scratch (intermediates, packed panels), owned by the runtime
)

// Buf is a flat buffer of elements.
type Buf struct {
	Name string
	Elem ir.DType // storage element type
	Kind BufKind
	// Len is the element count as an expression over size variables (Int64).
	Len Expr
	// Layout describes, for scratch buffers that hold packed panels, how the
	// logical tile maps to the buffer (from package layout); nil for dense row-major.
	Layout any
	// Tensor is the ir tensor this buffer holds, nil for pure scratch.
	Tensor *ir.Tensor
	// Uncleared marks a scratch buffer of which the kernel writes every
	// element it reads before reading it (packed panels, spilled tiles), so
	// the runtime hands it out without clearing it; otherwise scratch starts
	// zeroed on every call.
	Uncleared bool
}

// Var is a scalar or vector local variable, a size, a scalar parameter, or a loop
// variable. Size and loop variables are Int64.
type Var struct {
	Name string
	T    Type
}

// Kernel is the lowered form of one ir.Kernel.
type Kernel struct {
	Name    string
	Source  *ir.Kernel
	Sizes   []*Var // one Int64 variable per ir.Size, same order
	Scalars []*Var // one per scalar parameter, in parameter order (storage type, Lanes 1)
	Inputs  []*Buf // one per tensor parameter, in parameter order
	Outputs []*Buf // one per output, in output order
	Scratch []*Buf // scratch buffers, allocated per call by the runtime (pooled)
	Steps   []*Step
	Funcs   []*Func // every leaf function, each referenced by one or more Steps
	// Notes records the schedule's fallbacks (a pattern schedule that gave
	// up, so the default schedule computes the statement), for explain.
	Notes []string
}

// Step runs Func once (Parallel == false) or over [0, Extent) in chunks of at
// least Grain iterations, possibly on several goroutines. A parallel Func must give
// the same result bit for bit however the range is split.
type Step struct {
	Func     *Func
	Parallel bool
	Extent   Expr // Int64, over size variables; only when Parallel
	Grain    int  // minimum iterations per chunk
	// Work estimates the cost of the whole step in flops (an expression over
	// sizes); the runtime runs small steps serially.
	Work Expr
	// ChunkWork is the least work (flops) the runtime gives one chunk of a
	// parallel step (the plan's choice); 0 means the runtime's default.
	ChunkWork int
	// PlanUnit is 1 + the index of the plan unit (schedule.Plan.Units) the
	// step was lowered from; 0 when it was not lowered from a plan.
	PlanUnit int
}

// Func is a leaf function. Its parameters are implicit: every buffer, size and
// scalar of the enclosing Kernel, plus Lo and Hi (Int64) when it runs in a
// parallel Step. Locals lists every other variable the body assigns.
type Func struct {
	Name   string
	Lo, Hi *Var // chunk bounds; nil unless the Func runs in a parallel Step
	Locals []*Var
	Body   []Stmt
	// Vector is the widest vector width (in bits) the body uses; 0 for scalar code.
	// A backend that cannot honour it uses its portable variant instead.
	VectorBits int
	// Target restricts the function to one instruction set ("" for any, "avx512",
	// "avx2"); the schedule makes one Func per ISA where code differs.
	Target string
}

// Stmt is a loop-level statement.
type Stmt interface{ isStmt() }

// For runs Body for Var = Lo, Lo+Step, ... while Var < Hi.
type For struct {
	Var    *Var
	Lo, Hi Expr
	Step   int64
	Body   []Stmt
	// Unroll asks the backend to replicate the body this many times (a hint that
	// never changes meaning; the schedule has already made the trip count work).
	Unroll int
}

// If runs Then when Cond holds, else Else.
type If struct {
	Cond Expr
	Then []Stmt
	Else []Stmt
}

// Assign sets a local variable.
type Assign struct {
	Dst   *Var
	Value Expr
}

// Store writes Value to Buf at element Index. A vector Value writes Lanes
// consecutive elements; when Count is non-nil only the first Count lanes are
// written (a tail).
//
// Stream is a hint that never changes meaning: a Bool scalar (nil means false)
// that, when true at run time, allows the backend to write with a non-temporal
// (streaming) store that bypasses the caches. The schedule sets it on the
// full-vector stores of large outputs that are written once, contiguously; a
// backend that streams makes the stores globally visible (SFENCE on amd64)
// before the function returns.
type Store struct {
	Buf    *Buf
	Index  Expr
	Value  Expr
	Count  Expr
	Stream Expr
}

// Memset sets Buf[Index : Index+Len] to zero.
type Memset struct {
	Buf        *Buf
	Index, Len Expr
}

func (*For) isStmt()      {}
func (*If) isStmt()       {}
func (*Assign) isStmt()   {}
func (*Store) isStmt()    {}
func (*Memset) isStmt()   {}
func (*Prefetch) isStmt() {}

// Prefetch hints that the cache line holding Buf[Index] will be read or
// written soon (x86 PREFETCHT0). It has no effect on the results; a backend
// without prefetch instructions ignores it, and an index past the buffer is
// allowed (nothing is read).
type Prefetch struct {
	Buf   *Buf
	Index Expr
}

// Expr is a loop-level value.
type Expr interface{ Type() Type }

// Const is a constant, broadcast to every lane when T is a vector.
type Const struct {
	T     Type
	Int   int64
	Float float64
}

// Ref reads a variable.
type Ref struct{ Var *Var }

// Load reads Buf at element Index. For a vector T it reads T.Lanes consecutive
// elements; when Count is non-nil only the first Count lanes are read and the
// others are zero. When Guard is non-nil and false, nothing is read and the value
// is zero (out-of-range reads of SPEC section 6).
//
// A Raw load reads the bytes of a buffer whose storage is bytes (packed
// sub-byte types, and 8-bit types) as u8 lanes, whatever its element type:
// Index is then a byte index and T has elem u8. It is what the expansion of
// packed loads (package legalize) reads.
type Load struct {
	Buf   *Buf
	Index Expr
	T     Type // T.Elem == Buf.Elem (u8 for a Raw load)
	Count Expr
	Guard Expr
	Raw   bool
}

// Bin is a binary operation; ops are those of package ir (Div on integers is floor
// division, 0 for a zero divisor; Mod is the non-negative remainder).
type Bin struct {
	Op   ir.Op
	X, Y Expr
	T    Type
}

// Un is a unary operation (ir.Neg, ir.Not).
type Un struct {
	Op ir.Op
	X  Expr
	T  Type
}

// Fn is a function of a loop-level Call: an ir.Func, FMA, a byte dot
// product, a bit operation or Scalef.
type Fn int

// FMA is the fused multiply-add a*b+c, rounded once.
const FMA Fn = 1000

// The 4-way byte dot products with accumulation, signedness explicit:
// Call{Fn: DotU8S8, Args: [a, b, c], T: i32 x Lanes}. Each i32 lane of a
// and of b holds four bytes (byte q in bits 8q..8q+7), read as unsigned (U8)
// or signed (S8) as the name says; the result lane is c + sum over q of
// a_q * b_q, wrapping at 32 bits. DotU8S8 is AVX512-VNNI VPDPBUSD
// (non-saturating); arm64 has UDOT (U8U8) and SDOT (S8S8). Schedules emit
// them only for targets with Target.VNNI; package legalize rewrites the
// forms a target lacks into the ones it has.
const (
	DotU8S8 Fn = 1001
	DotU8U8 Fn = 1011
	DotS8S8 Fn = 1012
	DotS8U8 Fn = 1013
)

// IsDot4 reports whether f is one of the byte dot products.
func (f Fn) IsDot4() bool { return f == DotU8S8 || f >= DotU8U8 && f <= DotS8U8 }

// Dot4Signs returns whether the byte dot product f reads a's and b's bytes
// as signed.
func Dot4Signs(f Fn) (aSigned, bSigned bool) {
	switch f {
	case DotU8S8:
		return false, true
	case DotS8S8:
		return true, true
	case DotS8U8:
		return true, false
	}
	return false, false
}

// Dot4Of returns the byte dot product with the given signedness.
func Dot4Of(aSigned, bSigned bool) Fn {
	switch {
	case !aSigned && bSigned:
		return DotU8S8
	case aSigned && bSigned:
		return DotS8S8
	case aSigned:
		return DotS8U8
	}
	return DotU8U8
}

// Bit operations on integer values (the expansions of packed loads and of
// minifloat conversions use them): Call{Fn: BitAnd, Args: [x, y]} and so on,
// all of one integer type. Shl shifts left; Shr shifts right, arithmetically
// for signed element types and logically for unsigned ones; a shift by the
// element's width or more gives 0 (-1 for an arithmetic shift of a negative
// value).
const (
	BitAnd Fn = 1002 + iota
	BitOr
	BitXor
	Shl
	Shr
)

// Scalef is x·2^n rounded once (AVX-512 VSCALEFPS): Call{Fn: Scalef, Args:
// [x, n]}, both of one float type, n holding integral values (a NaN n gives
// NaN, ±inf an infinity or zero). Only expansions for targets with
// Target.Scalef emit it.
const Scalef Fn = 1010

// IsBitOp reports whether f is one of the bit operations.
func (f Fn) IsBitOp() bool { return f >= BitAnd && f <= Shr }

// Call applies a function elementwise; all Args and the result have type T.
type Call struct {
	Fn   Fn // ir.Func values, FMA, DotU8S8, the bit operations or Scalef
	Args []Expr
	T    Type
}

// Cast converts elementwise with the semantics of ir.Cast.
type Cast struct {
	X Expr
	T Type
}

// Select is Cond ? A : B elementwise.
type Select struct {
	Cond, A, B Expr
	T          Type
}

// Bitcast reinterprets the bits of X as type T: the same number of bits,
// lanes laid out from the lowest (x86 and arm64 little-endian order), so
// u8x8 becomes one u64 with lane 0 in its low byte, and f32x16 becomes u32x16.
type Bitcast struct {
	X Expr
	T Type
}

// Lanes is a vector constant with one value per lane (Int for integer
// element types, Float for floats): the lane index and its multiples.
type Lanes struct {
	T     Type
	Int   []int64
	Float []float64
}

// Shuffle picks lanes of the vector X by constant indices: lane l of the
// result is lane Index[l] of X (T has X's element type and len(Index)
// lanes, fewer or more than X's). It is the permutation, narrowing and
// table-lookup primitive of every vector ISA (x86 VPERMD and VPSHUFB,
// arm64 TBL, LLVM shufflevector).
type Shuffle struct {
	X     Expr
	Index []int
	T     Type
}

// Broadcast replicates a scalar into every lane of a vector.
type Broadcast struct {
	X Expr
	T Type
}

// HReduce folds the lanes of a vector into a scalar with a reduction operator,
// in a defined order so that every backend gives the same bits: a halving
// tree. While n > 1 lanes are left, lane i combines with lane i + ceil(n/2)
// (as op(lane i, lane i + ceil(n/2))), leaving ceil(n/2) lanes; for 8 lanes
// ((x0+x4) + (x2+x6)) + ((x1+x5) + (x3+x7)).
type HReduce struct {
	Op ir.ReduceOp
	X  Expr
	T  Type
}

// FoldLanes combines lanes (modified in place) in HReduce's order and
// returns the result; every backend and the evaluator fold with it.
func FoldLanes[T any](lanes []T, combine func(a, b T) T) T {
	for len(lanes) > 1 {
		h := (len(lanes) + 1) / 2
		for i := 0; i+h < len(lanes); i++ {
			lanes[i] = combine(lanes[i], lanes[i+h])
		}
		lanes = lanes[:h]
	}
	return lanes[0]
}

// Type implementations.

func (e *Const) Type() Type     { return e.T }
func (e *Ref) Type() Type       { return e.Var.T }
func (e *Load) Type() Type      { return e.T }
func (e *Bin) Type() Type       { return e.T }
func (e *Un) Type() Type        { return e.T }
func (e *Call) Type() Type      { return e.T }
func (e *Cast) Type() Type      { return e.T }
func (e *Select) Type() Type    { return e.T }
func (e *Broadcast) Type() Type { return e.T }
func (e *Bitcast) Type() Type   { return e.T }
func (e *Lanes) Type() Type     { return e.T }
func (e *Shuffle) Type() Type   { return e.T }
func (e *HReduce) Type() Type   { return e.T }
