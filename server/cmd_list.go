package server

import (
	"math"

	"github.com/redoubt-db/redoubt/acl"
	"github.com/redoubt-db/redoubt/internal/keyspec"
	"github.com/redoubt-db/redoubt/internal/num"
	"github.com/redoubt-db/redoubt/store"
)

// Commands of the "list" group, except the blocking ones.

// Reply texts of the list commands.
const (
	msgIndexOutOfRange = "ERR index out of range"
	msgRankZero        = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
	msgCountNegative   = "ERR COUNT can't be negative"
	msgMaxlenNegative  = "ERR MAXLEN can't be negative"
	msgNumkeysPositive = "ERR numkeys should be greater than 0"
	msgCountPositive   = "ERR count should be greater than 0"
)

// Key specs and arguments of the list commands.
var (
	ksListInsert = []keyspec.Spec{{Flags: keyspec.RW | keyspec.Insert, Index: 1, KeyStep: 1}}
	ksListPop    = []keyspec.Spec{{Flags: keyspec.RW | keyspec.Access | keyspec.Delete, Index: 1, KeyStep: 1}}
	ksListDelete = []keyspec.Spec{{Flags: keyspec.RW | keyspec.Delete, Index: 1, KeyStep: 1}}
	ksListMove   = []keyspec.Spec{
		{Flags: keyspec.RW | keyspec.Access | keyspec.Delete, Index: 1, KeyStep: 1},
		{Flags: keyspec.RW | keyspec.Insert, Index: 2, KeyStep: 1},
	}

	argElement   = cmdArg{Name: "element", Type: argTypeString}
	argsPush     = []cmdArg{argKey, {Name: "element", Type: argTypeString, Flags: argMultiple}}
	argsPop      = []cmdArg{argKey, {Name: "count", Type: argTypeInteger, Since: "6.2.0", Flags: argOptional}}
	argsListEnds = []cmdArg{
		{Name: "left", Type: argTypePureToken, Token: "LEFT"},
		{Name: "right", Type: argTypePureToken, Token: "RIGHT"},
	}
	argsListRange = []cmdArg{argKey, {Name: "start", Type: argTypeInteger}, {Name: "stop", Type: argTypeInteger}}
)

