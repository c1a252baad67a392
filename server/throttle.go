package server

import (
	"fmt"
	"hash/maphash"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Brute-force throttling of logins, beyond Redis (SECURITY.md §3): Redis
// answers every AUTH at once, so a client may try passwords as fast as the
// network carries them. Redoubt counts the failed password checks of AUTH
// and HELLO … AUTH per source address and per user name:
//
//   - After AuthThrottleConfig.After failures from one source, each further
//     attempt from it waits before its password is checked: Delay, doubled
//     at each further failure, up to MaxDelay. The wait comes before the
//     check, so that a client cannot learn a guess failed by the delay alone
//     and move on; a source with no failures on record is never slowed, so
//     a correct password from another address goes through at once.
//   - After After failures for one user name, from any sources, a source
//     that has failed at least once also waits (by the user's count) before
//     trying that user again: a password spray from many addresses, each
//     under the per-source threshold, is slowed too, while clients with a
//     clean record log in at once.
//   - After LockoutAfter failures from one source, its login attempts close
//     the connection instead of checking the password, until the source
//     has been quiet for Window; the lockout is logged and goes to ACL LOG.
//   - An attempt counts as a failure of its source from the gate until its
//     password is found right: connections that try at once see each
//     other's attempts, so that however many an attacker opens, no more
//     than LockoutAfter passwords are checked per Window. A correct login
//     takes its attempt back at once (checking takes microseconds), so a
//     burst of good logins is not slowed in practice.
//   - A record is forgotten once Window has passed without a failure.
//     Successful logins reset nothing: a client that knows one password
//     cannot launder its guesses at another.
//
// Only the attacking connection waits. A login never holds the store's lock
// (AUTH and HELLO take none); inside EXEC, which holds it, an attempt that
// would wait is refused instead. The wait ends early when the connection is
// closed or the server stops, and it is not counted as command time (INFO
// commandstats, SLOWLOG). The command path pays nothing: the hooks run only
// in AUTH and HELLO … AUTH.
//
// Sources are IPv4 addresses and IPv6 /64 networks (a host usually gets a
// whole /64, so counting single IPv6 addresses would let one host rotate
// through billions); the table of sources is bounded (throttleMaxSources),
// shedding first the records that expired or slow nobody. User names are
// counted in a fixed table of buckets indexed by a keyed hash of the name,
// so that made-up names cannot grow memory; names sharing a bucket share a
// count, which can only slow sources that have failed already.

// AuthThrottleConfig configures the brute-force throttling of logins (the
// redoubt-auth-throttle* and redoubt-auth-lockout-after directives).
type AuthThrottleConfig struct {
	// InsecureDisable turns throttling off ("redoubt-auth-throttle no").
	InsecureDisable bool
	// After is how many failed logins from one source address (or for one
	// user name) go through at full speed before further attempts wait
	// ("redoubt-auth-throttle-after"). The default is 5.
	After int
	// Window is how long a source's or a user's failures are remembered
	// after the last one ("redoubt-auth-throttle-window", in seconds); it
	// is also how long a lockout lasts once the source stops trying. The
	// default is 5 minutes.
	Window time.Duration
	// Delay is the first wait, doubled at each further failure up to
	// MaxDelay ("redoubt-auth-throttle-delay" and
	// "redoubt-auth-throttle-max-delay", in milliseconds). The defaults
	// are 100 milliseconds and 10 seconds.
	Delay, MaxDelay time.Duration
	// LockoutAfter is how many failures from one source make its further
	// login attempts close the connection without a check
	// ("redoubt-auth-lockout-after"); 0 never locks out. The default is 20.
	LockoutAfter int
}

// DefaultAuthThrottle returns the throttling a nil Config.AuthThrottle
// stands for: on, with the defaults each field documents.
func DefaultAuthThrottle() AuthThrottleConfig {
	return AuthThrottleConfig{After: 5, Window: 5 * time.Minute, Delay: 100 * time.Millisecond,
		MaxDelay: 10 * time.Second, LockoutAfter: 20}
}

// authThrottle returns the throttling cfg asks for.
func (cfg *Config) authThrottle() AuthThrottleConfig {
	if cfg.AuthThrottle != nil {
		return *cfg.AuthThrottle
	}
	return DefaultAuthThrottle()
}

// setAuthThrottle changes one setting of cfg's throttling, replacing the
// pointer (CONFIG SET never changes what a running Config points at).
func (cfg *Config) setAuthThrottle(change func(*AuthThrottleConfig)) {
	t := cfg.authThrottle()
	change(&t)
	cfg.AuthThrottle = &t
}

// Bounds of the throttle's settings.
const (
	maxThrottleCount    = 1_000_000
	maxThrottleWindowS  = 7 * 24 * 3600 // seconds
	maxThrottleDelayMs  = 3600 * 1000   // milliseconds
	throttleMaxSources  = 1 << 16       // source records kept at most
	throttleUserBuckets = 1 << 12       // per-user-name counters
	// throttleCloseCheck is how often a waiting login looks whether its
	// connection was closed (CLIENT KILL closes the socket at once; the
	// goroutine notices within this).
	throttleCloseCheck = 250 * time.Millisecond
)

// validateAuthThrottle reports what is wrong with t, for Config.Validate.
func validateAuthThrottle(t AuthThrottleConfig) []string {
	var bad []string
	if t.After < 1 || t.After > maxThrottleCount {
		bad = append(bad, fmt.Sprintf("redoubt-auth-throttle-after %d out of range [1, %d]", t.After, maxThrottleCount))
	}
	if t.LockoutAfter < 0 || t.LockoutAfter > maxThrottleCount {
		bad = append(bad, fmt.Sprintf("redoubt-auth-lockout-after %d out of range [0, %d]", t.LockoutAfter, maxThrottleCount))
	}
	if t.Window < time.Second || t.Window > maxThrottleWindowS*time.Second {
		bad = append(bad, fmt.Sprintf("redoubt-auth-throttle-window %v out of range [1s, %ds]", t.Window, maxThrottleWindowS))
	}
	if t.Delay < time.Millisecond || t.Delay > maxThrottleDelayMs*time.Millisecond {
		bad = append(bad, fmt.Sprintf("redoubt-auth-throttle-delay %v out of range [1ms, %dms]", t.Delay, maxThrottleDelayMs))
	}
	if t.MaxDelay < t.Delay || t.MaxDelay > maxThrottleDelayMs*time.Millisecond {
		bad = append(bad, fmt.Sprintf("redoubt-auth-throttle-max-delay %v out of range [redoubt-auth-throttle-delay, %dms]", t.MaxDelay, maxThrottleDelayMs))
	}
	return bad
}

// throttleDirectives are the directives of login throttling.
var throttleDirectives = []*directive{
	implDirective("redoubt-auth-throttle", 0, parseYesNo,
		func(c *Config) string { return formatYesNo(!c.authThrottle().InsecureDisable) },
		func(c *Config, v string) {
			c.setAuthThrottle(func(t *AuthThrottleConfig) { t.InsecureDisable = v == "no" })
		}),
	implDirective("redoubt-auth-throttle-after", 0, parseIntRange(1, maxThrottleCount),
		func(c *Config) string { return dirItoa(c.authThrottle().After) },
		func(c *Config, v string) { c.setAuthThrottle(func(t *AuthThrottleConfig) { t.After = dirAtoi(v) }) }),
	implDirective("redoubt-auth-throttle-window", 0, parseIntRange(1, maxThrottleWindowS),
		func(c *Config) string { return strconv.FormatInt(int64(c.authThrottle().Window/time.Second), 10) },
		func(c *Config, v string) {
			c.setAuthThrottle(func(t *AuthThrottleConfig) { t.Window = time.Duration(dirAtoi64(v)) * time.Second })
		}),
	implDirective("redoubt-auth-throttle-delay", 0, parseIntRange(1, maxThrottleDelayMs),
		func(c *Config) string { return strconv.FormatInt(c.authThrottle().Delay.Milliseconds(), 10) },
		func(c *Config, v string) {
			c.setAuthThrottle(func(t *AuthThrottleConfig) { t.Delay = time.Duration(dirAtoi64(v)) * time.Millisecond })
		}),
	implDirective("redoubt-auth-throttle-max-delay", 0, parseIntRange(1, maxThrottleDelayMs),
		func(c *Config) string { return strconv.FormatInt(c.authThrottle().MaxDelay.Milliseconds(), 10) },
		func(c *Config, v string) {
			c.setAuthThrottle(func(t *AuthThrottleConfig) { t.MaxDelay = time.Duration(dirAtoi64(v)) * time.Millisecond })
		}),
	implDirective("redoubt-auth-lockout-after", 0, parseIntRange(0, maxThrottleCount),
		func(c *Config) string { return dirItoa(c.authThrottle().LockoutAfter) },
		func(c *Config, v string) {
			c.setAuthThrottle(func(t *AuthThrottleConfig) { t.LockoutAfter = dirAtoi(v) })
		}),
}

// throttle is the server's login throttling state.
type throttle struct {
	// params are the settings in force, replaced whole by CONFIG SET.
	params atomic.Pointer[AuthThrottleConfig]
	seed   maphash.Seed // keys the user buckets; constant after init
	// now is the time on the monotonic clock, since the throttle was made
	// (tests replace it).
	now func() time.Duration

	mu      sync.Mutex // guards sources and users
	sources map[netip.Addr]failRecord
	users   [throttleUserBuckets]failRecord

	// authTimeout is Config.AuthTimeout in effect, in nanoseconds, 0 for
	// none (logintimeout.go).
	authTimeout atomic.Int64

	// Counters for INFO: failed password checks, attempts that waited and
	// the total wait, sources locked out, attempts refused (connection
	// closed), weak passwords warned about, connections closed for not
	// logging in in time.
	failures, delayed, waitNanos, lockouts, refused, weakSecrets, authTimeouts atomic.Int64
}

// failRecord counts the failures of one source or user bucket, and, for a
// source, its logins in flight: admitted by the gate (waiting their delay
// or being checked) and not yet reported. An attempt in flight counts as a
// failure until it succeeds, so that many connections trying at once each
// see the others' attempts and cannot all pass the gate on the same count.
type failRecord struct {
	n        int32
	inflight int32
	last     time.Duration // the last failure, on throttle.now's clock
	admitted time.Duration // the last admission
}

// inflightStale is how long after the last admission attempts in flight
// are assumed gone: longer than any wait plus a check. It keeps a record
// from staying "in flight" for ever when a result never comes (throttling
// switched on between a gate and its result).
const inflightStale = maxThrottleDelayMs*time.Millisecond + time.Minute

// flying returns r's attempts in flight.
func (r failRecord) flying(now time.Duration) int {
	if r.inflight == 0 || now-r.admitted > inflightStale {
		return 0
	}
	return int(r.inflight)
}

// count returns r's failures, or 0 if the last was more than window ago.
func (r failRecord) count(now, window time.Duration) int {
	if r.n == 0 || now-r.last > window {
		return 0
	}
	return int(r.n)
}

func (t *throttle) init(cfg AuthThrottleConfig) {
	t.seed = maphash.MakeSeed()
	base := time.Now()
	t.now = func() time.Duration { return time.Since(base) }
	t.sources = map[netip.Addr]failRecord{}
	t.apply(cfg)
}

// apply puts new settings into effect; the records stay.
func (t *throttle) apply(cfg AuthThrottleConfig) { t.params.Store(&cfg) }

// applyGuard puts the login hardening's settings of cfg into effect: the
// throttle's, and the login deadline for connections made from now on.
func (s *Server) applyGuard(cfg *Config) {
	s.thr.apply(cfg.authThrottle())
	s.thr.authTimeout.Store(int64(cfg.authTimeout()))
	if s.audit != nil {
		s.audit.rate.Store(cfg.auditRateLimit())
	}
}

func (t *throttle) resetStats() {
	for _, n := range []*atomic.Int64{&t.failures, &t.delayed, &t.waitNanos, &t.lockouts, &t.refused, &t.weakSecrets, &t.authTimeouts} {
		n.Store(0)
	}
}

// throttleSource is the key a client's failures are counted under: its IPv4
// address, or the /64 network of its IPv6 address; every client without an
// IP address (a Unix socket) shares the zero key.
func throttleSource(addr net.Addr) netip.Addr {
	ta, ok := addr.(*net.TCPAddr)
	if !ok {
		return netip.Addr{}
	}
	a, ok := netip.AddrFromSlice(ta.IP)
	if !ok {
		return netip.Addr{}
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}

// sourceString shows a source key in log lines and the audit log.
func sourceString(src netip.Addr) string {
	switch {
	case !src.IsValid():
		return "local socket"
	case src.Is6():
		return src.String() + "/64"
	}
	return src.String()
}

func (t *throttle) bucket(user []byte) int {
	return int(maphash.Bytes(t.seed, user) % throttleUserBuckets)
}

// verdictLocked says what a login attempt from src for the user of bucket
// b must do: wait delay first, or, when locked, be refused. n is the
// source's failures plus its attempts in flight. The caller holds mu (and
// hashed the user name before taking it: a name may be long).
func (t *throttle) verdictLocked(p *AuthThrottleConfig, now time.Duration, src netip.Addr, b int) (delay time.Duration, locked bool, n int) {
	r := t.sources[src]
	n = r.count(now, p.Window) + r.flying(now)
	un := t.users[b].count(now, p.Window)
	if p.LockoutAfter > 0 && n >= p.LockoutAfter {
		return 0, true, n
	}
	if n >= p.After {
		delay = backoff(p, n-p.After)
	}
	if n > 0 && un >= p.After {
		delay = max(delay, backoff(p, un-p.After))
	}
	return delay, false, n
}

// verdict is verdictLocked for the tests.
func (t *throttle) verdict(p *AuthThrottleConfig, src netip.Addr, user []byte) (time.Duration, bool, int) {
	b := t.bucket(user)
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.verdictLocked(p, t.now(), src, b)
}

// admit is the gate's decision for an attempt from src for user, as
// verdict; an attempt not refused is in flight from then on, until fail,
// succeed or release.
func (t *throttle) admit(p *AuthThrottleConfig, src netip.Addr, user []byte) (delay time.Duration, locked bool, n int) {
	now := t.now()
	b := t.bucket(user)
	t.mu.Lock()
	defer t.mu.Unlock()
	delay, locked, n = t.verdictLocked(p, now, src, b)
	if locked {
		return
	}
	r, known := t.sources[src]
	if !known && len(t.sources) >= throttleMaxSources {
		t.shedLocked(now, p)
	}
	if r.count(now, p.Window) == 0 {
		r.n = 0
	}
	r.inflight = int32(min(r.flying(now)+1, maxThrottleCount))
	r.admitted = now
	t.sources[src] = r
	return
}

// release ends an attempt in flight from src that was not checked (its
// connection closed while it waited), or that succeeded.
func (t *throttle) release(p *AuthThrottleConfig, src netip.Addr) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.sources[src]
	if !ok {
		return
	}
	r.inflight = int32(max(r.flying(now)-1, 0))
	if r.inflight == 0 && r.count(now, p.Window) == 0 {
		delete(t.sources, src)
		return
	}
	t.sources[src] = r
}

// backoff is the wait after k failures past the threshold: Delay doubled k
// times, at most MaxDelay.
func backoff(p *AuthThrottleConfig, k int) time.Duration {
	d := p.Delay
	for i := 0; i < k && d < p.MaxDelay; i++ {
		d *= 2
	}
	return min(d, p.MaxDelay)
}

// fail records a failed login from src for user, ending its attempt in
// flight, and returns the source's new count of failures.
func (t *throttle) fail(p *AuthThrottleConfig, src netip.Addr, user []byte) int {
	now := t.now()
	b := t.bucket(user)
	t.mu.Lock()
	defer t.mu.Unlock()
	r, known := t.sources[src]
	if !known && len(t.sources) >= throttleMaxSources {
		t.shedLocked(now, p)
	}
	n := r.count(now, p.Window)
	if n < maxThrottleCount {
		n++
	}
	r.inflight = int32(max(r.flying(now)-1, 0))
	r.n, r.last = int32(n), now
	t.sources[src] = r
	u := &t.users[b]
	un := u.count(now, p.Window)
	if un < maxThrottleCount {
		un++
	}
	*u = failRecord{n: int32(un), last: now}
	return n
}

// shedLocked makes room in the full table of sources: it drops the records
// that expired or slow nobody, then, if that freed less than a quarter,
// arbitrary ones (a map's order is random) down to three quarters. Each
// shedding frees a quarter of the table, so its cost spreads over the
// insertions that follow. The caller holds mu.
func (t *throttle) shedLocked(now time.Duration, p *AuthThrottleConfig) {
	for k, r := range t.sources {
		if r.count(now, p.Window)+r.flying(now) < p.After {
			delete(t.sources, k)
		}
	}
	for k := range t.sources {
		if len(t.sources) <= throttleMaxSources*3/4 {
			break
		}
		delete(t.sources, k)
	}
}

// trackedSources returns how many sources have failures on record.
func (t *throttle) trackedSources() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.sources)
}

