package server

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// tcDialSlow connects to srv with a receive buffer of a few kilobytes, so
// that a client that does not read leaves the server's output unwritten
// instead of in its own socket (Linux grows a receive buffer to 32 MB).
func tcDialSlow(t *testing.T, srv *Server) *tcConn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	nc, err := d.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &tcConn{t: t, nc: nc, r: bufio.NewReader(nc)}
}

// outputLimitClosures returns INFO's client_output_buffer_limit_disconnections.
func outputLimitClosures(t *testing.T, srv *Server) int64 {
	t.Helper()
	tc := tcDial(t, srv)
	defer tc.nc.Close()
	v := tcInfo(tc.str("INFO", "stats"))["client_output_buffer_limit_disconnections"]
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("client_output_buffer_limit_disconnections = %q", v)
	}
	return n
}

// TestOutputLimitDirective checks client-output-buffer-limit's forms: the
// defaults (Redis's, spelled as CONFIG GET prints them), the Config field,
// CONFIG SET of one class or several, in any unit and with the replica
// alias, the errors, which change nothing, and the limits the connections
// check.
func TestOutputLimitDirective(t *testing.T) {
	if got := DefaultOutputBufferLimits().format(); got != defaultObufLimit {
		t.Errorf("DefaultOutputBufferLimits = %q, want %q", got, defaultObufLimit)
	}
	srv := tcStart(t, Config{})
	tc := tcDial(t, srv)
	get := func() string {
		t.Helper()
		v := tc.do("CONFIG", "GET", "client-output-buffer-limit")
		if len(v.Elems) != 2 {
			t.Fatalf("CONFIG GET = %v", v)
		}
		return v.Elems[1].Str
	}
	if got := get(); got != defaultObufLimit {
		t.Errorf("CONFIG GET = %q, want %q", got, defaultObufLimit)
	}
	if got := tc.str("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 512KB 10 REPLICA 1gb 0 0"); got != "OK" {
		t.Fatalf("CONFIG SET = %q", got)
	}
	want := "normal 0 0 0 slave 1073741824 0 0 pubsub 1048576 524288 10"
	if got := get(); got != want {
		t.Errorf("CONFIG GET = %q, want %q", got, want)
	}
	cfg := srv.configSnapshot()
	if l := cfg.ClientOutputBufferLimits; l == nil || l.PubSub != (OutputBufferLimit{1 << 20, 512 << 10, 10}) ||
		l.Replica != (OutputBufferLimit{Hard: 1 << 30}) || l.Normal != (OutputBufferLimit{}) {
		t.Errorf("Config.ClientOutputBufferLimits = %+v", l)
	}
	if h, s, secs := srv.obuf[obufPubsub].hard.Load(), srv.obuf[obufPubsub].soft.Load(), srv.obuf[obufPubsub].secs.Load(); h != 1<<20 || s != 512<<10 || secs != 10 {
		t.Errorf("pubsub limits checked: %d %d %d", h, s, secs)
	}
	for _, tt := range []struct{ value, reason string }{
		{"normal 1 2", msgObufArgs},
		{"master 1 2 3", msgObufClass},
		{"normal 1mb 2mb -1", msgObufValues},
		{"normal 1xb 2 3", msgObufValues},
		{"pubsub 1 2 3 normal 1 2 3x", msgObufValues},
	} {
		v := tc.do("CONFIG", "SET", "client-output-buffer-limit", tt.value)
		wantErr := "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - " + tt.reason
		if v.Kind != '-' || v.Str != wantErr {
			t.Errorf("CONFIG SET %q = %v, want -%s", tt.value, v, wantErr)
		}
	}
	if got := get(); got != want {
		t.Errorf("after refused sets, CONFIG GET = %q, want %q", got, want)
	}

	// An embedder's limits, and a config file's lines, each replacing the
	// classes it names.
	srv2 := tcStart(t, Config{ClientOutputBufferLimits: &OutputBufferLimits{Normal: OutputBufferLimit{1, 2, 3}}})
	if cfg2 := srv2.configSnapshot(); cfg2.outputLimits().format() != "normal 1 2 3 slave 0 0 0 pubsub 0 0 0" {
		t.Errorf("embedded limits = %q", cfg2.outputLimits().format())
	}
	if srv2.obuf[obufNormal].hard.Load() != 1 || srv2.obuf[obufNormal].secs.Load() != 3 {
		t.Error("embedded limits not checked by connections")
	}
	if _, err := New(Config{ClientOutputBufferLimits: &OutputBufferLimits{PubSub: OutputBufferLimit{SoftSeconds: -1}}}); err == nil ||
		!strings.Contains(err.Error(), "client-output-buffer-limit pubsub soft seconds -1 out of range") {
		t.Errorf("New with negative soft seconds: %v", err)
	}
	fc, err := cfgApplyText(t, "client-output-buffer-limit normal 1mb 0 0\nclient-output-buffer-limit pubsub 2gb 1gb 3600\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := fc.outputLimits().format(); got != "normal 1048576 0 0 slave 268435456 67108864 60 pubsub 2147483648 1073741824 3600" {
		t.Errorf("config file limits = %q", got)
	}
}

