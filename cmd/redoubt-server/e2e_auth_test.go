package main

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// End-to-end authentication: redis-cli with -a, --pass and --user, and
// go-redis with a username and a password, against the built binary and a
// real redis-server started alike with a requirepass and an ACL user; what
// the tools print or return must be the same.

// Passwords of the authentication tests: long enough that no server warns
// they are weak.
const (
	e2eDefaultPass = "e2e-default-password-0123456789abcdef"
	e2eAppPass     = "e2e-app-password-0123456789abcdef0123"
)

// e2eAppUser is the ACL user of the authentication tests, created with
// ACL SETUSER on both servers.
var e2eAppUser = []string{"ACL", "SETUSER", "app", "reset", "on", ">" + e2eAppPass, "~app:*", "+@all", "-@dangerous"}

// startAuthPair starts Redoubt and Redis on free loopback ports with the
// same arguments added to serverArgs (a requirepass), creates e2eAppUser on
// both (logged in as the default user) and returns their ports.
func startAuthPair(t *testing.T, extra ...string) (ours, theirs int) {
	t.Helper()
	bin := requireTool(t, "redis-server", "REDIS_SERVER")
	ours = freePort(t)
	// The tests compare many failed logins with Redis's replies; Redis
	// has no login throttling, so Redoubt's is off here (throttle_test.go
	// tests it).
	p := start(t, "", append(append(serverArgs(ours), extra...), "--redoubt-auth-throttle", "no")...)
	p.waitReady()
	theirs = freePort(t)
	startListening(t, theirs, bin, append(serverArgs(theirs), extra...)...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, port := range []int{ours, theirs} {
		rdb := redis.NewClient(&redis.Options{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Password: e2eDefaultPass})
		args := make([]any, len(e2eAppUser))
		for i, a := range e2eAppUser {
			args[i] = a
		}
		err := rdb.Do(ctx, args...).Err()
		rdb.Close()
		if err != nil {
			t.Fatalf("ACL SETUSER app on port %d: %v", port, err)
		}
	}
	return ours, theirs
}

// TestRedisCLIAuth runs redis-cli with each way of giving credentials, right
// and wrong, against both servers, and compares what it printed and its
// exit status.
func TestRedisCLIAuth(t *testing.T) {
	t.Parallel()
	requireTool(t, "redis-cli", "REDIS_CLI")
	ours, theirs := startAuthPair(t, "--requirepass", e2eDefaultPass)
	for _, args := range [][]string{
		{"PING"},
		{"--no-raw", "PING"},
		{"-a", e2eDefaultPass, "PING"},
		{"-a", e2eDefaultPass, "--no-auth-warning", "ACL", "WHOAMI"},
		{"--pass", e2eDefaultPass, "ACL", "WHOAMI"},
		{"--user", "default", "--pass", e2eDefaultPass, "PING"},
		{"-a", "wrong-password", "PING"},
		{"--no-raw", "-a", "wrong-password", "PING"},
		{"--user", "app", "--pass", e2eAppPass, "ACL", "WHOAMI"},
		{"--user", "app", "-a", e2eAppPass, "SET", "app:1", "hello"},
		{"--user", "app", "--pass", e2eAppPass, "GET", "app:1"},
		{"--user", "app", "--pass", e2eAppPass, "GET", "other:1"},
		{"--no-raw", "--user", "app", "--pass", e2eAppPass, "GET", "other:1"},
		{"--user", "app", "--pass", e2eAppPass, "FLUSHALL"},
		{"--user", "app", "--pass", e2eAppPass, "CONFIG", "GET", "port"},
		{"--user", "app", "--pass", e2eDefaultPass, "PING"},
		{"--user", "nosuchuser", "--pass", e2eAppPass, "PING"},
		{"-3", "--user", "app", "--pass", e2eAppPass, "--no-raw", "GET", "app:1"},
		{"-a", e2eDefaultPass, "--no-auth-warning", "GET", "app:1"},
	} {
		want := cli(t, theirs, nil, args...)
		got := cli(t, ours, nil, args...)
		if got != want {
			t.Errorf("redis-cli %q printed\n%v\nwant (Redis)\n%v", args, got, want)
		}
	}
	// The URI form carries the user and the password, and its own port.
	for _, port := range []int{theirs, ours} {
		uri := fmt.Sprintf("redis://app:%s@127.0.0.1:%d", e2eAppPass, port)
		if got := cli(t, port, nil, "-u", uri, "--no-auth-warning", "ACL", "WHOAMI"); got.stdout != "app\n" || got.code != 0 {
			t.Errorf("redis-cli -u %s ACL WHOAMI: %v", uri, got)
		}
	}
}

// goRedisTranscript runs a session of go-redis clients against addr, with
// right and wrong credentials, in RESP2 and RESP3, and returns one line per
// step: the step and what go-redis returned.
func goRedisTranscript(t *testing.T, addr string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var lines []string
	note := func(step string, v any, err error) {
		lines = append(lines, fmt.Sprintf("%s: %v, %v", step, v, err))
	}
	for _, proto := range []int{3, 2} {
		client := func(user, pass string) *redis.Client {
			rdb := redis.NewClient(&redis.Options{Addr: addr, Username: user, Password: pass, Protocol: proto,
				MaxRetries: -1, PoolSize: 1})
			t.Cleanup(func() { rdb.Close() })
			return rdb
		}
		p := fmt.Sprintf("RESP%d ", proto)

		anon := client("", "")
		v, err := anon.Ping(ctx).Result()
		note(p+"no credentials PING", v, err)

		wrong := client("", "wrong-password")
		v, err = wrong.Ping(ctx).Result()
		note(p+"wrong default password PING", v, err)

		unknown := client("nosuchuser", e2eAppPass)
		v, err = unknown.Ping(ctx).Result()
		note(p+"unknown user PING", v, err)

		def := client("", e2eDefaultPass)
		v, err = def.Do(ctx, "ACL", "WHOAMI").Text()
		note(p+"default password ACL WHOAMI", v, err)

		named := client("default", e2eDefaultPass)
		v, err = named.Do(ctx, "ACL", "WHOAMI").Text()
		note(p+"default user by name ACL WHOAMI", v, err)

		app := client("app", e2eAppPass)
		v, err = app.Do(ctx, "ACL", "WHOAMI").Text()
		note(p+"app ACL WHOAMI", v, err)
		v, err = app.Set(ctx, "app:session", "abc", time.Minute).Result()
		note(p+"app SET app:session", v, err)
		v, err = app.Get(ctx, "app:session").Result()
		note(p+"app GET app:session", v, err)
		v, err = app.Get(ctx, "other:session").Result()
		note(p+"app GET other:session", v, err)
		mv, err := app.MGet(ctx, "app:session", "other:session").Result()
		note(p+"app MGET app:session other:session", mv, err)
		v, err = app.FlushAll(ctx).Result()
		note(p+"app FLUSHALL", v, err)
		keys, err := app.Keys(ctx, "*").Result()
		note(p+"app KEYS", keys, err)
		pipe := app.TxPipeline()
		pipe.Incr(ctx, "app:counter")
		pipe.Incr(ctx, "other:counter")
		cmds, err := pipe.Exec(ctx)
		var results []string
		for _, c := range cmds {
			results = append(results, fmt.Sprint(c.Err()))
		}
		note(p+"app MULTI INCR app:counter INCR other:counter EXEC", results, err)

		wrongApp := client("app", e2eDefaultPass)
		v, err = wrongApp.Ping(ctx).Result()
		note(p+"app with the default user's password PING", v, err)
	}
	return lines
}

// TestGoRedisUsernamePassword logs go-redis in with a password for the
// default user and with a username and password for an ACL user (HELLO 3
// AUTH, and AUTH in RESP2), right and wrong, on both servers: every result
// and error must be the same, and Redis's must show the ACL user confined to
// its keys and refused dangerous commands.
func TestGoRedisUsernamePassword(t *testing.T) {
	t.Parallel()
	ours, theirs := startAuthPair(t, "--requirepass", e2eDefaultPass)
	got := goRedisTranscript(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(ours)))
	want := goRedisTranscript(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(theirs)))
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("go-redis step %d:\nRedoubt %s\nRedis   %s", i, g, w)
		}
	}
	// The session checks what it means to check, on Redis.
	for _, line := range []string{
		"RESP3 app ACL WHOAMI: app, <nil>",
		"RESP3 app SET app:session: OK, <nil>",
		"RESP2 app GET app:session: abc, <nil>",
		"RESP3 app GET other:session: , NOPERM this user has no permissions to access one of the keys used as arguments",
		"RESP3 app FLUSHALL: , NOPERM this user has no permissions to run the 'flushall' command",
		"RESP2 default password ACL WHOAMI: default, <nil>",
	} {
		found := false
		for _, w := range want {
			found = found || w == line
		}
		if !found {
			t.Errorf("Redis's session lacks %q:\n%s", line, strings.Join(want, "\n"))
		}
	}
}
