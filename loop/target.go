package loop

// Target describes the machine a loop-level kernel is scheduled for. The schedule
// reads it to choose vector widths, register blocking and cache blocking; a backend
// reads only the decisions recorded in the loop IR.
type Target struct {
	// Name identifies the target: "go" (portable Go), "avx512vnni", "avx512", "avx2" (amd64
	// through avo), "neon" (arm64), "llvm".
	Name string
	// VectorBits is the width of a vector register in bits; 0 for scalar-only code.
	VectorBits int
	// VectorRegs is the number of vector (or, for "go", floating-point) registers
	// the schedule may keep live at once.
	VectorRegs int
	// FMA reports a fused multiply-add instruction.
	FMA bool
	// Masked reports per-lane masked loads and stores (AVX-512 opmasks).
	Masked bool
	// VNNI reports AVX512-VNNI (VPDPBUSD) for i8 dot products.
	VNNI bool
	// Scalef reports a vector x·2^n with one rounding (AVX-512 VSCALEFPS,
	// loop.Scalef).
	Scalef bool
	// L1, L2 and L3 are data cache sizes in bytes used for cache blocking.
	L1, L2, L3 int
}

// Predefined targets.
var (
	// TargetGo is portable Go: scalar code, 16 floating-point registers on amd64 and arm64.
	TargetGo = Target{Name: "go", VectorRegs: 16, L1: 32 << 10, L2: 1 << 20, L3: 8 << 20}
	// TargetAVX512 is amd64 with AVX-512 F/BW/VL/DQ.
	TargetAVX512 = Target{Name: "avx512", VectorBits: 512, VectorRegs: 32, FMA: true, Masked: true, Scalef: true,
		L1: 48 << 10, L2: 2 << 20, L3: 32 << 20}
	// TargetAVX512VNNI is TargetAVX512 with AVX512-VNNI (byte dot products).
	TargetAVX512VNNI = Target{Name: "avx512vnni", VectorBits: 512, VectorRegs: 32, FMA: true, Masked: true, VNNI: true, Scalef: true,
		L1: 48 << 10, L2: 2 << 20, L3: 32 << 20}
	// TargetAVX2 is amd64 with AVX2 and FMA3.
	TargetAVX2 = Target{Name: "avx2", VectorBits: 256, VectorRegs: 16, FMA: true, L1: 32 << 10, L2: 1 << 20, L3: 8 << 20}
)

// Lanes returns how many elements of bits-wide type fit in one vector register,
// or 1 for scalar targets.
func (t Target) Lanes(bits int) int {
	if t.VectorBits == 0 || bits == 0 {
		return 1
	}
	return t.VectorBits / bits
}
