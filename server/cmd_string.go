package server

import (
	"math"

	"github.com/redoubt-db/redoubt/internal/keyspec"

	"github.com/redoubt-db/redoubt/acl"
	"github.com/redoubt-db/redoubt/internal/num"
	"github.com/redoubt-db/redoubt/store"
)

// Commands of the "string" group.

// Key specs shared by the string commands, as COMMAND INFO shows them
// (tablespecs.go has those other groups use too).
var (
	// ksSetNew is the spec of commands that only create keys (SETNX).
	ksSetNew = []keyspec.Spec{{Flags: keyspec.OW | keyspec.Insert, Index: 1, KeyStep: 1}}
	// ksOverwrite is the spec of commands that overwrite a key blindly.
	ksOverwrite = []keyspec.Spec{{Flags: keyspec.OW | keyspec.Update, Index: 1, KeyStep: 1}}
)

// Arguments shared by several commands' docs.
var (
	argValue  = cmdArg{Name: "value", Type: argTypeString}
	argsRange = []cmdArg{argKey, {Name: "start", Type: argTypeInteger}, {Name: "end", Type: argTypeInteger}}
	// argsKeyValues is MSET's and MSETNX's repeated (key, value) block.
	argsKeyValues = []cmdArg{{Name: "key_value", Type: argTypeBlock, Flags: argMultiple,
		Args: []cmdArg{argKey, argValue}}}
)

const complexityRange = "O(N) for a result of N bytes."

