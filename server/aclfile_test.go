package server

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/acl"
)

// aclFileUsers returns the ACL LIST lines of users.
func aclFileUsers(users []*acl.User) []string {
	var lines []string
	for _, u := range users {
		lines = append(lines, "user "+u.Name+" "+u.String())
	}
	return lines
}

func TestParseACLFileBadInput(t *testing.T) {
	cat := processCatalog()
	long := strings.Repeat("x", 1<<20)
	cases := []struct {
		name, text, want string
	}{
		{"nul", "user alice on\nuser bob on \x00 off\n",
			"f:2: the line holds a NUL byte. " + msgACLFileRolledBack},
		{"unknown rule", "user alice on nosuchrule\n",
			"f:1: Syntax error. " + msgACLFileRolledBack},
		// 7.0.15 crashes on this one (ACL LOAD walks the rules it freed).
		{"selector never closed after rules", "user alice on >pw (~x +get\n",
			"f:1: Unmatched parenthesis in selector definition." + msgACLFileRolledBack},
		{"selector never closed", "user alice (~x\n",
			"f:1: Unmatched parenthesis in selector definition." + msgACLFileRolledBack},
		{"truncated line", "user alice on ~a\nuser", "f:2 should start with user keyword followed by the username. " + msgACLFileRolledBack},
		// A refused password rule is reported without the password.
		{"password not there", "user alice <" + long + "\n",
			"f:1: The password you are trying to remove from the user does not exist. " + msgACLFileRolledBack},
		{"huge pattern with a space", "user alice ~" + long + "\t" + long + "\n",
			"f:1: Syntax error. " + msgACLFileRolledBack},
	}
	for _, c := range cases {
		users, msg := parseACLFile(cat, false, "f", []byte(c.text))
		if users != nil || msg != c.want {
			t.Errorf("%s: users %d, error %.300q, want %.300q", c.name, len(users), msg, c.want)
		}
		if strings.Contains(msg, "pw") || strings.Contains(msg, long[:100]) && c.name == "password not there" {
			t.Errorf("%s: the error shows a password: %.200q", c.name, msg)
		}
	}
}

func TestParseACLFileGood(t *testing.T) {
	cat := processCatalog()
	long := strings.Repeat("p", 1<<20)
	text := "\r\n  user carol on >" + long + " ~a* (~b* +@hash)\r\n\n" +
		"user default on nopass ~* &* +@all -@dangerous\n" +
		"user alice  on  nopass\t\n"
	users, msg := parseACLFile(cat, true, "f", []byte(text))
	if msg != "" {
		t.Fatal(msg)
	}
	want := []string{
		"user carol on #" + acl.HashPassword(long) + " ~a* &* -@all (~b* &* -@all +@hash)",
		"user default on nopass ~* &* +@all -@dangerous",
		"user alice on nopass &* -@all",
	}
	if got := aclFileUsers(users); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("users:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Without a default user in the file, Redis's default is added.
	users, msg = parseACLFile(cat, false, "f", []byte("user bob on\n"))
	if msg != "" || len(users) != 2 || users[1].Name != "default" || !users[1].Unrestricted() {
		t.Errorf("no default in the file: %v %q", aclFileUsers(users), msg)
	}
}

// TestParseACLFileManyUsers loads 10,000 users and writes them back.
func TestParseACLFileManyUsers(t *testing.T) {
	cat := processCatalog()
	var b strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&b, "user u%05d on >pw%d ~k%d:* resetchannels &c%d -@all +@string\n", i, i, i, i)
	}
	start := time.Now()
	users, msg := parseACLFile(cat, false, "f", []byte(b.String()))
	if msg != "" {
		t.Fatal(msg)
	}
	if len(users) != 10001 {
		t.Fatalf("%d users", len(users))
	}
	again, msg := parseACLFile(cat, false, "f", aclFileText(users))
	if msg != "" || len(again) != len(users) {
		t.Fatalf("reading back what was written: %d users, %q", len(again), msg)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("10,000 users took %v", d)
	}
}

