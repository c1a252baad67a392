// Package bench holds Redoubt's benchmarks; it has no API.
//
// The Go benchmarks (go test -bench . ./bench/, or make bench) measure the
// store's hot paths through its exported API (BenchmarkStore) and the whole
// request path of an in-process server over loopback TCP (BenchmarkServer,
// BenchmarkServerAllocs): pre-encoded pipelined batches are written and the
// replies read by a client that allocates nothing, so allocation counts are
// the server's.
//
// The side-by-side comparisons with a real redis-server live in
// bench/vsredis (throughput and latency of redis-benchmark's tests and of
// commands on big collections, memory per string key and per collection
// element; make bench-vs-redis) and bench/bigmem (memory for big values and replies, and
// how soon it is given back; make bench-memory).
package bench
