package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// End-to-end tests with the tools people point at Redis: redis-cli (one
// shot, interactive under a pseudo-terminal, --pipe mass insertion) and
// go-redis with its default options, all against the built binary. Where a
// tool's output can be compared, a real redis-server started the same way
// runs the same session and the outputs must match.

// requireTool returns the path of a Redis tool (redis-cli, redis-server).
// envVar, if set, names the binary, as REDIS_SERVER does for the
// conformance tests. A missing tool skips the test, unless
// REDOUBT_REQUIRE_REDIS is set (as in CI), which makes it a failure.
func requireTool(t *testing.T, name, envVar string) string {
	t.Helper()
	if p := os.Getenv(envVar); envVar != "" && p != "" {
		return p
	}
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("REDOUBT_REQUIRE_REDIS") != "" {
			t.Fatalf("%s is required (REDOUBT_REQUIRE_REDIS is set): %v", name, err)
		}
		t.Skipf("%s not installed; set REDOUBT_REQUIRE_REDIS=1 to make this a failure", name)
	}
	return p
}

// serverArgs is the command line both servers get, so that they start the
// same way.
func serverArgs(port int) []string {
	return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", ""}
}

// startRedoubt starts the binary on a free loopback port, waits for its
// ready line and returns it with its port. The test's cleanup kills it.
func startRedoubt(t *testing.T) (*proc, int) {
	t.Helper()
	port := freePort(t)
	p := start(t, "", serverArgs(port)...)
	p.waitReady()
	return p, port
}

// startRedis starts a real redis-server as startRedoubt starts Redoubt and
// returns its port. The test's cleanup kills it.
func startRedis(t *testing.T) int {
	t.Helper()
	bin := requireTool(t, "redis-server", "REDIS_SERVER")
	port := freePort(t)
	startListening(t, port, bin, serverArgs(port)...)
	return port
}

// startListening runs a server program with args and waits until it
// accepts connections on the loopback port; it returns the program's
// output. The test's cleanup kills it.
func startListening(t *testing.T, port int, program string, args ...string) *syncBuffer {
	t.Helper()
	out := &syncBuffer{}
	cmd := exec.Command(program, args...)
	// Die with the test binary, even if it is killed by -timeout.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(10 * time.Second); ; {
		nc, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			nc.Close()
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not listening on %s after 10s: %v\n%s", program, addr, err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cliResult is what one redis-cli run printed.
type cliResult struct {
	stdout, stderr string
	code           int
}

func (r cliResult) String() string {
	return fmt.Sprintf("stdout %q, stderr %q, exit status %d", r.stdout, r.stderr, r.code)
}

// cli runs redis-cli against port with the arguments, stdin as its input,
// and returns what it printed and its exit status.
func cli(t *testing.T, port int, stdin []byte, args ...string) cliResult {
	t.Helper()
	bin := requireTool(t, "redis-cli", "REDIS_CLI")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-p", strconv.Itoa(port)}, args...)...)
	cmd.Env = cliEnv(t)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	code := 0
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("redis-cli %q: %v", args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("redis-cli %q did not finish in 30s", args)
	}
	return cliResult{stdout.String(), stderr.String(), code}
}

// cliEnv is the environment for redis-cli: HOME is a temporary directory,
// so the user's ~/.redisclirc does not change its output and an
// interactive session does not write to the user's history, and no
// REDISCLI_AUTH leaks in.
func cliEnv(t *testing.T) []string {
	home := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "REDISCLI_") && !strings.HasPrefix(kv, "TERM=") {
			env = append(env, kv)
		}
	}
	return append(env, "HOME="+home, "REDISCLI_HISTFILE="+home+"/history", "TERM=xterm")
}

// infoMasked lists the INFO server fields whose values legitimately differ
// between two servers, or two runs of one: build, process, port and time.
var infoMasked = map[string]bool{
	"redis_build_id": true, "atomicvar_api": true, "gcc_version": true,
	"process_id": true, "run_id": true, "tcp_port": true, "server_time_usec": true,
	"uptime_in_seconds": true, "uptime_in_days": true, "lru_clock": true,
	"executable": true,
}

