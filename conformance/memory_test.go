package conformance

import (
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// statsNames returns the field names of a MEMORY STATS reply (RESP2: a flat
// array of name, value), with a nested map's names as "db.N/name".
func statsNames(t *testing.T, v Value) []string {
	t.Helper()
	if v.Kind != '*' || len(v.Elems)%2 != 0 {
		t.Fatalf("MEMORY STATS is not a flat map: %s", v)
	}
	var names []string
	for i := 0; i < len(v.Elems); i += 2 {
		name := v.Elems[i].Str
		names = append(names, name)
		if sub := v.Elems[i+1]; sub.Kind == '*' {
			for j := 0; j < len(sub.Elems); j += 2 {
				names = append(names, name+"/"+sub.Elems[j].Str)
			}
		}
	}
	return names
}

// TestMemoryStatsFieldsMatchRedis checks that MEMORY STATS names Redis's
// fields in Redis's order, a database's section included, on both servers
// holding keys in the same databases. Values differ by design (the Go
// runtime is no jemalloc); the scripts compare their types.
func TestMemoryStatsFieldsMatchRedis(t *testing.T) {
	redoubt, redis := startBoth(t)
	for _, c := range []*client{redoubt, redis} {
		mustDo(t, c, "SET", "k", "v")
		mustDo(t, c, "SELECT", "5")
		mustDo(t, c, "SET", "k2", "v")
		mustDo(t, c, "PEXPIRE", "k2", "100000")
	}
	want := statsNames(t, mustDo(t, redis, "MEMORY", "STATS"))
	got := statsNames(t, mustDo(t, redoubt, "MEMORY", "STATS"))
	if !slices.Equal(got, want) {
		t.Errorf("MEMORY STATS fields:\n got %q\nwant %q", got, want)
	}
}

// TestRedisCLIMemkeys runs redis-cli --memkeys against Redoubt: it scans
// the keyspace, asks TYPE and MEMORY USAGE … SAMPLES for each key, and
// must name the biggest string with the size MEMORY USAGE gives.
func TestRedisCLIMemkeys(t *testing.T) {
	cli := requireTool(t, "redis-cli")
	srv := startRedoubt(t)
	c := newClient(t, srv.Addr())
	mustDo(t, c, "SET", "small", "v")
	mustDo(t, c, "SET", "medium", strings.Repeat("m", 300))
	mustDo(t, c, "SET", "largest", strings.Repeat("l", 5000))
	usage := mustDo(t, c, "MEMORY", "USAGE", "largest")
	if usage.Kind != ':' {
		t.Fatalf("MEMORY USAGE largest = %s", usage)
	}
	_, port, _ := strings.Cut(srv.Addr(), ":")
	for _, args := range [][]string{{"--memkeys"}, {"--memkeys-samples", "0"}} {
		out, err := exec.Command(cli, append([]string{"-p", port}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
		}
		text := string(out)
		if !strings.Contains(text, "Sampled 3 keys in the keyspace!") {
			t.Errorf("redis-cli %v did not sample 3 keys:\n%s", args, text)
		}
		m := regexp.MustCompile(`Biggest string found '"(\w+)"' has (\d+) bytes`).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("redis-cli %v named no biggest string:\n%s", args, text)
		}
		if m[1] != "largest" || m[2] != usage.Str {
			t.Errorf("redis-cli %v: biggest string %s with %s bytes, want largest with %s", args, m[1], m[2], usage.Str)
		}
		if strings.Contains(text, "ERR") {
			t.Errorf("redis-cli %v saw an error:\n%s", args, text)
		}
	}
}

// TestLazyfreeCountersMatchRedis runs the same flushes and deletions on
// both servers and compares INFO's lazyfreed_objects once nothing is
// pending: asynchronous flushes count their keys, synchronous ones and
// strings nothing, and lazyfree-lazy-user-flush makes a plain flush
// asynchronous.
func TestLazyfreeCountersMatchRedis(t *testing.T) {
	redoubt, redis := startBoth(t)
	cmds := [][]string{
		{"MSET", "a", "1", "b", "2", "c", "3"},
		{"SELECT", "1"},
		{"SET", "d", "4"},
		{"FLUSHALL", "ASYNC"},
		{"MSET", "a", "1", "b", "2"},
		{"FLUSHALL", "SYNC"},
		{"MSET", "a", "1", "b", "2"},
		{"FLUSHDB", "ASYNC"},
		{"CONFIG", "SET", "lazyfree-lazy-user-flush", "yes"},
		{"MSET", "a", "1", "b", "2", "c", "3", "e", "5"},
		{"FLUSHDB"},
		{"SET", "big", strings.Repeat("x", 100000)},
		{"CONFIG", "SET", "lazyfree-lazy-user-del", "yes"},
		{"DEL", "big"},
		{"SET", "big", "y"},
		{"UNLINK", "big"},
		{"CONFIG", "SET", "lazyfree-lazy-user-flush", "no"},
		{"CONFIG", "SET", "lazyfree-lazy-user-del", "no"},
	}
	cmds = append(cmds, collectionLazyfreeCmds()...)
	counts := func(c *client) string {
		for _, cmd := range cmds {
			if v := mustDo(t, c, cmd...); v.Kind == '-' {
				t.Fatalf("%q: %s", cmd, v.Str)
			}
		}
		for range 100 {
			if infoField(t, c, "memory", "lazyfree_pending_objects") == "0" {
				// Redis's freer thread lowers the pending count just
				// before it raises the freed one.
				time.Sleep(20 * time.Millisecond)
				return infoField(t, c, "memory", "lazyfreed_objects")
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatal("lazy freeing still pending after a second")
		return ""
	}
	want, got := counts(redis), counts(redoubt)
	if got != want {
		t.Errorf("lazyfreed_objects = %s, Redis's %s", got, want)
	}
	if want == "0" {
		t.Errorf("the sequence freed nothing lazily in Redis: the test proves nothing")
	}
}

// bigArgs returns cmd followed by n generated arguments per element (a
// member, or a score or field and a member).
func bigArgs(n int, cmd []string, elem func(i int) []string) []string {
	out := slices.Clone(cmd)
	for i := range n {
		out = append(out, elem(i)...)
	}
	return out
}

// collectionLazyfreeCmds builds and drops big and small collections of
// every type in each way that may free them in the background: UNLINK,
// DEL under lazyfree-lazy-user-del, EXPIRE in the past under
// lazyfree-lazy-expire, FLUSHALL ASYNC, and, under
// lazyfree-lazy-server-del, the commands that overwrite or delete a value
// as a side effect (SET, RENAME, COPY REPLACE, the STORE commands, SPOP
// with a count) and the temporary result of SUNION and SDIFF. Redis frees in the background a hash, set or sorted set
// of more than 64 elements in a table, a list of more than 64 quicklist
// nodes; collections emptied by a command have nothing left to free.
func collectionLazyfreeCmds() [][]string {
	member := func(i int) []string { return []string{fmt.Sprintf("m%d", i)} }
	field := func(i int) []string { return []string{fmt.Sprintf("f%d", i), "v"} }
	scored := func(i int) []string { return []string{fmt.Sprint(i), fmt.Sprintf("m%d", i)} }
	build := func(n int) [][]string {
		return [][]string{
			bigArgs(n, []string{"HSET", "hash"}, field),
			bigArgs(n, []string{"SADD", "set"}, member),
			bigArgs(n, []string{"ZADD", "zset"}, scored),
			bigArgs(n, []string{"RPUSH", "list"}, member),
		}
	}
	var cmds [][]string
	add := func(c ...[]string) { cmds = append(cmds, c...) }
	// One element per quicklist node, so that 600 elements make 600 nodes.
	add([]string{"CONFIG", "SET", "list-max-listpack-size", "1"})
	for _, n := range []int{600, 60} {
		add(build(n)...)
		add([]string{"UNLINK", "hash", "set", "zset", "list"})
		add(build(n)...)
		add([]string{"CONFIG", "SET", "lazyfree-lazy-user-del", "yes"},
			[]string{"DEL", "hash", "set", "zset", "list"},
			[]string{"CONFIG", "SET", "lazyfree-lazy-user-del", "no"})
		add(build(n)...)
		add([]string{"DEL", "hash", "set", "zset", "list"})
	}
	// A deadline in the past deletes at once, lazily under
	// lazyfree-lazy-expire.
	add(build(600)...)
	add([]string{"CONFIG", "SET", "lazyfree-lazy-expire", "yes"},
		[]string{"EXPIRE", "hash", "0"},
		[]string{"PEXPIREAT", "set", "1"},
		[]string{"EXPIREAT", "zset", "-5"},
		[]string{"CONFIG", "SET", "lazyfree-lazy-expire", "no"},
		[]string{"PEXPIRE", "list", "-1"})
	// FLUSHALL ASYNC counts keys, whatever they hold.
	add(build(600)...)
	add([]string{"FLUSHALL", "ASYNC"})

	add([]string{"CONFIG", "SET", "lazyfree-lazy-server-del", "yes"})
	add(build(600)...)
	add([]string{"SET", "hash", "v"}, // overwrites a big hash
		[]string{"SADD", "small", "a"},
		[]string{"RENAME", "small", "set"},             // a big set
		[]string{"COPY", "hash", "list", "REPLACE"},    // a big list
		[]string{"ZUNIONSTORE", "zset", "1", "set"},    // a big sorted set
		[]string{"DEL", "hash", "set", "zset", "list"}, // synchronous: user-del is off
	)
	add(build(600)...)
	add([]string{"SUNION", "set"}, // the reply's temporary set is freed lazily
		[]string{"SDIFF", "set", "nokey"},
		[]string{"SINTER", "set"}, // replied as it is found: no temporary set
		[]string{"ZUNION", "1", "zset"},
	)
	add([]string{"SUNIONSTORE", "set", "set", "set"}, // the old big set
		[]string{"SINTERSTORE", "set", "set", "nokey"}, // an empty result deletes it
		[]string{"ZRANGESTORE", "zset", "zset", "0", "99"},
		[]string{"ZDIFFSTORE", "zset", "1", "nokey"},
		[]string{"ZINTERSTORE", "hash", "1", "nokey"}, // a hash of 200 fields
		[]string{"LMOVE", "list", "list2", "LEFT", "LEFT"},
	)
	add(bigArgs(200, []string{"SADD", "pop"}, member))
	add([]string{"SPOP", "pop", "200"}) // everything: the full set is deleted
	add(bigArgs(300, []string{"SADD", "pop"}, member))
	add([]string{"SPOP", "pop", "280"}) // the 280 popped stay in the replaced set
	add(bigArgs(300, []string{"SADD", "pop"}, member))
	add([]string{"SPOP", "pop", "100"}) // popped one by one: nothing replaced
	// Emptied collections: nothing left to free in the background.
	add(bigArgs(200, []string{"SADD", "gone"}, member))
	add(bigArgs(200, []string{"SREM", "gone"}, member))
	add(bigArgs(200, []string{"HSET", "gone"}, field))
	add(bigArgs(200, []string{"HDEL", "gone"}, func(i int) []string { return member(i)[:1] }))
	add([]string{"FLUSHALL"},
		[]string{"CONFIG", "SET", "lazyfree-lazy-server-del", "no"},
		[]string{"CONFIG", "SET", "list-max-listpack-size", "-2"})
	return cmds
}
