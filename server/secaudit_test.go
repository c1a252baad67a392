package server

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/acl"
	"github.com/redoubt-db/redoubt/internal/tlstest"
)

// Strong passwords for the audit's configurations: 64 hex digits, as ACL
// GENPASS makes them.
const (
	auditPassA = "8c1e5a0f3b7d9e2c4a6f8b0d1e3c5a7f9b2d4e6c8a0f1b3d5e7c9a2b4d6f8e0a"
	auditPassB = "3f7a1c9e5b2d8f4a6c0e2b4d6f8a1c3e5b7d9f0a2c4e6b8d0f1a3c5e7b9d2f4a"
	auditPassC = "e4b8d2f6a0c4e8b2d6f0a4c8e2b6d0f4a8c2e6b0d4f8a2c6e0b4d8f2a6c0e4b8"
)

// The configurations of each level, each built on the one before. The TLS
// settings of high and paranoid are real tls-* lines naming certificate
// files made in the test (auditCase.tls).
const (
	auditNone  = ""
	auditBasic = "requirepass " + auditPassA + "\nbind * -::*\n"
	// standard: named users, the default user off, a specific bind.
	auditStandard = "bind 127.0.0.1 -::1\n" +
		"user default off\n" +
		"user admin on >" + auditPassA + " ~* &* +@all\n" +
		"user app on >" + auditPassB + " ~app:* &app:* +@all -@dangerous\n" +
		"user report on >" + auditPassC + " %R~* +@read -@dangerous\n"
	// high: standard, plus TLS only (auditCase.tls) and the plain port off.
	auditHigh = auditStandard + "port 0\n"
)

// auditTLSLines are the tls-* lines of a TLS-only server that asks clients
// for certificates, with f's files.
func auditTLSLines(f *tlstest.Files) string {
	return "tls-port 6380\n" +
		"tls-cert-file " + f.Cert + "\n" +
		"tls-key-file " + f.Key + "\n" +
		"tls-ca-cert-file " + f.CA + "\n" +
		"tls-auth-clients yes\n" +
		"tls-protocols \"TLSv1.2 TLSv1.3\"\n"
}

// auditCase sets up a configuration in a private directory and judges it as
// --check-config would, as user id 1000 rather than the test's user (often
// root). The data directory, dir, is the working directory, as Redoubt
// requires: the test changes into a private one (so auditCase.run must not
// be called from parallel tests).
type auditCase struct {
	conf     string // config file text
	tls      bool   // put auditTLSLines, with certificates made here, before conf
	euid     int
	confMode os.FileMode // the config file's mode; 0 means 0600
	dirMode  os.FileMode // the data directory's mode; 0 means 0700
	auditLog bool        // add redoubt-audit-log, a file in the directory
	keyMode  os.FileMode // with TLS: the key file's mode; 0 means 0600
}

