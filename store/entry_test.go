package store

import (
	"slices"
	"testing"
	"unsafe"
)

func TestEntrySize(t *testing.T) {
	if got := unsafe.Sizeof(entry{}); got != 32 {
		t.Fatalf("sizeof(entry) = %d, want 32", got)
	}
}

// TestMetaFieldsIndependent sets each field of the meta word to its extreme
// values under every combination of the others and reads them all back.
func TestMetaFieldsIndependent(t *testing.T) {
	encs := []Encoding{EncRaw, EncSharedInt, EncListQuicklist, EncSetHashtable, EncZSetSkiplist, EncHashListpack, EncStream}
	for _, enc := range encs {
		for flags := 0; flags < 8; flags++ {
			for _, lru := range []uint32{0, 1, lruMax - 1, lruMax} {
				e := &entry{meta: uint32(enc)}
				e.setLRU(lru)
				e.setVolatile(flags&1 != 0)
				e.setSnapMark(flags&2 != 0)
				if flags&4 != 0 {
					e.setShared()
				}
				if e.typ() != enc.Type() || e.enc() != enc || e.lru() != lru ||
					e.volatile() != (flags&1 != 0) || e.snapMarked() != (flags&2 != 0) || e.shared() != (flags&4 != 0) {
					t.Fatalf("enc %v flags %03b lru %d: read back typ %v enc %v lru %d volatile %v mark %v shared %v",
						enc, flags, lru, e.typ(), e.enc(), e.lru(), e.volatile(), e.snapMarked(), e.shared())
				}
				e.setVolatile(false)
				e.setSnapMark(false)
				if e.enc() != enc || e.lru() != lru {
					t.Fatalf("clearing flags changed enc %v→%v or lru %d→%d", enc, e.enc(), lru, e.lru())
				}
			}
		}
	}
}

// TestAccessField checks both readings of the 24-bit access field: Redis's
// LRU clock, which wraps at LRU_CLOCK_MAX, and the LFU pair it holds under
// an LFU policy (16-bit decrement time in minutes, 8-bit counter).
func TestAccessField(t *testing.T) {
	e := newStringEntry([]byte("k"), []byte("v"), EncEmbstr, 0)
	e.setVolatile(true)
	e.setLRU(1<<24 + 5)
	if e.lru() != 5 {
		t.Errorf("lru after setLRU(2^24+5) = %d, want 5: the clock wraps at 24 bits", e.lru())
	}
	if lruMax != 1<<24-1 {
		t.Errorf("lruMax = %d, want Redis's LRU_CLOCK_MAX %d", lruMax, 1<<24-1)
	}
	for _, tt := range []struct {
		ldt     uint16
		counter uint8
	}{{0, 0}, {0, 255}, {65535, 0}, {65535, 255}, {1234, 5}} {
		e.setLFU(tt.ldt, tt.counter)
		if e.lfuDecrTime() != tt.ldt || e.lfuCounter() != tt.counter {
			t.Errorf("setLFU(%d, %d) read back %d, %d", tt.ldt, tt.counter, e.lfuDecrTime(), e.lfuCounter())
		}
		if want := uint32(tt.ldt)<<8 | uint32(tt.counter); e.lru() != want {
			t.Errorf("setLFU(%d, %d): access field %#x, want Redis's robj.lru %#x", tt.ldt, tt.counter, e.lru(), want)
		}
		if e.typ() != TypeString || e.enc() != EncEmbstr || !e.volatile() {
			t.Errorf("setLFU changed the rest of meta: %v %v %v", e.typ(), e.enc(), e.volatile())
		}
	}
}

