package server

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/redoubt-db/redoubt/internal/resp"
	"github.com/redoubt-db/redoubt/store"
	"github.com/redoubt-db/redoubt/tlsconf"
)

// Config configures a Server. Its fields mirror redis.conf directives; the
// zero value is the secure default of an embedded server: loopback only, on a
// free port, protected mode on, logs discarded.
//
// The config file and command line parser (ParseArgs, ApplyArgs) and CONFIG
// GET/SET read and write the same fields through one directive table
// (directives.go).
type Config struct {
	// Bind lists the addresses to listen on ("bind"). A leading '-' makes an
	// address optional: it is skipped if it does not exist on this host.
	// "*" is every IPv4 address and "::*" every IPv6 address. A nil Bind
	// means "127.0.0.1 -::1"; a non-nil empty Bind (bind "") means no TCP
	// listener. The default is 127.0.0.1 and -::1.
	Bind []string
	// Port is the TCP port ("port"). Zero picks a free port, shared by all
	// bind addresses; PortDisabled turns TCP off, which is what the
	// directive "port 0" means. The default is a free port; the
	// redoubt-server binary's default is 6379, as redis-server's.
	Port int
	// TLSPort is the TLS port ("tls-port"), on the Bind addresses beside
	// Port (tls.go). Zero, the default, is no TLS listener; TLSPortAny
	// picks a free port.
	TLSPort int
	// TLS holds the other tls-* directives (package tlsconf); nil means
	// Redis's defaults. CONFIG SET replaces the pointer, never changes what
	// it points at.
	TLS *tlsconf.Config
	// TLSReloadInterval, when positive, makes the server look that often
	// at the certificate, key and CA files it loaded, and reload them when
	// they change ("redoubt-tls-reload-interval", in seconds; tls_auth.go).
	// The default, 0, never looks.
	TLSReloadInterval time.Duration
	// TLSAuthUser names the part of a verified client certificate that
	// logs the connection in as the ACL user of that name at connect time
	// ("redoubt-tls-auth-user"): TLSAuthOff (the default), TLSAuthCN,
	// TLSAuthSANDNS, TLSAuthSANEmail or TLSAuthSANURI.
	TLSAuthUser string
	// TLSCertRequiredUsers are users whose password alone cannot log them
	// in ("redoubt-tls-cert-required-users"): AUTH and HELLO … AUTH as one
	// of them succeed only on a TLS connection whose verified certificate
	// maps to that user (TLSAuthUser). The default is none.
	TLSCertRequiredUsers []string
	// UnixSocket is the path of a Unix socket to listen on as well
	// ("unixsocket"); its clients are local for protected mode. The socket
	// never exists at the path with another mode than UnixSocketPerm's
	// (unix.go); a stale socket left there is replaced, anything else at
	// the path is refused. New removes it when the server stops. The
	// default, "", opens none.
	UnixSocket string
	// UnixSocketPerm is the socket file's permission bits
	// ("unixsocketperm", in octal there), at most 0777; zero, the default,
	// leaves them to the umask, as in Redis.
	UnixSocketPerm os.FileMode
	// Databases is the number of databases ("databases"). The default is 16.
	Databases int
	// InsecureDisableProtectedMode turns protected mode off ("protected-mode
	// no"): without it, while no password is set, only loopback clients are
	// served. The default is protected mode on.
	InsecureDisableProtectedMode bool
	// MaxClients bounds the number of connected clients ("maxclients").
	// The default is 10000.
	MaxClients int
	// Timeout closes a client idle for this many seconds ("timeout"); 0
	// never does. The default is 0.
	Timeout int
	// TCPKeepAlive is the TCP keepalive period in seconds ("tcp-keepalive");
	// 0 disables it. The default is 300.
	TCPKeepAlive int
	// ProtoMaxBulkLen is the largest bulk argument accepted, in bytes
	// ("proto-max-bulk-len"). The default is 512 MiB.
	ProtoMaxBulkLen int64
	// ClientQueryBufferLimit is the most unread input a client may have
	// buffered, in bytes ("client-query-buffer-limit"). The default is 1 GiB.
	ClientQueryBufferLimit int64
	// Hz is how many times a second background tasks (active expiry, idle
	// client checks) run ("hz"). The default is 10.
	Hz int
	// LogLevel is one of debug, verbose, notice, warning or nothing
	// ("loglevel"). The default is notice.
	LogLevel string
	// LogFile is the file logs are appended to ("logfile"); empty means
	// LogOutput. The default is empty.
	LogFile string
	// LogOutput receives the logs when LogFile is empty. The default, nil,
	// discards them, so an embedded server is quiet; the redoubt-server
	// binary sets it to standard output, as redis-server logs.
	LogOutput io.Writer
	// PidFile is where the process id is written at start ("pidfile");
	// empty writes none. The default is empty.
	PidFile string
	// IOThreads is how many threads may run Go code at once ("io-threads",
	// 1 to 128), that is GOMAXPROCS. The redoubt-server binary sets
	// GOMAXPROCS to it at start, unless the GOMAXPROCS environment
	// variable is set; its default there is 1, which is Redis's
	// single-threaded default and measured fastest on a 2-core machine
	// whose cores the clients share. New never changes GOMAXPROCS, a
	// setting of the whole process that belongs to the program embedding
	// the server: 0, the default, means "leave GOMAXPROCS alone", and
	// CONFIG GET io-threads then reports GOMAXPROCS.
	IOThreads int
	// ReleaseMemory makes the server give memory back to the operating
	// system soon after much of it became free (a big value dropped, a big
	// reply written, clients with big buffers gone) by forcing a garbage
	// collection and the release of free pages from its cron, at most once
	// a second and less often when collections take long (memory.go).
	// Without it the Go runtime returns memory at its own pace, which can
	// keep twice the peak heap resident for minutes. It acts on the whole
	// process, so it is off by default, leaving that to the program that
	// embeds the server; DefaultConfig, which the redoubt-server binary
	// starts from, turns it on.
	ReleaseMemory bool
	// LazyFree says which deletions free big values in the background
	// ("lazyfree-lazy-*"); see LazyFreeConfig. The default is Redis's:
	// only UNLINK and FLUSHALL/FLUSHDB ASYNC.
	LazyFree LazyFreeConfig
	// NotifyKeyspaceEvents says which keyspace events are published
	// ("notify-keyspace-events"), as Redis's letters: K and E for the
	// keyspace and keyevent channels, and the classes g $ l s h z x e t m
	// d n, or A for "g$lshzxetd". The default, "", publishes none.
	NotifyKeyspaceEvents string
	// Encodings are the thresholds of the compact collection encodings
	// (hash-max-listpack-entries, set-max-intset-entries,
	// list-max-listpack-size…). Nil means Redis's defaults
	// (store.DefaultLimits). CONFIG SET replaces the pointer, never
	// changes what it points at.
	Encodings *store.Limits
	// Slowlog configures the slow log (slowlog-log-slower-than,
	// slowlog-max-len); nil means Redis's defaults: calls of 10000
	// microseconds or more are logged, and the last 128 kept. CONFIG SET
	// replaces the pointer, never changes what it points at.
	Slowlog *SlowlogConfig
	// LatencyMonitorThreshold is the latency monitor's threshold in
	// milliseconds ("latency-monitor-threshold"): commands and background
	// cycles that take at least this long are recorded for LATENCY. The
	// default, 0, turns the monitor off.
	LatencyMonitorThreshold int64
	// ClientOutputBufferLimits are the output limits of each class of
	// client ("client-output-buffer-limit"). Nil means Redis's defaults
	// (DefaultOutputBufferLimits): none for normal clients, 32 MB hard
	// and 8 MB for 60 seconds for subscribers. CONFIG SET replaces the
	// pointer, never changes what it points at.
	ClientOutputBufferLimits *OutputBufferLimits
	// TrackingTableMaxKeys bounds the keys the client-side caching table
	// remembers ("tracking-table-max-keys"): past it, keys are forgotten
	// at random and their clients told, as if the keys had changed. Zero
	// means Redis's default, 1,000,000; TrackingUnlimited means no bound
	// (the directive's 0).
	TrackingTableMaxKeys int64
	// ConfigFile is the absolute path of the config file the server was
	// started with, reported by INFO server; empty if none.
	ConfigFile string
	// Clock is the time source for expiry, TTLs and the end of a CLIENT
	// PAUSE. The default is the system clock; a *store.ManualClock lets
	// tests move time.
	Clock store.Clock

	// RenameCommands renames and removes commands for this server only,
	// as redis.conf's rename-command lines, applied in order (names.go):
	// clients call each command by its new name, while COMMAND, INFO and
	// ACL rules keep the table's names. Only top-level commands can be
	// renamed. CONFIG GET does not report it, as in Redis.
	RenameCommands []CommandRename
	// EnableDebugCommand says who may run DEBUG, EnableModuleCommand who
	// may run MODULE LOAD, LOADEX and UNLOAD ("enable-debug-command",
	// "enable-module-command"). The default, AllowNo, refuses them to
	// every client, as Redis 7 does.
	EnableDebugCommand  Allowance
	EnableModuleCommand Allowance
	// EnableProtectedConfigs says who may CONFIG SET the protected
	// parameters, dir and dbfilename ("enable-protected-configs"); the
	// default, AllowNo, refuses it to every client.
	EnableProtectedConfigs Allowance

	// RequirePass is the default user's password ("requirepass"), as
	// Redis 7: setting it is "resetpass >pw" on the default user, and ""
	// (the default) is "nopass". New keeps only its SHA-256: the
	// configuration the server reports afterwards (CONFIG GET) shows
	// "(redacted)" instead, and CONFIG REWRITE writes the password's hash
	// on the default user's "user" line rather than a requirepass line.
	RequirePass string
	// ACLLogMaxLen is how many entries the ACL log keeps ("acllog-max-len");
	// nil means Redis's default, 128, and 0 keeps none. CONFIG SET replaces
	// the pointer, never changes what it points at.
	ACLLogMaxLen *int64
	// running and authKnown are set by CONFIG SET for exposedBind: the
	// configuration is the running server's, and its default user needs
	// a password whatever RequirePass says (ACL SETUSER gave it one).
	running, authKnown bool

	// ACLUsers are the users of the config file's "user" lines, each its
	// name then its rules, applied at start in order (aclfile.go): a user
	// starts off with no permissions, and "default" starts from "reset".
	// It excludes ACLFile. The default, none, leaves Redis's default
	// user alone. CONFIG GET does not report it, as in Redis.
	ACLUsers [][]string
	// ACLFile is the ACL file ("aclfile"): the users are read from it at
	// start and by ACL LOAD, and ACL SAVE writes it. The default is none.
	ACLFile string
	// ACLPubsubDefaultAll gives users created by ACL SETUSER, the ACL
	// file and "user" lines every channel ("acl-pubsub-default
	// allchannels"). The default, as Redis 7's resetchannels, gives none.
	ACLPubsubDefaultAll bool

	// AuthThrottle configures the brute-force throttling of AUTH and HELLO
	// … AUTH (the redoubt-auth-throttle* and redoubt-auth-lockout-after
	// directives, throttle.go). Nil means DefaultAuthThrottle: on, waits
	// from the 6th failure from one address, lockout at the 20th. CONFIG
	// SET replaces the pointer, never changes what it points at.
	AuthThrottle *AuthThrottleConfig
	// AuthTimeout is how long a connection that must authenticate may
	// stay without logging in before it is closed ("redoubt-auth-timeout",
	// in seconds, logintimeout.go). Zero means the default, one minute;
	// AuthTimeoutNone means no limit (the directive's 0).
	AuthTimeout time.Duration
	// AuditLog is the path of the audit log, a file of JSON lines
	// recording logins, lockouts, denied commands, ACL and configuration
	// changes, flushes and shutdowns, secrets redacted
	// ("redoubt-audit-log", audit.go). It is created with mode 0600; a
	// file others may write is refused. The default, "", keeps none.
	AuditLog string
	// AuditRateLimit is the most audit events caused by clients written
	// per second, in bursts as large ("redoubt-audit-rate-limit"); the
	// count of those dropped is written instead. Zero means the default,
	// 1000; AuditRateUnlimited writes every event (the directive's 0).
	AuditRateLimit int64
}