func init() {
	registerCommands(
		&command{Name: "get", Arity: 2, Flags: flagReadOnly | flagFast, Categories: acl.String,
			KeySpecs: ksKeyROAccess, Group: "string", Since: "1.0.0", Complexity: "O(1)",
			Summary: "Returns the string stored at a key.",
			Args:    argsOneKey,
			Run:     cmdGet},
		&command{Name: "set", Arity: -3, Flags: flagWrite | flagDenyOOM, Categories: acl.String,
			KeySpecs: []keyspec.Spec{{Notes: "RW and ACCESS due to the optional `GET` argument",
				Flags: keyspec.RW | keyspec.Access | keyspec.Update | keyspec.VariableFlags, Index: 1, KeyStep: 1}},
			Group: "string", Since: "1.0.0", Complexity: "O(1)",
			Summary: "Stores a string at a key, optionally only if it exists or not, with a deadline, returning the old value.",
			Args: []cmdArg{
				argKey,
				argValue,
				{Name: "condition", Type: argTypeOneOf, Since: "2.6.12", Flags: argOptional, Args: []cmdArg{
					{Name: "nx", Type: argTypePureToken, Token: "NX"},
					{Name: "xx", Type: argTypePureToken, Token: "XX"},
				}},
				{Name: "get", Type: argTypePureToken, Token: "GET", Since: "6.2.0", Flags: argOptional},
				{Name: "expiration", Type: argTypeOneOf, Flags: argOptional, Args: []cmdArg{
					{Name: "seconds", Type: argTypeInteger, Token: "EX", Since: "2.6.12"},
					{Name: "milliseconds", Type: argTypeInteger, Token: "PX", Since: "2.6.12"},
					{Name: "unix-time-seconds", Type: argTypeUnixTime, Token: "EXAT", Since: "6.2.0"},
					{Name: "unix-time-milliseconds", Type: argTypeUnixTime, Token: "PXAT", Since: "6.2.0"},
					{Name: "keepttl", Type: argTypePureToken, Token: "KEEPTTL", Since: "6.0.0"},
				}},
			},
			Run: cmdSet},
		&command{Name: "getex", Arity: -2, Flags: flagWrite | flagFast, Categories: acl.String,
			KeySpecs: []keyspec.Spec{{Notes: "RW and UPDATE because it changes the TTL",
				Flags: keyspec.RW | keyspec.Access | keyspec.Update, Index: 1, KeyStep: 1}},
			Group: "string", Since: "6.2.0", Complexity: "O(1)",
			Summary: "Returns the string stored at a key and optionally sets, moves or removes its deadline.",
			Args: []cmdArg{
				argKey,
				{Name: "expiration", Type: argTypeOneOf, Flags: argOptional, Args: []cmdArg{
					{Name: "seconds", Type: argTypeInteger, Token: "EX"},
					{Name: "milliseconds", Type: argTypeInteger, Token: "PX"},
					{Name: "unix-time-seconds", Type: argTypeUnixTime, Token: "EXAT"},
					{Name: "unix-time-milliseconds", Type: argTypeUnixTime, Token: "PXAT"},
					{Name: "persist", Type: argTypePureToken, Token: "PERSIST"},
				}},
			},
			Run: cmdGetex},
		&command{Name: "getdel", Arity: 2, Flags: flagWrite | flagFast, Categories: acl.String,
			KeySpecs: []keyspec.Spec{{Flags: keyspec.RW | keyspec.Access | keyspec.Delete, Index: 1, KeyStep: 1}},
			Group:    "string", Since: "6.2.0", Complexity: "O(1)",
			Summary: "Returns the string stored at a key and removes the key.",
			Args:    argsOneKey,
			Run:     cmdGetdel},
		&command{Name: "getset", Arity: 3, Flags: flagWrite | flagDenyOOM | flagFast, Categories: acl.String,
			KeySpecs: ksKeyRWAccessUpdate, Group: "string", Since: "1.0.0", Complexity: "O(1)",
			Summary:  "Replaces the string stored at a key and returns the one it held.",
			DocFlags: []string{"deprecated"}, DeprecatedSince: "6.2.0",
			ReplacedBy: "`SET` with the `!GET` argument",
			Args:       []cmdArg{argKey, argValue},
			Run:        cmdGetset},
		&command{Name: "mget", Arity: -2, Flags: flagReadOnly | flagFast, Categories: acl.String,
			KeySpecs: []keyspec.Spec{{Flags: keyspec.RO | keyspec.Access, Index: 1, LastKey: -1, KeyStep: 1}},
			Group:    "string", Since: "1.0.0", Complexity: "O(N) for N keys.",
			Summary: "Returns the strings stored at several keys, with nil for keys that hold none.",
			Tips:    []string{"request_policy:multi_shard"},
			Args:    argsKeys,
			Run:     cmdMget},
		&command{Name: "mset", Arity: -3, Flags: flagWrite | flagDenyOOM, Categories: acl.String,
			KeySpecs: []keyspec.Spec{{Flags: keyspec.OW | keyspec.Update, Index: 1, LastKey: -1, KeyStep: 2}},
			Group:    "string", Since: "1.0.1", Complexity: "O(N) for N keys.",
			Summary: "Stores several strings at once, each at its key.",
			Tips:    []string{"request_policy:multi_shard", "response_policy:all_succeeded"},
			Args:    argsKeyValues,
			Run:     cmdMset},
		&command{Name: "msetnx", Arity: -3, Flags: flagWrite | flagDenyOOM, Categories: acl.String,
			KeySpecs: []keyspec.Spec{{Flags: keyspec.OW | keyspec.Insert, Index: 1, LastKey: -1, KeyStep: 2}},
			Group:    "string", Since: "1.0.1", Complexity: "O(N) for N keys.",
			Summary: "Stores several strings at once, only if none of their keys exists.",
			Tips:    []string{"request_policy:multi_shard", "response_policy:agg_min"},
			Args:    argsKeyValues,
			Run:     cmdMsetnx},
		&command{Name: "setnx", Arity: 3, Flags: flagWrite | flagDenyOOM | flagFast, Categories: acl.String,
			KeySpecs: ksSetNew, Group: "string", Since: "1.0.0", Complexity: "O(1)",
			Summary: "Stores a string at a key only if the key does not exist.",
			Args:    []cmdArg{argKey, argValue},
			Run:     cmdSetnx},
		&command{Name: "setex", Arity: 4, Flags: flagWrite | flagDenyOOM, Categories: acl.String,
			KeySpecs: ksOverwrite, Group: "string", Since: "2.0.0", Complexity: "O(1)",
			Summary: "Stores a string at a key with a time to live in seconds.",
			Args:    []cmdArg{argKey, {Name: "seconds", Type: argTypeInteger}, argValue},
			Run:     cmdSetex},
		&command{Name: "psetex", Arity: 4, Flags: flagWrite | flagDenyOOM, Categories: acl.String,
			KeySpecs: ksOverwrite, Group: "string", Since: "2.6.0", Complexity: "O(1)",
			Summary: "Stores a string at a key with a time to live in milliseconds.",
			Args:    []cmdArg{argKey, {Name: "milliseconds", Type: argTypeInteger}, argValue},
			Run:     cmdPsetex},
		&command{Name: "append", Arity: 3, Flags: flagWrite | flagDenyOOM | flagFast, Categories: acl.String,
			KeySpecs: []keyspec.Spec{{Flags: keyspec.RW | keyspec.Insert, Index: 1, KeyStep: 1}},
			Group:    "string", Since: "2.0.0",
			Complexity: "O(1) amortized: the value's spare capacity grows geometrically.",
			Summary:    "Adds bytes to the end of the string at a key, creating it if needed; returns the new length.",
			Args:       []cmdArg{argKey, argValue},
			Run:        cmdAppend},
		&command{Name: "strlen", Arity: 2, Flags: flagReadOnly | flagFast, Categories: acl.String,
			KeySpecs: ksKeyRO, Group: "string", Since: "2.2.0", Complexity: "O(1)",
			Summary: "Returns the length in bytes of the string at a key.",
			Args:    argsOneKey,
			Run:     cmdStrlen},
		&command{Name: "setrange", Arity: 4, Flags: flagWrite | flagDenyOOM, Categories: acl.String,
			KeySpecs: ksKeyRWUpdate, Group: "string", Since: "2.2.0",
			Complexity: "O(M) for a value of M bytes, plus O(N) when the string grows to N bytes.",
			Summary:    "Writes bytes into the string at a key from an offset on, padding with zero bytes; returns the new length.",
			Args:       []cmdArg{argKey, {Name: "offset", Type: argTypeInteger}, argValue},
			Run:        cmdSetrange},
		&command{Name: "getrange", Arity: 4, Flags: flagReadOnly, Categories: acl.String,
			KeySpecs: ksKeyROAccess, Group: "string", Since: "2.4.0", Complexity: complexityRange,
			Summary: "Returns the bytes of the string at a key between two offsets, counting from the end when negative.",
			Args:    argsRange,
			Run:     cmdGetrange},
		&command{Name: "substr", Arity: 4, Flags: flagReadOnly, Categories: acl.String,
			KeySpecs: ksKeyROAccess, Group: "string", Since: "1.0.0", Complexity: complexityRange,
			Summary:  "Returns the bytes of the string at a key between two offsets (the old name of GETRANGE).",
			DocFlags: []string{"deprecated"}, DeprecatedSince: "2.0.0", ReplacedBy: "`GETRANGE`",
			Args: argsRange,
			Run:  cmdGetrange},
		&command{Name: "incr", Arity: 2, Flags: flagWrite | flagDenyOOM | flagFast, Categories: acl.String,
			KeySpecs: ksKeyRWAccessUpdate, Group: "string", Since: "1.0.0", Complexity: "O(1)",
			Summary: "Adds one to the integer stored at a key; returns the result.",
			Args:    argsOneKey,
			Run:     cmdIncr},
		&command{Name: "decr", Arity: 2, Flags: flagWrite | flagDenyOOM | flagFast, Categories: acl.String,
			KeySpecs: ksKeyRWAccessUpdate, Group: "string", Since: "1.0.0", Complexity: "O(1)",
			Summary: "Subtracts one from the integer stored at a key; returns the result.",
			Args:    argsOneKey,
			Run:     cmdDecr},
		&command{Name: "incrby", Arity: 3, Flags: flagWrite | flagDenyOOM | flagFast, Categories: acl.String,
			KeySpecs: ksKeyRWAccessUpdate, Group: "string", Since: "1.0.0", Complexity: "O(1)",
			Summary: "Adds an integer to the integer stored at a key; returns the result.",
			Args:    []cmdArg{argKey, {Name: "increment", Type: argTypeInteger}},
			Run:     cmdIncrby},
		&command{Name: "decrby", Arity: 3, Flags: flagWrite | flagDenyOOM | flagFast, Categories: acl.String,
			KeySpecs: ksKeyRWAccessUpdate, Group: "string", Since: "1.0.0", Complexity: "O(1)",
			Summary: "Subtracts an integer from the integer stored at a key; returns the result.",
			Args:    []cmdArg{argKey, {Name: "decrement", Type: argTypeInteger}},
			Run:     cmdDecrby},
		&command{Name: "incrbyfloat", Arity: 3, Flags: flagWrite | flagDenyOOM | flagFast, Categories: acl.String,
			KeySpecs: ksKeyRWAccessUpdate, Group: "string", Since: "2.6.0", Complexity: "O(1)",
			Summary: "Adds a decimal number to the number stored at a key, in extended precision; returns the result.",
			Args:    []cmdArg{argKey, {Name: "increment", Type: argTypeDouble}},
			Run:     cmdIncrbyfloat},
		&command{Name: "lcs", Arity: -3, Flags: flagReadOnly, Categories: acl.String,
			KeySpecs: []keyspec.Spec{{Flags: keyspec.RO | keyspec.Access, Index: 1, LastKey: 1, KeyStep: 1}},
			Group:    "string", Since: "7.0.0",
			Complexity: "O(N*M) for strings of N and M bytes.",
			Summary:    "Finds the longest common subsequence of the strings at two keys: the text, its length, or where its runs are.",
			Args: []cmdArg{
				{Name: "key1", Type: argTypeKey},
				{Name: "key2", Type: argTypeKey},
				{Name: "len", Type: argTypePureToken, Token: "LEN", Flags: argOptional},
				{Name: "idx", Type: argTypePureToken, Token: "IDX", Flags: argOptional},
				{Name: "len", Type: argTypeInteger, Token: "MINMATCHLEN", Flags: argOptional},
				{Name: "withmatchlen", Type: argTypePureToken, Token: "WITHMATCHLEN", Flags: argOptional},
			},
			Run: cmdLcs},
	)
}

