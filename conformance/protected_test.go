package conformance

import (
	"bufio"
	"net"
	"strconv"
	"testing"
	"time"
)

// TestProtectedModeFromOtherLoopbackMatchesRedis connects to both servers
// from 127.0.0.2. Protected mode is on and no password is set, and Redis
// 7.0.15 counts only 127.0.0.1 and ::1 as local (it compares the address
// strings), so both must send the same DENIED error and close, and count the
// refusal in INFO's rejected_connections; a client from 127.0.0.1 is served.
func TestProtectedModeFromOtherLoopbackMatchesRedis(t *testing.T) {
	redoubt, redis := startBoth(t)
	var got [2]string
	for i, c := range []*client{redoubt, redis} {
		before, _ := strconv.Atoi(infoField(t, c, "stats", "rejected_connections"))
		d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
		nc, err := d.Dial("tcp", c.addr)
		if err != nil {
			t.Fatalf("dial from 127.0.0.2: %v", err)
		}
		other := &client{addr: c.addr, nc: nc}
		other.r = bufio.NewReader(nc)
		// Send a command: the refusal comes whatever the client says.
		nc.Write(encodeCommand(toBytes([]string{"PING"})))
		data, closed := other.readAtLeast(1)
		nc.Close()
		got[i] = strconv.Quote(string(data)) + " closed=" + strconv.FormatBool(closed)
		after, _ := strconv.Atoi(infoField(t, c, "stats", "rejected_connections"))
		if after != before+1 {
			t.Errorf("server %d: rejected_connections went from %d to %d", i, before, after)
		}
		if v := mustDo(t, c, "PING"); v.Str != "PONG" {
			t.Errorf("server %d: PING from 127.0.0.1 = %v", i, v)
		}
	}
	if got[0] != got[1] {
		t.Errorf("from 127.0.0.2:\nRedoubt %s\nRedis   %s", got[0], got[1])
	}
	if len(got[1]) < 20 || got[1][:8] != `"-DENIED` {
		t.Errorf("Redis did not deny 127.0.0.2: %s", got[1])
	}
}
