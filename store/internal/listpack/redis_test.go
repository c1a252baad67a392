package listpack

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The Redis cases build a value in real Redis 7.0 with commands and, here,
// the same listpack with this package as Redis's code does it, and compare
// the bytes. testdata/redis.txt holds the SHA-256 and size of the listpack
// that Redis's DUMP carried; -rewrite records them again from the
// redis-server on PATH (or $REDIS_SERVER).
var rewrite = flag.Bool("rewrite", false, "record the listpacks of a real redis-server into testdata/redis.txt")

type redisCase struct {
	name  string
	setup [][]string // CONFIG SET and the like, before the commands
	cmds  [][]string // commands that build the key "k"
	build func() []byte
}

func strs(ss ...string) [][]byte {
	b := make([][]byte, len(ss))
	for i, s := range ss {
		b[i] = []byte(s)
	}
	return b
}

// hashSet does what Redis's hashTypeSet does to a listpack.
func hashSet(lp []byte, field, value string) []byte {
	if p := Find(lp, First(lp), []byte(field), 1); p >= 0 {
		return Replace(lp, Next(lp, p), []byte(value))
	}
	lp = Append(lp, []byte(field))
	return Append(lp, []byte(value))
}

// hashDel does what HDEL does to a listpack: delete the pair, then ask the
// length (hashTypeLength), which recounts.
func hashDel(lp []byte, field string) []byte {
	if p := Find(lp, First(lp), []byte(field), 1); p >= 0 {
		lp, _ = DeleteAt(lp, p, 2)
	}
	Recount(lp)
	return lp
}