func cmdGet(c *client, args [][]byte) {
	val, ok, err := c.db.Get(args[1])
	c.replyValue(val, ok, err)
}

// replyValue replies with a string a store read returned: the value, nil
// when absent, or the error. A long value is shared (store.ShareMin) and is
// written without a copy (writeValue).
func (c *client) replyValue(val []byte, ok bool, err error) {
	switch {
	case err != nil:
		c.storeError(err)
	case !ok:
		c.WriteNull()
	default:
		c.writeValue(val)
	}
}

// expireUnit says how an expiry argument is expressed.
type expireUnit uint8

const (
	unitNone expireUnit = iota
	unitEX              // seconds from now
	unitPX              // milliseconds from now
	unitEXAT            // Unix seconds
	unitPXAT            // Unix milliseconds
)

// stringOptions are the options SET and GETEX share, parsed as Redis's
// parseExtendedStringArgumentsOrReply does.
type stringOptions struct {
	nx, xx, get, keepTTL, persist bool
	unit                          expireUnit
	expire                        []byte // the argument after EX/PX/EXAT/PXAT
}

// parseStringOptions parses args (SET's from its value on, GETEX's from its
// key on) and replies with a syntax error on failure. Options that belong
// to the other command, and incompatible ones, are syntax errors; the same
// option may repeat, the last expiry winning.
func (c *client) parseStringOptions(args [][]byte, isSet bool) (stringOptions, bool) {
	var o stringOptions
	// expiry reports whether an expiry option of unit u may follow what
	// was seen so far.
	expiry := func(u expireUnit) bool {
		return !o.keepTTL && !o.persist && (o.unit == unitNone || o.unit == u)
	}
	for j := 0; j < len(args); j++ {
		a := args[j]
		hasNext := j+1 < len(args)
		switch {
		case isSet && isOpt(a, "nx") && !o.xx:
			o.nx = true
		case isSet && isOpt(a, "xx") && !o.nx:
			o.xx = true
		case isSet && isOpt(a, "get"):
			o.get = true
		case isSet && isOpt(a, "keepttl") && o.unit == unitNone:
			o.keepTTL = true
		case !isSet && isOpt(a, "persist") && o.unit == unitNone:
			o.persist = true
		case isOpt(a, "ex") && expiry(unitEX) && hasNext:
			o.unit, o.expire = unitEX, args[j+1]
			j++
		case isOpt(a, "px") && expiry(unitPX) && hasNext:
			o.unit, o.expire = unitPX, args[j+1]
			j++
		case isOpt(a, "exat") && expiry(unitEXAT) && hasNext:
			o.unit, o.expire = unitEXAT, args[j+1]
			j++
		case isOpt(a, "pxat") && expiry(unitPXAT) && hasNext:
			o.unit, o.expire = unitPXAT, args[j+1]
			j++
		default:
			c.writeErrorReply(msgSyntax)
			return o, false
		}
	}
	return o, true
}

