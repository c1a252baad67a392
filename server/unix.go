package server

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The Unix socket listener (unixsocket, unixsocketperm).
//
// Redis before 7.0.14 and 7.2.2 created its socket with listen() and only
// then chmod()ed it, so for a moment the socket accepted connections with
// the umask's mode (CVE-2023-45145); the fix moved the chmod between bind
// and listen, which still leaves the file at its path with the umask's mode
// for a moment, wider than asked for when the umask is 022. Redoubt never
// lets the path exist with a mode wider than unixsocketperm: the socket's
// own mode is set (fchmod) before bind, and Linux creates the file with that
// mode less the umask's bits; should the umask have taken bits that
// unixsocketperm asks for, they are added by a chmod before listen, so the
// mode only ever grows to the one asked for, while nobody can connect yet
// (a connect before listen is refused). A system that ignored the fchmod
// would show a wider mode after bind: the socket is then removed and
// start-up fails.
//
// Beyond Redis, which unlinks whatever is at the path before it binds, a
// path that is not a socket is refused, and so is a socket some server
// still answers on; a socket nobody answers on (left by a crash) is
// replaced. The file is removed when the server stops, if it is still the
// one the server put there.

// maxUnixPath is the longest socket path the kernel takes (sun_path less
// its terminating NUL): 107 bytes on Linux.
const maxUnixPath = len(syscall.RawSockaddrUnix{}.Path) - 1

// unixBacklog is the listen backlog: Redis's tcp-backlog default, which it
// uses for its Unix socket too.
const unixBacklog = 511

// Texts of the Unix socket's start-up errors and log lines. The first is
// Redis's log line, which tools may match.
const (
	msgUnixFailed  = "Failed opening Unix socket: %s"
	msgUnixTooLong = "unix socket path too long (%d), must be under %d"
	msgUnixNoDir   = "bind: the directory %s does not exist"
	msgUnixNotSock = "bind: %s exists and is not a socket; refusing to replace it"
	msgUnixInUse   = "bind: address already in use: a server is listening on %s"
	msgUnixUnknown = "bind: cannot tell whether the socket %s is still in use: %v"
	msgUnixNUL     = "bind: the path holds a NUL byte"
	msgUnixWider   = "bind: the system created the socket with mode %03o, wider than unixsocketperm %03o"
	msgUnixReady   = "The server is now ready to accept connections at %s"
	// msgListenNowhere is Redis's reason to exit when no TCP, TLS or Unix
	// listener is configured.
	msgListenNowhere = "Configured to not listen anywhere, exiting."
	msgUnixRemove    = "Removing the unix socket file."
	msgUnixRemErr    = "Error removing the unix socket file: %v"
)

// unixSocket is the server's listening Unix socket.
type unixSocket struct {
	path string
	// sysPath is path as the system calls get it ("./" before an '@').
	sysPath string
	ln      *net.UnixListener
	// addr is what a Unix client's RemoteAddr and LocalAddr report: the
	// configured path, as Redis shows both (addr=/path:0 laddr=/path:0).
	addr *net.UnixAddr
	// dev and ino identify the socket file put at path, so that closing
	// removes it only if nobody has put another file there since.
	dev uint64
	ino uint64
}

// unixStepHook, when set (by tests), is called at each step of
// openUnixSocket with the step's name, while the socket file is where that
// step left it.
var unixStepHook func(step string)

func unixStep(step string) {
	if unixStepHook != nil {
		unixStepHook(step)
	}
}

