package server

import (
	"math"

	"github.com/redoubt-db/redoubt/acl"
	"github.com/redoubt-db/redoubt/internal/glob"
	"github.com/redoubt-db/redoubt/internal/keyspec"
	"github.com/redoubt-db/redoubt/internal/num"
	"github.com/redoubt-db/redoubt/store"
)

// Commands of the "hash" group.

// Reply texts of the hash commands.
const (
	msgHashNotInteger = "ERR hash value is not an integer"
	msgHashNotFloat   = "ERR hash value is not a float"
	msgNaNOrInfArg    = "ERR value is NaN or Infinity"
	msgOutOfRange     = "ERR value is out of range"
)

// Key specs of the hash commands not shared with other groups.
var (
	ksKeyRWInsert = []keyspec.Spec{{Flags: keyspec.RW | keyspec.Insert, Index: 1, KeyStep: 1}}
	ksKeyRWDelete = []keyspec.Spec{{Flags: keyspec.RW | keyspec.Delete, Index: 1, KeyStep: 1}}
)

// Arguments of the hash commands' docs.
var (
	argField      = cmdArg{Name: "field", Type: argTypeString}
	argsKeyField  = []cmdArg{argKey, argField}
	argsKeyFields = []cmdArg{argKey, {Name: "field", Type: argTypeString, Flags: argMultiple}}
	// argsFieldValues is HSET's and HMSET's repeated (field, value) block.
	argsFieldValues = []cmdArg{argKey, {Name: "field_value", Type: argTypeBlock, Flags: argMultiple,
		Args: []cmdArg{argField, argValue}}}
)

