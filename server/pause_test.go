package server

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/store"
)

// Tests of CLIENT PAUSE and UNPAUSE that need a clock or a view inside the
// server; conformance/testdata/client_pause.txt replays the replies against
// redis-server.

// pauseStart is the manual clock's time in these tests, in Unix ms.
const pauseStart = 1_700_000_000_000

// pauseServer starts a server on a manual clock.
func pauseServer(t *testing.T) (*Server, *store.ManualClock) {
	t.Helper()
	clk := store.NewManualClock(time.UnixMilli(pauseStart))
	return tcStart(t, Config{Clock: clk}), clk
}

// holdSend sends a command on w and waits until the pause holds n clients,
// without asking the server (under PAUSE ALL, INFO would be held too).
func holdSend(t *testing.T, srv *Server, w *tcConn, n int, args ...string) {
	t.Helper()
	w.send(args...)
	var got int
	if !waitUntil(5*time.Second, func() bool {
		srv.pause.mu.Lock()
		got = len(srv.pause.held)
		srv.pause.mu.Unlock()
		return got == n
	}) {
		t.Fatalf("%q: %d clients held, want %d", args, got, n)
	}
}

// TestClientPauseWrite holds a write until the clock passes the pause's
// end, and lets reads through meanwhile; the held client shows in CLIENT
// LIST and INFO as Redis shows a postponed client.
func TestClientPauseWrite(t *testing.T) {
	srv, clk := pauseServer(t)
	admin, w, r := tcDial(t, srv), tcDial(t, srv), tcDial(t, srv)
	id := w.integer("CLIENT", "ID")
	if got := admin.str("CLIENT", "PAUSE", "1000", "WRITE"); got != "OK" {
		t.Fatalf("CLIENT PAUSE 1000 WRITE = %q", got)
	}
	blockSend(t, admin, w, 1, "SET", "k", "v")
	if f := clientLine(t, admin, fmt.Sprintf("id=%d ", id)); f["flags"] != "b" || f["cmd"] != "set" {
		t.Errorf("held client's CLIENT LIST flags=%s cmd=%s, want flags=b cmd=set", f["flags"], f["cmd"])
	}
	if v := r.do("GET", "k"); !v.Null {
		t.Errorf("GET k while the SET is held = %v, want nil", v)
	}
	if got := r.str("PING"); got != "PONG" {
		t.Errorf("PING while paused = %q", got)
	}
	// The end is by the server's clock: short of it, the cron keeps the
	// pause; just past it, the cron ends it.
	clk.Advance(1000 * time.Millisecond)
	time.Sleep(300 * time.Millisecond) // three cron ticks
	silent(t, w, "SET at the pause's end")
	clk.Advance(time.Millisecond)
	if v := w.read(); v.flat() != "+OK" {
		t.Fatalf("released SET = %v, want OK", v)
	}
	blockedCount(t, admin, 0)
	if got := r.str("GET", "k"); got != "v" {
		t.Errorf("GET k after the pause = %q, want v", got)
	}
	if srv.paused() {
		t.Error("the pause is still in force after its end")
	}
}

// TestClientPauseAll holds every command, CLIENT UNPAUSE included, and
// answers a wrong arity at once.
func TestClientPauseAll(t *testing.T) {
	srv, clk := pauseServer(t)
	admin, a, b, c := tcDial(t, srv), tcDial(t, srv), tcDial(t, srv), tcDial(t, srv)
	admin.str("CLIENT", "PAUSE", "500")
	holdSend(t, srv, a, 1, "PING")
	holdSend(t, srv, b, 2, "CLIENT", "UNPAUSE")
	if v := c.do("GET"); v.Kind != '-' || !strings.Contains(v.Str, "wrong number of arguments") {
		t.Errorf("GET with no key under PAUSE ALL = %v, want the arity error at once", v)
	}
	holdSend(t, srv, c, 3, "INFO", "clients") // INFO too
	silent(t, a, "PING under PAUSE ALL")
	clk.Advance(501 * time.Millisecond)
	if v := a.read(); v.flat() != "+PONG" {
		t.Errorf("released PING = %v", v)
	}
	if v := b.read(); v.flat() != "+OK" {
		t.Errorf("released CLIENT UNPAUSE = %v", v)
	}
	if v := c.read(); v.Kind != '$' || !strings.Contains(v.Str, "blocked_clients:") {
		t.Errorf("released INFO clients = %v", v)
	}
	blockedCount(t, admin, 0)
}

