package server

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/redoubt-db/redoubt/internal/keyspec"
	"github.com/redoubt-db/redoubt/internal/num"
	"github.com/redoubt-db/redoubt/store"
)

// Client-side caching (CLIENT TRACKING), as Redis 7.0 does it.
//
// A client with tracking on has the keys its read-only commands name
// remembered in the server's tracking table (key → ids of the clients that
// may cache it). When a key changes, every client remembered for it gets
// one invalidation message and the key leaves the table, so a client hears
// of a key once per read. A client in BCAST mode is not remembered per key:
// it names prefixes, and hears of every key changed under them, in one
// message per prefix gathered over a whole store transaction (a pipelined
// batch), as Redis gathers them until it goes to sleep.
//
// Messages are RESP3 pushes (>2 "invalidate" [keys]) on the connection
// itself, or, with REDIRECT, go to another connection: a push if it speaks
// RESP3, a pub/sub "message" on __redis__:invalidate if it is a RESP2
// connection in subscribed mode. A flush (FLUSHDB, FLUSHALL) sends every
// tracking client a null instead of keys. Keys are global: the table does
// not distinguish databases, as in Redis.
//
// Where things happen:
//   - the dispatcher (client.call) calls trackCall after each command:
//     it remembers the keys of a read-only command, sends the connection
//     the messages its own command caused (after its reply, as Redis's
//     tracking_pending_keys), and ends CLIENT CACHING's one-command effect;
//   - the change log's consumer (Server.consumeChanges) calls
//     trackChanges: every change with a key is Redis's signalModifiedKey;
//   - the end of each store transaction (store.Options.OnEnd) sends the
//     BCAST messages gathered.
//
// The tracking table, the prefix table and each client's tracking state
// (client.trk, except what its comments say) are guarded by the store's
// lock. A client with tracking off costs the dispatcher one branch, and the
// consumer one branch per step while the table and prefixes are empty.

// Reply texts of the tracking commands.
const (
	msgTrackRedirectTwice  = "ERR A client can only redirect to a single other client"
	msgTrackRedirectAbsent = "ERR The client ID you want redirect to does not exist"
	msgTrackPrefixNoBcast  = "ERR PREFIX option requires BCAST mode to be enabled"
	msgTrackBcastSwitch    = "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."
	msgTrackBcastOptInOut  = "ERR OPTIN and OPTOUT are not compatible with BCAST"
	msgTrackOptInAndOut    = "ERR You can't specify both OPTIN mode and OPTOUT mode"
	msgTrackOptSwitch      = "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."
	msgTrackPrefixExisting = "ERR Prefix '%s' overlaps with an existing prefix '%s'. Prefixes for a single client must not overlap."
	msgTrackPrefixOther    = "ERR Prefix '%s' overlaps with another provided prefix '%s'. Prefixes for a single client must not overlap."
	msgCachingNotTracking  = "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"
	msgCachingYes          = "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."
	msgCachingNo           = "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."
)

// trackFlags are a client's tracking modes (clientTracking.flags).
type trackFlags uint32

const (
	trkOn          trackFlags = 1 << iota // CLIENT TRACKING on
	trkBcast                              // BCAST
	trkOptIn                              // OPTIN
	trkOptOut                             // OPTOUT
	trkNoLoop                             // NOLOOP
	trkBrokenRedir                        // the redirect target went away
)

// Bits of clientTracking.hook.
const (
	hookOn       = 1 << iota // tracking is on
	hookPending              // messages wait in pending
	hookDeferred             // reads inside EXEC wait in deferred
)

// clientTracking is a client's tracking state.
type clientTracking struct {
	// hook is non-zero while the dispatcher must call trackingAfterCall.
	// Only the client's goroutine uses it.
	hook uint8
	// caching is CLIENT CACHING's flag for the next command (Redis's
	// CLIENT_TRACKING_CACHING). Only the client's goroutine uses it.
	caching bool
	// pending are messages for this client that its own commands caused,
	// sent after the command's reply (trackingAfterCall). Only the
	// client's goroutine uses it: it is the transaction's owner whenever
	// something is appended.
	pending []byte
	// refs is scratch for key extraction; the client's goroutine's.
	refs []keyspec.Ref
	// deferred are the reads of commands run inside EXEC, whose changes
	// reach the consumer only at EXEC's commit: each is remembered there,
	// after the changes recorded before it (at), as Redis remembers it
	// between the writes around it. Under the store's lock.
	deferred []deferredRead

	// flags are written under the store's lock and read by any
	// goroutine (CLIENT LIST).
	flags atomic.Uint32
	// redirect is the client id messages go to, 0 for none; written under
	// the store's lock, read by any goroutine (CLIENT LIST).
	redirect atomic.Int64
	// prefixes are the BCAST prefixes, sorted, under the store's lock.
	prefixes []string
}