func init() {
	registerCommands(
		&command{Name: "hset", Arity: -4, Flags: flagWrite | flagDenyOOM | flagFast, Categories: acl.Hash,
			KeySpecs: ksKeyRWUpdate, Group: "hash", Since: "2.0.0",
			Complexity: "O(1) per field-value pair: O(N) for N pairs.",
			Summary:    "Sets fields of the hash at a key to values, creating it if needed; returns how many fields were new.",
			Args:       argsFieldValues,
			Run:        cmdHset},
		&command{Name: "hsetnx", Arity: 4, Flags: flagWrite | flagDenyOOM | flagFast, Categories: acl.Hash,
			KeySpecs: ksKeyRWInsert, Group: "hash", Since: "2.0.0", Complexity: "O(1)",
			Summary: "Sets a field of the hash at a key only if the field is not there yet.",
			Args:    []cmdArg{argKey, argField, argValue},
			Run:     cmdHsetnx},
		&command{Name: "hget", Arity: 3, Flags: flagReadOnly | flagFast, Categories: acl.Hash,
			KeySpecs: ksKeyROAccess, Group: "hash", Since: "2.0.0", Complexity: "O(1)",
			Summary: "Returns the value of one field of the hash at a key.",
			Args:    argsKeyField,
			Run:     cmdHget},
		&command{Name: "hmget", Arity: -3, Flags: flagReadOnly | flagFast, Categories: acl.Hash,
			KeySpecs: ksKeyROAccess, Group: "hash", Since: "2.0.0", Complexity: "O(N) for N fields asked.",
			Summary: "Returns the values of several fields of the hash at a key, with nil for fields it lacks.",
			Args:    argsKeyFields,
			Run:     cmdHmget},
		&command{Name: "hmset", Arity: -4, Flags: flagWrite | flagDenyOOM | flagFast, Categories: acl.Hash,
			KeySpecs: ksKeyRWUpdate, Group: "hash", Since: "2.0.0", Complexity: "O(N) for N fields set.",
			Summary:  "Sets fields of the hash at a key to values, creating it if needed (the old form of HSET).",
			DocFlags: []string{"deprecated"}, DeprecatedSince: "4.0.0",
			ReplacedBy: "`HSET` with multiple field-value pairs",
			Args:       argsFieldValues,
			Run:        cmdHmset},
		&command{Name: "hgetall", Arity: 2, Flags: flagReadOnly, Categories: acl.Hash,
			KeySpecs: ksKeyROAccess, Group: "hash", Since: "2.0.0", Complexity: "O(N) for a hash of N fields.",
			Summary: "Returns every field of the hash at a key with its value.",
			Tips:    []string{"nondeterministic_output_order"},
			Args:    argsOneKey,
			Run:     cmdHgetall},
		&command{Name: "hkeys", Arity: 2, Flags: flagReadOnly, Categories: acl.Hash,
			KeySpecs: ksKeyROAccess, Group: "hash", Since: "2.0.0", Complexity: "O(N) for a hash of N fields.",
			Summary: "Returns the field names of the hash at a key.",
			Tips:    []string{"nondeterministic_output_order"},
			Args:    argsOneKey,
			Run:     cmdHkeys},
		&command{Name: "hvals", Arity: 2, Flags: flagReadOnly, Categories: acl.Hash,
			KeySpecs: ksKeyROAccess, Group: "hash", Since: "2.0.0", Complexity: "O(N) for a hash of N fields.",
			Summary: "Returns the values of every field of the hash at a key.",
			Tips:    []string{"nondeterministic_output_order"},
			Args:    argsOneKey,
			Run:     cmdHvals},
		&command{Name: "hlen", Arity: 2, Flags: flagReadOnly | flagFast, Categories: acl.Hash,
			KeySpecs: ksKeyRO, Group: "hash", Since: "2.0.0", Complexity: "O(1)",
			Summary: "Returns how many fields the hash at a key has.",
			Args:    argsOneKey,
			Run:     cmdHlen},
		&command{Name: "hexists", Arity: 3, Flags: flagReadOnly | flagFast, Categories: acl.Hash,
			KeySpecs: ksKeyRO, Group: "hash", Since: "2.0.0", Complexity: "O(1)",
			Summary: "Tells whether the hash at a key has a field.",
			Args:    argsKeyField,
			Run:     cmdHexists},
		&command{Name: "hdel", Arity: -3, Flags: flagWrite | flagFast, Categories: acl.Hash,
			KeySpecs: ksKeyRWDelete, Group: "hash", Since: "2.0.0", Complexity: "O(N) for N fields named.",
			Summary: "Removes fields from the hash at a key, and the key once it has none; returns how many were there.",
			Args:    argsKeyFields,
			Run:     cmdHdel},
		&command{Name: "hstrlen", Arity: 3, Flags: flagReadOnly | flagFast, Categories: acl.Hash,
			KeySpecs: ksKeyRO, Group: "hash", Since: "3.2.0", Complexity: "O(1)",
			Summary: "Returns the length in bytes of one field's value in the hash at a key.",
			Args:    argsKeyField,
			Run:     cmdHstrlen},
		&command{Name: "hincrby", Arity: 4, Flags: flagWrite | flagDenyOOM | flagFast, Categories: acl.Hash,
			KeySpecs: ksKeyRWAccessUpdate, Group: "hash", Since: "2.0.0", Complexity: "O(1)",
			Summary: "Adds an integer to the integer in a field of the hash at a key; returns the result.",
			Args:    []cmdArg{argKey, argField, {Name: "increment", Type: argTypeInteger}},
			Run:     cmdHincrby},
		&command{Name: "hincrbyfloat", Arity: 4, Flags: flagWrite | flagDenyOOM | flagFast, Categories: acl.Hash,
			KeySpecs: ksKeyRWAccessUpdate, Group: "hash", Since: "2.6.0", Complexity: "O(1)",
			Summary: "Adds a decimal number to the number in a field of the hash at a key, in extended precision; returns the result.",
			Args:    []cmdArg{argKey, argField, {Name: "increment", Type: argTypeDouble}},
			Run:     cmdHincrbyfloat},
		&command{Name: "hrandfield", Arity: -2, Flags: flagReadOnly, Categories: acl.Hash,
			KeySpecs: ksKeyROAccess, Group: "hash", Since: "6.2.0", Complexity: "O(N) for N fields returned.",
			Summary: "Returns random fields of the hash at a key: one, a number of distinct ones, or with repeats for a negative count; optionally with their values.",
			Tips:    []string{"nondeterministic_output"},
			Args: []cmdArg{argKey, {Name: "options", Type: argTypeBlock, Flags: argOptional, Args: []cmdArg{
				{Name: "count", Type: argTypeInteger},
				{Name: "withvalues", Type: argTypePureToken, Token: "WITHVALUES", Flags: argOptional},
			}}},
			Run: cmdHrandfield},
		&command{Name: "hscan", Arity: -3, Flags: flagReadOnly, Categories: acl.Hash,
			KeySpecs: ksKeyROAccess, Group: "hash", Since: "2.8.0",
			Complexity: "O(1) per call; O(N) for a whole iteration over N fields.",
			Summary:    "Iterates over the fields and values of the hash at a key with a cursor, optionally filtering fields by a pattern.",
			Tips:       []string{"nondeterministic_output"},
			Args: []cmdArg{argKey, {Name: "cursor", Type: argTypeInteger},
				{Name: "pattern", Type: argTypePattern, Token: "MATCH", Flags: argOptional},
				{Name: "count", Type: argTypeInteger, Token: "COUNT", Flags: argOptional}},
			Run: cmdHscan},
	)
}

