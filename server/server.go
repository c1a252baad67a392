package server

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redoubt-db/redoubt/store"
)

// Version is the Redoubt version; RedisVersion is the Redis version whose
// behaviour Redoubt reproduces, reported where clients look for a Redis
// version (INFO's redis_version, HELLO).
const (
	Version      = "0.1.0"
	RedisVersion = "7.0.15"
)

// ErrServerClosed is returned by Shutdown when the server is already closed.
var ErrServerClosed = errors.New("server: closed")

// Server is a running Redoubt server. Create one with New; it serves until
// Close, Shutdown or the SHUTDOWN command.
//
// Lock order: a store database lock may be held while taking connsMu or
// cfgMu, never the other way round. connsMu and cfgMu are never held
// together. pause.mu may be taken with the store's lock held (CLIENT PAUSE
// in a transaction), never the other way round. The throttle's and the
// audit log's locks (thr.mu, audit.mu) are leaves: they may be taken under
// any other (an audit event under the store's lock or cfgMu), and nothing
// but the logger's is taken under them.
type Server struct {
	store *store.Store
	log   *logger
	start time.Time
	runID string

	// cfgMu guards cfg, the configuration as CONFIG GET reports it.
	cfgMu sync.RWMutex
	cfg   Config
	// Hot copies of configuration read on every request, so connections
	// need not take cfgMu.
	maxBulk    atomic.Int64
	maxQuery   atomic.Int64
	timeout    atomic.Int64 // seconds
	maxClients atomic.Int64
	// obuf are client-output-buffer-limit's classes (outlimit.go).
	obuf [3]obufLimit

	// lnMu guards listeners and port, which CONFIG SET bind and port
	// replace at run time.
	lnMu      sync.Mutex
	listeners []net.Listener
	port      int // the TCP port actually bound, 0 if none
	// tls is the TLS side: its listeners, under lnMu, and configuration
	// (tls.go).
	tls tlsState
	// unix is the Unix socket (unix.go), nil if none; set by New, closed
	// by stop under lnMu.
	unix *unixSocket

	// connsMu guards conns and nextID.
	connsMu sync.Mutex
	conns   map[int64]*client
	nextID  int64

	// cmds are the names this server's clients call commands by, and its
	// switches for protected commands; built by New, then constant.
	cmds *commandNames

	stats serverStats
	// users are the ACL users (users.go); aclLog the ACL log (acllog.go).
	users  users
	aclLog aclLog
	// aclMu orders ACL LOAD and ACL SAVE, which read or write the ACL
	// file (cmd_acl_users.go). It is never held while taking cfgMu.
	aclMu sync.Mutex
	// cmdStats holds every command's statistics, indexed by command.id.
	cmdStats []commandStats
	info     infoState  // INFO's own state (stats.go)
	intro    introState // MONITOR, SLOWLOG, LATENCY (introspect.go)
	// blk are the clients blocked in BLPOP and the like, WAIT included
	// (blocking.go); the store's lock guards it.
	blk blockRegistry
	// watch are the keys clients WATCH (multi.go), under the store's lock.
	watch watchTable
	// ps are the pub/sub subscriptions (pubsub.go), under their own lock.
	ps pubsubRegistry
	// notifyBuf is where keyspace events' channels and messages are built
	// (notify.go), under the store's lock.
	notifyBuf []byte
	// pause is CLIENT PAUSE's state and the clients it holds (pause.go).
	pause pauseState
	// trk is the client-side caching state (tracking.go); the store's
	// lock guards it.
	trk trackingState

	// unixTime is the cached Unix time in seconds (Redis's server.unixtime),
	// refreshed by the cron, for idle and age accounting.
	unixTime atomic.Int64

	// releaseMemory is Config.ReleaseMemory, constant after New; mem is
	// the state of the releases it asks for (memory.go).
	releaseMemory bool
	mem           memRelease
	// lazyUserFlush is Config.LazyFree.UserFlush, read by FLUSHALL and
	// FLUSHDB without an ASYNC or SYNC option (lazyfree.go).
	lazyUserFlush atomic.Bool

	// thr is the login throttling state (throttle.go); audit the audit
	// log (audit.go), nil when none, set by New and then constant.
	thr   throttle
	audit *auditLog
	// weakHashes are the passwords judged weak when set, for the
	// security audit (secaudit.go); its own lock guards it.
	weakHashes weakHashes

	closing    atomic.Bool
	done       chan struct{} // closed when the server has stopped
	stopCron   chan struct{}
	stopOnce   sync.Once
	finishOnce sync.Once
	wg         sync.WaitGroup // accept loops, connections and the cron
}

