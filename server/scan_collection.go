package server

// collectionScan is what HSCAN, SSCAN and ZSCAN were asked: a cursor, an
// optional glob pattern for the fields or members, and a count of elements
// to visit (10 by default).
type collectionScan struct {
	cursor uint64
	match  []byte // nil: every element
	count  int64
}

// parseCollectionScan parses "key cursor [MATCH pattern] [COUNT count]" from
// args[2] on, as Redis's scanGenericCommand does for a collection, and
// replies with its error on failure: the cursor first, then the options in
// any order, the last of each winning. TYPE belongs to SCAN alone and is a
// syntax error here.
func (c *client) parseCollectionScan(args [][]byte) (collectionScan, bool) {
	sc := collectionScan{count: 10}
	cursor, ok := parseCursor(args[2])
	if !ok {
		c.writeErrorReply(msgInvalidCursor)
		return sc, false
	}
	sc.cursor = cursor
	for i := 3; i < len(args); i += 2 {
		hasValue := i+1 < len(args)
		switch {
		case isOpt(args[i], "count") && hasValue:
			n, ok := c.argInt(args[i+1])
			if !ok {
				return sc, false
			}
			if n < 1 {
				c.writeErrorReply(msgSyntax)
				return sc, false
			}
			sc.count = n
		case isOpt(args[i], "match") && hasValue:
			sc.match = args[i+1]
			if matchAll(sc.match) {
				sc.match = nil
			}
		default:
			c.writeErrorReply(msgSyntax)
			return sc, false
		}
	}
	return sc, true
}

// matchAll reports whether a pattern matches everything, so that SCAN need
// not test each element ("*").
func matchAll(p []byte) bool { return len(p) == 1 && p[0] == '*' }
