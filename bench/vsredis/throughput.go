package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A result is one line of redis-benchmark's --csv output. Latencies are in
// milliseconds.
type result struct {
	test                         string // as redis-benchmark names it: "PING_INLINE", "MSET (10 keys)"
	rps                          float64
	avg, min, p50, p95, p99, max float64
}

// parseCSV reads the output of redis-benchmark --csv (7.x):
//
//	"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
//	"SET","94339.62","0.277","0.080","0.279","0.319","0.407","0.679"
//
// Columns are found by their header names; test, rps, p50 and p99 are
// required.
func parseCSV(r io.Reader) ([]result, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("redis-benchmark printed no CSV")
		}
		return nil, fmt.Errorf("redis-benchmark CSV header: %w", err)
	}
	col := map[string]int{}
	for i, name := range header {
		col[name] = i
	}
	for _, name := range []string{"test", "rps", "p50_latency_ms", "p99_latency_ms"} {
		if _, ok := col[name]; !ok {
			return nil, fmt.Errorf("redis-benchmark CSV header %q has no %q column", header, name)
		}
	}
	var results []result
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("redis-benchmark CSV: %w", err)
		}
		if len(rec) != len(header) {
			return nil, fmt.Errorf("redis-benchmark CSV line %d has %d fields, the header %d", line, len(rec), len(header))
		}
		res := result{test: rec[col["test"]]}
		fields := []struct {
			name string
			dst  *float64
		}{
			{"rps", &res.rps}, {"avg_latency_ms", &res.avg}, {"min_latency_ms", &res.min},
			{"p50_latency_ms", &res.p50}, {"p95_latency_ms", &res.p95}, {"p99_latency_ms", &res.p99},
			{"max_latency_ms", &res.max},
		}
		for _, f := range fields {
			i, ok := col[f.name]
			if !ok {
				continue
			}
			v, err := strconv.ParseFloat(rec[i], 64)
			if err != nil {
				return nil, fmt.Errorf("redis-benchmark CSV line %d, %s: %w", line, f.name, err)
			}
			*f.dst = v
		}
		results = append(results, res)
	}
	if len(results) == 0 {
		return nil, errors.New("redis-benchmark CSV has a header but no results")
	}
	return results, nil
}

// supportedTests returns the tests every server answers without an error,
// and a note for each test left out.
func supportedTests(ctx context.Context, tests []benchTest, servers ...*serverProc) (ok []benchTest, skipped []string, err error) {
	for _, t := range tests {
		var why []string
		for _, p := range servers {
			if t.user != nil {
				reason, err := probeUser(ctx, p, t)
				if err != nil {
					return nil, nil, err
				}
				if reason != "" {
					why = append(why, reason)
				}
				continue
			}
			for _, probe := range t.probe {
				_, err := p.do(ctx, probe...)
				var er errReply
				switch {
				case errors.As(err, &er):
					why = append(why, fmt.Sprintf("%s replies %q", p.name, shortError(er)))
				case err != nil:
					return nil, nil, fmt.Errorf("probing %s with %s: %w", p.name, probe[0], err)
				}
				if err != nil {
					break
				}
			}
		}
		if len(why) > 0 {
			skipped = append(skipped, fmt.Sprintf("%s: %s", strings.ToUpper(t.name), strings.Join(why, "; ")))
			continue
		}
		ok = append(ok, t)
	}
	return ok, skipped, nil
}

// runBenchmark runs redis-benchmark once against p: requests requests of
// the test, pipeline at a time. Rows that are preparation (droppedRows)
// are left out.
func runBenchmark(ctx context.Context, bin string, p *serverProc, o options, test benchTest, pipeline, requests int) ([]result, error) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	if test.drive != nil {
		res, err := test.drive(ctx, p.port, o.clients, pipeline, test.keyspace(o), requests)
		if err == nil {
			err = p.alive()
		}
		if err != nil {
			return nil, fmt.Errorf("%s against %s (pipeline %d): %w", test.name, p.name, pipeline, err)
		}
		return res, nil
	}
	port := p.port
	var tlsOptions []string
	if test.tls {
		port, tlsOptions = p.tlsPort, benchTLS.benchmarkOptions()
	}
	cmd := exec.CommandContext(ctx, bin, append(tlsOptions, test.args(port, p.unixPath(), o.clients, pipeline, test.keyspace(o), requests)...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err == nil {
		err = p.alive()
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("redis-benchmark %s against %s (pipeline %d): %w", test.name, p.name, pipeline, context.Cause(ctx))
		}
		out := strings.TrimSpace(stderr.String() + stdout.String())
		return nil, fmt.Errorf("redis-benchmark %s against %s (pipeline %d): %w\n%s", test.name, p.name, pipeline, err, out)
	}
	res, err := parseCSV(&stdout)
	if err != nil {
		return nil, fmt.Errorf("%s against %s (pipeline %d): %w\nredis-benchmark's error output:\n%s", test.name, p.name, pipeline, err, stderr.String())
	}
	res = dropPreparation(res)
	for i := range res {
		res[i].test += test.suffix
	}
	return res, nil
}