// serverStats are the server-wide counters INFO reports.
type serverStats struct {
	connections      atomic.Int64 // total_connections_received
	rejectedConns    atomic.Int64 // rejected_connections
	netInput         atomic.Int64 // total_net_input_bytes
	netOutput        atomic.Int64 // total_net_output_bytes
	errorReplies     atomic.Int64 // total_error_replies
	clientQueryLimit atomic.Int64 // client_query_buffer_limit_disconnections
	// clientOutputLimit: client_output_buffer_limit_disconnections
	clientOutputLimit atomic.Int64
	// dirty counts the changes to keys since the last save
	// (rdb_changes_since_last_save): there are no saves yet, so since
	// start-up.
	dirty atomic.Int64

	// errMu guards errorCodes, the errorstats counters by error prefix.
	errMu      sync.Mutex
	errorCodes map[string]int64
}

// New starts a server with cfg, completed with defaults and validated. It
// returns once every listener is bound, so Addr is usable at once.
func New(cfg Config) (*Server, error) {
	initCommands()
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cmds, err := newCommandNames(commands, cfg.commandOptions())
	if err != nil {
		return nil, err // Validate has reported it already
	}
	log, err := newLogger(cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cmds:     cmds,
		log:      log,
		start:    time.Now(),
		runID:    newRunID(),
		cfg:      cfg,
		conns:    map[int64]*client{},
		done:     make(chan struct{}),
		stopCron: make(chan struct{}),

		releaseMemory: cfg.ReleaseMemory,
	}
	s.store = store.New(store.Options{Databases: cfg.Databases, Clock: cfg.Clock,
		OnCommit: s.consumeChanges, OnEnd: s.trackingEndTx, OnFreed: s.noteFreedValues})
	s.stats.errorCodes = map[string]int64{}
	s.thr.init(cfg.authThrottle())
	if err := s.openAudit(cfg); err != nil {
		log.close()
		return nil, err
	}
	s.ps.init()
	s.initUsers()
	if cfg.RequirePass != "" {
		s.applyRequirePass(cfg.RequirePass, "requirepass")
		hideRequirePass(&s.cfg)
	}
	s.cmdStats = make([]commandStats, commands.count)
	s.initStats()
	s.applyHotConfig(cfg)
	s.unixTime.Store(time.Now().Unix())

	s.logStartup()
	fit := processNofile.fitOpenFiles(cfg.MaxClients)
	if err := s.logFit(fit, cfg.MaxClients); err != nil {
		s.closeAudit()
		log.close()
		return nil, err
	}
	if fit.clients < cfg.MaxClients {
		// As Redis, run with the clients that fit; CONFIG GET says so.
		s.cfg.MaxClients = fit.clients
		s.maxClients.Store(int64(fit.clients))
	}
	// The users of "user" lines or of the ACL file, after the default
	// user (and requirepass), before any client connects.
	if err := s.loadUsersAtStartup(&cfg); err != nil {
		log.close()
		return nil, err
	}
	if open := s.exposedUnprotected(cfg); open != "" {
		s.log.logf(levelWarning, msgExposedUnprotected, open)
		s.closeAudit()
		log.close()
		return nil, fmt.Errorf("server: "+msgExposedUnprotected, open)
	}
	if err := s.listen(cfg); err != nil {
		s.log.logf(levelWarning, "Failed listening on port %d (tcp), aborting.", cfg.Port)
		s.closeAudit()
		log.close()
		return nil, err
	}
	if err := s.listenTLS(&s.cfg); err != nil { // tls.go
		s.stop() // closes the listeners
		s.closeAudit()
		log.close()
		return nil, err
	}
	if err := s.listenUnix(cfg); err != nil { // unix.go; closes the listeners on failure
		s.closeAudit()
		log.close()
		return nil, err
	}
	if len(s.listeners) == 0 && len(s.tls.lns) == 0 && s.unix == nil {
		// Redis exits rather than run a server nobody can reach.
		s.log.logf(levelWarning, msgListenNowhere)
		s.stop()
		s.closeAudit()
		log.close()
		return nil, errors.New("server: " + msgListenNowhere)
	}
	// From here on an ephemeral port (Port 0) reads as the port bound, or
	// as PortDisabled when nothing is bound, which is what CONFIG GET
	// reports. No other goroutine runs yet: cfgMu is not needed.
	if s.cfg.Port == 0 {
		s.cfg.Port = cmp.Or(s.port, PortDisabled)
	}
	if cfg.PidFile != "" {
		if err := os.WriteFile(cfg.PidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			s.log.logf(levelWarning, "Failed to write PID file: %v", err)
		}
	}
	for _, ln := range s.listeners {
		s.wg.Add(1)
		go s.acceptLoop(ln) // exits when the listener is closed
	}
	s.startTLSLoops(s.tls.lns)
	s.wg.Add(1)
	go s.cron() // exits when stopCron is closed
	if s.audit != nil {
		s.wg.Add(1)
		go s.auditSyncLoop() // exits when stopCron is closed
	}
	s.wg.Add(1)
	go s.tlsWatchLoop() // tls_auth.go: exits when stopCron is closed
	s.log.logf(levelNotice, "Running mode=standalone, port=%d.", cmp.Or(s.port, s.tls.port))
	s.log.logf(levelNotice, "Server initialized")
	if len(s.listeners) > 0 || len(s.tls.lns) > 0 {
		s.log.logf(levelNotice, "Ready to accept connections")
	}
	s.serveUnix() // unix.go
	return s, nil
}

