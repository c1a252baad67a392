package main

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/redoubt-db/redoubt/bench/internal/wire"
)

// A shape is a data set of collections, loaded with pipelined commands: into
// a fresh server for the memory comparison (memory.go), or, for the big
// values, into the throughput servers before the tests that read them.
//
// A shape is sized by n, the -elements option: a big value holds n
// elements; a small-value shape has n/10 keys of 10 elements each.
type shape struct {
	name  string // as given to -shapes
	title string // for the report; %s is the size
	// big is true for one value of n elements, false for n/10 values of
	// 10.
	big bool
	// gen appends command i of the load (i < commands(n)) to dst.
	gen func(dst []byte, i, n int) []byte
	// probe must succeed on a server for the shape to be loaded there.
	probe []string
	// checks are commands and their expected replies (as serverProc.do
	// gives them) once loaded.
	checks func(n int) []check
}

type check struct {
	args []string
	want string
}

// perCommand is how many elements one command of a big value's load adds.
const perCommand = 100

// commands is the number of commands that load the shape.
func (s *shape) commands(n int) int {
	if s.big {
		return (n + perCommand - 1) / perCommand
	}
	return n / 10
}

// elements is the number of elements the shape holds.
func (s *shape) elements(n int) int {
	if s.big {
		return n
	}
	return n / 10 * 10
}

// The keys of the big values; the throughput tests' commands name them.
const (
	bigZsetKey = "vsredis:bigzset"
	bigHashKey = "vsredis:bighash"
	bigSetKey  = "vsredis:bigset"
	bigListKey = "vsredis:biglist"
)

// padded returns prefix followed by i as twelve zero-padded digits, the
// form redis-benchmark gives __rand_int__.
func padded(prefix string, i int) string { return string(appendPadded([]byte(prefix), i)) }

// bigScore is member i's score in the big sorted set: a pseudo-random
// integer below n, the same on every run (so both servers get the same
// set), spread like the random scores the ZADD test writes.
func bigScore(i, n int) int {
	x := uint64(i) + 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	x ^= x >> 31
	return int(x % uint64(max(n, 1)))
}

// bigCommand appends command i of a big value's load: the command and key,
// then, for each element j of the batch, what elem appends.
func bigCommand(dst []byte, i, n int, cmd, key string, argsPer int, elem func(dst []byte, j int) []byte) []byte {
	lo, hi := i*perCommand, min((i+1)*perCommand, n)
	dst = wire.AppendArray(dst, 2+argsPer*(hi-lo))
	dst = wire.AppendBulkString(dst, cmd)
	dst = wire.AppendBulkString(dst, key)
	for j := lo; j < hi; j++ {
		dst = elem(dst, j)
	}
	return dst
}

// smallCommand appends the command that fills small value i: the command,
// the key prefix with i, then 10 elements by elem.
func smallCommand(dst []byte, i int, cmd, prefix string, argsPer int, elem func(dst []byte, i, j int) []byte) []byte {
	dst = wire.AppendArray(dst, 2+argsPer*10)
	dst = wire.AppendBulkString(dst, cmd)
	dst = wire.AppendBulk(dst, appendPadded([]byte(prefix), i))
	for j := range 10 {
		dst = elem(dst, i, j)
	}
	return dst
}

func appendPaddedBulk(dst []byte, prefix string, i int) []byte {
	var b [32]byte
	return wire.AppendBulk(dst, appendPadded(append(b[:0], prefix...), i))
}

func appendIntBulk(dst []byte, n int) []byte {
	var b [24]byte
	return wire.AppendBulk(dst, strconv.AppendInt(b[:0], int64(n), 10))
}

var (
	bigHash = shape{
		name: "hash-big", title: "one hash of %s fields", big: true,
		gen: func(dst []byte, i, n int) []byte {
			return bigCommand(dst, i, n, "HSET", bigHashKey, 2, func(dst []byte, j int) []byte {
				return appendPaddedBulk(appendPaddedBulk(dst, "f:", j), "v:", j)
			})
		},
		probe: []string{"HSET", "vsredis:probe:hash", "f", "v"},
		checks: func(n int) []check {
			return []check{{[]string{"HLEN", bigHashKey}, strconv.Itoa(n)}, {[]string{"HGET", bigHashKey, padded("f:", n-1)}, padded("v:", n-1)}}
		},
	}
	bigZset = shape{
		name: "zset-big", title: "one sorted set of %s members", big: true,
		gen: func(dst []byte, i, n int) []byte {
			return bigCommand(dst, i, n, "ZADD", bigZsetKey, 2, func(dst []byte, j int) []byte {
				return appendPaddedBulk(appendIntBulk(dst, bigScore(j, n)), "m:", j)
			})
		},
		probe: []string{"ZADD", "vsredis:probe:zset", "1", "m"},
		checks: func(n int) []check {
			return []check{{[]string{"ZCARD", bigZsetKey}, strconv.Itoa(n)},
				{[]string{"ZSCORE", bigZsetKey, padded("m:", n/2)}, strconv.Itoa(bigScore(n/2, n))}}
		},
	}
	bigSet = shape{
		name: "set-big", title: "one set of %s strings", big: true,
		gen: func(dst []byte, i, n int) []byte {
			return bigCommand(dst, i, n, "SADD", bigSetKey, 1, func(dst []byte, j int) []byte {
				return appendPaddedBulk(dst, "m:", j)
			})
		},
		probe: []string{"SADD", "vsredis:probe:set", "m"},
		checks: func(n int) []check {
			return []check{{[]string{"SCARD", bigSetKey}, strconv.Itoa(n)}, {[]string{"SISMEMBER", bigSetKey, padded("m:", n-1)}, "1"}}
		},
	}
	bigList = shape{
		name: "list-big", title: "one list of %s items", big: true,
		gen: func(dst []byte, i, n int) []byte {
			return bigCommand(dst, i, n, "RPUSH", bigListKey, 1, func(dst []byte, j int) []byte {
				return appendPaddedBulk(dst, "item:", j)
			})
		},
		probe: []string{"RPUSH", "vsredis:probe:list", "item"},
		checks: func(n int) []check {
			return []check{{[]string{"LLEN", bigListKey}, strconv.Itoa(n)}, {[]string{"LINDEX", bigListKey, "-1"}, padded("item:", n-1)}}
		},
	}
)

