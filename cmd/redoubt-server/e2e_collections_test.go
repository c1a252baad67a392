package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt-db/redoubt/server/servertest"
)

// End-to-end scenarios with go-redis v9 and its default options, as an
// application uses the collections: a reliable job queue (LPUSH, BLMOVE,
// LREM), a leaderboard (ZADD, ZINCRBY, ZREVRANGE WITHSCORES, ZRANK) and a
// session store (HSET, HGETALL, EXPIRE, TTL). Each scenario runs against a
// real redis-server, which proves the test, and against an embedded Redoubt
// server (servertest).

// collServer is a server a scenario runs against.
type collServer struct {
	addr string
	// advance lets d pass on the server's clock: servertest's manual
	// clock for Redoubt, a real sleep for Redis.
	advance func(d time.Duration)
}

// forEachServer runs scenario against Redis and Redoubt, in parallel
// subtests. needs lists the commands the scenario sends: Redoubt must have
// every one (COMMAND INFO), or the test fails naming those it lacks.
func forEachServer(t *testing.T, needs []string, scenario func(t *testing.T, s collServer)) {
	t.Run("Redis", func(t *testing.T) {
		t.Parallel()
		port := startRedis(t)
		scenario(t, collServer{
			addr:    net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
			advance: time.Sleep,
		})
	})
	t.Run("Redoubt", func(t *testing.T) {
		t.Parallel()
		ts := servertest.New(t)
		if missing := missingCommands(t, ts.Addr(), needs); len(missing) > 0 {
			t.Fatalf("Redoubt lacks %s (COMMAND INFO)", strings.Join(missing, ", "))
		}
		scenario(t, collServer{addr: ts.Addr(), advance: func(d time.Duration) { ts.Advance(d) }})
	})
}

// missingCommands returns the commands of names that the server at addr
// does not know: COMMAND INFO answers a null for each.
func missingCommands(t *testing.T, addr string, names []string) []string {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	args := []any{"COMMAND", "INFO"}
	for _, n := range names {
		args = append(args, n)
	}
	v, err := rdb.Do(ctx, args...).Slice()
	if err != nil {
		t.Fatalf("COMMAND INFO: %v", err)
	}
	if len(v) != len(names) {
		t.Fatalf("COMMAND INFO of %d commands answered %d entries", len(names), len(v))
	}
	var missing []string
	for i, info := range v {
		if info == nil {
			missing = append(missing, names[i])
		}
	}
	return missing
}

// collClient returns a go-redis client with default options for the test.
func collClient(t *testing.T, s collServer) *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: s.addr})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// collContext bounds a scenario, blocking commands included: go-redis
// gives the connection the context's deadline.
func collContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitBlocked waits until INFO clients reports n blocked clients.
func waitBlocked(t *testing.T, ctx context.Context, rdb *redis.Client, n int) {
	t.Helper()
	want := "blocked_clients:" + strconv.Itoa(n)
	var last string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		info, err := rdb.Info(ctx, "clients").Result()
		if err != nil {
			t.Fatalf("INFO clients: %v", err)
		}
		for _, line := range strings.Split(info, "\r\n") {
			if strings.HasPrefix(line, "blocked_clients:") {
				last = line
			}
		}
		if last == want {
			return
		}
	}
	t.Fatalf("INFO clients: %q after 10s, want %q", last, want)
}

// A jobResult is what a worker did with one job.
type jobResult struct {
	job     string
	removed int64 // LREM's count for it on the processing list
	err     error
}

