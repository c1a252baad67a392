package servertest_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt-db/redoubt/server/servertest"
)

// TestGoRedisJobQueue is the reliable queue pattern with go-redis: workers
// wait with BLMOVE from the queue into their own processing list, finish
// the job, then remove it with LREM; producers push while the workers
// wait. Every job is done exactly once, and an idle worker's BLMOVE
// times out with redis.Nil.
func TestGoRedisJobQueue(t *testing.T) {
	ts := servertest.New(t)
	ctx := context.Background()
	const workers, jobs = 4, 200

	var mu sync.Mutex // guards done
	done := map[string]int{}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range workers {
		rdb := newClient(ts)
		defer rdb.Close()
		processing := "processing:" + strconv.Itoa(w)
		wg.Add(1)
		go func() { // exits when stop is closed and the queue stays empty
			defer wg.Done()
			for {
				job, err := rdb.BLMove(ctx, "jobs", processing, "RIGHT", "LEFT", time.Second).Result()
				if errors.Is(err, redis.Nil) {
					select {
					case <-stop:
						return
					default:
						continue
					}
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				done[job]++
				mu.Unlock()
				if err := rdb.LRem(ctx, processing, 1, job).Err(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}

	producer := newClient(ts)
	defer producer.Close()
	for i := range jobs {
		if err := producer.LPush(ctx, "jobs", fmt.Sprintf("job-%d", i)).Err(); err != nil {
			t.Fatal(err)
		}
		if i%20 == 0 {
			time.Sleep(time.Millisecond) // let the workers drain and block again
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(done)
		mu.Unlock()
		if n == jobs || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	wg.Wait()

	for i := range jobs {
		if n := done[fmt.Sprintf("job-%d", i)]; n != 1 {
			t.Errorf("job-%d done %d times, want once", i, n)
		}
	}
	keys, err := producer.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		slices.Sort(keys)
		t.Errorf("keys left after every job was done: %q", keys)
	}
}