func init() {
	registerCommands(
		&command{Name: "lpush", Arity: -3, Flags: flagWrite | flagDenyOOM | flagFast, Categories: acl.List,
			KeySpecs: ksListInsert, Group: "list", Since: "1.0.0", Complexity: "O(1) per element pushed.",
			Summary: "Adds elements at the head of a list, creating it if needed; returns the new length.",
			Args:    argsPush, Run: cmdLpush},
		&command{Name: "rpush", Arity: -3, Flags: flagWrite | flagDenyOOM | flagFast, Categories: acl.List,
			KeySpecs: ksListInsert, Group: "list", Since: "1.0.0", Complexity: "O(1) per element pushed.",
			Summary: "Adds elements at the tail of a list, creating it if needed; returns the new length.",
			Args:    argsPush, Run: cmdRpush},
		&command{Name: "lpushx", Arity: -3, Flags: flagWrite | flagDenyOOM | flagFast, Categories: acl.List,
			KeySpecs: ksListInsert, Group: "list", Since: "2.2.0", Complexity: "O(1) per element pushed.",
			Summary: "Adds elements at the head of a list only if the list already exists.",
			Args:    argsPush, Run: cmdLpushx},
		&command{Name: "rpushx", Arity: -3, Flags: flagWrite | flagDenyOOM | flagFast, Categories: acl.List,
			KeySpecs: ksListInsert, Group: "list", Since: "2.2.0", Complexity: "O(1) per element pushed.",
			Summary: "Adds elements at the tail of a list only if the list already exists.",
			Args:    argsPush, Run: cmdRpushx},
		&command{Name: "lpop", Arity: -2, Flags: flagWrite | flagFast, Categories: acl.List,
			KeySpecs: ksListPop, Group: "list", Since: "1.0.0", Complexity: "O(N) for N elements popped.",
			Summary: "Removes and returns one or more elements from the head of a list; an empty list is deleted.",
			Args:    argsPop, Run: cmdLpop},
		&command{Name: "rpop", Arity: -2, Flags: flagWrite | flagFast, Categories: acl.List,
			KeySpecs: ksListPop, Group: "list", Since: "1.0.0", Complexity: "O(N) for N elements popped.",
			Summary: "Removes and returns one or more elements from the tail of a list; an empty list is deleted.",
			Args:    argsPop, Run: cmdRpop},
		&command{Name: "lrange", Arity: 4, Flags: flagReadOnly, Categories: acl.List,
			KeySpecs: ksKeyROAccess, Group: "list", Since: "1.0.0",
			Complexity: "O(S+N): S elements skipped from the nearer end, N returned.",
			Summary:    "Returns the elements of a list between two indexes, both included; negative ones count from the tail.",
			Args:       argsListRange, Run: cmdLrange},
		&command{Name: "lindex", Arity: 3, Flags: flagReadOnly, Categories: acl.List,
			KeySpecs: ksKeyROAccess, Group: "list", Since: "1.0.0",
			Complexity: "O(N) for N elements skipped from the nearer end.",
			Summary:    "Returns the element of a list at an index; negative indexes count from the tail.",
			Args:       []cmdArg{argKey, {Name: "index", Type: argTypeInteger}}, Run: cmdLindex},
		&command{Name: "lset", Arity: 4, Flags: flagWrite | flagDenyOOM, Categories: acl.List,
			KeySpecs: ksKeyRWUpdate,
			Group:    "list", Since: "1.0.0", Complexity: "O(N) for N elements skipped from the nearer end.",
			Summary: "Replaces the element of a list at an index.",
			Args:    []cmdArg{argKey, {Name: "index", Type: argTypeInteger}, argElement}, Run: cmdLset},
		&command{Name: "linsert", Arity: 5, Flags: flagWrite | flagDenyOOM, Categories: acl.List,
			KeySpecs: ksListInsert, Group: "list", Since: "2.2.0",
			Complexity: "O(N) for N elements compared before the pivot.",
			Summary:    "Inserts an element before or after the first occurrence of a pivot in a list.",
			Args: []cmdArg{argKey,
				{Name: "where", Type: argTypeOneOf, Args: []cmdArg{
					{Name: "before", Type: argTypePureToken, Token: "BEFORE"},
					{Name: "after", Type: argTypePureToken, Token: "AFTER"},
				}},
				{Name: "pivot", Type: argTypeString}, argElement},
			Run: cmdLinsert},
		&command{Name: "lrem", Arity: 4, Flags: flagWrite, Categories: acl.List,
			KeySpecs: ksListDelete, Group: "list", Since: "1.0.0",
			Complexity: "O(N+M): N elements compared, M removed.",
			Summary:    "Removes occurrences of an element from a list, from the head, from the tail or all of them.",
			Args:       []cmdArg{argKey, {Name: "count", Type: argTypeInteger}, argElement}, Run: cmdLrem},
		&command{Name: "ltrim", Arity: 4, Flags: flagWrite, Categories: acl.List,
			KeySpecs: ksListDelete, Group: "list", Since: "1.0.0", Complexity: "O(N) for N elements removed.",
			Summary: "Keeps only the elements of a list between two indexes, deleting it if none is left.",
			Args:    argsListRange, Run: cmdLtrim},
		&command{Name: "llen", Arity: 2, Flags: flagReadOnly | flagFast, Categories: acl.List,
			KeySpecs: ksKeyRO, Group: "list", Since: "1.0.0", Complexity: "O(1)",
			Summary: "Returns the number of elements in a list.",
			Args:    argsOneKey, Run: cmdLlen},
		&command{Name: "lpos", Arity: -3, Flags: flagReadOnly, Categories: acl.List,
			KeySpecs: ksKeyROAccess, Group: "list", Since: "6.0.6",
			Complexity: "O(N) for N elements compared; MAXLEN bounds N.",
			Summary:    "Returns the index of the matches of an element in a list, from either end.",
			Args: []cmdArg{argKey, argElement,
				{Name: "rank", Type: argTypeInteger, Token: "RANK", Flags: argOptional},
				{Name: "num-matches", Type: argTypeInteger, Token: "COUNT", Flags: argOptional},
				{Name: "len", Type: argTypeInteger, Token: "MAXLEN", Flags: argOptional}},
			Run: cmdLpos},
		&command{Name: "lmove", Arity: 5, Flags: flagWrite | flagDenyOOM, Categories: acl.List,
			KeySpecs: ksListMove, Group: "list", Since: "6.2.0", Complexity: "O(1)",
			Summary: "Pops an element from one end of a list and pushes it at an end of another (or the same) list.",
			Args: []cmdArg{{Name: "source", Type: argTypeKey}, {Name: "destination", Type: argTypeKey, KeySpecIndex: 1},
				{Name: "wherefrom", Type: argTypeOneOf, Args: argsListEnds},
				{Name: "whereto", Type: argTypeOneOf, Args: argsListEnds}},
			Run: cmdLmove},
		&command{Name: "rpoplpush", Arity: 3, Flags: flagWrite | flagDenyOOM, Categories: acl.List,
			KeySpecs: ksListMove, Group: "list", Since: "1.2.0", Complexity: "O(1)",
			Summary:  "Pops an element from the tail of a list and pushes it at the head of another (or the same) list.",
			DocFlags: []string{"deprecated"}, DeprecatedSince: "6.2.0",
			ReplacedBy: "`LMOVE` with the `RIGHT` and `LEFT` arguments",
			Args:       []cmdArg{{Name: "source", Type: argTypeKey}, {Name: "destination", Type: argTypeKey, KeySpecIndex: 1}},
			Run:        cmdRpoplpush},
		&command{Name: "lmpop", Arity: -4, Flags: flagWrite, Categories: acl.List,
			KeySpecs: []keyspec.Spec{{Flags: keyspec.RW | keyspec.Access | keyspec.Delete, Index: 1,
				KeyNum: true, KeyNumIdx: 0, FirstKey: 1, KeyStep: 1}},
			GetKeys: numkeysGetKeys(0, 1, 2),
			Group:   "list", Since: "7.0.0", Complexity: "O(N+M): N keys looked at, M elements popped.",
			Summary: "Pops elements from one end of the first non-empty list among several keys.",
			Args: []cmdArg{{Name: "numkeys", Type: argTypeInteger},
				{Name: "key", Type: argTypeKey, Flags: argMultiple},
				{Name: "where", Type: argTypeOneOf, Args: argsListEnds},
				{Name: "count", Type: argTypeInteger, Token: "COUNT", Flags: argOptional}},
			Run: cmdLmpop},
	)
}