// dropPreparation leaves out the rows that are preparation (droppedRows).
func dropPreparation(res []result) []result {
	return slices.DeleteFunc(res, func(r result) bool { return droppedRows[r.test] })
}

// pair is one test's results on both servers in one repetition.
type pair struct{ redis, redoubt result }

// depthResults are the pairs of one pipeline depth, by test, in
// redis-benchmark's order.
type depthResults struct {
	pipeline int
	// requests is, by row, how many requests each run made.
	requests map[string]int
	order    []string
	pairs    map[string][]pair
	// floor holds the floor server's results of the PING tests, one per
	// repetition as pairs does (floor.go).
	floor map[string][]result
}

// throughputResults is what the throughput phase measured.
type throughputResults struct {
	depths  []*depthResults
	tests   []benchTest // the tests run
	skipped []string    // tests left out, and why
	threads string      // how many threads each server runs its code on
	elapsed time.Duration
	// quietWaited is the time spent waiting for other processes to
	// leave the CPUs.
	quietWaited time.Duration
	// otherCPU is, for each pair of runs, the share of the machine's CPU
	// that other processes used meanwhile; empty when /proc cannot tell.
	otherCPU []float64
}

// runThroughput starts a pair of servers and runs redis-benchmark against
// them, interleaved, o.reps times per pipeline depth.
func runThroughput(ctx context.Context, o options, t tools, dir string, progress func(string, ...any)) (*throughputResults, error) {
	start := time.Now()
	redis, redoubt, err := startPair(ctx, t, dir, o)
	if err != nil {
		return nil, err
	}
	defer redis.stop()
	defer redoubt.stop()
	var floor *serverProc
	if o.floor && slices.ContainsFunc(o.tests, func(t benchTest) bool { return t.name == "ping" }) {
		if floor, err = startFloor(ctx, dir, redoubt); err != nil {
			return nil, err
		}
		defer floor.stop()
	}
	servers := []*serverProc{redis, redoubt}
	if floor != nil {
		servers = append(servers, floor)
	}
	tr := &throughputResults{threads: fmt.Sprintf("Redis %s; Redoubt %s", redis.threads(ctx), redoubt.threads(ctx))}
	tr.tests, tr.skipped, err = supportedTests(ctx, o.tests, redis, redoubt)
	if err != nil {
		return nil, err
	}
	for _, s := range tr.skipped {
		progress("skipping %s", s)
	}
	if len(tr.tests) == 0 {
		return nil, errors.New("no test is supported by both servers")
	}
	if err := preloadBig(ctx, o, tr.tests, progress, redis, redoubt); err != nil {
		return nil, err
	}
	for _, pl := range o.pipelines {
		tr.depths = append(tr.depths, &depthResults{pipeline: pl, requests: map[string]int{}, pairs: map[string][]pair{}, floor: map[string][]result{}})
	}
	// The share of the CPUs others used during the last pair of runs; a
	// pair that follows a quiet one need not wait for quiet first.
	lastShare := 1.0
	// One test per redis-benchmark run, Redis then Redoubt (then the floor,
	// for PING), so that the runs of a repetition are seconds apart and
	// whatever else the machine does disturbs them alike.
	for rep := 1; rep <= o.reps; rep++ {
		for _, d := range tr.depths {
			t0 := time.Now()
			var others []float64
			for _, test := range tr.tests {
				if wait := min(o.quietWait, o.quietBudget-tr.quietWaited); wait > 0 && (lastShare < 0 || lastShare >= quietShare) {
					t0 := time.Now()
					share, err := waitQuiet(ctx, wait, servers...)
					if err != nil {
						return nil, err
					}
					tr.quietWaited += time.Since(t0)
					if share >= quietShare {
						progress("the machine is busy (other processes use %s of the CPUs); going on after waiting %v", formatPercent(share), wait)
					}
					if tr.quietWaited >= o.quietBudget {
						progress("waited %v for quiet in all (-quiet-budget): not waiting any more", o.quietBudget)
					}
				}
				snap0, snapOK := takeCPUSnapshot(servers...)
				n := test.requests(o, d.pipeline)
				a, err := runBenchmark(ctx, t.redisBenchmark, redis, o, test, d.pipeline, n)
				if err != nil {
					return nil, err
				}
				b, err := runBenchmark(ctx, t.redisBenchmark, redoubt, o, test, d.pipeline, n)
				if err != nil {
					return nil, err
				}
				if err := d.add(a, b); err != nil {
					return nil, err
				}
				for _, r := range a {
					d.requests[r.test] = n
				}
				var c []result
				if floor != nil && test.name == "ping" {
					if c, err = runBenchmark(ctx, t.redisBenchmark, floor, o, test, d.pipeline, n); err != nil {
						return nil, err
					}
					for _, r := range c {
						d.floor[r.test] = append(d.floor[r.test], r)
					}
				}
				share := -1.0
				lastShare = share
				if snap1, ok := takeCPUSnapshot(servers...); ok && snapOK {
					share = otherShare(snap0, snap1)
					tr.otherCPU = append(tr.otherCPU, share)
					others = append(others, share)
					lastShare = share
				}
				if o.verbose {
					for i := range a {
						progress("  %-16s Redis %10.0f req/s p50 %.3f p99 %.3f | Redoubt %10.0f req/s p50 %.3f p99 %.3f | others %s",
							a[i].test, a[i].rps, a[i].p50, a[i].p99, b[i].rps, b[i].p50, b[i].p99, formatPercent(share))
					}
					for _, r := range c {
						progress("  %-16s Floor %10.0f req/s p50 %.3f p99 %.3f", r.test, r.rps, r.p50, r.p99)
					}
				}
			}
			other := ""
			if len(others) > 0 {
				other = fmt.Sprintf("; other processes used %s of the CPUs at most", formatPercent(slices.Max(others)))
			}
			progress("repetition %d/%d, pipeline %d: done in %.1fs%s", rep, o.reps, d.pipeline, time.Since(t0).Seconds(), other)
		}
	}
	tr.elapsed = time.Since(start)
	return tr, nil
}

