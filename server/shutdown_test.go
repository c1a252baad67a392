package server

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestShutdownClientNotReading shuts the server down while one client has
// pipelined GETs of a 1 MB value and never reads (its connection's
// goroutine is stuck writing), and another reads the replies of the same
// kind of batch. Shutdown must not wait for the first beyond its write
// grace (it used to wait until ctx ended, 10 s for SHUTDOWN and SIGTERM;
// Redis exits in about 50 ms), and the second must get its whole batch.
func TestShutdownClientNotReading(t *testing.T) {
	s := tcStart(t, Config{})
	value := strings.Repeat("v", 1<<20)
	tcDial(t, s).do("SET", "k", value)
	batch := func(n int) []byte {
		return bytes.Repeat([]byte("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"), n)
	}
	dial := func() net.Conn {
		nc, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		return nc
	}

	// 100 MB of replies, far beyond what the socket buffers hold.
	deaf := dial()
	if _, err := deaf.Write(batch(100)); err != nil {
		t.Fatal(err)
	}
	// 20 MB of replies, read as they come: the batch is in progress (it
	// does not fit in the socket buffers) once its first byte is here.
	const n = 20
	reader := dial()
	if _, err := reader.Write(batch(n)); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(reader)
	if _, err := r.Peek(1); err != nil {
		t.Fatal(err)
	}
	read := make(chan error, 1)
	go func() { // ends when the batch is read or the connection fails
		want := fmt.Sprintf("$%d\r\n%s\r\n", len(value), value)
		got := make([]byte, len(want))
		for i := range n {
			if _, err := io.ReadFull(r, got); err != nil {
				read <- fmt.Errorf("reply %d: %v", i, err)
				return
			}
			if string(got) != want {
				read <- fmt.Errorf("reply %d = %.20q…, want %.20q…", i, got, want)
				return
			}
		}
		read <- nil
	}()
	time.Sleep(100 * time.Millisecond) // the deaf client's writes block

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	err := s.Shutdown(ctx)
	if d := time.Since(start); err != nil || d > time.Second {
		t.Errorf("Shutdown = %v after %v, want nil within 1s", err, d)
	}
	if err := <-read; err != nil {
		t.Errorf("the client that reads: %v", err)
	}
}
