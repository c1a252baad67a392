package server

import (
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"time"

	"github.com/redoubt-db/redoubt/internal/keyspec"
	"github.com/redoubt-db/redoubt/store"
)

// MEMORY: the size of a key (USAGE, from the store's O(1) accounting), the
// server's memory figures (STATS, DOCTOR, MALLOC-STATS) and giving free
// memory back to the operating system (PURGE).

func init() {
	allShardsSpecial := []string{"nondeterministic_output", "request_policy:all_shards", "response_policy:special"}
	registerCommands(&command{Name: "memory", Arity: -2, Group: "server", Since: "4.0.0",
		Complexity: "Depends on subcommand.",
		Summary:    "Groups the commands that report and manage the server's memory.",
		Subcommands: []*command{
			{Name: "usage", Arity: -3, Flags: flagReadOnly,
				KeySpecs: []keyspec.Spec{{Flags: keyspec.RO, Index: 2, KeyStep: 1}},
				Group:    "server", Since: "4.0.0", Complexity: "O(N) where N is the number of samples.",
				Summary: "Returns how many bytes a key and its value take.",
				Args: []cmdArg{argKey,
					{Name: "count", Type: argTypeInteger, Token: "SAMPLES", Flags: argOptional}},
				Run: cmdMemoryUsage},
			{Name: "stats", Arity: 2, Lock: lockAllDBs,
				Group: "server", Since: "4.0.0", Complexity: "O(1)",
				Tips:    allShardsSpecial,
				Summary: "Reports the server's memory figures, by where the memory goes.",
				Run:     cmdMemoryStats},
			{Name: "doctor", Arity: 2, Lock: lockAllDBs,
				Group: "server", Since: "4.0.0", Complexity: "O(1)",
				Tips:    allShardsSpecial,
				Summary: "Diagnoses memory problems and describes them in words.",
				Run:     cmdMemoryDoctor},
			{Name: "purge", Arity: 2, Lock: lockNone,
				Group: "server", Since: "4.0.0",
				Complexity: "Depends on how much memory is allocated, could be slow",
				Tips:       []string{"request_policy:all_shards", "response_policy:all_succeeded"},
				Summary:    "Gives memory that is free back to the operating system.",
				Run:        cmdMemoryPurge},
			{Name: "malloc-stats", Arity: 2, Lock: lockNone,
				Group: "server", Since: "4.0.0",
				Complexity: "Depends on how much memory is allocated, could be slow",
				Tips:       allShardsSpecial,
				Summary:    "Reports the memory allocator's own statistics.",
				Run:        cmdMemoryMallocStats},
			{Name: "help", Arity: 2, Flags: flagLoading | flagStale, Lock: lockNone,
				Group: "server", Since: "4.0.0", Complexity: "O(1)",
				Summary: "Lists the MEMORY subcommands.",
				Run:     cmdMemoryHelp},
		}})
}

// memoryHelp is the body of MEMORY HELP (writeHelpReply adds the rest).
var memoryHelp = []string{
	"DOCTOR",
	"    Return memory problems reports.",
	"MALLOC-STATS",
	"    Return internal statistics report from the memory allocator.",
	"PURGE",
	"    Attempt to purge dirty pages for reclamation by the allocator.",
	"STATS",
	"    Return information about the memory usage of the server.",
	"USAGE <key> [SAMPLES <count>]",
	"    Return memory in bytes used by <key> and its value. Nested values are",
	"    sampled up to <count> times (default: 5, 0 means sample all).",
}

// memoryDefaultSamples is Redis's OBJ_COMPUTE_SIZE_DEF_SAMPLES.
const memoryDefaultSamples = 5

// cmdMemoryUsage parses SAMPLES as Redis does (an integer, not negative, 0
// meaning all) and replies with the key's size, or a null if it does not
// exist; like Redis it neither expires, counts nor touches the key.
func cmdMemoryUsage(c *client, args [][]byte) {
	samples := int64(memoryDefaultSamples)
	for j := 3; j < len(args); j++ {
		if !isOpt(args[j], "samples") || j+1 >= len(args) {
			c.writeErrorReply(msgSyntax)
			return
		}
		n, ok := c.argInt(args[j+1])
		if !ok {
			return
		}
		if n < 0 {
			c.writeErrorReply(msgSyntax)
			return
		}
		if n == 0 {
			n = math.MaxInt64
		}
		samples = n
		j++
	}
	n, ok := c.db.MemoryUsage(args[2], samples)
	if !ok {
		c.WriteNull()
		return
	}
	c.WriteInt(int64(n))
}

