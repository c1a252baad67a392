package server

import (
	"bytes"
	"fmt"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"
)

// heapReleased returns the bytes of heap the runtime has returned to the
// operating system and not reused.
func heapReleased() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestReleaseMemoryAfterDisconnects has clients send most of a 4 MB
// argument and go away: with ReleaseMemory, the server gives their buffers
// back to the system within seconds, without waiting for the runtime.
func TestReleaseMemoryAfterDisconnects(t *testing.T) {
	if testing.Short() {
		t.Skip("moves about 100 MB")
	}
	srv := tcStart(t, Config{ReleaseMemory: true})
	const clients, size = 24, 4 << 20
	body := bytes.Repeat([]byte("p"), size-1)
	var conns []*tcConn
	for i := range clients {
		tc := tcDial(t, srv)
		fmt.Fprintf(tc.nc, "*3\r\n$3\r\nSET\r\n$%d\r\nk%d\r\n$%d\r\n", len(strconv.Itoa(i))+1, i, size)
		if _, err := tc.nc.Write(body); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, tc)
	}
	watcher := tcDial(t, srv)
	if !waitUntil(10*time.Second, func() bool {
		return strings.Count(watcher.str("CLIENT", "LIST"), " qbuf="+strconv.Itoa(size-1)+" ") == clients
	}) {
		t.Fatal("the clients' input did not arrive")
	}
	released := heapReleased()
	for _, tc := range conns {
		tc.nc.Close()
	}
	if !waitUntil(10*time.Second, func() bool { return srv.mem.releases.Load() > 0 }) {
		t.Fatal("no release within 10 s of the clients leaving")
	}
	if got := heapReleased(); got < released+clients*size/2 {
		t.Errorf("the heap released %d MB, want at least %d MB", (got-released)>>20, clients*size/2>>20)
	}
}
