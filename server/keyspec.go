package server

import "github.com/redoubt-db/redoubt/internal/num"

// Key extraction: which arguments of a command line are keys, and what the
// command does with each. COMMAND GETKEYS and GETKEYSANDFLAGS report it, and
// ACL key checks will enforce permissions on exactly these arguments, so it
// follows Redis 7.0's getKeysFromCommandWithSpecs (src/db.c) step by step.
// Every index is checked against the argument count before it is used, and
// nothing is sized from a client-supplied count: Redis's own version of this
// code is where CVE-2023-36824 (a heap overflow reachable through ACL key
// checks and COMMAND GETKEYS) lived.

// KeyRef is one key argument of a command line: its index in the arguments
// (0 is the command name) and what the command does with the key.
type KeyRef struct {
	Pos   int
	Flags KeyFlags
}

// Keys returns the key arguments of args, a whole command line for cmd
// (args[0] is the command name; for a subcommand args[1] is its name), in
// the order COMMAND GETKEYS lists them. It does not check the arity.
//
// As in Redis, the key specs decide when the command has at least one spec
// that is not "not_key" and none with variable flags; if they fail (a key
// count that is not a number, too few arguments, an incomplete spec), GetKeys
// decides. An empty result means that the arguments name no keys, or that
// they are malformed; the command itself then replies with an error, unless
// it has NoMandatoryKeys.
func (cmd *Command) Keys(args [][]byte) []KeyRef {
	return cmd.appendKeys(nil, args)
}

// appendKeys is Keys appending to dst, so that callers on a hot path (ACL
// checks) can reuse a buffer.
func (cmd *Command) appendKeys(dst []KeyRef, args [][]byte) []KeyRef {
	start := len(dst)
	hasKeySpec, varFlags := false, false
	for i := range cmd.KeySpecs {
		hasKeySpec = hasKeySpec || cmd.KeySpecs[i].Flags&KeyNotKey == 0
		varFlags = varFlags || cmd.KeySpecs[i].Flags&KeyVariableFlags != 0
	}
	if hasKeySpec && !varFlags {
		if keys, ok := cmd.appendSpecKeys(dst, args); ok {
			return keys
		}
		dst = dst[:start]
	}
	if varFlags && cmd.GetKeys == nil {
		// Redis finds these keys with a per-command procedure, because their
		// flags depend on the arguments; the positions are the specs'.
		keys, ok := cmd.appendSpecKeys(dst, args)
		if !ok {
			return dst[:start]
		}
		if flagsOf := variableKeyFlags[cmd.topName()]; flagsOf != nil {
			f := flagsOf(args)
			for i := start; i < len(keys); i++ {
				keys[i].Flags = f
			}
		}
		return keys
	}
	if cmd.GetKeys == nil {
		return dst[:start]
	}
	pos, err := cmd.GetKeys(args)
	if err != nil {
		return dst[:start]
	}
	// The flags depend on the arguments only, so every key has the same.
	var f KeyFlags
	flagsOf := variableKeyFlags[cmd.topName()]
	if flagsOf == nil {
		flagsOf = procKeyFlags[cmd.topName()]
	}
	if flagsOf != nil {
		f = flagsOf(args)
	}
	for _, p := range pos {
		// A position that names no argument (or the command name itself)
		// is a bug in GetKeys; it cannot name a key, so it is dropped.
		if p < 1 || p >= len(args) {
			continue
		}
		dst = append(dst, KeyRef{Pos: p, Flags: f})
	}
	return dst
}

// topName is the name of a top-level command, or "" for a subcommand: the
// flag procedures below exist for top-level commands only.
func (cmd *Command) topName() string {
	if cmd.parent != nil {
		return ""
	}
	return cmd.Name
}

// hasKeys reports whether the command can have key arguments at all, as
// Redis's doesCommandHaveKeys: a GetKeys function, or a key spec that is not
// "not_key".
func (cmd *Command) hasKeys() bool {
	if cmd.GetKeys != nil {
		return true
	}
	for i := range cmd.KeySpecs {
		if cmd.KeySpecs[i].Flags&KeyNotKey == 0 {
			return true
		}
	}
	return false
}

// appendSpecKeys appends the keys the key specs find, as Redis's
// getKeysUsingKeySpecs with no search flags: "not_key" specs are skipped, and
// a spec that cannot be applied to args (or is incomplete) makes the whole
// search fail (ok false).
func (cmd *Command) appendSpecKeys(dst []KeyRef, args [][]byte) (keys []KeyRef, ok bool) {
	start := len(dst)
	for i := range cmd.KeySpecs {
		ks := &cmd.KeySpecs[i]
		if ks.Flags&KeyNotKey != 0 {
			continue
		}
		first, last, step, found, valid := ks.span(args)
		if !valid {
			return dst[:start], false
		}
		if !found {
			continue
		}
		for p := first; p <= last; p += step {
			dst = append(dst, KeyRef{Pos: p, Flags: ks.Flags})
		}
		if ks.Flags&KeyIncomplete != 0 {
			return dst[:start], false
		}
	}
	return dst, true
}

