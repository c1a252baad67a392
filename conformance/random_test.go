package conformance

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRandomCommandsMatchRedis sends the same random command stream to a
// real redis-server and to Redoubt, one command at a time, and compares
// every reply byte for byte. The commands are those of the string and key
// groups, CONFIG GET and SET of run-time directives, SELECT, SWAPDB and
// COMMAND GETKEYS of such lines, whose replies do not depend on timing or
// chance, over a keyspace of a few keys so that they act on one another's
// results; their
// arguments are drawn from values Redis treats specially (integer limits,
// floats, blanks, overflows) and from each command's options, sometimes
// one too few or too many. The scripts in testdata cover each case on
// purpose; this finds the combinations nobody wrote down.
//
// REDOUBT_RANDOM_SEED and REDOUBT_RANDOM_COUNT change the stream.
func TestRandomCommandsMatchRedis(t *testing.T) {
	seed := uint64(1)
	count := 20000
	if s := os.Getenv("REDOUBT_RANDOM_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	if s := os.Getenv("REDOUBT_RANDOM_COUNT"); s != "" {
		count, _ = strconv.Atoi(s)
	}
	if testing.Short() {
		count /= 10
	}
	for _, proto := range []string{"2", "3"} {
		t.Run("RESP"+proto, func(t *testing.T) {
			redoubt, redis := startBoth(t)
			hello := [][]byte{[]byte("HELLO"), []byte(proto)}
			// The embedded server's default differs (README).
			keepalive := [][]byte{[]byte("CONFIG"), []byte("SET"), []byte("tcp-keepalive"), []byte("300")}
			for _, c := range []*client{redoubt, redis} {
				for _, cmd := range [][][]byte{hello, keepalive} {
					if v, err := c.do(cmd); err != nil || v.Kind == '-' {
						t.Fatalf("%q: %v %v", cmd, v, err)
					}
				}
			}
			compareRandomCommands(t, redoubt, redis, seed, count/2)
		})
	}
}

// compareRandomCommands runs count commands drawn from seed on both
// servers and reports the replies that differ.
func compareRandomCommands(t *testing.T, redoubt, redis *client, seed uint64, count int) {
	g := &cmdGen{rng: rand.New(rand.NewPCG(seed, 7))}
	var history []string
	var problems []string
	// Every dirtyEvery commands, the count of changes behind INFO's
	// rdb_changes_since_last_save must have grown by as much on both.
	const dirtyEvery = 500
	dirtyOf := func(c *client) int64 {
		n, _ := strconv.ParseInt(infoField(t, c, "persistence", "rdb_changes_since_last_save"), 10, 64)
		return n
	}
	wantDirty, gotDirty := dirtyOf(redis), dirtyOf(redoubt)
	// A client-side caching observer on each server, in BCAST mode for
	// every key, hears of every change the stream makes, one message per
	// command (or EXEC, or flush): at each check its messages must be
	// Redis's.
	obsRedis, obsRedoubt := trackingObserver(t, redis.addr), trackingObserver(t, redoubt.addr)
	invalidations := 0
	for i := 0; i < count && len(problems) < 20; i++ {
		if i%dirtyEvery == dirtyEvery-1 || i == count-1 {
			w, g := dirtyOf(redis), dirtyOf(redoubt)
			if w-wantDirty != g-gotDirty {
				problems = append(problems, fmt.Sprintf("commands %d to %d: %d changes counted, Redis counted %d",
					max(i-dirtyEvery, 0), i, g-gotDirty, w-wantDirty))
			}
			wantDirty, gotDirty = w, g
			want, got := obsRedis.pending(), obsRedoubt.pending()
			invalidations += len(want)
			if d := firstDifference(want, got); d >= 0 && !sameInvalidated(want, got) {
				at := func(l []string) string {
					if d < len(l) {
						return l[d]
					}
					return "(none)"
				}
				problems = append(problems, fmt.Sprintf("commands %d to %d: invalidation %d of %d (Redis %d) differs:\n  Redis:   %s\n  Redoubt: %s\n  last commands:\n    %s",
					max(i-dirtyEvery, 0), i, d+1, len(got), len(want), at(want), at(got), strings.Join(history, "\n    ")))
			}
		}
		group := [][][]byte{g.next()}
		if g.rng.IntN(30) == 0 {
			group = g.transaction()
		}
		for _, args := range group {
			line := quoteArgs(args)
			history = append(history, line)
			if len(history) > 12 {
				history = history[1:]
			}
			want, err := redis.do(args)
			if err != nil {
				t.Fatalf("command %d %s: Redis: %v", i, line, err)
			}
			got, err := redoubt.do(args)
			if err != nil {
				t.Fatalf("command %d %s: Redoubt: %v\nlast commands:\n%s", i, line, err, strings.Join(history, "\n"))
			}
			want, got = comparable(group, args, want), comparable(group, args, got)
			if got.String() == want.String() {
				continue
			}
			problems = append(problems, fmt.Sprintf("command %d: %s\n  Redis:   %s\n  Redoubt: %s\n  after:\n    %s",
				i, line, want, got, strings.Join(history[:len(history)-1], "\n    ")))
			// Start both again from the same state, so that one
			// difference is reported once.
			for _, c := range []*client{redis, redoubt} {
				c.do([][]byte{[]byte("DISCARD")})
				c.do([][]byte{[]byte("UNWATCH")})
				c.do([][]byte{[]byte("FLUSHALL")})
			}
			break
		}
	}
	if len(problems) > 0 {
		t.Errorf("seed %d: %d replies differ from Redis's:\n%s", seed, len(problems), strings.Join(problems, "\n"))
	}
	t.Logf("seed %d: %d commands compared, %d changes counted, %d invalidations compared", seed, count, gotDirty, invalidations)
}

