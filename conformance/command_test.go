package conformance

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/keyspec"
	"github.com/redoubt-db/redoubt/server"
)

// The command table against Redis's: for every command and subcommand that
// Redoubt registers, COMMAND INFO must be Redis's byte for byte, and COMMAND
// DOCS must state the same facts (since, group, history, arguments,
// deprecation).
// This runs over whatever the table holds, so a new table entry is checked
// the moment it is registered; failures name the command, the field, what
// Redis says and what Redoubt says.

// redoubtOnly lists commands Redoubt has on purpose although Redis 7.0 has
// not; any other command Redis does not know is reported.
var redoubtOnly = map[string]bool{
	// Redis 7.2 additions that clients use: go-redis sends CLIENT SETINFO
	// on every connection.
	"client|setinfo":  true,
	"client|no-touch": true,
	// Redoubt's own: the security audit (issue 10).
	"security":       true,
	"security|audit": true,
	"security|help":  true,
}

// comparableSubs restricts two subcommand name lists to what both can be
// held to: Redis's subcommands that Redoubt implements, and Redoubt's
// subcommands except the deliberate additions. A container may lack some of
// Redis's subcommands (they arrive with later work); it may not have any
// that Redis lacks unless they are listed in redoubtOnly.
func comparableSubs(redis, redoubt []string) (want, got []string) {
	for _, n := range redis {
		if slices.Contains(redoubt, n) {
			want = append(want, n)
		}
	}
	for _, n := range redoubt {
		if !redoubtOnly[n] {
			got = append(got, n)
		}
	}
	return want, got
}

// knownTableDifferences are differences from Redis that are known and owned
// elsewhere, keyed by the start of the difference's message (up to ": want")
// and giving who fixes it. A listed difference that no longer occurs fails
// the test, so the list cannot go stale.
var knownTableDifferences = map[string]string{}

// startBoth starts a Redoubt and a redis-server for one test, and returns a
// client of each.
func startBoth(t *testing.T) (redoubt, redis *client) {
	t.Helper()
	bin := requireTool(t, "redis-server")
	srv := startRedoubt(t)
	rs, err := startRedis(bin, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rs.stop)
	return newClient(t, srv.Addr()), newClient(t, rs.addr)
}

// newClient returns a client of addr whose connection, once made, is closed
// when the test ends.
func newClient(t *testing.T, addr string) *client {
	c := &client{addr: addr}
	t.Cleanup(c.drop)
	return c
}

// mustDo sends a command and fails the test on a network error.
func mustDo(t *testing.T, c *client, args ...string) Value {
	t.Helper()
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	v, err := c.do(b)
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return v
}

// commandNames returns COMMAND LIST's names: every command and subcommand.
func commandNames(t *testing.T, c *client) []string {
	t.Helper()
	v := mustDo(t, c, "COMMAND", "LIST")
	if v.Kind != '*' {
		t.Fatalf("COMMAND LIST = %s, want an array", v)
	}
	var names []string
	for _, e := range v.Elems {
		names = append(names, e.Str)
	}
	return names
}

// TestCommandTableMatchesRedis compares COMMAND INFO and COMMAND DOCS of
// every command Redoubt registers with Redis's, in RESP2 and, once Redoubt
// speaks it, RESP3.
func TestCommandTableMatchesRedis(t *testing.T) {
	redoubt, redis := startBoth(t)
	for _, proto := range []string{"2", "3"} {
		t.Run("RESP"+proto, func(t *testing.T) {
			// HELLO 3 holds for its connection only: each protocol
			// gets new clients of the same two servers.
			redoubt, redis := newClient(t, redoubt.addr), newClient(t, redis.addr)
			names := commandNames(t, redoubt)
			if proto == "3" {
				if v := mustDo(t, redoubt, "HELLO", "3"); v.Kind == '-' {
					t.Skipf("Redoubt does not speak RESP3 yet (HELLO 3: %s)", v.Str)
				}
				mustDo(t, redis, "HELLO", "3")
			}
			var problems []string
			known := map[string]bool{}
			for _, name := range names {
				for _, p := range append(compareInfo(t, name, redoubt, redis), compareDocs(t, name, redoubt, redis)...) {
					if key, _, _ := strings.Cut(p, ": want"); knownTableDifferences[key] != "" {
						known[key] = true
						continue
					}
					problems = append(problems, p)
				}
			}
			for key, owner := range knownTableDifferences {
				if !known[key] {
					problems = append(problems, fmt.Sprintf("%q is listed in knownTableDifferences (%s) but no longer differs: remove it", key, owner))
				}
			}
			if len(problems) > 0 {
				t.Errorf("%d differences between Redoubt's command table and Redis's (RESP%s):\n%s",
					len(problems), proto, strings.Join(problems, "\n"))
			}
		})
	}
}

