package main

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// redis-cli -s against Redis and Redoubt, each started with only a Unix
// socket (port 0): the same session must print the same, with the socket's
// path masked.

// unixDir is a fresh directory for sockets, removed at the test's end; its
// name is short, as socket paths must be.
func unixDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "unix10-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// unixServerArgs is the command line both servers get: no TCP, a Unix
// socket at sock with mode 700, no persistence.
func unixServerArgs(sock string) []string {
	return []string{"--port", "0", "--unixsocket", sock, "--unixsocketperm", "700",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", ""}
}

// unixServer is a server program running on a Unix socket only.
type unixServer struct {
	cmd    *exec.Cmd
	out    *syncBuffer
	exited chan struct{}
}

// startUnixServer runs program with args and waits until sock answers a
// PING, unless the program exits first (then the caller reads out).
func startUnixServer(t *testing.T, sock, program string, args ...string) *unixServer {
	t.Helper()
	return startUnixServerIn(t, "", sock, program, args...)
}

// startUnixServerIn is startUnixServer with the working directory dir.
func startUnixServerIn(t *testing.T, dir, sock, program string, args ...string) *unixServer {
	t.Helper()
	s := &unixServer{out: &syncBuffer{}, exited: make(chan struct{}), cmd: exec.Command(program, args...)}
	s.cmd.Dir = dir
	// Die with the test binary, even if it is killed by -timeout.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { // exits with the process
		s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.exited
	})
	for deadline := time.Now().Add(10 * time.Second); ; {
		select {
		case <-s.exited:
			return s
		default:
		}
		if nc, err := net.DialTimeout("unix", sock, time.Second); err == nil {
			nc.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not listening on %s after 10s:\n%s", program, sock, s.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitExit waits for the server to exit and returns its exit status.
func (s *unixServer) waitExit(t *testing.T) int {
	t.Helper()
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		t.Fatalf("still running:\n%s", s.out.String())
	}
	return s.cmd.ProcessState.ExitCode()
}

// cliUnix runs redis-cli -s sock with args and returns what it printed.
func cliUnix(t *testing.T, sock string, args ...string) string {
	t.Helper()
	bin := requireTool(t, "redis-cli", "REDIS_CLI")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-s", sock}, args...)...)
	cmd.Env = cliEnv(t)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("redis-cli -s %s %q: %v", sock, args, err)
	}
	return string(out)
}

// clientFields keeps the fields of a CLIENT INFO or CLIENT LIST line that
// must be equal between the servers: not ids, fds, ages or memory figures.
func clientFields(line string) string {
	var keep []string
	for _, f := range strings.Fields(line) {
		name, _, _ := strings.Cut(f, "=")
		switch name {
		case "addr", "laddr", "name", "flags", "db", "sub", "psub", "multi", "cmd", "user", "redir", "resp":
			keep = append(keep, f)
		}
	}
	return strings.Join(keep, " ")
}

func TestRedisCLIUnixSocket(t *testing.T) {
	t.Parallel()
	redisBin := requireTool(t, "redis-server", "REDIS_SERVER")
	requireTool(t, "redis-cli", "REDIS_CLI")
	dir := unixDir(t)

	session := func(t *testing.T, sock string, srv *unixServer) []string {
		var out []string
		run := func(args ...string) string {
			return strings.ReplaceAll(cliUnix(t, sock, args...), sock, "<sock>")
		}
		var st syscall.Stat_t
		if err := syscall.Lstat(sock, &st); err != nil {
			t.Fatal(err)
		}
		out = append(out, "mode "+strings.TrimPrefix(os.FileMode(st.Mode&0o777).String(), "-"))
		out = append(out, run("PING"), run("SET", "k", "v"), run("GET", "k"))
		out = append(out, clientFields(run("CLIENT", "INFO")))
		// One at a time: Redis orders a pattern's matches by its hash table.
		out = append(out, run("CONFIG", "GET", "unixsocket"), run("CONFIG", "GET", "unixsocketperm"))
		out = append(out, run("CONFIG", "SET", "unixsocket", "/tmp/elsewhere.sock"))
		out = append(out, run("CONFIG", "SET", "unixsocketperm", "777"))
		for _, line := range strings.Split(run("INFO", "server"), "\n") {
			if strings.HasPrefix(line, "tcp_port:") {
				out = append(out, line)
			}
		}
		// An idle client of the socket, listed and then killed by address.
		idle, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		defer idle.Close()
		if _, err := idle.Write([]byte("CLIENT SETNAME idle\r\n")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 5)
		idle.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := idle.Read(buf); err != nil || string(buf) != "+OK\r\n" {
			t.Fatalf("CLIENT SETNAME on the idle client: %q, %v", buf, err)
		}
		for _, line := range strings.Split(run("CLIENT", "LIST"), "\n") {
			if line != "" {
				out = append(out, clientFields(line))
			}
		}
		out = append(out, run("CLIENT", "KILL", "ADDR", "<sock>:0"), run("CLIENT", "KILL", "ADDR", sock+":0"))
		idle.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := idle.Read(buf); err == nil {
			t.Errorf("idle client still served after CLIENT KILL ADDR: read %q", buf[:n])
		}
		out = append(out, run("SHUTDOWN"))
		if code := srv.waitExit(t); code != 0 {
			t.Errorf("exit status %d after SHUTDOWN", code)
		}
		if _, err := os.Lstat(sock); !os.IsNotExist(err) {
			out = append(out, "socket left after SHUTDOWN")
		}
		return out
	}
	rsock, dsock := filepath.Join(dir, "r.sock"), filepath.Join(dir, "d.sock")
	theirs := session(t, rsock, startUnixServer(t, rsock, redisBin, unixServerArgs(rsock)...))
	ours := session(t, dsock, startUnixServer(t, dsock, binary, unixServerArgs(dsock)...))
	if strings.Join(ours, "\n") != strings.Join(theirs, "\n") {
		t.Errorf("redis-cli -s sessions differ\nRedoubt:\n%s\nRedis:\n%s", strings.Join(ours, "\n"), strings.Join(theirs, "\n"))
	}
	if !strings.Contains(strings.Join(ours, "\n"), "flags=U") {
		t.Errorf("no Unix flag in the session:\n%s", strings.Join(ours, "\n"))
	}
}

