// Package acl holds Redoubt's access-control model as Redis 7.0 defines it:
// users, their hashed passwords, selectors of command rules, key and channel
// patterns, the command categories, the rule grammar of ACL SETUSER, the
// canonical text of ACL LIST and GETUSER, and the permission check the
// server runs before each command.
package acl

import "strings"

// Category is a set of ACL command categories, one bit each.
type Category uint32

// The categories, in the order Redis lists them (COMMAND INFO, ACL CAT).
const (
	Keyspace Category = 1 << iota
	Read
	Write
	Set
	SortedSet
	List
	Hash
	String
	Bitmap
	HyperLogLog
	Geo
	Stream
	PubSub
	Admin
	Fast
	Slow
	Blocking
	Dangerous
	Connection
	Transaction
	Scripting
	numCategories = iota
)

var categoryNames = [numCategories]string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
	"bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
	"blocking", "dangerous", "connection", "transaction", "scripting",
}

// Names returns the names of the categories in c, in Redis's order, without
// the '@'.
func (c Category) Names() []string {
	var names []string
	for i, name := range categoryNames {
		if c&(1<<i) != 0 {
			names = append(names, name)
		}
	}
	return names
}

// AllCategories returns every category name, in Redis's order.
func AllCategories() []string { return append([]string(nil), categoryNames[:]...) }

// ParseCategory returns the category named name (case-insensitive, without
// the '@').
func ParseCategory(name string) (Category, bool) {
	for i, n := range categoryNames {
		if strings.EqualFold(n, name) {
			return 1 << i, true
		}
	}
	return 0, false
}
