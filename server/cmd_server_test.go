package server

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/store"
)

func stopped(srv *Server, d time.Duration) bool {
	select {
	case <-srv.Done():
		return true
	case <-time.After(d):
		return false
	}
}

func TestCmdShutdownSaveFails(t *testing.T) {
	var logs logBuffer
	srv := tcStart(t, Config{LogOutput: &logs})
	c := tcDial(t, srv)
	if v := c.do("SHUTDOWN", "SAVE"); v.Kind != '-' || v.Str != msgShutdownFailed {
		t.Fatalf("SHUTDOWN SAVE = %v, want -%s", v, msgShutdownFailed)
	}
	if !strings.Contains(logs.String(), "snapshots are not available yet") {
		t.Errorf("the log does not say why the save failed:\n%s", logs.String())
	}
	if v := c.do("PING"); v.Str != "PONG" || stopped(srv, 0) {
		t.Fatalf("the server stopped after a failed SHUTDOWN SAVE")
	}
	// FORCE exits even though the save failed.
	c.send("SHUTDOWN", "SAVE", "FORCE")
	if !c.closed(5*time.Second) || !stopped(srv, 5*time.Second) {
		t.Fatal("SHUTDOWN SAVE FORCE did not stop the server")
	}
	if !strings.Contains(logs.String(), "Exit anyway") {
		t.Errorf("the log does not say the server exits anyway:\n%s", logs.String())
	}
}

func TestCmdShutdownStops(t *testing.T) {
	for _, args := range [][]string{{"SHUTDOWN"}, {"SHUTDOWN", "NOSAVE"}, {"shutdown", "now", "force"}} {
		srv := tcStart(t, Config{})
		c := tcDial(t, srv)
		other := tcDial(t, srv)
		other.do("PING")
		c.send(args...)
		c.send("SET", "after", "shutdown")
		if !c.closed(5*time.Second) || !stopped(srv, 5*time.Second) || !other.closed(5*time.Second) {
			t.Fatalf("%q did not stop the server and close every connection", args)
		}
		var n int
		srv.Store().Update(func(tx *store.Tx) { n = tx.DB(0).Len() })
		if n != 0 {
			t.Errorf("%q: a command pipelined after SHUTDOWN ran", args)
		}
	}
}

func TestCmdTimeUsesStoreClock(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 678_901_000, time.UTC)
	srv := tcStart(t, Config{Clock: store.NewManualClock(at)})
	v := tcDial(t, srv).do("TIME")
	if len(v.Elems) != 2 || v.Elems[0].Str != strconv.FormatInt(at.Unix(), 10) || v.Elems[1].Str != "678901" {
		t.Errorf("TIME = %v, want [%d 678901]", v, at.Unix())
	}
}

// blockedCount waits until INFO reports n blocked clients.
func blockedCount(t *testing.T, c *tcConn, n int) map[string]string {
	t.Helper()
	var info map[string]string
	if !waitUntil(5*time.Second, func() bool {
		info = tcInfo(c.str("INFO", "clients"))
		return info["blocked_clients"] == strconv.Itoa(n)
	}) {
		t.Fatalf("blocked_clients = %s, want %d", info["blocked_clients"], n)
	}
	return info
}