// throttleWait makes the connection's goroutine wait d before a login is
// checked. Only this connection waits: it holds no store transaction. It
// returns false if the connection was closed or the server began to stop
// meanwhile. The wait is taken out of the command's time, so that
// commandstats and SLOWLOG show AUTH's own cost.
func (c *client) throttleWait(d time.Duration) bool {
	start := time.Now()
	defer func() {
		waited := time.Since(start)
		c.s.thr.waitNanos.Add(int64(waited))
		c.run.start += waited
		c.run.callStart += waited
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	check := time.NewTicker(throttleCloseCheck)
	defer check.Stop()
	for {
		select {
		case <-timer.C:
			return !c.closed.Load()
		case <-c.s.stopCron:
			return false
		case <-check.C:
			if c.closed.Load() || c.shutdown.Load() {
				return false
			}
		}
	}
}

// appendThrottleInfo adds the throttle's and the audit log's counters to
// INFO stats, under names of our own.
func (s *Server) appendGuardInfo(b []byte) []byte {
	t := &s.thr
	b = field(b, "redoubt_auth_failures", t.failures.Load())
	b = field(b, "redoubt_auth_throttled", t.delayed.Load())
	b = field(b, "redoubt_auth_throttle_wait_ms", t.waitNanos.Load()/int64(time.Millisecond))
	b = field(b, "redoubt_auth_lockouts", t.lockouts.Load())
	b = field(b, "redoubt_auth_refused", t.refused.Load())
	b = field(b, "redoubt_auth_tracked_sources", t.trackedSources())
	b = field(b, "redoubt_auth_timeouts", t.authTimeouts.Load())
	b = field(b, "redoubt_weak_secret_warnings", t.weakSecrets.Load())
	var events, errs, dropped int64
	if a := s.audit; a != nil {
		events, errs, dropped = a.events.Load(), a.errors.Load(), a.dropped.Load()
	}
	b = field(b, "redoubt_audit_events", events)
	b = field(b, "redoubt_audit_write_errors", errs)
	b = field(b, "redoubt_audit_suppressed", dropped)
	return b
}