func cmdLpush(c *client, args [][]byte)  { listPush(c, args, true, false) }
func cmdRpush(c *client, args [][]byte)  { listPush(c, args, false, false) }
func cmdLpushx(c *client, args [][]byte) { listPush(c, args, true, true) }
func cmdRpushx(c *client, args [][]byte) { listPush(c, args, false, true) }

func listPush(c *client, args [][]byte, left, onlyExisting bool) {
	n, err := c.db.ListPush(args[1], args[2:], left, onlyExisting)
	c.replyLen(n, err)
}

func cmdLpop(c *client, args [][]byte) { listPop(c, args, true) }
func cmdRpop(c *client, args [][]byte) { listPop(c, args, false) }

// listPop is LPOP and RPOP: without a count, one element or a null; with
// one, an array (a null array for a missing key, an empty one for count 0).
func listPop(c *client, args [][]byte, left bool) {
	if len(args) > 3 {
		c.writeWrongArgs(c.lastCmd.Load())
		return
	}
	hasCount := len(args) == 3
	count := int64(1)
	if hasCount {
		n, ok := c.argRange(args[2], 0, math.MaxInt64, msgMustBePositive)
		if !ok {
			return
		}
		count = n
	}
	if hasCount && count == 0 {
		// Redis looks the key up and checks its type before it notices
		// that nothing is asked.
		exists, err := c.db.ListExists(args[1])
		switch {
		case err != nil:
			c.storeError(err)
		case !exists:
			c.WriteNullArray()
		default:
			c.WriteArray(0)
		}
		return
	}
	ok, err := c.db.ListPopEach(args[1], left, int(count), func(n int) {
		if hasCount {
			c.WriteArray(n)
		}
	}, c.WriteBulk)
	switch {
	case err != nil:
		c.storeError(err)
	case !ok && hasCount:
		c.WriteNullArray()
	case !ok:
		c.WriteNull()
	}
}

// argIndexes parses two integer arguments, as LRANGE's and LTRIM's start
// and stop.
func (c *client) argIndexes(a, b []byte) (int64, int64, bool) {
	start, ok := c.argInt(a)
	if !ok {
		return 0, 0, false
	}
	stop, ok := c.argInt(b)
	return start, stop, ok
}

func cmdLrange(c *client, args [][]byte) {
	start, stop, ok := c.argIndexes(args[2], args[3])
	if !ok {
		return
	}
	err := c.db.ListRange(args[1], start, stop, c.WriteArray, c.WriteBulk)
	if err != nil {
		c.storeError(err)
	}
}

