package server

import (
	"math"
	"strconv"

	"github.com/redoubt-db/redoubt/acl"
	"github.com/redoubt-db/redoubt/internal/glob"
	"github.com/redoubt-db/redoubt/internal/keyspec"
	"github.com/redoubt-db/redoubt/internal/num"
	"github.com/redoubt-db/redoubt/store"
)

// Commands of the "set" group.

// Replies of the set commands.
const (
	msgSetNumkeysPositive = "ERR numkeys should be greater than 0"
	msgSetNumkeysTooMany  = "ERR Number of keys can't be greater than number of args"
	msgSetLimitNegative   = "ERR LIMIT can't be negative"
	msgSetOutOfRangePos   = "ERR value is out of range, must be positive"
)

var (
	ksSetStoreDst  = keyspec.Spec{Flags: keyspec.OW | keyspec.Update, Index: 1, KeyStep: 1}
	ksSetSources   = keyspec.Spec{Flags: keyspec.RO | keyspec.Access, Index: 2, LastKey: -1, KeyStep: 1}
	argsSetMember  = []cmdArg{argKey, {Name: "member", Type: argTypeString}}
	argsSetMembers = []cmdArg{argKey, {Name: "member", Type: argTypeString, Flags: argMultiple}}
	argsSetStore   = []cmdArg{{Name: "destination", Type: argTypeKey}, {Name: "key", Type: argTypeKey, KeySpecIndex: 1, Flags: argMultiple}}
	ksSetKeysRead  = []keyspec.Spec{{Flags: keyspec.RO | keyspec.Access, Index: 1, LastKey: -1, KeyStep: 1}}
)

const complexitySetInter = "O(N*M) at worst, for the smallest of M sets holding N members."

