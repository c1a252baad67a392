package acl

import (
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// ruleWords are the pieces random rule lists are drawn from: every keyword,
// good and bad patterns, commands, subcommands, first arguments and
// categories.
var ruleWords = []string{
	"on", "off", "nopass", "resetpass", ">p1", ">p2", "<p1", "<p2",
	"#" + HashPassword("p3"), "!" + HashPassword("p3"), "#bad",
	"~a", "~b*", "%R~a", "%W~b*", "%RW~c", "%R~c", "allkeys", "~*", "resetkeys",
	"&x", "&y*", "allchannels", "&*", "resetchannels",
	"+@all", "-@all", "allcommands", "nocommands",
	"+get", "-get", "+set", "-set", "+config", "-config", "+config|get", "-config|get",
	"+client|list", "-client", "+select|0", "+select|1", "-select", "+debug", "+nosuch",
	"+@read", "-@read", "+@write", "-@write", "+@fast", "-@slow", "+@dangerous",
	"-@dangerous", "+@admin", "+@string", "-@hash", "+@keyspace", "+@pubsub", "+@bogus",
	"(~s +get)", "(%R~r +@read &q)", "(", "~z)", "clearselectors", "reset",
	"skip-sanitize-payload", "sanitize-payload", "bogus", "",
}

// TestRandomRulesMatchRedis applies random rule lists, one after another, to
// the same users on redis-server and on the package, and compares every
// reply and the canonical text after each step.
func TestRandomRulesMatchRedis(t *testing.T) {
	c := startRedis(t)
	ctx := context.Background()
	cat := redisCatalog(t, c)
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 9))
	users := map[string]*User{}
	steps := 600
	if testing.Short() {
		steps = 100
	}
	for step := range steps {
		name := "r" + strconv.Itoa(r.IntN(4))
		rules := make([]string, r.IntN(6))
		for i := range rules {
			rules[i] = ruleWords[r.IntN(len(ruleWords))]
		}
		args := []any{"ACL", "SETUSER", name}
		for _, x := range rules {
			args = append(args, x)
		}
		redisErr := c.Do(ctx, args...).Err()
		u := users[name]
		if u == nil {
			u = cat.NewUser(name, false)
		}
		err := u.SetRules(rules)
		if (err == nil) != (redisErr == nil) ||
			(err != nil && "ERR "+err.Error() != redisErr.Error()) {
			t.Fatalf("step %d %s %q: error %v, redis %v", step, name, rules, err, redisErr)
		}
		if redisErr == nil {
			users[name] = u
		}
		list, err := c.Do(ctx, "ACL", "LIST").StringSlice()
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range list {
			f := strings.SplitN(line, " ", 3)
			if f[1] == "default" {
				continue
			}
			if got := users[f[1]].String(); normalize(got) != normalize(f[2]) {
				t.Fatalf("step %d %s %q:\n got %q\nwant %q", step, name, rules, got, f[2])
			}
		}
		if n := len(list) - 1; n != len(users) {
			t.Fatalf("step %d: redis has %d users, we %d", step, n, len(users))
		}
	}
}
