package bench

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/redoubt-db/redoubt/bench/internal/wire"
	"github.com/redoubt-db/redoubt/server"
)

// startUnixServer starts an in-process server that also listens on a Unix
// socket of mode 0700 in a fresh directory, and returns it with the
// socket's path.
func startUnixServer(tb testing.TB) (*server.Server, string) {
	tb.Helper()
	dir, err := os.MkdirTemp("", "unix10-bench-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "s.sock")
	srv, err := server.New(server.Config{UnixSocket: path, UnixSocketPerm: 0o700})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close() })
	return srv, path
}

// dialUnix connects to the Unix socket at path.
func dialUnix(tb testing.TB, path string) *benchConn {
	tb.Helper()
	nc, err := net.Dial("unix", path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { nc.Close() })
	return &benchConn{nc: nc, rd: wire.NewReader(nc, 64*1024)}
}

// unixCommands are the commands of the Unix socket benchmarks: GET and SET,
// as bench/vsredis runs over the socket.
func unixCommands(tb testing.TB) []serverCommand {
	var cmds []serverCommand
	for _, c := range serverCommands {
		if slices.Contains([]string{"GET", "SET"}, c.name) {
			cmds = append(cmds, c)
		}
	}
	if len(cmds) != 2 {
		tb.Fatalf("serverCommands has %d of GET and SET", len(cmds))
	}
	return cmds
}

// BenchmarkServerUnix is BenchmarkServer's GET and SET over the same
// server's TCP listener and its Unix socket, side by side, with the
// server's allocations per command: a Unix client's connection is a small
// wrapper (server/unix.go) that must cost nothing on the request path.
func BenchmarkServerUnix(b *testing.B) {
	srv, path := startUnixServer(b)
	for _, cmd := range unixCommands(b) {
		for _, depth := range []int{1, 16} {
			for _, network := range []string{"tcp", "unix"} {
				b.Run(fmt.Sprintf("%s/pipeline=%d/%s", cmd.name, depth, network), func(b *testing.B) {
					c := dial(b, srv)
					if network == "unix" {
						c = dialUnix(b, path)
					}
					r := prepare(b, c, cmd)
					c.run(b, r, depth, ringSize)
					runtime.GC()
					var before, after runtime.MemStats
					runtime.ReadMemStats(&before)
					b.ResetTimer()
					c.run(b, r, depth, b.N)
					b.StopTimer()
					runtime.ReadMemStats(&after)
					b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N), "allocs/cmd")
				})
			}
		}
	}
}

// TestServerCommandsUnix runs GET and SET once round the ring over the
// Unix socket, and checks that GET allocates nothing there either.
func TestServerCommandsUnix(t *testing.T) {
	_, path := startUnixServer(t)
	for _, cmd := range unixCommands(t) {
		c := dialUnix(t, path)
		r := prepare(t, c, cmd)
		c.run(t, r, 16, ringSize)
		if cmd.name != "GET" || testing.Short() {
			continue
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		c.run(t, r, 16, ringSize)
		runtime.ReadMemStats(&after)
		// A few for the runtime's and the cron's own work at most: not
		// one per command, nor one per batch of 16.
		if n := after.Mallocs - before.Mallocs; n > ringSize/64 {
			t.Errorf("GET over the Unix socket: %d allocations for %d commands", n, ringSize)
		}
	}
}
