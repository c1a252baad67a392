package server

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/store"
)

// pendingBytes returns c's output not yet written, in order.
func (c *client) pendingBytes() []byte {
	var b []byte
	for _, s := range c.segs {
		b = append(b, s...)
	}
	return append(b, c.out[c.outHead:]...)
}

// TestMutedWritersBuildNothing checks that while replies are dropped every
// writer leaves the output empty and allocates nothing, and that errors
// are still counted, as Redis's afterErrorReply counts them under CLIENT
// REPLY OFF.
func TestMutedWritersBuildNothing(t *testing.T) {
	s := &Server{}
	s.stats.errorCodes = map[string]int64{}
	big := bytes.Repeat([]byte("v"), 1<<20)
	writers := map[string]func(c *client){
		"OK":         func(c *client) { c.WriteOK() },
		"simple":     func(c *client) { c.WriteSimple("PONG") },
		"int":        func(c *client) { c.WriteInt(42) },
		"bulk":       func(c *client) { c.WriteBulk(big) },
		"value":      func(c *client) { c.writeValue(big) },
		"bulkString": func(c *client) { c.WriteBulkString("abc") },
		"bulkInt":    func(c *client) { c.WriteBulkInt(7) },
		"array":      func(c *client) { c.WriteArray(2) },
		"null":       func(c *client) { c.WriteNull() },
		"nullArray":  func(c *client) { c.WriteNullArray() },
		"map":        func(c *client) { c.WriteMap(1) },
		"set":        func(c *client) { c.WriteSet(1) },
		"push":       func(c *client) { c.WritePush(1) },
		"bool":       func(c *client) { c.WriteBool(true) },
		"double":     func(c *client) { c.WriteDouble(1.5) },
		"verbatim":   func(c *client) { c.WriteVerbatim("some text", "txt") },
		"error":      func(c *client) { c.WriteError("ERR x") },
		"deferred":   func(c *client) { c.setDeferredLen(c.deferLen(), '*', 3) },
	}
	for name, write := range writers {
		for _, proto := range []int{2, 3} {
			c := &client{s: s, proto: proto, mute: true}
			allocs := testing.AllocsPerRun(10, func() { write(c) })
			if c.pendingOutput() != 0 || len(c.out) != 0 || len(c.segs) != 0 {
				t.Errorf("%s in RESP%d while muted left %d bytes of output", name, proto, c.pendingOutput())
			}
			if allocs != 0 {
				t.Errorf("%s in RESP%d while muted allocated %v times", name, proto, allocs)
			}
		}
	}
	c := &client{s: s, proto: 2, mute: true}
	before := s.stats.errorReplies.Load()
	c.WriteError("WRONGTYPE x")
	if c.errors != 1 || s.stats.errorReplies.Load() != before+1 || s.stats.errorCodes["WRONGTYPE"] != 1 {
		t.Errorf("a muted error was not counted: errors %d, total %d, WRONGTYPE %d",
			c.errors, s.stats.errorReplies.Load()-before, s.stats.errorCodes["WRONGTYPE"])
	}
}

// TestReplyOffBuildsNothing runs, under CLIENT REPLY OFF and SKIP, commands
// whose replies would be copied (MGET of values just under
// store.ShareMin, KEYS): the server allocates a small fraction of the
// replies' size, and the client receives only the replies it asked for.
func TestReplyOffBuildsNothing(t *testing.T) {
	srv := tcStart(t, Config{})
	tc := tcDial(t, srv)
	val := strings.Repeat("v", store.ShareMin-1)
	tc.do("SET", "k", val)
	for i := range 1000 {
		tc.do("SET", "key:"+strconv.Itoa(i), "x")
	}
	mget := []string{"MGET"}
	for range 1000 {
		mget = append(mget, "k") // a 16 MB reply
	}
	for _, mode := range []string{"OFF", "SKIP"} {
		t.Run(mode, func(t *testing.T) {
			var req bytes.Buffer
			for range 4 {
				req.WriteString(bulk("CLIENT", "REPLY", mode))
				req.WriteString(bulk(mget...))
				req.WriteString(bulk("CLIENT", "REPLY", mode))
				req.WriteString(bulk("KEYS", "*"))
			}
			req.WriteString(bulk("CLIENT", "REPLY", "ON"))
			req.WriteString(bulk("ECHO", "done"))
			before := totalAlloc()
			if _, err := tc.nc.Write(req.Bytes()); err != nil {
				t.Fatal(err)
			}
			if v := tc.read(); v.Str != "OK" {
				t.Fatalf("first reply = %v, want CLIENT REPLY ON's +OK", v)
			}
			if v := tc.read(); v.Str != "done" {
				t.Fatalf("second reply = %v, want done", v)
			}
			if n := totalAlloc() - before; n > 8<<20 {
				t.Errorf("the server allocated %d MB for 64 MB of dropped replies", n>>20)
			}
		})
	}
}

func totalAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// TestBigValueNotCopied checks that GET, MGET and GETRANGE of a big value
// write it without copying it: the server allocates far less than the
// replies' size.
func TestBigValueNotCopied(t *testing.T) {
	srv := tcStart(t, Config{})
	tc := tcDial(t, srv)
	val := bytes.Repeat([]byte("0123456789abcdef"), 1<<20) // 16 MB
	if err := srv.DB(0).Set("big", string(val)); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(val)
	for _, cmd := range [][]string{
		{"GET", "big"},
		{"GETRANGE", "big", "0", "-1"},
		{"GETEX", "big", "PERSIST"},
		{"SET", "big", string(val), "GET"},
		{"MGET", "big", "nokey", "big", "big"},
	} {
		before := totalAlloc()
		tc.send(cmd...)
		n := 1
		if cmd[0] == "MGET" {
			if v := tc.readLine(); v != "*4" {
				t.Fatalf("MGET header %q", v)
			}
			n = 4
		}
		for i := range n {
			if cmd[0] == "MGET" && i == 1 {
				if v := tc.readLine(); v != "$-1" {
					t.Fatalf("MGET's missing key = %q, want $-1", v)
				}
				continue
			}
			if sum := tc.readBulkSum(); sum != want {
				t.Fatalf("%s: reply %d differs from the value", cmd[0], i)
			}
		}
		if got := totalAlloc() - before; got > 6<<20 && cmd[0] != "SET" {
			t.Errorf("%s of a 16 MB value: the process allocated %d MB", cmd[0], got>>20)
		}
	}
}

// readLine reads one line of a reply without its CRLF.
func (c *tcConn) readLine() string {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return strings.TrimSuffix(line, "\r\n")
}