// FuzzACLFile checks that no file makes the parser panic, that a refused
// file yields no users, and that an accepted one holds a default user and
// reads back the same from what ACL SAVE would write.
func FuzzACLFile(f *testing.F) {
	for _, s := range []string{
		"user alice on >p ~k* &c +@all -@dangerous (~x +get) (%R~y* +@hash)\n",
		"user default off\nuser bob on nopass\n",
		"user a (~x\nuser b \"q\n", "user\n", "\x00", "user a on +select|0 +config|get -config\n",
		"user a %RW~a %W~b %R~c ~d allkeys\n", "user a ((((((\n",
	} {
		f.Add([]byte(s))
	}
	cat := processCatalog()
	f.Fuzz(func(t *testing.T, data []byte) {
		users, msg := parseACLFile(cat, false, "f", data)
		if msg != "" {
			if users != nil {
				t.Fatalf("an error and %d users", len(users))
			}
			return
		}
		hasDefault := false
		for _, u := range users {
			hasDefault = hasDefault || u.Name == defaultUser
		}
		if !hasDefault {
			t.Fatal("no default user")
		}
		// A pattern holding a parenthesis cannot be written in the
		// file's format (Redis writes it as it is, and then cannot read
		// it back either).
		for _, u := range users {
			root, sels := u.Describe()
			for _, d := range append(sels, root) {
				if strings.ContainsAny(d.Keys+d.Channels, "()") {
					return
				}
			}
		}
		again, msg := parseACLFile(cat, false, "f", aclFileText(users))
		if msg != "" {
			t.Fatalf("what ACL SAVE writes is refused: %s\n%s", msg, aclFileText(users))
		}
		if a, b := aclFileUsers(users), aclFileUsers(again); strings.Join(a, "\n") != strings.Join(b, "\n") {
			t.Fatalf("read back differently:\n%q\n%q", a, b)
		}
	})
}

func TestWriteACLFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users.acl")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if step, err := writeACLFile(path, []byte("new\n")); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	data, err := os.ReadFile(path)
	if err != nil || string(data) != "new\n" {
		t.Fatalf("file %q, %v", data, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the directory holds %d files, want only the ACL file", len(entries))
	}
	// A directory that does not exist: the step is named, nothing is left.
	if step, err := writeACLFile(filepath.Join(dir, "no", "users.acl"), nil); err == nil || !strings.HasPrefix(step, "Opening temp ACL file") {
		t.Errorf("missing directory: %q %v", step, err)
	}
	// A path that is a directory: the rename fails and the temp file goes.
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if step, err := writeACLFile(sub, []byte("x")); err == nil || !strings.HasPrefix(step, "Renaming") {
		t.Errorf("path is a directory: %q %v", step, err)
	}
	entries, _ = os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("a failed save left files: %d entries", len(entries))
	}
}

// TestACLSaveLoad saves users, changes them, and loads them back; a file
// with an error changes nothing.
func TestACLSaveLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.acl")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := tcStart(t, Config{Port: 0, ACLFile: path})
	c := tcDial(t, srv)
	if got := c.str("ACL", "SETUSER", "alice", "on", ">pw", "~a*", "+@string"); got != "OK" {
		t.Fatal(got)
	}
	if got := c.str("ACL", "SAVE"); got != "OK" {
		t.Fatal(got)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "pw") || !strings.Contains(string(data), "#"+acl.HashPassword("pw")) {
		t.Errorf("saved file:\n%s", data)
	}
	before := c.do("ACL", "LIST").String()
	if got := c.str("ACL", "SETUSER", "bob", "on"); got != "OK" {
		t.Fatal(got)
	}
	if got := c.str("ACL", "LOAD"); got != "OK" {
		t.Fatal(got)
	}
	if after := c.do("ACL", "LIST").String(); after != before {
		t.Errorf("after ACL LOAD: %s, want %s", after, before)
	}
	// All or nothing.
	if err := os.WriteFile(path, []byte("user carol on\nuser dave nosuchrule\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if v := c.do("ACL", "LOAD"); !strings.HasPrefix(v.flat(), "-ERR "+path+":2: Syntax error.") {
		t.Errorf("bad file: %v", v)
	}
	if after := c.do("ACL", "LIST").String(); after != before {
		t.Errorf("after a refused ACL LOAD: %s, want %s", after, before)
	}
	// A client of a user that ACL LOAD replaces is closed, even when the
	// file describes the user as it was; default's clients stay.
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	a := tcDial(t, srv)
	if got := a.str("AUTH", "alice", "pw"); got != "OK" {
		t.Fatal(got)
	}
	if got := c.str("ACL", "LOAD"); got != "OK" {
		t.Fatal(got)
	}
	if !a.closed(5 * time.Second) {
		t.Error("alice's client is open after ACL LOAD")
	}
	if got := c.str("PING"); got != "PONG" {
		t.Errorf("default's client after ACL LOAD: %q", got)
	}
	// The file gone: Redis's error, with the C library's text.
	os.Remove(path)
	if v := c.do("ACL", "LOAD"); v.flat() != "-ERR Error loading ACLs, opening file '"+path+"': No such file or directory" {
		t.Errorf("missing file: %v", v)
	}
}

