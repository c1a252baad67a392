// Package conformance checks that Redoubt answers like Redis, byte for byte.
//
// The scripts in testdata/*.txt hold commands and the replies a real
// redis-server gave to them (see script for the format). Two tests replay
// them:
//
//   - TestRedoubt runs every script against an embedded Redoubt server and
//     compares each reply with the recorded one. It needs nothing installed.
//   - TestRedis runs every script against a real redis-server started on a
//     free loopback port, proving the recordings are Redis's behaviour. It
//     is skipped when redis-server is missing, unless
//     REDOUBT_REQUIRE_REDIS=1 (as in CI), which turns the skip into a failure.
//
// When both pass, the two servers gave the same bytes for every command.
//
// With -unix (go test ./conformance -run 'TestRedoubt|TestRedis' -unix)
// both replay the scripts over each server's Unix socket instead of TCP,
// against the same recordings (made over TCP); scripts marked "#! tcp-only",
// whose replies show the client's address or flags, are skipped.
//
// Other tests ask both servers live: COMMAND INFO and DOCS of every table
// entry (command_test.go), key extraction, INCRBYFLOAT's formatting, and
// TestRandomCommandsMatchRedis, which sends one random stream of string and
// key commands to both, in RESP2 and RESP3, and compares every reply and
// the client-side caching invalidations a BCAST observer hears, and
// TestRandomProtocolMatchesRedis, which does the same with damaged requests
// (REDOUBT_RANDOM_SEED and REDOUBT_RANDOM_COUNT choose the streams).
//
// Protected mode is tested from addresses that are not local: a client bound
// to 127.0.0.2, and, on Linux as root, a client in a network namespace of its
// own joined to the host by a veth pair (netns_linux_test.go; it needs
// iproute2's ip, and under REDOUBT_REQUIRE_REDIS it fails rather than skips
// where it cannot build the namespace).
//
// To add a test, write commands into a script (a new file or an existing
// one) and run
//
//	go test ./conformance -run TestRedis -rewrite
//
// which records Redis's replies into the files; then make Redoubt pass
// TestRedoubt. Recordings never come from Redoubt.
package conformance
