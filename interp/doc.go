// Package interp is tcc's reference interpreter: the oracle every generated
// kernel is tested against.
//
// It evaluates an ir.Kernel directly, statement by statement, as SPEC sections 5-7
// and the language decisions in docs/language.md define it, and shares no code with
// the lowering, the schedules or the code generators. Each call compiles the kernel's
// statements into a tree of Go closures (sizes, extents and strides folded in), then
// runs them; that keeps it fast enough for conformance tests on 256x256x256 matmuls.
//
// Numbers. Float arithmetic is carried out in float64 whatever its compute type
// (f32 math is not rounded to float32), and float sums use Neumaier-compensated
// summation, so the interpreter approximates the exact real result far better than
// SPEC section 7 asks of generated code. Integer arithmetic is carried out in int64
// and wraps at its compute width (i32 and u32 at 32 bits, i64 at 64), as in Go;
// integer division is floor division and x/0 == 0. Values are rounded only where
// the program converts them: at every ir.Cast (f32 via float32, f16/bf16, minifloats
// and integers with the conversions of package internal/rt: round to nearest even,
// saturating, NaN to the type's NaN or 0) and at the store into an output. An
// intermediate (temp) keeps its unrounded float64 or wrapped int64 value unless its
// statement casts. Constants are used as the IR gives them (a float literal of
// type f32 is not rounded to float32). min, max, clamp and relu propagate NaN as
// math.Max and math.Min do.
//
// Arguments. Call and Eval take the arguments of the generated function of SPEC
// section 9 in the same order (parameters, outputs, then one int per size) with the
// same Go types, and validate them as generated code must: exact Go types, element
// (or, for packed types, byte) counts, sizes >= 0, divisibility of dimensions such
// as K / 32, and the kernel's ir.Agree checks. On any error nothing is written.
package interp
