package server

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/redoubt-db/redoubt/acl"
)

// INFO: the sections and field names of Redis 7.0.15, in its order. Values
// are true where Redoubt has them and honest zeros (or Redis's "never
// happened" values, such as -1 and "ok") for what does not exist yet:
// persistence, replication, scripting, eviction, defragmentation, pub/sub
// counts, client tracking. How the others are computed:
//
//   - server: redis_version is RedisVersion, which clients read to detect
//     features; redoubt_version follows it. os is uname's kernel name,
//     release and machine; gcc_version is 0.0.0 (no C compiler); uptime
//     counts from New; lru_clock is the store's access clock.
//   - clients: connected_clients counts the connections not being closed;
//     client_recent_max_input_buffer is the largest unread input among them
//     right now, client_recent_max_output_buffer the largest output memory
//     (CLIENT LIST's omem) as the connections last published it; blocked_clients and clients_in_timeout_table count the
//     connections parked in WAIT (with a timeout, for the latter).
//   - memory, from the Go runtime's metrics (runtime/metrics, which does not
//     stop the world): used_memory is the bytes in heap objects, including
//     garbage not yet collected; used_memory_rss is the resident set from
//     /proc/self/statm; used_memory_peak is the largest used_memory seen by
//     the 100ms sampler or an INFO call reporting memory;
//     used_memory_startup is used_memory when New returned;
//     used_memory_overhead is that startup figure plus an estimate per
//     connection and the databases' tables (the figures MEMORY STATS
//     details, cmd_memory.go), and used_memory_dataset the rest;
//     lazyfree_pending_objects and lazyfreed_objects are the store's
//     lazy freeing counters (store/memory.go).
//     allocator_allocated is used_memory, allocator_active adds the free
//     space inside heap spans in use, allocator_resident is everything the
//     runtime maps less what it returned to the OS; the ratios follow from
//     those as in Redis. mem_allocator names the Go runtime.
//   - stats: total_commands_processed is the sum of every command's calls,
//     so it always agrees with commandstats; the instantaneous_* rates are
//     averages of 16 samples taken every 100ms, as Redis computes them;
//     keyspace_hits, keyspace_misses, expired_keys and the expiry cycle
//     figures come from the store; total_reads_processed and
//     total_writes_processed are not counted and stay 0.
//   - cpu: getrusage for the process and its children; the *_main_thread
//     fields repeat the process figures, as a Go server has no main thread
//     doing all the work.
//   - commandstats: usec is the time spent in the handler, including the
//     time a blocking command (WAIT) waited, which Redis leaves out.
//   - latencystats: percentiles of a per-command histogram with about 3%
//     precision (stats.go).

func init() {
	registerCommands(&command{Name: "info", Arity: -1, Flags: flagLoading | flagStale, Categories: acl.Dangerous, Lock: lockAllDBs,
		Group: "server", Since: "1.0.0", Complexity: "O(1)",
		Summary: "Reports information and statistics about the server, by section.",
		Tips:    []string{"nondeterministic_output", "request_policy:all_shards", "response_policy:special"},
		Args:    []cmdArg{{Name: "section", Type: argTypeString, Flags: argOptional | argMultiple}},
		Run:     cmdInfo})
}

// INFO sections, in the order Redis prints them.
const (
	secServer = 1 << iota
	secClients
	secMemory
	secPersistence
	secStats
	secReplication
	secCPU
	secModules
	secCommandstats
	secErrorstats
	secLatencystats
	secCluster
	secKeyspace

	secDefault = secServer | secClients | secMemory | secPersistence | secStats | secReplication |
		secCPU | secModules | secErrorstats | secCluster | secKeyspace
	secAll = secDefault | secCommandstats | secLatencystats
)

