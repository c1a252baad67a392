package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// unix10Dir is a fresh directory for a test's sockets, removed at its end.
// Unlike t.TempDir's, its name is short and others may search it (0755),
// so that a test can show what another user cannot reach.
func unix10Dir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "unix10-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// tcDialUnix connects to the Unix socket at path.
func tcDialUnix(t *testing.T, path string) *tcConn {
	t.Helper()
	nc, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &tcConn{t: t, nc: nc, r: bufio.NewReader(nc)}
}

// processUmask reads the process's umask from /proc.
func processUmask(t *testing.T) os.FileMode {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Umask:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			if err != nil {
				t.Fatal(err)
			}
			return os.FileMode(n)
		}
	}
	t.Skip("no Umask line in /proc/self/status")
	return 0
}

// modePoller lstats path in a loop from start until stop, and records every
// mode (type and permission bits) it finds there.
type modePoller struct {
	path  string
	done  chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	seen  map[uint32]int // st_mode → times seen
	polls int
}

func startModePoller(path string) *modePoller {
	p := &modePoller{path: path, done: make(chan struct{}), seen: map[uint32]int{}}
	p.wg.Add(1)
	go func() { // exits when stop closes done
		defer p.wg.Done()
		var st syscall.Stat_t
		for {
			select {
			case <-p.done:
				return
			default:
			}
			err := syscall.Lstat(path, &st)
			p.mu.Lock()
			p.polls++
			if err == nil {
				p.seen[st.Mode]++
			}
			p.mu.Unlock()
		}
	}()
	return p
}

// sawPath reports whether the poller has found something at the path.
func (p *modePoller) sawPath() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.seen) > 0
}

func (p *modePoller) stop() map[uint32]int {
	close(p.done)
	p.wg.Wait()
	return p.seen
}

// sockMode is the st_mode of a socket with permission bits perm.
func sockMode(perm os.FileMode) uint32 { return syscall.S_IFSOCK | uint32(perm) }

// The poller sees the window of the naive order (listen, then chmod) that
// CVE-2023-45145 was about: a check that it can see a window at all, for
// TestUnixSocketModeFromFirstMoment, which finds none in Redoubt's.
func TestUnixModePollerSeesNaiveWindow(t *testing.T) {
	umask := processUmask(t)
	created := 0o777 &^ umask
	if created == 0o700 {
		t.Skipf("umask %o creates sockets 0700 already: no window to see", umask)
	}
	path := filepath.Join(unix10Dir(t), "naive.sock")
	p := startModePoller(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		p.stop()
		t.Fatal(err)
	}
	defer ln.Close()
	time.Sleep(100 * time.Millisecond) // the window, held open
	if err := os.Chmod(path, 0o700); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	seen := p.stop()
	if seen[sockMode(created)] == 0 {
		t.Errorf("poller missed the naive window: saw %v in %d polls, want mode %o among them", seen, p.polls, sockMode(created))
	}
}

