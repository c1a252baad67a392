package server

import (
	"bytes"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"testing"
)

// TestCmdSortBadInput sends SORT LIMITs at the ends of the int64 range
// (CVE-2022-35977 made Redis overflow on them) and many GET patterns: each
// is answered from the key's real size, with nothing allocated from the
// client's numbers. The replies, keyspace hits and misses and dirty count
// were taken from redis-server 7.0.15 given the same commands.
func TestCmdSortBadInput(t *testing.T) {
	srv := tcStart(t, Config{})
	c := tcDial(t, srv)
	c.do("RPUSH", "l", "3", "1", "2")
	c.do("SADD", "s", "3", "1", "2")
	c.do("ZADD", "z", "3", "c", "1", "a", "2", "b")
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"SORT", "l", "LIMIT", "9223372036854775807", "9223372036854775807"}, "[]"},
		{[]string{"SORT", "l", "LIMIT", "-9223372036854775808", "9223372036854775807"}, "[1 2 3]"},
		{[]string{"SORT", "l", "LIMIT", "1", "-9223372036854775808"}, "[2 3]"},
		{[]string{"SORT", "l", "BY", "nosort", "LIMIT", "9223372036854775807", "-1", "DESC"}, "[]"},
		{[]string{"SORT", "l", "BY", "nosort", "LIMIT", "2", "9223372036854775807", "DESC"}, "[3]"},
		{[]string{"SORT", "s", "LIMIT", "9223372036854775806", "9223372036854775807"}, "[]"},
		{[]string{"SORT", "s", "BY", "nosort", "LIMIT", "-9223372036854775808", "9223372036854775807", "STORE", "o"}, ":3"},
		{[]string{"SORT", "z", "BY", "nosort", "LIMIT", "1", "9223372036854775807", "DESC"}, "[b a]"},
		{[]string{"SORT", "z", "BY", "nosort", "LIMIT", "9223372036854775807", "9223372036854775807"}, "[]"},
		{[]string{"SORT", "z", "BY", "w_*", "LIMIT", "2", "9223372036854775807", "STORE", "o2"}, ":1"},
		{[]string{"LRANGE", "o2", "0", "-1"}, "[c]"},
		{[]string{"SORT", "l", "LIMIT", "9223372036854775807", "1", "STORE", "o"}, ":0"},
		{[]string{"EXISTS", "o"}, ":0"},
		{[]string{"SORT", "l", "LIMIT", "0", "1", "LIMIT", "9223372036854775808", "1"}, "-ERR value is not an integer or out of range"},
	}
	for _, tt := range tests {
		if got := c.do(tt.args...).flat(); got != tt.want {
			t.Errorf("%q = %s, want %s", tt.args, got, tt.want)
		}
	}
	stats := tcInfo(c.str("INFO", "stats"))
	if stats["keyspace_hits"] != "12" || stats["keyspace_misses"] != "4" {
		t.Errorf("keyspace hits %s, misses %s; Redis counts 12 and 4", stats["keyspace_hits"], stats["keyspace_misses"])
	}
	if d := tcInfo(c.str("INFO", "persistence"))["rdb_changes_since_last_save"]; d != "14" {
		t.Errorf("rdb_changes_since_last_save = %s; Redis counts 14", d)
	}

	// Many GET patterns: the reply (and the stored list) has one element
	// per pattern and element, and nothing more is allocated.
	const gets = 50000
	args := []string{"SORT", "l", "LIMIT", "-9223372036854775808", "9223372036854775807"}
	for i := 0; i < gets; i++ {
		args = append(args, "GET", "#")
	}
	v := c.do(args...)
	if len(v.Elems) != 3*gets || v.Elems[0].Str != "1" || v.Elems[3*gets-1].Str != "3" {
		t.Errorf("SORT with %d GET # replied %d elements", gets, len(v.Elems))
	}
	args = append(args, "STORE", "big")
	if n := c.integer(args...); n != 3*gets {
		t.Errorf("SORT … STORE with %d GET # = %d, want %d", gets, n, 3*gets)
	}
	if n := c.integer("LLEN", "big"); n != 3*gets {
		t.Errorf("LLEN big = %d, want %d", n, 3*gets)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 256<<20 {
		t.Errorf("the commands allocated %d bytes", grew)
	}
	if got := c.str("PING"); got != "PONG" {
		t.Errorf("PING = %q after the bad input", got)
	}
}

