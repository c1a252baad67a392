package server

import (
	"fmt"
	"math"
	"strconv"

	"github.com/redoubt-db/redoubt/internal/keyspec"

	"github.com/redoubt-db/redoubt/acl"
	"github.com/redoubt-db/redoubt/store"
)

// Commands of the "generic" group: keys whatever their type, and their
// deadlines.

// Key specs and arguments shared by the generic commands (tablespecs.go has
// those other groups use too).
var (
	ksKeysDelete = []keyspec.Spec{{Flags: keyspec.RM | keyspec.Delete, Index: 1, LastKey: -1, KeyStep: 1}}
	ksKeysRead   = []keyspec.Spec{{Flags: keyspec.RO, Index: 1, LastKey: -1, KeyStep: 1}}
	ksObjectKey  = []keyspec.Spec{{Flags: keyspec.RO, Index: 2, KeyStep: 1}}

	tipsMultiShardSum = []string{"request_policy:multi_shard", "response_policy:agg_sum"}

	argsRenameKeys     = []cmdArg{argKey, {Name: "newkey", Type: argTypeKey, KeySpecIndex: 1}}
	argExpireCondition = cmdArg{Name: "condition", Type: argTypeOneOf, Since: "7.0.0", Flags: argOptional, Args: []cmdArg{
		{Name: "nx", Type: argTypePureToken, Token: "NX"},
		{Name: "xx", Type: argTypePureToken, Token: "XX"},
		{Name: "gt", Type: argTypePureToken, Token: "GT"},
		{Name: "lt", Type: argTypePureToken, Token: "LT"},
	}}
)

// expireArgs returns the arguments of an EXPIRE variant whose time argument
// is called name.
func expireArgs(name string, typ argType) []cmdArg {
	return []cmdArg{argKey, {Name: name, Type: typ}, argExpireCondition}
}

// objectSub returns an OBJECT subcommand that reads its key.
func objectSub(name, since, summary string, run func(*client, [][]byte)) *command {
	return &command{Name: name, Arity: 3, Flags: flagReadOnly, Categories: acl.Keyspace,
		KeySpecs: ksObjectKey, Group: "generic", Since: since, Complexity: "O(1)",
		Tips: []string{"nondeterministic_output"}, Summary: summary, Args: argsOneKey, Run: run}
}

