package rt

import "fmt"

// LenError reports a slice argument of the wrong length: got elements (bytes
// for packed types) where the shape, described by shape (for example
// "[M, K] = [2, 3]"), needs want.
func LenError(kernel, arg string, got, want int, shape string) error {
	return fmt.Errorf("%s: argument %s has length %d, want %d for shape %s", kernel, arg, got, want, shape)
}

// MismatchError reports two sizes that must agree but do not; what names them,
// for example "K (dim 1 of A, dim 0 of B)".
func MismatchError(kernel, what string, a, b int) error {
	return fmt.Errorf("%s: sizes disagree: %s is %d and %d", kernel, what, a, b)
}

// DivError reports a size that a shape requires to be a multiple of div.
func DivError(kernel, size string, value, div int) error {
	return fmt.Errorf("%s: size %s = %d is not a multiple of %d", kernel, size, value, div)
}

// NegSizeError reports a negative size argument.
func NegSizeError(kernel, size string, value int) error {
	return fmt.Errorf("%s: size %s = %d is negative, want >= 0", kernel, size, value)
}
