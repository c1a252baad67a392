package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redoubt-db/redoubt/bench/internal/wire"
)

// The client-side caching workload redis-benchmark cannot run: clients
// that both read and write with tracking on, so that writes invalidate
// keys other clients read and the servers send pushes while they serve.
// Each of -clients connections says HELLO 3 and CLIENT TRACKING on, then
// sends pipelines of GET (mixedGets of 100) and SET on random keys of
// -keyspace (redis-benchmark's key:NNNNNNNNNNNN names, 3-byte values),
// reading replies and skipping the invalidation pushes between them. The
// commands come from one seeded generator per connection, so both servers
// get the same ones. Latency is, for each request, the time from the
// writing of its pipeline to the reading of its reply, as redis-benchmark
// measures it.

const (
	mixedGets = 90 // GETs per 100 requests
	mixedRow  = "GET 90% / SET 10%" + " (50 clients tracking)"
)

// trackingMixedDriver runs requests requests of the mixed workload (a
// driver, driver.go). It is not runOps: its connections turn tracking on
// first, and skip the pushes that come between replies.
func trackingMixedDriver(ctx context.Context, port, clients, pipeline, keyspace, requests int) ([]result, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	conns := make([]net.Conn, clients)
	defer func() {
		for _, nc := range conns {
			if nc != nil {
				nc.Close()
			}
		}
	}()
	readers := make([]*wire.Reader, clients)
	var d net.Dialer
	for i := range conns {
		nc, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		conns[i] = nc
		readers[i] = wire.NewReader(nc, 16<<10)
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		setup := wire.AppendCommand(nil, "HELLO", "3")
		setup = wire.AppendCommand(setup, "CLIENT", "TRACKING", "on")
		if _, err := nc.Write(setup); err != nil {
			return nil, err
		}
		for range 2 {
			kind, data, err := readers[i].Read()
			if err == nil && kind == wire.Error {
				err = errors.New(string(data))
			}
			if err != nil {
				return nil, fmt.Errorf("setting up tracking: %w", err)
			}
		}
		nc.SetDeadline(time.Time{})
	}
	if dl, ok := ctx.Deadline(); ok {
		for _, nc := range conns {
			nc.SetDeadline(dl)
		}
	}

	var left atomic.Int64 // requests not yet claimed by a connection
	left.Store(int64(requests))
	lat := make([][]time.Duration, len(conns))
	errs := make([]error, len(conns))
	var wg sync.WaitGroup
	start := time.Now()
	for i := range conns {
		wg.Add(1)
		go func() { // exits when the requests are all claimed, or on an error
			defer wg.Done()
			lat[i], errs[i] = mixedClient(conns[i], readers[i], uint64(i), pipeline, keyspace, &left)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	return latencyResult(mixedRow, all, elapsed)
}

// mixedClient runs pipelines on one connection until left runs out and
// returns each request's latency.
func mixedClient(nc net.Conn, r *wire.Reader, seed uint64, pipeline, keyspace int, left *atomic.Int64) ([]time.Duration, error) {
	rng := rand.New(rand.NewPCG(seed, 0x7ac1))
	w := bufio.NewWriterSize(nc, 64<<10)
	var lat []time.Duration
	var buf []byte
	var key [16 + 12]byte
	for {
		n := int(min(left.Add(-int64(pipeline))+int64(pipeline), int64(pipeline)))
		if n <= 0 {
			return lat, nil
		}
		buf = buf[:0]
		for range n {
			k := fmt.Appendf(key[:0], "key:%012d", rng.IntN(keyspace))
			if rng.IntN(100) < mixedGets {
				buf = wire.AppendArray(buf, 2)
				buf = wire.AppendBulkString(buf, "GET")
				buf = wire.AppendBulk(buf, k)
			} else {
				buf = wire.AppendArray(buf, 3)
				buf = wire.AppendBulkString(buf, "SET")
				buf = wire.AppendBulk(buf, k)
				buf = wire.AppendBulkString(buf, "xxx")
			}
		}
		t0 := time.Now()
		w.Write(buf)
		if err := w.Flush(); err != nil {
			return lat, err
		}
		for got := 0; got < n; {
			kind, data, err := r.Read()
			switch {
			case err != nil:
				return lat, err
			case kind == wire.Push:
				continue // an invalidation
			case kind == wire.Error:
				return lat, fmt.Errorf("error reply: %s", data)
			}
			lat = append(lat, time.Since(t0))
			got++
		}
	}
}
