package server

import (
	"fmt"
	"math"

	"github.com/redoubt-db/redoubt/acl"
	"github.com/redoubt-db/redoubt/store"
)

// Commands of the "string" group.

// Key specs shared by the string commands.
var (
	ksReadOne = []KeySpec{{Flags: KeyRO | KeyAccess, Index: 1, KeyStep: 1}}
)

func init() {
	registerCommands(
		&Command{Name: "get", Arity: 2, Flags: ReadOnly | Fast, Categories: acl.String,
			KeySpecs: ksReadOne, Group: "string", Since: "1.0.0", Complexity: "O(1)",
			Summary: "Returns the string stored at a key.",
			Args:    []Arg{{Name: "key", Type: ArgKey}},
			Run:     cmdGet},
		&Command{Name: "set", Arity: -3, Flags: Write | DenyOOM, Categories: acl.String,
			KeySpecs: []KeySpec{{Notes: "RW and ACCESS due to the optional `GET` argument",
				Flags: KeyRW | KeyAccess | KeyUpdate | KeyVariableFlags, Index: 1, KeyStep: 1}},
			Group: "string", Since: "1.0.0", Complexity: "O(1)",
			Summary: "Stores a string at a key, optionally only if it exists or not, with a deadline, returning the old value.",
			Args: []Arg{
				{Name: "key", Type: ArgKey},
				{Name: "value", Type: ArgString},
				{Name: "condition", Type: ArgOneOf, Since: "2.6.12", Flags: ArgOptional, Args: []Arg{
					{Name: "nx", Type: ArgPureToken, Token: "NX"},
					{Name: "xx", Type: ArgPureToken, Token: "XX"},
				}},
				{Name: "get", Type: ArgPureToken, Token: "GET", Since: "6.2.0", Flags: ArgOptional},
				{Name: "expiration", Type: ArgOneOf, Flags: ArgOptional, Args: []Arg{
					{Name: "seconds", Type: ArgInteger, Token: "EX", Since: "2.6.12"},
					{Name: "milliseconds", Type: ArgInteger, Token: "PX", Since: "2.6.12"},
					{Name: "unix-time-seconds", Type: ArgUnixTime, Token: "EXAT", Since: "6.2.0"},
					{Name: "unix-time-milliseconds", Type: ArgUnixTime, Token: "PXAT", Since: "6.2.0"},
					{Name: "keepttl", Type: ArgPureToken, Token: "KEEPTTL", Since: "6.0.0"},
				}},
			},
			Run: cmdSet},
	)
}

func cmdGet(c *Conn, args [][]byte) {
	val, ok, err := c.db.Get(args[1])
	switch {
	case err != nil:
		c.storeError(err)
	case !ok:
		c.WriteNull()
	default:
		c.WriteBulk(val)
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

func cmdSet(c *Conn, args [][]byte) {
	var opt store.SetOptions
	var unit expireUnit
	var expire []byte
	for j := 3; j < len(args); j++ {
		a := args[j]
		hasNext := j+1 < len(args)
		switch {
		case isOpt(a, "nx") && !opt.XX:
			opt.NX = true
		case isOpt(a, "xx") && !opt.NX:
			opt.XX = true
		case isOpt(a, "get"):
			opt.Get = true
		case isOpt(a, "keepttl") && unit == unitNone:
			opt.KeepTTL = true
		case isOpt(a, "ex") && !opt.KeepTTL && (unit == unitNone || unit == unitEX) && hasNext:
			unit, expire = unitEX, args[j+1]
			j++
		case isOpt(a, "px") && !opt.KeepTTL && (unit == unitNone || unit == unitPX) && hasNext:
			unit, expire = unitPX, args[j+1]
			j++
		case isOpt(a, "exat") && !opt.KeepTTL && (unit == unitNone || unit == unitEXAT) && hasNext:
			unit, expire = unitEXAT, args[j+1]
			j++
		case isOpt(a, "pxat") && !opt.KeepTTL && (unit == unitNone || unit == unitPXAT) && hasNext:
			unit, expire = unitPXAT, args[j+1]
			j++
		default:
			c.writeErrorReply(msgSyntax)
			return
		}
	}
	if unit != unitNone {
		at, ok := c.expireAt(expire, unit)
		if !ok {
			return
		}
		opt.At = at
	}
	res, err := c.db.Set(args[1], args[2], opt)
	switch {
	case err != nil:
		c.storeError(err)
	case opt.Get && !res.OldOK:
		c.WriteNull()
	case opt.Get:
		c.WriteBulk(res.Old)
	case !res.Set:
		c.WriteNull()
	default:
		c.WriteOK()
	}
}

// expireAt turns an expiry argument into a Unix-ms deadline with the checks
// of Redis's getExpireMillisecondsOrReply, replying on error.
func (c *Conn) expireAt(arg []byte, unit expireUnit) (int64, bool) {
	ms, ok := c.argInt(arg)
	if !ok {
		return 0, false
	}
	seconds := unit == unitEX || unit == unitEXAT
	if ms <= 0 || (seconds && ms > math.MaxInt64/1000) {
		c.writeErrorReply(fmt.Sprintf(msgInvalidExpire, c.lastCmd.Load().fullName))
		return 0, false
	}
	if seconds {
		ms *= 1000
	}
	if unit == unitEX || unit == unitPX {
		ms += c.s.store.NowMs() // wraps negative on overflow, as in C
	}
	if ms <= 0 {
		c.writeErrorReply(fmt.Sprintf(msgInvalidExpire, c.lastCmd.Load().fullName))
		return 0, false
	}
	return ms, true
}

// storeError replies with the Redis text for a store error.
func (c *Conn) storeError(err error) {
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