// worker is a reliable-queue worker: it blocks on BLMOVE from the queue to
// its processing list, reports the job on got, waits for ack to "finish"
// it, then removes it from the processing list with LREM and reports on
// done. It returns at the first error.
func worker(ctx context.Context, rdb *redis.Client, queue, processing string, got chan<- string, ack <-chan struct{}, done chan<- jobResult) {
	for {
		job, err := rdb.BLMove(ctx, queue, processing, "RIGHT", "LEFT", 0).Result()
		if err != nil {
			done <- jobResult{err: fmt.Errorf("BLMOVE: %w", err)}
			return
		}
		got <- job
		select {
		case <-ack:
		case <-ctx.Done():
			done <- jobResult{job: job, err: ctx.Err()}
			return
		}
		n, err := rdb.LRem(ctx, processing, 1, job).Result()
		done <- jobResult{job: job, removed: n, err: err}
		if err != nil {
			return
		}
	}
}

func TestCollectionsJobQueue(t *testing.T) {
	t.Parallel()
	forEachServer(t, []string{"LPUSH", "BLMOVE", "LREM", "LRANGE", "LLEN", "LMOVE"}, func(t *testing.T, s collServer) {
		ctx := collContext(t)
		producer := collClient(t, s)
		// Each worker has a client of its own: a blocked BLMOVE holds its
		// connection.
		type workerChans struct {
			got  chan string
			ack  chan struct{}
			done chan jobResult
		}
		start := func(processing string) workerChans {
			w := workerChans{make(chan string, 1), make(chan struct{}), make(chan jobResult, 1)}
			rdb := collClient(t, s)
			wctx, cancel := context.WithCancel(ctx)
			t.Cleanup(cancel) // the worker returns once its BLMOVE fails
			go worker(wctx, rdb, "jobs", processing, w.got, w.ack, w.done)
			return w
		}
		// receive waits for the worker's report of a job.
		receive := func(w workerChans) string {
			t.Helper()
			select {
			case job := <-w.got:
				return job
			case r := <-w.done:
				t.Fatalf("worker stopped: %+v", r)
			case <-time.After(10 * time.Second):
				t.Fatal("no job reached the worker in 10s")
			}
			return ""
		}
		finish := func(w workerChans, job string) {
			t.Helper()
			w.ack <- struct{}{}
			r := <-w.done
			if r.err != nil || r.job != job || r.removed != 1 {
				t.Fatalf("finishing %s: %+v, want LREM to remove 1", job, r)
			}
		}
		lrange := func(key string) []string {
			t.Helper()
			v, err := producer.LRange(ctx, key, 0, -1).Result()
			if err != nil {
				t.Fatalf("LRANGE %s: %v", key, err)
			}
			return v
		}

		// The worker blocks on an empty queue; the producer's push wakes
		// it and the job moves, atomically, to the processing list.
		w1 := start("processing:1")
		waitBlocked(t, ctx, producer, 1)
		if n, err := producer.LPush(ctx, "jobs", "job:1").Result(); err != nil || n != 1 {
			t.Fatalf("LPUSH jobs job:1 = %d, %v; want 1", n, err)
		}
		if job := receive(w1); job != "job:1" {
			t.Fatalf("worker got %q, want job:1", job)
		}
		if got := lrange("processing:1"); !slices.Equal(got, []string{"job:1"}) {
			t.Errorf("processing:1 while the job runs = %q, want [job:1]", got)
		}
		if n, err := producer.LLen(ctx, "jobs").Result(); err != nil || n != 0 {
			t.Errorf("LLEN jobs = %d, %v; want 0", n, err)
		}
		finish(w1, "job:1")
		if got := lrange("processing:1"); len(got) != 0 {
			t.Errorf("processing:1 after LREM = %q, want empty", got)
		}

		// Jobs pushed while the worker is busy wait in the queue and come
		// out first in, first out.
		if n, err := producer.LPush(ctx, "jobs", "job:2", "job:3", "job:4").Result(); err != nil || n != 3 {
			t.Fatalf("LPUSH jobs job:2 job:3 job:4 = %d, %v; want 3", n, err)
		}
		for _, want := range []string{"job:2", "job:3", "job:4"} {
			if job := receive(w1); job != want {
				t.Fatalf("worker got %q, want %s", job, want)
			}
			finish(w1, want)
		}

		// Two workers blocked on the queue are served in the order they
		// blocked, one job each.
		waitBlocked(t, ctx, producer, 1)
		w2 := start("processing:2")
		waitBlocked(t, ctx, producer, 2)
		if err := producer.LPush(ctx, "jobs", "job:5").Err(); err != nil {
			t.Fatal(err)
		}
		if job := receive(w1); job != "job:5" {
			t.Fatalf("first blocked worker got %q, want job:5", job)
		}
		if err := producer.LPush(ctx, "jobs", "job:6").Err(); err != nil {
			t.Fatal(err)
		}
		if job := receive(w2); job != "job:6" {
			t.Fatalf("second blocked worker got %q, want job:6", job)
		}
		if got := lrange("processing:2"); !slices.Equal(got, []string{"job:6"}) {
			t.Errorf("processing:2 = %q, want [job:6]", got)
		}

		// A worker that dies leaves its job on its processing list; a
		// reaper puts it back at the head of the queue with LMOVE, and the
		// next worker to ask gets it first.
		if err := producer.RPush(ctx, "processing:dead", "job:0").Err(); err != nil {
			t.Fatal(err)
		}
		if job, err := producer.LMove(ctx, "processing:dead", "jobs", "LEFT", "RIGHT").Result(); err != nil || job != "job:0" {
			t.Fatalf("LMOVE processing:dead jobs LEFT RIGHT = %q, %v; want job:0", job, err)
		}
		if err := producer.LPush(ctx, "jobs", "job:7").Err(); err != nil {
			t.Fatal(err)
		}
		finish(w2, "job:6")
		if job := receive(w2); job != "job:0" {
			t.Fatalf("worker got %q after the reaper, want job:0", job)
		}
		finish(w1, "job:5")
		if job := receive(w1); job != "job:7" {
			t.Fatalf("worker got %q, want job:7", job)
		}
		finish(w1, "job:7")
		finish(w2, "job:0")
		for _, key := range []string{"jobs", "processing:1", "processing:2", "processing:dead"} {
			if n, err := producer.Exists(ctx, key).Result(); err != nil || n != 0 {
				t.Errorf("EXISTS %s = %d, %v; want 0 (an emptied list is deleted)", key, n, err)
			}
		}
	})
}

