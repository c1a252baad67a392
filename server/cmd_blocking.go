package server

import (
	"fmt"
	"strings"
	"time"

	"github.com/redoubt-db/redoubt/acl"
	"github.com/redoubt-db/redoubt/internal/keyspec"
	"github.com/redoubt-db/redoubt/store"
)

// The blocking pops of lists and sorted sets. Each looks at its keys as its
// non-blocking form does and, when there is something to pop, is that form
// (with the key in the reply); otherwise it parks the client on its keys
// until a change serves it (blocking.go), its timeout passes or CLIENT
// UNBLOCK releases it. Arguments are parsed in Redis 7.0's order, so the
// first error is Redis's: BLPOP's timeout first, BLMOVE's ends before its
// timeout, BLMPOP's numkeys, end and count before its timeout.

func init() {
	ksBlockingPop := []keyspec.Spec{{Flags: keyspec.RW | keyspec.Access | keyspec.Delete, Index: 1, LastKey: -2, KeyStep: 1}}
	ksBlockingMPop := []keyspec.Spec{{Flags: keyspec.RW | keyspec.Access | keyspec.Delete, Index: 2,
		KeyNum: true, KeyNumIdx: 0, FirstKey: 1, KeyStep: 1}}
	ksBlockingMove := []keyspec.Spec{
		{Flags: keyspec.RW | keyspec.Access | keyspec.Delete, Index: 1, KeyStep: 1},
		{Flags: keyspec.RW | keyspec.Insert, Index: 2, KeyStep: 1},
	}
	argTimeout := cmdArg{Name: "timeout", Type: argTypeDouble}
	argsKeysTimeout := []cmdArg{{Name: "key", Type: argTypeKey, Flags: argMultiple}, argTimeout}
	ends := []cmdArg{
		{Name: "left", Type: argTypePureToken, Token: "LEFT"},
		{Name: "right", Type: argTypePureToken, Token: "RIGHT"},
	}
	mpopArgs := func(where []cmdArg) []cmdArg {
		return []cmdArg{argTimeout, {Name: "numkeys", Type: argTypeInteger},
			{Name: "key", Type: argTypeKey, Flags: argMultiple},
			{Name: "where", Type: argTypeOneOf, Args: where},
			{Name: "count", Type: argTypeInteger, Token: "COUNT", Flags: argOptional}}
	}
	const blocking = flagWrite | flagNoScript | flagBlocking
	registerCommands(
		&command{Name: "blpop", Arity: -3, Flags: blocking, Categories: acl.List,
			KeySpecs: ksBlockingPop, Group: "list", Since: "2.0.0",
			Complexity: "O(N) where N is the number of provided keys.",
			Summary:    "Pops the head of the first non-empty list among the keys, waiting up to the timeout for one to get an element.",
			Args:       argsKeysTimeout, Run: cmdBlpop},
		&command{Name: "brpop", Arity: -3, Flags: blocking, Categories: acl.List,
			KeySpecs: ksBlockingPop, Group: "list", Since: "2.0.0",
			Complexity: "O(N) where N is the number of provided keys.",
			Summary:    "Pops the tail of the first non-empty list among the keys, waiting up to the timeout for one to get an element.",
			Args:       argsKeysTimeout, Run: cmdBrpop},
		&command{Name: "blmove", Arity: 6, Flags: blocking | flagDenyOOM, Categories: acl.List,
			KeySpecs: ksBlockingMove, Group: "list", Since: "6.2.0", Complexity: "O(1)",
			Summary: "Moves an element from one end of a list to an end of another, waiting up to the timeout for the source to have one.",
			Args: []cmdArg{{Name: "source", Type: argTypeKey}, {Name: "destination", Type: argTypeKey, KeySpecIndex: 1},
				{Name: "wherefrom", Type: argTypeOneOf, Args: ends},
				{Name: "whereto", Type: argTypeOneOf, Args: ends},
				argTimeout},
			Run: cmdBlmove},
		&command{Name: "brpoplpush", Arity: 4, Flags: blocking | flagDenyOOM, Categories: acl.List,
			KeySpecs: ksBlockingMove, Group: "list", Since: "2.2.0", Complexity: "O(1)",
			Summary:  "Moves the tail of a list to the head of another, waiting up to the timeout for the source to have an element.",
			DocFlags: []string{"deprecated"}, DeprecatedSince: "6.2.0",
			ReplacedBy: "`BLMOVE` with the `RIGHT` and `LEFT` arguments",
			Args: []cmdArg{{Name: "source", Type: argTypeKey}, {Name: "destination", Type: argTypeKey, KeySpecIndex: 1},
				argTimeout},
			Run: cmdBrpoplpush},
		&command{Name: "blmpop", Arity: -5, Flags: flagWrite | flagBlocking, Categories: acl.List,
			KeySpecs: ksBlockingMPop, GetKeys: numkeysGetKeys(0, 2, 3), Group: "list", Since: "7.0.0",
			Complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
			Summary:    "Pops elements from an end of the first non-empty list among the keys, waiting up to the timeout for one to get elements.",
			Args:       mpopArgs(ends), Run: cmdBlmpop},
		&command{Name: "bzpopmin", Arity: -3, Flags: blocking | flagFast, Categories: acl.SortedSet,
			KeySpecs: ksBlockingPop, Group: "sorted-set", Since: "5.0.0",
			Complexity: "O(log(N)) with N being the number of elements in the sorted set.",
			Summary:    "Pops the lowest-scored member of the first non-empty sorted set among the keys, waiting up to the timeout for one to get a member.",
			Args:       argsKeysTimeout, Run: cmdBzpopmin},
		&command{Name: "bzpopmax", Arity: -3, Flags: blocking | flagFast, Categories: acl.SortedSet,
			KeySpecs: ksBlockingPop, Group: "sorted-set", Since: "5.0.0",
			Complexity: "O(log(N)) with N being the number of elements in the sorted set.",
			Summary:    "Pops the highest-scored member of the first non-empty sorted set among the keys, waiting up to the timeout for one to get a member.",
			Args:       argsKeysTimeout, Run: cmdBzpopmax},
		&command{Name: "bzmpop", Arity: -5, Flags: flagWrite | flagBlocking, Categories: acl.SortedSet,
			KeySpecs: ksBlockingMPop, GetKeys: numkeysGetKeys(0, 2, 3), Group: "sorted-set", Since: "7.0.0",
			Complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
			Summary:    "Pops the lowest- or highest-scored members of the first non-empty sorted set among the keys, waiting up to the timeout for one to get members.",
			Args: mpopArgs([]cmdArg{
				{Name: "min", Type: argTypePureToken, Token: "MIN"},
				{Name: "max", Type: argTypePureToken, Token: "MAX"},
			}),
			Run: cmdBzmpop},
	)
}