func init() {
	registerCommands(
		&command{Name: "sadd", Arity: -3, Flags: flagWrite | flagDenyOOM | flagFast, Categories: acl.Set,
			KeySpecs: []keyspec.Spec{{Flags: keyspec.RW | keyspec.Insert, Index: 1, KeyStep: 1}},
			Group:    "set", Since: "1.0.0", Complexity: "O(1) per member added.",
			Summary: "Adds members to the set at a key, creating it if needed; returns how many were new.",
			Args:    argsSetMembers,
			Run:     cmdSadd},
		&command{Name: "srem", Arity: -3, Flags: flagWrite | flagFast, Categories: acl.Set,
			KeySpecs: []keyspec.Spec{{Flags: keyspec.RW | keyspec.Delete, Index: 1, KeyStep: 1}},
			Group:    "set", Since: "1.0.0", Complexity: "O(N) for N members named.",
			Summary: "Takes members out of the set at a key, deleting it when it empties; returns how many were there.",
			Args:    argsSetMembers,
			Run:     cmdSrem},
		&command{Name: "smembers", Arity: 2, Flags: flagReadOnly, Categories: acl.Set,
			KeySpecs: ksKeyROAccess, Group: "set", Since: "1.0.0", Complexity: "O(N) for a set of N members.",
			Summary: "Lists every member of the set at a key.",
			Tips:    []string{"nondeterministic_output_order"},
			Args:    argsOneKey,
			Run:     cmdSmembers},
		&command{Name: "sismember", Arity: 3, Flags: flagReadOnly | flagFast, Categories: acl.Set,
			KeySpecs: ksKeyRO, Group: "set", Since: "1.0.0", Complexity: "O(1)",
			Summary: "Tells whether a value is a member of the set at a key (1 or 0).",
			Args:    argsSetMember,
			Run:     cmdSismember},
		&command{Name: "smismember", Arity: -3, Flags: flagReadOnly | flagFast, Categories: acl.Set,
			KeySpecs: ksKeyROAccess, Group: "set", Since: "6.2.0", Complexity: "O(N) for N values asked about.",
			Summary: "Tells, for each of several values, whether it is a member of the set at a key.",
			Args:    argsSetMembers,
			Run:     cmdSmismember},
		&command{Name: "scard", Arity: 2, Flags: flagReadOnly | flagFast, Categories: acl.Set,
			KeySpecs: ksKeyRO, Group: "set", Since: "1.0.0", Complexity: "O(1)",
			Summary: "Returns the number of members of the set at a key.",
			Args:    argsOneKey,
			Run:     cmdScard},
		&command{Name: "spop", Arity: -2, Flags: flagWrite | flagFast, Categories: acl.Set,
			KeySpecs: []keyspec.Spec{{Flags: keyspec.RW | keyspec.Access | keyspec.Delete, Index: 1, KeyStep: 1}},
			Group:    "set", Since: "1.0.0", Complexity: "O(1) for one member, O(N) for a count of N.",
			Summary: "Removes random members from the set at a key and returns them.",
			Tips:    []string{"nondeterministic_output"},
			Args:    []cmdArg{argKey, {Name: "count", Type: argTypeInteger, Since: "3.2.0", Flags: argOptional}},
			Run:     cmdSpop},
		&command{Name: "srandmember", Arity: -2, Flags: flagReadOnly, Categories: acl.Set,
			KeySpecs: ksKeyROAccess, Group: "set", Since: "1.0.0",
			Complexity: "O(1) for one member, O(|N|) for a count of N.",
			Summary:    "Returns random members of the set at a key without removing them; a negative count may repeat them.",
			Tips:       []string{"nondeterministic_output"},
			Args:       []cmdArg{argKey, {Name: "count", Type: argTypeInteger, Since: "2.6.0", Flags: argOptional}},
			Run:        cmdSrandmember},
		&command{Name: "smove", Arity: 4, Flags: flagWrite | flagFast, Categories: acl.Set,
			KeySpecs: []keyspec.Spec{
				{Flags: keyspec.RW | keyspec.Access | keyspec.Delete, Index: 1, KeyStep: 1},
				{Flags: keyspec.RW | keyspec.Insert, Index: 2, KeyStep: 1},
			},
			Group: "set", Since: "1.0.0", Complexity: "O(1)",
			Summary: "Moves a member from the set at one key to the set at another; returns 1 if it was in the first.",
			Args: []cmdArg{{Name: "source", Type: argTypeKey}, {Name: "destination", Type: argTypeKey, KeySpecIndex: 1},
				{Name: "member", Type: argTypeString}},
			Run: cmdSmove},
		&command{Name: "sinter", Arity: -2, Flags: flagReadOnly, Categories: acl.Set,
			KeySpecs: ksSetKeysRead, Group: "set", Since: "1.0.0", Complexity: complexitySetInter,
			Summary: "Returns the members that the sets at all the keys have in common.",
			Tips:    []string{"nondeterministic_output_order"},
			Args:    argsKeys,
			Run:     cmdSinter},
		&command{Name: "sunion", Arity: -2, Flags: flagReadOnly, Categories: acl.Set,
			KeySpecs: ksSetKeysRead, Group: "set", Since: "1.0.0", Complexity: "O(N) for N members in all.",
			Summary: "Returns the members of any of the sets at the keys.",
			Tips:    []string{"nondeterministic_output_order"},
			Args:    argsKeys,
			Run:     cmdSunion},
		&command{Name: "sdiff", Arity: -2, Flags: flagReadOnly, Categories: acl.Set,
			KeySpecs: ksSetKeysRead, Group: "set", Since: "1.0.0", Complexity: "O(N) for N members in all.",
			Summary: "Returns the members of the set at the first key that none of the other sets hold.",
			Tips:    []string{"nondeterministic_output_order"},
			Args:    argsKeys,
			Run:     cmdSdiff},
		&command{Name: "sinterstore", Arity: -3, Flags: flagWrite | flagDenyOOM, Categories: acl.Set,
			KeySpecs: []keyspec.Spec{{Flags: keyspec.RW | keyspec.Update, Index: 1, KeyStep: 1}, ksSetSources},
			Group:    "set", Since: "1.0.0", Complexity: complexitySetInter,
			Summary: "Stores at a key the members the sets at the other keys have in common; returns their number.",
			Args:    argsSetStore,
			Run:     cmdSinterstore},
		&command{Name: "sunionstore", Arity: -3, Flags: flagWrite | flagDenyOOM, Categories: acl.Set,
			KeySpecs: []keyspec.Spec{ksSetStoreDst, ksSetSources},
			Group:    "set", Since: "1.0.0", Complexity: "O(N) for N members in all.",
			Summary: "Stores at a key the members of any of the sets at the other keys; returns their number.",
			Args:    argsSetStore,
			Run:     cmdSunionstore},
		&command{Name: "sdiffstore", Arity: -3, Flags: flagWrite | flagDenyOOM, Categories: acl.Set,
			KeySpecs: []keyspec.Spec{ksSetStoreDst, ksSetSources},
			Group:    "set", Since: "1.0.0", Complexity: "O(N) for N members in all.",
			Summary: "Stores at a key the members of the first set that none of the others hold; returns their number.",
			Args:    argsSetStore,
			Run:     cmdSdiffstore},
		&command{Name: "sintercard", Arity: -3, Flags: flagReadOnly, Categories: acl.Set,
			KeySpecs: []keyspec.Spec{{Flags: keyspec.RO | keyspec.Access, Index: 1, KeyNum: true, FirstKey: 1, KeyStep: 1}},
			GetKeys:  numkeysGetKeys(0, 1, 2),
			Group:    "set", Since: "7.0.0", Complexity: complexitySetInter,
			Summary: "Counts the members the sets at the keys have in common, optionally stopping at a limit.",
			Args: []cmdArg{
				{Name: "numkeys", Type: argTypeInteger},
				{Name: "key", Type: argTypeKey, Flags: argMultiple},
				{Name: "limit", Type: argTypeInteger, Token: "LIMIT", Flags: argOptional},
			},
			Run: cmdSintercard},
		&command{Name: "sscan", Arity: -3, Flags: flagReadOnly, Categories: acl.Set,
			KeySpecs: ksKeyROAccess, Group: "set", Since: "2.8.0",
			Complexity: "O(1) per call; O(N) over a whole iteration of a set of N members.",
			Summary:    "Iterates over the members of the set at a key, a few at a time, from a cursor.",
			Tips:       []string{"nondeterministic_output"},
			Args: []cmdArg{
				argKey,
				{Name: "cursor", Type: argTypeInteger},
				{Name: "pattern", Type: argTypePattern, Token: "MATCH", Flags: argOptional},
				{Name: "count", Type: argTypeInteger, Token: "COUNT", Flags: argOptional},
			},
			Run: cmdSscan},
	)
}

