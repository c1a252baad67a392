package conformance

import (
	"bufio"
	"net"
	"strconv"
	"testing"
	"time"
)

// TestProtectedModePasswordMatchesRedis: from 127.0.0.2, both servers deny
// a client while the default user has no password; setting requirepass
// lifts protected mode at once (the client is asked to authenticate, then
// served), and clearing it brings the refusal back. Every byte each server
// sends is compared.
func TestProtectedModePasswordMatchesRedis(t *testing.T) {
	redoubt, redis := startBoth(t)
	from := func(c *client, cmds ...[]string) string {
		t.Helper()
		d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
		nc, err := d.Dial("tcp", c.addr)
		if err != nil {
			t.Fatalf("dial from 127.0.0.2: %v", err)
		}
		defer nc.Close()
		other := &client{addr: c.addr, nc: nc, r: bufio.NewReader(nc)}
		var out string
		for _, cmd := range cmds {
			nc.Write(encodeCommand(toBytes(cmd)))
			data, closed := other.readAtLeast(1)
			out += strconv.Quote(string(data)) + " closed=" + strconv.FormatBool(closed) + "\n"
			if closed {
				break
			}
		}
		return out
	}
	const pw = "auth9-protected-lift-password"
	for _, step := range []struct {
		admin []string // run first from 127.0.0.1
		cmds  [][]string
	}{
		{nil, [][]string{{"PING"}}},
		{[]string{"CONFIG", "SET", "requirepass", pw}, [][]string{{"PING"}, {"AUTH", pw}, {"PING"}}},
		{[]string{"CONFIG", "SET", "requirepass", ""}, [][]string{{"PING"}}},
	} {
		var got [2]string
		for i, c := range []*client{redoubt, redis} {
			if step.admin != nil {
				if v := mustDo(t, c, step.admin...); v.Str != "OK" {
					t.Fatalf("server %d: %q = %v", i, step.admin, v)
				}
			}
			got[i] = from(c, step.cmds...)
		}
		if got[0] != got[1] {
			t.Errorf("after %q, from 127.0.0.2:\nRedoubt %s\nRedis   %s", step.admin, got[0], got[1])
		}
	}
}
