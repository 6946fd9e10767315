package rt

import (
	"fmt"
	"strings"
	"unsafe"
)

// MaxScratchBytes bounds the bytes of one intermediate tensor of a call: far
// below what a slice can hold on 64-bit platforms (so that the scratch pool
// never asks make for an impossible length) and a quarter of the address
// space on 32-bit ones.
const MaxScratchBytes = 1 << maxScratchShift

// maxScratchShift is 46 where int has 64 bits and 29 where it has 32.
const maxScratchShift = 29 + 17*(^uint(0)>>63)

// Overlap reports whether slices a and b share memory: some element of one
// lies inside the other. Empty slices share nothing.
func Overlap[A, B any](a []A, b []B) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	pa := uintptr(unsafe.Pointer(unsafe.SliceData(a)))
	pb := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	ea := pa + uintptr(len(a))*unsafe.Sizeof(a[0])
	eb := pb + uintptr(len(b))*unsafe.Sizeof(b[0])
	return pa < eb && pb < ea
}

// OverlapError reports an output slice that shares memory with another
// argument (SPEC section 9).
func OverlapError(kernel, out, other string) error {
	return fmt.Errorf("%s: output %s overlaps argument %s (they share memory); outputs must not alias any other argument", kernel, out, other)
}

// OverflowError reports a tensor whose element count does not fit in int;
// shape is its shape in the source ("[M, K]") and dims the sizes' values.
func OverflowError(kernel, arg, shape string, dims ...int) error {
	return fmt.Errorf("%s: the element count of %s %s = %s overflows int", kernel, arg, shape, dimList(dims))
}

// TooLargeError reports an intermediate tensor too large to allocate.
func TooLargeError(kernel, tensor, shape string, dims ...int) error {
	return fmt.Errorf("%s: intermediate %s %s = %s needs more than %d bytes of scratch memory", kernel, tensor, shape, dimList(dims), MaxScratchBytes)
}

func dimList(dims []int) string {
	s := make([]string, len(dims))
	for i, d := range dims {
		s[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(s, ", ") + "]"
}
