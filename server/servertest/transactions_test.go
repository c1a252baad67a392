package servertest_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt-db/redoubt/server/servertest"
)

// TestGoRedisTxPipelined runs go-redis's TxPipelined: the commands go out
// as MULTI … EXEC in one write, and each command's result is its reply
// inside EXEC, errors included.
func TestGoRedisTxPipelined(t *testing.T) {
	ts := servertest.New(t)
	ctx := context.Background()
	rdb := newClient(ts)
	defer rdb.Close()

	var incr *redis.IntCmd
	var get *redis.StringCmd
	var bad *redis.IntCmd
	cmds, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "counter", "10", 0)
		incr = p.IncrBy(ctx, "counter", 5)
		get = p.Get(ctx, "counter")
		bad = p.LPush(ctx, "counter", "x") // wrong type: fails, the rest runs
		p.RPush(ctx, "list", "a", "b")
		return nil
	})
	if len(cmds) != 5 {
		t.Fatalf("%d results, want 5", len(cmds))
	}
	if err == nil || !strings.HasPrefix(err.Error(), "WRONGTYPE") {
		t.Fatalf("TxPipelined error = %v, want the WRONGTYPE of the LPUSH", err)
	}
	if incr.Val() != 15 || get.Val() != "15" {
		t.Errorf("INCRBY = %d, GET = %q inside the transaction; want 15, \"15\"", incr.Val(), get.Val())
	}
	if bad.Err() == nil {
		t.Error("LPUSH on a string succeeded inside the transaction")
	}
	if n, err := rdb.LLen(ctx, "list").Result(); err != nil || n != 2 {
		t.Errorf("LLEN list after the transaction = %d, %v; want 2 (a failed command does not stop the rest)", n, err)
	}
}

// TestGoRedisWatchRetries is optimistic locking under contention: 20
// goroutines each add 1 to a counter 25 times with WATCH, GET, MULTI, SET,
// EXEC, retrying when EXEC fails because another changed the counter in
// between. The final count is exact only if every EXEC that succeeded saw no
// change since its WATCH, and every one that should fail did.
func TestGoRedisWatchRetries(t *testing.T) {
	ts := servertest.New(t)
	ctx := context.Background()
	const workers, each = 20, 25

	var wg sync.WaitGroup
	var mu sync.Mutex
	retries := 0
	for range workers {
		rdb := newClient(ts)
		defer rdb.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				for {
					err := rdb.Watch(ctx, func(tx *redis.Tx) error {
						n, err := tx.Get(ctx, "counter").Int()
						if err != nil && !errors.Is(err, redis.Nil) {
							return err
						}
						_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
							p.Set(ctx, "counter", strconv.Itoa(n+1), 0)
							return nil
						})
						return err
					}, "counter")
					if errors.Is(err, redis.TxFailedErr) {
						mu.Lock()
						retries++
						mu.Unlock()
						continue
					}
					if err != nil {
						t.Error(err)
						return
					}
					break
				}
			}
		}()
	}
	wg.Wait()
	rdb := newClient(ts)
	defer rdb.Close()
	n, err := rdb.Get(ctx, "counter").Int()
	if err != nil || n != workers*each {
		t.Fatalf("counter = %d, %v; want %d", n, err, workers*each)
	}
	if retries == 0 {
		t.Error("no EXEC ever failed: 20 goroutines did not contend, so the test proved nothing")
	}
	t.Logf("%d increments, %d retries", n, retries)
}
