package lzf

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// samples returns inputs of several shapes: empty, tiny, repetitive,
// random, text-like, long runs and matches at the format's limits.
func samples() [][]byte {
	r := rand.New(rand.NewPCG(7, 9))
	rnd := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	small := func(n int) []byte { // few distinct bytes: many matches
		b := make([]byte, n)
		for i := range b {
			b[i] = "ab"[r.IntN(2)]
		}
		return b
	}
	var text []byte
	for i := range 2000 {
		text = append(text, []byte("element-")...)
		text = append(text, byte('0'+i%10), byte('0'+i/10%10), ' ')
	}
	far := append(rnd(100), rnd(maxOffset)...)
	far = append(far, far[:100]...) // a match exactly at and beyond reach
	return [][]byte{
		{}, {1}, {1, 2}, {1, 2, 3}, {0, 0, 0, 0},
		bytes.Repeat([]byte{'x'}, 1000),
		bytes.Repeat([]byte{'x'}, maxRef+1),
		bytes.Repeat([]byte("abc"), 10000),
		rnd(31), rnd(32), rnd(33), rnd(5000),
		small(10000), text, far,
		append(rnd(40), bytes.Repeat([]byte{7}, 300)...),
	}
}

// TestRoundTrip compresses and decompresses every sample and checks the
// result is the input, and that compressible inputs shrink.
func TestRoundTrip(t *testing.T) {
	for i, in := range samples() {
		out, ok := Compress(in, len(in)+len(in)/16+64)
		if len(in) == 0 {
			if ok {
				t.Fatalf("sample %d: empty input compressed", i)
			}
			continue
		}
		if !ok {
			t.Fatalf("sample %d (%d bytes): did not fit", i, len(in))
		}
		back, err := Decompress(out, len(in))
		if err != nil || !bytes.Equal(back, in) {
			t.Fatalf("sample %d: round trip failed: %v", i, err)
		}
		// A wrong size is an error, not a short or padded result.
		if _, err := Decompress(out, len(in)+1); err == nil {
			t.Fatalf("sample %d: decompressed into a larger size", i)
		}
		if _, err := Decompress(out, len(in)-1); err == nil {
			t.Fatalf("sample %d: decompressed into a smaller size", i)
		}
	}
	rep := bytes.Repeat([]byte("abc"), 10000)
	out, _ := Compress(rep, len(rep))
	if len(out) > len(rep)/50 {
		t.Fatalf("30000 repetitive bytes compressed to %d", len(out))
	}
}

// TestLimit checks Compress gives up when the output would exceed limit,
// and never returns more than limit bytes.
func TestLimit(t *testing.T) {
	for _, in := range samples() {
		full, ok := Compress(in, 1<<20)
		if !ok {
			continue
		}
		for _, limit := range []int{len(full), len(full) - 1, len(full) / 2, 1} {
			out, ok := Compress(in, limit)
			if ok != (limit >= len(full)) || len(out) > max(limit, 0) {
				t.Fatalf("limit %d of %d: ok %v len %d", limit, len(full), ok, len(out))
			}
		}
	}
}

// TestRandomRoundTrip round-trips random inputs with runs and repeats.
func TestRandomRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		var in []byte
		for len(in) < r.IntN(20000) {
			switch r.IntN(3) {
			case 0:
				in = append(in, byte(r.Uint32()))
			case 1:
				if len(in) > 0 {
					s := r.IntN(len(in))
					e := min(len(in), s+r.IntN(300))
					in = append(in, in[s:e]...)
				}
			default:
				in = append(in, bytes.Repeat([]byte{byte(r.Uint32())}, r.IntN(400))...)
			}
		}
		if len(in) == 0 {
			continue
		}
		out, ok := Compress(in, 2*len(in)+16)
		if !ok {
			t.Fatalf("%d bytes did not fit in twice their size", len(in))
		}
		back, err := Decompress(out, len(in))
		if err != nil || !bytes.Equal(back, in) {
			t.Fatalf("round trip of %d bytes failed: %v", len(in), err)
		}
	}
}