func redisCases() []redisCase {
	bigHash := []string{"config", "set", "hash-max-listpack-entries", "100000"}
	bigValue := []string{"config", "set", "hash-max-listpack-value", "3000000"}
	var cases []redisCase

	// Every integer boundary and strings that look almost like integers.
	{
		vals := []string{"-0", "01", "+1", " 1", "1 ", "1.0", "", "9223372036854775808", "-9223372036854775809"}
		for _, v := range boundaryInts {
			vals = append(vals, strconv.FormatInt(v, 10))
		}
		cmd := []string{"hset", "k"}
		for i, v := range vals {
			cmd = append(cmd, "f"+strconv.Itoa(i), v)
		}
		cases = append(cases, redisCase{name: "hash-ints", setup: [][]string{bigHash}, cmds: [][]string{cmd},
			build: func() []byte {
				lp := New(0)
				for i, v := range vals {
					lp = hashSet(lp, "f"+strconv.Itoa(i), v)
				}
				return lp
			}})
	}
	// String lengths at every encoding and backlen edge.
	{
		lens := []int{0, 1, 63, 64, 125, 126, 4095, 4096, 16377, 16378, 2097145, 2097146}
		cmd := []string{"hset", "k"}
		for _, n := range lens {
			cmd = append(cmd, "len"+strconv.Itoa(n), strings.Repeat("s", n))
		}
		cases = append(cases, redisCase{name: "hash-strings", setup: [][]string{bigValue}, cmds: [][]string{cmd},
			build: func() []byte {
				lp := New(0)
				for _, n := range lens {
					lp = hashSet(lp, "len"+strconv.Itoa(n), strings.Repeat("s", n))
				}
				return lp
			}})
	}
	// Overwrites and deletes.
	cases = append(cases, redisCase{name: "hash-edit", setup: [][]string{bigValue},
		cmds: [][]string{
			{"hset", "k", "a", "1", "b", "2", "c", "3", "d", "4"},
			{"hset", "k", "b", strings.Repeat("v", 100)},
			{"hset", "k", "c", "-70000"},
			{"hdel", "k", "a"},
			{"hset", "k", "e", "5", "b", "x"},
			{"hdel", "k", "d", "zz"},
		},
		build: func() []byte {
			lp := New(0)
			for _, kv := range [][2]string{{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"},
				{"b", strings.Repeat("v", 100)}, {"c", "-70000"}} {
				lp = hashSet(lp, kv[0], kv[1])
			}
			lp = hashDel(lp, "a")
			lp = hashSet(lp, "e", "5")
			lp = hashSet(lp, "b", "x")
			lp = hashDel(lp, "d")
			return hashDel(lp, "zz")
		}})
	// More than 65534 elements: the count becomes unknown, and HDEL's
	// recount writes it back.
	{
		cmd := []string{"hset", "k"}
		for i := range 32768 {
			cmd = append(cmd, "f"+strconv.Itoa(i), strconv.Itoa(i*7))
		}
		build := func() []byte {
			lp := New(0)
			for i := range 32768 {
				lp = Append(lp, []byte("f"+strconv.Itoa(i)))
				lp = Append(lp, []byte(strconv.Itoa(i*7)))
			}
			return lp
		}
		cases = append(cases,
			redisCase{name: "hash-count-unknown", setup: [][]string{bigHash}, cmds: [][]string{cmd}, build: build},
			redisCase{name: "hash-count-recount", setup: [][]string{bigHash},
				cmds:  [][]string{cmd, {"hdel", "k", "f0", "f1"}},
				build: func() []byte { return hashDel(hashDel(build(), "f0"), "f1") }})
	}
	// Sorted set scores in every form Redis stores.
	{
		scores := []string{"-inf", "-1e300", "-4611686018427388928", "-4611686018427387904",
			"-1.5", "-0", "0.1", "1", "1000000000000000", "4611686018427387904",
			"4611686018427388928", "1e300", "inf"}
		// In ascending order, so that each ZADD appends at the tail.
		cmd := []string{"zadd", "k"}
		for i, s := range scores {
			cmd = append(cmd, s, "m"+strconv.Itoa(i))
		}
		cases = append(cases, redisCase{name: "zset-scores", cmds: [][]string{cmd},
			build: func() []byte {
				lp := New(0)
				for i, s := range scores {
					f, err := strconv.ParseFloat(s, 64)
					if err != nil {
						panic(err)
					}
					lp = Append(lp, []byte("m"+strconv.Itoa(i)))
					lp = Append(lp, FormatScore(nil, f))
				}
				return lp
			}})
	}
	// A list of one quicklist node: pushes both ways, inserts, sets,
	// trims (a negative DeleteRange index) and removals.
	cases = append(cases, redisCase{name: "list-edit",
		cmds: [][]string{
			{"rpush", "k", "a", "b", "c", "1", "2", "3"},
			{"lpush", "k", "x", "-5"},
			{"linsert", "k", "before", "b", "99"},
			{"linsert", "k", "after", "c", "zz"},
			{"lset", "k", "0", "yy"},
			{"lset", "k", "2", "12345678901"},
			{"lset", "k", "3", strings.Repeat("w", 200)},
			{"ltrim", "k", "1", "-2"},
			{"lrem", "k", "0", "zz"},
		},
		build: func() []byte {
			lp := AppendAll(New(0), strs("a", "b", "c", "1", "2", "3")...)
			lp = Prepend(lp, []byte("x"))
			lp = Prepend(lp, []byte("-5"))
			lp, _ = InsertBefore(lp, Find(lp, First(lp), []byte("b"), 0), []byte("99"))
			lp, _ = InsertAfter(lp, Find(lp, First(lp), []byte("c"), 0), []byte("zz"))
			lp = Replace(lp, Seek(lp, 0), []byte("yy"))
			lp = Replace(lp, Seek(lp, 2), []byte("12345678901"))
			lp = Replace(lp, Seek(lp, 3), []byte(strings.Repeat("w", 200)))
			lp = DeleteRange(lp, 0, 1)
			lp = DeleteRange(lp, -1, 1)
			lp, _ = Delete(lp, Find(lp, First(lp), []byte("zz"), 0))
			return lp
		}})
	return cases
}

func digest(lp []byte) string {
	sum := sha256.Sum256(lp)
	return fmt.Sprintf("%d %s", len(lp), hex.EncodeToString(sum[:]))
}

const redisFile = "testdata/redis.txt"

func TestRedisBytes(t *testing.T) {
	cases := redisCases()
	if *rewrite {
		recordRedis(t, cases)
	}
	data, err := os.ReadFile(redisFile)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if name, d, ok := strings.Cut(line, " "); ok && !strings.HasPrefix(line, "#") {
			want[name] = d
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, ok := want[c.name]
			if !ok {
				t.Fatalf("no recording for %s: run with -rewrite", c.name)
			}
			lp := c.build()
			if err := Validate(lp, true); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if got := digest(lp); got != w {
				t.Errorf("listpack = %s, Redis's = %s", got, w)
			}
		})
	}
}

