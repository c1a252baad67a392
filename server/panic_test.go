package server

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// armPanics makes the command name panic, for the rest of the test, when
// its first argument is "panic:<v>": with the string v, or with an error
// ("panic:error"), nil ("panic:nil") or a runtime error ("panic:index").
// Other calls run the command as usual.
//
// The command is wrapped in place rather than a test-only command added to
// the table, because everything that lists the table (COMMAND COUNT, LIST and
// DOCS, INFO commandstats, the README check) would then see it. Call it before
// starting the test's server: the server is closed, and its goroutines gone,
// before the command is restored. A test that arms a command must not call
// t.Parallel, since the wrapper is shared by every server in the process.
func armPanics(t *testing.T, name string) {
	t.Helper()
	initCommands()
	cmd := commands.byName[name]
	if cmd == nil {
		t.Fatalf("no command %q to arm", name)
	}
	orig := cmd.Run
	cmd.Run = func(c *client, args [][]byte) {
		if len(args) > 1 {
			if v, ok := strings.CutPrefix(string(args[1]), "panic:"); ok {
				switch v {
				case "nil":
					panic(nil)
				case "error":
					panic(errors.New("armed error value"))
				case "index":
					var s []int
					_ = s[len(args)] // a runtime error, as a real bug would be
				default:
					panic(v)
				}
			}
		}
		orig(c, args)
	}
	t.Cleanup(func() { cmd.Run = orig })
}

// expectDropped sends in, a batch with a command that panics, and checks
// that the server closes the connection. The batch's replies die with the
// connection, as after a protocol error nothing is promised past the
// failure, so what the server sent first does not matter.
func (c *rawConn) expectDropped(in string) {
	c.t.Helper()
	c.write(in)
	if got, err := readUntilClosed(c.nc); !isClosed(err) {
		c.t.Fatalf("after %q: read %q, error %v; want the connection closed", in, got, err)
	}
}

// TestPanicIsolation checks that a command that panics closes only its own
// connection: other clients, connected before or after, keep working, the
// database lock the command held is released, the connection is removed
// from the server, and the panic is logged with its stack.
func TestPanicIsolation(t *testing.T) {
	armPanics(t, "echo") // runs with no lock held
	armPanics(t, "get")  // runs holding the selected database's lock
	s, logs := startRobustServer(t, Config{})
	other := dialRaw(t, s) // connected before any panic, kept throughout
	tests := []struct {
		name string
		in   string
		log  string // what the log must show
	}{
		{"panic with a string", "ECHO panic:boom1\r\n", "after an internal error: boom1"},
		{"panic with an error", "ECHO panic:error\r\n", "after an internal error: armed error value"},
		{"panic with nil", "ECHO panic:nil\r\n", "after an internal error: panic called with nil argument"},
		{"runtime error", "ECHO panic:index\r\n", "after an internal error: runtime error: index out of range"},
		{"panic holding the database lock", "GET panic:boom2\r\n", "after an internal error: boom2"},
		{"panic after SELECT", "SELECT 3\r\nGET panic:boom3\r\n", "after an internal error: boom3"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dialRaw(t, s).expectDropped(tt.in)
			if log := logs.String(); !strings.Contains(log, tt.log) || !strings.Contains(log, "panic_test.go") {
				t.Errorf("after %q the log lacks %q or the panic's stack:\n%s", tt.in, tt.log, log)
			}
			// A client connected before and a new one both work,
			// including on the database the panicking command locked.
			key := fmt.Sprintf("p%d", i)
			in := bulk("SET", key, "v") + bulk("GET", key)
			other.write(in)
			other.expectReply(in, "+OK\r\n$1\r\nv\r\n")
			checkHealthy(t, s, key)
			c3 := dialRaw(t, s)
			in = "SELECT 3\r\n" + bulk("SET", key, "w") + bulk("GET", key)
			c3.write(in)
			c3.expectReply(in, "+OK\r\n+OK\r\n$1\r\nw\r\n")
		})
	}
}

// TestPanicMidPipeline checks what a pipeline's commands did when one in the
// middle panics: those before it took effect, those after it did not run.
func TestPanicMidPipeline(t *testing.T) {
	armPanics(t, "get")
	s, _ := startRobustServer(t, Config{})
	dialRaw(t, s).expectDropped(bulk("SET", "a", "1") + "GET panic:mid\r\n" + bulk("SET", "a", "2") + bulk("SET", "b", "2"))
	check := dialRaw(t, s)
	q := bulk("GET", "a") + bulk("GET", "b")
	check.write(q)
	check.expectReply(q, "$1\r\n1\r\n$-1\r\n")
}

// TestPanicCleanup checks that many panicking connections leave nothing
// behind: each is removed from the server's connection table.
func TestPanicCleanup(t *testing.T) {
	armPanics(t, "get")
	s, _ := startRobustServer(t, Config{})
	keep := dialRaw(t, s)
	keep.write("PING\r\n")
	keep.expectReply("PING", "+PONG\r\n")
	for i := range 50 {
		c := dialRaw(t, s)
		c.expectDropped(fmt.Sprintf("PING\r\nGET panic:n%d\r\n", i))
		c.nc.Close()
	}
	var n int
	if !waitUntil(ioTimeout, func() bool {
		s.connsMu.Lock()
		n = len(s.conns)
		s.connsMu.Unlock()
		return n == 1
	}) {
		t.Fatalf("after 50 panics the server has %d connections, want 1", n)
	}
	keep.write("PING\r\n")
	keep.expectReply("PING", "+PONG\r\n")
}
