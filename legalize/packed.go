package legalize

import (
	"strconv"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
)

// Vector loads of packed (sub-byte) integers. A vector of n lanes of b
// bits at element index i holds the bits [i*b, (i+n)*b) of the buffer's
// little-endian bit stream (SPEC section 4). The expansion reads them
// through 64-bit windows: an 8-byte raw load at byte st, shifted right by
// sh = i*b - 8*st, holds up to floor((64-7)/b) consecutive elements at
// multiples of b bits. A broadcast of the window into u64 lanes, shifted
// right by per-lane multiples of b, puts element j in the low bits of lane
// j. Two u64 vectors are joined into one u32 vector by an or with a shift
// by 32 and a lane shuffle, and the low b bits are kept (sign-extended for
// signed types by a shift left and an arithmetic shift right).
//
// A window never reads outside the buffer: its start is clamped to the
// buffer's last 8 bytes (the shift grows to match). A buffer shorter than
// 8 bytes cannot hold a window, so a function with expanded loads runs in
// two versions: the clamped windows when every such buffer has 8 bytes or
// more, and otherwise windows masked to the buffer's bytes.

// packedLoad is a vector load of a packed integer type converted by a
// cast, the form the vectoriser emits for reads of sub-byte tensors.
func packedLoad(e loop.Expr, c Caps) (*loop.Cast, *loop.Load, bool) {
	x, ok := e.(*loop.Cast)
	if !ok || c.PackedLoads || !x.T.IsVector() {
		return nil, nil, false
	}
	ld, ok := x.X.(*loop.Load)
	if !ok || ld.Raw || !ld.Buf.Elem.IsPacked() || !ld.Buf.Elem.IsInteger() {
		return nil, nil, false
	}
	if n := ld.T.Lanes; n*32 > c.VectorBits || n < 2 || n&(n-1) != 0 {
		return nil, nil, false // the u32 result must fit one register
	}
	return x, ld, true
}

// expandPackedLoads versions f when it holds packed vector loads: the
// body runs with clamped windows when each buffer read that way holds at
// least 8 bytes, and with masked windows otherwise. In the first version,
// an innermost loop whose windows stay inside their buffers until close to
// the end is split in two: up to that point the windows need no clamping
// (and consecutive ones share their shift), after it they are clamped.
func expandPackedLoads(f *loop.Func, c Caps) {
	bufs := map[*loop.Buf]bool{}
	var order []*loop.Buf
	loop.WalkStmts(f.Body, nil, func(e loop.Expr) {
		if _, ld, ok := packedLoad(e, c); ok && !bufs[ld.Buf] {
			bufs[ld.Buf] = true
			order = append(order, ld.Buf)
		}
	})
	if len(order) == 0 {
		return
	}
	var big loop.Expr
	for _, b := range order {
		big = loop.And(big, loop.Cmp(ir.Ge, byteLen(b), loop.I64(8)))
	}
	fast := loop.CloneStmts(f.Body)
	inRange := map[*loop.Load]*loop.Var{}
	fast = splitInRange(f, fast, c, inRange)
	rewrite := func(body []loop.Stmt, clamped bool) {
		loop.MapStmts(body, func(e loop.Expr) loop.Expr {
			if x, ld, ok := packedLoad(e, c); ok {
				m := masked
				phase, in := inRange[ld]
				switch {
				case in:
					m = unclamped
				case clamped:
					m = clampedWindows
				}
				return expandPacked(x, ld, c, m, phase)
			}
			return e
		})
	}
	rewrite(fast, true)
	rewrite(f.Body, false)
	f.Body = []loop.Stmt{&loop.If{Cond: big, Then: fast, Else: f.Body}}
}

// windowMode says how a load's windows stay inside the buffer.
type windowMode int

const (
	// unclamped windows are known to lie inside the buffer.
	unclamped windowMode = iota
	// clampedWindows start at most 8 bytes before the buffer's end (the
	// buffer has at least 8 bytes).
	clampedWindows
	// masked windows are also clamped at the buffer's start and read
	// only its bytes (a buffer that may be shorter than 8 bytes).
	masked
)

