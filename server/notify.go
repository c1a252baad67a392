package server

import (
	"slices"
	"strconv"
	"strings"

	"github.com/redoubt-db/redoubt/store"
)

// Keyspace notifications ("notify-keyspace-events").
//
// The store records the events of each transaction step beside its change
// log (store/event.go): "expired", "new" and "keymiss" from the store's own
// lookups and expiry, the commands' events from their handlers, each after
// the store call that made the change and under the same conditions as
// Redis 7.0's notifyKeyspaceEvent calls (only when something changed, in
// Redis's order). consumeChanges hands them to publishEvents at commit,
// which publishes each on __keyspace@<db>__:<key> (message: the event name)
// and __keyevent@<db>__:<event> (message: the key), as Redis's
// notifyKeyspaceEvent does.
//
// With notify-keyspace-events empty (or without K and E) nothing is
// recorded: a handler's DB.Notify is one load and one predictable branch,
// and publishEvents sees an empty slice.

// notifyDirective is "notify-keyspace-events".
var notifyDirective = implDirective("notify-keyspace-events", 0, parseKeyspaceEvents,
	func(c *Config) string {
		flags, _ := keyspaceEventsFlags(c.NotifyKeyspaceEvents)
		return keyspaceEventsString(flags)
	},
	func(c *Config, v string) { c.NotifyKeyspaceEvents = v })

// parseKeyspaceEvents is "notify-keyspace-events": classes as characters,
// kept in Redis's canonical order (the directive's get shows them as
// CONFIG GET does). The canonical form writes A for all of its classes and
// then has no room for n, which Redis keeps in its flags all the same: so
// does the value stored here, with an n after the A.
func parseKeyspaceEvents(args []string, _ string, _ bool) (string, error) {
	flags, ok := keyspaceEventsFlags(cString(args[0]))
	if !ok {
		return "", reasonError(msgKeyspaceEvents)
	}
	v := keyspaceEventsString(flags)
	if flags&store.EventAll == store.EventAll && flags&store.EventNew != 0 {
		v = "An" + v[1:]
	}
	return v, nil
}

// keyspaceEventsFlags reads the letters of "notify-keyspace-events", as
// Redis's keyspaceEventsStringToFlags; ok is false if one of them is no
// class.
func keyspaceEventsFlags(s string) (flags store.EventClass, ok bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'A':
			flags |= store.EventAll
		case 'g':
			flags |= store.EventGeneric
		case '$':
			flags |= store.EventString
		case 'l':
			flags |= store.EventList
		case 's':
			flags |= store.EventSet
		case 'h':
			flags |= store.EventHash
		case 'z':
			flags |= store.EventZset
		case 'x':
			flags |= store.EventExpired
		case 'e':
			flags |= store.EventEvicted
		case 'K':
			flags |= store.EventKeyspace
		case 'E':
			flags |= store.EventKeyevent
		case 't':
			flags |= store.EventStream
		case 'm':
			flags |= store.EventKeyMiss
		case 'd':
			flags |= store.EventModule
		case 'n':
			flags |= store.EventNew
		default:
			return 0, false
		}
	}
	return flags, true
}

// keyspaceEventsString writes flags back as CONFIG GET shows them, as
// Redis's keyspaceEventsFlagsToString: A for all of its classes, else the
// classes in a fixed order, then K, E and m.
func keyspaceEventsString(flags store.EventClass) string {
	var b strings.Builder
	if flags&store.EventAll == store.EventAll {
		b.WriteByte('A')
	} else {
		for _, f := range [...]struct {
			class store.EventClass
			c     byte
		}{{store.EventGeneric, 'g'}, {store.EventString, '$'}, {store.EventList, 'l'},
			{store.EventSet, 's'}, {store.EventHash, 'h'}, {store.EventZset, 'z'},
			{store.EventExpired, 'x'}, {store.EventEvicted, 'e'}, {store.EventStream, 't'},
			{store.EventModule, 'd'}, {store.EventNew, 'n'}} {
			if flags&f.class != 0 {
				b.WriteByte(f.c)
			}
		}
	}
	if flags&store.EventKeyspace != 0 {
		b.WriteByte('K')
	}
	if flags&store.EventKeyevent != 0 {
		b.WriteByte('E')
	}
	if flags&store.EventKeyMiss != 0 {
		b.WriteByte('m')
	}
	return b.String()
}

// applyNotify puts notify-keyspace-events into effect.
func (s *Server) applyNotify(v string) {
	flags, _ := keyspaceEventsFlags(v) // Validate checked it
	s.store.SetNotify(flags)
}

// appendNotifyChannel appends to b the start of an event's channel: prefix
// ("__keyspace@" or "__keyevent@"), the database number and "__:", which
// the key or the event name follows.
func appendNotifyChannel(b []byte, prefix string, db int) []byte {
	b = append(b, prefix...)
	b = strconv.AppendInt(b, int64(db), 10)
	return append(b, "__:"...)
}

// markReply notes where the running command's reply starts when the client
// has subscriptions, so that the keyspace events it fires for itself can go
// before that reply, as Redis sends most of them. It costs a load and a
// predictable branch for every other client.
func (c *client) markReply() {
	if c.subs.Load() != 0 {
		c.replyMark, c.replyMarked = c.deferLen(), true
	}
}