// trackingObserver opens a RESP3 connection to addr with CLIENT TRACKING
// on in BCAST mode (every key); the test's cleanup closes it.
func trackingObserver(t *testing.T, addr string) *client {
	t.Helper()
	c := &client{addr: addr}
	t.Cleanup(c.drop)
	for _, cmd := range []string{"HELLO 3", "CLIENT TRACKING on BCAST"} {
		if v, err := c.do(bytesArgs(strings.Fields(cmd))); err != nil || v.Kind == '-' {
			t.Fatalf("%s: %v %v", cmd, v, err)
		}
	}
	return c
}

// pending returns the messages that have arrived, waiting until none
// comes for a while.
func (c *client) pending() []string {
	var msgs []string
	for {
		c.nc.SetReadDeadline(time.Now().Add(quietPeriod))
		v, err := readValue(c.r)
		if err != nil {
			return msgs
		}
		msgs = append(msgs, v.String())
	}
}

func bytesArgs(words []string) [][]byte {
	args := make([][]byte, len(words))
	for i, w := range words {
		args[i] = []byte(w)
	}
	return args
}

// firstDifference returns the first index where a and b differ, or -1.
// sameInvalidated reports whether two observers' messages invalidate the
// same keys (and flush the same number of times), however they were
// batched. How changes group into messages depends on timing in both
// servers, not on the stream: Redis sends what one turn of its event loop
// gathered, so an active-expiry deletion and a command's write of the same
// key may share one message or not, and Redoubt's expiry cycle runs in a
// transaction of its own. The exact sequence is compared first; a difference
// is a problem only if the keys themselves differ.
func sameInvalidated(a, b []string) bool {
	keys := func(msgs []string) map[string]bool {
		set := map[string]bool{}
		for _, m := range msgs {
			lines := strings.Split(m, "\n")
			for _, l := range lines[min(len(lines), 2):] {
				if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "*") {
					set[l] = true
				}
			}
			if len(lines) >= 3 && !strings.HasPrefix(strings.TrimSpace(lines[2]), "*") {
				set["(flush) "+strings.TrimSpace(lines[2])] = true
			}
		}
		return set
	}
	ka, kb := keys(a), keys(b)
	if len(ka) != len(kb) {
		return false
	}
	for k := range ka {
		if !kb[k] {
			return false
		}
	}
	return true
}

func firstDifference(a, b []string) int {
	for i := range max(len(a), len(b)) {
		if i >= len(a) || i >= len(b) || a[i] != b[i] {
			return i
		}
	}
	return -1
}

func isKeys(args [][]byte) bool { return sortedReplies[strings.ToLower(string(args[0]))] }

// comparable returns the reply v to args, sent as part of group, without
// what chance decides (orderFree), and for EXEC the same for each reply in
// it.
func comparable(group [][][]byte, args [][]byte, v Value) Value {
	if !strings.EqualFold(string(args[0]), "exec") {
		if isKeys(args) {
			v = v.sorted()
		}
		return orderFree(args, v)
	}
	// The queued commands are those between MULTI and EXEC.
	var queued [][][]byte
	for i, a := range group {
		if strings.EqualFold(string(a[0]), "multi") {
			queued = group[i+1 : len(group)-1]
		}
	}
	if v.Kind == '*' && len(v.Elems) == len(queued) {
		elems := make([]Value, len(queued))
		for i, q := range queued {
			elems[i] = comparable(nil, q, v.Elems[i])
		}
		v.Elems = elems
	}
	return v
}

