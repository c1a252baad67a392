package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestZSetBadInput sends the sorted set commands ranks, counts, limits and
// numkeys at the edges of the integer range (the "Bad input" list,
// CVE-2023-22458 for ZRANDMEMBER), checks Redis 7.0's replies (the
// conformance scripts record the same cases from redis-server), and that
// the server keeps serving. Each runs on a listpack and a skiplist set.
func TestZSetBadInput(t *testing.T) {
	srv := tcStart(t, Config{})
	c := tcDial(t, srv)
	for _, key := range []string{"small", "big"} {
		if key == "big" {
			c.str("CONFIG", "SET", "zset-max-listpack-entries", "1")
		}
		if n := c.integer("ZADD", key, "1", "a", "2", "b", "3", "c"); n != 3 {
			t.Fatalf("ZADD = %d", n)
		}
		const rangeErr = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
		const notInt = "ERR value is not an integer or out of range"
		for _, tc := range []struct {
			args []string
			want string // the reply's kind and text, or its length for arrays
		}{
			{[]string{"ZRANGE", key, "-9223372036854775808", "9223372036854775807"}, "*3"},
			{[]string{"ZRANGE", key, "9223372036854775807", "-9223372036854775808"}, "*0"},
			{[]string{"ZRANGE", key, "-9223372036854775808", "-9223372036854775808"}, "*0"},
			{[]string{"ZRANGE", key, "0", "9223372036854775807", "REV"}, "*3"},
			{[]string{"ZRANGE", key, "9223372036854775808", "1"}, "-" + notInt},
			{[]string{"ZREMRANGEBYRANK", key, "9223372036854775807", "9223372036854775807"}, ":0"},
			{[]string{"ZRANGEBYSCORE", key, "-inf", "+inf", "LIMIT", "9223372036854775807", "9223372036854775807"}, "*0"},
			{[]string{"ZRANGEBYSCORE", key, "-inf", "+inf", "LIMIT", "-9223372036854775808", "1"}, "*0"},
			{[]string{"ZRANGEBYSCORE", key, "-inf", "+inf", "LIMIT", "1", "-9223372036854775808"}, "*2"},
			{[]string{"ZRANGEBYSCORE", key, "-inf", "+inf", "LIMIT", "0", "9223372036854775808"}, "-" + notInt},
			{[]string{"ZREVRANGEBYLEX", key, "+", "-", "LIMIT", "9223372036854775807", "1"}, "*0"},
			{[]string{"ZRANGE", key, "-", "+", "BYLEX", "LIMIT", "2", "9223372036854775807"}, "*1"},
			{[]string{"ZRANDMEMBER", key, "-9223372036854775808"}, "-" + rangeErr},
			{[]string{"ZRANDMEMBER", key, "9223372036854775807"}, "*3"},
			{[]string{"ZRANDMEMBER", key, "9223372036854775807", "WITHSCORES"}, "-ERR value is out of range"},
			{[]string{"ZRANDMEMBER", key, "-4611686018427387904", "WITHSCORES"}, "-ERR value is out of range"},
			{[]string{"ZRANDMEMBER", key, "4611686018427387903", "WITHSCORES"}, "*6"},
			{[]string{"ZRANDMEMBER", "missing", "-9223372036854775807"}, "*0"},
			{[]string{"ZPOPMIN", key, "-9223372036854775808"}, "-ERR value is out of range, must be positive"},
			{[]string{"ZPOPMIN", "missing", "9223372036854775807"}, "*0"},
			{[]string{"ZMPOP", "0", key, "MIN"}, "-ERR numkeys should be greater than 0"},
			{[]string{"ZMPOP", "9223372036854775807", key, "MIN"}, "-ERR syntax error"},
			{[]string{"ZMPOP", "-9223372036854775808", key, "MIN"}, "-ERR numkeys should be greater than 0"},
			{[]string{"ZMPOP", "1", key, "MIN", "COUNT", "0"}, "-ERR count should be greater than 0"},
			{[]string{"ZMPOP", "1", key, "MIN", "COUNT", "-9223372036854775808"}, "-ERR count should be greater than 0"},
			{[]string{"ZUNION", "0", key}, "-ERR at least 1 input key is needed for 'zunion' command"},
			{[]string{"ZUNION", "9223372036854775807", key}, "-ERR syntax error"},
			{[]string{"ZUNIONSTORE", "d", "-9223372036854775808", key}, "-ERR at least 1 input key is needed for 'zunionstore' command"},
			{[]string{"ZINTERSTORE", "d", "2", key}, "-ERR syntax error"},
			{[]string{"ZINTERCARD", "1", key, "LIMIT", "9223372036854775807"}, ":3"},
			{[]string{"ZINTERCARD", "1", key, "LIMIT", "-9223372036854775808"}, "-ERR LIMIT can't be negative"},
			{[]string{"ZSCAN", key, "18446744073709551615", "COUNT", "9223372036854775807"}, "*2"},
			{[]string{"ZSCAN", key, "18446744073709551616"}, "-ERR invalid cursor"},
			{[]string{"ZADD", key, "nan", "x"}, "-ERR value is not a valid float"},
			{[]string{"ZINCRBY", key, "nan", "a"}, "-ERR value is not a valid float"},
			{[]string{"ZCOUNT", key, "nan", "1"}, "-ERR min or max is not a float"},
			{[]string{"ZCOUNT", key, "(nan", "1"}, "-ERR min or max is not a float"},
			{[]string{"ZPOPMAX", key, "9223372036854775807"}, "*6"},
		} {
			v := c.do(tc.args...)
			got := string(v.Kind) + v.Str
			if v.Kind == '*' {
				got = "*" + strconv.Itoa(len(v.Elems))
			}
			if got != tc.want {
				t.Errorf("%q = %s, want %s", tc.args, got, tc.want)
			}
		}
		c.integer("DEL", key)
	}
	// inf - inf: the increment is refused and the score kept.
	c.integer("ZADD", "inf", "+inf", "m")
	if v := c.do("ZINCRBY", "inf", "-inf", "m"); string(v.Kind)+v.Str != "-ERR resulting score is not a number (NaN)" {
		t.Errorf("ZINCRBY inf -inf = %c%s", v.Kind, v.Str)
	}
	if got := c.str("ZSCORE", "inf", "m"); got != "inf" {
		t.Errorf("score after = %q", got)
	}
}

