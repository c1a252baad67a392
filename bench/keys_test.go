package bench

// keyLen is the length of the keys the benchmarks use: "key:" and twelve
// digits, as redis-benchmark's "key:__rand_int__" expands.
const keyLen = 16

// putKey writes prefix and i as twelve zero-padded digits into dst, which
// must have room for them, and returns the written part. It does not
// allocate, so loops can make a fresh key per iteration.
func putKey(dst []byte, prefix string, i int) []byte {
	n := copy(dst, prefix)
	for j := n + 11; j >= n; j-- {
		dst[j] = byte('0' + i%10)
		i /= 10
	}
	return dst[:n+12]
}