// readBulkSum reads a bulk string reply and returns its SHA-256, without
// keeping it.
func (c *tcConn) readBulkSum() [32]byte {
	c.t.Helper()
	line := c.readLine()
	n, err := strconv.Atoi(strings.TrimPrefix(line, "$"))
	if err != nil || line[0] != '$' || n < 0 {
		c.t.Fatalf("reply %q, want a bulk string", line)
	}
	h := sha256.New()
	if _, err := io.CopyN(h, c.r, int64(n)); err != nil {
		c.t.Fatal(err)
	}
	if crlf := c.readLine(); crlf != "" {
		c.t.Fatalf("bulk string followed by %q", crlf)
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// TestOutputOfNonReadingClient pipelines an MGET that names a big value
// many times, then GETs of it, from a client that does not read: CLIENT
// LIST from another client, and INFO clients, show the MGET's pending
// output in omem, oll and tot-mem, and the GETs waiting in qbuf (a
// connection writes its output before it runs more commands); once the
// client has read everything, intact, they show none.
func TestOutputOfNonReadingClient(t *testing.T) {
	srv := tcStart(t, Config{})
	slow, watcher := tcDial(t, srv), tcDial(t, srv)
	const size, names, gets = 1 << 20, 48, 16
	val := bytes.Repeat([]byte("x"), size)
	if err := srv.DB(0).Set("big", string(val)); err != nil {
		t.Fatal(err)
	}
	id := slow.integer("CLIENT", "ID")
	mget := []string{"MGET"}
	for range names {
		mget = append(mget, "big")
	}
	req := bulk(mget...) + strings.Repeat(bulk("GET", "big"), gets)
	if _, err := io.WriteString(slow.nc, req); err != nil {
		t.Fatal(err)
	}
	// The kernel's socket buffers take a few MB; the rest waits in the
	// server's output.
	const least = (names - 16) * size
	var fields map[string]string
	field := func(name string) int64 {
		n, err := strconv.ParseInt(fields[name], 10, 64)
		if err != nil {
			t.Fatalf("CLIENT LIST field %s = %q", name, fields[name])
		}
		return n
	}
	if !waitUntil(10*time.Second, func() bool {
		_, fields = tcFields(watcher.str("CLIENT", "LIST", "ID", strconv.FormatInt(id, 10)))
		return field("omem") >= least
	}) {
		t.Fatalf("omem of a client with %d MB unread = %s, want at least %d MB", names*size>>20, fields["omem"], least>>20)
	}
	if field("oll") == 0 || field("tot-mem") < field("omem") || fields["events"] != "rw" || field("qbuf") == 0 {
		t.Errorf("pending output: oll=%s omem=%s tot-mem=%s events=%s qbuf=%s; want oll > 0, tot-mem ≥ omem, events rw, qbuf > 0",
			fields["oll"], fields["omem"], fields["tot-mem"], fields["events"], fields["qbuf"])
	}
	info := tcInfo(watcher.str("INFO", "clients"))
	if n, _ := strconv.ParseInt(info["client_recent_max_output_buffer"], 10, 64); n < least {
		t.Errorf("client_recent_max_output_buffer = %s, want at least %d", info["client_recent_max_output_buffer"], least)
	}
	want := sha256.Sum256(val)
	if h := slow.readLine(); h != "*"+strconv.Itoa(names) {
		t.Fatalf("MGET header %q", h)
	}
	for i := range names {
		if slow.readBulkSum() != want {
			t.Fatalf("MGET element %d differs from the value", i)
		}
	}
	for i := range gets {
		if slow.readBulkSum() != want {
			t.Fatalf("GET %d: the reply differs from the value", i)
		}
	}
	if !waitUntil(5*time.Second, func() bool {
		_, fields = tcFields(watcher.str("CLIENT", "LIST", "ID", strconv.FormatInt(id, 10)))
		return fields["omem"] == "0" && fields["oll"] == "0" && fields["obl"] == "0"
	}) {
		t.Errorf("after the client read everything: obl=%s oll=%s omem=%s, want 0", fields["obl"], fields["oll"], fields["omem"])
	}
	// The client's own view, in the middle of a pipeline: the reply to
	// the GET before CLIENT INFO, under the size that makes a batch write
	// early, is pending in its output.
	mid := strings.Repeat("m", store.ShareMin+100)
	slow.do("SET", "mid", mid)
	if _, err := io.WriteString(slow.nc, bulk("GET", "mid")+bulk("CLIENT", "INFO")); err != nil {
		t.Fatal(err)
	}
	if v := slow.read(); v.Str != mid {
		t.Fatalf("GET mid = %d bytes", len(v.Str))
	}
	_, fields = tcFields(slow.read().Str)
	if field("omem") < int64(len(mid)) || field("oll") < 1 || field("tot-mem") < field("omem") {
		t.Errorf("CLIENT INFO after a pipelined GET: oll=%s omem=%s tot-mem=%s, want the GET's reply",
			fields["oll"], fields["omem"], fields["tot-mem"])
	}
}

// TestBigReplyWhileOverwritten reads a big value with each command that
// returns one, through a client that does not read until another client
// has changed the key in place (SETRANGE at its end, APPEND into its spare
// capacity) and then overwritten it (SET): the reply, still being written
// meanwhile, is byte for byte the value the key held when the command ran,
// because the store shares what a reply references (store.ShareMin) and
// moves the value instead of changing it.
func TestBigReplyWhileOverwritten(t *testing.T) {
	srv := tcStart(t, Config{})
	reader, writer := tcDial(t, srv), tcDial(t, srv)
	id := strconv.FormatInt(reader.integer("CLIENT", "ID"), 10)
	const size = 24 << 20 // far more than the sockets' buffers
	for _, cmd := range [][]string{
		{"GET", "k"},
		{"MGET", "k"},
		{"GETRANGE", "k", "0", "-1"},
		{"GETEX", "k", "PERSIST"},
		{"GETDEL", "k"},
		{"SET", "k", "new", "GET"},
	} {
		t.Run(cmd[0], func(t *testing.T) {
			val := bytes.Repeat([]byte("a"), size)
			if err := srv.DB(0).Set("k", string(val)); err != nil {
				t.Fatal(err)
			}
			// Give the value spare capacity, so that the writes below
			// would go in place if nothing stopped them.
			writer.integer("APPEND", "k", "b")
			val = append(val, 'b')
			want := sha256.Sum256(val)

			reader.send(cmd...)
			if !waitUntil(10*time.Second, func() bool {
				_, f := tcFields(writer.str("CLIENT", "LIST", "ID", id))
				omem, _ := strconv.Atoi(f["omem"])
				return omem > 4<<20
			}) {
				t.Fatal("the reply is not pending in the reader's output")
			}
			writer.integer("SETRANGE", "k", strconv.Itoa(size-1000), strings.Repeat("Z", 1000))
			writer.integer("APPEND", "k", "zz")
			writer.do("SET", "k", "overwritten")

			if cmd[0] == "MGET" {
				if h := reader.readLine(); h != "*1" {
					t.Fatalf("MGET header %q", h)
				}
			}
			if reader.readBulkSum() != want {
				t.Errorf("%s: the reply is not the value the key held", cmd[0])
			}
		})
	}
}

// TestDeferredLen checks the header of an aggregate written once its length
// is known, whether the aggregate stayed in the reply buffer or was queued
// in chunks, and after a value queued by reference.
func TestDeferredLen(t *testing.T) {
	s := &Server{}
	big := bytes.Repeat([]byte("B"), store.ShareMin)
	for _, n := range []int{0, 3, 20_000} {
		for _, before := range []string{"nothing", "small", "big value"} {
			t.Run(fmt.Sprintf("%d after %s", n, before), func(t *testing.T) {
				c := &client{s: s, proto: 2}
				var want bytes.Buffer
				switch before {
				case "small":
					c.WriteInt(1)
					want.WriteString(":1\r\n")
				case "big value":
					c.writeValue(big)
					fmt.Fprintf(&want, "$%d\r\n%s\r\n", len(big), big)
				}
				d := c.deferLen()
				fmt.Fprintf(&want, "*%d\r\n", n)
				for i := range n {
					k := "key:" + strconv.Itoa(i)
					c.WriteBulkString(k)
					fmt.Fprintf(&want, "$%d\r\n%s\r\n", len(k), k)
				}
				c.setDeferredLen(d, '*', n)
				c.WriteInt(2)
				want.WriteString(":2\r\n")
				if got := c.pendingBytes(); !bytes.Equal(got, want.Bytes()) {
					t.Errorf("output (%d bytes) differs from %d bytes wanted; starts %q", len(got), want.Len(), got[:min(len(got), 40)])
				}
				if c.pendingOutput() != want.Len() {
					t.Errorf("pendingOutput = %d, want %d", c.pendingOutput(), want.Len())
				}
				if n == 20_000 && len(c.segs) < 2 {
					t.Errorf("a %d-byte reply was not built in chunks: %d segments", want.Len(), len(c.segs))
				}
			})
		}
	}
}

// TestKeysLarge runs KEYS over enough keys that its reply is built in
// chunks, and with a pattern, and checks every key comes back once.
func TestKeysLarge(t *testing.T) {
	srv := tcStart(t, Config{})
	tc := tcDial(t, srv)
	const n = 30_000
	db := srv.DB(0)
	for i := range n {
		if err := db.Set("key:"+strconv.Itoa(i), "v"); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		pattern string
		want    int
	}{{"*", n}, {"key:1*", 11_111}, {"nomatch*", 0}} {
		v := tc.do("KEYS", tt.pattern)
		seen := map[string]bool{}
		for _, e := range v.Elems {
			seen[e.Str] = true
		}
		if v.Kind != '*' || len(v.Elems) != tt.want || len(seen) != tt.want {
			t.Errorf("KEYS %s = %d keys (%d distinct), want %d", tt.pattern, len(v.Elems), len(seen), tt.want)
		}
	}
}