// maskInfo masks the values of infoMasked fields and drops Redoubt's own
// fields (redoubt_*), which INFO adds to Redis's.
func maskInfo(s string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		name, _, ok := strings.Cut(line, ":")
		switch {
		case ok && strings.HasPrefix(name, "redoubt_"):
			continue
		case ok && infoMasked[name]:
			line = name + ":<masked>\r"
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// sortLines sorts the lines of redis-cli's raw output, for replies whose
// order depends on the server's hash table.
func sortLines(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}

// TestRedisCLIOneShot runs redis-cli one command at a time, as scripts do,
// against Redis and Redoubt, and compares everything it printed. Without a
// terminal redis-cli prints raw replies; --no-raw and -3 give its
// formatted RESP2 and RESP3 output.
func TestRedisCLIOneShot(t *testing.T) {
	t.Parallel()
	requireTool(t, "redis-cli", "REDIS_CLI")
	_, ours := startRedoubt(t)
	theirs := startRedis(t)
	for _, tt := range []struct {
		args []string
		// mask rewrites output that legitimately differs; port is the
		// server's.
		mask func(out string, port int) string
	}{
		{args: []string{"PING"}},
		{args: []string{"ECHO", "hello world"}},
		{args: []string{"SET", "foo", "bar"}},
		{args: []string{"GET", "foo"}},
		{args: []string{"GET", "nosuchkey"}},
		{args: []string{"--no-raw", "GET", "foo"}},
		{args: []string{"--no-raw", "GET", "nosuchkey"}},
		{args: []string{"GET"}},
		{args: []string{"--no-raw", "GET"}},
		{args: []string{"NOSUCHCOMMAND", "x"}},
		{args: []string{"SET", "n", "10"}},
		{args: []string{"INCR", "n"}},
		{args: []string{"--no-raw", "INCR", "n"}},
		{args: []string{"INCR", "foo"}},
		{args: []string{"--no-raw", "INCR", "foo"}},
		{args: []string{"INCRBYFLOAT", "n", "0.5"}},
		{args: []string{"EXPIRE", "foo", "100"}},
		{args: []string{"TTL", "foo"}},
		{args: []string{"--no-raw", "TTL", "foo"}},
		{args: []string{"TTL", "n"}},
		{args: []string{"TTL", "nosuchkey"}},
		{args: []string{"EXPIRE", "nosuchkey", "100"}},
		{args: []string{"MSET", "a", "1", "b", "2", "c", "3"}},
		{args: []string{"MGET", "a", "nosuchkey", "c"}},
		{args: []string{"--no-raw", "MGET", "a", "nosuchkey", "c"}},
		{args: []string{"-3", "--no-raw", "MGET", "a", "nosuchkey"}},
		{args: []string{"KEYS", "*"}, mask: func(s string, _ int) string { return sortLines(s) }},
		{args: []string{"KEYS", "[ab]"}, mask: func(s string, _ int) string { return sortLines(s) }},
		{args: []string{"--no-raw", "KEYS", "f*"}},
		{args: []string{"--no-raw", "KEYS", "nomatch*"}},
		{args: []string{"--scan"}, mask: func(s string, _ int) string { return sortLines(s) }},
		{args: []string{"--scan", "--pattern", "[bc]"}, mask: func(s string, _ int) string { return sortLines(s) }},
		{args: []string{"--scan", "--pattern", "nomatch*"}},
		{args: []string{"TYPE", "a"}},
		{args: []string{"TYPE", "nosuchkey"}},
		{args: []string{"EXISTS", "a", "b", "nosuchkey"}},
		{args: []string{"DBSIZE"}},
		{args: []string{"--no-raw", "DBSIZE"}},
		{args: []string{"DEL", "a", "b", "nosuchkey"}},
		{args: []string{"DBSIZE"}},
		{args: []string{"-n", "1", "SET", "foo", "in-db-1"}},
		{args: []string{"-n", "1", "GET", "foo"}},
		{args: []string{"-n", "1", "DBSIZE"}},
		{args: []string{"-n", "99", "DBSIZE"}},
		{args: []string{"GET", "foo"}},
		{args: []string{"CONFIG", "GET", "port"}, mask: maskPort},
		{args: []string{"--no-raw", "CONFIG", "GET", "port"}, mask: maskPort},
		{args: []string{"-3", "--no-raw", "CONFIG", "GET", "port"}, mask: maskPort},
		{args: []string{"CONFIG", "GET", "databases"}},
		{args: []string{"CONFIG", "GET", "nosuchparameter"}},
		{args: []string{"INFO", "server"}, mask: func(s string, _ int) string { return maskInfo(s) }},
		{args: []string{"FLUSHALL"}},
		{args: []string{"DBSIZE"}},
		{args: []string{"-n", "1", "DBSIZE"}},
	} {
		want := cli(t, theirs, nil, tt.args...)
		got := cli(t, ours, nil, tt.args...)
		if tt.mask != nil {
			want.stdout, want.stderr = tt.mask(want.stdout, theirs), tt.mask(want.stderr, theirs)
			got.stdout, got.stderr = tt.mask(got.stdout, ours), tt.mask(got.stderr, ours)
		}
		if got != want {
			t.Errorf("redis-cli %q printed\n%v\nwant (Redis)\n%v", tt.args, got, want)
		}
	}
}

func maskPort(s string, port int) string {
	return strings.ReplaceAll(s, strconv.Itoa(port), "<port>")
}

// screen renders what a terminal shows for the output of a line editor
// such as linenoise: it honours carriage returns, cursor moves right and
// left (CSI n C, CSI n D) and erase to end of line (CSI K), and drops colour
// (CSI … m) and other control sequences. It returns the screen's lines; the
// last one is where the cursor is.
func screen(raw string) []string {
	lines := []string{""}
	col := 0
	put := func(b byte) {
		line := []byte(lines[len(lines)-1])
		for len(line) < col {
			line = append(line, ' ')
		}
		if col < len(line) {
			line[col] = b
		} else {
			line = append(line, b)
		}
		lines[len(lines)-1] = string(line)
		col++
	}
	for i := 0; i < len(raw); i++ {
		switch b := raw[i]; {
		case b == '\r':
			col = 0
		case b == '\n':
			lines = append(lines, "")
			col = 0
		case b == 0x1b && i+1 < len(raw) && raw[i+1] == '[':
			j := i + 2
			for j < len(raw) && (raw[j] < 0x40 || raw[j] > 0x7e) {
				j++
			}
			if j == len(raw) {
				return lines // an incomplete sequence: more output is coming
			}
			n, err := strconv.Atoi(raw[i+2 : j])
			if err != nil {
				n = 0
			}
			switch raw[j] {
			case 'C':
				col += max(n, 1)
			case 'D':
				col = max(col-max(n, 1), 0)
			case 'K':
				if last := lines[len(lines)-1]; n == 0 && col < len(last) {
					lines[len(lines)-1] = last[:col]
				}
			}
			i = j
		case b >= ' ' && b < 0x7f:
			put(b)
		}
	}
	return lines
}

// barePrompt is redis-cli's prompt waiting for input, with the database
// number when it is not 0.
var barePrompt = regexp.MustCompile(`^127\.0\.0\.1:\d+(\[\d+\])?> $`)

// interactive runs redis-cli against port under a pseudo-terminal (made by
// script(1), sized 200x50 so that linenoise needs no terminal queries),
// types each line of input after the previous reply has come back, and
// returns the screen once redis-cli has exited.
func interactive(t *testing.T, port int, input []string) []string {
	t.Helper()
	bin := requireTool(t, "redis-cli", "REDIS_CLI")
	scriptBin, err := exec.LookPath("script")
	if err != nil {
		t.Skip("script(1) from util-linux is needed for a pseudo-terminal")
	}
	quoted := "'" + strings.ReplaceAll(bin, "'", `'\''`) + "'"
	cmd := exec.Command(scriptBin, "-qfec",
		fmt.Sprintf("stty cols 200 rows 50 && exec %s -p %d", quoted, port), "/dev/null")
	cmd.Env = cliEnv(t)
	cmd.WaitDelay = 5 * time.Second
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { // exits with script
		waitErr = cmd.Wait()
		close(exited)
	}()
	defer func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
			<-exited
		}
	}()
	// waitPrompt waits until the screen has more than n lines and its
	// last line is a bare prompt, and returns the number of lines.
	waitPrompt := func(n int) int {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			s := screen(out.String())
			if len(s) > n && barePrompt.MatchString(s[len(s)-1]) {
				return len(s)
			}
			if time.Now().After(deadline) {
				t.Fatalf("no prompt after 10s; the screen shows:\n%s", strings.Join(s, "\n"))
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	n := waitPrompt(0)
	for i, line := range input {
		if _, err := stdin.Write([]byte(line + "\r")); err != nil {
			t.Fatal(err)
		}
		if i < len(input)-1 {
			n = waitPrompt(n)
		}
	}
	select {
	case <-exited:
		if waitErr != nil {
			t.Errorf("redis-cli exited with %v", waitErr)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("redis-cli still running 10s after %q; the screen shows:\n%s",
			input[len(input)-1], strings.Join(screen(out.String()), "\n"))
	}
	s := screen(out.String())
	for len(s) > 0 && s[len(s)-1] == "" {
		s = s[:len(s)-1]
	}
	return s
}

// TestRedisCLIInteractive types a session into redis-cli under a
// pseudo-terminal, as a person would, and checks the screen: the replies,
// the prompt following SELECT, and the exit on QUIT. Redis must show the
// same screen.
func TestRedisCLIInteractive(t *testing.T) {
	t.Parallel()
	requireTool(t, "redis-cli", "REDIS_CLI")
	_, ours := startRedoubt(t)
	theirs := startRedis(t)
	input := []string{
		"SET greeting hello",
		"GET greeting",
		"GET missing",
		"GET",
		"INCR counter",
		"INCR greeting",
		"MGET greeting missing",
		"nosuchcommand arg",
		"SELECT 1",
		"GET greeting",
		"SET greeting bonjour",
		"SELECT 99",
		"GET greeting",
		"SELECT 0",
		"GET greeting",
		"QUIT",
	}
	// want is the screen, P standing for the port.
	want := strings.Join([]string{
		"127.0.0.1:P> SET greeting hello",
		"OK",
		"127.0.0.1:P> GET greeting",
		`"hello"`,
		"127.0.0.1:P> GET missing",
		"(nil)",
		"127.0.0.1:P> GET",
		"(error) ERR wrong number of arguments for 'get' command",
		"127.0.0.1:P> INCR counter",
		"(integer) 1",
		"127.0.0.1:P> INCR greeting",
		"(error) ERR value is not an integer or out of range",
		"127.0.0.1:P> MGET greeting missing",
		`1) "hello"`,
		"2) (nil)",
		"127.0.0.1:P> nosuchcommand arg",
		"(error) ERR unknown command 'nosuchcommand', with args beginning with: 'arg' ",
		"127.0.0.1:P> SELECT 1",
		"OK",
		"127.0.0.1:P[1]> GET greeting",
		"(nil)",
		"127.0.0.1:P[1]> SET greeting bonjour",
		"OK",
		"127.0.0.1:P[1]> SELECT 99",
		"(error) ERR DB index is out of range",
		"127.0.0.1:P[1]> GET greeting",
		`"bonjour"`,
		"127.0.0.1:P[1]> SELECT 0",
		"OK",
		"127.0.0.1:P> GET greeting",
		`"hello"`,
		"127.0.0.1:P> QUIT",
	}, "\n")
	for _, tt := range []struct {
		name string
		port int
	}{{"Redis", theirs}, {"Redoubt", ours}} {
		got := strings.Join(interactive(t, tt.port, input), "\n")
		got = strings.ReplaceAll(got, "127.0.0.1:"+strconv.Itoa(tt.port), "127.0.0.1:P")
		if got != want {
			t.Errorf("%s: the screen shows\n%s\n\nwant\n%s", tt.name, got, want)
		}
	}
}

// TestRedisCLIPipe does the mass insertion of the Redis documentation:
// commands generated in RESP (and, in a smaller run, as inline commands,
// one per line) piped through redis-cli --pipe.
func TestRedisCLIPipe(t *testing.T) {
	t.Parallel()
	requireTool(t, "redis-cli", "REDIS_CLI")
	_, port := startRedoubt(t)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))

	const n = 100000
	var in bytes.Buffer
	for i := range n {
		k, v := fmt.Sprintf("key:%06d", i), fmt.Sprintf("value:%d", i*7)
		fmt.Fprintf(&in, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(k), k, len(v), v)
	}
	res := cli(t, port, in.Bytes(), "--pipe")
	summary := "All data transferred. Waiting for the last reply...\n" +
		"Last reply received from server.\n" +
		"errors: 0, replies: 100000\n"
	if res != (cliResult{stdout: summary}) {
		t.Fatalf("redis-cli --pipe printed\n%v\nwant stdout\n%q", res, summary)
	}
	if got := do(t, addr, "DBSIZE"); got != ":100000" {
		t.Errorf("DBSIZE after the mass insertion = %q, want :100000", got)
	}
	for _, i := range []int{0, 1, 4999, 31337, 65536, 99998, 99999} {
		k := fmt.Sprintf("key:%06d", i)
		if got, want := do(t, addr, "GET", k), fmt.Sprintf("value:%d", i*7); got != want {
			t.Errorf("GET %s = %q, want %q", k, got, want)
		}
	}

	// Inline commands: CRLF as in the documentation, bare LF as
	// redis-server also accepts, quoted arguments, and one error,
	// which --pipe reports on stderr and in its exit status.
	in.Reset()
	const m = 1000
	for i := range m {
		eol := "\r\n"
		if i%2 == 1 {
			eol = "\n"
		}
		fmt.Fprintf(&in, "SET inline:%04d v%d%s", i, i, eol)
	}
	in.WriteString("SET \"with space\" \"a b\\tc\"\r\n")
	in.WriteString("INCR inline:0000\r\n")
	res = cli(t, port, in.Bytes(), "--pipe")
	want := cliResult{
		stdout: "All data transferred. Waiting for the last reply...\n" +
			"Last reply received from server.\n" +
			"errors: 1, replies: 1002\n",
		stderr: "ERR value is not an integer or out of range\n",
		code:   1,
	}
	if res != want {
		t.Fatalf("redis-cli --pipe (inline) printed\n%v\nwant\n%v", res, want)
	}
	for _, tt := range [][2]string{
		{"inline:0000", "v0"}, {"inline:0001", "v1"}, {"inline:0998", "v998"}, {"inline:0999", "v999"},
		{"with space", "a b\tc"},
	} {
		if got := do(t, addr, "GET", tt[0]); got != tt[1] {
			t.Errorf("GET %q = %q, want %q", tt[0], got, tt[1])
		}
	}
	if got, want := do(t, addr, "DBSIZE"), ":"+strconv.Itoa(n+m+1); got != want {
		t.Errorf("DBSIZE = %q, want %q", got, want)
	}
}

// TestGoRedisDefaults drives the binary with go-redis v9 and its default
// options: RESP3 through HELLO 3, the library name through CLIENT SETINFO,
// a connection pool.
func TestGoRedisDefaults(t *testing.T) {
	t.Parallel()
	p, port := startRedoubt(t)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	newClient := func(db int) *redis.Client {
		rdb := redis.NewClient(&redis.Options{Addr: addr, DB: db})
		t.Cleanup(func() { rdb.Close() })
		return rdb
	}
	rdb := newClient(0)

	t.Run("handshake", func(t *testing.T) {
		info, err := rdb.ClientInfo(ctx).Result()
		if err != nil {
			t.Fatalf("CLIENT INFO: %v", err)
		}
		if info.Resp != 3 {
			t.Errorf("CLIENT INFO resp = %d, want 3 (HELLO 3 negotiated)", info.Resp)
		}
		if want := "go-redis(," + strings.ReplaceAll(runtime.Version(), " ", "-") + ")"; info.LibName != want {
			t.Errorf("CLIENT INFO lib-name = %q, want %q", info.LibName, want)
		}
		if info.LibVer != redis.Version() {
			t.Errorf("CLIENT INFO lib-ver = %q, want %q", info.LibVer, redis.Version())
		}
		// Only RESP3 has maps: in RESP2 CONFIG GET is a flat array.
		v, err := rdb.Do(ctx, "CONFIG", "GET", "port").Result()
		if m, ok := v.(map[any]any); err != nil || !ok || m["port"] != strconv.Itoa(port) {
			t.Errorf("CONFIG GET port = %#v, %v; want the RESP3 map {port: %d}", v, err, port)
		}
	})

	t.Run("strings", func(t *testing.T) {
		if err := rdb.Set(ctx, "session", "abc", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		if ttl, err := rdb.TTL(ctx, "session").Result(); err != nil || ttl <= 58*time.Second || ttl > time.Minute {
			t.Errorf("TTL(session) = %v, %v; want about 1m", ttl, err)
		}
		if ttl, err := rdb.PTTL(ctx, "session").Result(); err != nil || ttl <= 58*time.Second || ttl > time.Minute {
			t.Errorf("PTTL(session) = %v, %v; want about 1m", ttl, err)
		}
		if v, err := rdb.Get(ctx, "session").Result(); err != nil || v != "abc" {
			t.Errorf("GET(session) = %q, %v; want abc", v, err)
		}
		if v, err := rdb.Get(ctx, "nosuchkey").Result(); !errors.Is(err, redis.Nil) {
			t.Errorf("GET(nosuchkey) = %q, %v; want redis.Nil", v, err)
		}
		if ok, err := rdb.SetNX(ctx, "session", "other", 0).Result(); err != nil || ok {
			t.Errorf("SETNX(session) = %v, %v; want false", ok, err)
		}
		for i, want := range []int64{1, 2, 3} {
			if n, err := rdb.Incr(ctx, "counter").Result(); err != nil || n != want {
				t.Errorf("INCR(counter) #%d = %d, %v; want %d", i+1, n, err, want)
			}
		}
		if n, err := rdb.IncrBy(ctx, "counter", -10).Result(); err != nil || n != -7 {
			t.Errorf("INCRBY(counter, -10) = %d, %v; want -7", n, err)
		}
		if _, err := rdb.Incr(ctx, "session").Result(); err == nil || err.Error() != "ERR value is not an integer or out of range" {
			t.Errorf("INCR(session) error = %v, want Redis's not-an-integer error", err)
		}
		if f, err := rdb.IncrByFloat(ctx, "float", 10.5).Result(); err != nil || f != 10.5 {
			t.Errorf("INCRBYFLOAT(float, 10.5) = %v, %v; want 10.5", f, err)
		}
		if f, err := rdb.IncrByFloat(ctx, "float", 0.1).Result(); err != nil || f != 10.6 {
			t.Errorf("INCRBYFLOAT(float, 0.1) = %v, %v; want 10.6", f, err)
		}
		if v, err := rdb.Get(ctx, "float").Result(); err != nil || v != "10.6" {
			t.Errorf("GET(float) = %q, %v; want 10.6", v, err)
		}
		if err := rdb.MSet(ctx, "m1", "one", "m2", "two", "m3", "").Err(); err != nil {
			t.Fatal(err)
		}
		vals, err := rdb.MGet(ctx, "m1", "nosuchkey", "m2", "m3").Result()
		if want := []any{"one", nil, "two", ""}; err != nil || !slices.Equal(vals, want) {
			t.Errorf("MGET = %#v, %v; want %#v", vals, err, want)
		}
	})

	t.Run("keys", func(t *testing.T) {
		if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if ttl, err := rdb.TTL(ctx, "k").Result(); err != nil || ttl != -1 {
			t.Errorf("TTL(k) without expiry = %v, %v; want -1", ttl, err)
		}
		if ok, err := rdb.Expire(ctx, "k", 100*time.Second).Result(); err != nil || !ok {
			t.Errorf("EXPIRE(k, 100) = %v, %v; want true", ok, err)
		}
		if ttl, err := rdb.TTL(ctx, "k").Result(); err != nil || ttl != 100*time.Second {
			t.Errorf("TTL(k) = %v, %v; want 100s", ttl, err)
		}
		if ok, err := rdb.Expire(ctx, "nosuchkey", time.Second).Result(); err != nil || ok {
			t.Errorf("EXPIRE(nosuchkey) = %v, %v; want false", ok, err)
		}
		if ttl, err := rdb.TTL(ctx, "nosuchkey").Result(); err != nil || ttl != -2 {
			t.Errorf("TTL(nosuchkey) = %v, %v; want -2", ttl, err)
		}
		if ok, err := rdb.Persist(ctx, "k").Result(); err != nil || !ok {
			t.Errorf("PERSIST(k) = %v, %v; want true", ok, err)
		}
		for key, want := range map[string]string{"k": "string", "nosuchkey": "none"} {
			if typ, err := rdb.Type(ctx, key).Result(); err != nil || typ != want {
				t.Errorf("TYPE(%s) = %q, %v; want %q", key, typ, err, want)
			}
		}
		if n, err := rdb.Exists(ctx, "k", "nosuchkey", "k").Result(); err != nil || n != 2 {
			t.Errorf("EXISTS(k, nosuchkey, k) = %d, %v; want 2", n, err)
		}
		if n, err := rdb.Del(ctx, "k", "nosuchkey").Result(); err != nil || n != 1 {
			t.Errorf("DEL(k, nosuchkey) = %d, %v; want 1", n, err)
		}
		cfg, err := rdb.ConfigGet(ctx, "port").Result()
		if want := map[string]string{"port": strconv.Itoa(port)}; err != nil || len(cfg) != 1 || cfg["port"] != want["port"] {
			t.Errorf("CONFIG GET port = %v, %v; want %v", cfg, err, want)
		}
		if cfg, err := rdb.ConfigGet(ctx, "databases").Result(); err != nil || cfg["databases"] != "16" {
			t.Errorf("CONFIG GET databases = %v, %v; want 16", cfg, err)
		}
	})

	t.Run("pipeline", func(t *testing.T) {
		const n = 1000
		cmds, err := rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for i := range n / 2 {
				pipe.Set(ctx, fmt.Sprintf("pipe:%d", i), i*i, 0)
			}
			for i := range n / 2 {
				pipe.Get(ctx, fmt.Sprintf("pipe:%d", i))
			}
			return nil
		})
		if err != nil || len(cmds) != n {
			t.Fatalf("pipeline of %d: %d replies, %v", n, len(cmds), err)
		}
		for i, cmd := range cmds[n/2:] {
			if v, err := cmd.(*redis.StringCmd).Result(); err != nil || v != strconv.Itoa(i*i) {
				t.Errorf("pipelined GET pipe:%d = %q, %v; want %d", i, v, err, i*i)
			}
		}
	})

	// Databases through Options.DB (a SELECT on each new connection), so
	// SCAN and FLUSHDB see only the keys of this subtest.
	t.Run("scan", func(t *testing.T) {
		db := newClient(2)
		want := make(map[string]bool)
		var args []any
		for i := range 1000 {
			k := fmt.Sprintf("scan:%d", i)
			want[k] = true
			args = append(args, k, i)
		}
		if err := db.MSet(ctx, args...).Err(); err != nil {
			t.Fatal(err)
		}
		if err := db.Set(ctx, "other", "x", 0).Err(); err != nil {
			t.Fatal(err)
		}
		got := make(map[string]bool)
		it := db.Scan(ctx, 0, "scan:*", 50).Iterator()
		for it.Next(ctx) {
			if !want[it.Val()] {
				t.Errorf("SCAN returned %q", it.Val())
			}
			got[it.Val()] = true
		}
		if err := it.Err(); err != nil || len(got) != len(want) {
			t.Errorf("SCAN iteration found %d of %d keys, %v", len(got), len(want), err)
		}
		if n, err := db.DBSize(ctx).Result(); err != nil || n != 1001 {
			t.Errorf("DBSIZE of db 2 = %d, %v; want 1001", n, err)
		}
		if info, err := db.ClientInfo(ctx).Result(); err != nil || info.DB != 2 {
			t.Errorf("CLIENT INFO of a DB: 2 client: db=%d, %v", info.DB, err)
		}
		if err := db.FlushDB(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		if n, err := db.DBSize(ctx).Result(); err != nil || n != 0 {
			t.Errorf("DBSIZE of db 2 after FLUSHDB = %d, %v; want 0", n, err)
		}
		if v, err := rdb.Get(ctx, "pipe:3").Result(); err != nil || v != "9" {
			t.Errorf("GET pipe:3 in db 0 after FLUSHDB of db 2 = %q, %v; want 9", v, err)
		}
		if _, err := rdb.Get(ctx, "scan:1").Result(); !errors.Is(err, redis.Nil) {
			t.Errorf("GET scan:1 in db 0 = %v, want redis.Nil", err)
		}
	})

	t.Run("pool", func(t *testing.T) {
		const workers, each = 20, 250
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for range workers {
			wg.Add(1)
			go func() { // exits after its INCRs
				defer wg.Done()
				for range each {
					if err := rdb.Incr(ctx, "shared").Err(); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if v, err := rdb.Get(ctx, "shared").Int(); err != nil || v != workers*each {
			t.Errorf("GET shared = %d, %v; want %d", v, err, workers*each)
		}
		t.Logf("%d goroutines used %d pooled connections", workers, rdb.PoolStats().TotalConns)
	})

	// Clients that go away mid-pipeline: one stops in the middle of a
	// command, one resets the connection while the server is writing
	// large replies. The server drops both and keeps serving.
	t.Run("closed mid-pipeline", func(t *testing.T) {
		big := strings.Repeat("x", 1<<20)
		if err := rdb.Set(ctx, "big", big, 0).Err(); err != nil {
			t.Fatal(err)
		}
		var gone []string
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriter(nc)
		for i := range 10000 {
			fmt.Fprintf(w, "*3\r\n$3\r\nSET\r\n$%d\r\nhalf:%d\r\n$1\r\nv\r\n", len(fmt.Sprint("half:", i)), i)
		}
		w.WriteString("*3\r\n$3\r\nSET\r\n$4\r\nhal") // cut inside a command
		w.Flush()
		gone = append(gone, nc.LocalAddr().String())
		nc.Close()

		nc, err = net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		for range 64 {
			nc.Write([]byte("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n"))
		}
		time.Sleep(50 * time.Millisecond) // let the server start writing
		nc.(*net.TCPConn).SetLinger(0)    // close with a reset
		gone = append(gone, nc.LocalAddr().String())
		nc.Close()

		for deadline := time.Now().Add(10 * time.Second); ; {
			list, err := rdb.ClientList(ctx).Result()
			if err != nil {
				t.Fatalf("CLIENT LIST after the closes: %v", err)
			}
			if !slices.ContainsFunc(gone, func(a string) bool { return strings.Contains(list, "addr="+a+" ") }) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("closed clients still listed after 10s:\n%s", list)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if v, err := rdb.Get(ctx, "big").Result(); err != nil || v != big {
			t.Errorf("GET big after the closes: %d bytes, %v", len(v), err)
		}
		if got := do(t, addr, "PING"); got != "+PONG" {
			t.Errorf("PING from a new connection = %q", got)
		}
		select {
		case <-p.exited:
			t.Fatalf("the server exited: %v\n%s", p.err, p.stderr.String())
		default:
		}
	})

	if log := p.stdout.String(); strings.Contains(log, "internal error") {
		t.Errorf("the server recovered from a panic:\n%s", log)
	}
	if s := p.stderr.String(); s != "" {
		t.Errorf("stderr: %s", s)
	}
}

// TestDefaultListeners starts the binary with no arguments at all and
// checks where it listens: 127.0.0.1:6379 and, when the host has it,
// [::1]:6379, and nowhere else. It needs port 6379 free on loopback.
func TestDefaultListeners(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("lists listening sockets from /proc")
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:6379")
	if err != nil {
		t.Skipf("port 6379 is not free on 127.0.0.1: %v", err)
	}
	ln.Close()
	want := []string{"127.0.0.1:6379"}
	if ln, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		ln.Close()
		ln, err := net.Listen("tcp6", "[::1]:6379")
		if err != nil {
			t.Skipf("port 6379 is not free on ::1: %v", err)
		}
		ln.Close()
		want = append(want, "[::1]:6379")
	}
	// Non-loopback addresses of this host, where nothing may answer on
	// 6379, before or after the start.
	var others []string
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() {
				continue
			}
			addr := net.JoinHostPort(ipn.IP.String(), "6379")
			if nc, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				nc.Close()
				t.Logf("%s already answers before the start; not checked", addr)
				continue
			}
			others = append(others, addr)
		}
	}

	p := start(t, "")
	p.waitReady()
	got, err := listeners(p.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("listening on %q, want %q", got, want)
	}
	t.Logf("listening on %q; no answer expected on %q", got, others)
	for _, a := range want {
		if got := do(t, a, "PING"); got != "+PONG" {
			t.Errorf("PING on %s = %q", a, got)
		}
	}
	for _, a := range others {
		if nc, err := net.DialTimeout("tcp", a, time.Second); err == nil {
			nc.Close()
			t.Errorf("%s accepts connections", a)
		}
	}
	if len(others) == 0 {
		t.Log("the host has no non-loopback address to try")
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(); code != 0 {
		t.Errorf("exit status %d after SIGTERM", code)
	}
}

// listeners returns the TCP addresses the process pid listens on, from the
// sockets among its file descriptors and /proc/net/tcp{,6}.
func listeners(pid int) ([]string, error) {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return nil, err
	}
	inodes := make(map[string]bool)
	for _, fd := range fds {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	var addrs []string
	for _, file := range []string{"tcp", "tcp6"} {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, file))
		if errors.Is(err, os.ErrNotExist) && file == "tcp6" {
			continue // no IPv6 in the kernel
		}
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			f := strings.Fields(line)
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			if len(f) < 10 || f[3] != "0A" || !inodes[f[9]] { // 0A is TCP_LISTEN
				continue
			}
			a, err := procAddr(f[1])
			if err != nil {
				return nil, fmt.Errorf("%s: %q: %w", file, f[1], err)
			}
			addrs = append(addrs, a)
		}
	}
	return addrs, nil
}

// procAddr decodes an address of /proc/net/tcp{,6}: the IP in hex as 32-bit
// words in host byte order (little-endian here), a colon, the port in hex.
func procAddr(s string) (string, error) {
	ipHex, portHex, ok := strings.Cut(s, ":")
	b, err := hex.DecodeString(ipHex)
	if !ok || err != nil || (len(b) != 4 && len(b) != 16) {
		return "", errors.New("bad address")
	}
	for i := 0; i < len(b); i += 4 {
		b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
	}
	port, err := strconv.ParseUint(portHex, 16, 16)
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(net.IP(b).String(), strconv.FormatUint(port, 10)), nil
}
