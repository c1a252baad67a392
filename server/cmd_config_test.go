package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// cfgTestClient is a minimal RESP client for the tests of this package.
type cfgTestClient struct {
	t  *testing.T
	nc net.Conn
	r  *bufio.Reader
}

func cfgDial(t *testing.T, addr string) *cfgTestClient {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	return &cfgTestClient{t: t, nc: nc, r: bufio.NewReader(nc)}
}

// do sends a command and returns its reply rendered as text: "+OK",
// "-ERR …", ":1", a bulk string's bytes, "(nil)", or "[a b …]".
func (c *cfgTestClient) do(args ...string) string {
	c.t.Helper()
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.nc.Write(b.Bytes()); err != nil {
		c.t.Fatal(err)
	}
	s, err := cfgReadReply(c.r)
	if err != nil {
		c.t.Fatal(err)
	}
	return s
}

func cfgReadReply(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", errors.New("empty reply line")
	}
	switch line[0] {
	case '+', '-', ':':
		return line, nil
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return "(nil)", nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	case '*', '%':
		n, _ := strconv.Atoi(line[1:])
		if line[0] == '%' {
			n *= 2
		}
		parts := make([]string, n)
		for i := range parts {
			if parts[i], err = cfgReadReply(r); err != nil {
				return "", err
			}
		}
		return "[" + strings.Join(parts, " ") + "]", nil
	}
	return "", fmt.Errorf("unexpected reply %q", line)
}

// cfgLogBuffer is a log destination safe for concurrent writes and reads.
type cfgLogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *cfgLogBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *cfgLogBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func cfgStartServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestConfigSetRefused covers what Redoubt refuses on purpose, where Redis
// would say OK: values of capabilities it lacks, run-time listener changes,
// values beyond its tighter caps.
func TestConfigSetRefused(t *testing.T) {
	s := cfgStartServer(t, Config{})
	c := cfgDial(t, s.Addr())
	port := strconv.Itoa(s.Port())
	tests := []struct{ cmd, want string }{
		{"CONFIG SET maxmemory 100mb", "-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - not supported yet by Redoubt (a memory limit and eviction): only 'maxmemory 0' is accepted"},
		{"CONFIG SET save 900", "-ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"},
		{"CONFIG SET SLAVE-PRIORITY 5", "-ERR CONFIG SET failed (possibly related to argument 'slave-priority') - not supported yet by Redoubt (replication): only 'replica-priority 100' is accepted"},
		{"CONFIG SET hash-max-listpack-entries 10", "-ERR CONFIG SET failed (possibly related to argument 'hash-max-listpack-entries') - not supported yet by Redoubt (tuning of compact encodings): only Redis's default 'hash-max-listpack-entries 512' is accepted"},
		{"CONFIG SET port 1", "-ERR CONFIG SET failed (possibly related to argument 'port') - " + string(errRuntimeListeners)},
		{"CONFIG SET port " + port, "+OK"},
		{"CONFIG SET bind 0.0.0.0", "-ERR CONFIG SET failed (possibly related to argument 'bind') - " + string(errRuntimeListeners)},
		{"CONFIG SET bind 127.0.0.1_-::1", "+OK"},
		{"CONFIG SET proto-max-bulk-len 8gb", "-ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be between 1048576 and 4294967295 inclusive"},
		{"CONFIG SET client-query-buffer-limit 2048gb", "-ERR CONFIG SET failed (possibly related to argument 'client-query-buffer-limit') - argument must be between 1048576 and 1099511627776 inclusive"},
		{"CONFIG SET timeout 5 maxmemory 1gb", "-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - not supported yet by Redoubt (a memory limit and eviction): only 'maxmemory 0' is accepted"},
		{"CONFIG GET timeout", "[timeout 0]"}, // all or nothing
		{"CONFIG GET port", "[port " + port + "]"},
		{"CONFIG GET bind", "[bind 127.0.0.1 -::1]"},
		{"CONFIG GET slave-lazy-flush", "[slave-lazy-flush no]"},
		{"CONFIG GET hash-max-listpack-entries activerehashing", "[]"},
		{"CONFIG GET tcp-keepalive io-threads", "[tcp-keepalive 0 io-threads " + strconv.Itoa(cfgGOMAXPROCS()) + "]"},
		{"CONFIG REWRITE", "-ERR The server is running without a config file"},
	}
	for _, tt := range tests {
		args := strings.Fields(tt.cmd)
		for i := range args {
			args[i] = strings.ReplaceAll(args[i], "_", " ")
		}
		if got := c.do(args...); got != tt.want {
			t.Errorf("%s = %q\nwant %q", tt.cmd, got, tt.want)
		}
	}
}

func TestConfigRewriteWithFile(t *testing.T) {
	s := cfgStartServer(t, Config{ConfigFile: "/nonexistent/redis.conf"})
	c := cfgDial(t, s.Addr())
	if got := c.do("CONFIG", "REWRITE"); got != "-"+msgConfigRewriteUnsupported {
		t.Errorf("CONFIG REWRITE = %q", got)
	}
}

