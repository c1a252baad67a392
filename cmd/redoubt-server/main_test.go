package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// End-to-end tests of the built binary: start it as a user would, read its
// log, talk to it over TCP, stop it with a signal.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "redoubt-server-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "redoubt-server")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building redoubt-server:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proc is a running redoubt-server.
type proc struct {
	t              *testing.T
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
	exited         chan struct{}
	err            error
}

func start(t *testing.T, stdin string, args ...string) *proc {
	t.Helper()
	return startEnv(t, nil, stdin, args...)
}

// startEnv is start with extra environment variables.
func startEnv(t *testing.T, env []string, stdin string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, cmd: exec.Command(binary, args...), exited: make(chan struct{})}
	if env != nil {
		p.cmd.Env = append(os.Environ(), env...)
	}
	// Die with the test binary, even if it is killed by -timeout.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	p.cmd.Stdin = strings.NewReader(stdin)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { // exits with the process
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// readyLine is the line tools such as testcontainers wait for.
var readyLine = regexp.MustCompile(`(?m)^\d+:M \d\d \w{3} \d{4} \d\d:\d\d:\d\d\.\d{3} \* Ready to accept connections$`)

// waitReady waits for the ready line in the log.
func (p *proc) waitReady() {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !readyLine.MatchString(p.stdout.String()) {
		select {
		case <-p.exited:
			p.t.Fatalf("exited before ready: %v\nstdout:\n%s\nstderr:\n%s", p.err, p.stdout.String(), p.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("not ready after 10s; stdout:\n%s", p.stdout.String())
		}
	}
}

// wait waits for the process to exit and returns its exit status.
func (p *proc) wait() int {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		p.t.Fatalf("still running; stdout:\n%s", p.stdout.String())
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		p.t.Fatal(p.err)
	}
	return 0
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// do sends one command in RESP and returns the raw reply lines, up to the
// first complete reply of a simple shape (status, error, integer, bulk,
// or an array of bulks).
func do(t *testing.T, addr string, args ...string) string {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(nc, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(nc, "$%d\r\n%s\r\n", len(a), a)
	}
	r := bufio.NewReader(nc)
	var out []string
	var read func() error
	read = func() error {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		line = strings.TrimSuffix(line, "\r\n")
		switch line[0] {
		case '$':
			n, _ := strconv.Atoi(line[1:])
			if n < 0 {
				out = append(out, "(nil)")
				return nil
			}
			buf := make([]byte, n+2)
			if _, err := io.ReadFull(r, buf); err != nil {
				return err
			}
			out = append(out, string(buf[:n]))
		case '*':
			n, _ := strconv.Atoi(line[1:])
			for i := 0; i < n; i++ {
				if err := read(); err != nil {
					return err
				}
			}
		default:
			out = append(out, line)
		}
		return nil
	}
	if err := read(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, " ")
}

func TestConfigFileArgsAndSIGTERM(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	conf := filepath.Join(dir, "redis.conf")
	pidfile := filepath.Join(dir, "redoubt.pid")
	os.WriteFile(conf, []byte(fmt.Sprintf("# test\nport %d\nbind 127.0.0.1\nhz 20\nmaxclients 50\n", port)), 0o644)
	p := start(t, "", conf, "--maxclients", "100", "--pidfile", pidfile, "--save", "", "--appendonly", "no")
	p.waitReady()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"PING"}, "+PONG"},
		{[]string{"CONFIG", "GET", "maxclients"}, "maxclients 100"},
		{[]string{"CONFIG", "GET", "hz"}, "hz 20"},
		{[]string{"CONFIG", "GET", "port"}, "port " + strconv.Itoa(port)},
		{[]string{"CONFIG", "GET", "io-threads"}, "io-threads 1"},
		{[]string{"CONFIG", "GET", "tcp-keepalive"}, "tcp-keepalive 300"},
		{[]string{"CONFIG", "REWRITE"}, "+OK"},
	} {
		if got := do(t, addr, tt.args...); got != tt.want {
			t.Errorf("%q = %q, want %q", tt.args, got, tt.want)
		}
	}
	// The file's lines stay in place, maxclients takes the value of the
	// command line, and what differs from the defaults is appended.
	text, err := os.ReadFile(conf)
	wantStart := fmt.Sprintf("# test\nport %d\nbind 127.0.0.1\nhz 20\nmaxclients 100\n\n# Generated by CONFIG REWRITE\npidfile %q\n", port, pidfile)
	if err != nil || !strings.HasPrefix(string(text), wantStart) {
		t.Errorf("rewritten file:\n%s\nwant it to start with:\n%s", text, wantStart)
	}
	pid, err := os.ReadFile(pidfile)
	if err != nil || strings.TrimSpace(string(pid)) != strconv.Itoa(p.cmd.Process.Pid) {
		t.Errorf("pidfile holds %q, %v; want %d", pid, err, p.cmd.Process.Pid)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(); code != 0 {
		t.Errorf("exit status %d after SIGTERM, want 0\nstderr: %s", code, p.stderr.String())
	}
	log := p.stdout.String()
	for _, re := range []string{
		`(?m)^\d+:C .* # oO0OoO0OoO0Oo Redoubt is starting oO0OoO0OoO0Oo$`,
		`(?m)^\d+:C .* # Configuration loaded$`,
		`(?m)^\d+:M .* \* Running mode=standalone, port=` + strconv.Itoa(port) + `\.$`,
		readyLine.String(),
		`(?m)^\d+:signal-handler \(\d+\) Received SIGTERM scheduling shutdown\.\.\.$`,
		`(?m)^\d+:M .* # User requested shutdown\.\.\.$`,
		`(?m)^\d+:M .* # Redoubt is now ready to exit, bye bye\.\.\.$`,
	} {
		if !regexp.MustCompile(re).MatchString(log) {
			t.Errorf("log lacks %s:\n%s", re, log)
		}
	}
	if strings.Contains(log, strconv.Itoa(p.cmd.Process.Pid)+":M") == false {
		t.Errorf("log lines do not carry the pid %d", p.cmd.Process.Pid)
	}
	if _, err := os.Stat(pidfile); !os.IsNotExist(err) {
		t.Errorf("pidfile not removed: %v", err)
	}
	if p.stderr.String() != "" {
		t.Errorf("stderr: %q", p.stderr.String())
	}
}