func init() {
	registerCommands(
		&command{Name: "del", Arity: -2, Flags: flagWrite, Categories: acl.Keyspace,
			KeySpecs: ksKeysDelete, Group: "generic", Since: "1.0.0",
			Complexity: "O(N) for N keys, plus O(M) for each removed value of M elements.",
			Tips:       tipsMultiShardSum,
			Summary:    "Removes keys and returns how many existed.",
			Args:       argsKeys, Run: cmdDel},
		&command{Name: "unlink", Arity: -2, Flags: flagWrite | flagFast, Categories: acl.Keyspace,
			KeySpecs: ksKeysDelete, Group: "generic", Since: "4.0.0",
			Complexity: "O(1) per key; freeing the values happens later.",
			Tips:       tipsMultiShardSum,
			Summary:    "Removes keys like DEL, leaving the memory to be reclaimed in the background.",
			Args:       argsKeys, Run: cmdUnlink},
		&command{Name: "exists", Arity: -2, Flags: flagReadOnly | flagFast, Categories: acl.Keyspace,
			KeySpecs: ksKeysRead, Group: "generic", Since: "1.0.0", Complexity: "O(N) for N keys.",
			Tips:    tipsMultiShardSum,
			Summary: "Counts how many of the given keys exist; a key named twice counts twice.",
			Args:    argsKeys, Run: cmdExists},
		&command{Name: "type", Arity: 2, Flags: flagReadOnly | flagFast, Categories: acl.Keyspace,
			KeySpecs: ksKeyRO, Group: "generic", Since: "1.0.0", Complexity: "O(1)",
			Summary: "Names the type of the value at a key, or none.",
			Args:    argsOneKey, Run: cmdType},
		&command{Name: "rename", Arity: 3, Flags: flagWrite, Categories: acl.Keyspace,
			KeySpecs: []keyspec.Spec{
				{Flags: keyspec.RW | keyspec.Access | keyspec.Delete, Index: 1, KeyStep: 1},
				{Flags: keyspec.OW | keyspec.Update, Index: 2, KeyStep: 1},
			},
			Group: "generic", Since: "1.0.0", Complexity: "O(1)",
			Summary: "Gives a key a new name, replacing whatever had that name.",
			Args:    argsRenameKeys,
			Run:     cmdRename},
		&command{Name: "renamenx", Arity: 3, Flags: flagWrite | flagFast, Categories: acl.Keyspace,
			KeySpecs: []keyspec.Spec{
				{Flags: keyspec.RW | keyspec.Access | keyspec.Delete, Index: 1, KeyStep: 1},
				{Flags: keyspec.OW | keyspec.Insert, Index: 2, KeyStep: 1},
			},
			Group: "generic", Since: "1.0.0", Complexity: "O(1)",
			Summary: "Gives a key a new name unless that name is already taken.",
			Args:    argsRenameKeys,
			Run:     cmdRenamenx},
		&command{Name: "copy", Arity: -3, Flags: flagWrite | flagDenyOOM, Categories: acl.Keyspace, Lock: lockAllDBs,
			KeySpecs: []keyspec.Spec{
				{Flags: keyspec.RO | keyspec.Access, Index: 1, KeyStep: 1},
				{Flags: keyspec.OW | keyspec.Update, Index: 2, KeyStep: 1},
			},
			Group: "generic", Since: "6.2.0",
			Complexity: "O(1) for strings; O(N) for a collection of N items.",
			Summary:    "Duplicates a key's value and deadline under another name, possibly in another database.",
			Args: []cmdArg{
				{Name: "source", Type: argTypeKey},
				{Name: "destination", Type: argTypeKey, KeySpecIndex: 1},
				{Name: "destination-db", Type: argTypeInteger, Token: "DB", Flags: argOptional},
				{Name: "replace", Type: argTypePureToken, Token: "REPLACE", Flags: argOptional},
			},
			Run: cmdCopy},
		&command{Name: "move", Arity: 3, Flags: flagWrite | flagFast, Categories: acl.Keyspace, Lock: lockAllDBs,
			KeySpecs: ksKeyRWAccessUpdate, Group: "generic", Since: "1.0.0", Complexity: "O(1)",
			Summary: "Moves a key to another database unless it exists there.",
			Args:    []cmdArg{argKey, {Name: "db", Type: argTypeInteger}},
			Run:     cmdMove},
		&command{Name: "keys", Arity: 2, Flags: flagReadOnly, Categories: acl.Keyspace | acl.Dangerous, Lock: lockAlways,
			Group: "generic", Since: "1.0.0",
			Complexity: "O(N) for N keys in the database, with short keys and pattern.",
			Tips:       []string{"request_policy:all_shards", "nondeterministic_output_order"},
			Summary:    "Lists every key matching a glob-style pattern, all at once.",
			Args:       []cmdArg{{Name: "pattern", Type: argTypePattern}},
			Run:        cmdKeys},
		&command{Name: "scan", Arity: -2, Flags: flagReadOnly, Categories: acl.Keyspace, Lock: lockAlways,
			Group: "generic", Since: "2.8.0",
			Complexity: "O(1) per call; O(N) over a whole iteration of N keys.",
			Tips:       []string{"nondeterministic_output", "request_policy:special"},
			Summary:    "Walks the keyspace a few keys at a time with a cursor, optionally filtered by pattern and type.",
			Args: []cmdArg{
				{Name: "cursor", Type: argTypeInteger},
				{Name: "pattern", Type: argTypePattern, Token: "MATCH", Flags: argOptional},
				{Name: "count", Type: argTypeInteger, Token: "COUNT", Flags: argOptional},
				{Name: "type", Type: argTypeString, Token: "TYPE", Since: "6.0.0", Flags: argOptional},
			},
			Run: cmdScan},
		&command{Name: "randomkey", Arity: 1, Flags: flagReadOnly, Categories: acl.Keyspace, Lock: lockAlways,
			Group: "generic", Since: "1.0.0", Complexity: "O(1)",
			Tips:    []string{"request_policy:all_shards", "nondeterministic_output"},
			Summary: "Returns the name of a key picked at random.",
			Run:     cmdRandomkey},
		&command{Name: "touch", Arity: -2, Flags: flagReadOnly | flagFast, Categories: acl.Keyspace,
			KeySpecs: ksKeysRead, Group: "generic", Since: "3.2.1", Complexity: "O(N) for N keys.",
			Tips:    tipsMultiShardSum,
			Summary: "Marks keys as just used and counts how many exist.",
			Args:    argsKeys, Run: cmdTouch},
		&command{Name: "object", Arity: -2, Group: "generic", Since: "2.2.3",
			Complexity: "Depends on subcommand.",
			Summary:    "Inspects how the server holds a key's value.",
			Subcommands: []*command{
				objectSub("refcount", "2.2.3", "Returns how many references the value of a key has.", cmdObjectRefcount),
				objectSub("freq", "4.0.0", "Returns a key's logarithmic access frequency counter under an LFU policy.", cmdObjectFreq),
				objectSub("idletime", "2.2.3", "Returns the seconds since a key was last read or written.", cmdObjectIdletime),
				objectSub("encoding", "2.2.3", "Names the internal representation of a key's value.", cmdObjectEncoding),
				{Name: "help", Arity: 2, Flags: flagLoading | flagStale, Categories: acl.Keyspace,
					Group: "generic", Since: "6.2.0", Complexity: "O(1)",
					Summary: "Lists the OBJECT subcommands.",
					Run:     cmdObjectHelp},
			}},
		&command{Name: "expire", Arity: -3, Flags: flagWrite | flagFast, Categories: acl.Keyspace,
			KeySpecs: ksKeyRWUpdate, Group: "generic", Since: "1.0.0", Complexity: "O(1)",
			Summary: "Sets a key to expire after a number of seconds.",
			Args:    expireArgs("seconds", argTypeInteger), Run: cmdExpire},
		&command{Name: "pexpire", Arity: -3, Flags: flagWrite | flagFast, Categories: acl.Keyspace,
			KeySpecs: ksKeyRWUpdate, Group: "generic", Since: "2.6.0", Complexity: "O(1)",
			Summary: "Sets a key to expire after a number of milliseconds.",
			Args:    expireArgs("milliseconds", argTypeInteger), Run: cmdPexpire},
		&command{Name: "expireat", Arity: -3, Flags: flagWrite | flagFast, Categories: acl.Keyspace,
			KeySpecs: ksKeyRWUpdate, Group: "generic", Since: "1.2.0", Complexity: "O(1)",
			Summary: "Sets a key to expire at a Unix time in seconds.",
			Args:    expireArgs("unix-time-seconds", argTypeUnixTime), Run: cmdExpireat},
		&command{Name: "pexpireat", Arity: -3, Flags: flagWrite | flagFast, Categories: acl.Keyspace,
			KeySpecs: ksKeyRWUpdate, Group: "generic", Since: "2.6.0", Complexity: "O(1)",
			Summary: "Sets a key to expire at a Unix time in milliseconds.",
			Args:    expireArgs("unix-time-milliseconds", argTypeUnixTime), Run: cmdPexpireat},
		&command{Name: "ttl", Arity: 2, Flags: flagReadOnly | flagFast, Categories: acl.Keyspace,
			KeySpecs: ksKeyROAccess, Group: "generic", Since: "1.0.0", Complexity: "O(1)",
			Tips:    []string{"nondeterministic_output"},
			Summary: "Returns the seconds left before a key expires, -1 if it never does, -2 if there is no key.",
			Args:    argsOneKey, Run: cmdTTL},
		&command{Name: "pttl", Arity: 2, Flags: flagReadOnly | flagFast, Categories: acl.Keyspace,
			KeySpecs: ksKeyROAccess, Group: "generic", Since: "2.6.0", Complexity: "O(1)",
			Tips:    []string{"nondeterministic_output"},
			Summary: "Returns the milliseconds left before a key expires, -1 if it never does, -2 if there is no key.",
			Args:    argsOneKey, Run: cmdPTTL},
		&command{Name: "expiretime", Arity: 2, Flags: flagReadOnly | flagFast, Categories: acl.Keyspace,
			KeySpecs: ksKeyROAccess, Group: "generic", Since: "7.0.0", Complexity: "O(1)",
			Summary: "Returns the Unix time in seconds at which a key expires.",
			Args:    argsOneKey, Run: cmdExpiretime},
		&command{Name: "pexpiretime", Arity: 2, Flags: flagReadOnly | flagFast, Categories: acl.Keyspace,
			KeySpecs: ksKeyROAccess, Group: "generic", Since: "7.0.0", Complexity: "O(1)",
			Summary: "Returns the Unix time in milliseconds at which a key expires.",
			Args:    argsOneKey, Run: cmdPexpiretime},
		&command{Name: "persist", Arity: 2, Flags: flagWrite | flagFast, Categories: acl.Keyspace,
			KeySpecs: ksKeyRWUpdate, Group: "generic", Since: "2.2.0", Complexity: "O(1)",
			Summary: "Removes a key's deadline so that it never expires.",
			Args:    argsOneKey, Run: cmdPersist},
	)
}