// deferredRead is the keys of one read inside EXEC, to be remembered after
// the first at changes of EXEC's step.
type deferredRead struct {
	at   int
	keys [][]byte
}

// trackingState is the server's side: the tracking table, the prefixes of
// BCAST clients and the counters INFO reports. The store's lock guards
// everything but what is atomic.
type trackingState struct {
	// keys maps a key to the clients that may cache it.
	keys map[string]trackedKey
	// items counts the (key, client) pairs of keys (tracking_total_items).
	items int64
	// prefixes are the BCAST prefixes in use; order holds them sorted,
	// which is the order Redis sends their messages in.
	prefixes map[string]*bcastPrefix
	order    []*bcastPrefix
	// bcastPending is set when a prefix has keys to send (trackingEndTx).
	bcastPending bool
	// deferring is set while a client has reads inside EXEC to remember
	// (clientTracking.deferred).
	deferring bool
	// clients are the clients with tracking on, by id; nclients mirrors
	// len(clients) for INFO and the cron.
	clients  map[int64]*client
	nclients atomic.Int64
	// maxKeys is tracking-table-max-keys, 0 for no limit; hard counts the
	// consecutive limit runs that did not get under it, which makes the
	// next one work harder (Redis's timeout_counter).
	maxKeys atomic.Int64
	hard    int
	// buf and msg are scratch for building messages: the keys, and the
	// message around them.
	buf, msg []byte
}

// trackedKey lists the ids of the clients that may cache a key: the
// first in the entry itself (most keys have one reader, and cost no
// allocation but the key's), more in a short slice, and a set when long,
// so that many clients reading one key do not make each read scan them
// all. The table holds entries by value: add changes a copy, which the
// caller stores back.
type trackedKey struct {
	first int64
	more  []int64
	set   map[int64]struct{}
}

// maxTrackedSlice is how many ids a trackedKey lists before it uses a set.
const maxTrackedSlice = 16

// add adds id and reports whether it was new.
func (k *trackedKey) add(id int64) bool {
	if k.set != nil {
		if _, ok := k.set[id]; ok {
			return false
		}
		k.set[id] = struct{}{}
		return true
	}
	if k.first == id || slices.Contains(k.more, id) {
		return false
	}
	if len(k.more) < maxTrackedSlice {
		k.more = append(k.more, id)
		return true
	}
	k.set = make(map[int64]struct{}, 2*maxTrackedSlice)
	k.set[k.first] = struct{}{}
	for _, x := range k.more {
		k.set[x] = struct{}{}
	}
	k.more = nil
	k.set[id] = struct{}{}
	return true
}

func (k *trackedKey) len() int {
	if k.set != nil {
		return len(k.set)
	}
	return 1 + len(k.more)
}

// each calls fn for every id.
func (k *trackedKey) each(fn func(id int64)) {
	if k.set != nil {
		for id := range k.set {
			fn(id)
		}
		return
	}
	fn(k.first)
	for _, id := range k.more {
		fn(id)
	}
}

// bcastPrefix is one BCAST prefix: its clients, and the keys changed under
// it since its last message with the client that changed each last (nil
// for none), for NOLOOP.
type bcastPrefix struct {
	prefix  string
	clients []*client
	changed map[string]*client
}

// TrackingUnlimited as Config.TrackingTableMaxKeys lets the tracking table
// grow without bound ("tracking-table-max-keys 0").
const TrackingUnlimited = -1

const defaultTrackingTableMaxKeys = 1_000_000

// trackingDirectives are the implemented directives of client-side
// caching.
var trackingDirectives = []*directive{
	implDirective("tracking-table-max-keys", 0, parseUintRange(0, longMax),
		func(c *Config) string {
			if c.TrackingTableMaxKeys == TrackingUnlimited {
				return "0"
			}
			return strconv.FormatInt(c.TrackingTableMaxKeys, 10)
		},
		func(c *Config, v string) {
			if c.TrackingTableMaxKeys = dirAtoi64(v); c.TrackingTableMaxKeys == 0 {
				c.TrackingTableMaxKeys = TrackingUnlimited
			}
		}),
}

// applyTracking puts tracking-table-max-keys into effect; the table gets
// under a lowered bound at the next read or cron tick.
func (s *Server) applyTracking(cfg Config) {
	s.trk.maxKeys.Store(max(cfg.TrackingTableMaxKeys, 0))
}