// From the first moment the path exists, the socket at it never has a
// mode wider than unixsocketperm asks for (the umask's, when none is set),
// nobody can connect to it before it has that mode exactly, and it ends
// with that mode: a goroutine lstats the path in a loop from before New
// until after, and at each step of the socket's creation the path is
// checked, and dialled, as that step left it.
func TestUnixSocketModeFromFirstMoment(t *testing.T) {
	umask := processUmask(t)
	for _, perm := range []os.FileMode{0o700, 0o770, 0o600, 0o777, 0} {
		t.Run(fmt.Sprintf("%03o", perm), func(t *testing.T) {
			dir := unix10Dir(t)
			path := filepath.Join(dir, "r.sock")
			want := perm
			if perm == 0 {
				want = 0o777 &^ umask
			}
			var steps []string
			unixStepHook = func(step string) {
				steps = append(steps, step)
				var st syscall.Stat_t
				if err := syscall.Lstat(path, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFSOCK {
					t.Errorf("step %s: %s mode %o (%v), want a socket", step, path, st.Mode, err)
					return
				}
				if wider := st.Mode & 0o777 &^ uint32(want); wider != 0 {
					t.Errorf("step %s: %s mode %o has bits %o beyond %o", step, path, st.Mode, wider, want)
				}
				nc, err := net.DialTimeout("unix", path, time.Second)
				if step == "listening" {
					if st.Mode != sockMode(want) {
						t.Errorf("step listening: %s mode %o, want %o", path, st.Mode, sockMode(want))
					}
					if err != nil {
						t.Errorf("step listening: dial: %v", err)
					} else {
						nc.Close()
					}
					return
				}
				if !errors.Is(err, syscall.ECONNREFUSED) {
					t.Errorf("step %s: dial before listening: %v, want connection refused", step, err)
					if err == nil {
						nc.Close()
					}
				}
			}
			defer func() { unixStepHook = nil }()
			p := startModePoller(path)
			srv, err := New(Config{UnixSocket: path, UnixSocketPerm: perm})
			if err != nil {
				p.stop()
				t.Fatal(err)
			}
			c := tcDialUnix(t, path)
			if got := c.do("PING").flat(); got != "+PONG" {
				t.Errorf("PING over the socket = %q", got)
			}
			// On a busy machine the poller may not have run since the
			// socket appeared.
			if !waitUntil(10*time.Second, p.sawPath) {
				t.Error("the poller never found the socket")
			}
			seen := p.stop()
			srv.Close()
			// A chmod is needed when the umask takes bits asked for.
			wantSteps := "bound listening"
			if perm&umask != 0 {
				wantSteps = "bound chmod listening"
			}
			if got := strings.Join(steps, " "); got != wantSteps {
				t.Errorf("steps %q, want %q", got, wantSteps)
			}
			if seen[sockMode(want)] == 0 {
				t.Errorf("modes seen at %s in %d polls: %o, want %o among them", path, p.polls, seen, sockMode(want))
			}
			for mode := range seen {
				if mode&syscall.S_IFMT != syscall.S_IFSOCK || mode&0o777&^uint32(want) != 0 {
					t.Errorf("mode %o seen at %s: not a socket of mode within %o", mode, path, want)
				}
			}
		})
	}
}

// Another user can connect neither while the socket is being made (it is
// not listening yet) nor, once it listens, to a socket of mode 0700 or
// 0770 (nobody is not in the group); with 0777 they can. The other user is
// redis-cli run as nobody.
func TestUnixSocketOtherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a client as another user")
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli not installed")
	}
	asNobody := func(sock string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, cli, "-s", sock, "PING")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		cmd.Env = []string{"HOME=/nonexistent"}
		out, _ := cmd.CombinedOutput()
		return strings.TrimSpace(string(out))
	}
	dir := unix10Dir(t)
	for _, perm := range []os.FileMode{0o700, 0o770} {
		path := filepath.Join(dir, fmt.Sprintf("r%o.sock", perm))
		var during []string
		unixStepHook = func(step string) {
			if step != "listening" {
				during = append(during, step+": "+asNobody(path))
			}
		}
		srv, err := New(Config{UnixSocket: path, UnixSocketPerm: perm})
		unixStepHook = nil
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		if len(during) == 0 {
			t.Fatalf("unixsocketperm %o: no step before listening", perm)
		}
		for _, got := range during {
			if !strings.Contains(got, "Could not connect") {
				t.Errorf("unixsocketperm %o: another user during %q, want no connection", perm, got)
			}
		}
		if got := asNobody(path); !strings.Contains(got, "Permission denied") {
			t.Errorf("another user on the %o socket: %q, want Permission denied", perm, got)
		}
	}

	open := filepath.Join(dir, "open.sock")
	srv2, err := New(Config{UnixSocket: open, UnixSocketPerm: 0o777})
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Close()
	if got := asNobody(open); got != "PONG" {
		t.Errorf("another user on the 0777 socket: %q, want PONG", got)
	}
}