// splitInRange splits the innermost loops of body that read packed
// vectors at an index i + offset (i the loop variable, the offset
// invariant) into the iterations whose windows all lie inside their
// buffers, recorded in inRange, and the rest. When a loop's step moves
// a load by whole bytes, the load's first bit within its byte is the same
// in every iteration: it is computed once before the loop, into the
// variable inRange records for the load (nil otherwise).
func splitInRange(f *loop.Func, body []loop.Stmt, c Caps, inRange map[*loop.Load]*loop.Var) []loop.Stmt {
	var out []loop.Stmt
	for _, s := range body {
		switch s := s.(type) {
		case *loop.For:
			if safe, loads := safeEnd(s, c); safe != nil {
				for _, l := range loads {
					inRange[l] = nil
					if b := int64(l.Buf.Elem.Bits); s.Step*b%8 == 0 {
						inRange[l] = bitPhase(f, &out, s, l)
					}
				}
				out = append(out, splitLoop(s, safe)...)
				continue
			}
			s.Body = splitInRange(f, s.Body, c, inRange)
		case *loop.If:
			s.Then = splitInRange(f, s.Then, c, inRange)
			s.Else = splitInRange(f, s.Else, c, inRange)
		}
		out = append(out, s)
	}
	return out
}

// bitPhase appends to out the assignment of a new local of f with the
// first bit within its byte (as u32) of load ld in the first iteration of
// loop l, and returns the local.
func bitPhase(f *loop.Func, out *[]loop.Stmt, l *loop.For, ld *loop.Load) *loop.Var {
	v := &loop.Var{Name: ld.Buf.Name + "_phase" + strconv.Itoa(len(f.Locals)), T: loop.Scalar(ir.U32)}
	f.Locals = append(f.Locals, v)
	first := loop.MapExpr(loop.CloneExpr(ld.Index), func(e loop.Expr) loop.Expr {
		if r, ok := e.(*loop.Ref); ok && r.Var == l.Var {
			return loop.CloneExpr(l.Lo)
		}
		return e
	})
	bit := bitOp(loop.BitAnd, loop.Mul(first, loop.I64(int64(ld.Buf.Elem.Bits))), loop.I64(7))
	*out = append(*out, &loop.Assign{Dst: v, Value: &loop.Cast{X: bit, T: v.T}})
	return v
}

// safeEnd returns, for an innermost loop l, the least iteration value from
// which on some unguarded packed load of l might read a window past its
// buffer's end, and those loads; nil when l has none or a packed load at an
// index that is not the loop variable plus an invariant.
func safeEnd(l *loop.For, c Caps) (loop.Expr, []*loop.Load) {
	innermost, assigned := true, map[*loop.Var]bool{l.Var: true}
	loop.WalkStmts(l.Body, func(s loop.Stmt) {
		switch s := s.(type) {
		case *loop.For:
			innermost = false
		case *loop.Assign:
			assigned[s.Dst] = true
		}
	}, nil)
	if !innermost || l.Step <= 0 {
		return nil, nil
	}
	var safe loop.Expr
	var loads []*loop.Load
	ok := true
	loop.WalkStmts(l.Body, nil, func(e loop.Expr) {
		_, ld, is := packedLoad(e, c)
		if !is || ld.Guard != nil {
			return
		}
		off, affine := offsetFrom(ld.Index, l.Var, assigned)
		if !affine {
			ok = false
			return
		}
		b, w := ld.Buf.Elem.Bits, int64(blockBytes(ld.T.Lanes, ld.Buf.Elem.Bits))
		// ((i + off)*b >> 3) + w <= byteLen  <=>  i < (8*byteLen - 8*w + 7)/b - off + 1
		lim := loop.Div(loop.Sub(loop.Mul(byteLen(ld.Buf), loop.I64(8)), loop.I64(8*w-7)), loop.I64(int64(b)))
		end := loop.Sub(loop.Add(lim, loop.I64(1)), off)
		if safe == nil {
			safe = end
		} else {
			safe = &loop.Call{Fn: loop.Fn(ir.Min), Args: []loop.Expr{safe, end}, T: loop.Int64}
		}
		loads = append(loads, ld)
	})
	if !ok || safe == nil {
		return nil, nil
	}
	return safe, loads
}