// recordRedis runs each case against a fresh key in a redis-server and
// writes the digests of the listpacks its DUMP holds.
func recordRedis(t *testing.T, cases []redisCase) {
	bin := os.Getenv("REDIS_SERVER")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("redis-server"); err != nil {
			t.Fatalf("redis-server is required for -rewrite: %v", err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--rdbcompression", "no", "--dir", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var conn net.Conn
	for range 100 {
		if conn, err = net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReaderSize(conn, 1<<20)
	do := func(args ...string) []byte {
		var b bytes.Buffer
		fmt.Fprintf(&b, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
		}
		if _, err := conn.Write(b.Bytes()); err != nil {
			t.Fatal(err)
		}
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		line = strings.TrimSuffix(line, "\r\n")
		switch line[0] {
		case '-':
			t.Fatalf("%v: %s", args[:min(len(args), 3)], line)
		case '$':
			n, _ := strconv.Atoi(line[1:])
			buf := make([]byte, n+2)
			if _, err := io.ReadFull(r, buf); err != nil {
				t.Fatal(err)
			}
			return buf[:n]
		}
		return []byte(line)
	}
	var out strings.Builder
	out.WriteString("# name, then size and SHA-256 of the listpack in Redis's DUMP; go test -rewrite records them\n")
	for _, c := range cases {
		do("flushall")
		do("config", "set", "hash-max-listpack-entries", "128")
		do("config", "set", "hash-max-listpack-value", "64")
		for _, s := range c.setup {
			do(s...)
		}
		for _, s := range c.cmds {
			do(s...)
		}
		lp := listpackOfDump(t, do("dump", "k"))
		fmt.Fprintf(&out, "%s %s\n", c.name, digest(lp))
	}
	if err := os.MkdirAll(filepath.Dir(redisFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(redisFile, []byte(out.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// listpackOfDump takes the listpack out of a DUMP payload of a listpack
// hash or sorted set, or of a one-node quicklist.
func listpackOfDump(t *testing.T, d []byte) []byte {
	t.Helper()
	pos := 1
	length := func() int {
		b := d[pos]
		pos++
		switch b >> 6 {
		case 0:
			return int(b & 0x3F)
		case 1:
			pos++
			return int(b&0x3F)<<8 | int(d[pos-1])
		}
		switch b {
		case 0x80:
			pos += 4
			return int(binary.BigEndian.Uint32(d[pos-4:]))
		case 0x81:
			pos += 8
			return int(binary.BigEndian.Uint64(d[pos-8:]))
		}
		t.Fatalf("unexpected RDB length byte %#x", b)
		return 0
	}
	switch d[0] {
	case 16, 17: // hash and zset listpacks
	case 18: // quicklist 2
		if n := length(); n != 1 {
			t.Fatalf("quicklist of %d nodes", n)
		}
		if c := length(); c != 2 {
			t.Fatalf("quicklist node container %d", c)
		}
	default:
		t.Fatalf("DUMP of RDB type %d", d[0])
	}
	n := length()
	return d[pos : pos+n]
}