// memOverhead are the memory figures MEMORY STATS, MEMORY DOCTOR and INFO
// memory share, as Redis's getMemoryOverheadData computes them, from the Go
// runtime's figures (see cmd_info.go) and the store's accounting.
type memOverhead struct {
	m             memStats
	peak, startup uint64
	clientsNormal uint64
	clients       int // connected clients
	dbs           []store.Overhead
	overheadTotal uint64 // startup, clients and the databases' structures
	keys          uint64
	dataset       uint64 // used less overheadTotal
	net           uint64 // used less startup, at least 1
}

// memoryOverhead gathers the figures. It reads the store's structures, so
// the caller holds a transaction over every database.
func (s *Server) memoryOverhead(conns connFigures) memOverhead {
	o := memOverhead{m: readMemStats(), startup: s.info.startupMem, clients: conns.count}
	s.notePeakMemory(o.m.used)
	o.peak = s.info.peakMem.Load()
	o.clientsNormal = uint64(max(conns.mem, 0))
	o.dbs = s.store.Overheads()
	o.overheadTotal = o.startup + o.clientsNormal
	for _, d := range o.dbs {
		o.overheadTotal += uint64(d.Main + d.Expires)
		o.keys += uint64(d.Keys)
	}
	o.dataset = o.m.used - min(o.overheadTotal, o.m.used)
	o.net = 1
	if o.m.used > o.startup {
		o.net = o.m.used - o.startup
	}
	return o
}

func (o *memOverhead) bytesPerKey() uint64 {
	if o.keys == 0 {
		return 0
	}
	return o.net / o.keys
}

func cmdMemoryStats(c *client, args [][]byte) {
	o := c.s.memoryOverhead(c.s.walkConns())
	m := o.m
	c.WriteMap(27 + len(o.dbs))
	kv := func(name string, v uint64) {
		c.WriteBulkString(name)
		c.WriteInt(int64(min(v, math.MaxInt64)))
	}
	kvSigned := func(name string, v int64) {
		c.WriteBulkString(name)
		c.WriteInt(v)
	}
	kvDouble := func(name string, v float64) {
		c.WriteBulkString(name)
		c.WriteDouble(v)
	}
	kv("peak.allocated", o.peak)
	kv("total.allocated", m.used)
	kv("startup.allocated", o.startup)
	kv("replication.backlog", 0)
	kv("clients.slaves", 0)
	kv("clients.normal", o.clientsNormal)
	kv("cluster.links", 0)
	kv("aof.buffer", 0)
	kv("lua.caches", 0)
	kv("functions.caches", 0)
	for _, d := range o.dbs {
		c.WriteBulkString(fmt.Sprintf("db.%d", d.DB))
		c.WriteMap(3)
		kv("overhead.hashtable.main", uint64(d.Main))
		kv("overhead.hashtable.expires", uint64(d.Expires))
		kv("overhead.hashtable.slot-to-keys", 0)
	}
	kv("overhead.total", o.overheadTotal)
	kv("keys.count", o.keys)
	kv("keys.bytes-per-key", o.bytesPerKey())
	kv("dataset.bytes", o.dataset)
	kvDouble("dataset.percentage", ratio(o.dataset, o.net)*100)
	kvDouble("peak.percentage", ratio(m.used, o.peak)*100)
	kv("allocator.allocated", m.used)
	kv("allocator.active", m.active)
	kv("allocator.resident", m.resident)
	kvDouble("allocator-fragmentation.ratio", ratio(m.active, m.used))
	kvSigned("allocator-fragmentation.bytes", diff(m.active, m.used))
	kvDouble("allocator-rss.ratio", ratio(m.resident, m.active))
	kvSigned("allocator-rss.bytes", diff(m.resident, m.active))
	kvDouble("rss-overhead.ratio", ratio(m.rss, m.resident))
	kvSigned("rss-overhead.bytes", diff(m.rss, m.resident))
	kvDouble("fragmentation", ratio(m.rss, m.used))
	kvSigned("fragmentation.bytes", diff(m.rss, m.used))
}

// The texts of MEMORY DOCTOR, Redis's words (they are replies).
const (
	doctorNoIssue = "Hi Sam, I can't find any memory issue in your instance. " +
		"I can only account for what occurs on this base.\n"
	doctorEmpty = "Hi Sam, this instance is empty or is using very little memory, " +
		"my issues detector can't be used in these conditions. " +
		"Please, leave for your mission on Earth and fill it with some data. " +
		"The new Sam and I will be back to our programming as soon as I " +
		"finished rebooting.\n"
	doctorIntro     = "Sam, I detected a few issues in this Redis instance memory implants:\n\n"
	doctorBigPeak   = " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n"
	doctorHighFrag  = " * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"%s\".\n\n"
	doctorAllocFrag = " * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.\n\n"
	doctorAllocRSS  = " * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n"
	doctorProcRSS   = " * High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to Lua scripts or Modules.\n\n"
	doctorClientBuf = " * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n"
	doctorOutro     = "I'm here to keep you safe, Sam. I want to help you.\n"
)

