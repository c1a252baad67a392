package conformance

import (
	"bufio"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/server"
)

// dialSlow connects to addr with a receive buffer of a few kilobytes, so
// that what the client does not read stays in the server's output rather
// than in its own socket, which Linux grows to 32 MB.
func dialSlow(t *testing.T, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		if err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		}); err != nil {
			return err
		}
		return serr
	}}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return nc
}

// readUntilClosed reads what the server sends for up to d, and reports
// how many bytes came and whether the server closed the connection.
func readUntilClosed(nc net.Conn, d time.Duration) (int64, bool) {
	nc.SetReadDeadline(time.Now().Add(d))
	n, err := io.Copy(io.Discard, bufio.NewReaderSize(nc, 1<<20))
	if err == nil {
		return n, true // EOF
	}
	var ne net.Error
	if ok := errorsAs(err, &ne); ok && ne.Timeout() {
		return n, false
	}
	return n, true // a reset
}

func errorsAs(err error, target *net.Error) bool {
	ne, ok := err.(net.Error)
	if ok {
		*target = ne
	}
	return ok
}

// TestOutputLimitMatchesRedis runs the same steps against a redis-server
// and a Redoubt and compares the outcome for a client at its
// client-output-buffer-limit: whether it is closed, what it received, and
// the log line each server writes ("Client … scheduled to be closed ASAP
// for overcoming of output buffer limits." when a reply passes the hard
// limit, "… closed for overcoming …" when the cron finds a client over its
// soft limit for too long), for a client's own reply and for a subscriber
// that does not read while a publisher floods its channel. Redis 7.0 does
// not count these closures in
// INFO (7.4 does, in client_output_buffer_limit_disconnections): Redoubt's
// counter must grow by the lines Redis logs.
func TestOutputLimitMatchesRedis(t *testing.T) {
	bin := requireTool(t, "redis-server")
	redisLog := filepath.Join(t.TempDir(), "redis.log")
	rs, err := startRedis(bin, []string{"--logfile", redisLog})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rs.stop)
	var logs lockedBuffer
	srv, err := server.New(server.Config{LogOutput: &logs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	readRedisLog := func() string {
		b, _ := os.ReadFile(redisLog)
		return string(b)
	}
	type target struct {
		name string
		addr string
		log  func() string
	}
	targets := []target{{"Redis", rs.addr, readRedisLog}, {"Redoubt", srv.Addr(), logs.String}}

	type outcome struct {
		received int64 // -1: not compared
		closed   bool
		logged   string // the suffix of the new log line, if any
	}
	const scheduled = " scheduled to be closed ASAP for overcoming of output buffer limits."
	const closedNow = " closed for overcoming of output buffer limits."
	logLine := func(before, after string) string {
		var found []string
		for _, l := range strings.Split(strings.TrimPrefix(after, before), "\n") {
			if i := strings.Index(l, " # Client id="); i >= 0 {
				switch {
				case strings.HasSuffix(l, scheduled):
					found = append(found, scheduled)
				case strings.HasSuffix(l, closedNow):
					found = append(found, closedNow)
				}
			}
		}
		return strings.Join(found, "|")
	}

	const bigLen = 16 << 20
	cases := []struct {
		name   string
		limits string
		slow   bool // the client's socket takes little it does not read
		// run sends the client's request on nc (to the server at addr)
		// and returns what it saw.
		run func(t *testing.T, nc net.Conn, addr string) (int64, bool)
	}{
		{"reply past the hard limit", "normal 1mb 0 0", false, func(t *testing.T, nc net.Conn, _ string) (int64, bool) {
			io.WriteString(nc, "PING\r\nGET big\r\n")
			return readUntilClosed(nc, 5*time.Second)
		}},
		{"reply under the hard limit", "normal 32mb 0 0", false, func(t *testing.T, nc net.Conn, _ string) (int64, bool) {
			io.WriteString(nc, "GET big\r\nQUIT\r\n")
			return readUntilClosed(nc, 10*time.Second)
		}},
		{"unread reply over the soft limit for its seconds", "normal 0 1mb 1", true, func(t *testing.T, nc net.Conn, _ string) (int64, bool) {
			io.WriteString(nc, "GET big\r\n")
			time.Sleep(4 * time.Second)
			_, closed := readUntilClosed(nc, 10*time.Second)
			return -1, closed
		}},
		{"unread reply over the soft limit for less than its seconds", "normal 0 1mb 10", true, func(t *testing.T, nc net.Conn, _ string) (int64, bool) {
			io.WriteString(nc, "GET big\r\n")
			time.Sleep(3 * time.Second)
			io.WriteString(nc, "QUIT\r\n")
			return readUntilClosed(nc, 10*time.Second)
		}},
		{"subscriber that never reads, flooded", "pubsub 32mb 8mb 60", true, func(t *testing.T, nc net.Conn, addr string) (int64, bool) {
			io.WriteString(nc, "SUBSCRIBE flood\r\n")
			pub := newClient(t, addr)
			msg := strings.Repeat("m", 16<<10)
			for i := 0; i < 10000; i++ { // 160 MB, five times the limit
				if v := mustDo(t, pub, "PUBLISH", "flood", msg); v.Kind != ':' || v.Str == "0" {
					break
				}
			}
			_, closed := readUntilClosed(nc, 10*time.Second)
			return -1, closed
		}},
		{"subscriber over the soft limit for its seconds", "pubsub 0 1mb 1", true, func(t *testing.T, nc net.Conn, addr string) (int64, bool) {
			io.WriteString(nc, "SUBSCRIBE flood\r\n")
			pub := newClient(t, addr)
			msg := strings.Repeat("m", 16<<10)
			for i := 0; i < 512; i++ { // 8 MB, which the sockets cannot take
				mustDo(t, pub, "PUBLISH", "flood", msg)
			}
			time.Sleep(3 * time.Second)
			_, closed := readUntilClosed(nc, 10*time.Second)
			return -1, closed
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got [2]outcome
			redoubtAdmin := newClient(t, srv.Addr())
			counter := func() int64 {
				n, err := strconv.ParseInt(infoField(t, redoubtAdmin, "stats", "client_output_buffer_limit_disconnections"), 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			before := counter()
			for i, tg := range targets {
				admin := newClient(t, tg.addr)
				mustDo(t, admin, "SETRANGE", "big", strconv.Itoa(bigLen-1), "x")
				if v := mustDo(t, admin, "CONFIG", "SET", "client-output-buffer-limit", tc.limits); v.Str != "OK" {
					t.Fatalf("%s: CONFIG SET = %v", tg.name, v)
				}
				logBefore := tg.log()
				var nc net.Conn
				if tc.slow {
					nc = dialSlow(t, tg.addr)
				} else {
					var err error
					if nc, err = net.DialTimeout("tcp", tg.addr, 5*time.Second); err != nil {
						t.Fatal(err)
					}
					defer nc.Close()
				}
				received, closed := tc.run(t, nc, tg.addr)
				// The line may come a moment after the close.
				var line string
				for deadline := time.Now().Add(time.Second); ; time.Sleep(20 * time.Millisecond) {
					if line = logLine(logBefore, tg.log()); line != "" || !closed || time.Now().After(deadline) {
						break
					}
				}
				got[i] = outcome{received, closed, line}
				mustDo(t, admin, "CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0 pubsub 32mb 8mb 60")
			}
			t.Logf("Redis: %+v", got[0])
			if got[0] != got[1] {
				t.Errorf("Redis: %+v\nRedoubt: %+v", got[0], got[1])
			}
			want := int64(0)
			if got[0].logged != "" {
				want = int64(len(strings.Split(got[0].logged, "|")))
			}
			if n := counter() - before; n != want {
				t.Errorf("client_output_buffer_limit_disconnections grew by %d; Redis logged %d closures", n, want)
			}
		})
	}
}
