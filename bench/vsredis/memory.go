package main

import (
	"context"
	"fmt"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redoubt-db/redoubt/bench/internal/wire"
)

// loadBatch is how many SETs the loader writes before reading their replies.
const loadBatch = 1000

// memoryFigures are one server's measurements in the memory phase.
type memoryFigures struct {
	rssBefore, rssAfter int64
	// usedBefore and usedAfter are INFO memory's used_memory (what the
	// server's allocator reports as in use), or -1 if it reports none.
	usedBefore, usedAfter int64
	loadTime              time.Duration
	dbsize                string // DBSIZE's reply, or why there is none
	check                 string // spot check of loaded values
}

func (m memoryFigures) perKey(keys int) float64 {
	return float64(m.rssAfter-m.rssBefore) / float64(keys)
}

// usedPerKey is the growth of used_memory per key, or NaN if unknown.
func (m memoryFigures) usedPerKey(keys int) float64 {
	if m.usedBefore < 0 || m.usedAfter < 0 {
		return math.NaN()
	}
	return float64(m.usedAfter-m.usedBefore) / float64(keys)
}

// usedMemory returns INFO memory's used_memory, or -1 if the server does
// not report it.
func usedMemory(ctx context.Context, p *serverProc) int64 {
	info, err := p.do(ctx, "INFO", "memory")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				return n
			}
		}
	}
	return -1
}

// memoryResults is what the memory phase measured.
type memoryResults struct {
	keys           int
	redis, redoubt memoryFigures
	threads        string
}

// memKey and memValue are the loaded keys and values: 16 bytes each.
func memKey(dst []byte, i int) []byte   { return appendPadded(append(dst, "key:"...), i) }
func memValue(dst []byte, i int) []byte { return appendPadded(append(dst, "val:"...), i) }

// appendPadded appends i as twelve zero-padded digits.
func appendPadded(dst []byte, i int) []byte {
	var b [12]byte
	for j := len(b) - 1; j >= 0; j-- {
		b[j] = byte('0' + i%10)
		i /= 10
	}
	return append(dst, b[:]...)
}

// runMemory starts a fresh pair of servers and, for each, measures the
// resident set before and after loading o.keys keys.
func runMemory(ctx context.Context, o options, t tools, dir string, progress func(string, ...any)) (*memoryResults, error) {
	redis, redoubt, err := startPair(ctx, t, dir, o)
	if err != nil {
		return nil, err
	}
	defer redis.stop()
	defer redoubt.stop()
	mr := &memoryResults{keys: o.keys, threads: fmt.Sprintf("Redis %s; Redoubt %s", redis.threads(ctx), redoubt.threads(ctx))}
	// Let start-up finish (Redis's first cron, Go's first GC) first.
	if err := sleep(ctx, time.Second); err != nil {
		return nil, err
	}
	for _, s := range []struct {
		p   *serverProc
		dst *memoryFigures
	}{{redis, &mr.redis}, {redoubt, &mr.redoubt}} {
		if err := measureLoad(ctx, s.p, o.keys, s.dst, progress); err != nil {
			return nil, err
		}
	}
	return mr, nil
}

func measureLoad(ctx context.Context, p *serverProc, keys int, m *memoryFigures, progress func(string, ...any)) error {
	var err error
	if m.rssBefore, err = p.rss(); err != nil {
		return err
	}
	m.usedBefore = usedMemory(ctx, p)
	t0 := time.Now()
	if err := load(ctx, p, keys); err != nil {
		return fmt.Errorf("loading %d keys into %s: %w", keys, p.name, err)
	}
	m.loadTime = time.Since(t0)
	progress("memory: loaded %d keys into %s in %.1fs; waiting for its resident set to settle", keys, p.name, m.loadTime.Seconds())
	if m.rssAfter, err = settle(ctx, p); err != nil {
		return err
	}
	m.usedAfter = usedMemory(ctx, p)
	if n, err := p.do(ctx, "DBSIZE"); err != nil {
		m.dbsize = "n/a (" + shortError(err) + ")"
	} else {
		m.dbsize = n
	}
	m.check = spotCheck(ctx, p, keys)
	return p.alive()
}

// load sets keys keys on one connection, loadBatch SETs per write.
func load(ctx context.Context, p *serverProc, keys int) error {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", p.addr())
	if err != nil {
		return err
	}
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Now()) })
	defer stop()
	rd := wire.NewReader(nc, 64*1024)
	var buf, kb, vb []byte
	for i := 0; i < keys; {
		buf = buf[:0]
		n := min(loadBatch, keys-i)
		for j := 0; j < n; j++ {
			kb, vb = memKey(kb[:0], i+j), memValue(vb[:0], i+j)
			buf = wire.AppendArray(buf, 3)
			buf = wire.AppendBulkString(buf, "SET")
			buf = wire.AppendBulk(buf, kb)
			buf = wire.AppendBulk(buf, vb)
		}
		if _, err := nc.Write(buf); err != nil {
			return err
		}
		for j := 0; j < n; j++ {
			kind, data, err := rd.Read()
			if err != nil {
				return err
			}
			if kind != wire.Simple || string(data) != "OK" {
				return fmt.Errorf("SET %s replied %c%s", memKey(nil, i+j), kind, data)
			}
		}
		i += n
	}
	return nil
}

// spotCheck reads back the first, middle and last keys loaded.
func spotCheck(ctx context.Context, p *serverProc, keys int) string {
	for _, i := range []int{0, keys / 2, keys - 1} {
		k := string(memKey(nil, i))
		got, err := p.do(ctx, "GET", k)
		if err != nil {
			return fmt.Sprintf("GET %s: %v", k, err)
		}
		if want := string(memValue(nil, i)); got != want {
			return fmt.Sprintf("GET %s = %q, want %q", k, got, want)
		}
	}
	return "ok"
}

// settle waits until p's resident set holds still and returns it. The
// loader's last batch has been answered, but allocators return memory, and
// Go's runtime collects and scavenges (Redoubt forces a collection and a
// release once allocation pauses, which takes a second or two on a big
// heap: server/memory.go), in the background. So settle waits two seconds,
// then reads VmRSS every 500 ms until five readings in a row (two seconds)
// lie within 0.5% of each other, for twenty seconds at most. The server is
// not asked to collect or free anything.
func settle(ctx context.Context, p *serverProc) (int64, error) {
	if err := sleep(ctx, 2*time.Second); err != nil {
		return 0, err
	}
	var window []int64
	for deadline := time.Now().Add(18 * time.Second); ; {
		cur, err := p.rss()
		if err != nil {
			return 0, err
		}
		window = append(window, cur)
		if len(window) > settleReadings {
			window = window[1:]
		}
		if len(window) == settleReadings && steady(window) || !time.Now().Before(deadline) {
			return cur, nil
		}
		if err := sleep(ctx, 500*time.Millisecond); err != nil {
			return 0, err
		}
	}
}

// settleReadings is how many readings in a row settle wants within 0.5%.
const settleReadings = 5

// steady reports whether the readings lie within 0.5% of the largest.
func steady(rs []int64) bool {
	return (slices.Max(rs)-slices.Min(rs))*200 <= slices.Max(rs)
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// formatBytes prints n bytes in MiB with one decimal.
func formatBytes(n int64) string {
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
}
