package server

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/store"
)

// Tests of blocked clients with several connections: the order waiters are
// served in, when they are served, what wakes them, timeouts, CLIENT
// UNBLOCK, clients that go away, and the cost of idle waiters.
// conformance/testdata/blocking_clients.txt replays the same situations
// against redis-server.

// blockSend sends a blocking command on w and waits until the server counts
// want blocked clients, so that the order clients block in is the order
// the test sends them in.
func blockSend(t *testing.T, admin, w *tcConn, want int, args ...string) {
	t.Helper()
	w.send(args...)
	blockedCount(t, admin, want)
}

// silent checks that c has received nothing for a while: it is still
// blocked.
func silent(t *testing.T, c *tcConn, what string) {
	t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := c.r.Peek(1); err == nil {
		t.Errorf("%s: got a reply while it should still be blocked", what)
	}
}

// registryEmpty checks, under the store's lock, that no waiter is left
// registered anywhere.
func registryEmpty(t *testing.T, srv *Server) {
	t.Helper()
	tx := srv.store.Begin(store.TxOptions{AllDBs: true})
	r := &srv.blk
	keyed, queues, clients, ready := r.keyed, len(r.queues), len(r.byClient), len(r.ready)
	tx.End()
	if keyed != 0 || queues != 0 || clients != 0 || ready != 0 {
		t.Errorf("registry holds %d keyed waiters, %d databases of queues, %d clients, %d ready keys; want none",
			keyed, queues, clients, ready)
	}
}

func TestBlockingFIFO(t *testing.T) {
	srv := tcStart(t, Config{})
	admin := tcDial(t, srv)
	ws := []*tcConn{tcDial(t, srv), tcDial(t, srv), tcDial(t, srv)}
	for i, w := range ws {
		blockSend(t, admin, w, i+1, "BLPOP", "q", "0")
	}
	if n := admin.integer("RPUSH", "q", "a", "b"); n != 2 {
		t.Fatalf("RPUSH = %d", n)
	}
	// The push is served before RPUSH's reply is even sent: the key is
	// empty for every later command.
	if n := admin.integer("LLEN", "q"); n != 0 {
		t.Errorf("LLEN after serving = %d, want 0", n)
	}
	for i, want := range []string{"[q a]", "[q b]"} {
		if got := ws[i].read().flat(); got != want {
			t.Errorf("waiter %d got %s, want %s", i+1, got, want)
		}
	}
	silent(t, ws[2], "third waiter")
	admin.integer("RPUSH", "q", "c")
	if got := ws[2].read().flat(); got != "[q c]" {
		t.Errorf("third waiter got %s, want [q c]", got)
	}
	blockedCount(t, admin, 0)
	registryEmpty(t, srv)
}

// TestBlockingServedAfterCommand checks that a key is served when the
// command that made it ready completes, before the next one, even in a
// pipeline: of LPUSH a, LPUSH b, LPOP, the waiter gets a and the LPOP b, as
// Redis does (blocking_clients.txt records it from redis-server).
func TestBlockingServedAfterCommand(t *testing.T) {
	srv := tcStart(t, Config{})
	admin := tcDial(t, srv)
	w := tcDial(t, srv)
	blockSend(t, admin, w, 1, "BLPOP", "q", "0")
	if _, err := admin.nc.Write([]byte(bulk("LPUSH", "q", "a") + bulk("LPUSH", "q", "b") + bulk("LPOP", "q"))); err != nil {
		t.Fatal(err)
	}
	var got []string
	for range 3 {
		got = append(got, admin.read().flat())
	}
	if want := []string{":1", ":1", "b"}; !slices.Equal(got, want) {
		t.Errorf("pipelined LPUSH, LPUSH, LPOP = %q, want %q", got, want)
	}
	if got := w.read().flat(); got != "[q a]" {
		t.Errorf("waiter got %s, want [q a]", got)
	}
}

