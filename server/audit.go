package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// The audit log, beyond Redis (SECURITY.md §3): ACL LOG is in memory and
// keeps 128 entries, which is no audit trail. With "redoubt-audit-log PATH"
// the server appends one JSON object per line to PATH for every security
// event: logins that succeed or fail, lockouts, denied commands, ACL
// changes, CONFIG SET (the value only when it is no secret), CONFIG
// REWRITE, FLUSHDB and FLUSHALL, SHUTDOWN, weak passwords, and the server's
// start and stop. A line reads
//
//	{"time":"2026-12-03T16:47:29.123456Z","event":"auth","client":{"id":7,"addr":"10.0.0.5:50412","laddr":"10.0.0.1:6379","user":"default"},"user":"alice","result":"fail"}
//
// "client" is the connection that caused the event (absent for the server's
// own events), its "user" the user it was authenticated as when the event
// happened; the other keys are the event's own.
//
// The file is created with mode 0600 and opened for appending; a path that
// exists and is not a regular file, or a file anyone but its owner may
// write, is refused at start-up (a group- or world-readable one is only
// warned about, as is a directory others may write to). The path is set in
// the config file or on the command line only: a CONFIG SET that could
// point the server at any file would let a client write lines of its
// choosing there. Each event is written with one write(2) as it happens, so
// a crash of the server loses none; the file is fsynced once a second when
// something was written, and at shutdown. A write that fails is counted
// (INFO redoubt_audit_write_errors) and logged once until writes work
// again; the server goes on. Values are cut at auditMaxValue bytes; secrets
// never reach the log, since the callers pass only redacted fields. Events
// caused by clients are limited to redoubt-audit-rate-limit a second
// (1000 by default, in bursts as large), so that a client repeating a
// denied command cannot fill the disk; what the limit drops is counted
// (INFO redoubt_audit_suppressed) and the count written once a second as an
// "audit-suppressed" line. The server's own events are never dropped.

// auditMaxValue is the most bytes of one value an audit line keeps.
const auditMaxValue = 512

// auditLog is an open audit log.
type auditLog struct {
	path string
	now  func() time.Time
	warn func(format string, args ...any) // the server's log, at warning level

	// rate is the most events from clients written per second (and the
	// burst), 0 for no limit; Config.AuditRateLimit in effect.
	rate atomic.Int64

	mu      sync.Mutex // guards the fields below
	f       *os.File   // nil once closed
	dirty   bool       // written since the last fsync
	failing bool       // the last write failed (logged once)
	// The rate limit's token bucket: tokens left at filled; suppressed
	// counts the events dropped since the last "audit-suppressed" line.
	tokens     float64
	filled     time.Time
	suppressed int64

	// lines written, writes failed, client events dropped by the limit
	events, errors, dropped atomic.Int64
}

// admit reports whether an event caused by a client may be written now:
// at most rate a second, in bursts of up to rate, so that a client
// repeating a denied command or a failed login cannot fill the disk. A
// dropped event is counted, and the count written once a second
// ("audit-suppressed").
func (a *auditLog) admit() bool {
	rate := a.rate.Load()
	if rate <= 0 {
		return true
	}
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.filled.IsZero() {
		a.tokens = float64(rate)
	} else {
		a.tokens = min(float64(rate), a.tokens+now.Sub(a.filled).Seconds()*float64(rate))
	}
	a.filled = now
	if a.tokens < 1 {
		a.suppressed++
		a.dropped.Add(1)
		return false
	}
	a.tokens--
	return true
}

// takeSuppressed returns and clears the count of events dropped since the
// last call.
func (a *auditLog) takeSuppressed() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := a.suppressed
	a.suppressed = 0
	return n
}

// reportSuppressed writes how many events the rate limit dropped, if any.
func (s *Server) reportSuppressed() {
	if n := s.audit.takeSuppressed(); n > 0 {
		s.audit.write(auditRecord(s.audit.now(), nil, "audit-suppressed", []string{"count", strconv.FormatInt(n, 10)}))
	}
}

