package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redoubt-db/redoubt/bench/internal/wire"
)

// The pub/sub comparison: redis-benchmark cannot count what subscribers
// receive, so this tool drives both servers itself, with the same client
// code, and measures deliveries at the subscribers.
//
//   - fan-out: one publisher PUBLISHes to a channel that -clients
//     subscribers listen to; every message is delivered -clients times.
//   - fan-in: -clients publishers PUBLISH, each to a channel of its own,
//     and one subscriber receives them all through a pattern (PSUBSCRIBE).
//
// Publishers send their PUBLISHes in batches of the pipeline depth and wait
// for the batch's replies before the next. A fan-out publisher also waits
// until every subscriber has received all but the last two batches: a
// PUBLISH's reply does not wait for the deliveries, so without this window
// a server faster than the subscribers would fill the sockets' buffers and
// measure the client's backlog rather than its own latency. Each message carries the time
// it was sent, so a subscriber knows each delivery's latency (from the
// PUBLISH's write to the message's arrival, on this process's clock). The
// rate is the deliveries divided by the time from the first PUBLISH to the
// last delivery. Runs alternate Redis, Redoubt, for -reps repetitions at
// each pipeline depth; ratios are medians of per-repetition ratios.

// pubsubKind is one of the two shapes.
type pubsubKind string

const (
	fanOut pubsubKind = "fan-out"
	fanIn  pubsubKind = "fan-in"
)

// pubsubRun is one run's figures.
type pubsubRun struct {
	deliveries int
	rate       float64 // deliveries per second
	p50, p99   float64 // delivery latency, ms
}

// pubsubRow gathers one shape and depth's runs on both servers.
type pubsubRow struct {
	kind       pubsubKind
	pipeline   int
	messages   int // PUBLISHes per run
	deliveries int // deliveries per run
	pairs      []pubsubPair
}

type pubsubPair struct{ redis, redoubt pubsubRun }

// pubsubResults is what the pub/sub phase measured.
type pubsubResults struct {
	rows    []*pubsubRow
	clients int
	elapsed time.Duration
}

// pubsubMessages is how many PUBLISHes a run of kind sends at a pipeline
// depth: fan-out's deliveries are clients times its messages, so it sends
// that many times fewer.
func pubsubMessages(o options, kind pubsubKind, pipeline int) int {
	n := o.requests
	if pipeline > 1 {
		n = o.pipelinedRequests
	}
	if kind == fanOut {
		n = n * 10 / o.clients
	} else {
		n *= 2
	}
	return max(n, 1000)
}

// runPubSub starts a pair of servers and runs both shapes on them,
// interleaved, o.reps times per pipeline depth.
func runPubSub(ctx context.Context, o options, t tools, dir string, progress func(string, ...any)) (*pubsubResults, error) {
	start := time.Now()
	redis, redoubt, err := startPair(ctx, t, dir, o)
	if err != nil {
		return nil, err
	}
	defer redis.stop()
	defer redoubt.stop()
	res := &pubsubResults{clients: o.clients}
	for _, pl := range o.pipelines {
		for _, kind := range o.pubsubKinds {
			n := pubsubMessages(o, kind, pl)
			d := n
			if kind == fanOut {
				d = n * o.clients
			}
			res.rows = append(res.rows, &pubsubRow{kind: kind, pipeline: pl, messages: n, deliveries: d})
		}
	}
	// A short run on each server first, so that neither is measured
	// cold.
	for _, p := range []*serverProc{redis, redoubt} {
		if _, err := runPubSubOnce(ctx, p, fanOut, o.clients, 1, 200); err != nil {
			return nil, fmt.Errorf("pub/sub warm-up on %s: %w", p.name, err)
		}
	}
	for rep := 1; rep <= o.reps; rep++ {
		t0 := time.Now()
		for _, row := range res.rows {
			if o.quietWait > 0 {
				if _, err := waitQuiet(ctx, min(o.quietWait, 10*time.Second), redis, redoubt); err != nil {
					return nil, err
				}
			}
			a, err := runPubSubOnce(ctx, redis, row.kind, o.clients, row.pipeline, row.messages)
			if err != nil {
				return nil, fmt.Errorf("%s pipeline %d on Redis: %w", row.kind, row.pipeline, err)
			}
			b, err := runPubSubOnce(ctx, redoubt, row.kind, o.clients, row.pipeline, row.messages)
			if err != nil {
				return nil, fmt.Errorf("%s pipeline %d on Redoubt: %w", row.kind, row.pipeline, err)
			}
			row.pairs = append(row.pairs, pubsubPair{a, b})
			if o.verbose {
				progress("  %-8s P%-3d Redis %10.0f msg/s p50 %.3f p99 %.3f | Redoubt %10.0f msg/s p50 %.3f p99 %.3f",
					row.kind, row.pipeline, a.rate, a.p50, a.p99, b.rate, b.p50, b.p99)
			}
		}
		progress("pub/sub repetition %d/%d: done in %.1fs", rep, o.reps, time.Since(t0).Seconds())
	}
	res.elapsed = time.Since(start)
	return res, nil
}

