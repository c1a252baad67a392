package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redoubt-db/redoubt/bench/internal/wire"
)

// A serverProc is a running redis-server or redoubt-server.
type serverProc struct {
	name    string // "Redis" or "Redoubt"
	port    int
	tlsPort int // its TLS listener (tls.go), 0 if none
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{} // closed when the process has been waited for
	waitErr error         // set before exited is closed
}

// serverArgs is the command line both servers get: the same settings, so
// neither persists anything. Each also listens on a Unix socket of mode
// 700 in its working directory (unixSockName), for the *-unix tests.
func serverArgs(port int) []string {
	return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--unixsocket", unixSockName(port), "--unixsocketperm", "700"}
}

// unixSockName is the name of the Unix socket of the server on port, in its
// working directory.
func unixSockName(port int) string { return "vsredis-" + strconv.Itoa(port) + ".sock" }

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startServer starts binary in dir with the arguments args gives for a free
// port, its output going to a log file there, and waits until it answers
// PING.
func startServer(ctx context.Context, name, binary string, args func(port int) []string, dir string, env []string) (*serverProc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, fmt.Sprintf("%s-%d.log", strings.ToLower(name), port))
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child holds its own descriptor
	cmd := exec.Command(binary, args(port)...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Its own process group: a terminal's ^C reaches only us, and we
		// stop the servers in order. Should we die without stopping them,
		// the kernel kills them.
		Setpgid:   true,
		Pdeathsig: syscall.SIGKILL,
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &serverProc{name: name, port: port, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() { // exits when the server process does
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	if err := p.waitReady(ctx, 15*time.Second); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

func (p *serverProc) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)) }

// unixPath is the path of the server's Unix socket (serverArgs); the
// server runs in the directory of its log.
func (p *serverProc) unixPath() string {
	return filepath.Join(filepath.Dir(p.logPath), unixSockName(p.port))
}

func (p *serverProc) pid() int { return p.cmd.Process.Pid }

// waitReady polls the server with PING until it answers +PONG.
func (p *serverProc) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited during start-up (%v); its log ends:\n%s", p.name, p.waitErr, p.logTail(20))
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		reply, err := p.do(ctx, "PING")
		if err == nil && reply == "PONG" {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("PING answered %q", reply)
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer PING on %s within %v (%v); its log ends:\n%s", p.name, p.addr(), limit, last, p.logTail(20))
}

// errReply is an error reply from a server.
type errReply string

func (e errReply) Error() string { return string(e) }

// shortError returns err's text without the ", with args beginning with: …"
// that Redis appends to an unknown command's error, for one-line notes.
func shortError(err error) string {
	msg, _, _ := strings.Cut(err.Error(), ", with args")
	return msg
}

// do sends one command on a new connection and returns the reply's text:
// the string, the integer's digits, or the bulk string; "(nil)" for a null.
// An error reply is returned as an errReply.
func (p *serverProc) do(ctx context.Context, args ...string) (string, error) {
	var reply string
	err := p.request(ctx, args, func(r *wire.Reader) error {
		kind, data, err := r.Read()
		switch {
		case err != nil:
			return err
		case kind == wire.Error:
			return errReply(data)
		case kind == wire.Null:
			reply = "(nil)"
		default:
			reply = string(data)
		}
		return nil
	})
	return reply, err
}

// configGet returns the value of one CONFIG GET parameter.
func (p *serverProc) configGet(ctx context.Context, name string) (string, error) {
	var kv []string
	err := p.request(ctx, []string{"CONFIG", "GET", name}, func(r *wire.Reader) (err error) {
		kv, err = r.ReadStrings()
		return err
	})
	if err != nil {
		return "", err
	}
	if len(kv) != 2 || kv[0] != name {
		return "", fmt.Errorf("CONFIG GET %s answered %q", name, kv)
	}
	return kv[1], nil
}

