package conformance

import "testing"

// TestDirtyCounterZSetsMatchRedis checks the sorted set commands' weight in
// the dirty counter (rdb_changes_since_last_save) against Redis after each
// step, and the keyspace hits and misses their lookups count: members
// added and updated, removed, popped, the range removals, the STORE
// commands' one per stored or deleted destination, and the steps that
// change nothing.
func TestDirtyCounterZSetsMatchRedis(t *testing.T) {
	redoubt, redis := startBoth(t)
	steps := [][]string{
		{"ZADD", "z", "1", "a", "2", "b", "3", "c"},
		{"ZADD", "z", "1", "a", "5", "b", "4", "d"},
		{"ZADD", "z", "NX", "9", "a", "9", "e"},
		{"ZADD", "z", "XX", "CH", "9", "a", "9", "f"},
		{"ZADD", "z", "GT", "1", "a"},
		{"ZADD", "z", "INCR", "1", "a"},
		{"ZADD", "z", "INCR", "0", "a"},
		{"ZINCRBY", "z", "2", "b"},
		{"ZINCRBY", "z", "0", "b"},
		{"ZADD", "inf", "+inf", "x"},
		{"ZINCRBY", "inf", "-inf", "x"},
		{"ZREM", "z", "a", "zz", "b"},
		{"ZREM", "z", "zz"},
		{"ZREM", "missing", "a"},
		{"ZADD", "r", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f"},
		{"ZREMRANGEBYRANK", "r", "0", "1"},
		{"ZREMRANGEBYRANK", "r", "10", "20"},
		{"ZREMRANGEBYSCORE", "r", "3", "(5"},
		{"ZREMRANGEBYLEX", "r", "-", "+"},
		{"ZADD", "p", "1", "a", "2", "b", "3", "c"},
		{"ZPOPMIN", "p"},
		{"ZPOPMAX", "p", "0"},
		{"ZPOPMAX", "p", "5"},
		{"ZPOPMIN", "p"},
		{"ZADD", "p", "1", "a", "2", "b", "3", "c"},
		{"ZMPOP", "2", "missing", "p", "MIN", "COUNT", "2"},
		{"ZMPOP", "1", "p", "MAX", "COUNT", "9"},
		{"ZADD", "a", "1", "x", "2", "y"},
		{"ZADD", "b", "3", "y", "4", "w"},
		{"ZUNIONSTORE", "dst", "2", "a", "b"},
		{"ZINTERSTORE", "dst", "2", "a", "b"},
		{"ZINTERSTORE", "dst", "2", "a", "missing"},
		{"ZINTERSTORE", "dst", "2", "a", "missing"},
		{"ZDIFFSTORE", "dst", "2", "a", "a"},
		{"ZRANGESTORE", "dst", "a", "0", "-1"},
		{"ZRANGESTORE", "dst", "a", "5", "10"},
		{"ZRANGESTORE", "dst", "a", "5", "10"},
		{"ZRANGESTORE", "dst", "missing", "0", "-1"},
		{"ZUNION", "2", "a", "b"},
		{"ZRANGE", "a", "0", "-1"},
		{"ZSCORE", "a", "x"},
		{"ZSCORE", "missing", "x"},
		{"ZRANDMEMBER", "a", "-5"},
		{"ZRANDMEMBER", "a", "0"},
		{"ZRANDMEMBER", "missing", "3"},
		{"ZSCAN", "a", "0"},
		{"ZCARD", "a"},
		{"ZMSCORE", "a", "x", "q"},
		{"ZCOUNT", "a", "-inf", "+inf"},
		{"ZRANK", "a", "x"},
		{"ZINTERCARD", "2", "a", "b"},
	}
	for _, step := range steps {
		for _, c := range []*client{redoubt, redis} {
			mustDo(t, c, step...)
		}
		for _, f := range [][2]string{{"persistence", "rdb_changes_since_last_save"}, {"stats", "keyspace_hits"}, {"stats", "keyspace_misses"}} {
			want := infoField(t, redis, f[0], f[1])
			got := infoField(t, redoubt, f[0], f[1])
			if got != want {
				t.Fatalf("after %q: %s = %s, Redis says %s", step, f[1], got, want)
			}
		}
	}
}