// smallChecks checks the number of keys and the size of the last one.
func smallChecks(lenCmd, prefix string) func(n int) []check {
	return func(n int) []check {
		return []check{{[]string{"DBSIZE"}, strconv.Itoa(n / 10)}, {[]string{lenCmd, padded(prefix, n/10-1)}, "10"}}
	}
}

// shapes are the memory comparison's data sets, in the order they run.
var shapes = []*shape{
	{
		name: "hash-small", title: "%s hashes of 10 small fields",
		gen: func(dst []byte, i, n int) []byte {
			return smallCommand(dst, i, "HSET", "h:", 2, func(dst []byte, i, j int) []byte {
				dst = wire.AppendBulk(dst, append([]byte("field:"), byte('0'+j)))
				return appendPaddedBulk(dst, "v:", i*10+j)
			})
		},
		probe:  []string{"HSET", "vsredis:probe:hash", "f", "v"},
		checks: smallChecks("HLEN", "h:"),
	},
	&bigHash,
	{
		name: "zset-small", title: "%s sorted sets of 10 members",
		gen: func(dst []byte, i, n int) []byte {
			return smallCommand(dst, i, "ZADD", "z:", 2, func(dst []byte, i, j int) []byte {
				return appendPaddedBulk(appendIntBulk(dst, i*10+j), "member:", j)
			})
		},
		probe:  []string{"ZADD", "vsredis:probe:zset", "1", "m"},
		checks: smallChecks("ZCARD", "z:"),
	},
	&bigZset,
	&bigSet,
	{
		name: "set-small-int", title: "%s sets of 10 small integers",
		gen: func(dst []byte, i, n int) []byte {
			return smallCommand(dst, i, "SADD", "s:", 1, func(dst []byte, i, j int) []byte {
				return appendIntBulk(dst, i%1000*10+j)
			})
		},
		probe:  []string{"SADD", "vsredis:probe:set", "1"},
		checks: smallChecks("SCARD", "s:"),
	},
	&bigList,
	{
		name: "list-small", title: "%s lists of 10 items",
		gen: func(dst []byte, i, n int) []byte {
			return smallCommand(dst, i, "RPUSH", "l:", 1, func(dst []byte, i, j int) []byte {
				return appendPaddedBulk(dst, "item:", i*10+j)
			})
		},
		probe:  []string{"RPUSH", "vsredis:probe:list", "item"},
		checks: smallChecks("LLEN", "l:"),
	},
}

// shapeTitle is the shape's title for size n.
func (s *shape) shapeTitle(n int) string {
	if s.big {
		return fmt.Sprintf(s.title, groupDigits(n))
	}
	return fmt.Sprintf(s.title, groupDigits(n/10))
}

// loadShape sends the shape's commands to p on one connection, pipelined,
// and fails on the first error reply.
func loadShape(ctx context.Context, p *serverProc, s *shape, n int) error {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", p.addr())
	if err != nil {
		return err
	}
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Now()) })
	defer stop()
	rd := wire.NewReader(nc, 64*1024)
	var buf []byte
	total := s.commands(n)
	for i := 0; i < total; {
		buf = buf[:0]
		j := i
		for ; j < total && j-i < loadBatch && len(buf) < 1<<20; j++ {
			buf = s.gen(buf, j, n)
		}
		if _, err := nc.Write(buf); err != nil {
			return err
		}
		for ; i < j; i++ {
			kind, data, err := rd.Read()
			if err != nil {
				return err
			}
			if kind == wire.Error {
				return fmt.Errorf("command %d of %s: %w", i, s.name, errReply(data))
			}
		}
	}
	return nil
}

// checkShape runs the shape's checks on p and returns "ok" or what
// differed.
func checkShape(ctx context.Context, p *serverProc, s *shape, n int) string {
	for _, c := range s.checks(n) {
		got, err := p.do(ctx, c.args...)
		if err != nil {
			return fmt.Sprintf("%s: %v", c.args, shortError(err))
		}
		if got != c.want {
			return fmt.Sprintf("%s = %q, want %q", c.args, got, c.want)
		}
	}
	return "ok"
}
