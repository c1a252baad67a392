package conformance

import (
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
