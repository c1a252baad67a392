package server

import (
	"strconv"
	"testing"
	"time"
)

// aclTestLog is a log with a clock the test moves.
func aclTestLog(max int64) (*aclLog, *time.Time) {
	now := time.Unix(1_000_000, 0)
	l := &aclLog{now: func() time.Time { return now }}
	l.setMaxLen(max)
	return l, &now
}

func logObjects(l *aclLog) []string {
	var out []string
	for _, e := range l.entries {
		out = append(out, e.Object+":"+strconv.FormatInt(e.Count, 10))
	}
	return out
}

func TestACLLogAggregates(t *testing.T) {
	l, now := aclTestLog(128)
	l.add("command", "toplevel", "get", "alice", nil)
	l.add("command", "toplevel", "set", "alice", nil)
	l.add("command", "toplevel", "get", "alice", nil) // like the second newest: counted there, moved first
	if got := logObjects(l); !slicesEqual(got, []string{"get:2", "set:1"}) {
		t.Errorf("log = %q", got)
	}
	// Any field that differs makes a new entry.
	l.add("key", "toplevel", "get", "alice", nil)
	l.add("command", "multi", "get", "alice", nil)
	l.add("command", "toplevel", "get", "bob", nil)
	if len(l.entries) != 5 {
		t.Errorf("log = %q", logObjects(l))
	}
	// 60 seconds later it still counts; past that it is a new entry.
	*now = now.Add(60 * time.Second)
	l.add("command", "toplevel", "set", "alice", nil)
	if got := logObjects(l)[0]; got != "set:2" {
		t.Errorf("within 60 s: newest %q", got)
	}
	*now = now.Add(60*time.Second + time.Millisecond)
	l.add("command", "toplevel", "set", "alice", nil)
	if got := logObjects(l)[:2]; !slicesEqual(got, []string{"set:1", "set:2"}) {
		t.Errorf("past 60 s: %q", got)
	}
	if age := l.entries[1].AgeSeconds(*now); age != 60.001 {
		t.Errorf("age-seconds = %v", age)
	}
}

func TestACLLogScansTenNewest(t *testing.T) {
	l, _ := aclTestLog(128)
	l.add("command", "toplevel", "old", "u", nil)
	for i := 0; i < 10; i++ {
		l.add("command", "toplevel", "c"+strconv.Itoa(i), "u", nil)
	}
	l.add("command", "toplevel", "old", "u", nil) // eleventh newest: not looked at
	if got := logObjects(l); got[0] != "old:1" || got[len(got)-1] != "old:1" || len(got) != 12 {
		t.Errorf("log = %q", got)
	}
}

func TestACLLogMaxLen(t *testing.T) {
	l, _ := aclTestLog(3)
	for i := 0; i < 5; i++ {
		l.add("command", "toplevel", "c"+strconv.Itoa(i), "u", nil)
	}
	if got := logObjects(l); !slicesEqual(got, []string{"c4:1", "c3:1", "c2:1"}) {
		t.Errorf("log = %q", got)
	}
	// Lowering the length keeps the entries until the next one.
	l.setMaxLen(1)
	if len(l.entries) != 3 {
		t.Errorf("lowering the length dropped entries at once: %q", logObjects(l))
	}
	l.add("command", "toplevel", "c5", "u", nil)
	if got := logObjects(l); !slicesEqual(got, []string{"c5:1"}) {
		t.Errorf("log = %q", got)
	}
	// An event that aggregates does not trim.
	l.setMaxLen(0)
	l.add("command", "toplevel", "c5", "u", nil)
	if got := logObjects(l); !slicesEqual(got, []string{"c5:2"}) {
		t.Errorf("log = %q", got)
	}
	l.add("command", "toplevel", "c6", "u", nil)
	if len(l.entries) != 0 {
		t.Errorf("acllog-max-len 0 keeps %q", logObjects(l))
	}
	l.setMaxLen(5)
	l.add("command", "toplevel", "c7", "u", nil)
	l.reset()
	if len(l.entries) != 0 {
		t.Error("reset left entries")
	}
}

// TestACLLogMaxLenDirective: acllog-max-len is read from the Config, CONFIG
// GET and SET it, and entries copied out keep the client's line.
func TestACLLogMaxLenDirective(t *testing.T) {
	two := int64(2)
	srv := tcStart(t, Config{ACLLogMaxLen: &two, RequirePass: "auth9-acllog-password"})
	c := tcDial(t, srv)
	for i := 0; i < 3; i++ {
		c.do("AUTH", "user"+strconv.Itoa(i), "x")
	}
	entries := srv.aclLogEntries(-1)
	if len(entries) != 2 || entries[0].Username != "user2" || entries[1].Username != "user1" {
		t.Errorf("entries = %+v", entries)
	}
	if e := entries[0]; e.Reason != "auth" || e.Context != "toplevel" || e.Object != "AUTH" || e.Count != 1 {
		t.Errorf("entry = %+v", e)
	}
	if got := srv.aclLogEntries(1); len(got) != 1 || got[0].Username != "user2" {
		t.Errorf("aclLogEntries(1) = %+v", got)
	}
	c.str("AUTH", "auth9-acllog-password")
	if v := c.do("CONFIG", "GET", "acllog-max-len"); v.flat() != "[acllog-max-len 2]" {
		t.Errorf("CONFIG GET = %v", v.flat())
	}
	if got := c.str("CONFIG", "SET", "acllog-max-len", "0"); got != "OK" {
		t.Fatal(got)
	}
	c.do("AUTH", "nobody", "x")
	if n := len(srv.aclLogEntries(-1)); n != 0 {
		t.Errorf("acllog-max-len 0 keeps %d entries", n)
	}
	if v := c.do("CONFIG", "SET", "acllog-max-len", "-1"); v.Kind != '-' {
		t.Errorf("CONFIG SET acllog-max-len -1 = %v", v)
	}
	// Inside MULTI, a failed AUTH is logged in context multi.
	c.str("CONFIG", "SET", "acllog-max-len", "10")
	c.str("MULTI")
	c.str("AUTH", "nobody", "x")
	c.do("EXEC")
	if e := srv.aclLogEntries(1); len(e) != 1 || e[0].Context != "multi" || e[0].Username != "nobody" {
		t.Errorf("AUTH in EXEC logged as %+v", e)
	}
}

// TestACLDeniedCounters: INFO stats counts refusals by reason, whatever
// acllog-max-len, and CONFIG RESETSTAT clears them.
func TestACLDeniedCounters(t *testing.T) {
	zero := int64(0)
	srv := tcStart(t, Config{ACLLogMaxLen: &zero})
	srv.storeUser(testUser(t, srv, "alice", "on", ">pw", "~k*", "resetchannels", "+@all"))
	c := tcDial(t, srv)
	c.do("AUTH", "alice", "wrong")
	c.do("AUTH", "nobody", "wrong")
	c.str("AUTH", "alice", "pw")
	c.do("GET", "x")
	c.do("PUBLISH", "ch", "m")
	admin := tcDial(t, srv)
	info := tcInfo(admin.str("INFO", "stats"))
	for name, want := range map[string]string{"acl_access_denied_auth": "2", "acl_access_denied_cmd": "0",
		"acl_access_denied_key": "1", "acl_access_denied_channel": "1"} {
		if info[name] != want {
			t.Errorf("%s = %q, want %s", name, info[name], want)
		}
	}
	admin.str("CONFIG", "RESETSTAT")
	if got := tcInfo(admin.str("INFO", "stats"))["acl_access_denied_auth"]; got != "0" {
		t.Errorf("after RESETSTAT: %q", got)
	}
}
