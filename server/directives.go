package server

import (
	"math"
	"runtime"
	"strconv"
	"strings"

	"github.com/redoubt-db/redoubt/internal/conf"
	"github.com/redoubt-db/redoubt/internal/splitargs"
	"github.com/redoubt-db/redoubt/store"
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
//     changes no reply (compact encoding sizes, process titles, the Linux
//     THP setting). Redis's default is accepted, so that
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
	// dirProtected: CONFIG SET refuses it ("can't set protected config")
	// unless enable-protected-configs allows the client.
	dirProtected
	// dirSensitive: its value is a secret, never shown in errors.
	dirSensitive
	// dirMultiArg: it takes any number of arguments (bind, save).
	dirMultiArg
	// dirHidden: CONFIG GET patterns skip it; its exact name finds it.
	dirHidden
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
	capTLS         = "TLS for replication and cluster links"
	capEviction    = "a memory limit and eviction"
	capDefrag      = "active defragmentation"
	capScripting   = "scripting"
	capACL         = "ACL users and the ACL log"
	capSyslog      = "logging to syslog"
	capDaemonize   = "daemonizing: run it in the foreground, under a supervisor if need be"
	capSupervised  = "supervisor notification (systemd or upstart)"
	capSlowlog     = "the slow log"
	capLatency     = "latency monitoring"
	capEncodings   = "tuning of compact encodings"
	capOOMScore    = "OOM score adjustment"
	capCPUList     = "CPU affinity"
	capProcTitle   = "process titles"
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

// implDirective makes an implemented directive.
func implDirective(name string, flags dirFlags, parse parseFunc, get func(*Config) string, set func(*Config, string)) *directive {
	return &directive{name: name, flags: flags, parse: parse, get: get, set: set}
}

// limitDirective makes an implemented directive for an int64 field of the
// encoding thresholds (Config.Encodings).
func limitDirective(name, alias string, parse parseFunc, field func(*store.Limits) *int64) *directive {
	return &directive{name: name, alias: alias, parse: parse,
		get: func(c *Config) string { l := c.limits(); return strconv.FormatInt(*field(&l), 10) },
		set: func(c *Config, v string) { l := c.limits(); *field(&l) = dirAtoi64(v); c.Encodings = &l }}
}

// limitIntDirective is limitDirective for an int field.
func limitIntDirective(name, alias string, parse parseFunc, field func(*store.Limits) *int) *directive {
	return &directive{name: name, alias: alias, parse: parse,
		get: func(c *Config) string { l := c.limits(); return dirItoa(*field(&l)) },
		set: func(c *Config, v string) { l := c.limits(); *field(&l) = dirAtoi(v); c.Encodings = &l }}
}

// allowDirective makes an enable-* directive (no, yes or local), which sets
// an Allowance of the Config; it is immutable, as in Redis.
func allowDirective(name string, field func(*Config) *Allowance) *directive {
	return implDirective(name, dirImmutable, parseEnum("no", "yes", "local"),
		func(c *Config) string { return allowanceNames[*field(c)] },
		func(c *Config, v string) { *field(c) = parseAllowance(v) })
}

// fixedDirective makes a directive that is not implemented, whose value Redoubt
// behaves like; CONFIG GET reports it.
func fixedDirective(name, alias string, flags dirFlags, parse parseFunc, value, missing string) *directive {
	return &directive{name: name, alias: alias, flags: flags, parse: parse, value: value, answer: true, missing: missing}
}

// hintDirective makes a tuning directive that is not implemented: Redis's default
// value is accepted and has no effect; CONFIG GET omits it.
func hintDirective(name, alias string, flags dirFlags, parse parseFunc, value, missing string) *directive {
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

// parseHz takes any non-negative hz and caps it to [1, 500], as Redis's
// updateHZ (CONFIG SET) and its config loader do.
func parseHz(args []string, prev string, loading bool) (string, error) {
	v, err := parseIntRange(0, intMax)(args, prev, loading)
	if err != nil {
		return "", err
	}
	n, _ := strconv.Atoi(v)
	return strconv.Itoa(min(max(n, minHz), maxHz)), nil
}

func dirItoa(n int) string     { return strconv.Itoa(n) }
func dirAtoi(s string) int     { n, _ := strconv.Atoi(s); return n }
func dirAtoi64(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }

// formatYesNo formats a boolean as Redis does.
func formatYesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// implementedDirectives lists the directives Redoubt implements.
var implementedDirectives = []*directive{
	implDirective("bind", dirMultiArg, parseBind,
		func(c *Config) string { return strings.Join(c.Bind, " ") },
		func(c *Config, v string) {
			if v == "" {
				c.Bind = []string{}
			} else {
				c.Bind = strings.Split(v, " ")
			}
		}),
	implDirective("port", 0, parseIntRange(0, 65535),
		func(c *Config) string {
			if c.Port == PortDisabled {
				return "0"
			}
			return dirItoa(c.Port)
		},
		func(c *Config, v string) {
			if c.Port = dirAtoi(v); c.Port == 0 {
				c.Port = PortDisabled
			}
		}),
	implDirective("databases", dirImmutable, parseIntRange(1, maxDatabases),
		func(c *Config) string { return dirItoa(c.Databases) },
		func(c *Config, v string) { c.Databases = dirAtoi(v) }),
	implDirective("requirepass", dirSensitive, parseBinaryStr,
		func(c *Config) string { return c.RequirePass },
		func(c *Config, v string) { c.RequirePass = v }),
	implDirective("acllog-max-len", 0, parseUintRange(0, longMax),
		func(c *Config) string { return strconv.FormatInt(c.aclLogMaxLen(), 10) },
		func(c *Config, v string) { n := dirAtoi64(v); c.ACLLogMaxLen = &n }),
	implDirective("aclfile", dirImmutable, parseStr,
		func(c *Config) string { return c.ACLFile },
		func(c *Config, v string) { c.ACLFile = v }),
	implDirective("acl-pubsub-default", 0, parseEnum("allchannels", "resetchannels"),
		func(c *Config) string {
			if c.ACLPubsubDefaultAll {
				return "allchannels"
			}
			return "resetchannels"
		},
		func(c *Config, v string) { c.ACLPubsubDefaultAll = v == "allchannels" }),
	implDirective("protected-mode", 0, parseYesNo,
		func(c *Config) string { return formatYesNo(!c.InsecureDisableProtectedMode) },
		func(c *Config, v string) { c.InsecureDisableProtectedMode = v == "no" }),
	implDirective("maxclients", 0, parseUintRange(1, uintMax),
		func(c *Config) string { return dirItoa(c.MaxClients) },
		func(c *Config, v string) { c.MaxClients = dirAtoi(v) }),
	implDirective("timeout", 0, parseIntRange(0, intMax),
		func(c *Config) string { return dirItoa(c.Timeout) },
		func(c *Config, v string) { c.Timeout = dirAtoi(v) }),
	implDirective("tcp-keepalive", 0, parseIntRange(0, intMax),
		func(c *Config) string { return dirItoa(c.TCPKeepAlive) },
		func(c *Config, v string) { c.TCPKeepAlive = dirAtoi(v) }),
	implDirective("proto-max-bulk-len", 0, parseMemRange(minProtoBulkLen, maxProtoBulkLen),
		func(c *Config) string { return strconv.FormatInt(c.ProtoMaxBulkLen, 10) },
		func(c *Config, v string) { c.ProtoMaxBulkLen = dirAtoi64(v) }),
	implDirective("client-query-buffer-limit", 0, parseMemURange(minQueryBufferLimit, maxQueryBufferLimit),
		func(c *Config) string { return strconv.FormatInt(c.ClientQueryBufferLimit, 10) },
		func(c *Config, v string) { c.ClientQueryBufferLimit = dirAtoi64(v) }),
	implDirective("hz", 0, parseHz,
		func(c *Config) string { return dirItoa(c.Hz) },
		func(c *Config, v string) { c.Hz = dirAtoi(v) }),
	implDirective("loglevel", 0, parseEnum("debug", "verbose", "notice", "warning"),
		func(c *Config) string { return c.LogLevel },
		func(c *Config, v string) { c.LogLevel = v }),
	implDirective("logfile", dirImmutable, parseStr,
		func(c *Config) string { return c.LogFile },
		func(c *Config, v string) { c.LogFile = v }),
	implDirective("pidfile", dirImmutable, parseStr,
		func(c *Config) string { return c.PidFile },
		func(c *Config, v string) { c.PidFile = v }),
	implDirective("io-threads", dirImmutable, parseIntRange(1, maxIOThreads),
		func(c *Config) string {
			if c.IOThreads > 0 {
				return dirItoa(c.IOThreads)
			}
			return dirItoa(runtime.GOMAXPROCS(0))
		},
		func(c *Config, v string) { c.IOThreads = dirAtoi(v) }),
	// Encoding thresholds (store.Limits).
	limitDirective("hash-max-listpack-entries", "hash-max-ziplist-entries", parseUintRange(0, longMax),
		func(l *store.Limits) *int64 { return &l.HashMaxListpackEntries }),
	limitDirective("hash-max-listpack-value", "hash-max-ziplist-value", parseMemURange(0, longMax),
		func(l *store.Limits) *int64 { return &l.HashMaxListpackValue }),
	limitDirective("zset-max-listpack-entries", "zset-max-ziplist-entries", parseUintRange(0, longMax),
		func(l *store.Limits) *int64 { return &l.ZSetMaxListpackEntries }),
	limitDirective("zset-max-listpack-value", "zset-max-ziplist-value", parseMemURange(0, longMax),
		func(l *store.Limits) *int64 { return &l.ZSetMaxListpackValue }),
	limitDirective("set-max-intset-entries", "", parseUintRange(0, longMax),
		func(l *store.Limits) *int64 { return &l.SetMaxIntsetEntries }),
	limitIntDirective("list-max-listpack-size", "list-max-ziplist-size", parseIntRange(intMin, intMax),
		func(l *store.Limits) *int { return &l.ListMaxListpackSize }),
	limitIntDirective("list-compress-depth", "", parseIntRange(0, intMax),
		func(l *store.Limits) *int { return &l.ListCompressDepth }),
	// Introspection (introspect.go).
	implDirective("slowlog-max-len", 0, parseUintRange(0, longMax),
		func(c *Config) string { return strconv.FormatInt(c.slowlogMaxLen(), 10) },
		func(c *Config, v string) { sl := c.slowlog(); sl.MaxLen = dirAtoi64(v); c.Slowlog = &sl }),
	implDirective("slowlog-log-slower-than", 0, parseIntRange(-1, longMax),
		func(c *Config) string { return strconv.FormatInt(c.slowlogSlowerThan(), 10) },
		func(c *Config, v string) { sl := c.slowlog(); sl.LogSlowerThan = dirAtoi64(v); c.Slowlog = &sl }),
	implDirective("latency-monitor-threshold", 0, parseIntRange(0, longMax),
		func(c *Config) string { return strconv.FormatInt(c.LatencyMonitorThreshold, 10) },
		func(c *Config, v string) { c.LatencyMonitorThreshold = dirAtoi64(v) }),
	// Each group of four arguments replaces one class's limits.
	implDirective("client-output-buffer-limit", dirMultiArg, parseObufLimit,
		func(c *Config) string { return c.outputLimits().format() },
		func(c *Config, v string) { l := parseOutputBufferLimits(v); c.ClientOutputBufferLimits = &l }),
}

// Redis's default client-output-buffer-limit.
const defaultObufLimit = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"

// notImplementedDirectives lists every other directive of Redis 7.0.15, in
// the order of Redis's table (src/config.c), with Redis's bounds and flags.
var notImplementedDirectives = []*directive{
	// Yes/no directives.
	fixedDirective("rdbchecksum", "", dirImmutable, parseYesNo, "yes", capSnapshots),
	fixedDirective("daemonize", "", dirImmutable, parseYesNo, "no", capDaemonize),
	hintDirective("io-threads-do-reads", "", dirImmutable, parseYesNo, "no", capThreadedIO),
	fixedDirective("always-show-logo", "", dirImmutable, parseYesNo, "no", capLogo),
	fixedDirective("rdbcompression", "", 0, parseYesNo, "yes", capSnapshots),
	fixedDirective("rdb-del-sync-files", "", 0, parseYesNo, "no", capSnapshots),
	hintDirective("activerehashing", "", 0, parseYesNo, "yes", capHz),
	fixedDirective("stop-writes-on-bgsave-error", "", 0, parseYesNo, "yes", capSnapshots),
	hintDirective("set-proc-title", "", dirImmutable, parseYesNo, "yes", capProcTitle),
	hintDirective("dynamic-hz", "", 0, parseYesNo, "yes", capHz),
	fixedDirective("repl-disable-tcp-nodelay", "", 0, parseYesNo, "no", capReplication),
	fixedDirective("repl-diskless-sync", "", 0, parseYesNo, "yes", capReplication),
	fixedDirective("aof-rewrite-incremental-fsync", "", 0, parseYesNo, "yes", capAOF),
	fixedDirective("no-appendfsync-on-rewrite", "", 0, parseYesNo, "no", capAOF),
	fixedDirective("cluster-require-full-coverage", "", 0, parseYesNo, "yes", capCluster),
	fixedDirective("rdb-save-incremental-fsync", "", 0, parseYesNo, "yes", capSnapshots),
	fixedDirective("aof-load-truncated", "", 0, parseYesNo, "yes", capAOF),
	fixedDirective("aof-use-rdb-preamble", "", 0, parseYesNo, "yes", capAOF),
	fixedDirective("aof-timestamp-enabled", "", 0, parseYesNo, "no", capAOF),
	fixedDirective("cluster-replica-no-failover", "cluster-slave-no-failover", 0, parseYesNo, "no", capCluster),
	fixedDirective("replica-lazy-flush", "slave-lazy-flush", 0, parseYesNo, "no", capReplication),
	fixedDirective("replica-serve-stale-data", "slave-serve-stale-data", 0, parseYesNo, "yes", capReplication),
	fixedDirective("replica-read-only", "slave-read-only", 0, parseYesNo, "yes", capReplication),
	fixedDirective("replica-ignore-maxmemory", "slave-ignore-maxmemory", 0, parseYesNo, "yes", capReplication),
	hintDirective("jemalloc-bg-thread", "", 0, parseYesNo, "yes", capMemory),
	fixedDirective("activedefrag", "", 0, parseYesNo, "no", capDefrag),
	fixedDirective("syslog-enabled", "", dirImmutable, parseYesNo, "no", capSyslog),
	fixedDirective("cluster-enabled", "", dirImmutable, parseYesNo, "no", capCluster),
	fixedDirective("appendonly", "", 0, parseYesNo, "no", capAOF),
	fixedDirective("cluster-allow-reads-when-down", "", 0, parseYesNo, "no", capCluster),
	fixedDirective("cluster-allow-pubsubshard-when-down", "", 0, parseYesNo, "yes", capCluster),
	hintDirective("crash-log-enabled", "", 0, parseYesNo, "yes", capCrashLog),
	hintDirective("crash-memcheck-enabled", "", 0, parseYesNo, "yes", capCrashLog),
	hintDirective("use-exit-on-panic", "", dirHidden, parseYesNo, "no", capCrashLog),
	hintDirective("disable-thp", "", dirImmutable, parseYesNo, "yes", capMemory),
	fixedDirective("cluster-allow-replica-migration", "", 0, parseYesNo, "yes", capCluster),
	fixedDirective("replica-announced", "", 0, parseYesNo, "yes", capReplication),
	hintDirective("latency-tracking", "", 0, parseYesNo, "yes", capLatency),
	fixedDirective("aof-disable-auto-gc", "", 0, parseYesNo, "no", capAOF),
	fixedDirective("replica-ignore-disk-write-errors", "", 0, parseYesNo, "no", capReplication),

	// String directives.
	fixedDirective("replica-announce-ip", "slave-announce-ip", 0, parseStr, "", capReplication),
	fixedDirective("masteruser", "", dirSensitive, parseStr, "", capReplication),
	fixedDirective("cluster-announce-ip", "", 0, parseStr, "", capCluster),
	fixedDirective("cluster-config-file", "", dirImmutable, parseStr, "nodes.conf", capCluster),
	fixedDirective("cluster-announce-hostname", "", 0, parseCheckedStr(validHostname), "", capCluster),
	fixedDirective("syslog-ident", "", dirImmutable, parseStr, "redis", capSyslog),
	fixedDirective("dbfilename", "", dirProtected, parseCheckedStr(validDBFilename), "dump.rdb", capSnapshots),
	fixedDirective("appendfilename", "", dirImmutable, parseCheckedStr(validAOFFilename), "appendonly.aof", capAOF),
	fixedDirective("appenddirname", "", dirImmutable, parseCheckedStr(validAOFDirname), "appendonlydir", capAOF),
	fixedDirective("server_cpulist", "", dirImmutable, parseStr, "", capCPUList),
	fixedDirective("bio_cpulist", "", dirImmutable, parseStr, "", capCPUList),
	fixedDirective("aof_rewrite_cpulist", "", dirImmutable, parseStr, "", capCPUList),
	fixedDirective("bgsave_cpulist", "", dirImmutable, parseStr, "", capCPUList),
	fixedDirective("ignore-warnings", "", 0, parseStr, "", capWarnings),
	hintDirective("proc-title-template", "", 0, parseCheckedStr(validProcTitle), "{title} {listen-addr} {server-mode}", capProcTitle),
	fixedDirective("bind-source-addr", "", 0, parseStr, "", capReplication),
	fixedDirective("masterauth", "", dirSensitive, parseBinaryStr, "", capReplication),

	// Enumerated directives.
	fixedDirective("supervised", "", dirImmutable, parseEnum("upstart", "systemd", "auto", "no"), "no", capSupervised),
	fixedDirective("syslog-facility", "", dirImmutable, parseEnum("user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"), "local0", capSyslog),
	fixedDirective("repl-diskless-load", "", 0, parseEnum("disabled", "on-empty-db", "swapdb"), "disabled", capReplication),
	fixedDirective("maxmemory-policy", "", 0, parseEnum("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"), "noeviction", capEviction),
	fixedDirective("appendfsync", "", 0, parseEnum("everysec", "always", "no"), "everysec", capAOF),
	fixedDirective("oom-score-adj", "", 0, parseEnum("no", "yes", "relative", "absolute"), "no", capOOMScore),
	hintDirective("sanitize-dump-payload", "", 0, parseEnum("no", "yes", "clients"), "no", capDumpCheck),
	allowDirective("enable-protected-configs", func(c *Config) *Allowance { return &c.EnableProtectedConfigs }),
	allowDirective("enable-debug-command", func(c *Config) *Allowance { return &c.EnableDebugCommand }),
	allowDirective("enable-module-command", func(c *Config) *Allowance { return &c.EnableModuleCommand }),
	fixedDirective("propagation-error-behavior", "", 0, parseEnum("ignore", "panic", "panic-on-replicas"), "ignore", capReplication),
	fixedDirective("shutdown-on-sigint", "", dirMultiArg, parseShutdownFlags, "default", capShutdown),
	fixedDirective("shutdown-on-sigterm", "", dirMultiArg, parseShutdownFlags, "default", capShutdown),
	fixedDirective("cluster-preferred-endpoint-type", "", 0, parseEnum("ip", "hostname", "unknown-endpoint"), "ip", capCluster),

	// Integer directives.
	fixedDirective("auto-aof-rewrite-percentage", "", 0, parseIntRange(0, intMax), "100", capAOF),
	fixedDirective("cluster-replica-validity-factor", "cluster-slave-validity-factor", 0, parseIntRange(0, intMax), "10", capCluster),
	fixedDirective("cluster-migration-barrier", "", 0, parseIntRange(0, intMax), "1", capCluster),
	fixedDirective("active-defrag-cycle-min", "", 0, parseIntRange(1, 99), "1", capDefrag),
	fixedDirective("active-defrag-cycle-max", "", 0, parseIntRange(1, 99), "25", capDefrag),
	fixedDirective("active-defrag-threshold-lower", "", 0, parseIntRange(0, 1000), "10", capDefrag),
	fixedDirective("active-defrag-threshold-upper", "", 0, parseIntRange(0, 1000), "100", capDefrag),
	fixedDirective("lfu-log-factor", "", 0, parseIntRange(0, intMax), "10", capEviction),
	fixedDirective("lfu-decay-time", "", 0, parseIntRange(0, intMax), "1", capEviction),
	fixedDirective("replica-priority", "slave-priority", 0, parseIntRange(0, intMax), "100", capReplication),
	fixedDirective("repl-diskless-sync-delay", "", 0, parseIntRange(0, intMax), "5", capReplication),
	fixedDirective("maxmemory-samples", "", 0, parseIntRange(1, intMax), "5", capEviction),
	fixedDirective("maxmemory-eviction-tenacity", "", 0, parseIntRange(0, 100), "10", capEviction),
	fixedDirective("replica-announce-port", "slave-announce-port", 0, parseIntRange(0, 65535), "0", capReplication),
	hintDirective("tcp-backlog", "", dirImmutable, parseIntRange(0, intMax), "511", capBacklog),
	fixedDirective("cluster-port", "", dirImmutable, parseIntRange(0, 65535), "0", capCluster),
	fixedDirective("cluster-announce-bus-port", "", 0, parseIntRange(0, 65535), "0", capCluster),
	fixedDirective("cluster-announce-port", "", 0, parseIntRange(0, 65535), "0", capCluster),
	fixedDirective("cluster-announce-tls-port", "", 0, parseIntRange(0, 65535), "0", capCluster),
	fixedDirective("repl-timeout", "", 0, parseIntRange(1, intMax), "60", capReplication),
	fixedDirective("repl-ping-replica-period", "repl-ping-slave-period", 0, parseIntRange(1, intMax), "10", capReplication),
	fixedDirective("rdb-key-save-delay", "", dirHidden, parseIntRange(intMin, intMax), "0", capDebug),
	fixedDirective("key-load-delay", "", dirHidden, parseIntRange(intMin, intMax), "0", capDebug),
	hintDirective("active-expire-effort", "", 0, parseIntRange(1, 10), "1", capHz),
	fixedDirective("min-replicas-to-write", "min-slaves-to-write", 0, parseIntRange(0, intMax), "0", capReplication),
	fixedDirective("min-replicas-max-lag", "min-slaves-max-lag", 0, parseIntRange(0, intMax), "10", capReplication),
	fixedDirective("watchdog-period", "", dirHidden, parseIntRange(0, intMax), "0", capDebug),
	fixedDirective("shutdown-timeout", "", 0, parseIntRange(0, intMax), "10", capShutdown),
	fixedDirective("repl-diskless-sync-max-replicas", "", 0, parseIntRange(0, intMax), "0", capReplication),
	fixedDirective("socket-mark-id", "", dirImmutable, parseUintRange(0, uintMax), "0", capNetwork),
	fixedDirective("active-defrag-max-scan-fields", "", 0, parseUintRange(1, longMax), "1000", capDefrag),
	fixedDirective("busy-reply-threshold", "lua-time-limit", 0, parseIntRange(0, longMax), "5000", capScripting),
	fixedDirective("cluster-node-timeout", "", 0, parseIntRange(0, longMax), "15000", capCluster),
	hintDirective("stream-node-max-entries", "", 0, parseIntRange(0, longMax), "100", capEncodings),
	fixedDirective("repl-backlog-size", "", 0, parseMemRange(1, longMax), "1048576", capReplication),
	fixedDirective("maxmemory", "", 0, parseMemURange(0, ullMax), "0", capEviction),
	fixedDirective("cluster-link-sendbuf-limit", "", 0, parseMemURange(0, ullMax), "0", capCluster),
	fixedDirective("active-defrag-ignore-bytes", "", 0, parseMemURange(1, longMax), "104857600", capDefrag),
	hintDirective("stream-node-max-bytes", "", 0, parseMemURange(0, longMax), "4096", capEncodings),
	hintDirective("hll-sparse-max-bytes", "", 0, parseMemURange(0, longMax), "3000", capEncodings),
	fixedDirective("maxmemory-clients", "", 0, numericSpec{lo: -100, hi: ssizeMax, memory: true, percent: true}.parse, "0", capEviction),
	fixedDirective("repl-backlog-ttl", "", 0, parseIntRange(0, longMax), "3600", capReplication),
	fixedDirective("auto-aof-rewrite-min-size", "", 0, parseMemRange(0, longMax), "67108864", capAOF),
	fixedDirective("loading-process-events-interval-bytes", "", dirHidden, parseIntRange(1024, intMax), "2097152", capDebug),

	// TLS directives Redoubt does not implement (tls.go has the others):
	// there is no replication or cluster to secure.
	fixedDirective("tls-cluster", "", 0, parseYesNo, "no", capTLS),
	fixedDirective("tls-replication", "", 0, parseYesNo, "no", capTLS),

	// Special directives.
	{name: "dir", flags: dirProtected, parse: parseDir, dynamic: currentWorkingDir, answer: true, missing: capWorkDir},
	fixedDirective("save", "", dirMultiArg, parseSave, "", capSnapshots),
	fixedDirective("oom-score-adj-values", "", dirMultiArg, parseOOMValues, "0 200 800", capOOMScore),
	notifyDirective, // notify.go
	fixedDirective("replicaof", "slaveof", dirImmutable|dirMultiArg, parseReplicaOf, "", capReplication),
	hintDirective("latency-tracking-info-percentiles", "", dirMultiArg, parsePercentiles, "50 99 99.9", capLatency),
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
	for _, list := range [][]*directive{implementedDirectives, lazyfreeDirectives, trackingDirectives, notImplementedDirectives, guardDirectives, tlsDirectives, unixDirectives} {
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
	e, ok := directiveTable.byName[conf.Lower(name)]
	return e, ok
}
