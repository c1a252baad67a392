package server

import (
	"strconv"
	"testing"
)

// BenchmarkTrackKey is the tracking table's cost per read: 50 clients
// reading keys of a 100,000-key space, as the GET benchmark with tracking
// clients does.
func BenchmarkTrackKey(b *testing.B) {
	s := &Server{}
	clients := make([]*client, 50)
	for i := range clients {
		clients[i] = &client{id: int64(i + 1)}
	}
	keys := make([][]byte, 100_000)
	for i := range keys {
		keys[i] = []byte("key:" + strconv.Itoa(100000000000+i))
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.trackKey(clients[i%50], keys[(i*7919)%len(keys)])
	}
}
