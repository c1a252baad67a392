package server

import (
	"bufio"
	"io"
	"math/bits"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLatencyBuckets(t *testing.T) {
	if bits.Len64(latMaxNs) != latMaxBits || latBucket(1<<latMaxBits-1) != latBuckets-1 {
		t.Fatalf("latBuckets = %d does not fit values of %d bits", latBuckets, latMaxBits)
	}
	prev := -1
	for v := uint64(1); v <= latMaxNs; v += 1 + v/97 {
		i := latBucket(v)
		if i < prev {
			t.Fatalf("latBucket(%d) = %d, below the bucket of a smaller value (%d)", v, i, prev)
		}
		prev = i
		top := latBucketTop(i)
		if top < v {
			t.Fatalf("latBucketTop(latBucket(%d)) = %d, below the value", v, top)
		}
		if i > 0 && latBucketTop(i-1) >= v {
			t.Fatalf("%d also fits bucket %d (top %d)", v, i-1, latBucketTop(i-1))
		}
		if float64(top-v) > 0.04*float64(v) {
			t.Fatalf("bucket of %d reports %d: more than 4%% off", v, top)
		}
	}
}

func TestLatencyPercentiles(t *testing.T) {
	var st commandStats
	// 900 calls of 10µs, 99 of 1ms and one of 2s (clamped to 1s).
	for i := 0; i < 900; i++ {
		st.recordLatency(10*time.Microsecond, 1)
	}
	for i := 0; i < 99; i++ {
		st.recordLatency(time.Millisecond, 1)
	}
	st.recordLatency(2*time.Second, 1)
	p := st.latency.Load().percentiles(50, 99, 99.9, 100)
	within := func(got, want float64) bool { return got >= want && got <= want*1.04 }
	for i, want := range []float64{10, 1000, 1000, 1e6} {
		if !within(p[i], want) {
			t.Errorf("percentile %d = %v µs, want about %v", i, p[i], want)
		}
	}
}

func TestInstMetric(t *testing.T) {
	var m instMetric
	m.track(1000, 0)
	for i := 1; i <= instSamples; i++ {
		// 50 more every 100ms: 500 a second.
		m.track(int64(1000+100*i), int64(50*i))
	}
	if got := m.rate(); got != 500 {
		t.Errorf("rate = %v, want 500", got)
	}
	m.track(int64(1000+100*(instSamples+1)), int64(50*instSamples))
	if got, want := m.rate(), 500.0*(instSamples-1)/instSamples; got != want {
		t.Errorf("rate after an idle sample = %v, want %v", got, want)
	}
}

func TestBytesToHuman(t *testing.T) {
	for _, tc := range []struct {
		n    uint64
		want string
	}{
		{0, "0B"}, {1023, "1023B"}, {1024, "1.00K"}, {1536, "1.50K"}, {1 << 20, "1.00M"},
		{25276502016, "23.54G"}, {3 << 40, "3.00T"}, {5 << 50, "5.00P"}, {1 << 62, "4611686018427387904B"},
		// Just below 2^60: float64 rounds up to 1024P, which is bytes;
		// a little lower, "%.2f" rounds up instead.
		{1<<60 - 1, "1152921504606846975B"}, {1<<60 - 2048, "1024.00P"},
	} {
		if got := bytesToHuman(tc.n); got != tc.want {
			t.Errorf("bytesToHuman(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestReadMemStats(t *testing.T) {
	m := readMemStats()
	if m.used == 0 || m.active < m.used || m.resident == 0 || m.rss == 0 {
		t.Errorf("readMemStats = %+v", m)
	}
}

// TestRunStatsInPipeline checks that timing pipelined calls as runs keeps
// Redis's counts: INFO sees every call that returned before it, including
// earlier INFO calls of the same pipeline, and the calls of a run all count.
func TestRunStatsInPipeline(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	nc, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var b strings.Builder
	for i := 0; i < 5; i++ {
		b.WriteString("*1\r\n$4\r\nPING\r\n")
	}
	for i := 0; i < 3; i++ {
		b.WriteString("*2\r\n$4\r\nINFO\r\n$12\r\ncommandstats\r\n")
	}
	nc.Write([]byte(b.String()))
	r := bufio.NewReader(nc)
	var infos []string
	for i := 0; i < 8; i++ {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line[0] != '$' {
			continue
		}
		n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			t.Fatal(err)
		}
		infos = append(infos, string(buf))
	}
	for i, info := range infos {
		if !strings.Contains(info, "cmdstat_ping:calls=5,") {
			t.Errorf("INFO #%d does not count the 5 PINGs before it:\n%s", i+1, info)
		}
		want := "cmdstat_info:calls=" + strconv.Itoa(i) + ","
		if i == 0 {
			if strings.Contains(info, "cmdstat_info:") {
				t.Errorf("INFO #1 counts itself:\n%s", info)
			}
		} else if !strings.Contains(info, want) {
			t.Errorf("INFO #%d does not show %q:\n%s", i+1, want, info)
		}
	}
}

// TestSlowCommandsTimedPerCall checks that a command without the fast flag
// is timed call by call, even in a pipeline of the same command: one MSET
// of many keys and nine of one key, pipelined, reach the latency histogram
// as ten durations of their own, not ten at their average.
func TestSlowCommandsTimedPerCall(t *testing.T) {
	s := tcStart(t, Config{})
	c := tcDial(t, s)
	big := []string{"MSET"}
	for i := range 50000 {
		big = append(big, "k"+strconv.Itoa(i), "v")
	}
	pipeline := bulk(big...) + strings.Repeat(bulk("MSET", "k", "v"), 9)
	if _, err := io.WriteString(c.nc, pipeline); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if got := c.read().flat(); got != "+OK" {
			t.Fatalf("MSET = %q, want +OK", got)
		}
	}
	info := tcInfo(c.str("INFO", "latencystats", "commandstats"))
	if got := info["cmdstat_mset"]; !strings.HasPrefix(got, "calls=10,") {
		t.Errorf("cmdstat_mset = %q, want 10 calls", got)
	}
	_, p := tcFields(strings.ReplaceAll(info["latency_percentiles_usec_mset"], ",", " "))
	p50, _ := strconv.ParseFloat(p["p50"], 64)
	p999, _ := strconv.ParseFloat(p["p99.9"], 64)
	// The median is a one-key MSET, the 99.9th percentile the big one.
	if !(p50 > 0 && p999 > 20*p50) {
		t.Errorf("MSET latency p50 = %vµs, p99.9 = %vµs: want the big call's far above the others' (%s)",
			p50, p999, info["latency_percentiles_usec_mset"])
	}
}