// memoryDoctorReport applies Redis's checks to our figures. There are no
// replicas and no scripts, so those two checks never fire.
func memoryDoctorReport(o memOverhead) string {
	m := o.m
	if m.used < 5<<20 {
		return doctorEmpty
	}
	var b strings.Builder
	issue := func(cond bool, text string) {
		if cond {
			b.WriteString(text)
		}
	}
	issue(ratio(o.peak, m.used) > 1.5, doctorBigPeak)
	issue(ratio(m.rss, m.used) > 1.4 && diff(m.rss, m.used) > 10<<20, fmt.Sprintf(doctorHighFrag, allocatorName()))
	issue(ratio(m.active, m.used) > 1.1 && diff(m.active, m.used) > 10<<20, doctorAllocFrag)
	issue(ratio(m.resident, m.active) > 1.1 && diff(m.resident, m.active) > 10<<20, doctorAllocRSS)
	issue(ratio(m.rss, m.resident) > 1.1 && diff(m.rss, m.resident) > 10<<20, doctorProcRSS)
	issue(o.clients > 0 && o.clientsNormal/uint64(o.clients) > 200<<10, doctorClientBuf)
	if b.Len() == 0 {
		return doctorNoIssue
	}
	return doctorIntro + b.String() + doctorOutro
}

// allocatorName is what INFO's mem_allocator and MEMORY DOCTOR call the
// allocator.
func allocatorName() string { return "go-" + runtime.Version() }

func cmdMemoryDoctor(c *client, args [][]byte) {
	c.WriteVerbatim(memoryDoctorReport(c.s.memoryOverhead(c.s.walkConns())), "txt")
}

// cmdMemoryPurge returns free memory to the operating system at once: a
// forced collection and the release of every free page, as the cron's
// memory release does (memory.go), on the caller's goroutine, holding no
// lock. Redis asks jemalloc to purge its dirty pages.
func cmdMemoryPurge(c *client, args [][]byte) {
	c.s.purgeMemory()
	c.WriteOK()
}

// cmdMemoryMallocStats reports the Go runtime's memory classes and heap
// figures, one "name: value" line each, where Redis prints jemalloc's
// statistics.
func cmdMemoryMallocStats(c *client, args [][]byte) {
	c.WriteVerbatim(mallocStats(), "txt")
}

// mallocStats formats every memory and heap metric of runtime/metrics.
func mallocStats() string {
	var samples []metrics.Sample
	for _, d := range metrics.All() {
		if d.Kind == metrics.KindUint64 && (strings.HasPrefix(d.Name, "/memory/") || strings.HasPrefix(d.Name, "/gc/heap/")) {
			samples = append(samples, metrics.Sample{Name: d.Name})
		}
	}
	metrics.Read(samples)
	var b strings.Builder
	fmt.Fprintf(&b, "___ Begin %s allocator statistics ___\n", allocatorName())
	for _, s := range samples {
		if s.Value.Kind() == metrics.KindUint64 {
			fmt.Fprintf(&b, "%s: %d\n", s.Name, s.Value.Uint64())
		}
	}
	b.WriteString("--- End allocator statistics ---\n")
	return b.String()
}

func cmdMemoryHelp(c *client, args [][]byte) {
	c.writeHelpReply(args[0], memoryHelp)
}

// purgeMemory forces a collection and returns every free page to the
// operating system, then keeps the cron's own release from following at
// once (memory.go).
func (s *Server) purgeMemory() {
	freed := s.mem.freed.Load()
	start := time.Now()
	debug.FreeOSMemory()
	took := time.Since(start)
	// Unless a cron release is running (it holds nextRelease at MaxInt64
	// and sets it when done), push the next one back as a release would.
	next := time.Now().Add(max(releaseInterval, releaseCostFactor*took)).UnixNano()
	for cur := nextRelease.Load(); cur != math.MaxInt64 && cur < next; cur = nextRelease.Load() {
		if nextRelease.CompareAndSwap(cur, next) {
			break
		}
	}
	s.mem.freed.Add(-freed)
	s.mem.releases.Add(1)
	s.log.logf(levelDebug, "MEMORY PURGE returned free memory to the system in %v", took.Round(time.Millisecond))
}