// A socket left by a server that is gone is replaced; the socket of a
// server still running is not taken from it.
func TestUnixSocketStaleAndLive(t *testing.T) {
	dir := unix10Dir(t)
	path := filepath.Join(dir, "r.sock")
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()
	var before syscall.Stat_t
	if err := syscall.Lstat(path, &before); err != nil || before.Mode&syscall.S_IFMT != syscall.S_IFSOCK {
		t.Fatalf("stale socket not left behind: %v", err)
	}
	if _, err := net.Dial("unix", path); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial of the stale socket: %v, want connection refused", err)
	}
	srv, err := New(Config{UnixSocket: path, UnixSocketPerm: 0o700})
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	defer srv.Close()
	// The stale socket refused connections (checked before New); the
	// socket at the path now answers.
	if got := tcDialUnix(t, path).do("PING").flat(); got != "+PONG" {
		t.Errorf("PING = %q", got)
	}

	// srv is live: a second server on the same path is refused, and srv
	// keeps its socket.
	_, err = New(Config{UnixSocket: path})
	want := fmt.Sprintf("server: failed opening Unix socket %s: "+msgUnixInUse, path, path)
	if err == nil || err.Error() != want {
		t.Errorf("second server on a live socket: %v, want %q", err, want)
	}
	if got := tcDialUnix(t, path).do("PING").flat(); got != "+PONG" {
		t.Errorf("PING to the first server after the refusal = %q", got)
	}
}

