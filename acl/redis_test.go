package acl

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// startRedis starts the redis-server on PATH (or $REDIS_SERVER) on a free
// loopback port, and skips the test when there is none.
func startRedis(t *testing.T, extra ...string) *redis.Client {
	t.Helper()
	bin := os.Getenv("REDIS_SERVER")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("redis-server"); err != nil {
			// CI sets REDOUBT_REQUIRE_REDIS: there a missing server
			// fails the test instead of skipping it.
			if os.Getenv("REDOUBT_REQUIRE_REDIS") != "" {
				t.Fatalf("redis-server is required (REDOUBT_REQUIRE_REDIS is set): %v", err)
			}
			t.Skip("redis-server not found")
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir()}, extra...)
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), Protocol: 2})
	t.Cleanup(func() { c.Close() })
	for range 100 {
		if err = c.Ping(context.Background()).Err(); err == nil {
			return c
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal(err)
	return nil
}

// redisCatalog builds a Catalog from the live server's COMMAND reply.
func redisCatalog(t *testing.T, c *redis.Client) *Catalog {
	t.Helper()
	v, err := c.Do(context.Background(), "COMMAND").Slice()
	if err != nil {
		t.Fatal(err)
	}
	var specs []CommandSpec
	for _, e := range v {
		specs = append(specs, commandSpec(t, e.([]any)))
	}
	return NewCatalog(specs)
}

func commandSpec(t *testing.T, e []any) CommandSpec {
	name := e[0].(string)
	if i := strings.IndexByte(name, '|'); i >= 0 {
		name = name[i+1:]
	}
	s := CommandSpec{Name: name}
	for _, c := range e[6].([]any) {
		cat, ok := ParseCategory(strings.TrimPrefix(c.(string), "@"))
		if !ok {
			t.Fatalf("unknown category %v", c)
		}
		s.Categories |= cat
	}
	if len(e) > 9 {
		for _, sub := range e[9].([]any) {
			s.Subcommands = append(s.Subcommands, commandSpec(t, sub.([]any)))
		}
	}
	return s
}

// normalize sorts the single-command rules (+cmd, -cmd, +cmd|arg) of each
// selector: Redis lists them in its hash table's order, which changes from
// run to run, while everything else has a fixed order.
func normalize(rules string) string {
	segs := strings.Split(rules, " (")
	for i, seg := range segs {
		toks := strings.Split(seg, " ")
		var fixed, singles []string
		for _, tok := range toks {
			if len(tok) > 1 && (tok[0] == '+' || tok[0] == '-') && tok[1] != '@' {
				singles = append(singles, tok)
			} else {
				fixed = append(fixed, tok)
			}
		}
		slices.Sort(singles)
		segs[i] = strings.Join(append(fixed, singles...), " ")
	}
	return strings.Join(segs, " (")
}

// ruleCases are ACL SETUSER argument lists, each applied to a fresh user.
var ruleCases = [][]string{
	{},
	{"on"},
	{"on", "off"},
	{"reset"},
	{"on", ">secret", ">other", ">secret"},
	{">a", "<a"},
	{">a", "<b"},
	{"#" + strings.Repeat("ab", 32)},
	{"#" + strings.Repeat("AB", 32)},
	{"#abc"},
	{">a", "!" + HashPassword("a")},
	{"!" + strings.Repeat("0", 64)},
	{">a", "nopass"},
	{"nopass", ">a"},
	{"nopass", "resetpass"},
	{"~foo", "~bar*", "%R~r:*", "%W~w:*", "%RW~rw", "%WR~x", "%R~foo"},
	{"~foo", "resetkeys", "~bar"},
	{"allkeys"},
	{"~*"},
	{"allkeys", "~foo"},
	{"~a", "allkeys"},
	{"%RW~*"},
	{"%R"},
	{"%"},
	{"%~foo"},
	{"%RR~a"},
	{"%RX~a"},
	{"%r~lower"},
	{"~a b"},
	{"&chan", "&news.*", "&chan"},
	{"allchannels"},
	{"&*", "&x"},
	{"allchannels", "resetchannels", "&y"},
	{"&a\tb"},
	{"+@all"},
	{"allcommands"},
	{"+@all", "-@all"},
	{"nocommands"},
	{"+@all", "-debug", "-config"},
	{"+@all", "-@dangerous"},
	{"-@all", "+@read"},
	{"+@read", "+@write"},
	{"+@read", "-@fast"},
	{"+@all", "-@write", "+set"},
	{"+get", "+set", "+mget"},
	{"+get", "-get"},
	{"+config|get", "+config|set"},
	{"+config", "-config|set"},
	{"+@all", "-config|set"},
	{"+client", "-client|kill"},
	{"+select|0", "+select|1"},
	{"+select|0", "+select"},
	{"+select|0", "+select|0"},
	{"+config|get|x"},
	{"+get|"},
	{"+get|x"},
	{"-get|x"},
	{"+config|nosuch"},
	{"+nosuch"},
	{"-nosuch"},
	{"+@nosuch"},
	{"+@"},
	{"+"},
	{"-"},
	{"+GET", "+@READ", "+Config|Get"},
	{"ON", "NOPASS", "ALLKEYS", "ALLCHANNELS", "ALLCOMMANDS"},
	{"skip-sanitize-payload"},
	{"skip-sanitize-payload", "sanitize-payload"},
	{"bogus"},
	{"on", "bogus"},
	{"(~a +get)"},
	{"(~a", "+get)"},
	{"(~a", "+get", "&c)", "(%R~b +@read)"},
	{"(~a"},
	{"(", "+get", ")"},
	{"()"},
	{"(+nosuch)"},
	{"(~a +get)", "clearselectors"},
	{"(~a +get)", "reset"},
	{"(on)"},
	{"(>pass)"},
	{"(allkeys ~x)"},
	{"(\"~a\" '+set')"},
	{"(\"unbalanced)"},
	{"('' )"},
	{"(\"\")", "(+get \"~a b\")"},
	{"(+get \"~a\\x00b\")"},
	{"+set| ", "+set|\x00a"},
	{"\x00on"},
	{"on\x00"},
	{">pass\x00word", "<pass\x00word"},
	{"+get\x00x"},
	{"~a", "(~b +@all -@dangerous)", "+@read", "&c"},
	{"on", ">p", "~k:*", "&ch:*", "+@all", "-@dangerous", "+flushdb", "(%W~w:* +set)"},
	{"-@all", "+@hash", "+@list", "+@set", "-hdel"},
	{"+@all", "-@keyspace", "-@read"},
	{"+@blocking", "+@pubsub", "+@connection", "+@transaction", "+@scripting"},
	{"+@geo", "+@stream", "+@bitmap", "+@hyperloglog", "+@sortedset", "+@string"},
	{""},
}

func TestRulesMatchRedis(t *testing.T) {
	t.Run("resetchannels", func(t *testing.T) { testRulesMatchRedis(t, false) })
	t.Run("allchannels", func(t *testing.T) { testRulesMatchRedis(t, true) })
}

// testRulesMatchRedis runs ruleCases with acl-pubsub-default set to
// allchannels or to 7.0's default, resetchannels.
func testRulesMatchRedis(t *testing.T, allChannels bool) {
	pubsub := "resetchannels"
	if allChannels {
		pubsub = "allchannels"
	}
	c := startRedis(t, "--acl-pubsub-default", pubsub)
	ctx := context.Background()
	cat := redisCatalog(t, c)
	for i, rules := range ruleCases {
		name := "u" + strconv.Itoa(i)
		args := []any{"ACL", "SETUSER", name}
		for _, r := range rules {
			args = append(args, r)
		}
		redisErr := c.Do(ctx, args...).Err()
		u := cat.NewUser(name, allChannels)
		before := u.String()
		err := u.SetRules(rules)
		switch {
		case redisErr != nil && err == nil:
			t.Errorf("%q: redis refused (%v), we accepted", rules, redisErr)
			continue
		case redisErr == nil && err != nil:
			t.Errorf("%q: redis accepted, we refused: %v", rules, err)
			continue
		case redisErr != nil:
			if want := strings.TrimPrefix(redisErr.Error(), "ERR "); err.Error() != want {
				t.Errorf("%q: error %q, redis %q", rules, err, want)
			}
			if u.String() != before {
				t.Errorf("%q: refused rules changed the user: %q", rules, u.String())
			}
			continue
		}
		list, err := c.Do(ctx, "ACL", "LIST").StringSlice()
		if err != nil {
			t.Fatal(err)
		}
		prefix := "user " + name + " "
		i := slices.IndexFunc(list, func(s string) bool { return strings.HasPrefix(s, prefix) })
		if i < 0 {
			t.Fatalf("%q: user missing from ACL LIST %q", rules, list)
		}
		want := strings.TrimPrefix(list[i], prefix)
		if got := u.String(); normalize(got) != normalize(want) {
			t.Errorf("%q:\n got %q\nwant %q", rules, got, want)
		}
		// Redis's own text, read back, must give the same user.
		back := cat.NewUser(name, allChannels)
		if err := back.SetRules(strings.Split(want, " ")); err != nil {
			t.Errorf("%q: reading back %q: %v", rules, want, err)
		} else if back.String() != u.String() {
			t.Errorf("%q: read back as %q, want %q", rules, back.String(), u.String())
		}
		compareGetUser(t, c, cat, rules, u)
	}
}

func compareGetUser(t *testing.T, c *redis.Client, cat *Catalog, rules []string, u *User) {
	t.Helper()
	v, err := c.Do(context.Background(), "ACL", "GETUSER", u.Name).Slice()
	if err != nil {
		t.Fatal(err)
	}
	m := pairs(v)
	if got, want := u.Flags(), strs(m["flags"]); !slices.Equal(got, want) {
		t.Errorf("%q: flags %q, redis %q", rules, got, want)
	}
	if got, want := u.PasswordHashes(), strs(m["passwords"]); !slices.Equal(got, want) {
		t.Errorf("%q: passwords %q, redis %q", rules, got, want)
	}
	root, sels := u.Describe()
	cmpSel := func(what string, d SelectorDescription, m map[string]any) {
		if normalize(d.Commands) != normalize(m["commands"].(string)) ||
			d.Keys != m["keys"].(string) || d.Channels != m["channels"].(string) {
			t.Errorf("%q: %s %+v, redis %v", rules, what, d, m)
		}
	}
	cmpSel("root", root, m)
	rs := m["selectors"].([]any)
	if len(rs) != len(sels) {
		t.Fatalf("%q: %d selectors, redis %d", rules, len(sels), len(rs))
	}
	for i, s := range sels {
		cmpSel(fmt.Sprint("selector ", i), s, pairs(rs[i].([]any)))
	}
}

func pairs(v []any) map[string]any {
	m := make(map[string]any)
	for i := 0; i+1 < len(v); i += 2 {
		m[v[i].(string)] = v[i+1]
	}
	return m
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}
