package main

import (
	"bytes"
	"slices"
	"strconv"

	"bufio"
	"github.com/redoubt-db/redoubt/internal/resp"
	"io"
	"math"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// The testdata files are redis-benchmark 7.0.15's output, captured from
// runs of redis-benchmark -c 50 -P 1 (and -P 16) -t ping,set,get,incr,mset
// -r 100000 --csv against redis-server 7.0.15 on the project's machine.
func TestParseCSV(t *testing.T) {
	f, err := os.Open("testdata/redis-benchmark-7.0.15-P1.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := parseCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	wantTests := []string{"PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET (10 keys)"}
	if len(got) != len(wantTests) {
		t.Fatalf("parseCSV returned %d results, want %d: %+v", len(got), len(wantTests), got)
	}
	for i, w := range wantTests {
		if got[i].test != w {
			t.Errorf("result %d test = %q, want %q", i, got[i].test, w)
		}
	}
	// "SET","94339.62","0.277","0.080","0.279","0.319","0.407","0.679"
	want := result{test: "SET", rps: 94339.62, avg: 0.277, min: 0.080, p50: 0.279, p95: 0.319, p99: 0.407, max: 0.679}
	if got[2] != want {
		t.Errorf("SET = %+v, want %+v", got[2], want)
	}

	f16, err := os.Open("testdata/redis-benchmark-7.0.15-P16.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f16.Close()
	got16, err := parseCSV(f16)
	if err != nil {
		t.Fatal(err)
	}
	// "MSET (10 keys)","215982.72","3.570","0.632","3.735","4.599","5.271","6.063"
	if m := got16[5]; m.test != "MSET (10 keys)" || m.rps != 215982.72 || m.p50 != 3.735 || m.p99 != 5.271 {
		t.Errorf("MSET at pipeline 16 = %+v", m)
	}
}

func TestParseCSVErrors(t *testing.T) {
	header := `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"` + "\n"
	for name, in := range map[string]string{
		"empty":          "",
		"header only":    header,
		"no p99 column":  `"test","rps","p50_latency_ms"` + "\n" + `"SET","1","2"` + "\n",
		"bad number":     header + `"SET","fast","0.277","0.080","0.279","0.319","0.407","0.679"` + "\n",
		"short line":     header + `"SET","94339.62"` + "\n",
		"not csv at all": "ERR unknown command\n\"x\n",
	} {
		if res, err := parseCSV(strings.NewReader(in)); err == nil {
			t.Errorf("%s: parseCSV = %+v, want an error", name, res)
		}
	}
	// Columns are found by name, not position.
	res, err := parseCSV(strings.NewReader(`"rps","p99_latency_ms","test","p50_latency_ms"` + "\n" + `"10","2","GET","1"` + "\n"))
	if err != nil || len(res) != 1 || res[0] != (result{test: "GET", rps: 10, p50: 1, p99: 2}) {
		t.Fatalf("reordered columns: parseCSV = %+v, %v", res, err)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{1, 100, 2, 3, 4}, 3},
	} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	if got := median(nil); !math.IsNaN(got) {
		t.Errorf("median(nil) = %v, want NaN", got)
	}
	in := []float64{3, 1, 2}
	median(in)
	if in[0] != 3 || in[1] != 1 {
		t.Errorf("median reordered its argument: %v", in)
	}
}

// TestMedianOfPairedRatios checks that the ratio is the median of the
// per-repetition ratios, not the ratio of the medians: repetitions where
// the machine was slow for both servers must cancel out.
func TestMedianOfPairedRatios(t *testing.T) {
	redis := []float64{100, 50, 200, 100, 80}
	redoubt := []float64{90, 55, 150, 95, 80}
	// Ratios: 0.9, 1.1, 0.75, 0.95, 1.0 → median 0.95. The ratio of the
	// medians would be 90/100 = 0.9.
	rs := pairedRatios(redis, redoubt)
	if math.Abs(rs.median-0.95) > 1e-12 || rs.min != 0.75 || math.Abs(rs.max-1.1) > 1e-12 || rs.n != 5 {
		t.Fatalf("pairedRatios = %+v, want median 0.95, range 0.75–1.1, n 5", rs)
	}
	// A zero denominator (a latency below redis-benchmark's resolution)
	// is left out rather than counted as infinite.
	rs = pairedRatios([]float64{0, 2, 4}, []float64{1, 1, 4})
	if rs.median != 0.75 || rs.n != 2 {
		t.Fatalf("pairedRatios with a zero = %+v, want median 0.75 of 2", rs)
	}
	if rs := pairedRatios([]float64{0}, []float64{1}); !math.IsNaN(rs.median) {
		t.Fatalf("pairedRatios with no usable pair = %+v, want NaN", rs)
	}
}

func TestSummarize(t *testing.T) {
	mk := func(rps, p50, p99 float64) result { return result{test: "GET", rps: rps, p50: p50, p99: p99} }
	pairs := []pair{
		{mk(100e3, 0.30, 0.70), mk(90e3, 0.33, 1.40)},
		{mk(80e3, 0.40, 0.80), mk(80e3, 0.40, 0.80)},
		{mk(90e3, 0.20, 1.00), mk(99e3, 0.30, 1.50)},
	}
	r := summarize("GET", pairs)
	if r.redisRPS != 90e3 || r.redoubtRPS != 90e3 {
		t.Errorf("median req/s = %v, %v; want 90000, 90000", r.redisRPS, r.redoubtRPS)
	}
	if math.Abs(r.rps.median-1.0) > 1e-12 {
		t.Errorf("req/s ratio = %v, want 1.0 (ratios 0.9, 1.0, 1.1)", r.rps.median)
	}
	if math.Abs(r.p99.median-1.5) > 1e-12 {
		t.Errorf("p99 ratio = %v, want 1.5 (ratios 2.0, 1.0, 1.5)", r.p99.median)
	}
	if r.redisP50 != 0.30 || r.redoubtP50 != 0.33 {
		t.Errorf("median p50 = %v, %v; want 0.30, 0.33", r.redisP50, r.redoubtP50)
	}
}

func TestDepthResultsAdd(t *testing.T) {
	d := &depthResults{pipeline: 1, pairs: map[string][]pair{}}
	a := []result{{test: "SET", rps: 1}, {test: "GET", rps: 2}}
	if err := d.add(a, a); err != nil {
		t.Fatal(err)
	}
	if err := d.add(a, a); err != nil {
		t.Fatal(err)
	}
	if strings.Join(d.order, ",") != "SET,GET" || len(d.pairs["GET"]) != 2 {
		t.Fatalf("after two repetitions: order %q, %d GET pairs", d.order, len(d.pairs["GET"]))
	}
	if err := d.add(a, a[:1]); err == nil {
		t.Fatal("add accepted runs with different tests")
	}
}

// TestShownServerArgs checks the report's line for the servers' command
// line against what serverArgs gives them.
func TestShownServerArgs(t *testing.T) {
	if got, want := shownServerArgs(), `--port N --bind 127.0.0.1 --save "" --appendonly no --unixsocket vsredis-N.sock --unixsocketperm 700`; got != want {
		t.Errorf("shownServerArgs() = %q, want %q", got, want)
	}
}

func TestCountCPUList(t *testing.T) {
	for in, want := range map[string]int{"0-1": 2, "0": 1, "0-3,8,10-11": 7, "": 0} {
		if got := countCPUList(in); got != want {
			t.Errorf("countCPUList(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestQuickFlags(t *testing.T) {
	o, err := parseFlags([]string{"-quick", "-reps", "3"}, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	if o.reps != 3 || o.requests != 10_000 || o.keys != 100_000 || o.elements != 100_000 {
		t.Fatalf("-quick -reps 3: reps %d, requests %d, keys %d, elements %d; want 3, 10000, 100000, 100000", o.reps, o.requests, o.keys, o.elements)
	}
	if _, err := parseFlags([]string{"-tests", "ping,bogus"}, &strings.Builder{}); err == nil {
		t.Fatal("parseFlags accepted an unknown test")
	}
}

func TestMemKeys(t *testing.T) {
	if k, v := string(memKey(nil, 42)), string(memValue(nil, 42)); k != "key:000000000042" || v != "val:000000000042" {
		t.Fatalf("memKey, memValue = %q, %q", k, v)
	}
	if got := groupDigits(1000000); got != "1,000,000" {
		t.Fatalf("groupDigits(1000000) = %q", got)
	}
}

func TestReportWrite(t *testing.T) {
	d := &depthResults{pipeline: 16, requests: map[string]int{"PING_MBULK": 1000, "GET": 1000}, pairs: map[string][]pair{}, floor: map[string][]result{}}
	redis := []result{{test: "PING_MBULK", rps: 1e6, p50: 0.3, p99: 0.8}, {test: "GET", rps: 900e3, p50: 0.7, p99: 1.0}}
	redoubt := []result{{test: "PING_MBULK", rps: 1.1e6, p50: 0.3, p99: 1.6}, {test: "GET", rps: 450e3, p50: 1.4, p99: 3.0}}
	if err := d.add(redis, redoubt); err != nil {
		t.Fatal(err)
	}
	d.floor["PING_MBULK"] = []result{{test: "PING_MBULK", rps: 1.25e6, p50: 0.3, p99: 1.2}}
	r := &report{
		opts:       options{clients: 50, keyspace: 100000, reps: 1},
		throughput: &throughputResults{depths: []*depthResults{d}, tests: allTests[:3], skipped: []string{"INCR: Redoubt replies \"ERR unknown command 'INCR'\""}},
		memory: &memoryResults{keys: 1000,
			redis:   memoryFigures{rssBefore: 1 << 20, rssAfter: 1<<20 + 104000, usedBefore: 1000, usedAfter: 97000},
			redoubt: memoryFigures{rssBefore: 1 << 20, rssAfter: 1<<20 + 208000, usedBefore: -1, usedAfter: -1}},
	}
	var b strings.Builder
	r.write(&b)
	out := b.String()
	for _, want := range []string{
		"### Pipeline 16 (50 clients, 1 repetition)",
		// p99 2.00× misses the 1.5× target; GET's req/s misses 1.0×.
		"| PING (multibulk) | 1,000 | 1.00M | 1.10M | 1.10× | 0.300 | 0.300 | 1.00× | 0.800 | 1.600 | 2.00× | **no** |",
		"| GET | 1,000 | 900.0k | 450.0k | 0.50× |",
		"0 of 2 rows meet the target.",
		"- INCR: Redoubt replies",
		"| Redis | 1.0 MiB | 1.1 MiB | 104.0 | 96.0 |",
		"| Redoubt | 1.0 MiB | 1.2 MiB | 208.0 | n/a |",
		"Redoubt/Redis bytes per key (RSS growth): 2.00×",
		// floor/Redis 1.25, Redoubt/floor 0.88; p99 1.5 and 1.33.
		"| PING (multibulk) | 1.25M | 1.25× | 0.88× | 1.200 | 1.50× | 1.33× |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// TestFloorServer drives the floor server over loopback as redis-benchmark
// does: its CONFIG GET probe, then pipelined PINGs, inline and multibulk,
// split at every byte boundary.
func TestFloorServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go floorServe(ln) // returns when ln is closed
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	rd := bufio.NewReader(nc)
	expect := func(want string) {
		t.Helper()
		got := make([]byte, len(want))
		if _, err := io.ReadFull(rd, got); err != nil {
			t.Fatalf("reading %q: %v", want, err)
		}
		if string(got) != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	nc.Write([]byte("*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$4\r\nsave\r\n"))
	expect("*0\r\n")
	batch := strings.Repeat("*1\r\n$4\r\nPING\r\nping\r\n", 8)
	for cut := 1; cut < len(batch); cut += 3 {
		nc.Write([]byte(batch[:cut]))
		time.Sleep(time.Millisecond) // let the server see the first part alone
		nc.Write([]byte(batch[cut:]))
		expect(strings.Repeat("+PONG\r\n", 16))
	}
}

func TestCPUSnapshot(t *testing.T) {
	a, ok := takeCPUSnapshot()
	if !ok {
		t.Skip("no /proc here")
	}
	// Burn a little CPU in this process: it is ours, so it must not show
	// up as another process's.
	x := 0
	for i := 0; i < 50_000_000; i++ {
		x += i ^ x
	}
	b, _ := takeCPUSnapshot()
	if b.ours <= a.ours && x != 0 {
		t.Logf("our CPU time did not advance (%d → %d ticks); the loop was too short to register", a.ours, b.ours)
	}
	if s := otherShare(a, b); s < 0 || s > 1 {
		t.Fatalf("otherShare = %v, want within [0, 1]", s)
	}
	if s := otherShare(cpuSnapshot{total: 100, busy: 50, ours: 10}, cpuSnapshot{total: 300, busy: 200, ours: 60}); s != 0.5 {
		t.Fatalf("otherShare = %v, want 0.5 (100 of 200 ticks busy with others)", s)
	}
}

// parseCommands decodes a load's commands with Redoubt's own RESP reader.
func parseCommands(t *testing.T, b []byte) [][]string {
	t.Helper()
	rd := resp.NewReader()
	src := bytes.NewReader(b)
	var cmds [][]string
	for {
		args, err := rd.ReadCommand(nil)
		if err == resp.ErrIncomplete {
			if _, err := rd.Fill(src); err != nil {
				break // io.EOF: all read
			}
			continue
		}
		if err != nil {
			t.Fatalf("command %d: %v", len(cmds), err)
		}
		var c []string
		for _, a := range args {
			c = append(c, string(a))
		}
		cmds = append(cmds, c)
	}
	if src.Len() > 0 {
		t.Fatalf("%d bytes left undecoded", src.Len())
	}
	return cmds
}

// TestShapes decodes every shape's load and checks that it makes the
// elements the report divides by: the right count, each key filled once,
// no element twice.
func TestShapes(t *testing.T) {
	const n = 1030 // not a multiple of perCommand
	for _, s := range shapes {
		var buf []byte
		for i := range s.commands(n) {
			buf = s.gen(buf, i, n)
		}
		cmds := parseCommands(t, buf)
		if len(cmds) != s.commands(n) {
			t.Fatalf("%s: %d commands decoded, want %d", s.name, len(cmds), s.commands(n))
		}
		argsPer := 1
		if c := cmds[0][0]; c == "HSET" || c == "ZADD" {
			argsPer = 2
		}
		elems := map[string]map[string]bool{}
		total := 0
		for _, c := range cmds {
			if c[0] != s.probe[0] {
				t.Fatalf("%s: command %q, want %s as the probe", s.name, c, s.probe[0])
			}
			key := c[1]
			if elems[key] == nil {
				elems[key] = map[string]bool{}
			} else if !s.big {
				t.Fatalf("%s: key %s filled twice", s.name, key)
			}
			for i := 2; i < len(c); i += argsPer {
				e := c[i+argsPer-1] // the field or member (after a ZADD score), or the item
				if argsPer == 2 && c[0] == "HSET" {
					e = c[i]
				}
				if elems[key][e] && c[0] != "RPUSH" {
					t.Fatalf("%s: %s has %q twice", s.name, key, e)
				}
				elems[key][e] = true
				total++
			}
		}
		if total != s.elements(n) {
			t.Errorf("%s: %d elements, want %d", s.name, total, s.elements(n))
		}
		if s.big && len(elems) != 1 || !s.big && len(elems) != n/10 {
			t.Errorf("%s: %d keys", s.name, len(elems))
		}
		if checks := s.checks(n); len(checks) == 0 {
			t.Errorf("%s: no checks", s.name)
		}
	}
}

// TestBigTestsHitPreload checks that the *-big tests' commands, with
// __rand_int__ filled in as redis-benchmark does (twelve zero-padded
// digits below -r, which is the big value's size), name the preloaded key
// and its existing members.
func TestBigTestsHitPreload(t *testing.T) {
	const n = 500
	o := options{elements: n, keyspace: 100_000}
	for _, bt := range allTests {
		if bt.big == nil {
			if bt.keyspace(o) != o.keyspace {
				t.Errorf("%s: keyspace %d, want -keyspace", bt.name, bt.keyspace(o))
			}
			continue
		}
		if bt.keyspace(o) != n {
			t.Errorf("%s: keyspace %d, want -elements %d", bt.name, bt.keyspace(o), n)
		}
		var buf []byte
		for i := range bt.big.commands(n) {
			buf = bt.big.gen(buf, i, n)
		}
		members := map[string]bool{}
		for _, c := range parseCommands(t, buf) {
			if c[1] != bt.command[1] {
				t.Fatalf("%s: preload key %s, command's key %s", bt.name, c[1], bt.command[1])
			}
			for _, a := range c[2:] {
				members[a] = true
			}
		}
		for _, i := range []int{0, n / 3, n - 1} {
			filled := strings.ReplaceAll(strings.Join(bt.command, " "), "__rand_int__", string(appendPadded(nil, i)))
			args := strings.Fields(filled)
			// The argument after the key names a member unless it is a
			// score (ZADD's, ZRANGEBYSCORE's min): then the one after.
			arg := args[2]
			if bt.command[0] == "ZADD" {
				arg = args[3]
			}
			if bt.command[0] == "ZRANGEBYSCORE" {
				if v, err := strconv.Atoi(arg); err != nil || v < 0 || v >= n {
					t.Errorf("%s: min %q is not a score within the preload's", bt.name, arg)
				}
				continue
			}
			if !members[arg] {
				t.Errorf("%s: %q is not in the preloaded %s", bt.name, arg, bt.command[1])
			}
		}
	}
	for i := range 1000 {
		if s := bigScore(i, n); s < 0 || s >= n {
			t.Fatalf("bigScore(%d, %d) = %d", i, n, s)
		}
	}
}

func TestSelectTestsAndRequests(t *testing.T) {
	ts, err := selectTests("rpop, LPUSH,zrank-big")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, bt := range ts {
		names = append(names, bt.name)
	}
	// allTests' order, whatever the option's: pushes before pops.
	if got := strings.Join(names, ","); got != "lpush,rpop,zrank-big" {
		t.Fatalf("selectTests = %s, want lpush,rpop,zrank-big", got)
	}
	o := options{requests: 40_000, pipelinedRequests: 400_000}
	lr := allTests[slices.IndexFunc(allTests, func(b benchTest) bool { return b.name == "lrange_600" })]
	if got := lr.requests(o, 1); got != 40_000/3 {
		t.Errorf("lrange_600 at pipeline 1: %d requests, want %d", got, 40_000/3)
	}
	if got := lr.requests(o, 16); got != 400_000/25 {
		t.Errorf("lrange_600 at pipeline 16: %d requests, want %d", got, 400_000/25)
	}
	if got := ts[0].requests(o, 16); got != 400_000 {
		t.Errorf("lpush at pipeline 16: %d requests, want all 400000", got)
	}
	// Never below 1,000, unless asked for fewer in all.
	if got := lr.requests(options{requests: 2000, pipelinedRequests: 2000}, 16); got != 1000 {
		t.Errorf("lrange_600 of 2000 at pipeline 16: %d, want 1000", got)
	}
	if got := lr.requests(options{requests: 10, pipelinedRequests: 10}, 16); got != 10 {
		t.Errorf("lrange_600 of 10 at pipeline 16: %d, want 10", got)
	}
	args := strings.Join(ts[2].args(7000, "", 50, 16, 1000, 5000), " ")
	if want := "-h 127.0.0.1 -p 7000 -c 50 -P 16 -r 1000 -n 5000 --csv ZRANK vsredis:bigzset m:__rand_int__"; args != want {
		t.Errorf("zrank-big args = %q, want %q", args, want)
	}
	if args := strings.Join(ts[0].args(7000, "", 50, 1, 100, 10), " "); !strings.HasSuffix(args, "-n 10 --csv -t lpush") {
		t.Errorf("lpush args = %q", args)
	}
	unix, err := selectTests("get-unix")
	if err != nil || len(unix) != 1 {
		t.Fatalf("selectTests(get-unix) = %v, %v", unix, err)
	}
	if args := strings.Join(unix[0].args(7000, "/tmp/x/vsredis-7000.sock", 50, 16, 1000, 5000), " "); args != "-s /tmp/x/vsredis-7000.sock -c 50 -P 16 -r 1000 -n 5000 --csv -t get" {
		t.Errorf("get-unix args = %q", args)
	}
	if _, err := selectShapes("list-big,bogus"); err == nil {
		t.Error("selectShapes accepted an unknown shape")
	}
	if s, err := selectShapes("none"); err != nil || len(s) != 0 {
		t.Errorf("selectShapes(none) = %v, %v", s, err)
	}
}

func TestSteady(t *testing.T) {
	if !steady([]int64{1000, 1004, 1002, 1001, 1003}) {
		t.Error("readings within 0.4% are not steady")
	}
	if steady([]int64{1000, 1000, 1000, 1000, 900}) {
		t.Error("a 10% drop counts as steady")
	}
}

func TestReportShapes(t *testing.T) {
	r := &report{opts: options{}, shapes: []shapeResult{
		{shape: shapes[0], n: 1000,
			redis:   shapeFigures{rssBefore: 1 << 20, rssAfter: 1<<20 + 40_000, usedBefore: 0, usedAfter: 30_000, check: "ok"},
			redoubt: shapeFigures{rssBefore: 1 << 20, rssAfter: 1<<20 + 50_000, usedBefore: -1, usedAfter: -1, check: "ok"}},
		{shape: &bigList, n: 1000,
			redis:   shapeFigures{rssBefore: 1 << 20, rssAfter: 1<<20 + 20_000, check: "ok"},
			redoubt: shapeFigures{missing: `RPUSH replies "ERR unknown command 'RPUSH'"`}},
	}}
	var b strings.Builder
	r.write(&b)
	out := b.String()
	for _, want := range []string{
		"| 100 hashes of 10 small fields | 1,000 | 40.0 | 50.0 | 1.25× | 30.0 | n/a | 1.0 MiB | 1.0 MiB |",
		"| one list of 1,000 items | 1,000 | 20.0 | n/a | n/a |",
		"| ok | not loaded |",
		"- list-big, Redoubt: RPUSH replies",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// The collection testdata is redis-benchmark 7.0.15's output of
// -t lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange,mset at
// pipeline 1, and of a command of ours at pipeline 16, against
// redis-server 7.0.15.
func TestParseCollectionsCSV(t *testing.T) {
	f, err := os.Open("testdata/redis-benchmark-7.0.15-collections-P1.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parseCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	res = dropPreparation(res)
	var names []string
	for _, r := range res {
		names = append(names, label(r.test))
	}
	want := "LPUSH,RPUSH,LPOP,RPOP,SADD,HSET,SPOP,ZADD,ZPOPMIN,LRANGE_100 (first 100 elements),LRANGE_300 (first 300 elements)," +
		"LRANGE_500 (first 500 elements),LRANGE_600 (first 600 elements),MSET (10 keys)"
	if got := strings.Join(names, ","); got != want {
		t.Errorf("rows = %s\nwant %s", got, want)
	}
	// "LRANGE_600 (first 600 elements)","11428.57","2.462","0.352","2.055","4.783","5.703","10.039"
	if r := res[12]; r.rps != 11428.57 || r.p50 != 2.055 || r.p99 != 5.703 {
		t.Errorf("LRANGE_600 = %+v", r)
	}

	f16, err := os.Open("testdata/redis-benchmark-7.0.15-command-P16.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f16.Close()
	res, err = parseCSV(f16)
	if err != nil || len(res) != 1 {
		t.Fatalf("parseCSV = %+v, %v", res, err)
	}
	if got, want := label(res[0].test), "ZRANGEBYSCORE vsredis:bigzset ‹rand› +inf LIMIT 0 10"; got != want || res[0].p99 != 2.543 {
		t.Errorf("command row: %q p99 %v, want %q p99 2.543", got, res[0].p99, want)
	}
}