func (ac auditCase) run(t *testing.T) *AuditReport {
	t.Helper()
	base := t.TempDir()
	if err := os.Chmod(base, 0o700); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(base, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Chdir(data)
	if ac.dirMode != 0 {
		os.Chmod(data, ac.dirMode)
	}
	text := ac.conf
	if ac.tls {
		f := tlstest.NewFiles(t)
		if ac.keyMode != 0 {
			if err := os.Chmod(f.Key, ac.keyMode); err != nil {
				t.Fatal(err)
			}
		}
		text = auditTLSLines(f) + text
	}
	if ac.auditLog {
		text += "redoubt-audit-log " + filepath.Join(base, "audit.jsonl") + "\n"
	}
	path := filepath.Join(base, "redoubt.conf")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if ac.confMode != 0 {
		os.Chmod(path, ac.confMode)
	}
	cfg, err := applyArgs(DefaultConfig(), []string{path}, strings.NewReader(""))
	if err != nil {
		t.Fatalf("config %q: %v", text, err)
	}
	in, err := offlineAuditInput(cfg)
	if err != nil {
		t.Fatalf("config %q: %v", text, err)
	}
	if d := in.directive("dir"); d != data {
		t.Fatalf("dir is %q, want the working directory %q", d, data)
	}
	in.euid = ac.euid
	if in.euid == -1 {
		in.euid = 0
	} else if in.euid == 0 {
		in.euid = 1000
	}
	return judge(in)
}

// failedNames lists the names of the failed checks.
func failedNames(r *AuditReport) []string {
	var n []string
	for _, c := range r.Failed() {
		n = append(n, c.Name)
	}
	return n
}

// checkRemedies asserts that every failed check names its remedy, in the
// report and in its text, and that no passed check has one.
func checkRemedies(t *testing.T, r *AuditReport) {
	t.Helper()
	text := r.Text()
	for _, c := range r.Checks {
		switch {
		case c.Status == StatusFail && c.Remedy == "":
			t.Errorf("failed check %s has no remedy", c.Name)
		case c.Status == StatusFail && !strings.Contains(text, "remedy: "+c.Remedy):
			t.Errorf("the text lacks the remedy of %s:\n%s", c.Name, text)
		case c.Status != StatusFail && c.Remedy != "":
			t.Errorf("check %s (%s) has a remedy %q", c.Name, c.Status, c.Remedy)
		}
		if c.Found == "" || c.Title == "" {
			t.Errorf("check %s lacks what it found or what it asks for: %+v", c.Name, c)
		}
	}
}

// TestAuditLevels: a configuration built for each level gets that level
// and no higher, the checks that keep it from the next level are that
// level's, and every failed check names its remedy.
func TestAuditLevels(t *testing.T) {
	for _, tc := range []struct {
		name string
		ac   auditCase
		want Level
		next []string // the failed checks of the next level
	}{
		{"none", auditCase{conf: auditNone}, LevelNone, []string{"default-user-nopass"}},
		{"basic", auditCase{conf: auditBasic}, LevelBasic, []string{"bind", "default-user-restricted"}},
		{"standard", auditCase{conf: auditStandard}, LevelStandard, []string{"tls"}},
		{"high", auditCase{conf: auditHigh + "tls-auth-clients optional\n", tls: true},
			LevelHigh, []string{"tls-client-certs", "audit-log"}},
		{"paranoid", auditCase{conf: auditHigh, tls: true, auditLog: true}, LevelParanoid, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.ac.run(t)
			if r.Level != tc.want {
				t.Fatalf("level %s, want %s; failed: %v\n%s", r.Level, tc.want, failedNames(r), r.Text())
			}
			var next []string
			for _, c := range r.Failed() {
				if c.Level == tc.want+1 {
					next = append(next, c.Name)
				}
				if c.Level <= tc.want {
					t.Errorf("check %s of level %s failed at level %s", c.Name, c.Level, r.Level)
				}
			}
			if !slices.Equal(next, tc.next) {
				t.Errorf("failed checks of the next level %v, want %v\n%s", next, tc.next, r.Text())
			}
			checkRemedies(t, r)
			if !strings.Contains(r.Text(), "Level reached: "+tc.want.String()+" (") {
				t.Errorf("the text does not name the level:\n%s", r.Text())
			}
		})
	}
}

