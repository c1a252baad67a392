package acl

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
)

// Perm is the access a key pattern grants, or a key access needs.
type Perm uint8

// Key permissions: %R~, %W~, and both for ~ and %RW~.
const (
	PermRead  Perm = 1 << iota
	PermWrite Perm = 1 << iota
	PermAll        = PermRead | PermWrite
)

// KeyPattern is one key pattern of a selector with the access it grants.
type KeyPattern struct {
	Pattern string
	Perm    Perm
	// prefix is 1 + the length of the pattern's literal prefix when the
	// pattern is that prefix then one '*' ("user:*"), which is matched
	// without the glob matcher; 0 for every other pattern.
	prefix int
}

// Selector is one set of permissions: commands, keys and channels. A user
// has a root selector and any number of further ones, written "(...)"; a
// command runs when any one selector allows all of it.
type Selector struct {
	allKeys     bool
	allChannels bool
	allCommands bool // every bit set: the bitmap need not be tested
	future      bool // +@all was the base: commands added later are allowed
	keys        []KeyPattern
	channels    []string
	commands    bitmap
	firstArgs   map[int][]string // allowed first arguments of denied commands
}

func (c *Catalog) newSelector(allChannels bool) *Selector {
	return &Selector{allChannels: allChannels, commands: newBitmap(len(c.cmds))}
}

func (s *Selector) clone() *Selector {
	d := *s
	d.keys = append([]KeyPattern(nil), s.keys...)
	d.channels = append([]string(nil), s.channels...)
	d.commands = append(bitmap(nil), s.commands...)
	d.firstArgs = nil
	for id, args := range s.firstArgs {
		if d.firstArgs == nil {
			d.firstArgs = make(map[int][]string, len(s.firstArgs))
		}
		d.firstArgs[id] = append([]string(nil), args...)
	}
	return &d
}

// User flags, in the order ACL LIST and GETUSER print them.
const (
	flagOn = 1 << iota
	flagOff
	flagNoPass
	flagSkipSanitize
	flagSanitize
)

var userFlagNames = []string{"on", "off", "nopass", "skip-sanitize-payload", "sanitize-payload"}

// User is one ACL user: its flags, its passwords (kept only as the lower-case
// hex of their SHA-256) and its selectors, the root one first. A User is not
// safe for concurrent mutation; the server replaces users rather than
// changing them in place while clients read them.
type User struct {
	Name      string
	cat       *Catalog
	pubsubAll bool // acl-pubsub-default allchannels
	flags     int
	passwords []string
	selectors []*Selector
}

// NewUser returns a user as ACL SETUSER creates one: off, no passwords, no
// commands, no keys, and channels as acl-pubsub-default says (allChannels
// true for "allchannels", false for Redis 7.0's default "resetchannels").
func (c *Catalog) NewUser(name string, allChannels bool) *User {
	return &User{Name: name, cat: c, pubsubAll: allChannels, flags: flagOff,
		selectors: []*Selector{c.newSelector(allChannels)}}
}

// NewDefaultUser returns the "default" user as Redis creates it at start-up:
// on, nopass, all keys, all channels, all commands.
func (c *Catalog) NewDefaultUser(allChannels bool) *User {
	u := c.NewUser("default", allChannels)
	if err := u.SetRules([]string{"+@all", "~*", "&*", "on", "nopass"}); err != nil {
		panic("acl: default user rules: " + err.Error())
	}
	return u
}

// Clone returns a deep copy of u.
func (u *User) Clone() *User {
	d := *u
	d.passwords = append([]string(nil), u.passwords...)
	d.selectors = make([]*Selector, len(u.selectors))
	for i, s := range u.selectors {
		d.selectors[i] = s.clone()
	}
	return &d
}

// Enabled reports whether the user is on.
func (u *User) Enabled() bool { return u.flags&flagOn != 0 }

// NoPass reports whether any password authenticates the user.
func (u *User) NoPass() bool { return u.flags&flagNoPass != 0 }

// Flags returns the user's flags in Redis's order (GETUSER "flags").
func (u *User) Flags() []string {
	var out []string
	for i, n := range userFlagNames {
		if u.flags&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// PasswordHashes returns the hex SHA-256 of each password, in the order
// they were added (GETUSER "passwords").
func (u *User) PasswordHashes() []string { return append([]string(nil), u.passwords...) }

// HashPassword returns the lower-case hex SHA-256 of password, the form in
// which users keep passwords and #hash rules name them.
func HashPassword(password string) string {
	sum := sha256.Sum256([]byte(password))
	return hex.EncodeToString(sum[:])
}

// CheckPassword reports whether password is one of the user's, or the user
// is nopass. It compares every stored hash in constant time. It does not
// look at whether the user is enabled.
func (u *User) CheckPassword(password string) bool {
	if u.NoPass() {
		return true
	}
	sum := sha256.Sum256([]byte(password))
	var want [sha256.Size]byte
	ok := 0
	for _, h := range u.passwords {
		if _, err := hex.Decode(want[:], []byte(h)); err != nil {
			continue
		}
		ok |= subtle.ConstantTimeCompare(sum[:], want[:])
	}
	return ok == 1
}

// validHash reports whether h is 64 lower-case hex digits.
func validHash(h string) bool {
	if len(h) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// hasSpace reports whether s holds a space (as C's isspace) or a NUL byte,
// which Redis refuses in key and channel patterns.
func hasSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\v', '\f', '\r', 0:
			return true
		}
	}
	return false
}

// ValidUsername reports whether name may name a user: Redis refuses names
// with spaces or NUL bytes ("Usernames can't contain spaces or null
// characters").
func ValidUsername(name string) bool { return !hasSpace(name) }
