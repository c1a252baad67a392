package server

import (
	"strconv"
	"testing"
)

// helloMap returns HELLO's reply as a map of its fields, checking that it is
// a RESP3 map or, in RESP2, a flat array.
func helloMap(t *testing.T, v tcValue, proto int) map[string]tcValue {
	t.Helper()
	wantKind := byte('*')
	if proto == 3 {
		wantKind = '%'
	}
	if v.Kind != wantKind || len(v.Elems) != 14 {
		t.Fatalf("HELLO = %v, want a %c of 7 pairs", v, wantKind)
	}
	m := map[string]tcValue{}
	for i := 0; i < len(v.Elems); i += 2 {
		m[v.Elems[i].Str] = v.Elems[i+1]
	}
	return m
}

func TestCmdHello(t *testing.T) {
	srv := tcStart(t, Config{})
	for _, tc := range []struct {
		args  []string
		proto int
	}{
		{[]string{"HELLO"}, 2},
		{[]string{"HELLO", "3"}, 3},
		{[]string{"HELLO"}, 3},
		{[]string{"hello", "2"}, 2},
	} {
		c := tcDial(t, srv)
		id := c.integer("CLIENT", "ID")
		if tc.proto == 3 && len(tc.args) == 1 {
			c.do("HELLO", "3")
		}
		m := helloMap(t, c.do(tc.args...), tc.proto)
		want := map[string]string{
			"server": "$redis", "version": "$" + RedisVersion, "proto": ":" + strconv.Itoa(tc.proto),
			"id": ":" + strconv.FormatInt(id, 10), "mode": "$standalone", "role": "$master",
		}
		for k, w := range want {
			if got := string(m[k].Kind) + m[k].Str; got != w {
				t.Errorf("%q: %s = %s, want %s", tc.args, k, got, w)
			}
		}
		if mod := m["modules"]; mod.Kind != '*' || len(mod.Elems) != 0 {
			t.Errorf("%q: modules = %v, want an empty array", tc.args, mod)
		}
	}
}

// TestCmdHelloActsInOrder checks the order HELLO works in, Redis 7.0.15's
// (helloCommand): each option acts as it is read, so an error leaves the
// options before it done and those after it undone, and the protocol
// changes only when every option succeeded. (Redis 7.2 parses every option
// first; the conformance script auth_requirepass, recorded from 7.0.15,
// shows the difference.)
func TestCmdHelloActsInOrder(t *testing.T) {
	srv := tcStart(t, Config{})
	c := tcDial(t, srv)
	c.do("CLIENT", "SETNAME", "before")
	for _, tc := range []struct {
		args []string
		name string // the name afterwards
	}{
		{[]string{"HELLO", "3", "SETNAME", "a", "extra"}, "a"},
		{[]string{"HELLO", "3", "SETNAME", "b", "AUTH", "nosuchuser", "pw", "SETNAME", "c"}, "b"},
		{[]string{"HELLO", "3", "AUTH", "nosuchuser", "pw", "SETNAME", "d"}, "b"},
		{[]string{"HELLO", "3", "SETNAME", "bad name"}, "b"},
	} {
		if v := c.do(tc.args...); v.Kind != '-' {
			t.Errorf("%q = %v, want an error", tc.args, v)
		}
		if got := c.str("CLIENT", "GETNAME"); got != tc.name {
			t.Errorf("after %q, name = %q, want %q", tc.args, got, tc.name)
		}
		if v := c.do("GET", "nosuchkey"); v.Kind != '$' {
			t.Errorf("after %q, a null is %v, want RESP2's $-1", tc.args, v)
		}
	}
	// A failing AUTH ends HELLO even when a later one would succeed.
	if v := c.do("HELLO", "3", "AUTH", "nosuchuser", "pw", "AUTH", "default", "x"); v.flat() != "-"+msgWrongPass {
		t.Errorf("HELLO with a failing AUTH first = %v", v)
	}
	v := c.do("HELLO", "3", "AUTH", "default", "x", "SETNAME", "first", "SETNAME", "last")
	helloMap(t, v, 3)
	if got := c.str("CLIENT", "GETNAME"); got != "last" {
		t.Errorf("name = %q, want last", got)
	}
}

func TestCmdAuthDefaultUser(t *testing.T) {
	srv := tcStart(t, Config{})
	c := tcDial(t, srv)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"AUTH", "default", "anything"}, "+OK"},
		{[]string{"AUTH", "default", ""}, "+OK"},
		{[]string{"AUTH", "pw"}, "-" + msgAuthNoPassword},
		{[]string{"AUTH", "Default", "pw"}, "-" + msgWrongPass},
		{[]string{"AUTH", "other", "pw"}, "-" + msgWrongPass},
		{[]string{"AUTH", "a", "b", "c"}, "-" + msgSyntax},
	} {
		if v := c.do(tc.args...); string(v.Kind)+v.Str != tc.want {
			t.Errorf("%q = %v, want %s", tc.args, v, tc.want)
		}
	}
}

// TestCmdReset checks what RESET clears (as Redis 7.2: no-evict and
// no-touch too) and what it keeps (the library name and version).
func TestCmdReset(t *testing.T) {
	srv := tcStart(t, Config{})
	c := tcDial(t, srv)
	for _, args := range [][]string{
		{"SELECT", "5"}, {"CLIENT", "SETNAME", "n"}, {"CLIENT", "NO-EVICT", "on"},
		{"CLIENT", "NO-TOUCH", "on"}, {"CLIENT", "SETINFO", "LIB-NAME", "lib"},
		{"CLIENT", "SETINFO", "LIB-VER", "1.2"},
	} {
		if v := c.do(args...); v.Str != "OK" {
			t.Fatalf("%q = %v", args, v)
		}
	}
	c.do("HELLO", "3")
	_, before := tcFields(c.str("CLIENT", "INFO"))
	if before["flags"] != "eT" || before["db"] != "5" || before["resp"] != "3" || before["name"] != "n" {
		t.Fatalf("before RESET: %v", before)
	}
	if v := c.do("RESET"); v.Kind != '+' || v.Str != "RESET" {
		t.Fatalf("RESET = %v", v)
	}
	_, after := tcFields(c.str("CLIENT", "INFO"))
	want := map[string]string{"flags": "N", "db": "0", "resp": "2", "name": "", "lib-name": "lib", "lib-ver": "1.2"}
	for k, w := range want {
		if after[k] != w {
			t.Errorf("after RESET %s = %q, want %q", k, after[k], w)
		}
	}
}