// transaction draws a group of commands around a transaction: MULTI, a few
// command lines and EXEC (or DISCARD), sometimes after WATCH of random keys
// and a command line that may change them, so that EXEC's null reply shows
// whether both servers saw the same change.
func (g *cmdGen) transaction() [][][]byte {
	var group [][][]byte
	words := func(ws ...string) [][]byte {
		b := make([][]byte, len(ws))
		for i, w := range ws {
			b[i] = []byte(w)
		}
		return b
	}
	if g.rng.IntN(2) == 0 {
		watch := []string{"WATCH", g.arg("k")}
		if g.rng.IntN(3) == 0 {
			watch = append(watch, g.arg("k"))
		}
		// A line that names a watched key, when one comes soon.
		line := g.next()
		for range 20 {
			if slices.ContainsFunc(line[1:], func(a []byte) bool { return string(a) == watch[1] }) {
				break
			}
			line = g.next()
		}
		group = append(group, words(watch...), line)
	}
	group = append(group, words("MULTI"))
	for range 1 + g.rng.IntN(4) {
		group = append(group, g.next())
	}
	end := "EXEC"
	if g.rng.IntN(10) == 0 {
		end = "DISCARD"
	}
	return append(group, words(end))
}

// orderFree returns the reply v to args in a form that leaves out what
// chance or a hash table's layout decides: HRANDFIELD's picks (only the
// shape is kept), and the order of a hash's fields, which is Redis's in a
// listpack (the scripts check that) but the table's once the hash is
// converted. HSCAN's cursor argument is always 0 or invalid and the fields
// fewer than COUNT, so each HSCAN returns the whole hash and cursor 0.
func orderFree(args [][]byte, v Value) Value {
	switch strings.ToLower(string(args[0])) {
	case "hrandfield", "srandmember":
		return v.shape()
	case "sscan":
		if v.Kind == '*' && len(v.Elems) == 2 {
			v.Elems = []Value{v.Elems[0], v.Elems[1].sorted()}
		}
	case "zscan":
		if v.Kind == '*' && len(v.Elems) == 2 {
			v.Elems = []Value{v.Elems[0], v.Elems[1].pairsSorted()}
		}
	case "hgetall":
		return v.pairsSorted()
	case "hkeys", "hvals":
		return v.sorted()
	case "sort", "sort_ro":
		// BY nosort returns a set in its table's order.
		nosort, stored := false, false
		for _, a := range args[2:] {
			nosort = nosort || strings.EqualFold(string(a), "nosort")
			stored = stored || strings.EqualFold(string(a), "store")
		}
		if nosort && !stored {
			return v.sorted()
		}
	case "hscan":
		if v.Kind == '*' && len(v.Elems) == 2 {
			v.Elems = []Value{v.Elems[0], v.Elems[1].pairsSorted()}
		}
	}
	return v
}

func quoteArgs(args [][]byte) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = strconv.Quote(string(a))
	}
	return strings.Join(parts, " ")
}

// cmdGen draws commands. A template is the command's words and then its
// arguments: k a key, e a list end or side, v a value, i an integer, t a time to live, f a float,
// p a glob pattern, d a database, o one of the command's options or
// nothing, O any number of its options.
type cmdGen struct{ rng *rand.Rand }

type cmdTemplate struct {
	words []string
	opts  []string
}

func tpl(spec string, opts ...string) cmdTemplate {
	return cmdTemplate{strings.Fields(spec), opts}
}