func (s *Server) logStartup() {
	s.log.logRole(levelWarning, 'C', "oO0OoO0OoO0Oo Redoubt is starting oO0OoO0OoO0Oo")
	s.log.logRole(levelWarning, 'C', "Redoubt version=%s, redis_version=%s, bits=%d, pid=%d, just started",
		Version, RedisVersion, strconv.IntSize, os.Getpid())
	if s.cfg.ConfigFile == "" {
		s.log.logRole(levelNotice, 'C', "No config file specified, using the default config.")
	} else {
		s.log.logRole(levelWarning, 'C', "Configuration loaded")
	}
}

func newRunID() string {
	var b [20]byte
	rand.Read(b[:]) // never returns an error: since Go 1.24 it crashes the program instead
	return fmt.Sprintf("%x", b)
}

func (s *Server) applyHotConfig(cfg Config) {
	s.maxBulk.Store(cfg.ProtoMaxBulkLen)
	s.store.SetLimits(cfg.limits())
	s.maxQuery.Store(cfg.ClientQueryBufferLimit)
	s.timeout.Store(int64(cfg.Timeout))
	s.maxClients.Store(int64(cfg.MaxClients))
	s.log.level.Store(int32(parseLogLevel(cfg.LogLevel)))
	s.applyLazyFree(cfg.LazyFree)
	s.applyNotify(cfg.NotifyKeyspaceEvents)
	s.applyIntrospectConfig(&cfg)
	s.applyOutputLimits(&cfg)
	s.applyTracking(cfg)
	s.applyGuard(&cfg) // throttle.go
	s.aclLog.setMaxLen(cfg.aclLogMaxLen())
	s.applyTLSHot(&cfg) // tls_auth.go
}

// listen binds every TCP address of cfg. With Port zero, the first address
// picks a free port and the others reuse it.
func (s *Server) listen(cfg Config) error {
	lns, port, err := s.openListeners(cfg.Bind, cfg.Port)
	s.listeners, s.port = lns, port
	return err
}

// listenAddr is one TCP address of a bind list.
type listenAddr struct {
	network  string // tcp4 or tcp6
	host     string
	optional bool // a '-' address: skipped when it does not exist here
}