func TestACLDeluserClosesClients(t *testing.T) {
	srv := tcStart(t, Config{Port: 0})
	c := tcDial(t, srv)
	if got := c.str("ACL", "SETUSER", "alice", "on", "nopass", "+@all"); got != "OK" {
		t.Fatal(got)
	}
	a := tcDial(t, srv)
	if got := a.str("AUTH", "alice", "x"); got != "OK" {
		t.Fatal(got)
	}
	if n := c.integer("ACL", "DELUSER", "alice", "nosuch"); n != 1 {
		t.Fatalf("DELUSER = %d", n)
	}
	if !a.closed(5 * time.Second) {
		t.Error("alice's client is open after ACL DELUSER")
	}
	// A user deleting itself gets its reply, then is closed.
	if got := c.str("ACL", "SETUSER", "bob", "on", "nopass", "+@all"); got != "OK" {
		t.Fatal(got)
	}
	b := tcDial(t, srv)
	if got := b.str("AUTH", "bob", "x"); got != "OK" {
		t.Fatal(got)
	}
	if n := b.integer("ACL", "DELUSER", "bob"); n != 1 {
		t.Errorf("self DELUSER = %d", n)
	}
	if !b.closed(5 * time.Second) {
		t.Error("bob's client is open after deleting bob")
	}
}

// TestACLSetuserKillsRevokedSubscribers: a subscriber whose user loses a
// channel it listens to is closed; one whose channels are all still
// allowed, or that belongs to another user, stays.
func TestACLSetuserKillsRevokedSubscribers(t *testing.T) {
	srv := tcStart(t, Config{Port: 0})
	c := tcDial(t, srv)
	if got := c.str("ACL", "SETUSER", "alice", "on", "nopass", "+@all", "resetchannels", "&news.*", "&sport"); got != "OK" {
		t.Fatal(got)
	}
	sub := func(kind string, names ...string) *tcConn {
		s := tcDial(t, srv)
		if got := s.str("AUTH", "alice", "x"); got != "OK" {
			t.Fatal(got)
		}
		s.send(append([]string{kind}, names...)...)
		for range names {
			if v := s.read(); v.Kind != '*' {
				t.Fatalf("%s: %v", kind, v)
			}
		}
		return s
	}
	news := sub("SUBSCRIBE", "news.a")
	sport := sub("SUBSCRIBE", "sport")
	pattern := sub("PSUBSCRIBE", "news.*")
	other := tcDial(t, srv)
	other.send("SUBSCRIBE", "sport")
	other.read()
	// A superset of the old channels closes nobody.
	if got := c.str("ACL", "SETUSER", "alice", "&more"); got != "OK" {
		t.Fatal(got)
	}
	if sport.closed(200 * time.Millisecond) {
		t.Fatal("a subscriber was closed by a superset of its channels")
	}
	if got := c.str("ACL", "SETUSER", "alice", "resetchannels", "&news.*"); got != "OK" {
		t.Fatal(got)
	}
	if !sport.closed(5 * time.Second) {
		t.Error("the subscriber of a revoked channel is open")
	}
	if news.closed(200*time.Millisecond) || pattern.closed(200*time.Millisecond) {
		t.Error("a subscriber whose channels are still allowed was closed")
	}
	// The pattern subscription needs the pattern itself: "news.a" does
	// not allow PSUBSCRIBE news.*.
	if got := c.str("ACL", "SETUSER", "alice", "resetchannels", "&news.a"); got != "OK" {
		t.Fatal(got)
	}
	if !pattern.closed(5 * time.Second) {
		t.Error("the pattern subscriber is open after its pattern was revoked")
	}
	if news.closed(200 * time.Millisecond) {
		t.Error("news.a's subscriber was closed")
	}
	if other.closed(200 * time.Millisecond) {
		t.Error("another user's subscriber was closed")
	}
}

func TestACLGenpassLength(t *testing.T) {
	srv := tcStart(t, Config{Port: 0})
	c := tcDial(t, srv)
	for bits, chars := range map[string]int{"": 64, "1": 1, "4": 1, "5": 2, "255": 64, "4096": 1024} {
		args := []string{"ACL", "GENPASS"}
		if bits != "" {
			args = append(args, bits)
		}
		p := c.str(args...)
		if len(p) != chars || strings.Trim(p, "0123456789abcdef") != "" {
			t.Errorf("GENPASS %s = %q, want %d hex digits", bits, p, chars)
		}
		if q := c.str(args...); q == p && chars >= 16 {
			t.Errorf("GENPASS %s twice gave %q", bits, p)
		}
	}
}