// TestZrandmemberHugeNegativeCount asks for 2^63-1 members with repetition:
// Redis streams such a reply until the client's output limit closes the
// connection. Redoubt stops once randReplyLimit bytes are pending and
// closes the connection after them, allocating nothing from the count;
// the server keeps serving others.
func TestZrandmemberHugeNegativeCount(t *testing.T) {
	old := randReplyLimit.Load()
	randReplyLimit.Store(1 << 20)
	t.Cleanup(func() { randReplyLimit.Store(old) })
	srv := tcStart(t, Config{})
	for _, withScores := range []bool{false, true} {
		c := tcDial(t, srv)
		c.integer("ZADD", "z", "1", "a", "2", "b")
		count := strconv.FormatInt(-math.MaxInt64, 10)
		want := "*9223372036854775807\r\n"
		if withScores {
			count = strconv.FormatInt(-math.MaxInt64/2, 10)
			want = "*9223372036854775806\r\n"
			c.send("ZRANDMEMBER", "z", count, "WITHSCORES")
		} else {
			c.send("ZRANDMEMBER", "z", count)
		}
		c.nc.SetReadDeadline(time.Now().Add(20 * time.Second))
		r := bufio.NewReader(c.nc)
		head, err := r.ReadString('\n')
		if err != nil || head != want {
			t.Fatalf("header %q, %v", head, err)
		}
		n, err := io.Copy(io.Discard, r)
		if err != nil && !strings.Contains(err.Error(), "reset") {
			t.Fatalf("reading the reply: %v after %d bytes", err, n)
		}
		if n < 1<<19 || n > 64<<20 {
			t.Errorf("got %d bytes before the close, want about 1 MiB", n)
		}
		if got := tcDial(t, srv).str("PING"); got != "PONG" {
			t.Errorf("PING after = %q", got)
		}
	}
}