func cmdLindex(c *client, args [][]byte) {
	index, ok := num.ParseInt(args[2])
	if !ok {
		// The key is looked up, and its type checked, before the index.
		if n, err := c.db.ListLen(args[1]); err != nil {
			c.storeError(err)
		} else if n == 0 {
			c.WriteNull()
		} else {
			c.writeErrorReply(msgNotInteger)
		}
		return
	}
	var scratch [24]byte
	val, ok, err := c.db.ListIndex(args[1], index, scratch[:0])
	switch {
	case err != nil:
		c.storeError(err)
	case !ok:
		c.WriteNull()
	default:
		c.WriteBulk(val)
	}
}

func cmdLset(c *client, args [][]byte) {
	index, ok := num.ParseInt(args[2])
	if !ok {
		// The key is looked up, and its type checked, before the index.
		if exists, err := c.db.ListExists(args[1]); err != nil {
			c.storeError(err)
		} else if !exists {
			c.writeErrorReply(msgNoSuchKey)
		} else {
			c.writeErrorReply(msgNotInteger)
		}
		return
	}
	switch err := c.db.ListSet(args[1], index, args[3]); err {
	case nil:
		c.WriteOK()
	case store.ErrOutOfRange:
		c.writeErrorReply(msgIndexOutOfRange)
	default:
		c.storeError(err)
	}
}

func cmdLinsert(c *client, args [][]byte) {
	var after bool
	switch {
	case isOpt(args[2], "after"):
		after = true
	case isOpt(args[2], "before"):
	default:
		c.writeErrorReply(msgSyntax)
		return
	}
	n, err := c.db.ListInsert(args[1], after, args[3], args[4])
	c.replyLen(n, err)
}

func cmdLrem(c *client, args [][]byte) {
	count, ok := c.argInt(args[2])
	if !ok {
		return
	}
	n, err := c.db.ListRem(args[1], count, args[3])
	c.replyLen(n, err)
}

func cmdLtrim(c *client, args [][]byte) {
	start, stop, ok := c.argIndexes(args[2], args[3])
	if !ok {
		return
	}
	if err := c.db.ListTrim(args[1], start, stop); err != nil {
		c.storeError(err)
		return
	}
	c.WriteOK()
}

func cmdLlen(c *client, args [][]byte) {
	n, err := c.db.ListLen(args[1])
	c.replyLen(n, err)
}

func cmdLpos(c *client, args [][]byte) {
	opt := store.PosOptions{Rank: 1}
	count := int64(-1) // -1: no COUNT, a single index or null
	for j := 3; j < len(args); j++ {
		more := j+1 < len(args)
		switch {
		case isOpt(args[j], "rank") && more:
			j++
			rank, ok := c.argInt(args[j])
			if !ok {
				return
			}
			if rank == 0 {
				c.writeErrorReply(msgRankZero)
				return
			}
			opt.Rank = rank
		case isOpt(args[j], "count") && more:
			j++
			n, ok := c.argRange(args[j], 0, math.MaxInt64, msgCountNegative)
			if !ok {
				return
			}
			count = n
		case isOpt(args[j], "maxlen") && more:
			j++
			n, ok := c.argRange(args[j], 0, math.MaxInt64, msgMaxlenNegative)
			if !ok {
				return
			}
			opt.MaxLen = n
		default:
			c.writeErrorReply(msgSyntax)
			return
		}
	}
	if count > 0 {
		opt.Count = count
	}
	var found []int
	exists, err := c.db.ListPos(args[1], args[2], opt, func(i int) bool {
		found = append(found, i)
		return count >= 0 // without COUNT, the first match is the answer
	})
	switch {
	case err != nil:
		c.storeError(err)
	case count >= 0:
		c.WriteArray(len(found))
		for _, i := range found {
			c.WriteInt(int64(i))
		}
	case !exists || len(found) == 0:
		c.WriteNull()
	default:
		c.WriteInt(int64(found[0]))
	}
}

// listEnd parses LEFT or RIGHT, replying with a syntax error otherwise.
func (c *client) listEnd(arg []byte) (left, ok bool) {
	switch {
	case isOpt(arg, "left"):
		return true, true
	case isOpt(arg, "right"):
		return false, true
	}
	c.writeErrorReply(msgSyntax)
	return false, false
}

