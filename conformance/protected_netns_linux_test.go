package conformance

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redoubt-db/redoubt/server"
)

// onAddr is addr (host:port) with its host replaced by host.
func onAddr(t *testing.T, addr, host string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort(host, port)
}

// clientAddrHost is the host part of CLIENT INFO's addr= field: the address
// the server saw the connection come from.
func clientAddrHost(t *testing.T, c *client) string {
	t.Helper()
	v := mustDo(t, c, "CLIENT", "INFO")
	for _, f := range strings.Fields(v.Str) {
		if a, ok := strings.CutPrefix(f, "addr="); ok {
			host, _, err := net.SplitHostPort(a)
			if err != nil {
				t.Fatalf("CLIENT INFO addr=%q: %v", a, err)
			}
			return host
		}
	}
	t.Fatalf("CLIENT INFO has no addr=: %q", v.Str)
	return ""
}

// TestProtectedModeFromNetnsMatchesRedis reaches both servers from a client
// in another network namespace, through a veth pair, so from an address
// that is not loopback, as a client on another machine would.
//
// Bound to the veth's host address and 127.0.0.1 with protected mode on and
// no password, redis-server starts and answers the namespace's client with
// DENIED (counted in rejected_connections) while serving 127.0.0.1. Redoubt
// refuses that configuration instead: it would not start (server.New
// returns the error naming the remedies), so no client from the namespace
// ever meets a server that only says DENIED. Where Redoubt does serve a
// non-local client under protected mode (a loopback listener reached from
// 127.0.0.2), its DENIED bytes are the ones Redis sent to the namespace.
//
// With protected-mode no given explicitly both serve the namespace's client
// alike and see its address. CONFIG SET protected-mode yes then turns
// Redis's protection back on for new clients from the namespace (the
// connected one keeps working: the check is made at accept), while Redoubt
// refuses the change, since it would be listening exposed and unprotected.
func TestProtectedModeFromNetnsMatchesRedis(t *testing.T) {
	ns := newNetns(t)
	bin := requireTool(t, "redis-server")
	protectedArgs := []string{"--bind", ns.hostIP, "127.0.0.1", "--protected-mode", "yes"}

	// Redis: DENIED to the namespace, served on 127.0.0.1.
	rs, err := startRedis(bin, protectedArgs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rs.stop)
	redisLocal := newClient(t, rs.addr)
	before, _ := strconv.Atoi(infoField(t, redisLocal, "stats", "rejected_connections"))
	redisDenied := ns.firstContact(t, onAddr(t, rs.addr, ns.hostIP))
	if !strings.HasPrefix(redisDenied, `"-DENIED `) || !strings.HasSuffix(redisDenied, ` closed=true`) {
		t.Fatalf("Redis did not deny the namespace's client and close: %s", redisDenied)
	}
	after, _ := strconv.Atoi(infoField(t, redisLocal, "stats", "rejected_connections"))
	if after != before+1 {
		t.Errorf("Redis: rejected_connections went from %d to %d", before, after)
	}
	if v := mustDo(t, redisLocal, "PING"); v.Str != "PONG" {
		t.Errorf("Redis: PING from 127.0.0.1 = %v", v)
	}

	// Redoubt: the same configuration does not start.
	cfg, err := redoubtConfig(protectedArgs)
	if err != nil {
		t.Fatal(err)
	}
	if srv, err := server.New(cfg); err == nil {
		srv.Close()
		t.Errorf("Redoubt started bound to %s with protected mode on and no password", ns.hostIP)
	} else if want := "refusing to listen on " + ns.hostIP; !strings.Contains(err.Error(), want) ||
		!strings.Contains(err.Error(), "protected-mode no") {
		t.Errorf("Redoubt refused to start with %q, want it to contain %q and name the remedies", err, want)
	}

	// Redoubt's DENIED, where it serves a non-local client under protected
	// mode, is byte for byte what Redis sent to the namespace.
	srv := startRedoubt(t)
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	nc, err := d.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatalf("dial from 127.0.0.2: %v", err)
	}
	other := &client{addr: srv.Addr(), nc: nc, r: bufio.NewReader(nc)}
	t.Cleanup(other.drop)
	nc.Write(encodeCommand(toBytes([]string{"PING"})))
	data, closed := other.readAtLeast(1)
	if got := strconv.Quote(string(data)) + " closed=" + strconv.FormatBool(closed); got != redisDenied {
		t.Errorf("Redoubt's DENIED from 127.0.0.2 differs from Redis's to the namespace:\nRedoubt %s\nRedis   %s", got, redisDenied)
	}

	// Both with protected-mode no, explicitly.
	openArgs := []string{"--bind", ns.hostIP, "127.0.0.1", "--protected-mode", "no"}
	rs2, err := startRedis(bin, openArgs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rs2.stop)
	cfg, err = redoubtConfig(openArgs)
	if err != nil {
		t.Fatal(err)
	}
	srv2, err := server.New(cfg)
	if err != nil {
		t.Fatalf("Redoubt with protected-mode no bound to %s: %v", ns.hostIP, err)
	}
	t.Cleanup(func() { srv2.Close() })
	names := [2]string{"Redoubt", "Redis"}
	var served, afterYes [2]string
	var setYes [2]Value
	for i, addr := range []string{onAddr(t, srv2.Addr(), "127.0.0.1"), rs2.addr} {
		remote := onAddr(t, addr, ns.hostIP)
		served[i] = ns.firstContact(t, remote)
		inside := ns.client(t, remote)
		if host := clientAddrHost(t, inside); host != ns.nsIP {
			t.Errorf("%s saw the namespace's client come from %s, want %s", names[i], host, ns.nsIP)
		}
		local := newClient(t, addr)
		setYes[i] = mustDo(t, local, "CONFIG", "SET", "protected-mode", "yes")
		afterYes[i] = ns.firstContact(t, remote)
		// The client connected before keeps being served.
		if v := mustDo(t, inside, "PING"); v.Str != "PONG" {
			t.Errorf("%s: PING from the namespace's earlier client = %v", names[i], v)
		}
	}
	if served[0] != served[1] || served[1] != `"+PONG\r\n" closed=false` {
		t.Errorf("protected-mode no, PING from the namespace:\nRedoubt %s\nRedis   %s", served[0], served[1])
	}
	if setYes[1].Kind != '+' || setYes[1].Str != "OK" || afterYes[1] != redisDenied {
		t.Errorf("Redis: CONFIG SET protected-mode yes = %s, then the namespace got %s, want DENIED", setYes[1], afterYes[1])
	}
	if setYes[0].Kind != '-' || !strings.Contains(setYes[0].Str, "refusing to listen on "+ns.hostIP) || afterYes[0] != served[0] {
		t.Errorf("Redoubt: CONFIG SET protected-mode yes while bound to %s = %s, then the namespace got %s; want the refusal, and service as before",
			ns.hostIP, setYes[0], afterYes[0])
	}
}

