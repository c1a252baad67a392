package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestConfigSetRefused covers what Redoubt refuses on purpose, where Redis
// would say OK: values of capabilities it lacks, values beyond its tighter
// caps.
func TestConfigSetRefused(t *testing.T) {
	s := tcStart(t, Config{})
	c := tcDial(t, s)
	port := strconv.Itoa(s.Port())
	tests := []struct{ cmd, want string }{
		{"CONFIG SET maxmemory 100mb", "-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - not supported yet by Redoubt (a memory limit and eviction): only 'maxmemory 0' is accepted"},
		{"CONFIG SET save 900", "-ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"},
		{"CONFIG SET SLAVE-PRIORITY 5", "-ERR CONFIG SET failed (possibly related to argument 'slave-priority') - not supported yet by Redoubt (replication): only 'replica-priority 100' is accepted"},
		{"CONFIG SET stream-node-max-entries 10", "-ERR CONFIG SET failed (possibly related to argument 'stream-node-max-entries') - not supported yet by Redoubt (tuning of compact encodings): only Redis's default 'stream-node-max-entries 100' is accepted"},
		{"CONFIG SET hash-max-ziplist-entries 10 list-max-listpack-size -3", "+OK"},
		{"CONFIG GET hash-max-listpack-entries list-max-ziplist-size", "[hash-max-listpack-entries 10 list-max-ziplist-size -3]"},
		{"CONFIG SET port " + port, "+OK"},
		{"CONFIG SET bind 127.0.0.1_-::1", "+OK"},
		{"CONFIG SET proto-max-bulk-len 8gb", "-ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be between 1048576 and 4294967295 inclusive"},
		{"CONFIG SET client-query-buffer-limit 2048gb", "-ERR CONFIG SET failed (possibly related to argument 'client-query-buffer-limit') - argument must be between 1048576 and 1099511627776 inclusive"},
		{"CONFIG SET timeout 5 maxmemory 1gb", "-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - not supported yet by Redoubt (a memory limit and eviction): only 'maxmemory 0' is accepted"},
		{"CONFIG GET timeout", "[timeout 0]"}, // all or nothing
		{"CONFIG GET port", "[port " + port + "]"},
		{"CONFIG GET bind", "[bind 127.0.0.1 -::1]"},
		{"CONFIG GET slave-lazy-flush", "[slave-lazy-flush no]"},
		{"CONFIG GET stream-node-max-entries activerehashing", "[]"},
		{"CONFIG GET tcp-keepalive io-threads", "[tcp-keepalive 0 io-threads " + strconv.Itoa(cfgGOMAXPROCS()) + "]"},
		{"CONFIG REWRITE", "-ERR The server is running without a config file"},
	}
	for _, tt := range tests {
		args := strings.Fields(tt.cmd)
		for i := range args {
			args[i] = strings.ReplaceAll(args[i], "_", " ")
		}
		if got := c.do(args...).flat(); got != tt.want {
			t.Errorf("%s = %q\nwant %q", tt.cmd, got, tt.want)
		}
	}
}

func TestConfigRewriteWithFile(t *testing.T) {
	s := tcStart(t, Config{ConfigFile: "/nonexistent/redis.conf"})
	c := tcDial(t, s)
	// As Redis: a missing file reads as empty, and the temporary file
	// cannot be created in a missing directory.
	if got := c.do("CONFIG", "REWRITE").flat(); got != "-ERR Rewriting config file: No such file or directory" {
		t.Errorf("CONFIG REWRITE = %q", got)
	}
	// A directory cannot be read as a file: Redis's fread fails alike.
	s = tcStart(t, Config{ConfigFile: t.TempDir()})
	c = tcDial(t, s)
	if got := c.do("CONFIG", "REWRITE").flat(); got != "-ERR Rewriting config file: Is a directory" {
		t.Errorf("CONFIG REWRITE of a directory = %q", got)
	}
}

