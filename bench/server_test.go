package bench

import (
	"bytes"
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/bench/internal/wire"
	"github.com/redoubt-db/redoubt/server"
)

// ringSize is how many distinct commands are pre-encoded for each command
// type; batches walk round the ring. It is a multiple of every depth in
// pipelineDepths, so a batch is always one contiguous slice of the ring.
const ringSize = 4096

// pipelineDepths are the numbers of commands written before reading replies.
var pipelineDepths = []int{1, 16, 128}

// A serverCommand is one command type of the server benchmarks, with the
// arguments redis-benchmark gives it: 3-byte values ("xxx"), keys named
// after redis-benchmark's ("key:", "counter:" and twelve digits).
type serverCommand struct {
	name string
	// encode appends the i-th instance of the command, 0 <= i < ringSize.
	encode func(dst []byte, i int) []byte
	// preload, if not nil, appends a command that prepares for the i-th
	// instance (GET's key must exist).
	preload func(dst []byte, i int) []byte
	// replies is how many replies one instance gets, when more than one
	// (a transaction: MULTI, its commands, EXEC).
	replies int
}

var benchValue = []byte("xxx")

func appendGet(dst []byte, i int) []byte {
	var kb [keyLen]byte
	dst = wire.AppendArray(dst, 2)
	dst = wire.AppendBulkString(dst, "GET")
	return wire.AppendBulk(dst, putKey(kb[:], "key:", i))
}

func appendSet(dst []byte, i int) []byte {
	var kb [keyLen]byte
	dst = wire.AppendArray(dst, 3)
	dst = wire.AppendBulkString(dst, "SET")
	dst = wire.AppendBulk(dst, putKey(kb[:], "key:", i))
	return wire.AppendBulk(dst, benchValue)
}

var serverCommands = []serverCommand{
	{name: "PING", encode: func(dst []byte, i int) []byte { return wire.AppendCommand(dst, "PING") }},
	{name: "GET", encode: appendGet, preload: appendSet},
	{name: "SET", encode: appendSet},
	{name: "INCR", encode: func(dst []byte, i int) []byte {
		var kb [20]byte
		dst = wire.AppendArray(dst, 2)
		dst = wire.AppendBulkString(dst, "INCR")
		return wire.AppendBulk(dst, putKey(kb[:], "counter:", i))
	}},
	{name: "MULTI-5xINCR-EXEC", replies: 7, encode: func(dst []byte, i int) []byte {
		// A transaction of five INCRs, as bench-vs-redis's "multi".
		var kb [20]byte
		dst = wire.AppendCommand(dst, "MULTI")
		for j := range 5 {
			dst = wire.AppendArray(dst, 2)
			dst = wire.AppendBulkString(dst, "INCR")
			dst = wire.AppendBulk(dst, putKey(kb[:], "counter:", i*5+j))
		}
		return wire.AppendCommand(dst, "EXEC")
	}},
	{name: "MSET", encode: func(dst []byte, i int) []byte {
		// MSET of 10 keys, as redis-benchmark's "MSET (10 keys)".
		var kb [keyLen]byte
		dst = wire.AppendArray(dst, 21)
		dst = wire.AppendBulkString(dst, "MSET")
		for j := 0; j < 10; j++ {
			dst = wire.AppendBulk(dst, putKey(kb[:], "key:", i*10+j))
			dst = wire.AppendBulk(dst, benchValue)
		}
		return dst
	}},
}

// ring is ringSize pre-encoded commands laid end to end.
type ring struct {
	buf     []byte
	offs    []int // offs[i] is where command i starts; offs[ringSize] = len(buf)
	replies int   // replies per command
}

func encodeRing(encode func(dst []byte, i int) []byte) *ring {
	r := &ring{offs: make([]int, 0, ringSize+1), replies: 1}
	for i := 0; i < ringSize; i++ {
		r.offs = append(r.offs, len(r.buf))
		r.buf = encode(r.buf, i)
	}
	r.offs = append(r.offs, len(r.buf))
	return r
}

// batch returns commands [start, start+n) of the ring; start+n <= ringSize.
func (r *ring) batch(start, n int) []byte { return r.buf[r.offs[start]:r.offs[start+n]] }

// benchConn is a client connection of the benchmarks.
type benchConn struct {
	nc net.Conn
	rd *wire.Reader
}

func startServer(tb testing.TB) *server.Server {
	tb.Helper()
	srv, err := server.New(server.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close() })
	return srv
}

func dial(tb testing.TB, srv *server.Server) *benchConn {
	tb.Helper()
	nc, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { nc.Close() })
	return &benchConn{nc: nc, rd: wire.NewReader(nc, 64*1024)}
}