// listenAddrs returns the TCP addresses of the bind list bind.
func listenAddrs(bind []string) []listenAddr {
	addrs := make([]listenAddr, 0, len(bind))
	for _, b := range bind {
		a := listenAddr{network: "tcp4", host: strings.TrimPrefix(b, "-"), optional: strings.HasPrefix(b, "-")}
		switch {
		case a.host == "*":
			a.host = "0.0.0.0"
		case a.host == "::*":
			a.host, a.network = "::", "tcp6"
		case strings.Contains(a.host, ":"):
			a.network = "tcp6"
		}
		addrs = append(addrs, a)
	}
	return addrs
}

// boundBy reports whether ln listens on a at port.
func (a listenAddr) boundBy(ln net.Listener, port int) bool {
	ta, ok := ln.Addr().(*net.TCPAddr)
	ip := net.ParseIP(a.host)
	return ok && ip != nil && ta.Port == port && ta.IP.Equal(ip) && (ta.IP.To4() != nil) == (a.network == "tcp4")
}

// openListeners binds port on every address of bind, skipping the optional
// ('-') ones that do not exist here. Port zero picks a free port for the
// first address, which the others reuse; PortDisabled or no address binds
// nothing; addresses that all turn out optional and missing are an error.
// On failure it closes what it bound.
func (s *Server) openListeners(bind []string, port int) ([]net.Listener, int, error) {
	if port == PortDisabled || len(bind) == 0 {
		return nil, 0, nil
	}
	lns := make([]net.Listener, len(bind))
	port, err := s.listenMissing(listenAddrs(bind), lns, port)
	if err != nil {
		return nil, 0, err
	}
	return slices.DeleteFunc(lns, func(ln net.Listener) bool { return ln == nil }), port, nil
}

// listenMissing binds port on every address addrs[i] whose lns[i] is nil,
// storing the listener in lns[i] (nil for an optional address that does
// not exist here), and returns the port. Port zero picks a free port for
// the first address bound, which the others reuse. On failure it closes
// and clears what it bound; ending with no listener at all is a failure.
func (s *Server) listenMissing(addrs []listenAddr, lns []net.Listener, port int) (int, error) {
	var bound []int
	fail := func(err error) (int, error) {
		for _, i := range bound {
			lns[i].Close()
			lns[i] = nil
		}
		return 0, err
	}
	for i, a := range addrs {
		if lns[i] != nil {
			continue
		}
		hostPort := net.JoinHostPort(a.host, strconv.Itoa(port))
		ln, err := net.Listen(a.network, hostPort)
		if err != nil {
			if a.optional && bindUnavailable(err) {
				s.log.logf(levelVerbose, "Skipping optional bind address %s: %v", a.host, err)
				continue
			}
			s.log.logf(levelWarning, "Warning: Could not create server TCP listening socket %s: %v", hostPort, err)
			return fail(fmt.Errorf("server: could not create server TCP listening socket %s: %w", hostPort, err))
		}
		if port == 0 {
			port = ln.Addr().(*net.TCPAddr).Port
		}
		lns[i] = ln
		bound = append(bound, i)
	}
	if !slices.ContainsFunc(lns, func(ln net.Listener) bool { return ln != nil }) {
		return fail(errors.New("server: failed listening on every bind address"))
	}
	return port, nil
}

// rebind moves the TCP listeners to bind and port (CONFIG SET bind, port),
// all or nothing, as Redis's changeBindAddr and changeListenPort with the
// restore that follows a failure. A listener already on a wanted address
// and port stays; the other addresses are bound while the old listeners
// still serve. Only if that fails (a new address may clash with an old one
// on the same port, as * and 127.0.0.1 do) are the old listeners closed
// first, as Redis always does, and if it fails even so they are bound
// again. Connections already accepted stay.
func (s *Server) rebind(bind []string, port int) error {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	if s.closing.Load() {
		return errors.New("server: shutting down")
	}
	var addrs []listenAddr
	if port != PortDisabled {
		addrs = listenAddrs(bind)
	}
	next := make([]net.Listener, len(addrs)) // by address; nil until bound
	kept := map[net.Listener]bool{}
	var stale []net.Listener // old listeners on no wanted address
	for _, ln := range s.listeners {
		i := slices.IndexFunc(addrs, func(a listenAddr) bool { return a.boundBy(ln, port) })
		if port != 0 && i >= 0 && next[i] == nil {
			next[i] = ln
			kept[ln] = true
		} else {
			stale = append(stale, ln)
		}
	}
	bound := port
	var err error
	if len(addrs) > 0 {
		bound, err = s.listenMissing(addrs, next, port)
		if err != nil && len(stale) > 0 {
			for _, ln := range stale {
				ln.Close() // its accept loop returns
			}
			if bound, err = s.listenMissing(addrs, next, port); err != nil {
				s.relisten(stale)
				return err
			}
		}
		if err != nil {
			return err
		}
	}
	for _, ln := range stale {
		ln.Close() // its accept loop returns; closing twice is harmless
	}
	lns := slices.DeleteFunc(next, func(ln net.Listener) bool { return ln == nil })
	for _, ln := range lns {
		if !kept[ln] {
			s.wg.Add(1)
			go s.acceptLoop(ln) // exits when the listener is closed
		}
	}
	if len(lns) == 0 {
		bound = 0
	}
	s.listeners, s.port = lns, bound
	return nil
}