// BLPOP key [key …] timeout
func cmdBlpop(c *client, args [][]byte) { blockingListPop(c, args, true) }

// BRPOP key [key …] timeout
func cmdBrpop(c *client, args [][]byte) { blockingListPop(c, args, false) }

func blockingListPop(c *client, args [][]byte, left bool) {
	timeout, ok := c.argBlockTimeout(args[len(args)-1])
	if !ok {
		return
	}
	listPopOrBlock(c, &waiter{kind: waitListPop, left: left}, args[1:len(args)-1], timeout)
}

// BLMPOP timeout numkeys key [key …] LEFT|RIGHT [COUNT count]
func cmdBlmpop(c *client, args [][]byte) {
	a, ok := c.parseListMPop(args, 2)
	if !ok {
		return
	}
	timeout, ok := c.argBlockTimeout(args[1])
	if !ok {
		return
	}
	popped, err := c.listMPop(a) // LMPOP's pop and reply (cmd_list.go)
	switch {
	case err != nil:
		c.storeError(err)
	case popped:
	case c.denyBlocking:
		c.WriteNullArray()
	default:
		w := &waiter{kind: waitListPop, left: a.left, count: a.count}
		c.replyUnserved(c.park(w, a.keys, timeout))
	}
}

// listPopOrBlock pops one element for w, a BLPOP or BRPOP, from the first
// of keys that holds a list, as Redis's blockingPopGenericCommand: missing
// keys are skipped, a key of another type is an error. When none holds a
// list, the client blocks on all of them.
func listPopOrBlock(c *client, w *waiter, keys [][]byte, timeout time.Duration) {
	for _, k := range keys {
		switch c.db.TypeForWrite(k) {
		case store.TypeNone:
			continue
		case store.TypeList:
		default:
			c.writeErrorReply(msgWrongType)
			return
		}
		vals, err := c.db.ListPop(k, w.left, 1)
		if err != nil {
			c.storeError(err)
			return
		}
		c.WriteArray(2)
		c.WriteBulk(k)
		c.WriteBulk(vals[0])
		return
	}
	if c.denyBlocking {
		c.WriteNullArray()
		return
	}
	c.replyUnserved(c.park(w, keys, timeout))
}

// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
func cmdBlmove(c *client, args [][]byte) {
	from, ok := c.listEnd(args[3])
	if !ok {
		return
	}
	to, ok := c.listEnd(args[4])
	if !ok {
		return
	}
	timeout, ok := c.argBlockTimeout(args[5])
	if !ok {
		return
	}
	listMoveOrBlock(c, args[1], args[2], from, to, timeout)
}

// BRPOPLPUSH source destination timeout
func cmdBrpoplpush(c *client, args [][]byte) {
	timeout, ok := c.argBlockTimeout(args[3])
	if !ok {
		return
	}
	listMoveOrBlock(c, args[1], args[2], false, true, timeout)
}

// listMoveOrBlock moves an element as LMOVE does when src holds a list, and
// otherwise blocks on src alone (the destination's type is checked only
// when there is something to move, as in Redis).
func listMoveOrBlock(c *client, src, dst []byte, from, to bool, timeout time.Duration) {
	val, moved, err := c.db.ListMove(src, dst, from, to)
	switch {
	case err != nil:
		c.storeError(err)
		return
	case moved:
		c.WriteBulk(val)
		return
	case c.denyBlocking:
		// Redis's null here is a bulk string's, unlike its timeout's.
		c.WriteNull()
		return
	}
	w := &waiter{kind: waitListMove, left: from, dst: append([]byte(nil), dst...), dstLeft: to}
	c.replyUnserved(c.park(w, [][]byte{src}, timeout))
}

// BZPOPMIN key [key …] timeout
func cmdBzpopmin(c *client, args [][]byte) { blockingZPop(c, args, true) }

// BZPOPMAX key [key …] timeout
func cmdBzpopmax(c *client, args [][]byte) { blockingZPop(c, args, false) }

func blockingZPop(c *client, args [][]byte, min bool) {
	timeout, ok := c.argBlockTimeout(args[len(args)-1])
	if !ok {
		return
	}
	zsetPopOrBlock(c, &waiter{kind: waitZSetPop, left: min}, args[1:len(args)-1], timeout)
}

// BZMPOP timeout numkeys key [key …] MIN|MAX [COUNT count]
func cmdBzmpop(c *client, args [][]byte) {
	z, ok := c.parseZMPop(args, 2)
	if !ok {
		return
	}
	timeout, ok := c.argBlockTimeout(args[1])
	if !ok {
		return
	}
	zsetPopOrBlock(c, &waiter{kind: waitZSetPop, left: !z.max, count: int(z.count)}, z.keys, timeout)
}

// zsetPopOrBlock pops for w from the first of keys that holds a sorted set,
// as Redis's blockingGenericZpopCommand, or blocks on all of them.
func zsetPopOrBlock(c *client, w *waiter, keys [][]byte, timeout time.Duration) {
	for _, k := range keys {
		switch c.db.TypeForWrite(k) {
		case store.TypeNone:
			continue
		case store.TypeZSet:
		default:
			c.writeErrorReply(msgWrongType)
			return
		}
		popped, err := c.db.ZPop(k, !w.left, max(w.count, 1))
		if err != nil {
			c.storeError(err)
			return
		}
		if w.count == 0 {
			c.WriteArray(3)
			c.WriteBulk(k)
			c.WriteBulk(popped[0].Member)
			c.WriteDouble(popped[0].Score)
			return
		}
		c.writeZMPopReply(k, popped)
		return
	}
	if c.denyBlocking {
		c.WriteNullArray()
		return
	}
	c.replyUnserved(c.park(w, keys, timeout))
}

// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]
func cmdClientUnblock(c *client, args [][]byte) {
	if len(args) > 4 {
		c.writeErrorReply(fmt.Sprintf(msgSubcommandSyntax, cTrunc(args[1], 128), strings.ToUpper(cString(args[0]))))
		return
	}
	withError := false
	if len(args) == 4 {
		switch {
		case isOpt(args[3], "timeout"):
		case isOpt(args[3], "error"):
			withError = true
		default:
			c.writeErrorReply(msgUnblockReason)
			return
		}
	}
	id, ok := c.argInt(args[2])
	if !ok {
		return
	}
	if c.s.unblockClient(id, withError) {
		c.WriteInt(1)
	} else {
		c.WriteInt(0)
	}
}