// TestProtectedModeLiftedByPasswordFromNetns: with a password for the
// default user, protected mode lets the namespace's client in on both
// servers, which ask it to authenticate (the same NOAUTH bytes) and serve it
// once it has. On Redis, CONFIG SET requirepass "" then turns protection
// back on for new clients from the namespace (DENIED) and setting a
// password again lifts it at once; Redoubt refuses to drop the password
// while it listens beyond loopback with protected mode on, so the
// namespace's clients keep being asked to authenticate.
func TestProtectedModeLiftedByPasswordFromNetns(t *testing.T) {
	ns := newNetns(t)
	bin := requireTool(t, "redis-server")
	const password = "netns-password-0123456789abcdef0123"
	args := []string{"--bind", ns.hostIP, "127.0.0.1", "--protected-mode", "yes", "--requirepass", password}
	rs, err := startRedis(bin, args)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rs.stop)
	cfg, err := redoubtConfig(args)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatalf("Redoubt with a password, bound to %s: %v", ns.hostIP, err)
	}
	t.Cleanup(func() { srv.Close() })

	names := [2]string{"Redoubt", "Redis"}
	var first, dropped, afterDrop, restored, afterRestore [2]string
	for i, addr := range []string{onAddr(t, srv.Addr(), "127.0.0.1"), rs.addr} {
		remote := onAddr(t, addr, ns.hostIP)
		first[i] = ns.firstContact(t, remote)
		inside := ns.client(t, remote)
		for _, step := range [][]string{{"AUTH", password}, {"PING"}} {
			if v := mustDo(t, inside, step...); v.Kind != '+' {
				t.Errorf("%s: %s from the namespace = %v", names[i], step[0], v)
			}
		}
		if host := clientAddrHost(t, inside); host != ns.nsIP {
			t.Errorf("%s saw the namespace's client come from %s, want %s", names[i], host, ns.nsIP)
		}
		local := newClient(t, addr)
		if v := mustDo(t, local, "AUTH", password); v.Kind != '+' {
			t.Fatalf("%s: AUTH from 127.0.0.1 = %v", names[i], v)
		}
		v := mustDo(t, local, "CONFIG", "SET", "requirepass", "")
		dropped[i] = v.String()
		afterDrop[i] = ns.firstContact(t, remote)
		v = mustDo(t, local, "CONFIG", "SET", "requirepass", password)
		restored[i] = v.String()
		afterRestore[i] = ns.firstContact(t, remote)
	}
	const noauth = `"-NOAUTH Authentication required.\r\n" closed=false`
	if first[0] != first[1] || first[1] != noauth {
		t.Errorf("PING from the namespace with a password set:\nRedoubt %s\nRedis   %s", first[0], first[1])
	}
	if !strings.HasPrefix(afterDrop[1], `"-DENIED `) || afterRestore[1] != noauth {
		t.Errorf("Redis: after CONFIG SET requirepass \"\" (%s) the namespace got %s, after setting it again (%s) %s",
			dropped[1], afterDrop[1], restored[1], afterRestore[1])
	}
	if !strings.Contains(dropped[0], "refusing to listen on "+ns.hostIP) || afterDrop[0] != noauth || afterRestore[0] != noauth {
		t.Errorf("Redoubt: CONFIG SET requirepass \"\" = %s, then the namespace got %s; CONFIG SET requirepass again = %s, then %s",
			dropped[0], afterDrop[0], restored[0], afterRestore[0])
	}
}