// TestZMPopParse checks the argument parser BZMPOP shares with ZMPOP.
func TestZMPopParse(t *testing.T) {
	srv := tcStart(t, Config{})
	c := tcDial(t, srv)
	c.integer("ZADD", "b", "1", "x", "2", "y", "3", "z")
	v := c.do("ZMPOP", "2", "a", "b", "max", "COUNT", "2")
	if v.Kind != '*' || len(v.Elems) != 2 || v.Elems[0].Str != "b" || len(v.Elems[1].Elems) != 2 ||
		v.Elems[1].Elems[0].Elems[0].Str != "z" || v.Elems[1].Elems[1].Elems[0].Str != "y" {
		t.Fatalf("ZMPOP = %+v", v)
	}
}

// TestLeaderboardGoRedis is a leaderboard as applications write one with
// go-redis, in RESP2 and RESP3: scores added and incremented, the top
// players with their scores, a player's rank and score, a page by score,
// past the listpack limit so both representations serve it.
func TestLeaderboardGoRedis(t *testing.T) {
	srv := tcStart(t, Config{})
	for _, proto := range []int{2, 3} {
		ctx := context.Background()
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), Protocol: proto})
		t.Cleanup(func() { rdb.Close() })
		key := fmt.Sprintf("board%d", proto)
		const players = 300
		for i := 0; i < players; i++ {
			if err := rdb.ZAdd(ctx, key, redis.Z{Score: float64(i % 100), Member: fmt.Sprintf("player:%03d", i)}).Err(); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := rdb.ZIncrBy(ctx, key, 1000.5, "player:007").Result(); err != nil || got != 1007.5 {
			t.Fatalf("RESP%d ZINCRBY = %v, %v", proto, got, err)
		}
		top, err := rdb.ZRevRangeWithScores(ctx, key, 0, 2).Result()
		if err != nil {
			t.Fatal(err)
		}
		want := []redis.Z{{Score: 1007.5, Member: "player:007"}, {Score: 99, Member: "player:299"}, {Score: 99, Member: "player:199"}}
		if fmt.Sprint(top) != fmt.Sprint(want) {
			t.Fatalf("RESP%d top 3 = %v, want %v", proto, top, want)
		}
		if r, err := rdb.ZRevRank(ctx, key, "player:007").Result(); err != nil || r != 0 {
			t.Fatalf("RESP%d ZREVRANK = %d, %v", proto, r, err)
		}
		if r, err := rdb.ZRank(ctx, key, "player:000").Result(); err != nil || r != 0 {
			t.Fatalf("RESP%d ZRANK = %d, %v", proto, r, err)
		}
		if _, err := rdb.ZRank(ctx, key, "nobody").Result(); err != redis.Nil {
			t.Fatalf("RESP%d ZRANK of a stranger: %v", proto, err)
		}
		page, err := rdb.ZRangeByScoreWithScores(ctx, key, &redis.ZRangeBy{Min: "(50", Max: "+inf", Offset: 3, Count: 2}).Result()
		if err != nil {
			t.Fatal(err)
		}
		want = []redis.Z{{Score: 52, Member: "player:052"}, {Score: 52, Member: "player:152"}}
		if fmt.Sprint(page) != fmt.Sprint(want) {
			t.Fatalf("RESP%d page = %v, want %v", proto, page, want)
		}
		if enc, _ := rdb.ObjectEncoding(ctx, key).Result(); enc != "skiplist" {
			t.Fatalf("RESP%d encoding %q", proto, enc)
		}
		if n, err := rdb.ZCard(ctx, key).Result(); err != nil || n != players {
			t.Fatalf("RESP%d ZCARD = %d, %v", proto, n, err)
		}
	}
}