// offsetFrom returns off when index is v + off with off free of v and of
// the variables assigned in the loop.
func offsetFrom(index loop.Expr, v *loop.Var, assigned map[*loop.Var]bool) (loop.Expr, bool) {
	invariant := func(e loop.Expr) bool {
		free := true
		loop.WalkExpr(e, func(x loop.Expr) {
			switch x := x.(type) {
			case *loop.Ref:
				free = free && !assigned[x.Var]
			case *loop.Load:
				free = false
			}
		})
		return free
	}
	isV := func(e loop.Expr) bool { r, ok := e.(*loop.Ref); return ok && r.Var == v }
	if isV(index) {
		return loop.I64(0), true
	}
	if b, ok := index.(*loop.Bin); ok && b.Op == ir.Add {
		if isV(b.Y) && invariant(b.X) {
			return loop.CloneExpr(b.X), true
		}
		if isV(b.X) && invariant(b.Y) {
			return loop.CloneExpr(b.Y), true
		}
	}
	return nil, false
}

// splitLoop returns l as two loops over the same iterations: the first
// while the loop variable is below safe, the second (a copy with its own
// variable) from there on.
func splitLoop(l *loop.For, safe loop.Expr) []loop.Stmt {
	v2 := &loop.Var{Name: l.Var.Name + "w", T: l.Var.T}
	rest := loop.CloneStmts(l.Body)
	loop.MapStmts(rest, func(e loop.Expr) loop.Expr {
		if r, ok := e.(*loop.Ref); ok && r.Var == l.Var {
			return loop.R(v2)
		}
		return e
	})
	mid := &loop.Call{Fn: loop.Fn(ir.Min), Args: []loop.Expr{loop.CloneExpr(l.Hi), safe}, T: loop.Int64}
	// The first iteration value not run by the first loop: lo + ceil((mid-lo)/step)*step, at least lo.
	span := &loop.Call{Fn: loop.Fn(ir.Max), Args: []loop.Expr{loop.Sub(loop.CloneExpr(mid), loop.CloneExpr(l.Lo)), loop.I64(0)}, T: loop.Int64}
	trips := loop.Div(loop.Add(span, loop.I64(l.Step-1)), loop.I64(l.Step))
	start2 := loop.Add(loop.CloneExpr(l.Lo), loop.Mul(trips, loop.I64(l.Step)))
	second := &loop.For{Var: v2, Lo: start2, Hi: l.Hi, Step: l.Step, Body: rest, Unroll: l.Unroll}
	l.Hi = mid
	return []loop.Stmt{l, second}
}

// byteLen is the byte length of a packed buffer, ceil(len*b/8).
func byteLen(b *loop.Buf) loop.Expr {
	bits := loop.Mul(b.Len, loop.I64(int64(b.Elem.Bits)))
	return loop.Div(loop.Add(bits, loop.I64(7)), loop.I64(8))
}

// windowLanes is the number of b-bit elements one 64-bit window holds at
// any bit offset (a power of two).
func windowLanes(b int) int {
	g := 1
	for 2*g*b+7 <= 64 {
		g *= 2
	}
	return g
}