// cmdDel serves DEL: big values are freed in the background only under
// lazyfree-lazy-user-del, as in Redis (lazyfree.go).
func cmdDel(c *client, args [][]byte) { c.WriteInt(int64(c.db.DeleteKeys(args[1:]))) }

// cmdUnlink serves UNLINK: big values are always freed in the background.
func cmdUnlink(c *client, args [][]byte) { c.WriteInt(int64(c.db.UnlinkKeys(args[1:]))) }

func cmdExists(c *client, args [][]byte) { c.WriteInt(int64(c.db.CountExisting(args[1:]))) }

func cmdTouch(c *client, args [][]byte) { c.WriteInt(int64(c.db.Touch(args[1:]))) }

func cmdType(c *client, args [][]byte) { c.WriteSimple(c.db.TypeOf(args[1]).String()) }

func cmdRename(c *client, args [][]byte) {
	if _, err := c.db.Rename(args[1], args[2], false); err != nil {
		c.storeError(err)
		return
	}
	c.WriteOK()
}

func cmdRenamenx(c *client, args [][]byte) {
	ok, err := c.db.Rename(args[1], args[2], true)
	if err != nil {
		c.storeError(err)
		return
	}
	c.writeIntBool(ok)
}

func cmdCopy(c *client, args [][]byte) {
	dst := c.db
	replace := false
	for j := 3; j < len(args); j++ {
		switch {
		case isOpt(args[j], "replace"):
			replace = true
		case isOpt(args[j], "db") && j+1 < len(args):
			db, ok := c.argDB(args[j+1])
			if !ok {
				return
			}
			dst = db
			j++
		default:
			c.writeErrorReply(msgSyntax)
			return
		}
	}
	ok, err := c.db.Copy(args[1], dst, args[2], replace)
	if err != nil {
		c.keysError(err)
		return
	}
	c.writeIntBool(ok)
}