// hashError replies with the Redis text for an error of a hash command.
func (c *client) hashError(err error) {
	switch err {
	case store.ErrHashNotInteger:
		c.writeErrorReply(msgHashNotInteger)
	case store.ErrHashNotFloat:
		c.writeErrorReply(msgHashNotFloat)
	default:
		c.storeError(err)
	}
}

// hashPairs returns HSET's (field, value) arguments, replying with the
// arity error when a value is missing.
func (c *client) hashPairs(args [][]byte) ([][]byte, bool) {
	if len(args)%2 == 1 {
		c.writeWrongArgs(c.lastCmd.Load())
		return nil, false
	}
	return args[2:], true
}

func cmdHset(c *client, args [][]byte) {
	pairs, ok := c.hashPairs(args)
	if !ok {
		return
	}
	added, err := c.db.HSet(args[1], pairs)
	if err != nil {
		c.hashError(err)
		return
	}
	c.WriteInt(int64(added))
}

func cmdHmset(c *client, args [][]byte) {
	pairs, ok := c.hashPairs(args)
	if !ok {
		return
	}
	if _, err := c.db.HSet(args[1], pairs); err != nil {
		c.hashError(err)
		return
	}
	c.WriteOK()
}

func cmdHsetnx(c *client, args [][]byte) {
	set, err := c.db.HSetNX(args[1], args[2], args[3])
	if err != nil {
		c.hashError(err)
		return
	}
	c.writeIntBool(set)
}

func cmdHget(c *client, args [][]byte) {
	var buf [24]byte
	val, ok, err := c.db.HGet(args[1], args[2], buf[:0])
	c.replyValue(val, ok, err)
}

func cmdHmget(c *client, args [][]byte) {
	h, err := c.db.HashRead(args[1])
	if err != nil {
		c.hashError(err)
		return
	}
	c.WriteArray(len(args) - 2)
	var buf [24]byte
	for _, f := range args[2:] {
		if val, ok := h.Get(f, buf[:0]); ok {
			c.WriteBulk(val)
		} else {
			c.WriteNull()
		}
	}
}

func cmdHlen(c *client, args [][]byte) {
	h, err := c.db.HashRead(args[1])
	if err != nil {
		c.hashError(err)
		return
	}
	c.WriteInt(int64(h.Len()))
}

func cmdHexists(c *client, args [][]byte) {
	h, err := c.db.HashRead(args[1])
	if err != nil {
		c.hashError(err)
		return
	}
	c.writeIntBool(h.Has(args[2]))
}

func cmdHstrlen(c *client, args [][]byte) {
	h, err := c.db.HashRead(args[1])
	if err != nil {
		c.hashError(err)
		return
	}
	c.WriteInt(int64(h.StrLen(args[2])))
}

func cmdHdel(c *client, args [][]byte) {
	n, err := c.db.HDel(args[1], args[2:])
	if err != nil {
		c.hashError(err)
		return
	}
	c.WriteInt(int64(n))
}

func cmdHgetall(c *client, args [][]byte) { hashGetAll(c, args[1], true, true) }
func cmdHkeys(c *client, args [][]byte)   { hashGetAll(c, args[1], true, false) }
func cmdHvals(c *client, args [][]byte)   { hashGetAll(c, args[1], false, true) }

// hashGetAll is HGETALL (a map), HKEYS and HVALS (arrays).
func hashGetAll(c *client, key []byte, fields, values bool) {
	h, err := c.db.HashRead(key)
	if err != nil {
		c.hashError(err)
		return
	}
	if fields && values {
		c.WriteMap(h.Len())
	} else {
		c.WriteArray(h.Len())
	}
	h.Each(func(f, v []byte) {
		if fields {
			c.WriteBulk(f)
		}
		if values {
			c.WriteBulk(v)
		}
	})
}