func TestACLStartupUsers(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "redoubt.conf")
	// The default user may not run ACL or CONFIG (dangerous): the test
	// works as admin.
	text := "user alice on >pw ~a* +@string\nuser default on nopass ~* &* +@all -@dangerous\n" +
		"user admin on >adminpw ~* &* +@all\n"
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := ApplyArgs(Config{}, []string{conf})
	if err != nil {
		t.Fatal(err)
	}
	srv := tcStart(t, cfg)
	c := tcDial(t, srv)
	if got := c.str("AUTH", "admin", "adminpw"); got != "OK" {
		t.Fatal(got)
	}
	want := "user admin on #" + acl.HashPassword("adminpw") + " ~* &* +@all\n" +
		"user alice on #" + acl.HashPassword("pw") + " ~a* resetchannels -@all +@string\n" +
		"user default on nopass sanitize-payload ~* &* +@all -@dangerous"
	list := func(c *tcConn) string {
		var lines []string
		for _, e := range c.do("ACL", "LIST").Elems {
			lines = append(lines, e.Str)
		}
		return strings.Join(lines, "\n")
	}
	if got := list(c); got != want {
		t.Errorf("ACL LIST = %s, want %s", got, want)
	}
	// CONFIG REWRITE writes the users, and the file loads back to them.
	if got := c.str("CONFIG", "REWRITE"); got != "OK" {
		t.Fatal(got)
	}
	cfg2, err := ApplyArgs(Config{}, []string{conf})
	if err != nil {
		t.Fatal(err)
	}
	cfg2.Port = 0
	srv2 := tcStart(t, cfg2)
	c2 := tcDial(t, srv2)
	if got := c2.str("AUTH", "admin", "adminpw"); got != "OK" {
		t.Fatal(got)
	}
	if got := list(c2); got != want {
		t.Errorf("after CONFIG REWRITE: %s, want %s", got, want)
	}

	// Users and an ACL file together, or an unknown command, stop the
	// server with Redis's words.
	acls := filepath.Join(dir, "users.acl")
	if err := os.WriteFile(acls, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct {
		cfg  Config
		want string
	}{
		{Config{Port: 0, ACLFile: acls, ACLUsers: [][]string{{"alice", "on"}}}, msgACLFileAndUsers},
		{Config{Port: 0, ACLUsers: [][]string{{"alice", "on", "+nosuch"}}}, "Error loading ACL rule '+nosuch' for the user named 'alice': Unknown command or category name in ACL"},
		{Config{Port: 0, ACLUsers: [][]string{{"alice", "<secret"}}}, "Error loading ACL rule '<(redacted)' for the user named 'alice': The password you are trying to remove from the user does not exist"},
		{Config{Port: 0, ACLFile: filepath.Join(dir, "none.acl")}, "Aborting Redis startup because of ACL errors: Error loading ACLs, opening file '" + filepath.Join(dir, "none.acl") + "': No such file or directory"},
	} {
		srv, err := New(bad.cfg)
		if err == nil {
			srv.Close()
			t.Errorf("%+v started", bad.cfg)
			continue
		}
		if err.Error() != bad.want {
			t.Errorf("error %q, want %q", err, bad.want)
		}
	}
}

// TestACLSetuserBadInput: 10,000 users, a 1 MB password, a NUL byte and
// huge patterns get clear answers, and no reply shows a password set.
func TestACLSetuserBadInput(t *testing.T) {
	srv := tcStart(t, Config{Port: 0})
	c := tcDial(t, srv)
	start := time.Now()
	for batch := 0; batch < 10000; batch += 500 {
		for i := batch; i < batch+500; i++ {
			c.send("ACL", "SETUSER", fmt.Sprintf("u%05d", i), "on", fmt.Sprintf(">pw%d", i), "~k*", "+@string")
		}
		for i := batch; i < batch+500; i++ {
			if v := c.read(); v.Kind != '+' || v.Str != "OK" {
				t.Fatalf("SETUSER %d: %v", i, v)
			}
		}
	}
	// Describing 10,000 users takes about half a second (several under
	// the race detector).
	c.send("ACL", "LIST")
	c.nc.SetReadDeadline(time.Now().Add(time.Minute))
	list, err := tcRead(c.r)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Elems) != 10001 {
		t.Fatalf("ACL LIST has %d users", len(list.Elems))
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("10,000 users took %v", d)
	}
	big := strings.Repeat("s", 1<<20)
	pattern := strings.Repeat("k", 1<<20)
	if got := c.str("ACL", "SETUSER", "big", "on", ">"+big, "~"+pattern); got != "OK" {
		t.Fatalf("1 MB password and pattern: %q", got)
	}
	v := c.do("ACL", "GETUSER", "big")
	if strings.Contains(v.String(), big[:64]) || !strings.Contains(v.String(), "~"+pattern) {
		t.Error("GETUSER shows the password")
	}
	if !strings.Contains(v.String(), acl.HashPassword(big)) {
		t.Error("GETUSER does not show the password's hash")
	}
	for _, bad := range [][]string{
		{"ACL", "SETUSER", "nul", "~a\x00b"},
		{"ACL", "SETUSER", "sel", "(~a", "+get"},
		{"ACL", "SETUSER", "sel", "(" + big},
		{"ACL", "SETUSER", "rule", "nosuchrule"},
		{"ACL", "SETUSER", "x\x00y"},
	} {
		if v := c.do(bad...); v.Kind != '-' {
			t.Errorf("%.40q: %v", bad, v)
		}
		if srv.user(bad[2]) != nil {
			t.Errorf("%.40q created the user", bad)
		}
	}
}