// TestOutputLimitHardOwnReply: a reply that alone passes the normal class's
// hard limit closes its client before anything of the batch is written,
// counted in INFO and logged as Redis logs it; a reply under the limit, or
// with no limit, is served.
func TestOutputLimitHardOwnReply(t *testing.T) {
	var logs logBuffer
	srv := tcStart(t, Config{LogOutput: &logs})
	tc := tcDial(t, srv)
	tc.integer("SETRANGE", "big", strconv.Itoa(2<<20-1), "x")
	tc.integer("SETRANGE", "mid", strconv.Itoa(512<<10-1), "x")
	if v := tc.do("GET", "big"); len(v.Str) != 2<<20 {
		t.Fatalf("GET big without a limit: %d bytes", len(v.Str))
	}
	tc.str("CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0")
	if v := tc.do("GET", "mid"); len(v.Str) != 512<<10 {
		t.Fatalf("GET mid under the limit: %d bytes", len(v.Str))
	}

	victim := tcDial(t, srv)
	victim.str("CLIENT", "SETNAME", "victim")
	// One batch: the PING's reply is dropped with the rest.
	if _, err := io.WriteString(victim.nc, bulk("PING")+bulk("GET", "big")); err != nil {
		t.Fatal(err)
	}
	if !victim.closed(5 * time.Second) {
		t.Fatal("a client whose reply passed the hard limit was not closed")
	}
	if n := outputLimitClosures(t, srv); n != 1 {
		t.Errorf("client_output_buffer_limit_disconnections = %d, want 1", n)
	}
	line := ""
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "name=victim") {
			line = l
		}
	}
	if !strings.HasSuffix(line, " scheduled to be closed ASAP for overcoming of output buffer limits.") ||
		!strings.Contains(line, " # Client id=") || !strings.Contains(line, " cmd=get ") {
		t.Errorf("log line = %q", line)
	}
	// The others go on.
	if got := tc.str("PING"); got != "PONG" {
		t.Errorf("PING = %q", got)
	}
}

// TestOutputLimitSoft: a client that does not read a reply over the soft
// limit is closed by the cron once it has been over it for more than the
// soft seconds, not before; a client that reads the same reply is not.
func TestOutputLimitSoft(t *testing.T) {
	var logs logBuffer
	srv := tcStart(t, Config{LogOutput: &logs})
	tc := tcDial(t, srv)
	tc.integer("SETRANGE", "big", strconv.Itoa(16<<20-1), "x")
	tc.str("CONFIG", "SET", "client-output-buffer-limit", "normal 0 1mb 1")

	if v := tc.do("GET", "big"); len(v.Str) != 16<<20 {
		t.Fatalf("GET big by a reader: %d bytes", len(v.Str))
	}
	slow := tcDialSlow(t, srv)
	slow.str("CLIENT", "SETNAME", "slow")
	start := time.Now()
	slow.send("GET", "big")
	time.Sleep(500 * time.Millisecond)
	if n := outputLimitClosures(t, srv); n != 0 {
		t.Fatalf("closed after 0.5s over a soft limit of 1s (%d closures)", n)
	}
	if !waitUntil(10*time.Second, func() bool { return outputLimitClosures(t, srv) == 1 }) {
		t.Fatal("a client over the soft limit for 10s was not closed")
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("closed %v after reaching a soft limit of 1s", d)
	}
	if !waitUntil(5*time.Second, func() bool {
		return strings.Contains(logs.String(), "name=slow")
	}) {
		t.Fatal("closing the slow client was not logged")
	}
	if !strings.Contains(logs.String(), " closed for overcoming of output buffer limits.") {
		t.Errorf("log = %q", logs.String())
	}
	if tc.str("PING") != "PONG" {
		t.Error("the reader was disturbed")
	}
}