// Whatever is at the path and is not a socket is left alone, and start-up
// fails saying so; Redis would delete it.
func TestUnixSocketRefusesNonSocket(t *testing.T) {
	dir := unix10Dir(t)
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	subdir := filepath.Join(dir, "subdir")
	if err := os.Mkdir(subdir, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(filepath.Join(dir, "nowhere.sock"), link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{file, subdir, link, fifo} {
		logs := &logBuffer{}
		port := freeTCPPort(t)
		_, err := New(Config{Port: port, UnixSocket: path, LogOutput: logs})
		reason := fmt.Sprintf(msgUnixNotSock, path)
		if want := "server: failed opening Unix socket " + path + ": " + reason; err == nil || err.Error() != want {
			t.Errorf("New with unixsocket %s: %v, want %q", path, err, want)
		}
		if want := fmt.Sprintf(msgUnixFailed, reason); !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
		checkTCPReleased(t, port)
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "precious" {
		t.Errorf("file at the path changed: %q, %v", b, err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode().Type() != fs.ModeSymlink {
		t.Errorf("symlink at the path changed: %v, %v", fi, err)
	}
}

// freeTCPPort returns a loopback port that was free a moment ago.
func freeTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// checkTCPReleased fails the test if port is still bound on 127.0.0.1 by a
// server whose start-up failed.
func checkTCPReleased(t *testing.T, port int) {
	t.Helper()
	ln, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Errorf("TCP port %d still bound after a failed start: %v", port, err)
		return
	}
	ln.Close()
}

// A path too long for a socket address, in a missing directory, or under a
// file is a start-up error that says why; the TCP listeners opened before
// it are closed again.
func TestUnixSocketBadPaths(t *testing.T) {
	dir := unix10Dir(t)
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	long := dir + "/" + strings.Repeat("x", maxUnixPath-len(dir))
	cases := []struct {
		path, reason string
	}{
		{long, fmt.Sprintf("unix socket path too long (%d), must be under %d", maxUnixPath+1, maxUnixPath+1)},
		{long + strings.Repeat("y", 100), fmt.Sprintf("unix socket path too long (%d), must be under %d", maxUnixPath+101, maxUnixPath+1)},
		{filepath.Join(dir, "missing", "r.sock"), "bind: the directory " + filepath.Join(dir, "missing") + " does not exist"},
		{filepath.Join(file, "r.sock"), "bind: lstat " + filepath.Join(file, "r.sock") + ": not a directory"},
		// The kernel would stop at the NUL and bind another name.
		{filepath.Join(dir, "a\x00b.sock"), msgUnixNUL},
	}
	for _, tc := range cases {
		port := freeTCPPort(t)
		logs := &logBuffer{}
		_, err := New(Config{Port: port, UnixSocket: tc.path, LogOutput: logs})
		if want := "server: failed opening Unix socket " + tc.path + ": " + tc.reason; err == nil || err.Error() != want {
			t.Errorf("unixsocket %.40q…: %v\nwant %q", tc.path, err, want)
		}
		if want := "# " + fmt.Sprintf(msgUnixFailed, tc.reason); !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
		checkTCPReleased(t, port)
	}
}

// The longest path the kernel takes works.
func TestUnixSocketLongestPath(t *testing.T) {
	dir := unix10Dir(t)
	path := dir + "/" + strings.Repeat("x", maxUnixPath-len(dir)-1)
	if len(path) != maxUnixPath {
		t.Fatalf("path length %d, want %d", len(path), maxUnixPath)
	}
	srv, err := New(Config{UnixSocket: path, UnixSocketPerm: 0o700})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := tcDialUnix(t, path)
	if got := c.do("PING").flat(); got != "+PONG" {
		t.Errorf("PING = %q", got)
	}
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil || st.Mode != sockMode(0o700) {
		t.Errorf("mode %o (%v), want %o", st.Mode, err, sockMode(0o700))
	}
	// CLIENT LIST shows the configured path, not the one bound.
	if got := c.str("CLIENT", "INFO"); !strings.Contains(got, "addr="+path+":0 laddr="+path+":0 ") {
		t.Errorf("CLIENT INFO = %q, want addr and laddr %s:0", got, path)
	}
}

// Unix clients are local: protected mode serves them while no password is
// set, and the local setting of enable-debug-command lets them run DEBUG.
// CLIENT LIST shows them as Redis does: addr and laddr are the socket's
// path with port 0, and their flags have U. CLIENT KILL ADDR finds them.
func TestUnixClientsLocalAndListed(t *testing.T) {
	path := filepath.Join(unix10Dir(t), "r.sock")
	srv := tcStart(t, Config{UnixSocket: path, UnixSocketPerm: 0o700, EnableDebugCommand: AllowLocal})
	if got := srv.UnixSocket(); got != path {
		t.Errorf("UnixSocket() = %q, want %q", got, path)
	}
	u := tcDialUnix(t, path)
	if got := u.do("PING").flat(); got != "+PONG" {
		t.Fatalf("PING over the socket with protected mode on and no password = %q", got)
	}
	// Protected mode is on for this server: a TCP client that is not
	// local (127.0.0.2) is denied, where the Unix client was served.
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
	if nc, err := d.Dial("tcp", srv.Addr()); err == nil {
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		line, _ := bufio.NewReader(nc).ReadString('\n')
		nc.Close()
		if !strings.HasPrefix(line, "-DENIED ") {
			t.Errorf("TCP client from 127.0.0.2: %q, want DENIED", line)
		}
	} else {
		t.Logf("cannot connect from 127.0.0.2 (%v): protected mode not shown active", err)
	}
	if got := u.do("DEBUG", "HELP"); got.Kind != '*' {
		t.Errorf("DEBUG HELP over the socket with enable-debug-command local = %v, want its help", got)
	}
	u.do("CLIENT", "SETNAME", "viaunix")
	tcp := tcDial(t, srv)
	tcp.do("CLIENT", "SETNAME", "viatcp")
	list := tcp.str("CLIENT", "LIST")
	var unixLine, tcpLine string
	for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
		switch {
		case strings.Contains(line, " name=viaunix "):
			unixLine = line
		case strings.Contains(line, " name=viatcp "):
			tcpLine = line
		}
	}
	if !strings.Contains(unixLine, " addr="+path+":0 laddr="+path+":0 ") || !strings.Contains(unixLine, " flags=U ") {
		t.Errorf("Unix client's line %q, want addr and laddr %s:0 and flags=U", unixLine, path)
	}
	if !strings.Contains(tcpLine, " laddr="+srv.Addr()+" ") || !strings.Contains(tcpLine, " flags=N ") {
		t.Errorf("TCP client's line %q, want laddr %s and flags=N", tcpLine, srv.Addr())
	}
	if got := u.str("CLIENT", "INFO"); !strings.Contains(got, " flags=U ") || strings.Contains(got, " fd=-1 ") {
		t.Errorf("CLIENT INFO over the socket = %q, want flags=U and the socket's fd", got)
	}
	u.send("MULTI")
	u.read()
	if got := tcp.str("CLIENT", "LIST"); !strings.Contains(got, " name=viaunix ") || !strings.Contains(got, " flags=xU ") {
		t.Errorf("CLIENT LIST with the Unix client in MULTI = %q, want flags=xU", got)
	}
	if got := tcp.integer("CLIENT", "KILL", "ADDR", path+":0", "SKIPME", "no"); got != 1 {
		t.Errorf("CLIENT KILL ADDR %s:0 = %d, want 1", path, got)
	}
	if !u.closed(5 * time.Second) {
		t.Error("the Unix client is still connected after CLIENT KILL ADDR")
	}
	if got := tcp.do("PING").flat(); got != "+PONG" {
		t.Errorf("TCP client after the kill: %q", got)
	}
}

// The socket file goes when the server stops (SHUTDOWN, or Close from Go),
// unless another file took its place meanwhile.
func TestUnixSocketRemovedAtStop(t *testing.T) {
	dir := unix10Dir(t)
	path := filepath.Join(dir, "r.sock")
	logs := &logBuffer{}
	srv, err := New(Config{UnixSocket: path, LogOutput: logs})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "* "+fmt.Sprintf(msgUnixReady, path)) {
		t.Errorf("log lacks the ready line:\n%s", logs.String())
	}
	u := tcDialUnix(t, path)
	u.send("SHUTDOWN")
	select {
	case <-srv.Done():
	case <-time.After(15 * time.Second):
		t.Fatal("SHUTDOWN did not stop the server")
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("socket still there after SHUTDOWN: %v", err)
	}
	if !strings.Contains(logs.String(), "* "+msgUnixRemove) {
		t.Errorf("log lacks %q:\n%s", msgUnixRemove, logs.String())
	}

	srv, err = New(Config{UnixSocket: path})
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("socket still there after Close: %v", err)
	}

	srv, err = New(Config{UnixSocket: path})
	if err != nil {
		t.Fatal(err)
	}
	// Someone replaces the socket while the server runs: that file is not
	// the server's to remove.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("theirs"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if b, err := os.ReadFile(path); err != nil || string(b) != "theirs" {
		t.Errorf("file that replaced the socket: %q, %v; want it left alone", b, err)
	}
}

