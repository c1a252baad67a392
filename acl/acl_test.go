package acl

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// testCatalog is a small command table for tests that run without
// redis-server.
func testCatalog() *Catalog {
	return NewCatalog([]CommandSpec{
		{Name: "get", Categories: Read | String | Fast},
		{Name: "set", Categories: Write | String | Slow},
		{Name: "select", Categories: Keyspace | Fast},
		{Name: "publish", Categories: PubSub | Fast},
		{Name: "debug", Categories: Admin | Slow | Dangerous},
		{Name: "CONFIG", Categories: Slow, Subcommands: []CommandSpec{
			{Name: "get", Categories: Admin | Slow | Dangerous},
			{Name: "set", Categories: Admin | Slow | Dangerous},
		}},
		{Name: "client", Categories: Slow, Subcommands: []CommandSpec{
			{Name: "list", Categories: Admin | Slow | Dangerous | Connection},
			{Name: "id", Categories: Slow | Connection},
		}},
	})
}

func TestCatalog(t *testing.T) {
	c := testCatalog()
	if c.Len() != 11 {
		t.Fatalf("Len = %d, want 11", c.Len())
	}
	id, ok := c.ID("Config|GET")
	if !ok || c.Name(id) != "config|get" {
		t.Fatalf("ID(Config|GET) = %d, %v", id, ok)
	}
	if p := c.Parent(id); p < 0 || c.Name(p) != "config" {
		t.Fatalf("Parent = %d", p)
	}
	if got, want := c.CommandsIn(Connection), []string{"client|list", "client|id"}; !slices.Equal(got, want) {
		t.Fatalf("CommandsIn(Connection) = %q, want %q", got, want)
	}
}

