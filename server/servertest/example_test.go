package servertest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt-db/redoubt/server/servertest"
)

// newClient connects go-redis to ts. go-redis v9 opens each connection with
// HELLO and CLIENT SETINFO, which Redoubt does not implement yet. It falls
// back when they are refused, so its defaults already work, but Protocol 2
// and DisableIdentity spare it the RESP3 attempt and CLIENT SETINFO (only
// HELLO 2 is still sent and refused). Once HELLO and CLIENT SETINFO land,
// the defaults work without any refused command.
func newClient(ts *servertest.Server) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr:            ts.Addr(),
		Protocol:        2,
		DisableIdentity: true,
	})
}

// A key set with a TTL expires when the test moves the clock past it, and
// is actively deleted: it leaves the keyspace (DB(0).Len() is what DBSIZE
// reports) before any client reads it.
func Example() {
	ts, err := servertest.Start()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ts.Close()
	rdb := newClient(ts)
	defer rdb.Close()
	ctx := context.Background()

	if err := rdb.Set(ctx, "session", "abc", 10*time.Second).Err(); err != nil {
		fmt.Println(err)
		return
	}
	ttl, err := rdb.TTL(ctx, "session").Result()
	fmt.Println("ttl:", ttl, err)

	ts.Advance(11 * time.Second)
	fmt.Println("keys left:", ts.DB(0).Len())
	_, err = rdb.Get(ctx, "session").Result()
	fmt.Println("get is nil:", errors.Is(err, redis.Nil))
	// Output:
	// ttl: 10s <nil>
	// keys left: 0
	// get is nil: true
}

func TestGoRedisExpiry(t *testing.T) {
	ts := servertest.New(t)
	rdb := newClient(ts)
	defer rdb.Close()
	ctx := context.Background()

	if err := rdb.Set(ctx, "session", "abc", 10*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Set(ctx, "forever", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	ts.Advance(9 * time.Second)
	if ttl, err := rdb.TTL(ctx, "session").Result(); err != nil || ttl != time.Second {
		t.Fatalf("TTL after 9s = %v, %v; want 1s", ttl, err)
	}
	ts.Advance(time.Second + time.Millisecond)
	// The expired key is gone before any client reads it.
	if n := ts.DB(0).Len(); n != 1 {
		t.Fatalf("keys after expiry = %d, want 1", n)
	}
	n, err := rdb.DBSize(ctx).Result()
	switch {
	case err != nil && strings.HasPrefix(err.Error(), "ERR unknown command 'dbsize'"):
		// DBSIZE arrives with the server commands; until then Len
		// above checks the same count.
	case err != nil || n != 1:
		t.Fatalf("DBSIZE after expiry = %d, %v; want 1", n, err)
	}
	if _, err := rdb.Get(ctx, "session").Result(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET of an expired key: err = %v, want redis.Nil", err)
	}
	if v, err := rdb.Get(ctx, "forever").Result(); err != nil || v != "x" {
		t.Fatalf("GET forever = %q, %v", v, err)
	}
}
