package server

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tcDialFrom connects to srv from the local address ip (127.0.0.2 is a
// different source than 127.0.0.1 for the throttle), skipping the test if
// the system cannot bind it.
func tcDialFrom(t *testing.T, srv *Server, ip string) *tcConn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	nc, err := d.Dial("tcp", srv.Addr())
	if err != nil {
		t.Skipf("cannot connect from %s: %v", ip, err)
	}
	t.Cleanup(func() { nc.Close() })
	return &tcConn{t: t, nc: nc, r: bufio.NewReader(nc)}
}

// throttleServer starts a server that serves 127.0.0.2 (protected mode
// off: no password is set) with the throttling th.
func throttleServer(t *testing.T, th AuthThrottleConfig, log *logBuffer) *Server {
	t.Helper()
	cfg := Config{InsecureDisableProtectedMode: true, AuthThrottle: &th}
	if log != nil {
		cfg.LogOutput, cfg.LogLevel = log, "verbose"
	}
	return tcStart(t, cfg)
}

// wrongAuth sends a login that fails (an unknown user gets the same
// WRONGPASS as a wrong password) and returns how long its reply took.
func wrongAuth(t *testing.T, c *tcConn) time.Duration {
	t.Helper()
	start := time.Now()
	if got := c.do("AUTH", "nosuchuser", "guess").flat(); got != "-"+msgWrongPass {
		t.Fatalf("AUTH nosuchuser guess = %q, want WRONGPASS", got)
	}
	return time.Since(start)
}

// TestThrottleTenthWrongPasswordWaits: nine failures from one address go
// at full speed, the tenth waits; meanwhile a correct password from another
// address, and other commands, are answered at once.
func TestThrottleTenthWrongPasswordWaits(t *testing.T) {
	const delay = 600 * time.Millisecond
	srv := throttleServer(t, AuthThrottleConfig{After: 9, Window: time.Minute, Delay: delay, MaxDelay: 4 * delay}, nil)
	attacker := tcDialFrom(t, srv, "127.0.0.2")
	for i := 1; i <= 9; i++ {
		if d := wrongAuth(t, attacker); d >= delay/2 {
			t.Fatalf("wrong password %d from 127.0.0.2 took %v, before any throttling", i, d)
		}
	}
	other, admin := tcDial(t, srv), tcDial(t, srv)
	start := time.Now()
	attacker.send("AUTH", "nosuchuser", "guess")
	// While the tenth attempt waits, the other address logs in and the
	// server answers everyone else.
	time.Sleep(delay / 6)
	okStart := time.Now()
	if got := other.do("AUTH", "default", "any").flat(); got != "+OK" {
		t.Fatalf("AUTH default from 127.0.0.1 = %q", got)
	}
	if got := admin.do("SET", "k", "v").flat(); got != "+OK" {
		t.Fatalf("SET = %q", got)
	}
	if d := time.Since(okStart); d >= delay/3 {
		t.Errorf("a correct password from another address and a SET took %v while the attacker waited", d)
	}
	if got := attacker.read().flat(); got != "-"+msgWrongPass {
		t.Fatalf("tenth AUTH = %q", got)
	}
	if d := time.Since(start); d < delay {
		t.Errorf("the tenth wrong password from one address took %v, want at least %v", d, delay)
	}
	// The next waits twice as long.
	if d := wrongAuth(t, attacker); d < 2*delay {
		t.Errorf("the eleventh wrong password took %v, want at least %v", d, 2*delay)
	}
	info := tcInfo(admin.str("INFO", "stats"))
	if info["redoubt_auth_failures"] != "11" || info["redoubt_auth_throttled"] != "2" {
		t.Errorf("INFO failures=%s throttled=%s, want 11 and 2", info["redoubt_auth_failures"], info["redoubt_auth_throttled"])
	}
	if ms, _ := strconv.Atoi(info["redoubt_auth_throttle_wait_ms"]); ms < int(3*delay/time.Millisecond)-50 {
		t.Errorf("redoubt_auth_throttle_wait_ms = %d, want about %d", ms, 3*delay/time.Millisecond)
	}
	// The wait is not AUTH's own time.
	stats := admin.str("INFO", "commandstats")
	for _, l := range strings.Split(stats, "\r\n") {
		if strings.HasPrefix(l, "cmdstat_auth:") {
			_, f := tcFields(strings.ReplaceAll(strings.TrimPrefix(l, "cmdstat_auth:"), ",", " "))
			if us, _ := strconv.Atoi(f["usec"]); us > int(delay/time.Microsecond)/2 {
				t.Errorf("cmdstat_auth usec=%d counts the throttle's wait", us)
			}
		}
	}
}