// TestBlockingMoveChain checks that a BLMOVE's push feeds the waiters of
// its destination in the same serve: A → B → C, and a BLPOP on C.
func TestBlockingMoveChain(t *testing.T) {
	srv := tcStart(t, Config{})
	admin := tcDial(t, srv)
	w1, w2, w3 := tcDial(t, srv), tcDial(t, srv), tcDial(t, srv)
	blockSend(t, admin, w1, 1, "BLMOVE", "A", "B", "LEFT", "RIGHT", "0")
	blockSend(t, admin, w2, 2, "BRPOPLPUSH", "B", "C", "0")
	blockSend(t, admin, w3, 3, "BLPOP", "C", "0")
	dirty := infoInt(t, admin, "persistence", "rdb_changes_since_last_save")
	admin.integer("LPUSH", "A", "x", "y")
	if n := admin.integer("EXISTS", "A", "B", "C"); n != 1 {
		t.Errorf("EXISTS A B C after the chain = %d, want 1 (A keeps one element)", n)
	}
	for i, c := range []struct {
		w    *tcConn
		want string
	}{{w1, "y"}, {w2, "y"}, {w3, "[C y]"}} {
		if got := c.w.read().flat(); got != c.want {
			t.Errorf("waiter %d got %s, want %s", i+1, got, c.want)
		}
	}
	// Redis counts the push (2) and nothing for the served BLMOVE,
	// BRPOPLPUSH and BLPOP.
	if got := infoInt(t, admin, "persistence", "rdb_changes_since_last_save") - dirty; got != 2 {
		t.Errorf("dirty counter grew by %d, want 2", got)
	}
	if got := admin.do("LRANGE", "A", "0", "-1").flat(); got != "[x]" {
		t.Errorf("LRANGE A = %s, want [x]", got)
	}
}

// nullArray renders a null array as *-1, anything else as its String.
func nullArray(v tcValue) string {
	if v.Kind == '*' && v.Null {
		return "*-1"
	}
	return v.String()
}

// TestBlockingWakeups checks the writes other than pushes that bring a list
// or a sorted set to a waited key: RENAME, COPY, MOVE into the waiter's
// database, SWAPDB of its database, ZUNIONSTORE, LMOVE, and an embedder's
// transaction.
func TestBlockingWakeups(t *testing.T) {
	srv := tcStart(t, Config{})
	admin := tcDial(t, srv)
	w := tcDial(t, srv)
	steps := []struct {
		name    string
		block   []string
		trigger [][]string
		want    string
	}{
		{"rename", []string{"BLPOP", "dst", "0"},
			[][]string{{"RPUSH", "src", "1", "2"}, {"RENAME", "src", "dst"}}, "[dst 1]"},
		{"copy", []string{"BRPOP", "copy", "0"},
			[][]string{{"COPY", "dst", "copy"}}, "[copy 2]"},
		{"move", []string{"BLPOP", "mv", "0"},
			[][]string{{"SELECT", "1"}, {"RPUSH", "mv", "m"}, {"MOVE", "mv", "0"}, {"SELECT", "0"}}, "[mv m]"},
		{"swapdb", []string{"BLPOP", "sw", "0"},
			[][]string{{"SELECT", "2"}, {"RPUSH", "sw", "s"}, {"SELECT", "0"}, {"SWAPDB", "0", "2"}}, "[sw s]"},
		{"zset", []string{"BZPOPMAX", "z", "0"},
			[][]string{{"ZADD", "z", "1", "a", "2", "b"}}, "[z b 2]"},
		{"zunionstore", []string{"BZPOPMIN", "zu", "0"},
			[][]string{{"ZADD", "za", "3", "x"}, {"ZUNIONSTORE", "zu", "2", "za", "z"}}, "[zu a 1]"},
		{"lmove", []string{"BLPOP", "lm", "0"},
			[][]string{{"RPUSH", "lsrc", "a"}, {"LMOVE", "lsrc", "lm", "LEFT", "LEFT"}}, "[lm a]"},
	}
	for _, st := range steps {
		blockSend(t, admin, w, 1, st.block...)
		for _, cmd := range st.trigger {
			if v := admin.do(cmd...); v.Kind == '-' {
				t.Fatalf("%s: %q = %v", st.name, cmd, v)
			}
		}
		if got := w.read().flat(); got != st.want {
			t.Errorf("%s: waiter got %s, want %s", st.name, got, st.want)
		}
		blockedCount(t, admin, 0)
	}

	// An embedder's change is served when its transaction commits.
	blockSend(t, admin, w, 1, "BLPOP", "emb", "0")
	srv.Store().Update(func(tx *store.Tx) {
		if _, err := tx.DB(0).ListPush([]byte("emb"), [][]byte{[]byte("e")}, false, false); err != nil {
			t.Error(err)
		}
	})
	if got := w.read().flat(); got != "[emb e]" {
		t.Errorf("embedder's push: waiter got %s, want [emb e]", got)
	}
	registryEmpty(t, srv)
}

