package server

import (
	"slices"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/acl"
)

// testUser builds a user of srv's catalog from ACL SETUSER rules.
func testUser(t *testing.T, srv *Server, name string, rules ...string) *acl.User {
	t.Helper()
	u := srv.aclCatalog().NewUser(name, false)
	if err := u.SetRules(rules); err != nil {
		t.Fatalf("rules %q: %v", rules, err)
	}
	return u
}

func TestUsersCatalogIDsAreCommandIDs(t *testing.T) {
	initCommands()
	cat := processCatalog()
	if cat.Len() != commands.count {
		t.Fatalf("catalog has %d ids, the table %d commands", cat.Len(), commands.count)
	}
	for _, cmd := range commands.list {
		for _, c := range append([]*command{cmd}, cmd.Subcommands...) {
			id, ok := cat.ID(c.fullName)
			if !ok || id != c.id || cat.Name(id) != c.fullName {
				t.Errorf("%s: catalog id %d (%v), command id %d", c.fullName, id, ok, c.id)
			}
		}
	}
}

func TestUsersCatalogKeepsOriginalNames(t *testing.T) {
	srv := tcStart(t, Config{Port: 0, RenameCommands: []CommandRename{{From: "get", To: "fetch"}, {From: "flushall", To: ""}}})
	cat := srv.aclCatalog()
	for _, name := range []string{"get", "flushall", "config|get"} {
		if _, ok := cat.ID(name); !ok {
			t.Errorf("catalog lacks %q", name)
		}
	}
	if _, ok := cat.ID("fetch"); ok {
		t.Error("catalog knows the renamed name")
	}
}

func TestUsersRegistry(t *testing.T) {
	srv := tcStart(t, Config{Port: 0})
	if got := srv.userNames(); !slices.Equal(got, []string{"default"}) {
		t.Fatalf("userNames = %q", got)
	}
	def := srv.user("default")
	if def == nil || !def.NoPass() || !def.Enabled() || !def.Unrestricted() {
		t.Fatalf("default user = %v", def)
	}
	g0 := srv.users.gen.Load()
	srv.storeUser(testUser(t, srv, "zed", "on", ">pw"))
	srv.storeUser(testUser(t, srv, "alice", "on", ">pw"))
	if srv.users.gen.Load() == g0 {
		t.Error("storeUser did not bump gen")
	}
	if got := srv.userNames(); !slices.Equal(got, []string{"alice", "default", "zed"}) {
		t.Errorf("userNames = %q", got)
	}
	var names []string
	for _, u := range srv.allUsers() {
		names = append(names, u.Name)
	}
	if !slices.Equal(names, []string{"alice", "default", "zed"}) {
		t.Errorf("allUsers = %q", names)
	}
	if srv.user("nobody") != nil {
		t.Error("user(nobody) is not nil")
	}
	g1 := srv.users.gen.Load()
	if srv.deleteUser("default") || srv.deleteUser("nobody") {
		t.Error("deleted default or a user that does not exist")
	}
	if srv.users.gen.Load() != g1 {
		t.Error("a refused delete bumped gen")
	}
	if !srv.deleteUser("zed") || srv.user("zed") != nil {
		t.Error("zed not deleted")
	}
	srv.replaceUsers([]*acl.User{testUser(t, srv, "default", "on", "nopass", "+@all", "~*"), testUser(t, srv, "bob", "on")})
	if got := srv.userNames(); !slices.Equal(got, []string{"bob", "default"}) {
		t.Errorf("after replaceUsers: %q", got)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("replaceUsers without default did not panic")
			}
		}()
		srv.replaceUsers([]*acl.User{testUser(t, srv, "bob", "on")})
	}()
	if srv.user("default") == nil {
		t.Error("a refused replaceUsers removed default")
	}
}