func cmdSet(c *client, args [][]byte) {
	o, ok := c.parseStringOptions(args[3:], true)
	if !ok {
		return
	}
	opt := store.SetOptions{NX: o.nx, XX: o.xx, Get: o.get, KeepTTL: o.keepTTL}
	if o.unit != unitNone {
		if opt.At, ok = c.expireAt(o.expire, o.unit); !ok {
			return
		}
	}
	opt.Frame = c.frame(args[2])
	if opt.Get {
		c.replyMarked = false // SET … GET replies before its events (notify.go)
	}
	res, err := c.db.Set(args[1], args[2], opt)
	if res.Set {
		c.db.Notify(store.EventString, "set", args[1])
		if opt.At != 0 {
			c.db.Notify(store.EventGeneric, "expire", args[1])
		}
	}
	switch {
	case err != nil:
		c.storeError(err)
	case opt.Get && !res.OldOK:
		c.WriteNull()
	case opt.Get:
		c.writeValue(res.Old)
	case !res.Set:
		c.WriteNull()
	default:
		c.WriteOK()
	}
}

// expireAt turns an expiry argument into a Unix-ms deadline with the checks
// of Redis's getExpireMillisecondsOrReply, replying on error.
func (c *client) expireAt(arg []byte, unit expireUnit) (int64, bool) {
	ms, msg := c.expireDeadline(arg, unit)
	if msg != "" {
		c.writeErrorReply(msg)
		return 0, false
	}
	return ms, true
}

