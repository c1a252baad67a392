package server

import (
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/acl"
)

// aclClient starts a server with a user called name with rules, and
// returns a connection authenticated as it.
func aclClient(t *testing.T, cfg Config, rules ...string) (*Server, *tcConn) {
	t.Helper()
	srv := tcStart(t, cfg)
	srv.storeUser(testUser(t, srv, "alice", append([]string{"on", ">alice-pw"}, rules...)...))
	c := tcDial(t, srv)
	if got := c.str("AUTH", "alice", "alice-pw"); got != "OK" {
		t.Fatalf("AUTH = %q", got)
	}
	return srv, c
}

func TestACLCheckCommandsAndKeys(t *testing.T) {
	srv, c := aclClient(t, Config{}, "~k*", "%R~ro*", "+get", "+set", "+config|get", "+exists", "+mget", "+client")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"SET", "k1", "v"}, "+OK"},
		{[]string{"GET", "k1"}, "v"},
		{[]string{"GET", "x"}, "-" + msgNoPermKey},
		{[]string{"MGET", "k1", "k2", "x"}, "-" + msgNoPermKey},
		{[]string{"MGET", "k1", "k2"}, "[v (nil)]"},
		{[]string{"INCR", "k1"}, "-NOPERM this user has no permissions to run the 'incr' command"},
		{[]string{"CONFIG", "SET", "hz", "10"}, "-NOPERM this user has no permissions to run the 'config|set' command"},
		{[]string{"CONFIG", "GET", "hz"}, "[hz 10]"},
		{[]string{"GET", "ro1"}, "(nil)"},
		{[]string{"SET", "ro1", "v"}, "-" + msgNoPermKey},
		// EXISTS needs no access, only a matching pattern.
		{[]string{"EXISTS", "ro1"}, ":0"},
		{[]string{"EXISTS", "zz"}, "-" + msgNoPermKey},
		// Unknown commands and arity errors come first; AUTH needs no permission.
		{[]string{"NOSUCH"}, "-ERR unknown command 'NOSUCH', with args beginning with: "},
		{[]string{"INCR"}, "-ERR wrong number of arguments for 'incr' command"},
		{[]string{"AUTH", "alice", "alice-pw"}, "+OK"},
	} {
		if got := c.do(tc.args...).flat(); got != tc.want {
			t.Errorf("%q = %s, want %s", tc.args, got, tc.want)
		}
	}
	entries := srv.aclLogEntries(-1)
	if len(entries) == 0 {
		t.Fatal("nothing in the ACL log")
	}
	// Newest first: CONFIG SET was refused last of the commands.
	var byObject = map[string]aclLogEntry{}
	for _, e := range entries {
		byObject[e.Reason+" "+e.Object] = e
	}
	for _, want := range []string{"key x", "command incr", "command config|set", "key ro1", "key zz"} {
		e, ok := byObject[want]
		if !ok {
			t.Errorf("no ACL log entry %q in %+v", want, entries)
			continue
		}
		if e.Username != "alice" || e.Context != "toplevel" || !strings.Contains(e.ClientInfo, "user=alice") {
			t.Errorf("entry %q = %+v", want, e)
		}
	}
	if e := byObject["key x"]; e.Count != 2 {
		t.Errorf("the two denials of x counted %d", e.Count)
	}
	if v := c.do("INFO"); !strings.Contains(v.flat(), "'info'") {
		t.Errorf("INFO = %v", v.flat())
	}
}

func TestACLCheckRestrictedDefaultUser(t *testing.T) {
	srv := tcStart(t, Config{})
	u := srv.user(defaultUser).Clone()
	if err := u.SetRules([]string{"-flushall"}); err != nil {
		t.Fatal(err)
	}
	srv.storeUser(u)
	c := tcDial(t, srv) // a new connection: the default user, restricted
	if v := c.do("FLUSHALL"); v.flat() != "-NOPERM this user has no permissions to run the 'flushall' command" {
		t.Errorf("FLUSHALL = %v", v)
	}
	if got := c.str("PING"); got != "PONG" {
		t.Errorf("PING = %q", got)
	}
	// A connection made before the change sees it at its next command.
	srv.storeUser(srv.aclCatalog().NewDefaultUser(false))
	if got := c.str("FLUSHALL"); got != "OK" {
		t.Errorf("FLUSHALL after restoring = %q", got)
	}
}