// request sends the command args on a new connection, lets read read the
// reply, and closes the connection. The whole exchange must take less than
// ten seconds.
func (p *serverProc) request(ctx context.Context, args []string, read func(*wire.Reader) error) error {
	d := net.Dialer{Timeout: time.Second}
	nc, err := d.DialContext(ctx, "tcp", p.addr())
	if err != nil {
		return err
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := nc.Write(wire.AppendCommand(nil, args...)); err != nil {
		return err
	}
	return read(wire.NewReader(nc, 4096))
}

// threads describes how many threads run the server's code: for Redoubt
// its GOMAXPROCS, which CONFIG GET io-threads reports; for Redis its
// io-threads.
func (p *serverProc) threads(ctx context.Context) string {
	if p.name == "Redis" {
		v, err := p.configGet(ctx, "io-threads")
		if err != nil {
			return "io-threads unknown (" + err.Error() + ")"
		}
		return "io-threads " + v
	}
	if procs, from, ok := p.redoubtProcs(ctx); ok {
		return "GOMAXPROCS " + procs + " (" + from + ")"
	}
	return "GOMAXPROCS " + goMaxProcs(p.pid())
}

// redoubtProcs returns redoubt-server's GOMAXPROCS and where it was read. A
// GOMAXPROCS variable wins over io-threads in redoubt-server, and CONFIG GET
// io-threads does not see it, so it is looked at first.
func (p *serverProc) redoubtProcs(ctx context.Context) (procs, from string, ok bool) {
	if env, ok := envGOMAXPROCS(p.pid()); ok {
		return env, "from its environment", true
	}
	if v, err := p.configGet(ctx, "io-threads"); err == nil {
		return v, "CONFIG GET io-threads", true
	}
	return "", "", false
}

// stop ends the server: SIGTERM, then SIGKILL if it has not exited within
// ten seconds. It is safe to call more than once.
func (p *serverProc) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// alive reports an error if the server has exited.
func (p *serverProc) alive() error {
	select {
	case <-p.exited:
		return fmt.Errorf("%s exited unexpectedly (%v); its log ends:\n%s", p.name, p.waitErr, p.logTail(20))
	default:
		return nil
	}
}

// logTail returns the last n lines of the server's log.
func (p *serverProc) logTail(n int) string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return "  (the log is empty)"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ")
}

// procStatus returns a field of /proc/<pid>/status, such as "VmRSS".
func procStatus(pid int, field string) (string, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && k == field {
			return strings.TrimSpace(v), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// rss returns the server's resident set size in bytes (VmRSS).
func (p *serverProc) rss() (int64, error) {
	v, err := procStatus(p.pid(), "VmRSS")
	if err != nil {
		return 0, err
	}
	kb, ok := strings.CutSuffix(v, " kB")
	if !ok {
		return 0, fmt.Errorf("unexpected VmRSS %q", v)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(kb), 10, 64)
	return n * 1024, err
}

// goMaxProcs guesses the GOMAXPROCS of process pid from outside, for a
// server that does not report it and has no GOMAXPROCS variable in its
// environment (threads looks at that first): Go's default, the number of
// CPUs the process may run on (a program may also set it itself, which
// this cannot see).
func goMaxProcs(pid int) string {
	cpus, err := procStatus(pid, "Cpus_allowed_list")
	if err != nil {
		return "unknown"
	}
	return fmt.Sprintf("%d (Go's default, the CPUs it may run on: %s)", countCPUList(cpus), cpus)
}

// countCPUList counts the CPUs of a list such as "0-3,8,10-11".
func countCPUList(s string) int {
	n := 0
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err1 := strconv.Atoi(strings.TrimSpace(lo))
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(strings.TrimSpace(hi))
		}
		if err1 == nil && err2 == nil && b >= a {
			n += b - a + 1
		}
	}
	return n
}

// startPair starts Redis and Redoubt. If the second fails, the first is
// stopped.
func startPair(ctx context.Context, t tools, dir string, o options) (redis, redoubt *serverProc, err error) {
	if benchTLS == nil {
		if benchTLS, err = makeTLSFiles(dir); err != nil {
			return nil, nil, err
		}
	}
	// Each server also listens for TLS (tls.go).
	start := func(name, bin string, env []string) (*serverProc, error) {
		tlsPort, err := freePort()
		if err != nil {
			return nil, err
		}
		args := func(port int) []string { return append(serverArgs(port), benchTLS.serverArgs(tlsPort)...) }
		p, err := startServer(ctx, name, bin, args, dir, env)
		if p != nil {
			p.tlsPort = tlsPort
		}
		return p, err
	}
	redis, err = start("Redis", t.redisServer, nil)
	if err != nil {
		return nil, nil, err
	}
	redoubt, err = start("Redoubt", t.redoubt, redoubtEnv(o))
	if err != nil {
		redis.stop()
		return nil, nil, err
	}
	return redis, redoubt, nil
}

// redoubtEnv is what redoubt-server's environment adds to ours.
func redoubtEnv(o options) []string {
	if o.gomaxprocs > 0 {
		return []string{"GOMAXPROCS=" + strconv.Itoa(o.gomaxprocs)}
	}
	return nil
}

// startFloor starts the floor server (floor.go): this program again, with
// -floor-server, on as many threads as redoubt-server runs its code on.
func startFloor(ctx context.Context, dir string, redoubt *serverProc) (*serverProc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var env []string
	if procs, _, ok := redoubt.redoubtProcs(ctx); ok {
		env = []string{"GOMAXPROCS=" + procs}
	}
	args := func(port int) []string { return []string{"-floor-server", strconv.Itoa(port)} }
	return startServer(ctx, "Floor", self, args, dir, env)
}

// envGOMAXPROCS returns the GOMAXPROCS variable of process pid's
// environment, if it has one.
func envGOMAXPROCS(pid int) (string, bool) {
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		return "", false
	}
	for _, kv := range bytes.Split(env, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte("GOMAXPROCS=")); ok {
			return string(v), true
		}
	}
	return "", false
}
