package server

import (
	"bytes"
	"strconv"
	"sync"
	"testing"
	"time"
)

// serverConn returns the server side of client tc.
func serverConn(t *testing.T, srv *Server, tc *tcConn) *client {
	t.Helper()
	id := tc.integer("CLIENT", "ID")
	c := srv.lookupConn(id)
	if c == nil {
		t.Fatalf("no connection with id %d", id)
	}
	return c
}

// TestOutboxWhileReading posts to a connection whose goroutine is waiting
// for input: the post is delivered without the client sending anything, and
// the connection goes on serving commands afterwards.
func TestOutboxWhileReading(t *testing.T) {
	srv := tcStart(t, Config{})
	tc := tcDial(t, srv)
	c := serverConn(t, srv, tc)
	time.Sleep(10 * time.Millisecond) // let its goroutine return to its read
	if !c.post([]byte("+posted\r\n")) {
		t.Fatal("post to a live connection failed")
	}
	if v := tc.read(); v.Kind != '+' || v.Str != "posted" {
		t.Fatalf("read = %v, want +posted", v)
	}
	if got := tc.str("PING"); got != "PONG" {
		t.Fatalf("PING after a wake-up = %q", got)
	}
	// A connection idle for longer than a wake-up still reads: the
	// wake-up's deadline was cleared.
	time.Sleep(50 * time.Millisecond)
	if got := tc.str("ECHO", "still here"); got != "still here" {
		t.Fatalf("ECHO = %q", got)
	}
}

// TestOutboxConcurrentPosts has several goroutines post while the client
// pipelines commands: every post and every reply arrives, each whole.
func TestOutboxConcurrentPosts(t *testing.T) {
	srv := tcStart(t, Config{})
	tc := tcDial(t, srv)
	c := serverConn(t, srv, tc)
	const posters, posts, pings = 8, 200, 2000
	var wg sync.WaitGroup
	for p := 0; p < posters; p++ {
		wg.Add(1)
		go func() { // exits after its posts
			defer wg.Done()
			for i := 0; i < posts; i++ {
				if !c.post([]byte("+p" + strconv.Itoa(p) + "\r\n")) {
					t.Error("post failed")
					return
				}
			}
		}()
	}
	var req bytes.Buffer
	for i := 0; i < pings; i++ {
		req.WriteString(bulk("PING"))
	}
	go tc.nc.Write(req.Bytes()) // exits when written
	got := map[string]int{}
	for i := 0; i < posters*posts+pings; i++ {
		v := tc.read()
		got[string(v.Kind)+v.Str]++
	}
	wg.Wait()
	if got["+PONG"] != pings {
		t.Errorf("%d PONGs, want %d", got["+PONG"], pings)
	}
	for p := 0; p < posters; p++ {
		if n := got["+p"+strconv.Itoa(p)]; n != posts {
			t.Errorf("poster %d: %d posts arrived, want %d", p, n, posts)
		}
	}
}

// TestOutboxWhileBlocked posts to a client parked in a blocking command:
// a push arrives while it stays blocked, and unblock ends the command, with
// what was posted for it ahead of the command's own reply.
func TestOutboxWhileBlocked(t *testing.T) {
	srv := tcStart(t, Config{})
	tc := tcDial(t, srv)
	c := serverConn(t, srv, tc)
	tc.send("WAIT", "1", "0") // no replicas: blocks until unblocked
	if !waitUntil(5*time.Second, func() bool { return srv.info.isBlocked(c) }) {
		t.Fatal("WAIT did not block")
	}
	c.post([]byte(">2\r\n$4\r\npush\r\n$1\r\n1\r\n"))
	if v := tc.read(); v.Kind != '>' {
		t.Fatalf("read while blocked = %v, want the push", v)
	}
	if !srv.info.isBlocked(c) {
		t.Fatal("a push ended the block")
	}
	c.post([]byte("+served\r\n"))
	c.unblock()
	if v := tc.read(); v.Kind != '+' || v.Str != "served" {
		t.Fatalf("first reply after unblock = %v, want +served", v)
	}
	if v := tc.read(); v.Kind != ':' || v.Str != "0" {
		t.Fatalf("WAIT's reply = %v, want :0", v)
	}
	if got := tc.str("PING"); got != "PONG" {
		t.Fatalf("PING after the block = %q", got)
	}
	// The next block is not ended by the earlier unblock.
	tc.send("WAIT", "1", "100")
	start := time.Now()
	if v := tc.read(); v.Kind != ':' || v.Str != "0" || time.Since(start) < 90*time.Millisecond {
		t.Fatalf("WAIT 1 100 = %v after %v, want :0 after its timeout", v, time.Since(start))
	}
}

// TestOwnArgs checks that a blocked command's arguments are its own: the
// read buffer they aliased can change under them.
func TestOwnArgs(t *testing.T) {
	buf := []byte("BLPOPkey1key2")
	c := &client{argv: [][]byte{buf[0:5], buf[5:9], buf[9:13]}}
	args := c.argv
	c.ownArgs()
	copy(buf, "XXXXXXXXXXXXX")
	for i, want := range []string{"BLPOP", "key1", "key2"} {
		if string(args[i]) != want {
			t.Errorf("args[%d] = %q after the buffer changed, want %q", i, args[i], want)
		}
	}
	// Appending to one argument must not overwrite the next.
	_ = append(args[1], 'Z')
	if string(args[2]) != "key2" {
		t.Errorf("appending to args[1] changed args[2] to %q", args[2])
	}
}

// TestOutboxClosed checks posts to a connection that is gone, and posts
// racing with its closing: they fail, and nothing panics.
func TestOutboxClosed(t *testing.T) {
	srv := tcStart(t, Config{})
	tc := tcDial(t, srv)
	c := serverConn(t, srv, tc)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() { // exits when stop closes
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				c.post([]byte("+x\r\n"))
			}
		}
	}()
	time.Sleep(10 * time.Millisecond)
	tc.nc.Close()
	if !waitUntil(5*time.Second, func() bool { return srv.lookupConn(c.id) == nil }) {
		t.Fatal("the connection was not removed after its client left")
	}
	close(stop)
	wg.Wait()
	if c.post([]byte("+late\r\n")) {
		t.Error("post to a closed connection succeeded")
	}
}