// trackingArgs are CLIENT TRACKING's arguments, for COMMAND DOCS.
var trackingArgs = []cmdArg{
	{Name: "status", Type: argTypeOneOf, Args: []cmdArg{
		{Name: "on", Type: argTypePureToken, Token: "ON"},
		{Name: "off", Type: argTypePureToken, Token: "OFF"},
	}},
	{Name: "client-id", Type: argTypeInteger, Token: "REDIRECT", Flags: argOptional},
	{Name: "prefix", Type: argTypeString, Token: "PREFIX", Flags: argOptional | argMultiple | argMultipleToken},
	{Name: "bcast", Type: argTypePureToken, Token: "BCAST", Flags: argOptional},
	{Name: "optin", Type: argTypePureToken, Token: "OPTIN", Flags: argOptional},
	{Name: "optout", Type: argTypePureToken, Token: "OPTOUT", Flags: argOptional},
	{Name: "noloop", Type: argTypePureToken, Token: "NOLOOP", Flags: argOptional},
}

// The channel RESP2 redirection publishes on.
var trackingChannel = []byte("__redis__:invalidate")

// trackCall is the dispatcher's hook after a command ran (client.call).
// With tracking off and nothing pending it is one branch.
func (c *client) trackCall(cmd *command, args [][]byte) {
	if c.trk.hook != 0 {
		c.trackingAfterCall(cmd, args)
	}
}

// cachingDone ends CLIENT CACHING's effect after each command the
// dispatcher handled, refused ones included (cmd nil for an unknown one),
// as Redis's resetClient: it holds for the next command, or the next
// transaction, and any CLIENT subcommand keeps it. While it is off this is
// one branch.
func (c *client) cachingDone(cmd *command) {
	if c.trk.caching && c.multi == nil && (cmd == nil || cmd.parent == nil || cmd.parent.Name != "client") {
		c.trk.caching = false
	}
}

// trackingAfterCall remembers the keys of a read-only command and sends the
// messages the command caused this client, as Redis's call does.
func (c *client) trackingAfterCall(cmd *command, args [][]byte) {
	if c.trk.hook&hookOn != 0 {
		if cmd.Flags&flagReadOnly != 0 && c.tx != nil {
			c.trackingRemember(cmd, args)
		}
	}
	if c.trk.hook&hookDeferred != 0 && !c.inExec && c.tx != nil {
		// EXEC's step had no change to meet its reads at (or tracking
		// was turned off inside it, after them).
		c.s.trackingReplay(c, nil)
	}
	// Messages this client's own commands caused go after the reply, and
	// after a whole EXEC's reply rather than inside it.
	if c.trk.hook&hookPending != 0 && !c.inExec {
		c.appendPush(c.trk.pending)
		c.trk.pending = c.trk.pending[:0]
		if cap(c.trk.pending) > 64<<10 {
			c.trk.pending = nil
		}
		c.trk.hook &^= hookPending
	}
}

// trackingRemember records the keys of a read-only command for this
// client, unless its OPTIN/OPTOUT mode and CLIENT CACHING say not to, as
// Redis's trackingRememberKeys. The caller holds the store's lock.
func (c *client) trackingRemember(cmd *command, args [][]byte) {
	f := trackFlags(c.trk.flags.Load())
	if f&trkBcast != 0 || f&trkOptIn != 0 && !c.trk.caching || f&trkOptOut != 0 && c.trk.caching {
		return
	}
	if cmd.Flags&flagPubSub != 0 {
		return // shard channels are keys to the key specs, not to tracking
	}
	refs := cmd.appendKeys(c.trk.refs[:0], args)
	c.trk.refs = refs[:0]
	if len(refs) == 0 {
		return
	}
	if c.inExec {
		// EXEC's changes are not consumed yet: remember the keys where
		// they stand among them, at EXEC's commit.
		d := deferredRead{at: c.tx.Uncommitted(), keys: make([][]byte, len(refs))}
		for i, r := range refs {
			d.keys[i] = slices.Clone(args[r.Pos])
		}
		c.trk.deferred = append(c.trk.deferred, d)
		c.trk.hook |= hookDeferred
		c.s.trk.deferring = true
		return
	}
	for _, r := range refs {
		c.s.trackKey(c, args[r.Pos])
	}
	c.s.trackingLimitAfterRead(c)
}

// trackKey remembers key for c.
func (s *Server) trackKey(c *client, key []byte) {
	t := &s.trk
	if t.keys == nil {
		t.keys = map[string]trackedKey{}
	}
	k, ok := t.keys[string(key)]
	if !ok {
		t.keys[string(key)] = trackedKey{first: c.id}
		t.items++
		return
	}
	if k.add(c.id) {
		t.keys[string(key)] = k
		t.items++
	}
}

