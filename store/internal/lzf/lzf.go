// Package lzf implements the LZF compression format of Marc Lehmann's
// liblzf, which Redis uses for compressed quicklist nodes and compressed
// strings in RDB files.
//
// An LZF stream is a sequence of items, each starting with a control byte
// c:
//
//   - c < 32: a literal run; the next c+1 bytes are copied to the output.
//   - otherwise: a back reference. The length field is c>>5; when it is 7,
//     the next byte is added to it. The following byte, with the low five
//     bits of c above it, is the distance minus one. length+2 bytes are
//     copied from that far back in the output (the copy may overlap what it
//     writes, repeating a short pattern).
//
// So a literal run holds at most 32 bytes, a reference reaches at most 8192
// bytes back and copies from 3 to 264 bytes.
package lzf

import "errors"

const (
	maxLiteral = 32          // bytes in one literal run
	maxOffset  = 1 << 13     // farthest a reference reaches back
	maxRef     = 7 + 255 + 2 // longest reference
	minRef     = 3           // shortest reference worth writing
	hashLog    = 14
	hashSize   = 1 << hashLog
)

// ErrCorrupt means the input is not a valid LZF stream for the output size
// the caller gave: a run or reference overruns the input or the output,
// reaches before the start, or the output comes out short.
var ErrCorrupt = errors.New("lzf: corrupt input")

// hash3 hashes the three bytes at p.
func hash3(v uint32) uint32 {
	return (v * 2654435761) >> (32 - hashLog)
}

// Compress compresses src into a new slice of at most limit bytes and
// reports whether it fit. Like liblzf's lzf_compress given an output buffer
// of limit bytes, it gives up (returning nil, false) as soon as the output
// would not fit, so an incompressible input costs one pass at most. An
// empty src does not compress.
func Compress(src []byte, limit int) ([]byte, bool) {
	return AppendCompress(nil, src, limit)
}

// AppendCompress is Compress appending the compressed bytes to dst: the
// result is dst and at most limit more bytes, or nil, false.
func AppendCompress(dst, src []byte, limit int) ([]byte, bool) {
	n := len(src)
	if n == 0 || limit <= 0 {
		return nil, false
	}
	// The output never grows past limit, nor past the worst case of an
	// incompressible input.
	base := len(dst)
	limit += base
	out := append(make([]byte, 0, min(limit, base+n+n/32+1)), dst...)
	var table [hashSize]int32 // position+1 of the last occurrence of a hash
	lit := 0                  // bytes in the current literal run
	litPos := -1              // index in out of the run's control byte
	emitLiteral := func(b byte) bool {
		if lit == 0 {
			if len(out)+2 > limit {
				return false
			}
			litPos = len(out)
			out = append(out, 0, b)
			lit = 1
			return true
		}
		if len(out)+1 > limit {
			return false
		}
		out = append(out, b)
		lit++
		out[litPos] = byte(lit - 1)
		if lit == maxLiteral {
			lit = 0
		}
		return true
	}
	i := 0
	for i+minRef <= n {
		v := uint32(src[i])<<16 | uint32(src[i+1])<<8 | uint32(src[i+2])
		h := hash3(v)
		cand := int(table[h]) - 1
		table[h] = int32(i + 1)
		if cand >= 0 && i-cand <= maxOffset && src[cand] == src[i] &&
			src[cand+1] == src[i+1] && src[cand+2] == src[i+2] {
			// A match: extend it.
			m := minRef
			for m < maxRef && i+m < n && src[cand+m] == src[i+m] {
				m++
			}
			off := i - cand - 1
			l := m - 2
			need := 2
			if l >= 7 {
				need = 3
			}
			if len(out)+need > limit {
				return nil, false
			}
			lit = 0
			if l < 7 {
				out = append(out, byte(l<<5|off>>8), byte(off))
			} else {
				out = append(out, byte(7<<5|off>>8), byte(l-7), byte(off))
			}
			// Index the positions the match covered, so later data can
			// refer into it.
			for j := i + 1; j < i+m && j+minRef <= n; j++ {
				w := uint32(src[j])<<16 | uint32(src[j+1])<<8 | uint32(src[j+2])
				table[hash3(w)] = int32(j + 1)
			}
			i += m
			continue
		}
		if !emitLiteral(src[i]) {
			return nil, false
		}
		i++
	}
	for ; i < n; i++ {
		if !emitLiteral(src[i]) {
			return nil, false
		}
	}
	return out, true
}

// Decompress decodes src, which must decode to exactly size bytes, into a
// new slice of that size. It never reads or writes out of bounds and never
// allocates more than size bytes, whatever src holds.
func Decompress(src []byte, size int) ([]byte, error) {
	if size < 0 {
		return nil, ErrCorrupt
	}
	out := make([]byte, size)
	n, err := DecompressInto(out, src)
	if err != nil {
		return nil, err
	}
	if n != size {
		return nil, ErrCorrupt
	}
	return out, nil
}

// DecompressInto decodes src into dst and returns the number of bytes
// written. It fails with ErrCorrupt when the stream is malformed or would
// not fit in dst, as liblzf's lzf_decompress does.
func DecompressInto(dst, src []byte) (int, error) {
	ip, op := 0, 0
	for ip < len(src) {
		c := int(src[ip])
		ip++
		if c < 32 {
			l := c + 1
			if ip+l > len(src) || op+l > len(dst) {
				return 0, ErrCorrupt
			}
			copy(dst[op:], src[ip:ip+l])
			ip += l
			op += l
			continue
		}
		l := c >> 5
		if l == 7 {
			if ip >= len(src) {
				return 0, ErrCorrupt
			}
			l += int(src[ip])
			ip++
		}
		if ip >= len(src) {
			return 0, ErrCorrupt
		}
		ref := op - ((c&0x1f)<<8 | int(src[ip])) - 1
		ip++
		l += 2
		if ref < 0 || op+l > len(dst) {
			return 0, ErrCorrupt
		}
		if ref+l <= op {
			copy(dst[op:op+l], dst[ref:ref+l])
			op += l
		} else {
			for k := 0; k < l; k++ { // overlapping: byte by byte
				dst[op] = dst[ref]
				op++
				ref++
			}
		}
	}
	return op, nil
}