func TestEncodingTypesAndNames(t *testing.T) {
	tests := []struct {
		enc  Encoding
		typ  Type
		name string
	}{
		{EncRaw, TypeString, "raw"},
		{EncEmbstr, TypeString, "embstr"},
		{EncInt, TypeString, "int"},
		{EncSharedInt, TypeString, "int"},
		{EncListQuicklist, TypeList, "quicklist"},
		{EncSetIntset, TypeSet, "intset"},
		{EncSetHashtable, TypeSet, "hashtable"},
		{EncZSetListpack, TypeZSet, "listpack"},
		{EncZSetSkiplist, TypeZSet, "skiplist"},
		{EncHashListpack, TypeHash, "listpack"},
		{EncHashHashtable, TypeHash, "hashtable"},
		{EncStream, TypeStream, "stream"},
	}
	seen := map[Encoding]bool{}
	for _, tt := range tests {
		if seen[tt.enc] {
			t.Errorf("encoding %q of %v has the value of another", tt.name, tt.typ)
		}
		seen[tt.enc] = true
		if got := tt.enc.String(); got != tt.name {
			t.Errorf("%d.String() = %q, want %q", tt.enc, got, tt.name)
		}
		if got := tt.enc.Type(); got != tt.typ {
			t.Errorf("%s.Type() = %v, want %v", tt.name, got, tt.typ)
		}
		if tt.enc > metaEncMask {
			t.Errorf("%s = %d does not fit in the meta word", tt.name, tt.enc)
		}
	}
	if got := Encoding(0).String(); got != "unknown" {
		t.Errorf("Encoding(0).String() = %q, want unknown", got)
	}
	// setEnc changes the representation only.
	e := &entry{meta: uint32(TypeHash)}
	e.setEnc(EncHashHashtable)
	if e.typ() != TypeHash || e.enc() != EncHashHashtable {
		t.Errorf("after setEnc(hashtable): %v %v", e.typ(), e.enc())
	}
}

// newListpack returns an inline hash entry whose payload is p, standing in
// for the listpacks of the collections to come.
func newListpack(key, p string) *entry {
	return newInlineEntry([]byte(key), EncHashListpack, []byte(p), 7)
}

func TestInlinePayload(t *testing.T) {
	e := newListpack("myhash", "abc")
	if !e.inline() || e.typ() != TypeHash || e.enc() != EncHashListpack || e.lru() != 7 {
		t.Fatalf("new inline entry: inline %v type %v enc %v lru %d", e.inline(), e.typ(), e.enc(), e.lru())
	}
	if string(e.key()) != "myhash" || string(e.payload()) != "abc" {
		t.Fatalf("key, payload = %q, %q", e.key(), e.payload())
	}

	// Growing within the capacity happens in place and zero-fills.
	p0 := e.p
	buf := e.resizePayload(int(e.vcap))
	if e.p != p0 || string(buf[:3]) != "abc" || !allZero(buf[3:]) {
		t.Fatalf("resizePayload within capacity: moved %v, payload %q", e.p != p0, buf)
	}
	copy(buf, "xyz")
	// Past it, the payload moves, keeping its bytes; no slack is added
	// beyond the size class.
	n := int(e.vcap) + 1
	buf = e.resizePayload(n)
	if e.p == p0 || len(buf) != n || string(buf[:3]) != "xyz" || !allZero(buf[n-1:]) {
		t.Fatalf("resizePayload(%d): moved %v, payload %q", n, e.p != p0, buf)
	}
	if int(e.vcap)+len(e.key()) > 2*(n+len(e.key())) {
		t.Errorf("resizePayload(%d) left capacity %d, want about the size class", n, e.vcap)
	}
	if string(e.key()) != "myhash" {
		t.Errorf("key after growth = %q", e.key())
	}

	// Shrinking keeps the prefix; shrinking a lot gives memory back.
	e.resizePayload(1000)
	if buf := e.resizePayload(2); string(buf) != "xy" || e.vcap > 64 {
		t.Errorf("resizePayload(2) = %q with capacity %d, want xy in a small allocation", buf, e.vcap)
	}
	// Shrinking then growing again zero-fills what was cut off.
	if buf := e.resizePayload(3); string(buf) != "xy\x00" {
		t.Errorf("regrown payload = %q, want the cut byte zeroed", buf)
	}

	e.setPayload([]byte("hello"))
	if string(e.payload()) != "hello" {
		t.Errorf("setPayload: %q", e.payload())
	}
	// setPayload accepts a slice of the payload itself.
	e.setPayload(e.payload()[1:4])
	if string(e.payload()) != "ell" {
		t.Errorf("setPayload of its own bytes: %q", e.payload())
	}
	e.setPayload(nil)
	if len(e.payload()) != 0 || e.vcap == 0 || string(e.key()) != "myhash" {
		t.Errorf("empty payload: len %d cap %d key %q", len(e.payload()), e.vcap, e.key())
	}

	// Empty key and payload.
	empty := newInlineEntry(nil, EncSetIntset, nil, 0)
	if !empty.inline() || len(empty.key()) != 0 || len(empty.payload()) != 0 || empty.typ() != TypeSet {
		t.Fatalf("empty inline entry: inline %v key %q payload %q", empty.inline(), empty.key(), empty.payload())
	}
	if got := empty.resizePayload(8); !allZero(got) || len(got) != 8 {
		t.Errorf("resizePayload on empty = %q", got)
	}
}

