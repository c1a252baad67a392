package main

import (
	"bufio"
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
	if got, want := shownServerArgs(), `--port N --bind 127.0.0.1 --save "" --appendonly no`; got != want {
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