// relisten binds again the addresses of the closed listeners stale, after
// a failed rebind, keeping s.listeners in order; one that cannot be bound
// again is lost, and logged, as in Redis. The caller holds lnMu.
func (s *Server) relisten(stale []net.Listener) {
	var lns []net.Listener
	for _, ln := range s.listeners {
		if !slices.Contains(stale, ln) {
			lns = append(lns, ln)
			continue
		}
		a := ln.Addr().(*net.TCPAddr)
		network := "tcp6"
		if a.IP.To4() != nil {
			network = "tcp4"
		}
		nl, err := net.Listen(network, a.String())
		if err != nil {
			s.log.logf(levelWarning, "Failed to restore listening socket %s: %v", a, err)
			continue
		}
		lns = append(lns, nl)
		s.wg.Add(1)
		go s.acceptLoop(nl) // exits when the listener is closed
	}
	s.listeners = lns
	if len(lns) == 0 {
		s.port = 0
	}
}

// bindUnavailable reports whether a listen error means the address does not
// exist here, which an optional ('-') bind address may ignore.
func bindUnavailable(err error) bool {
	return errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EAFNOSUPPORT) ||
		errors.Is(err, syscall.EPROTONOSUPPORT) || errors.Is(err, syscall.ENOPROTOOPT)
}

// Addr returns the host:port of the first TCP listener, or "" if none.
func (s *Server) Addr() string {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	if len(s.listeners) == 0 {
		return ""
	}
	return s.listeners[0].Addr().String()
}

// Addrs returns the addresses of every listener.
func (s *Server) Addrs() []string {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	var addrs []string
	for _, ln := range s.listeners {
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs
}

// Port returns the TCP port the server listens on, 0 if none.
func (s *Server) Port() int {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	return s.port
}

// Store returns the server's keyspace, for direct access from Go. Use it
// only inside a transaction (store.Store.Begin or Update), as commands do:
// the changes an embedder makes reach the same consumers as a client's. The
// DB method of Server offers a simpler API that does this itself.
func (s *Server) Store() *store.Store { return s.store }

// consumeChanges receives the change log of every store transaction step,
// under the store's lock: from commands, the active expiry cycle and
// embedders alike. It counts the changes for INFO's
// rdb_changes_since_last_save, and serves the blocked clients whose keys
// the step made ready; WATCH, keyspace notifications, client-side caching
// and the append log plug in here.
func (s *Server) consumeChanges(tx *store.Tx, changes []store.Change) {
	var dirty int64
	for i := range changes {
		dirty += changes[i].Dirty()
	}
	dirty = s.servedDirty(dirty) // blocking.go: what serving blocked clients changed
	if dirty != 0 {
		s.stats.dirty.Add(dirty)
	}
	if s.watch.count > 0 {
		s.watch.consume(tx, changes) // multi.go
	}
	if len(tx.Events()) > 0 {
		s.publishEvents(tx) // notify.go
	}
	s.trackChanges(tx, changes) // tracking.go: invalidations
	// Last, after every other consumer has seen the step: serve the keys
	// it made ready (blocking.go). What the serve changes comes back here.
	s.wakeBlocked(tx, changes)
}

// Done returns a channel closed once the server has stopped, whether by
// Close, Shutdown or the SHUTDOWN command.
func (s *Server) Done() <-chan struct{} { return s.done }

// acceptLoop accepts connections until ln is closed. Errors on one
// connection never stop it; running out of file descriptors backs off, as
// net/http does, instead of spinning.
func (s *Server) acceptLoop(ln net.Listener) {
	defer s.wg.Done()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.closing.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			if delay == 0 {
				delay = 5 * time.Millisecond
			} else {
				delay = min(2*delay, time.Second)
			}
			s.log.logf(levelWarning, "Accepting client connection: %v; retrying in %v", err, delay)
			select {
			case <-time.After(delay):
			case <-s.stopCron:
				return
			}
			continue
		}
		delay = 0
		s.accept(nc)
	}
}