func cmdLmove(c *client, args [][]byte) {
	from, ok := c.listEnd(args[3])
	if !ok {
		return
	}
	to, ok := c.listEnd(args[4])
	if !ok {
		return
	}
	listMove(c, args[1], args[2], from, to)
}

func cmdRpoplpush(c *client, args [][]byte) { listMove(c, args[1], args[2], false, true) }

func listMove(c *client, src, dst []byte, from, to bool) {
	val, ok, err := c.db.ListMove(src, dst, from, to)
	switch {
	case err != nil:
		c.storeError(err)
	case !ok:
		c.WriteNull()
	default:
		c.WriteBulk(val)
	}
}

// listMPopArgs is what LMPOP and BLMPOP were asked: the keys to try in
// order, the end to pop from and how many elements at most.
type listMPopArgs struct {
	keys  [][]byte // aliases the command's arguments
	left  bool
	count int // ≥ 1
}

// parseListMPop parses "numkeys key [key …] LEFT|RIGHT [COUNT count]" from
// args[at] on (at is 1 for LMPOP, 2 for BLMPOP after its timeout), as
// Redis's lmpopGenericCommand does, replying with its error on failure:
// numkeys must be in [1, LONG_MAX] ("numkeys should be greater than 0"), a
// numkeys that reaches past the arguments is a syntax error, the end is
// LEFT or RIGHT (syntax error), and COUNT may appear once with a value in
// [1, LONG_MAX] ("count should be greater than 0"); anything else is a
// syntax error. The count defaults to 1. Nothing is sized from numkeys
// before it is checked against the arguments.
func (c *client) parseListMPop(args [][]byte, at int) (listMPopArgs, bool) {
	keys, right, count, ok := c.parseMPop(args, at, "left", "right")
	return listMPopArgs{keys: keys, left: !right, count: int(count)}, ok
}

// parseMPop parses "numkeys key… END [COUNT count]" from args[at], where
// END is the word first or second, for LMPOP (LEFT|RIGHT), ZMPOP (MIN|MAX)
// and their blocking forms, as Redis parses them, and replies with its
// error on failure: numkeys in [1, LONG_MAX] ("numkeys should be greater
// than 0") and compared with the arguments before any arithmetic, so a
// huge numkeys cannot overflow; the keys and the end word, else a syntax
// error; then at most one COUNT in [1, LONG_MAX] ("count should be greater
// than 0"). The count defaults to 1. isSecond says which end was named.
func (c *client) parseMPop(args [][]byte, at int, first, second string) (keys [][]byte, isSecond bool, count int64, ok bool) {
	numkeys, ok := c.argRange(args[at], 1, math.MaxInt64, msgNumkeysPositive)
	if !ok {
		return nil, false, 0, false
	}
	if numkeys >= int64(len(args)-at-1) {
		c.writeErrorReply(msgSyntax)
		return nil, false, 0, false
	}
	where := at + 1 + int(numkeys)
	switch {
	case isOpt(args[where], first):
	case isOpt(args[where], second):
		isSecond = true
	default:
		c.writeErrorReply(msgSyntax)
		return nil, false, 0, false
	}
	count = -1
	for j := where + 1; j < len(args); j++ {
		if count == -1 && isOpt(args[j], "count") && j+1 < len(args) {
			j++
			if count, ok = c.argRange(args[j], 1, math.MaxInt64, msgCountPositive); !ok {
				return nil, false, 0, false
			}
			continue
		}
		c.writeErrorReply(msgSyntax)
		return nil, false, 0, false
	}
	if count == -1 {
		count = 1
	}
	return args[at+1 : where], isSecond, count, true
}

func cmdLmpop(c *client, args [][]byte) {
	a, ok := c.parseListMPop(args, 1)
	if !ok {
		return
	}
	popped, err := c.listMPop(a)
	switch {
	case err != nil:
		c.storeError(err)
	case !popped:
		c.WriteNullArray()
	}
}

// listMPop pops what a asks from the first of its keys that holds a list
// and writes LMPOP's reply, the key and the array of elements; it writes
// nothing when no key holds a list (popped false) or on an error, which
// the caller reports: LMPOP replies with a null array, BLMPOP blocks.
func (c *client) listMPop(a listMPopArgs) (popped bool, err error) {
	err = c.db.ListMPopEach(a.keys, a.left, a.count, func(key []byte, n int) {
		popped = true
		c.WriteArray(2)
		c.WriteBulk(key)
		c.WriteArray(n)
	}, c.WriteBulk)
	return popped, err
}
