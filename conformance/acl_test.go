package conformance

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/server"
)

// ACL against a live redis-server where a script cannot say it: ACL CAT of
// each category (Redoubt has a subset of Redis's commands), ACL LOAD of
// files holding errors (the file changes between the two loads), and ACL
// files written by one server's ACL SAVE and read by the other.

// aclUserLines are users whose ACL LIST lines do not depend on Redis's hash
// table order: at most one single command each.
var aclUserLines = []string{
	"user alice on #0b14d501a594442a01c6859541bcb3e8164d183d32937b851835442f69d5c94e ~k* %R~r* %W~w* resetchannels &ch* -@all +@string +@hash",
	"user bob off nopass sanitize-payload ~* &* +@all -@dangerous",
	"user carol on resetchannels -@all +get (~x* resetchannels -@all +@set) (%R~y* &z -@all +@list)",
	"user default on nopass ~* &* +@all",
}

// TestACLCatMatchesRedis compares ACL CAT of every category: Redoubt lists
// exactly the commands and subcommands of Redis's list that it has.
func TestACLCatMatchesRedis(t *testing.T) {
	redoubt, redis := startBoth(t)
	have := commandNames(t, redoubt)
	cats := mustDo(t, redis, "ACL", "CAT")
	if got := mustDo(t, redoubt, "ACL", "CAT"); got.String() != cats.String() {
		t.Fatalf("ACL CAT = %s, Redis %s", got, cats)
	}
	for _, cat := range cats.Elems {
		var want []string
		for _, e := range mustDo(t, redis, "ACL", "CAT", cat.Str).Elems {
			if slices.Contains(have, e.Str) {
				want = append(want, e.Str)
			}
		}
		var got []string
		for _, e := range mustDo(t, redoubt, "ACL", "CAT", cat.Str).Elems {
			if !redoubtOnly[e.Str] {
				got = append(got, e.Str)
			}
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("ACL CAT %s:\n got %q\nwant %q", cat.Str, got, want)
		}
	}
}