// infoFields names the ten fields of a COMMAND INFO entry.
var infoFields = []string{"name", "arity", "flags", "first key", "last key", "key step",
	"ACL categories", "tips", "key specs", "subcommands"}

// compareInfo compares COMMAND INFO name on both servers and describes every
// difference.
func compareInfo(t *testing.T, name string, redoubt, redis *client) []string {
	want := mustDo(t, redis, "COMMAND", "INFO", name)
	got := mustDo(t, redoubt, "COMMAND", "INFO", name)
	if len(want.Elems) != 1 || len(got.Elems) != 1 {
		return []string{fmt.Sprintf("%s: COMMAND INFO: want one entry, Redis sent %s and Redoubt %s", name, compact(want), compact(got))}
	}
	w, g := canonicalInfo(want.Elems[0]), canonicalInfo(got.Elems[0])
	if w.Null || w.Kind == '_' {
		if redoubtOnly[name] {
			return nil
		}
		return []string{fmt.Sprintf("%s: not a Redis 7.0 command (add it to redoubtOnly if that is deliberate)", name)}
	}
	if w.String() == g.String() {
		return nil
	}
	var out []string
	tolerated := false
	if len(w.Elems) != len(infoFields) || len(g.Elems) != len(infoFields) {
		return []string{fmt.Sprintf("%s: INFO: want %s, got %s", name, compact(w), compact(g))}
	}
	for i, field := range infoFields {
		we, ge := w.Elems[i], g.Elems[i]
		if we.String() == ge.String() {
			continue
		}
		switch field {
		case "key specs":
			out = append(out, diffList(name+": INFO key specs", we, ge)...)
		case "subcommands":
			// Each subcommand is compared on its own; here only the set.
			wn, gn := comparableSubs(subNames(we), subNames(ge))
			if !slices.Equal(wn, gn) || we.Kind != ge.Kind {
				out = append(out, fmt.Sprintf("%s: INFO subcommands: want %s %q, got %s %q", name, kindName(we), wn, kindName(ge), gn))
			} else {
				tolerated = true
			}
		default:
			out = append(out, fmt.Sprintf("%s: INFO %s: want %s, got %s", name, field, compact(we), compact(ge)))
		}
	}
	if len(out) == 0 && !tolerated {
		out = append(out, fmt.Sprintf("%s: INFO differs:\n--- want (Redis)\n%s--- got\n%s", name, w, g))
	}
	return out
}

// canonicalInfo orders the subcommands of an INFO entry by name, since
// Redis lists them in hash table order, which changes between runs.
func canonicalInfo(v Value) Value {
	if v.Null || len(v.Elems) != len(infoFields) {
		return v
	}
	out := v
	out.Elems = slices.Clone(v.Elems)
	subs := out.Elems[9]
	subs.Elems = slices.Clone(subs.Elems)
	for i := range subs.Elems {
		subs.Elems[i] = canonicalInfo(subs.Elems[i])
	}
	slices.SortFunc(subs.Elems, func(a, b Value) int { return strings.Compare(infoName(a), infoName(b)) })
	out.Elems[9] = subs
	return out
}

func infoName(v Value) string {
	if len(v.Elems) > 0 {
		return v.Elems[0].Str
	}
	return ""
}

func subNames(v Value) []string {
	var names []string
	for _, e := range v.Elems {
		names = append(names, infoName(e))
	}
	return names
}

// docsIgnored are the COMMAND DOCS fields that are Redis's documentation
// rather than facts about the command: Redoubt writes its own summaries and
// complexities. The history is compared: each entry names the Redis version
// that changed the command and what it changed, which clients and redis-cli
// show, so Redoubt reports Redis's entries (server/history.go) and a
// command registered without them, or with other ones, is reported.
var docsIgnored = map[string]bool{"summary": true, "complexity": true, "doc_flags": true}

