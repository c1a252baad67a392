package server

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// trackingInfo returns INFO's tracking fields.
func trackingInfo(t *testing.T, c *tcConn) map[string]string {
	t.Helper()
	info := tcInfo(c.str("INFO", "everything"))
	out := map[string]string{}
	for _, k := range []string{"tracking_clients", "tracking_total_keys", "tracking_total_items", "tracking_total_prefixes"} {
		out[k] = info[k]
	}
	return out
}

// clientListOf returns the CLIENT LIST fields of the connection with id.
func clientListOf(t *testing.T, c *tcConn, id int64) map[string]string {
	t.Helper()
	_, fields := tcFields(strings.TrimSpace(c.str("CLIENT", "LIST", "ID", strconv.FormatInt(id, 10))))
	return fields
}

func wantInfo(t *testing.T, c *tcConn, want map[string]string) {
	t.Helper()
	got := trackingInfo(t, c)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("INFO %s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}

// TestTrackingCounters checks INFO's tracking fields and CLIENT LIST's
// flags and redir as clients track keys, change modes, lose their redirect
// target and go away.
func TestTrackingCounters(t *testing.T) {
	srv := tcStart(t, Config{})
	admin := tcDial(t, srv)
	a, b, bc := tcDial(t, srv), tcDial(t, srv), tcDial(t, srv)
	a.do("HELLO", "3")
	aID := a.integer("CLIENT", "ID")
	bID := b.integer("CLIENT", "ID")
	bcID := bc.integer("CLIENT", "ID")
	wantInfo(t, admin, map[string]string{"tracking_clients": "0", "tracking_total_keys": "0",
		"tracking_total_items": "0", "tracking_total_prefixes": "0"})
	if f := clientListOf(t, admin, aID); f["flags"] != "N" || f["redir"] != "-1" {
		t.Errorf("before tracking: flags=%s redir=%s, want N and -1", f["flags"], f["redir"])
	}

	a.str("CLIENT", "TRACKING", "on")
	a.do("GET", "k1")
	a.do("MGET", "k1", "k2")
	b.str("CLIENT", "TRACKING", "on", "REDIRECT", strconv.FormatInt(aID, 10))
	b.do("GET", "k1")
	bc.str("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "x:", "PREFIX", "y:")
	// Keys: k1 (a, b) and k2 (a): 2 keys, 3 items; BCAST clients are not
	// remembered per key.
	bc.do("GET", "k3")
	wantInfo(t, admin, map[string]string{"tracking_clients": "3", "tracking_total_keys": "2",
		"tracking_total_items": "3", "tracking_total_prefixes": "2"})
	if f := clientListOf(t, admin, aID); f["flags"] != "t" || f["redir"] != "0" {
		t.Errorf("a: flags=%s redir=%s, want t and 0", f["flags"], f["redir"])
	}
	if f := clientListOf(t, admin, bID); f["flags"] != "t" || f["redir"] != strconv.FormatInt(aID, 10) {
		t.Errorf("b: flags=%s redir=%s, want t and %d", f["flags"], f["redir"], aID)
	}
	if f := clientListOf(t, admin, bcID); f["flags"] != "tB" {
		t.Errorf("bcast client: flags=%s, want tB", f["flags"])
	}

	// A write to k1 tells a (its own push) and b (through a), and
	// forgets k1.
	admin.str("SET", "k1", "v")
	for i := 0; i < 2; i++ {
		if v := a.read(); v.String() != `>[$"invalidate" *[$"k1"]]` {
			t.Errorf("a's push %d = %v", i, v)
		}
	}
	wantInfo(t, admin, map[string]string{"tracking_total_keys": "1", "tracking_total_items": "1"})

	// a goes away: b's redirection breaks at its next invalidation.
	b.do("GET", "k2")
	a.nc.Close()
	if !waitUntil(5*time.Second, func() bool { return trackingInfo(t, admin)["tracking_clients"] == "2" }) {
		t.Fatalf("tracking_clients after a left: %v, want 2", trackingInfo(t, admin))
	}
	admin.str("SET", "k2", "v")
	if f := clientListOf(t, admin, bID); f["flags"] != "tR" {
		t.Errorf("b after its target left: flags=%s, want tR", f["flags"])
	}
	// k2's entry named a and b: both gone from the table with it.
	wantInfo(t, admin, map[string]string{"tracking_total_keys": "0", "tracking_total_items": "0"})

	// Tracking off keeps no prefix; RESET turns it off too.
	bc.str("CLIENT", "TRACKING", "off")
	wantInfo(t, admin, map[string]string{"tracking_clients": "1", "tracking_total_prefixes": "0"})
	if v := b.do("RESET"); v.Str != "RESET" {
		t.Fatalf("RESET = %v", v)
	}
	wantInfo(t, admin, map[string]string{"tracking_clients": "0"})
	if f := clientListOf(t, admin, bID); f["flags"] != "N" || f["redir"] != "-1" {
		t.Errorf("b after RESET: flags=%s redir=%s, want N and -1", f["flags"], f["redir"])
	}
}

// TestTrackingManyReaders has more clients read one key than a short list
// holds (a set then), and every one of them told once of a write.
func TestTrackingManyReaders(t *testing.T) {
	srv := tcStart(t, Config{})
	const n = 3 * maxTrackedSlice
	conns := make([]*tcConn, n)
	for i := range conns {
		c := tcDial(t, srv)
		c.do("HELLO", "3")
		c.str("CLIENT", "TRACKING", "on")
		c.do("GET", "hot")
		c.do("GET", "hot") // a second read adds nothing
		conns[i] = c
	}
	w := tcDial(t, srv)
	wantInfo(t, w, map[string]string{"tracking_total_keys": "1", "tracking_total_items": strconv.Itoa(n)})
	w.str("SET", "hot", "1")
	for i, c := range conns {
		if v := c.read(); v.String() != `>[$"invalidate" *[$"hot"]]` {
			t.Fatalf("client %d: %v", i, v)
		}
		if v := c.do("PING"); v.Str != "PONG" {
			t.Fatalf("client %d got %v after its one push, want PONG", i, v)
		}
	}
	wantInfo(t, w, map[string]string{"tracking_total_keys": "0", "tracking_total_items": "0"})
}

// TestTrackingRESP2Redirect checks the pub/sub message a RESP2 connection
// in subscribed mode gets on __redis__:invalidate, and that a RESP2
// connection that is not subscribed gets nothing.
func TestTrackingRESP2Redirect(t *testing.T) {
	srv := tcStart(t, Config{})
	sub, tr, w := tcDial(t, srv), tcDial(t, srv), tcDial(t, srv)
	subID := sub.integer("CLIENT", "ID")
	tr.str("CLIENT", "TRACKING", "on", "REDIRECT", strconv.FormatInt(subID, 10))
	tr.do("GET", "k")
	w.str("SET", "k", "1") // not subscribed: nothing
	if v := sub.do("SUBSCRIBE", "__redis__:invalidate"); v.String() != `*[$"subscribe" $"__redis__:invalidate" :"1"]` {
		t.Fatalf("SUBSCRIBE = %v", v)
	}
	tr.do("GET", "k")
	w.str("SET", "k", "2")
	if v := sub.read(); v.String() != `*[$"message" $"__redis__:invalidate" *[$"k"]]` {
		t.Errorf("message = %v", v)
	}
	w.str("FLUSHALL")
	if v := sub.read(); v.String() != `*[$"message" $"__redis__:invalidate" $nil]` {
		t.Errorf("flush message = %v", v)
	}
	if v := sub.do("PING"); v.String() != `*[$"pong" $""]` {
		t.Errorf("after the messages: %v, want the subscribed mode's pong", v)
	}
}

// TestTrackingManyPrefixes is bad input: a BCAST client names 100,000
// prefixes in one command, then another list whose only overlap is at its
// end. Both are answered promptly (no pairwise comparison of the lists),
// with Redis's error naming the pair its loop would find first.
func TestTrackingManyPrefixes(t *testing.T) {
	srv := tcStart(t, Config{})
	c, w := tcDial(t, srv), tcDial(t, srv)
	c.do("HELLO", "3")
	const n = 100_000
	args := []string{"CLIENT", "TRACKING", "on", "BCAST"}
	for i := 0; i < n; i++ {
		args = append(args, "PREFIX", fmt.Sprintf("p%06d:", i))
	}
	start := time.Now()
	c.str(args...)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("100,000 prefixes took %v", d)
	}
	wantInfo(t, w, map[string]string{"tracking_total_prefixes": strconv.Itoa(n)})

	args = []string{"CLIENT", "TRACKING", "on", "BCAST"}
	for i := 0; i < n; i++ {
		args = append(args, "PREFIX", fmt.Sprintf("q%06d:", i))
	}
	args = append(args, "PREFIX", "q000007:x")
	start = time.Now()
	v := c.do(args...)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("100,001 prefixes with an overlap took %v", d)
	}
	if want := "ERR Prefix 'q000007:' overlaps with another provided prefix 'q000007:x'. Prefixes for a single client must not overlap."; v.Str != want {
		t.Errorf("overlap error = %q, want %q", v.Str, want)
	}
	// A key under one prefix of many: one message, for that prefix.
	w.str("SET", "p012345:k", "1")
	if v := c.read(); v.String() != `>[$"invalidate" *[$"p012345:k"]]` {
		t.Errorf("push = %v", v)
	}
	c.str("CLIENT", "TRACKING", "off")
	wantInfo(t, w, map[string]string{"tracking_total_prefixes": "0"})
}

// TestTrackingPipelineBcast checks that a BCAST client hears of the keys a
// pipelined batch changed in one message, as Redis gathers them until it
// sleeps, and that a write by a client in NOLOOP mode is left out for it
// only.
func TestTrackingPipelineBcast(t *testing.T) {
	srv := tcStart(t, Config{})
	c, loop, w := tcDial(t, srv), tcDial(t, srv), tcDial(t, srv)
	c.do("HELLO", "3")
	loop.do("HELLO", "3")
	c.str("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "b:")
	loop.str("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "b:", "NOLOOP")
	var batch strings.Builder
	for _, k := range []string{"b:3", "b:1", "x", "b:2", "b:1"} {
		batch.WriteString(bulk("SET", k, "v"))
	}
	if _, err := w.nc.Write([]byte(batch.String())); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		w.read()
	}
	want := `>[$"invalidate" *[$"b:1" $"b:2" $"b:3"]]`
	if v := c.read(); v.String() != want {
		t.Errorf("push = %v, want %v", v, want)
	}
	if v := loop.read(); v.String() != want {
		t.Errorf("NOLOOP client's push = %v, want %v", v, want)
	}
	// loop's own write of b:1 and w's of b:2, in one batch each: loop
	// hears of b:2 only.
	loop.str("SET", "b:1", "own")
	w.str("SET", "b:2", "other")
	if v := loop.read(); v.String() != `>[$"invalidate" *[$"b:2"]]` {
		t.Errorf("NOLOOP client's push = %v", v)
	}
	for _, k := range []string{"b:1", "b:2"} {
		if v := c.read(); v.String() != `>[$"invalidate" *[$"`+k+`"]]` {
			t.Errorf("push = %v, want one for %s", v, k)
		}
	}
}

// TestTrackingConcurrent runs readers with tracking on and writers at once
// (for the race detector), then checks that every reader's last cached
// read was invalidated by the last write.
func TestTrackingConcurrent(t *testing.T) {
	srv := tcStart(t, Config{})
	const readers, writers, rounds, keys = 8, 4, 200, 16
	var wg sync.WaitGroup
	rs := make([]*tcConn, readers)
	for i := range rs {
		rs[i] = tcDial(t, srv)
		rs[i].do("HELLO", "3")
		mode := []string{"CLIENT", "TRACKING", "on"}
		if i%2 == 1 {
			mode = append(mode, "BCAST", "PREFIX", "k")
		}
		rs[i].str(mode...)
	}
	for i := 0; i < writers; i++ {
		wc := tcDial(t, srv)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				wc.send("SET", fmt.Sprintf("k%d", r%keys), strconv.Itoa(r))
				if v, err := tcRead(wc.r); err != nil || v.Str != "OK" {
					t.Errorf("SET: %v %v", v, err)
					return
				}
			}
		}()
	}
	for _, rc := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				rc.send("GET", fmt.Sprintf("k%d", r%keys))
				for { // skip pushes until the reply
					v, err := tcRead(rc.r)
					if err != nil {
						t.Errorf("GET: %v", err)
						return
					}
					if v.Kind != '>' {
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	// Now one reader reads a key, a write follows: it must hear of it.
	rs[0].send("GET", "k0")
	for {
		v := rs[0].read()
		if v.Kind != '>' {
			break
		}
	}
	tcDial(t, srv).str("SET", "k0", "last")
	for {
		v := rs[0].read()
		if v.String() == `>[$"invalidate" *[$"k0"]]` {
			break
		}
		if v.Kind != '>' {
			t.Fatalf("unexpected %v", v)
		}
	}
}