// TestThrottleLockoutCloses: at the lockout count the failed attempt gets
// its reply and the connection closes; later attempts from that address,
// even with a correct password, close at once; other addresses log in. The
// lockout is logged and counted.
func TestThrottleLockoutCloses(t *testing.T) {
	var log logBuffer
	srv := throttleServer(t, AuthThrottleConfig{After: 2, Window: time.Minute, Delay: time.Millisecond,
		MaxDelay: 2 * time.Millisecond, LockoutAfter: 4}, &log)
	attacker := tcDialFrom(t, srv, "127.0.0.2")
	for range 3 {
		wrongAuth(t, attacker)
	}
	wrongAuth(t, attacker) // the fourth: replied, then closed
	if !attacker.closed(5 * time.Second) {
		t.Fatal("the connection that reached the lockout count stays open")
	}
	again := tcDialFrom(t, srv, "127.0.0.2")
	again.send("AUTH", "default", "correct-or-not")
	if !again.closed(5 * time.Second) {
		t.Fatal("a login from a locked-out address was not closed")
	}
	hello := tcDialFrom(t, srv, "127.0.0.2")
	hello.send("HELLO", "3", "AUTH", "default", "x")
	if !hello.closed(5 * time.Second) {
		t.Fatal("HELLO AUTH from a locked-out address was not closed")
	}
	// A locked-out address can still do what needs no login.
	if got := tcDialFrom(t, srv, "127.0.0.2").do("PING").flat(); got != "+PONG" {
		t.Errorf("PING from a locked-out address = %q", got)
	}
	other := tcDial(t, srv)
	if got := other.do("AUTH", "default", "x").flat(); got != "+OK" {
		t.Errorf("AUTH from another address = %q", got)
	}
	info := tcInfo(other.str("INFO", "stats"))
	if info["redoubt_auth_lockouts"] != "1" || info["redoubt_auth_refused"] != "2" || info["redoubt_auth_failures"] != "4" {
		t.Errorf("INFO lockouts=%s refused=%s failures=%s, want 1, 2, 4",
			info["redoubt_auth_lockouts"], info["redoubt_auth_refused"], info["redoubt_auth_failures"])
	}
	if !strings.Contains(log.String(), "Locking out logins from 127.0.0.2 after 4 failed attempts") {
		t.Errorf("no lockout line in the log:\n%s", log.String())
	}
	if !strings.Contains(log.String(), "Throttling logins from 127.0.0.2 after 2 failed attempts") {
		t.Errorf("no throttling line in the log:\n%s", log.String())
	}
	// Turning throttling off lifts the lockout.
	if got := other.do("CONFIG", "SET", "redoubt-auth-throttle", "no").flat(); got != "+OK" {
		t.Fatalf("CONFIG SET redoubt-auth-throttle no = %q", got)
	}
	if got := tcDialFrom(t, srv, "127.0.0.2").do("AUTH", "default", "x").flat(); got != "+OK" {
		t.Errorf("AUTH with throttling off = %q", got)
	}
}

// TestThrottleWaitEndsOnKillAndClose: a login waiting its delay ends as
// soon as CLIENT KILL closes it, and Close does not wait for the delay.
func TestThrottleWaitEndsOnKillAndClose(t *testing.T) {
	srv := throttleServer(t, AuthThrottleConfig{After: 1, Window: time.Minute, Delay: time.Minute, MaxDelay: time.Minute}, nil)
	attacker := tcDialFrom(t, srv, "127.0.0.2")
	wrongAuth(t, attacker)
	admin := tcDial(t, srv)
	attacker.send("CLIENT", "ID")
	id := attacker.read().Str
	attacker.send("AUTH", "nosuchuser", "guess") // waits a minute
	if !waitUntil(5*time.Second, func() bool { return srv.thr.delayed.Load() == 1 }) {
		t.Fatal("the second attempt did not wait")
	}
	start := time.Now()
	if got := admin.integer("CLIENT", "KILL", "ID", id); got != 1 {
		t.Fatalf("CLIENT KILL ID = %d", got)
	}
	if !attacker.closed(5 * time.Second) {
		t.Fatal("killed client still open")
	}
	if !waitUntil(5*time.Second, func() bool { return !strings.Contains(admin.str("CLIENT", "LIST"), "id="+id+" ") }) {
		t.Fatal("the killed client's goroutine did not end within 5 seconds")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the waiting login took %v to end after CLIENT KILL", d)
	}

	second := tcDialFrom(t, srv, "127.0.0.2")
	second.send("AUTH", "nosuchuser", "guess")
	if !waitUntil(5*time.Second, func() bool { return srv.thr.delayed.Load() == 2 }) {
		t.Fatal("the third attempt did not wait")
	}
	start = time.Now()
	srv.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v with a login waiting", d)
	}
}

