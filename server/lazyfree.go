package server

import "github.com/redoubt-db/redoubt/store"

// Lazy freeing: which deletions hand big values to the store's background
// freer instead of letting go of them in the command (store/memory.go says
// what that means in Go and what is counted). UNLINK and FLUSHALL/FLUSHDB
// ASYNC always do; the lazyfree-lazy-* directives choose for the others.

// LazyFreeConfig holds the lazyfree-lazy-* directives. Every field
// defaults to false, as in Redis.
type LazyFreeConfig struct {
	// Eviction frees evicted keys in the background
	// ("lazyfree-lazy-eviction"). There is no eviction yet (maxmemory is
	// 0), so it has no effect but is kept and reported.
	Eviction bool
	// Expire frees keys deleted for their deadline in the background
	// ("lazyfree-lazy-expire").
	Expire bool
	// ServerDel frees values that commands delete or overwrite as a side
	// effect (SET over another type, RENAME and COPY REPLACE onto a key, a
	// collection emptied) in the background ("lazyfree-lazy-server-del").
	ServerDel bool
	// UserDel makes DEL and GETDEL free like UNLINK
	// ("lazyfree-lazy-user-del").
	UserDel bool
	// UserFlush makes FLUSHALL and FLUSHDB without an option ASYNC
	// ("lazyfree-lazy-user-flush").
	UserFlush bool
}

// lazyfreeDirectives are the implemented lazyfree-lazy-* directives, in
// Redis's table order.
var lazyfreeDirectives = []*directive{
	lazyfreeDirective("lazyfree-lazy-eviction", func(l *LazyFreeConfig) *bool { return &l.Eviction }),
	lazyfreeDirective("lazyfree-lazy-expire", func(l *LazyFreeConfig) *bool { return &l.Expire }),
	lazyfreeDirective("lazyfree-lazy-server-del", func(l *LazyFreeConfig) *bool { return &l.ServerDel }),
	lazyfreeDirective("lazyfree-lazy-user-del", func(l *LazyFreeConfig) *bool { return &l.UserDel }),
	lazyfreeDirective("lazyfree-lazy-user-flush", func(l *LazyFreeConfig) *bool { return &l.UserFlush }),
}

// lazyfreeDirective makes a yes/no directive of the LazyFreeConfig field
// that field returns.
func lazyfreeDirective(name string, field func(*LazyFreeConfig) *bool) *directive {
	return implDirective(name, 0, parseYesNo,
		func(c *Config) string { return formatYesNo(*field(&c.LazyFree)) },
		func(c *Config, v string) { *field(&c.LazyFree) = v == "yes" })
}

// applyLazyFree puts the lazy freeing settings into effect.
func (s *Server) applyLazyFree(l LazyFreeConfig) {
	s.store.SetLazyFree(store.LazyFree{Expire: l.Expire, ServerDel: l.ServerDel, UserDel: l.UserDel})
	s.lazyUserFlush.Store(l.UserFlush)
}

// noteFreedValues is the store's OnFreed hook: the bytes of values it let
// go of count towards the next memory release (memory.go). Unlike the
// buffers noteFreed is told of, values are noted whatever their size:
// deleting a million small keys frees as much as one big one.
func (s *Server) noteFreedValues(n int) {
	s.mem.valuesFreed.Add(int64(n))
	if s.releaseMemory {
		s.mem.freed.Add(int64(n))
	}
}
