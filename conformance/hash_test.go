package conformance

import "testing"

// TestHashDirtyMatchesRedis checks that the hash commands weigh in the count
// of changes behind INFO's rdb_changes_since_last_save as Redis's do: HSET
// and HMSET one per pair given (new, updated or unchanged), HSETNX and the
// increments one when they write, HDEL one per field deleted (also when it
// deletes the key), and nothing for reads, failures or no-ops.
func TestHashDirtyMatchesRedis(t *testing.T) {
	redoubt, redis := startBoth(t)
	steps := [][]string{
		{"HSET", "h", "a", "1", "b", "2", "c", "3"},
		{"HSET", "h", "a", "1"},
		{"HSET", "h", "a", "9", "a", "8", "d", "4"},
		{"HMSET", "h", "e", "5", "f", "6"},
		{"HSETNX", "h", "a", "x"},
		{"HSETNX", "h", "g", "7"},
		{"HSETNX", "new", "g", "7"},
		{"HINCRBY", "h", "a", "5"},
		{"HINCRBY", "h", "a", "abc"},
		{"HINCRBY", "h", "a", "9223372036854775807"},
		{"HINCRBYFLOAT", "h", "z", "1.5"},
		{"HINCRBYFLOAT", "h", "z", "inf"},
		{"HINCRBYFLOAT", "h", "z", "1.5e308"},
		{"HINCRBYFLOAT", "h", "z", "1.5e4932"},
		{"HGET", "h", "a"},
		{"HGETALL", "h"},
		{"HRANDFIELD", "h", "-5", "WITHVALUES"},
		{"HSCAN", "h", "0"},
		{"HDEL", "h", "a", "b", "missing"},
		{"HDEL", "h", "missing"},
		{"HDEL", "missing", "a"},
		{"HSET", "s", "a", "1", "b", "2"},
		{"HDEL", "s", "a", "b", "c"},
		{"SET", "str", "v"},
		{"HSET", "str", "a", "1"},
		{"HDEL", "str", "a"},
		{"CONFIG", "SET", "hash-max-listpack-entries", "2"},
		{"HSET", "conv", "a", "1", "b", "2", "c", "3"},
		{"HDEL", "conv", "a", "b", "c"},
		{"CONFIG", "SET", "hash-max-listpack-entries", "512"},
	}
	for _, step := range steps {
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
