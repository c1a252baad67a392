package server

import (
	"math"
	"runtime"
	"strconv"
	"strings"

	"github.com/redoubt-db/redoubt/internal/splitargs"
)

// The directive table: every configuration directive Redis 7.0.15 knows,
// with how the config file, the command line, CONFIG GET and CONFIG SET
// treat it in Redoubt. One table serves all four, so they cannot disagree.
//
// A directive is either implemented (it reads and writes a Config field),
// or not implemented yet. A directive that is not implemented is still
// checked as Redis checks it (a bad value gets Redis's error), and then
// accepted only if its value asks for what Redoubt does anyway; any other
// value is refused with a "not supported yet" reason that names the missing
// capability. Two kinds of such directives differ in what CONFIG GET says:
//
//   - fixed: Redoubt behaves exactly as Redis does with this value, usually
//     because the value turns a capability off or because it tunes a
//     capability that is off (appendonly no, maxmemory 0, appendfsync
//     everysec while there is no append-only file). CONFIG GET reports it,
//     as Redis reports its own default.
//   - hint: a tuning knob whose effect Redoubt does not reproduce, but that
//     changes no reply (compact encoding sizes, process titles, lazy
//     freeing, the Linux THP setting). Redis's default is accepted, so that
//     the stock redis.conf, which spells out those defaults, loads; any
//     other value is refused, and CONFIG GET omits the directive rather than
//     claim a behaviour Redoubt does not have.
//
// Unknown names get Redis's "Bad directive or wrong number of arguments" in
// a file, and its "Unknown option" error from CONFIG SET.

// dirFlags qualify a directive.
type dirFlags uint8

const (
	// dirImmutable: CONFIG SET refuses it ("can't set immutable config").
	dirImmutable dirFlags = 1 << iota
	// dirProtected: CONFIG SET refuses it ("can't set protected config"),
	// since enable-protected-configs is always no.
	dirProtected
	// dirSensitive: its value is a secret, never shown in errors.
	dirSensitive
	// dirMultiArg: it takes any number of arguments (bind, save).
	dirMultiArg
	// dirHidden: CONFIG GET patterns skip it; its exact name finds it.
	dirHidden
	// dirStartOnly: Redoubt cannot change it at run time although Redis
	// can (the listeners): CONFIG SET accepts only the current value.
	dirStartOnly
)

// directive is one entry of the table.
type directive struct {
	name  string
	alias string // the other name Redis accepts ("slaveof" for "replicaof")
	flags dirFlags
	// parse checks a value as Redis does and returns it in CONFIG GET form.
	parse parseFunc

	// For implemented directives: read and write the Config field. set
	// receives what parse returned.
	get func(cfg *Config) string
	set func(cfg *Config, v string)

	// For the others: the value Redoubt behaves like, in CONFIG GET form
	// (or, when dynamic is set, the function computing it); whether CONFIG
	// GET reports it; and the capability Redoubt lacks.
	value   string
	dynamic func() string
	answer  bool
	missing string
}

func (d *directive) implemented() bool { return d.set != nil }

// fixedValue is the only value a directive that is not implemented accepts.
func (d *directive) fixedValue() string {
	if d.dynamic != nil {
		return d.dynamic()
	}
	return d.value
}

// answers reports whether CONFIG GET reports the directive.
func (d *directive) answers() bool { return d.implemented() || d.answer }

// valueOf is the directive's value for CONFIG GET.
func (d *directive) valueOf(cfg *Config) string {
	if d.implemented() {
		return d.get(cfg)
	}
	return d.fixedValue()
}

// notSupported is the reason a value of a directive that is not
// implemented is refused.
func (d *directive) notSupported() error {
	which := ""
	if !d.answer {
		which = "Redis's default "
	}
	return reasonf("not supported yet by Redoubt (%s): only %s'%s' is accepted", d.missing, which, configLine(d.name, d.fixedValue()))
}

// errRuntimeListeners refuses a run-time change of a dirStartOnly directive.
var errRuntimeListeners = reasonError("not supported yet by Redoubt (changing the listening addresses at run time): restart with the new value")

// configLine shows a directive and value as a config file line, quoting a
// value that would not read back as one argument.
func configLine(name, value string) string {
	if value == "" || strings.ContainsAny(value, "\"'\\") {
		return name + " " + splitargs.Quote([]byte(value))
	}
	return name + " " + value
}