// TestThrottleInsideExecRefused: EXEC holds the store's lock, so a queued
// AUTH that would wait closes the connection instead, and nobody else
// waits.
func TestThrottleInsideExecRefused(t *testing.T) {
	srv := throttleServer(t, AuthThrottleConfig{After: 1, Window: time.Minute, Delay: time.Minute, MaxDelay: time.Minute}, nil)
	attacker := tcDialFrom(t, srv, "127.0.0.2")
	wrongAuth(t, attacker)
	attacker.do("MULTI")
	attacker.do("AUTH", "nosuchuser", "guess")
	attacker.do("PING")
	start := time.Now()
	attacker.send("EXEC")
	got, err := readUntilClosed(attacker.nc)
	if want := "*2\r\n-" + msgLoginThrottledInExec + "\r\n+PONG\r\n"; string(got) != want || !isClosed(err) {
		t.Fatalf("EXEC with a throttled AUTH: %q then %v, want %q then the end", got, err, want)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("EXEC with a throttled AUTH took %v", d)
	}
	if got := tcDial(t, srv).do("SET", "k", "v").flat(); got != "+OK" {
		t.Errorf("SET after = %q", got)
	}

	// Locked out: the same, with its own message.
	srv.thr.params.Store(&AuthThrottleConfig{After: 1, Window: time.Minute, Delay: time.Minute, MaxDelay: time.Minute, LockoutAfter: 1})
	locked := tcDialFrom(t, srv, "127.0.0.2")
	locked.do("MULTI")
	locked.do("HELLO", "2", "AUTH", "default", "x")
	locked.do("PING")
	locked.send("EXEC")
	got, err = readUntilClosed(locked.nc)
	if want := "*2\r\n-" + msgLoginLockedOutInExec + "\r\n+PONG\r\n"; string(got) != want || !isClosed(err) {
		t.Fatalf("EXEC with a locked-out HELLO AUTH: %q then %v, want %q then the end", got, err, want)
	}
}

// TestThrottleInflightExpires: an attempt admitted whose result never
// comes stops counting once no attempt could still be in flight.
func TestThrottleInflightExpires(t *testing.T) {
	p := AuthThrottleConfig{After: 1, Window: time.Minute, Delay: time.Second, MaxDelay: time.Second}
	th, now := testThrottle(p)
	a := src(3)
	th.admit(&p, a, nil) // never reported
	if _, _, n := th.verdict(&p, a, nil); n != 1 {
		t.Fatalf("an attempt in flight counts %d", n)
	}
	*now += inflightStale + time.Second
	if d, _, n := th.verdict(&p, a, nil); n != 0 || d != 0 {
		t.Errorf("a stale attempt in flight still counts: n=%d delay=%v", n, d)
	}
}

// testThrottle makes a throttle with a clock the test moves.
func testThrottle(p AuthThrottleConfig) (*throttle, *time.Duration) {
	t := &throttle{}
	t.init(p)
	now := new(time.Duration)
	t.now = func() time.Duration { return *now }
	return t, now
}

func src(n int) netip.Addr { return netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)}) }