// TestClientPauseNeverShortens checks that a later CLIENT PAUSE keeps the
// later end and the stricter type, and that timeouts of 0 and of
// overflowing size pause nothing, as in Redis.
func TestClientPauseNeverShortens(t *testing.T) {
	srv, _ := pauseServer(t)
	c := tcDial(t, srv)
	state := func() (pauseType, int64) {
		return pauseType(srv.pause.typ.Load()), srv.pause.end.Load()
	}
	steps := []struct {
		args    []string
		typ     pauseType
		end     int64
		comment string
	}{
		{[]string{"0"}, pauseOff, 0, "0 pauses nothing"},
		{[]string{"9223372036854775807"}, pauseOff, 0, "an end past LONG_MAX wraps into the past"},
		{[]string{strconv.FormatInt(math.MaxInt64-pauseStart+1, 10), "WRITE"}, pauseOff, 0, "one past the last end that fits"},
		{[]string{strconv.FormatInt(math.MaxInt64-pauseStart-1, 10), "WRITE"}, pauseWrite, math.MaxInt64 - 1, "almost for ever"},
		{[]string{"CLIENT", "UNPAUSE"}, pauseOff, 0, "UNPAUSE ends it"},
		{[]string{"5000", "WRITE"}, pauseWrite, pauseStart + 5000, "a pause"},
		{[]string{"10", "WRITE"}, pauseWrite, pauseStart + 5000, "a shorter one keeps the end"},
		{[]string{"0", "WRITE"}, pauseWrite, pauseStart + 5000, "0 keeps it too"},
		{[]string{"9000", "write"}, pauseWrite, pauseStart + 9000, "a longer one extends it"},
		{[]string{"0", "ALL"}, pauseAll, pauseStart + 9000, "a stricter type for the same end"},
	}
	for _, st := range steps {
		args := st.args
		if args[0] != "CLIENT" {
			args = append([]string{"CLIENT", "PAUSE"}, args...)
		}
		if st.typ == pauseAll {
			// Under ALL even the reply to UNPAUSE waits: check, then end
			// the pause from inside.
			c.send(args...)
			if !waitUntil(5*time.Second, func() bool { typ, _ := state(); return typ == pauseAll }) {
				t.Fatalf("%q (%s): the pause did not become ALL", args, st.comment)
			}
		} else if got := c.str(args...); got != "OK" {
			t.Fatalf("%q = %q", args, got)
		}
		if typ, end := state(); typ != st.typ || end != st.end {
			t.Errorf("after %q (%s): type %d, end %d; want %d, %d", args, st.comment, typ, end, st.typ, st.end)
		}
	}
	srv.unpauseClients()
	if v := c.read(); v.flat() != "+OK" {
		t.Errorf("reply to CLIENT PAUSE 0 ALL = %v", v)
	}
}

// TestClientPauseBadInput checks every error of CLIENT PAUSE, extreme
// values included, and that none of them pauses anything.
func TestClientPauseBadInput(t *testing.T) {
	srv, _ := pauseServer(t)
	c := tcDial(t, srv)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-1"}, msgTimeoutNegative},
		{[]string{"-9223372036854775808", "WRITE"}, msgTimeoutNegative},
		{[]string{"9223372036854775808"}, msgTimeoutNotInt},
		{[]string{"-9223372036854775809"}, msgTimeoutNotInt},
		{[]string{"99999999999999999999999999"}, msgTimeoutNotInt},
		{[]string{"1.5"}, msgTimeoutNotInt},
		{[]string{""}, msgTimeoutNotInt},
		{[]string{"10", "READ"}, msgPauseMode},
		{[]string{"x", "y"}, msgPauseMode},
		{[]string{"10", "WRITE", "ALL"}, "ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP."},
		{[]string{"10", strings.Repeat("w", 1<<20)}, msgPauseMode},
	}
	for _, tt := range tests {
		args := append([]string{"CLIENT", "PAUSE"}, tt.args...)
		if v := c.do(args...); v.Kind != '-' || v.Str != tt.want {
			t.Errorf("CLIENT PAUSE %.40q = %v, want -%s", tt.args, v, tt.want)
		}
		if srv.paused() {
			t.Fatalf("CLIENT PAUSE %.40q paused clients", tt.args)
		}
	}
}

