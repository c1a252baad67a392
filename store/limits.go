package store

// Limits are the thresholds at which a collection leaves its compact
// representation for its large one, and the shape of list nodes: Redis's
// *-max-listpack-*, set-max-intset-entries, list-max-listpack-size and
// list-compress-depth directives. A collection converts when it next
// changes; it never converts back, as in Redis.
type Limits struct {
	// HashMaxListpackEntries is the most fields a listpack hash holds
	// (hash-max-listpack-entries, default 512).
	HashMaxListpackEntries int64
	// HashMaxListpackValue is the longest field or value, in bytes, a
	// listpack hash holds (hash-max-listpack-value, default 64).
	HashMaxListpackValue int64
	// ZSetMaxListpackEntries is the most members a listpack sorted set
	// holds (zset-max-listpack-entries, default 128).
	ZSetMaxListpackEntries int64
	// ZSetMaxListpackValue is the longest member, in bytes, a listpack
	// sorted set holds (zset-max-listpack-value, default 64).
	ZSetMaxListpackValue int64
	// SetMaxIntsetEntries is the most members an intset holds
	// (set-max-intset-entries, default 512).
	SetMaxIntsetEntries int64
	// ListMaxListpackSize bounds a list node (list-max-listpack-size,
	// default -2): a positive value is the most elements per node, -1 to -5
	// a size of 4, 8, 16, 32 or 64 KiB per node.
	ListMaxListpackSize int
	// ListCompressDepth is how many nodes at each end of a list stay
	// uncompressed, 0 meaning none is compressed (list-compress-depth).
	ListCompressDepth int
}

// DefaultLimits returns Redis 7.0's defaults.
func DefaultLimits() Limits {
	return Limits{
		HashMaxListpackEntries: 512,
		HashMaxListpackValue:   64,
		ZSetMaxListpackEntries: 128,
		ZSetMaxListpackValue:   64,
		SetMaxIntsetEntries:    512,
		ListMaxListpackSize:    -2,
		ListCompressDepth:      0,
	}
}

// Limits returns the thresholds in force. The value is shared and must not
// be changed; it is safe to call without a transaction.
func (s *Store) Limits() *Limits { return s.limits.Load() }

// SetLimits replaces the thresholds; collections follow them from their
// next change. It is safe to call at any time, without a transaction.
func (s *Store) SetLimits(l Limits) { s.limits.Store(&l) }