var infoSectionNames = []struct {
	name string
	sec  int
}{
	{"server", secServer}, {"clients", secClients}, {"memory", secMemory},
	{"persistence", secPersistence}, {"stats", secStats}, {"replication", secReplication},
	{"cpu", secCPU}, {"modules", secModules}, {"module_list", secModules},
	{"commandstats", secCommandstats}, {"errorstats", secErrorstats},
	{"latencystats", secLatencystats}, {"cluster", secCluster}, {"keyspace", secKeyspace},
	{"default", secDefault}, {"all", secAll}, {"everything", secAll},
}

// infoSections selects sections from INFO's arguments, case-insensitively:
// none means the default ones; unknown names select nothing.
func infoSections(args [][]byte) int {
	if len(args) == 0 {
		return secDefault
	}
	sel := 0
	for _, a := range args {
		for _, s := range infoSectionNames {
			if isOpt(a, s.name) {
				sel |= s.sec
			}
		}
	}
	return sel
}

func cmdInfo(c *client, args [][]byte) {
	c.syncStats()
	c.WriteVerbatim(string(c.s.infoText(infoSections(args[1:]))), "txt")
}

// infoText renders the selected INFO sections.
func (s *Server) infoText(sel int) []byte {
	var b []byte
	n := 0
	section := func(sec int, title string, body func([]byte) []byte) {
		if sel&sec == 0 {
			return
		}
		if n > 0 {
			b = append(b, "\r\n"...)
		}
		n++
		b = append(b, "# "...)
		b = append(b, title...)
		b = append(b, "\r\n"...)
		b = body(b)
	}
	var conns connFigures
	if sel&(secClients|secMemory) != 0 {
		conns = s.walkConns()
	}
	section(secServer, "Server", s.infoServer)
	section(secClients, "Clients", func(b []byte) []byte { return s.infoClients(b, conns) })
	section(secMemory, "Memory", func(b []byte) []byte { return s.infoMemory(b, conns) })
	section(secPersistence, "Persistence", s.infoPersistence)
	section(secStats, "Stats", s.infoStats)
	section(secReplication, "Replication", s.infoReplication)
	section(secCPU, "CPU", infoCPU)
	section(secModules, "Modules", func(b []byte) []byte { return b })
	section(secCommandstats, "Commandstats", s.infoCommandstats)
	section(secErrorstats, "Errorstats", s.infoErrorstats)
	section(secLatencystats, "Latencystats", s.infoLatencystats)
	section(secCluster, "Cluster", func(b []byte) []byte { return append(b, "cluster_enabled:0\r\n"...) })
	section(secKeyspace, "Keyspace", s.infoKeyspace)
	return b
}

// connFigures are what INFO clients and INFO memory report about the
// connections, gathered in one walk.
type connFigures struct {
	count     int   // connected_clients
	maxInput  int64 // client_recent_max_input_buffer
	maxOutput int64 // client_recent_max_output_buffer
	mem       int64 // mem_clients_normal: structures, buffers, pending output
}

// walkConns walks the connections liveConns lists (those not being
// closed) once, under connsMu, without copying or sorting them.
func (s *Server) walkConns() connFigures {
	var f connFigures
	s.connsMu.Lock()
	for _, c := range s.conns {
		if c.closed.Load() {
			continue
		}
		qbuf := c.qbuf.Load()
		_, _, omem := c.publishedOutput()
		f.count++
		f.maxInput = max(f.maxInput, qbuf)
		f.maxOutput = max(f.maxOutput, omem)
		f.mem += connBaseMem + max(qbuf, c.qbufCap.Load()) + c.outCap.Load() + omem
	}
	s.connsMu.Unlock()
	return f
}

// Host and process figures of INFO server that do not change while the
// process runs, computed at the first INFO.
var (
	infoOS         = sync.OnceValue(osName)
	infoExecutable = sync.OnceValue(func() string {
		exe, _ := os.Executable()
		return exe
	})
)

// field appends "name:value\r\n".
func field(b []byte, name string, value any) []byte {
	return fmt.Appendf(b, "%s:%v\r\n", name, value)
}