// TestClientPauseReleaseOrder holds many writers, one after another, and
// checks that on release their writes are applied in the order they were
// held, as Redis runs its postponed clients in order.
func TestClientPauseReleaseOrder(t *testing.T) {
	srv, _ := pauseServer(t)
	admin := tcDial(t, srv)
	const n = 30
	for round := range 3 {
		admin.integer("DEL", "l")
		admin.str("CLIENT", "PAUSE", "100000", "WRITE")
		ws := make([]*tcConn, n)
		for i := range ws {
			ws[i] = tcDial(t, srv)
			blockSend(t, admin, ws[i], i+1, "RPUSH", "l", strconv.Itoa(i))
		}
		admin.str("CLIENT", "UNPAUSE")
		for i, w := range ws {
			if v := w.read(); v.Kind != ':' || v.Str != strconv.Itoa(i+1) {
				t.Fatalf("round %d: RPUSH of writer %d = %v, want :%d (the writers before it first)", round, i, v, i+1)
			}
		}
		v := admin.do("LRANGE", "l", "0", "-1")
		for i, e := range v.Elems {
			if e.Str != strconv.Itoa(i) {
				t.Fatalf("round %d: LRANGE l = %s, want 0..%d in order", round, v.flat(), n-1)
			}
		}
		blockedCount(t, admin, 0)
	}
	if len(srv.pause.held) != 0 {
		t.Errorf("%d clients left in the held list", len(srv.pause.held))
	}
}

// TestClientPauseReleasedAgain checks that released clients process their
// commands again in order, so that a pause started by one of them holds
// those after it again.
func TestClientPauseReleasedAgain(t *testing.T) {
	srv, clk := pauseServer(t)
	admin, a, b, c := tcDial(t, srv), tcDial(t, srv), tcDial(t, srv), tcDial(t, srv)
	admin.str("CLIENT", "PAUSE", "500", "ALL")
	holdSend(t, srv, a, 1, "CLIENT", "PAUSE", "100000", "WRITE")
	holdSend(t, srv, b, 2, "SET", "x", "1")
	holdSend(t, srv, c, 3, "GET", "x")
	clk.Advance(501 * time.Millisecond) // the cron ends the pause
	if v := a.read(); v.flat() != "+OK" {
		t.Fatalf("released CLIENT PAUSE = %v", v)
	}
	if v := c.read(); !v.Null {
		t.Errorf("released GET x = %v, want nil: the SET held before it is held again by the new pause", v)
	}
	silent(t, b, "SET under the new pause")
	blockedCount(t, admin, 1)
	admin.str("CLIENT", "UNPAUSE")
	if v := b.read(); v.flat() != "+OK" {
		t.Fatalf("SET after UNPAUSE = %v", v)
	}
	if got := admin.str("GET", "x"); got != "1" {
		t.Errorf("GET x = %q, want 1", got)
	}
}

