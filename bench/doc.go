// Package bench holds Redoubt's benchmarks; it has no API.
//
// The Go benchmarks (go test -bench . ./bench/, or make bench) measure the
// store's hot paths through its exported API (BenchmarkStore) and the whole
// request path of an in-process server over loopback TCP (BenchmarkServer,
// BenchmarkServerAllocs): pre-encoded pipelined batches are written and the
// replies read by a client that allocates nothing, so allocation counts are
// the server's.
//
// The side-by-side comparison with a real redis-server lives in
// bench/vsredis (make bench-vs-redis).
package bench