func (s *Server) infoServer(b []byte) []byte {
	s.cfgMu.RLock()
	hz, configFile := s.cfg.Hz, s.cfg.ConfigFile
	s.cfgMu.RUnlock()
	now := time.Now()
	uptime := int64(now.Sub(s.start) / time.Second)
	b = field(b, "redis_version", RedisVersion)
	b = field(b, "redoubt_version", Version)
	b = field(b, "redis_git_sha1", "00000000")
	b = field(b, "redis_git_dirty", 0)
	b = field(b, "redis_build_id", "0")
	b = field(b, "redis_mode", "standalone")
	b = field(b, "os", infoOS())
	b = field(b, "arch_bits", strconv.IntSize)
	b = field(b, "monotonic_clock", "POSIX clock_gettime")
	b = field(b, "multiplexing_api", multiplexingAPI)
	b = field(b, "atomicvar_api", "sync-atomic")
	b = field(b, "gcc_version", "0.0.0")
	b = field(b, "process_id", os.Getpid())
	b = field(b, "process_supervised", "no")
	b = field(b, "run_id", s.runID)
	b = field(b, "tcp_port", s.Port())
	b = field(b, "server_time_usec", now.UnixMicro())
	b = field(b, "uptime_in_seconds", uptime)
	b = field(b, "uptime_in_days", uptime/86400)
	b = field(b, "hz", hz)
	b = field(b, "configured_hz", hz)
	b = field(b, "lru_clock", s.store.LRUClock())
	b = field(b, "executable", infoExecutable())
	b = field(b, "config_file", configFile)
	b = field(b, "io_threads_active", 0)
	return b
}

func (s *Server) infoClients(b []byte, conns connFigures) []byte {
	blocked, timed := s.info.blockedCounts()
	b = field(b, "connected_clients", conns.count)
	b = field(b, "cluster_connections", 0)
	b = field(b, "maxclients", s.maxClients.Load())
	b = field(b, "client_recent_max_input_buffer", conns.maxInput)
	b = field(b, "client_recent_max_output_buffer", conns.maxOutput)
	b = field(b, "blocked_clients", blocked)
	b = field(b, "tracking_clients", s.trk.nclients.Load())
	b = field(b, "clients_in_timeout_table", timed)
	return b
}

