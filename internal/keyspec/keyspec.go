// Package keyspec finds the key arguments of a command line from Redis 7 key
// specifications: which arguments are keys, and what the command does with
// each. The server's command table holds a command's specs; COMMAND GETKEYS
// and GETKEYSANDFLAGS report what Append finds, and ACL key checks will
// enforce permissions on exactly these arguments, so it follows Redis 7.0's
// getKeysFromCommandWithSpecs (src/db.c) step by step.
//
// Every index is checked against the argument count before it is used, and
// nothing is sized from a client-supplied count: Redis's own version of this
// code is where CVE-2023-36824 (a heap overflow reachable through ACL key
// checks and COMMAND GETKEYS) lived.
//
// The package is separate from server so that conformance tests can run the
// same extraction over specs taken from a real Redis's COMMAND reply.
package keyspec

import "github.com/redoubt-db/redoubt/internal/num"

// Spec is a Redis 7 key specification: where to start looking for keys
// (BeginSearch) and how to find them from there (FindKeys).
type Spec struct {
	Notes string
	Flags Flags
	// BeginSearch: Index > 0 starts at that argument; otherwise Keyword is
	// searched for from StartFrom (negative counts from the end). A spec
	// with neither is "unknown" (SORT's BY, GET and STORE): Redis cannot say
	// where its keys are, so the command's GetKeys finds them.
	Index     int
	Keyword   string
	StartFrom int
	// FindKeys: a range (LastKey relative to the first key, -1 the last
	// argument; KeyStep; Limit), or, when KeyNumIdx > 0 or KeyNum is set, a
	// key count at KeyNumIdx followed by keys from FirstKey.
	LastKey, KeyStep, Limit int
	KeyNum                  bool
	KeyNumIdx, FirstKey     int
}

// Flags describe what a command does with the keys of a key spec.
type Flags uint16

// Key spec flags, in COMMAND INFO's order.
const (
	RO Flags = 1 << iota
	RW
	OW
	RM
	Access
	Update
	Insert
	Delete
	NotKey
	Incomplete
	VariableFlags
	numFlags = iota
)

var flagNames = [numFlags]string{
	"RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key",
	"incomplete", "variable_flags",
}

// Names returns the flag names in COMMAND INFO's order.
func (f Flags) Names() []string {
	var names []string
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return names
}

// Ref is one key argument of a command line: its index in the arguments
// (0 is the command name) and what the command does with the key.
type Ref struct {
	Pos   int
	Flags Flags
}

// Options are what key extraction needs to know of a command besides its
// key specs: Redis's per-command key procedures.
type Options struct {
	// GetKeys finds the key positions of a command whose keys the specs
	// cannot find; nil if the command has no such procedure.
	GetKeys func(args [][]byte) ([]int, error)
	// Flags computes the flags of keys whose flags depend on the
	// arguments: the keys of variable_flags specs, and every key GetKeys
	// finds. With nil, variable_flags keys keep their spec's flags and
	// GetKeys's keys have none. ProcFlags returns Redis's.
	Flags func(args [][]byte) Flags
	// KeyFlags, when not nil, gives each key GetKeys finds its own flags
	// (the key at args[pos]), for a procedure such as Redis's sortGetKeys
	// that flags the keys it finds differently; it overrides Flags for
	// those keys. ProcKeyFlags returns Redis's.
	KeyFlags func(args [][]byte, pos int) Flags
}

// Append appends the key arguments of args, a whole command line for the
// command with specs and opts (args[0] is the command name; for a
// subcommand args[1] is its name), to dst in the order COMMAND GETKEYS lists
// them. It does not check the arity.
//
// As in Redis, the key specs decide when the command has at least one spec
// that is not "not_key" and none with variable flags; if they fail (a key
// count that is not a number, too few arguments, an incomplete spec),
// GetKeys decides. Nothing appended means that the arguments name no keys,
// or that they are malformed; the command itself then replies with an
// error, unless it has no mandatory keys.
//
// Append does not allocate when dst has room for the keys the specs find.
func Append(dst []Ref, args [][]byte, specs []Spec, opts Options) []Ref {
	start := len(dst)
	hasKeySpec, varFlags := false, false
	for i := range specs {
		hasKeySpec = hasKeySpec || specs[i].Flags&NotKey == 0
		varFlags = varFlags || specs[i].Flags&VariableFlags != 0
	}
	if hasKeySpec && !varFlags {
		if keys, ok := appendSpecKeys(dst, args, specs); ok {
			return keys
		}
		dst = dst[:start]
	}
	if varFlags && opts.GetKeys == nil {
		// Redis finds these keys with a per-command procedure, because their
		// flags depend on the arguments; the positions are the specs'.
		keys, ok := appendSpecKeys(dst, args, specs)
		if !ok {
			return dst[:start]
		}
		if opts.Flags != nil {
			f := opts.Flags(args)
			for i := start; i < len(keys); i++ {
				keys[i].Flags = f
			}
		}
		return keys
	}
	if opts.GetKeys == nil {
		return dst[:start]
	}
	pos, err := opts.GetKeys(args)
	if err != nil {
		return dst[:start]
	}
	// The flags depend on the arguments only, so every key has the same.
	var f Flags
	if opts.Flags != nil {
		f = opts.Flags(args)
	}
	for _, p := range pos {
		// A position that names no argument (or the command name itself)
		// is a bug in GetKeys; it cannot name a key, so it is dropped.
		if p < 1 || p >= len(args) {
			continue
		}
		kf := f
		if opts.KeyFlags != nil {
			kf = opts.KeyFlags(args, p)
		}
		dst = append(dst, Ref{Pos: p, Flags: kf})
	}
	return dst
}