func cmdSadd(c *client, args [][]byte) {
	n, err := c.db.SAdd(args[1], args[2:])
	c.replyLen(n, err)
}

func cmdSrem(c *client, args [][]byte) {
	n, err := c.db.SRem(args[1], args[2:])
	c.replyLen(n, err)
}

// writeSetMembers replies with the members of s as a set (an array in
// RESP2).
func (c *client) writeSetMembers(s store.SetView) {
	c.WriteSet(s.Len())
	s.Each(func(m []byte) bool { c.WriteBulk(m); return true })
}

func cmdSmembers(c *client, args [][]byte) { sinter(c, args[1:]) }

func cmdSismember(c *client, args [][]byte) {
	s, err := c.db.ReadSet(args[1])
	if err != nil {
		c.storeError(err)
		return
	}
	c.writeIntBool(s.Has(args[2]))
}

func cmdSmismember(c *client, args [][]byte) {
	s, err := c.db.ReadSet(args[1])
	if err != nil {
		c.storeError(err)
		return
	}
	c.WriteArray(len(args) - 2)
	for _, m := range args[2:] {
		c.writeIntBool(s.Has(m))
	}
}

func cmdScard(c *client, args [][]byte) {
	n, err := c.db.SetCard(args[1])
	c.replyLen(n, err)
}

func cmdSpop(c *client, args [][]byte) {
	switch len(args) {
	case 2:
		m, ok, err := c.db.SPop(args[1])
		c.replyValue(m, ok, err)
		return
	case 3:
	default:
		c.writeErrorReply(msgSyntax)
		return
	}
	count, ok := c.argPositive(args[2])
	if !ok {
		return
	}
	found, err := c.db.SPopN(args[1], count, func(n int) { c.WriteSet(n) }, func(m []byte) { c.WriteBulk(m) })
	switch {
	case err != nil:
		c.storeError(err)
	case !found:
		c.WriteSet(0)
	}
}

// argPositive parses a count that must not be negative, as Redis's
// getPositiveLongFromObjectOrReply without a message.
func (c *client) argPositive(b []byte) (int64, bool) {
	n, ok := num.ParseInt(b)
	if !ok || n < 0 {
		c.writeErrorReply(msgSetOutOfRangePos)
		return 0, false
	}
	return n, true
}

func cmdSrandmember(c *client, args [][]byte) {
	switch len(args) {
	case 2:
		s, err := c.db.ReadSet(args[1])
		if err != nil || !s.Exists() {
			c.replyValue(nil, false, err)
			return
		}
		var buf [24]byte
		c.WriteBulk(s.Random(buf[:]))
		return
	case 3:
	default:
		c.writeErrorReply(msgSyntax)
		return
	}
	// -LONG_MAX, not LONG_MIN, is the lowest count: its absolute value
	// must fit (CVE-2023-25155).
	l, ok := c.argRange(args[2], -math.MaxInt64, math.MaxInt64, "")
	if !ok {
		return
	}
	count, uniq := uint64(l), true
	if l < 0 {
		count, uniq = uint64(-l), false
	}
	i := 0
	found, err := c.db.SRandMember(args[1], count, uniq,
		func(n uint64) { c.writeArrayLen(n) },
		func(m []byte) bool {
			c.WriteBulk(m)
			i++
			return i&1023 != 0 || !c.replyCut(int64(i))
		})
	switch {
	case err != nil:
		c.storeError(err)
	case !found:
		c.WriteArray(0)
	}
}

// writeArrayLen writes an array header for a length that may exceed int
// (a count from a client, on a 32-bit platform).
func (c *client) writeArrayLen(n uint64) {
	c.WriteArray(int(min(n, math.MaxInt)))
}

