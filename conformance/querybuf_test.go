package conformance

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/server"
)

// TestQueryBufferLimitMatchesRedis sends requests around
// client-query-buffer-limit (1mb, its least value) to a redis-server and a
// Redoubt with that limit, each on a fresh connection, and compares what
// each sends back and whether it then closes the connection. Redis 7.0
// counts input not yet parsed into arguments and the big argument being
// read, not the arguments already parsed: a command larger than the limit
// runs, whether its arguments are big or small, and a client is closed for
// one bulk over the limit, or for more than the limit of input it has not
// processed yet (while blocked).
func TestQueryBufferLimitMatchesRedis(t *testing.T) {
	const limit = 1 << 20
	bin := requireTool(t, "redis-server")
	rs, err := startRedis(bin, []string{"--client-query-buffer-limit", "1mb"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rs.stop)
	srv, err := server.New(server.Config{ClientQueryBufferLimit: limit})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })

	cmd := func(args ...string) []byte {
		b := make([][]byte, len(args))
		for i, a := range args {
			b[i] = []byte(a)
		}
		return encodeCommand(b)
	}
	small := []string{"MSET"} // 1.5 MB of 20-byte values
	for i := range 40000 {
		small = append(small, fmt.Sprintf("s%05d", i), strings.Repeat("v", 20))
	}
	check := append(cmd("STRLEN", "k1"), cmd("STRLEN", "k2")...)
	tests := []struct {
		name string
		in   []byte
	}{
		{"MSET of two 900 KB values",
			append(cmd("MSET", "k1", strings.Repeat("a", 900<<10), "k2", strings.Repeat("b", 900<<10)), check...)},
		{"MSET of 1.5 MB of small arguments", append(cmd(small...), cmd("GET", "s39999")...)},
		{"SET of limit-2 bytes", append(cmd("SET", "k1", strings.Repeat("c", limit-2)), check...)},
		{"SET of limit-1 bytes", append(cmd("SET", "k2", strings.Repeat("d", limit-1)), check...)},
		// WAIT blocks (there are no replicas); the PINGs pile up unread.
		{"blocked client sent more than the limit",
			append([]byte("WAIT 1 0\r\n"), bytes.Repeat([]byte("PING\r\n"), limit/6+100)...)},
		{"blocked client sent less than the limit",
			append([]byte("WAIT 1 0\r\n"), bytes.Repeat([]byte("PING\r\n"), limit/6-100)...)},
	}
	// blocks reports whether a request parks the client (WAIT), so that
	// no final PONG comes.
	blocks := func(in []byte) bool { return bytes.HasPrefix(in, []byte("WAIT")) }
	type outcome struct {
		data   []byte
		closed bool
	}
	send := func(addr string, in []byte) outcome {
		c := &client{addr: addr}
		defer c.drop()
		if err := c.ensure(); err != nil {
			t.Fatal(err)
		}
		// A server that closes the connection makes the write fail; what
		// it sent before and the close are what is compared.
		// The request is a fresh copy: the writer of the previous send may
		// still be reading its own.
		msg := append(slices.Clip(in), "PING\r\n"...)
		go c.nc.Write(msg) // ends when written or the connection closes
		data, closed := c.readAll()
		// A loaded machine (the race detector, parallel packages) can
		// take longer than the quiet period to answer 1.5 MB: a reply
		// that has started but not reached the final PONG is waited
		// for, up to a bound.
		for deadline := time.Now().Add(10 * time.Second); !closed && !bytes.HasSuffix(data, []byte("+PONG\r\n")) &&
			!blocks(in) && time.Now().Before(deadline); {
			var more []byte
			more, closed = c.readAll()
			data = append(data, more...)
		}
		return outcome{data, closed}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := send(rs.addr, tt.in)
			got := send(srv.Addr(), tt.in)
			if string(got.data) != string(want.data) || got.closed != want.closed {
				t.Errorf("Redis: %.200q closed=%v\nRedoubt: %.200q closed=%v", want.data, want.closed, got.data, got.closed)
			}
		})
	}
}
