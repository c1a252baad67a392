package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// auditLines reads the audit log at path, each line decoded as JSON.
func auditLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("audit line %q is not JSON: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Errorf("the audit log does not end with a newline")
	}
	return lines
}

// TestAuditLog drives the audited commands and checks the file: mode 0600,
// one JSON object per line, the events with their clients, and none of the
// secrets used anywhere in it.
func TestAuditLog(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.jsonl")
	conf := filepath.Join(dir, "redoubt.conf")
	if err := os.WriteFile(conf, []byte("hz 10\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	secrets := []string{"wrong-Secret-9f1c", "user-Secret-77aa", "hello-Secret-31bd", "masterauth-Secret-c0de"}
	srv, err := New(Config{AuditLog: path, ConfigFile: conf})
	if err != nil {
		t.Fatal(err)
	}
	c := tcDial(t, srv)
	c.do("CLIENT", "SETNAME", "auditor")
	c.do("AUTH", "mallory", secrets[0])
	c.do("AUTH", "default", secrets[1])
	c.do("HELLO", "3", "AUTH", "nobody", secrets[2])
	c.do("CONFIG", "SET", "maxclients", "500", "masterauth", secrets[3]) // refused: masterauth is not supported
	c.do("CONFIG", "SET", "hz", "20", "timeout", "7")
	c.do("CONFIG", "REWRITE")
	c.do("SELECT", "3")
	c.do("FLUSHDB", "ASYNC")
	c.do("FLUSHALL")
	c.send("SHUTDOWN", "NOSAVE")
	select {
	case <-srv.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("SHUTDOWN did not stop the server")
	}

	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("audit log mode %04o, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	for _, s := range secrets {
		if bytes.Contains(data, []byte(s)) {
			t.Errorf("secret %q appears in the audit log:\n%s", s, data)
		}
	}
	lines := auditLines(t, path)
	var events []string
	for _, l := range lines {
		ev, _ := l["event"].(string)
		if _, err := time.Parse(time.RFC3339Nano, l["time"].(string)); err != nil {
			t.Errorf("%s: time %v: %v", ev, l["time"], err)
		}
		desc := ev
		for _, k := range []string{"user", "result", "directive", "value", "db", "mode", "options"} {
			if v, ok := l[k]; ok {
				desc += " " + k + "=" + v.(string)
			}
		}
		if cl, ok := l["client"].(map[string]any); ok {
			if cl["name"] != "auditor" || cl["user"] != "default" || !strings.HasPrefix(cl["addr"].(string), "127.0.0.1:") ||
				cl["laddr"] != srv.Addr() || cl["id"] == nil {
				t.Errorf("%s: client %v", ev, cl)
			}
		} else if ev != "server-start" && ev != "server-stop" {
			t.Errorf("%s: no client", ev)
		}
		events = append(events, desc)
	}
	want := []string{
		"server-start",
		"auth user=mallory result=fail",
		"auth user=default result=ok",
		"auth user=nobody result=fail",
		"config-set directive=hz value=20",
		"config-set directive=timeout value=7",
		"config-rewrite",
		"flushdb db=3 mode=async",
		"flushall mode=sync",
		"shutdown options=nosave",
		"server-stop",
	}
	if strings.Join(events, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit events:\n%s\nwant:\n%s", strings.Join(events, "\n"), strings.Join(want, "\n"))
	}
}

// TestAuditLogSensitiveConfig: CONFIG SET of a secret directive is logged
// without its value.
func TestAuditLogSensitiveConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	srv, err := New(Config{AuditLog: path})
	if err != nil {
		t.Fatal(err)
	}
	c := tcDial(t, srv)
	// The only value of masterauth Redoubt takes today is "", still a
	// secret's value: it is never shown.
	if got := c.do("CONFIG", "SET", "masterauth", "").flat(); got != "+OK" {
		t.Fatalf("CONFIG SET masterauth \"\" = %q", got)
	}
	srv.Close()
	lines := auditLines(t, path)
	found := false
	for _, l := range lines {
		if l["event"] == "config-set" {
			found = true
			if _, shown := l["value"]; l["directive"] != "masterauth" || shown {
				t.Errorf("config-set line %v, want masterauth without its value", l)
			}
		}
	}
	if !found {
		t.Error("no config-set line")
	}
}

// TestAuditLogAppends: a second server appends to the file, whose mode it
// keeps.
func TestAuditLogAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	for range 2 {
		srv, err := New(Config{AuditLog: path})
		if err != nil {
			t.Fatal(err)
		}
		srv.Close()
	}
	var events []string
	for _, l := range auditLines(t, path) {
		events = append(events, l["event"].(string))
	}
	if got := strings.Join(events, " "); got != "server-start server-stop server-start server-stop" {
		t.Errorf("events %q", got)
	}
}

