package listpack

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrCorrupt is wrapped by every error Validate returns.
var ErrCorrupt = errors.New("listpack: corrupt")

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrCorrupt)
}

// Validate checks that lp, which may come from anywhere, is a well-formed
// listpack, and never panics. The shallow check (deep false) looks at the
// header and the terminator only, as Redis's lpValidateIntegrity does; the
// deep check also walks every entry, checking its encoding, that it lies
// inside lp and that its backlen matches, and that the count in the header
// (unless unknown) is right. Only a listpack that passed the deep check is
// safe to give to the other functions of this package.
func Validate(lp []byte, deep bool) error {
	return ValidateEach(lp, deep, nil)
}

// ValidateEach is Validate with a callback for deep checks: each, when not
// nil, is called with the offset of every entry after the entry itself has
// been checked, so it may read it; returning false fails the validation.
// Callers use it for their own rules (a hash's even count, no duplicate
// fields).
func ValidateEach(lp []byte, deep bool, each func(lp []byte, p int) bool) error {
	if len(lp) < EmptySize {
		return corrupt("%d bytes is shorter than a header", len(lp))
	}
	if total := binary.LittleEndian.Uint32(lp); uint64(total) != uint64(len(lp)) {
		return corrupt("header says %d bytes, have %d", total, len(lp))
	}
	if lp[len(lp)-1] != eof {
		return corrupt("no terminator")
	}
	if !deep {
		return nil
	}
	count := 0
	p := HeaderSize
	for lp[p] != eof {
		next, err := validateEntry(lp, p)
		if err != nil {
			return err
		}
		if each != nil && !each(lp, p) {
			return corrupt("entry at %d rejected", p)
		}
		count++
		p = next
	}
	if p != len(lp)-1 {
		return corrupt("terminator byte at %d before the end", p)
	}
	if n := headerCount(lp); n != CountUnknown && n != count {
		return corrupt("header counts %d elements, have %d", n, count)
	}
	return nil
}

// validateEntry checks the entry at p (which is inside lp and not the
// terminator) and returns the offset after it (Redis's lpValidateNext).
// Entries may not reach the final byte, which is the terminator.
func validateEntry(lp []byte, p int) (int, error) {
	last := len(lp) - 1 // the terminator's offset
	h := headerLen(lp[p])
	if h == 0 {
		return 0, corrupt("bad encoding byte %#x at %d", lp[p], p)
	}
	if p+h > last {
		return 0, corrupt("entry at %d runs past the end", p)
	}
	// With the length bytes in range, the encoded length is computable;
	// use 64-bit arithmetic so that a 32-bit string length cannot wrap.
	enc := uint64(encodedLen(lp, p))
	bl := uint64(backlenSize(int(enc)))
	if uint64(p)+enc+bl > uint64(last) {
		return 0, corrupt("entry at %d runs past the end", p)
	}
	next := p + int(enc+bl)
	if l := decodeBacklen(lp, next-1); l < 0 || uint64(l) != enc {
		return 0, corrupt("backlen of the entry at %d does not match", p)
	}
	return next, nil
}
