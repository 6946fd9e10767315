package rt

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// streamBit returns stream bit j of buf (SPEC section 4: bit j%8 of byte j/8).
func streamBit(buf []byte, j int) uint8 { return buf[j/8] >> (j % 8) & 1 }

func TestGetBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for bits := 1; bits <= 8; bits++ {
		for _, count := range []int{1, 2, 3, 7, 8, 9, 17, 64, 101} {
			buf := make([]byte, PackedLen(count, bits))
			for i := range buf {
				buf[i] = uint8(rng.Uint32())
			}
			for i := range count {
				var want uint8
				for k := range bits {
					want |= streamBit(buf, i*bits+k) << k
				}
				if got := GetBits(buf, i, bits); got != want {
					t.Fatalf("GetBits(%x, %d, %d) = %#x, want %#x", buf, i, bits, got, want)
				}
			}
		}
	}
}

func TestSetBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for bits := 1; bits <= 8; bits++ {
		for _, count := range []int{1, 3, 8, 9, 31, 64} {
			n := PackedLen(count, bits)
			for i := range count {
				for range 4 {
					buf := make([]byte, n)
					for k := range buf {
						buf[k] = uint8(rng.Uint32())
					}
					old := bytes.Clone(buf)
					v := uint8(rng.Uint32()) // high bits must be ignored
					SetBits(buf, i, bits, v)
					for j := range 8 * n {
						want := streamBit(old, j)
						if j >= i*bits && j < (i+1)*bits {
							want = v >> (j - i*bits) & 1
						}
						if got := streamBit(buf, j); got != want {
							t.Fatalf("SetBits(%x, %d, %d, %#x) = %x: stream bit %d is %d, want %d", old, i, bits, v, buf, j, got, want)
						}
					}
				}
			}
		}
	}
}

func TestBitsFillReadBack(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for bits := 1; bits <= 8; bits++ {
		count := 333
		buf := make([]byte, PackedLen(count, bits))
		want := make([]uint8, count)
		for i := range want {
			want[i] = uint8(rng.Uint32()) & (1<<bits - 1)
			SetBits(buf, i, bits, want[i])
		}
		for i := range want {
			if got := GetBits(buf, i, bits); got != want[i] {
				t.Fatalf("bits %d: element %d = %#x, want %#x", bits, i, got, want[i])
			}
		}
		// Unused high bits of the last byte stay zero.
		if used := count * bits % 8; used != 0 && buf[len(buf)-1]>>used != 0 {
			t.Errorf("bits %d: unused bits of the last byte set: %#x", bits, buf[len(buf)-1])
		}
	}
}

func TestSignExtend(t *testing.T) {
	for bits := 1; bits <= 8; bits++ {
		for v := range 1 << bits {
			want := int32(v)
			if v >= 1<<(bits-1) {
				want -= 1 << bits
			}
			if got := SignExtend(uint8(v), bits); got != want {
				t.Errorf("SignExtend(%#x, %d) = %d, want %d", v, bits, got, want)
			}
		}
	}
}

func TestPackedLen(t *testing.T) {
	for bits := 1; bits <= 8; bits++ {
		for count := range 100 {
			want := 0
			for want*8 < count*bits {
				want++
			}
			if got := PackedLen(count, bits); got != want {
				t.Errorf("PackedLen(%d, %d) = %d, want %d", count, bits, got, want)
			}
		}
	}
}