func TestCollectionsLeaderboard(t *testing.T) {
	t.Parallel()
	forEachServer(t, []string{"ZADD", "ZINCRBY", "ZREVRANGE", "ZRANK", "ZREVRANK", "ZSCORE", "ZCARD"}, func(t *testing.T, s collServer) {
		ctx := collContext(t)
		rdb := collClient(t, s)
		n, err := rdb.ZAdd(ctx, "board", redis.Z{Score: 100, Member: "alice"}, redis.Z{Score: 80, Member: "bob"},
			redis.Z{Score: 120, Member: "carol"}).Result()
		if err != nil || n != 3 {
			t.Fatalf("ZADD board = %d, %v; want 3 added", n, err)
		}
		if f, err := rdb.ZIncrBy(ctx, "board", 50, "bob").Result(); err != nil || f != 130 {
			t.Fatalf("ZINCRBY board 50 bob = %v, %v; want 130", f, err)
		}
		if f, err := rdb.ZIncrBy(ctx, "board", 0.5, "dave").Result(); err != nil || f != 0.5 {
			t.Fatalf("ZINCRBY board 0.5 dave (new member) = %v, %v; want 0.5", f, err)
		}
		// A score equal to another's: members of one score order by
		// their bytes, so in reverse "erin" comes before "carol".
		if n, err := rdb.ZAdd(ctx, "board", redis.Z{Score: 120, Member: "erin"}).Result(); err != nil || n != 1 {
			t.Fatalf("ZADD board 120 erin = %d, %v; want 1", n, err)
		}
		top, err := rdb.ZRevRangeWithScores(ctx, "board", 0, 2).Result()
		want := []redis.Z{{Score: 130, Member: "bob"}, {Score: 120, Member: "erin"}, {Score: 120, Member: "carol"}}
		if err != nil || !slices.Equal(top, want) {
			t.Fatalf("ZREVRANGE board 0 2 WITHSCORES = %v, %v; want %v", top, err, want)
		}
		for member, want := range map[string]int64{"dave": 0, "alice": 1, "carol": 2, "erin": 3, "bob": 4} {
			if r, err := rdb.ZRank(ctx, "board", member).Result(); err != nil || r != want {
				t.Errorf("ZRANK board %s = %d, %v; want %d", member, r, err, want)
			}
			if r, err := rdb.ZRevRank(ctx, "board", member).Result(); err != nil || r != 4-want {
				t.Errorf("ZREVRANK board %s = %d, %v; want %d", member, r, err, 4-want)
			}
		}
		if r, err := rdb.ZRank(ctx, "board", "nobody").Result(); !errors.Is(err, redis.Nil) {
			t.Errorf("ZRANK board nobody = %d, %v; want redis.Nil", r, err)
		}
		if f, err := rdb.ZScore(ctx, "board", "dave").Result(); err != nil || f != 0.5 {
			t.Errorf("ZSCORE board dave = %v, %v; want 0.5", f, err)
		}

		// A bigger board, past the compact encoding's 128 entries, built
		// by increments as games end; its top ten must be the ten best
		// totals.
		totals := map[string]float64{}
		var pipe []redis.Cmder
		p := rdb.Pipeline()
		for game := range 2000 {
			player := fmt.Sprintf("player:%03d", game*7919%500)
			points := float64(game*31%97) + 0.25
			totals[player] += points
			pipe = append(pipe, p.ZIncrBy(ctx, "big", points, player))
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Fatalf("pipelined ZINCRBY: %v", err)
		}
		for _, c := range pipe {
			if c.Err() != nil {
				t.Fatalf("%v: %v", c.Args(), c.Err())
			}
		}
		if n, err := rdb.ZCard(ctx, "big").Result(); err != nil || n != int64(len(totals)) {
			t.Fatalf("ZCARD big = %d, %v; want %d", n, err, len(totals))
		}
		var ranked []redis.Z
		for m, sc := range totals {
			ranked = append(ranked, redis.Z{Score: sc, Member: m})
		}
		slices.SortFunc(ranked, func(a, b redis.Z) int {
			if c := cmp.Compare(b.Score, a.Score); c != 0 {
				return c
			}
			return strings.Compare(b.Member.(string), a.Member.(string))
		})
		top, err = rdb.ZRevRangeWithScores(ctx, "big", 0, 9).Result()
		if err != nil || !slices.Equal(top, ranked[:10]) {
			t.Fatalf("ZREVRANGE big 0 9 WITHSCORES = %v, %v; want %v", top, err, ranked[:10])
		}
		last := ranked[len(ranked)-1].Member.(string)
		if r, err := rdb.ZRank(ctx, "big", last).Result(); err != nil || r != 0 {
			t.Errorf("ZRANK big %s (the lowest total) = %d, %v; want 0", last, r, err)
		}
		first := ranked[0].Member.(string)
		if r, err := rdb.ZRank(ctx, "big", first).Result(); err != nil || r != int64(len(ranked)-1) {
			t.Errorf("ZRANK big %s (the highest total) = %d, %v; want %d", first, r, err, len(ranked)-1)
		}
	})
}