// runPubSubOnce runs one shape against p: messages PUBLISHes in batches of
// pipeline, with clients subscribers (fan-out) or publishers (fan-in).
func runPubSubOnce(ctx context.Context, p *serverProc, kind pubsubKind, clients, pipeline, messages int) (pubsubRun, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var conns []net.Conn
	defer func() {
		for _, nc := range conns {
			nc.Close()
		}
	}()
	dial := func() (net.Conn, *bufio.Reader, error) {
		d := net.Dialer{Timeout: 5 * time.Second}
		nc, err := d.DialContext(ctx, "tcp", p.addr())
		if err != nil {
			return nil, nil, err
		}
		conns = append(conns, nc)
		if dl, ok := ctx.Deadline(); ok {
			nc.SetDeadline(dl)
		}
		return nc, bufio.NewReaderSize(nc, 64<<10), nil
	}
	subscribers, publishers := clients, 1
	if kind == fanIn {
		subscribers, publishers = 1, clients
	}
	// Each subscriber expects every message: clients × messages in all
	// for fan-out, messages for fan-in.
	perSub := messages
	tag := strconv.FormatInt(time.Now().UnixNano(), 36) // channels of this run only
	channel := "vsredis:fanout:" + tag
	type subscriber struct {
		nc   net.Conn
		br   *bufio.Reader
		lat  []int64
		recv atomic.Int64 // messages received
	}
	// The fan-out window: the publisher waits, for its next batch, until
	// every subscriber has received waitFor messages (0: not waiting),
	// and a subscriber that reaches it sends on wake.
	var waitFor atomic.Int64
	wake := make(chan struct{}, 1)
	window := int64(2 * pipeline)
	subs := make([]*subscriber, subscribers)
	for i := range subs {
		nc, br, err := dial()
		if err != nil {
			return pubsubRun{}, err
		}
		cmd := []string{"SUBSCRIBE", channel}
		if kind == fanIn {
			cmd = []string{"PSUBSCRIBE", "vsredis:fanin:" + tag + ":*"}
		}
		if _, err := nc.Write(wire.AppendCommand(nil, cmd...)); err != nil {
			return pubsubRun{}, err
		}
		if _, err := readPush(br); err != nil {
			return pubsubRun{}, fmt.Errorf("subscribing: %w", err)
		}
		subs[i] = &subscriber{nc: nc, br: br, lat: make([]int64, 0, perSub)}
	}
	type publisher struct {
		nc      net.Conn
		r       *wire.Reader
		channel string
		n       int
	}
	pubs := make([]*publisher, publishers)
	for i := range pubs {
		nc, _, err := dial()
		if err != nil {
			return pubsubRun{}, err
		}
		ch := channel
		if kind == fanIn {
			ch = "vsredis:fanin:" + tag + ":" + strconv.Itoa(i)
		}
		n := messages / publishers
		if i < messages%publishers {
			n++
		}
		pubs[i] = &publisher{nc: nc, r: wire.NewReader(nc, 4096), channel: ch, n: n}
	}
	base := time.Now()
	var last time.Time // the last delivery, guarded by lastMu
	var lastMu sync.Mutex
	errs := make(chan error, subscribers+publishers)
	var wg sync.WaitGroup
	for _, s := range subs {
		wg.Add(1)
		go func() { // exits after perSub messages or an error
			defer wg.Done()
			for range perSub {
				payload, err := readPush(s.br)
				if err != nil {
					errs <- fmt.Errorf("subscriber: %w", err)
					return
				}
				now := time.Since(base)
				sent, err := strconv.ParseInt(string(payload), 10, 64)
				if err != nil {
					errs <- fmt.Errorf("subscriber: message %q", payload)
					return
				}
				s.lat = append(s.lat, int64(now)-sent)
				if n := s.recv.Add(1); n == waitFor.Load() {
					select {
					case wake <- struct{}{}:
					default:
					}
				}
			}
			lastMu.Lock()
			if t := time.Now(); t.After(last) {
				last = t
			}
			lastMu.Unlock()
		}()
	}
	first := time.Now()
	for _, pb := range pubs {
		wg.Add(1)
		go func() { // exits after its messages or an error
			defer wg.Done()
			var buf []byte
			var ts [20]byte
			for sent := 0; sent < pb.n; {
				if kind == fanOut {
					if err := awaitDelivery(ctx, int64(sent)-window, &waitFor, wake, func() int64 {
						m := int64(math.MaxInt64)
						for _, s := range subs {
							m = min(m, s.recv.Load())
						}
						return m
					}); err != nil {
						errs <- err
						return
					}
				}
				batch := min(pipeline, pb.n-sent)
				buf = buf[:0]
				for range batch {
					stamp := strconv.AppendInt(ts[:0], int64(time.Since(base)), 10)
					buf = wire.AppendArray(buf, 3)
					buf = wire.AppendBulkString(buf, "PUBLISH")
					buf = wire.AppendBulkString(buf, pb.channel)
					buf = wire.AppendBulk(buf, stamp)
				}
				if _, err := pb.nc.Write(buf); err != nil {
					errs <- fmt.Errorf("publisher: %w", err)
					return
				}
				for range batch {
					kind, data, err := pb.r.Read()
					if err != nil || kind != wire.Integer {
						errs <- fmt.Errorf("publisher: PUBLISH answered %c%s (%v)", kind, data, err)
						return
					}
				}
				sent += batch
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }() // exits when every client is done
	select {
	case <-done:
	case err := <-errs:
		cancel()
		for _, nc := range conns {
			nc.Close()
		}
		<-done
		return pubsubRun{}, err
	}
	select {
	case err := <-errs:
		return pubsubRun{}, err
	default:
	}
	elapsed := last.Sub(first)
	var lat []int64
	for _, s := range subs {
		lat = append(lat, s.lat...)
	}
	slices.Sort(lat)
	pct := func(q float64) float64 {
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))]) / 1e6
	}
	return pubsubRun{deliveries: len(lat), rate: float64(len(lat)) / elapsed.Seconds(), p50: pct(0.50), p99: pct(0.99)}, nil
}