// publishEvents is consumeChanges's part for keyspace notifications: it
// publishes the step's events on the channels notify-keyspace-events asks
// for, through the pub/sub registry, in order. Called under the store's
// lock, only when the step recorded events (never with notifications off).
func (s *Server) publishEvents(tx *store.Tx) {
	self, _ := tx.Owner().(*client)
	// The events of the command self runs go before its reply when Redis
	// fires them before replying (markReply); those of the clients served
	// after it (blocking.go) come in a later call and follow its reply.
	reorder := self != nil && self.replyMarked && !tx.FollowUp() &&
		self.run.cmd != nil && !replyFirst[self.run.cmd.Name]
	if self != nil {
		self.replyMarked = false
	}
	s.publishEventList(tx.Events(), self, reorder)
}

// execEvents publishes the events of a command EXEC ran for a client that
// has subscriptions, at once rather than when EXEC's step commits, so that
// the client's own events fall among the replies of EXEC's array as in
// Redis 7.0. For any other command it is one predictable branch.
func (c *client) execEvents() {
	if c.inExec && c.replyMarked && c.tx != nil {
		c.replyMarked = false
		if evs := c.tx.TakeEvents(); len(evs) > 0 {
			c.s.publishEventList(evs, c, c.run.cmd != nil && !replyFirst[c.run.cmd.Name])
		}
	}
}

// publishEventList publishes evs; self is the client whose goroutine runs
// (or nil), and reorder moves what self receives to where markReply noted
// its command's reply starts, except for the events its command fires
// after replying (splitAfterReply), which follow the reply.
func (s *Server) publishEventList(evs []store.Event, self *client, reorder bool) {
	if !reorder {
		s.publishEventRange(evs, self)
		return
	}
	split := len(evs)
	if after := splitAfterReply[self.run.cmd.Name]; after != nil {
		for i := range evs {
			if after[evs[i].Name] {
				split = i
				break
			}
		}
	}
	start, spills := len(self.out), self.spills
	s.publishEventRange(evs[:split], self)
	if self.spills == spills && len(self.out) > start {
		self.moveToMark(start)
	}
	s.publishEventRange(evs[split:], self)
}

// splitAfterReply are, for the commands Redis replies to between their
// events, the events that follow the reply: LMOVE pushes, replies, then
// pops; SPOP pops, replies, then deletes the emptied set. (ZPOPMIN and the
// like fire their event between the header of their reply and its
// elements, which is not reproduced: it comes before the reply.)
var splitAfterReply = map[string]map[string]bool{
	"lmove":      {"lpop": true, "rpop": true, "del": true},
	"rpoplpush":  {"lpop": true, "rpop": true, "del": true},
	"blmove":     {"lpop": true, "rpop": true, "del": true},
	"brpoplpush": {"lpop": true, "rpop": true, "del": true},
	"spop":       {"del": true},
}

// publishEventRange publishes evs in order, as publish delivers them.
func (s *Server) publishEventRange(evs []store.Event, self *client) {
	flags := s.store.Notify()
	b := s.notifyBuf[:0]
	for i := range evs {
		e := &evs[i]
		if flags&store.EventKeyspace != 0 {
			b = appendNotifyChannel(b[:0], "__keyspace@", e.DB)
			b = append(b, e.Key...)
			n := len(b)
			b = append(b, e.Name...)
			s.publish(self, b[:n], b[n:])
		}
		if flags&store.EventKeyevent != 0 {
			b = appendNotifyChannel(b[:0], "__keyevent@", e.DB)
			b = append(b, e.Name...)
			s.publish(self, b, e.Key)
		}
	}
	if cap(b) > 64<<10 {
		b = nil // a channel made for one long key
	}
	s.notifyBuf = b
}

// moveToMark moves what the client's output got from start on (its own
// keyspace events) to the place markReply noted, before the command's
// reply.
func (c *client) moveToMark(start int) {
	d := c.replyMark
	if d.seg < 0 {
		return // replies are off: the pushes simply follow
	}
	pushes := slices.Clone(c.out[start:])
	c.out = c.out[:start]
	if c.spills == d.spills {
		c.out = slices.Insert(c.out, c.outHead+d.off, pushes...)
		return
	}
	// The reply's start was queued as segment d.seg: split it there.
	sg := c.segs[d.seg]
	c.segs = slices.Insert(c.segs, d.seg+1, pushes, sg[d.off:])
	c.segs[d.seg] = sg[:d.off]
	c.segsLen += len(pushes)
}

// replyFirst are the commands that reply before firing their keyspace
// events in Redis 7.0, so that a client subscribed to its own events gets
// the reply first. The others fire them first (SET, DEL, INCR, LREM…).
// Commands that fire some events before their reply and some after (LMOVE,
// SPOP, ZPOPMIN…) are not reproduced exactly: their events all come first.
var replyFirst = map[string]bool{
	"expire": true, "pexpire": true, "expireat": true, "pexpireat": true,
	"hset": true, "hmset": true, "hsetnx": true, "hincrby": true, "hincrbyfloat": true,
	"lpush": true, "rpush": true, "lpushx": true, "rpushx": true, "lset": true,
	"lpop": true, "rpop": true, "lmpop": true, "blpop": true, "brpop": true, "blmpop": true,
	"sinterstore": true, "sunionstore": true, "sdiffstore": true,
	"getset": true, "getex": true, "getdel": true,
	"zadd": true, "zincrby": true, "zunionstore": true, "zinterstore": true, "zdiffstore": true, "zrangestore": true,
	"exec": true, // its commands' events are placed as they run (execEvents)
}