// roundTrip writes cmds, reads n replies and returns the first error reply,
// if any (copying it is the only allocation, and happens only on error).
func (c *benchConn) roundTrip(cmds []byte, n int) (errReply string, err error) {
	if _, err := c.nc.Write(cmds); err != nil {
		return "", err
	}
	for ; n > 0; n-- {
		kind, data, err := c.rd.Read()
		if err != nil {
			return "", err
		}
		if kind == wire.Error && errReply == "" {
			errReply = string(data)
		}
	}
	return errReply, nil
}

// run sends total commands from r in pipelined batches of depth, starting at
// the start of the ring, and fails on any error reply.
func (c *benchConn) run(tb testing.TB, r *ring, depth, total int) {
	for done := 0; done < total; {
		start := done % ringSize
		n := min(depth, total-done, ringSize-start)
		errReply, err := c.roundTrip(r.batch(start, n), n*r.replies)
		if err != nil {
			tb.Fatal(err)
		}
		if errReply != "" {
			tb.Fatalf("the server replied %q", errReply)
		}
		done += n
	}
}

// prepare readies a connection for cmd: it skips tb if the server does not
// know the command (its handler is not written yet), runs the preload
// commands, and returns the encoded ring.
func prepare(tb testing.TB, c *benchConn, cmd serverCommand) *ring {
	tb.Helper()
	errReply, err := c.roundTrip(cmd.encode(nil, 0), max(cmd.replies, 1))
	if err != nil {
		tb.Fatal(err)
	}
	if strings.HasPrefix(errReply, "ERR unknown command") {
		if i := strings.Index(errReply, ", with args"); i > 0 {
			errReply = errReply[:i]
		}
		tb.Skipf("%s is not implemented by the server yet (it replies %q); this benchmark runs once it is", cmd.name, errReply)
	}
	if errReply != "" {
		tb.Fatalf("%s: the server replied %q", cmd.name, errReply)
	}
	if cmd.preload != nil {
		c.run(tb, encodeRing(cmd.preload), 128, ringSize)
	}
	r := encodeRing(cmd.encode)
	r.replies = max(cmd.replies, 1)
	return r
}

// BenchmarkServer measures the whole request path of an in-process server
// over loopback TCP: RESP parsing, dispatch, the store call under the lock,
// reply encoding and the socket writes, for pipelined batches of each depth.
// One op is one command; the client shares the machine with the server, as
// redis-benchmark does. Allocations are the process's, and the client
// allocates nothing, so they are the server's.
func BenchmarkServer(b *testing.B) {
	srv := startServer(b)
	for _, cmd := range serverCommands {
		for _, depth := range pipelineDepths {
			b.Run(fmt.Sprintf("%s/pipeline=%d", cmd.name, depth), func(b *testing.B) {
				b.ReportAllocs()
				c := dial(b, srv)
				r := prepare(b, c, cmd)
				// One pass round the ring grows the connection's
				// buffers and creates the keys the loop overwrites.
				c.run(b, r, depth, ringSize)
				b.ResetTimer()
				c.run(b, r, depth, b.N)
			})
		}
	}
}

// BenchmarkServerAllocs reports the server's allocations per command at
// pipeline depth 16, after a warm-up pass, from the runtime's counters around
// the loop (the client allocates nothing; see wire.TestReadDoesNotAllocate).
// The target is zero for GET and for SET of an existing key; a SET that
// creates a key must allocate its entry.
func BenchmarkServerAllocs(b *testing.B) {
	srv := startServer(b)
	for _, cmd := range serverCommands {
		b.Run(cmd.name, func(b *testing.B) {
			c := dial(b, srv)
			r := prepare(b, c, cmd)
			c.run(b, r, 16, ringSize)
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			c.run(b, r, 16, b.N)
			b.StopTimer()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N), "allocs/cmd")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N), "B/cmd")
		})
	}
}

// TestServerCommands runs each benchmark's commands once round the ring, so
// that the benchmarks' client and commands are checked (also under the race
// detector) by go test.
func TestServerCommands(t *testing.T) {
	srv := startServer(t)
	for _, cmd := range serverCommands {
		t.Run(cmd.name, func(t *testing.T) {
			c := dial(t, srv)
			r := prepare(t, c, cmd)
			c.run(t, r, 16, ringSize)
			c.run(t, r, 128, 1000) // a partial batch at the end
		})
	}
}

func TestRing(t *testing.T) {
	r := encodeRing(appendGet)
	if got, want := string(r.batch(1, 1)), "*2\r\n$3\r\nGET\r\n$16\r\nkey:000000000001\r\n"; got != want {
		t.Fatalf("command 1 = %q, want %q", got, want)
	}
	if n := bytes.Count(r.batch(0, ringSize), []byte("GET")); n != ringSize {
		t.Fatalf("the ring holds %d GETs, want %d", n, ringSize)
	}
	if got := string(putKey(make([]byte, 20), "counter:", 123)); got != "counter:000000000123" {
		t.Fatalf("putKey = %q", got)
	}
}