// unixsocket and unixsocketperm from the command line and config file,
// in CONFIG GET, refused by CONFIG SET (immutable, as in Redis), and
// checked by Validate when set from Go.
func TestUnixSocketDirectives(t *testing.T) {
	path := filepath.Join(unix10Dir(t), "r.sock")
	cfg, err := ApplyArgs(Config{}, []string{"--unixsocket", path, "--unixsocketperm", "0770"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.UnixSocket != path || cfg.UnixSocketPerm != 0o770 {
		t.Fatalf("ApplyArgs: UnixSocket %q, UnixSocketPerm %o", cfg.UnixSocket, cfg.UnixSocketPerm)
	}
	srv := tcStart(t, cfg)
	c := tcDialUnix(t, path)
	if got := c.do("CONFIG", "GET", "unixsocket*").flat(); got != "[unixsocket "+path+" unixsocketperm 770]" {
		t.Errorf("CONFIG GET unixsocket* = %q", got)
	}
	for _, name := range []string{"unixsocket", "unixsocketperm"} {
		want := "-ERR CONFIG SET failed (possibly related to argument '" + name + "') - can't set immutable config"
		if got := c.do("CONFIG", "SET", name, "700").flat(); got != want {
			t.Errorf("CONFIG SET %s = %q, want %q", name, got, want)
		}
	}
	if got := tcDial(t, srv).do("CONFIG", "GET", "unixsocket*").flat(); got != "[unixsocket "+path+" unixsocketperm 770]" {
		t.Errorf("CONFIG GET over TCP = %q", got)
	}

	// The embedded defaults: no socket, perm 0.
	plain := tcStart(t, Config{})
	if got := tcDial(t, plain).do("CONFIG", "GET", "unixsocket*").flat(); got != "[unixsocket  unixsocketperm 0]" {
		t.Errorf("CONFIG GET unixsocket* by default = %q", got)
	}
	if plain.UnixSocket() != "" {
		t.Errorf("UnixSocket() = %q without a socket", plain.UnixSocket())
	}
	if err := (Config{UnixSocketPerm: 0o1777}).withDefaults().Validate(); err == nil ||
		!strings.Contains(err.Error(), "unixsocketperm 1777 has bits beyond 0777") {
		t.Errorf("Validate with UnixSocketPerm 01777: %v", err)
	}
}

// go-redis over the Unix socket, with its default options (HELLO 3,
// CLIENT SETINFO) and in RESP2: commands, a pipeline, pub/sub, and the
// client's own CLIENT INFO.
func TestGoRedisOverUnix(t *testing.T) {
	path := filepath.Join(unix10Dir(t), "r.sock")
	tcStart(t, Config{UnixSocket: path, UnixSocketPerm: 0o700})
	ctx := context.Background()
	for _, proto := range []int{3, 2} {
		rdb := redis.NewClient(&redis.Options{Network: "unix", Addr: path, Protocol: proto})
		defer rdb.Close()
		key := fmt.Sprintf("k%d", proto)
		if err := rdb.Set(ctx, key, "v", 0).Err(); err != nil {
			t.Fatalf("RESP%d SET: %v", proto, err)
		}
		if got, err := rdb.Get(ctx, key).Result(); err != nil || got != "v" {
			t.Errorf("RESP%d GET = %q, %v", proto, got, err)
		}
		cmds, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := 0; i < 100; i++ {
				p.Incr(ctx, key+":n")
			}
			return nil
		})
		if err != nil || len(cmds) != 100 || cmds[99].(*redis.IntCmd).Val() != 100 {
			t.Errorf("RESP%d pipeline of 100 INCR: %d replies, %v", proto, len(cmds), err)
		}
		sub := rdb.Subscribe(ctx, "ch")
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatalf("RESP%d SUBSCRIBE: %v", proto, err)
		}
		if n, err := rdb.Publish(ctx, "ch", "hello").Result(); err != nil || n != 1 {
			t.Errorf("RESP%d PUBLISH = %d, %v", proto, n, err)
		}
		msg, err := sub.ReceiveMessage(ctx)
		if err != nil || msg.Payload != "hello" {
			t.Errorf("RESP%d message = %v, %v", proto, msg, err)
		}
		sub.Close()
		info, err := rdb.ClientInfo(ctx).Result()
		if err != nil {
			t.Fatalf("RESP%d CLIENT INFO: %v", proto, err)
		}
		if info.Addr != path+":0" || info.LAddr != path+":0" {
			t.Errorf("RESP%d CLIENT INFO addr %q laddr %q", proto, info.Addr, info.LAddr)
		}
	}
}