// sinter replies to SINTER (and SMEMBERS) as Redis does: the members of the
// smallest set, in its order, that every other set holds.
func sinter(c *client, keys [][]byte) {
	sets, err := c.db.ReadSets(keys)
	if err != nil {
		c.storeError(err)
		return
	}
	d := c.deferLen()
	n := store.SInter(sets, 0, func(m []byte) { c.WriteBulk(m) })
	if c.proto == 3 {
		c.setDeferredLen(d, '~', n)
	} else {
		c.setDeferredLen(d, '*', n)
	}
}

func cmdSinter(c *client, args [][]byte) { sinter(c, args[1:]) }

func cmdSunion(c *client, args [][]byte) {
	if sets, ok := c.readSets(args[1:]); ok {
		res := c.db.SUnion(sets)
		c.writeSetMembers(res)
		c.db.FreeResult(res) // lazyfreed_objects as Redis counts them
	}
}

func cmdSdiff(c *client, args [][]byte) {
	if sets, ok := c.readSets(args[1:]); ok {
		res := c.db.SDiff(sets)
		c.writeSetMembers(res)
		c.db.FreeResult(res) // lazyfreed_objects as Redis counts them
	}
}

// readSets reads the sets at keys, replying WRONGTYPE when one holds
// another type.
func (c *client) readSets(keys [][]byte) ([]store.SetView, bool) {
	sets, err := c.db.ReadSets(keys)
	if err != nil {
		c.storeError(err)
		return nil, false
	}
	return sets, true
}

func cmdSinterstore(c *client, args [][]byte) {
	if sets, ok := c.readSets(args[2:]); ok {
		n := c.db.SStore(args[1], c.db.SInterSet(sets))
		c.db.NotifyStored(store.EventSet, "sinterstore", args[1], n)
		c.WriteInt(int64(n))
	}
}

func cmdSunionstore(c *client, args [][]byte) {
	if sets, ok := c.readSets(args[2:]); ok {
		n := c.db.SStore(args[1], c.db.SUnion(sets))
		c.db.NotifyStored(store.EventSet, "sunionstore", args[1], n)
		c.WriteInt(int64(n))
	}
}

func cmdSdiffstore(c *client, args [][]byte) {
	if sets, ok := c.readSets(args[2:]); ok {
		n := c.db.SStore(args[1], c.db.SDiff(sets))
		c.db.NotifyStored(store.EventSet, "sdiffstore", args[1], n)
		c.WriteInt(int64(n))
	}
}

func cmdSintercard(c *client, args [][]byte) {
	numkeys, ok := c.argRange(args[1], 1, math.MaxInt64, msgSetNumkeysPositive)
	if !ok {
		return
	}
	if numkeys > int64(len(args)-2) {
		c.writeErrorReply(msgSetNumkeysTooMany)
		return
	}
	limit := int64(0)
	for j := 2 + int(numkeys); j < len(args); j++ {
		if isOpt(args[j], "limit") && j+1 < len(args) {
			j++
			n, ok := c.argRange(args[j], 0, math.MaxInt64, msgSetLimitNegative)
			if !ok {
				return
			}
			limit = n
			continue
		}
		c.writeErrorReply(msgSyntax)
		return
	}
	sets, ok := c.readSets(args[2 : 2+numkeys])
	if !ok {
		return
	}
	c.WriteInt(int64(store.SInter(sets, int(min(limit, math.MaxInt)), nil)))
}

func cmdSscan(c *client, args [][]byte) {
	// As in Redis, the cursor is checked first, then the key, and the
	// options only when there is a set to scan.
	if _, ok := parseCursor(args[2]); !ok {
		c.writeErrorReply(msgInvalidCursor)
		return
	}
	s, err := c.db.ReadSet(args[1])
	if err != nil {
		c.storeError(err)
		return
	}
	if !s.Exists() {
		c.WriteArray(2)
		c.WriteBulkString("0")
		c.WriteArray(0)
		return
	}
	sc, ok := c.parseCollectionScan(args)
	if !ok {
		return
	}
	var found [][]byte
	cursor := s.Scan(sc.cursor, int(min(sc.count, math.MaxInt32)), func(m []byte) {
		if sc.match == nil || glob.Match(sc.match, m, false) {
			found = append(found, append([]byte(nil), m...))
		}
	})
	c.WriteArray(2)
	var buf [20]byte
	c.WriteBulk(strconv.AppendUint(buf[:0], cursor, 10))
	c.WriteArray(len(found))
	for _, m := range found {
		c.WriteBulk(m)
	}
}

func cmdSmove(c *client, args [][]byte) {
	moved, err := c.db.SMove(args[1], args[2], args[3])
	if err != nil {
		c.storeError(err)
		return
	}
	c.writeIntBool(moved)
}
