package server

import (
	"bufio"
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// hashTestServer starts a server holding a listpack hash "lp" of five
// fields and a hashtable hash "ht" of 600.
func hashTestServer(t *testing.T) (*Server, *tcConn) {
	t.Helper()
	srv := tcStart(t, Config{})
	c := tcDial(t, srv)
	c.do("HSET", "lp", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5")
	args := []string{"HSET", "ht"}
	for i := 0; i < 600; i++ {
		args = append(args, "field:"+strconv.Itoa(i), strconv.Itoa(i))
	}
	c.do(args...)
	if enc := c.str("OBJECT", "ENCODING", "ht"); enc != "hashtable" {
		t.Fatalf("OBJECT ENCODING ht = %q, want hashtable", enc)
	}
	return srv, c
}

// allocDuring returns how many bytes the process allocated while f ran.
func allocDuring(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHrandfieldCountLimits checks HRANDFIELD's counts at the limits of a
// long (CVE-2023-22458): the ones Redis refuses are refused with its
// errors, and the ones it accepts are served without allocating from the
// number.
func TestHrandfieldCountLimits(t *testing.T) {
	_, c := hashTestServer(t)
	const outOfRange = "-ERR value is out of range"
	tests := []struct {
		args []string
		want string // the flat reply, or its prefix when ending in "…"
	}{
		{[]string{"lp", "-9223372036854775808"}, outOfRange + ", value must between -9223372036854775807 and 9223372036854775807"},
		{[]string{"ht", "-9223372036854775808", "WITHVALUES"}, outOfRange + ", value must between -9223372036854775807 and 9223372036854775807"},
		{[]string{"lp", "9223372036854775808"}, "-ERR value is not an integer or out of range"},
		{[]string{"lp", "9223372036854775807", "WITHVALUES"}, outOfRange},
		{[]string{"ht", "-9223372036854775807", "WITHVALUES"}, outOfRange},
		{[]string{"lp", "4611686018427387904", "WITHVALUES"}, outOfRange},
		{[]string{"ht", "-4611686018427387904", "WITHVALUES"}, outOfRange},
		{[]string{"lp", "9223372036854775807"}, "[a b c d e]"},
		{[]string{"lp", "4611686018427387903", "WITHVALUES"}, "[a 1 b 2 c 3 d 4 e 5]"},
		{[]string{"missing", "9223372036854775807"}, "[]"},
		{[]string{"missing", "-9223372036854775807"}, "[]"},
	}
	for _, tt := range tests {
		var got string
		alloc := allocDuring(func() { got = c.do(append([]string{"HRANDFIELD"}, tt.args...)...).flat() })
		if got != tt.want {
			t.Errorf("HRANDFIELD %s = %s, want %s", strings.Join(tt.args, " "), got, tt.want)
		}
		if alloc > 1<<20 {
			t.Errorf("HRANDFIELD %s allocated %d bytes", strings.Join(tt.args, " "), alloc)
		}
	}
	v := c.do("HRANDFIELD", "ht", "9223372036854775807")
	if len(v.Elems) != 600 {
		t.Errorf("HRANDFIELD ht LONG_MAX returned %d fields, want the whole hash of 600", len(v.Elems))
	}
}

// TestHrandfieldEndlessReply checks that a negative count of nearly
// LONG_MIN, which Redis serves until memory runs out, is cut off at
// randReplyLimit: the connection closes after a bounded reply, nothing is
// allocated beyond it, and the server goes on serving.
func TestHrandfieldEndlessReply(t *testing.T) {
	old := randReplyLimit.Load()
	randReplyLimit.Store(1 << 20)
	t.Cleanup(func() { randReplyLimit.Store(old) })
	srv, _ := hashTestServer(t)
	for _, tt := range []struct {
		hello string
		args  []string
		mute  bool
	}{
		{"2", []string{"lp", "-9223372036854775807"}, false},
		{"2", []string{"ht", "-9223372036854775807"}, false},
		{"2", []string{"ht", "-4611686018427387903", "WITHVALUES"}, false},
		{"3", []string{"lp", "-4611686018427387903", "WITHVALUES"}, false},
		{"2", []string{"ht", "-9223372036854775807"}, true},
	} {
		c := tcDial(t, srv)
		c.do("HELLO", tt.hello)
		if tt.mute {
			c.send("CLIENT", "REPLY", "OFF")
		}
		var read int
		alloc := allocDuring(func() {
			c.send(append([]string{"HRANDFIELD"}, tt.args...)...)
			c.nc.SetReadDeadline(time.Now().Add(60 * time.Second))
			r := bufio.NewReader(c.nc)
			if !tt.mute {
				header, err := r.ReadString('\n')
				n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(header, "*")), 10, 64)
				if err != nil || header[0] != '*' || n < 4611686018427387903 {
					t.Fatalf("HRANDFIELD %v: header %q, %v", tt.args, header, err)
				}
			}
			n, err := io.Copy(io.Discard, r)
			read = int(n)
			if err != nil && !strings.Contains(err.Error(), "reset") {
				t.Fatalf("HRANDFIELD %v: reading the reply: %v after %d bytes", tt.args, err, n)
			}
		})
		if tt.mute && read != 0 {
			t.Errorf("HRANDFIELD %v under CLIENT REPLY OFF sent %d bytes", tt.args, read)
		}
		if read > 2<<20 {
			t.Errorf("HRANDFIELD %v sent %d bytes before closing, limit 1 MiB", tt.args, read)
		}
		if alloc > 64<<20 {
			t.Errorf("HRANDFIELD %v: %d bytes allocated for a reply cut at 1 MiB", tt.args, alloc)
		}
		if got := tcDial(t, srv).str("PING"); got != "PONG" {
			t.Fatalf("after HRANDFIELD %v: PING = %q", tt.args, got)
		}
	}
}

// TestHrandfieldReplyShapes checks the replies' shapes in both protocols
// and that the fields drawn belong to the hash, in both representations.
func TestHrandfieldReplyShapes(t *testing.T) {
	srv, _ := hashTestServer(t)
	for _, proto := range []string{"2", "3"} {
		c := tcDial(t, srv)
		c.do("HELLO", proto)
		for _, key := range []string{"lp", "ht"} {
			all := c.do("HGETALL", key)
			vals := map[string]string{}
			for i := 0; i+1 < len(all.Elems); i += 2 {
				vals[all.Elems[i].Str] = all.Elems[i+1].Str
			}
			for _, count := range []int{1, 3, -7, 4, 500, -1000} {
				v := c.do("HRANDFIELD", key, strconv.Itoa(count), "WITHVALUES")
				n := count
				if n < 0 {
					n = -n
				} else {
					n = min(n, len(vals))
				}
				var pairs [][2]string
				if proto == "2" {
					if len(v.Elems) != 2*n {
						t.Fatalf("RESP2 HRANDFIELD %s %d WITHVALUES: %d elements, want %d", key, count, len(v.Elems), 2*n)
					}
					for i := 0; i < len(v.Elems); i += 2 {
						pairs = append(pairs, [2]string{v.Elems[i].Str, v.Elems[i+1].Str})
					}
				} else {
					if len(v.Elems) != n {
						t.Fatalf("RESP3 HRANDFIELD %s %d WITHVALUES: %d elements, want %d", key, count, len(v.Elems), n)
					}
					for _, p := range v.Elems {
						if p.Kind != '*' || len(p.Elems) != 2 {
							t.Fatalf("RESP3 HRANDFIELD %s %d WITHVALUES: element %v, want a pair", key, count, p)
						}
						pairs = append(pairs, [2]string{p.Elems[0].Str, p.Elems[1].Str})
					}
				}
				seen := map[string]bool{}
				for _, p := range pairs {
					if want, ok := vals[p[0]]; !ok || want != p[1] {
						t.Fatalf("HRANDFIELD %s %d: drew %q=%q, not in the hash", key, count, p[0], p[1])
					}
					if count > 0 && seen[p[0]] {
						t.Fatalf("HRANDFIELD %s %d: %q drawn twice", key, count, p[0])
					}
					seen[p[0]] = true
				}
			}
		}
	}
}
