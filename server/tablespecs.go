package server

import "github.com/redoubt-db/redoubt/internal/keyspec"

// Key specs and argument docs that several command groups share. Table
// entries point at these rather than at copies of them: nothing changes a
// key spec or an argument once the table is built, so sharing is safe.

// Specs of a single key at argument 1, named after their flags.
var (
	ksKeyRO             = []keyspec.Spec{{Flags: keyspec.RO, Index: 1, KeyStep: 1}}
	ksKeyROAccess       = []keyspec.Spec{{Flags: keyspec.RO | keyspec.Access, Index: 1, KeyStep: 1}}
	ksKeyRWUpdate       = []keyspec.Spec{{Flags: keyspec.RW | keyspec.Update, Index: 1, KeyStep: 1}}
	ksKeyRWAccessUpdate = []keyspec.Spec{{Flags: keyspec.RW | keyspec.Access | keyspec.Update, Index: 1, KeyStep: 1}}
)

// Key arguments, for COMMAND DOCS.
var (
	argKey     = cmdArg{Name: "key", Type: argTypeKey}
	argsOneKey = []cmdArg{argKey}
	argsKeys   = []cmdArg{{Name: "key", Type: argTypeKey, Flags: argMultiple}}
)

// argLimit is the optional "LIMIT offset count" block of the range commands
// (ZRANGEBYSCORE, ZRANGEBYLEX, ZRANGE…).
var argLimit = cmdArg{Name: "offset_count", Type: argTypeBlock, Token: "LIMIT", Flags: argOptional, Args: []cmdArg{
	{Name: "offset", Type: argTypeInteger},
	{Name: "count", Type: argTypeInteger},
}}