var randomTemplates = []cmdTemplate{
	tpl("GET k"), tpl("SET k v O", "NX", "XX", "GET", "KEEPTTL", "EX t", "PX t", "EXAT t", "PXAT t", "EX", "ex t"),
	tpl("SETNX k v"), tpl("SETEX k t v"), tpl("PSETEX k t v"), tpl("GETSET k v"), tpl("GETDEL k"),
	tpl("GETEX k O", "PERSIST", "EX t", "PX t", "EXAT t", "PXAT t", "EX"),
	tpl("MGET k k k"), tpl("MSET k v k v"), tpl("MSETNX k v k v"), tpl("APPEND k v"), tpl("STRLEN k"),
	tpl("SETRANGE k i v"), tpl("GETRANGE k i i"), tpl("SUBSTR k i i"),
	tpl("INCR k"), tpl("DECR k"), tpl("INCRBY k i"), tpl("DECRBY k i"), tpl("INCRBYFLOAT k f"),
	tpl("LCS k k O", "LEN", "IDX", "MINMATCHLEN i", "WITHMATCHLEN"),
	tpl("DEL k k"), tpl("UNLINK k"), tpl("EXISTS k k k"), tpl("TYPE k"), tpl("TOUCH k k"),
	tpl("RENAME k k"), tpl("RENAMENX k k"), tpl("COPY k k O", "REPLACE", "DB d"), tpl("MOVE k d"),
	// The generic commands on the hash and sorted set keys too, across
	// types and encodings.
	tpl("TYPE z"), tpl("OBJECT ENCODING z"), tpl("OBJECT ENCODING h"), tpl("RENAME h z"), tpl("RENAMENX z h"),
	tpl("COPY z h O", "REPLACE", "DB d"), tpl("COPY h z O", "REPLACE"), tpl("UNLINK h z"), tpl("GET h"), tpl("MGET h z k"),
	tpl("PERSIST k"), tpl("EXPIRE k t o", "NX", "XX", "GT", "LT"), tpl("PEXPIRE k t o", "NX", "XX", "GT", "LT"),
	tpl("EXPIREAT k t o", "NX", "XX", "GT", "LT"), tpl("PEXPIREAT k t o", "NX", "XX", "GT", "LT"),
	// Not DBSIZE: it counts keys whose deadline has passed until active
	// expiry removes them, which the two servers do at their own moments.
	tpl("TTL k"), tpl("OBJECT ENCODING k"), tpl("OBJECT REFCOUNT k"), tpl("OBJECT FREQ k"),
	tpl("CONFIG SET c v"), tpl("CONFIG GET c"), tpl("CONFIG SET c v c v"),
	// ACL users: one user, rules whose canonical text does not depend on
	// which commands each server has (one category at most) or on
	// Redis's hash table order (no single commands).
	tpl("ACL SETUSER rnd O", "on", "off", ">pw", "<pw", "nopass", "resetpass", "~k*", "%R~r*", "%W~w*", "allkeys",
		"resetkeys", "&ch*", "allchannels", "resetchannels", "nocommands", "+@string", "(~x* +@string)",
		"clearselectors", "reset", "bogus"),
	tpl("ACL GETUSER rnd"), tpl("ACL DELUSER rnd"), tpl("ACL LIST"), tpl("ACL USERS"), tpl("ACL WHOAMI"),
	tpl("ACL CAT o", "nosuch"),
	tpl("KEYS p"), tpl("ECHO v"), tpl("PING o", "hello"), tpl("SELECT d"), tpl("SWAPDB d d"),
	// The latency monitor is off (latency-monitor-threshold 0, which no
	// template changes): no event, whatever the name.
	tpl("LATENCY HISTORY v"), tpl("LATENCY RESET v v"), tpl("LATENCY GRAPH v"), tpl("LATENCY LATEST"),
	// Blocking pops (b: a timeout of a millisecond or two, or a bad one):
	// they pop what is there, or block briefly and reply null.
	tpl("BLPOP k k b"), tpl("BRPOP k b"), tpl("BLMOVE k k e e b"), tpl("BRPOPLPUSH k k b"),
	tpl("BLMPOP b i k k e O", "COUNT i"), tpl("BZPOPMIN z z b"), tpl("BZPOPMAX z b"), tpl("BZMPOP b n z z x O", "COUNT i"),
	tpl("FLUSHDB o", "ASYNC", "SYNC", "sync", "LAZY"),
	// Hashes: h is a key that is mostly a hash, F a field from a small
	// set, so that commands meet one another's fields.
	tpl("HSET h F v o", "F v"), tpl("HSET h F v"), tpl("HMSET h F v F v"), tpl("HSETNX h F v"),
	tpl("HGET h F"), tpl("HMGET h F F F"), tpl("HLEN h"), tpl("HEXISTS h F"), tpl("HSTRLEN h F"),
	tpl("HDEL h F F"), tpl("HDEL h F"), tpl("HGETALL h"), tpl("HKEYS h"), tpl("HVALS h"),
	tpl("HINCRBY h F i"), tpl("HINCRBYFLOAT h F f"), tpl("HRANDFIELD h"), tpl("HRANDFIELD h i o", "WITHVALUES"),
	tpl("HSCAN h C O", "MATCH p", "COUNT 100", "COUNT 0", "COUNT abc", "COUNT"),
	tpl("CONFIG SET hash-max-listpack-entries H"), tpl("CONFIG SET hash-max-listpack-value H"),
	// Sorted sets (z: a sorted set key or another; L: a key whose members
	// all score 0, for the lexicographic commands, whose result Redis leaves
	// undefined when scores differ).
	tpl("ZADD z O s m s m", "NX", "XX", "GT", "LT", "CH", "INCR"), tpl("ZADD z s m"), tpl("ZADD z s m s m s m"),
	tpl("ZADD L 0 m"), tpl("ZADD L 0 m 0 m"),
	tpl("ZINCRBY z s m"), tpl("ZREM z m m"), tpl("ZSCORE z m"), tpl("ZMSCORE z m m"), tpl("ZCARD z"),
	tpl("ZCOUNT z r r"), tpl("ZRANK z m"), tpl("ZREVRANK z m"),
	tpl("ZRANGE z i i O", "REV", "WITHSCORES", "LIMIT i i", "BYSCORE"), tpl("ZRANGE z r r O", "BYSCORE", "REV", "WITHSCORES", "LIMIT i i"),
	tpl("ZRANGEBYSCORE z r r O", "WITHSCORES", "LIMIT i i"), tpl("ZREVRANGEBYSCORE z r r O", "WITHSCORES", "LIMIT i i"),
	tpl("ZREVRANGE z i i o", "WITHSCORES"), tpl("ZRANGESTORE z z i i O", "REV", "BYSCORE", "LIMIT i i"),
	tpl("ZREMRANGEBYRANK z i i"), tpl("ZREMRANGEBYSCORE z r r"),
	tpl("ZLEXCOUNT L l l"), tpl("ZRANGEBYLEX L l l o", "LIMIT i i"), tpl("ZREVRANGEBYLEX L l l o", "LIMIT i i"),
	tpl("ZRANGE L l l BYLEX O", "REV", "LIMIT i i", "WITHSCORES"), tpl("ZREMRANGEBYLEX L l l"),
	tpl("ZPOPMIN z o", "i"), tpl("ZPOPMAX z o", "i"), tpl("ZMPOP n z z x O", "COUNT i"),
	tpl("ZUNION n z z O", "WEIGHTS f f", "AGGREGATE a", "WITHSCORES"), tpl("ZINTER n z z O", "WEIGHTS f f", "AGGREGATE a", "WITHSCORES"),
	tpl("ZDIFF n z z o", "WITHSCORES"), tpl("ZUNIONSTORE z n z z O", "WEIGHTS f f", "AGGREGATE a"),
	tpl("ZINTERSTORE z n z z O", "WEIGHTS f f", "AGGREGATE a"), tpl("ZDIFFSTORE z n z z"), tpl("ZINTERCARD n z z o", "LIMIT i"),
	tpl("ZRANDMEMBER z 0 WITHSCORES"),
	// Sets. Not SPOP or SRANDMEMBER, whose choices are random, nor SSCAN
	// of a hash table, whose steps follow the table's layout.
	tpl("SADD k v v v"), tpl("SADD k v"), tpl("SREM k v v"), tpl("SISMEMBER k v"), tpl("SMISMEMBER k v v"),
	tpl("SCARD k"), tpl("SMEMBERS k"), tpl("SMOVE k k v"), tpl("SINTER k k"), tpl("SUNION k k k"),
	tpl("SDIFF k k"), tpl("SINTERSTORE k k k"), tpl("SUNIONSTORE k k k"), tpl("SDIFFSTORE k k k"),
	tpl("SINTERCARD i k k o", "LIMIT i"),
	// SRANDMEMBER's picks are compared by shape; SSCAN and ZSCAN start at
	// cursor 0 (or an invalid one) with a COUNT that takes in the whole
	// set, so their element order alone is the server's own.
	tpl("SRANDMEMBER k o", "i"), tpl("SSCAN k C COUNT 1000 o", "MATCH p"), tpl("ZSCAN z C COUNT 1000 o", "MATCH p"),
	// Pub/sub with nobody subscribed: counts of zero, empty lists, and
	// the errors of arity and of PUBSUB's subcommands.
	tpl("PUBLISH k v"), tpl("SPUBLISH k v"), tpl("PUBSUB NUMSUB k k"), tpl("PUBSUB SHARDNUMSUB k"),
	tpl("PUBSUB NUMPAT"), tpl("PUBSUB CHANNELS o", "p"), tpl("PUBSUB SHARDCHANNELS o", "p"),
	// Lists: pushes often enough that lists exist, and grow past a node
	// when list-max-listpack-size is small.
	tpl("LPUSH k v v"), tpl("RPUSH k v v v"), tpl("RPUSH k v v v v v v"), tpl("LPUSHX k v"), tpl("RPUSHX k v v"),
	tpl("LPOP k"), tpl("RPOP k"), tpl("LPOP k i"), tpl("RPOP k i"), tpl("LLEN k"),
	tpl("LRANGE k i i"), tpl("LINDEX k i"), tpl("LSET k i v"), tpl("LINSERT k e v v"),
	tpl("LREM k i v"), tpl("LTRIM k i i"), tpl("LPOS k v O", "RANK i", "COUNT i", "MAXLEN i", "rank"),
	tpl("LMOVE k k e e"), tpl("RPOPLPUSH k k"), tpl("LMPOP i k k e O", "COUNT i", "count"),
	// SORT in its deterministic forms. Numeric weights are left to the
	// scripts: Redis never clears errno before its strtod, so after any
	// ERANGE (a ZADD of 1e400) a later SORT of text weights fails there.
	// ALPHA with a BY pattern only where equal weights keep an order both
	// servers share (a list's);
	// BY nosort of a set (Q may be one) has the table's order, so those
	// replies are compared sorted unless STORE sorts them (orderFree).
	tpl("SORT k ALPHA O", "DESC", "LIMIT i i", "GET #", "GET k*", "GET h*->f1", "STORE k", "asc"),
	tpl("RPUSH P v v v"), tpl("LPUSH P v"),
	tpl("SORT P BY k* ALPHA O", "DESC", "LIMIT i i", "GET #", "GET h*->f1", "STORE k"),
	tpl("SORT Q BY nosort O", "DESC", "GET #", "GET k*"),
	tpl("SORT k BY nosort STORE k O", "DESC", "LIMIT i i", "GET #", "GET k*"),
	tpl("SORT_RO k ALPHA O", "DESC", "LIMIT i i", "GET #", "STORE k"),
}

