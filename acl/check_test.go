package acl

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// checkCase is a command with the keys and channels its key specs name, as
// the server will extract them.
type checkCase struct {
	args     []string
	sub      bool // args[1] is a subcommand
	keys     []Key
	channels []Channel
}

func key(pos int, p Perm) Key { return Key{Perm: p, Pos: pos} }

var checkCases = []checkCase{
	{args: []string{"ping"}},
	{args: []string{"get", "a"}, keys: []Key{key(1, PermRead)}},
	{args: []string{"get", "b1"}, keys: []Key{key(1, PermRead)}},
	{args: []string{"get", "w:1"}, keys: []Key{key(1, PermRead)}},
	{args: []string{"get", "r:1"}, keys: []Key{key(1, PermRead)}},
	{args: []string{"set", "r:1", "v"}, keys: []Key{key(1, PermWrite)}},
	{args: []string{"set", "w:1", "v"}, keys: []Key{key(1, PermWrite)}},
	{args: []string{"set", "a", "v"}, keys: []Key{key(1, PermWrite)}},
	{args: []string{"mget", "a", "zz", "b1", "yy"}, keys: []Key{key(1, PermRead), key(2, PermRead), key(3, PermRead), key(4, PermRead)}},
	{args: []string{"copy", "r:1", "w:2"}, keys: []Key{key(1, PermRead), key(2, PermWrite)}},
	{args: []string{"copy", "w:1", "r:2"}, keys: []Key{key(1, PermRead), key(2, PermWrite)}},
	{args: []string{"lmove", "a", "w:1", "left", "right"}, keys: []Key{key(1, PermAll), key(2, PermWrite)}},
	{args: []string{"lmove", "r:1", "a", "left", "right"}, keys: []Key{key(1, PermAll), key(2, PermWrite)}},
	{args: []string{"publish", "news.1", "m"}, channels: []Channel{{Pos: 1}}},
	{args: []string{"publish", "other", "m"}, channels: []Channel{{Pos: 1}}},
	{args: []string{"subscribe", "news.1", "other"}, channels: []Channel{{Pos: 1}, {Pos: 2}}},
	{args: []string{"psubscribe", "news.*"}, channels: []Channel{{Pos: 1, Pattern: true}}},
	{args: []string{"psubscribe", "news.1"}, channels: []Channel{{Pos: 1, Pattern: true}}},
	{args: []string{"config", "get", "x"}, sub: true},
	{args: []string{"config", "set", "x", "y"}, sub: true},
	{args: []string{"client", "list"}, sub: true},
	{args: []string{"select", "0"}},
	{args: []string{"select", "1"}},
	{args: []string{"select", "2"}},
	{args: []string{"debug", "object", "a"}},
}

var checkUsers = [][]string{
	{"+@all", "allkeys", "allchannels"},
	{"+@all", "-@dangerous", "~a", "~b*"},
	{"+@read", "%R~r:*", "%W~w:*", "~a"},
	{"+@all", "%R~r:*", "%W~w:*", "(~a +get +lmove)"},
	{"-@all", "+get", "(+set ~w:*)", "(+copy %R~r:* %W~w:*)"},
	{"+publish", "+subscribe", "+psubscribe", "&news.*"},
	{"+publish", "+subscribe", "+psubscribe", "&news.1", "(&other +publish)"},
	{"+config|get", "+client", "-client|list"},
	{"+select|0", "+select|2", "+debug|object", "allkeys"},
	{"+@all", "-select", "+select|1"},
	{"-@all", "+@pubsub", "allchannels"},
	{"nocommands"},
}

// TestCheckMatchesDryrun compares Check with ACL DRYRUN on redis-server for
// every user and command above.
func TestCheckMatchesDryrun(t *testing.T) {
	c := startRedis(t)
	ctx := context.Background()
	cat := redisCatalog(t, c)
	for i, rules := range checkUsers {
		name := "c" + strconv.Itoa(i)
		args := []any{"ACL", "SETUSER", name}
		for _, r := range rules {
			args = append(args, r)
		}
		if err := c.Do(ctx, args...).Err(); err != nil {
			t.Fatal(err)
		}
		u := cat.NewUser(name, false)
		if err := u.SetRules(rules); err != nil {
			t.Fatal(err)
		}
		for _, cc := range checkCases {
			dargs := []any{"ACL", "DRYRUN", name}
			for _, a := range cc.args {
				dargs = append(dargs, a)
			}
			want, err := c.Do(ctx, dargs...).Text()
			if err != nil {
				t.Fatalf("%q %q: %v", rules, cc.args, err)
			}
			if got := dryrun(t, cat, u, cc); got != want {
				t.Errorf("user %q, %q: got %q, redis %q", rules, cc.args, got, want)
			}
		}
	}
}