func cmdMove(c *client, args [][]byte) {
	dst, ok := c.argDB(args[2])
	if !ok {
		return
	}
	moved, err := c.db.Move(args[1], dst)
	if err != nil {
		c.keysError(err)
		return
	}
	c.writeIntBool(moved)
}

// argDB parses a database index as COPY and MOVE do, replying on error.
func (c *client) argDB(b []byte) (*store.DB, bool) {
	id, ok := c.argInt32(b)
	if !ok {
		return nil, false
	}
	db := c.s.store.DB(id)
	if db == nil {
		c.writeErrorReply(msgDBIndexRange)
		return nil, false
	}
	return db, true
}

// keysError replies to the errors of the generic commands.
func (c *client) keysError(err error) {
	if err == store.ErrSameObject {
		c.writeErrorReply(msgSameObject)
		return
	}
	c.storeError(err)
}

// cmdKeys encodes each key as the store finds it, under an array header
// written once they are counted, as Redis's addReplyDeferredLen: over
// millions of keys it holds the reply, built in chunks (output.go), and no
// list of the keys.
func cmdKeys(c *client, args [][]byte) {
	if c.mute {
		return // KEYS changes nothing: no need to walk
	}
	h := c.deferLen()
	n := 0
	c.db.EachKey(args[1], func(k []byte) {
		c.WriteBulk(k)
		n++
	})
	c.setDeferredLen(h, '*', n)
}