// awaitDelivery waits until least() reaches need, the subscribers having
// set waitFor to wake it through wake.
func awaitDelivery(ctx context.Context, need int64, waitFor *atomic.Int64, wake chan struct{}, least func() int64) error {
	for least() < need {
		waitFor.Store(need)
		if least() >= need {
			break
		}
		select {
		case <-wake:
		case <-time.After(time.Millisecond):
			// A subscriber that passed need before waitFor was set
			// sends nothing: look again.
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	waitFor.Store(0)
	return nil
}

// readPush reads one pub/sub push in RESP2 (an array of bulk strings and
// integers: a message, a pmessage or a confirmation) and returns its last
// element. It aliases br's buffer until the next read.
func readPush(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 4 || line[0] != '*' {
		return nil, fmt.Errorf("unexpected reply %q", line)
	}
	n, err := strconv.Atoi(string(line[1 : len(line)-2]))
	if err != nil || n < 1 {
		return nil, fmt.Errorf("unexpected reply %q", line)
	}
	var last []byte
	for range n {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return nil, err
		}
		switch line[0] {
		case ':':
			last = line[1 : len(line)-2]
		case '$':
			size, err := strconv.Atoi(string(line[1 : len(line)-2]))
			if err != nil || size < 0 || size > 1<<20 {
				return nil, fmt.Errorf("unexpected bulk length %q", line)
			}
			b, err := br.Peek(size + 2)
			if err != nil {
				return nil, err
			}
			last = b[:size]
			if _, err := br.Discard(size + 2); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("unexpected element %q", line)
		}
	}
	if last == nil {
		return nil, errors.New("empty push")
	}
	return last, nil
}

// summary returns the row's medians and ratios: rate, p50, p99.
func (r *pubsubRow) summary() (rate, p50, p99 [2]float64, rateR, p50R, p99R ratioStats) {
	get := func(f func(pubsubRun) float64) (a, b []float64) {
		for _, p := range r.pairs {
			a = append(a, f(p.redis))
			b = append(b, f(p.redoubt))
		}
		return a, b
	}
	ra, rb := get(func(x pubsubRun) float64 { return x.rate })
	pa, pb := get(func(x pubsubRun) float64 { return x.p50 })
	qa, qb := get(func(x pubsubRun) float64 { return x.p99 })
	return [2]float64{median(ra), median(rb)}, [2]float64{median(pa), median(pb)}, [2]float64{median(qa), median(qb)},
		pairedRatios(ra, rb), pairedRatios(pa, pb), pairedRatios(qa, qb)
}

// write prints the pub/sub table.
func (res *pubsubResults) write(w io.Writer, reps int) {
	fmt.Fprintf(w, "\n### Pub/sub (%d clients, %s)\n\n", res.clients, plural(reps, "repetition"))
	fmt.Fprintf(w, "fan-out: 1 publisher, %d subscribers of its channel; fan-in: %d publishers, each on a channel of its own, "+
		"1 subscriber of a pattern matching them all. Publishers send PUBLISHes in batches of the pipeline depth; "+
		"a delivery's latency runs from the PUBLISH's write to the message's arrival at a subscriber; the rate is "+
		"deliveries per second, from the first PUBLISH to the last delivery. Same client code for both servers. Took %.0fs.\n\n",
		res.clients, res.clients, res.elapsed.Seconds())
	fmt.Fprintln(w, "| test | pipeline | deliveries | Redis msg/s | Redoubt msg/s | ratio (range) | p50 ms Redis | p50 ms Redoubt | p50 ratio | p99 ms Redis | p99 ms Redoubt | p99 ratio | target |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, r := range res.rows {
		rate, p50, p99, rateR, p50R, p99R := r.summary()
		v := verdict(row{rps: rateR, p99: p99R})
		fmt.Fprintf(w, "| PUBLISH %s | %d | %s | %s | %s | %s | %.3f | %.3f | %s | %.3f | %.3f | %s | %s |\n",
			r.kind, r.pipeline, groupDigits(r.deliveries), formatRPS(rate[0]), formatRPS(rate[1]), formatRatioRange(rateR),
			p50[0], p50[1], formatRatio(p50R.median), p99[0], p99[1], formatRatio(p99R.median), v)
	}
}