// TestExposedRefusalMatchesRedisDenialFromNetns: for each way of giving the
// default user (and others) a password or not, both servers are bound to
// the veth's host address with protected mode on. Redoubt refuses to start
// exactly where redis-server starts but answers the namespace's client
// DENIED (protected mode looks only at the default user: a password for
// another user does not lift it), whether the users come from user lines or
// an ACL file, and where both start, the client gets the same bytes from
// each.
func TestExposedRefusalMatchesRedisDenialFromNetns(t *testing.T) {
	ns := newNetns(t)
	bin := requireTool(t, "redis-server")
	const pw = "netns-password-0123456789abcdef0123"
	dir := t.TempDir()
	aclFile := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	withPassword := aclFile("password.acl", "user default on >"+pw+" ~* &* +@all\n")
	without := aclFile("nopass.acl", "user default on nopass ~* &* +@all\nuser app on >"+pw+" ~* +@all\n")
	for _, extra := range [][]string{
		{"--aclfile", withPassword},
		{"--aclfile", without},
		nil,
		{"--requirepass", pw},
		{"--user", "app", "on", ">" + pw, "~*", "+@all"},
		{"--user", "default", "on", "resetpass"},
		{"--user", "default", "off"},
		{"--user", "default", "off", ">" + pw},
		{"--user", "default", "on", "nopass", "~*", "+@all", "--user", "app", "on", ">" + pw, "~*", "+@all"},
		{"--user", "default", "on", ">" + pw, "--user", "app", "on", "nopass", "~*", "+@all"},
	} {
		args := append([]string{"--bind", ns.hostIP, "127.0.0.1", "--protected-mode", "yes"}, extra...)
		rs, err := startRedis(bin, args)
		if err != nil {
			t.Fatal(err)
		}
		redis := ns.firstContact(t, onAddr(t, rs.addr, ns.hostIP))
		rs.stop()
		denied := strings.HasPrefix(redis, `"-DENIED `)

		cfg, err := redoubtConfig(args)
		if err != nil {
			t.Fatalf("%q: %v", extra, err)
		}
		srv, err := server.New(cfg)
		refused := err != nil
		if refused && !strings.Contains(err.Error(), "refusing to listen on "+ns.hostIP) {
			t.Errorf("%q: Redoubt failed to start for another reason: %v", extra, err)
			continue
		}
		if refused != denied {
			t.Errorf("%q: Redis answered the namespace %s; Redoubt refused to start: %v (%v)", extra, redis, refused, err)
		}
		if !refused {
			if got := ns.firstContact(t, onAddr(t, srv.Addr(), ns.hostIP)); got != redis {
				t.Errorf("%q: PING from the namespace:\nRedoubt %s\nRedis   %s", extra, got, redis)
			}
			srv.Close()
		}
	}
}

