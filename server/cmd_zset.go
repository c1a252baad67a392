package server

import (
	"fmt"
	"math"
	"strconv"

	"github.com/redoubt-db/redoubt/internal/glob"
	"github.com/redoubt-db/redoubt/internal/keyspec"

	"github.com/redoubt-db/redoubt/acl"
	"github.com/redoubt-db/redoubt/store"
)

// Commands of the "sorted-set" group, but for the blocking pops
// (BZPOPMIN, BZPOPMAX, BZMPOP), which live with the other blocking
// commands. The handlers follow the table.

func init() {
	registerCommands(
		&command{Name: "zadd", Arity: -4, Flags: flagWrite | flagDenyOOM | flagFast, Categories: acl.SortedSet,
			KeySpecs: ksKeyRWUpdate,
			Group:    "sorted-set", Since: "1.2.0", Complexity: "O(log N) per member for a set of N.",
			Summary: "Adds members with scores to a sorted set, or changes their scores, under optional conditions; creates the key if needed.",
			Args: []cmdArg{
				argKey,
				{Name: "condition", Type: argTypeOneOf, Since: "3.0.2", Flags: argOptional, Args: []cmdArg{
					{Name: "nx", Type: argTypePureToken, Token: "NX"},
					{Name: "xx", Type: argTypePureToken, Token: "XX"},
				}},
				{Name: "comparison", Type: argTypeOneOf, Since: "6.2.0", Flags: argOptional, Args: []cmdArg{
					{Name: "gt", Type: argTypePureToken, Token: "GT"},
					{Name: "lt", Type: argTypePureToken, Token: "LT"},
				}},
				{Name: "change", Type: argTypePureToken, Token: "CH", Since: "3.0.2", Flags: argOptional},
				{Name: "increment", Type: argTypePureToken, Token: "INCR", Since: "3.0.2", Flags: argOptional},
				{Name: "score_member", Type: argTypeBlock, Flags: argMultiple, Args: []cmdArg{
					{Name: "score", Type: argTypeDouble},
					{Name: "member", Type: argTypeString},
				}},
			},
			Run: cmdZadd},
		&command{Name: "zincrby", Arity: 4, Flags: flagWrite | flagDenyOOM | flagFast, Categories: acl.SortedSet,
			KeySpecs: ksKeyRWAccessUpdate,
			Group:    "sorted-set", Since: "1.2.0", Complexity: "O(log N) for a set of N.",
			Summary: "Adds an increment to a member's score in a sorted set, adding the member if needed; returns the new score.",
			Args: []cmdArg{
				argKey,
				{Name: "increment", Type: argTypeInteger},
				{Name: "member", Type: argTypeString},
			},
			Run: cmdZincrby},
		&command{Name: "zrem", Arity: -3, Flags: flagWrite | flagFast, Categories: acl.SortedSet,
			KeySpecs: []keyspec.Spec{
				{Flags: keyspec.RW | keyspec.Delete, Index: 1, KeyStep: 1},
			},
			Group: "sorted-set", Since: "1.2.0", Complexity: "O(M log N) for M members removed from a set of N.",
			Summary: "Removes members from a sorted set; returns how many were there.",
			Args: []cmdArg{
				argKey,
				{Name: "member", Type: argTypeString, Flags: argMultiple},
			},
			Run: cmdZrem},
		&command{Name: "zscore", Arity: 3, Flags: flagReadOnly | flagFast, Categories: acl.SortedSet,
			KeySpecs: ksKeyROAccess,
			Group:    "sorted-set", Since: "1.2.0", Complexity: "O(1)",
			Summary: "Returns the score of a member of a sorted set.",
			Args: []cmdArg{
				argKey,
				{Name: "member", Type: argTypeString},
			},
			Run: cmdZscore},
		&command{Name: "zmscore", Arity: -3, Flags: flagReadOnly | flagFast, Categories: acl.SortedSet,
			KeySpecs: ksKeyROAccess,
			Group:    "sorted-set", Since: "6.2.0", Complexity: "O(M) for M members.",
			Summary: "Returns the scores of several members of a sorted set, nil for those it lacks.",
			Args: []cmdArg{
				argKey,
				{Name: "member", Type: argTypeString, Flags: argMultiple},
			},
			Run: cmdZmscore},
		&command{Name: "zcard", Arity: 2, Flags: flagReadOnly | flagFast, Categories: acl.SortedSet,
			KeySpecs: ksKeyRO,
			Group:    "sorted-set", Since: "1.2.0", Complexity: "O(1)",
			Summary: "Returns the number of members in a sorted set.",
			Args: []cmdArg{
				argKey,
			},
			Run: cmdZcard},
		&command{Name: "zcount", Arity: 4, Flags: flagReadOnly | flagFast, Categories: acl.SortedSet,
			KeySpecs: ksKeyROAccess,
			Group:    "sorted-set", Since: "2.0.0", Complexity: "O(log N) for a set of N.",
			Summary: "Counts the members of a sorted set whose scores lie within a range.",
			Args: []cmdArg{
				argKey,
				{Name: "min", Type: argTypeDouble},
				{Name: "max", Type: argTypeDouble},
			},
			Run: cmdZcount},
		&command{Name: "zlexcount", Arity: 4, Flags: flagReadOnly | flagFast, Categories: acl.SortedSet,
			KeySpecs: ksKeyROAccess,
			Group:    "sorted-set", Since: "2.8.9", Complexity: "O(log N) for a set of N.",
			Summary: "Counts the members of a sorted set, all of one score, that lie within a lexicographic range.",
			Args: []cmdArg{
				argKey,
				{Name: "min", Type: argTypeString},
				{Name: "max", Type: argTypeString},
			},
			Run: cmdZlexcount},
		&command{Name: "zrank", Arity: 3, Flags: flagReadOnly | flagFast, Categories: acl.SortedSet,
			KeySpecs: ksKeyROAccess,
			Group:    "sorted-set", Since: "2.0.0", Complexity: "O(log N) for a set of N.",
			Summary: "Returns a member's position in a sorted set, counting from the lowest score.",
			Args: []cmdArg{
				argKey,
				{Name: "member", Type: argTypeString},
			},
			Run: cmdZrank},
		&command{Name: "zrevrank", Arity: 3, Flags: flagReadOnly | flagFast, Categories: acl.SortedSet,
			KeySpecs: ksKeyROAccess,
			Group:    "sorted-set", Since: "2.0.0", Complexity: "O(log N) for a set of N.",
			Summary: "Returns a member's position in a sorted set, counting from the highest score.",
			Args: []cmdArg{
				argKey,
				{Name: "member", Type: argTypeString},
			},
			Run: cmdZrevrank},
		&command{Name: "zrange", Arity: -4, Flags: flagReadOnly, Categories: acl.SortedSet,
			KeySpecs: ksKeyROAccess,
			Group:    "sorted-set", Since: "1.2.0", Complexity: "O(log N + M) for M members returned from a set of N.",
			Summary: "Returns the members of a sorted set within a range of positions, scores or members, in either order, optionally with scores.",
			Args: []cmdArg{
				argKey,
				{Name: "start", Type: argTypeString},
				{Name: "stop", Type: argTypeString},
				{Name: "sortby", Type: argTypeOneOf, Since: "6.2.0", Flags: argOptional, Args: []cmdArg{
					{Name: "byscore", Type: argTypePureToken, Token: "BYSCORE"},
					{Name: "bylex", Type: argTypePureToken, Token: "BYLEX"},
				}},
				{Name: "rev", Type: argTypePureToken, Token: "REV", Since: "6.2.0", Flags: argOptional},
				{Name: "offset_count", Type: argTypeBlock, Token: "LIMIT", Since: "6.2.0", Flags: argOptional, Args: []cmdArg{
					{Name: "offset", Type: argTypeInteger},
					{Name: "count", Type: argTypeInteger},
				}},
				{Name: "withscores", Type: argTypePureToken, Token: "WITHSCORES", Flags: argOptional},
			},
			Run: cmdZrange},
		&command{Name: "zrangebyscore", Arity: -4, Flags: flagReadOnly, Categories: acl.SortedSet,
			KeySpecs: ksKeyROAccess,
			Group:    "sorted-set", Since: "1.0.5", Complexity: "O(log N + M) for M members returned from a set of N.",
			DocFlags: []string{"deprecated"}, DeprecatedSince: "6.2.0", ReplacedBy: "`ZRANGE` with the `BYSCORE` argument",
			Summary: "Returns the members of a sorted set whose scores lie within a range, lowest first.",
			Args: []cmdArg{
				argKey,
				{Name: "min", Type: argTypeDouble},
				{Name: "max", Type: argTypeDouble},
				{Name: "withscores", Type: argTypePureToken, Token: "WITHSCORES", Since: "2.0.0", Flags: argOptional},
				argLimit,
			},
			Run: cmdZrangebyscore},
		&command{Name: "zrevrangebyscore", Arity: -4, Flags: flagReadOnly, Categories: acl.SortedSet,
			KeySpecs: ksKeyROAccess,
			Group:    "sorted-set", Since: "2.2.0", Complexity: "O(log N + M) for M members returned from a set of N.",
			DocFlags: []string{"deprecated"}, DeprecatedSince: "6.2.0", ReplacedBy: "`ZRANGE` with the `REV` and `BYSCORE` arguments",
			Summary: "Returns the members of a sorted set whose scores lie within a range, highest first.",
			Args: []cmdArg{
				argKey,
				{Name: "max", Type: argTypeDouble},
				{Name: "min", Type: argTypeDouble},
				{Name: "withscores", Type: argTypePureToken, Token: "WITHSCORES", Flags: argOptional},
				argLimit,
			},
			Run: cmdZrevrangebyscore},
		&command{Name: "zrangebylex", Arity: -4, Flags: flagReadOnly, Categories: acl.SortedSet,
			KeySpecs: ksKeyROAccess,
			Group:    "sorted-set", Since: "2.8.9", Complexity: "O(log N + M) for M members returned from a set of N.",
			DocFlags: []string{"deprecated"}, DeprecatedSince: "6.2.0", ReplacedBy: "`ZRANGE` with the `BYLEX` argument",
			Summary: "Returns the members of a sorted set, all of one score, within a lexicographic range, in ascending order.",
			Args: []cmdArg{
				argKey,
				{Name: "min", Type: argTypeString},
				{Name: "max", Type: argTypeString},
				argLimit,
			},
			Run: cmdZrangebylex},
		&command{Name: "zrevrangebylex", Arity: -4, Flags: flagReadOnly, Categories: acl.SortedSet,
			KeySpecs: ksKeyROAccess,
			Group:    "sorted-set", Since: "2.8.9", Complexity: "O(log N + M) for M members returned from a set of N.",
			DocFlags: []string{"deprecated"}, DeprecatedSince: "6.2.0", ReplacedBy: "`ZRANGE` with the `REV` and `BYLEX` arguments",
			Summary: "Returns the members of a sorted set, all of one score, within a lexicographic range, in descending order.",
			Args: []cmdArg{
				argKey,
				{Name: "max", Type: argTypeString},
				{Name: "min", Type: argTypeString},
				argLimit,
			},
			Run: cmdZrevrangebylex},
		&command{Name: "zrevrange", Arity: -4, Flags: flagReadOnly, Categories: acl.SortedSet,
			KeySpecs: ksKeyROAccess,
			Group:    "sorted-set", Since: "1.2.0", Complexity: "O(log N + M) for M members returned from a set of N.",
			DocFlags: []string{"deprecated"}, DeprecatedSince: "6.2.0", ReplacedBy: "`ZRANGE` with the `REV` argument",
			Summary: "Returns the members of a sorted set within a range of positions counted from the highest score.",
			Args: []cmdArg{
				argKey,
				{Name: "start", Type: argTypeInteger},
				{Name: "stop", Type: argTypeInteger},
				{Name: "withscores", Type: argTypePureToken, Token: "WITHSCORES", Flags: argOptional},
			},
			Run: cmdZrevrange},
		&command{Name: "zrangestore", Arity: -5, Flags: flagWrite | flagDenyOOM, Categories: acl.SortedSet,
			KeySpecs: []keyspec.Spec{
				{Flags: keyspec.OW | keyspec.Update, Index: 1, KeyStep: 1},
				{Flags: keyspec.RO | keyspec.Access, Index: 2, KeyStep: 1},
			},
			Group: "sorted-set", Since: "6.2.0", Complexity: "O(log N + M) for M members stored from a set of N.",
			Summary: "Stores at a key the members another sorted set has within a range of positions, scores or members; returns how many.",
			Args: []cmdArg{
				{Name: "dst", Type: argTypeKey},
				{Name: "src", Type: argTypeKey, KeySpecIndex: 1},
				{Name: "min", Type: argTypeString},
				{Name: "max", Type: argTypeString},
				{Name: "sortby", Type: argTypeOneOf, Flags: argOptional, Args: []cmdArg{
					{Name: "byscore", Type: argTypePureToken, Token: "BYSCORE"},
					{Name: "bylex", Type: argTypePureToken, Token: "BYLEX"},
				}},
				{Name: "rev", Type: argTypePureToken, Token: "REV", Flags: argOptional},
				argLimit,
			},
			Run: cmdZrangestore},
		&command{Name: "zremrangebyrank", Arity: 4, Flags: flagWrite, Categories: acl.SortedSet,
			KeySpecs: []keyspec.Spec{
				{Flags: keyspec.RW | keyspec.Delete, Index: 1, KeyStep: 1},
			},
			Group: "sorted-set", Since: "2.0.0", Complexity: "O(log N + M) for M members removed from a set of N.",
			Summary: "Removes the members of a sorted set within a range of positions; returns how many.",
			Args: []cmdArg{
				argKey,
				{Name: "start", Type: argTypeInteger},
				{Name: "stop", Type: argTypeInteger},
			},
			Run: cmdZremrangebyrank},
		&command{Name: "zremrangebyscore", Arity: 4, Flags: flagWrite, Categories: acl.SortedSet,
			KeySpecs: []keyspec.Spec{
				{Flags: keyspec.RW | keyspec.Delete, Index: 1, KeyStep: 1},
			},
			Group: "sorted-set", Since: "1.2.0", Complexity: "O(log N + M) for M members removed from a set of N.",
			Summary: "Removes the members of a sorted set whose scores lie within a range; returns how many.",
			Args: []cmdArg{
				argKey,
				{Name: "min", Type: argTypeDouble},
				{Name: "max", Type: argTypeDouble},
			},
			Run: cmdZremrangebyscore},
		&command{Name: "zremrangebylex", Arity: 4, Flags: flagWrite, Categories: acl.SortedSet,
			KeySpecs: []keyspec.Spec{
				{Flags: keyspec.RW | keyspec.Delete, Index: 1, KeyStep: 1},
			},
			Group: "sorted-set", Since: "2.8.9", Complexity: "O(log N + M) for M members removed from a set of N.",
			Summary: "Removes the members of a sorted set, all of one score, within a lexicographic range; returns how many.",
			Args: []cmdArg{
				argKey,
				{Name: "min", Type: argTypeString},
				{Name: "max", Type: argTypeString},
			},
			Run: cmdZremrangebylex},
		&command{Name: "zpopmin", Arity: -2, Flags: flagWrite | flagFast, Categories: acl.SortedSet,
			KeySpecs: []keyspec.Spec{
				{Flags: keyspec.RW | keyspec.Access | keyspec.Delete, Index: 1, KeyStep: 1},
			},
			Group: "sorted-set", Since: "5.0.0", Complexity: "O(M log N) for M members popped from a set of N.",
			Summary: "Removes and returns the members of a sorted set with the lowest scores.",
			Args: []cmdArg{
				argKey,
				{Name: "count", Type: argTypeInteger, Flags: argOptional},
			},
			Run: cmdZpopmin},
		&command{Name: "zpopmax", Arity: -2, Flags: flagWrite | flagFast, Categories: acl.SortedSet,
			KeySpecs: []keyspec.Spec{
				{Flags: keyspec.RW | keyspec.Access | keyspec.Delete, Index: 1, KeyStep: 1},
			},
			Group: "sorted-set", Since: "5.0.0", Complexity: "O(M log N) for M members popped from a set of N.",
			Summary: "Removes and returns the members of a sorted set with the highest scores.",
			Args: []cmdArg{
				argKey,
				{Name: "count", Type: argTypeInteger, Flags: argOptional},
			},
			Run: cmdZpopmax},
		&command{Name: "zmpop", Arity: -4, Flags: flagWrite, Categories: acl.SortedSet,
			KeySpecs: []keyspec.Spec{
				{Flags: keyspec.RW | keyspec.Access | keyspec.Delete, Index: 1, KeyNum: true, FirstKey: 1, KeyStep: 1},
			},
			GetKeys: numkeysGetKeys(0, 1, 2),
			Group:   "sorted-set", Since: "7.0.0", Complexity: "O(K + M log N) for K keys and M members popped.",
			Summary: "Removes and returns members with the lowest or highest scores from the first non-empty sorted set of several keys.",
			Args: []cmdArg{
				{Name: "numkeys", Type: argTypeInteger},
				{Name: "key", Type: argTypeKey, Flags: argMultiple},
				{Name: "where", Type: argTypeOneOf, Args: []cmdArg{
					{Name: "min", Type: argTypePureToken, Token: "MIN"},
					{Name: "max", Type: argTypePureToken, Token: "MAX"},
				}},
				{Name: "count", Type: argTypeInteger, Token: "COUNT", Flags: argOptional},
			},
			Run: cmdZmpop},
		&command{Name: "zrandmember", Arity: -2, Flags: flagReadOnly, Categories: acl.SortedSet,
			KeySpecs: ksKeyROAccess,
			Group:    "sorted-set", Since: "6.2.0", Complexity: "O(M) for M members returned.",
			Tips:    []string{"nondeterministic_output"},
			Summary: "Returns one or more random members of a sorted set, distinct or possibly repeated, optionally with scores.",
			Args: []cmdArg{
				argKey,
				{Name: "options", Type: argTypeBlock, Flags: argOptional, Args: []cmdArg{
					{Name: "count", Type: argTypeInteger},
					{Name: "withscores", Type: argTypePureToken, Token: "WITHSCORES", Flags: argOptional},
				}},
			},
			Run: cmdZrandmember},
		&command{Name: "zunion", Arity: -3, Flags: flagReadOnly, Categories: acl.SortedSet,
			KeySpecs: []keyspec.Spec{
				{Flags: keyspec.RO | keyspec.Access, Index: 1, KeyNum: true, FirstKey: 1, KeyStep: 1},
			},
			GetKeys: numkeysGetKeys(0, 1, 2),
			Group:   "sorted-set", Since: "6.2.0", Complexity: "O(N + M log M) for N input members and M in the result.",
			Summary: "Returns the union of sorted sets and sets, with weighted and aggregated scores.",
			Args: []cmdArg{
				{Name: "numkeys", Type: argTypeInteger},
				{Name: "key", Type: argTypeKey, Flags: argMultiple},
				{Name: "weight", Type: argTypeInteger, Token: "WEIGHTS", Flags: argOptional | argMultiple},
				{Name: "aggregate", Type: argTypeOneOf, Token: "AGGREGATE", Flags: argOptional, Args: []cmdArg{
					{Name: "sum", Type: argTypePureToken, Token: "SUM"},
					{Name: "min", Type: argTypePureToken, Token: "MIN"},
					{Name: "max", Type: argTypePureToken, Token: "MAX"},
				}},
				{Name: "withscores", Type: argTypePureToken, Token: "WITHSCORES", Flags: argOptional},
			},
			Run: cmdZunion},
		&command{Name: "zinter", Arity: -3, Flags: flagReadOnly, Categories: acl.SortedSet,
			KeySpecs: []keyspec.Spec{
				{Flags: keyspec.RO | keyspec.Access, Index: 1, KeyNum: true, FirstKey: 1, KeyStep: 1},
			},
			GetKeys: numkeysGetKeys(0, 1, 2),
			Group:   "sorted-set", Since: "6.2.0", Complexity: "O(N K + M log M) for K inputs of up to N members and M in the result.",
			Summary: "Returns the intersection of sorted sets and sets, with weighted and aggregated scores.",
			Args: []cmdArg{
				{Name: "numkeys", Type: argTypeInteger},
				{Name: "key", Type: argTypeKey, Flags: argMultiple},
				{Name: "weight", Type: argTypeInteger, Token: "WEIGHTS", Flags: argOptional | argMultiple},
				{Name: "aggregate", Type: argTypeOneOf, Token: "AGGREGATE", Flags: argOptional, Args: []cmdArg{
					{Name: "sum", Type: argTypePureToken, Token: "SUM"},
					{Name: "min", Type: argTypePureToken, Token: "MIN"},
					{Name: "max", Type: argTypePureToken, Token: "MAX"},
				}},
				{Name: "withscores", Type: argTypePureToken, Token: "WITHSCORES", Flags: argOptional},
			},
			Run: cmdZinter},
		&command{Name: "zdiff", Arity: -3, Flags: flagReadOnly, Categories: acl.SortedSet,
			KeySpecs: []keyspec.Spec{
				{Flags: keyspec.RO | keyspec.Access, Index: 1, KeyNum: true, FirstKey: 1, KeyStep: 1},
			},
			GetKeys: numkeysGetKeys(0, 1, 2),
			Group:   "sorted-set", Since: "6.2.0", Complexity: "O(N + M log M) for N input members and M in the result.",
			Summary: "Returns the members of the first sorted set that no later sorted set or set has.",
			Args: []cmdArg{
				{Name: "numkeys", Type: argTypeInteger},
				{Name: "key", Type: argTypeKey, Flags: argMultiple},
				{Name: "withscores", Type: argTypePureToken, Token: "WITHSCORES", Flags: argOptional},
			},
			Run: cmdZdiff},
		&command{Name: "zunionstore", Arity: -4, Flags: flagWrite | flagDenyOOM, Categories: acl.SortedSet,
			KeySpecs: []keyspec.Spec{
				{Flags: keyspec.OW | keyspec.Update, Index: 1, KeyStep: 1},
				{Flags: keyspec.RO | keyspec.Access, Index: 2, KeyNum: true, FirstKey: 1, KeyStep: 1},
			},
			GetKeys: numkeysGetKeys(1, 2, 3),
			Group:   "sorted-set", Since: "2.0.0", Complexity: "O(N + M log M) for N input members and M in the result.",
			Summary: "Stores the union of sorted sets and sets at a key, with weighted and aggregated scores; returns its size.",
			Args: []cmdArg{
				{Name: "destination", Type: argTypeKey},
				{Name: "numkeys", Type: argTypeInteger},
				{Name: "key", Type: argTypeKey, KeySpecIndex: 1, Flags: argMultiple},
				{Name: "weight", Type: argTypeInteger, Token: "WEIGHTS", Flags: argOptional | argMultiple},
				{Name: "aggregate", Type: argTypeOneOf, Token: "AGGREGATE", Flags: argOptional, Args: []cmdArg{
					{Name: "sum", Type: argTypePureToken, Token: "SUM"},
					{Name: "min", Type: argTypePureToken, Token: "MIN"},
					{Name: "max", Type: argTypePureToken, Token: "MAX"},
				}},
			},
			Run: cmdZunionstore},
		&command{Name: "zinterstore", Arity: -4, Flags: flagWrite | flagDenyOOM, Categories: acl.SortedSet,
			KeySpecs: []keyspec.Spec{
				{Flags: keyspec.OW | keyspec.Update, Index: 1, KeyStep: 1},
				{Flags: keyspec.RO | keyspec.Access, Index: 2, KeyNum: true, FirstKey: 1, KeyStep: 1},
			},
			GetKeys: numkeysGetKeys(1, 2, 3),
			Group:   "sorted-set", Since: "2.0.0", Complexity: "O(N K + M log M) for K inputs of up to N members and M in the result.",
			Summary: "Stores the intersection of sorted sets and sets at a key, with weighted and aggregated scores; returns its size.",
			Args: []cmdArg{
				{Name: "destination", Type: argTypeKey},
				{Name: "numkeys", Type: argTypeInteger},
				{Name: "key", Type: argTypeKey, KeySpecIndex: 1, Flags: argMultiple},
				{Name: "weight", Type: argTypeInteger, Token: "WEIGHTS", Flags: argOptional | argMultiple},
				{Name: "aggregate", Type: argTypeOneOf, Token: "AGGREGATE", Flags: argOptional, Args: []cmdArg{
					{Name: "sum", Type: argTypePureToken, Token: "SUM"},
					{Name: "min", Type: argTypePureToken, Token: "MIN"},
					{Name: "max", Type: argTypePureToken, Token: "MAX"},
				}},
			},
			Run: cmdZinterstore},
		&command{Name: "zdiffstore", Arity: -4, Flags: flagWrite | flagDenyOOM, Categories: acl.SortedSet,
			KeySpecs: []keyspec.Spec{
				{Flags: keyspec.OW | keyspec.Update, Index: 1, KeyStep: 1},
				{Flags: keyspec.RO | keyspec.Access, Index: 2, KeyNum: true, FirstKey: 1, KeyStep: 1},
			},
			GetKeys: numkeysGetKeys(1, 2, 3),
			Group:   "sorted-set", Since: "6.2.0", Complexity: "O(N + M log M) for N input members and M in the result.",
			Summary: "Stores at a key the members of the first sorted set that no later one has; returns its size.",
			Args: []cmdArg{
				{Name: "destination", Type: argTypeKey},
				{Name: "numkeys", Type: argTypeInteger},
				{Name: "key", Type: argTypeKey, KeySpecIndex: 1, Flags: argMultiple},
			},
			Run: cmdZdiffstore},
		&command{Name: "zintercard", Arity: -3, Flags: flagReadOnly, Categories: acl.SortedSet,
			KeySpecs: []keyspec.Spec{
				{Flags: keyspec.RO | keyspec.Access, Index: 1, KeyNum: true, FirstKey: 1, KeyStep: 1},
			},
			GetKeys: numkeysGetKeys(0, 1, 2),
			Group:   "sorted-set", Since: "7.0.0", Complexity: "O(N K) for K inputs of up to N members.",
			Summary: "Counts the members the intersection of sorted sets and sets would have, optionally stopping at a limit.",
			Args: []cmdArg{
				{Name: "numkeys", Type: argTypeInteger},
				{Name: "key", Type: argTypeKey, Flags: argMultiple},
				{Name: "limit", Type: argTypeInteger, Token: "LIMIT", Flags: argOptional},
			},
			Run: cmdZintercard},
		&command{Name: "zscan", Arity: -3, Flags: flagReadOnly, Categories: acl.SortedSet,
			KeySpecs: ksKeyROAccess,
			Group:    "sorted-set", Since: "2.8.0", Complexity: "O(1) per call; O(N) for a whole iteration of N members.",
			Tips:    []string{"nondeterministic_output"},
			Summary: "Iterates over the members and scores of a sorted set, a batch per call, from a cursor.",
			Args: []cmdArg{
				argKey,
				{Name: "cursor", Type: argTypeInteger},
				{Name: "pattern", Type: argTypePattern, Token: "MATCH", Flags: argOptional},
				{Name: "count", Type: argTypeInteger, Token: "COUNT", Flags: argOptional},
			},
			Run: cmdZscan},
	)
}

