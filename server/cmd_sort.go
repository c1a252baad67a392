package server

import (
	"bytes"
	"math"
	"math/big"
	"slices"

	"github.com/redoubt-db/redoubt/acl"
	"github.com/redoubt-db/redoubt/internal/keyspec"
	"github.com/redoubt-db/redoubt/internal/num"
	"github.com/redoubt-db/redoubt/store"
)

// SORT and SORT_RO, as Redis 7.0's src/sort.c.

// msgSortScores is SORT's reply when a weight is not a number.
const msgSortScores = "ERR One or more scores can't be converted into double"

var (
	ksSortKey = keyspec.Spec{Flags: keyspec.RO | keyspec.Access, Index: 1, KeyStep: 1}
	// The keys BY and GET read, and the STORE key, cannot be found from
	// the key specs: their begin_search is "unknown".
	ksSortPatterns = keyspec.Spec{Flags: keyspec.RO | keyspec.Access,
		Notes: "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort"}
	ksSortStore = keyspec.Spec{Flags: keyspec.OW | keyspec.Update,
		Notes: "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array"}

	argsSortRO = []cmdArg{
		argKey,
		{Name: "pattern", Type: argTypePattern, KeySpecIndex: 1, Token: "BY", Flags: argOptional},
		argLimit,
		{Name: "pattern", Type: argTypePattern, KeySpecIndex: 1, Token: "GET", Flags: argOptional | argMultiple | argMultipleToken},
		{Name: "order", Type: argTypeOneOf, Flags: argOptional, Args: []cmdArg{
			{Name: "asc", Type: argTypePureToken, Token: "ASC"},
			{Name: "desc", Type: argTypePureToken, Token: "DESC"},
		}},
		{Name: "sorting", Type: argTypePureToken, Token: "ALPHA", Flags: argOptional},
	}
	argsSort = append(slices.Clip(argsSortRO),
		cmdArg{Name: "destination", Type: argTypeKey, KeySpecIndex: 2, Token: "STORE", Flags: argOptional})
)

const sortComplexity = "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N)."

func init() {
	registerCommands(
		&command{Name: "sort", Arity: -2, Flags: flagWrite | flagDenyOOM,
			Categories: acl.Set | acl.SortedSet | acl.List | acl.Dangerous,
			KeySpecs:   []keyspec.Spec{ksSortKey, ksSortPatterns, ksSortStore}, GetKeys: sortGetKeys,
			Group: "generic", Since: "1.0.0", Complexity: sortComplexity,
			Summary: "Returns or stores the elements of a list, set or sorted set, sorted by themselves or by weights read from other keys, optionally with values read from other keys.",
			Args:    argsSort, Run: func(c *client, args [][]byte) { c.sort(args, false) }},
		&command{Name: "sort_ro", Arity: -2, Flags: flagReadOnly,
			Categories: acl.Set | acl.SortedSet | acl.List | acl.Dangerous,
			KeySpecs:   []keyspec.Spec{ksSortKey, ksSortPatterns}, GetKeys: sortROGetKeys,
			Group: "generic", Since: "7.0.0", Complexity: sortComplexity,
			Summary: "Returns the elements of a list, set or sorted set sorted as SORT does, without its STORE option.",
			Args:    argsSortRO, Run: func(c *client, args [][]byte) { c.sort(args, true) }},
	)
}

// sortGetKeys finds SORT's keys as Redis's sortGetKeys: the sorted key,
// then the argument after the last STORE, skipping the arguments of LIMIT
// (two), GET and BY (one each) without checking them.
func sortGetKeys(args [][]byte) ([]int, error) {
	pos := []int{1}
	store := 0
	for i := 2; i < len(args); i++ {
		switch {
		case equalFoldASCII(args[i], "limit"):
			i += 2
		case equalFoldASCII(args[i], "get"), equalFoldASCII(args[i], "by"):
			i++
		case equalFoldASCII(args[i], "store") && i+1 < len(args):
			store = i + 1
		}
	}
	if store > 0 {
		pos = append(pos, store)
	}
	return pos, nil
}

