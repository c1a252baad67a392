package server

import (
	"bufio"
	"net"
	"strconv"
	"testing"
	"time"
)

// TestConfigSetBindSamePort changes bind on the port the server listens
// on, as redis-server 7.0.15 accepts: from the default "127.0.0.1 -::1" to
// 127.0.0.1 (the listener on 127.0.0.1 stays), to "* -::*" (which clashes
// with the old addresses on that port, so they are closed first, as Redis
// closes them) and back. A change that cannot be bound whole leaves the
// listeners as they were, also when old ones had to be closed to try it.
func TestConfigSetBindSamePort(t *testing.T) {
	// Protected mode off: binding every address with it on and no password
	// is refused (TestExposedWithoutProtectionRefused).
	s := tcStart(t, Config{InsecureDisableProtectedMode: true})
	c := tcDial(t, s)
	port := strconv.Itoa(s.Port())
	v4, v6 := net.JoinHostPort("127.0.0.1", port), net.JoinHostPort("::1", port)
	reachable := func(addr string) bool {
		nc, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		nc.Write([]byte("PING\r\n"))
		line, err := bufio.NewReader(nc).ReadString('\n')
		return err == nil && line == "+PONG\r\n"
	}
	// ::1 is optional in the default bind: check it only where it exists.
	hasV6 := reachable(v6)

	steps := []struct {
		bind       string
		reply      string
		v4, v6     bool // reachable afterwards
		configBind string
	}{
		{"127.0.0.1", "+OK", true, false, "[bind 127.0.0.1]"},
		{"127.0.0.1 -::1", "+OK", true, true, "[bind 127.0.0.1 -::1]"},
		{"* -::*", "+OK", true, true, "[bind * -::*]"},
		{"127.0.0.1 -::1", "+OK", true, true, "[bind 127.0.0.1 -::1]"},
	}
	for _, st := range steps {
		if got := c.do("CONFIG", "SET", "bind", st.bind).flat(); got != st.reply {
			t.Fatalf("CONFIG SET bind %q = %q, want %q", st.bind, got, st.reply)
		}
		if got := reachable(v4); got != st.v4 {
			t.Errorf("after CONFIG SET bind %q: %s reachable %v, want %v", st.bind, v4, got, st.v4)
		}
		if got := reachable(v6); hasV6 && got != st.v6 {
			t.Errorf("after CONFIG SET bind %q: %s reachable %v, want %v", st.bind, v6, got, st.v6)
		}
		if got := c.do("CONFIG", "GET", "bind").flat(); got != st.configBind {
			t.Errorf("after CONFIG SET bind %q: CONFIG GET bind = %q, want %q", st.bind, got, st.configBind)
		}
		if got := strconv.Itoa(s.Port()); got != port {
			t.Errorf("after CONFIG SET bind %q: Port() = %s, want %s", st.bind, got, port)
		}
	}

	// 127.0.0.2 is taken on this port: the change fails whole. The first
	// time ::1 is let go, and must be closed to try (a failure may come
	// from a clash with it) and then bound again; the second time only
	// 127.0.0.1 is there, and it stays.
	busy, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.2", port))
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	defer busy.Close()
	const failed = "-ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified addresses."
	for _, from := range []string{"127.0.0.1 -::1", "127.0.0.1"} {
		if got := c.do("CONFIG", "SET", "bind", from).flat(); got != "+OK" {
			t.Fatalf("CONFIG SET bind %q = %q", from, got)
		}
		if got := c.do("CONFIG", "SET", "bind", "127.0.0.1 127.0.0.2").flat(); got != failed {
			t.Errorf("from %q: CONFIG SET bind to a busy address = %q, want %q", from, got, failed)
		}
		if !reachable(v4) || (hasV6 && reachable(v6) != (from != "127.0.0.1")) {
			t.Errorf("from %q, after a failed CONFIG SET bind: %s reachable %v, %s %v", from, v4, reachable(v4), v6, reachable(v6))
		}
		if got, want := c.do("CONFIG", "GET", "bind").flat(), "[bind "+from+"]"; got != want {
			t.Errorf("from %q, after a failed CONFIG SET bind: CONFIG GET bind = %q, want %q", from, got, want)
		}
	}
	if got := c.str("PING"); got != "PONG" {
		t.Errorf("the first connection: PING = %q", got)
	}
}
