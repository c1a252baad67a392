package acl

import (
	"strings"
	"unsafe"

	"github.com/redoubt-db/redoubt/internal/glob"
)

// Result is the outcome of a permission check, ordered as Redis ranks the
// denials it reports when no selector allows a command.
type Result uint8

// Check results (Redis's ACL_OK, ACL_DENIED_CMD, ACL_DENIED_KEY,
// ACL_DENIED_CHANNEL).
const (
	Allowed       Result = 0
	DeniedCommand Result = 1
	DeniedKey     Result = 2
	DeniedChannel Result = 4
)

// Key is one key a command touches, with the access its key spec declares
// (read for ACCESS, write for INSERT, DELETE or UPDATE).
type Key struct {
	Name []byte
	Perm Perm
	Pos  int // argument position, reported back on denial
}

// Channel is one channel a command publishes or subscribes to. Pattern is
// set for PSUBSCRIBE's patterns, which ACL patterns match literally.
type Channel struct {
	Name    []byte
	Pattern bool
	Pos     int
}

// Request is what the server knows about one command when it checks it.
type Request struct {
	ID       int    // the command's id, or its subcommand's, in the Catalog
	FirstArg []byte // argument after the command (and subcommand), nil if none
	NoAuth   bool   // the command runs without authentication (AUTH, HELLO)
	Keys     []Key
	Channels []Channel
}

// Check reports whether u may run r: whether any selector allows the
// command, all its keys and all its channels. When none does, it returns the
// denial Redis reports (the worst kind, and for keys and channels the last
// position no selector allowed) and that argument position.
func (u *User) Check(r *Request) (Result, int) {
	worst, worstPos := DeniedCommand, 0
	if uint(r.ID) >= uint(len(u.cat.cmds)) {
		return worst, worstPos // not a command of this catalog
	}
	for _, s := range u.selectors {
		res, pos := s.check(r)
		if res == Allowed {
			return Allowed, 0
		}
		if res > worst || (res == worst && pos > worstPos) {
			worst, worstPos = res, pos
		}
	}
	return worst, worstPos
}

func (s *Selector) check(r *Request) (Result, int) {
	if !s.allCommands && !r.NoAuth && !s.commands.get(r.ID) {
		ok := false
		if r.FirstArg != nil {
			for _, a := range s.firstArgs[r.ID] {
				if strings.EqualFold(a, string(r.FirstArg)) {
					ok = true
					break
				}
			}
		}
		if !ok {
			return DeniedCommand, 0
		}
	}
	if !s.allKeys {
		for _, k := range r.Keys {
			if !s.keyAllowed(k.Name, k.Perm) {
				return DeniedKey, k.Pos
			}
		}
	}
	if !s.allChannels {
		for _, ch := range r.Channels {
			if !s.channelAllowed(ch.Name, ch.Pattern) {
				return DeniedChannel, ch.Pos
			}
		}
	}
	return Allowed, 0
}

func (s *Selector) keyAllowed(key []byte, need Perm) bool {
	for i := range s.keys {
		p := &s.keys[i]
		if p.Perm&need != need {
			continue
		}
		if p.prefix > 0 {
			// As Redis's matcher, no pattern matches an empty key.
			if n := p.prefix - 1; len(key) >= n && len(key) > 0 && string(key[:n]) == p.Pattern[:n] {
				return true
			}
			continue
		}
		if glob.Match(bytesOf(p.Pattern), key, false) {
			return true
		}
	}
	return false
}

// literalPrefix returns 1 + the length of pattern's literal prefix when
// pattern is a prefix of ordinary bytes then a single '*' at its end, which
// matches exactly the strings that start with the prefix; 0 otherwise.
func literalPrefix(pattern string) int {
	n := len(pattern) - 1
	if n < 0 || pattern[n] != '*' {
		return 0
	}
	for i := 0; i < n; i++ {
		switch pattern[i] {
		case '*', '?', '[', '\\':
			return 0
		}
	}
	return n + 1
}

func (s *Selector) channelAllowed(ch []byte, pattern bool) bool {
	for _, p := range s.channels {
		if pattern {
			if p == string(ch) {
				return true
			}
		} else if glob.Match(bytesOf(p), ch, false) {
			return true
		}
	}
	return false
}

// CheckKey reports whether any selector of u grants perm on key, for
// commands that check keys themselves (SORT's BY and GET patterns).
func (u *User) CheckKey(key []byte, perm Perm) bool {
	for _, s := range u.selectors {
		if s.allKeys || s.keyAllowed(key, perm) {
			return true
		}
	}
	return false
}

// CheckChannel reports whether any selector of u allows channel (a
// PSUBSCRIBE pattern when pattern is set).
func (u *User) CheckChannel(channel []byte, pattern bool) bool {
	for _, s := range u.selectors {
		if s.allChannels || s.channelAllowed(channel, pattern) {
			return true
		}
	}
	return false
}

// bytesOf views s as bytes without copying; glob.Match only reads it.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// CheckUnrestricted reports whether one selector of u both allows r and
// grants need on every key ("allkeys", or a "*" pattern with that access).
// SORT asks this before following BY and GET patterns, which name keys the
// key specs cannot see.
func (u *User) CheckUnrestricted(r *Request, need Perm) bool {
	if uint(r.ID) >= uint(len(u.cat.cmds)) {
		return false
	}
	for _, s := range u.selectors {
		if res, _ := s.check(r); res == Allowed && s.unrestricted(need) {
			return true
		}
	}
	return false
}

func (s *Selector) unrestricted(need Perm) bool {
	if s.allKeys {
		return true
	}
	for _, p := range s.keys {
		if p.Perm&need == need && p.Pattern == "*" {
			return true
		}
	}
	return false
}

// Unrestricted reports whether u's root selector allows every command, key
// and channel (the default user as Redis creates it), so the server can skip
// Check with one branch.
func (u *User) Unrestricted() bool {
	s := u.selectors[0]
	return s.allCommands && s.allKeys && s.allChannels
}