// Capabilities that Redoubt lacks, named in "not supported yet" reasons.
const (
	capSnapshots   = "RDB snapshots"
	capAOF         = "the append-only file"
	capReplication = "replication"
	capCluster     = "cluster mode"
	capTLS         = "TLS"
	capEviction    = "a memory limit and eviction"
	capDefrag      = "active defragmentation"
	capScripting   = "scripting"
	capAuth        = "passwords and AUTH"
	capACL         = "ACL users and the ACL log"
	capUnixSocket  = "a Unix socket listener"
	capSyslog      = "logging to syslog"
	capDaemonize   = "daemonizing: run it in the foreground, under a supervisor if need be"
	capSupervised  = "supervisor notification (systemd or upstart)"
	capNotify      = "keyspace notifications"
	capSlowlog     = "the slow log"
	capLatency     = "latency monitoring"
	capEncodings   = "tuning of compact encodings"
	capOOMScore    = "OOM score adjustment"
	capCPUList     = "CPU affinity"
	capProcTitle   = "process titles"
	capLazyFree    = "tuning of lazy freeing"
	capDebugCmd    = "the DEBUG command"
	capModuleCmd   = "modules"
	capProtected   = "changing protected configs at run time"
	capOutputLimit = "client output buffer limits"
	capTracking    = "client-side caching"
	capLogo        = "the ASCII-art logo"
	capHz          = "tuning of background tasks"
	capCrashLog    = "Redis's crash report"
	capMemory      = "jemalloc and Linux memory tuning"
	capBacklog     = "setting the TCP listen backlog"
	capNetwork     = "socket marks"
	capThreadedIO  = "tuning of threaded I/O"
	capWarnings    = "Redis's system warnings"
	capDumpCheck   = "tuning of RESTORE payload checks"
	capDebug       = "Redis's debugging delays"
	capShutdown    = "shutdown options (save, nosave, now, force) and timeouts"
	capWorkDir     = "changing the working directory"
)

// impl makes an implemented directive.
func impl(name string, flags dirFlags, parse parseFunc, get func(*Config) string, set func(*Config, string)) *directive {
	return &directive{name: name, flags: flags, parse: parse, get: get, set: set}
}

// fixed makes a directive that is not implemented, whose value Redoubt
// behaves like; CONFIG GET reports it.
func fixed(name, alias string, flags dirFlags, parse parseFunc, value, missing string) *directive {
	return &directive{name: name, alias: alias, flags: flags, parse: parse, value: value, answer: true, missing: missing}
}

// hint makes a tuning directive that is not implemented: Redis's default
// value is accepted and has no effect; CONFIG GET omits it.
func hint(name, alias string, flags dirFlags, parse parseFunc, value, missing string) *directive {
	return &directive{name: name, alias: alias, flags: flags, parse: parse, value: value, missing: missing}
}

// Bounds of C types Redis uses for its numeric directives.
const (
	intMax   = math.MaxInt32
	intMin   = math.MinInt32
	uintMax  = math.MaxUint32
	longMax  = math.MaxInt64
	ullMax   = math.MaxUint64
	ssizeMax = math.MaxInt64
)

// Redoubt's bounds where they are tighter than Redis's (SECURITY.md §2).
const (
	// maxQueryBufferLimit bounds client-query-buffer-limit.
	maxQueryBufferLimit = 1 << 40
	// minQueryBufferLimit is Redis's lower bound of
	// client-query-buffer-limit.
	minQueryBufferLimit = 1 << 20
	// maxIOThreads is Redis's upper bound of io-threads.
	maxIOThreads = 128
	// Redis's range for hz: any value is taken and then capped to it.
	minHz, maxHz = 1, 500
)

// defaultBind is the bind a nil Config.Bind stands for.
var defaultBind = []string{"127.0.0.1", "-::1"}

// parseHz takes any non-negative hz and caps it to [1, 500], as Redis's
// updateHZ (CONFIG SET) and its config loader do.
func parseHz(args []string, prev string, loading bool) (string, error) {
	v, err := intRange(0, intMax)(args, prev, loading)
	if err != nil {
		return "", err
	}
	n, _ := strconv.Atoi(v)
	return strconv.Itoa(min(max(n, minHz), maxHz)), nil
}

func itoa(n int) string     { return strconv.Itoa(n) }
func atoi(s string) int     { n, _ := strconv.Atoi(s); return n }
func atoi64(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }

// yesno formats a boolean as Redis does.
func yesno(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// implemented lists the directives Redoubt implements.
var implementedDirectives = []*directive{
	impl("bind", dirMultiArg|dirStartOnly, parseBind,
		func(c *Config) string {
			if c.Bind == nil {
				return strings.Join(defaultBind, " ")
			}
			return strings.Join(c.Bind, " ")
		},
		func(c *Config, v string) {
			if v == "" {
				c.Bind = []string{}
			} else {
				c.Bind = strings.Split(v, " ")
			}
		}),
	impl("port", dirStartOnly, intRange(0, 65535),
		func(c *Config) string {
			if c.Port == PortDisabled {
				return "0"
			}
			return itoa(c.Port)
		},
		func(c *Config, v string) {
			if c.Port = atoi(v); c.Port == 0 {
				c.Port = PortDisabled
			}
		}),
	impl("databases", dirImmutable, intRange(1, maxDatabases),
		func(c *Config) string { return itoa(c.Databases) },
		func(c *Config, v string) { c.Databases = atoi(v) }),
	impl("protected-mode", 0, yesNo,
		func(c *Config) string { return yesno(!c.InsecureDisableProtectedMode) },
		func(c *Config, v string) { c.InsecureDisableProtectedMode = v == "no" }),
	impl("maxclients", 0, uintRange(1, uintMax),
		func(c *Config) string { return itoa(c.MaxClients) },
		func(c *Config, v string) { c.MaxClients = atoi(v) }),
	impl("timeout", 0, intRange(0, intMax),
		func(c *Config) string { return itoa(c.Timeout) },
		func(c *Config, v string) { c.Timeout = atoi(v) }),
	impl("tcp-keepalive", 0, intRange(0, intMax),
		func(c *Config) string { return itoa(c.TCPKeepAlive) },
		func(c *Config, v string) { c.TCPKeepAlive = atoi(v) }),
	impl("proto-max-bulk-len", 0, memRange(minProtoBulkLen, maxProtoBulkLen),
		func(c *Config) string { return strconv.FormatInt(c.ProtoMaxBulkLen, 10) },
		func(c *Config, v string) { c.ProtoMaxBulkLen = atoi64(v) }),
	impl("client-query-buffer-limit", 0, memURange(minQueryBufferLimit, maxQueryBufferLimit),
		func(c *Config) string { return strconv.FormatInt(c.ClientQueryBufferLimit, 10) },
		func(c *Config, v string) { c.ClientQueryBufferLimit = atoi64(v) }),
	impl("hz", 0, parseHz,
		func(c *Config) string { return itoa(c.Hz) },
		func(c *Config, v string) { c.Hz = atoi(v) }),
	impl("loglevel", 0, enum("debug", "verbose", "notice", "warning"),
		func(c *Config) string { return c.LogLevel },
		func(c *Config, v string) { c.LogLevel = v }),
	impl("logfile", dirImmutable, str,
		func(c *Config) string { return c.LogFile },
		func(c *Config, v string) { c.LogFile = v }),
	impl("pidfile", dirImmutable, str,
		func(c *Config) string { return c.PidFile },
		func(c *Config, v string) { c.PidFile = v }),
	impl("io-threads", dirImmutable, intRange(1, maxIOThreads),
		func(c *Config) string {
			if c.IOThreads > 0 {
				return itoa(c.IOThreads)
			}
			return itoa(runtime.GOMAXPROCS(0))
		},
		func(c *Config, v string) { c.IOThreads = atoi(v) }),
}

// Redis's default client-output-buffer-limit.
const defaultObufLimit = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"

// notImplementedDirectives lists every other directive of Redis 7.0.15, in
// the order of Redis's table (src/config.c), with Redis's bounds and flags.
var notImplementedDirectives = []*directive{
	// Yes/no directives.
	fixed("rdbchecksum", "", dirImmutable, yesNo, "yes", capSnapshots),
	fixed("daemonize", "", dirImmutable, yesNo, "no", capDaemonize),
	hint("io-threads-do-reads", "", dirImmutable, yesNo, "no", capThreadedIO),
	fixed("always-show-logo", "", dirImmutable, yesNo, "no", capLogo),
	fixed("rdbcompression", "", 0, yesNo, "yes", capSnapshots),
	fixed("rdb-del-sync-files", "", 0, yesNo, "no", capSnapshots),
	hint("activerehashing", "", 0, yesNo, "yes", capHz),
	fixed("stop-writes-on-bgsave-error", "", 0, yesNo, "yes", capSnapshots),
	hint("set-proc-title", "", dirImmutable, yesNo, "yes", capProcTitle),
	hint("dynamic-hz", "", 0, yesNo, "yes", capHz),
	hint("lazyfree-lazy-eviction", "", 0, yesNo, "no", capLazyFree),
	hint("lazyfree-lazy-expire", "", 0, yesNo, "no", capLazyFree),
	hint("lazyfree-lazy-server-del", "", 0, yesNo, "no", capLazyFree),
	hint("lazyfree-lazy-user-del", "", 0, yesNo, "no", capLazyFree),
	hint("lazyfree-lazy-user-flush", "", 0, yesNo, "no", capLazyFree),
	fixed("repl-disable-tcp-nodelay", "", 0, yesNo, "no", capReplication),
	fixed("repl-diskless-sync", "", 0, yesNo, "yes", capReplication),
	fixed("aof-rewrite-incremental-fsync", "", 0, yesNo, "yes", capAOF),
	fixed("no-appendfsync-on-rewrite", "", 0, yesNo, "no", capAOF),
	fixed("cluster-require-full-coverage", "", 0, yesNo, "yes", capCluster),
	fixed("rdb-save-incremental-fsync", "", 0, yesNo, "yes", capSnapshots),
	fixed("aof-load-truncated", "", 0, yesNo, "yes", capAOF),
	fixed("aof-use-rdb-preamble", "", 0, yesNo, "yes", capAOF),
	fixed("aof-timestamp-enabled", "", 0, yesNo, "no", capAOF),
	fixed("cluster-replica-no-failover", "cluster-slave-no-failover", 0, yesNo, "no", capCluster),
	fixed("replica-lazy-flush", "slave-lazy-flush", 0, yesNo, "no", capReplication),
	fixed("replica-serve-stale-data", "slave-serve-stale-data", 0, yesNo, "yes", capReplication),
	fixed("replica-read-only", "slave-read-only", 0, yesNo, "yes", capReplication),
	fixed("replica-ignore-maxmemory", "slave-ignore-maxmemory", 0, yesNo, "yes", capReplication),
	hint("jemalloc-bg-thread", "", 0, yesNo, "yes", capMemory),
	fixed("activedefrag", "", 0, yesNo, "no", capDefrag),
	fixed("syslog-enabled", "", dirImmutable, yesNo, "no", capSyslog),
	fixed("cluster-enabled", "", dirImmutable, yesNo, "no", capCluster),
	fixed("appendonly", "", 0, yesNo, "no", capAOF),
	fixed("cluster-allow-reads-when-down", "", 0, yesNo, "no", capCluster),
	fixed("cluster-allow-pubsubshard-when-down", "", 0, yesNo, "yes", capCluster),
	hint("crash-log-enabled", "", 0, yesNo, "yes", capCrashLog),
	hint("crash-memcheck-enabled", "", 0, yesNo, "yes", capCrashLog),
	hint("use-exit-on-panic", "", dirHidden, yesNo, "no", capCrashLog),
	hint("disable-thp", "", dirImmutable, yesNo, "yes", capMemory),
	fixed("cluster-allow-replica-migration", "", 0, yesNo, "yes", capCluster),
	fixed("replica-announced", "", 0, yesNo, "yes", capReplication),
	hint("latency-tracking", "", 0, yesNo, "yes", capLatency),
	fixed("aof-disable-auto-gc", "", 0, yesNo, "no", capAOF),
	fixed("replica-ignore-disk-write-errors", "", 0, yesNo, "no", capReplication),

	// String directives.
	fixed("aclfile", "", dirImmutable, str, "", capACL),
	fixed("unixsocket", "", dirImmutable, str, "", capUnixSocket),
	fixed("replica-announce-ip", "slave-announce-ip", 0, str, "", capReplication),
	fixed("masteruser", "", dirSensitive, str, "", capReplication),
	fixed("cluster-announce-ip", "", 0, str, "", capCluster),
	fixed("cluster-config-file", "", dirImmutable, str, "nodes.conf", capCluster),
	fixed("cluster-announce-hostname", "", 0, checkedStr(validHostname), "", capCluster),
	fixed("syslog-ident", "", dirImmutable, str, "redis", capSyslog),
	fixed("dbfilename", "", dirProtected, checkedStr(validDBFilename), "dump.rdb", capSnapshots),
	fixed("appendfilename", "", dirImmutable, checkedStr(validAOFFilename), "appendonly.aof", capAOF),
	fixed("appenddirname", "", dirImmutable, checkedStr(validAOFDirname), "appendonlydir", capAOF),
	fixed("server_cpulist", "", dirImmutable, str, "", capCPUList),
	fixed("bio_cpulist", "", dirImmutable, str, "", capCPUList),
	fixed("aof_rewrite_cpulist", "", dirImmutable, str, "", capCPUList),
	fixed("bgsave_cpulist", "", dirImmutable, str, "", capCPUList),
	fixed("ignore-warnings", "", 0, str, "", capWarnings),
	hint("proc-title-template", "", 0, checkedStr(validProcTitle), "{title} {listen-addr} {server-mode}", capProcTitle),
	fixed("bind-source-addr", "", 0, str, "", capReplication),
	fixed("masterauth", "", dirSensitive, binaryStr, "", capReplication),
	fixed("requirepass", "", dirSensitive, binaryStr, "", capAuth),

	// Enumerated directives.
	fixed("supervised", "", dirImmutable, enum("upstart", "systemd", "auto", "no"), "no", capSupervised),
	fixed("syslog-facility", "", dirImmutable, enum("user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"), "local0", capSyslog),
	fixed("repl-diskless-load", "", 0, enum("disabled", "on-empty-db", "swapdb"), "disabled", capReplication),
	fixed("maxmemory-policy", "", 0, enum("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"), "noeviction", capEviction),
	fixed("appendfsync", "", 0, enum("everysec", "always", "no"), "everysec", capAOF),
	fixed("oom-score-adj", "", 0, enum("no", "yes", "relative", "absolute"), "no", capOOMScore),
	fixed("acl-pubsub-default", "", 0, enum("allchannels", "resetchannels"), "resetchannels", capACL),
	hint("sanitize-dump-payload", "", 0, enum("no", "yes", "clients"), "no", capDumpCheck),
	fixed("enable-protected-configs", "", dirImmutable, enum("no", "yes", "local"), "no", capProtected),
	fixed("enable-debug-command", "", dirImmutable, enum("no", "yes", "local"), "no", capDebugCmd),
	fixed("enable-module-command", "", dirImmutable, enum("no", "yes", "local"), "no", capModuleCmd),
	fixed("propagation-error-behavior", "", 0, enum("ignore", "panic", "panic-on-replicas"), "ignore", capReplication),
	fixed("shutdown-on-sigint", "", dirMultiArg, parseShutdownFlags, "default", capShutdown),
	fixed("shutdown-on-sigterm", "", dirMultiArg, parseShutdownFlags, "default", capShutdown),
	fixed("cluster-preferred-endpoint-type", "", 0, enum("ip", "hostname", "unknown-endpoint"), "ip", capCluster),

	// Integer directives.
	fixed("auto-aof-rewrite-percentage", "", 0, intRange(0, intMax), "100", capAOF),
	fixed("cluster-replica-validity-factor", "cluster-slave-validity-factor", 0, intRange(0, intMax), "10", capCluster),
	hint("list-max-listpack-size", "list-max-ziplist-size", 0, intRange(intMin, intMax), "-2", capEncodings),
	fixed("cluster-migration-barrier", "", 0, intRange(0, intMax), "1", capCluster),
	fixed("active-defrag-cycle-min", "", 0, intRange(1, 99), "1", capDefrag),
	fixed("active-defrag-cycle-max", "", 0, intRange(1, 99), "25", capDefrag),
	fixed("active-defrag-threshold-lower", "", 0, intRange(0, 1000), "10", capDefrag),
	fixed("active-defrag-threshold-upper", "", 0, intRange(0, 1000), "100", capDefrag),
	fixed("lfu-log-factor", "", 0, intRange(0, intMax), "10", capEviction),
	fixed("lfu-decay-time", "", 0, intRange(0, intMax), "1", capEviction),
	fixed("replica-priority", "slave-priority", 0, intRange(0, intMax), "100", capReplication),
	fixed("repl-diskless-sync-delay", "", 0, intRange(0, intMax), "5", capReplication),
	fixed("maxmemory-samples", "", 0, intRange(1, intMax), "5", capEviction),
	fixed("maxmemory-eviction-tenacity", "", 0, intRange(0, 100), "10", capEviction),
	fixed("replica-announce-port", "slave-announce-port", 0, intRange(0, 65535), "0", capReplication),
	hint("tcp-backlog", "", dirImmutable, intRange(0, intMax), "511", capBacklog),
	fixed("cluster-port", "", dirImmutable, intRange(0, 65535), "0", capCluster),
	fixed("cluster-announce-bus-port", "", 0, intRange(0, 65535), "0", capCluster),
	fixed("cluster-announce-port", "", 0, intRange(0, 65535), "0", capCluster),
	fixed("cluster-announce-tls-port", "", 0, intRange(0, 65535), "0", capCluster),
	fixed("repl-timeout", "", 0, intRange(1, intMax), "60", capReplication),
	fixed("repl-ping-replica-period", "repl-ping-slave-period", 0, intRange(1, intMax), "10", capReplication),
	fixed("list-compress-depth", "", 0, intRange(0, intMax), "0", capEncodings),
	fixed("rdb-key-save-delay", "", dirHidden, intRange(intMin, intMax), "0", capDebug),
	fixed("key-load-delay", "", dirHidden, intRange(intMin, intMax), "0", capDebug),
	hint("active-expire-effort", "", 0, intRange(1, 10), "1", capHz),
	fixed("min-replicas-to-write", "min-slaves-to-write", 0, intRange(0, intMax), "0", capReplication),
	fixed("min-replicas-max-lag", "min-slaves-max-lag", 0, intRange(0, intMax), "10", capReplication),
	fixed("watchdog-period", "", dirHidden, intRange(0, intMax), "0", capDebug),
	fixed("shutdown-timeout", "", 0, intRange(0, intMax), "10", capShutdown),
	fixed("repl-diskless-sync-max-replicas", "", 0, intRange(0, intMax), "0", capReplication),
	fixed("socket-mark-id", "", dirImmutable, uintRange(0, uintMax), "0", capNetwork),
	fixed("unixsocketperm", "", dirImmutable, numeric{lo: 0, hi: 0o777, unsigned: true, octal: true}.parse, "0", capUnixSocket),
	fixed("active-defrag-max-scan-fields", "", 0, uintRange(1, longMax), "1000", capDefrag),
	hint("slowlog-max-len", "", 0, uintRange(0, longMax), "128", capSlowlog),
	hint("acllog-max-len", "", 0, uintRange(0, longMax), "128", capACL),
	fixed("busy-reply-threshold", "lua-time-limit", 0, intRange(0, longMax), "5000", capScripting),
	fixed("cluster-node-timeout", "", 0, intRange(0, longMax), "15000", capCluster),
	hint("slowlog-log-slower-than", "", 0, intRange(-1, longMax), "10000", capSlowlog),
	fixed("latency-monitor-threshold", "", 0, intRange(0, longMax), "0", capLatency),
	hint("stream-node-max-entries", "", 0, intRange(0, longMax), "100", capEncodings),
	fixed("repl-backlog-size", "", 0, memRange(1, longMax), "1048576", capReplication),
	fixed("maxmemory", "", 0, memURange(0, ullMax), "0", capEviction),
	fixed("cluster-link-sendbuf-limit", "", 0, memURange(0, ullMax), "0", capCluster),
	hint("hash-max-listpack-entries", "hash-max-ziplist-entries", 0, uintRange(0, longMax), "512", capEncodings),
	hint("set-max-intset-entries", "", 0, uintRange(0, longMax), "512", capEncodings),
	hint("zset-max-listpack-entries", "zset-max-ziplist-entries", 0, uintRange(0, longMax), "128", capEncodings),
	fixed("active-defrag-ignore-bytes", "", 0, memURange(1, longMax), "104857600", capDefrag),
	hint("hash-max-listpack-value", "hash-max-ziplist-value", 0, memURange(0, longMax), "64", capEncodings),
	hint("stream-node-max-bytes", "", 0, memURange(0, longMax), "4096", capEncodings),
	hint("zset-max-listpack-value", "zset-max-ziplist-value", 0, memURange(0, longMax), "64", capEncodings),
	hint("hll-sparse-max-bytes", "", 0, memURange(0, longMax), "3000", capEncodings),
	fixed("tracking-table-max-keys", "", 0, uintRange(0, longMax), "1000000", capTracking),
	fixed("maxmemory-clients", "", 0, numeric{lo: -100, hi: ssizeMax, memory: true, percent: true}.parse, "0", capEviction),
	fixed("repl-backlog-ttl", "", 0, intRange(0, longMax), "3600", capReplication),
	fixed("auto-aof-rewrite-min-size", "", 0, memRange(0, longMax), "67108864", capAOF),
	fixed("loading-process-events-interval-bytes", "", dirHidden, intRange(1024, intMax), "2097152", capDebug),

	// TLS directives (Redis built with TLS, as Debian's is).
	fixed("tls-port", "", 0, intRange(0, 65535), "0", capTLS),
	fixed("tls-session-cache-size", "", 0, intRange(0, intMax), "20480", capTLS),
	fixed("tls-session-cache-timeout", "", 0, intRange(0, intMax), "300", capTLS),
	fixed("tls-cluster", "", 0, yesNo, "no", capTLS),
	fixed("tls-replication", "", 0, yesNo, "no", capTLS),
	fixed("tls-auth-clients", "", 0, enum("no", "yes", "optional"), "yes", capTLS),
	fixed("tls-prefer-server-ciphers", "", 0, yesNo, "no", capTLS),
	fixed("tls-session-caching", "", 0, yesNo, "yes", capTLS),
	fixed("tls-cert-file", "", 0, str, "", capTLS),
	fixed("tls-key-file", "", 0, str, "", capTLS),
	fixed("tls-key-file-pass", "", dirSensitive, str, "", capTLS),
	fixed("tls-client-cert-file", "", 0, str, "", capTLS),
	fixed("tls-client-key-file", "", 0, str, "", capTLS),
	fixed("tls-client-key-file-pass", "", dirSensitive, str, "", capTLS),
	fixed("tls-dh-params-file", "", 0, str, "", capTLS),
	fixed("tls-ca-cert-file", "", 0, str, "", capTLS),
	fixed("tls-ca-cert-dir", "", 0, str, "", capTLS),
	fixed("tls-protocols", "", 0, str, "", capTLS),
	fixed("tls-ciphers", "", 0, str, "", capTLS),
	fixed("tls-ciphersuites", "", 0, str, "", capTLS),

	// Special directives.
	{name: "dir", flags: dirProtected, parse: parseDir, dynamic: workingDir, answer: true, missing: capWorkDir},
	fixed("save", "", dirMultiArg, parseSave, "", capSnapshots),
	hint("client-output-buffer-limit", "", dirMultiArg, parseObufLimit, defaultObufLimit, capOutputLimit),
	fixed("oom-score-adj-values", "", dirMultiArg, parseOOMValues, "0 200 800", capOOMScore),
	fixed("notify-keyspace-events", "", 0, parseKeyspaceEvents, "", capNotify),
	fixed("replicaof", "slaveof", dirImmutable|dirMultiArg, parseReplicaOf, "", capReplication),
	hint("latency-tracking-info-percentiles", "", dirMultiArg, parsePercentiles, "50 99 99.9", capLatency),
}

// deprecatedDirectives are names Redis 7.0 still accepts in a config file,
// with exactly one argument, and ignores; Redoubt ignores them too.
var deprecatedDirectives = map[string]bool{
	"list-max-ziplist-entries": true,
	"list-max-ziplist-value":   true,
	"lua-replicate-commands":   true,
}

// dirEntry is a name of a directive: its own or its alias.
type dirEntry struct {
	name string
	d    *directive
}

// directiveTable holds every directive by lower-case name, and every name in
// table order (each directive's name, then its alias), for CONFIG GET
// patterns.
var directiveTable = func() struct {
	byName map[string]dirEntry
	names  []dirEntry
} {
	t := struct {
		byName map[string]dirEntry
		names  []dirEntry
	}{byName: map[string]dirEntry{}}
	add := func(name string, d *directive) {
		if _, dup := t.byName[name]; dup {
			panic("server: directive " + name + " listed twice")
		}
		e := dirEntry{name, d}
		t.byName[name] = e
		t.names = append(t.names, e)
	}
	for _, list := range [][]*directive{implementedDirectives, notImplementedDirectives} {
		for _, d := range list {
			add(d.name, d)
			if d.alias != "" {
				add(d.alias, d)
			}
		}
	}
	return t
}()

// lookupDirective finds a directive by name or alias, ignoring ASCII case.
func lookupDirective(name string) (dirEntry, bool) {
	e, ok := directiveTable.byName[lowerASCII(name)]
	return e, ok
}