// TestACLRewriteKeepsPasswords: CONFIG REWRITE of a server with
// requirepass and a user with a password writes only hashes, and a server
// started from the rewritten file takes the same passwords.
func TestACLRewriteKeepsPasswords(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "redoubt.conf")
	if err := os.WriteFile(conf, []byte("requirepass topsecret1\nuser alice on >alicepw ~* +@all\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	start := func() *Server {
		cfg, err := ApplyArgs(Config{}, []string{conf})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Port = 0
		return tcStart(t, cfg)
	}
	c := tcDial(t, start())
	if got := c.str("AUTH", "topsecret1"); got != "OK" {
		t.Fatal(got)
	}
	if got := c.str("CONFIG", "REWRITE"); got != "OK" {
		t.Fatal(got)
	}
	data, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "alicepw") {
		t.Errorf("the rewritten file holds a password:\n%s", data)
	}
	if !strings.Contains(string(data), "#"+acl.HashPassword("alicepw")) || !strings.Contains(string(data), "#"+acl.HashPassword("topsecret1")) {
		t.Errorf("the rewritten file lacks the hashes:\n%s", data)
	}
	srv := start()
	d := tcDial(t, srv)
	if got := d.str("AUTH", "topsecret1"); got != "OK" {
		t.Errorf("default's password after the rewrite: %q\n%s", got, data)
	}
	if got := tcDial(t, srv).str("AUTH", "alice", "alicepw"); got != "OK" {
		t.Errorf("alice's password after the rewrite: %q", got)
	}
}

// FuzzUserLine checks config "user" lines: no panic, and a line the
// loader accepts builds a user at start unless it names an unknown
// command or has a bad name (which Redis too reports only at start).
func FuzzUserLine(f *testing.F) {
	for _, s := range []string{"alice on >pw ~a* (~b +get", "default off", "a (~x +get) (%R~y", "b +select|0 -config|get %", "c (", "d ()", "e )"} {
		f.Add(s)
	}
	cat := processCatalog()
	quiet, err := newLogger(Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Fields(line)
		if len(args) == 0 {
			return
		}
		if checkUserLine(cat, map[string]bool{}, args) != "" {
			return
		}
		srv := &Server{log: quiet}
		srv.initUsers()
		users, msg := srv.configuredUsers(&Config{ACLUsers: [][]string{args}})
		// Redis also checks names only at start.
		if msg != "" && !strings.Contains(msg, aclReasonUnknown) && msg != msgACLUserSpaces {
			t.Fatalf("checked line %q refused at start: %s", args, msg)
		}
		if msg == "" && len(users) < 1 {
			t.Fatalf("no users from %q", args)
		}
	})
}

// TestACLSetuserConcurrent: SETUSERs of one user from several connections
// each start from the user as the one before left it; none is lost.
func TestACLSetuserConcurrent(t *testing.T) {
	srv := tcStart(t, Config{Port: 0})
	const conns, each = 4, 100
	done := make(chan struct{})
	for i := range conns {
		c := tcDial(t, srv)
		go func() {
			defer func() { done <- struct{}{} }()
			for j := range each {
				c.send("ACL", "SETUSER", "alice", fmt.Sprintf(">pw-%d-%d", i, j))
			}
			for range each {
				if v := c.read(); v.Kind != '+' {
					t.Errorf("SETUSER: %v", v)
				}
			}
		}()
	}
	for range conns {
		<-done
	}
	if n := len(srv.user("alice").PasswordHashes()); n != conns*each {
		t.Errorf("alice has %d passwords, want %d", n, conns*each)
	}
}