// aclLogMaxLen is ACLLogMaxLen or its default.
func (cfg *Config) aclLogMaxLen() int64 {
	if cfg.ACLLogMaxLen == nil {
		return defaultACLLogMaxLen
	}
	return *cfg.ACLLogMaxLen
}

// commandOptions gathers the Config's per-server command settings.
func (cfg *Config) commandOptions() commandOptions {
	o := commandOptions{renames: cfg.RenameCommands, configs: cfg.EnableProtectedConfigs}
	o.allow[protectedDebug] = cfg.EnableDebugCommand
	o.allow[protectedModule] = cfg.EnableModuleCommand
	return o
}

// SlowlogConfig configures the slow log.
type SlowlogConfig struct {
	// LogSlowerThan is the duration in microseconds from which a call is
	// logged ("slowlog-log-slower-than"): 0 logs every call, a negative
	// value none.
	LogSlowerThan int64
	// MaxLen is how many entries the log keeps ("slowlog-max-len").
	MaxLen int64
}

// Redis's defaults for the slow log.
const (
	defaultSlowlogSlowerThan = 10000
	defaultSlowlogMaxLen     = 128
)

// slowlog returns the slow log settings cfg asks for.
func (cfg *Config) slowlog() SlowlogConfig {
	if cfg.Slowlog != nil {
		return *cfg.Slowlog
	}
	return SlowlogConfig{LogSlowerThan: defaultSlowlogSlowerThan, MaxLen: defaultSlowlogMaxLen}
}