// expireDeadline is expireAt without the reply: it returns the error text
// instead, for commands that must look the key up before reporting it.
func (c *client) expireDeadline(arg []byte, unit expireUnit) (int64, string) {
	ms, ok := num.ParseInt(arg)
	if !ok {
		return 0, msgNotInteger
	}
	seconds := unit == unitEX || unit == unitEXAT
	if ms <= 0 || (seconds && ms > math.MaxInt64/1000) {
		return 0, c.invalidExpireMsg()
	}
	if seconds {
		ms *= 1000
	}
	if unit == unitEX || unit == unitPX {
		ms += c.tx.Now() // wraps negative on overflow, as in C
	}
	if ms <= 0 {
		return 0, c.invalidExpireMsg()
	}
	return ms, ""
}

func cmdGetex(c *client, args [][]byte) {
	o, ok := c.parseStringOptions(args[2:], false)
	if !ok {
		return
	}
	// Redis checks the expiry only once it has found the key and checked
	// its type, so an invalid one is reported after those, and changes
	// nothing.
	var opt store.GetExOptions
	var pending string
	if o.unit != unitNone {
		at, msg := c.expireDeadline(o.expire, o.unit)
		if msg != "" {
			pending = msg
		} else {
			opt = store.GetExOptions{At: at, Absolute: o.unit == unitEXAT || o.unit == unitPXAT}
		}
	} else {
		opt.Persist = o.persist
	}
	val, ok, err := c.db.GetEx(args[1], opt)
	if err == nil && ok && pending != "" {
		c.writeErrorReply(pending)
		return
	}
	c.replyValue(val, ok, err)
}

func cmdGetdel(c *client, args [][]byte) {
	val, ok, err := c.db.GetDel(args[1])
	if ok {
		c.db.Notify(store.EventGeneric, "del", args[1])
	}
	c.replyValue(val, ok, err)
}

func cmdGetset(c *client, args [][]byte) {
	res, err := c.db.Set(args[1], args[2], store.SetOptions{Get: true, Frame: c.frame(args[2])})
	if res.Set {
		c.db.Notify(store.EventString, "set", args[1])
	}
	c.replyValue(res.Old, res.OldOK, err)
}

func cmdMget(c *client, args [][]byte) {
	c.WriteArray(len(args) - 1)
	c.db.MGet(args[1:], func(val []byte, ok bool) {
		if ok {
			c.writeValue(val)
		} else {
			c.WriteNull()
		}
	})
}

