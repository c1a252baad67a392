package server

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMultiMillionQueued queues a million commands in one transaction. The
// queue lives in the client, outside the store's lock, so another client's
// commands run while it grows; CLIENT LIST counts the queue in multi and
// multi-mem; DISCARD of such a queue returns the client to normal, and EXEC
// of a hundred thousand runs them all.
func TestMultiMillionQueued(t *testing.T) {
	srv := tcStart(t, Config{})
	a, b := tcDial(t, srv), tcDial(t, srv)

	for _, end := range []string{"DISCARD", "EXEC"} {
		n := 1_000_000
		if end == "EXEC" {
			n = 100_000
		}
		a.do("MULTI")
		// Write the queue in a goroutine of its own: the replies are read
		// here meanwhile, so neither side's buffers fill.
		written := make(chan error, 1)
		go func() {
			w := bufio.NewWriterSize(a.nc, 1<<16)
			for i := range n {
				k := "k" + strconv.Itoa(i%1000)
				fmt.Fprintf(w, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nv\r\n", len(k), k)
			}
			written <- w.Flush()
		}()
		// The replies are n "+QUEUED": read them in bulk, and let another
		// client in now and then, which is served while the queue grows.
		const queued = "+QUEUED\r\n"
		want := n * len(queued)
		buf := make([]byte, 1<<16)
		for got, next := 0, 0; got < want; {
			a.nc.SetReadDeadline(time.Now().Add(time.Minute))
			m, err := a.r.Read(buf[:min(len(buf), want-got)])
			if err != nil {
				t.Fatalf("after %d bytes of replies: %v", got, err)
			}
			// Each read starts at a reply boundary modulo its length.
			chunk := buf[:m]
			for i := range chunk {
				if chunk[i] != queued[(got+i)%len(queued)] {
					t.Fatalf("reply bytes %q at offset %d, want only %q", chunk[i:min(i+20, m)], got+i, queued)
				}
			}
			got += m
			if got >= next {
				if pong := b.str("PING"); pong != "PONG" {
					t.Fatalf("PING = %q", pong)
				}
				next += want / 10
			}
		}
		if err := <-written; err != nil {
			t.Fatal(err)
		}
		info := clientLine(t, b, "cmd=set")
		if info["multi"] != strconv.Itoa(n) || !strings.Contains(info["flags"], "x") {
			t.Fatalf("CLIENT LIST of the queueing client: flags=%s multi=%s, want x and %d", info["flags"], info["multi"], n)
		}
		// Each queued SET holds its arguments' bytes and a pointer each.
		if mem, _ := strconv.ParseInt(info["multi-mem"], 10, 64); mem < int64(n)*(3+2+1+3*8) {
			t.Errorf("multi-mem = %s for %d queued SETs: the queue is not counted", info["multi-mem"], n)
		}
		if tot, _ := strconv.ParseInt(info["tot-mem"], 10, 64); tot < int64(n)*(3+2+1+3*8) {
			t.Errorf("tot-mem = %s does not count the queue", info["tot-mem"])
		}
		a.send(end)
		a.nc.SetReadDeadline(time.Now().Add(time.Minute))
		v, err := tcRead(a.r)
		if err != nil {
			t.Fatal(err)
		}
		if end == "EXEC" {
			if v.Kind != '*' || len(v.Elems) != n || v.Elems[n-1].Str != "OK" {
				t.Fatalf("EXEC of %d SETs: %s kind, %d replies", n, string(v.Kind), len(v.Elems))
			}
		} else if v.Kind != '+' || v.Str != "OK" {
			t.Fatalf("DISCARD = %v", v)
		}
		info = clientLine(t, b, "cmd="+strings.ToLower(end))
		if info["multi"] != "-1" || info["multi-mem"] != "0" {
			t.Errorf("after %s: multi=%s multi-mem=%s, want -1 and 0", end, info["multi"], info["multi-mem"])
		}
	}
	if got := b.integer("DBSIZE"); got != 1000 {
		t.Errorf("DBSIZE = %d after EXEC of SETs of 1000 keys", got)
	}
}

// clientLine returns the fields of the CLIENT LIST line that contains mark,
// asked on c.
func clientLine(t *testing.T, c *tcConn, mark string) map[string]string {
	t.Helper()
	for _, line := range strings.Split(c.str("CLIENT", "LIST"), "\n") {
		if strings.Contains(line, mark) {
			_, fields := tcFields(line)
			return fields
		}
	}
	t.Fatalf("no client with %s in CLIENT LIST", mark)
	return nil
}