// TestSharedPayload checks that a payload marked shared, as a reply in
// flight holding its bytes would mark it, is never written in place: each
// writer moves it and clears the mark, and the reply's bytes stay intact.
func TestSharedPayload(t *testing.T) {
	writers := map[string]func(e *entry){
		"setString":       func(e *entry) { e.setString([]byte("NEW"), EncEmbstr) },
		"setPayload":      func(e *entry) { e.setPayload([]byte("NEW")) },
		"growString":      func(e *entry) { copy(e.growString(5)[3:], "!!") },
		"resizePayload":   func(e *entry) { copy(e.resizePayload(2), "NE") },
		"writablePayload": func(e *entry) { e.writablePayload()[0] = 'N' },
	}
	for name, write := range writers {
		t.Run(name, func(t *testing.T) {
			e := newStringEntry([]byte("k"), []byte("old"), EncEmbstr, 0)
			e.setVolatile(true)
			// Unshared, the value is written in place.
			p0 := e.p
			write(e)
			if e.p != p0 {
				t.Fatalf("unshared write moved the value")
			}
			e.setString([]byte("old"), EncEmbstr)
			reply := e.str()
			e.setShared()
			write(e)
			if string(reply) != "old" {
				t.Errorf("the reply's bytes changed to %q", reply)
			}
			if e.shared() || e.p == p0 {
				t.Errorf("after the write: shared %v, moved %v; want unshared and moved", e.shared(), e.p != p0)
			}
			if !e.volatile() || string(e.key()) != "k" {
				t.Errorf("the write lost the flags or key: volatile %v key %q", e.volatile(), e.key())
			}
			// The next write is in place again.
			p1 := e.p
			write(e)
			if e.p != p1 {
				t.Errorf("a second write moved the value again")
			}
		})
	}
}

func TestInlineRekeyAndClone(t *testing.T) {
	src := newListpack("src", "\x01\x02payload")
	src.setVolatile(true)
	src.setSnapMark(true)
	src.setShared()
	src.setLFU(300, 9)

	// RENAME: same value, encoding and access field, no flags.
	r := src.rekeyed([]byte("dst"))
	if string(r.key()) != "dst" || string(r.payload()) != "\x01\x02payload" || !r.inline() ||
		r.enc() != EncHashListpack || r.lfuDecrTime() != 300 || r.lfuCounter() != 9 {
		t.Fatalf("rekeyed: key %q payload %q enc %v ldt %d counter %d", r.key(), r.payload(), r.enc(), r.lfuDecrTime(), r.lfuCounter())
	}
	if r.volatile() || r.snapMarked() || r.shared() {
		t.Errorf("rekeyed kept flags: volatile %v mark %v shared %v", r.volatile(), r.snapMarked(), r.shared())
	}

	// COPY: the given access field, and no memory in common.
	c := src.cloned([]byte("copy"), 42)
	if string(c.key()) != "copy" || string(c.payload()) != "\x01\x02payload" || c.enc() != EncHashListpack || c.lru() != 42 {
		t.Fatalf("cloned: key %q payload %q enc %v lru %d", c.key(), c.payload(), c.enc(), c.lru())
	}
	if c.volatile() || c.snapMarked() || c.shared() {
		t.Errorf("cloned kept flags: volatile %v mark %v shared %v", c.volatile(), c.snapMarked(), c.shared())
	}
	c.writablePayload()[0] = 'X'
	if src.payload()[0] != 1 || r.payload()[0] != 1 {
		t.Error("writing the copy changed its source")
	}
	// A copy of a shared integer is a plain one.
	n := newStringEntry([]byte("n"), []byte("5"), EncSharedInt, 0)
	if got := n.cloned([]byte("m"), 0).enc(); got != EncInt {
		t.Errorf("copy of a shared int has encoding %v, want int", got)
	}
}

// bigHash is a compound value for the tests below.
type bigHash struct{ fields map[string]string }

