package conformance

import (
	"strconv"
	"testing"
	"time"
)

// TestSortStoreLazyfreeMatchesRedis checks that SORT … STORE frees the
// value it replaces, and the one an empty result deletes, as Redis's
// dbOverwrite and dbDelete do: in the background when it is big (a list
// of many nodes) and lazyfree-lazy-server-del is set, which shows in
// INFO's lazyfreed_objects.
func TestSortStoreLazyfreeMatchesRedis(t *testing.T) {
	redoubt, redis := startBoth(t)
	// Lists of many nodes, pushed under a small list-max-listpack-size
	// (SORT's own lists are built in 8 KiB nodes whatever it says).
	big := func(key string) []string {
		cmd := []string{"RPUSH", key}
		for i := 0; i < 400; i++ {
			cmd = append(cmd, strconv.Itoa(i))
		}
		return cmd
	}
	cmds := [][]string{
		{"CONFIG", "SET", "list-max-listpack-size", "2"},
		{"RPUSH", "src", "3", "1", "2"},
		big("big1"),
		{"SORT", "src", "STORE", "big1"}, // not lazy: lazyfree-lazy-server-del is no
		big("big2"),
		big("big3"),
		{"CONFIG", "SET", "lazyfree-lazy-server-del", "yes"},
		{"SORT", "src", "STORE", "big2"},
		{"SORT", "missing", "STORE", "big3"},
		{"SORT", "src", "STORE", "big2"}, // a small list: freed at once
		{"CONFIG", "SET", "lazyfree-lazy-server-del", "no"},
		{"CONFIG", "SET", "list-max-listpack-size", "-2"},
	}
	counts := func(c *client) string {
		for _, cmd := range cmds {
			if v := mustDo(t, c, cmd...); v.Kind == '-' {
				t.Fatalf("%q: %s", cmd, v.Str)
			}
		}
		for range 100 {
			if infoField(t, c, "memory", "lazyfree_pending_objects") == "0" {
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
