package server

import (
	"strings"
	"testing"
)

// TestExposedWithoutProtectionRefused: a server that would listen beyond
// this host with protected mode on and no password refuses to start (New
// returns an error naming the remedies), and CONFIG SET refuses to move it
// there; loopback addresses, "protected-mode no" given explicitly, and
// addresses the listener must judge are let through.
func TestExposedWithoutProtectionRefused(t *testing.T) {
	for _, bind := range [][]string{{"0.0.0.0"}, {"127.0.0.1", "-10.1.2.3"}, {"*"}, {"-::*"}, {"::"}} {
		_, err := New(Config{Bind: bind})
		if err == nil || !strings.Contains(err.Error(), "protected-mode no") || !strings.Contains(err.Error(), "bind 127.0.0.1") {
			t.Errorf("New with bind %q: %v, want the refusal naming its remedies", bind, err)
		}
	}
	for _, cfg := range []Config{
		{Bind: []string{"127.0.0.2", "-::1"}},
		{Bind: []string{"0.0.0.0"}, InsecureDisableProtectedMode: true},
	} {
		srv, err := New(cfg)
		if err != nil {
			t.Errorf("New with bind %q, protected mode off %v: %v", cfg.Bind, cfg.InsecureDisableProtectedMode, err)
			continue
		}
		srv.Close()
	}

	srv := tcStart(t, Config{})
	c := tcDial(t, srv)
	if v := c.do("CONFIG", "SET", "bind", "0.0.0.0"); v.Kind != '-' || !strings.Contains(v.Str, "refusing to listen on 0.0.0.0") {
		t.Errorf("CONFIG SET bind 0.0.0.0 = %v, want the refusal", v)
	}
	if v := c.do("CONFIG", "GET", "bind"); v.Elems[1].Str != "127.0.0.1 -::1" {
		t.Errorf("bind after the refused CONFIG SET = %q, want it unchanged", v.Elems[1].Str)
	}
	// With protected mode off in the same CONFIG SET, the move is allowed;
	// turning protected mode back on while exposed is refused.
	if v := c.do("CONFIG", "SET", "protected-mode", "no", "bind", "0.0.0.0"); v.Kind != '+' {
		t.Errorf("CONFIG SET protected-mode no bind 0.0.0.0 = %v", v)
	}
	if v := c.do("CONFIG", "SET", "protected-mode", "yes"); v.Kind != '-' {
		t.Errorf("CONFIG SET protected-mode yes while bound to 0.0.0.0 = %v, want the refusal", v)
	}
}