func (h *bigHash) clone() any {
	m := make(map[string]string, len(h.fields))
	for k, v := range h.fields {
		m[k] = v
	}
	return &bigHash{m}
}

func TestCompoundEntries(t *testing.T) {
	key := []byte("h")
	e := newCompoundEntry(key, EncHashHashtable, &bigHash{map[string]string{"f": "v"}}, 3)
	key[0] = 'X' // the entry has its own copy
	if e.inline() || string(e.key()) != "h" || e.enc() != EncHashHashtable || e.lru() != 3 {
		t.Fatalf("compound: inline %v key %q enc %v lru %d", e.inline(), e.key(), e.enc(), e.lru())
	}
	e.setVolatile(true)
	e.setSnapMark(true)
	r := e.rekeyed([]byte("h2"))
	if string(r.key()) != "h2" || r.value() != e.value() || r.volatile() || r.snapMarked() || r.lru() != 3 {
		t.Errorf("rekeyed compound: key %q same value %v volatile %v mark %v lru %d",
			r.key(), r.value() == e.value(), r.volatile(), r.snapMarked(), r.lru())
	}
	c := e.cloned([]byte("h3"), 9)
	c.value().(*bigHash).fields["f"] = "changed"
	if e.value().(*bigHash).fields["f"] != "v" || c.snapMarked() || c.lru() != 9 || c.enc() != EncHashHashtable {
		t.Errorf("cloned compound shares its value or kept the mark")
	}
	// An empty key stays a non-nil slice, which replies need.
	if k := newCompoundEntry(nil, EncSetHashtable, &bigHash{}, 0).key(); k == nil {
		t.Error("empty compound key is nil")
	}
}

// TestSetCompound converts an inline collection to its compound encoding in
// place, as a listpack hash that outgrows hash-max-listpack-entries becomes
// a hashtable: the entry, its key, flags and access field stay.
func TestSetCompound(t *testing.T) {
	e := newListpack("h", "small")
	e.setVolatile(true)
	e.setShared()
	reply := e.payload()
	e.setCompound(EncHashHashtable, &bigHash{map[string]string{"a": "b"}})
	if e.inline() || e.typ() != TypeHash || e.enc() != EncHashHashtable || string(e.key()) != "h" ||
		!e.volatile() || e.shared() || e.lru() != 7 {
		t.Fatalf("after setCompound: inline %v type %v enc %v key %q volatile %v shared %v lru %d",
			e.inline(), e.typ(), e.enc(), e.key(), e.volatile(), e.shared(), e.lru())
	}
	if string(reply) != "small" {
		t.Errorf("the reply's bytes changed to %q", reply)
	}
	e.setCompound(EncHashHashtable, &bigHash{})
	if string(e.key()) != "h" {
		t.Errorf("key after a second setCompound = %q", e.key())
	}
}

func TestEntryGrowAndShrink(t *testing.T) {
	e := newStringEntry([]byte("k"), []byte("abc"), EncEmbstr, 0)
	buf := e.growString(10)
	if string(buf[:3]) != "abc" || string(buf[3:]) != "\x00\x00\x00\x00\x00\x00\x00" {
		t.Fatalf("growString(10) = %q", buf)
	}
	e.setString([]byte("xy"), EncEmbstr)
	buf = e.growString(5)
	if string(buf) != "xy\x00\x00\x00" {
		t.Fatalf("growString after shrink = %q, want zero fill", buf)
	}
	if string(e.key()) != "k" {
		t.Fatalf("key = %q", e.key())
	}
	e.setString(make([]byte, 1000), EncRaw)
	e.setString([]byte("small"), EncEmbstr)
	if e.vcap > 64 {
		t.Fatalf("vcap = %d after shrinking to 5 bytes, want the memory back", e.vcap)
	}
	empty := newStringEntry(nil, nil, EncEmbstr, 0)
	if len(empty.key()) != 0 || len(empty.str()) != 0 {
		t.Fatal("empty entry has content")
	}
	if got := empty.growString(3); string(got) != "\x00\x00\x00" {
		t.Fatalf("growString on empty = %q", got)
	}
}

