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

// TestMultiCommandStatsMatchRedis compares INFO commandstats after
// transactions on both servers: each queued command counts as a call of its
// own when EXEC runs it (failed when it replies an error), a command
// refused while queueing counts as rejected, and EXEC, MULTI and DISCARD
// count as Redis counts them, EXECABORT and a WATCH failure included.
func TestMultiCommandStatsMatchRedis(t *testing.T) {
	redoubt, redis := startBoth(t)
	script := [][]string{
		{"MULTI"}, {"SET", "a", "1"}, {"GET", "a"}, {"LPUSH", "a", "x"}, {"INCR", "a"}, {"EXEC"},
		{"MULTI"}, {"SET", "a"}, {"GET", "a"}, {"EXEC"},
		{"MULTI"}, {"GET", "a"}, {"DISCARD"},
		{"WATCH", "a"}, {"SET", "a", "2"}, {"MULTI"}, {"GET", "a"}, {"EXEC"},
		{"EXEC"}, {"DISCARD"}, {"EXEC", "x"}, {"MULTI"}, {"MULTI"}, {"WATCH", "a"}, {"EXEC"},
	}
	stats := func(c *client) map[string]string {
		v := mustDo(t, c, "INFO", "commandstats")
		out := map[string]string{}
		for _, line := range strings.Split(v.Str, "\r\n") {
			name, val, ok := strings.Cut(line, ":")
			if !ok || !strings.HasPrefix(name, "cmdstat_") {
				continue
			}
			// usec and usec_per_call are times: keep the counts.
			var counts []string
			for _, f := range strings.Split(val, ",") {
				if !strings.HasPrefix(f, "usec") {
					counts = append(counts, f)
				}
			}
			out[name] = strings.Join(counts, ",")
		}
		return out
	}
	var got [2]map[string]string
	for i, c := range []*client{redoubt, redis} {
		mustDo(t, c, "CONFIG", "RESETSTAT")
		for _, cmd := range script {
			if _, err := c.do(toBytes(cmd)); err != nil {
				t.Fatal(err)
			}
		}
		got[i] = stats(c)
		delete(got[i], "cmdstat_info")
		delete(got[i], "cmdstat_config|resetstat")
	}
	if got[1]["cmdstat_exec"] == "" || got[1]["cmdstat_set"] == "" {
		t.Fatalf("Redis's commandstats lack exec or set: %v", got[1])
	}
	for name, want := range got[1] {
		if got[0][name] != want {
			t.Errorf("%s: Redoubt %q, Redis %q", name, got[0][name], want)
		}
	}
	for name, v := range got[0] {
		if _, ok := got[1][name]; !ok {
			t.Errorf("%s: Redoubt %q, Redis has no such line", name, v)
		}
	}
}

// TestSameInvalidated: the random stream's fallback comparison of tracking
// messages accepts a different batching of the same keys and refuses a
// missing or different key.
func TestSameInvalidated(t *testing.T) {
	msg := func(keys ...string) string {
		v := Value{Kind: '>', Elems: []Value{{Kind: '$', Str: "invalidate"}, {Kind: '*'}}}
		for _, k := range keys {
			v.Elems[1].Elems = append(v.Elems[1].Elems, Value{Kind: '$', Str: k})
		}
		return v.String()
	}
	one := []string{msg("a", "b"), msg("c")}
	if !sameInvalidated(one, []string{msg("a"), msg("b"), msg("c"), msg("c")}) {
		t.Error("the same keys in other messages were refused")
	}
	if sameInvalidated(one, []string{msg("a", "b")}) {
		t.Error("a missing key was accepted")
	}
	if sameInvalidated(one, []string{msg("a", "b"), msg("d")}) {
		t.Error("a different key was accepted")
	}
}