// trackingLimitAfterRead applies tracking-table-max-keys after a read grew
// the table.
func (s *Server) trackingLimitAfterRead(c *client) {
	if max := s.trk.maxKeys.Load(); max > 0 && int64(len(s.trk.keys)) > max {
		s.trackingLimit(c)
	}
}

// trackingReplay remembers c's reads inside EXEC, each after the changes of
// EXEC's step recorded before it, and invalidates the changed keys in that
// order: changes is the step's change log (nil when it changed nothing).
func (s *Server) trackingReplay(c *client, changes []store.Change) {
	d := c.trk.deferred
	for i := range changes {
		for len(d) > 0 && d[0].at <= i {
			for _, k := range d[0].keys {
				s.trackKey(c, k)
			}
			d = d[1:]
		}
		s.trackingInvalidateChange(&changes[i], c)
	}
	for _, r := range d {
		for _, k := range r.keys {
			s.trackKey(c, k)
		}
	}
	clear(c.trk.deferred)
	c.trk.deferred = c.trk.deferred[:0]
	c.trk.hook &^= hookDeferred
	s.trk.deferring = false
	s.trackingLimitAfterRead(c)
}

// trackChanges is the change log's consumer for tracking: each change to a
// key invalidates it. With no key tracked and no BCAST prefix it is one
// branch per step.
func (s *Server) trackChanges(tx *store.Tx, changes []store.Change) {
	if len(s.trk.keys) != 0 || len(s.trk.prefixes) != 0 || s.trk.deferring {
		s.trackingInvalidate(tx, changes)
	}
}

func (s *Server) trackingInvalidate(tx *store.Tx, changes []store.Change) {
	owner, _ := tx.Owner().(*client)
	if owner != nil && len(owner.trk.deferred) > 0 {
		s.trackingReplay(owner, changes)
		return
	}
	for i := range changes {
		s.trackingInvalidateChange(&changes[i], owner)
	}
}

// trackingInvalidateChange invalidates the key of one change, if it has
// one: flushes are FLUSHDB's and FLUSHALL's (trackingFlushed), and swaps
// invalidate nothing, as in Redis.
func (s *Server) trackingInvalidateChange(ch *store.Change, owner *client) {
	if ch.Key == nil {
		return
	}
	if len(s.trk.prefixes) != 0 {
		// Redis records a key expired with no client as its writer, so
		// NOLOOP does not hide it even from the client whose read expired
		// it.
		writer := owner
		if ch.Op == store.OpExpired {
			writer = nil
		}
		s.trackingBcastKey(ch.Key, writer)
	}
	if len(s.trk.keys) != 0 {
		s.trackingInvalidateKey(ch.Key, owner)
	}
}

// trackingInvalidateKey sends an invalidation of key to every client
// remembered for it and forgets them, as Redis's trackingInvalidateKey.
// owner is the client whose command runs (nil for none): with NOLOOP it
// does not hear of its own changes, and what it hears waits for its reply.
func (s *Server) trackingInvalidateKey(key []byte, owner *client) {
	t := &s.trk
	k, ok := t.keys[string(key)]
	if !ok {
		return
	}
	delete(t.keys, string(key))
	t.items -= int64(k.len())
	payload := appendKeyPayload(t.buf[:0], key)
	if cap(payload) <= 64<<10 {
		t.buf = payload[:0]
	}
	k.each(func(id int64) {
		target := t.clients[id]
		if target == nil {
			return // gone, or tracking off since: forgotten lazily, as in Redis
		}
		f := trackFlags(target.trk.flags.Load())
		if f&trkBcast != 0 || f&trkNoLoop != 0 && target == owner {
			return
		}
		s.sendTracking(target, owner, payload)
	})
}

// appendKeyPayload appends the RESP array of one key.
func appendKeyPayload(b, key []byte) []byte {
	b = append(b, "*1\r\n"...)
	b = appendHeader(b, '$', len(key))
	b = append(b, key...)
	return append(b, '\r', '\n')
}