func TestACLCheckChannels(t *testing.T) {
	_, c := aclClient(t, Config{}, "resetchannels", "&news.*", "&lit*", "+@pubsub")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"PUBLISH", "news.a", "m"}, ":0"},
		{[]string{"PUBLISH", "other", "m"}, "-" + msgNoPermChannel},
		{[]string{"SPUBLISH", "other", "m"}, "-" + msgNoPermChannel},
		{[]string{"SUBSCRIBE", "news.a", "other"}, "-" + msgNoPermChannel},
		{[]string{"SSUBSCRIBE", "other"}, "-" + msgNoPermChannel},
		// PSUBSCRIBE's patterns are compared literally.
		{[]string{"PSUBSCRIBE", "news.*x"}, "-" + msgNoPermChannel},
		{[]string{"UNSUBSCRIBE", "other"}, "[unsubscribe other :0]"},
	} {
		if got := c.do(tc.args...).flat(); got != tc.want {
			t.Errorf("%q = %s, want %s", tc.args, got, tc.want)
		}
	}
	if got := c.do("PSUBSCRIBE", "lit*").flat(); got != "[psubscribe lit* :1]" {
		t.Errorf("PSUBSCRIBE lit* = %s", got)
	}
}

func TestACLCheckMulti(t *testing.T) {
	srv, c := aclClient(t, Config{}, "~*", "allchannels", "+@all", "-incr")
	c.str("MULTI")
	if v := c.do("INCR", "n"); v.flat() != "-NOPERM this user has no permissions to run the 'incr' command" {
		t.Errorf("queued INCR = %v", v)
	}
	if v := c.do("EXEC"); v.flat() != "-EXECABORT Transaction discarded because of previous errors." {
		t.Errorf("EXEC = %v", v)
	}
	var multi bool
	for _, e := range srv.aclLogEntries(-1) {
		multi = multi || (e.Context == "multi" && e.Object == "incr")
	}
	if !multi {
		t.Errorf("no ACL log entry in context multi: %+v", srv.aclLogEntries(-1))
	}
	// The rules change between MULTI and EXEC.
	c.str("MULTI")
	c.str("SET", "a", "1")
	c.str("GET", "a")
	c.str("PUBLISH", "ch", "m")
	srv.storeUser(testUser(t, srv, "alice", "on", ">alice-pw", "~b*", "+@all", "-get", "resetchannels"))
	v := c.do("EXEC")
	want := "[-" + sprintfExec("no permission to touch the specified keys") + " -" +
		sprintfExec("no permission to execute the command or subcommand") + " -" +
		sprintfExec("no permission to access one of the channels used as arguments") + "]"
	if v.flat() != want {
		t.Errorf("EXEC after the change =\n%s\nwant\n%s", v.flat(), want)
	}
	// EXEC itself refused: the transaction is discarded with the reason.
	srv.storeUser(testUser(t, srv, "alice", "on", ">alice-pw", "~*", "+@all", "-exec"))
	c.str("MULTI")
	c.str("SET", "a", "1")
	if v := c.do("EXEC"); v.flat() != "-EXECABORT Transaction discarded because of: NOPERM this user has no permissions to run the 'exec' command" {
		t.Errorf("refused EXEC = %v", v)
	}
	if got := c.do("DISCARD").flat(); got != "-ERR DISCARD without MULTI" {
		t.Errorf("DISCARD after the refused EXEC = %s", got)
	}
}

func sprintfExec(reason string) string {
	return strings.Replace(msgNoPermExec, "%s", reason, 1)
}