// TestThrottleVerdicts checks the per-source backoff, the per-user rule,
// the lockout and the window on the table directly.
func TestThrottleVerdicts(t *testing.T) {
	p := AuthThrottleConfig{After: 3, Window: time.Minute, Delay: 100 * time.Millisecond, MaxDelay: time.Second, LockoutAfter: 10}
	th, now := testThrottle(p)
	a := src(1)
	alice := []byte("alice")
	for i := range 12 {
		delay, locked, n := th.verdict(&p, a, alice)
		var want time.Duration
		switch {
		case i >= 10:
		case i >= 3:
			want = min(p.Delay<<(i-3), p.MaxDelay)
		}
		if n != i || delay != want || locked != (i >= 10) {
			t.Errorf("after %d failures: verdict (%v, %v, %d), want (%v, %v, %d)", i, delay, locked, n, want, i >= 10, i)
		}
		th.fail(&p, a, alice)
		*now += time.Second
	}
	// The window counts from the last failure.
	*now += p.Window - time.Second
	if _, locked, n := th.verdict(&p, a, alice); !locked || n != 12 {
		t.Errorf("within the window: locked=%v n=%d, want a lockout", locked, n)
	}
	*now += time.Second + 1
	if delay, locked, n := th.verdict(&p, a, alice); locked || delay != 0 || n != 0 {
		t.Errorf("after the window: (%v, %v, %d), want nothing on record", delay, locked, n)
	}

	// A spray: one failure for bob from each of many sources. A clean
	// source is never slowed; a source that failed once waits on bob's
	// count, but not for a name in another bucket.
	bob := []byte("bob")
	other := []byte("carol")
	for i := 0; th.bucket(other) == th.bucket(bob); i++ {
		other = []byte("carol" + strconv.Itoa(i))
	}
	for i := range 6 {
		th.fail(&p, src(100+i), bob)
	}
	if delay, _, _ := th.verdict(&p, src(999), bob); delay != 0 {
		t.Errorf("a clean source waits %v for bob", delay)
	}
	if delay, _, _ := th.verdict(&p, src(100), bob); delay != min(p.Delay<<(6-3), p.MaxDelay) {
		t.Errorf("a failed source waits %v for a sprayed user, want %v", delay, min(p.Delay<<3, p.MaxDelay))
	}
	if delay, _, _ := th.verdict(&p, src(100), other); delay != 0 {
		t.Errorf("a source with one failure waits %v for %s", delay, other)
	}
}

// TestThrottleIPv6Network: addresses of one IPv6 /64 are one source; IPv4
// addresses, mapped or not, are themselves.
func TestThrottleIPv6Network(t *testing.T) {
	key := func(s string) netip.Addr { return throttleSource(&net.TCPAddr{IP: net.ParseIP(s), Port: 1}) }
	if key("2001:db8:1:2::1") != key("2001:db8:1:2:ffff::9") {
		t.Error("two addresses of one /64 are different sources")
	}
	if key("2001:db8:1:2::1") == key("2001:db8:1:3::1") {
		t.Error("two /64 networks are one source")
	}
	if key("::ffff:10.0.0.1") != key("10.0.0.1") || key("10.0.0.1") == key("10.0.0.2") {
		t.Error("IPv4 sources are not their addresses")
	}
	if got := sourceString(key("2001:db8:1:2::1")); got != "2001:db8:1:2::/64" {
		t.Errorf("sourceString = %q", got)
	}
	if key("x") != (netip.Addr{}) || throttleSource(&net.UnixAddr{Name: "/tmp/s"}) != (netip.Addr{}) {
		t.Error("a client without an IP address has a source of its own")
	}
}

// TestThrottleTableBounded: a flood of sources never grows the table past
// its bound, and shedding keeps the sources being throttled.
func TestThrottleTableBounded(t *testing.T) {
	p := AuthThrottleConfig{After: 2, Window: time.Hour, Delay: time.Millisecond, MaxDelay: time.Second}
	th, _ := testThrottle(p)
	attacker := netip.MustParseAddr("192.0.2.1")
	th.fail(&p, attacker, nil)
	th.fail(&p, attacker, nil)
	for i := range throttleMaxSources + 1000 {
		th.fail(&p, src(i), []byte(fmt.Sprint("user", i)))
		if n := len(th.sources); n > throttleMaxSources {
			t.Fatalf("%d sources kept, bound %d", n, throttleMaxSources)
		}
	}
	if _, _, n := th.verdict(&p, attacker, nil); n != 2 {
		t.Errorf("the throttled source was shed: n=%d", n)
	}
}