// sendTracking sends target (a client with tracking on) an invalidation
// whose keys are payload (RESP: an array of keys, or a null), where its
// mode says: to itself as a RESP3 push, or to its redirect target, as
// Redis's sendTrackingMessage. Messages for owner, the client whose
// command is running on this goroutine, wait for its reply; the others go
// through the outbox. payload may be t.buf, which this reuses.
func (s *Server) sendTracking(target, owner *client, payload []byte) {
	dest := target
	redirected := false
	msg := s.trk.msg[:0]
	if id := target.trk.redirect.Load(); id != 0 {
		r := s.lookupConn(id)
		if r == nil {
			target.trk.flags.Or(uint32(trkBrokenRedir))
			if target.resp.Load() == 3 {
				msg = append(msg, ">2\r\n$21\r\ntracking-redir-broken\r\n:"...)
				msg = strconv.AppendInt(msg, id, 10)
				msg = append(msg, '\r', '\n')
				s.deliverTracking(target, owner, msg)
			}
			return
		}
		dest, redirected = r, true
	}
	switch {
	case dest.resp.Load() == 3:
		msg = append(msg, ">2\r\n$10\r\ninvalidate\r\n"...)
		msg = append(msg, payload...)
	case redirected && dest.subs.Load() > 0:
		// A RESP2 connection in subscribed mode gets a pub/sub message
		// on __redis__:invalidate (Redis checks subscribed mode, not the
		// channel).
		msg = dest.appendPubsubMessage(msg, trackingChannel, func(b []byte) []byte { return append(b, payload...) })
	default:
		return // RESP2 without redirection: nothing can carry it
	}
	s.deliverTracking(dest, owner, msg)
	if cap(msg) <= 64<<10 {
		s.trk.msg = msg[:0]
	}
}

// deliverTracking appends message b for c: to its pending messages when c
// is owner, whose goroutine this is, else to its outbox. Either way it
// passes CLIENT REPLY OFF, as Redis's pushes do.
func (s *Server) deliverTracking(c, owner *client, b []byte) {
	if c == owner {
		c.trk.pending = append(c.trk.pending, b...)
		c.trk.hook |= hookPending
		return
	}
	c.postPush(b)
}

// trackingBcastKey records key as changed by writer for every BCAST prefix
// it starts with. With more prefixes than the key has bytes it looks up
// each beginning of the key instead of trying every prefix.
func (s *Server) trackingBcastKey(key []byte, writer *client) {
	note := func(p *bcastPrefix) {
		if p.changed == nil {
			p.changed = map[string]*client{}
		}
		p.changed[string(key)] = writer
		s.trk.bcastPending = true
	}
	if len(s.trk.order) > len(key)+1 {
		for n := 0; n <= len(key); n++ {
			if p := s.trk.prefixes[string(key[:n])]; p != nil {
				note(p)
			}
		}
		return
	}
	for _, p := range s.trk.order {
		if len(p.prefix) <= len(key) && string(key[:len(p.prefix)]) == p.prefix {
			note(p)
		}
	}
}