// sortedReplies are the commands whose replies are compared as sorted
// lists, since their order is the server's own.
var sortedReplies = map[string]bool{"keys": true, "smembers": true, "sinter": true, "sunion": true, "sdiff": true}

var (
	randKeys = []string{"k1", "k2", "k3", "{k}1", "h1", "s1", "s2", "z1", "l1", "l2"}
	// randEnds are the ends of LMOVE and LMPOP and LINSERT's sides.
	// randSortKeys are the keys SORT … BY nosort reads in their own
	// order: lists and sorted sets (or missing keys, or other types).
	randSortKeys = []string{"l1", "l2", "z1", "z2"}
	// randListKeys are keys that are lists (only list commands write them),
	// or missing.
	randListKeys = []string{"sortl1", "sortl2"}
	randEnds     = []string{"LEFT", "RIGHT", "left", "right", "BEFORE", "after", "middle"}
	// randHashKeys and randFields are the keys and fields of the hash
	// templates.
	randHashKeys = []string{"h1", "h1", "h2"}
	randFields   = []string{"f1", "f2", "f3", "", "1", "-5", "12345678901234567890", "x y"}
	// randHashCursors are HSCAN's cursors: a cursor other than 0 into a
	// hash table depends on its layout.
	randHashCursors = []string{"0", "0", "", "abc", "1.5", "18446744073709551616"}
	// randHashLimits are values of the hash thresholds, so that hashes
	// convert at different sizes during a run.
	randHashLimits = []string{"0", "1", "2", "3", "5", "8", "64", "512", "-1", "abc"}
	randValues     = []string{"", "0", "1", "-1", "7", "10", "100", "3.5", "-2.25", "1e3", "abc", "hello world",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808", " 5", "5 ", "0x10", "inf", "-inf",
		"nan", "+1", "007", "-0", "1.5e308", "a\x00b", "12345678901234567890123", strings.Repeat("xy", 30)}
	randInts = []string{"0", "1", "2", "3", "-1", "-2", "-100", "5", "100", "abc", "",
		"9223372036854775807", "-9223372036854775808", "1.5", "536870912"}
	// Times to live. None is so short that the two servers could
	// disagree on whether a key has expired by the time they are asked,
	// and none is an absolute time in the future, whose TTL would round
	// differently on a server that reads the clock across a half second
	// from the other. "later" is a random whole number of seconds in
	// milliseconds, between 10^8 and 1.1*10^9: were it always the same,
	// EXPIRE k N GT right after EXPIRE k N would compare equal deadlines on
	// a server that saw both in one millisecond and not on the other; as
	// whole seconds, the TTL of a key rounds the same on both unless half
	// a second passes between setting and asking.
	randTTLs = []string{"-1", "0", "later", "later", "9223372036854775807",
		"9223372036854775", "-9223372036854775808", "abc", "1.5", ""}
	randFloats       = []string{"0", "1", "-1", "0.1", "1e3", "1.5e308", "-1.5e308", "inf", "nan", "abc", "3.0", "0x10", "", "5 "}
	randGlobs        = []string{"*", "k*", "k?", "*1", "[k]*", "\\{*", "nomatch"}
	randConfigValues = []string{"yes", "no", "1mb", "512mb", "2gb", "1gb", "100000", "10k", "0x10", "warning",
		"verbose", "debug", "notice", "nothing", "1.5", "-1", "1048575", "4294967296", "500", "501"}
	randDBs = []string{"0", "1", "2", "16", "-1", "abc"}
	// Timeouts of blocking commands: never 0 or long, which would stall
	// the run.
	randBlockTimeouts = []string{"0.001", "0.001", "0.002", "0.001", "1e-300", "-1", "abc", "inf", "nan", "-0.002", ""}
	// Directives CONFIG SET may change without upsetting the run: not
	// maxclients (its ceiling is the machine's), nor timeout (a second
	// of stall on a busy machine would close the test's connections).
	// Not port, which differs,
	// nor proto-max-bulk-len and client-query-buffer-limit, whose upper
	// bounds Redoubt lowers on purpose (README), which shows in their
	// range errors.
	randDirectives = []string{"hz", "loglevel", "tcp-keepalive", "protected-mode", "HZ", "databases",
		"lazyfree-lazy-user-del", "lazyfree-lazy-user-flush", "lazyfree-lazy-expire", "lazyfree-lazy-server-del",
		"zset-max-listpack-entries", "zset-max-listpack-value",
		"set-max-intset-entries", "list-max-listpack-size", "list-compress-depth",
		"slowlog-max-len", "slowlog-log-slower-than"}
	// Sorted set arguments: keys (z, L), members (m), scores (s), score
	// and lex bounds (r, l), numkeys (n), MIN|MAX (x), aggregates (a).
	randZKeys   = []string{"z1", "z2", "z1", "z2", "k1", "s1"}
	randLexKeys = []string{"zl1", "zl2"}
	randMembers = []string{"a", "b", "c", "d", "e", "1", "10", "-1", "", "aa", strings.Repeat("m", 70)}
	randScores  = []string{"0", "1", "2", "-1", "2.5", "0.1", "inf", "-inf", "+inf", "nan", "abc", "1e400", "", "1e3", "-0"}
	randBounds  = []string{"0", "1", "(1", "2", "(2", "-inf", "+inf", "(inf", "2.5", "abc", "", "(", "-1", "nan"}
	randLexes   = []string{"-", "+", "[a", "(a", "[c", "(d", "[", "(", "a", "", "+x", "[10"}
	randNumkeys = []string{"1", "2", "2", "2", "3", "0", "-1", "abc", "9223372036854775807"}
	randMinMax  = []string{"MIN", "MAX", "min", "foo"}
	randAggs    = []string{"SUM", "MIN", "MAX", "avg"}
)