// TestThrottleDirectives: the directives read and change the running
// settings, refuse bad values, and stay out of CONFIG GET * (Redis's
// answer) while redoubt-* lists them all.
func TestThrottleDirectives(t *testing.T) {
	srv := tcStart(t, Config{})
	c := tcDial(t, srv)
	want := "[redoubt-auth-throttle yes redoubt-auth-throttle-after 5 redoubt-auth-throttle-window 300 " +
		"redoubt-auth-throttle-delay 100 redoubt-auth-throttle-max-delay 10000 redoubt-auth-lockout-after 20 redoubt-auth-timeout 60 redoubt-audit-rate-limit 1000 redoubt-audit-log ]"
	if got := c.do("CONFIG", "GET", "redoubt-*").flat(); got != want {
		t.Errorf("CONFIG GET redoubt-* = %s\nwant %s", got, want)
	}
	if got := c.do("CONFIG", "GET", "*").flat(); strings.Contains(got, "redoubt-") {
		t.Errorf("CONFIG GET * lists Redoubt's own directives: %s", got)
	}
	if got := c.do("CONFIG", "GET", "REDOUBT-AUTH-LOCKOUT-AFTER").flat(); got != "[REDOUBT-AUTH-LOCKOUT-AFTER 20]" {
		t.Errorf("CONFIG GET by exact name = %s", got)
	}
	if got := c.do("CONFIG", "SET", "redoubt-auth-throttle-after", "3", "redoubt-auth-throttle-delay", "50").flat(); got != "+OK" {
		t.Fatalf("CONFIG SET = %s", got)
	}
	if p := srv.thr.params.Load(); p.After != 3 || p.Delay != 50*time.Millisecond || p.MaxDelay != 10*time.Second {
		t.Errorf("running settings %+v after CONFIG SET", *p)
	}
	for _, tc := range []struct{ args, want string }{
		{"redoubt-auth-throttle-max-delay 10", "-ERR CONFIG SET failed (possibly related to argument 'redoubt-auth-throttle-max-delay') - server: redoubt-auth-throttle-max-delay 10ms out of range [redoubt-auth-throttle-delay, 3600000ms]"},
		{"redoubt-auth-throttle-after 0", "-ERR CONFIG SET failed (possibly related to argument 'redoubt-auth-throttle-after') - argument must be between 1 and 1000000 inclusive"},
		{"redoubt-auth-throttle maybe", "-ERR CONFIG SET failed (possibly related to argument 'redoubt-auth-throttle') - argument must be 'yes' or 'no'"},
		{"redoubt-audit-log /tmp/x", "-ERR CONFIG SET failed (possibly related to argument 'redoubt-audit-log') - can't set immutable config"},
	} {
		args := append([]string{"CONFIG", "SET"}, strings.Fields(tc.args)...)
		if got := c.do(args...).flat(); got != tc.want {
			t.Errorf("CONFIG SET %s = %s\nwant %s", tc.args, got, tc.want)
		}
	}
	if p := srv.thr.params.Load(); p.After != 3 || p.MaxDelay != 10*time.Second {
		t.Errorf("a refused CONFIG SET changed the settings: %+v", *p)
	}
	cfg, err := ParseArgs([]string{"--redoubt-auth-throttle", "no", "--redoubt-auth-lockout-after", "0", "--redoubt-audit-log", "/var/log/redoubt-audit.jsonl"})
	if err != nil {
		t.Fatal(err)
	}
	if th := cfg.authThrottle(); !th.InsecureDisable || th.LockoutAfter != 0 || th.After != 5 || cfg.AuditLog != "/var/log/redoubt-audit.jsonl" {
		t.Errorf("parsed %+v, audit %q", th, cfg.AuditLog)
	}
	if _, err := New(Config{AuthThrottle: &AuthThrottleConfig{After: 5, Window: time.Minute, Delay: time.Second, MaxDelay: time.Millisecond}}); err == nil {
		t.Error("New accepted a max delay below the delay")
	}
}