// TestGoRedisACLUserFromNetns: an application in the namespace logs in with
// go-redis as an ACL user (HELLO 3 AUTH) to both servers, bound to the veth's
// host address with a password for the default user, and gets the same
// results and errors from each; both see it come from the namespace's
// address, as that user.
func TestGoRedisACLUserFromNetns(t *testing.T) {
	ns := newNetns(t)
	bin := requireTool(t, "redis-server")
	const pw, appPW = "netns-password-0123456789abcdef0123", "netns-app-password-0123456789abcdef"
	args := []string{"--bind", ns.hostIP, "127.0.0.1", "--protected-mode", "yes", "--requirepass", pw,
		"--user", "app", "on", ">" + appPW, "~app:*", "+@all", "-@dangerous"}
	rs, err := startRedis(bin, args)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rs.stop)
	cfg, err := redoubtConfig(args)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var transcripts [2][]string
	for i, addr := range []string{onAddr(t, srv.Addr(), ns.hostIP), onAddr(t, rs.addr, ns.hostIP)} {
		rdb := redis.NewClient(&redis.Options{Addr: addr, Username: "app", Password: appPW, PoolSize: 1, MaxRetries: -1,
			Dialer: func(ctx context.Context, network, addr string) (net.Conn, error) { return ns.dial(addr) }})
		note := func(step string, v any, err error) {
			transcripts[i] = append(transcripts[i], fmt.Sprintf("%s: %v, %v", step, v, err))
		}
		v, err := rdb.Set(ctx, "app:greeting", "hello", 0).Result()
		note("SET app:greeting", v, err)
		v, err = rdb.Get(ctx, "app:greeting").Result()
		note("GET app:greeting", v, err)
		v, err = rdb.Get(ctx, "other:greeting").Result()
		note("GET other:greeting", v, err)
		v, err = rdb.FlushDB(ctx).Result()
		note("FLUSHDB", v, err)
		v, err = rdb.Do(ctx, "ACL", "WHOAMI").Text()
		note("ACL WHOAMI", v, err)
		info, err := rdb.ClientInfo(ctx).Result()
		if err != nil {
			t.Fatalf("CLIENT INFO from the namespace: %v", err)
		}
		if host, _, _ := net.SplitHostPort(info.Addr); host != ns.nsIP || info.User != "app" {
			t.Errorf("server %d saw addr=%s user=%s, want %s and app", i, info.Addr, info.User, ns.nsIP)
		}
		rdb.Close()
	}
	if got, want := strings.Join(transcripts[0], "\n"), strings.Join(transcripts[1], "\n"); got != want {
		t.Errorf("go-redis as app from the namespace:\nRedoubt:\n%s\nRedis:\n%s", got, want)
	}
	if !strings.Contains(transcripts[1][2], "NOPERM") || !strings.Contains(transcripts[1][3], "NOPERM") {
		t.Errorf("Redis let app past its rules:\n%s", strings.Join(transcripts[1], "\n"))
	}
}
