package bench

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/redoubt-db/redoubt/bench/internal/wire"
)

// The cost of ACL checks on the request path: GET and SET as the default
// user (whom the dispatcher does not check) and as an ACL user limited to
// bench:* keys and to commands outside @dangerous (checked on every
// command: its command bits, then its key against the pattern), on the
// same keys and values. make bench-vs-redis compares the same pair of users
// against Redis (bench/vsredis, the *-acl tests); this in-process pair
// shows the checks' own cost without redis-benchmark's noise.

// aclBenchRules are the ACL user's rules, as bench/vsredis's.
var aclBenchRules = []string{"~bench:*", "+@all", "-@dangerous"}

const aclBenchPassword = "bench-acl-password-0123456789abcdef"

// benchKeyLen is the length of the keys of the ACL benchmarks: "bench:" and
// twelve digits.
const benchKeyLen = 18

func appendBenchGet(dst []byte, i int) []byte {
	var kb [benchKeyLen]byte
	dst = wire.AppendArray(dst, 2)
	dst = wire.AppendBulkString(dst, "GET")
	return wire.AppendBulk(dst, putKey(kb[:], "bench:", i))
}

func appendBenchSet(dst []byte, i int) []byte {
	var kb [benchKeyLen]byte
	dst = wire.AppendArray(dst, 3)
	dst = wire.AppendBulkString(dst, "SET")
	dst = wire.AppendBulk(dst, putKey(kb[:], "bench:", i))
	return wire.AppendBulk(dst, benchValue)
}

var aclCommands = []serverCommand{
	{name: "GET", encode: appendBenchGet, preload: appendBenchSet},
	{name: "SET", encode: appendBenchSet},
}

// loginACLUser creates the ACL user on c's server (c is the default user)
// and returns a new connection logged in as it.
func loginACLUser(tb testing.TB, c *benchConn, dialNew func() *benchConn) *benchConn {
	tb.Helper()
	args := append([]string{"ACL", "SETUSER", "bench", "reset", "on", ">" + aclBenchPassword}, aclBenchRules...)
	if errReply, err := c.roundTrip(wire.AppendCommand(nil, args...), 1); err != nil || errReply != "" {
		tb.Fatalf("ACL SETUSER: %q, %v", errReply, err)
	}
	u := dialNew()
	if errReply, err := u.roundTrip(wire.AppendCommand(nil, "AUTH", "bench", aclBenchPassword), 1); err != nil || errReply != "" {
		tb.Fatalf("AUTH bench: %q, %v", errReply, err)
	}
	// The user is confined: a key outside its pattern is refused.
	if errReply, err := u.roundTrip(wire.AppendCommand(nil, "GET", "key:1"), 1); err != nil || errReply == "" {
		tb.Fatalf("GET key:1 as bench: %q, %v; want NOPERM", errReply, err)
	}
	return u
}

// BenchmarkServerACL measures GET and SET, pipelined 1 and 16 deep, as the
// default user and as the ACL user, with the server's allocations per
// command.
func BenchmarkServerACL(b *testing.B) {
	srv := startServer(b)
	admin := dial(b, srv)
	user := loginACLUser(b, admin, func() *benchConn { return dial(b, srv) })
	for _, cmd := range aclCommands {
		for _, depth := range []int{1, 16} {
			for _, as := range []struct {
				name string
				c    *benchConn
			}{{"default", admin}, {"acl-user", user}} {
				b.Run(fmt.Sprintf("%s/pipeline=%d/%s", cmd.name, depth, as.name), func(b *testing.B) {
					r := prepare(b, as.c, cmd)
					as.c.run(b, r, depth, ringSize)
					runtime.GC()
					var before, after runtime.MemStats
					runtime.ReadMemStats(&before)
					b.ResetTimer()
					as.c.run(b, r, depth, b.N)
					b.StopTimer()
					runtime.ReadMemStats(&after)
					b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N), "allocs/cmd")
				})
			}
		}
	}
}

// TestServerACLCommands runs the ACL benchmark's commands once round the
// ring as the ACL user, so that its set-up and commands are checked by go
// test.
func TestServerACLCommands(t *testing.T) {
	srv := startServer(t)
	admin := dial(t, srv)
	user := loginACLUser(t, admin, func() *benchConn { return dial(t, srv) })
	for _, cmd := range aclCommands {
		r := prepare(t, user, cmd)
		user.run(t, r, 16, ringSize)
	}
}