func (cfg *Config) slowlogSlowerThan() int64 { return cfg.slowlog().LogSlowerThan }
func (cfg *Config) slowlogMaxLen() int64     { return cfg.slowlog().MaxLen }

// limits returns the encoding thresholds cfg asks for.
func (cfg *Config) limits() store.Limits {
	if cfg.Encodings != nil {
		return *cfg.Encodings
	}
	return store.DefaultLimits()
}

// PortDisabled as Config.Port turns the TCP listener off.
const PortDisabled = -1

// Limits on configuration values, checked by Validate.
const (
	maxDatabases = 1 << 20
	// maxProtoBulkLen keeps a single string's length within the 32 bits
	// an entry stores.
	maxProtoBulkLen = 1<<32 - 1
	minProtoBulkLen = 1 << 20
)

var logLevels = []string{"debug", "verbose", "notice", "warning", "nothing"}

// defaultBind is the bind a nil Config.Bind stands for.
var defaultBind = []string{"127.0.0.1", "-::1"}

// withDefaults returns a copy of cfg with every unset field at its default.
func (cfg Config) withDefaults() Config {
	if cfg.Bind == nil {
		cfg.Bind = slices.Clone(defaultBind)
	}
	if cfg.Databases == 0 {
		cfg.Databases = 16
	}
	if cfg.MaxClients == 0 {
		cfg.MaxClients = 10000
	}
	if cfg.ProtoMaxBulkLen == 0 {
		cfg.ProtoMaxBulkLen = resp.DefaultMaxBulk
	}
	if cfg.ClientQueryBufferLimit == 0 {
		cfg.ClientQueryBufferLimit = resp.DefaultMaxQuery
	}
	if cfg.Hz == 0 {
		cfg.Hz = 10
	}
	if cfg.LogLevel == "" {
		cfg.LogLevel = "notice"
	}
	if cfg.Clock == nil {
		cfg.Clock = store.SystemClock{}
	}
	if cfg.TrackingTableMaxKeys == 0 {
		cfg.TrackingTableMaxKeys = defaultTrackingTableMaxKeys
	}
	return cfg
}