// TestAuditChecks: starting from a paranoid configuration, each single
// weakness drops the level to the one below its check's, with that check
// failed and its remedy given.
func TestAuditChecks(t *testing.T) {
	paranoid := auditCase{conf: auditHigh, tls: true, auditLog: true}
	if r := paranoid.run(t); r.Level != LevelParanoid {
		t.Fatalf("the base configuration is at %s, not paranoid:\n%s", r.Level, r.Text())
	}
	with := func(f func(ac *auditCase)) auditCase {
		ac := paranoid
		f(&ac)
		return ac
	}
	for _, tc := range []struct {
		name  string
		ac    auditCase
		check string
		found string // part of what the check found
	}{
		{"protected mode off", with(func(ac *auditCase) { ac.conf += "protected-mode no\n" }), "protected-mode", "protected-mode no"},
		{"sample password", with(func(ac *auditCase) { ac.conf += "user ops on >foobared ~ops:* +get\n" }), "weak-passwords", `"ops" (it is a well-known sample password)`},
		{"short password", with(func(ac *auditCase) { ac.conf += "user ops on >0f3a9c1be27d4856a1c3 ~ops:* +get\n" }), "weak-passwords", "shorter than 32 bytes"},
		{"default user nopass", with(func(ac *auditCase) {
			ac.conf = strings.Replace(ac.conf, "user default off", "user default on nopass ~* +get", 1)
		}), "default-user-nopass", "nopass"},
		{"wildcard bind", with(func(ac *auditCase) { ac.conf += "bind 0.0.0.0\n" }), "bind", "every address"},
		{"default user superuser", with(func(ac *auditCase) {
			ac.conf = strings.Replace(ac.conf, "user default off", "user default on >"+auditPassC+" ~* &* +@all", 1)
		}), "default-user-restricted", "one shared password"},
		{"nopass user", with(func(ac *auditCase) { ac.conf += "user ops on nopass ~ops:* +get\n" }), "nopass-users", `"ops"`},
		{"keys open", with(func(ac *auditCase) {
			ac.conf = strings.Replace(ac.conf, "~app:* &app:* +@all -@dangerous", "~app:* &app:* +@all -@dangerous +keys", 1)
		}), "dangerous-commands", `KEYS to "app"`},
		{"flushall open", with(func(ac *auditCase) { ac.conf += "user ops on >" + auditPassC + " ~ops:* +flushall\n" }), "dangerous-commands", `FLUSHALL to "ops"`},
		{"debug allowed", with(func(ac *auditCase) { ac.conf += "enable-debug-command yes\n" }), "protected-actions", "enable-debug-command yes"},
		{"unix socket without mode", with(func(ac *auditCase) { ac.conf += "unixsocket /run/redoubt.sock\n" }), "unixsocket-perm", "umask"},
		{"unix socket mode 0", with(func(ac *auditCase) { ac.conf += "unixsocket /run/redoubt.sock\nunixsocketperm 0\n" }), "unixsocket-perm", "umask"},
		{"unix socket for all", with(func(ac *auditCase) { ac.conf += "unixsocket /run/redoubt.sock\nunixsocketperm 777\n" }),
			"unixsocket-perm", "every local user"},
		{"unix socket for others", with(func(ac *auditCase) { ac.conf += "unixsocket /run/redoubt.sock\nunixsocketperm 701\n" }),
			"unixsocket-perm", "every local user"},
		{"root", with(func(ac *auditCase) { ac.euid = -1 }), "not-root", "as root"},
		{"no TLS", with(func(ac *auditCase) { ac.tls = false }), "tls", "TLS is off"},
		{"plain port exposed", with(func(ac *auditCase) { ac.conf += "port 6379\nbind 10.1.2.3 127.0.0.1\n" }), "tls", "also listens on 10.1.2.3"},
		{"two superusers", with(func(ac *auditCase) { ac.conf += "user root2 on >" + auditPassC + " ~* &* +@all\n" }), "unrestricted-users", `"admin", "root2"`},
		{"config file readable", with(func(ac *auditCase) { ac.confMode = 0o644 }), "file-modes", "config file"},
		{"data dir open", with(func(ac *auditCase) { ac.dirMode = 0o755 }), "file-modes", "mode 0755"},
		{"key readable", with(func(ac *auditCase) { ac.keyMode = 0o640 }), "file-modes", "tls-key-file"},
		{"throttling off", with(func(ac *auditCase) { ac.conf += "redoubt-auth-throttle no\n" }), "auth-throttling", "redoubt-auth-throttle no"},
		{"optional client certificates", with(func(ac *auditCase) { ac.conf += "tls-auth-clients optional\n" }), "tls-client-certs", "#14638"},
		{"no client certificates", with(func(ac *auditCase) { ac.conf += "tls-auth-clients no\n" }), "tls-client-certs", "not asked for"},
		{"no audit log", with(func(ac *auditCase) { ac.auditLog = false }), "audit-log", "no audit log"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.ac.run(t)
			var got *CheckResult
			for i := range r.Checks {
				if r.Checks[i].Name == tc.check {
					got = &r.Checks[i]
				}
			}
			if got == nil {
				t.Fatalf("no check %s", tc.check)
			}
			if got.Status != StatusFail || !strings.Contains(got.Found, tc.found) {
				t.Errorf("%s: %s, found %q; want fail, found containing %q", tc.check, got.Status, got.Found, tc.found)
			}
			if r.Level != got.Level-1 {
				t.Errorf("level %s, want %s (below %s's level); failed: %v", r.Level, got.Level-1, tc.check, failedNames(r))
			}
			checkRemedies(t, r)
		})
	}
}