// dryrun checks cc as the server will, and words the result as ACL DRYRUN.
func dryrun(t *testing.T, cat *Catalog, u *User, cc checkCase) string {
	name := cc.args[0]
	first := 1
	if cc.sub {
		name += "|" + cc.args[1]
		first = 2
	}
	id, ok := cat.ID(name)
	if !ok {
		t.Fatalf("no command %q", name)
	}
	r := &Request{ID: id}
	if first < len(cc.args) {
		r.FirstArg = []byte(cc.args[first])
	}
	for _, k := range cc.keys {
		k.Name = []byte(cc.args[k.Pos])
		r.Keys = append(r.Keys, k)
	}
	for _, ch := range cc.channels {
		ch.Name = []byte(cc.args[ch.Pos])
		r.Channels = append(r.Channels, ch)
	}
	switch res, pos := u.Check(r); res {
	case Allowed:
		return "OK"
	case DeniedCommand:
		return "This user has no permissions to run the '" + strings.ToLower(name) + "' command"
	case DeniedKey:
		return "This user has no permissions to access the '" + cc.args[pos] + "' key"
	case DeniedChannel:
		return "This user has no permissions to access the '" + cc.args[pos] + "' channel"
	}
	return "?"
}

// TestCheckUnrestrictedMatchesSort runs SORT with BY as each user on
// redis-server, which refuses BY unless one selector allowing the command has
// read access to every key, and compares CheckUnrestricted.
func TestCheckUnrestrictedMatchesSort(t *testing.T) {
	c := startRedis(t)
	ctx := context.Background()
	cat := redisCatalog(t, c)
	id, _ := cat.ID("sort")
	for i, rules := range [][]string{
		{"+@all", "~*"},
		{"+@all", "allkeys"},
		{"+@all", "%R~*"},
		{"+@all", "%W~*", "~l"},
		{"+@all", "~l", "~w*"},
		{"+@all", "~l", "(%R~* -sort)"},
		{"+@all", "~l", "(%R~* +sort)"},
		{"-sort", "~l", "(~* +sort)"},
		{"+sort", "~l", "%RW~*"},
	} {
		name := "s" + strconv.Itoa(i)
		args := []any{"ACL", "SETUSER", name, "on", ">pw"}
		for _, r := range rules {
			args = append(args, r)
		}
		if err := c.Do(ctx, args...).Err(); err != nil {
			t.Fatal(err)
		}
		u := cat.NewUser(name, false)
		if err := u.SetRules(append([]string{"on", ">pw"}, rules...)); err != nil {
			t.Fatal(err)
		}
		uc := redis.NewClient(&redis.Options{Addr: c.Options().Addr, Protocol: 2,
			Username: name, Password: "pw"})
		err := uc.Do(ctx, "SORT", "l", "BY", "w_*").Err()
		uc.Close()
		const denied = "ERR BY option of SORT denied due to insufficient ACL permissions."
		r := &Request{ID: id, Keys: []Key{{Name: []byte("l"), Perm: PermRead, Pos: 1}}}
		if res, _ := u.Check(r); res != Allowed {
			// The command itself is refused before SORT looks at BY.
			if err == nil || !strings.HasPrefix(err.Error(), "NOPERM") {
				t.Errorf("%q: Check refused SORT, redis said %v", rules, err)
			}
			continue
		}
		if err != nil && err.Error() != denied {
			t.Fatalf("%q: %v", rules, err)
		}
		if got := u.CheckUnrestricted(r, PermRead); got != (err == nil) {
			t.Errorf("%q: CheckUnrestricted = %v, redis %v", rules, got, err)
		}
	}
}

// TestLiteralPrefixMatchesGlob: a key pattern matched as a literal prefix
// allows exactly what the glob matcher allows.
func TestLiteralPrefixMatchesGlob(t *testing.T) {
	patterns := []string{"*", "a*", "ab*", "user:*", "a**", "a?*", "a[b]*", "a\\*", "a\\**", "*a", "a", "", "a*b*"}
	keys := []string{"", "a", "ab", "abc", "b", "user:", "user:1", "a*", "a**", "ba", "A", "a\\"}
	for _, p := range patterns {
		kp := KeyPattern{Pattern: p, Perm: PermAll, prefix: literalPrefix(p)}
		s := &Selector{keys: []KeyPattern{kp}}
		plain := &Selector{keys: []KeyPattern{{Pattern: p, Perm: PermAll}}}
		for _, k := range keys {
			if got, want := s.keyAllowed([]byte(k), PermRead), plain.keyAllowed([]byte(k), PermRead); got != want {
				t.Errorf("pattern %q key %q: prefix match %v, glob %v", p, k, got, want)
			}
		}
	}
	for p, want := range map[string]int{"user:*": 6, "*": 1, "a?*": 0, "a": 0, "a**": 0, "a\\*": 0} {
		if got := literalPrefix(p); got != want {
			t.Errorf("literalPrefix(%q) = %d, want %d", p, got, want)
		}
	}
}
