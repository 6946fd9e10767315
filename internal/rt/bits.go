package rt

// GetBits returns element i of a packed stream of bits-wide elements (1..8):
// stream bits [i*bits, (i+1)*bits), stream bit j being bit j%8 of buf[j/8]
// (SPEC section 4). The result holds the element in its low bits.
func GetBits(buf []byte, i, bits int) uint8 {
	bit := i * bits
	off := uint(bit & 7)
	v := uint(buf[bit>>3])
	if off+uint(bits) > 8 {
		v |= uint(buf[bit>>3+1]) << 8
	}
	return uint8(v>>off) & uint8(1<<bits-1)
}

// SetBits stores the low bits of v as element i of a packed stream of
// bits-wide elements (1..8), leaving every other bit of buf unchanged.
func SetBits(buf []byte, i, bits int, v uint8) {
	bit := uint(i * bits)
	k := bit >> 3
	m := (uint(1)<<bits - 1) << (bit & 7)
	w := uint(v) << (bit & 7) & m
	buf[k] = buf[k]&^uint8(m) | uint8(w)
	if m > 0xff { // the element reaches into the next byte
		buf[k+1] = buf[k+1]&^uint8(m>>8) | uint8(w>>8)
	}
}

// SignExtend interprets the low bits (1..8) of v as a two's complement number.
func SignExtend(v uint8, bits int) int32 {
	s := uint(8 - bits)
	return int32(int8(v<<s) >> s)
}

// PackedLen returns the byte length of a packed stream of count bits-wide
// elements: ceil(count*bits/8).
func PackedLen(count, bits int) int {
	return (count*bits + 7) / 8
}