func TestUsersAuthAsAnotherUserAndDelete(t *testing.T) {
	srv := tcStart(t, Config{Port: 0})
	srv.storeUser(testUser(t, srv, "alice", "on", ">secret", "+@all", "~*"))
	a := tcDial(t, srv)
	if v := a.do("AUTH", "alice", "wrong"); v.flat() != "-"+msgWrongPass {
		t.Fatalf("wrong password: %v", v)
	}
	if v := a.do("AUTH", "nobody", "secret"); v.flat() != "-"+msgWrongPass {
		t.Fatalf("unknown user: %v", v)
	}
	if got := a.str("AUTH", "alice", "secret"); got != "OK" {
		t.Fatalf("AUTH = %q", got)
	}
	other := tcDial(t, srv)
	if list := other.str("CLIENT", "LIST"); !containsField(list, "user=alice") {
		t.Errorf("CLIENT LIST does not show alice:\n%s", list)
	}
	// A disabled user cannot log in; one logged in already keeps working.
	srv.storeUser(testUser(t, srv, "alice", "off", ">secret", "+@all", "~*"))
	if got := a.str("PING"); got != "PONG" {
		t.Errorf("PING after off = %q", got)
	}
	if v := other.do("AUTH", "alice", "secret"); v.flat() != "-"+msgWrongPass {
		t.Errorf("AUTH as a disabled user: %v", v)
	}
	// CLIENT KILL USER matches by name.
	if n := other.integer("CLIENT", "KILL", "USER", "default", "SKIPME", "yes"); n != 0 {
		t.Errorf("CLIENT KILL USER default killed %d", n)
	}
	// Deleting the user closes its client at once.
	srv.deleteUser("alice")
	srv.killUserClients("alice")
	if !a.closed(5 * time.Second) {
		t.Error("alice's connection is still open after her deletion")
	}
	if got := other.str("PING"); got != "PONG" {
		t.Errorf("default's client: %q", got)
	}
}

func TestUsersDeletedUserClosesAtNextCommand(t *testing.T) {
	srv := tcStart(t, Config{Port: 0})
	srv.storeUser(testUser(t, srv, "bob", "on", "nopass", "+@all"))
	b := tcDial(t, srv)
	if got := b.str("AUTH", "bob", "anything"); got != "OK" {
		t.Fatalf("AUTH = %q", got)
	}
	srv.deleteUser("bob") // without killUserClients: the gen check closes it
	b.send("PING")
	if !b.closed(5 * time.Second) {
		t.Error("the client of a deleted user ran a command")
	}
}

func containsField(list, field string) bool {
	for _, line := range splitLines(list) {
		for _, f := range splitSpaces(line) {
			if f == field {
				return true
			}
		}
	}
	return false
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

func splitSpaces(s string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' {
			if start >= 0 {
				out = append(out, s[start:i])
			}
			start = -1
		} else if start < 0 {
			start = i
		}
	}
	return out
}

// TestUsersKillClosesBlockedClient: a client blocked in BLPOP closes when
// its user is deleted and its clients killed.
func TestUsersKillClosesBlockedClient(t *testing.T) {
	srv := tcStart(t, Config{})
	srv.storeUser(testUser(t, srv, "erin", "on", ">pw", "~*", "+@all"))
	c := tcDial(t, srv)
	c.str("AUTH", "erin", "pw")
	c.send("BLPOP", "nolist", "0")
	blockedCount(t, tcDial(t, srv), 1)
	srv.deleteUser("erin")
	srv.killUserClients("erin")
	if !c.closed(5 * time.Second) {
		t.Error("the blocked client of a deleted user stays connected")
	}
}

// TestUsersRulesChangeMidPipeline: a change of the user's rules applies
// from the next command, within a pipeline too.
func TestUsersRulesChangeMidPipeline(t *testing.T) {
	srv := tcStart(t, Config{})
	srv.storeUser(testUser(t, srv, "fay", "on", ">pw", "~*", "+@all"))
	c := tcDial(t, srv)
	c.str("AUTH", "fay", "pw")
	if got := c.str("SET", "k", "v"); got != "OK" {
		t.Fatal(got)
	}
	srv.storeUser(testUser(t, srv, "fay", "on", ">pw", "~*", "+@all", "-set"))
	if v := c.do("SET", "k", "v"); v.flat() != "-NOPERM this user has no permissions to run the 'set' command" {
		t.Errorf("SET after -set = %v", v)
	}
}