// Reply texts of the sorted set commands.
const (
	msgZNaN             = "ERR resulting score is not a number (NaN)"
	msgZXXAndNX         = "ERR XX and NX options at the same time are not compatible"
	msgZGTLTNX          = "ERR GT, LT, and/or NX options at the same time are not compatible"
	msgZIncrPair        = "ERR INCR option supports a single increment-element pair"
	msgZMinMaxNotFloat  = "ERR min or max is not a float"
	msgZMinMaxNotString = "ERR min or max not valid string range item"
	msgZLimitRank       = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
	msgZWithscoresLex   = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
	msgZAtLeastOneKey   = "ERR at least 1 input key is needed for '%s' command"
	msgZWeightNotFloat  = "ERR weight value is not a float"
	msgZLimitNegative   = "ERR LIMIT can't be negative"
	msgValueOutOfRange  = "ERR value is out of range"
	msgMustBePositive   = "ERR value is out of range, must be positive"
)

// isCSpace reports whether b is a space for C's isspace.
func isCSpace(b byte) bool {
	return b == ' ' || (b >= '\t' && b <= '\r')
}

// validStrtod reports whether s, all of it, is a number glibc's strtod
// reads whole: an optional sign, then "inf", "infinity" or "nan" (any
// case, nan with an optional parenthesised tail), a decimal with optional
// point and exponent, or a hexadecimal with optional point and binary
// exponent. isNaN reports a NaN text; hex a hexadecimal one without an
// exponent; nonzero whether a mantissa digit is not zero.
func validStrtod(s []byte) (ok, isNaN, hexNoExp, nonzero bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	rest := s[i:]
	if len(rest) > 0 && (rest[0] == 'i' || rest[0] == 'I' || rest[0] == 'n' || rest[0] == 'N') {
		switch {
		case equalLower(rest, "inf"), equalLower(rest, "infinity"):
			return true, false, false, true
		case equalLower(rest, "nan"):
			return true, true, false, false
		case len(rest) > 4 && equalLower(rest[:4], "nan(") && rest[len(rest)-1] == ')':
			for _, c := range rest[4 : len(rest)-1] {
				if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
					return false, false, false, false
				}
			}
			return true, true, false, false
		}
		return false, false, false, false
	}
	hex := len(rest) > 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X')
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	if hex {
		rest = rest[2:]
		isDigit = func(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
	}
	digits, j := 0, 0
	for j < len(rest) && isDigit(rest[j]) {
		nonzero = nonzero || rest[j] != '0'
		digits++
		j++
	}
	if j < len(rest) && rest[j] == '.' {
		j++
		for j < len(rest) && isDigit(rest[j]) {
			nonzero = nonzero || rest[j] != '0'
			digits++
			j++
		}
	}
	if digits == 0 {
		return false, false, false, false
	}
	if j == len(rest) {
		return true, false, hex, nonzero
	}
	if e := rest[j]; (!hex && (e == 'e' || e == 'E')) || (hex && (e == 'p' || e == 'P')) {
		j++
		if j < len(rest) && (rest[j] == '+' || rest[j] == '-') {
			j++
		}
		n := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
			n++
		}
		return n > 0 && j == len(rest), false, false, nonzero
	}
	return false, false, false, false
}

