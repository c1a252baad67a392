package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// subscribeN subscribes c to channels and reads the confirmations.
func (c *tcConn) subscribeN(cmd string, names ...string) {
	c.t.Helper()
	c.send(append([]string{cmd}, names...)...)
	for range names {
		if v := c.read(); len(v.Elems) != 3 {
			c.t.Fatalf("%s: confirmation %v", cmd, v)
		}
	}
}

// TestPubSubManyPublishers checks, with the race detector, that every
// message of concurrent publishers reaches every subscriber exactly once and
// in each publisher's order, while other clients subscribe and unsubscribe.
func TestPubSubManyPublishers(t *testing.T) {
	srv := tcStart(t, Config{})
	const pubs, subs, msgs = 4, 3, 200
	var readers []*tcConn
	for i := range subs {
		c := tcDial(t, srv)
		if i == 0 {
			c.subscribeN("PSUBSCRIBE", "ch*")
		} else {
			c.subscribeN("SUBSCRIBE", "ch")
		}
		readers = append(readers, c)
	}
	stop := make(chan struct{})
	var churn sync.WaitGroup
	churn.Add(1)
	go func() { // exits when stop is closed
		defer churn.Done()
		c := tcDial(t, srv)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			c.subscribeN("SUBSCRIBE", "other", "ch2")
			c.subscribeN("PSUBSCRIBE", "x*")
			c.subscribeN("UNSUBSCRIBE", "other", "ch2")
			c.subscribeN("PUNSUBSCRIBE", "x*")
		}
	}()
	var wg sync.WaitGroup
	for p := range pubs {
		wg.Add(1)
		go func() { // exits after its messages
			defer wg.Done()
			c := tcDial(t, srv)
			for m := range msgs {
				if n := c.integer("PUBLISH", "ch", fmt.Sprintf("%d:%d", p, m)); n != subs {
					t.Errorf("PUBLISH = %d receivers, want %d", n, subs)
					return
				}
			}
		}()
	}
	for i, c := range readers {
		next := make([]int, pubs)
		for range pubs * msgs {
			v := c.read()
			msg := v.Elems[len(v.Elems)-1].Str
			var p, m int
			if _, err := fmt.Sscanf(msg, "%d:%d", &p, &m); err != nil || p >= pubs || m != next[p] {
				t.Fatalf("subscriber %d: got %v, want message %d of publisher %d", i, v, next[min(p, pubs-1)], p)
			}
			next[p]++
		}
	}
	wg.Wait()
	close(stop)
	churn.Wait()
}

// TestPubSubCleanup checks that a subscriber's disconnection and RESET end
// its subscriptions, as INFO, PUBSUB and CLIENT LIST report them.
func TestPubSubCleanup(t *testing.T) {
	srv := tcStart(t, Config{})
	admin := tcDial(t, srv)
	a := tcDial(t, srv)
	a.subscribeN("SUBSCRIBE", "c1", "c2")
	a.subscribeN("PSUBSCRIBE", "p*")
	a.subscribeN("SSUBSCRIBE", "s1")
	info := tcInfo(admin.str("INFO", "stats"))
	if info["pubsub_channels"] != "2" || info["pubsub_patterns"] != "1" || info["pubsubshard_channels"] != "1" {
		t.Errorf("INFO: channels %s patterns %s shard %s, want 2 1 1", info["pubsub_channels"], info["pubsub_patterns"], info["pubsubshard_channels"])
	}
	list := admin.str("CLIENT", "LIST", "TYPE", "pubsub")
	_, f := tcFields(list)
	if f["sub"] != "2" || f["psub"] != "1" || f["ssub"] != "1" || f["flags"] != "P" {
		t.Errorf("CLIENT LIST TYPE pubsub = %q, want sub=2 psub=1 ssub=1 flags=P", list)
	}
	if got := admin.str("CLIENT", "LIST", "TYPE", "normal"); strings.Count(strings.TrimSpace(got), "\n") != 0 {
		t.Errorf("CLIENT LIST TYPE normal = %q, want the admin connection only", got)
	}
	a.nc.Close()
	if !waitUntil(5*time.Second, func() bool { return admin.integer("PUBLISH", "c1", "x") == 0 }) {
		t.Fatal("a closed subscriber still receives")
	}
	info = tcInfo(admin.str("INFO", "stats"))
	if info["pubsub_channels"] != "0" || info["pubsub_patterns"] != "0" || info["pubsubshard_channels"] != "0" {
		t.Errorf("INFO after close: channels %s patterns %s shard %s, want 0 0 0", info["pubsub_channels"], info["pubsub_patterns"], info["pubsubshard_channels"])
	}

	b := tcDial(t, srv)
	b.subscribeN("SUBSCRIBE", "c1")
	b.subscribeN("PSUBSCRIBE", "c*")
	if v := b.do("RESET"); v.Str != "RESET" {
		t.Fatalf("RESET = %v", v)
	}
	if n := admin.integer("PUBLISH", "c1", "x"); n != 0 {
		t.Errorf("PUBLISH after RESET = %d, want 0", n)
	}
	if got := b.str("CLIENT", "INFO"); !strings.Contains(got, " sub=0 psub=0 ssub=0 ") {
		t.Errorf("CLIENT INFO after RESET = %q", got)
	}
}