// expandPacked returns the replacement of cast x of packed load ld.
func expandPacked(x *loop.Cast, ld *loop.Load, c Caps, m windowMode, phase *loop.Var) loop.Expr {
	var v loop.Expr
	if m == unclamped {
		v = blockBits(ld, phase)
	} else {
		v = windowBits(ld, c, m)
	}
	el := ld.Buf.Elem
	b, n := el.Bits, ld.T.Lanes
	i32 := loop.Vec(ir.I32, n)
	if el.Class == ir.Int {
		sh := &loop.Const{T: i32, Int: int64(32 - b)}
		v = bitOp(loop.Shr, bitOp(loop.Shl, &loop.Bitcast{X: v, T: i32}, sh), sh)
	} else {
		v = &loop.Bitcast{X: bitOp(loop.BitAnd, v, &loop.Const{T: loop.Vec(ir.U32, n), Int: 1<<b - 1}), T: i32}
	}
	if ld.Count != nil {
		lanes := make([]int64, n)
		for j := range lanes {
			lanes[j] = int64(j)
		}
		cnt := &loop.Broadcast{X: &loop.Cast{X: ld.Count, T: loop.Scalar(ir.I32)}, T: i32}
		in := loop.Cmp(ir.Lt, &loop.Lanes{T: i32, Int: lanes}, cnt)
		v = &loop.Select{Cond: in, A: v, B: &loop.Const{T: i32}, T: i32}
	}
	if x.T.Elem == ir.I32 {
		return v
	}
	return &loop.Cast{X: v, T: x.T}
}

// blockBytes is the size of the block of bytes that holds n elements of b
// bits at any bit offset within the first byte.
func blockBytes(n, b int) int {
	if n*b+7 <= 64 {
		return 8
	}
	return 16
}

// blockBits reads the packed vector ld, known to lie inside its buffer
// together with the whole block after its first byte, as u32 lanes with
// element j in the low b bits: one raw load of the block at the first
// element's byte, a byte shuffle that gives u32 lane j the four bytes from
// the one holding element j's first bit (a constant pattern: with the
// first element at bit s of the block, element j starts at bit s + j*b),
// and a shift by each lane's remaining bit offset plus s (the variable
// phase when set, which holds s for every iteration).
func blockBits(ld *loop.Load, phase *loop.Var) loop.Expr {
	b, n := ld.Buf.Elem.Bits, ld.T.Lanes
	w := blockBytes(n, b)
	bit := loop.Mul(ld.Index, loop.I64(int64(b)))
	raw := &loop.Load{Buf: ld.Buf, Index: shr64(loop.CloneExpr(bit), 3), T: loop.Vec(ir.U8, w), Raw: true}
	idx := make([]int, 4*n)
	shifts := make([]int64, n)
	for j := 0; j < n; j++ {
		for q := 0; q < 4; q++ {
			// Bytes past the block are never needed: s + j*b + b <= 8*w.
			idx[4*j+q] = min(j*b/8+q, w-1)
		}
		shifts[j] = int64(j * b % 8)
	}
	u32 := loop.Vec(ir.U32, n)
	words := &loop.Bitcast{X: &loop.Shuffle{X: raw, Index: idx, T: loop.Vec(ir.U8, 4*n)}, T: u32}
	var s loop.Expr = &loop.Cast{X: bitOp(loop.BitAnd, bit, loop.I64(7)), T: loop.Scalar(ir.U32)}
	if phase != nil {
		s = loop.R(phase)
	}
	count := &loop.Bin{Op: ir.Add, X: &loop.Lanes{T: u32, Int: shifts}, Y: &loop.Broadcast{X: s, T: u32}, T: u32}
	return bitOp(loop.Shr, words, count)
}

