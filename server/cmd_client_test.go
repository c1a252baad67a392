package server

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// clientListFields are the CLIENT LIST fields of Redis 7.0, in order, and
// the two Redis 7.2 appends with CLIENT SETINFO.
var clientListFields = strings.Fields(`id addr laddr fd name age idle flags db sub psub ssub multi
	qbuf qbuf-free argv-mem multi-mem rbs rbp obl oll omem tot-mem events cmd user redir resp
	lib-name lib-ver`)

func TestCmdClientList(t *testing.T) {
	srv := tcStart(t, Config{})
	a, b, c := tcDial(t, srv), tcDial(t, srv), tcDial(t, srv)
	idA, idB, idC := a.integer("CLIENT", "ID"), b.integer("CLIENT", "ID"), c.integer("CLIENT", "ID")
	b.do("CLIENT", "SETNAME", "bee")
	b.do("SELECT", "7")
	b.do("CLIENT", "SETINFO", "lib-name", "go-redis(x)")
	c.do("HELLO", "3")
	c.do("CLIENT", "NO-EVICT", "on")

	text := a.str("CLIENT", "LIST")
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != 3 || !strings.HasSuffix(text, "\n") {
		t.Fatalf("CLIENT LIST = %q, want 3 lines each ending in a newline", text)
	}
	var ids []int64
	byID := map[int64]map[string]string{}
	for _, l := range lines {
		names, f := tcFields(l)
		if !slices.Equal(names, clientListFields) {
			t.Fatalf("fields = %q\nwant %q", names, clientListFields)
		}
		id, _ := strconv.ParseInt(f["id"], 10, 64)
		ids = append(ids, id)
		byID[id] = f
	}
	if !slices.Equal(ids, []int64{idA, idB, idC}) {
		t.Errorf("ids = %v, want %v in connection order", ids, []int64{idA, idB, idC})
	}
	fa, fb, fc := byID[idA], byID[idB], byID[idC]
	if fa["addr"] != a.nc.LocalAddr().String() || fa["laddr"] != a.nc.RemoteAddr().String() {
		t.Errorf("addr=%s laddr=%s, want %s and %s", fa["addr"], fa["laddr"], a.nc.LocalAddr(), a.nc.RemoteAddr())
	}
	if fd, err := strconv.Atoi(fa["fd"]); err != nil || fd < 0 || fa["fd"] == fb["fd"] {
		t.Errorf("fd = %q and %q, want two different descriptors", fa["fd"], fb["fd"])
	}
	checks := []struct {
		f          map[string]string
		name, want string
	}{
		{fa, "cmd", "client|list"}, {fa, "name", ""}, {fa, "flags", "N"}, {fa, "db", "0"},
		{fa, "resp", "2"}, {fa, "user", "default"}, {fa, "multi", "-1"}, {fa, "redir", "-1"},
		{fb, "name", "bee"}, {fb, "db", "7"}, {fb, "cmd", "client|setinfo"},
		{fb, "lib-name", "go-redis(x)"}, {fb, "lib-ver", ""},
		{fc, "resp", "3"}, {fc, "flags", "e"}, {fc, "cmd", "client|no-evict"},
	}
	for _, ck := range checks {
		if ck.f[ck.name] != ck.want {
			t.Errorf("client %s: %s = %q, want %q", ck.f["id"], ck.name, ck.f[ck.name], ck.want)
		}
	}

	// ID lists the clients in the order given, repeats included, and
	// skips unknown ids.
	text = a.str("CLIENT", "LIST", "ID", strconv.FormatInt(idC, 10), "999", strconv.FormatInt(idA, 10), strconv.FormatInt(idC, 10))
	ids = nil
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		_, f := tcFields(l)
		id, _ := strconv.ParseInt(f["id"], 10, 64)
		ids = append(ids, id)
	}
	if !slices.Equal(ids, []int64{idC, idA, idC}) {
		t.Errorf("CLIENT LIST ID = %v, want %v", ids, []int64{idC, idA, idC})
	}
	if got := a.str("CLIENT", "LIST", "TYPE", "normal"); strings.Count(got, "\n") != 3 {
		t.Errorf("TYPE normal listed %d clients, want 3", strings.Count(got, "\n"))
	}

	// A closed connection leaves the list.
	b.nc.Close()
	if !waitUntil(5*time.Second, func() bool { return strings.Count(a.str("CLIENT", "LIST"), "\n") == 2 }) {
		t.Fatal("a closed connection stays in CLIENT LIST")
	}
}

func TestCmdClientInfoSelf(t *testing.T) {
	srv := tcStart(t, Config{})
	c := tcDial(t, srv)
	c.do("CLIENT", "NO-TOUCH", "on")
	c.do("CLIENT", "SETINFO", "LIB-VER", "9.9")
	text := c.str("CLIENT", "INFO")
	if strings.Count(text, "\n") != 1 || !strings.HasSuffix(text, "\n") {
		t.Fatalf("CLIENT INFO = %q, want one line ending in a newline", text)
	}
	names, f := tcFields(text)
	if !slices.Equal(names, clientListFields) {
		t.Fatalf("fields = %q", names)
	}
	if f["flags"] != "T" || f["cmd"] != "client|info" || f["lib-ver"] != "9.9" || f["argv-mem"] != "10" {
		t.Errorf("CLIENT INFO = %q", text)
	}
}