// TestCapacityUsesSizeClass checks that the allocator's rounding becomes
// usable capacity rather than waste.
func TestCapacityUsesSizeClass(t *testing.T) {
	e := newStringEntry([]byte("key"), []byte("12345"), EncEmbstr, 0)
	// 8 bytes are asked for, and 8 is a size class; 9 rounds up to 16.
	if e.vcap != 5 {
		t.Errorf("vcap = %d for 3+5 bytes, want 5", e.vcap)
	}
	e = newStringEntry([]byte("key"), []byte("123456"), EncEmbstr, 0)
	if e.vcap != 13 {
		t.Errorf("vcap = %d for 3+6 bytes, want 13 (size class 16)", e.vcap)
	}
}

func allZero(b []byte) bool { return !slices.ContainsFunc(b, func(c byte) bool { return c != 0 }) }

// TestCapacityNearLimit checks the capacity arithmetic for values near
// 4 GiB (proto-max-bulk-len 4294967295) without allocating them: SETRANGE k
// 4294967294 x grows a new key to maxPayload bytes, and every later write
// of that length must then fit in place. Before the clamp, the growth slack
// took the capacity past 2^32 and vcap wrapped to about 1 MiB, so each
// SETRANGE k 0 y copied 4 GB.
func TestCapacityNearLimit(t *testing.T) {
	// roundup stands in for the allocator, which rounds a large
	// allocation up to whole 8 KiB pages.
	roundup := func(n int) int { return (n + 8191) &^ 8191 }
	for _, klen := range []int{0, 1, 3, 1 << 20} {
		for _, n := range []int{maxPayload, maxPayload - 1, maxPayload - 8192, 1 << 31, 1<<32 - 1<<20} {
			for _, vlen := range []int{0, 1, n / 2, n} {
				// What growString(n) asks for when it must reallocate a
				// value of vlen bytes.
				size := allocSize(klen, vlen, n-vlen+growthSpare(n))
				if c := size - klen; c < n || c > maxPayload {
					t.Errorf("klen %d, n %d: allocSize leaves payload capacity %d, want [n, maxPayload]", klen, n, c)
				}
				vcap := payloadCap(roundup(size), klen)
				if uint64(vcap) < uint64(n) {
					t.Errorf("klen %d, n %d: vcap %d after rounding; a write of n bytes would reallocate", klen, n, vcap)
				}
			}
		}
	}
	if got := payloadCap(10+maxPayload+5000, 10); got != maxPayload {
		t.Errorf("payloadCap past the limit = %d, want %d", got, uint32(maxPayload))
	}
	if got := allocSize(5, 0, 0); got != 6 {
		t.Errorf("allocSize(5, 0, 0) = %d, want 6: an inline entry has at least one byte of capacity", got)
	}
}

// TestGrowthIsGeometric follows growString's capacity arithmetic through
// APPENDs of 1 KiB and of 1 MiB up to the 4 GiB limit, without allocating:
// the bytes copied by reallocations must stay within a constant factor of
// the final length (linear time overall), and the slack within a quarter.
func TestGrowthIsGeometric(t *testing.T) {
	for _, chunk := range []int{1 << 10, 1 << 20} {
		vlen, vcap, copied, reallocs := 0, 0, 0, 0
		for vlen+chunk <= maxPayload {
			n := vlen + chunk
			if n > vcap {
				copied += vlen
				reallocs++
				vcap = allocSize(0, vlen, n-vlen+growthSpare(n))
			}
			vlen = n
			if vlen > 1<<20 && vcap-vlen > max(1<<20, vlen/4)+chunk {
				t.Fatalf("chunk %d: slack %d at length %d, want at most a quarter", chunk, vcap-vlen, vlen)
			}
		}
		if copied > 5*vlen {
			t.Errorf("chunk %d: %d bytes copied to build %d, want at most 5×", chunk, copied, vlen)
		}
		if reallocs > 100 {
			t.Errorf("chunk %d: %d reallocations to build %d bytes", chunk, reallocs, vlen)
		}
		t.Logf("chunk %d: %d reallocations, %.2f bytes copied per byte", chunk, reallocs, float64(copied)/float64(vlen))
	}
}

// TestSizeClasses checks the table store allocates small buffers by: each
// entry holds its size, and is a size class itself, so that make of it
// allocates exactly that much.
func TestSizeClasses(t *testing.T) {
	for n := 1; n < len(sizeClasses); n++ {
		c := int(sizeClasses[n])
		if c < n || cap(slices.Grow([]byte(nil), c)) != c {
			t.Fatalf("sizeClasses[%d] = %d, not the size class of %d", n, c, n)
		}
	}
}