func TestPasswords(t *testing.T) {
	c := testCatalog()
	u := c.NewUser("alice", false)
	big := strings.Repeat("x", 1<<20)
	bin := "a\x00b\r\n c"
	if err := u.SetRules([]string{"on", ">" + big, ">" + bin}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{big, bin} {
		if !u.CheckPassword(p) {
			t.Errorf("password of %d bytes refused", len(p))
		}
	}
	for _, p := range []string{"", "a", big + "x", "a\x00b\r\n"} {
		if u.CheckPassword(p) {
			t.Errorf("wrong password %q accepted", p[:min(len(p), 8)])
		}
	}
	if s := u.String(); strings.Contains(s, "xxxx") || strings.Contains(s, bin) {
		t.Errorf("String() shows a password: %.80q", s)
	}
	if got, want := u.PasswordHashes(), []string{HashPassword(big), HashPassword(bin)}; !slices.Equal(got, want) {
		t.Errorf("PasswordHashes = %q, want %q", got, want)
	}
	if err := u.SetRules([]string{"<" + bin}); err != nil || u.CheckPassword(bin) {
		t.Errorf("<pass: err %v, still accepted %v", err, u.CheckPassword(bin))
	}
	if err := u.SetRules([]string{"nopass"}); err != nil || !u.CheckPassword("anything") || !u.NoPass() {
		t.Errorf("nopass: err %v", err)
	}
	if err := u.SetRules([]string{"resetpass"}); err != nil || u.CheckPassword("anything") || u.CheckPassword(big) {
		t.Errorf("resetpass: err %v", err)
	}
	// The SHA-256 of "foo", as Redis documents it.
	const fooHash = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
	if HashPassword("foo") != fooHash {
		t.Errorf("HashPassword(foo) = %s", HashPassword("foo"))
	}
	if err := u.SetRules([]string{"#" + fooHash}); err != nil || !u.CheckPassword("foo") {
		t.Errorf("#hash: err %v", err)
	}
}

func TestAllOrNothing(t *testing.T) {
	c := testCatalog()
	u := c.NewUser("bob", false)
	if err := u.SetRules([]string{"on", ">pw", "~k:*", "+get", "(~s +set)"}); err != nil {
		t.Fatal(err)
	}
	before := u.String()
	for _, rules := range [][]string{
		{"reset", "+nosuch"},
		{"off", "nopass", "allkeys", "~x"},
		{"clearselectors", "(~a", "+get"},
		{"resetpass", "<nosuch"},
		{"-@all", "(+get", "+nosuch)"},
		{"+@all", "#short"},
	} {
		err := u.SetRules(rules)
		if err == nil {
			t.Errorf("%q accepted", rules)
		}
		if u.String() != before || !u.CheckPassword("pw") {
			t.Errorf("%q changed the user to %q", rules, u.String())
		}
	}
	var ue *UnmatchedError
	if err := u.SetRules([]string{"(~a", "+get"}); err == nil || err.Error() != "Unmatched parenthesis in acl selector starting at '(~a'." {
		t.Errorf("unmatched: %v", err)
	} else if !asUnmatched(err, &ue) {
		t.Errorf("unmatched error type %T", err)
	}
}

func TestRedacted(t *testing.T) {
	u := testCatalog().NewUser("r", false)
	for _, rules := range [][]string{
		{"<hunter2secret"},
		{"(>hunter2secret +get)"},
		{"(<hunter2secret", "+get"},
		{"(~a", ">hunter2secret"},
	} {
		err := u.SetRules(rules)
		red, ok := err.(interface{ Redacted() string })
		if !ok {
			t.Fatalf("%q: error %T has no Redacted", rules, err)
		}
		if strings.Contains(red.Redacted(), "hunter2") {
			t.Errorf("%q: Redacted() = %q", rules, red.Redacted())
		}
		if !strings.Contains(err.Error(), "hunter2") && rules[0][0] != '(' {
			t.Errorf("%q: Error() = %q, want Redis's text with the rule", rules, err)
		}
	}
	if res, _ := u.Check(&Request{ID: -1}); res != DeniedCommand {
		t.Errorf("id -1: %v", res)
	}
	if res, _ := u.Check(&Request{ID: 1 << 20}); res != DeniedCommand {
		t.Errorf("id out of range: %v", res)
	}
}

func asUnmatched(err error, p **UnmatchedError) bool {
	e, ok := err.(*UnmatchedError)
	*p = e
	return ok
}

func TestDefaultUser(t *testing.T) {
	u := testCatalog().NewDefaultUser(false)
	if got, want := u.String(), "on nopass ~* &* +@all"; got != want {
		t.Fatalf("default user %q, want %q", got, want)
	}
	if res, _ := u.Check(&Request{ID: 0, Keys: []Key{{Name: []byte("k"), Perm: PermAll}}}); res != Allowed {
		t.Fatalf("default user denied: %v", res)
	}
}

func TestUnrestrictedAndUsernames(t *testing.T) {
	c := testCatalog()
	if !c.NewDefaultUser(false).Unrestricted() {
		t.Error("default user restricted")
	}
	for _, rules := range [][]string{
		{"+@all", "~*"},
		{"+@all", "~*", "&*", "-get"},
		{"+@all", "~a", "&*"},
		{"+get", "~*", "&*"},
	} {
		u := c.NewUser("x", false)
		if err := u.SetRules(rules); err != nil {
			t.Fatal(err)
		}
		if u.Unrestricted() {
			t.Errorf("%q: Unrestricted", rules)
		}
	}
	for name, ok := range map[string]bool{"alice": true, "a-b:c": true, "": true, "a b": false, "a\tb": false, "a\x00": false, "a\n": false} {
		if ValidUsername(name) != ok {
			t.Errorf("ValidUsername(%q) = %v", name, !ok)
		}
	}
}

func TestManyUsersAndHugePatterns(t *testing.T) {
	c := testCatalog()
	huge := "~" + strings.Repeat("*?[a-z]", 20000)
	users := make([]*User, 10000)
	for i := range users {
		users[i] = c.NewUser("u", false)
		if err := users[i].SetRules([]string{"on", "+get", "~a"}); err != nil {
			t.Fatal(err)
		}
	}
	u := users[0]
	if err := u.SetRules([]string{huge}); err != nil {
		t.Fatal(err)
	}
	id, _ := c.ID("get")
	key := bytes.Repeat([]byte("b"), 1<<16)
	if res, pos := u.Check(&Request{ID: id, Keys: []Key{{Name: key, Perm: PermRead, Pos: 1}}}); res != DeniedKey || pos != 1 {
		t.Fatalf("huge pattern: %v %d", res, pos)
	}
}

func TestMergeSelectors(t *testing.T) {
	for _, tc := range []struct {
		in, want []string
	}{
		{[]string{"on", "(~a", "+get)", "off"}, []string{"on", "(~a +get)", "off"}},
		{[]string{"(~a)", "(", ")"}, []string{"(~a)", "( )"}},
		{[]string{"(a", "", "b)"}, []string{"(a  b)"}},
		{[]string{""}, []string{""}},
	} {
		got, err := MergeSelectors(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("MergeSelectors(%q) = %q, %v, want %q", tc.in, got, err, tc.want)
		}
	}
}

// FuzzSetRules checks that no rule list panics, that a refused list leaves
// the user as it was, and that the canonical text rebuilds exactly the
// command bitmaps it describes.
func FuzzSetRules(f *testing.F) {
	for _, rules := range ruleCases {
		f.Add(strings.Join(rules, "\n"))
	}
	for _, w := range ruleWords {
		f.Add(w)
	}
	f.Add("on\n>p\n(~a\n+get)\n+select|0\n%R~r\n&c")
	c := testCatalog()
	f.Fuzz(func(t *testing.T, in string) {
		u := c.NewUser("f", false)
		if err := u.SetRules([]string{"on", ">p", "~k", "+get", "(%R~r +set)"}); err != nil {
			t.Fatal(err)
		}
		before := u.String()
		rules := strings.Split(in, "\n")
		if err := u.SetRules(rules); err != nil {
			if u.String() != before || !u.CheckPassword("p") {
				t.Fatalf("refused %q changed the user", rules)
			}
			return
		}
		// Like Redis, a first argument may hold spaces ("+select| 0"),
		// and then the canonical text cannot be read back.
		for _, s := range u.selectors {
			for _, args := range s.firstArgs {
				for _, a := range args {
					if hasSpace(a) {
						return
					}
				}
			}
		}
		for _, s := range u.selectors {
			back := c.newSelector(false)
			for _, r := range strings.Split(c.describeCommands(s), " ") {
				if reason := c.applySelector(back, r); reason != "" {
					t.Fatalf("rule %q of %q: %s", r, c.describeCommands(s), reason)
				}
			}
			if !back.commands.equal(s.commands) || back.future != s.future {
				t.Fatalf("%q does not rebuild the bitmap", c.describeCommands(s))
			}
			for id, args := range s.firstArgs {
				if !s.commands.get(id) && !slices.Equal(back.firstArgs[id], args) {
					t.Fatalf("first args of %d: %q, rebuilt %q", id, args, back.firstArgs[id])
				}
			}
		}
		if len(u.selectors) == 1 {
			back := c.NewUser("f", false)
			if err := back.SetRules(strings.Split(u.String(), " ")); err != nil {
				t.Fatalf("re-reading %q: %v", u.String(), err)
			}
			if back.String() != u.String() {
				t.Fatalf("re-read %q as %q", u.String(), back.String())
			}
		}
	})
}

// BenchmarkCheck is the check a GET pays as a user limited to ~bench:* with
// +@all -@dangerous, the benchmark user.
func BenchmarkCheck(b *testing.B) {
	c := testCatalog()
	u := c.NewUser("bench", false)
	if err := u.SetRules([]string{"on", "nopass", "~bench:*", "+@all", "-@dangerous"}); err != nil {
		b.Fatal(err)
	}
	id, _ := c.ID("get")
	r := &Request{ID: id, Keys: []Key{{Name: []byte("bench:key:000123"), Perm: PermRead, Pos: 1}}}
	b.ReportAllocs()
	for b.Loop() {
		if res, _ := u.Check(r); res != Allowed {
			b.Fatal(res)
		}
	}
}
