package server

import (
	"math"
	"testing"
)

// TestReplyWriters checks every reply writer in both protocols. The RESP3
// forms are the RESP3 specification's; the doubles are what Redis 7.0.15
// sends for ZSCORE of the same values (recorded from a real server over a
// raw socket), in RESP3 and in RESP2.
func TestReplyWriters(t *testing.T) {
	s := &Server{}
	s.stats.errorCodes = map[string]int64{}
	tests := []struct {
		name         string
		write        func(c *client)
		resp2, resp3 string
	}{
		{"OK", func(c *client) { c.WriteOK() }, "+OK\r\n", "+OK\r\n"},
		{"simple", func(c *client) { c.WriteSimple("PONG") }, "+PONG\r\n", "+PONG\r\n"},
		{"int", func(c *client) { c.WriteInt(-42) }, ":-42\r\n", ":-42\r\n"},
		{"bulk", func(c *client) { c.WriteBulk([]byte("a\x00b")) }, "$3\r\na\x00b\r\n", "$3\r\na\x00b\r\n"},
		{"empty bulk", func(c *client) { c.WriteBulk(nil) }, "$0\r\n\r\n", "$0\r\n\r\n"},
		{"bulk int", func(c *client) { c.WriteBulkInt(math.MinInt64) }, "$20\r\n-9223372036854775808\r\n", "$20\r\n-9223372036854775808\r\n"},
		{"null", func(c *client) { c.WriteNull() }, "$-1\r\n", "_\r\n"},
		{"null array", func(c *client) { c.WriteNullArray() }, "*-1\r\n", "_\r\n"},
		{"array", func(c *client) { c.WriteArray(2) }, "*2\r\n", "*2\r\n"},
		{"map", func(c *client) { c.WriteMap(2) }, "*4\r\n", "%2\r\n"},
		{"set", func(c *client) { c.WriteSet(3) }, "*3\r\n", "~3\r\n"},
		{"push", func(c *client) { c.WritePush(3) }, "*3\r\n", ">3\r\n"},
		{"true", func(c *client) { c.WriteBool(true) }, ":1\r\n", "#t\r\n"},
		{"false", func(c *client) { c.WriteBool(false) }, ":0\r\n", "#f\r\n"},
		{"double", func(c *client) { c.WriteDouble(3.14) }, "$18\r\n3.1400000000000001\r\n", ",3.1400000000000001\r\n"},
		{"double 1", func(c *client) { c.WriteDouble(1) }, "$1\r\n1\r\n", ",1\r\n"},
		{"double -0.5", func(c *client) { c.WriteDouble(-0.5) }, "$4\r\n-0.5\r\n", ",-0.5\r\n"},
		{"double 1e300", func(c *client) { c.WriteDouble(1e300) }, "$23\r\n1.0000000000000001e+300\r\n", ",1.0000000000000001e+300\r\n"},
		{"double 1e-5", func(c *client) { c.WriteDouble(1e-5) }, "$22\r\n1.0000000000000001e-05\r\n", ",1.0000000000000001e-05\r\n"},
		{"double inf", func(c *client) { c.WriteDouble(math.Inf(1)) }, "$3\r\ninf\r\n", ",inf\r\n"},
		{"double -inf", func(c *client) { c.WriteDouble(math.Inf(-1)) }, "$4\r\n-inf\r\n", ",-inf\r\n"},
		{"verbatim", func(c *client) { c.WriteVerbatim("a\r\nb", "txt") }, "$4\r\na\r\nb\r\n", "=8\r\ntxt:a\r\nb\r\n"},
		{"error", func(c *client) { c.WriteError("ERR bad\r\nthing") }, "-ERR bad  thing\r\n", "-ERR bad  thing\r\n"},
	}
	for _, tt := range tests {
		for _, proto := range []int{2, 3} {
			c := &client{s: s, proto: proto}
			tt.write(c)
			want := tt.resp2
			if proto == 3 {
				want = tt.resp3
			}
			if string(c.out) != want {
				t.Errorf("%s in RESP%d = %q, want %q", tt.name, proto, c.out, want)
			}
		}
	}
}

// TestWriteErrorCountsByCode checks that error replies are counted for INFO
// errorstats by their first word, as Redis's afterErrorReply.
func TestWriteErrorCountsByCode(t *testing.T) {
	s := &Server{}
	s.stats.errorCodes = map[string]int64{}
	c := &client{s: s, proto: 2}
	c.WriteError("ERR syntax error")
	c.WriteError("WRONGTYPE Operation against a key holding the wrong kind of value")
	c.WriteError("ERR x")
	c.WriteError("NOSPACEINTHEFIRSTTHIRTYTWOBYTES_AT_ALL_HERE x")
	want := map[string]int64{"ERR": 3, "WRONGTYPE": 1}
	for code, n := range want {
		if got := s.stats.errorCodes[code]; got != n {
			t.Errorf("errorstat_%s = %d, want %d", code, got, n)
		}
	}
	if len(s.stats.errorCodes) != len(want) {
		t.Errorf("error codes = %v, want %v", s.stats.errorCodes, want)
	}
	if got := s.stats.errorReplies.Load(); got != 4 {
		t.Errorf("total_error_replies = %d, want 4", got)
	}
	if c.errors != 4 {
		t.Errorf("client.errors = %d, want 4", c.errors)
	}
}