// TestBlockingWrongTypeWaits checks that a waiter whose key becomes another
// type stays blocked, and is served once the key holds its type.
func TestBlockingWrongTypeWaits(t *testing.T) {
	srv := tcStart(t, Config{})
	admin := tcDial(t, srv)
	w := tcDial(t, srv)
	blockSend(t, admin, w, 1, "BLPOP", "k", "0")
	admin.integer("ZADD", "k", "1", "m")
	silent(t, w, "BLPOP on a sorted set")
	admin.integer("DEL", "k")
	admin.integer("RPUSH", "k", "v")
	if got := w.read().flat(); got != "[k v]" {
		t.Errorf("waiter got %s, want [k v]", got)
	}
}

// TestBlockingTimeout checks fractional timeouts: the null reply (in both
// protocols) comes within 10 ms of the deadline, and the client is then
// waiting nowhere.
func TestBlockingTimeout(t *testing.T) {
	srv := tcStart(t, Config{})
	c := tcDial(t, srv)
	for _, tc := range []struct {
		cmd  []string
		want string
	}{
		{[]string{"BLPOP", "a", "b", "0.15"}, "*-1"},
		{[]string{"BLMOVE", "a", "b", "LEFT", "LEFT", "0.15"}, "*-1"},
		{[]string{"BZMPOP", "0.15", "1", "z", "MIN"}, "*-1"},
	} {
		// The best of a few tries, so that a busy machine's scheduling
		// does not decide the test.
		best := time.Hour
		for range 3 {
			start := time.Now()
			v := c.do(tc.cmd...)
			d := time.Since(start)
			if nullArray(v) != tc.want {
				t.Fatalf("%q = %v, want %s", tc.cmd, v, tc.want)
			}
			if d < 150*time.Millisecond {
				t.Fatalf("%q replied after %v, before its timeout", tc.cmd, d)
			}
			best = min(best, d)
		}
		if best > 160*time.Millisecond {
			t.Errorf("%q replied %v after it was sent at best, more than 10 ms late", tc.cmd, best)
		}
	}
	c.do("HELLO", "3")
	if v := c.do("BLPOP", "a", "0.01"); v.Kind != '_' {
		t.Errorf("RESP3 timeout = %v, want _", v)
	}
	registryEmpty(t, srv)

	// The time spent blocked is not the command's (Redis counts only the
	// call itself): BLPOP's time per call stays far below its timeout.
	var line string
	if !waitUntil(5*time.Second, func() bool {
		line = tcInfo(c.str("INFO", "commandstats"))["cmdstat_blpop"]
		return strings.HasPrefix(line, "calls=4,")
	}) {
		t.Fatalf("cmdstat_blpop = %q, want 4 calls", line)
	}
	var calls, usec int64
	var perCall float64
	if _, err := fmt.Sscanf(line, "calls=%d,usec=%d,usec_per_call=%f", &calls, &usec, &perCall); err != nil {
		t.Fatalf("cmdstat_blpop = %q: %v", line, err)
	}
	if perCall > 50000 {
		t.Errorf("BLPOP usec_per_call = %v: the time blocked was counted", perCall)
	}
}