func (g *cmdGen) pick(xs []string) string { return xs[g.rng.IntN(len(xs))] }

func (g *cmdGen) next() [][]byte {
	if g.rng.IntN(40) == 0 {
		// The keys of another command line, by COMMAND GETKEYS.
		return append([][]byte{[]byte("COMMAND"), []byte("GETKEYS")}, g.line()...)
	}
	return g.line()
}

// line draws one command line from the templates.
func (g *cmdGen) line() [][]byte {
	tp := randomTemplates[g.rng.IntN(len(randomTemplates))]
	var out []string
	for i, w := range tp.words {
		if i == 0 || (i == 1 && tp.words[0] == "OBJECT") {
			if g.rng.IntN(20) == 0 {
				w = strings.ToLower(w)
			}
			out = append(out, w)
			continue
		}
		switch w {
		case "o":
			if g.rng.IntN(2) == 0 {
				out = append(out, g.option(tp.opts)...)
			}
		case "O":
			for n := g.rng.IntN(3); n > 0; n-- {
				out = append(out, g.option(tp.opts)...)
			}
		default:
			out = append(out, g.arg(w))
		}
	}
	switch g.rng.IntN(25) { // now and then, one argument too few or too many
	case 0:
		if len(out) > 1 {
			out = out[:len(out)-1]
		}
	case 1:
		extra := g.pick(randValues)
		if tp.words[len(tp.words)-1] == "b" {
			// BLPOP's and BZPOPMIN's timeout is their last argument:
			// the extra one must be a short timeout too.
			extra = g.pick(randBlockTimeouts)
		}
		out = append(out, extra)
	}
	args := make([][]byte, len(out))
	for i, s := range out {
		args[i] = []byte(s)
	}
	return args
}