// TestPubSubKillType checks that CLIENT KILL TYPE pubsub finds subscribers
// and only them.
func TestPubSubKillType(t *testing.T) {
	srv := tcStart(t, Config{})
	admin := tcDial(t, srv)
	a := tcDial(t, srv)
	a.subscribeN("SUBSCRIBE", "c")
	b := tcDial(t, srv)
	b.subscribeN("SSUBSCRIBE", "s")
	if n := admin.integer("CLIENT", "KILL", "TYPE", "pubsub"); n != 2 {
		t.Errorf("CLIENT KILL TYPE pubsub = %d, want 2", n)
	}
	if !a.closed(5*time.Second) || !b.closed(5*time.Second) {
		t.Error("subscribers still open after CLIENT KILL TYPE pubsub")
	}
	if v := admin.do("PING"); v.Str != "PONG" {
		t.Errorf("admin: PING = %v", v)
	}
}

// TestPublishAPI checks Server.publish from outside any client (the expiry
// cycle's keyspace notifications) and from a subscriber's own goroutine
// (its message goes to its own output).
func TestPublishAPI(t *testing.T) {
	srv := tcStart(t, Config{})
	a := tcDial(t, srv)
	a.subscribeN("SUBSCRIBE", "ch")
	p := tcDial(t, srv)
	p.subscribeN("PSUBSCRIBE", "c*")
	if n := srv.publish(nil, []byte("ch"), []byte("hi")); n != 2 {
		t.Fatalf("publish = %d, want 2", n)
	}
	if v := a.read(); v.String() != `*[$"message" $"ch" $"hi"]` {
		t.Errorf("subscriber got %v", v)
	}
	if v := p.read(); len(v.Elems) != 4 || v.Elems[1].Str != "c*" || v.Elems[3].Str != "hi" {
		t.Errorf("pattern subscriber got %v", v)
	}
	if n := srv.publish(nil, []byte("nope"), []byte("x")); n != 0 {
		t.Errorf("publish to nobody = %d", n)
	}
}

// TestPubSubBigSubscribe subscribes one client to 100,000 channels and as
// many patterns in one command each, then ends them all.
func TestPubSubBigSubscribe(t *testing.T) {
	srv := tcStart(t, Config{})
	c := tcDial(t, srv)
	const n = 100_000
	for _, cmd := range []string{"SUBSCRIBE", "PSUBSCRIBE"} {
		args := []string{cmd}
		for i := range n {
			args = append(args, cmd[:1]+strconv.Itoa(i))
		}
		c.send(args...)
		for i := range n {
			v := c.read()
			if len(v.Elems) != 3 || v.Elems[1].Str != args[i+1] {
				t.Fatalf("%s confirmation %d = %v", cmd, i, v)
			}
		}
	}
	admin := tcDial(t, srv)
	if got := admin.integer("PUBSUB", "NUMPAT"); got != n {
		t.Errorf("PUBSUB NUMPAT = %d, want %d", got, n)
	}
	if got := admin.integer("PUBLISH", "S99999", "m"); got != 1 {
		t.Errorf("PUBLISH = %d, want 1", got)
	}
	if v := c.read(); len(v.Elems) != 3 || v.Elems[1].Str != "S99999" {
		t.Errorf("message = %v", v)
	}
	c.send("UNSUBSCRIBE")
	for i := range n {
		if v := c.read(); v.Elems[1].Str != "S"+strconv.Itoa(i) || v.Elems[2].Str != strconv.Itoa(2*n-1-i) {
			t.Fatalf("UNSUBSCRIBE confirmation %d = %v", i, v)
		}
	}
	c.send("PUNSUBSCRIBE")
	for i := range n {
		if v := c.read(); v.Elems[1].Str != "P"+strconv.Itoa(i) {
			t.Fatalf("PUNSUBSCRIBE confirmation %d = %v", i, v)
		}
	}
	if got := admin.integer("PUBSUB", "NUMPAT"); got != 0 {
		t.Errorf("PUBSUB NUMPAT after PUNSUBSCRIBE = %d", got)
	}
}

// TestPubSubSubscriberNeverReads floods a subscriber that reads nothing:
// its queued output stays under its class's limit until it is closed, and
// the publisher is never held up by it.
func TestPubSubSubscriberNeverReads(t *testing.T) {
	srv := tcStart(t, Config{})
	sub := tcDial(t, srv)
	sub.subscribeN("SUBSCRIBE", "flood")
	const limit = 4 << 20
	pub := tcDial(t, srv)
	pub.str("CONFIG", "SET", "client-output-buffer-limit", "pubsub 4mb 0 0")
	msg := strings.Repeat("x", 64<<10)
	start := time.Now()
	var slowest time.Duration
	closed := false
	for i := 0; i < 4096 && !closed; i++ { // up to 256 MB, far past the limit
		t0 := time.Now()
		n := pub.integer("PUBLISH", "flood", msg)
		slowest = max(slowest, time.Since(t0))
		closed = n == 0
		srv.connsMu.Lock()
		for _, c := range srv.conns {
			if q := c.ob.size.Load() + c.outMem.Load(); q > limit {
				t.Errorf("output of client %d holds %d bytes, past its limit %d", c.id, q, limit)
			}
		}
		srv.connsMu.Unlock()
	}
	if !closed {
		t.Fatalf("the subscriber still receives after 256 MB it did not read")
	}
	// What was written before the close is still to read; then the end.
	sub.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, sub.r); err != nil {
		t.Errorf("the subscriber's connection did not end: %v", err)
	}
	if slowest > time.Second {
		t.Errorf("the slowest PUBLISH took %v: the publisher waited for the subscriber", slowest)
	}
	t.Logf("closed after %v; slowest PUBLISH %v", time.Since(start), slowest)
}

