package server

import (
	"testing"
	"time"
)

// TestLoginDeadline: while a password is required, a connection that does
// not log in within redoubt-auth-timeout is closed; one that logs in, and
// any connection while no password is required, stays.
func TestLoginDeadline(t *testing.T) {
	const pw = "guard9-1c7e0f3a9b2d4856a1c3e5f7092b4d6e"
	srv := tcStart(t, Config{RequirePass: pw, AuthTimeout: 300 * time.Millisecond})
	idle, ok := tcDial(t, srv), tcDial(t, srv)
	if got := ok.do("AUTH", pw).flat(); got != "+OK" {
		t.Fatalf("AUTH = %q", got)
	}
	start := time.Now()
	if !idle.closed(5 * time.Second) {
		t.Fatal("a connection that never logged in stays open")
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("closed after %v, before its deadline", d)
	}
	time.Sleep(400 * time.Millisecond)
	if got := ok.do("PING").flat(); got != "+PONG" {
		t.Errorf("PING on the logged-in connection after the deadline = %q", got)
	}
	if got := tcInfo(ok.str("INFO", "stats"))["redoubt_auth_timeouts"]; got != "1" {
		t.Errorf("redoubt_auth_timeouts = %s, want 1", got)
	}
	// A wrong password does not stop the clock.
	wrong := tcDial(t, srv)
	wrong.do("AUTH", "nope")
	if !wrong.closed(5 * time.Second) {
		t.Error("a connection with only a failed login stays open")
	}
	// Turned off: an unauthenticated connection stays.
	if got := ok.do("CONFIG", "SET", "redoubt-auth-timeout", "0").flat(); got != "+OK" {
		t.Fatalf("CONFIG SET redoubt-auth-timeout 0 = %q", got)
	}
	if got := ok.do("CONFIG", "GET", "redoubt-auth-timeout").flat(); got != "[redoubt-auth-timeout 0]" {
		t.Errorf("CONFIG GET = %s", got)
	}
	stays := tcDial(t, srv)
	if stays.closed(600 * time.Millisecond) {
		t.Error("closed with the deadline off")
	}

	// No password required: connections start authenticated, no timer.
	open := tcStart(t, Config{AuthTimeout: 100 * time.Millisecond})
	c := tcDial(t, open)
	if c.closed(400 * time.Millisecond) {
		t.Error("a connection to a server without a password was closed")
	}
}