// TestConfigSetEffects checks that run-time changes take effect.
func TestConfigSetEffects(t *testing.T) {
	var logs cfgLogBuffer
	s := cfgStartServer(t, Config{LogOutput: &logs})
	c := cfgDial(t, s.Addr())

	t.Run("maxclients", func(t *testing.T) {
		if got := c.do("CONFIG", "SET", "maxclients", "1"); got != "+OK" {
			t.Fatal(got)
		}
		c2 := cfgDial(t, s.Addr())
		if line, _ := c2.r.ReadString('\n'); line != "-"+msgMaxClients+"\r\n" {
			t.Errorf("second client got %q", line)
		}
		c.do("CONFIG", "SET", "maxclients", "10000")
	})
	t.Run("proto-max-bulk-len", func(t *testing.T) {
		c.do("CONFIG", "SET", "proto-max-bulk-len", "1mb")
		c2 := cfgDial(t, s.Addr())
		fmt.Fprintf(c2.nc, "*2\r\n$4\r\nECHO\r\n$%d\r\n", 2<<20)
		if line, _ := c2.r.ReadString('\n'); line != "-ERR Protocol error: invalid bulk length\r\n" {
			t.Errorf("2 MB bulk under a 1 MB limit: %q", line)
		}
		c.do("CONFIG", "SET", "proto-max-bulk-len", "512mb")
	})
	t.Run("loglevel", func(t *testing.T) {
		mark := func(name string) {
			c2 := cfgDial(t, s.Addr())
			fmt.Fprintf(c2.nc, "*1\r\n$-5\r\n%s\r\n", name) // a protocol error, logged at verbose
			c2.r.ReadString('\n')
		}
		c.do("CONFIG", "SET", "loglevel", "warning")
		mark("quiet")
		c.do("CONFIG", "SET", "loglevel", "verbose")
		mark("loud")
		c.do("CONFIG", "SET", "loglevel", "notice")
		if n := strings.Count(logs.String(), "- Protocol error ("); n != 1 {
			t.Errorf("%d protocol errors logged, want the one at verbose:\n%s", n, logs.String())
		}
	})
	t.Run("timeout", func(t *testing.T) {
		if testing.Short() {
			t.Skip("waits for an idle client to be closed")
		}
		ctl := cfgDial(t, s.Addr())
		ctl.do("CONFIG", "SET", "timeout", "1", "hz", "100")
		ctl.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := ctl.r.ReadByte(); err != io.EOF {
			t.Errorf("idle client not closed by timeout 1: %v", err)
		}
		cfgDial(t, s.Addr()).do("CONFIG", "SET", "timeout", "0", "hz", "10")
	})
}

func cfgGOMAXPROCS() int { return dirAtoi(directiveTable.byName["io-threads"].d.get(&Config{})) }

// TestConfigGetRESP3 checks that CONFIG GET replies with a map in RESP3, as
// Redis 7.0 does.
func TestConfigGetRESP3(t *testing.T) {
	s := cfgStartServer(t, Config{})
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := newConn(s, a)
	for _, tt := range []struct {
		proto int
		want  string
	}{
		{2, "*2\r\n$2\r\nhz\r\n$2\r\n10\r\n"},
		{3, "%1\r\n$2\r\nhz\r\n$2\r\n10\r\n"},
	} {
		c.proto, c.out = tt.proto, nil
		cmdConfigGet(c, [][]byte{[]byte("config"), []byte("get"), []byte("hz")})
		if string(c.out) != tt.want {
			t.Errorf("RESP%d: %q, want %q", tt.proto, c.out, tt.want)
		}
	}
}

func TestConfigResetstat(t *testing.T) {
	s := cfgStartServer(t, Config{})
	c := cfgDial(t, s.Addr())
	c.do("PING")
	c.do("NOSUCHCOMMAND")
	ping := commands.byName["ping"]
	if s.cmdStats[ping.id].calls.Load() == 0 || s.stats.connections.Load() == 0 || s.stats.errorReplies.Load() == 0 {
		t.Fatal("no statistics to reset")
	}
	if got := c.do("CONFIG", "RESETSTAT"); got != "+OK" {
		t.Fatal(got)
	}
	s.stats.errMu.Lock()
	codes := len(s.stats.errorCodes)
	s.stats.errMu.Unlock()
	if s.cmdStats[ping.id].calls.Load() != 0 || s.stats.connections.Load() != 0 || s.stats.errorReplies.Load() != 0 || codes != 0 {
		t.Error("statistics not reset")
	}
}

func TestShutdownOnSignal(t *testing.T) {
	var logs cfgLogBuffer
	s, err := New(Config{LogOutput: &logs})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ShutdownOnSignal(context.Background(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Done():
	default:
		t.Error("not stopped")
	}
	if err := s.ShutdownOnSignal(context.Background(), syscall.SIGINT); !errors.Is(err, ErrInterrupted) {
		t.Errorf("second SIGINT: %v, want ErrInterrupted", err)
	}
	for _, re := range []string{
		`(?m)^\d+:signal-handler \(\d+\) Received SIGTERM scheduling shutdown\.\.\.$`,
		`(?m)^\d+:M \d\d \w{3} \d{4} [\d:.]+ # User requested shutdown\.\.\.$`,
		`(?m)^\d+:M .* # Redoubt is now ready to exit, bye bye\.\.\.$`,
	} {
		if !regexp.MustCompile(re).MatchString(logs.String()) {
			t.Errorf("log lacks %s:\n%s", re, logs.String())
		}
	}
}