func TestClientUnblock(t *testing.T) {
	srv := tcStart(t, Config{})
	admin := tcDial(t, srv)
	w := tcDial(t, srv)
	id := strconv.FormatInt(w.integer("CLIENT", "ID"), 10)

	blockSend(t, admin, w, 1, "BLPOP", "q", "0")
	if n := admin.integer("CLIENT", "UNBLOCK", id); n != 1 {
		t.Fatalf("CLIENT UNBLOCK = %d, want 1", n)
	}
	if v := w.read(); nullArray(v) != "*-1" {
		t.Errorf("BLPOP unblocked with TIMEOUT = %v, want a null array", v)
	}
	if n := admin.integer("CLIENT", "UNBLOCK", id); n != 0 {
		t.Errorf("CLIENT UNBLOCK of a client no longer blocked = %d, want 0", n)
	}
	// The waiter is gone: a push stays in the list.
	admin.integer("RPUSH", "q", "v")
	if n := admin.integer("LLEN", "q"); n != 1 {
		t.Errorf("LLEN after the waiter left = %d, want 1", n)
	}
	admin.integer("DEL", "q")

	blockSend(t, admin, w, 1, "BZPOPMIN", "z", "0")
	if n := admin.integer("CLIENT", "UNBLOCK", id, "ERROR"); n != 1 {
		t.Fatalf("CLIENT UNBLOCK ERROR = %d, want 1", n)
	}
	if v := w.read(); v.flat() != "-UNBLOCKED client unblocked via CLIENT UNBLOCK" {
		t.Errorf("BZPOPMIN unblocked with ERROR = %v", v)
	}

	// WAIT is released the same way: TIMEOUT gives the count of replicas.
	blockSend(t, admin, w, 1, "WAIT", "1", "0")
	if n := admin.integer("CLIENT", "UNBLOCK", id, "timeout"); n != 1 {
		t.Fatalf("CLIENT UNBLOCK of WAIT = %d, want 1", n)
	}
	if v := w.read(); v.flat() != ":0" {
		t.Errorf("WAIT unblocked = %v, want :0", v)
	}
	blockSend(t, admin, w, 1, "WAIT", "1", "0")
	admin.integer("CLIENT", "UNBLOCK", id, "error")
	if v := w.read(); v.flat() != "-UNBLOCKED client unblocked via CLIENT UNBLOCK" {
		t.Errorf("WAIT unblocked with ERROR = %v", v)
	}

	// The client works normally afterwards, and its next block waits.
	if got := w.str("PING"); got != "PONG" {
		t.Errorf("PING after unblocking = %q", got)
	}
	start := time.Now()
	if v := w.do("BLPOP", "q", "0.1"); nullArray(v) != "*-1" || time.Since(start) < 100*time.Millisecond {
		t.Errorf("BLPOP after unblocking = %v after %v, want a null after 100 ms", v, time.Since(start))
	}
	// A TIMEOUT counts as a failed call, as Redis counts it; so does the
	// error.
	// (A call's statistics are added once its batch is written: wait for
	// the last BLPOP's.)
	want := map[string][2]string{
		"cmdstat_blpop":    {"calls=2,", "failed_calls=1"},
		"cmdstat_bzpopmin": {"calls=1,", "failed_calls=1"},
		"cmdstat_wait":     {"calls=2,", "failed_calls=2"},
	}
	var stats map[string]string
	match := func() bool {
		stats = tcInfo(admin.str("INFO", "commandstats"))
		for name, w := range want {
			if !strings.HasPrefix(stats[name], w[0]) || !strings.HasSuffix(stats[name], ",rejected_calls=0,"+w[1]) {
				return false
			}
		}
		return true
	}
	if !waitUntil(5*time.Second, match) {
		for name, w := range want {
			t.Errorf("INFO commandstats %s = %q, want %s… and %s", name, stats[name], w[0], w[1])
		}
	}
	registryEmpty(t, srv)
}