// TestClientPauseKillShutdown checks that CLIENT KILL and a shutdown end a
// hold at once, that the held command never runs, and that CLIENT UNBLOCK
// does not release a held client (Redis 7.0 crashes there).
func TestClientPauseKillShutdown(t *testing.T) {
	srv, _ := pauseServer(t)
	admin, w, w2 := tcDial(t, srv), tcDial(t, srv), tcDial(t, srv)
	id := strconv.FormatInt(w.integer("CLIENT", "ID"), 10)
	admin.str("CLIENT", "PAUSE", "100000", "WRITE")
	blockSend(t, admin, w, 1, "SET", "killed", "1")
	if n := admin.integer("CLIENT", "UNBLOCK", id); n != 0 {
		t.Errorf("CLIENT UNBLOCK of a held client = %d, want 0", n)
	}
	if n := admin.integer("CLIENT", "UNBLOCK", id, "ERROR"); n != 0 {
		t.Errorf("CLIENT UNBLOCK … ERROR of a held client = %d, want 0", n)
	}
	silent(t, w, "held client after CLIENT UNBLOCK")
	if n := admin.integer("CLIENT", "KILL", "ID", id); n != 1 {
		t.Fatalf("CLIENT KILL ID %s = %d", id, n)
	}
	if !w.closed(2 * time.Second) {
		t.Fatal("the killed held client's connection stays open")
	}
	blockedCount(t, admin, 0)
	admin.str("CLIENT", "UNPAUSE")
	if n := admin.integer("EXISTS", "killed"); n != 0 {
		t.Error("the killed client's held SET ran")
	}

	// Shutdown does not wait for the pause.
	admin.str("CLIENT", "PAUSE", "100000", "ALL")
	holdSend(t, srv, w2, 1, "SET", "stopped", "1")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with a held client: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Shutdown with a held client took %v", d)
	}
	tx := srv.store.Begin(store.TxOptions{})
	_, ran, _ := srv.store.DB(0).PeekString([]byte("stopped"))
	tx.End()
	if ran {
		t.Error("a held SET ran during shutdown")
	}
}

// TestClientPauseExpiry checks that keys do not expire while clients are
// paused, lazily or actively, and do once the pause ends.
func TestClientPauseExpiry(t *testing.T) {
	srv, clk := pauseServer(t)
	c := tcDial(t, srv)
	c.str("SET", "e", "v", "PX", "100")
	c.str("CLIENT", "PAUSE", "100000", "WRITE")
	clk.Advance(200 * time.Millisecond)
	time.Sleep(300 * time.Millisecond) // the active cycle has its chances
	if v := c.do("GET", "e"); !v.Null {
		t.Errorf("GET of an expired key while paused = %v, want nil", v)
	}
	if n := c.integer("DBSIZE"); n != 1 {
		t.Errorf("DBSIZE while paused = %d, want 1: the key stays", n)
	}
	// RANDOMKEY ends although every key has expired (Redis 7.0 loops).
	if got := c.str("RANDOMKEY"); got != "e" {
		t.Errorf("RANDOMKEY while paused = %q, want e", got)
	}
	if got := tcInfo(c.str("INFO", "stats"))["expired_keys"]; got != "0" {
		t.Errorf("expired_keys while paused = %s, want 0", got)
	}
	c.str("CLIENT", "UNPAUSE")
	if v := c.do("GET", "e"); !v.Null {
		t.Errorf("GET e after the pause = %v, want nil", v)
	}
	if n := c.integer("DBSIZE"); n != 0 {
		t.Errorf("DBSIZE after the pause and a lookup = %d, want 0", n)
	}
	if got := tcInfo(c.str("INFO", "stats"))["expired_keys"]; got != "1" {
		t.Errorf("expired_keys after the pause = %s, want 1", got)
	}
}

// TestClientPauseHeldCostsNothing holds many clients and checks that while
// they wait the process uses almost no CPU: held clients are parked, not
// polling.
func TestClientPauseHeldCostsNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("opens hundreds of connections")
	}
	srv, _ := pauseServer(t)
	admin := tcDial(t, srv)
	admin.str("CLIENT", "PAUSE", "100000", "WRITE")
	const n = 500
	ws := make([]*tcConn, n)
	for i := range ws {
		ws[i] = tcDial(t, srv)
		ws[i].send("INCR", "counter")
	}
	blockedCount(t, admin, n)
	time.Sleep(100 * time.Millisecond)
	before := cpuTime(t)
	time.Sleep(time.Second)
	used := cpuTime(t) - before
	if used > 100*time.Millisecond {
		t.Errorf("%d held clients used %v of CPU in a second, want almost none", n, used)
	}
	t.Logf("%d held clients: %v of CPU in one second", n, used)
	admin.str("CLIENT", "UNPAUSE")
	for _, w := range ws {
		w.read()
	}
	if got := admin.str("GET", "counter"); got != strconv.Itoa(n) {
		t.Errorf("counter = %s, want %d: every held INCR ran once", got, n)
	}
}