// A socket left by a crash is replaced by both servers. What else may be
// at the path differs on purpose: Redis deletes a regular file there,
// Redoubt refuses to start and leaves it. A path too long for a socket
// stops both with the same log line.
func TestUnixSocketStartupLikeRedis(t *testing.T) {
	t.Parallel()
	redisBin := requireTool(t, "redis-server", "REDIS_SERVER")
	requireTool(t, "redis-cli", "REDIS_CLI")
	dir := unixDir(t)
	for _, s := range []struct{ name, bin string }{{"redis", redisBin}, {"redoubt", binary}} {
		sock := filepath.Join(dir, s.name+".sock")
		stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
		if err != nil {
			t.Fatal(err)
		}
		stale.SetUnlinkOnClose(false)
		stale.Close()
		srv := startUnixServer(t, sock, s.bin, unixServerArgs(sock)...)
		if got := cliUnix(t, sock, "PING"); got != "PONG\n" {
			t.Errorf("%s over a stale socket: PING = %q\n%s", s.name, got, srv.out.String())
		}
		cliUnix(t, sock, "SHUTDOWN")
		srv.waitExit(t)
	}

	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := startUnixServer(t, file, binary, unixServerArgs(file)...)
	if code := srv.waitExit(t); code != 1 {
		t.Errorf("Redoubt on a regular file: exit status %d, want 1", code)
	}
	if want := "Failed opening Unix socket: bind: " + file + " exists and is not a socket; refusing to replace it"; !strings.Contains(srv.out.String(), want) {
		t.Errorf("Redoubt's output lacks %q:\n%s", want, srv.out.String())
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "precious" {
		t.Errorf("file at the path changed: %q, %v", b, err)
	}
	rsrv := startUnixServer(t, file, redisBin, unixServerArgs(file)...)
	if got := cliUnix(t, file, "PING"); got != "PONG\n" {
		t.Errorf("Redis over a regular file: PING = %q (Redis 7.0.15 deletes the file)\n%s", got, rsrv.out.String())
	}
	cliUnix(t, file, "SHUTDOWN")
	rsrv.waitExit(t)

	long := filepath.Join(dir, strings.Repeat("x", 120))
	var lines []string
	for _, bin := range []string{redisBin, binary} {
		srv := startUnixServer(t, long, bin, unixServerArgs(long)...)
		if code := srv.waitExit(t); code != 1 {
			t.Errorf("%s with a path of %d bytes: exit status %d, want 1", bin, len(long), code)
		}
		line := ""
		for _, l := range strings.Split(srv.out.String(), "\n") {
			if _, msg, ok := strings.Cut(l, " # Failed opening Unix socket: "); ok {
				line = msg
			}
		}
		lines = append(lines, line)
	}
	if lines[0] == "" || lines[0] != lines[1] {
		t.Errorf("log lines for a path too long: Redis %q, Redoubt %q", lines[0], lines[1])
	}
}

// A unixsocket name that starts with '@' is a file in the working
// directory for both servers, with the mode asked for, not a name in
// Linux's abstract namespace (which Go's net package would make of it, and
// which has no permissions at all).
func TestUnixSocketAtName(t *testing.T) {
	t.Parallel()
	redisBin := requireTool(t, "redis-server", "REDIS_SERVER")
	requireTool(t, "redis-cli", "REDIS_CLI")
	var infos []string
	for _, s := range []struct{ name, bin string }{{"redis", redisBin}, {"redoubt", binary}} {
		dir := unixDir(t)
		name := "@unix10-" + strconv.Itoa(os.Getpid()) + "-" + s.name + ".sock"
		file := filepath.Join(dir, name)
		srv := startUnixServerIn(t, dir, file, s.bin, unixServerArgs(name)...)
		var st syscall.Stat_t
		if err := syscall.Lstat(file, &st); err != nil || st.Mode != syscall.S_IFSOCK|0o700 {
			t.Errorf("%s: %s mode %o (%v), want a socket of mode 700\n%s", s.name, file, st.Mode, err, srv.out.String())
		}
		if got := cliUnix(t, file, "PING"); got != "PONG\n" {
			t.Errorf("%s: PING over %s = %q", s.name, file, got)
		}
		if nc, err := net.Dial("unix", name); err == nil { // Go: the abstract name
			nc.Close()
			t.Errorf("%s: listening on the abstract name %s", s.name, name)
		}
		infos = append(infos, clientFields(strings.ReplaceAll(cliUnix(t, file, "CLIENT", "INFO"), name, "<name>")))
		cliUnix(t, file, "SHUTDOWN")
		srv.waitExit(t)
		if _, err := os.Lstat(file); !os.IsNotExist(err) {
			t.Errorf("%s: socket left after SHUTDOWN: %v", s.name, err)
		}
	}
	if infos[0] != infos[1] || !strings.Contains(infos[1], "addr=<name>:0 laddr=<name>:0") {
		t.Errorf("CLIENT INFO: Redis %q, Redoubt %q", infos[0], infos[1])
	}
}