// TestConfigSetEffects checks that run-time changes take effect.
func TestConfigSetEffects(t *testing.T) {
	var logs logBuffer
	s := tcStart(t, Config{LogOutput: &logs})
	c := tcDial(t, s)

	t.Run("encodings", func(t *testing.T) {
		if got := c.do("CONFIG", "SET", "zset-max-ziplist-value", "9", "set-max-intset-entries", "3").flat(); got != "+OK" {
			t.Fatal(got)
		}
		l := s.store.Limits()
		if l.ZSetMaxListpackValue != 9 || l.SetMaxIntsetEntries != 3 || l.HashMaxListpackEntries != 512 {
			t.Errorf("store limits after CONFIG SET = %+v", *l)
		}
	})
	t.Run("maxclients", func(t *testing.T) {
		if got := c.do("CONFIG", "SET", "maxclients", "1").flat(); got != "+OK" {
			t.Fatal(got)
		}
		c2 := tcDial(t, s)
		if got := c2.read().flat(); got != "-"+msgMaxClients {
			t.Errorf("second client got %q", got)
		}
		c.do("CONFIG", "SET", "maxclients", "10000")
	})
	t.Run("proto-max-bulk-len", func(t *testing.T) {
		c.do("CONFIG", "SET", "proto-max-bulk-len", "1mb")
		c2 := tcDial(t, s)
		fmt.Fprintf(c2.nc, "*2\r\n$4\r\nECHO\r\n$%d\r\n", 2<<20)
		if got := c2.read().flat(); got != "-ERR Protocol error: invalid bulk length" {
			t.Errorf("2 MB bulk under a 1 MB limit: %q", got)
		}
		c.do("CONFIG", "SET", "proto-max-bulk-len", "512mb")
	})
	t.Run("loglevel", func(t *testing.T) {
		mark := func(name string) {
			c2 := tcDial(t, s)
			fmt.Fprintf(c2.nc, "*1\r\n$-5\r\n%s\r\n", name) // a protocol error, logged at verbose
			c2.read()                                       // the error reply: the server has logged it
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
		ctl := tcDial(t, s)
		ctl.do("CONFIG", "SET", "timeout", "1", "hz", "100")
		ctl.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := ctl.r.ReadByte(); err != io.EOF {
			t.Errorf("idle client not closed by timeout 1: %v", err)
		}
		tcDial(t, s).do("CONFIG", "SET", "timeout", "0", "hz", "10")
	})
}

func cfgGOMAXPROCS() int { return dirAtoi(directiveTable.byName["io-threads"].d.get(&Config{})) }

// TestConfigGetRESP3 checks that CONFIG GET replies with a map in RESP3, as
// Redis 7.0 does.
func TestConfigGetRESP3(t *testing.T) {
	s := tcStart(t, Config{})
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
	s := tcStart(t, Config{})
	c := tcDial(t, s)
	c.do("PING")
	c.do("NOSUCHCOMMAND")
	ping := commands.byName["ping"]
	if s.cmdStats[ping.id].calls.Load() == 0 || s.stats.connections.Load() == 0 || s.stats.errorReplies.Load() == 0 {
		t.Fatal("no statistics to reset")
	}
	if got := c.do("CONFIG", "RESETSTAT").flat(); got != "+OK" {
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
	var logs logBuffer
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

// TestConfigSetListeners moves the listeners at run time, as Redis does:
// CONFIG SET port and bind bind the new addresses first and keep the old
// ones when that fails; connections already accepted stay.
func TestConfigSetListeners(t *testing.T) {
	var log logBuffer
	s := tcStart(t, Config{Bind: []string{"127.0.0.1"}, LogOutput: &log})
	c := tcDial(t, s)
	oldAddr := s.Addr()
	reachable := func(addr string) bool {
		nc, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		nc.Write([]byte("PING\r\n"))
		line, err := bufio.NewReader(nc).ReadString('\n')
		return err == nil && line == "+PONG\r\n"
	}
	freePort := func() string {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	}

	port := freePort()
	if got := c.do("CONFIG", "SET", "port", port).flat(); got != "+OK" {
		t.Fatalf("CONFIG SET port %s = %q", port, got)
	}
	newAddr := "127.0.0.1:" + port
	if !reachable(newAddr) || reachable(oldAddr) {
		t.Errorf("after CONFIG SET port: new address reachable %v, old %v", reachable(newAddr), reachable(oldAddr))
	}
	if got := c.do("CONFIG", "GET", "port").flat(); got != "[port "+port+"]" {
		t.Errorf("CONFIG GET port = %q", got)
	}
	if got := tcInfo(c.str("INFO", "server"))["tcp_port"]; got != port || strconv.Itoa(s.Port()) != port || s.Addr() != newAddr {
		t.Errorf("INFO tcp_port %s, Port() %d, Addr() %s; want port %s", got, s.Port(), s.Addr(), port)
	}

	// A port in use: the listener stays where it was.
	busy, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)
	want := "-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs."
	if got := c.do("CONFIG", "SET", "port", busyPort).flat(); got != want {
		t.Errorf("CONFIG SET port <in use> = %q", got)
	}
	if !reachable(newAddr) {
		t.Error("the listener was lost by a failed CONFIG SET port")
	}
	if got := c.do("CONFIG", "GET", "port").flat(); got != "[port "+port+"]" {
		t.Errorf("after a failed CONFIG SET, CONFIG GET port = %q", got)
	}
	if !strings.Contains(log.String(), "Failed applying new configuration. Possibly related to new port setting. Restoring previous settings.") {
		t.Errorf("log:\n%s", log.String())
	}

	// Port 0 stops listening on TCP; the connection goes on.
	if got := c.do("CONFIG", "SET", "port", "0").flat(); got != "+OK" {
		t.Fatalf("CONFIG SET port 0 = %q", got)
	}
	if reachable(newAddr) || s.Addr() != "" || s.Port() != 0 {
		t.Errorf("after CONFIG SET port 0: reachable %v, Addr %q, Port %d", reachable(newAddr), s.Addr(), s.Port())
	}
	if got := c.do("CONFIG", "GET", "port").flat(); got != "[port 0]" {
		t.Errorf("CONFIG GET port = %q", got)
	}

	// bind and port together.
	port = freePort()
	if got := c.do("CONFIG", "SET", "bind", "127.0.0.1 -::1", "port", port).flat(); got != "+OK" {
		t.Fatalf("CONFIG SET bind, port = %q", got)
	}
	if !reachable("127.0.0.1:" + port) {
		t.Error("not listening after CONFIG SET bind and port")
	}
	if got := c.do("CONFIG", "GET", "bind").flat(); got != "[bind 127.0.0.1 -::1]" {
		t.Errorf("CONFIG GET bind = %q", got)
	}
	if got := c.str("PING"); got != "PONG" {
		t.Errorf("the first connection: PING = %q", got)
	}
}