// TestCorrupt checks malformed streams are rejected.
func TestCorrupt(t *testing.T) {
	for _, c := range []struct {
		src  []byte
		size int
	}{
		{[]byte{5, 'a'}, 6},                 // literal past the input
		{[]byte{0, 'a', 0x20, 5}, 10},       // reference before the start
		{[]byte{0, 'a', 0xe0}, 10},          // long reference cut short
		{[]byte{0, 'a', 0x20}, 10},          // reference missing its offset
		{[]byte{0, 'a', 0x20, 0}, 3},        // reference past the output
		{[]byte{1, 'a', 'b'}, 1},            // literal past the output
		{[]byte{0, 'a', 0xe0, 255, 0}, 100}, // 264 bytes into 100
	} {
		if _, err := Decompress(c.src, c.size); err == nil {
			t.Errorf("%v into %d: no error", c.src, c.size)
		}
	}
	if _, err := Decompress(nil, -1); err == nil {
		t.Error("negative size accepted")
	}
	// A valid overlapping reference: "a" then 4 copies of it.
	got, err := Decompress([]byte{0, 'a', 0x40, 0}, 5)
	if err != nil || string(got) != "aaaaa" {
		t.Fatalf("overlapping reference: %q %v", got, err)
	}
}

// FuzzDecompress feeds arbitrary streams to the decompressor: it must not
// panic, and whatever it accepts must have exactly the size asked for.
func FuzzDecompress(f *testing.F) {
	for _, in := range samples() {
		if out, ok := Compress(in, 2*len(in)+16); ok {
			f.Add(out, uint16(len(in)))
		}
	}
	f.Add([]byte{0xe0, 0xff, 0xff}, uint16(300))
	f.Fuzz(func(t *testing.T, src []byte, size uint16) {
		out, err := Decompress(src, int(size))
		if err == nil && len(out) != int(size) {
			t.Fatalf("accepted with %d bytes, want %d", len(out), size)
		}
	})
}

// FuzzRoundTrip compresses arbitrary input and decompresses it back.
func FuzzRoundTrip(f *testing.F) {
	for _, in := range samples() {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, ok := Compress(in, len(in)+len(in)/16+64)
		if len(in) == 0 {
			return
		}
		if !ok {
			t.Fatalf("%d bytes did not fit", len(in))
		}
		back, err := Decompress(out, len(in))
		if err != nil || !bytes.Equal(back, in) {
			t.Fatalf("round trip failed: %v", err)
		}
	})
}

// BenchmarkCompress compresses an 8 KiB node's worth of text-like bytes.
func BenchmarkCompress(b *testing.B) {
	var in []byte
	for i := 0; len(in) < 8192; i++ {
		in = append(in, []byte("repetitive-element-")...)
		in = append(in, byte('0'+i%10), byte('0'+i/10%10), ' ')
	}
	b.SetBytes(int64(len(in)))
	for range b.N {
		Compress(in, len(in))
	}
}

// BenchmarkDecompress decompresses the same.
func BenchmarkDecompress(b *testing.B) {
	var in []byte
	for i := 0; len(in) < 8192; i++ {
		in = append(in, []byte("repetitive-element-")...)
		in = append(in, byte('0'+i%10), byte('0'+i/10%10), ' ')
	}
	out, _ := Compress(in, len(in))
	b.SetBytes(int64(len(in)))
	for range b.N {
		Decompress(out, len(in))
	}
}

// TestAppendCompress checks the prefix is kept and the limit counts only
// the compressed bytes.
func TestAppendCompress(t *testing.T) {
	in := bytes.Repeat([]byte("abcdef"), 100)
	alone, _ := Compress(in, len(in))
	out, ok := AppendCompress([]byte("head"), in, len(alone))
	if !ok || string(out[:4]) != "head" || !bytes.Equal(out[4:], alone) {
		t.Fatalf("AppendCompress = %q, %v", out, ok)
	}
	if _, ok := AppendCompress([]byte("head"), in, len(alone)-1); ok {
		t.Fatal("fit in one byte less than it needs")
	}
}