// TestBlockingKilled checks that a client killed or gone while blocked
// leaves nothing behind, and that the keys it waited on are then served to
// nobody.
func TestBlockingKilled(t *testing.T) {
	srv := tcStart(t, Config{})
	admin := tcDial(t, srv)
	w := tcDial(t, srv)
	id := strconv.FormatInt(w.integer("CLIENT", "ID"), 10)
	blockSend(t, admin, w, 1, "BLPOP", "k1", "k2", "0")
	_, f := tcFields(admin.str("CLIENT", "LIST", "ID", id))
	if f["flags"] != "b" || f["cmd"] != "blpop" {
		t.Errorf("blocked client: flags=%s cmd=%s, want b and blpop", f["flags"], f["cmd"])
	}
	if n := admin.integer("CLIENT", "KILL", "ID", id); n != 1 {
		t.Fatalf("CLIENT KILL = %d", n)
	}
	if !w.closed(5 * time.Second) {
		t.Fatal("a killed blocked client stayed connected")
	}
	blockedCount(t, admin, 0)
	admin.integer("RPUSH", "k2", "v")
	if n := admin.integer("LLEN", "k2"); n != 1 {
		t.Errorf("LLEN k2 = %d after the waiter was killed, want 1", n)
	}
	registryEmpty(t, srv)

	// One that disconnects by itself.
	g := tcDial(t, srv)
	blockSend(t, admin, g, 1, "BZPOPMIN", "z", "0")
	g.nc.Close()
	blockedCount(t, admin, 0)
	registryEmpty(t, srv)
}

// TestBlockingRace sends pushes while clients block with tiny timeouts, so
// that timeouts race serves: every element pushed must reach exactly one
// client or stay in the list, none lost, none twice.
func TestBlockingRace(t *testing.T) {
	srv := tcStart(t, Config{})
	admin := tcDial(t, srv)
	const waiters, rounds = 8, 60
	var mu sync.Mutex // guards got
	got := map[string]int{}
	var wg sync.WaitGroup
	for i := range waiters {
		w := tcDial(t, srv)
		wg.Add(1)
		go func() { // exits after its rounds
			defer wg.Done()
			for j := range rounds {
				timeout := []string{"0.001", "0.002", "0.01"}[(i+j)%3]
				w.send("BLPOP", "race", timeout)
				w.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
				v, err := tcRead(w.r)
				if err != nil {
					t.Error(err)
					return
				}
				if !v.Null {
					mu.Lock()
					got[v.Elems[1].Str]++
					mu.Unlock()
				}
			}
		}()
	}
	pushed := 0
	deadline := time.Now().Add(10 * time.Second)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }() // exits when the waiters are done
loop:
	for time.Now().Before(deadline) {
		select {
		case <-done:
			break loop
		default:
		}
		admin.integer("RPUSH", "race", strconv.Itoa(pushed))
		pushed++
		time.Sleep(time.Duration(pushed%3) * time.Millisecond)
	}
	<-done
	left := admin.do("LRANGE", "race", "0", "-1")
	for _, e := range left.Elems {
		got[e.Str]++
	}
	for i := range pushed {
		if n := got[strconv.Itoa(i)]; n != 1 {
			t.Errorf("element %d reached %d clients or lists, want exactly 1", i, n)
		}
	}
	if len(got) != pushed {
		t.Errorf("%d distinct elements seen, %d pushed", len(got), pushed)
	}
	registryEmpty(t, srv)
}

// TestBlockingIdleClientsCostNothing blocks a thousand clients and checks
// that while they wait the process uses almost no CPU: nothing polls.
func TestBlockingIdleClientsCostNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("opens a thousand connections")
	}
	srv := tcStart(t, Config{})
	admin := tcDial(t, srv)
	const n = 1000
	ws := make([]*tcConn, n)
	for i := range ws {
		ws[i] = tcDial(t, srv)
		ws[i].send("BLPOP", fmt.Sprintf("idle%d", i%10), "shared", "0")
	}
	blockedCount(t, admin, n)
	time.Sleep(100 * time.Millisecond) // let the last blocks settle

	before := cpuTime(t)
	time.Sleep(time.Second)
	used := cpuTime(t) - before
	if used > 100*time.Millisecond {
		t.Errorf("%d idle blocked clients used %v of CPU in a second, want almost none", n, used)
	}
	t.Logf("%d idle blocked clients: %v of CPU in one second", n, used)

	// They are all still served, each once.
	vals := make([]string, n)
	for i := range vals {
		vals[i] = strconv.Itoa(i)
	}
	admin.integer(append([]string{"RPUSH", "shared"}, vals...)...)
	seen := map[string]bool{}
	for i, w := range ws {
		v := w.read()
		if len(v.Elems) != 2 || v.Elems[0].Str != "shared" || seen[v.Elems[1].Str] {
			t.Fatalf("waiter %d got %s, want [shared N] with an N no other got", i, v.flat())
		}
		seen[v.Elems[1].Str] = true
	}
	blockedCount(t, admin, 0)
	registryEmpty(t, srv)
}