// TestOutputLimitOutbox: what other goroutines post to a client that does
// not read counts against its class's limit, the subscribers' when it has a
// subscription, with what its goroutine is still writing: the post that
// reaches it fails without waiting, and the client is closed, counted and
// logged. The server's socket takes a few megabytes the client has not
// read, which are no longer output: the limit is reached that much later.
func TestOutputLimitOutbox(t *testing.T) {
	chunk := bytes.Repeat([]byte("x"), 1<<20)
	msg := append([]byte("$"+strconv.Itoa(len(chunk))+"\r\n"), chunk...)
	msg = append(msg, "\r\n"...)
	const socketTakes = 6 // MB, at most
	for _, tt := range []struct {
		name   string
		limits string
		subs   int32
		limit  int // MB
	}{
		{"normal", "normal 16mb 0 0 pubsub 1mb 0 0", 0, 16},
		{"pubsub", "normal 64mb 0 0 pubsub 8mb 0 0", 1, 8},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logs logBuffer
			srv := tcStart(t, Config{LogOutput: &logs})
			tc := tcDialSlow(t, srv)
			tc.str("CLIENT", "SETNAME", "flooded")
			tc.str("CONFIG", "SET", "client-output-buffer-limit", tt.limits)
			c := serverConn(t, srv, tc)
			c.subs.Store(tt.subs)
			posted := 0
			start := time.Now()
			for posted < 100 && c.post(msg) {
				posted++
				if used := c.ob.size.Load() + c.outMem.Load(); used >= int64(tt.limit)<<20 {
					t.Fatalf("after %d posts, %d bytes of output, past the limit", posted, used)
				}
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("posting took %v", d)
			}
			if posted < tt.limit-1 || posted > tt.limit+socketTakes {
				t.Errorf("%d posts of 1 MB succeeded, want %d to %d", posted, tt.limit-1, tt.limit+socketTakes)
			}
			if !waitUntil(5*time.Second, func() bool { return srv.lookupConn(c.id) == nil }) {
				t.Fatal("the connection over its limit was not closed")
			}
			if n := outputLimitClosures(t, srv); n != 1 {
				t.Errorf("client_output_buffer_limit_disconnections = %d, want 1", n)
			}
			if !waitUntil(5*time.Second, func() bool {
				return strings.Contains(logs.String(), "name=flooded")
			}) {
				t.Fatalf("closing was not logged: %q", logs.String())
			}
			if !strings.Contains(logs.String(), "scheduled to be closed ASAP for overcoming of output buffer limits.") {
				t.Errorf("log = %q", logs.String())
			}
			if c.post([]byte("+late\r\n")) {
				t.Error("post to a closed connection succeeded")
			}
		})
	}
}