// TestAuditOldTLSProtocols: the server refuses TLS 1.0 and 1.1 (so
// --check-config refuses such a configuration, TestCheckConfigRefuses), but
// the tls-protocols check still fails them if they ever reach it.
func TestAuditOldTLSProtocols(t *testing.T) {
	f := tlstest.NewFiles(t)
	cfg, err := ApplyArgs(DefaultConfig(), []string{"--port", "0", "--tls-port", "6380", "--tls-cert-file", f.Cert,
		"--tls-key-file", f.Key, "--tls-ca-cert-file", f.CA, "--tls-protocols", "TLSv1.1 TLSv1.2"})
	if err != nil {
		t.Fatal(err)
	}
	c := (&auditor{in: &auditInput{cfg: cfg}}).checkTLSProtocols()
	if c.Status != StatusFail || !strings.Contains(c.Found, "allows TLSv1.1") || c.Remedy == "" {
		t.Errorf("tls-protocols with TLSv1.1: %+v", c)
	}
}

// TestAuditRenamedCommands: a dangerous command open to a user who is not
// an administrator passes once it is removed or renamed, and DEBUG counts
// as closed while enable-debug-command refuses it.
func TestAuditRenamedCommands(t *testing.T) {
	open := auditStandard + "user ops on >" + auditPassC + " ~ops:* +flushdb +debug\n"
	r := auditCase{conf: open}.run(t)
	if got := failedNames(r); !slices.Contains(got, "dangerous-commands") {
		t.Fatalf("FLUSHDB open to ops passed: %v", got)
	}
	for _, rename := range []string{`rename-command FLUSHDB ""`, "rename-command FLUSHDB flushdb-7f3a"} {
		r := auditCase{conf: open + rename + "\n"}.run(t)
		if r.Level != LevelStandard {
			t.Errorf("%s: level %s, failed %v", rename, r.Level, failedNames(r))
		}
	}
	r = auditCase{conf: open + "rename-command FLUSHDB \"\"\nenable-debug-command local\n"}.run(t)
	if r.Level != LevelStandard {
		t.Errorf("DEBUG with enable-debug-command local: level %s, failed %v", r.Level, failedNames(r))
	}
	r = auditCase{conf: open + "rename-command FLUSHDB \"\"\nenable-debug-command yes\n"}.run(t)
	if got := r.Checks[slices.IndexFunc(r.Checks, func(c CheckResult) bool { return c.Name == "dangerous-commands" })]; got.Status != StatusFail ||
		!strings.Contains(got.Found, `DEBUG to "ops"`) {
		t.Errorf("DEBUG open with enable-debug-command yes: %+v", got)
	}
}

