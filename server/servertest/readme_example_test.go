package servertest_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt-db/redoubt/server/servertest"
)

// TestREADMEExample is the embedding example of README.md, kept compiling
// and passing.
func TestREADMEExample(t *testing.T) {
	ctx := context.Background()
	ts := servertest.New(t)
	rdb := redis.NewClient(&redis.Options{Addr: ts.Addr()})
	defer rdb.Close()
	rdb.Set(ctx, "session", "abc", time.Minute)

	ts.Advance(2 * time.Minute) // moves the clock and deletes what expired

	if n := ts.DB(0).Len(); n != 0 { // direct access, no network round trip
		t.Fatalf("DBSIZE = %d after the TTL passed", n)
	}
}