func TestACLCheckSort(t *testing.T) {
	srv, c := aclClient(t, Config{}, "~l*", "~w_*", "+@all")
	c.integer("RPUSH", "l1", "3", "1", "2")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"SORT", "l1"}, "[1 2 3]"},
		{[]string{"SORT", "l1", "BY", "nosort"}, "[3 1 2]"},
		{[]string{"SORT", "l1", "BY", "w_*"}, "-" + msgSortByDenied},
		{[]string{"SORT", "l1", "GET", "#"}, "-" + msgSortGetDenied},
		{[]string{"SORT_RO", "l1", "GET", "w_*"}, "-" + msgSortGetDenied},
		{[]string{"SORT", "l1", "STORE", "x"}, "-" + msgNoPermKey},
	} {
		if got := c.do(tc.args...).flat(); got != tc.want {
			t.Errorf("%q = %s, want %s", tc.args, got, tc.want)
		}
	}
	srv.storeUser(testUser(t, srv, "alice", "on", ">alice-pw", "%R~*", "~l*", "+@all"))
	if got := c.do("SORT", "l1", "BY", "w_*", "GET", "#").flat(); got != "[1 2 3]" && got != "[3 1 2]" {
		t.Errorf("SORT BY GET with read access to every key = %s", got)
	}
}

func TestACLCheckRenamedCommand(t *testing.T) {
	srv := tcStart(t, Config{RenameCommands: []CommandRename{{From: "get", To: "fetch"}}})
	srv.storeUser(testUser(t, srv, "alice", "on", ">pw", "~*", "+@all", "-get"))
	c := tcDial(t, srv)
	c.str("AUTH", "alice", "pw")
	if v := c.do("FETCH", "k"); v.flat() != "-NOPERM this user has no permissions to run the 'get' command" {
		t.Errorf("FETCH = %v", v)
	}
}

func TestACLCheckDryRunHelpers(t *testing.T) {
	srv := tcStart(t, Config{})
	u := testUser(t, srv, "bob", "on", "~k*", "resetchannels", "&c*", "+get", "+publish")
	get, pub, set := commands.byName["get"], commands.byName["publish"], commands.byName["set"]
	for _, tc := range []struct {
		cmd  *command
		args []string
		want string
	}{
		{get, []string{"get", "k1"}, ""},
		{get, []string{"get", "x\x00y"}, "This user has no permissions to access the 'x' key"},
		{set, []string{"set", "k1", "v"}, "This user has no permissions to run the 'set' command"},
		{pub, []string{"publish", "d", "m"}, "This user has no permissions to access the 'd' channel"},
	} {
		args := make([][]byte, len(tc.args))
		for i, a := range tc.args {
			args[i] = []byte(a)
		}
		res, pos := srv.aclCheck(u, tc.cmd, args)
		got := ""
		if res != acl.Allowed {
			got = aclDenyText(res, tc.cmd, args, pos)
		}
		if got != tc.want {
			t.Errorf("%q: %q, want %q", tc.args, got, tc.want)
		}
	}
}

// TestACLCheckUnrestrictedAllocs: the dispatcher's check of an unrestricted
// user is one branch, and a restricted user's check allocates nothing.
func TestACLCheckRestrictedAllocs(t *testing.T) {
	srv := tcStart(t, Config{})
	c := newConn(srv, nil)
	c.setUser(testUser(t, srv, "bench", "on", "nopass", "~bench:*", "+@all", "-@dangerous"), srv.users.gen.Load())
	get := commands.byName["get"]
	args := [][]byte{[]byte("GET"), []byte("bench:1")}
	if res, _ := c.checkACL(get, args, aclContextToplevel); res != acl.Allowed {
		t.Fatalf("GET bench:1 refused: %v", res)
	}
	if n := testing.AllocsPerRun(100, func() { c.checkACL(get, args, aclContextToplevel) }); n != 0 {
		t.Errorf("a restricted user's check allocates %v times", n)
	}
}

