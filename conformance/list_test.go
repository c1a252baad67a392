package conformance

import "testing"

// TestListCountersMatchRedis runs every list command, on missing keys,
// lists and a string, and checks after each that the dirty counter and the
// keyspace hits and misses agree with Redis's: which lookups count as
// reads, and what each change weighs.
func TestListCountersMatchRedis(t *testing.T) {
	redoubt, redis := startBoth(t)
	steps := [][]string{
		{"CONFIG", "SET", "list-max-listpack-size", "2"},
		{"RPUSH", "l", "a", "b", "c", "d", "e"},
		{"LPUSH", "l", "z"},
		{"LPUSHX", "missing", "x"},
		{"RPUSHX", "l", "y", "y"},
		{"LLEN", "l"}, {"LLEN", "missing"},
		{"LRANGE", "l", "0", "-1"}, {"LRANGE", "missing", "0", "-1"},
		{"LINDEX", "l", "2"}, {"LINDEX", "missing", "0"}, {"LINDEX", "l", "abc"}, {"LINDEX", "missing", "abc"},
		{"LPOS", "l", "y"}, {"LPOS", "missing", "y"}, {"LPOS", "l", "y", "COUNT", "0"},
		{"LSET", "l", "0", "first"}, {"LSET", "l", "99", "x"}, {"LSET", "missing", "0", "x"}, {"LSET", "l", "abc", "x"},
		{"LINSERT", "l", "before", "c", "bc"}, {"LINSERT", "l", "after", "nope", "x"}, {"LINSERT", "missing", "after", "a", "x"},
		{"LREM", "l", "0", "y"}, {"LREM", "l", "1", "nope"}, {"LREM", "missing", "0", "a"},
		{"LPOP", "l"}, {"RPOP", "l", "2"}, {"LPOP", "l", "0"}, {"LPOP", "missing"}, {"RPOP", "missing", "3"},
		{"LMOVE", "l", "m", "left", "right"}, {"LMOVE", "l", "l", "right", "left"}, {"LMOVE", "missing", "m", "left", "left"},
		{"RPOPLPUSH", "l", "m"}, {"RPOPLPUSH", "missing", "m"},
		{"LMPOP", "3", "missing", "l", "m", "right", "COUNT", "2"}, {"LMPOP", "1", "missing", "left"},
		{"LTRIM", "l", "0", "-1"}, {"LTRIM", "l", "1", "-1"}, {"LTRIM", "missing", "0", "1"},
		{"SET", "s", "v"},
		{"LPUSH", "s", "x"}, {"LRANGE", "s", "0", "1"}, {"LLEN", "s"}, {"LPOP", "s"}, {"LMOVE", "l", "s", "left", "left"},
		{"LMPOP", "2", "missing", "s", "left"}, {"LPOS", "s", "x"}, {"LINDEX", "s", "0"},
		{"LTRIM", "l", "5", "1"}, {"LMPOP", "1", "m", "left", "COUNT", "100"},
		{"CONFIG", "SET", "list-max-listpack-size", "-2"},
	}
	fields := []struct{ section, name string }{
		{"persistence", "rdb_changes_since_last_save"},
		{"stats", "keyspace_hits"},
		{"stats", "keyspace_misses"},
	}
	for _, step := range steps {
		args := make([][]byte, len(step))
		for i, a := range step {
			args[i] = []byte(a)
		}
		for _, c := range []*client{redoubt, redis} {
			if _, err := c.do(args); err != nil {
				t.Fatalf("%q: %v", step, err)
			}
		}
		for _, f := range fields {
			want := infoField(t, redis, f.section, f.name)
			got := infoField(t, redoubt, f.section, f.name)
			if got != want {
				t.Fatalf("after %q: %s = %s, Redis says %s", step, f.name, got, want)
			}
		}
	}
}