// infoMemory reads the runtime's memory figures, noting the peak first so
// that used_memory_peak is never below used_memory.
func (s *Server) infoMemory(b []byte, conns connFigures) []byte {
	o := s.memoryOverhead(conns)
	m, peak, startup, overhead, dataset := o.m, o.peak, o.startup, o.overheadTotal, o.dataset
	sysMem := totalSystemMemory()
	b = field(b, "used_memory", m.used)
	b = field(b, "used_memory_human", bytesToHuman(m.used))
	b = field(b, "used_memory_rss", m.rss)
	b = field(b, "used_memory_rss_human", bytesToHuman(m.rss))
	b = field(b, "used_memory_peak", peak)
	b = field(b, "used_memory_peak_human", bytesToHuman(peak))
	b = fmt.Appendf(b, "used_memory_peak_perc:%.2f%%\r\n", ratio(m.used, peak)*100)
	b = field(b, "used_memory_overhead", overhead)
	b = field(b, "used_memory_startup", startup)
	b = field(b, "used_memory_dataset", dataset)
	b = fmt.Appendf(b, "used_memory_dataset_perc:%.2f%%\r\n", ratio(dataset, m.used-min(startup, m.used))*100)
	b = field(b, "allocator_allocated", m.used)
	b = field(b, "allocator_active", m.active)
	b = field(b, "allocator_resident", m.resident)
	b = field(b, "total_system_memory", sysMem)
	b = field(b, "total_system_memory_human", bytesToHuman(sysMem))
	// No scripting engine yet: every Lua and function figure is zero.
	for _, name := range []string{"used_memory_lua", "used_memory_vm_eval"} {
		b = field(b, name, 0)
	}
	b = field(b, "used_memory_lua_human", "0B")
	for _, name := range []string{"used_memory_scripts_eval", "number_of_cached_scripts",
		"number_of_functions", "number_of_libraries", "used_memory_vm_functions", "used_memory_vm_total"} {
		b = field(b, name, 0)
	}
	b = field(b, "used_memory_vm_total_human", "0B")
	b = field(b, "used_memory_functions", 0)
	b = field(b, "used_memory_scripts", 0)
	b = field(b, "used_memory_scripts_human", "0B")
	b = field(b, "maxmemory", 0)
	b = field(b, "maxmemory_human", "0B")
	b = field(b, "maxmemory_policy", "noeviction")
	b = fmt.Appendf(b, "allocator_frag_ratio:%.2f\r\n", ratio(m.active, m.used))
	b = field(b, "allocator_frag_bytes", diff(m.active, m.used))
	b = fmt.Appendf(b, "allocator_rss_ratio:%.2f\r\n", ratio(m.resident, m.active))
	b = field(b, "allocator_rss_bytes", diff(m.resident, m.active))
	b = fmt.Appendf(b, "rss_overhead_ratio:%.2f\r\n", ratio(m.rss, m.resident))
	b = field(b, "rss_overhead_bytes", diff(m.rss, m.resident))
	b = fmt.Appendf(b, "mem_fragmentation_ratio:%.2f\r\n", ratio(m.rss, m.used))
	b = field(b, "mem_fragmentation_bytes", diff(m.rss, m.used))
	b = field(b, "mem_not_counted_for_evict", 0)
	b = field(b, "mem_replication_backlog", 0)
	b = field(b, "mem_total_replication_buffers", 0)
	b = field(b, "mem_clients_slaves", 0)
	b = field(b, "mem_clients_normal", conns.mem)
	b = field(b, "mem_cluster_links", 0)
	b = field(b, "mem_aof_buffer", 0)
	b = field(b, "mem_allocator", allocatorName())
	b = field(b, "active_defrag_running", 0)
	lf := s.store.LazyFreeStats()
	b = field(b, "lazyfree_pending_objects", lf.Pending)
	b = field(b, "lazyfreed_objects", lf.Freed)
	return b
}

// infoPersistence reports that nothing has been loaded or saved: snapshots
// and the append log do not exist yet. rdb_last_save_time is the start
// time, as Redis sets it at start-up.
func (s *Server) infoPersistence(b []byte) []byte {
	for _, name := range []string{"loading", "async_loading", "current_cow_peak", "current_cow_size",
		"current_cow_size_age"} {
		b = field(b, name, 0)
	}
	b = field(b, "current_fork_perc", "0.00")
	for _, name := range []string{"current_save_keys_processed", "current_save_keys_total"} {
		b = field(b, name, 0)
	}
	b = field(b, "rdb_changes_since_last_save", s.stats.dirty.Load())
	b = field(b, "rdb_bgsave_in_progress", 0)
	b = field(b, "rdb_last_save_time", s.start.Unix())
	b = field(b, "rdb_last_bgsave_status", "ok")
	b = field(b, "rdb_last_bgsave_time_sec", -1)
	b = field(b, "rdb_current_bgsave_time_sec", -1)
	for _, name := range []string{"rdb_saves", "rdb_last_cow_size", "rdb_last_load_keys_expired",
		"rdb_last_load_keys_loaded", "aof_enabled", "aof_rewrite_in_progress", "aof_rewrite_scheduled"} {
		b = field(b, name, 0)
	}
	b = field(b, "aof_last_rewrite_time_sec", -1)
	b = field(b, "aof_current_rewrite_time_sec", -1)
	b = field(b, "aof_last_bgrewrite_status", "ok")
	b = field(b, "aof_rewrites", 0)
	b = field(b, "aof_rewrites_consecutive_failures", 0)
	b = field(b, "aof_last_write_status", "ok")
	for _, name := range []string{"aof_last_cow_size", "module_fork_in_progress", "module_fork_last_cow_size"} {
		b = field(b, name, 0)
	}
	return b
}

