package conformance

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestRandomCommandsMatchRedis sends the same random command stream to a
// real redis-server and to Redoubt, one command at a time, and compares
// every reply byte for byte. The commands are those of the string and key
// groups whose replies do not depend on timing or chance, over a keyspace
// of a few keys so that they act on one another's results; their
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
			for _, c := range []*client{redoubt, redis} {
				if _, err := c.do(hello); err != nil {
					t.Fatal(err)
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
	for i := 0; i < count && len(problems) < 20; i++ {
		args := g.next()
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
		if isKeys(args) {
			want, got = want.sorted(), got.sorted()
		}
		if got.String() != want.String() {
			problems = append(problems, fmt.Sprintf("command %d: %s\n  Redis:   %s\n  Redoubt: %s\n  after:\n    %s",
				i, line, want, got, strings.Join(history[:len(history)-1], "\n    ")))
			// Start both again from the same state, so that one
			// difference is reported once.
			redis.do([][]byte{[]byte("FLUSHALL")})
			redoubt.do([][]byte{[]byte("FLUSHALL")})
		}
	}
	if len(problems) > 0 {
		t.Errorf("seed %d: %d replies differ from Redis's:\n%s", seed, len(problems), strings.Join(problems, "\n"))
	}
	t.Logf("seed %d: %d commands compared", seed, count)
}

func isKeys(args [][]byte) bool { return strings.EqualFold(string(args[0]), "keys") }

func quoteArgs(args [][]byte) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = strconv.Quote(string(a))
	}
	return strings.Join(parts, " ")
}

// cmdGen draws commands. A template is the command's words and then its
// arguments: k a key, v a value, i an integer, t a time to live, f a float,
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
	tpl("PERSIST k"), tpl("EXPIRE k t o", "NX", "XX", "GT", "LT"), tpl("PEXPIRE k t o", "NX", "XX", "GT", "LT"),
	tpl("EXPIREAT k t o", "NX", "XX", "GT", "LT"), tpl("PEXPIREAT k t o", "NX", "XX", "GT", "LT"),
	// Not DBSIZE: it counts keys whose deadline has passed until active
	// expiry removes them, which the two servers do at their own moments.
	tpl("TTL k"), tpl("OBJECT ENCODING k"), tpl("OBJECT REFCOUNT k"), tpl("OBJECT FREQ k"),
	tpl("KEYS p"), tpl("ECHO v"), tpl("PING o", "hello"), tpl("SELECT d"), tpl("SWAPDB d d"),
}

var (
	randKeys   = []string{"k1", "k2", "k3", "{k}1"}
	randValues = []string{"", "0", "1", "-1", "7", "10", "100", "3.5", "-2.25", "1e3", "abc", "hello world",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808", " 5", "5 ", "0x10", "inf", "-inf",
		"nan", "+1", "007", "-0", "1.5e308", "a\x00b", "12345678901234567890123", strings.Repeat("xy", 30)}
	randInts = []string{"0", "1", "2", "3", "-1", "-2", "-100", "5", "100", "abc", "",
		"9223372036854775807", "-9223372036854775808", "1.5", "536870912"}
	// Times to live: none so short that the two servers could disagree
	// on whether a key has expired by the time they are asked. "later" is
	// a random one between 100,000 and 1,100,000 (seconds or
	// milliseconds): were it always the same, EXPIRE k N GT right after
	// EXPIRE k N would compare equal deadlines on a server that saw both
	// in one millisecond and not on the other.
	randTTLs = []string{"-1", "0", "later", "later", "99999999999", "9223372036854775807",
		"9223372036854775", "-9223372036854775808", "abc", "1.5", ""}
	randFloats = []string{"0", "1", "-1", "0.1", "1e3", "1.5e308", "-1.5e308", "inf", "nan", "abc", "3.0", "0x10", "", "5 "}
	randGlobs  = []string{"*", "k*", "k?", "*1", "[k]*", "\\{*", "nomatch"}
	randDBs    = []string{"0", "1", "2", "16", "-1", "abc"}
)

func (g *cmdGen) pick(xs []string) string { return xs[g.rng.IntN(len(xs))] }

func (g *cmdGen) next() [][]byte {
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
		out = append(out, g.pick(randValues))
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
	case "v":
		return g.pick(randValues)
	case "i":
		return g.pick(randInts)
	case "t":
		if t := g.pick(randTTLs); t != "later" {
			return t
		}
		return strconv.Itoa(100000 + g.rng.IntN(1000000))
	case "f":
		return g.pick(randFloats)
	case "p":
		return g.pick(randGlobs)
	case "d":
		return g.pick(randDBs)
	}
	return kind
}