// accept admits or refuses a new connection and starts serving it.
func (s *Server) accept(nc net.Conn) {
	// A TLS connection is counted, and judged by protected mode, once its
	// handshake is done (client.handshakeTLS), as in Redis.
	isTLS := isTLSConn(nc)
	if !isTLS {
		s.stats.connections.Add(1)
	}
	s.cfgMu.RLock()
	ka, protectedMode := s.cfg.TCPKeepAlive, !s.cfg.InsecureDisableProtectedMode
	s.cfgMu.RUnlock()
	if tc, ok := sockOf(nc).(*net.TCPConn); ok {
		tc.SetNoDelay(true)
		if ka > 0 {
			tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: time.Duration(ka) * time.Second,
				Interval: time.Duration(ka) * time.Second / 3, Count: 3})
		}
	}
	if !isTLS && s.protectedModeDenies(nc, protectedMode) {
		s.stats.rejectedConns.Add(1)
		nc.SetWriteDeadline(time.Now().Add(time.Second))
		nc.Write([]byte("-" + msgDenied + "\r\n"))
		nc.Close()
		return
	}
	c := newConn(s, nc)
	s.connsMu.Lock()
	if s.closing.Load() {
		// Shutdown has set the deadlines of the connections it found
		// under connsMu; this one came too late to get them.
		s.connsMu.Unlock()
		nc.Close()
		return
	}
	if int64(len(s.conns)) >= s.maxClients.Load() {
		s.connsMu.Unlock()
		s.stats.rejectedConns.Add(1)
		if !isTLS { // before the handshake nothing can be said, as in Redis
			nc.SetWriteDeadline(time.Now().Add(time.Second))
			nc.Write([]byte("-" + msgMaxClients + "\r\n"))
		}
		closeConn(nc)
		return
	}
	s.nextID++
	c.id = s.nextID
	s.conns[c.id] = c
	s.connsMu.Unlock()
	s.wg.Add(1)
	go c.serve() // exits when the client disconnects or is closed
}

// protectedModeDenies reports whether protected mode refuses nc: it is on
// (protectedMode, read by the caller under cfgMu), no password is set, and
// the peer is not local as Redis judges it (localPeer: 127.0.0.2 is not).
func (s *Server) protectedModeDenies(nc net.Conn, protectedMode bool) bool {
	return protectedMode && !s.passwordSet() && !localPeer(nc.RemoteAddr())
}

func (s *Server) removeConn(c *client) {
	s.connsMu.Lock()
	delete(s.conns, c.id)
	s.connsMu.Unlock()
}

// cron runs the periodic work hz times a second until the server stops.
func (s *Server) cron() {
	defer s.wg.Done()
	s.cfgMu.RLock()
	hz := s.cfg.Hz
	s.cfgMu.RUnlock()
	tick := time.NewTicker(time.Second / time.Duration(hz))
	defer tick.Stop()
	var lastClientsCheck int64
	for {
		select {
		case <-s.stopCron:
			return
		case <-tick.C:
		}
		now := time.Now().Unix()
		s.unixTime.Store(now)
		s.pauseCron() // before the store's: a pause past its end lets expiry go on
		s.store.Cron(hz)
		s.sampleExpireCycle() // LATENCY's expire-cycle event (latency.go)
		s.sampleStats()
		s.trackingCron()
		if s.releaseMemory {
			s.releaseFreedMemory(time.Now())
		}
		if now != lastClientsCheck {
			lastClientsCheck = now
			s.closeIdleClients(now)
			s.checkOutputLimits()
		}
		s.cfgMu.RLock()
		newHz := s.cfg.Hz
		s.cfgMu.RUnlock()
		if newHz != hz {
			hz = newHz
			tick.Reset(time.Second / time.Duration(hz))
		}
	}
}

