package server

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Test-only commands that panic, registered in test builds only: the table
// is built once, by the first New, from what every init registered, so the
// commands exist in this package's tests and nowhere else.
func init() {
	registerCommands(
		&Command{Name: "debug-panic", Arity: -1, Lock: LockNone, Group: "server", Since: "0.0.0",
			Summary: "Test only: panics with its argument, or with an error or nil.",
			Run:     cmdDebugPanic},
		&Command{Name: "debug-panic-locked", Arity: -1, Lock: LockDB, Group: "server", Since: "0.0.0",
			Summary: "Test only: panics while holding the selected database's lock.",
			Run:     cmdDebugPanic},
	)
}

func cmdDebugPanic(c *Conn, args [][]byte) {
	if len(args) < 2 {
		panic("debug-panic")
	}
	switch v := string(args[1]); v {
	case "nil":
		panic(nil)
	case "error":
		panic(errors.New("debug-panic error value"))
	case "index":
		var s []int
		_ = s[len(args)] // a runtime error, as a real bug would be
	default:
		panic(v)
	}
}

// TestPanicIsolation checks that a command that panics closes only its own
// connection: other clients, connected before or after, keep working, the
// database lock the command held is released, the connection is removed
// from the server, and the panic is logged with its stack.
func TestPanicIsolation(t *testing.T) {
	s, logs := startRobustServer(t, Config{})
	other := dialRaw(t, s) // connected before any panic, kept throughout
	tests := []struct {
		name string
		in   string
		log  string // what the log must show
	}{
		{"panic with a string", "debug-panic boom1\r\n", "after an internal error: boom1"},
		{"panic with an error", "debug-panic error\r\n", "after an internal error: debug-panic error value"},
		{"panic with nil", "debug-panic nil\r\n", "after an internal error: panic called with nil argument"},
		{"runtime error", "debug-panic index\r\n", "after an internal error: runtime error: index out of range"},
		{"panic holding the database lock", "debug-panic-locked boom2\r\n", "after an internal error: boom2"},
		{"panic after SELECT", "SELECT 3\r\ndebug-panic-locked boom3\r\n", "after an internal error: boom3"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialRaw(t, s)
			c.write(tt.in)
			// The batch's replies die with the connection, as after a
			// protocol error nothing is promised past the failure.
			got, err := readUntilClosed(c.nc)
			if !isClosed(err) {
				t.Fatalf("after %q: read %q, error %v; want the connection closed", tt.in, got, err)
			}
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
	s, _ := startRobustServer(t, Config{})
	c := dialRaw(t, s)
	in := bulk("SET", "a", "1") + "debug-panic-locked mid\r\n" + bulk("SET", "a", "2") + bulk("SET", "b", "2")
	c.write(in)
	if _, err := readUntilClosed(c.nc); !isClosed(err) {
		t.Fatalf("after %q: error %v, want the connection closed", in, err)
	}
	check := dialRaw(t, s)
	q := bulk("GET", "a") + bulk("GET", "b")
	check.write(q)
	check.expectReply(q, "$1\r\n1\r\n$-1\r\n")
}

// TestPanicCleanup checks that many panicking connections leave nothing
// behind: each is removed from the server's connection table.
func TestPanicCleanup(t *testing.T) {
	s, _ := startRobustServer(t, Config{})
	keep := dialRaw(t, s)
	keep.write("PING\r\n")
	keep.expectReply("PING", "+PONG\r\n")
	for i := range 50 {
		c := dialRaw(t, s)
		in := fmt.Sprintf("PING\r\ndebug-panic-locked n%d\r\n", i)
		c.write(in)
		if _, err := readUntilClosed(c.nc); !isClosed(err) {
			t.Fatalf("after %q: error %v, want the connection closed", in, err)
		}
		c.nc.Close()
	}
	deadline := time.Now().Add(ioTimeout)
	for {
		s.connsMu.Lock()
		n := len(s.conns)
		s.connsMu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 50 panics the server has %d connections, want 1", n)
		}
		time.Sleep(time.Millisecond)
	}
	keep.write("PING\r\n")
	keep.expectReply("PING", "+PONG\r\n")
}