// span applies the key spec to args: the keys are args[first], then every
// step-th argument up to args[last]. found is false when a keyword search
// finds no keyword (the spec then names no keys); valid is false when the
// spec cannot be applied to args. When both hold, 1 <= first <= last <
// len(args) and step >= 1.
func (ks *KeySpec) span(args [][]byte) (first, last, step int, found, valid bool) {
	argc := len(args)
	switch {
	case ks.Index > 0:
		first = ks.Index
	case ks.Keyword != "":
		first = keywordPos(args, ks.Keyword, ks.StartFrom)
		if first == 0 {
			return 0, 0, 0, false, true
		}
	default:
		return 0, 0, 0, false, false // an unknown begin-search
	}
	step = ks.KeyStep
	if ks.isKeyNum() {
		at := first + ks.KeyNumIdx
		if ks.KeyNumIdx < 0 || at >= argc {
			return 0, 0, 0, false, false
		}
		n, ok := num.ParseInt(args[at])
		// Redis parses the count with string2ll and rejects negatives; a
		// count larger than the arguments cannot fit and is rejected before
		// any arithmetic, so that first+n cannot overflow.
		if !ok || n < 0 || n > int64(argc) {
			return 0, 0, 0, false, false
		}
		first += ks.FirstKey
		last = first + int(n) - 1
	} else {
		switch {
		case ks.LastKey >= 0:
			last = first + ks.LastKey
		case ks.Limit <= 0:
			last = argc + ks.LastKey
		default:
			// Keys are the first 1/Limit of what follows (XREAD's STREAMS
			// key... id...). Go's division truncates towards zero, as C's.
			last = first + (argc-first)/ks.Limit + ks.LastKey
		}
	}
	if first < 1 || first >= argc || last < first || last >= argc || step < 1 {
		return 0, 0, 0, false, false
	}
	return first, last, step, true, true
}

// isKeyNum reports whether the spec finds its keys from a key count rather
// than as a range.
func (ks *KeySpec) isKeyNum() bool { return ks.KeyNum || ks.KeyNumIdx > 0 }

// keywordPos returns the index just after the keyword, searched for as
// Redis's keyword begin-search does: forwards from startFrom up to the
// second-to-last argument, or, for a negative startFrom, backwards from that
// far before the end down to args[2]. The comparison ignores case and, like
// C's strcasecmp, stops at a NUL byte. It returns 0 when the keyword is not
// there.
func keywordPos(args [][]byte, keyword string, startFrom int) int {
	argc := len(args)
	from, to := startFrom, argc-1
	if startFrom <= 0 {
		from, to = argc+startFrom, 1
	}
	dir := 1
	if from > to {
		dir = -1
	}
	for i := from; i != to; i += dir {
		if i >= argc || i < 1 {
			break
		}
		if equalFoldC(args[i], keyword) {
			return i + 1
		}
	}
	return 0
}

// equalFoldC reports whether arg equals s ignoring ASCII case on both
// sides (key spec keywords are uppercase), with arg cut at a NUL byte as C
// sees it; s holds no NUL.
func equalFoldC(arg []byte, s string) bool {
	arg = cArg(arg, len(s))
	if len(arg) != len(s) {
		return false
	}
	for i := 0; i < len(arg); i++ {
		if lowerASCII(arg[i]) != lowerASCII(s[i]) {
			return false
		}
	}
	return true
}

// variableKeyFlags holds, for the commands whose key spec has
// variable_flags, what Redis's per-command procedure (setGetKeys,
// bitfieldGetKeys) reports the key's flags to be for given arguments.
// TestCommandTable checks that every such command has an entry.
var variableKeyFlags = map[string]func(args [][]byte) KeyFlags{
	// SET reads the key only with GET; Redis looks for a "get" anywhere
	// after the value, even where it would be an option's argument.
	"set": func(args [][]byte) KeyFlags {
		for _, a := range args[min(3, len(args)):] {
			if isOpt(a, "get") {
				return KeyRW | KeyAccess | KeyUpdate
			}
		}
		return KeyOW | KeyUpdate
	},
	// BITFIELD only reads the key when it has nothing but GET and
	// OVERFLOW operations; anything else (a write, or a syntax error) counts
	// as a write.
	"bitfield": func(args [][]byte) KeyFlags {
		for i := 2; i < len(args); i++ {
			more := len(args) - i - 1
			switch {
			case isOpt(args[i], "get") && more >= 2:
				i += 2
			case isOpt(args[i], "overflow") && more >= 1:
				i++
			default:
				return KeyRW | KeyAccess | KeyUpdate
			}
		}
		return KeyRO | KeyAccess
	},
}

// procKeyFlags holds the flags that Redis's per-command key procedure gives
// the keys it finds, for the commands whose procedure sets any. Keys found by
// any other command's GetKeys carry no flags, as Redis's generic procedures
// (ZUNIONSTORE's, EVAL's…) report none.
var procKeyFlags = map[string]func(args [][]byte) KeyFlags{
	"migrate": func([][]byte) KeyFlags { return KeyRW | KeyAccess | KeyDelete },
}
