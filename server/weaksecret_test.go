package server

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWeakSecretReason(t *testing.T) {
	strong := "0f3a9c1be27d4856a1c3e5f7092b4d6e" // 32 bytes, 16 different
	for _, tc := range []struct {
		user, password, want string
	}{
		{"default", "foobared", "it is a well-known sample password"},
		{"default", "FooBared", "it is a well-known sample password"},
		{"default", "123456", "it is a well-known sample password"},
		{"alice", "alice", "it is the user's name"},
		{"alice", "ALICE", "it is the user's name"},
		{"alice", "", "it is shorter than 32 bytes"},
		{"alice", strong[:31], "it is shorter than 32 bytes"},
		{"alice", strings.Repeat("ab", 40), "it uses fewer than 8 different characters"},
		{"alice", strings.Repeat("abcdefg", 5), "it uses fewer than 8 different characters"},
		{"alice", strong, ""},
		{"alice", strings.Repeat("abcdefgh", 4), ""},
		{"alice", "\x00\x01\x02\x03\x04\x05\x06\x07" + strong[8:], ""},
	} {
		if got := weakSecretReason(tc.user, []byte(tc.password)); got != tc.want {
			t.Errorf("weakSecretReason(%q, %q) = %q, want %q", tc.user, tc.password, got, tc.want)
		}
	}
}

// TestWarnWeakSecret: a weak password is logged with its remedy (ACL
// GENPASS) and recorded in the audit log and INFO, never shown; a strong
// one is not mentioned.
func TestWarnWeakSecret(t *testing.T) {
	var log logBuffer
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	srv, err := New(Config{LogOutput: &log, AuditLog: path})
	if err != nil {
		t.Fatal(err)
	}
	const weak = "hunter2-Weak"
	srv.warnWeakSecret("CONFIG SET requirepass", "default", []byte(weak))
	srv.warnWeakSecret("ACL SETUSER", "bob", []byte("1c7e0f3a9b2d4856a1c3e5f7092b4d6e8a9c1b3d5f7e9021"))
	srv.warnWeakSecret("ACL SETUSER", strings.Repeat("n", 1000), []byte("foobared"))
	info := tcInfo(tcDial(t, srv).str("INFO", "stats"))
	srv.Close()
	text := log.String()
	want := `WARNING: weak password for user "default" set by CONFIG SET requirepass: it is shorter than 32 bytes. Use a long random password: ACL GENPASS makes one (256 bits).`
	if !strings.Contains(text, want) {
		t.Errorf("log lacks %q:\n%s", want, text)
	}
	if strings.Contains(text, `"bob"`) {
		t.Errorf("a strong password was warned about:\n%s", text)
	}
	if !strings.Contains(text, `"`+strings.Repeat("n", 128)+`"… set by ACL SETUSER: it is a well-known sample password`) {
		t.Errorf("a long user name is not cut in the log:\n%s", text)
	}
	data, _ := os.ReadFile(path)
	for _, secret := range []string{weak, "foobared", "1c7e0f3a9b2d"} {
		if strings.Contains(text, secret) || bytes.Contains(data, []byte(secret)) {
			t.Errorf("password %q shown in the log or the audit log", secret)
		}
	}
	var weakEvents []map[string]any
	for _, l := range auditLines(t, path) {
		if l["event"] == "weak-secret" {
			weakEvents = append(weakEvents, l)
		}
	}
	if len(weakEvents) != 2 || weakEvents[0]["user"] != "default" || weakEvents[0]["source"] != "CONFIG SET requirepass" ||
		weakEvents[0]["reason"] != "it is shorter than 32 bytes" {
		t.Errorf("weak-secret events %v", weakEvents)
	}
	if info["redoubt_weak_secret_warnings"] != "2" {
		t.Errorf("redoubt_weak_secret_warnings = %s, want 2", info["redoubt_weak_secret_warnings"])
	}
}

// TestWeakRequirepass: a weak requirepass is warned about at start-up and
// at CONFIG SET, and audited; a strong one is not.
func TestWeakRequirepass(t *testing.T) {
	var log logBuffer
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	srv, err := New(Config{RequirePass: "foobared", LogOutput: &log, AuditLog: path})
	if err != nil {
		t.Fatal(err)
	}
	c := tcDial(t, srv)
	c.do("AUTH", "foobared")
	c.do("CONFIG", "SET", "requirepass", "guard9-short")
	c.do("CONFIG", "SET", "requirepass", "1c7e0f3a9b2d4856a1c3e5f7092b4d6e8a9c1b3d")
	srv.Close()
	text := log.String()
	for _, want := range []string{
		`WARNING: weak password for user "default" set by requirepass: it is a well-known sample password. Use a long random password: ACL GENPASS`,
		`WARNING: weak password for user "default" set by config set: it is shorter than 32 bytes.`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("log lacks %q:\n%s", want, text)
		}
	}
	if n := strings.Count(text, "weak password"); n != 2 {
		t.Errorf("%d weak-password warnings, want 2:\n%s", n, text)
	}
	data, _ := os.ReadFile(path)
	for _, secret := range []string{"foobared", "guard9-short", "1c7e0f3a9b2d"} {
		if strings.Contains(text, secret) || bytes.Contains(data, []byte(secret)) {
			t.Errorf("password %q shown in the log or the audit log", secret)
		}
	}
	var sources []string
	for _, l := range auditLines(t, path) {
		if l["event"] == "weak-secret" {
			sources = append(sources, l["source"].(string))
		}
	}
	if strings.Join(sources, ",") != "requirepass,config set" {
		t.Errorf("weak-secret events from %q", sources)
	}
}

// TestWeakUsersAtStartup: weak ">password" rules of "user" lines and of an
// ACL file are warned about at start-up; hashes and strong ones are not.
func TestWeakUsersAtStartup(t *testing.T) {
	const strong = "1c7e0f3a9b2d4856a1c3e5f7092b4d6e8a9c1b3d"
	var log logBuffer
	srv, err := New(Config{LogOutput: &log, ACLUsers: [][]string{
		{"alice", "on", ">alice", "~*", "+@all"},
		{"bob", "on", ">" + strong, "+@all"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	dir := t.TempDir()
	file := filepath.Join(dir, "users.acl")
	text := "user carol on >letmein ~* +@all\nuser dave on #" + strings.Repeat("ab", 32) + " +@all\nuser default on nopass ~* &* +@all\n"
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err = New(Config{LogOutput: &log, ACLFile: file})
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	got := log.String()
	for _, want := range []string{
		`weak password for user "alice" set by user: it is the user's name.`,
		`weak password for user "carol" set by aclfile ` + file + `: it is a well-known sample password.`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "weak password"); n != 2 {
		t.Errorf("%d weak-password warnings, want 2:\n%s", n, got)
	}
	if strings.Contains(got, "letmein") || strings.Contains(got, strong) {
		t.Error("a password reached the log")
	}
}
