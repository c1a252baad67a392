package server

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

// Giving freed memory back to the operating system (Config.ReleaseMemory).
//
// The Go runtime frees memory in two steps: a collection finds the garbage
// once the heap reaches its goal (with GOGC=100, twice the heap that was
// live after the last collection), and a background scavenger returns free
// pages at a slow pace, keeping about the heap goal resident. A server whose
// memory swings (a value of 500 MB written and dropped, a reply of 100 MB,
// 200 clients gone with 4 MB of partial input each) therefore stays near its
// peak for minutes; an idle one may not collect at all until the runtime's
// two-minute forced collection. Redis's allocator gives pages back within
// seconds.
//
// So the cron looks, twice a second, for signs that much memory has just
// become free, and then forces a collection and the release of every free
// page (debug.FreeOSMemory):
//
//   - the connections noted big buffers they dropped (noteFreed: a closed
//     connection's input and output buffers, the chunks of a big reply once
//     written), at least releaseMin and a quarter of the live heap;
//   - or allocation has paused (less than quietAlloc in the last period)
//     after at least that much was allocated since the last collection,
//     some of which is likely garbage (a big argument's growing buffers, a
//     value set and dropped);
//   - or allocation has paused with that much memory free but not yet
//     returned (a collection freed it).
//
// A forced collection costs the work of an ordinary one (marking the live
// heap runs concurrently with the server; its stop-the-world phases are
// short) and returning pages costs a system call per range; it runs on a
// goroutine of its own. There is at most one at a time per process,
// whichever servers of the process ask, at most one a second, and fewer when
// collections take long: the next may start no sooner than 20 times the
// last one's duration after it, so forced releases take at most about 5% of
// the time. Measured with 5 M keys (450 MB of heap) on GOMAXPROCS 1: 1.2 to
// 2.5 s per release, during which PING's p99 latency went from 1.4 to
// 2.8 ms and its maximum to 20 ms. Sustained allocation (no pause) never forces one: the runtime's
// own pacing handles it, and what it frees is reused at once.

const (
	// releaseMin is the least amount of memory worth a forced release.
	// On a small heap a collection costs milliseconds, and garbage of
	// this size left by a load (listpacks outgrown, input buffers) would
	// otherwise stay resident: 16 MB is a third of a heap of a million
	// small hash fields.
	releaseMin = 16 << 20
	// quietAlloc is the allocation per check period under which
	// allocation counts as paused.
	quietAlloc = 4 << 20
	// releaseCheck is the check period.
	releaseCheck = 500 * time.Millisecond
	// releaseInterval is the least time between forced releases, and
	// releaseCostFactor the multiple of the last one's duration that must
	// pass before the next.
	releaseInterval   = time.Second
	releaseCostFactor = 20
)

// nextRelease is the earliest time, in Unix nanoseconds, at which a forced
// release may start, for the whole process: releases act on the process,
// not on one server.
var nextRelease atomic.Int64

// memRelease is a server's state for releasing memory. freed may be
// updated by any goroutine; the rest belongs to the cron.
type memRelease struct {
	// freed is the bytes of big buffers dropped since the last release.
	freed atomic.Int64
	// releases counts forced releases, for tests.
	releases atomic.Int64
	// valuesFreed counts the bytes of values the store reported freed
	// (noteFreedValues), for tests.
	valuesFreed atomic.Int64

	samples   []metrics.Sample
	lastCheck time.Time
	allocs    uint64 // cumulative heap allocation at the last check
	cycles    uint64 // collections completed at the last check
	// allocsAtGC is the cumulative heap allocation when a new
	// collection was last seen (or the last release ended).
	allocsAtGC uint64
}

// The runtime metrics memRelease reads, in this order.
var releaseMetrics = []string{
	"/gc/heap/allocs:bytes",
	"/gc/cycles/total:gc-cycles",
	"/gc/heap/live:bytes",
	"/memory/classes/heap/free:bytes",
}

// noteFreed records that n bytes of big buffers were just dropped. Callers
// note only buffers of a megabyte or more, at most once per buffer.
func (s *Server) noteFreed(n int) {
	if n >= 1<<20 && s.releaseMemory {
		s.mem.freed.Add(int64(n))
	}
}

// releaseFreedMemory is the cron's check (see above).
func (s *Server) releaseFreedMemory(now time.Time) {
	r := &s.mem
	if now.Sub(r.lastCheck) < releaseCheck {
		return
	}
	r.lastCheck = now
	if r.samples == nil {
		r.samples = make([]metrics.Sample, len(releaseMetrics))
		for i, name := range releaseMetrics {
			r.samples[i].Name = name
		}
	}
	allocs, cycles, live, free := r.read()
	if cycles != r.cycles {
		r.cycles, r.allocsAtGC = cycles, r.allocs
	}
	recent := allocs - r.allocs
	r.allocs = allocs
	least := max(releaseMin, live/4)
	quiet := recent < quietAlloc
	freed := r.freed.Load()
	if uint64(freed) < least && !(quiet && (allocs-r.allocsAtGC >= least || free >= least)) {
		return
	}
	// Claim the release for the process: no other may start until this
	// one is done and has set the next time.
	next := nextRelease.Load()
	if now.UnixNano() < next || !nextRelease.CompareAndSwap(next, math.MaxInt64) {
		return
	}
	s.wg.Add(1)
	go s.release(freed) // exits when the release is done
}

// release forces a collection and returns the free pages, off the cron's
// goroutine, which keeps expiring keys meanwhile: on a heap of millions of
// keys the collection takes a second or more (its marking runs
// concurrently with the clients, on a quarter of GOMAXPROCS).
func (s *Server) release(freed int64) {
	defer s.wg.Done()
	start := time.Now()
	debug.FreeOSMemory()
	took := time.Since(start)
	nextRelease.Store(time.Now().Add(max(releaseInterval, releaseCostFactor*took)).UnixNano())
	s.mem.freed.Add(-freed)
	s.mem.releases.Add(1)
	s.log.logf(levelDebug, "Returned freed memory to the system in %v", took.Round(time.Millisecond))
}

// read returns the metrics memRelease uses.
func (r *memRelease) read() (allocs, cycles, live, free uint64) {
	metrics.Read(r.samples)
	v := func(i int) uint64 {
		if r.samples[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return r.samples[i].Value.Uint64()
	}
	return v(0), v(1), v(2), v(3)
}
