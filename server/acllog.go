package server

import (
	"sync"
	"sync/atomic"
	"time"
)

// The ACL log: the security events ACL LOG lists (denied commands, keys and
// channels, failed logins), as Redis 7.0.15's ACLLog. Newest first; an event
// like one of the ten newest entries (same reason, context, object and user
// name, within 60 seconds of it) counts in that entry instead of adding one,
// which moves to the front; past acllog-max-len the oldest entries go.

// ACL log reasons and contexts, as ACL LOG prints them.
const (
	aclReasonCommand = "command"
	aclReasonKey     = "key"
	aclReasonChannel = "channel"
	aclReasonAuth    = "auth"

	aclContextToplevel = "toplevel"
	aclContextMulti    = "multi"
)

const (
	// aclLogGroupWindow is how close in time two events must be to share an
	// entry.
	aclLogGroupWindow = 60 * time.Second
	// aclLogGroupScan is how many of the newest entries an event is compared
	// with.
	aclLogGroupScan = 10
	// defaultACLLogMaxLen is acllog-max-len's default.
	defaultACLLogMaxLen = 128
)

// aclLogEntry is one entry of the ACL log, with the 7.0 fields but the age,
// which aclLogEntries computes.
type aclLogEntry struct {
	Count      int64
	Reason     string // command, key, channel, auth
	Context    string // toplevel, multi
	Object     string // the command's full name, the key, the channel, or AUTH's name as typed
	Username   string // the client's user, or the name given to AUTH
	Updated    time.Time
	ClientInfo string // the client's CLIENT LIST line at the last event
}

// AgeSeconds is the entry's age-seconds at now, in milliseconds as Redis.
func (e *aclLogEntry) AgeSeconds(now time.Time) float64 {
	return float64(now.Sub(e.Updated).Milliseconds()) / 1000
}

type aclLog struct {
	mu      sync.Mutex
	entries []*aclLogEntry // newest first
	maxLen  atomic.Int64   // acllog-max-len
	now     func() time.Time
	// denied counts the events by reason, logged or not, for INFO's
	// acl_access_denied_* (Redis 7.2's; 7.0.15 has none).
	denied [4]atomic.Int64 // auth, command, key, channel
}

// aclReasons are the reasons in the order of aclLog.denied.
var aclReasons = [4]string{aclReasonAuth, aclReasonCommand, aclReasonKey, aclReasonChannel}

// add records an event. c is the client it concerns (its CLIENT LIST line
// is kept). Nothing is recorded while acllog-max-len is 0, as Redis, whose
// trim then empties the log.
func (l *aclLog) add(reason, context, object, username string, c *client) {
	for i, r := range aclReasons {
		if r == reason {
			l.denied[i].Add(1)
		}
	}
	var info string
	if c != nil {
		info = string(c.appendClientInfo(nil, c, c.s.unixTime.Load()))
	}
	now := l.clock()
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, e := range l.entries {
		if i == aclLogGroupScan {
			break
		}
		d := now.Sub(e.Updated)
		if d < 0 {
			d = -d
		}
		if e.Reason != reason || e.Context != context || d > aclLogGroupWindow ||
			e.Object != object || e.Username != username {
			continue
		}
		e.Count++
		e.Updated = now
		e.ClientInfo = info
		copy(l.entries[1:i+1], l.entries[:i])
		l.entries[0] = e
		return
	}
	e := &aclLogEntry{Count: 1, Reason: reason, Context: context, Object: object,
		Username: username, Updated: now, ClientInfo: info}
	l.entries = append(l.entries, nil)
	copy(l.entries[1:], l.entries)
	l.entries[0] = e
	l.trim()
}

// trim drops the oldest entries past maxLen. The caller holds mu.
func (l *aclLog) trim() {
	max := l.maxLen.Load()
	if int64(len(l.entries)) > max {
		clear(l.entries[max:])
		l.entries = l.entries[:max]
	}
}

// setMaxLen sets acllog-max-len. As in Redis, a lower length leaves the
// entries there are until the next one is added.
func (l *aclLog) setMaxLen(n int64) { l.maxLen.Store(n) }

// reset empties the log (ACL LOG RESET).
func (l *aclLog) reset() {
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
}

func (l *aclLog) clock() time.Time {
	if l.now != nil {
		return l.now()
	}
	return time.Now()
}

// aclLogEntries returns copies of the newest n entries (all for n < 0),
// newest first, for ACL LOG.
func (s *Server) aclLogEntries(n int) []aclLogEntry {
	l := &s.aclLog
	l.mu.Lock()
	defer l.mu.Unlock()
	if n < 0 || n > len(l.entries) {
		n = len(l.entries)
	}
	out := make([]aclLogEntry, n)
	for i := range out {
		out[i] = *l.entries[i]
	}
	return out
}

// aclContext is the ACL log context of what c runs now: "multi" while it
// queues or executes a transaction.
func (c *client) aclContext() string {
	if c.multi != nil || c.inExec {
		return aclContextMulti
	}
	return aclContextToplevel
}