func TestCollectionsSessionStore(t *testing.T) {
	t.Parallel()
	forEachServer(t, []string{"HSET", "HGETALL", "HGET", "HINCRBY", "HDEL", "EXPIRE", "TTL", "EXISTS"}, func(t *testing.T, s collServer) {
		ctx := collContext(t)
		rdb := collClient(t, s)
		const key = "session:4f2a"
		n, err := rdb.HSet(ctx, key, "user_id", "42", "name", "alice", "cart_items", "3").Result()
		if err != nil || n != 3 {
			t.Fatalf("HSET %s = %d, %v; want 3 fields added", key, n, err)
		}
		if ttl, err := rdb.TTL(ctx, key).Result(); err != nil || ttl != -1 {
			t.Errorf("TTL before EXPIRE = %v, %v; want -1 (no expiry)", ttl, err)
		}
		if ok, err := rdb.Expire(ctx, key, 30*time.Minute).Result(); err != nil || !ok {
			t.Fatalf("EXPIRE %s 1800 = %v, %v; want true", key, ok, err)
		}
		ttlAbout := func(want time.Duration) {
			t.Helper()
			ttl, err := rdb.TTL(ctx, key).Result()
			if err != nil || ttl > want || ttl < want-2*time.Second {
				t.Errorf("TTL %s = %v, %v; want about %v", key, ttl, err, want)
			}
		}
		ttlAbout(30 * time.Minute)
		all, err := rdb.HGetAll(ctx, key).Result()
		if want := map[string]string{"user_id": "42", "name": "alice", "cart_items": "3"}; err != nil || !mapsEqual(all, want) {
			t.Fatalf("HGETALL %s = %v, %v; want %v", key, all, err, want)
		}
		// Changing fields keeps the session's expiry; so does HINCRBY.
		if n, err := rdb.HIncrBy(ctx, key, "cart_items", 2).Result(); err != nil || n != 5 {
			t.Errorf("HINCRBY cart_items 2 = %d, %v; want 5", n, err)
		}
		if n, err := rdb.HSet(ctx, key, "name", "alice b.", "csrf", "x9").Result(); err != nil || n != 1 {
			t.Errorf("HSET name csrf = %d, %v; want 1 new field", n, err)
		}
		if n, err := rdb.HDel(ctx, key, "csrf", "nosuchfield").Result(); err != nil || n != 1 {
			t.Errorf("HDEL csrf nosuchfield = %d, %v; want 1", n, err)
		}
		ttlAbout(30 * time.Minute)
		if v, err := rdb.HGet(ctx, key, "name").Result(); err != nil || v != "alice b." {
			t.Errorf("HGET name = %q, %v; want \"alice b.\"", v, err)
		}
		if v, err := rdb.HGet(ctx, key, "nosuchfield").Result(); !errors.Is(err, redis.Nil) {
			t.Errorf("HGET nosuchfield = %q, %v; want redis.Nil", v, err)
		}
		// Activity slides the expiry forward.
		if ok, err := rdb.Expire(ctx, key, time.Hour).Result(); err != nil || !ok {
			t.Fatalf("EXPIRE %s 3600 = %v, %v; want true", key, ok, err)
		}
		ttlAbout(time.Hour)

		// An idle session expires: every field goes with it.
		if ok, err := rdb.Expire(ctx, key, time.Second).Result(); err != nil || !ok {
			t.Fatalf("EXPIRE %s 1 = %v, %v; want true", key, ok, err)
		}
		s.advance(1100 * time.Millisecond)
		if all, err := rdb.HGetAll(ctx, key).Result(); err != nil || len(all) != 0 {
			t.Errorf("HGETALL after expiry = %v, %v; want an empty map", all, err)
		}
		if n, err := rdb.Exists(ctx, key).Result(); err != nil || n != 0 {
			t.Errorf("EXISTS after expiry = %d, %v; want 0", n, err)
		}
		if ttl, err := rdb.TTL(ctx, key).Result(); err != nil || ttl != -2 {
			t.Errorf("TTL after expiry = %v, %v; want -2 (no such key)", ttl, err)
		}
		if ok, err := rdb.Expire(ctx, key, time.Hour).Result(); err != nil || ok {
			t.Errorf("EXPIRE of the expired session = %v, %v; want false", ok, err)
		}
	})
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