// msetPairs returns MSET's (key, value) arguments, replying with the arity
// error when a value is missing.
func (c *client) msetPairs(args [][]byte) ([][]byte, bool) {
	if len(args)%2 == 0 {
		c.writeWrongArgs(c.lastCmd.Load())
		return nil, false
	}
	return args[1:], true
}

func cmdMset(c *client, args [][]byte) {
	if pairs, ok := c.msetPairs(args); ok {
		c.db.MSet(pairs)
		c.WriteOK()
	}
}

func cmdMsetnx(c *client, args [][]byte) {
	if pairs, ok := c.msetPairs(args); ok {
		c.writeIntBool(c.db.MSetNX(pairs))
	}
}

func cmdSetnx(c *client, args [][]byte) {
	res, err := c.db.Set(args[1], args[2], store.SetOptions{NX: true, Frame: c.frame(args[2])})
	if err != nil {
		c.storeError(err)
		return
	}
	if res.Set {
		c.db.Notify(store.EventString, "set", args[1])
	}
	c.writeIntBool(res.Set)
}

// writeIntBool writes :1 or :0 in both protocols, as Redis's shared.cone
// and shared.czero.
func (c *client) writeIntBool(b bool) {
	if b {
		c.WriteInt(1)
	} else {
		c.WriteInt(0)
	}
}

func cmdSetex(c *client, args [][]byte)  { setWithTTL(c, args, unitEX) }
func cmdPsetex(c *client, args [][]byte) { setWithTTL(c, args, unitPX) }

// setWithTTL is SETEX and PSETEX: SET key value EX|PX ttl.
func setWithTTL(c *client, args [][]byte, unit expireUnit) {
	at, ok := c.expireAt(args[2], unit)
	if !ok {
		return
	}
	if _, err := c.db.Set(args[1], args[3], store.SetOptions{At: at, Frame: c.frame(args[3])}); err != nil {
		c.storeError(err)
		return
	}
	c.db.Notify(store.EventString, "set", args[1])
	c.db.Notify(store.EventGeneric, "expire", args[1])
	c.WriteOK()
}

func cmdAppend(c *client, args [][]byte) {
	n, err := c.db.Append(args[1], args[2], c.s.maxBulk.Load())
	if err == nil {
		c.db.Notify(store.EventString, "append", args[1])
	}
	c.replyLen(n, err)
}

// replyLen replies with a length or a store error.
func (c *client) replyLen(n int, err error) {
	if err != nil {
		c.storeError(err)
		return
	}
	c.WriteInt(int64(n))
}

func cmdStrlen(c *client, args [][]byte) {
	n, err := c.db.StrLen(args[1])
	c.replyLen(n, err)
}

func cmdSetrange(c *client, args [][]byte) {
	offset, ok := c.argInt(args[2])
	if !ok {
		return
	}
	if offset < 0 {
		c.writeErrorReply(msgOffsetRange)
		return
	}
	n, err := c.db.SetRange(args[1], offset, args[3], c.s.maxBulk.Load())
	if err == nil && len(args[3]) > 0 {
		c.db.Notify(store.EventString, "setrange", args[1])
	}
	c.replyLen(n, err)
}

func cmdGetrange(c *client, args [][]byte) {
	start, ok := c.argInt(args[2])
	if !ok {
		return
	}
	end, ok := c.argInt(args[3])
	if !ok {
		return
	}
	val, err := c.db.GetRange(args[1], start, end)
	c.replyValue(val, true, err)
}

func cmdIncr(c *client, args [][]byte) { incrBy(c, args[1], 1) }
func cmdDecr(c *client, args [][]byte) { incrBy(c, args[1], -1) }

func cmdIncrby(c *client, args [][]byte) {
	if n, ok := c.argInt(args[2]); ok {
		incrBy(c, args[1], n)
	}
}

func cmdDecrby(c *client, args [][]byte) {
	n, ok := c.argInt(args[2])
	if !ok {
		return
	}
	if n == math.MinInt64 { // -n would overflow
		c.writeErrorReply(msgDecrOverflow)
		return
	}
	incrBy(c, args[1], -n)
}

func incrBy(c *client, key []byte, delta int64) {
	n, err := c.db.IncrBy(key, delta)
	if err != nil {
		c.storeError(err)
		return
	}
	c.db.Notify(store.EventString, "incrby", key)
	c.WriteInt(n)
}