func (s *Server) infoStats(b []byte) []byte {
	st := s.store.Stats()
	b = field(b, "total_connections_received", s.stats.connections.Load())
	b = field(b, "total_commands_processed", s.totalCalls())
	b = field(b, "instantaneous_ops_per_sec", int64(s.instantaneous(metricCommands)))
	b = field(b, "total_net_input_bytes", s.stats.netInput.Load())
	b = field(b, "total_net_output_bytes", s.stats.netOutput.Load())
	b = field(b, "total_net_repl_input_bytes", 0)
	b = field(b, "total_net_repl_output_bytes", 0)
	b = fmt.Appendf(b, "instantaneous_input_kbps:%.2f\r\n", s.instantaneous(metricNetInput)/1024)
	b = fmt.Appendf(b, "instantaneous_output_kbps:%.2f\r\n", s.instantaneous(metricNetOutput)/1024)
	b = field(b, "instantaneous_input_repl_kbps", "0.00")
	b = field(b, "instantaneous_output_repl_kbps", "0.00")
	b = field(b, "rejected_connections", s.stats.rejectedConns.Load())
	b = field(b, "sync_full", 0)
	b = field(b, "sync_partial_ok", 0)
	b = field(b, "sync_partial_err", 0)
	b = field(b, "expired_keys", st.Expired)
	b = fmt.Appendf(b, "expired_stale_perc:%.2f\r\n", st.ExpiredStalePerc)
	b = field(b, "expired_time_cap_reached_count", st.ExpiredTimeCapHits)
	b = field(b, "expire_cycle_cpu_milliseconds", st.ExpireCycleCPU.Milliseconds())
	for _, name := range []string{"evicted_keys", "evicted_clients", "total_eviction_exceeded_time",
		"current_eviction_exceeded_time"} {
		b = field(b, name, 0)
	}
	b = field(b, "keyspace_hits", st.Hits)
	b = field(b, "keyspace_misses", st.Misses)
	channels, patterns, shard := s.pubsubCounts()
	b = field(b, "pubsub_channels", channels)
	b = field(b, "pubsub_patterns", patterns)
	b = field(b, "pubsubshard_channels", shard)
	for _, name := range []string{"latest_fork_usec", "total_forks", "migrate_cached_sockets", "slave_expires_tracked_keys",
		"active_defrag_hits", "active_defrag_misses", "active_defrag_key_hits", "active_defrag_key_misses",
		"total_active_defrag_time", "current_active_defrag_time"} {
		b = field(b, name, 0)
	}
	b = s.appendTrackingInfo(b)
	b = field(b, "unexpected_error_replies", 0)
	b = field(b, "total_error_replies", s.stats.errorReplies.Load())
	for _, name := range []string{"dump_payload_sanitizations", "total_reads_processed",
		"total_writes_processed", "io_threaded_reads_processed", "io_threaded_writes_processed"} {
		b = field(b, name, 0)
	}
	// Redis 7.4's counters of clients closed for their buffer limits, where
	// 7.4 puts them.
	b = field(b, "client_query_buffer_limit_disconnections", s.stats.clientQueryLimit.Load())
	b = field(b, "client_output_buffer_limit_disconnections", s.stats.clientOutputLimit.Load())
	for _, name := range []string{"reply_buffer_shrinks", "reply_buffer_expands"} {
		b = field(b, name, 0)
	}
	// Redis 7.2's counters of ACL refusals.
	for i, name := range []string{"acl_access_denied_auth", "acl_access_denied_cmd", "acl_access_denied_key", "acl_access_denied_channel"} {
		b = field(b, name, s.aclLog.denied[i].Load())
	}
	b = s.appendGuardInfo(b) // throttle.go: login throttling, audit log
	return b
}