// sortROGetKeys finds SORT_RO's one key, the sorted one.
func sortROGetKeys([][]byte) ([]int, error) { return []int{1}, nil }

// equalFoldASCII is strcasecmp(b, s) == 0 for a lowercase s: a NUL in b
// ends its C string.
func equalFoldASCII(b []byte, s string) bool {
	b = cBytes(b)
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		ch := b[i]
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		if ch != s[i] {
			return false
		}
	}
	return true
}

// cBytes returns b up to its first NUL, as C reads a string.
func cBytes(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// sortItem is one element being sorted, with its weight: a number, or
// (ALPHA with BY) the text read by the BY pattern, found false when
// missing. The element and the text are ranges of sortTexts' buffers, so
// that an item holds no pointer and sorting moves no pointers.
type sortItem struct {
	from, to   int
	score      float64
	cfrom, cto int
	found      bool
}

// sortTexts holds the elements and the BY texts of the items.
type sortTexts struct{ vals, cmps []byte }

func (t *sortTexts) val(it *sortItem) []byte { return t.vals[it.from:it.to:it.to] }
func (t *sortTexts) cmp(it *sortItem) []byte { return t.cmps[it.cfrom:it.cto:it.cto] }

// sort runs SORT (readonly false) or SORT_RO.
func (c *client) sort(args [][]byte, readonly bool) {
	var (
		desc, alpha, dontsort bool
		limitStart            int64
		limitCount            int64 = -1
		sortby, storeKey      []byte
		hasStore              bool
		gets                  [][]byte
	)
	// BY with a pattern and GET read keys the key specs cannot name: the
	// user must be allowed every key (aclcheck.go). Asked once, when first
	// needed.
	fullAccess := 0 // 0 unknown, 1 yes, -1 no
	mayReadAll := func() bool {
		if fullAccess == 0 {
			name := "sort"
			if readonly {
				name = "sort_ro"
			}
			fullAccess = -1
			if c.sortFullKeyAccess(commands.byName[name], args) {
				fullAccess = 1
			}
		}
		return fullAccess > 0
	}
	for j := 2; j < len(args); j++ {
		left := len(args) - j - 1
		switch a := args[j]; {
		case equalFoldASCII(a, "asc"):
			desc = false
		case equalFoldASCII(a, "desc"):
			desc = true
		case equalFoldASCII(a, "alpha"):
			alpha = true
		case equalFoldASCII(a, "limit") && left >= 2:
			var ok bool
			if limitStart, ok = c.argInt(args[j+1]); !ok {
				return
			}
			if limitCount, ok = c.argInt(args[j+2]); !ok {
				return
			}
			j += 2
		case !readonly && equalFoldASCII(a, "store") && left >= 1:
			storeKey, hasStore = args[j+1], true
			j++
		case equalFoldASCII(a, "by") && left >= 1:
			sortby = args[j+1]
			// A pattern without '*' names one key for every element: there
			// is nothing to sort by. Once set, this stays for the command.
			if bytes.IndexByte(cBytes(sortby), '*') < 0 {
				dontsort = true
			} else if !mayReadAll() {
				c.writeErrorReply(msgSortByDenied)
				return
			}
			j++
		case equalFoldASCII(a, "get") && left >= 1:
			if !mayReadAll() {
				c.writeErrorReply(msgSortGetDenied)
				return
			}
			gets = append(gets, args[j+1])
			j++
		default:
			c.writeErrorReply(msgSyntax)
			return
		}
	}

	src, err := c.db.SortOpen(args[1])
	if err != nil {
		c.storeError(err)
		return
	}
	typ := src.Type()
	// A set in its own order would be stored (or replicated) in an order
	// that depends on its layout: it is sorted by its elements instead.
	if dontsort && typ == store.TypeSet && hasStore {
		dontsort, alpha, sortby = false, true, nil
	}

	// LIMIT is clamped to the size before any arithmetic, so that offsets
	// and counts near the int64 bounds neither overflow nor size anything.
	size := int64(src.Len())
	start := min(max(limitStart, 0), size)
	count := min(max(limitCount, -1), size)
	end := size - 1
	if count >= 0 {
		end = start + count - 1
	}
	if start >= size {
		start, end = size-1, size-2
	}
	if end >= size {
		end = size - 1
	}

	// Load the elements, copied into one buffer: the lookups below may
	// expire keys, which changes the store the source aliases.
	var (
		items []sortItem
		arena []byte
	)
	load := func(v []byte) {
		from := len(arena)
		arena = append(arena, v...)
		items = append(items, sortItem{from: from, to: len(arena)})
	}
	if dontsort && typ != store.TypeSet {
		if end >= start {
			items = make([]sortItem, 0, end-start+1)
			arena = make([]byte, 0, 16*(end-start+1))
			src.Range(int(start), int(end-start+1), desc, load)
			end -= start
			start = 0
		}
	} else {
		items = make([]sortItem, 0, size)
		arena = make([]byte, 0, 16*size) // a guess: grown as needed
		src.Each(load)
	}
	texts := &sortTexts{vals: arena}

	convErr := false
	if !dontsort {
		var buf [24]byte
		for i := range items {
			it := &items[i]
			w := texts.val(it)
			if sortby != nil {
				var ok bool
				if w, ok = c.sortLookup(sortby, texts.val(it), buf[:0]); !ok {
					continue
				}
			}
			if alpha {
				if sortby != nil {
					it.cfrom = len(texts.cmps)
					texts.cmps = append(texts.cmps, w...)
					it.cto, it.found = len(texts.cmps), true
				}
				continue
			}
			f, ok := sortWeight(w)
			it.score = f
			if !ok {
				convErr = true
			}
		}
		if !convErr {
			// Only equal weights of distinct elements need a stable sort
			// to keep Redis's order: BY texts, or elements equal as C
			// strings (a NUL inside) when not stored.
			stable := alpha && (sortby != nil || (!hasStore && bytes.IndexByte(arena, 0) >= 0))
			// Redis sorts only the part LIMIT selects when it sorts by a
			// pattern, with a quicksort whose order of equal weights is
			// its own; elsewhere it sorts everything with glibc's qsort.
			partial := sortby != nil && (start != 0 || end != size-1)
			sortItems(items, texts, desc, alpha, sortby != nil, hasStore, stable, partial, int(start), int(end))
		}
	}
	if convErr {
		c.writeErrorReply(msgSortScores)
		return
	}

	n := end - start + 1 // at most the number of elements
	if n <= 0 {
		n, start, end = 0, 0, -1
	}
	outLen := n
	if len(gets) > 0 {
		outLen = int64(len(gets)) * n
	}
	if !hasStore {
		c.WriteArray(int(outLen))
		var buf [24]byte
		for i := range items[start : end+1] {
			val := texts.val(&items[start+int64(i)])
			if len(gets) == 0 {
				c.WriteBulk(val)
			}
			for _, g := range gets {
				if v, ok := c.sortLookup(g, val, buf[:0]); ok {
					c.WriteBulk(v)
				} else {
					c.WriteNull()
				}
			}
		}
		return
	}
	var vals [][]byte
	if len(gets) == 0 {
		vals = make([][]byte, 0, n)
		for i := range items[start : end+1] {
			vals = append(vals, texts.val(&items[start+int64(i)]))
		}
	} else {
		vals = make([][]byte, 0, outLen)
		var buf [24]byte
		for i := range items[start : end+1] {
			val := texts.val(&items[start+int64(i)])
			for _, g := range gets {
				v, ok := c.sortLookup(g, val, buf[:0])
				if !ok {
					v = nil
				}
				vals = append(vals, bytes.Clone(v))
			}
		}
	}
	c.db.SortStore(storeKey, vals, int(outLen))
	c.db.NotifyStored(store.EventList, "sortstore", storeKey, int(outLen))
	c.WriteInt(outLen)
}

// sortLookup returns what pattern names for the element subst, as Redis's
// lookupKeyByPattern: "#" is the element itself; otherwise the first '*'
// is replaced by the element to make a key name, whose string value is
// returned, or, when "->" and a field name follow the '*', the value of
// that field of the hash at the key. A pattern without '*', a missing key,
// field or a key of another type give ok false. Every key looked up counts
// a hit or a miss. A NUL ends the pattern where Redis reads it as a C
// string (the "#" test and the searches for '*' and "->"). The value
// aliases the store (or buf) until its next change.
func (c *client) sortLookup(pattern, subst, buf []byte) ([]byte, bool) {
	cs := cBytes(pattern)
	if len(cs) == 1 && cs[0] == '#' {
		return subst, true
	}
	star := bytes.IndexByte(cs, '*')
	if star < 0 {
		return nil, false
	}
	post := pattern[star+1:]
	var field []byte
	if f := bytes.Index(cs[star+1:], []byte("->")); f >= 0 && star+1+f+2 < len(cs) {
		at := star + 1 + f
		field = pattern[at+2:]
		post = pattern[star+1 : at]
	}
	key := make([]byte, 0, star+len(subst)+len(post))
	key = append(append(append(key, pattern[:star]...), subst...), post...)
	if field != nil {
		h, err := c.db.HashRead(key)
		if err != nil || !h.Exists() {
			return nil, false
		}
		return h.Get(field, buf)
	}
	v, ok, err := c.db.Get(key)
	if err != nil || !ok {
		return nil, false
	}
	return v, true
}

// sortWeight reads a weight as SORT does with strtod: the text up to a
// NUL, leading white space skipped, must be a number read whole (the empty
// text is 0), neither NaN nor out of the double's range: overflow, and an
// underflow to zero or to an inexact subnormal (glibc's ERANGE), are
// refused.
func sortWeight(b []byte) (float64, bool) {
	if n, ok := num.ParseInt(b); ok {
		return float64(n), true // rounded to nearest, as strtod rounds
	}
	f, num, erange, ok := cStrtod(b)
	if !ok || erange {
		return f, false
	}
	b = num
	if f != 0 && math.Abs(f) < 0x1p-1022 && !exactSubnormal(b, f) {
		return f, false
	}
	return f, true
}

// exactSubnormal reports whether the subnormal f is exactly the number the
// text s (a strtod number) writes, for glibc sets ERANGE only when a
// subnormal result is inexact. A decimal text is never exact in practice
// (a subnormal's decimal expansion has hundreds of digits) and is taken
// as inexact; a hexadecimal one is checked.
func exactSubnormal(s []byte, f float64) bool {
	t := s
	if len(t) > 0 && (t[0] == '+' || t[0] == '-') {
		t = t[1:]
	}
	if len(t) < 2 || t[0] != '0' || (t[1] != 'x' && t[1] != 'X') {
		return false
	}
	x, _, err := new(big.Float).SetPrec(uint(64+4*len(s))).Parse(string(s)+sortHexExp(s), 0)
	if err != nil {
		return false
	}
	return x.Cmp(new(big.Float).SetFloat64(f)) == 0
}

// sortHexExp returns the binary exponent big.Float needs after a
// hexadecimal text that has none.
func sortHexExp(s []byte) string {
	if bytes.IndexAny(s, "pP") >= 0 {
		return ""
	}
	return "p0"
}

// sortItems sorts items as Redis's sortCompare orders them: by number,
// ties broken by the elements' bytes; with ALPHA, by the BY texts (a
// missing one first) or by the elements themselves, compared as C strings
// (strcoll in the C locale) unless the result is stored, when all their
// bytes count. Where equal weights can hold distinct elements (stable),
// the sort is stable, as glibc's qsort (a merge sort) is, so that they
// keep the elements' order.
//
// With partial, only positions lo to hi (inclusive) need their final
// elements, and the sort is Redis's pqsort, whose order of equal weights
// sortPartial reproduces.
func sortItems(items []sortItem, t *sortTexts, desc, alpha, byPattern, stored, stable, partial bool, lo, hi int) {
	cmpText := func(a, b []byte) int {
		if stored {
			return bytes.Compare(a, b)
		}
		return bytes.Compare(cBytes(a), cBytes(b))
	}
	cmp := func(a, b sortItem) int {
		av, bv := t.val(&a), t.val(&b)
		var r int
		switch {
		case !alpha:
			switch {
			case a.score > b.score:
				r = 1
			case a.score < b.score:
				r = -1
			default:
				r = bytes.Compare(av, bv)
			}
		case byPattern:
			switch {
			case !a.found || !b.found:
				switch {
				case a.found == b.found:
					r = 0
				case !a.found:
					r = -1
				default:
					r = 1
				}
			default:
				r = cmpText(t.cmp(&a), t.cmp(&b))
			}
		default:
			r = cmpText(av, bv)
		}
		if desc {
			return -r
		}
		return r
	}
	switch {
	case partial:
		sortPartial(items, 0, len(items), cmp, lo, hi)
	case stable:
		slices.SortStableFunc(items, cmp)
	default:
		// Any other tie is between equal elements, whose order cannot show.
		slices.SortFunc(items, cmp)
	}
}

// sortPartial sorts v[a:a+n] so that at least positions lo to hi hold
// their final elements, step for step as Redis's pqsort (Bentley and
// McIlroy's quicksort, which skips the parts outside [lo, hi]), so that
// equal weights end in the same order. Ranges are in positions of v.
func sortPartial(v []sortItem, a, n int, cmp func(x, y sortItem) int, lo, hi int) {
	swap := func(i, j int) { v[i], v[j] = v[j], v[i] }
	vecswap := func(i, j, k int) {
		for ; k > 0; k-- {
			swap(i, j)
			i++
			j++
		}
	}
	med3 := func(x, y, z int) int {
		if cmp(v[x], v[y]) < 0 {
			switch {
			case cmp(v[y], v[z]) < 0:
				return y
			case cmp(v[x], v[z]) < 0:
				return z
			}
			return x
		}
		switch {
		case cmp(v[y], v[z]) > 0:
			return y
		case cmp(v[x], v[z]) < 0:
			return x
		}
		return z
	}
	// outside reports whether [lo, hi] lies wholly before or after the k
	// positions from at.
	outside := func(at, k int) bool {
		return (lo < at && hi < at) || (lo >= at+k && hi >= at+k)
	}
	for {
		if n < 7 {
			for m := a + 1; m < a+n; m++ {
				for l := m; l > a && cmp(v[l-1], v[l]) > 0; l-- {
					swap(l, l-1)
				}
			}
			return
		}
		m := a + n/2
		if n > 7 {
			l, r := a, a+n-1
			if n > 40 {
				d := n / 8
				l = med3(l, l+d, l+2*d)
				m = med3(m-d, m, m+d)
				r = med3(r-2*d, r-d, r)
			}
			m = med3(l, m, r)
		}
		swap(a, m)
		pa, pb := a+1, a+1
		pc, pd := a+n-1, a+n-1
		for {
			for pb <= pc {
				c := cmp(v[pb], v[a])
				if c > 0 {
					break
				}
				if c == 0 {
					swap(pa, pb)
					pa++
				}
				pb++
			}
			for pb <= pc {
				c := cmp(v[pc], v[a])
				if c < 0 {
					break
				}
				if c == 0 {
					swap(pc, pd)
					pd--
				}
				pc--
			}
			if pb > pc {
				break
			}
			swap(pb, pc)
			pb++
			pc--
		}
		pn := a + n
		k := min(pa-a, pb-pa)
		vecswap(a, pb-k, k)
		k = min(pd-pc, pn-pd-1)
		vecswap(pb, pn-k, k)
		if k = pb - pa; k > 1 && !outside(a, k) {
			sortPartial(v, a, k, cmp, lo, hi)
		}
		k = pd - pc
		if k <= 1 {
			return
		}
		a, n = pn-k, k
		if outside(a, k) {
			return
		}
	}
}
