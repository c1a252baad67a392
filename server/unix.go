package server

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// The Unix socket listener (unixsocket, unixsocketperm).
//
// Redis before 7.0.14 and 7.2.2 created its socket with listen() and only then
// chmod()ed it, so for a moment the socket accepted connections with the
// umask's mode (CVE-2023-45145); the fix moved the chmod between bind and
// listen, which still leaves the file at its path with the umask's mode
// for a moment. Redoubt never lets the path exist with another mode than
// the one asked for: the socket is bound, given its mode and put to listen
// inside a fresh directory of mode 0700 beside the path, where nobody else
// can reach it, and only then renamed to the path. A rename is atomic, so
// the path goes from nothing (or a stale socket) to the finished socket.
//
// Beyond Redis, which unlinks whatever is at the path before it binds, a
// path that is not a socket is refused, and so is a socket some server
// still answers on; a socket nobody answers on (left by a crash) is
// replaced. The file is removed when the server stops, if it is still the
// one the server put there.

// maxUnixPath is the longest socket path the kernel takes (sun_path less
// its terminating NUL): 107 bytes on Linux.
const maxUnixPath = len(syscall.RawSockaddrUnix{}.Path) - 1

// Texts of the Unix socket's start-up errors and log lines. The first is
// Redis's log line, which tools may match.
const (
	msgUnixFailed  = "Failed opening Unix socket: %s"
	msgUnixTooLong = "unix socket path too long (%d), must be under %d"
	msgUnixNoDir   = "bind: the directory %s does not exist"
	msgUnixNotSock = "bind: %s exists and is not a socket; refusing to replace it"
	msgUnixInUse   = "bind: address already in use: a server is listening on %s"
	msgUnixUnknown = "bind: cannot tell whether the socket %s is still in use: %v"
	msgUnixReady   = "The server is now ready to accept connections at %s"
	msgUnixRemove  = "Removing the unix socket file."
	msgUnixRemErr  = "Error removing the unix socket file: %v"
)

// unixSocket is the server's listening Unix socket.
type unixSocket struct {
	path string
	ln   *net.UnixListener
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
// with another mode (see above).
func openUnixSocket(path string, perm os.FileMode) (*unixSocket, error) {
	if len(path) > maxUnixPath {
		return nil, fmt.Errorf(msgUnixTooLong, len(path), maxUnixPath+1)
	}
	if err := checkUnixPath(path); err != nil {
		return nil, err
	}
	parent := filepath.Dir(path)
	dir, err := os.MkdirTemp(parent, ".redoubt-sock-") // mode 0700
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf(msgUnixNoDir, parent)
		}
		return nil, fmt.Errorf("bind: %w", err)
	}
	unixStep("private-dir")
	// Empty once the socket is renamed out of it; on failure it holds the
	// socket, which goes with it.
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "s")
	bindPath := tmp
	if len(tmp) > maxUnixPath {
		// The directory's name made the path too long: reach the
		// directory through a descriptor of it instead.
		fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("bind: %w", err)
		}
		defer syscall.Close(fd)
		bindPath = "/proc/self/fd/" + strconv.Itoa(fd) + "/s"
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: bindPath, Net: "unix"})
	if err != nil {
		return nil, err // "listen unix …: reason"
	}
	// The listener is known by its temporary name, which is gone once
	// renamed: removal is ours (close).
	ln.SetUnlinkOnClose(false)
	unixStep("listening")
	if perm != 0 {
		if err := os.Chmod(tmp, perm); err != nil {
			ln.Close()
			return nil, fmt.Errorf("chmod: %w", err)
		}
		unixStep("chmod")
	}
	var st syscall.Stat_t
	if err := syscall.Lstat(tmp, &st); err != nil {
		ln.Close()
		return nil, fmt.Errorf("bind: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		ln.Close()
		return nil, fmt.Errorf("bind: %w", err)
	}
	unixStep("renamed")
	return &unixSocket{path: path, ln: ln, addr: &net.UnixAddr{Name: path, Net: "unix"},
		dev: uint64(st.Dev), ino: st.Ino}, nil
}

// checkUnixPath refuses a path that holds anything but a stale socket.
func checkUnixPath(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil // or its directory is missing: MkdirTemp says which
	case err != nil:
		return fmt.Errorf("bind: %w", err)
	case fi.Mode().Type() != fs.ModeSocket:
		return fmt.Errorf(msgUnixNotSock, path)
	}
	nc, err := net.DialTimeout("unix", path, time.Second)
	switch {
	case err == nil:
		nc.Close()
		return fmt.Errorf(msgUnixInUse, path)
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, fs.ErrNotExist):
		return nil // stale (or just removed): the rename replaces it
	}
	return fmt.Errorf(msgUnixUnknown, path, err)
}

// close stops listening and removes the socket file if it is still the
// one openUnixSocket put there.
func (u *unixSocket) close(log *logger) {
	u.ln.Close()
	var st syscall.Stat_t
	if syscall.Lstat(u.path, &st) != nil || uint64(st.Dev) != u.dev || st.Ino != u.ino {
		return
	}
	log.logf(levelNotice, msgUnixRemove)
	if err := os.Remove(u.path); err != nil {
		log.logf(levelWarning, msgUnixRemErr, err)
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
// socket's path: a client's own end has no name, and the listener's is
// its temporary one.
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
