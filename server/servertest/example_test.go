package servertest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt-db/redoubt/server/servertest"
)

// newClient connects go-redis to ts with its default options, as an
// application would: it negotiates RESP3 with HELLO 3 and names itself
// with CLIENT SETINFO.
func newClient(ts *servertest.Server) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: ts.Addr()})
}

// A key set with a TTL expires when the test moves the clock past it, and
// is actively deleted: it leaves the keyspace, and DBSIZE no longer counts
// it, before any client reads the key.
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
	n, err := rdb.DBSize(ctx).Result()
	fmt.Println("keys left:", n, err)
	_, err = rdb.Get(ctx, "session").Result()
	fmt.Println("get is nil:", errors.Is(err, redis.Nil))
	// Output:
	// ttl: 10s <nil>
	// keys left: 0 <nil>
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
	if n, err := rdb.DBSize(ctx).Result(); err != nil || n != 1 {
		t.Fatalf("DBSIZE after expiry = %d, %v; want 1", n, err)
	}
	if _, err := rdb.Get(ctx, "session").Result(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET of an expired key: err = %v, want redis.Nil", err)
	}
	if v, err := rdb.Get(ctx, "forever").Result(); err != nil || v != "x" {
		t.Fatalf("GET forever = %q, %v", v, err)
	}
}