// option returns one option with its arguments.
func (g *cmdGen) option(opts []string) []string {
	words := strings.Fields(g.pick(opts))
	for i := 1; i < len(words); i++ {
		words[i] = g.arg(words[i])
	}
	return words
}

func (g *cmdGen) arg(kind string) string {
	switch kind {
	case "k":
		return g.pick(randKeys)
	case "h":
		if g.rng.IntN(4) == 0 {
			return g.pick(randKeys)
		}
		return g.pick(randHashKeys)
	case "F":
		return g.pick(randFields)
	case "C":
		return g.pick(randHashCursors)
	case "H":
		return g.pick(randHashLimits)
	case "v":
		if g.rng.IntN(3) == 0 {
			return g.pick(randConfigValues)
		}
		return g.pick(randValues)
	case "i":
		return g.pick(randInts)
	case "t":
		if t := g.pick(randTTLs); t != "later" {
			return t
		}
		return strconv.Itoa((100000 + g.rng.IntN(1000000)) * 1000)
	case "f":
		return g.pick(randFloats)
	case "p":
		return g.pick(randGlobs)
	case "d":
		return g.pick(randDBs)
	case "b":
		return g.pick(randBlockTimeouts)
	case "c":
		return g.pick(randDirectives)
	case "e":
		return g.pick(randEnds)
	case "Q":
		return g.pick(randSortKeys)
	case "P":
		return g.pick(randListKeys)
	case "z":
		return g.pick(randZKeys)
	case "L":
		return g.pick(randLexKeys)
	case "m":
		return g.pick(randMembers)
	case "s":
		return g.pick(randScores)
	case "r":
		return g.pick(randBounds)
	case "l":
		return g.pick(randLexes)
	case "n":
		return g.pick(randNumkeys)
	case "x":
		return g.pick(randMinMax)
	case "a":
		return g.pick(randAggs)
	}
	return kind
}