// cpuTime returns the user and system CPU time the process has used.
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Skip("getrusage:", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestBlockingServedReplyOrder checks that a waiter's reply comes before
// the replies of the commands pipelined behind its blocking command, and
// after those before it.
func TestBlockingServedReplyOrder(t *testing.T) {
	srv := tcStart(t, Config{})
	admin := tcDial(t, srv)
	w := tcDial(t, srv)
	if _, err := w.nc.Write([]byte(bulk("PING") + bulk("BLPOP", "q", "0") + bulk("SET", "after", "1") + bulk("GET", "after"))); err != nil {
		t.Fatal(err)
	}
	if v := w.read(); v.flat() != "+PONG" {
		t.Fatalf("PING = %v", v)
	}
	blockedCount(t, admin, 1)
	if n := admin.integer("EXISTS", "after"); n != 0 {
		t.Errorf("a command pipelined after the block ran before it was served")
	}
	admin.integer("RPUSH", "q", "x")
	var got []string
	for range 3 {
		got = append(got, w.read().flat())
	}
	if want := []string{"[q x]", "+OK", "1"}; !slices.Equal(got, want) {
		t.Errorf("replies = %q, want %q", got, want)
	}
}

// TestBlockingDirtyCounter checks that serving a waiter counts in the dirty
// counter what Redis 7.0 counts: nothing for BLPOP and BLMOVE, the
// elements for BLMPOP and the sorted set pops.
func TestBlockingDirtyCounter(t *testing.T) {
	srv := tcStart(t, Config{})
	admin := tcDial(t, srv)
	w := tcDial(t, srv)
	for _, tc := range []struct {
		block []string
		push  []string
		want  int64 // the push's count plus the serve's
	}{
		{[]string{"BLPOP", "q", "0"}, []string{"RPUSH", "q", "a", "b"}, 2},
		{[]string{"BLMOVE", "q2", "d", "LEFT", "LEFT", "0"}, []string{"RPUSH", "q2", "a"}, 1},
		{[]string{"BLMPOP", "0", "1", "q3", "LEFT", "COUNT", "2"}, []string{"RPUSH", "q3", "a", "b", "c"}, 3 + 2},
		{[]string{"BZPOPMIN", "z", "0"}, []string{"ZADD", "z", "1", "a", "2", "b"}, 2 + 1},
		{[]string{"BZMPOP", "0", "1", "z2", "MAX", "COUNT", "5"}, []string{"ZADD", "z2", "1", "a", "2", "b"}, 2 + 2},
	} {
		blockSend(t, admin, w, 1, tc.block...)
		before := infoInt(t, admin, "persistence", "rdb_changes_since_last_save")
		admin.do(tc.push...)
		w.read()
		if got := infoInt(t, admin, "persistence", "rdb_changes_since_last_save") - before; got != tc.want {
			t.Errorf("%q served by %q: dirty grew by %d, want %d", tc.block, tc.push, got, tc.want)
		}
	}
}

// TestBlockingBadInput sends key counts, counts and timeouts at the limits
// of their types, with data present and to blocked clients: each is
// answered from the collection's real size, nothing is allocated from the
// client's number, and a timeout too large for the clock waits forever.
func TestBlockingBadInput(t *testing.T) {
	srv := tcStart(t, Config{})
	admin := tcDial(t, srv)
	w := tcDial(t, srv)
	id := strconv.FormatInt(w.integer("CLIENT", "ID"), 10)
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	admin.do("RPUSH", "l", "a", "b", "c")
	admin.do("ZADD", "z", "1", "a", "2", "b")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"BLMPOP", "0", "9223372036854775807", "l", "LEFT"}, "-ERR syntax error"},
		{[]string{"BLMPOP", "0", "2147483648", "l", "LEFT"}, "-ERR syntax error"},
		{[]string{"BLMPOP", "0", "1", "l", "LEFT", "COUNT", "9223372036854775807"}, "[l [a b c]]"},
		{[]string{"BZMPOP", "0", "9223372036854775807", "z", "MIN"}, "-ERR syntax error"},
		{[]string{"BZMPOP", "0", "1", "z", "MAX", "COUNT", "9223372036854775807"}, "[z [[b 2] [a 1]]]"},
		{[]string{"BLPOP", "l", "9223372036854775807"}, "-ERR timeout is negative"},
		{[]string{"BLPOP", "l", "-9223372036854775808"}, "-ERR timeout is negative"},
		{[]string{"BLPOP", "l", "0x1p1000"}, "-ERR timeout is negative"},
		{[]string{"BLPOP", "l", "1e-4950"}, "(nil)"}, // a subnormal long double: one millisecond
		{[]string{"BLPOP", "l", "1e-5000"}, "-ERR timeout is not a float or out of range"},
	} {
		if got := admin.do(tt.args...).flat(); got != tt.want {
			t.Errorf("%q = %s, want %s", tt.args, got, tt.want)
		}
	}
	// Served with the largest counts.
	blockSend(t, admin, w, 1, "BLMPOP", "0", "1", "l", "RIGHT", "COUNT", "9223372036854775807")
	admin.do("RPUSH", "l", "x", "y")
	if got := w.read().flat(); got != "[l [y x]]" {
		t.Errorf("BLMPOP COUNT 2^63-1 served %s, want [l [y x]]", got)
	}
	blockSend(t, admin, w, 1, "BZMPOP", "0", "1", "z", "MIN", "COUNT", "9223372036854775807")
	admin.do("ZADD", "z", "1", "a")
	if got := w.read().flat(); got != "[z [[a 1]]]" {
		t.Errorf("BZMPOP COUNT 2^63-1 served %s, want [z [[a 1]]]", got)
	}
	// 9223372036854775 seconds is the largest timeout in milliseconds
	// that fits; added to the clock it overflows, and Redis's timeout
	// table then never fires: the client waits until released.
	blockSend(t, admin, w, 1, "BLPOP", "l", "9223372036854775")
	silent(t, w, "BLPOP with the largest timeout")
	admin.integer("CLIENT", "UNBLOCK", id)
	if got := nullArray(w.read()); got != "*-1" {
		t.Errorf("BLPOP released = %s, want *-1", got)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("the commands allocated %d bytes", grew)
	}
}

