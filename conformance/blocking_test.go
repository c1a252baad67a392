package conformance

import (
	"strconv"
	"testing"
	"time"
)

// TestBlockedServeMatchesRedis blocks clients on both servers, makes their
// keys ready with another client's commands, and compares, for each case,
// every reply (the waiters' and the pusher's), how much the serve adds to
// the dirty counter (INFO rdb_changes_since_last_save), which Redis 7.0
// counts differently for each blocking command once it is served, and the
// keyspace hits and misses (a serve counts none).
// testdata/blocking_clients.txt compares more situations reply by reply;
// this adds the counter and clients that block in a chosen order.
func TestBlockedServeMatchesRedis(t *testing.T) {
	redoubt, redis := startBoth(t)
	cases := []struct {
		name    string
		setup   [][]string // run first by the pushing client
		blocks  [][]string // one waiter each, blocked in this order
		trigger [][]string // then run by the pushing client
	}{
		{"blpop", nil, [][]string{{"BLPOP", "q", "0"}, {"BRPOP", "q", "0"}}, [][]string{{"RPUSH", "q", "a", "b", "c"}}},
		{"blmpop", nil, [][]string{{"BLMPOP", "0", "2", "x", "q", "LEFT", "COUNT", "2"}, {"BLMPOP", "0", "1", "q", "RIGHT", "COUNT", "5"}},
			[][]string{{"RPUSH", "q", "a", "b", "c"}}},
		{"blmove", nil, [][]string{{"BLMOVE", "s", "d", "LEFT", "RIGHT", "0"}, {"BRPOPLPUSH", "d", "e", "0"}},
			[][]string{{"RPUSH", "s", "a", "b"}, {"LRANGE", "d", "0", "-1"}, {"LRANGE", "e", "0", "-1"}}},
		{"blmove-wrongtype", [][]string{{"SET", "str", "v"}}, [][]string{{"BLMOVE", "s", "str", "LEFT", "LEFT", "0"}, {"BLPOP", "s", "0"}},
			[][]string{{"RPUSH", "s", "a"}}},
		{"bzpop", nil, [][]string{{"BZPOPMIN", "z", "0"}, {"BZPOPMAX", "z", "0"}, {"BZMPOP", "0", "1", "z", "MIN", "COUNT", "9"}},
			[][]string{{"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"}}},
		{"rename", [][]string{{"RPUSH", "src", "1", "2"}}, [][]string{{"BLPOP", "dst", "0"}},
			[][]string{{"RENAME", "src", "dst"}, {"LRANGE", "dst", "0", "-1"}}},
		{"swapdb", [][]string{{"SELECT", "3"}, {"RPUSH", "sw", "1"}, {"SELECT", "0"}}, [][]string{{"BLPOP", "sw", "0"}},
			[][]string{{"SWAPDB", "0", "3"}}},
		{"no-block", [][]string{{"RPUSH", "q", "a", "b", "c", "d", "e", "f"}, {"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"}, {"SET", "s", "v"}}, nil,
			[][]string{{"BLPOP", "x", "q", "0"}, {"BRPOP", "q", "0"}, {"BLMPOP", "0", "2", "x", "q", "LEFT", "COUNT", "1"},
				{"BLMOVE", "q", "d", "LEFT", "LEFT", "0"}, {"BLMOVE", "q", "s", "LEFT", "LEFT", "0"}, {"BLPOP", "x", "s", "0"},
				{"BZPOPMIN", "x", "z", "0"}, {"BZPOPMAX", "z", "0"}, {"BZMPOP", "0", "1", "z", "MIN", "COUNT", "3"},
				{"BZPOPMIN", "s", "0"}, {"BLPOP", "x", "0.001"}, {"BZMPOP", "0.001", "2", "x", "y", "MAX"}}},
		{"pipeline", nil, [][]string{{"BLPOP", "p", "0"}}, [][]string{{"LPUSH", "p", "a"}, {"LPUSH", "p", "b"}, {"LPOP", "p"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got [2][]string
			for i, c := range []*client{redoubt, redis} {
				mustDo(t, c, "FLUSHALL")
				for _, cmd := range tc.setup {
					mustDo(t, c, cmd...)
				}
				var waiters []*client
				for n, cmd := range tc.blocks {
					w := newClient(t, c.addr)
					if err := w.ensure(); err != nil {
						t.Fatal(err)
					}
					if _, err := w.nc.Write(encodeCommand(toBytes(cmd))); err != nil {
						t.Fatal(err)
					}
					waitBlocked(t, c, n+1)
					waiters = append(waiters, w)
				}
				before := dirtyCount(t, c)
				hits, misses := infoField(t, c, "stats", "keyspace_hits"), infoField(t, c, "stats", "keyspace_misses")
				for _, cmd := range tc.trigger {
					got[i] = append(got[i], mustDo(t, c, cmd...).String())
				}
				for _, w := range waiters {
					w.nc.SetReadDeadline(time.Now().Add(replyTimeout))
					v, err := readValue(w.r)
					if err != nil {
						t.Fatalf("waiter: %v", err)
					}
					got[i] = append(got[i], v.String())
					w.drop()
				}
				got[i] = append(got[i], "dirty +"+strconv.FormatInt(dirtyCount(t, c)-before, 10),
					"keyspace hits "+hits+" → "+infoField(t, c, "stats", "keyspace_hits"),
					"keyspace misses "+misses+" → "+infoField(t, c, "stats", "keyspace_misses"))
				waitBlocked(t, c, 0)
			}
			for j := range max(len(got[0]), len(got[1])) {
				var a, b string
				if j < len(got[0]) {
					a = got[0][j]
				}
				if j < len(got[1]) {
					b = got[1][j]
				}
				if a != b {
					t.Errorf("reply %d: Redoubt %q, Redis %q", j, a, b)
				}
			}
		})
	}
}

func toBytes(args []string) [][]byte {
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	return b
}

func dirtyCount(t *testing.T, c *client) int64 {
	t.Helper()
	n, err := strconv.ParseInt(infoField(t, c, "persistence", "rdb_changes_since_last_save"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// waitBlocked waits until the server reports n blocked clients.
func waitBlocked(t *testing.T, c *client, n int) {
	t.Helper()
	want := strconv.Itoa(n)
	deadline := time.Now().Add(5 * time.Second)
	for infoField(t, c, "clients", "blocked_clients") != want {
		if time.Now().After(deadline) {
			t.Fatalf("blocked_clients never reached %d", n)
		}
		time.Sleep(time.Millisecond)
	}
}