// openAuditLog opens (creating it with mode 0600) the audit log at path for
// appending. It refuses what is not a regular file and a file others may
// write; warnings about looser modes go to warn.
func openAuditLog(path string, warn func(format string, args ...any)) (*auditLog, error) {
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		// Opening a FIFO for writing would wait for a reader.
		return nil, fmt.Errorf("server: audit log %s is not a regular file", path)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("server: can't open the audit log: %w", err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("server: audit log %s is not a regular file", path)
	} else if err == nil && fi.Mode().Perm()&0o022 != 0 {
		err = fmt.Errorf("server: audit log %s may be written by others (mode %04o): chmod 600 it", path, fi.Mode().Perm())
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	if perm := fi.Mode().Perm(); perm&0o044 != 0 {
		warn("WARNING: the audit log %s may be read by others (mode %04o): chmod 600 it.", path, perm)
	}
	if di, err := os.Stat(filepath.Dir(path)); err == nil && di.Mode().Perm()&0o022 != 0 && di.Mode()&os.ModeSticky == 0 {
		warn("WARNING: the directory of the audit log %s may be written by others (mode %04o): others could replace the log.",
			path, di.Mode().Perm())
	}
	return &auditLog{path: path, f: f, now: time.Now, warn: warn}, nil
}

// write appends one event: a line built by record.
func (a *auditLog) write(line []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return // closed: the server has stopped
	}
	if _, err := a.f.Write(line); err != nil {
		a.errors.Add(1)
		if !a.failing {
			a.failing = true
			a.warn("Writing the audit log %s failed: %v (events are lost until writes work again)", a.path, err)
		}
		return
	}
	if a.failing {
		a.failing = false
		a.warn("Writing the audit log %s works again.", a.path)
	}
	a.events.Add(1)
	a.dirty = true
}

// sync fsyncs what was written since the last sync.
func (a *auditLog) sync() {
	a.mu.Lock()
	f, dirty := a.f, a.dirty
	a.dirty = false
	a.mu.Unlock()
	if f == nil || !dirty {
		return
	}
	// Outside mu: writers go on while the disk works. A concurrent close
	// waits for nothing, and Sync on a closed file only fails.
	if err := f.Sync(); err != nil && !errors.Is(err, os.ErrClosed) {
		a.errors.Add(1)
		a.warn("Fsync of the audit log %s failed: %v", a.path, err)
	}
}

// close syncs and closes the file; later events are dropped.
func (a *auditLog) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return
	}
	if err := a.f.Sync(); err != nil {
		a.warn("Fsync of the audit log %s failed: %v", a.path, err)
	}
	a.f.Close()
	a.f = nil
}

// auditSyncLoop fsyncs the audit log once a second until the server stops.
func (s *Server) auditSyncLoop() {
	defer s.wg.Done()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-s.stopCron:
			return
		case <-tick.C:
			s.reportSuppressed()
			s.audit.sync()
		}
	}
}

// openAudit opens the audit log Config.AuditLog names, if any, and records
// the start. It runs in New before any client or user exists.
func (s *Server) openAudit(cfg Config) error {
	if cfg.AuditLog == "" {
		return nil
	}
	a, err := openAuditLog(cfg.AuditLog, func(format string, args ...any) { s.log.logf(levelWarning, format, args...) })
	if err != nil {
		return err
	}
	s.audit = a
	a.rate.Store(cfg.auditRateLimit())
	s.auditEvent(nil, "server-start", "version", Version, "pid", strconv.Itoa(os.Getpid()))
	return nil
}

// closeAudit records the stop and closes the audit log; it runs once every
// connection has ended.
func (s *Server) closeAudit() {
	if s.audit == nil {
		return
	}
	s.reportSuppressed()
	s.auditEvent(nil, "server-stop")
	s.audit.close()
}