// trackingEndTx is the store's OnEnd hook: at the end of a transaction
// (one command, a pipelined batch, an expiry sample), each BCAST prefix
// with changed keys sends them, sorted, to its clients in one message, as
// Redis's trackingBroadcastInvalidationMessages before it sleeps.
func (s *Server) trackingEndTx(tx *store.Tx) {
	if !s.trk.bcastPending {
		return
	}
	s.trk.bcastPending = false
	var keys []string
	for _, p := range s.trk.order {
		if len(p.changed) == 0 {
			continue
		}
		keys = keys[:0]
		for k := range p.changed {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		all := appendBcastPayload(nil, keys, p.changed, nil)
		for _, c := range p.clients {
			payload := all
			if trackFlags(c.trk.flags.Load())&trkNoLoop != 0 {
				if payload = appendBcastPayload(nil, keys, p.changed, c); payload == nil {
					continue
				}
			}
			// The writer's own goroutine may be the one ending: its
			// outbox takes the message after its replies.
			s.sendTracking(c, nil, payload)
		}
		p.changed = nil
	}
}

// appendBcastPayload appends the RESP array of keys, leaving out those
// whose last writer is skip (NOLOOP); it returns nil if that leaves none.
func appendBcastPayload(b []byte, keys []string, writers map[string]*client, skip *client) []byte {
	n := len(keys)
	if skip != nil {
		n = 0
		for _, k := range keys {
			if writers[k] != skip {
				n++
			}
		}
		if n == 0 {
			return nil
		}
	}
	b = appendHeader(b, '*', n)
	for _, k := range keys {
		if skip != nil && writers[k] == skip {
			continue
		}
		b = appendHeader(b, '$', len(k))
		b = append(b, k...)
		b = append(b, '\r', '\n')
	}
	return b
}

// trackingFlushed is called by FLUSHDB and FLUSHALL, under the store's
// lock, whether or not they deleted anything: every tracking client gets
// a null invalidation (all keys), and the table is emptied, as Redis's
// trackingInvalidateKeysOnFlush. c is the flushing client.
func (s *Server) trackingFlushed(c *client) {
	t := &s.trk
	if len(t.clients) > 0 {
		ids := make([]int64, 0, len(t.clients))
		for id := range t.clients {
			ids = append(ids, id)
		}
		slices.Sort(ids) // Redis's order: its client list, oldest first
		for _, id := range ids {
			target := t.clients[id]
			null := "$-1\r\n"
			if target.resp.Load() == 3 {
				null = "_\r\n"
			}
			s.sendTracking(target, c, append(t.buf[:0], null...))
		}
	}
	if t.keys != nil {
		t.keys = map[string]trackedKey{}
		t.items = 0
	}
}

// trackingLimit evicts keys from the table while it holds more than
// tracking-table-max-keys, sending their clients invalidations as if the
// keys had changed, with an effort that grows while it fails to get under
// the limit, as Redis's trackingLimitUsedSlots. owner is the client whose
// goroutine this is, or nil. The caller holds the store's lock.
func (s *Server) trackingLimit(owner *client) {
	t := &s.trk
	max := int(t.maxKeys.Load())
	if max <= 0 || len(t.keys) <= max {
		t.hard = 0
		return
	}
	effort := 100 * (t.hard + 1)
	for key := range t.keys { // Go's map order is the random pick
		if effort == 0 {
			break
		}
		effort--
		// As in Redis, NOLOOP hides an eviction from the client about
		// to run (or, here, that just ran) a command.
		s.trackingInvalidateKey([]byte(key), owner)
		if len(t.keys) <= max {
			t.hard = 0
			return
		}
	}
	t.hard++
}

// trackingCron applies tracking-table-max-keys while no command runs
// (after CONFIG SET lowered it), as Redis's serverCron does.
func (s *Server) trackingCron() {
	if s.trk.nclients.Load() == 0 || s.trk.maxKeys.Load() == 0 {
		return
	}
	tx := s.store.Begin(store.TxOptions{AllDBs: true})
	s.trackingLimit(nil)
	tx.End()
}

// withStoreLock runs fn holding the store's lock: in the batch's
// transaction if one is open, else in one of its own.
func (c *client) withStoreLock(fn func()) {
	if c.tx != nil {
		fn()
		return
	}
	tx := c.s.store.Begin(store.TxOptions{DB: c.db.ID(), AllDBs: true, Owner: c})
	fn()
	tx.End()
}

// trackingOff turns tracking off for c, as Redis's disableTracking; the
// keys remembered for it are forgotten lazily, when they change. It takes
// the store's lock if c's batch does not hold it. RESET and the end of
// the connection call it.
func (c *client) trackingOff() {
	if c.trk.hook == 0 && c.trk.flags.Load() == 0 {
		return
	}
	c.withStoreLock(c.disableTracking)
}

// disableTracking is trackingOff under the store's lock.
func (c *client) disableTracking() {
	t := &c.s.trk
	emptied := false
	for _, p := range c.trk.prefixes {
		bp := t.prefixes[p]
		if bp == nil {
			continue
		}
		bp.clients = slices.DeleteFunc(bp.clients, func(x *client) bool { return x == c })
		if len(bp.clients) == 0 {
			delete(t.prefixes, p)
			emptied = true
		}
	}
	if emptied {
		t.order = slices.DeleteFunc(t.order, func(x *bcastPrefix) bool { return len(x.clients) == 0 })
	}
	c.trk.prefixes = nil
	if trackFlags(c.trk.flags.Load())&trkOn != 0 {
		delete(t.clients, c.id)
		t.nclients.Store(int64(len(t.clients)))
	}
	c.trk.flags.Store(0)
	c.trk.redirect.Store(0)
	c.trk.caching = false
	c.trk.hook &^= hookOn
}

// enableTracking turns tracking on for c with mode flags, redirection
// and BCAST prefixes, as Redis's enableTracking. The caller holds the
// store's lock.
func (c *client) enableTracking(redirect int64, mode trackFlags, prefixes []string) {
	t := &c.s.trk
	if t.clients == nil {
		t.clients = map[int64]*client{}
		t.prefixes = map[string]*bcastPrefix{}
	}
	t.clients[c.id] = c
	t.nclients.Store(int64(len(t.clients)))
	f := trkOn | mode&(trkOptIn|trkOptOut|trkNoLoop)
	c.trk.redirect.Store(redirect)
	if mode&trkBcast != 0 {
		f |= trkBcast
		if len(prefixes) == 0 {
			prefixes = []string{""}
		}
		// Sorted once at the end, so that many prefixes cost no more
		// than sorting them.
		newPrefix, newOwn := false, false
		for _, p := range prefixes {
			bp := t.prefixes[p]
			if bp == nil {
				bp = &bcastPrefix{prefix: p}
				t.prefixes[p] = bp
				t.order = append(t.order, bp)
				newPrefix = true
			}
			if !slices.Contains(bp.clients, c) {
				bp.clients = append(bp.clients, c)
				c.trk.prefixes = append(c.trk.prefixes, p)
				newOwn = true
			}
		}
		if newPrefix {
			slices.SortFunc(t.order, func(a, b *bcastPrefix) int { return cmp.Compare(a.prefix, b.prefix) })
		}
		if newOwn {
			slices.Sort(c.trk.prefixes)
		}
	}
	c.trk.flags.Store(uint32(f))
	c.trk.hook |= hookOn
}

// cmdClientTracking is CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST]
// [PREFIX p]... [OPTIN] [OPTOUT] [NOLOOP], checked in Redis's order. It
// runs under the store's lock (its table entry's Lock).
func cmdClientTracking(c *client, args [][]byte) {
	var redirect int64
	var mode trackFlags
	var prefixes []string
	for j := 3; j < len(args); j++ {
		more := j+1 < len(args)
		a := args[j]
		switch {
		case isOpt(a, "redirect") && more:
			j++
			if redirect != 0 {
				c.writeErrorReply(msgTrackRedirectTwice)
				return
			}
			id, ok := num.ParseInt(args[j])
			if !ok {
				c.writeErrorReply(msgNotInteger)
				return
			}
			if c.s.lookupConn(id) == nil {
				c.writeErrorReply(msgTrackRedirectAbsent)
				return
			}
			redirect = id
		case isOpt(a, "bcast"):
			mode |= trkBcast
		case isOpt(a, "optin"):
			mode |= trkOptIn
		case isOpt(a, "optout"):
			mode |= trkOptOut
		case isOpt(a, "noloop"):
			mode |= trkNoLoop
		case isOpt(a, "prefix") && more:
			j++
			prefixes = append(prefixes, string(args[j]))
		default:
			c.writeErrorReply(msgSyntax)
			return
		}
	}
	switch {
	case isOpt(args[2], "on"):
		cur := trackFlags(c.trk.flags.Load())
		switch {
		case mode&trkBcast == 0 && len(prefixes) > 0:
			c.writeErrorReply(msgTrackPrefixNoBcast)
			return
		case cur&trkOn != 0 && cur&trkBcast != mode&trkBcast:
			c.writeErrorReply(msgTrackBcastSwitch)
			return
		case mode&trkBcast != 0 && mode&(trkOptIn|trkOptOut) != 0:
			c.writeErrorReply(msgTrackBcastOptInOut)
			return
		case mode&trkOptIn != 0 && mode&trkOptOut != 0:
			c.writeErrorReply(msgTrackOptInAndOut)
			return
		case mode&trkOptIn != 0 && cur&trkOptOut != 0, mode&trkOptOut != 0 && cur&trkOptIn != 0:
			c.writeErrorReply(msgTrackOptSwitch)
			return
		}
		if mode&trkBcast != 0 && !c.checkPrefixOverlap(prefixes) {
			return
		}
		c.enableTracking(redirect, mode, prefixes)
	case isOpt(args[2], "off"):
		c.disableTracking()
	default:
		c.writeErrorReply(msgSyntax)
		return
	}
	c.WriteOK()
}

// checkPrefixOverlap replies with Redis's error and returns false when a
// new prefix overlaps (is a prefix of, or starts with) one the client has
// or another one of the same command. It names the pair Redis's pairwise
// loop finds first, without its quadratic cost: the first new prefix (in
// argument order) that overlaps anything, then the first existing prefix
// (sorted) or later new prefix it overlaps.
func (c *client) checkPrefixOverlap(prefixes []string) bool {
	overlap := func(a, b string) bool {
		n := min(len(a), len(b))
		return a[:n] == b[:n]
	}
	have := c.trk.prefixes // sorted, and pairwise without overlap
	// existing returns the first of have that p overlaps, if any: one
	// that p starts with sorts last among those not above p, and those
	// starting with p come right after it.
	existing := func(p string) (string, bool) {
		i, _ := slices.BinarySearch(have, p)
		if i > 0 && overlap(have[i-1], p) {
			return have[i-1], true
		}
		if i < len(have) && overlap(have[i], p) {
			return have[i], true
		}
		return "", false
	}
	// Which new prefixes overlap another new one: in sorted order, the
	// prefixes of a string come before it, and a stack of the chain of
	// prefixes seen finds, for each string, whether one of them is a
	// prefix of it. The first prefix in argument order that overlaps
	// another has that other later in the arguments, so the loop below
	// scans the later ones once at most.
	idx := make([]int, len(prefixes))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(prefixes[a], prefixes[b]) })
	overlapping := make([]bool, len(prefixes))
	var stack []int
	for _, i := range idx {
		for len(stack) > 0 && !overlap(prefixes[stack[len(stack)-1]], prefixes[i]) {
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 {
			// The stack's top is a prefix of this one (and the rest of
			// the stack was marked with the top, when it was pushed).
			overlapping[i] = true
			overlapping[stack[len(stack)-1]] = true
		}
		stack = append(stack, i)
	}
	for i, p := range prefixes {
		if e, ok := existing(p); ok {
			c.writeErrorReply(fmt.Sprintf(msgTrackPrefixExisting, cString(p), cString(e)))
			return false
		}
		if !overlapping[i] {
			continue
		}
		for _, q := range prefixes[i+1:] {
			if overlap(p, q) {
				c.writeErrorReply(fmt.Sprintf(msgTrackPrefixOther, cString(p), cString(q)))
				return false
			}
		}
	}
	return true
}