// startBothACLFile starts both servers with the ACL file path, which must
// hold valid users.
func startBothACLFile(t *testing.T, path string) (redoubt, redis *client) {
	t.Helper()
	bin := requireTool(t, "redis-server")
	cfg, err := server.ApplyArgs(server.Config{}, []string{"--aclfile", path})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	rs, err := startRedis(bin, []string{"--aclfile", path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rs.stop)
	return newClient(t, srv.Addr()), newClient(t, rs.addr)
}

// TestACLLoadMatchesRedis loads good and bad ACL files into both servers:
// the replies must be the same bytes (every error, with the file's name
// and line), and the users afterwards the same.
func TestACLLoadMatchesRedis(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.acl")
	good := strings.Join(aclUserLines, "\n") + "\n"
	if err := os.WriteFile(path, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	redoubt, redis := startBothACLFile(t, path)
	files := []string{
		good,
		"",
		"\n\n   \n",
		"user alice on nopass +@all ~*\r\n\tuser  bob  on  >pw  \n",
		"user default on nopass ~* &* +@all -@keyspace\n",
		"user alice\nuser alice on\n",
		"users alice on\n",
		"user\n",
		"# a comment\nuser alice on\n",
		"USER alice on\n",
		"user alice on nosuchrule +nosuchcommand ~* ~x +@nosuchcat\n",
		"user alice on <notthere\n",
		"user alice on #abc\n",
		// A selector never closed, with no rule before it: with rules
		// before it, 7.0.15's ACL LOAD crashes (it walks the rules it
		// freed); Redoubt's error is tested in server/aclfile_test.go.
		"user bob (~y +get\n",
		"user alice on (~x +nosuch) (+get nosuch)\n",
		"user alice on \"quoted rule\"\n",
		"user alice on allchannels &x\n",
		"user alice on %X~k\n",
		"user alice on +config|get|x +select|0 -select|0\n",
		"user alice on reset >p1 (~a* +@hash) clearselectors\n",
		"user alice on\nuser bob on\nuser alice off\nuser carol on\nuser bob off\n",
		"user alice on +get\nfoo bar\nuser \"bob\" on\nuser carol x\n",
		"user alice on ~a\\tb\n",
		good,
	}
	for i, text := range files {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		want := mustDo(t, redis, "ACL", "LOAD")
		t.Logf("file %d: Redis %s", i, want)
		got := mustDo(t, redoubt, "ACL", "LOAD")
		if got.String() != want.String() {
			t.Errorf("file %d %q: ACL LOAD = %s\nRedis: %s", i, text, got, want)
		}
		// ACL LOAD closes the connections of users it replaced; the
		// clients reconnect as default.
		want = mustDo(t, redis, "ACL", "LIST")
		got = mustDo(t, redoubt, "ACL", "LIST")
		if got.String() != want.String() {
			t.Errorf("file %d %q: ACL LIST = %s\nRedis: %s", i, text, got, want)
		}
	}
}

// TestACLFileInterchange writes users with ACL SAVE on each server and
// starts the other server with the file: both list the same users.
func TestACLFileInterchange(t *testing.T) {
	dir := t.TempDir()
	for _, from := range []string{"redoubt", "redis"} {
		t.Run(from, func(t *testing.T) {
			path := filepath.Join(dir, from+".acl")
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			redoubt, redis := startBothACLFile(t, path)
			src, dst := redoubt, redis
			if from == "redis" {
				src, dst = redis, redoubt
			}
			for _, l := range aclUserLines {
				args := strings.Fields(l)
				args = append([]string{"ACL", "SETUSER", args[1], "reset"}, args[2:]...)
				if v := mustDo(t, src, args...); v.Kind != '+' {
					t.Fatalf("%q: %s", args, v)
				}
			}
			if v := mustDo(t, src, "ACL", "SAVE"); v.Kind != '+' {
				t.Fatalf("ACL SAVE: %s", v)
			}
			if v := mustDo(t, dst, "ACL", "LOAD"); v.Kind != '+' {
				t.Fatalf("ACL LOAD: %s", v)
			}
			want := mustDo(t, src, "ACL", "LIST")
			got := mustDo(t, dst, "ACL", "LIST")
			if got.String() != want.String() {
				t.Errorf("ACL LIST after load = %s\nsaved from %s: %s", got, from, want)
			}
			if len(want.Elems) != len(aclUserLines) {
				t.Errorf("ACL LIST = %s, want %d users", want, len(aclUserLines))
			}
			if from == "redoubt" {
				st, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if st.Mode().Perm() != 0o600 {
					t.Errorf("ACL SAVE wrote mode %v, want 0600", st.Mode().Perm())
				}
			}
		})
	}
}

// TestACLConfigRewriteVsRedis starts both servers from a config file with
// user lines, changes the users, and compares the user lines CONFIG REWRITE
// writes; with an ACL file, both drop them.
func TestACLConfigRewriteVsRedis(t *testing.T) {
	bin := requireTool(t, "redis-server")
	dir := t.TempDir()
	for _, withFile := range []bool{false, true} {
		start := "# users\nuser alice on >p1 ~a* +@string\nuser default on nopass ~* &* +@all -@keyspace\n# end\n"
		acls := filepath.Join(dir, "users.acl")
		if withFile {
			start = "# users\n"
			if err := os.WriteFile(acls, []byte("user alice on\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		texts := map[string]string{}
		for _, name := range []string{"redis", "redoubt"} {
			conf := filepath.Join(dir, name+".conf")
			text := start
			if withFile {
				text += "aclfile " + acls + "\nuser bob on\n"
			}
			if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			var c *client
			if name == "redis" {
				// A user line beside aclfile stops both servers: the
				// file is rewritten after start instead.
				if withFile {
					os.WriteFile(conf, []byte(start+"aclfile "+acls+"\n"), 0o600)
				}
				c = newClient(t, startRedisConf(t, bin, "", conf, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"))
			} else {
				if withFile {
					cfg, err := server.ApplyArgs(server.Config{}, []string{conf})
					if err == nil {
						srv, err := server.New(cfg)
						if err == nil {
							srv.Close()
							t.Fatal("Redoubt started with user lines and an aclfile")
						}
					}
					os.WriteFile(conf, []byte(start+"aclfile "+acls+"\n"), 0o600)
				}
				cfg, err := server.ApplyArgs(server.Config{}, []string{conf})
				if err != nil {
					t.Fatal(err)
				}
				srv, err := server.New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { srv.Close() })
				c = newClient(t, srv.Addr())
			}
			for _, cmd := range [][]string{
				{"ACL", "SETUSER", "bob", "on", "#0b14d501a594442a01c6859541bcb3e8164d183d32937b851835442f69d5c94e", "(~b* +@hash)"},
				{"ACL", "DELUSER", "alice"},
				{"ACL", "SETUSER", "carol", "on", "nopass", "allkeys", "+@read"},
				{"CONFIG", "REWRITE"},
			} {
				if v := mustDo(t, c, cmd...); v.Kind == '-' {
					t.Fatalf("%s: %q: %s", name, cmd, v)
				}
			}
			data, err := os.ReadFile(conf)
			if err != nil {
				t.Fatal(err)
			}
			var users []string
			for _, l := range strings.Split(string(data), "\n") {
				if strings.HasPrefix(l, "user ") || strings.HasPrefix(l, "# users") || strings.HasPrefix(l, "# end") {
					users = append(users, l)
				}
			}
			texts[name] = strings.Join(users, "\n")
		}
		t.Logf("aclfile %v:\n%s", withFile, texts["redis"])
		if texts["redoubt"] != texts["redis"] {
			t.Errorf("aclfile %v: user lines after CONFIG REWRITE:\n%s\nRedis:\n%s", withFile, texts["redoubt"], texts["redis"])
		}
	}
}