func TestSIGINT(t *testing.T) {
	port := freePort(t)
	p := start(t, "", "--port", strconv.Itoa(port), "--bind", "127.0.0.1")
	p.waitReady()
	p.cmd.Process.Signal(syscall.SIGINT)
	if code := p.wait(); code != 0 {
		t.Errorf("exit status %d after SIGINT, want 0", code)
	}
	if !strings.Contains(p.stdout.String(), "Received SIGINT scheduling shutdown...") {
		t.Errorf("log:\n%s", p.stdout.String())
	}
}

// TestDefaultBind checks the default listeners: 127.0.0.1 and, when the
// host has it, ::1; never a wildcard address.
func TestDefaultBind(t *testing.T) {
	port := freePort(t)
	p := start(t, "", "--port", strconv.Itoa(port))
	p.waitReady()
	if got := do(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), "PING"); got != "+PONG" {
		t.Errorf("127.0.0.1: %q", got)
	}
	if ln, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		ln.Close()
		if got := do(t, net.JoinHostPort("::1", strconv.Itoa(port)), "PING"); got != "+PONG" {
			t.Errorf("::1: %q", got)
		}
	}
	if got := do(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), "CONFIG", "GET", "bind"); got != "bind 127.0.0.1 -::1" {
		t.Errorf("CONFIG GET bind = %q", got)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.wait()
}

func TestConfigFromStdin(t *testing.T) {
	port := freePort(t)
	p := start(t, fmt.Sprintf("port %d\nbind 127.0.0.1\ntimeout 9\n", port), "-")
	p.waitReady()
	if got := do(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), "CONFIG", "GET", "timeout"); got != "timeout 9" {
		t.Errorf("CONFIG GET timeout = %q", got)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.wait()
}

func TestBadConfigFile(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "bad.conf")
	os.WriteFile(conf, []byte("port 7000\n# comment\nfoo bar\n"), 0o644)
	p := start(t, "", conf)
	if code := p.wait(); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	want := "\n*** FATAL CONFIG FILE ERROR (Redoubt 0.1.0) ***\n" +
		"Reading the configuration file " + conf + ", at line 3\n" +
		">>> 'foo bar'\n" +
		"Bad directive or wrong number of arguments\n"
	if got := p.stderr.String(); got != want {
		t.Errorf("stderr:\n%q\nwant\n%q", got, want)
	}
	if p.stdout.String() != "" {
		t.Errorf("stdout: %q", p.stdout.String())
	}
}