// DefaultConfig returns the configuration the redoubt-server binary starts
// from: the embedded defaults with redis-server's port, its keepalive and
// single thread, and freed memory given back to the system; the caller sets
// logs on standard output.
func DefaultConfig() Config {
	cfg := Config{Port: 6379, TCPKeepAlive: 300, IOThreads: 1, ReleaseMemory: true}.withDefaults()
	return cfg
}

// Validate reports every problem with cfg, joined.
func (cfg Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("server: "+format, args...)) }
	if cfg.Port < PortDisabled || cfg.Port > 65535 {
		bad("port %d out of range [0, 65535]", cfg.Port)
	}
	for _, b := range cfg.Bind {
		if strings.TrimPrefix(b, "-") == "" {
			bad("empty bind address")
		}
	}
	if cfg.TLSPort < TLSPortAny || cfg.TLSPort > 65535 {
		bad("tls-port %d out of range [0, 65535]", cfg.TLSPort)
	}
	if cfg.TLSReloadInterval < 0 || cfg.TLSReloadInterval > maxTLSReloadS*time.Second {
		bad("redoubt-tls-reload-interval %v out of range [0, %ds]", cfg.TLSReloadInterval, maxTLSReloadS)
	}
	if !validTLSAuthUser(cfg.TLSAuthUser) {
		bad("redoubt-tls-auth-user %q is not one of off, cn, san-dns, san-email, san-uri", cfg.TLSAuthUser)
	}
	if cfg.UnixSocketPerm&^0o777 != 0 {
		bad("unixsocketperm %o has bits beyond 0777", uint32(cfg.UnixSocketPerm))
	}
	if cfg.Databases < 1 || cfg.Databases > maxDatabases {
		bad("databases %d out of range [1, %d]", cfg.Databases, maxDatabases)
	}
	if cfg.MaxClients < 1 {
		bad("maxclients %d must be at least 1", cfg.MaxClients)
	}
	if cfg.Timeout < 0 {
		bad("timeout %d must not be negative", cfg.Timeout)
	}
	if cfg.TCPKeepAlive < 0 {
		bad("tcp-keepalive %d must not be negative", cfg.TCPKeepAlive)
	}
	if cfg.ProtoMaxBulkLen < minProtoBulkLen || cfg.ProtoMaxBulkLen > maxProtoBulkLen {
		bad("proto-max-bulk-len %d out of range [%d, %d]", cfg.ProtoMaxBulkLen, int64(minProtoBulkLen), int64(maxProtoBulkLen))
	}
	if cfg.ClientQueryBufferLimit < minQueryBufferLimit || cfg.ClientQueryBufferLimit > maxQueryBufferLimit {
		bad("client-query-buffer-limit %d out of range [1mb, 1tb]", cfg.ClientQueryBufferLimit)
	}
	if cfg.IOThreads < 0 || cfg.IOThreads > maxIOThreads {
		bad("io-threads %d out of range [0, %d]", cfg.IOThreads, maxIOThreads)
	}
	if cfg.Hz < minHz || cfg.Hz > maxHz {
		bad("hz %d out of range [1, 500]", cfg.Hz)
	}
	if _, ok := keyspaceEventsFlags(cfg.NotifyKeyspaceEvents); !ok {
		bad("notify-keyspace-events %q has a character that is no event class", cfg.NotifyKeyspaceEvents)
	}
	if l := cfg.ClientOutputBufferLimits; l != nil {
		for i, cl := range l.classes() {
			if cl.SoftSeconds < 0 || cl.SoftSeconds > intMax {
				bad("client-output-buffer-limit %s soft seconds %d out of range [0, %d]", obufClasses[i], cl.SoftSeconds, intMax)
			}
		}
	}
	if !slices.Contains(logLevels, cfg.LogLevel) {
		bad("loglevel %q is not one of %s", cfg.LogLevel, strings.Join(logLevels, ", "))
	}
	if sl := cfg.slowlog(); sl.LogSlowerThan < -1 || sl.MaxLen < 0 {
		bad("slowlog-log-slower-than %d must be at least -1 and slowlog-max-len %d not negative", sl.LogSlowerThan, sl.MaxLen)
	}
	if cfg.LatencyMonitorThreshold < 0 {
		bad("latency-monitor-threshold %d must not be negative", cfg.LatencyMonitorThreshold)
	}
	if cfg.AuthTimeout != AuthTimeoutNone && (cfg.AuthTimeout < 0 || cfg.AuthTimeout > maxAuthTimeoutS*time.Second) {
		bad("redoubt-auth-timeout %v out of range [0, %ds]", cfg.AuthTimeout, maxAuthTimeoutS)
	}
	if cfg.AuditRateLimit != AuditRateUnlimited && (cfg.AuditRateLimit < 0 || cfg.AuditRateLimit > maxAuditRate) {
		bad("redoubt-audit-rate-limit %d out of range [0, %d]", cfg.AuditRateLimit, maxAuditRate)
	}
	if cfg.AuthThrottle != nil {
		for _, msg := range validateAuthThrottle(*cfg.AuthThrottle) {
			bad("%s", msg)
		}
	}
	if cfg.ACLLogMaxLen != nil && *cfg.ACLLogMaxLen < 0 {
		bad("acllog-max-len %d must not be negative", *cfg.ACLLogMaxLen)
	}
	if open := exposedBind(cfg); open != "" {
		bad(msgExposedUnprotected, open)
	}
	for _, a := range []Allowance{cfg.EnableDebugCommand, cfg.EnableModuleCommand, cfg.EnableProtectedConfigs} {
		if a > AllowLocal {
			bad("an Allowance is AllowNo, AllowYes or AllowLocal, not %d", a)
		}
	}
	if len(cfg.RenameCommands) > 0 {
		initCommands()
		if _, err := newCommandNames(commands, cfg.commandOptions()); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// msgExposedUnprotected refuses a configuration that would listen beyond this
// host with protected mode on and nothing to authenticate with: Redis starts
// and answers every remote client DENIED, which looks like a working server
// until someone turns protected mode off to make it "work".
const msgExposedUnprotected = "refusing to listen on %s with protected mode on and no password: " +
	"only clients on this host could use the server. Bind a loopback address (bind 127.0.0.1 -::1), " +
	"or, on a network you trust, set protected-mode no explicitly"

// exposedBind returns the first address of cfg.Bind that is not a loopback
// address ("*" and "::*" are every address), when protected mode is on and
// no password is set, or "". Addresses that are not IP addresses are left
// to the listener, which refuses them with Redis's error. Before start-up,
// a configuration with "user" lines or an ACL file is left to New, which
// checks again once it has loaded them (Server.exposedUnprotected); CONFIG
// SET judges by the running default user (authKnown).
func exposedBind(cfg Config) string {
	switch {
	case cfg.InsecureDisableProtectedMode, cfg.RequirePass != "" && cfg.RequirePass != requirePassHidden:
		return ""
	case cfg.running:
		if cfg.authKnown {
			return ""
		}
	case len(cfg.ACLUsers) > 0 || cfg.ACLFile != "":
		return ""
	}
	return exposedAddr(cfg.Bind)
}

// exposedAddr returns the first address of bind that is not a loopback
// address, or "".
func exposedAddr(bind []string) string {
	for _, b := range bind {
		addr := strings.TrimPrefix(b, "-")
		if addr == "*" || addr == "::*" {
			return addr
		}
		if ip := net.ParseIP(addr); ip != nil && !ip.IsLoopback() {
			return addr
		}
	}
	return ""
}
