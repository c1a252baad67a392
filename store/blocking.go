package store

// What the server's blocking commands (BLPOP, BZPOPMIN…) need from the
// store beyond the value types' own operations.

// TypeForWrite returns the type of the value at key, or TypeNone, looking it
// up as a command about to change it does (Redis's lookupKeyWrite): a key
// past its deadline is deleted, the access time is updated, and no keyspace
// hit or miss is counted. A blocking command looks at its keys this way
// before it pops or blocks, and the server does when it serves a key that
// became ready.
func (db *DB) TypeForWrite(key []byte) Type {
	if e := db.lookup(key, Write); e != nil {
		return e.typ()
	}
	return TypeNone
}