func TestCmdClientSetinfo(t *testing.T) {
	srv := tcStart(t, Config{})
	c := tcDial(t, srv)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"CLIENT", "SETINFO", "lib-name", "redis-py"}, "+OK"},
		{[]string{"CLIENT", "SETINFO", "LIB-VER", "5.0.1"}, "+OK"},
		{[]string{"CLIENT", "SETINFO", "lib-name", "has space"}, "-ERR lib-name cannot contain spaces, newlines or special characters."},
		{[]string{"CLIENT", "SETINFO", "LIB-VER", "a\nb"}, "-ERR LIB-VER cannot contain spaces, newlines or special characters."},
		{[]string{"CLIENT", "SETINFO", "lib-foo", "x"}, "-ERR Unrecognized option 'lib-foo'"},
		{[]string{"CLIENT", "SETINFO", "lib-name"}, "-ERR wrong number of arguments for 'client|setinfo' command"},
	} {
		if v := c.do(tc.args...); string(v.Kind)+v.Str != tc.want {
			t.Errorf("%q = %v, want %s", tc.args, v, tc.want)
		}
	}
	_, f := tcFields(c.str("CLIENT", "INFO"))
	if f["lib-name"] != "redis-py" || f["lib-ver"] != "5.0.1" {
		t.Errorf("lib-name=%q lib-ver=%q", f["lib-name"], f["lib-ver"])
	}
	c.do("CLIENT", "SETINFO", "lib-name", "")
	if _, f := tcFields(c.str("CLIENT", "INFO")); f["lib-name"] != "" {
		t.Errorf("an empty SETINFO left lib-name=%q", f["lib-name"])
	}
}

func TestCmdClientNoTouch(t *testing.T) {
	srv := tcStart(t, Config{})
	c := tcDial(t, srv)
	for _, tc := range []struct{ arg, want, flags string }{
		{"on", "+OK", "T"}, {"OFF", "+OK", "N"}, {"maybe", "-" + msgSyntax, "N"},
	} {
		if v := c.do("CLIENT", "NO-TOUCH", tc.arg); string(v.Kind)+v.Str != tc.want {
			t.Errorf("NO-TOUCH %s = %v, want %s", tc.arg, v, tc.want)
		}
		if _, f := tcFields(c.str("CLIENT", "INFO")); f["flags"] != tc.flags {
			t.Errorf("after NO-TOUCH %s flags = %q, want %q", tc.arg, f["flags"], tc.flags)
		}
	}
}

func TestCmdClientKill(t *testing.T) {
	srv := tcStart(t, Config{})
	admin := tcDial(t, srv)

	// The new form by ADDR, LADDR plus ID, and ID alone.
	v1, v2, v3 := tcDial(t, srv), tcDial(t, srv), tcDial(t, srv)
	v1.do("PING")
	v2.do("PING")
	v3.do("PING")
	if n := admin.integer("CLIENT", "KILL", "ADDR", v1.nc.LocalAddr().String()); n != 1 || !v1.closed(5*time.Second) {
		t.Errorf("KILL ADDR = %d, want 1 and the connection closed", n)
	}
	id2 := strconv.FormatInt(v2.integer("CLIENT", "ID"), 10)
	if n := admin.integer("CLIENT", "KILL", "LADDR", srv.Addr(), "ID", id2); n != 1 || !v2.closed(5*time.Second) {
		t.Errorf("KILL LADDR ID = %d, want 1 and the connection closed", n)
	}
	if n := admin.integer("CLIENT", "KILL", "ID", id2); n != 0 {
		t.Errorf("killing a dead client again = %d, want 0", n)
	}
	// The old form names an address and replies OK.
	if v := admin.do("CLIENT", "KILL", v3.nc.LocalAddr().String()); v.Str != "OK" || !v3.closed(5*time.Second) {
		t.Errorf("KILL addr = %v, want OK and the connection closed", v)
	}
	// SKIPME yes (the default) spares the caller.
	if n := admin.integer("CLIENT", "KILL", "LADDR", srv.Addr()); n != 0 {
		t.Errorf("KILL LADDR with only the caller left = %d, want 0", n)
	}
	// Killing oneself: the reply arrives, then the connection closes.
	if v := admin.do("CLIENT", "KILL", admin.nc.LocalAddr().String()); v.Str != "OK" || !admin.closed(5*time.Second) {
		t.Errorf("old-form self kill = %v, want OK then closed", v)
	}
	self := tcDial(t, srv)
	self.send("CLIENT", "KILL", "USER", "default", "SKIPME", "no")
	self.send("PING")
	if v := self.read(); v.Str != "1" || !self.closed(5*time.Second) {
		t.Errorf("self kill = %v, want :1, then closed without running the pipelined PING", v)
	}
}

func TestCmdClientReplyPipeline(t *testing.T) {
	srv := tcStart(t, Config{})
	c := tcDial(t, srv)
	c.send("CLIENT", "REPLY", "SKIP")
	c.send("SET", "k", "1")
	c.send("CLIENT", "REPLY", "OFF")
	c.send("GET", "k")
	c.send("CLIENT", "REPLY", "ON")
	c.send("GET", "k")
	if v := c.read(); v.Str != "OK" {
		t.Errorf("first reply = %v, want CLIENT REPLY ON's +OK", v)
	}
	if v := c.read(); v.Str != "1" {
		t.Errorf("second reply = %v, want $1", v)
	}
}