// add records one repetition; both runs must report the same tests.
func (d *depthResults) add(redis, redoubt []result) error {
	if len(redis) != len(redoubt) {
		return fmt.Errorf("pipeline %d: redis-benchmark reported %d tests for Redis, %d for Redoubt", d.pipeline, len(redis), len(redoubt))
	}
	for i := range redis {
		if redis[i].test != redoubt[i].test {
			return fmt.Errorf("pipeline %d: test %d is %q for Redis, %q for Redoubt", d.pipeline, i, redis[i].test, redoubt[i].test)
		}
		name := redis[i].test
		if _, seen := d.pairs[name]; !seen {
			d.order = append(d.order, name)
		}
		d.pairs[name] = append(d.pairs[name], pair{redis[i], redoubt[i]})
	}
	return nil
}

// preloadBig loads, into each server, the big values the tests work on.
func preloadBig(ctx context.Context, o options, tests []benchTest, progress func(string, ...any), servers ...*serverProc) error {
	var done []*shape
	for _, t := range tests {
		if t.big == nil || slices.Contains(done, t.big) {
			continue
		}
		done = append(done, t.big)
		for _, p := range servers {
			t0 := time.Now()
			if err := loadShape(ctx, p, t.big, o.elements); err != nil {
				return fmt.Errorf("preloading %s into %s: %w", t.big.shapeTitle(o.elements), p.name, err)
			}
			if c := checkShape(ctx, p, t.big, o.elements); c != "ok" {
				return fmt.Errorf("after preloading %s into %s: %s", t.big.shapeTitle(o.elements), p.name, c)
			}
			progress("preloaded %s into %s in %.1fs", t.big.shapeTitle(o.elements), p.name, time.Since(t0).Seconds())
		}
	}
	return nil
}