// TestAuditLogRefusals: a file others may write, a directory and a FIFO
// are refused at start; a file others may read only warned about.
func TestAuditLogRefusals(t *testing.T) {
	dir := t.TempDir()
	writable := filepath.Join(dir, "writable")
	if err := os.WriteFile(writable, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chmod(writable, 0o620)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{writable, "may be written by others (mode 0620)"},
		{dir, "is not a regular file"},
		{fifo, "is not a regular file"},
		{filepath.Join(dir, "missing", "audit"), "can't open the audit log"},
	} {
		srv, err := New(Config{AuditLog: tc.path})
		if err == nil {
			srv.Close()
			t.Errorf("%s: accepted", tc.path)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.path, err, tc.want)
		}
	}
	readable := filepath.Join(dir, "readable")
	if err := os.WriteFile(readable, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(readable, 0o644)
	var log logBuffer
	srv, err := New(Config{AuditLog: readable, LogOutput: &log})
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if !strings.Contains(log.String(), "may be read by others (mode 0644)") {
		t.Errorf("no warning about a readable audit log:\n%s", log.String())
	}
}

// TestAuditLogFsyncs: an event is on disk (in the file, as another reader
// sees it) at once, and the sync loop clears the dirty mark within a
// couple of seconds.
func TestAuditLogFsyncs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	srv := tcStart(t, Config{AuditLog: path})
	tcDial(t, srv).do("FLUSHALL")
	if data, _ := os.ReadFile(path); !bytes.Contains(data, []byte(`"event":"flushall"`)) {
		t.Errorf("the event is not in the file at once:\n%s", data)
	}
	if !waitUntil(3*time.Second, func() bool {
		srv.audit.mu.Lock()
		defer srv.audit.mu.Unlock()
		return !srv.audit.dirty
	}) {
		t.Error("the audit log was not synced within 3 seconds")
	}
	info := tcInfo(tcDial(t, srv).str("INFO", "stats"))
	if info["redoubt_audit_events"] != "2" || info["redoubt_audit_write_errors"] != "0" {
		t.Errorf("INFO audit events=%s errors=%s, want 2 and 0", info["redoubt_audit_events"], info["redoubt_audit_write_errors"])
	}
}

// TestAuditRecordEscapes: keys and values are JSON strings whatever their
// bytes; long values are cut; an odd field is kept as "detail".
func TestAuditRecordEscapes(t *testing.T) {
	long := strings.Repeat("é", auditMaxValue) // two bytes each
	line := auditRecord(time.Unix(0, 0), nil, "test", []string{
		"quote", `a"b\c`, "ctl", "x\x00\x1f\n\r\t\x7fy", "bin", "\xff\xfe", "sep", "\u2028", "long", long, "odd"})
	var m map[string]string
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	want := map[string]string{
		"time": "1970-01-01T00:00:00.000000Z", "event": "test",
		"quote": `a"b\c`, "ctl": "x\x00\x1f\n\r\t\x7fy", "bin": "\ufffd\ufffd", "sep": "\u2028",
		"long": strings.Repeat("é", auditMaxValue/2) + "…", "detail": "odd",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	if bytes.Count(line, []byte("\n")) != 1 || line[len(line)-1] != '\n' {
		t.Errorf("the record is not one line: %q", line)
	}
}

// TestAuditRateLimit: a client's events past the rate limit are dropped
// and counted, and the count is written; every event is either written or
// counted.
func TestAuditRateLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	srv, err := New(Config{AuditLog: path, AuditRateLimit: 5})
	if err != nil {
		t.Fatal(err)
	}
	c := tcDial(t, srv)
	const n = 200
	var b strings.Builder
	for range n {
		b.WriteString(bulk("FLUSHDB"))
	}
	c.nc.Write([]byte(b.String()))
	for range n {
		c.read()
	}
	info := tcInfo(c.str("INFO", "stats"))
	srv.Close()
	written, suppressed := 0, 0
	for _, l := range auditLines(t, path) {
		switch l["event"] {
		case "flushdb":
			written++
		case "audit-suppressed":
			k, _ := strconv.Atoi(l["count"].(string))
			suppressed += k
		}
	}
	if written < 5 || written > 10 || written+suppressed != n {
		t.Errorf("%d flushdb lines and %d suppressed, want about 5 and %d in all", written, suppressed, n)
	}
	if got, _ := strconv.Atoi(info["redoubt_audit_suppressed"]); got != suppressed {
		t.Errorf("redoubt_audit_suppressed = %d, the log says %d", got, suppressed)
	}
}
