package conformance

import (
	"strings"
	"testing"
	"time"
)

// infoField returns the value of one field of an INFO section.
func infoField(t *testing.T, c *client, section, name string) string {
	t.Helper()
	v := mustDo(t, c, "INFO", section)
	for _, line := range strings.Split(v.Str, "\r\n") {
		if k, val, ok := strings.Cut(line, ":"); ok && k == name {
			return val
		}
	}
	t.Fatalf("INFO %s has no field %s", section, name)
	return ""
}

// TestDirtyCounterMatchesRedis checks the change log's first consumer, the
// count behind INFO's rdb_changes_since_last_save, against Redis: after
// each command of a sequence that exercises every kind of change (writes,
// deletes, deadlines, lazy expiry, renames, moves, copies, flushes, swaps,
// and commands that change nothing), both servers report the same count.
func TestDirtyCounterMatchesRedis(t *testing.T) {
	redoubt, redis := startBoth(t)
	steps := [][]string{
		{"SET", "s", "v"},
		{"SET", "s", "v", "NX"},
		{"SET", "s", "w", "XX", "EX", "100"},
		{"MSET", "a", "1", "b", "2", "a", "3"},
		{"MSETNX", "a", "1", "z", "2"},
		{"MSETNX", "c", "1", "d", "2"},
		{"INCR", "a"},
		{"INCRBY", "s", "1"},
		{"INCRBYFLOAT", "a", "1.5"},
		{"APPEND", "s", "x"},
		{"APPEND", "new", "x"},
		{"SETRANGE", "s", "0", ""},
		{"SETRANGE", "s", "1", "yy"},
		{"GETSET", "s", "v"},
		{"SETNX", "s", "v"},
		{"SETNX", "e", "v"},
		{"GETDEL", "e"},
		{"GETDEL", "e"},
		{"GETEX", "s", "PX", "100000"},
		{"GETEX", "s", "PERSIST"},
		{"GETEX", "s", "PERSIST"},
		{"GET", "s"},
		{"EXPIRE", "s", "100"},
		{"EXPIRE", "s", "100", "NX"},
		{"PERSIST", "s"},
		{"PERSIST", "s"},
		{"EXPIRE", "b", "-1"},
		{"DEL", "a", "missing", "c"},
		{"RENAME", "s", "t"},
		{"RENAMENX", "t", "d"},
		{"RENAME", "t", "t"},
		{"COPY", "t", "t2"},
		{"COPY", "t", "t2"},
		{"COPY", "t", "t2", "DB", "1", "REPLACE"},
		{"MOVE", "t2", "2"},
		{"MOVE", "t", "1"},
		{"SWAPDB", "0", "2"},
		{"SWAPDB", "3", "3"},
		{"SET", "short", "v", "PX", "1"},
		{"SLEEP"},
		{"GET", "short"},
		{"FLUSHDB"},
		{"FLUSHDB"},
		{"SELECT", "1"},
		{"SET", "x", "1"},
		{"FLUSHALL"},
		{"FLUSHALL"},
	}
	for _, step := range steps {
		if step[0] == "SLEEP" {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		for _, c := range []*client{redoubt, redis} {
			mustDo(t, c, step...)
		}
		want := infoField(t, redis, "persistence", "rdb_changes_since_last_save")
		got := infoField(t, redoubt, "persistence", "rdb_changes_since_last_save")
		if got != want {
			t.Fatalf("after %q: rdb_changes_since_last_save = %s, Redis says %s", step, got, want)
		}
	}
}