// TestCmdSortDirty checks SORT … STORE's weight in the dirty counter, as
// Redis's sortCommandGeneric adds it: the stored length, or 1 when an
// empty result deletes the destination, nothing when there was none.
func TestCmdSortDirty(t *testing.T) {
	srv := tcStart(t, Config{})
	c := tcDial(t, srv)
	dirty := func() int64 {
		n, err := strconv.ParseInt(tcInfo(c.str("INFO", "persistence"))["rdb_changes_since_last_save"], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	steps := []struct {
		args []string
		add  int64
	}{
		{[]string{"RPUSH", "l", "3", "1", "2"}, 3},
		{[]string{"SORT", "l"}, 0},
		{[]string{"SORT_RO", "l"}, 0},
		{[]string{"SORT", "l", "STORE", "d"}, 3},
		{[]string{"SORT", "l", "GET", "#", "GET", "x_*", "STORE", "d"}, 6},
		{[]string{"SORT", "l", "LIMIT", "5", "1", "STORE", "d"}, 1},
		{[]string{"SORT", "l", "LIMIT", "5", "1", "STORE", "d"}, 0},
		{[]string{"SORT", "missing", "STORE", "d"}, 0},
		{[]string{"ZADD", "z", "1", "a"}, 1},
		{[]string{"SORT", "z", "BY", "nosort"}, 0}, // the conversion to a skiplist is no change
	}
	for _, st := range steps {
		before := dirty()
		c.do(st.args...)
		if got := dirty() - before; got != st.add {
			t.Errorf("%q added %d to the dirty counter, want %d", st.args, got, st.add)
		}
	}
	if enc := c.str("OBJECT", "ENCODING", "z"); enc != "skiplist" {
		t.Errorf("OBJECT ENCODING z = %q after SORT, want skiplist", enc)
	}
}

// TestSortPartialSelects checks sortPartial (Redis's pqsort) against a
// full sort over random scores with many ties broken by the elements: the
// positions asked for hold the full sort's elements, for every size and
// range, including the ones outside the array Redis passes when LIMIT
// starts past the end.
func TestSortPartialSelects(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	texts := &sortTexts{}
	cmp := func(a, b sortItem) int {
		switch {
		case a.score < b.score:
			return -1
		case a.score > b.score:
			return 1
		}
		return bytes.Compare(texts.val(&a), texts.val(&b))
	}
	for n := 0; n <= 90; n++ {
		texts.vals = texts.vals[:0]
		base := make([]sortItem, n)
		for i := range base {
			from := len(texts.vals)
			texts.vals = strconv.AppendInt(texts.vals, int64(rng.IntN(1000)), 10)
			base[i] = sortItem{from: from, to: len(texts.vals), score: float64(rng.IntN(5))}
		}
		full := slices.Clone(base)
		slices.SortStableFunc(full, cmp)
		for trial := 0; trial < 20; trial++ {
			lo, hi := rng.IntN(n+2)-1, rng.IntN(n+2)-1
			if lo > hi {
				lo, hi = hi, lo
			}
			got := slices.Clone(base)
			sortPartial(got, 0, len(got), cmp, lo, hi)
			for i := max(lo, 0); i <= hi && i < n; i++ {
				if cmp(got[i], full[i]) != 0 {
					t.Fatalf("n %d, range [%d, %d]: position %d holds %q, want %q", n, lo, hi, i, texts.val(&got[i]), texts.val(&full[i]))
				}
			}
			if !sameItems(got, base) {
				t.Fatalf("n %d: sortPartial lost or duplicated items", n)
			}
		}
	}
}

// sameItems reports whether a and b hold the same items in any order.
func sameItems(a, b []sortItem) bool {
	key := func(x, y sortItem) int { return x.from - y.from }
	a, b = slices.Clone(a), slices.Clone(b)
	slices.SortFunc(a, key)
	slices.SortFunc(b, key)
	return slices.Equal(a, b)
}