// TestPubSubPatternManyStars publishes to patterns of thousands of '*':
// the matcher's limits keep each publish fast.
func TestPubSubPatternManyStars(t *testing.T) {
	srv := tcStart(t, Config{})
	sub := tcDial(t, srv)
	patterns := []string{
		strings.Repeat("*", 100_000),
		strings.Repeat("*a", 5000) + "*b",
		strings.Repeat("a*", 5000),
	}
	sub.subscribeN("PSUBSCRIBE", patterns...)
	pub := tcDial(t, srv)
	channel := strings.Repeat("a", 20_000)
	start := time.Now()
	n := pub.integer("PUBLISH", channel, "m")
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("PUBLISH took %v", d)
	}
	// "*…*" matches anything; "*a*a…*b" needs a 'b'; "a*a*…" needs
	// 5,000 runs of '*', past the matcher's limit of 1,000.
	if n != 1 {
		t.Errorf("PUBLISH = %d receivers, want 1", n)
	}
	if v := sub.read(); len(v.Elems) != 4 || v.Elems[1].Str != patterns[0] {
		t.Errorf("message = %.200v", v)
	}
}

// TestPubsubHelpers checks the helpers other areas use: isSubscribed (from
// any goroutine) and appendPubsubMessage, whose payload is any RESP value
// (tracking sends an array of keys on __redis__:invalidate).
func TestPubsubHelpers(t *testing.T) {
	srv := tcStart(t, Config{})
	a := tcDial(t, srv)
	a.subscribeN("SUBSCRIBE", "__redis__:invalidate")
	a.subscribeN("PSUBSCRIBE", "other")
	b := tcDial(t, srv)
	if v := b.do("HELLO", "3"); v.Kind != '%' {
		t.Fatalf("HELLO 3 = %v", v)
	}
	var ca, cb *client
	srv.connsMu.Lock()
	for _, c := range srv.conns {
		if c.subs.Load() != 0 {
			ca = c
		} else if c.resp.Load() == 3 {
			cb = c
		}
	}
	srv.connsMu.Unlock()
	if ca == nil || cb == nil {
		t.Fatal("clients not found")
	}
	if !ca.isSubscribed("__redis__:invalidate") || ca.isSubscribed("other") || cb.isSubscribed("__redis__:invalidate") {
		t.Errorf("isSubscribed: a channel %v, a pattern as a channel %v, b %v; want true false false",
			ca.isSubscribed("__redis__:invalidate"), ca.isSubscribed("other"), cb.isSubscribed("__redis__:invalidate"))
	}
	keys := func(b []byte) []byte { return append(b, "*2\r\n$2\r\nk1\r\n$2\r\nk2\r\n"...) }
	for _, tc := range []struct {
		c    *client
		conn *tcConn
		want string
	}{
		{ca, a, `*[$"message" $"__redis__:invalidate" *[$"k1" $"k2"]]`},
		{cb, b, `>[$"message" $"__redis__:invalidate" *[$"k1" $"k2"]]`},
	} {
		msg := tc.c.appendPubsubMessage(nil, []byte("__redis__:invalidate"), keys)
		if !tc.c.postPush(msg) {
			t.Fatal("postPush failed")
		}
		if v := tc.conn.read(); v.String() != tc.want {
			t.Errorf("message = %v, want %s", v, tc.want)
		}
	}
}

// BenchmarkPublish measures Server.publish to 50 subscribers of a channel
// and a pattern subscriber, which read and discard what they get: the
// message is encoded once per protocol and copied to each outbox, with no
// allocation per message.
func BenchmarkPublish(b *testing.B) {
	srv, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	t := &testing.T{}
	var conns []*tcConn
	for i := range 51 {
		nc, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			b.Fatal(err)
		}
		defer nc.Close()
		c := &tcConn{t: t, nc: nc, r: bufio.NewReader(nc)}
		if i == 50 {
			c.subscribeN("PSUBSCRIBE", "ch*")
		} else {
			c.subscribeN("SUBSCRIBE", "ch")
		}
		conns = append(conns, c)
		go io.Copy(io.Discard, nc) // exits when the connection closes
	}
	channel, msg := []byte("ch"), []byte("hello")
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if n := srv.publish(nil, channel, msg); n != 51 {
			b.Fatalf("publish = %d", n)
		}
	}
}