// compareDocs compares the facts of COMMAND DOCS name on both servers, and
// checks that Redoubt's summary is not Redis's.
func compareDocs(t *testing.T, name string, redoubt, redis *client) []string {
	want := mustDo(t, redis, "COMMAND", "DOCS", name)
	got := mustDo(t, redoubt, "COMMAND", "DOCS", name)
	wp, gp := pairs(want), pairs(got)
	if len(wp) != 1 || len(gp) != 1 {
		if len(wp) == 0 && len(gp) == 1 {
			return nil // not a Redis command: compareInfo reports it
		}
		return []string{fmt.Sprintf("%s: COMMAND DOCS: want one entry, Redis sent %s and Redoubt %s", name, compact(want), compact(got))}
	}
	var out []string
	if ws, gs := field(wp[0].v, "summary"), field(gp[0].v, "summary"); ws != nil && gs != nil && sameText(ws.Str, gs.Str) {
		out = append(out, fmt.Sprintf("%s: DOCS summary %q is Redis's text; write our own", name, gs.Str))
	}
	return append(out, diffDocs(name+": DOCS", wp[0].v, gp[0].v)...)
}

// sameText reports whether two summaries are the same words, ignoring case,
// blanks and a final period.
func sameText(a, b string) bool {
	norm := func(s string) string {
		return strings.Join(strings.Fields(strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")), " ")
	}
	return norm(a) == norm(b)
}

// diffDocs compares two COMMAND DOCS maps without their documentation
// fields: the same fields in the same order, with the same values;
// arguments and subcommands are compared element by element.
func diffDocs(path string, want, got Value) []string {
	var out []string
	if want.Kind != got.Kind {
		out = append(out, fmt.Sprintf("%s: want a %s, got a %s", path, kindName(want), kindName(got)))
	}
	wp, gp := factPairs(want), factPairs(got)
	if wk, gk := pairKeys(wp), pairKeys(gp); !slices.Equal(wk, gk) {
		out = append(out, fmt.Sprintf("%s: fields: want %q, got %q", path, wk, gk))
	}
	for _, w := range wp {
		g := lookupPair(gp, w.k)
		if g == nil {
			continue // reported with the field list
		}
		switch w.k {
		case "arguments":
			out = append(out, diffArgs(path+" arguments", w.v, *g)...)
		case "subcommands":
			out = append(out, diffSubDocs(path, w.v, *g)...)
		default:
			if w.v.String() != g.String() {
				out = append(out, fmt.Sprintf("%s %s: want %s, got %s", path, w.k, compact(w.v), compact(*g)))
			}
		}
	}
	return out
}

// diffArgs compares two argument lists of COMMAND DOCS.
func diffArgs(path string, want, got Value) []string {
	if want.Kind != got.Kind {
		return []string{fmt.Sprintf("%s: want a %s, got a %s", path, kindName(want), kindName(got))}
	}
	var out []string
	if len(want.Elems) != len(got.Elems) {
		out = append(out, fmt.Sprintf("%s: want %d arguments %q, got %d %q", path,
			len(want.Elems), argNames(want), len(got.Elems), argNames(got)))
	}
	for i := 0; i < min(len(want.Elems), len(got.Elems)); i++ {
		w, g := want.Elems[i], got.Elems[i]
		p := fmt.Sprintf("%s[%d] %q", path, i, argName(w))
		if w.Kind != g.Kind {
			out = append(out, fmt.Sprintf("%s: want a %s, got a %s", p, kindName(w), kindName(g)))
		}
		wp, gp := pairs(w), pairs(g)
		if wk, gk := pairKeys(wp), pairKeys(gp); !slices.Equal(wk, gk) {
			out = append(out, fmt.Sprintf("%s: fields: want %q, got %q", p, wk, gk))
		}
		for _, f := range wp {
			gv := lookupPair(gp, f.k)
			switch {
			case gv == nil:
			case f.k == "arguments":
				out = append(out, diffArgs(p+" arguments", f.v, *gv)...)
			case f.v.String() != gv.String():
				out = append(out, fmt.Sprintf("%s %s: want %s, got %s", p, f.k, compact(f.v), compact(*gv)))
			}
		}
	}
	return out
}

// diffSubDocs compares the subcommands of two DOCS maps by name (Redis lists
// them in hash table order).
func diffSubDocs(path string, want, got Value) []string {
	wp, gp := pairs(want), pairs(got)
	var out []string
	if wk, gk := comparableSubs(sortedKeys(wp), sortedKeys(gp)); !slices.Equal(wk, gk) || want.Kind != got.Kind {
		out = append(out, fmt.Sprintf("%s subcommands: want %s %q, got %s %q", path, kindName(want), wk, kindName(got), gk))
	}
	for _, w := range wp {
		if g := lookupPair(gp, w.k); g != nil {
			out = append(out, diffDocs(path+" subcommand "+w.k, w.v, *g)...)
		}
	}
	return out
}

// diffList compares two lists element by element.
func diffList(path string, want, got Value) []string {
	if want.Kind != got.Kind || len(want.Elems) != len(got.Elems) {
		return []string{fmt.Sprintf("%s: want %s, got %s", path, compact(want), compact(got))}
	}
	var out []string
	for i := range want.Elems {
		if want.Elems[i].String() != got.Elems[i].String() {
			out = append(out, fmt.Sprintf("%s[%d]: want %s, got %s", path, i, compact(want.Elems[i]), compact(got.Elems[i])))
		}
	}
	return out
}

// pair is one (name, value) of a map reply, RESP3 map or RESP2 flat array.
type pair struct {
	k string
	v Value
}

func pairs(v Value) []pair {
	var out []pair
	for i := 0; i+1 < len(v.Elems); i += 2 {
		out = append(out, pair{v.Elems[i].Str, v.Elems[i+1]})
	}
	return out
}

// factPairs are a DOCS map's pairs less the documentation fields.
func factPairs(v Value) []pair {
	var out []pair
	for _, p := range pairs(v) {
		if !docsIgnored[p.k] {
			out = append(out, p)
		}
	}
	return out
}

func pairKeys(ps []pair) []string {
	var keys []string
	for _, p := range ps {
		keys = append(keys, p.k)
	}
	return keys
}

func sortedKeys(ps []pair) []string {
	keys := pairKeys(ps)
	slices.Sort(keys)
	return keys
}

func lookupPair(ps []pair, k string) *Value {
	for i := range ps {
		if ps[i].k == k {
			return &ps[i].v
		}
	}
	return nil
}

func field(v Value, k string) *Value { return lookupPair(pairs(v), k) }

func argName(v Value) string {
	if f := field(v, "name"); f != nil {
		return f.Str
	}
	return "?"
}

func argNames(v Value) []string {
	var names []string
	for _, e := range v.Elems {
		names = append(names, argName(e))
	}
	return names
}

func kindName(v Value) string {
	switch v.Kind {
	case '*':
		return "array"
	case '%':
		return "map"
	case '~':
		return "set"
	}
	return "reply of type " + string(v.Kind)
}

// compact renders a reply on one line: bulk strings quoted, simple strings
// bare, arrays [..], sets ~[..], maps %{k: v}, null nil.
func compact(v Value) string {
	if v.Null {
		return "nil"
	}
	switch v.Kind {
	case '$', '=':
		return strconv.Quote(v.Str)
	case '-':
		return "error " + strconv.Quote(v.Str)
	case '*', '~', '>':
		parts := make([]string, len(v.Elems))
		for i, e := range v.Elems {
			parts[i] = compact(e)
		}
		prefix := ""
		if v.Kind != '*' {
			prefix = string(v.Kind)
		}
		return prefix + "[" + strings.Join(parts, " ") + "]"
	case '%':
		var parts []string
		for _, p := range pairs(v) {
			parts = append(parts, p.k+": "+compact(p.v))
		}
		return "%{" + strings.Join(parts, ", ") + "}"
	case '_':
		return "nil"
	}
	return v.Str
}

// TestCommandRepliesAgree checks, on Redis and on Redoubt, that COMMAND,
// COMMAND INFO, COMMAND DOCS, COMMAND COUNT and COMMAND LIST describe the
// same commands, and that Redoubt's LIST filters pick from its own table
// what Redis's pick from Redis's.
func TestCommandRepliesAgree(t *testing.T) {
	redoubt, redis := startBoth(t)
	for _, srv := range []struct {
		name string
		c    *client
	}{{"Redis", redis}, {"Redoubt", redoubt}} {
		t.Run(srv.name, func(t *testing.T) { checkCommandReplies(t, srv.c) })
	}

	// The filters, on the commands both have: Redis's answer restricted to
	// Redoubt's commands must be Redoubt's answer.
	ours := commandNames(t, redoubt)
	var filters [][]string
	for _, cat := range []string{"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
		"bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
		"dangerous", "connection", "transaction", "scripting", "nosuch", "READ"} {
		filters = append(filters, []string{"ACLCAT", cat})
	}
	for _, p := range []string{"*", "*|*", "c*", "?et", "[a-f]*", "*e*t", "COMMAND|*", "x", ""} {
		filters = append(filters, []string{"PATTERN", p})
	}
	filters = append(filters, []string{"MODULE", "nosuch"})
	for _, f := range filters {
		args := append([]string{"COMMAND", "LIST", "FILTERBY"}, f...)
		var want []string
		for _, e := range mustDo(t, redis, args...).Elems {
			if slices.Contains(ours, e.Str) {
				want = append(want, e.Str)
			}
		}
		var got []string
		for _, e := range mustDo(t, redoubt, args...).Elems {
			if !redoubtOnly[e.Str] {
				got = append(got, e.Str)
			}
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(want, got) {
			t.Errorf("%q: want %q (Redis's answer among Redoubt's commands), got %q", args, want, got)
		}
	}
}

// checkCommandReplies checks that one server's COMMAND replies agree with
// each other.
func checkCommandReplies(t *testing.T, c *client) {
	all := mustDo(t, c, "COMMAND")
	count := mustDo(t, c, "COMMAND", "COUNT")
	if n, _ := strconv.Atoi(count.Str); count.Kind != ':' || n != len(all.Elems) {
		t.Errorf("COMMAND COUNT = %s, but COMMAND has %d entries", compact(count), len(all.Elems))
	}
	if info := mustDo(t, c, "COMMAND", "INFO"); canonicalAll(info).String() != canonicalAll(all).String() {
		t.Errorf("COMMAND INFO with no names differs from COMMAND")
	}
	var top []string
	for _, e := range all.Elems {
		name := infoName(e)
		top = append(top, name)
		one := mustDo(t, c, "COMMAND", "INFO", name)
		if len(one.Elems) != 1 || canonicalInfo(one.Elems[0]).String() != canonicalInfo(e).String() {
			t.Errorf("COMMAND INFO %s differs from its entry in COMMAND", name)
		}
	}
	var listed []string
	for _, name := range commandNames(t, c) {
		if !strings.Contains(name, "|") {
			listed = append(listed, name)
		}
	}
	slices.Sort(top)
	slices.Sort(listed)
	if !slices.Equal(top, listed) {
		t.Errorf("COMMAND LIST's top-level names %q differ from COMMAND's %q", listed, top)
	}
	docs := pairs(mustDo(t, c, "COMMAND", "DOCS"))
	if keys := sortedKeys(docs); !slices.Equal(keys, top) {
		t.Errorf("COMMAND DOCS with no names has %q, COMMAND has %q", keys, top)
	}
	for _, p := range docs {
		one := pairs(mustDo(t, c, "COMMAND", "DOCS", p.k))
		if len(one) != 1 || one[0].k != p.k || canonicalDocs(one[0].v).String() != canonicalDocs(p.v).String() {
			t.Errorf("COMMAND DOCS %s differs from its entry in COMMAND DOCS", p.k)
		}
	}
}

// canonicalAll orders a whole COMMAND reply by name.
func canonicalAll(v Value) Value {
	out := v
	out.Elems = make([]Value, len(v.Elems))
	for i, e := range v.Elems {
		out.Elems[i] = canonicalInfo(e)
	}
	slices.SortFunc(out.Elems, func(a, b Value) int { return strings.Compare(infoName(a), infoName(b)) })
	return out
}

// canonicalDocs orders the subcommands of a DOCS map by name.
func canonicalDocs(v Value) Value {
	out := v
	out.Elems = slices.Clone(v.Elems)
	for i := 0; i+1 < len(out.Elems); i += 2 {
		if out.Elems[i].Str != "subcommands" {
			continue
		}
		ps := pairs(out.Elems[i+1])
		slices.SortFunc(ps, func(a, b pair) int { return strings.Compare(a.k, b.k) })
		subs := out.Elems[i+1]
		subs.Elems = nil
		for _, p := range ps {
			subs.Elems = append(subs.Elems, Value{Kind: '$', Str: p.k}, canonicalDocs(p.v))
		}
		out.Elems[i+1] = subs
	}
	return out
}

// TestKeysMatchRedis checks key extraction against Redis for every command
// Redis has, implemented by Redoubt or not: each command's key specs, as
// Redis's COMMAND INFO states them, are given to keyspec.Append, and
// what it finds in generated command lines is compared with Redis's COMMAND
// GETKEYSANDFLAGS for the same lines. This covers every key spec shape Redis
// uses, whatever Redoubt's table holds today.
func TestKeysMatchRedis(t *testing.T) {
	bin := requireTool(t, "redis-server")
	rs, err := startRedis(bin, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.stop()
	redis := &client{addr: rs.addr}
	defer redis.drop()

	var cmds []specCommand
	for _, e := range mustDo(t, redis, "COMMAND").Elems {
		cmds = append(cmds, parseSpecCommand(t, e, nil)...)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var problems []string
	checked := 0
	for _, sc := range cmds {
		if sc.incomplete {
			// Redis's per-command procedure decides, and in Redoubt the
			// command's GetKeys: the owner of its table entry tests it.
			continue
		}
		for n := 0; n < 60; n++ {
			args := sc.randomLine(rng)
			keys := keyspec.Append(nil, args, sc.specs, sc.opts)
			ask := append([][]byte{[]byte("COMMAND"), []byte("GETKEYSANDFLAGS")}, args...)
			v, err := redis.do(ask)
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) == 0 && sc.movable && v.Kind == '*' && len(v.Elems) > 0 {
				// Redis found keys through its per-command procedure after
				// the specs failed; a Redoubt command has GetKeys for that.
				continue
			}
			checked++
			var want string
			switch {
			case v.Kind == '-':
				want = "none"
			default:
				want = compact(v)
				if len(v.Elems) == 0 {
					want = "none"
				}
			}
			got := "none"
			if len(keys) > 0 {
				var parts []string
				for _, k := range keys {
					parts = append(parts, fmt.Sprintf("[%s %s]", strconv.Quote(string(args[k.Pos])), compact(statusList(k.Flags.Names()))))
				}
				got = "[" + strings.Join(parts, " ") + "]"
			}
			if want != got {
				problems = append(problems, fmt.Sprintf("%s: keys of %q: want %s (Redis: %s), got %s", sc.name, args, want, compact(v), got))
			}
		}
	}
	t.Logf("%d command lines of %d commands compared", checked, len(cmds))
	if checked < 1000 {
		t.Errorf("only %d command lines compared; the generator or the parser of COMMAND is broken", checked)
	}
	if len(problems) > 0 {
		if len(problems) > 50 {
			problems = append(problems[:50], fmt.Sprintf("… and %d more", len(problems)-50))
		}
		t.Errorf("key extraction differs from Redis's:\n%s", strings.Join(problems, "\n"))
	}
}

func statusList(names []string) Value {
	v := Value{Kind: '*'}
	for _, n := range names {
		v.Elems = append(v.Elems, Value{Kind: '+', Str: n})
	}
	return v
}

// specCommand is a Redis command rebuilt from its COMMAND INFO entry.
type specCommand struct {
	name       string // the full name: "get", "config|get"
	arity      int
	specs      []keyspec.Spec
	opts       keyspec.Options // Redis's flags procedure for the command, if any
	words      []string        // the command's name, or container and subcommand
	keywords   []string        // keywords its key specs search for
	incomplete bool            // a spec is incomplete: Redis's procedure decides
	movable    bool
}

var keyFlagByName = map[string]keyspec.Flags{
	"RO": keyspec.RO, "RW": keyspec.RW, "OW": keyspec.OW, "RM": keyspec.RM,
	"access": keyspec.Access, "update": keyspec.Update, "insert": keyspec.Insert,
	"delete": keyspec.Delete, "not_key": keyspec.NotKey, "incomplete": keyspec.Incomplete,
	"variable_flags": keyspec.VariableFlags,
}

// parseSpecCommand turns a COMMAND INFO entry (and its subcommands) into
// specCommands carrying Redis's key specs.
func parseSpecCommand(t *testing.T, e Value, parent []string) []specCommand {
	t.Helper()
	if len(e.Elems) != 10 {
		t.Fatalf("COMMAND entry %s: want 10 fields", compact(e))
	}
	full := e.Elems[0].Str
	words := []string{full}
	if parent != nil {
		_, sub, _ := strings.Cut(full, "|")
		words = append(slices.Clone(parent), sub)
	}
	arity, _ := strconv.Atoi(e.Elems[1].Str)
	sc := specCommand{name: full, arity: arity, words: words}
	if parent == nil {
		sc.opts.Flags = keyspec.ProcFlags(full)
	}
	for _, f := range e.Elems[2].Elems {
		if f.Str == "movablekeys" {
			sc.movable = true
		}
	}
	for _, s := range e.Elems[8].Elems {
		var ks keyspec.Spec
		m := pairs(s)
		for _, f := range lookupPair(m, "flags").Elems {
			fl, ok := keyFlagByName[f.Str]
			if !ok {
				t.Fatalf("%s: unknown key spec flag %q", full, f.Str)
			}
			ks.Flags |= fl
		}
		if ks.Flags&keyspec.Incomplete != 0 {
			sc.incomplete = true
		}
		bs, fk := pairs(*lookupPair(m, "begin_search")), pairs(*lookupPair(m, "find_keys"))
		bspec, fspec := pairs(*lookupPair(bs, "spec")), pairs(*lookupPair(fk, "spec"))
		num := func(ps []pair, k string) int {
			n, err := strconv.Atoi(lookupPair(ps, k).Str)
			if err != nil {
				t.Fatalf("%s: key spec %s: %v", full, k, err)
			}
			return n
		}
		switch lookupPair(bs, "type").Str {
		case "index":
			ks.Index = num(bspec, "index")
		case "keyword":
			ks.Keyword = lookupPair(bspec, "keyword").Str
			ks.StartFrom = num(bspec, "startfrom")
			sc.keywords = append(sc.keywords, ks.Keyword)
		case "unknown":
			// SORT's BY/GET and STORE: only Redis's procedure knows.
			sc.incomplete = true
		default:
			t.Fatalf("%s: unknown begin_search %s", full, compact(s))
		}
		switch lookupPair(fk, "type").Str {
		case "range":
			ks.LastKey, ks.KeyStep, ks.Limit = num(fspec, "lastkey"), num(fspec, "keystep"), num(fspec, "limit")
		case "keynum":
			ks.KeyNum = true
			ks.KeyNumIdx, ks.FirstKey, ks.KeyStep = num(fspec, "keynumidx"), num(fspec, "firstkey"), num(fspec, "keystep")
		case "unknown":
			sc.incomplete = true
		default:
			t.Fatalf("%s: unknown find_keys %s", full, compact(s))
		}
		sc.specs = append(sc.specs, ks)
	}
	out := []specCommand{sc}
	for _, sub := range e.Elems[9].Elems {
		out = append(out, parseSpecCommand(t, sub, words)...)
	}
	return out
}

// randomLine builds a command line that satisfies the command's arity, from
// words that key specs and the flag procedures react to: key counts, the
// specs' keywords in both cases, SET's GET, BITFIELD's operations.
func (sc specCommand) randomLine(rng *rand.Rand) [][]byte {
	pool := []string{"k1", "k2", "k3", "0", "1", "2", "3", "-1", "x", "GET", "get", "EX",
		"SET", "INCRBY", "OVERFLOW", "u8", "", "2x", "99999999999999999999"}
	for _, kw := range sc.keywords {
		pool = append(pool, kw, strings.ToLower(kw), kw, kw)
	}
	n := sc.arity
	if n < 0 {
		n = -n + rng.IntN(7)
	}
	args := make([][]byte, 0, n)
	for _, w := range sc.words {
		args = append(args, []byte(w))
	}
	for len(args) < n {
		args = append(args, []byte(pool[rng.IntN(len(pool))]))
	}
	return args
}

// requireTool returns the path of a program a test drives: redis-server
// (see findRedisServer), or redis-cli, script… from PATH. When it is
// missing the test is skipped, or failed when REDOUBT_REQUIRE_REDIS is set
// (CI installs Redis and its tools) or, for redis-server, when -rewrite
// asks for a recording.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	var path string
	var err error
	if name == "redis-server" {
		path, err = findRedisServer()
	} else {
		path, err = exec.LookPath(name)
	}
	switch {
	case err == nil:
		return path
	case os.Getenv("REDOUBT_REQUIRE_REDIS") != "":
		t.Fatalf("%s is required (REDOUBT_REQUIRE_REDIS is set): %v", name, err)
	case *rewrite && name == "redis-server":
		t.Fatalf("%s is required to record with -rewrite: %v", name, err)
	}
	t.Skipf("%s not installed; set REDOUBT_REQUIRE_REDIS=1 to make this a failure", name)
	return ""
}

// startRedoubt starts an embedded Redoubt for one test.
func startRedoubt(t *testing.T) *server.Server {
	t.Helper()
	srv, err := server.New(server.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// TestRedisCLIHints runs redis-cli interactively under a pseudo-terminal
// (script(1) provides one) against Redoubt. redis-cli 7 builds its help and
// its hints from COMMAND DOCS at start-up, falling back to a built-in table
// if the reply is an error; so typing "SET " must show the hint for SET's
// arguments, and HELP SET must show Redoubt's summary, which the built-in
// table does not have.
func TestRedisCLIHints(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("drives util-linux script(1)")
	}
	cli := requireTool(t, "redis-cli")
	scriptBin := requireTool(t, "script")
	srv := startRedoubt(t)

	// Redoubt's own summary of SET, asked over the wire.
	c := newClient(t, srv.Addr())
	summary := field(pairs(mustDo(t, c, "COMMAND", "DOCS", "set"))[0].v, "summary")
	if summary == nil || summary.Str == "" {
		t.Fatal("COMMAND DOCS set has no summary")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// stty gives the terminal a width; with none, linenoise asks the
	// terminal for its cursor position and waits for an answer.
	shell := fmt.Sprintf("stty cols 300 rows 50; exec %s -h 127.0.0.1 -p %d", cli, srv.Port())
	cmd := exec.CommandContext(ctx, scriptBin, "-qfec", shell, "/dev/null")
	cmd.Env = append(os.Environ(), "TERM=xterm", "REDISCLI_HISTFILE=/dev/null", "REDISCLI_RCFILE=/dev/null")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		done := make(chan error, 1)
		// This goroutine ends when script exits, at the latest when the
		// process group is killed below.
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}()

	waitFor := func(what string, from int) int {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			s := out.String()
			if i := strings.Index(s[from:], what); i >= 0 {
				return from + i + len(what)
			}
			if time.Now().After(deadline) {
				t.Fatalf("redis-cli did not print %q; it printed %q", what, s[from:])
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	prompt := fmt.Sprintf("127.0.0.1:%d> ", srv.Port())
	at := waitFor(prompt, 0)

	// The hint after "SET ", between linenoise's grey and reset sequences.
	io.WriteString(stdin, "SET ")
	at = waitFor("SET \x1b[0;90;49m", at)
	end := waitFor("\x1b[0m", at)
	hint := out.String()[at : end-len("\x1b[0m")]
	for _, want := range []string{"key value", "[NX|XX]", "[GET]", "KEEPTTL"} {
		if !strings.Contains(hint, want) {
			t.Errorf("redis-cli's hint for SET is %q, want it to contain %q", hint, want)
		}
	}

	// Ctrl-U clears the line; HELP SET prints the summary.
	io.WriteString(stdin, "\x15HELP SET\r")
	at = waitFor("summary:", end)
	line := waitFor("\n", at)
	if got := strings.TrimSpace(stripEscapes(out.String()[at:line])); got != summary.Str {
		t.Errorf("redis-cli's HELP SET shows the summary %q, want Redoubt's %q", got, summary.Str)
	}
	waitFor(prompt, line)
	io.WriteString(stdin, "QUIT\r")
}

// stripEscapes removes terminal escape sequences (ESC [ ... letter).
func stripEscapes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && !('A' <= s[j] && s[j] <= 'Z' || 'a' <= s[j] && s[j] <= 'z') {
				j++
			}
			i = j
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// lockedBuffer collects a child's output for the test to read while the
// child runs.
type lockedBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