// TestThrottleAuthFlood: many connections from one address pipelining
// wrong passwords are slowed, then locked out and closed, while the
// server answers another address at once. Attempts in flight count as
// failures until they succeed, so however many connections try at once,
// no more passwords are checked than the lockout count.
func TestThrottleAuthFlood(t *testing.T) {
	const conns, perConn = 40, 5
	p := AuthThrottleConfig{After: 3, Window: time.Minute, Delay: 50 * time.Millisecond, MaxDelay: 200 * time.Millisecond, LockoutAfter: 10}
	srv := throttleServer(t, p, nil)
	var flood []*tcConn
	for range conns {
		c := tcDialFrom(t, srv, "127.0.0.2")
		var b strings.Builder
		for range perConn {
			b.WriteString(bulk("AUTH", "default-"+strconv.Itoa(len(flood)), "guess"))
		}
		if _, err := c.nc.Write([]byte(b.String())); err != nil {
			t.Fatal(err)
		}
		flood = append(flood, c)
	}
	other := tcDial(t, srv)
	for range 5 {
		start := time.Now()
		if got := other.do("AUTH", "default", "x").flat(); got != "+OK" {
			t.Fatalf("AUTH from another address during the flood = %q", got)
		}
		if d := time.Since(start); d > 100*time.Millisecond {
			t.Errorf("AUTH from another address took %v during the flood", d)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Every flooding connection ends at its next attempt, if not before:
	// one that finished its attempts before the lockout stays open until
	// it tries again.
	for _, c := range flood {
		c.nc.Write([]byte(bulk("AUTH", "default", "guess")))
	}
	for i, c := range flood {
		got, err := readUntilClosed(c.nc)
		if !isClosed(err) {
			t.Fatalf("flooding connection %d not closed: %v", i, err)
		}
		if n := strings.Count(string(got), msgWrongPass); n > perConn {
			t.Errorf("flooding connection %d had %d attempts checked after the lockout", i, n)
		}
	}
	if failures := srv.thr.failures.Load(); failures != int64(p.LockoutAfter) {
		t.Errorf("%d passwords checked from the flooding address, want %d", failures, p.LockoutAfter)
	}
	if srv.thr.lockouts.Load() != 1 {
		t.Errorf("lockouts = %d, want 1", srv.thr.lockouts.Load())
	}
}

// TestThrottleBurstOfGoodLogins: many connections from one address logging
// in at once with a correct password are all let in: an attempt in flight
// counts against its source only until it succeeds.
func TestThrottleBurstOfGoodLogins(t *testing.T) {
	srv := throttleServer(t, DefaultAuthThrottle(), nil)
	const n = 60
	var conns []*tcConn
	for range n {
		conns = append(conns, tcDialFrom(t, srv, "127.0.0.2"))
	}
	for _, c := range conns {
		c.send("AUTH", "default", "right")
	}
	for i, c := range conns {
		if got := c.read().flat(); got != "+OK" {
			t.Errorf("login %d of a burst = %q", i, got)
		}
	}
	if n := srv.thr.refused.Load(); n != 0 {
		t.Errorf("%d logins of a burst of good ones refused", n)
	}
	if n := srv.thr.trackedSources(); n != 0 {
		t.Errorf("%d sources on record after good logins only", n)
	}
}

// BenchmarkLoginHooks is what throttling adds to a login that is let
// through at once: the gate's admission and the result's release.
func BenchmarkLoginHooks(b *testing.B) {
	p := DefaultAuthThrottle()
	th := &throttle{}
	th.init(p)
	a := src(7)
	user := []byte("default")
	for range b.N {
		th.admit(&p, a, user)
		th.release(&p, a)
	}
}

// TestThrottleWithPasswords: real wrong passwords for the default user
// from several addresses, each under the per-address threshold, slow a
// further attempt from one of them (a spray), while a correct password from
// a clean address goes through at once; the lockout's ACL LOG entry.
func TestThrottleWithPasswords(t *testing.T) {
	const pw = "guard9-0f3a9c1be27d4856a1c3e5f7092b4d6e"
	const delay = 400 * time.Millisecond
	th := AuthThrottleConfig{After: 3, Window: time.Minute, Delay: delay, MaxDelay: delay, LockoutAfter: 5}
	srv := tcStart(t, Config{RequirePass: pw, AuthThrottle: &th})
	for _, ip := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.4"} {
		c := tcDialFrom(t, srv, ip)
		start := time.Now()
		if got := c.do("AUTH", "wrong-password").flat(); got != "-"+msgWrongPass {
			t.Fatalf("AUTH wrong from %s = %q", ip, got)
		}
		if d := time.Since(start); d >= delay/2 {
			t.Errorf("a first failure from %s took %v", ip, d)
		}
	}
	// 127.0.0.2 has failed once, and the default user three times.
	sprayer := tcDialFrom(t, srv, "127.0.0.2")
	start := time.Now()
	if got := sprayer.do("HELLO", "3", "AUTH", "default", "wrong-again").flat(); got != "-"+msgWrongPass {
		t.Fatalf("HELLO AUTH wrong = %q", got)
	}
	if d := time.Since(start); d < delay {
		t.Errorf("a second failure from a spraying address took %v, want at least %v", d, delay)
	}
	clean := tcDialFrom(t, srv, "127.0.0.9")
	start = time.Now()
	if got := clean.do("AUTH", "default", pw).flat(); got != "+OK" {
		t.Fatalf("AUTH with the password from a clean address = %q", got)
	}
	if d := time.Since(start); d >= delay/2 {
		t.Errorf("a correct password from a clean address took %v", d)
	}
	// Three more from 127.0.0.2 reach the lockout count (5).
	for range 3 {
		sprayer.do("AUTH", "wrong")
	}
	if !sprayer.closed(5 * time.Second) {
		t.Fatal("the address that reached the lockout count stays connected")
	}
	refused := tcDialFrom(t, srv, "127.0.0.2")
	refused.send("AUTH", pw)
	if !refused.closed(5 * time.Second) {
		t.Fatal("a correct password from a locked-out address was checked")
	}
	found := false
	for _, e := range srv.aclLogEntries(-1) {
		if e.Object == "lockout" {
			found = true
			if e.Reason != "auth" || e.Context != "toplevel" || e.Username != "default" || e.Count != 2 {
				t.Errorf("lockout entry %+v, want reason auth, toplevel, default, count 2", e)
			}
			if strings.Contains(e.ClientInfo, pw) {
				t.Errorf("the lockout entry shows the password")
			}
		}
	}
	if !found {
		t.Errorf("no lockout entry in ACL LOG: %+v", srv.aclLogEntries(-1))
	}
	if got := clean.do("ACL", "LOG", "1").flat(); !strings.Contains(got, "reason auth context toplevel object lockout username default") {
		t.Errorf("ACL LOG 1 = %s, want the lockout entry", got)
	}
}

// TestGuardDirectivesRewrite: CONFIG REWRITE writes the changed redoubt-*
// directives, and the file reads back to the same settings.
func TestGuardDirectivesRewrite(t *testing.T) {
	dir := t.TempDir()
	conf := dir + "/redoubt.conf"
	audit := dir + "/audit.jsonl"
	if err := os.WriteFile(conf, []byte("redoubt-auth-throttle-after 7\nredoubt-audit-log "+audit+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseArgs([]string{conf})
	if err != nil {
		t.Fatal(err)
	}
	srv := tcStart(t, cfg)
	c := tcDial(t, srv)
	for _, kv := range [][2]string{{"redoubt-auth-lockout-after", "0"}, {"redoubt-auth-timeout", "0"}, {"redoubt-audit-rate-limit", "50"}, {"redoubt-auth-throttle-window", "90"}} {
		if got := c.do("CONFIG", "SET", kv[0], kv[1]).flat(); got != "+OK" {
			t.Fatalf("CONFIG SET %s %s = %q", kv[0], kv[1], got)
		}
	}
	if got := c.do("CONFIG", "REWRITE").flat(); got != "+OK" {
		t.Fatalf("CONFIG REWRITE = %q", got)
	}
	data, _ := os.ReadFile(conf)
	for _, line := range []string{"redoubt-auth-throttle-after 7", "redoubt-audit-log \"" + audit + "\"", "redoubt-auth-lockout-after 0",
		"redoubt-auth-timeout 0", "redoubt-audit-rate-limit 50", "redoubt-auth-throttle-window 90"} {
		if !strings.Contains(string(data), line+"\n") {
			t.Errorf("rewritten file lacks %q:\n%s", line, data)
		}
	}
	reread, err := ParseArgs([]string{conf})
	if err != nil {
		t.Fatal(err)
	}
	if th := reread.authThrottle(); th.After != 7 || th.LockoutAfter != 0 || th.Window != 90*time.Second ||
		reread.authTimeout() != 0 || reread.auditRateLimit() != 50 || reread.AuditLog != audit {
		t.Errorf("read back: %+v timeout %v rate %d audit %q", th, reread.authTimeout(), reread.auditRateLimit(), reread.AuditLog)
	}
}