// TestRandomProtocolMatchesRedis sends damaged requests, each on a fresh
// connection to both servers, and compares everything each server sends
// back and whether it then closes the connection. The requests start as
// well-formed multibulk and inline commands and get a few random edits:
// a byte replaced, inserted or removed, a piece repeated, the end cut off.
// Then a PING follows, to show whether the server still reads commands.
func TestRandomProtocolMatchesRedis(t *testing.T) {
	redoubt, redis := startBoth(t)
	seed, count := uint64(1), 400
	if s := os.Getenv("REDOUBT_RANDOM_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	if s := os.Getenv("REDOUBT_RANDOM_COUNT"); s != "" {
		count, _ = strconv.Atoi(s)
		count = min(count/50, 1000) // each request costs a quiet period
	}
	if testing.Short() {
		count = 60
	}
	rng := rand.New(rand.NewPCG(seed, 4))
	inputs := make([][]byte, count)
	for i := range inputs {
		inputs[i] = damagedRequest(rng, fmt.Sprintf("k%03d", i%1000))
	}
	if count > 0 {
		t.Logf("seed %d: %d damaged requests", seed, count)
	}
	type outcome struct {
		data   []byte
		closed bool
		err    error
	}
	send := func(addr string, in []byte) outcome {
		c := &client{addr: addr}
		defer c.drop()
		if err := c.ensure(); err != nil {
			return outcome{err: err}
		}
		if _, err := c.nc.Write(in); err != nil {
			return outcome{err: err}
		}
		data, closed := c.readAll()
		return outcome{data: data, closed: closed}
	}
	var problems []string
	const parallel = 25
	for start := 0; start < count; start += parallel {
		end := min(start+parallel, count)
		results := make([][2]outcome, end-start)
		done := make(chan struct{})
		for i := start; i < end; i++ {
			for j, addr := range []string{redis.addr, redoubt.addr} {
				go func() { // ends when the server has answered or gone quiet
					results[i-start][j] = send(addr, inputs[i])
					done <- struct{}{}
				}()
			}
		}
		for range 2 * (end - start) {
			<-done
		}
		for i, r := range results {
			want, got := r[0], r[1]
			if want.err != nil || got.err != nil {
				t.Fatalf("input %q: Redis: %v; Redoubt: %v", inputs[start+i], want.err, got.err)
			}
			if string(got.data) != string(want.data) || got.closed != want.closed {
				problems = append(problems, fmt.Sprintf("input %q\n  Redis:   %q closed=%v\n  Redoubt: %q closed=%v",
					inputs[start+i], want.data, want.closed, got.data, got.closed))
			}
		}
	}
	if len(problems) > 0 {
		if len(problems) > 20 {
			problems = append(problems[:20], fmt.Sprintf("… and %d more", len(problems)-20))
		}
		t.Errorf("seed %d: %d of %d damaged requests answered unlike Redis:\n%s", seed, len(problems), count, strings.Join(problems, "\n"))
	}
}

// protocolBases are the requests damagedRequest starts from. KKKK stands for
// a key of the request's own, so that requests sent side by side do not
// see one another's writes; nothing here may reply with something that
// differs by connection (HELLO's client id).
var protocolBases = []string{
	"*1\r\n$4\r\nPING\r\n",
	"*2\r\n$4\r\nECHO\r\n$5\r\nhowdy\r\n",
	"*3\r\n$3\r\nSET\r\n$4\r\nKKKK\r\n$2\r\n10\r\n",
	"*2\r\n$4\r\nINCR\r\n$4\r\nKKKK\r\n",
	"PING\r\n",
	"ECHO \"a b\" 'c'\r\n",
	"SET KKKK \"\\x41\\n\"\r\n",
	"GET KKKK\n",
}

var protocolBytes = []byte("*$\r\n-+:0123456789 \"'\\x\x00abc")

func damagedRequest(rng *rand.Rand, key string) []byte {
	b := []byte(protocolBases[rng.IntN(len(protocolBases))])
	if rng.IntN(3) == 0 {
		b = append(b, protocolBases[rng.IntN(len(protocolBases))]...)
	}
	b = bytes.ReplaceAll(b, []byte("KKKK"), []byte(key))
	for n := 1 + rng.IntN(3); n > 0 && len(b) > 0; n-- {
		i := rng.IntN(len(b))
		switch rng.IntN(5) {
		case 0: // replace
			b[i] = protocolBytes[rng.IntN(len(protocolBytes))]
		case 1: // insert
			b = append(b[:i], append([]byte{protocolBytes[rng.IntN(len(protocolBytes))]}, b[i:]...)...)
		case 2: // remove
			b = append(b[:i], b[i+1:]...)
		case 3: // repeat a piece
			j := i + rng.IntN(len(b)-i)
			b = append(b[:j], append(append([]byte(nil), b[i:j]...), b[j:]...)...)
		case 4: // cut off the end
			b = b[:i]
		}
	}
	return append(b, "PING\r\n"...)
}
