package conformance

import "testing"

// TestDirtyCounterSetsMatchRedis checks the set commands' weight in the
// dirty counter (rdb_changes_since_last_save) against Redis after each
// step: members added and removed, SMOVE's one or two keys, SPOP's count,
// the STORE commands' one per stored or deleted destination, and the steps
// that change nothing.
func TestDirtyCounterSetsMatchRedis(t *testing.T) {
	redoubt, redis := startBoth(t)
	steps := [][]string{
		{"SADD", "s", "a", "b", "c"},
		{"SADD", "s", "a", "d"},
		{"SADD", "s", "a"},
		{"SREM", "s", "a", "b", "zz"},
		{"SREM", "s", "zz"},
		{"SREM", "missing", "a"},
		{"SMOVE", "s", "t", "c"},
		{"SMOVE", "s", "t", "c"},
		{"SADD", "s", "c"},
		{"SMOVE", "s", "t", "c"},
		{"SMOVE", "t", "t", "c"},
		{"SADD", "n", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"},
		{"SPOP", "n"},
		{"SPOP", "n", "0"},
		{"SPOP", "n", "2"},
		{"SPOP", "n", "6"},
		{"SPOP", "n", "100"},
		{"SPOP", "n", "100"},
		{"SADD", "n", "1", "2", "3"},
		{"SADD", "m", "3", "4"},
		{"SINTERSTORE", "dst", "n", "m"},
		{"SINTERSTORE", "dst", "n", "missing"},
		{"SINTERSTORE", "dst", "n", "missing"},
		{"SUNIONSTORE", "dst", "n", "m"},
		{"SDIFFSTORE", "dst", "n", "n"},
		{"SDIFFSTORE", "dst", "n", "n"},
		{"SDIFFSTORE", "dst", "n", "m"},
		{"SINTERSTORE", "dst", "n", "m", "d2"},
		{"SUNIONSTORE", "dst", "missing"},
		{"SUNIONSTORE", "dst", "missing"},
		{"SINTER", "n", "m"},
		{"SRANDMEMBER", "n", "-5"},
		{"SPOP", "n", "1"},
		{"SPOP", "n"},
		{"SPOP", "n"},
		{"SPOP", "n"},
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