// TestAuditACLFileHashes: passwords of an ACL file given as #hash are
// compared with the sample list; given in clear, they are judged as set.
func TestAuditACLFileHashes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users.acl")
	data := "user default off\n" +
		"user admin on #" + acl.HashPassword("changeme") + " ~* &* +@all\n" +
		"user app on >" + auditPassB + " ~app:* +@all -@dangerous\n"
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	r := auditCase{conf: "bind 127.0.0.1\naclfile " + path + "\n"}.run(t)
	c := r.Checks[slices.IndexFunc(r.Checks, func(c CheckResult) bool { return c.Name == "weak-passwords" })]
	if c.Status != StatusFail || !strings.Contains(c.Found, `"admin" (it is a well-known sample password)`) || strings.Contains(c.Found, "app") {
		t.Errorf("weak-passwords: %+v", c)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(data, "#"+acl.HashPassword("changeme"), "#"+acl.HashPassword(auditPassA), 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := (auditCase{conf: "bind 127.0.0.1\naclfile " + path + "\n"}).run(t); r.Level != LevelStandard {
		t.Errorf("with strong passwords: level %s, failed %v", r.Level, failedNames(r))
	}
}

// TestCheckConfigRefuses: a configuration New would refuse is refused with
// New's error, not judged.
func TestCheckConfigRefuses(t *testing.T) {
	cfg, err := ApplyArgs(DefaultConfig(), []string{"--bind", "0.0.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CheckConfig(cfg); err == nil || !strings.Contains(err.Error(), "refusing to listen on 0.0.0.0") {
		t.Errorf("CheckConfig of an exposed server without a password: %v", err)
	}
	cfg, err = ApplyArgs(DefaultConfig(), []string{"--user", "app", "on", ">x", "+nosuchcommand"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CheckConfig(cfg); err == nil || !strings.Contains(err.Error(), "nosuchcommand") {
		t.Errorf("CheckConfig with an unknown command in a user line: %v", err)
	}
	// TLS files New could not load.
	f := tlstest.NewFiles(t)
	expired := f.Authority.Issue(t, tlstest.Options{CN: "server", NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing key", []string{"--tls-key-file", filepath.Join(f.Dir, "nosuch.key")}, "nosuch.key"},
		{"key of another certificate", []string{"--tls-key-file", f.ClientKey}, "failed to configure TLS"},
		{"garbage CA", []string{"--tls-ca-cert-file", tlstest.Write(t, f.Dir, "garbage.crt", []byte("garbage"))}, "failed to configure TLS"},
		{"expired certificate", []string{"--tls-cert-file", tlstest.Write(t, f.Dir, "expired.crt", expired.CertPEM),
			"--tls-key-file", tlstest.Write(t, f.Dir, "expired.key", expired.KeyPEM)}, "failed to configure TLS"},
		{"no CA", []string{"--tls-ca-cert-file", ""}, "tls-ca-cert-file"},
		{"TLS 1.1", []string{"--tls-protocols", "TLSv1.1 TLSv1.2"}, "TLSv1.1 is refused"},
		{"TLS 1.0", []string{"--tls-protocols", "TLSv1 TLSv1.3"}, "TLSv1 is refused"},
	} {
		args := append([]string{"--port", "0", "--tls-port", "6380", "--tls-cert-file", f.Cert, "--tls-key-file", f.Key,
			"--tls-ca-cert-file", f.CA}, tc.args...)
		cfg, err := ApplyArgs(DefaultConfig(), args)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if _, err := CheckConfig(cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckConfig with %s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	cfg, err = ApplyArgs(DefaultConfig(), []string{"--port", "0", "--tls-port", "6380", "--tls-cert-file", f.Cert,
		"--tls-key-file", f.Key, "--tls-ca-cert-file", f.CA})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CheckConfig(cfg); err != nil {
		t.Errorf("CheckConfig with good TLS files: %v", err)
	}
}

func TestParseLevel(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Level
		ok   bool
	}{{"basic", LevelBasic, true}, {"Standard", LevelStandard, true}, {"HIGH", LevelHigh, true},
		{"paranoid", LevelParanoid, true}, {"none", LevelNone, false}, {"", LevelNone, false}, {"high ", LevelNone, false}} {
		if got, ok := ParseLevel(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// TestAuditPasses: settings that pass a check in ways the level
// configurations do not show.
func TestAuditPasses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ac    auditCase
		check string
		found string
	}{
		{"no TCP listener", auditCase{conf: auditStandard + "bind \"\"\n"}, "bind", "no TCP listener"},
		{"port 0 and no TLS", auditCase{conf: auditStandard + "bind * -::*\nport 0\n"}, "bind", "no TCP listener"},
		{"TLS with the plain port on loopback", auditCase{conf: auditStandard, tls: true}, "tls", "the plain port 6379 listens on loopback only"},
		{"unix socket 770", auditCase{conf: auditStandard + "unixsocket /run/r.sock\nunixsocketperm 770\n"},
			"unixsocket-perm", "unixsocketperm 770"},
		{"TLS 1.3 only", auditCase{conf: auditHigh + "tls-protocols TLSv1.3\n", tls: true}, "tls-protocols", "tls-protocols TLSv1.3"},
		{"no lockout", auditCase{conf: auditStandard + "redoubt-auth-lockout-after 0\n"}, "auth-throttling", "throttled after 5 failures"},
		{"the default user limited", auditCase{conf: strings.Replace(auditStandard, "user default off", "user default on >"+auditPassC+" ~cache:* +get +set", 1)},
			"default-user-restricted", "may not run every command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.ac.run(t)
			i := slices.IndexFunc(r.Checks, func(c CheckResult) bool { return c.Name == tc.check })
			if i < 0 {
				t.Fatalf("no check %s", tc.check)
			}
			if c := r.Checks[i]; c.Status != StatusPass || !strings.Contains(c.Found, tc.found) {
				t.Errorf("%s = %s, %q; want pass, found containing %q", tc.check, c.Status, c.Found, tc.found)
			}
		})
	}
}
