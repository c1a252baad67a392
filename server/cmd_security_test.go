package server

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/acl"
	"github.com/redoubt-db/redoubt/internal/tlstest"
)

// auditReply turns SECURITY AUDIT's reply (a map, or a flat array in RESP2)
// into the level and each check's fields by name.
func auditReply(t *testing.T, v tcValue) (level string, checks map[string]map[string]string) {
	t.Helper()
	if len(v.Elems) != 6 || v.Elems[0].Str != "level" || v.Elems[2].Str != "purpose" || v.Elems[4].Str != "checks" {
		t.Fatalf("SECURITY AUDIT = %v", v)
	}
	checks = map[string]map[string]string{}
	for _, c := range v.Elems[5].Elems {
		if c.Kind != v.Kind || len(c.Elems) != 12 {
			t.Fatalf("check %v is not a map of 6 fields like its reply (%c)", c, v.Kind)
		}
		m := map[string]string{}
		for i := 0; i < len(c.Elems); i += 2 {
			m[c.Elems[i].Str] = c.Elems[i+1].Str
		}
		checks[m["name"]] = m
	}
	return v.Elems[1].Str, checks
}

// TestSecurityAudit: SECURITY AUDIT reports the running server's users as
// they are now, the same level and checks as Server.SecurityAudit, in RESP2
// and RESP3; it is an admin command.
func TestSecurityAudit(t *testing.T) {
	srv := tcStart(t, Config{RequirePass: auditPassA})
	c := tcDial(t, srv)
	if got := c.str("AUTH", auditPassA); got != "OK" {
		t.Fatalf("AUTH = %q", got)
	}
	level, checks := auditReply(t, c.do("SECURITY", "AUDIT"))
	// A password for a default user that may do anything: basic, whatever
	// else the test machine adds (running as root is a standard check).
	if level != "basic" {
		t.Errorf("level %q, want basic; checks %v", level, checks)
	}
	r := srv.SecurityAudit()
	if len(checks) != len(r.Checks) || r.Level.String() != level {
		t.Errorf("SECURITY AUDIT has %d checks and level %s, SecurityAudit %d and %s", len(checks), level, len(r.Checks), r.Level)
	}
	for _, want := range r.Checks {
		got := checks[want.Name]
		if got["level"] != want.Level.String() || got["status"] != string(want.Status) || got["remedy"] != want.Remedy ||
			got["check"] != want.Title {
			t.Errorf("check %s = %v, want %+v", want.Name, got, want)
		}
		if (got["status"] == "fail") != (got["remedy"] != "") {
			t.Errorf("check %s: status %s with remedy %q", want.Name, got["status"], got["remedy"])
		}
	}
	if want := map[bool]string{true: "fail", false: "pass"}[os.Geteuid() == 0]; checks["not-root"]["status"] != want {
		t.Errorf("not-root = %v, want %s (euid %d)", checks["not-root"], want, os.Geteuid())
	}
	if checks["default-user-restricted"]["status"] != "fail" || checks["weak-passwords"]["status"] != "pass" {
		t.Errorf("default-user-restricted %v, weak-passwords %v", checks["default-user-restricted"], checks["weak-passwords"])
	}

	// A weak password set at run time is found, and forgotten once
	// replaced.
	c.str("ACL", "SETUSER", "bob", "on", ">hunter2", "~bob:*", "+get")
	_, checks = auditReply(t, c.do("SECURITY", "AUDIT"))
	if w := checks["weak-passwords"]; w["status"] != "fail" || !strings.Contains(w["found"], `"bob" (it is shorter than 32 bytes)`) ||
		strings.Contains(w["found"], "hunter2") {
		t.Errorf("weak-passwords after SETUSER bob >hunter2: %v", w)
	}
	c.str("ACL", "SETUSER", "bob", "resetpass", ">"+auditPassB)
	if _, checks = auditReply(t, c.do("SECURITY", "AUDIT")); checks["weak-passwords"]["status"] != "pass" {
		t.Errorf("weak-passwords after a strong password: %v", checks["weak-passwords"])
	}

	// As is one set by CONFIG SET requirepass.
	c.str("CONFIG", "SET", "requirepass", "Foobared")
	if _, checks = auditReply(t, c.do("SECURITY", "AUDIT")); !strings.Contains(checks["weak-passwords"]["found"], `"default" (it is a well-known sample password)`) {
		t.Errorf("weak-passwords after CONFIG SET requirepass Foobared: %v", checks["weak-passwords"])
	}
	c.str("CONFIG", "SET", "requirepass", auditPassA)
	if _, checks = auditReply(t, c.do("SECURITY", "AUDIT")); checks["weak-passwords"]["status"] != "pass" {
		t.Errorf("weak-passwords after a strong requirepass: %v", checks["weak-passwords"])
	}

	// RESP3: maps.
	if v := c.do("HELLO", "3"); v.Kind != '%' {
		t.Fatalf("HELLO 3 = %v", v)
	}
	v := c.do("SECURITY", "AUDIT")
	if v.Kind != '%' {
		t.Fatalf("SECURITY AUDIT in RESP3 = %c, want a map", v.Kind)
	}
	if l, _ := auditReply(t, v); l != level {
		t.Errorf("RESP3 level %q, RESP2 %q", l, level)
	}
	c.do("HELLO", "2")

	// HELP, arity, unknown subcommands.
	help := c.do("SECURITY", "HELP")
	if len(help.Elems) < 4 || !strings.HasPrefix(help.Elems[0].Str, "SECURITY <subcommand>") || help.Elems[1].Str != "AUDIT" {
		t.Errorf("SECURITY HELP = %v", help)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"SECURITY", "AUDIT", "now"}, "ERR wrong number of arguments for 'security|audit' command"},
		{[]string{"SECURITY"}, "ERR wrong number of arguments for 'security' command"},
		{[]string{"SECURITY", "nope"}, "ERR unknown subcommand 'nope'. Try SECURITY HELP."},
	} {
		if v := c.do(tc.args...); v.Kind != '-' || v.Str != tc.want {
			t.Errorf("%q = %v, want -%s", tc.args, v, tc.want)
		}
	}

	// @admin and @dangerous: an application user may not run it.
	for _, cat := range []string{"admin", "dangerous", "slow"} {
		var names []string
		for _, e := range c.do("ACL", "CAT", cat).Elems {
			names = append(names, e.Str)
		}
		if !slices.Contains(names, "security|audit") {
			t.Errorf("ACL CAT %s lacks security|audit", cat)
		}
	}
	c.str("ACL", "SETUSER", "app", "on", ">"+auditPassC, "~*", "+@all", "-@dangerous")
	app := tcDial(t, srv)
	app.str("AUTH", "app", auditPassC)
	if v := app.do("SECURITY", "AUDIT"); v.Kind != '-' || v.Str != "NOPERM this user has no permissions to run the 'security|audit' command" {
		t.Errorf("SECURITY AUDIT as app = %v", v)
	}
	if v := app.do("SECURITY", "HELP"); v.Kind != '*' {
		t.Errorf("SECURITY HELP as app = %v", v)
	}
}

