package conformance

import (
	"strings"
	"testing"
)

// TestMultiClientInfoMatchesRedis compares what CLIENT INFO reports about a
// transaction on both servers: the flags (x in MULTI, d once a watched key
// changed), multi (the commands queued, -1 outside MULTI) and multi-mem
// (the queued arguments, the queue's slots and the watched keys, as Redis
// counts them), step by step.
func TestMultiClientInfoMatchesRedis(t *testing.T) {
	redoubt, redis := startBoth(t)
	steps := [][]string{
		{"WATCH", "a", "b", "c"},
		{"WATCH", "a"}, // watched already: no more memory
		{"MULTI"},
		{"SET", "a", "1"},
		{"SET", "key-with-a-longer-name", strings.Repeat("v", 100)},
		{"INCR", "a"},
		{"MGET", "a", "b", "c", "d", "e"},
		{"LPUSH", "l", "1", "2", "3"},
		{"DISCARD"},
		{"WATCH", "a"},
		{"SET", "a", "2"}, // the client's own change makes it dirty
		{"MULTI"},
		{"SET", "b", "1"}, // queued into a doomed transaction: not kept
		{"EXEC"},
		{"MULTI"},
		{"NOSUCH"}, // a queue-time error: the rest is not kept either
		{"SET", "c", "1"},
		{"EXEC"},
	}
	fields := []string{"flags", "multi", "multi-mem"}
	// The figures come from a second connection, which sees the first one's
	// state in CLIENT LIST.
	for _, step := range steps {
		var got [2]string
		for i, c := range []*client{redoubt, redis} {
			if _, err := c.do(toBytes(step)); err != nil {
				t.Fatal(err)
			}
			other := newClient(t, c.addr)
			list := mustDo(t, other, "CLIENT", "LIST")
			other.drop()
			for _, line := range strings.Split(list.Str, "\n") {
				if !strings.Contains(line, "cmd=client|list") && line != "" {
					got[i] = pickFields(line, fields)
				}
			}
		}
		if got[0] != got[1] {
			t.Errorf("after %q: Redoubt reports %s, Redis %s", step, got[0], got[1])
		}
	}
}

// pickFields returns the named fields of a CLIENT LIST line, in order.
func pickFields(line string, names []string) string {
	var out []string
	for _, f := range strings.Fields(line) {
		name, _, _ := strings.Cut(f, "=")
		for _, n := range names {
			if n == name {
				out = append(out, f)
			}
		}
	}
	return strings.Join(out, " ")
}