func TestBadOptions(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--maxmemory", "1gb"}, ">>> 'maxmemory \"1gb\"'\nnot supported yet by Redoubt (a memory limit and eviction): only 'maxmemory 0' is accepted\n"},
		{[]string{"/nonexistent/redis.conf"}, "Fatal error, can't open config file '/nonexistent/redis.conf': No such file or directory\n"},
	} {
		p := start(t, "", tt.args...)
		if code := p.wait(); code != 1 {
			t.Errorf("%q: exit status %d, want 1", tt.args, code)
		}
		if got := p.stderr.String(); !strings.HasSuffix(got, tt.want) || !strings.Contains(got, "*** FATAL CONFIG FILE ERROR") {
			t.Errorf("%q: stderr %q, want it to end with %q", tt.args, got, tt.want)
		}
	}
}

func TestPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	p := start(t, "", "--port", strconv.Itoa(port), "--bind", "127.0.0.1")
	if code := p.wait(); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if !strings.Contains(p.stderr.String(), "address already in use") {
		t.Errorf("stderr: %q", p.stderr.String())
	}
}

func TestVersionAndHelp(t *testing.T) {
	for _, flag := range []string{"-v", "--version"} {
		p := start(t, "", flag)
		if code := p.wait(); code != 0 {
			t.Errorf("%s: exit status %d", flag, code)
		}
		if !regexp.MustCompile(`^Redoubt server v=0\.1\.0 redis_version=7\.0\.15 go=go\S+ bits=\d+\n$`).MatchString(p.stdout.String()) {
			t.Errorf("%s: %q", flag, p.stdout.String())
		}
	}
	for _, flag := range []string{"-h", "--help"} {
		p := start(t, "", flag)
		if code := p.wait(); code != 1 {
			t.Errorf("%s: exit status %d, want 1 as redis-server", flag, code)
		}
		if !strings.HasPrefix(p.stderr.String(), "Usage: redoubt-server") {
			t.Errorf("%s: stderr %q", flag, p.stderr.String())
		}
	}
}

// TestGOMAXPROCSEnvironmentWins checks that a GOMAXPROCS environment
// variable overrides io-threads and that CONFIG GET reports what the process
// really runs with.
func TestGOMAXPROCSEnvironmentWins(t *testing.T) {
	port := freePort(t)
	p := startEnv(t, []string{"GOMAXPROCS=3"}, "", "--port", strconv.Itoa(port), "--io-threads", "1")
	p.waitReady()
	if got := do(t, "127.0.0.1:"+strconv.Itoa(port), "CONFIG", "GET", "io-threads"); got != "io-threads 3" {
		t.Errorf("CONFIG GET io-threads = %q with GOMAXPROCS=3, want %q", got, "io-threads 3")
	}
}

// TestExposedWithoutProtection: redoubt-server refuses to listen beyond this
// host with protected mode on and no password, where redis-server would
// start and deny every remote client; it names the remedies and exits 1.
func TestExposedWithoutProtection(t *testing.T) {
	p := start(t, "", "--port", "0", "--bind", "0.0.0.0")
	if code := p.wait(); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if got := p.stderr.String(); !strings.Contains(got, "refusing to listen on 0.0.0.0") || !strings.Contains(got, "protected-mode no") {
		t.Errorf("stderr %q, want the refusal and its remedies", got)
	}
}

// TestListenNowhere: with no TCP port, no TLS port and no Unix socket,
// both servers log the same line and exit with status 1, rather than run
// a server nobody can reach.
func TestListenNowhere(t *testing.T) {
	const line = "# Configured to not listen anywhere, exiting."
	p := start(t, "", "--port", "0")
	if code := p.wait(); code != 1 {
		t.Errorf("Redoubt: exit status %d, want 1", code)
	}
	if out := p.stdout.String(); !strings.Contains(out, line) {
		t.Errorf("Redoubt's log has no %q:\n%s", line, out)
	}
	bin := requireTool(t, "redis-server", "REDIS_SERVER")
	out, err := exec.Command(bin, "--port", "0", "--save", "", "--appendonly", "no").CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("redis-server: %v, want exit status 1", err)
	}
	if !strings.Contains(string(out), line) {
		t.Errorf("redis-server's log has no %q:\n%s", line, out)
	}
}