func TestCmdWaitTimeout(t *testing.T) {
	srv := tcStart(t, Config{})
	c := tcDial(t, srv)
	start := time.Now()
	if n := c.integer("WAIT", "1", "150"); n != 0 {
		t.Errorf("WAIT 1 150 = %d, want 0", n)
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > 3*time.Second {
		t.Errorf("WAIT 1 150 returned after %v", d)
	}
	start = time.Now()
	if n := c.integer("WAIT", "0", "0"); n != 0 || time.Since(start) > time.Second {
		t.Errorf("WAIT 0 0 = %d after %v, want 0 at once", n, time.Since(start))
	}
}

func TestCmdWaitBlocksUntilDisconnect(t *testing.T) {
	srv := tcStart(t, Config{})
	admin := tcDial(t, srv)
	w := tcDial(t, srv)
	wid := w.integer("CLIENT", "ID")
	// The reply to a command pipelined before WAIT arrives before it blocks.
	w.send("SET", "k", "v")
	w.send("WAIT", "1", "0")
	w.send("GET", "k")
	if v := w.read(); v.Str != "OK" {
		t.Fatalf("SET before WAIT = %v", v)
	}
	info := blockedCount(t, admin, 1)
	if info["clients_in_timeout_table"] != "0" {
		t.Errorf("clients_in_timeout_table = %s for a WAIT without timeout", info["clients_in_timeout_table"])
	}
	_, f := tcFields(admin.str("CLIENT", "LIST", "ID", strconv.FormatInt(wid, 10)))
	if f["flags"] != "b" || f["cmd"] != "wait" {
		t.Errorf("blocked client: flags=%s cmd=%s, want b and wait", f["flags"], f["cmd"])
	}
	// Other clients, of the same database, are not held up.
	if v := admin.do("GET", "k"); v.Str != "v" {
		t.Errorf("GET from another client = %v", v)
	}
	w.nc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := w.r.ReadByte(); err == nil {
		t.Fatal("WAIT 1 0 replied")
	}
	w.nc.Close()
	blockedCount(t, admin, 0)
}

func TestCmdWaitKilled(t *testing.T) {
	srv := tcStart(t, Config{})
	admin := tcDial(t, srv)
	w := tcDial(t, srv)
	wid := w.integer("CLIENT", "ID")
	w.send("WAIT", "1", "10000")
	info := blockedCount(t, admin, 1)
	if info["clients_in_timeout_table"] != "1" {
		t.Errorf("clients_in_timeout_table = %s, want 1", info["clients_in_timeout_table"])
	}
	if n := admin.integer("CLIENT", "KILL", "ID", strconv.FormatInt(wid, 10)); n != 1 {
		t.Fatalf("CLIENT KILL = %d", n)
	}
	if !w.closed(5 * time.Second) {
		t.Error("a killed blocked client stayed connected")
	}
	blockedCount(t, admin, 0)
}

// TestCmdWaitWakesOnShutdown checks that a graceful shutdown ends a WAIT at
// once: the command finishes with its reply and the server stops without
// waiting for its context to expire.
func TestCmdWaitWakesOnShutdown(t *testing.T) {
	for _, how := range []string{"Shutdown", "Close", "SHUTDOWN"} {
		t.Run(how, func(t *testing.T) {
			srv := tcStart(t, Config{})
			admin := tcDial(t, srv)
			w := tcDial(t, srv)
			w.send("WAIT", "1", "0")
			blockedCount(t, admin, 1)
			start := time.Now()
			switch how {
			case "Shutdown":
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				if err := srv.Shutdown(ctx); err != nil {
					t.Fatalf("Shutdown: %v", err)
				}
				if v := w.read(); v.Kind != ':' || v.Str != "0" {
					t.Errorf("WAIT at shutdown = %v, want :0", v)
				}
			case "Close":
				srv.Close()
				// Close races the WAIT's reply: the client may get :0
				// before its connection is closed, or nothing.
				w.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
				v, err := tcRead(w.r)
				var ne net.Error
				switch {
				case errors.As(err, &ne) && ne.Timeout():
					t.Error("the blocked client stayed connected")
				case err == nil && (v.Kind != ':' || v.Str != "0"):
					t.Errorf("WAIT at Close = %v, want :0 or nothing", v)
				case err == nil && !w.closed(5*time.Second):
					t.Error("the blocked client stayed connected")
				}
			case "SHUTDOWN":
				admin.send("SHUTDOWN", "NOSAVE")
				if !stopped(srv, 20*time.Second) {
					t.Fatal("SHUTDOWN did not stop the server")
				}
				if v := w.read(); v.Kind != ':' || v.Str != "0" {
					t.Errorf("WAIT at shutdown = %v, want :0", v)
				}
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("stopping with a blocked WAIT took %v", d)
			}
			if how != "Close" && !w.closed(5*time.Second) {
				t.Error("the blocked client stayed connected")
			}
		})
	}
}

func TestCmdSwapdbSeenByOthers(t *testing.T) {
	srv := tcStart(t, Config{})
	a, b := tcDial(t, srv), tcDial(t, srv)
	a.do("SET", "k", "db0")
	b.do("SELECT", "9")
	b.do("SET", "k", "db9")
	if v := a.do("SWAPDB", "0", "9"); v.Str != "OK" {
		t.Fatalf("SWAPDB = %v", v)
	}
	if got, other := a.str("GET", "k"), b.str("GET", "k"); got != "db9" || other != "db0" {
		t.Errorf("after SWAPDB, db 0 has %q and db 9 has %q", got, other)
	}
}
