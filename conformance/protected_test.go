package conformance

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/server"
)

// TestProtectedModeFromOtherLoopbackMatchesRedis connects to both servers
// from 127.0.0.2. Protected mode is on and no password is set, and Redis
// 7.0.15 counts only 127.0.0.1 and ::1 as local (it compares the address
// strings), so both must send the same DENIED error and close, and count the
// refusal in INFO's rejected_connections; a client from 127.0.0.1 is served.
func TestProtectedModeFromOtherLoopbackMatchesRedis(t *testing.T) {
	redoubt, redis := startBoth(t)
	var got [2]string
	for i, c := range []*client{redoubt, redis} {
		before, _ := strconv.Atoi(infoField(t, c, "stats", "rejected_connections"))
		d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
		nc, err := d.Dial("tcp", c.addr)
		if err != nil {
			t.Fatalf("dial from 127.0.0.2: %v", err)
		}
		other := &client{addr: c.addr, nc: nc}
		other.r = bufio.NewReader(nc)
		// Send a command: the refusal comes whatever the client says.
		nc.Write(encodeCommand(toBytes([]string{"PING"})))
		data, closed := other.readAtLeast(1)
		nc.Close()
		got[i] = strconv.Quote(string(data)) + " closed=" + strconv.FormatBool(closed)
		after, _ := strconv.Atoi(infoField(t, c, "stats", "rejected_connections"))
		if after != before+1 {
			t.Errorf("server %d: rejected_connections went from %d to %d", i, before, after)
		}
		if v := mustDo(t, c, "PING"); v.Str != "PONG" {
			t.Errorf("server %d: PING from 127.0.0.1 = %v", i, v)
		}
	}
	if got[0] != got[1] {
		t.Errorf("from 127.0.0.2:\nRedoubt %s\nRedis   %s", got[0], got[1])
	}
	if len(got[1]) < 20 || got[1][:8] != `"-DENIED` {
		t.Errorf("Redis did not deny 127.0.0.2: %s", got[1])
	}
}

// TestEnableLocalFromOtherLoopbackMatchesRedis starts both servers with
// enable-debug-command, enable-module-command and enable-protected-configs
// "local" (and protected mode off, so that 127.0.0.2 may connect): a client
// from 127.0.0.2 is not local for Redis 7.0.15, so DEBUG, MODULE UNLOAD and
// CONFIG SET of a protected parameter are refused to it, with the same
// replies from both, and allowed to a client from 127.0.0.1.
func TestEnableLocalFromOtherLoopbackMatchesRedis(t *testing.T) {
	bin := requireTool(t, "redis-server")
	args := []string{"--protected-mode", "no", "--enable-debug-command", "local",
		"--enable-module-command", "local", "--enable-protected-configs", "local"}
	cfg, err := redoubtConfig(args)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	rs, err := startRedis(bin, args)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rs.stop)

	cmds := [][]string{
		{"DEBUG", "nosuchsubcommand"},
		{"MODULE", "UNLOAD", "mymodule"},
		{"MODULE", "LIST"},
		{"CONFIG", "SET", "dbfilename", "dump.rdb"},
		{"CONFIG", "SET", "dir", "."},
	}
	var replies [2][2][]string // server, from 127.0.0.1 or .2, command
	for i, addr := range []string{srv.Addr(), rs.addr} {
		for j, from := range []net.IP{net.IPv4(127, 0, 0, 1), net.IPv4(127, 0, 0, 2)} {
			d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: from}}
			nc, err := d.Dial("tcp", addr)
			if err != nil {
				t.Fatalf("dial from %s: %v", from, err)
			}
			c := &client{addr: addr, nc: nc, r: bufio.NewReader(nc)}
			t.Cleanup(c.drop)
			for _, cmd := range cmds {
				replies[i][j] = append(replies[i][j], mustDo(t, c, cmd...).String())
			}
		}
	}
	for j, from := range []string{"127.0.0.1", "127.0.0.2"} {
		for k, cmd := range cmds {
			if got, want := replies[0][j][k], replies[1][j][k]; got != want {
				t.Errorf("%q from %s: Redoubt %s, Redis %s", cmd, from, got, want)
			}
		}
	}
	// Redis refuses the protected actions to 127.0.0.2 only.
	for k, cmd := range cmds {
		local, other := replies[1][0][k], replies[1][1][k]
		refused := strings.Contains(other, "not allowed") || strings.Contains(other, "can't set protected config")
		if cmd[1] == "LIST" {
			if other != local {
				t.Errorf("Redis: MODULE LIST from 127.0.0.2 %s, from 127.0.0.1 %s", other, local)
			}
		} else if !refused || strings.Contains(local, "not allowed") || strings.Contains(local, "protected") {
			t.Errorf("Redis: %q from 127.0.0.1 %s, from 127.0.0.2 %s", cmd, local, other)
		}
	}
}