// cmdClientCaching is CLIENT CACHING YES|NO: whether the next command's
// keys are remembered, in OPTIN or OPTOUT mode.
func cmdClientCaching(c *client, args [][]byte) {
	f := trackFlags(c.trk.flags.Load())
	if f&trkOn == 0 {
		c.writeErrorReply(msgCachingNotTracking)
		return
	}
	switch {
	case isOpt(args[2], "yes"):
		if f&trkOptIn == 0 {
			c.writeErrorReply(msgCachingYes)
			return
		}
	case isOpt(args[2], "no"):
		if f&trkOptOut == 0 {
			c.writeErrorReply(msgCachingNo)
			return
		}
	default:
		c.writeErrorReply(msgSyntax)
		return
	}
	c.trk.caching = true
	c.WriteOK()
}

// cmdClientGetredir is CLIENT GETREDIR: the redirect target's id, 0 for
// none, -1 with tracking off.
func cmdClientGetredir(c *client, args [][]byte) {
	if trackFlags(c.trk.flags.Load())&trkOn == 0 {
		c.WriteInt(-1)
		return
	}
	c.WriteInt(c.trk.redirect.Load())
}

// cmdClientTrackinginfo is CLIENT TRACKINGINFO: the flags, the redirect
// target and the prefixes, as a map. It runs under the store's lock, which
// guards the prefixes.
func cmdClientTrackinginfo(c *client, args [][]byte) {
	f := trackFlags(c.trk.flags.Load())
	flags := []string{"off"}
	if f&trkOn != 0 {
		flags[0] = "on"
	}
	if f&trkBcast != 0 {
		flags = append(flags, "bcast")
	}
	if f&trkOptIn != 0 {
		flags = append(flags, "optin")
		if c.trk.caching {
			flags = append(flags, "caching-yes")
		}
	}
	if f&trkOptOut != 0 {
		flags = append(flags, "optout")
		if c.trk.caching {
			flags = append(flags, "caching-no")
		}
	}
	if f&trkNoLoop != 0 {
		flags = append(flags, "noloop")
	}
	if f&trkBrokenRedir != 0 {
		flags = append(flags, "broken_redirect")
	}
	c.WriteMap(3)
	c.WriteBulkString("flags")
	c.WriteSet(len(flags))
	for _, s := range flags {
		c.WriteBulkString(s)
	}
	c.WriteBulkString("redirect")
	if f&trkOn != 0 {
		c.WriteInt(c.trk.redirect.Load())
	} else {
		c.WriteInt(-1)
	}
	c.WriteBulkString("prefixes")
	c.WriteArray(len(c.trk.prefixes))
	for _, p := range c.trk.prefixes {
		c.WriteBulkString(p)
	}
}

// appendTrackingFlags appends other's CLIENT LIST flags of tracking: t
// (on), R (broken redirection), B (BCAST).
func appendTrackingFlags(b []byte, other *client) []byte {
	f := trackFlags(other.trk.flags.Load())
	if f&trkOn != 0 {
		b = append(b, 't')
	}
	if f&trkBrokenRedir != 0 {
		b = append(b, 'R')
	}
	if f&trkBcast != 0 {
		b = append(b, 'B')
	}
	return b
}

// trackingRedir is CLIENT LIST's redir: the redirect target with tracking
// on (0 for none), -1 with it off.
func trackingRedir(other *client) int64 {
	if trackFlags(other.trk.flags.Load())&trkOn == 0 {
		return -1
	}
	return other.trk.redirect.Load()
}

// appendTrackingInfo appends INFO stats' tracking fields. INFO runs under
// the store's lock.
func (s *Server) appendTrackingInfo(b []byte) []byte {
	b = field(b, "tracking_total_keys", len(s.trk.keys))
	b = field(b, "tracking_total_items", s.trk.items)
	b = field(b, "tracking_total_prefixes", len(s.trk.prefixes))
	return b
}
