package server

import (
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
// printed back in Redis's canonical order.
func parseKeyspaceEvents(args []string, _ string, _ bool) (string, error) {
	flags, ok := keyspaceEventsFlags(cString(args[0]))
	if !ok {
		return "", reasonError(msgKeyspaceEvents)
	}
	return keyspaceEventsString(flags), nil
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

// appendNotifyChannel appends to b the channel of an event: prefix
// ("__keyspace@" or "__keyevent@"), the database number, "__:" and what
// follows (the key, or the event name).
func appendNotifyChannel(b []byte, prefix string, db int, tail []byte) []byte {
	b = append(b, prefix...)
	b = strconv.AppendInt(b, int64(db), 10)
	b = append(b, "__:"...)
	return append(b, tail...)
}
