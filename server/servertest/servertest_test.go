package servertest_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/server"
	"github.com/redoubt-db/redoubt/server/servertest"
	"github.com/redoubt-db/redoubt/store"
)

func TestClock(t *testing.T) {
	before := time.Now()
	ts := servertest.New(t)
	if now := ts.Now(); now.Before(before) || now.After(time.Now()) {
		t.Fatalf("Now = %v, want the time New was called", now)
	}
	start := ts.Now()
	if got := ts.Advance(time.Hour); !got.Equal(start.Add(time.Hour)) || !ts.Now().Equal(got) {
		t.Fatalf("Advance(1h) = %v, Now = %v; want %v", got, ts.Now(), start.Add(time.Hour))
	}
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	ts.SetTime(at)
	if !ts.Now().Equal(at) || !ts.Clock().Now().Equal(at) || !ts.Store().Clock().Now().Equal(at) {
		t.Fatalf("after SetTime, Now = %v, want %v", ts.Now(), at)
	}
}

func TestConfigClock(t *testing.T) {
	clk := store.NewManualClock(time.Unix(1000, 0))
	ts := servertest.New(t, server.Config{Clock: clk, Databases: 2})
	if ts.Clock() != clk {
		t.Fatal("the configured ManualClock is not the server's")
	}
	ts.Advance(time.Second)
	if clk.Now().Unix() != 1001 {
		t.Fatalf("configured clock at %v after Advance(1s)", clk.Now())
	}
	if ts.DB(1) == nil || ts.DB(2) != nil {
		t.Fatal("the configuration's Databases was not used")
	}
}

func TestStartErrors(t *testing.T) {
	if _, err := servertest.Start(server.Config{Clock: store.SystemClock{}}); err == nil {
		t.Error("Start with a SystemClock succeeded")
	}
	var nilClock *store.ManualClock
	if _, err := servertest.Start(server.Config{Clock: nilClock}); err == nil {
		t.Error("Start with a nil *ManualClock succeeded")
	}
	if _, err := servertest.Start(server.Config{}, server.Config{}); err == nil {
		t.Error("Start with two configs succeeded")
	}
	if _, err := servertest.Start(server.Config{Databases: -1}); err == nil {
		t.Error("Start with an invalid config succeeded")
	}
}

// TestAdvanceExpires checks that keys expire when the clock moves, with no
// client or handle reading them in between.
func TestAdvanceExpires(t *testing.T) {
	ts := servertest.New(t)
	db := ts.DB(0)
	db.Set("short", "v")
	db.SetTTL("short", 10*time.Second)
	db.Set("long", "v")
	db.SetTTL("long", time.Minute)
	db.Set("forever", "v")

	ts.Advance(10 * time.Second) // the deadline itself: still there
	if n := db.Len(); n != 3 {
		t.Fatalf("Len at the deadline = %d, want 3", n)
	}
	ts.Advance(time.Millisecond)
	if n := db.Len(); n != 2 {
		t.Fatalf("Len just past the deadline = %d, want 2", n)
	}
	ts.SetTime(ts.Now().Add(time.Hour))
	if n := db.Len(); n != 1 {
		t.Fatalf("Len after SetTime an hour later = %d, want 1", n)
	}
	var st store.Stats
	ts.Store().Update(func(tx *store.Tx) { st = tx.Store().Stats() })
	if st.Expired != 2 {
		t.Errorf("expired_keys = %d, want 2", st.Expired)
	}
}

// TestAdvanceMovesIdleTime checks that OBJECT IDLETIME follows the clock.
func TestAdvanceMovesIdleTime(t *testing.T) {
	ts := servertest.New(t)
	rdb := newClient(ts)
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	ts.Advance(90 * time.Second)
	if idle, err := rdb.ObjectIdleTime(ctx, "k").Result(); err != nil || idle != 90*time.Second {
		t.Fatalf("OBJECT IDLETIME = %v, %v; want 90s", idle, err)
	}
}

func TestCleanupCloses(t *testing.T) {
	var addr string
	t.Run("inner", func(t *testing.T) {
		addr = servertest.New(t).Addr()
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		nc.Close()
	})
	if nc, err := net.Dial("tcp", addr); err == nil {
		nc.Close()
		t.Fatalf("server at %s still accepts connections after its test ended", addr)
	}
}