// TestBlockingBigServedReply serves a waiter a reply larger than a reply
// chunk, which the scratch writer queues in pieces, then a small one: both
// arrive whole.
func TestBlockingBigServedReply(t *testing.T) {
	srv := tcStart(t, Config{})
	admin := tcDial(t, srv)
	w := tcDial(t, srv)
	blockSend(t, admin, w, 1, "BLMPOP", "0", "1", "big", "LEFT", "COUNT", "1000")
	elems := []string{"RPUSH", "big"}
	for i := range 400 {
		elems = append(elems, fmt.Sprintf("%04d%s", i, strings.Repeat("x", 1020)))
	}
	admin.integer(elems...)
	v := w.read()
	if len(v.Elems) != 2 || len(v.Elems[1].Elems) != 400 {
		t.Fatalf("BLMPOP served %d elements, want 400", len(v.Elems[1].Elems))
	}
	for i, e := range v.Elems[1].Elems {
		if e.Str != elems[2+i] {
			t.Fatalf("element %d = %.10q…, want %.10q…", i, e.Str, elems[2+i])
		}
	}
	blockSend(t, admin, w, 1, "BLPOP", "small", "0")
	admin.integer("RPUSH", "small", "s")
	if got := w.read().flat(); got != "[small s]" {
		t.Errorf("small reply after a big one = %s", got)
	}
}