// BenchmarkACLCheckRestricted is the dispatcher's check of GET for the
// benchmark's restricted user (~bench:* +@all -@dangerous).
func BenchmarkACLCheckRestricted(b *testing.B) {
	srv, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	u := srv.aclCatalog().NewUser("bench", false)
	if err := u.SetRules([]string{"on", "nopass", "~bench:*", "+@all", "-@dangerous"}); err != nil {
		b.Fatal(err)
	}
	c := newConn(srv, nil)
	c.setUser(u, srv.users.gen.Load())
	for _, line := range [][]string{{"GET", "bench:000000001234"}, {"SET", "bench:000000001234", "xxx"}} {
		cmd := commands.byName[strings.ToLower(line[0])]
		args := make([][]byte, len(line))
		for i, a := range line {
			args[i] = []byte(a)
		}
		b.Run(line[0], func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if res, _ := c.checkACL(cmd, args, aclContextToplevel); res != acl.Allowed {
					b.Fatal(res)
				}
			}
		})
	}
}

// TestACLKeyPlansMatchKeySpecs: the direct key of a one-key plan is the key
// keyspec.Append finds, with the access its flags need, for argument lists
// of every length.
func TestACLKeyPlansMatchKeySpecs(t *testing.T) {
	processCatalog()
	direct := 0
	for _, top := range commands.list {
		for _, cmd := range append([]*command{top}, top.Subcommands...) {
			p := aclKeyPlans[cmd.id]
			if p.keys != cmd.hasKeys() {
				t.Errorf("%s: plan keys %v, hasKeys %v", cmd.fullName, p.keys, cmd.hasKeys())
			}
			if p.pos == 0 {
				continue
			}
			direct++
			for n := 1; n <= 6; n++ {
				args := [][]byte{[]byte(cmd.Name)}
				if cmd.parent != nil {
					args = [][]byte{[]byte(cmd.parent.Name), []byte(cmd.Name)}
				}
				for len(args) < n {
					args = append(args, []byte{byte('a' + len(args))})
				}
				var sc aclScratch
				got := aclRequest(&sc, cmd, args).Keys
				want := cmd.Keys(args)
				if len(got) != len(want) {
					t.Errorf("%s with %d args: %d keys, the key specs find %d", cmd.fullName, n, len(got), len(want))
					continue
				}
				for i := range got {
					if got[i].Pos != want[i].Pos || got[i].Perm != keyPerm(want[i].Flags) {
						t.Errorf("%s with %d args: key %+v, the key specs say %+v", cmd.fullName, n, got[i], want[i])
					}
				}
			}
		}
	}
	if direct < 50 {
		t.Errorf("only %d commands take their key directly", direct)
	}
}

// FuzzACLRequest checks arbitrary argument lists of every command against
// a restricted user with selectors: building the request and checking it
// never panics, and a refusal's position names an argument.
func FuzzACLRequest(f *testing.F) {
	for _, s := range []string{"k1", "k1 v", "2 k1 k2", "k1 BY w_* GET #", "-1 x", "99999999999 a", "", "a\x00b c"} {
		f.Add(s)
	}
	initCommands()
	cat := processCatalog()
	u := cat.NewUser("fuzz", false)
	if err := u.SetRules([]string{"on", "~k*", "%R~r*", "&c*", "+@all", "-@dangerous", "+select|0", "(~z* +get)"}); err != nil {
		f.Fatal(err)
	}
	srv := &Server{}
	f.Fuzz(func(t *testing.T, rest string) {
		fields := strings.Fields(rest)
		if len(fields) > 64 {
			fields = fields[:64]
		}
		for _, top := range commands.list {
			for _, cmd := range append([]*command{top}, top.Subcommands...) {
				args := [][]byte{[]byte(cmd.Name)}
				if cmd.parent != nil {
					args = [][]byte{[]byte(cmd.parent.Name), []byte(cmd.Name)}
				}
				for _, a := range fields {
					args = append(args, []byte(a))
				}
				res, pos := srv.aclCheck(u, cmd, args)
				if res != acl.Allowed && res != acl.DeniedCommand && (pos < 1 || pos >= len(args)) {
					t.Fatalf("%q: result %v at position %d", args, res, pos)
				}
				_ = aclDenyText(res, cmd, args, pos)
			}
		}
	})
}
