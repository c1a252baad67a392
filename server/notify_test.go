package server

import (
	"fmt"
	"testing"

	"github.com/redoubt-db/redoubt/store"
)

// TestKeyspaceEventsFlags checks the letters of notify-keyspace-events both
// ways: every class letter, A, and the canonical order CONFIG GET prints.
func TestKeyspaceEventsFlags(t *testing.T) {
	tests := []struct {
		in, want string
		flags    store.EventClass
	}{
		{"", "", 0},
		{"KEA", "AKE", store.EventKeyspace | store.EventKeyevent | store.EventAll},
		{"Exg$", "g$xE", store.EventKeyevent | store.EventGeneric | store.EventString | store.EventExpired},
		{"mn", "nm", store.EventKeyMiss | store.EventNew},
		{"AmnKE", "AKEm", store.EventAll | store.EventKeyMiss | store.EventNew | store.EventKeyspace | store.EventKeyevent},
		{"lshzetd", "lshzetd", store.EventList | store.EventSet | store.EventHash | store.EventZset |
			store.EventEvicted | store.EventStream | store.EventModule},
		{"g$lshzxetd", "A", store.EventAll},
		{"KKKK", "K", store.EventKeyspace},
	}
	for _, tt := range tests {
		flags, ok := keyspaceEventsFlags(tt.in)
		if !ok || flags != tt.flags {
			t.Errorf("keyspaceEventsFlags(%q) = %b, %v; want %b", tt.in, flags, ok, tt.flags)
		}
		if got := keyspaceEventsString(flags); got != tt.want {
			t.Errorf("keyspaceEventsString(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"KE?", "a", " ", "k", "KEA\x01"} {
		if _, ok := keyspaceEventsFlags(bad); ok {
			t.Errorf("keyspaceEventsFlags(%q) accepted", bad)
		}
	}
}

// TestNotifyDirective checks that notify-keyspace-events reaches the store
// from the config file, the command line, the Config struct and CONFIG SET,
// and that CONFIG GET shows Redis's canonical form.
func TestNotifyDirective(t *testing.T) {
	cfg, err := cfgApplyText(t, "notify-keyspace-events Elg\n")
	if err != nil || cfg.NotifyKeyspaceEvents != "glE" {
		t.Fatalf("config file: %q, %v", cfg.NotifyKeyspaceEvents, err)
	}
	cfg, err = ApplyArgs(Config{}, []string{"--notify-keyspace-events", "KA"})
	if err != nil || cfg.NotifyKeyspaceEvents != "AK" {
		t.Fatalf("command line: %q, %v", cfg.NotifyKeyspaceEvents, err)
	}
	// A leaves n out of CONFIG GET's form, but not out of the flags.
	cfg, err = ApplyArgs(Config{}, []string{"--notify-keyspace-events", "EnA"})
	if err != nil {
		t.Fatal(err)
	}
	if flags, _ := keyspaceEventsFlags(cfg.NotifyKeyspaceEvents); flags != store.EventKeyevent|store.EventAll|store.EventNew {
		t.Errorf("EnA stored as %q, flags %b", cfg.NotifyKeyspaceEvents, flags)
	}
	if err := (Config{NotifyKeyspaceEvents: "K?"}).Validate(); err == nil {
		t.Errorf("Validate accepted notify-keyspace-events \"K?\"")
	}

	srv := tcStart(t, Config{NotifyKeyspaceEvents: "Kx"})
	if got := srv.store.Notify(); got != store.EventKeyspace|store.EventExpired {
		t.Errorf("store flags from Config: %b", got)
	}
	c := tcDial(t, srv)
	if got := c.do("CONFIG", "GET", "notify-keyspace-events").flat(); got != "[notify-keyspace-events xK]" {
		t.Errorf("CONFIG GET = %s", got)
	}
	if got := c.str("CONFIG", "SET", "notify-keyspace-events", "EA"); got != "OK" {
		t.Fatalf("CONFIG SET = %s", got)
	}
	if got := srv.store.Notify(); got != store.EventKeyevent|store.EventAll {
		t.Errorf("store flags after CONFIG SET: %b", got)
	}
	if got := c.str("CONFIG", "SET", "notify-keyspace-events", "nAE"); got != "OK" {
		t.Fatalf("CONFIG SET = %s", got)
	}
	if got := srv.store.Notify(); got != store.EventKeyevent|store.EventAll|store.EventNew {
		t.Errorf("store flags after CONFIG SET nAE: %b", got)
	}
	if got := c.do("CONFIG", "GET", "notify-keyspace-events").flat(); got != "[notify-keyspace-events AE]" {
		t.Errorf("CONFIG GET = %s, want AE as Redis shows it", got)
	}
	if got := c.str("CONFIG", "SET", "notify-keyspace-events", "A"); got != "OK" {
		t.Fatalf("CONFIG SET = %s", got)
	}
	if got := srv.store.Notify(); got != 0 {
		t.Errorf("classes without K or E record nothing, store flags %b", got)
	}
	if got := c.do("CONFIG", "GET", "notify-keyspace-events").flat(); got != "[notify-keyspace-events A]" {
		t.Errorf("CONFIG GET = %s", got)
	}
	if got := c.str("CONFIG", "SET", "notify-keyspace-events", ""); got != "OK" {
		t.Fatalf("CONFIG SET = %s", got)
	}
	if got := srv.store.Notify(); got != 0 {
		t.Errorf("store flags after CONFIG SET \"\": %b", got)
	}
}

// TestNotifySelfBeforeBigReply checks that a RESP3 client subscribed to its
// own keyspace events gets them before its command's reply even when the
// reply is big enough to be queued in segments: the events move to where
// the reply starts, and the reply arrives whole after them.
func TestNotifySelfBeforeBigReply(t *testing.T) {
	srv := tcStart(t, Config{NotifyKeyspaceEvents: "Es"})
	c := tcDial(t, srv)
	if v := c.do("HELLO", "3"); v.Kind != '%' {
		t.Fatalf("HELLO 3 = %v", v)
	}
	if v := c.do("SUBSCRIBE", "__keyevent@0__:spop"); v.Kind != '>' {
		t.Fatalf("SUBSCRIBE = %v", v)
	}
	const n = 20000
	args := []string{"SADD", "s"}
	for i := range n {
		args = append(args, fmt.Sprintf("member-%015d", i))
	}
	if got := c.integer(args...); got != n {
		t.Fatalf("SADD = %d", got)
	}
	c.send("SPOP", "s", fmt.Sprint(n))
	push := c.read()
	if push.Kind != '>' || len(push.Elems) != 3 || push.Elems[1].Str != "__keyevent@0__:spop" || push.Elems[2].Str != "s" {
		t.Fatalf("first after SPOP: %v, want the spop push", push)
	}
	reply := c.read()
	if reply.Kind != '~' || len(reply.Elems) != n {
		t.Fatalf("SPOP reply: kind %c with %d elements, want a set of %d", reply.Kind, len(reply.Elems), n)
	}
	if got := c.str("PING"); got != "PONG" {
		t.Fatalf("PING after SPOP = %q", got)
	}
}

// TestNotifySelfServedAfterReply checks that the events of a pop served to
// a blocked client, which Redis fires once the pushing command has
// replied, reach a pusher subscribed to them after its reply, even when
// the command itself fired no event it could see.
func TestNotifySelfServedAfterReply(t *testing.T) {
	srv := tcStart(t, Config{NotifyKeyspaceEvents: "Eg"})
	waiter := tcDial(t, srv)
	waiter.send("BLPOP", "q", "0")
	c := tcDial(t, srv)
	blockedCount(t, c, 1)
	c.do("HELLO", "3")
	if v := c.do("SUBSCRIBE", "__keyevent@0__:del"); v.Kind != '>' {
		t.Fatalf("SUBSCRIBE = %v", v)
	}
	// LMOVE fires its events before its reply, but none of class g here
	// (src keeps an element); the pop it serves empties q: "del".
	c.do("RPUSH", "src", "x", "y")
	c.send("LMOVE", "src", "q", "LEFT", "LEFT")
	if v := c.read(); v.Kind != '$' || v.Str != "x" {
		t.Fatalf("first after LMOVE: %v, want its reply x", v)
	}
	if v := c.read(); v.Kind != '>' || len(v.Elems) != 3 || v.Elems[2].Str != "q" {
		t.Fatalf("second after LMOVE: %v, want the del push of q", v)
	}
	if v := waiter.read(); len(v.Elems) != 2 || v.Elems[1].Str != "x" {
		t.Fatalf("BLPOP = %v", v)
	}
}