func (s *Server) infoReplication(b []byte) []byte {
	b = field(b, "role", "master")
	b = field(b, "connected_slaves", 0)
	b = field(b, "master_failover_state", "no-failover")
	b = field(b, "master_replid", s.info.replID)
	b = field(b, "master_replid2", "0000000000000000000000000000000000000000")
	b = field(b, "master_repl_offset", 0)
	b = field(b, "second_repl_offset", -1)
	b = field(b, "repl_backlog_active", 0)
	b = field(b, "repl_backlog_size", 1048576)
	b = field(b, "repl_backlog_first_byte_offset", 0)
	b = field(b, "repl_backlog_histlen", 0)
	return b
}

func infoCPU(b []byte) []byte {
	sys, user, childSys, childUser := cpuTimes()
	secs := func(d time.Duration) string {
		return fmt.Sprintf("%d.%06d", d/time.Second, (d%time.Second)/time.Microsecond)
	}
	b = field(b, "used_cpu_sys", secs(sys))
	b = field(b, "used_cpu_user", secs(user))
	b = field(b, "used_cpu_sys_children", secs(childSys))
	b = field(b, "used_cpu_user_children", secs(childUser))
	b = field(b, "used_cpu_sys_main_thread", secs(sys))
	b = field(b, "used_cpu_user_main_thread", secs(user))
	return b
}

// infoCommandstats lists every command of the server called, rejected or
// failed at least once, by its table name, subcommands as "container|sub".
func (s *Server) infoCommandstats(b []byte) []byte {
	s.cmds.each(func(cmd *command) {
		st := &s.cmdStats[cmd.id]
		calls, ns := st.calls.Load(), st.nanos.Load()
		rejected, failed := st.rejected.Load(), st.failed.Load()
		if calls == 0 && rejected == 0 && failed == 0 {
			return
		}
		perCall := 0.0
		if calls > 0 {
			perCall = float64(ns) / 1000 / float64(calls)
		}
		b = fmt.Appendf(b, "cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d\r\n",
			cmd.fullName, calls, ns/1000, perCall, rejected, failed)
	})
	return b
}

// infoErrorstats lists the error replies by code, in byte order as Redis's
// radix tree keeps them.
func (s *Server) infoErrorstats(b []byte) []byte {
	s.stats.errMu.Lock()
	codes := make([]string, 0, len(s.stats.errorCodes))
	for code := range s.stats.errorCodes {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		b = fmt.Appendf(b, "errorstat_%s:count=%d\r\n", code, s.stats.errorCodes[code])
	}
	s.stats.errMu.Unlock()
	return b
}

// infoLatencystats lists the 50th, 99th and 99.9th percentiles of every
// command of the server called since the start or the last reset, in
// microseconds.
func (s *Server) infoLatencystats(b []byte) []byte {
	s.cmds.each(func(cmd *command) {
		h := s.cmdStats[cmd.id].latency.Load()
		if h == nil {
			return
		}
		p := h.percentiles(50, 99, 99.9)
		b = fmt.Appendf(b, "latency_percentiles_usec_%s:p50=%.3f,p99=%.3f,p99.9=%.3f\r\n", cmd.fullName, p[0], p[1], p[2])
	})
	return b
}

// infoKeyspace lists every database holding keys. It runs in INFO's
// transaction.
func (s *Server) infoKeyspace(b []byte) []byte {
	for _, i := range s.store.ActiveDBs() {
		db := s.store.DB(i)
		keys, expires, avgTTL := db.Len(), db.Volatile(), db.AvgTTL()
		if keys > 0 {
			b = fmt.Appendf(b, "db%d:keys=%d,expires=%d,avg_ttl=%d\r\n", i, keys, expires, avgTTL)
		}
	}
	return b
}

// bytesToHuman formats a byte count as Redis's bytesToHuman: "512B",
// "1.50K", "2.00M" … up to P; beyond that, plain bytes again.
func bytesToHuman(n uint64) string {
	if n < 1024 {
		return strconv.FormatUint(n, 10) + "B"
	}
	d := float64(n)
	for _, unit := range "KMGTP" {
		d /= 1024
		if d < 1024 {
			return fmt.Sprintf("%.2f%c", d, unit)
		}
	}
	return strconv.FormatUint(n, 10) + "B"
}