func cmdHincrby(c *client, args [][]byte) {
	delta, ok := c.argInt(args[3])
	if !ok {
		return
	}
	n, err := c.db.HIncrBy(args[1], args[2], delta)
	if err != nil {
		c.hashError(err)
		return
	}
	c.WriteInt(n)
}

func cmdHincrbyfloat(c *client, args [][]byte) {
	incr, ok := num.ParseLongDouble(args[3])
	if !ok {
		c.writeErrorReply(msgNotFloat)
		return
	}
	if incr.IsInf() {
		c.writeErrorReply(msgNaNOrInfArg)
		return
	}
	var buf [64]byte
	val, err := c.db.HIncrByFloat(args[1], args[2], incr, buf[:0])
	if err != nil {
		c.hashError(err)
		return
	}
	c.WriteBulk(val)
}

func cmdHrandfield(c *client, args [][]byte) {
	if len(args) == 2 {
		h, err := c.db.HashRead(args[1])
		switch {
		case err != nil:
			c.hashError(err)
		case !h.Exists():
			c.WriteNull()
		default:
			var fbuf, vbuf [24]byte
			f, _ := h.RandomField(fbuf[:0], vbuf[:0])
			c.WriteBulk(f)
		}
		return
	}
	count, ok := c.argRange(args[2], -math.MaxInt64, math.MaxInt64, "")
	if !ok {
		return
	}
	withValues := false
	if len(args) > 4 || (len(args) == 4 && !isOpt(args[3], "withvalues")) {
		c.writeErrorReply(msgSyntax)
		return
	} else if len(args) == 4 {
		withValues = true
		// The reply has up to 2*count elements (CVE-2023-22458).
		if count < -math.MaxInt64/2 || count > math.MaxInt64/2 {
			c.writeErrorReply(msgOutOfRange)
			return
		}
	}
	h, err := c.db.HashRead(args[1])
	if err != nil {
		c.hashError(err)
		return
	}
	repeat := count < 0
	if repeat {
		count = -count
	}
	if !h.Exists() || count == 0 {
		c.WriteArray(0)
		return
	}
	// A pair is one element in RESP3 (an array of two) and two in RESP2.
	flat := withValues && c.proto == 2
	writeOne := func(f, v []byte) {
		if withValues && !flat {
			c.WriteArray(2)
		}
		c.WriteBulk(f)
		if withValues {
			c.WriteBulk(v)
		}
	}
	header := func(n int64) {
		if flat {
			n *= 2
		}
		c.WriteArray(int(n))
	}
	size := int64(h.Len())
	switch {
	case repeat || count == 1:
		header(count)
		var drawn int64
		h.RandomFields(count, true, func(f, v []byte) bool {
			writeOne(f, v)
			drawn++
			return drawn&1023 != 0 || !c.replyCut(drawn)
		})
	case count >= size:
		header(size)
		h.Each(writeOne)
	default:
		header(count)
		h.RandomFields(count, false, func(f, v []byte) bool {
			writeOne(f, v)
			return true
		})
	}
}

func cmdHscan(c *client, args [][]byte) {
	// Redis checks the cursor, then the key, then the options.
	if _, ok := parseCursor(args[2]); !ok {
		c.writeErrorReply(msgInvalidCursor)
		return
	}
	h, err := c.db.HashRead(args[1])
	if err != nil {
		c.hashError(err)
		return
	}
	if !h.Exists() {
		c.WriteArray(2)
		c.WriteBulkString("0")
		c.WriteArray(0)
		return
	}
	sc, ok := c.parseCollectionScan(args)
	if !ok {
		return
	}
	// The reply's cursor comes before the elements, so the step is done
	// first and the elements it keeps are copied aside (a listpack's
	// integers are formatted into a buffer each call reuses).
	var data []byte
	var ends []int
	cursor := h.Scan(sc.cursor, sc.count, func(f, v []byte) {
		if sc.match != nil && !glob.Match(sc.match, f, false) {
			return
		}
		data = append(data, f...)
		ends = append(ends, len(data))
		data = append(data, v...)
		ends = append(ends, len(data))
	})
	c.WriteArray(2)
	c.WriteBulkInt(int64(cursor))
	c.WriteArray(len(ends))
	start := 0
	for _, end := range ends {
		c.WriteBulk(data[start:end])
		start = end
	}
}
