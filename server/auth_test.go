package server

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/acl"
)

// TestRequirePassKeptOnlyAsHash: a password given in the Config or by
// CONFIG SET becomes the default user's, and the server keeps no clear
// text of it: CONFIG GET shows the marker, the default user holds the hash.
func TestRequirePassKeptOnlyAsHash(t *testing.T) {
	const pw = "auth9-test-password-kept-as-hash"
	srv := tcStart(t, Config{RequirePass: pw})
	if got := srv.configSnapshot().RequirePass; got != requirePassHidden {
		t.Errorf("the running config holds %q", got)
	}
	def := srv.user(defaultUser)
	if def.NoPass() || !slicesEqual(def.PasswordHashes(), []string{acl.HashPassword(pw)}) {
		t.Errorf("default user = %s", def)
	}
	c := tcDial(t, srv)
	if v := c.do("GET", "k"); v.flat() != "-"+msgNoAuth {
		t.Fatalf("GET before AUTH = %v", v)
	}
	if got := c.str("AUTH", pw); got != "OK" {
		t.Fatalf("AUTH = %q", got)
	}
	if v := c.do("CONFIG", "GET", "requirepass"); v.flat() != "[requirepass "+requirePassHidden+"]" {
		t.Errorf("CONFIG GET requirepass = %v", v.flat())
	}
	if got := c.str("CONFIG", "SET", "requirepass", "second-"+pw); got != "OK" {
		t.Fatalf("CONFIG SET requirepass = %q", got)
	}
	if !srv.user(defaultUser).CheckPassword("second-"+pw) || srv.user(defaultUser).CheckPassword(pw) {
		t.Error("CONFIG SET requirepass did not replace the password")
	}
	if got := c.str("CONFIG", "SET", "requirepass", ""); got != "OK" {
		t.Fatalf("CONFIG SET requirepass \"\" = %q", got)
	}
	if v := c.do("CONFIG", "GET", "requirepass"); v.flat() != "[requirepass ]" {
		t.Errorf("CONFIG GET requirepass after clearing = %v", v.flat())
	}
	if !srv.user(defaultUser).NoPass() {
		t.Error(`requirepass "" did not make the default user nopass`)
	}
	// A new connection is authenticated again.
	if got := tcDial(t, srv).str("PING"); got != "PONG" {
		t.Errorf("PING = %q", got)
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestRequirePassLetsServerListenBeyondLoopback: with a password, the
// refusal to listen on a non-loopback address with protected mode on does
// not apply; clearing the password while so bound is refused.
func TestRequirePassLetsServerListenBeyondLoopback(t *testing.T) {
	srv, err := New(Config{Bind: []string{"0.0.0.0"}, RequirePass: "auth9-exposed-password"})
	if err != nil {
		t.Fatalf("New with a password on 0.0.0.0: %v", err)
	}
	defer srv.Close()
	port := srv.Addr()[strings.LastIndexByte(srv.Addr(), ':')+1:]
	nc, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	c := &tcConn{t: t, nc: nc, r: bufio.NewReader(nc)}
	c.str("AUTH", "auth9-exposed-password")
	if v := c.do("CONFIG", "SET", "requirepass", ""); v.Kind != '-' || !strings.Contains(v.Str, "refusing to listen on 0.0.0.0") {
		t.Errorf(`CONFIG SET requirepass "" on 0.0.0.0 = %v, want the refusal`, v)
	}
	if srv.user(defaultUser).NoPass() {
		t.Error("the refused CONFIG SET changed the default user")
	}
	// A password given by the registry (as ACL SETUSER would) counts too.
	srv2 := tcStart(t, Config{})
	u := srv2.user(defaultUser).Clone()
	if err := u.SetRules([]string{"resetpass", ">auth9-acl-password"}); err != nil {
		t.Fatal(err)
	}
	srv2.storeUser(u)
	c2 := tcDial(t, srv2)
	c2.str("AUTH", "auth9-acl-password")
	if v := c2.do("CONFIG", "SET", "bind", "0.0.0.0"); v.Kind != '+' {
		t.Errorf("CONFIG SET bind 0.0.0.0 with the default user's password set = %v", v)
	}
}

// TestRewriteWritesPasswordHash: CONFIG REWRITE writes no requirepass line
// and no clear text, but the default user's hash.
func TestRewriteWritesPasswordHash(t *testing.T) {
	const pw = "auth9-rewrite-password-clear-text"
	dir := t.TempDir()
	path := filepath.Join(dir, "redoubt.conf")
	if err := os.WriteFile(path, []byte("requirepass "+pw+"\nhz 10\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := tcStart(t, Config{ConfigFile: path, RequirePass: pw})
	c := tcDial(t, srv)
	c.str("AUTH", pw)
	if got := c.str("CONFIG", "REWRITE"); got != "OK" {
		t.Fatalf("CONFIG REWRITE = %q", got)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	if strings.Contains(text, pw) || strings.Contains(text, "requirepass") {
		t.Errorf("the rewritten file shows the password or a requirepass line:\n%s", text)
	}
	if !strings.Contains(text, "user default on #"+acl.HashPassword(pw)+" ") {
		t.Errorf("the rewritten file lacks the default user's hash:\n%s", text)
	}
}

// TestUnauthenticatedOutputCap: a client that must authenticate and has
// not is closed once its unread replies pass the cap; one that
// authenticated pipelines as much as it likes.
func TestUnauthenticatedOutputCap(t *testing.T) {
	var logs logBuffer
	srv := tcStart(t, Config{RequirePass: "auth9-cap-password", LogOutput: &logs})
	c := tcDial(t, srv)
	var b strings.Builder
	n := 2 * unauthOutputCap / len("-"+msgNoAuth+"\r\n")
	for i := 0; i < n; i++ {
		b.WriteString(bulk("PING"))
	}
	c.nc.Write([]byte(b.String()))
	if !c.closed(5 * time.Second) {
		t.Error("an unauthenticated client with unread replies past the cap stays connected")
	}
	if !waitUntil(5*time.Second, func() bool { return strings.Contains(logs.String(), "unauthenticated") }) {
		t.Errorf("no log line for the close:\n%s", logs.String())
	}
	a := tcDial(t, srv)
	a.str("AUTH", "auth9-cap-password")
	a.nc.Write([]byte(b.String()))
	for i := 0; i < n; i++ {
		if v := a.read(); v.flat() != "+PONG" {
			t.Fatalf("reply %d = %v", i, v)
		}
	}
}

// TestAuthBadInput: a 1 MB password is refused before authentication by
// the pre-auth bulk limit, works as a password once set, and no password
// reaches the ACL log or the logs.
func TestAuthBadInput(t *testing.T) {
	var logs logBuffer
	big := strings.Repeat("p", 1<<20)
	srv := tcStart(t, Config{RequirePass: big, LogOutput: &logs, LogLevel: "debug"})
	c := tcDial(t, srv)
	// The server answers and closes as soon as it reads the bulk length,
	// so the rest of the write may meet a closed connection: write from
	// another goroutine and ignore its error.
	go c.nc.Write([]byte(bulk("AUTH", big)))
	if v := c.read(); v.flat() != "-ERR Protocol error: unauthenticated bulk length" {
		t.Errorf("AUTH with 1 MB before auth = %.80v", v.flat())
	}
	// From a client that authenticated (as CONFIG SET would), the long
	// password works, and a long wrong one fails plainly.
	srv.applyRequirePass("short-auth9-password", "test")
	a := tcDial(t, srv)
	a.str("AUTH", "short-auth9-password")
	if got := a.str("CONFIG", "SET", "requirepass", big); got != "OK" {
		t.Fatalf("CONFIG SET requirepass 1 MB = %q", got)
	}
	if got := a.str("AUTH", big); got != "OK" {
		t.Errorf("AUTH with the 1 MB password = %q", got)
	}
	if v := a.do("AUTH", big+"x"); v.flat() != "-"+msgWrongPass {
		t.Errorf("AUTH with a wrong 1 MB password = %.80v", v.flat())
	}
	if v := a.do("AUTH", "default\x00", "x"); v.flat() != "-"+msgWrongPass {
		t.Errorf("AUTH with a NUL in the user name = %v", v)
	}
	for _, e := range srv.aclLogEntries(-1) {
		for _, f := range []string{e.Object, e.Username, e.ClientInfo} {
			if strings.Contains(f, "ppppp") || strings.Contains(f, "short-auth9") {
				t.Errorf("ACL log entry shows a password: %+v", e)
			}
		}
	}
	if l := logs.String(); strings.Contains(l, "ppppp") || strings.Contains(l, "short-auth9") {
		t.Error("a password reached the log")
	}
}

// TestAuthFlood: many connections failing AUTH at once all get WRONGPASS,
// the ACL log counts them in one entry, and the server goes on serving.
// Throttling is off here, as in Redis: with it on, the address would be
// locked out (TestThrottleAuthFlood).
func TestAuthFlood(t *testing.T) {
	noThrottle := DefaultAuthThrottle()
	noThrottle.InsecureDisable = true
	srv := tcStart(t, Config{RequirePass: "auth9-flood-password", AuthThrottle: &noThrottle})
	const conns, tries = 20, 50
	var wg sync.WaitGroup
	errs := make(chan string, conns)
	for i := 0; i < conns; i++ {
		c := tcDial(t, srv)
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b strings.Builder
			for j := 0; j < tries; j++ {
				b.WriteString(bulk("AUTH", "wrong"))
			}
			c.nc.Write([]byte(b.String()))
			c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
			for j := 0; j < tries; j++ {
				v, err := tcRead(c.r)
				if err != nil || v.flat() != "-"+msgWrongPass {
					errs <- v.flat()
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("a flooding client got %q", e)
	}
	entries := srv.aclLogEntries(-1)
	if len(entries) != 1 || entries[0].Count != conns*tries || entries[0].Reason != "auth" ||
		entries[0].Object != "AUTH" || entries[0].Username != "default" || entries[0].Context != "toplevel" {
		t.Errorf("ACL log = %+v", entries)
	}
	c := tcDial(t, srv)
	if got := c.str("AUTH", "auth9-flood-password"); got != "OK" {
		t.Errorf("AUTH after the flood = %q", got)
	}
}

// TestResetLogsOut: RESET makes a client that authenticated start over as
// a new connection, unauthenticated while a password is required.
func TestResetLogsOut(t *testing.T) {
	srv := tcStart(t, Config{RequirePass: "auth9-reset-password"})
	srv.storeUser(testUser(t, srv, "alice", "on", ">alice-pw", "+@all", "~*"))
	c := tcDial(t, srv)
	c.str("AUTH", "alice", "alice-pw")
	if got := c.str("RESET"); got != "RESET" {
		t.Fatalf("RESET = %q", got)
	}
	if v := c.do("PING"); v.flat() != "-"+msgNoAuth {
		t.Errorf("PING after RESET = %v", v)
	}
	other := tcDial(t, srv)
	other.str("AUTH", "auth9-reset-password")
	if list := other.str("CLIENT", "LIST"); strings.Contains(list, "user=alice") {
		t.Errorf("CLIENT LIST still shows alice:\n%s", list)
	}
}

// TestExposedBindWithConfiguredUsers: "user" lines that give the default
// user a password let the server listen beyond loopback; lines that leave
// it without one do not, whatever other users need.
func TestExposedBindWithConfiguredUsers(t *testing.T) {
	withPassword := Config{Bind: []string{"0.0.0.0"}, ACLUsers: [][]string{{"default", "on", ">auth9-users-pw", "~*", "+@all"}}}
	srv, err := New(withPassword)
	if err != nil {
		t.Fatalf("New with the default user's password in a user line: %v", err)
	}
	srv.Close()
	without := Config{Bind: []string{"0.0.0.0"}, ACLUsers: [][]string{{"bob", "on", ">bob-pw", "~*", "+@all"}}}
	if _, err := New(without); err == nil || !strings.Contains(err.Error(), "refusing to listen on 0.0.0.0") {
		t.Errorf("New with only another user's password: %v, want the refusal", err)
	}
	// The default user off without nopass: nobody logs in as it, and
	// protected mode lets remote clients in to log in as bob.
	off := Config{Bind: []string{"0.0.0.0"}, ACLUsers: [][]string{{"default", "off", "resetpass"}, {"bob", "on", ">bob-pw", "~*", "+@all"}}}
	if srv, err := New(off); err != nil {
		t.Errorf("New with the default user off: %v", err)
	} else {
		srv.Close()
	}
	// Off but nopass: protected mode (as Redis's, which looks at nopass
	// only) would deny every remote client, so the start is refused.
	offNopass := Config{Bind: []string{"0.0.0.0"}, ACLUsers: [][]string{{"default", "off", "nopass"}, {"bob", "on", ">bob-pw", "~*", "+@all"}}}
	if _, err := New(offNopass); err == nil {
		t.Error("New with the default user off but nopass started")
	}
}