// appendSpecKeys appends the keys the key specs find, as Redis's
// getKeysUsingKeySpecs with no search flags: "not_key" specs are skipped, and
// a spec that cannot be applied to args (or is incomplete) makes the whole
// search fail (ok false).
func appendSpecKeys(dst []Ref, args [][]byte, specs []Spec) (keys []Ref, ok bool) {
	start := len(dst)
	for i := range specs {
		ks := &specs[i]
		if ks.Flags&NotKey != 0 {
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
			dst = append(dst, Ref{Pos: p, Flags: ks.Flags})
		}
		if ks.Flags&Incomplete != 0 {
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
func (ks *Spec) span(args [][]byte) (first, last, step int, found, valid bool) {
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
	if ks.IsKeyNum() {
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

// IsKeyNum reports whether the spec finds its keys from a key count rather
// than as a range.
func (ks *Spec) IsKeyNum() bool { return ks.KeyNum || ks.KeyNumIdx > 0 }

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
// sides, with arg cut at a NUL byte just after len(s) bytes, as C's
// strcasecmp sees it; s holds no NUL.
func equalFoldC(arg []byte, s string) bool {
	if len(arg) > len(s) && arg[len(s)] == 0 {
		arg = arg[:len(s)]
	}
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

// lowerASCII lower-cases an ASCII letter and leaves any other byte alone.
func lowerASCII(ch byte) byte {
	if 'A' <= ch && ch <= 'Z' {
		ch += 'a' - 'A'
	}
	return ch
}

// LegacyRange derives the first/last/step triple of COMMAND INFO from the
// key specs the way Redis 7 does (populateCommandLegacyRangeSpec), and
// whether that triple misses keys (which makes the command "movablekeys").
func LegacyRange(specs []Spec) (first, last, step int, movable bool) {
	if len(specs) == 0 {
		return 0, 0, 0, false
	}
	isRange := func(ks *Spec) bool { return ks.Index > 0 && !ks.IsKeyNum() }
	if len(specs) == 1 && isRange(&specs[0]) {
		ks := specs[0]
		last := ks.LastKey
		if last >= 0 {
			last += ks.Index
		}
		return ks.Index, last, ks.KeyStep, ks.Flags&Incomplete != 0
	}
	first = 1<<31 - 1
	lastAbs, prevLast := 0, 0
	for i := range specs {
		ks := &specs[i]
		if !isRange(ks) {
			movable = true
			continue
		}
		if ks.KeyStep != 1 || (prevLast != 0 && prevLast != ks.Index-1) {
			movable = true
			continue
		}
		if ks.Flags&Incomplete != 0 {
			movable = true
		}
		first = min(first, ks.Index)
		abs := ks.LastKey
		if abs >= 0 {
			abs += ks.Index
		}
		// Redis compares as unsigned, so a negative (relative-to-end)
		// last key wins over any positive one.
		if uint32(abs) > uint32(lastAbs) {
			lastAbs = abs
		}
		prevLast = lastAbs
	}
	if first == 1<<31-1 {
		return 0, 0, 0, true
	}
	return first, lastAbs, 1, movable
}

// ProcFlags returns the flags that Redis's per-command key procedure of
// the top-level command name gives its keys, for Options.Flags, or nil if
// that procedure sets none. Keys found by any other command's procedure
// carry no flags, as Redis's generic procedures (ZUNIONSTORE's, EVAL's…)
// report none.
func ProcFlags(name string) func(args [][]byte) Flags { return procFlags[name] }

// procFlags holds what Redis's per-command procedures (setGetKeys,
// bitfieldGetKeys, migrateGetKeys) report the keys' flags to be for given
// arguments. SET and BITFIELD have a variable_flags spec; MIGRATE's keys are
// found by its GetKeys.
var procFlags = map[string]func(args [][]byte) Flags{
	// SET reads the key only with GET; Redis looks for a "get" anywhere
	// after the value, even where it would be an option's argument.
	"set": func(args [][]byte) Flags {
		for _, a := range args[min(3, len(args)):] {
			if equalFoldC(a, "get") {
				return RW | Access | Update
			}
		}
		return OW | Update
	},
	// BITFIELD only reads the key when it has nothing but GET and
	// OVERFLOW operations; anything else (a write, or a syntax error) counts
	// as a write.
	"bitfield": func(args [][]byte) Flags {
		for i := 2; i < len(args); i++ {
			more := len(args) - i - 1
			switch {
			case equalFoldC(args[i], "get") && more >= 2:
				i += 2
			case equalFoldC(args[i], "overflow") && more >= 1:
				i++
			default:
				return RW | Access | Update
			}
		}
		return RO | Access
	},
	"migrate": func([][]byte) Flags { return RW | Access | Delete },
}

// ProcKeyFlags returns the per-key flags Redis's key procedure of the
// top-level command name gives each key it finds, for Options.KeyFlags, or
// nil when that procedure flags every key alike (or sets no flags).
func ProcKeyFlags(name string) func(args [][]byte, pos int) Flags { return procKeyFlags[name] }

// procKeyFlags holds the procedures that flag keys one by one: SORT's
// sortGetKeys reads the sorted key and overwrites the STORE key;
// SORT_RO's sortROGetKeys finds only the key it reads.
var procKeyFlags = map[string]func(args [][]byte, pos int) Flags{
	"sort": func(_ [][]byte, pos int) Flags {
		if pos == 1 {
			return RO | Access
		}
		return OW | Update
	},
	"sort_ro": func([][]byte, int) Flags { return RO | Access },
}