func cmdIncrbyfloat(c *client, args [][]byte) {
	val, err := c.db.IncrByFloat(args[1], args[2])
	if err == nil {
		c.db.Notify(store.EventString, "incrbyfloat", args[1])
	}
	c.replyValue(val, true, err)
}

// lcsOptions are LCS's options.
type lcsOptions struct {
	getLen, getIdx, withMatchLen bool
	minMatchLen                  int64
}

// parseLCSOptions parses LCS's options as Redis does; instead of replying,
// it returns the error text, which Redis reports only after checking the
// keys' types.
func parseLCSOptions(args [][]byte) (lcsOptions, string) {
	var o lcsOptions
	for j := 0; j < len(args); j++ {
		a := args[j]
		switch {
		case isOpt(a, "idx"):
			o.getIdx = true
		case isOpt(a, "len"):
			o.getLen = true
		case isOpt(a, "withmatchlen"):
			o.withMatchLen = true
		case isOpt(a, "minmatchlen") && j+1 < len(args):
			n, ok := num.ParseInt(args[j+1])
			if !ok {
				return o, msgNotInteger
			}
			o.minMatchLen = max(n, 0)
			j++
		default:
			return o, msgSyntax
		}
	}
	if o.getLen && o.getIdx {
		return o, msgLCSLenAndIdx
	}
	return o, ""
}

func cmdLcs(c *client, args [][]byte) {
	o, pending := parseLCSOptions(args[3:])
	a, b, err := c.db.LCSValues(args[1], args[2])
	switch {
	case err == store.ErrWrongType:
		c.writeErrorReply(msgLCSWrongType)
		return
	case err != nil:
		c.storeError(err)
		return
	case pending != "":
		c.writeErrorReply(pending)
		return
	case len(a) >= math.MaxUint32-1 || len(b) >= math.MaxUint32-1:
		c.writeErrorReply(msgLCSTooLong)
		return
	}
	// Redis refuses a table larger than proto-max-bulk-len; Redoubt's
	// needs 1/32 of that, but refuses the same inputs.
	if size, ok := store.LCSTableBytes(len(a), len(b)); !ok || size > uint64(c.s.maxBulk.Load()) {
		c.writeErrorReply(msgLCSTooBig)
		return
	}
	if o.getLen {
		c.WriteInt(int64(store.LCSLen(a, b)))
		return
	}
	seq, runs, n := store.LCS(a, b, o.getIdx)
	if !o.getIdx {
		c.WriteBulk(seq)
		return
	}
	kept := 0
	for _, r := range runs {
		if int64(r.Len()) >= o.minMatchLen {
			kept++
		}
	}
	c.WriteMap(2)
	c.WriteBulkString("matches")
	c.WriteArray(kept)
	for _, r := range runs {
		if int64(r.Len()) < o.minMatchLen {
			continue
		}
		if o.withMatchLen {
			c.WriteArray(3)
		} else {
			c.WriteArray(2)
		}
		c.WriteArray(2)
		c.WriteInt(int64(r.AStart))
		c.WriteInt(int64(r.AEnd))
		c.WriteArray(2)
		c.WriteInt(int64(r.BStart))
		c.WriteInt(int64(r.BEnd))
		if o.withMatchLen {
			c.WriteInt(int64(r.Len()))
		}
	}
	c.WriteBulkString("len")
	c.WriteInt(int64(n))
}

// storeError replies with the Redis text for a store error.
func (c *client) storeError(err error) {
	switch err {
	case store.ErrWrongType:
		c.writeErrorReply(msgWrongType)
	case store.ErrNotInteger:
		c.writeErrorReply(msgNotInteger)
	case store.ErrNotFloat:
		c.writeErrorReply(msgNotFloat)
	case store.ErrOverflow:
		c.writeErrorReply(msgOverflow)
	case store.ErrNaNOrInf:
		c.writeErrorReply(msgNaNOrInf)
	case store.ErrTooLarge:
		c.writeErrorReply(msgTooLarge)
	case store.ErrNoSuchKey:
		c.writeErrorReply(msgNoSuchKey)
	default:
		c.writeErrorReply("ERR " + err.Error())
	}
}