func cmdScan(c *client, args [][]byte) {
	cursor, ok := parseCursor(args[1])
	if !ok {
		c.writeErrorReply(msgInvalidCursor)
		return
	}
	opt := store.ScanOptions{Count: 10}
	for i := 2; i < len(args); i += 2 {
		hasValue := i+1 < len(args)
		switch {
		case isOpt(args[i], "count") && hasValue:
			n, ok := c.argInt(args[i+1])
			if !ok {
				return
			}
			if n < 1 {
				c.writeErrorReply(msgSyntax)
				return
			}
			opt.Count = n
		case isOpt(args[i], "match") && hasValue:
			opt.FilterMatch, opt.Match = true, args[i+1]
		case isOpt(args[i], "type") && hasValue:
			opt.FilterType, opt.Type = true, typeByName(args[i+1])
		default:
			c.writeErrorReply(msgSyntax)
			return
		}
	}
	keys, next := c.db.Scan(nil, cursor, opt)
	c.WriteArray(2)
	var buf [20]byte
	c.WriteBulk(strconv.AppendUint(buf[:0], next, 10))
	c.WriteArray(len(keys))
	for _, k := range keys {
		c.WriteBulk(k)
	}
}

// typeByName returns the type SCAN … TYPE name asks for, compared as Redis
// compares it (ignoring case, up to a NUL byte). "none" and unknown names
// give TypeNone, which no key has.
func typeByName(name []byte) store.Type {
	for t := store.TypeString; t.String() != "unknown"; t++ {
		if isOpt(name, t.String()) {
			return t
		}
	}
	return store.TypeNone
}

// parseCursor parses a SCAN cursor as Redis's parseScanCursorOrReply does
// with strtoul: the text up to a NUL byte must be an optional sign and
// decimal digits fitting in 64 bits, with no leading space; a '-' negates
// modulo 2^64, and the empty string is cursor 0.
func parseCursor(b []byte) (uint64, bool) {
	s := cString(b)
	if s == "" {
		return 0, true
	}
	switch s[0] {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return 0, false
	}
	neg := false
	i := 0
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		i = 1
	}
	if i == len(s) {
		return 0, false
	}
	var v uint64
	for ; i < len(s); i++ {
		ch := s[i]
		if ch < '0' || ch > '9' {
			return 0, false
		}
		d := uint64(ch - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		v = -v
	}
	return v, true
}

func cmdRandomkey(c *client, args [][]byte) {
	key, ok := c.db.RandomKey()
	if !ok {
		c.WriteNull()
		return
	}
	c.WriteBulk(key)
}

func cmdObjectEncoding(c *client, args [][]byte) {
	if info, ok := c.db.Object(args[2]); ok {
		c.WriteBulkString(info.Encoding.String())
		return
	}
	c.WriteNull()
}

func cmdObjectRefcount(c *client, args [][]byte) {
	if info, ok := c.db.Object(args[2]); ok {
		c.WriteInt(info.RefCount)
		return
	}
	c.WriteNull()
}

// cmdObjectIdletime replies with the idle time. Redis refuses it under an
// LFU maxmemory policy; there are no eviction policies yet, so it always
// answers.
func cmdObjectIdletime(c *client, args [][]byte) {
	if info, ok := c.db.Object(args[2]); ok {
		c.WriteInt(info.Idle)
		return
	}
	c.WriteNull()
}

