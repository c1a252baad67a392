package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/redoubt-db/redoubt/server/servertest"
)

// End to end: client-side caching with rueidis, the Go client built around
// it (RESP3, CLIENT TRACKING ON OPTIN, CLIENT CACHING YES before each cached
// read). An application caches reads in the process and must see another
// client's writes once the server invalidates them. Each scenario runs
// against a real redis-server, which proves the test, and an embedded
// Redoubt server.

// rueidisClient connects rueidis to addr; cache false disables its
// client-side cache (a plain writer).
func rueidisClient(t *testing.T, addr string, cache bool) rueidis.Client {
	t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{
		InitAddress:  []string{addr},
		DisableCache: !cache,
		// One connection, so that the reads and the invalidations they
		// register share it.
		PipelineMultiplex: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// TestRueidisClientSideCaching reads keys through rueidis's cache while
// another client writes them: a cached read is served locally until the
// key changes, and after the write (SET, DEL, EXPIRE, MSET, FLUSHALL) the
// cache gives the new value. rueidis reads through MULTI/PTTL/EXEC unless
// a command's TTL is static; the static form needs no MULTI.
func TestRueidisClientSideCaching(t *testing.T) {
	needs := []string{"hello", "client", "get", "set", "mget", "mset", "del", "expire", "flushall"}
	forEachServer(t, needs, func(t *testing.T, s collServer) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cached := rueidisClient(t, s.addr, true)
		writer := rueidisClient(t, s.addr, false)
		set := func(k, v string) {
			t.Helper()
			if err := writer.Do(ctx, writer.B().Set().Key(k).Value(v).Build()).Error(); err != nil {
				t.Fatalf("SET %s: %v", k, err)
			}
		}
		get := func(k string) (v string, hit, null bool) {
			t.Helper()
			r := cached.DoCache(ctx, cached.B().Get().Key(k).Cache().ToStaticTTL(), time.Minute)
			v, err := r.ToString()
			if rueidis.IsRedisNil(err) {
				return "", r.IsCacheHit(), true
			}
			if err != nil {
				t.Fatalf("GET %s through the cache: %v", k, err)
			}
			return v, r.IsCacheHit(), false
		}
		// eventually waits for the cached read of k to give want (null
		// for ""), failing on any value that is neither want nor old.
		eventually := func(k, old, want string) {
			t.Helper()
			deadline := time.Now().Add(5 * time.Second)
			for {
				v, hit, null := get(k)
				if null {
					v = ""
				}
				if v == want {
					if hit {
						// The first read of a new value comes from
						// the server, not the cache.
						if _, again, _ := get(k); !again {
							t.Errorf("%s: the read after the new value was not cached", k)
						}
					}
					return
				}
				if v != old {
					t.Fatalf("%s: cached read gave %q, want %q or %q", k, v, old, want)
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s: still %q from the cache 5s after the write of %q", k, v, want)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}

		set("user:1", "alice")
		if v, hit, _ := get("user:1"); v != "alice" || hit {
			t.Fatalf("first read = %q (cache hit %v), want alice from the server", v, hit)
		}
		if v, hit, _ := get("user:1"); v != "alice" || !hit {
			t.Fatalf("second read = %q (cache hit %v), want alice from the cache", v, hit)
		}
		set("user:1", "bob")
		eventually("user:1", "alice", "bob")

		if err := writer.Do(ctx, writer.B().Del().Key("user:1").Build()).Error(); err != nil {
			t.Fatal(err)
		}
		eventually("user:1", "bob", "")

		set("user:2", "carol")
		get("user:2")
		if err := writer.Do(ctx, writer.B().Expire().Key("user:2").Seconds(100).Build()).Error(); err != nil {
			t.Fatal(err)
		}
		// EXPIRE changes no value but invalidates: the next read asks.
		deadline := time.Now().Add(5 * time.Second)
		for {
			if _, hit, _ := get("user:2"); !hit {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("user:2 still cached 5s after EXPIRE")
			}
			time.Sleep(5 * time.Millisecond)
		}

		// Several keys cached in one round trip; a write to one of them
		// leaves the others cached.
		keys := []string{"k:a", "k:b", "k:c"}
		for _, k := range keys {
			set(k, "v0")
		}
		multi := func() []rueidis.RedisResult {
			var cmds []rueidis.CacheableTTL
			for _, k := range keys {
				cmds = append(cmds, rueidis.CT(cached.B().Get().Key(k).Cache().ToStaticTTL(), time.Minute))
			}
			return cached.DoMultiCache(ctx, cmds...)
		}
		multi()
		for i, r := range multi() {
			if v, _ := r.ToString(); v != "v0" || !r.IsCacheHit() {
				t.Fatalf("%s = %q (cache hit %v), want v0 from the cache", keys[i], v, r.IsCacheHit())
			}
		}
		if err := writer.Do(ctx, writer.B().Mset().KeyValue().KeyValue("k:b", "v1").Build()).Error(); err != nil {
			t.Fatal(err)
		}
		eventually("k:b", "v0", "v1")
		for _, k := range []string{"k:a", "k:c"} {
			if v, hit, _ := get(k); v != "v0" || !hit {
				t.Errorf("%s = %q (cache hit %v) after a write to k:b only, want v0 from the cache", k, v, hit)
			}
		}

		// FLUSHALL invalidates everything at once.
		if err := writer.Do(ctx, writer.B().Flushall().Build()).Error(); err != nil {
			t.Fatal(err)
		}
		last := map[string]string{"k:a": "v0", "k:b": "v1", "k:c": "v0"}
		for _, k := range keys {
			eventually(k, last[k], "")
		}
	})
}

// TestRueidisClientSideCachingMulti is the scenario rueidis uses by
// default: each cached read is CLIENT CACHING YES, MULTI, PTTL, the read,
// EXEC, so the cache also learns the key's TTL. It needs MULTI.
func TestRueidisClientSideCachingMulti(t *testing.T) {
	needs := []string{"hello", "client", "get", "set", "multi", "exec", "pttl"}
	if missing := missingCommands(t, servertest.New(t).Addr(), needs); len(missing) > 0 {
		t.Skipf("Redoubt lacks %s: rueidis's default cached read needs them", strings.Join(missing, ", "))
	}
	forEachServer(t, needs, func(t *testing.T, s collServer) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cached := rueidisClient(t, s.addr, true)
		writer := rueidisClient(t, s.addr, false)
		if err := writer.Do(ctx, writer.B().Set().Key("page").Value("v1").Build()).Error(); err != nil {
			t.Fatal(err)
		}
		read := func() (string, bool) {
			r := cached.DoCache(ctx, cached.B().Get().Key("page").Cache(), time.Minute)
			v, err := r.ToString()
			if err != nil {
				t.Fatalf("GET page through the cache: %v", err)
			}
			return v, r.IsCacheHit()
		}
		if v, hit := read(); v != "v1" || hit {
			t.Fatalf("first read = %q (hit %v)", v, hit)
		}
		if v, hit := read(); v != "v1" || !hit {
			t.Fatalf("second read = %q (hit %v)", v, hit)
		}
		if err := writer.Do(ctx, writer.B().Set().Key("page").Value("v2").Build()).Error(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			v, _ := read()
			if v == "v2" {
				break
			}
			if v != "v1" || time.Now().After(deadline) {
				t.Fatalf("read %q after the write of v2", v)
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}
