package servertest_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt-db/redoubt/server"
	"github.com/redoubt-db/redoubt/server/servertest"
)

// TestGoRedisKeyspaceExpired is "tell me when a key expires" with go-redis:
// a PSubscribe to the expired events receives one message per key, whether
// a client's read finds the key past its deadline (lazy expiry), the
// server's background cycle deletes it with no client asking (active
// expiry), or the test moves the clock with Advance; the keyspace channel
// carries the event name for the key.
func TestGoRedisKeyspaceExpired(t *testing.T) {
	ts := servertest.New(t, server.Config{NotifyKeyspaceEvents: "KEx"})
	ctx := context.Background()
	rdb := newClient(ts)
	defer rdb.Close()

	events := rdb.PSubscribe(ctx, "__keyevent@*__:expired")
	defer events.Close()
	space := rdb.Subscribe(ctx, "__keyspace@0__:session:lazy")
	defer space.Close()
	// Receive waits for the subscription to be confirmed, so no event
	// can come before it.
	for _, ps := range []*redis.PubSub{events, space} {
		if _, err := ps.Receive(ctx); err != nil {
			t.Fatal(err)
		}
	}
	expect := func(ps *redis.PubSub, channel, payload string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		msg, err := ps.ReceiveMessage(ctx)
		if err != nil {
			t.Fatalf("waiting for %s %s: %v", channel, payload, err)
		}
		if msg.Channel != channel || msg.Payload != payload {
			t.Fatalf("message on %q: %q, want %q on %q", msg.Channel, msg.Payload, payload, channel)
		}
	}

	// Lazy: the key is past its deadline when GET looks it up.
	if err := rdb.Set(ctx, "session:lazy", "v", time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	ts.Clock().Advance(2 * time.Second) // moves time, deletes nothing
	if err := rdb.Get(ctx, "session:lazy").Err(); err != redis.Nil {
		t.Fatalf("GET of an expired key: %v, want redis.Nil", err)
	}
	expect(events, "__keyevent@0__:expired", "session:lazy")
	expect(space, "__keyspace@0__:session:lazy", "expired")

	// Active: nobody reads the key; the server's cycle finds it.
	if err := rdb.Set(ctx, "session:active", "v", time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	ts.Clock().Advance(2 * time.Second)
	expect(events, "__keyevent@0__:expired", "session:active")

	// Advance deletes what expired at once, in another database too.
	rdb2 := redis.NewClient(&redis.Options{Addr: ts.Addr(), DB: 3})
	defer rdb2.Close()
	if err := rdb2.Set(ctx, "session:db3", "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	ts.Advance(time.Hour)
	expect(events, "__keyevent@3__:expired", "session:db3")

	// A key that has not expired yet sends nothing: the next message is
	// about the one that expires after it.
	rdb.Set(ctx, "later", "v", time.Hour)
	rdb.Set(ctx, "sooner", "v", time.Minute)
	ts.Advance(2 * time.Minute)
	expect(events, "__keyevent@0__:expired", "sooner")
}