// TestClientPauseHolds checks which commands each pause type holds,
// EXEC by what its transaction queued.
func TestClientPauseHolds(t *testing.T) {
	initCommands()
	c := &client{}
	lookup := func(name string) *command {
		cmd := commands.byName[name]
		if cmd == nil {
			t.Fatalf("no command %q", name)
		}
		return cmd
	}
	for _, tt := range []struct {
		typ  pauseType
		cmd  *command
		want bool
	}{
		{pauseWrite, lookup("set"), true},
		{pauseWrite, lookup("get"), false},
		{pauseWrite, lookup("ping"), false},
		{pauseWrite, &command{Name: "publish", fullName: "publish", Flags: flagPubSub | flagMayReplicate}, true},
		{pauseAll, lookup("ping"), true},
		{pauseOff, lookup("set"), false},
	} {
		if got := c.holds(tt.typ, tt.cmd); got != tt.want {
			t.Errorf("pause %d holds %s = %v, want %v", tt.typ, tt.cmd.fullName, got, tt.want)
		}
	}
	exec := &command{Name: "exec", fullName: "exec"}
	for _, tt := range []struct {
		multi *multiState
		want  bool
	}{
		{nil, false},
		{&multiState{flags: flagReadOnly | flagFast}, false},
		{&multiState{flags: flagReadOnly | flagWrite}, true},
		{&multiState{flags: flagMayReplicate}, true},
	} {
		c.multi = tt.multi
		if got := c.holds(pauseWrite, exec); got != tt.want {
			t.Errorf("PAUSE WRITE holds EXEC of %+v = %v, want %v", tt.multi, got, tt.want)
		}
	}
}

// TestClientPauseReleasedIntoBlock releases a BLPOP ahead of the RPUSH that
// serves it: the BLPOP blocks, which lets the RPUSH go on, as Redis goes on
// to the next postponed client when one blocks again.
func TestClientPauseReleasedIntoBlock(t *testing.T) {
	srv, _ := pauseServer(t)
	admin, a, b := tcDial(t, srv), tcDial(t, srv), tcDial(t, srv)
	admin.str("CLIENT", "PAUSE", "100000", "ALL")
	holdSend(t, srv, a, 1, "BLPOP", "q", "0")
	holdSend(t, srv, b, 2, "RPUSH", "q", "x")
	holdSend(t, srv, admin, 3, "LLEN", "q")
	srv.unpauseClients()
	if v := b.read(); v.flat() != ":1" {
		t.Errorf("released RPUSH = %v, want :1", v)
	}
	if v := a.read(); v.flat() != "[q x]" {
		t.Errorf("released BLPOP = %v, want [q x]", v.flat())
	}
	if v := admin.read(); v.Str != "0" {
		t.Errorf("LLEN q after both = %v, want 0", v)
	}
}

// TestClientPauseShutdownCommand checks that SHUTDOWN, which PAUSE WRITE
// does not hold, stops the server at once with clients held, and that
// their held commands never run.
func TestClientPauseShutdownCommand(t *testing.T) {
	srv, _ := pauseServer(t)
	admin, w := tcDial(t, srv), tcDial(t, srv)
	admin.str("CLIENT", "PAUSE", "100000", "WRITE")
	blockSend(t, admin, w, 1, "SET", "stopped", "1")
	admin.send("SHUTDOWN", "NOSAVE")
	select {
	case <-srv.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("SHUTDOWN with a held client did not stop the server")
	}
	if !w.closed(time.Second) {
		t.Error("the held client's connection stays open after SHUTDOWN")
	}
	tx := srv.store.Begin(store.TxOptions{})
	_, ran, _ := srv.store.DB(0).PeekString([]byte("stopped"))
	tx.End()
	if ran {
		t.Error("a held SET ran during SHUTDOWN")
	}
}