// cmdObjectFreq looks the key up, then refuses, as Redis does without an
// LFU maxmemory policy; there are no eviction policies yet.
func cmdObjectFreq(c *client, args [][]byte) {
	if _, ok := c.db.Object(args[2]); !ok {
		c.WriteNull()
		return
	}
	c.writeErrorReply(msgLFUNotSelected)
}

func cmdObjectHelp(c *client, args [][]byte) {
	c.writeHelpReply(args[0], objectHelp)
}

func cmdExpire(c *client, args [][]byte)    { expireGeneric(c, args, true, true) }
func cmdPexpire(c *client, args [][]byte)   { expireGeneric(c, args, true, false) }
func cmdExpireat(c *client, args [][]byte)  { expireGeneric(c, args, false, true) }
func cmdPexpireat(c *client, args [][]byte) { expireGeneric(c, args, false, false) }

// expireGeneric serves the EXPIRE family: the time is relative to now or
// absolute, in seconds or milliseconds. Parsing follows Redis 7.0's
// expireGenericCommand: options first, then the time and its overflow
// checks, and only then the key.
func expireGeneric(c *client, args [][]byte, relative, seconds bool) {
	var flags store.ExpireFlags
	for _, opt := range args[3:] {
		switch {
		case isOpt(opt, "nx"):
			flags |= store.ExpireNX
		case isOpt(opt, "xx"):
			flags |= store.ExpireXX
		case isOpt(opt, "gt"):
			flags |= store.ExpireGT
		case isOpt(opt, "lt"):
			flags |= store.ExpireLT
		default:
			c.writeErrorReply(fmt.Sprintf(msgUnsupportedOption, cString(opt)))
			return
		}
	}
	if flags&store.ExpireNX != 0 && flags&(store.ExpireXX|store.ExpireGT|store.ExpireLT) != 0 {
		c.writeErrorReply(msgExpireNXAndOthers)
		return
	}
	if flags&store.ExpireGT != 0 && flags&store.ExpireLT != 0 {
		c.writeErrorReply(msgExpireGTAndLT)
		return
	}
	when, ok := c.argInt(args[2])
	if !ok {
		return
	}
	// Negative times are allowed (they delete the key); only overflow of
	// the unit conversion or of adding the current time is an error.
	if seconds {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			c.writeInvalidExpire()
			return
		}
		when *= 1000
	}
	if relative {
		now := c.tx.Now()
		if (now > 0 && when > math.MaxInt64-now) || (now < 0 && when < math.MinInt64-now) {
			c.writeInvalidExpire()
			return
		}
		when += now
	}
	c.writeIntBool(c.db.Expire(args[1], when, flags))
}

func cmdTTL(c *client, args [][]byte)         { ttlGeneric(c, args, false, false) }
func cmdPTTL(c *client, args [][]byte)        { ttlGeneric(c, args, true, false) }
func cmdExpiretime(c *client, args [][]byte)  { ttlGeneric(c, args, false, true) }
func cmdPexpiretime(c *client, args [][]byte) { ttlGeneric(c, args, true, true) }

// ttlGeneric serves TTL, PTTL, EXPIRETIME and PEXPIRETIME: -2 for no key, -1
// for no deadline, else the time left (or the deadline, when absolute), in
// milliseconds or rounded to the nearest second.
func ttlGeneric(c *client, args [][]byte, ms, absolute bool) {
	at, volatile, exists := c.db.Deadline(args[1], store.NoTouch)
	switch {
	case !exists:
		c.WriteInt(-2)
		return
	case !volatile:
		c.WriteInt(-1)
		return
	}
	v := at
	if !absolute {
		v = at - c.tx.Now()
	}
	v = max(v, 0)
	if !ms {
		// Unsigned, so that rounding the largest deadlines does not
		// overflow: Redis's compiled code gives 9223372036854776 for
		// EXPIRETIME of a deadline of 2^63-1 ms.
		v = int64((uint64(v) + 500) / 1000)
	}
	c.WriteInt(v)
}

func cmdPersist(c *client, args [][]byte) { c.writeIntBool(c.db.Persist(args[1])) }
