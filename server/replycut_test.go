package server

import (
	"io"
	"strings"
	"testing"
	"time"
)

// TestRandomRepliesCutWhenMuted checks that the endless replies of
// SRANDMEMBER and ZRANDMEMBER with a count near LONG_MIN end under CLIENT
// REPLY OFF too, where no output piles up to stop them: the elements are
// counted, the connection closes, and the server goes on serving. Before,
// such a command looped under the store's lock for ever.
func TestRandomRepliesCutWhenMuted(t *testing.T) {
	old := randReplyLimit.Load()
	randReplyLimit.Store(1 << 20)
	t.Cleanup(func() { randReplyLimit.Store(old) })
	srv := tcStart(t, Config{})
	setup := tcDial(t, srv)
	setup.integer("SADD", "s", "a", "b", "c")
	setup.integer("SADD", "si", "1", "2", "3")
	setup.integer("ZADD", "z", "1", "a", "2", "b")
	for _, args := range [][]string{
		{"SRANDMEMBER", "s", "-9223372036854775807"},
		{"SRANDMEMBER", "si", "-9223372036854775807"},
		{"ZRANDMEMBER", "z", "-9223372036854775807"},
		{"ZRANDMEMBER", "z", "-4611686018427387903", "WITHSCORES"},
	} {
		c := tcDial(t, srv)
		c.send("CLIENT", "REPLY", "OFF")
		c.send(args...)
		c.nc.SetReadDeadline(time.Now().Add(60 * time.Second))
		n, err := io.Copy(io.Discard, c.nc)
		if err != nil && !strings.Contains(err.Error(), "reset") {
			t.Fatalf("%v under CLIENT REPLY OFF: %v after %d bytes (the connection should close)", args, err, n)
		}
		if n != 0 {
			t.Errorf("%v under CLIENT REPLY OFF sent %d bytes", args, n)
		}
		if got := tcDial(t, srv).str("PING"); got != "PONG" {
			t.Fatalf("after %v: PING = %q", args, got)
		}
	}
}