// openUnixSocket listens on a Unix socket at path with the permission bits
// perm (zero: as the umask leaves them), without the path ever existing
// with a wider mode (see above).
func openUnixSocket(path string, perm os.FileMode) (u *unixSocket, err error) {
	if len(path) > maxUnixPath {
		return nil, fmt.Errorf(msgUnixTooLong, len(path), maxUnixPath+1)
	}
	if strings.IndexByte(path, 0) >= 0 {
		return nil, errors.New(msgUnixNUL) // the kernel would bind the name before it
	}
	// Go reads a name that starts with '@' as one in Linux's abstract
	// namespace, which has no file and no permissions at all; Redis binds
	// a file of that name in the working directory, and so do we.
	sysPath := path
	if strings.HasPrefix(path, "@") {
		sysPath = "./" + path
		if len(sysPath) > maxUnixPath {
			return nil, fmt.Errorf(msgUnixTooLong, len(sysPath), maxUnixPath+1)
		}
	}
	stale, err := checkUnixPath(sysPath)
	if err != nil {
		return nil, err
	}
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	bound, fdClosed := false, false
	var st syscall.Stat_t // the socket file, once bound
	defer func() {
		if err != nil {
			if !fdClosed {
				syscall.Close(fd)
			}
			if bound {
				removeIfSame(sysPath, &st)
			}
		}
	}()
	if perm != 0 {
		if err := syscall.Fchmod(fd, uint32(perm)); err != nil {
			return nil, fmt.Errorf("fchmod: %w", err)
		}
	}
	if stale {
		os.Remove(sysPath) // the bind below fails if someone got there first
	}
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: sysPath}); err != nil {
		if errors.Is(err, syscall.ENOENT) {
			return nil, fmt.Errorf(msgUnixNoDir, filepath.Dir(path))
		}
		return nil, fmt.Errorf("bind: %w", err)
	}
	unixStep("bound")
	if err := syscall.Lstat(sysPath, &st); err != nil {
		return nil, fmt.Errorf("bind: %w", err)
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFSOCK {
		return nil, fmt.Errorf(msgUnixNotSock, path) // replaced right after bind
	}
	bound = true
	if mode := os.FileMode(st.Mode & 0o777); perm != 0 && mode != perm {
		if mode&^perm != 0 {
			return nil, fmt.Errorf(msgUnixWider, uint32(mode), uint32(perm))
		}
		// The umask took bits asked for: add them, before anyone can
		// connect. (Whoever may write the directory could replace the
		// file meanwhile, as they could replace the socket at any time.)
		if err := os.Chmod(sysPath, perm); err != nil {
			return nil, fmt.Errorf("chmod: %w", err)
		}
		unixStep("chmod")
	}
	if err := syscall.Listen(fd, unixBacklog); err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	f := os.NewFile(uintptr(fd), sysPath)
	fl, err := net.FileListener(f) // a duplicate of fd, in Go's poller
	f.Close()
	fdClosed = true
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	ln, ok := fl.(*net.UnixListener)
	if !ok {
		fl.Close()
		return nil, fmt.Errorf("listen: not a Unix socket listener: %T", fl)
	}
	ln.SetUnlinkOnClose(false) // removal is close's, which checks the file is ours
	unixStep("listening")
	return &unixSocket{path: path, sysPath: sysPath, ln: ln, addr: &net.UnixAddr{Name: path, Net: "unix"},
		dev: uint64(st.Dev), ino: st.Ino}, nil
}

// checkUnixPath refuses a path that holds anything but a stale socket, and
// reports whether it holds one.
func checkUnixPath(path string) (stale bool, err error) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil // or its directory is missing: bind says which
	case err != nil:
		return false, fmt.Errorf("bind: %w", err)
	case fi.Mode().Type() != fs.ModeSocket:
		return false, fmt.Errorf(msgUnixNotSock, path)
	}
	nc, err := net.DialTimeout("unix", path, time.Second)
	switch {
	case err == nil:
		nc.Close()
		return false, fmt.Errorf(msgUnixInUse, path)
	case errors.Is(err, syscall.ECONNREFUSED):
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil // just removed
	}
	return false, fmt.Errorf(msgUnixUnknown, path, err)
}