// TestWeakHashesBounded: the record of weak passwords keeps at most
// maxWeakHashes entries, and a new one is always recorded.
func TestWeakHashesBounded(t *testing.T) {
	var w weakHashes
	for i := range 3 * maxWeakHashes {
		w.note([]byte("weak"+strconv.Itoa(i)), "short")
	}
	m := w.snapshot()
	if len(m) > maxWeakHashes {
		t.Errorf("%d entries, want at most %d", len(m), maxWeakHashes)
	}
	w.note([]byte("last"), "short")
	if w.snapshot()[acl.HashPassword("last")] != "short" {
		t.Error("the latest weak password is not recorded")
	}
}

// TestSecurityAuditFileOwner: on a running server, a private file owned by
// neither the server's user nor root fails the file-modes check. Changing
// a file's owner needs root, so the test runs only as root.
func TestSecurityAuditFileOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the ACL file to another user")
	}
	path := filepath.Join(t.TempDir(), "users.acl")
	if err := os.WriteFile(path, []byte("user default on >"+auditPassA+" ~* &* +@all\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := tcStart(t, Config{ACLFile: path})
	find := func() CheckResult {
		r := srv.SecurityAudit()
		return r.Checks[slices.IndexFunc(r.Checks, func(c CheckResult) bool { return c.Name == "file-modes" })]
	}
	if c := find(); strings.Contains(c.Found, "aclfile") && strings.Contains(c.Found, "owned by") {
		t.Fatalf("a root-owned ACL file is reported: %+v", c)
	}
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if c := find(); c.Status != StatusFail || !strings.Contains(c.Found, "aclfile "+path+" is owned by user id 65534, neither the server's user (0) nor root") {
		t.Errorf("file-modes with the ACL file owned by 65534: %+v", c)
	}
	if err := os.Chown(path, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o604); err != nil {
		t.Fatal(err)
	}
	if c := find(); c.Status != StatusFail || !strings.Contains(c.Found, "aclfile "+path+" has mode 0604: readable to the group or others") {
		t.Errorf("file-modes with the ACL file world-readable: %+v", c)
	}
}

// TestSecurityAuditConcurrent: audits run while another client changes
// users and sets weak passwords (run with -race).
func TestSecurityAuditConcurrent(t *testing.T) {
	srv := tcStart(t, Config{})
	done := make(chan struct{})
	setter := tcDial(t, srv)
	go func() { // exits after its last SETUSER
		defer close(done)
		for i := range 200 {
			if v := setter.do("ACL", "SETUSER", "u"+strconv.Itoa(i%20), "on", ">weak"+strconv.Itoa(i), "~*", "+@all"); v.Kind != '+' {
				t.Errorf("ACL SETUSER = %v", v)
				return
			}
		}
	}()
	c := tcDial(t, srv)
	for range 20 {
		if v := c.do("SECURITY", "AUDIT"); v.Kind != '*' || len(v.Elems) != 6 {
			t.Fatalf("SECURITY AUDIT = %v", v)
		}
	}
	<-done
	_, checks := auditReply(t, c.do("SECURITY", "AUDIT"))
	if w := checks["weak-passwords"]; w["status"] != "fail" || !strings.Contains(w["found"], `"u19" (it is shorter than 32 bytes)`) {
		t.Errorf("weak-passwords after the SETUSERs: %v", w)
	}
	if u := checks["unrestricted-users"]; u["status"] != "fail" || !strings.Contains(u["found"], `"u0"`) {
		t.Errorf("unrestricted-users with 21 superusers: %v", u)
	}
}

// auditCheck returns the check called name of r.
func auditCheck(t *testing.T, r *AuditReport, name string) CheckResult {
	t.Helper()
	i := slices.IndexFunc(r.Checks, func(c CheckResult) bool { return c.Name == name })
	if i < 0 {
		t.Fatalf("no check %s", name)
	}
	return r.Checks[i]
}

// TestSecurityAuditTLS: the audit of a running server with a TLS listener
// judges its real TLS settings, as CONFIG SET changes them, and its key
// file's mode; TLS 1.1 cannot be set, so tls-protocols keeps passing.
func TestSecurityAuditTLS(t *testing.T) {
	data := t.TempDir() // dir, judged by file-modes
	if err := os.Chmod(data, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Chdir(data)
	f := tlstest.NewFiles(t)
	cfg := tlsServerConfig(f, io.Discard)
	cfg.RequirePass = auditPassA
	srv := tcStart(t, cfg)
	r := srv.SecurityAudit()
	port := strconv.Itoa(srv.TLSPort())
	if c := auditCheck(t, r, "tls"); c.Status != StatusPass || !strings.Contains(c.Found, "tls-port "+port+"; the plain port") {
		t.Errorf("tls: %+v", c)
	}
	if c := auditCheck(t, r, "tls-client-certs"); c.Status != StatusPass || c.Found != "tls-auth-clients yes" {
		t.Errorf("tls-client-certs: %+v", c)
	}
	if c := auditCheck(t, r, "tls-protocols"); c.Status != StatusPass {
		t.Errorf("tls-protocols: %+v", c)
	}
	if c := auditCheck(t, r, "file-modes"); c.Status != StatusPass || !strings.Contains(c.Found, "tls-key-file 0600") {
		t.Errorf("file-modes: %+v", c)
	}

	p := tcDial(t, srv)
	p.str("AUTH", auditPassA)
	if got := p.str("CONFIG", "SET", "tls-auth-clients", "optional"); got != "OK" {
		t.Fatalf("CONFIG SET tls-auth-clients optional = %q", got)
	}
	if c := auditCheck(t, srv.SecurityAudit(), "tls-client-certs"); c.Status != StatusFail || !strings.Contains(c.Found, "optional") {
		t.Errorf("tls-client-certs after tls-auth-clients optional: %+v", c)
	}
	if v := p.do("CONFIG", "SET", "tls-protocols", "TLSv1.1 TLSv1.2"); v.Kind != '-' {
		t.Errorf("CONFIG SET tls-protocols TLSv1.1 = %v, want an error", v)
	}
	if c := auditCheck(t, srv.SecurityAudit(), "tls-protocols"); c.Status != StatusPass {
		t.Errorf("tls-protocols after a refused TLSv1.1: %+v", c)
	}
	if err := os.Chmod(f.Key, 0o640); err != nil {
		t.Fatal(err)
	}
	if c := auditCheck(t, srv.SecurityAudit(), "file-modes"); c.Status != StatusFail || !strings.Contains(c.Found, "tls-key-file "+f.Key+" has mode 0640") {
		t.Errorf("file-modes with the key 0640: %+v", c)
	}
}

// TestSecurityAuditUnixSocket: the audit of a running server judges its
// unix socket's unixsocketperm.
func TestSecurityAuditUnixSocket(t *testing.T) {
	for _, tc := range []struct {
		perm   os.FileMode
		status CheckStatus
		found  string
	}{{0o700, StatusPass, "unixsocketperm 700"}, {0o770, StatusPass, "unixsocketperm 770"}, {0o777, StatusFail, "every local user"}} {
		dir, err := os.MkdirTemp("", "audit10b-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		path := filepath.Join(dir, "r.sock")
		srv := tcStart(t, Config{RequirePass: auditPassA, UnixSocket: path, UnixSocketPerm: tc.perm})
		if srv.UnixSocket() != path {
			t.Fatalf("unix socket %q, want %q", srv.UnixSocket(), path)
		}
		if c := auditCheck(t, srv.SecurityAudit(), "unixsocket-perm"); c.Status != tc.status || !strings.Contains(c.Found, tc.found) {
			t.Errorf("unixsocketperm %o: %+v", tc.perm, c)
		}
	}
}