// TestOutputLimitOutboxSoft: posts that keep a client over its soft limit
// start its clock, and it is closed once it has been over for more than
// the soft seconds (by the next post or by the cron), not before.
func TestOutputLimitOutboxSoft(t *testing.T) {
	srv := tcStart(t, Config{})
	tc := tcDialSlow(t, srv)
	tc.str("CONFIG", "SET", "client-output-buffer-limit", "normal 0 8mb 1")
	c := serverConn(t, srv, tc)
	msg := append([]byte("$1048576\r\n"), bytes.Repeat([]byte("y"), 1<<20)...)
	msg = append(msg, "\r\n"...)
	for i := 0; i < 16; i++ {
		if !c.post(msg) {
			t.Fatalf("post %d failed under a soft limit", i+1)
		}
	}
	since := c.softSince.Load()
	if since == 0 {
		t.Fatal("reaching the soft limit did not start its clock")
	}
	if !waitUntil(5*time.Second, func() bool { return srv.unixTime.Load() >= since+1 }) {
		t.Fatal("the cached clock did not move")
	}
	if srv.lookupConn(c.id) == nil {
		t.Fatal("closed after 1s over a soft limit of 1s")
	}
	if !waitUntil(5*time.Second, func() bool { return !c.post([]byte("+b\r\n")) }) {
		t.Error("posts more than 1s over the soft limit succeeded")
	}
	if n := outputLimitClosures(t, srv); n != 1 {
		t.Errorf("client_output_buffer_limit_disconnections = %d, want 1", n)
	}
}

// TestOutputLimitBackstop: a class without a hard limit (normal clients by
// default) still bounds the outbox, at outboxBackstop; a hard limit above
// it is honoured.
func TestOutputLimitBackstop(t *testing.T) {
	srv := tcStart(t, Config{})
	tc := tcDial(t, srv)
	c := serverConn(t, srv, tc)
	if c.outboxOverLimit(outboxBackstop) || !c.outboxOverLimit(outboxBackstop+1) {
		t.Errorf("normal class: over at %d = %v, at %d = %v, want false, true",
			outboxBackstop, c.outboxOverLimit(outboxBackstop), outboxBackstop+1, c.outboxOverLimit(outboxBackstop+1))
	}
	tc.str("CONFIG", "SET", "client-output-buffer-limit", "normal 1gb 0 0")
	if c.outboxOverLimit(outboxBackstop + 1) {
		t.Error("a hard limit of 1gb closed a client at the backstop")
	}
	if !c.outboxOverLimit(1 << 30) {
		t.Error("a hard limit of 1gb let 1gb through")
	}
}

