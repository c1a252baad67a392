package main

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/redoubt-db/redoubt/bench/internal/wire"
)

// Go drivers: load generators for what redis-benchmark cannot express, such
// as a transaction of several commands sent as one unit. A driver runs
// against one server at a time, like redis-benchmark, and reports in
// redis-benchmark's terms (a result: operations per second and latency
// percentiles in milliseconds), so its runs interleave with the others and
// land in the same tables.

// driver runs requests operations against the server listening on port,
// from clients connections, each keeping pipeline operations in flight,
// with keys drawn from keyspace random names.
type driver func(ctx context.Context, port, clients, pipeline, keyspace, requests int) ([]result, error)

// op writes one operation's commands to w and returns how many replies it
// expects; rng draws its keys.
type op func(w *bufio.Writer, rng *rand.Rand, keyspace int) (replies int)

// runOps is the common driver loop: each of clients connections sends
// pipeline operations made by next, reads all their replies, and starts
// again, until requests operations are done in all. An operation's latency
// runs from the write of its batch to the read of its last reply, as
// redis-benchmark times a pipelined batch. check sees every reply and may
// refuse it.
func runOps(ctx context.Context, name string, port, clients, pipeline, keyspace, requests int, next op,
	check func(kind byte, data []byte) error) ([]result, error) {
	clients = max(1, min(clients, requests))
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		latencies []time.Duration
		firstErr  error
	)
	per := requests / clients
	start := time.Now()
	for i := range clients {
		n := per
		if i < requests%clients {
			n++
		}
		wg.Add(1)
		go func(seed uint64, n int) {
			defer wg.Done()
			lat, err := runConn(ctx, port, pipeline, keyspace, n, rand.New(rand.NewPCG(seed, 1)), next, check)
			mu.Lock()
			defer mu.Unlock()
			latencies = append(latencies, lat...)
			if err != nil && firstErr == nil {
				firstErr = err
			}
		}(uint64(i), n)
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return nil, firstErr
	}
	return latencyResult(name, latencies, elapsed)
}

// latencyResult reports operations whose latencies are lat, all done in
// elapsed, as redis-benchmark reports a test: operations per second and
// latency percentiles in milliseconds. It sorts lat.
func latencyResult(name string, lat []time.Duration, elapsed time.Duration) ([]result, error) {
	if len(lat) == 0 {
		return nil, fmt.Errorf("%s: no operation completed", name)
	}
	slices.Sort(lat)
	ms := func(q float64) float64 {
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))]) / float64(time.Millisecond)
	}
	var sum time.Duration
	for _, l := range lat {
		sum += l
	}
	return []result{{
		test: name,
		rps:  float64(len(lat)) / elapsed.Seconds(),
		avg:  float64(sum) / float64(len(lat)) / float64(time.Millisecond),
		min:  ms(0), p50: ms(0.5), p95: ms(0.95), p99: ms(0.99), max: ms(1),
	}}, nil
}

// runConn is one connection of runOps: n operations, pipeline at a time.
func runConn(ctx context.Context, port, pipeline, keyspace, n int, rng *rand.Rand, next op,
	check func(kind byte, data []byte) error) ([]time.Duration, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	w := bufio.NewWriterSize(nc, 64<<10)
	r := wire.NewReader(nc, 64<<10)
	lat := make([]time.Duration, 0, n)
	for done := 0; done < n; {
		batch := min(pipeline, n-done)
		replies := 0
		for range batch {
			replies += next(w, rng, keyspace)
		}
		t0 := time.Now()
		if err := w.Flush(); err != nil {
			return lat, err
		}
		for range replies {
			kind, data, err := r.Read()
			if err != nil {
				return lat, err
			}
			if err := check(kind, data); err != nil {
				return lat, err
			}
		}
		d := time.Since(t0)
		for range batch {
			lat = append(lat, d)
		}
		done += batch
	}
	return lat, nil
}

// multiIncrDriver is MULTI, five INCRs of random counters and EXEC, sent
// together: one operation is one transaction.
func multiIncrDriver(ctx context.Context, port, clients, pipeline, keyspace, requests int) ([]result, error) {
	keys := make([]byte, 0, 64)
	next := func(w *bufio.Writer, rng *rand.Rand, keyspace int) int {
		w.WriteString("*1\r\n$5\r\nMULTI\r\n")
		for range 5 {
			keys = append(keys[:0], "vsredis:tx:"...)
			keys = strconv.AppendInt(keys, int64(rng.IntN(keyspace)), 10)
			w.Write(wire.AppendCommand(nil, "INCR", string(keys)))
		}
		w.WriteString("*1\r\n$4\r\nEXEC\r\n")
		return 7
	}
	check := func(kind byte, data []byte) error {
		if kind == wire.Error || kind == wire.Null {
			return fmt.Errorf("transaction: %c%s", kind, data)
		}
		return nil
	}
	return runOps(ctx, "MULTI + 5×INCR + EXEC", port, clients, pipeline, keyspace, requests, next, check)
}
