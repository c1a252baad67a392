package server

import (
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// infoInt returns an integer field of INFO's reply.
func infoInt(t *testing.T, tc *tcConn, section, name string) int64 {
	t.Helper()
	for _, line := range strings.Split(tc.str("INFO", section), "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("INFO %s: %s = %q", section, name, v)
			}
			return n
		}
	}
	t.Fatalf("INFO %s has no %s", section, name)
	return 0
}

// TestLazyfreeCounters checks INFO's lazyfree counters as Redis keeps them:
// an asynchronous flush counts its keys once the freer is done, a
// synchronous one nothing, lazyfree-lazy-user-flush makes a plain FLUSHALL
// asynchronous, strings are never lazily freed, and CONFIG RESETSTAT zeroes
// lazyfreed_objects.
func TestLazyfreeCounters(t *testing.T) {
	srv := tcStart(t, Config{})
	tc := tcDial(t, srv)
	freed := func() int64 {
		srv.store.WaitFreed()
		if p := infoInt(t, tc, "memory", "lazyfree_pending_objects"); p != 0 {
			t.Errorf("lazyfree_pending_objects = %d after the freer finished", p)
		}
		return infoInt(t, tc, "memory", "lazyfreed_objects")
	}
	steps := []struct {
		cmds [][]string
		want int64
	}{
		{[][]string{{"MSET", "a", "1", "b", "2", "c", "3"}, {"SELECT", "1"}, {"SET", "d", "4"}, {"FLUSHALL", "ASYNC"}}, 4},
		{[][]string{{"MSET", "a", "1", "b", "2"}, {"FLUSHALL", "SYNC"}}, 4},
		{[][]string{{"MSET", "a", "1", "b", "2"}, {"FLUSHDB"}}, 4},
		{[][]string{{"MSET", "a", "1", "b", "2"}, {"FLUSHDB", "ASYNC"}}, 6},
		{[][]string{{"CONFIG", "SET", "lazyfree-lazy-user-flush", "yes"}, {"MSET", "a", "1", "b", "2", "c", "3"}, {"FLUSHALL"}}, 9},
		{[][]string{{"SET", "big", strings.Repeat("x", 1<<20)}, {"UNLINK", "big"}}, 9},
		{[][]string{{"CONFIG", "SET", "lazyfree-lazy-user-del", "yes"}, {"SET", "big", "x"}, {"DEL", "big"}}, 9},
		{[][]string{{"FLUSHALL", "SYNC"}, {"CONFIG", "RESETSTAT"}}, 0},
	}
	for i, s := range steps {
		for _, cmd := range s.cmds {
			if r := tc.do(cmd...); r.Kind == '-' {
				t.Fatalf("step %d: %q: %s", i, cmd, r.Str)
			}
		}
		if got := freed(); got != s.want {
			t.Errorf("step %d (%q): lazyfreed_objects = %d, want %d", i, s.cmds, got, s.want)
		}
	}
}

// TestMemoryUsage checks MEMORY USAGE against the values it measures: a
// missing key is a null, and a value a thousand times larger is reported
// about that much larger.
func TestMemoryUsage(t *testing.T) {
	srv := tcStart(t, Config{})
	tc := tcDial(t, srv)
	tc.do("SET", "small", "abc")
	tc.do("SET", "large", strings.Repeat("z", 3000))
	if r := tc.do("MEMORY", "USAGE", "nosuch"); !r.Null {
		t.Errorf("MEMORY USAGE nosuch = %s, want a null", r)
	}
	small := tc.integer("MEMORY", "USAGE", "small")
	large := tc.integer("MEMORY", "USAGE", "large", "SAMPLES", "0")
	if small <= int64(len("small")+len("abc")) || small > 100 {
		t.Errorf("MEMORY USAGE small = %d", small)
	}
	if large < 3000 || large > 3000+small+512 {
		t.Errorf("MEMORY USAGE large = %d, want about 3000 more than small (%d)", large, small)
	}
	// USAGE reads no stats: keyspace_hits and misses stay where they were.
	hits := infoInt(t, tc, "stats", "keyspace_hits")
	tc.do("MEMORY", "USAGE", "small")
	tc.do("MEMORY", "USAGE", "nosuch")
	if got := infoInt(t, tc, "stats", "keyspace_hits"); got != hits {
		t.Errorf("MEMORY USAGE counted a keyspace hit: %d, was %d", got, hits)
	}
}

// TestMemoryStats checks the figures MEMORY STATS computes from the store:
// keys.count, one section per database holding keys, and an overhead that
// is the sum of its parts.
func TestMemoryStats(t *testing.T) {
	srv := tcStart(t, Config{})
	tc := tcDial(t, srv)
	tc.do("MSET", "a", "1", "b", "2")
	tc.do("SELECT", "7")
	tc.do("SET", "c", "3")
	tc.do("PEXPIRE", "c", "100000")
	r := tc.do("MEMORY", "STATS")
	fields := map[string]tcValue{}
	var order []string
	for i := 0; i+1 < len(r.Elems); i += 2 {
		fields[r.Elems[i].Str] = r.Elems[i+1]
		order = append(order, r.Elems[i].Str)
	}
	num := func(name string) int64 {
		n, err := strconv.ParseInt(fields[name].Str, 10, 64)
		if err != nil {
			t.Fatalf("MEMORY STATS %s = %s", name, fields[name])
		}
		return n
	}
	if n := num("keys.count"); n != 3 {
		t.Errorf("keys.count = %d, want 3", n)
	}
	var dbs []string
	sum := num("startup.allocated") + num("clients.normal")
	for _, name := range order {
		if strings.HasPrefix(name, "db.") {
			dbs = append(dbs, name)
			sub := fields[name].Elems
			if len(sub) != 6 {
				t.Fatalf("%s = %s", name, fields[name])
			}
			for j := 1; j < 6; j += 2 {
				n, _ := strconv.ParseInt(sub[j].Str, 10, 64)
				sum += n
			}
			if expires, _ := strconv.ParseInt(sub[3].Str, 10, 64); (name == "db.7") != (expires > 0) {
				t.Errorf("%s: expires overhead %d", name, expires)
			}
		}
	}
	if strings.Join(dbs, ",") != "db.0,db.7" {
		t.Errorf("database sections %v, want db.0 and db.7", dbs)
	}
	if got := num("overhead.total"); got != sum {
		t.Errorf("overhead.total = %d, want the sum of its parts %d", got, sum)
	}
	if got, want := num("dataset.bytes"), num("total.allocated")-sum; got != max(want, 0) {
		t.Errorf("dataset.bytes = %d, want total less overhead %d", got, want)
	}
	if got := infoInt(t, tc, "memory", "used_memory_overhead"); got < sum {
		t.Errorf("INFO used_memory_overhead = %d, below MEMORY STATS's %d", got, sum)
	}
}