// TestOutputLimitSubscriberFlood is the case, with Redis's default
// limits (pubsub 32mb 8mb 60): a subscriber that never reads while four
// publishers flood its channel. Its output stays under the hard limit until
// it is closed, counted in INFO; the publishers' PUBLISH latency while it
// fills is measured against the same publishers with only a subscriber
// that reads, and they are not held up by it.
func TestOutputLimitSubscriberFlood(t *testing.T) {
	var logs logBuffer
	srv := tcStart(t, Config{LogOutput: &logs})
	const hard = 32 << 20
	msg := strings.Repeat("m", 16<<10)

	reader := tcDial(t, srv)
	reader.subscribeN("SUBSCRIBE", "flood")
	go io.Copy(io.Discard, reader.nc) // ends when the test closes it

	const publishers = 4
	pubs := make([]*tcConn, publishers)
	for i := range pubs {
		pubs[i] = tcDial(t, srv)
	}
	// publishAll has every publisher publish until stop says so, and
	// returns the latencies of their PUBLISHes.
	publishAll := func(stop func(receivers int64) bool) []time.Duration {
		var mu sync.Mutex
		var all []time.Duration
		var wg sync.WaitGroup
		for _, p := range pubs {
			wg.Add(1)
			go func() { // ends when stop says so, or after 5,000 messages
				defer wg.Done()
				var lat []time.Duration
				for i := 0; i < 5000; i++ {
					t0 := time.Now()
					io.WriteString(p.nc, bulk("PUBLISH", "flood", msg))
					p.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
					v, err := tcRead(p.r)
					lat = append(lat, time.Since(t0))
					if err != nil || v.Kind != ':' {
						t.Errorf("PUBLISH = %v, %v", v, err)
						break
					}
					n, _ := strconv.ParseInt(v.Str, 10, 64)
					if stop(n) {
						break
					}
				}
				mu.Lock()
				all = append(all, lat...)
				mu.Unlock()
			}()
		}
		wg.Wait()
		slices.Sort(all)
		return all
	}
	quantile := func(d []time.Duration, q float64) time.Duration { return d[int(float64(len(d)-1)*q)] }

	sent := 0
	var sentMu sync.Mutex
	base := publishAll(func(int64) bool {
		sentMu.Lock()
		defer sentMu.Unlock()
		sent++
		return sent >= 2000
	})

	stuck := tcDialSlow(t, srv)
	stuck.str("CLIENT", "SETNAME", "stuck")
	sc := serverConn(t, srv, stuck)
	stuck.subscribeN("SUBSCRIBE", "flood")
	var peak int64
	flood := publishAll(func(receivers int64) bool {
		used := sc.ob.size.Load() + sc.outMem.Load()
		sentMu.Lock()
		peak = max(peak, used)
		sentMu.Unlock()
		if used >= hard {
			t.Errorf("the stuck subscriber holds %d bytes of output, past the hard limit", used)
		}
		return receivers < 2 // the stuck subscriber is gone
	})
	if sc.closed.Load() == false {
		t.Fatal("the stuck subscriber was not closed after 20,000 messages of 16 KB")
	}
	if n := outputLimitClosures(t, srv); n != 1 {
		t.Errorf("client_output_buffer_limit_disconnections = %d, want 1", n)
	}
	if !waitUntil(5*time.Second, func() bool { return strings.Contains(logs.String(), "name=stuck") }) {
		t.Error("closing the stuck subscriber was not logged")
	}
	if peak < hard/2 {
		t.Errorf("the stuck subscriber was closed with %d bytes of output, far under the limit", peak)
	}
	t.Logf("baseline: %d PUBLISHes, p50 %v, p99 %v, max %v", len(base), quantile(base, 0.5), quantile(base, 0.99), base[len(base)-1])
	t.Logf("flooding the stuck subscriber (peak output %d bytes): %d PUBLISHes, p50 %v, p99 %v, max %v",
		peak, len(flood), quantile(flood, 0.5), quantile(flood, 0.99), flood[len(flood)-1])
	if p99, limit := quantile(flood, 0.99), 4*quantile(base, 0.99)+20*time.Millisecond; p99 > limit {
		t.Errorf("PUBLISH p99 %v while flooding, over %v (4× the baseline's + 20ms): the publishers were held up", p99, limit)
	}
	// A publisher held up by the subscriber would wait for ever; the
	// bound leaves room for the collector and the race detector.
	if m := flood[len(flood)-1]; m > 2*time.Second {
		t.Errorf("the slowest PUBLISH took %v", m)
	}
}

// TestOutputLimitPipelineHeldBack: a client that pipelines GETs of 512 KB
// values without reading is held back rather than buffered (README, "A
// client that pipelines without reading is held back"): its commands are
// not read while their replies wait, so its output never reaches a normal
// limit of 1 MB that no single reply passes, and once it reads, every
// reply comes. Redis would read on, buffer the replies and close it.
func TestOutputLimitPipelineHeldBack(t *testing.T) {
	srv := tcStart(t, Config{})
	tc := tcDialSlow(t, srv)
	tc.integer("SETRANGE", "v", strconv.Itoa(512<<10-1), "x")
	tc.str("CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0")
	c := serverConn(t, srv, tc)
	const gets = 200 // 100 MB of replies
	var req bytes.Buffer
	for i := 0; i < gets; i++ {
		req.WriteString(bulk("GET", "v"))
	}
	go tc.nc.Write(req.Bytes()) // ends when written, or when the test closes the connection
	var peak int64
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		_, _, omem := c.publishedOutput()
		peak = max(peak, omem)
	}
	if peak >= 1<<20 || peak == 0 {
		t.Errorf("the output of a client held back peaked at %d bytes, want some under 1 MB", peak)
	}
	if srv.lookupConn(c.id) == nil {
		t.Fatal("the client held back was closed")
	}
	for i := 0; i < gets; i++ {
		if v := tc.read(); len(v.Str) != 512<<10 {
			t.Fatalf("reply %d: %d bytes", i, len(v.Str))
		}
	}
	if n := outputLimitClosures(t, srv); n != 0 {
		t.Errorf("client_output_buffer_limit_disconnections = %d", n)
	}
}