// closeIdleClients closes clients idle longer than the timeout directive.
func (s *Server) closeIdleClients(now int64) {
	timeout := s.timeout.Load()
	if timeout <= 0 {
		return
	}
	s.connsMu.Lock()
	var idle []*client
	for _, c := range s.conns {
		// Blocked clients are waiting on the server, not idle.
		if now-c.lastInteraction.Load() > timeout && !s.info.isBlocked(c) {
			idle = append(idle, c)
		}
	}
	s.connsMu.Unlock()
	for _, c := range idle {
		s.log.logf(levelVerbose, "Closing idle client")
		c.close()
	}
}

// Close stops the server at once: listeners and every connection are closed
// and background work stops. It waits for every goroutine to exit.
func (s *Server) Close() error {
	s.stop()
	s.closeAllConns()
	s.wg.Wait()
	s.finish()
	return nil
}

// shutdownWriteGrace is how long Shutdown lets a connection's write make
// no progress while it writes the replies of the batch it is running: a
// client that reads gets them all, one that does not read its socket is
// dropped after the grace instead of holding Shutdown for as long as ctx
// allows (Redis writes no pending replies at all when it shuts down, and
// exits in about 50 ms).
const shutdownWriteGrace = 100 * time.Millisecond

// Shutdown stops the server gracefully: it stops accepting, lets commands in
// progress finish and send their replies for up to shutdownWriteGrace,
// closes idle connections, and waits for every connection to end or for ctx
// to be done, whichever comes first; then it closes whatever remains.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stop()
	writeDeadline := time.Now().Add(shutdownWriteGrace)
	s.connsMu.Lock()
	for _, c := range s.conns {
		// Unblock reads; a batch being executed still completes and
		// writes its replies before the goroutine sees the deadline, as
		// long as the client reads them within the grace. A write past
		// it fails, and the connection ends.
		c.shutdown.Store(true) // before the deadline: see client.wakeHandled
		c.nc.SetReadDeadline(aLongTimeAgo)
		c.nc.SetWriteDeadline(writeDeadline)
	}
	s.connsMu.Unlock()
	waited := make(chan struct{})
	go func() { // exits when every server goroutine has
		s.wg.Wait()
		close(waited)
	}()
	var err error
	select {
	case <-waited:
	case <-ctx.Done():
		err = ctx.Err()
		s.closeAllConns()
		<-waited
	}
	s.finish()
	return err
}

// stop closes the listeners and stops the cron; it is idempotent.
func (s *Server) stop() {
	s.stopOnce.Do(func() {
		s.lnMu.Lock()
		s.closing.Store(true)
		for _, ln := range s.listeners {
			ln.Close()
		}
		s.closeTLSListeners()
		s.closeUnix() // unix.go
		s.lnMu.Unlock()
		close(s.stopCron)
	})
}

func (s *Server) closeAllConns() {
	s.connsMu.Lock()
	for _, c := range s.conns {
		closeConn(c.nc)
	}
	s.connsMu.Unlock()
}

// finish runs once, after every goroutine has exited: it removes the pid
// file, logs the last line and closes Done.
func (s *Server) finish() {
	s.finishOnce.Do(func() {
		s.store.WaitFreed() // values deleted last are freed before we say bye
		s.cfgMu.RLock()
		pid := s.cfg.PidFile
		s.cfgMu.RUnlock()
		if pid != "" {
			os.Remove(pid)
		}
		s.closeAudit() // every connection has ended: the last events are in
		s.log.logf(levelWarning, "Redoubt is now ready to exit, bye bye...")
		s.log.close()
		close(s.done)
	})
}

// shutdownFromCommand stops the server after SHUTDOWN, without waiting for
// the calling connection's goroutine (it is that goroutine).
func (s *Server) shutdownFromCommand() {
	s.log.logf(levelWarning, "User requested shutdown...")
	go func() { // exits once the server has stopped
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	}()
}