// TestMemoryPurge checks that MEMORY PURGE gives a big value's memory back
// to the system at once.
func TestMemoryPurge(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 64 MB")
	}
	srv := tcStart(t, Config{})
	tc := tcDial(t, srv)
	tc.do("SET", "big", strings.Repeat("p", 64<<20))
	tc.do("DEL", "big")
	released := heapReleased()
	if r := tc.do("MEMORY", "PURGE"); r.Str != "OK" {
		t.Fatalf("MEMORY PURGE = %s", r)
	}
	if srv.mem.releases.Load() != 1 {
		t.Errorf("MEMORY PURGE ran %d releases", srv.mem.releases.Load())
	}
	if got := heapReleased(); got < released+32<<20 {
		t.Errorf("the heap released %d MB, want at least 32 MB", (got-released)>>20)
	}
}

// TestDeletedValuesFeedRelease checks that the bytes of deleted values
// reach the server's memory release: with ReleaseMemory, deleting big
// values makes the cron give the memory back within seconds.
func TestDeletedValuesFeedRelease(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 96 MB")
	}
	srv := tcStart(t, Config{ReleaseMemory: true})
	tc := tcDial(t, srv)
	for i := range 3 {
		tc.do("SET", "big"+strconv.Itoa(i), strings.Repeat("q", 32<<20))
	}
	// Let the allocations of the SETs age past the cron's quiet check, so
	// that only the deletion can explain a release.
	time.Sleep(1200 * time.Millisecond)
	before := srv.mem.releases.Load()
	tc.do("UNLINK", "big0")
	tc.do("DEL", "big1")
	tc.do("FLUSHALL", "ASYNC")
	srv.store.WaitFreed()
	if got := srv.mem.valuesFreed.Load(); got < 3*32<<20 {
		t.Errorf("the store reported %d MB of values freed, want 96 MB", got>>20)
	}
	if !waitUntil(10*time.Second, func() bool { return srv.mem.releases.Load() > before }) {
		t.Fatal("no release within 10 s of deleting 96 MB of values")
	}
}

// TestUsedMemoryCountsCollections checks that INFO memory's used_memory and
// used_memory_dataset grow by about MEMORY USAGE of each big collection
// stored: a hash, a set, a sorted set and a list of 200,000 elements. The
// figures come from the Go heap, so garbage is collected before each
// reading; the bound (from 70% to 140%) allows for MEMORY USAGE being an
// estimate and the heap holding more than the store.
func TestUsedMemoryCountsCollections(t *testing.T) {
	srv := tcStart(t, Config{})
	tc := tcDial(t, srv)
	const n, batch = 200000, 1000
	builds := []struct {
		key  string
		args func(i int) []string
		cmd  string
	}{
		{"hash", func(i int) []string { return []string{"field:" + strconv.Itoa(i), "value:" + strconv.Itoa(i)} }, "HSET"},
		{"set", func(i int) []string { return []string{"member:" + strconv.Itoa(i)} }, "SADD"},
		{"zset", func(i int) []string { return []string{strconv.Itoa(i), "member:" + strconv.Itoa(i)} }, "ZADD"},
		{"list", func(i int) []string { return []string{"element:" + strconv.Itoa(i)} }, "RPUSH"},
	}
	reading := func() (used, dataset int64) {
		runtime.GC()
		runtime.GC()
		return infoInt(t, tc, "memory", "used_memory"), infoInt(t, tc, "memory", "used_memory_dataset")
	}
	for _, b := range builds {
		usedBefore, datasetBefore := reading()
		for i := 0; i < n; i += batch {
			cmd := []string{b.cmd, b.key}
			for j := i; j < i+batch; j++ {
				cmd = append(cmd, b.args(j)...)
			}
			if r := tc.do(cmd...); r.Kind == '-' {
				t.Fatalf("%s: %s", b.cmd, r.Str)
			}
		}
		usedAfter, datasetAfter := reading()
		usage := tc.integer("MEMORY", "USAGE", b.key)
		for _, f := range []struct {
			name          string
			before, after int64
		}{{"used_memory", usedBefore, usedAfter}, {"used_memory_dataset", datasetBefore, datasetAfter}} {
			grew := f.after - f.before
			t.Logf("%s: %s grew by %d, MEMORY USAGE %d", b.key, f.name, grew, usage)
			if grew < usage*7/10 || grew > usage*14/10 {
				t.Errorf("%s of %d elements: %s grew by %d, MEMORY USAGE is %d", b.key, n, f.name, grew, usage)
			}
		}
	}
}