// close stops listening and removes the socket file if it is still the
// one openUnixSocket put there.
func (u *unixSocket) close(log *logger) {
	u.ln.Close()
	var st syscall.Stat_t
	if syscall.Lstat(u.sysPath, &st) != nil || uint64(st.Dev) != u.dev || st.Ino != u.ino {
		return
	}
	log.logf(levelNotice, msgUnixRemove)
	if err := os.Remove(u.sysPath); err != nil {
		log.logf(levelWarning, msgUnixRemErr, err)
	}
}

// removeIfSame removes path if it is still the file st describes.
func removeIfSame(path string, st *syscall.Stat_t) {
	var now syscall.Stat_t
	if syscall.Lstat(path, &now) == nil && now.Dev == st.Dev && now.Ino == st.Ino {
		os.Remove(path)
	}
}

// Accept returns the next Unix client, known by the socket's path.
func (u *unixSocket) Accept() (net.Conn, error) {
	c, err := u.ln.AcceptUnix()
	if err != nil {
		return nil, err
	}
	return &unixConn{UnixConn: c, addr: u.addr}, nil
}

// Close stops listening (the file stays: see close).
func (u *unixSocket) Close() error { return u.ln.Close() }

// Addr is the socket's path.
func (u *unixSocket) Addr() net.Addr { return u.addr }

// unixConn is a Unix client's connection. Both of its addresses are the
// socket's path, as Redis shows them: a client's own end has no name.
type unixConn struct {
	*net.UnixConn
	addr *net.UnixAddr
}

func (c *unixConn) RemoteAddr() net.Addr { return c.addr }
func (c *unixConn) LocalAddr() net.Addr  { return c.addr }

// isUnixConn reports whether nc came from the Unix socket (CLIENT LIST's
// U flag).
func isUnixConn(nc net.Conn) bool {
	_, ok := nc.(*unixConn)
	return ok
}

// listenUnix opens the Unix socket of cfg, if any, once the TCP listeners
// are bound. On failure it logs Redis's line and stops the server, whose
// listeners are the only thing started yet.
func (s *Server) listenUnix(cfg Config) error {
	if cfg.UnixSocket == "" {
		return nil
	}
	u, err := openUnixSocket(cfg.UnixSocket, cfg.UnixSocketPerm)
	if err != nil {
		s.log.logf(levelWarning, msgUnixFailed, err)
		s.stop()
		return fmt.Errorf("server: failed opening Unix socket %s: %w", cfg.UnixSocket, err)
	}
	s.unix = u
	return nil
}

// serveUnix starts accepting on the Unix socket, if any.
func (s *Server) serveUnix() {
	if s.unix == nil {
		return
	}
	s.wg.Add(1)
	go s.acceptLoop(s.unix) // exits when the socket is closed
	s.log.logf(levelNotice, msgUnixReady, s.unix.path)
}

// closeUnix closes the Unix socket, if any; the caller holds lnMu.
func (s *Server) closeUnix() {
	if s.unix != nil {
		s.unix.close(s.log)
	}
}

// UnixSocket returns the path of the Unix socket the server listens on,
// or "" if none.
func (s *Server) UnixSocket() string {
	if s.unix == nil {
		return ""
	}
	return s.unix.path
}

// unixDirectives are unixsocket and unixsocketperm, immutable as in Redis.
var unixDirectives = []*directive{
	implDirective("unixsocket", dirImmutable, parseStr,
		func(c *Config) string { return c.UnixSocket },
		func(c *Config, v string) { c.UnixSocket = v }),
	implDirective("unixsocketperm", dirImmutable, numericSpec{lo: 0, hi: 0o777, unsigned: true, octal: true}.parse,
		func(c *Config) string { return strconv.FormatUint(uint64(c.UnixSocketPerm), 8) },
		func(c *Config, v string) { n, _ := strconv.ParseUint(v, 8, 32); c.UnixSocketPerm = os.FileMode(n) }),
}