// auditRecord builds one line of the audit log.
func auditRecord(now time.Time, c *client, event string, fields []string) []byte {
	b := make([]byte, 0, 256)
	b = append(b, `{"time":`...)
	b = appendJSONString(b, now.UTC().Format("2006-01-02T15:04:05.000000Z"))
	b = append(b, `,"event":`...)
	b = appendJSONString(b, event)
	if c != nil {
		b = append(b, `,"client":{"id":`...)
		b = strconv.AppendInt(b, c.id, 10)
		if c.nc != nil {
			b = append(b, `,"addr":`...)
			b = appendJSONString(b, addrString(c.nc.RemoteAddr()))
			b = append(b, `,"laddr":`...)
			b = appendJSONString(b, addrString(c.nc.LocalAddr()))
		}
		b = append(b, `,"user":`...)
		b = appendJSONString(b, auditUserOf(c))
		if name := c.name.Load(); name != nil {
			b = append(b, `,"name":`...)
			b = appendJSONString(b, *name)
		}
		b = append(b, '}')
	}
	for i := 0; i < len(fields); i += 2 {
		key, value := "detail", fields[i]
		if i+1 < len(fields) {
			key, value = fields[i], fields[i+1]
		}
		b = append(b, ',')
		b = appendJSONString(b, key)
		b = append(b, ':')
		b = appendJSONString(b, value)
	}
	return append(b, "}\n"...)
}

// appendJSONString appends s as a JSON string, cut at auditMaxValue bytes
// (on a character boundary, marked "…"). Control characters are escaped;
// bytes that are not UTF-8 become U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	cut := false
	if len(s) > auditMaxValue {
		n := auditMaxValue
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s, cut = s[:n], true
	}
	b = append(b, '"')
	for i := 0; i < len(s); {
		ch := s[i]
		if ch < utf8.RuneSelf {
			switch {
			case ch == '"' || ch == '\\':
				b = append(b, '\\', ch)
			case ch == '\n':
				b = append(b, '\\', 'n')
			case ch == '\r':
				b = append(b, '\\', 'r')
			case ch == '\t':
				b = append(b, '\\', 't')
			case ch < 0x20 || ch == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hex[ch>>4], hex[ch&0xf])
			default:
				b = append(b, ch)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	if cut {
		b = append(b, "…"...)
	}
	return append(b, '"')
}

// guardDirectives are Redoubt's own directives of login hardening: the
// throttle's and the audit log's. Their names start with "redoubt-", which
// no Redis directive does.
var guardDirectives = slices.Concat(throttleDirectives, []*directive{
	authTimeoutDirective, // logintimeout.go
	implDirective("redoubt-audit-rate-limit", 0, parseIntRange(0, maxAuditRate),
		func(c *Config) string { return strconv.FormatInt(c.auditRateLimit(), 10) },
		func(c *Config, v string) {
			if c.AuditRateLimit = dirAtoi64(v); c.AuditRateLimit == 0 {
				c.AuditRateLimit = AuditRateUnlimited
			}
		}),
	implDirective("redoubt-audit-log", dirImmutable, parseStr,
		func(c *Config) string { return c.AuditLog },
		func(c *Config, v string) { c.AuditLog = v }),
})

// ownDirectivePrefix starts the name of every directive Redoubt has and
// Redis has not.
const ownDirectivePrefix = "redoubt-"

// AuditRateUnlimited as Config.AuditRateLimit writes every event
// ("redoubt-audit-rate-limit 0").
const AuditRateUnlimited = -1

// defaultAuditRate is the rate limit a zero Config.AuditRateLimit means;
// maxAuditRate bounds the directive.
const (
	defaultAuditRate = 1000
	maxAuditRate     = 1 << 30
)

// auditRateLimit is the audit log's rate limit cfg asks for, 0 for none.
func (cfg *Config) auditRateLimit() int64 {
	switch cfg.AuditRateLimit {
	case AuditRateUnlimited:
		return 0
	case 0:
		return defaultAuditRate
	}
	return cfg.AuditRateLimit
}