// strtodValue converts a text validStrtod accepted (not NaN) to the double
// strtod returns: overflow gives an infinity and underflow a zero or
// subnormal, with erange set in both cases, as glibc sets ERANGE.
func strtodValue(s []byte, hexNoExp, nonzero bool) (f float64, erange bool) {
	t := string(s)
	if hexNoExp {
		t += "p0"
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil && !math.IsInf(f, 0) {
		return 0, false // cannot happen for a validated text
	}
	if err != nil {
		return f, true
	}
	if f == 0 && nonzero {
		return f, true
	}
	return f, false
}

// parseScore parses a score or weight as Redis's string2d: the whole
// argument is a strtod number, with no leading space, not NaN, neither
// overflowing nor underflowing to zero.
func parseScore(b []byte) (float64, bool) {
	if len(b) == 0 || isCSpace(b[0]) {
		return 0, false
	}
	ok, isNaN, hexNoExp, nonzero := validStrtod(b)
	if !ok || isNaN {
		return 0, false
	}
	f, erange := strtodValue(b, hexNoExp, nonzero)
	if erange && (math.IsInf(f, 0) || f == 0) {
		return 0, false
	}
	return f, true
}

// parseStrtodLoose parses a range bound as zslParseRange's bare strtod: the
// text up to a NUL byte, leading spaces skipped, must be read whole, an
// empty one being 0; overflow and underflow are accepted; NaN is not.
func parseStrtodLoose(b []byte) (float64, bool) {
	f, _, _, ok := cStrtod(b)
	return f, ok
}

// cStrtod reads b as C's strtod reads a string that must be consumed
// whole: the text up to a NUL byte, leading spaces skipped, an empty text
// being 0. ok is false for text strtod would not read whole and for NaN;
// erange says the value overflowed or underflowed (strtod's ERANGE, before
// glibc's exactness rule for subnormals). num is the text of the number,
// without the spaces.
func cStrtod(b []byte) (f float64, num []byte, erange, ok bool) {
	b = cBytes(b)
	if len(b) == 0 {
		return 0, b, false, true
	}
	i := 0
	for i < len(b) && isCSpace(b[i]) {
		i++
	}
	b = b[i:]
	valid, isNaN, hexNoExp, nonzero := validStrtod(b)
	if !valid || isNaN {
		return 0, b, false, false
	}
	f, erange = strtodValue(b, hexNoExp, nonzero)
	return f, b, erange, true
}

// parseScoreBound parses one end of a score range: "(" makes it exclusive.
func parseScoreBound(b []byte) (store.ScoreBound, bool) {
	var sb store.ScoreBound
	if len(b) > 0 && b[0] == '(' {
		sb.Excl = true
		b = b[1:]
	}
	f, ok := parseStrtodLoose(b)
	sb.Value = f
	return sb, ok
}

// parseScoreRange parses min and max as zslParseRange, replying on error.
func (c *client) parseScoreRange(min, max []byte) (*store.ScoreRange, bool) {
	lo, ok1 := parseScoreBound(min)
	hi, ok2 := parseScoreBound(max)
	if !ok1 || !ok2 {
		c.writeErrorReply(msgZMinMaxNotFloat)
		return nil, false
	}
	return &store.ScoreRange{Min: lo, Max: hi}, true
}

// parseLexBound parses one end of a lexicographic range as
// zslParseLexRangeItem: "+", "-", or "(" or "[" before a member.
func parseLexBound(b []byte) (store.LexBound, bool) {
	if len(b) == 0 {
		return store.LexBound{}, false
	}
	switch b[0] {
	case '+':
		return store.LexBound{Inf: 1, Excl: true}, len(b) == 1
	case '-':
		return store.LexBound{Inf: -1, Excl: true}, len(b) == 1
	case '(':
		return store.LexBound{Value: b[1:], Excl: true}, true
	case '[':
		return store.LexBound{Value: b[1:]}, true
	}
	return store.LexBound{}, false
}

// parseLexRange parses min and max as zslParseLexRange, replying on error.
func (c *client) parseLexRange(min, max []byte) (*store.LexRange, bool) {
	lo, ok1 := parseLexBound(min)
	hi, ok2 := parseLexBound(max)
	if !ok1 || !ok2 {
		c.writeErrorReply(msgZMinMaxNotString)
		return nil, false
	}
	return &store.LexRange{Min: lo, Max: hi}, true
}

// writeScoredHeader starts a reply of n members, flat with their scores in
// RESP2 (2n items), nested pairs in RESP3.
func (c *client) writeScoredHeader(n int, withScores bool) {
	if withScores && c.proto == 2 {
		c.WriteArray(2 * n)
	} else {
		c.WriteArray(n)
	}
}

// writeScored writes one member of a reply writeScoredHeader started.
func (c *client) writeScored(m []byte, s float64, withScores bool) {
	if withScores && c.proto > 2 {
		c.WriteArray(2)
	}
	c.WriteBulk(m)
	if withScores {
		c.WriteDouble(s)
	}
}

func (c *client) zsetError(err error) {
	if err == store.ErrScoreNaN {
		c.writeErrorReply(msgZNaN)
		return
	}
	c.storeError(err)
}

// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member …]
func cmdZadd(c *client, args [][]byte) { zaddGeneric(c, args, false) }

// ZINCRBY key increment member
func cmdZincrby(c *client, args [][]byte) { zaddGeneric(c, args, true) }

func zaddGeneric(c *client, args [][]byte, incr bool) {
	var f store.ZAddFlags
	f.Incr = incr
	ch := false
	i := 2
	for ; i < len(args); i++ {
		a := args[i]
		switch {
		case isOpt(a, "nx"):
			f.NX = true
		case isOpt(a, "xx"):
			f.XX = true
		case isOpt(a, "ch"):
			ch = true
		case isOpt(a, "incr"):
			f.Incr = true
		case isOpt(a, "gt"):
			f.GT = true
		case isOpt(a, "lt"):
			f.LT = true
		default:
			goto done
		}
	}
done:
	elements := len(args) - i
	if elements%2 != 0 || elements == 0 {
		c.writeErrorReply(msgSyntax)
		return
	}
	elements /= 2
	switch {
	case f.NX && f.XX:
		c.writeErrorReply(msgZXXAndNX)
		return
	case (f.GT && f.NX) || (f.LT && f.NX) || (f.GT && f.LT):
		c.writeErrorReply(msgZGTLTNX)
		return
	case f.Incr && elements > 1:
		c.writeErrorReply(msgZIncrPair)
		return
	}
	members := make([]store.ScoredMember, elements)
	for j := range members {
		s, ok := parseScore(args[i+2*j])
		if !ok {
			c.writeErrorReply(msgNotFloat)
			return
		}
		members[j] = store.ScoredMember{Member: args[i+2*j+1], Score: s}
	}
	res, err := c.db.ZAdd(args[1], members, f)
	if err != nil {
		c.zsetError(err)
		return
	}
	switch {
	case f.Incr && res.Processed > 0:
		c.WriteDouble(res.Score)
	case f.Incr:
		c.WriteNull()
	case ch:
		c.WriteInt(int64(res.Added + res.Updated))
	default:
		c.WriteInt(int64(res.Added))
	}
}

func cmdZrem(c *client, args [][]byte) {
	n, err := c.db.ZRem(args[1], args[2:])
	if err != nil {
		c.storeError(err)
		return
	}
	c.WriteInt(int64(n))
}

func cmdZscore(c *client, args [][]byte) {
	s, ok, err := c.db.ZScore(args[1], args[2])
	switch {
	case err != nil:
		c.storeError(err)
	case !ok:
		c.WriteNull()
	default:
		c.WriteDouble(s)
	}
}

func cmdZmscore(c *client, args [][]byte) {
	scores, ok, err := c.db.ZMScore(args[1], args[2:])
	if err != nil {
		c.storeError(err)
		return
	}
	c.WriteArray(len(scores))
	for i, s := range scores {
		if ok[i] {
			c.WriteDouble(s)
		} else {
			c.WriteNull()
		}
	}
}

func cmdZcard(c *client, args [][]byte) {
	n, err := c.db.ZCard(args[1])
	if err != nil {
		c.storeError(err)
		return
	}
	c.WriteInt(int64(n))
}

func cmdZcount(c *client, args [][]byte) {
	r, ok := c.parseScoreRange(args[2], args[3])
	if !ok {
		return
	}
	n, err := c.db.ZCount(args[1], *r)
	if err != nil {
		c.storeError(err)
		return
	}
	c.WriteInt(int64(n))
}

func cmdZlexcount(c *client, args [][]byte) {
	r, ok := c.parseLexRange(args[2], args[3])
	if !ok {
		return
	}
	n, err := c.db.ZLexCount(args[1], *r)
	if err != nil {
		c.storeError(err)
		return
	}
	c.WriteInt(int64(n))
}

func cmdZrank(c *client, args [][]byte)    { zrankGeneric(c, args, false) }
func cmdZrevrank(c *client, args [][]byte) { zrankGeneric(c, args, true) }

func zrankGeneric(c *client, args [][]byte, rev bool) {
	r, ok, err := c.db.ZRank(args[1], args[2], rev)
	switch {
	case err != nil:
		c.storeError(err)
	case !ok:
		c.WriteNull()
	default:
		c.WriteInt(int64(r))
	}
}

// zrangeKind is how a ZRANGE selects: by rank, score or member.
type zrangeKind uint8

const (
	zrangeAuto zrangeKind = iota
	zrangeRank
	zrangeScore
	zrangeLex
)

// zrangeDir is the walking direction a command fixes, or auto (REV may
// choose it).
type zrangeDir uint8

const (
	zdirAuto zrangeDir = iota
	zdirForward
	zdirReverse
)

// parseZRange parses a ZRANGE-family command whose source key is at
// args[at], followed by its min and max and the options, as Redis's
// zrangeGenericCommand does, replying on error. store forbids WITHSCORES
// (ZRANGESTORE).
func (c *client) parseZRange(args [][]byte, at int, store_ bool, kind zrangeKind, dir zrangeDir) (spec store.ZRangeSpec, withScores, ok bool) {
	minIdx, maxIdx := at+1, at+2
	var offset, limit int64 = 0, -1
	for j := at + 3; j < len(args); j++ {
		left := len(args) - j - 1
		a := args[j]
		switch {
		case !store_ && isOpt(a, "withscores"):
			withScores = true
		case isOpt(a, "limit") && left >= 2:
			var ok1, ok2 bool
			if offset, ok1 = c.argInt(args[j+1]); !ok1 {
				return spec, false, false
			}
			if limit, ok2 = c.argInt(args[j+2]); !ok2 {
				return spec, false, false
			}
			j += 2
		case dir == zdirAuto && isOpt(a, "rev"):
			dir = zdirReverse
		case kind == zrangeAuto && isOpt(a, "bylex"):
			kind = zrangeLex
		case kind == zrangeAuto && isOpt(a, "byscore"):
			kind = zrangeScore
		default:
			c.writeErrorReply(msgSyntax)
			return spec, false, false
		}
	}
	if dir == zdirAuto {
		dir = zdirForward
	}
	if kind == zrangeAuto {
		kind = zrangeRank
	}
	if limit != -1 && kind == zrangeRank {
		c.writeErrorReply(msgZLimitRank)
		return spec, false, false
	}
	if withScores && kind == zrangeLex {
		c.writeErrorReply(msgZWithscoresLex)
		return spec, false, false
	}
	spec.Rev = dir == zdirReverse
	if spec.Rev && kind != zrangeRank {
		minIdx, maxIdx = maxIdx, minIdx
	}
	switch kind {
	case zrangeRank:
		var ok1 bool
		if spec.Start, ok1 = c.argInt(args[minIdx]); !ok1 {
			return spec, false, false
		}
		if spec.Stop, ok1 = c.argInt(args[maxIdx]); !ok1 {
			return spec, false, false
		}
	case zrangeScore:
		r, ok1 := c.parseScoreRange(args[minIdx], args[maxIdx])
		if !ok1 {
			return spec, false, false
		}
		spec.Score = r
	case zrangeLex:
		r, ok1 := c.parseLexRange(args[minIdx], args[maxIdx])
		if !ok1 {
			return spec, false, false
		}
		spec.Lex = r
	}
	spec.Offset, spec.Limit = offset, limit
	return spec, withScores, true
}

// zrangeReply runs a parsed ZRANGE-family read and writes its reply.
func zrangeReply(c *client, key []byte, spec store.ZRangeSpec, withScores bool) {
	err := c.db.ZRange(key, spec, func(n int) { c.writeScoredHeader(n, withScores) }, func(m []byte, s float64) {
		c.writeScored(m, s, withScores)
	})
	if err != nil {
		c.storeError(err)
	}
}

func zrangeCommand(c *client, args [][]byte, kind zrangeKind, dir zrangeDir) {
	spec, withScores, ok := c.parseZRange(args, 1, false, kind, dir)
	if ok {
		zrangeReply(c, args[1], spec, withScores)
	}
}

func cmdZrange(c *client, args [][]byte) { zrangeCommand(c, args, zrangeAuto, zdirAuto) }
func cmdZrangebyscore(c *client, args [][]byte) {
	zrangeCommand(c, args, zrangeScore, zdirForward)
}
func cmdZrevrangebyscore(c *client, args [][]byte) {
	zrangeCommand(c, args, zrangeScore, zdirReverse)
}
func cmdZrangebylex(c *client, args [][]byte) { zrangeCommand(c, args, zrangeLex, zdirForward) }
func cmdZrevrangebylex(c *client, args [][]byte) {
	zrangeCommand(c, args, zrangeLex, zdirReverse)
}
func cmdZrevrange(c *client, args [][]byte) { zrangeCommand(c, args, zrangeRank, zdirReverse) }

// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
func cmdZrangestore(c *client, args [][]byte) {
	spec, _, ok := c.parseZRange(args, 2, true, zrangeAuto, zdirAuto)
	if !ok {
		return
	}
	n, err := c.db.ZRangeStore(args[1], args[2], spec)
	if err != nil {
		c.storeError(err)
		return
	}
	c.WriteInt(int64(n))
}

func zremrangeCommand(c *client, args [][]byte, kind zrangeKind) {
	var spec store.ZRangeSpec
	var ok bool
	switch kind {
	case zrangeRank:
		if spec.Start, ok = c.argInt(args[2]); !ok {
			return
		}
		if spec.Stop, ok = c.argInt(args[3]); !ok {
			return
		}
	case zrangeScore:
		if spec.Score, ok = c.parseScoreRange(args[2], args[3]); !ok {
			return
		}
	case zrangeLex:
		if spec.Lex, ok = c.parseLexRange(args[2], args[3]); !ok {
			return
		}
	}
	n, err := c.db.ZRemRange(args[1], spec)
	if err != nil {
		c.storeError(err)
		return
	}
	c.WriteInt(int64(n))
}

func cmdZremrangebyrank(c *client, args [][]byte)  { zremrangeCommand(c, args, zrangeRank) }
func cmdZremrangebyscore(c *client, args [][]byte) { zremrangeCommand(c, args, zrangeScore) }
func cmdZremrangebylex(c *client, args [][]byte)   { zremrangeCommand(c, args, zrangeLex) }

func cmdZpopmin(c *client, args [][]byte) { zpopCommand(c, args, false) }
func cmdZpopmax(c *client, args [][]byte) { zpopCommand(c, args, true) }

// ZPOPMIN|ZPOPMAX key [count]
func zpopCommand(c *client, args [][]byte, max bool) {
	if len(args) > 3 {
		c.writeErrorReply(msgSyntax)
		return
	}
	count := int64(-1)
	if len(args) == 3 {
		var ok bool
		if count, ok = c.argRange(args[2], 0, math.MaxInt64, msgMustBePositive); !ok {
			return
		}
	}
	nested := c.proto > 2 && count != -1
	if count == 0 {
		// Redis looks the key up for writing (and type-checks it)
		// before it answers a count of 0 with an empty array.
		if _, err := c.db.ZPop(args[1], max, 0); err != nil {
			c.storeError(err)
			return
		}
		c.WriteArray(0)
		return
	}
	if count == -1 {
		count = 1
	}
	popped, err := c.db.ZPop(args[1], max, int(min(count, math.MaxInt32)))
	if err != nil {
		c.storeError(err)
		return
	}
	if nested {
		c.WriteArray(len(popped))
	} else {
		c.WriteArray(2 * len(popped))
	}
	for _, p := range popped {
		if nested {
			c.WriteArray(2)
		}
		c.WriteBulk(p.Member)
		c.WriteDouble(p.Score)
	}
}

// zmpopArgs is what ZMPOP (and BZMPOP) asks: the keys in order, which end
// to pop from, and how many members at most.
type zmpopArgs struct {
	keys  [][]byte
	max   bool
	count int64
}

// parseZMPop parses "numkeys key [key …] MIN|MAX [COUNT count]" starting
// at args[numkeysIdx] (1 for ZMPOP, 2 for BZMPOP, whose timeout comes
// first), as Redis's zmpopGenericCommand, and replies with its error on
// failure: numkeys must be a positive integer (else "numkeys should be
// greater than 0"), the keys and MIN or MAX must follow (else a syntax
// error), then at most one COUNT with a positive count (else "count should
// be greater than 0"). The count defaults to 1. Nothing is looked up.
func (c *client) parseZMPop(args [][]byte, numkeysIdx int) (zmpopArgs, bool) {
	keys, isMax, count, ok := c.parseMPop(args, numkeysIdx, "min", "max")
	return zmpopArgs{keys: keys, max: isMax, count: count}, ok
}

// writeZMPopReply writes ZMPOP's and BZMPOP's reply for members popped
// from key: [key, [[member, score] …]] in both protocols.
func (c *client) writeZMPopReply(key []byte, popped []store.ScoredMember) {
	c.WriteArray(2)
	c.WriteBulk(key)
	c.WriteArray(len(popped))
	for _, p := range popped {
		c.WriteArray(2)
		c.WriteBulk(p.Member)
		c.WriteDouble(p.Score)
	}
}

// ZMPOP numkeys key [key …] MIN|MAX [COUNT count]
func cmdZmpop(c *client, args [][]byte) {
	z, ok := c.parseZMPop(args, 1)
	if !ok {
		return
	}
	for _, k := range z.keys {
		popped, err := c.db.ZPop(k, z.max, int(min(z.count, math.MaxInt32)))
		if err != nil {
			c.storeError(err)
			return
		}
		if popped != nil {
			c.writeZMPopReply(k, popped)
			return
		}
	}
	c.WriteNullArray()
}

// ZRANDMEMBER key [count [WITHSCORES]]
func cmdZrandmember(c *client, args [][]byte) {
	if len(args) == 2 {
		sm, ok, err := c.db.ZRandMember(args[1])
		switch {
		case err != nil:
			c.storeError(err)
		case !ok:
			c.WriteNull()
		default:
			c.WriteBulk(sm.Member)
		}
		return
	}
	l, ok := c.argRange(args[2], -math.MaxInt64, math.MaxInt64, "")
	if !ok {
		return
	}
	withScores := false
	if len(args) > 4 || (len(args) == 4 && !isOpt(args[3], "withscores")) {
		c.writeErrorReply(msgSyntax)
		return
	}
	if len(args) == 4 {
		withScores = true
		if l < -math.MaxInt64/2 || l > math.MaxInt64/2 {
			c.writeErrorReply(msgValueOutOfRange)
			return
		}
	}
	var drawn int64
	err := c.db.ZRandMembers(args[1], l, func(n int64) { c.writeScoredHeader(int(n), withScores) },
		func(m []byte, sc float64) bool {
			c.writeScored(m, sc, withScores)
			// A reply cut short closes the connection after it (replyCut).
			drawn++
			return drawn&1023 != 0 || !c.replyCut(drawn)
		})
	if err != nil {
		c.storeError(err)
	}
}

// zsetOpCommand runs ZUNION, ZINTER, ZDIFF (dst nil, numkeys at 1), their
// STORE forms (dst at 1, numkeys at 2) and ZINTERCARD (card) as Redis's
// zunionInterDiffGenericCommand: numkeys, then the keys are looked up and
// type-checked, then the options are parsed.
// zstoreEvents are the keyspace events of ZUNIONSTORE, ZINTERSTORE and
// ZDIFFSTORE, by operation.
var zstoreEvents = [...]string{store.ZUnion: "zunionstore", store.ZInter: "zinterstore", store.ZDiff: "zdiffstore"}

func zsetOpCommand(c *client, args [][]byte, op store.ZSetOp, numkeysIdx int, dst []byte, card bool) {
	setnum, ok := c.argInt(args[numkeysIdx])
	if !ok {
		return
	}
	if setnum < 1 {
		c.writeErrorReply(fmt.Sprintf(msgZAtLeastOneKey, c.lastCmd.Load().fullName))
		return
	}
	if setnum > int64(len(args)-numkeysIdx-1) {
		c.writeErrorReply(msgSyntax)
		return
	}
	n := int(setnum)
	keys := args[numkeysIdx+1 : numkeysIdx+1+n]
	src, err := c.db.ZOpen(keys)
	if err != nil {
		c.storeError(err)
		return
	}
	var weights []float64
	agg := store.ZAggSum
	withScores := false
	var limit int64
	for j := numkeysIdx + 1 + n; j < len(args); {
		remaining := len(args) - j
		a := args[j]
		switch {
		case op != store.ZDiff && !card && remaining >= n+1 && isOpt(a, "weights"):
			j++
			weights = make([]float64, n)
			for i := range weights {
				w, ok := parseScore(args[j])
				if !ok {
					c.writeErrorReply(msgZWeightNotFloat)
					return
				}
				weights[i] = w
				j++
			}
		case op != store.ZDiff && !card && remaining >= 2 && isOpt(a, "aggregate"):
			switch b := args[j+1]; {
			case isOpt(b, "sum"):
				agg = store.ZAggSum
			case isOpt(b, "min"):
				agg = store.ZAggMin
			case isOpt(b, "max"):
				agg = store.ZAggMax
			default:
				c.writeErrorReply(msgSyntax)
				return
			}
			j += 2
		case dst == nil && !card && isOpt(a, "withscores"):
			withScores = true
			j++
		case card && remaining >= 2 && isOpt(a, "limit"):
			if limit, ok = c.argRange(args[j+1], 0, math.MaxInt64, msgZLimitNegative); !ok {
				return
			}
			j += 2
		default:
			c.writeErrorReply(msgSyntax)
			return
		}
	}
	if card {
		c.WriteInt(src.ZInterCard(limit))
		return
	}
	res := src.ZCombine(op, weights, agg)
	if dst != nil {
		n := c.db.ZStore(dst, res)
		c.db.NotifyStored(store.EventZset, zstoreEvents[op], dst, n)
		c.WriteInt(int64(n))
		return
	}
	c.writeScoredHeader(len(res), withScores)
	for _, sm := range res {
		c.writeScored(sm.Member, sm.Score, withScores)
	}
}

func cmdZunion(c *client, args [][]byte) { zsetOpCommand(c, args, store.ZUnion, 1, nil, false) }
func cmdZinter(c *client, args [][]byte) { zsetOpCommand(c, args, store.ZInter, 1, nil, false) }
func cmdZdiff(c *client, args [][]byte)  { zsetOpCommand(c, args, store.ZDiff, 1, nil, false) }
func cmdZunionstore(c *client, args [][]byte) {
	zsetOpCommand(c, args, store.ZUnion, 2, args[1], false)
}
func cmdZinterstore(c *client, args [][]byte) {
	zsetOpCommand(c, args, store.ZInter, 2, args[1], false)
}
func cmdZdiffstore(c *client, args [][]byte) {
	zsetOpCommand(c, args, store.ZDiff, 2, args[1], false)
}
func cmdZintercard(c *client, args [][]byte) { zsetOpCommand(c, args, store.ZInter, 1, nil, true) }

// ZSCAN key cursor [MATCH pattern] [COUNT count]
func cmdZscan(c *client, args [][]byte) {
	// As in Redis, the cursor is checked first, then the key, and the
	// options only when there is a sorted set to scan: a missing key
	// gives the empty scan and another type WRONGTYPE whatever follows.
	// The scan's own lookup counts the keyspace hit or miss, once.
	if _, ok := parseCursor(args[2]); !ok {
		c.writeErrorReply(msgInvalidCursor)
		return
	}
	sc := collectionScan{count: 10}
	if c.db.TypeForWrite(args[1]) == store.TypeZSet {
		var ok bool
		if sc, ok = c.parseCollectionScan(args); !ok {
			return
		}
	}
	type item struct {
		m []byte
		s float64
	}
	var items []item
	next, lp, err := c.db.ZScan(args[1], sc.cursor, sc.count, func(m []byte, s float64) {
		if sc.match == nil || glob.Match(sc.match, m, false) {
			items = append(items, item{m, s})
		}
	})
	if err != nil {
		c.storeError(err)
		return
	}
	c.WriteArray(2)
	var buf [32]byte
	c.WriteBulk(strconv.AppendUint(buf[:0], next, 10))
	c.WriteArray(2 * len(items))
	for _, it := range items {
		c.WriteBulk(it.m)
		if lp {
			c.WriteBulk(store.AppendListpackScore(buf[:0], it.s))
		} else {
			c.WriteBulk(formatLongDoubleAuto(buf[:0], it.s))
		}
	}
}

// formatLongDoubleAuto formats a score as Redis's ld2string in its default
// mode for a double: %.17g with "inf", "-inf" and "-0".
func formatLongDoubleAuto(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	return strconv.AppendFloat(dst, f, 'g', 17, 64)
}

// cAtoi reads b as C's atoi does with glibc: leading spaces, a sign and
// digits, stopping at anything else (0 if there are none); a value past
// the long range is clamped, then truncated to an int as C converts it.
func cAtoi(b []byte) int {
	i := 0
	for i < len(b) && isCSpace(b[i]) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	var v uint64
	over := false
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if v > (math.MaxUint64-9)/10 {
			over = true
			continue
		}
		v = v*10 + uint64(b[i]-'0')
	}
	var l int64
	switch {
	case !neg && (over || v > math.MaxInt64):
		l = math.MaxInt64
	case neg && (over || v > 1<<63):
		l = math.MinInt64
	case neg:
		l = -int64(v)
	default:
		l = int64(v)
	}
	return int(int32(l))
}

// numkeysGetKeys returns Redis's genericGetKeys for a command whose key
// count is at countOfs, its keys from firstOfs on, and (storeOfs > 0) a
// destination key at storeOfs, listed last. COMMAND GETKEYS falls back to
// it when the key specs cannot read the count (numkeys "1.5" is 1 here).
func numkeysGetKeys(storeOfs, countOfs, firstOfs int) func(args [][]byte) ([]int, error) {
	return func(args [][]byte) ([]int, error) {
		if countOfs >= len(args) {
			return nil, nil
		}
		num := cAtoi(args[countOfs])
		if num < 1 || num > len(args)-firstOfs {
			return nil, nil
		}
		pos := make([]int, 0, num+1)
		for i := 0; i < num; i++ {
			pos = append(pos, firstOfs+i)
		}
		if storeOfs > 0 {
			pos = append(pos, storeOfs)
		}
		return pos, nil
	}
}