// windowBits reads the packed vector ld through 64-bit windows clamped
// into the buffer (mode m) as u32 lanes with element j in the low b bits.
func windowBits(ld *loop.Load, c Caps, m windowMode) loop.Expr {
	b, n := ld.Buf.Elem.Bits, ld.T.Lanes
	w := min(n, c.VectorBits/64)                    // u64 lanes per vector
	g := min(windowLanes(b), n)                     // elements per window
	start := loop.Mul(ld.Index, loop.I64(int64(b))) // bit offset of lane 0
	var windows []loop.Expr
	for k := 0; k < n; k += g {
		bit := loop.Add(loop.CloneExpr(start), loop.I64(int64(k*b)))
		windows = append(windows, window(ld, bit, m))
	}
	u64 := loop.Vec(ir.U64, w)
	var parts []loop.Expr
	for k := 0; k < n; k += w {
		win := loop.CloneExpr(windows[k/g]) // shared by CSE, not by pointer
		shifts := make([]int64, w)
		for j := range shifts {
			shifts[j] = int64((k + j - (k/g)*g) * b)
		}
		bw := &loop.Broadcast{X: win, T: u64}
		parts = append(parts, bitOp(loop.Shr, bw, &loop.Lanes{T: u64, Int: shifts}))
	}
	u32 := loop.Vec(ir.U32, n)
	if len(parts) == 1 {
		// Lane j is the low half of u64 lane j: the even u32 lanes.
		idx := make([]int, n)
		for j := range idx {
			idx[j] = 2 * j
		}
		return &loop.Shuffle{X: &loop.Bitcast{X: parts[0], T: loop.Vec(ir.U32, 2*w)}, Index: idx, T: u32}
	}
	// Lanes [0, w) in the even u32 lanes, [w, 2w) in the odd ones. The
	// first part's high halves hold later bits of its window.
	lo := bitOp(loop.BitAnd, parts[0], &loop.Const{T: u64, Int: 1<<32 - 1})
	both := bitOp(loop.BitOr, lo, bitOp(loop.Shl, parts[1], &loop.Const{T: u64, Int: 32}))
	idx := make([]int, n)
	for j := range idx {
		idx[j] = 2*(j%w) + j/w
	}
	return &loop.Shuffle{X: &loop.Bitcast{X: both, T: u32}, Index: idx, T: u32}
}

// window returns the u64 whose low bits are the stream's bits from bit
// offset bit on: an 8-byte window at byte bit/8 shifted into place. A
// clamped window starts at most 8 bytes before the buffer's end (the shift
// grows to match); a masked one also starts at 0 or later and reads only
// the buffer's bytes. A guarded load's window is zero when the guard fails.
func window(ld *loop.Load, bit loop.Expr, m windowMode) loop.Expr {
	u8x8, u64 := loop.Vec(ir.U8, 8), loop.Scalar(ir.U64)
	raw := &loop.Load{Buf: ld.Buf, T: u8x8, Guard: loop.CloneExpr(ld.Guard), Raw: true}
	var st loop.Expr = shr64(loop.CloneExpr(bit), 3)
	if m != unclamped {
		last := loop.Sub(byteLen(ld.Buf), loop.I64(8))
		st = &loop.Call{Fn: loop.Fn(ir.Min), Args: []loop.Expr{st, last}, T: loop.Int64}
	}
	if ld.Guard != nil || m == masked {
		// Not before the buffer: an out-of-range index, or a short buffer.
		st = &loop.Call{Fn: loop.Fn(ir.Max), Args: []loop.Expr{st, loop.I64(0)}, T: loop.Int64}
	}
	raw.Index = st
	var sh loop.Expr = &loop.Bitcast{X: loop.Sub(bit, loop.Mul(loop.CloneExpr(st), loop.I64(8))), T: u64}
	if m == masked {
		raw.Count = &loop.Call{Fn: loop.Fn(ir.Min), Args: []loop.Expr{loop.I64(8), loop.Sub(byteLen(ld.Buf), loop.CloneExpr(st))}, T: loop.Int64}
	} else {
		// The shift is in [0, 64): and-ing with 63 says so to the backends.
		sh = bitOp(loop.BitAnd, sh, &loop.Const{T: u64, Int: 63})
	}
	return bitOp(loop.Shr, &loop.Bitcast{X: raw, T: u64}, sh)
}

func shr64(x loop.Expr, n int64) loop.Expr { return bitOp(loop.Shr, x, loop.I64(n)) }

// bitOp is the bit operation fn on x and y (of x's type).
func bitOp(fn loop.Fn, x, y loop.Expr) loop.Expr {
	return &loop.Call{Fn: fn, Args: []loop.Expr{x, y}, T: x.Type()}
}
