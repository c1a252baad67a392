package server

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSetBadInput sends the set commands counts, limits and cursors at the
// edges of the integer range (the "Bad input" list, CVE-2023-25155
// for SRANDMEMBER), checks Redis 7.0's replies, and that the server keeps
// serving.
func TestSetBadInput(t *testing.T) {
	srv := tcStart(t, Config{})
	c := tcDial(t, srv)
	if n := c.integer("SADD", "s", "a", "b", "c"); n != 3 {
		t.Fatalf("SADD = %d", n)
	}
	const rangeErr = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
	for _, tc := range []struct {
		args []string
		want string // the reply's kind and text, or its length for arrays
	}{
		{[]string{"SRANDMEMBER", "s", "-9223372036854775808"}, "-" + rangeErr},
		{[]string{"SRANDMEMBER", "s", "9223372036854775808"}, "-ERR value is not an integer or out of range"},
		{[]string{"SRANDMEMBER", "s", "9223372036854775807"}, "*3"},
		{[]string{"SRANDMEMBER", "missing", "-9223372036854775807"}, "*0"},
		{[]string{"SPOP", "missing", "9223372036854775807"}, "*0"},
		{[]string{"SPOP", "s", "-9223372036854775808"}, "-ERR value is out of range, must be positive"},
		{[]string{"SINTERCARD", "9223372036854775807", "s"}, "-ERR Number of keys can't be greater than number of args"},
		{[]string{"SINTERCARD", "-9223372036854775808", "s"}, "-ERR numkeys should be greater than 0"},
		{[]string{"SINTERCARD", "1", "s", "LIMIT", "9223372036854775807"}, ":3"},
		{[]string{"SINTERCARD", "1", "s", "LIMIT", "-9223372036854775808"}, "-ERR LIMIT can't be negative"},
		{[]string{"SSCAN", "s", "18446744073709551615", "COUNT", "9223372036854775807"}, "*2"},
		{[]string{"SSCAN", "s", "18446744073709551616"}, "-ERR invalid cursor"},
		{[]string{"SPOP", "s", "9223372036854775807"}, "*3"},
	} {
		v := c.do(tc.args...)
		got := string(v.Kind) + v.Str
		if v.Kind == '*' {
			got = "*" + strconv.Itoa(len(v.Elems))
		}
		if got != tc.want {
			t.Errorf("%q = %s, want %s", tc.args, got, tc.want)
		}
	}
}

// TestSrandmemberHugeNegativeCount asks for 2^63-1 members with repetition:
// Redis streams such a reply until the client's output limit closes the
// connection. Redoubt stops once randReplyLimit bytes are pending and
// closes the connection after them, allocating nothing from the count;
// the server keeps serving others.
func TestSrandmemberHugeNegativeCount(t *testing.T) {
	old := randReplyLimit.Load()
	randReplyLimit.Store(1 << 20)
	t.Cleanup(func() { randReplyLimit.Store(old) })
	srv := tcStart(t, Config{})
	c := tcDial(t, srv)
	c.integer("SADD", "s", "a", "b")
	c.send("SRANDMEMBER", "s", "-9223372036854775807")
	c.nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c.nc)
	head, err := r.ReadString('\n')
	if err != nil || head != "*9223372036854775807\r\n" {
		t.Fatalf("header %q, %v", head, err)
	}
	n, err := io.Copy(io.Discard, r)
	if err != nil && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("reading the reply: %v after %d bytes", err, n)
	}
	if n < 1<<20 || n > 64<<20 {
		t.Errorf("got %d bytes before the close, want about 1 MiB", n)
	}
	if got := tcDial(t, srv).str("PING"); got != "PONG" {
		t.Errorf("PING after = %q", got)
	}
}

// TestSetBigReplies reads replies far larger than the output buffer's
// first chunk: SMEMBERS and SINTER write their length once the members
// are counted (a deferred header), in both protocols.
func TestSetBigReplies(t *testing.T) {
	srv := tcStart(t, Config{})
	c := tcDial(t, srv)
	const n = 60000
	for i := 0; i < n; i += 1000 {
		args := []string{"SADD", "big"}
		for j := i; j < i+1000; j++ {
			args = append(args, "member-with-some-length:"+strconv.Itoa(j))
		}
		c.integer(args...)
	}
	for _, proto := range []string{"2", "3"} {
		c.do("HELLO", proto)
		for _, cmd := range [][]string{{"SMEMBERS", "big"}, {"SINTER", "big", "big"}, {"SUNION", "big"}} {
			v := c.do(cmd...)
			seen := map[string]bool{}
			for _, e := range v.Elems {
				seen[e.Str] = true
			}
			want := byte('*')
			if proto == "3" {
				want = '~'
			}
			if v.Kind != want || len(v.Elems) != n || len(seen) != n {
				t.Errorf("RESP%s %q: kind %c, %d elements, %d distinct; want %c and %d", proto, cmd, v.Kind, len(v.Elems), len(seen), want, n)
			}
		}
	}
	if got := c.str("PING"); got != "PONG" {
		t.Errorf("PING after = %q", got)
	}
}
