package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// median returns the median of xs (the mean of the middle two for an even
// count), or NaN for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// ratioStats summarizes paired measurements: the median of the ratios
// b[i]/a[i] and their range. Pairs with a zero denominator are left out.
type ratioStats struct {
	median, min, max float64
	n                int
}

func pairedRatios(a, b []float64) ratioStats {
	var rs []float64
	for i := range min(len(a), len(b)) {
		if a[i] != 0 {
			rs = append(rs, b[i]/a[i])
		}
	}
	if len(rs) == 0 {
		return ratioStats{median: math.NaN(), min: math.NaN(), max: math.NaN()}
	}
	return ratioStats{median: median(rs), min: slices.Min(rs), max: slices.Max(rs), n: len(rs)}
}

// row is one test's line of a throughput table.
type row struct {
	test                 string
	redisRPS, redoubtRPS float64 // medians
	rps                  ratioStats
	redisP50, redoubtP50 float64 // medians, ms
	p50                  ratioStats
	redisP99, redoubtP99 float64 // medians, ms
	p99                  ratioStats
}

// column returns f of each of xs.
func column[T any](xs []T, f func(T) float64) []float64 {
	col := make([]float64, len(xs))
	for i, x := range xs {
		col[i] = f(x)
	}
	return col
}

func summarize(test string, pairs []pair) row {
	get := func(f func(pair) float64) []float64 { return column(pairs, f) }
	redisRPS, redoubtRPS := get(func(p pair) float64 { return p.redis.rps }), get(func(p pair) float64 { return p.redoubt.rps })
	redisP50, redoubtP50 := get(func(p pair) float64 { return p.redis.p50 }), get(func(p pair) float64 { return p.redoubt.p50 })
	redisP99, redoubtP99 := get(func(p pair) float64 { return p.redis.p99 }), get(func(p pair) float64 { return p.redoubt.p99 })
	return row{
		test:     test,
		redisRPS: median(redisRPS), redoubtRPS: median(redoubtRPS), rps: pairedRatios(redisRPS, redoubtRPS),
		redisP50: median(redisP50), redoubtP50: median(redoubtP50), p50: pairedRatios(redisP50, redoubtP50),
		redisP99: median(redisP99), redoubtP99: median(redoubtP99), p99: pairedRatios(redisP99, redoubtP99),
	}
}

// report is everything printed at the end.
type report struct {
	opts       options
	env        []string
	throughput *throughputResults
	pubsub     *pubsubResults
	memory     *memoryResults
	shapes     []shapeResult
	elapsed    time.Duration // the whole run
}

// Targets of issue 7 for every throughput cell: at least Redis's requests
// per second, and a p99 latency within 1.5× of Redis's.
const (
	targetRPS = 1.0
	targetP99 = 1.5
)

// verdict says whether a row meets the targets.
func verdict(rw row) string {
	switch {
	case math.IsNaN(rw.rps.median) || math.IsNaN(rw.p99.median):
		return "n/a"
	case rw.rps.median >= targetRPS && rw.p99.median <= targetP99:
		return "yes"
	}
	return "**no**"
}

// testNames lists the tests' names.
func testNames(tests []benchTest) string {
	var names []string
	for _, t := range tests {
		names = append(names, t.name)
	}
	return strings.Join(names, ", ")
}

func (r *report) write(w io.Writer) {
	o := r.opts
	fmt.Fprintf(w, "## Redoubt vs Redis\n\n")
	for _, line := range r.env {
		fmt.Fprintf(w, "- %s\n", line)
	}
	if tr := r.throughput; tr != nil {
		fmt.Fprintf(w, "\nThroughput: `redis-benchmark -c %d -P <depth> -r %d -n <requests> --csv -t <test>` for each of %s "+
			"(the *-big tests run their command instead of -t, with -r %d, on values of %s elements loaded beforehand), "+
			"run against Redis then Redoubt, %s in turn; each figure is the median over the repetitions, "+
			"and each ratio (Redoubt/Redis) the median of the per-repetition ratios, with their range. "+
			"req/s: higher is better; latency ratios: lower is better. Target: req/s ratio ≥ %.1f× and p99 ratio ≤ %.1f×. Took %.0fs.\n",
			o.clients, o.keyspace, testNames(tr.tests), o.elements, groupDigits(o.elements), plural(o.reps, "time"),
			targetRPS, targetP99, tr.elapsed.Seconds())
		if slices.ContainsFunc(tr.tests, func(t benchTest) bool { return t.user != nil }) {
			fmt.Fprintf(w, "\nThe *-acl tests run their command as ACL user %s, created with ACL SETUSER on both servers "+
				"(redis-benchmark --user %s -a …), on the keys and values of -t set and get.\n", aclBenchUser.describe(), aclBenchUser.name)
		}
		if len(tr.otherCPU) > 0 {
			fmt.Fprintf(w, "\nOther processes on the machine used %s of its CPU time during the median pair of runs, %s at most; waiting for them to leave the CPUs took %.0fs.",
				formatPercent(median(tr.otherCPU)), formatPercent(slices.Max(tr.otherCPU)), tr.quietWaited.Seconds())
			if slices.Max(tr.otherCPU) > noisyShare {
				fmt.Fprintf(w, " **The machine was not quiet: figures from this run are noisier than the ranges suggest; rerun when it is idle.**")
			}
			fmt.Fprintln(w)
		}
		if len(tr.skipped) > 0 {
			fmt.Fprintf(w, "\nNot run, because a server does not implement them:\n\n")
			for _, s := range tr.skipped {
				fmt.Fprintf(w, "- %s\n", s)
			}
		}
		floorShown := false
		for _, d := range tr.depths {
			fmt.Fprintf(w, "\n### Pipeline %d (%d clients, %s)\n\n", d.pipeline, o.clients, plural(o.reps, "repetition"))
			fmt.Fprintln(w, "| test | requests | Redis req/s | Redoubt req/s | ratio (range) | p50 ms Redis | p50 ms Redoubt | p50 ratio | p99 ms Redis | p99 ms Redoubt | p99 ratio | target |")
			fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
			met := 0
			for _, test := range d.order {
				rw := summarize(test, d.pairs[test])
				if verdict(rw) == "yes" {
					met++
				}
				fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %.3f | %.3f | %s | %.3f | %.3f | %s | %s |\n",
					label(test), groupDigits(d.requests[test]), formatRPS(rw.redisRPS), formatRPS(rw.redoubtRPS), formatRatioRange(rw.rps),
					rw.redisP50, rw.redoubtP50, formatRatio(rw.p50.median),
					rw.redisP99, rw.redoubtP99, formatRatio(rw.p99.median), verdict(rw))
			}
			fmt.Fprintf(w, "\n%d of %d rows meet the target.\n", met, len(d.order))
			writeACLComparisons(w, d.aclComparisons(tr.tests))
			d.writeFloor(w, !floorShown)
			floorShown = floorShown || len(d.floor) > 0
		}
	}
	if r.pubsub != nil {
		r.pubsub.write(w, o.reps)
	}
	if m := r.memory; m != nil {
		fmt.Fprintf(w, "\n### Memory: %s keys of 16 bytes with 16-byte values (SET, pipelined %d at a time)\n\n",
			groupDigits(m.keys), loadBatch)
		fmt.Fprintln(w, "| server | RSS at start | RSS loaded | bytes/key (RSS) | bytes/key (used_memory) | load time | DBSIZE | spot check |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---|")
		for _, s := range []struct {
			name string
			f    memoryFigures
		}{{"Redis", m.redis}, {"Redoubt", m.redoubt}} {
			used := "n/a"
			if u := s.f.usedPerKey(m.keys); !math.IsNaN(u) {
				used = fmt.Sprintf("%.1f", u)
			}
			fmt.Fprintf(w, "| %s | %s | %s | %.1f | %s | %.2fs | %s | %s |\n", s.name,
				formatBytes(s.f.rssBefore), formatBytes(s.f.rssAfter), s.f.perKey(m.keys), used,
				s.f.loadTime.Seconds(), s.f.dbsize, s.f.check)
		}
		fmt.Fprintf(w, "\nThe resident set is measured from /proc/<pid>/status (VmRSS) after start-up and again once it "+
			"holds still after the load; used_memory is INFO memory's, where the server reports it. "+
			"Redoubt/Redis bytes per key (RSS growth): %s; RSS loaded: %s.\n",
			formatRatio(m.redoubt.perKey(m.keys)/m.redis.perKey(m.keys)),
			formatRatio(float64(m.redoubt.rssAfter)/float64(m.redis.rssAfter)))
	}
	if len(r.shapes) > 0 {
		writeShapes(w, r.shapes)
	}
	if r.elapsed > 0 {
		fmt.Fprintf(w, "\nThe whole run took %.0fs.\n", r.elapsed.Seconds())
	}
}

// writeFloor prints the floor server's PING figures of one depth, if it
// ran, beside Redis's and Redoubt's from the same repetitions; explain says
// whether to explain what the floor is.
func (d *depthResults) writeFloor(w io.Writer, explain bool) {
	var tests []string
	for _, test := range d.order {
		if len(d.floor[test]) > 0 {
			tests = append(tests, test)
		}
	}
	if len(tests) == 0 {
		return
	}
	if !explain {
		fmt.Fprintf(w, "\nThe floor:\n\n")
	} else {
		fmt.Fprintf(w, "\nThe floor, run third in each repetition: a bare Go server (a goroutine per connection, "+
			"Redoubt's RESP reader, +PONG for each command; no command table, no store) on the same number of threads as Redoubt. "+
			"What Redoubt shares with it is the cost of Go's runtime and network poller, not of Redoubt's request path.\n\n")
	}
	fmt.Fprintln(w, "| test | floor req/s | floor/Redis | Redoubt/floor | p99 ms floor | p99 floor/Redis | p99 Redoubt/floor |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	for _, test := range tests {
		n := min(len(d.floor[test]), len(d.pairs[test]))
		fl, pairs := d.floor[test][:n], d.pairs[test][:n]
		redisRPS, redoubtRPS := column(pairs, func(p pair) float64 { return p.redis.rps }), column(pairs, func(p pair) float64 { return p.redoubt.rps })
		redisP99, redoubtP99 := column(pairs, func(p pair) float64 { return p.redis.p99 }), column(pairs, func(p pair) float64 { return p.redoubt.p99 })
		floorRPS, floorP99 := column(fl, func(r result) float64 { return r.rps }), column(fl, func(r result) float64 { return r.p99 })
		fmt.Fprintf(w, "| %s | %s | %s | %s | %.3f | %s | %s |\n", label(test), formatRPS(median(floorRPS)),
			formatRatio(pairedRatios(redisRPS, floorRPS).median), formatRatio(pairedRatios(floorRPS, redoubtRPS).median),
			median(floorP99), formatRatio(pairedRatios(redisP99, floorP99).median), formatRatio(pairedRatios(floorP99, redoubtP99).median))
	}
}

// noisyShare is the share of CPU time used by other processes above which a
// run is flagged as disturbed.
const noisyShare = 0.05

func formatRPS(x float64) string {
	switch {
	case math.IsNaN(x):
		return "n/a"
	case x >= 1e6:
		return fmt.Sprintf("%.2fM", x/1e6)
	default:
		return fmt.Sprintf("%.1fk", x/1e3)
	}
}

func formatRatio(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", x)
}

func formatRatioRange(s ratioStats) string {
	if s.n < 2 {
		return formatRatio(s.median)
	}
	return fmt.Sprintf("**%s** (%.2f–%.2f)", formatRatio(s.median), s.min, s.max)
}

// groupDigits prints n with thousands separators.
func groupDigits(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// plural returns "1 repetition" or "5 repetitions".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// writeShapes prints the memory table of the collection shapes.
func writeShapes(w io.Writer, shapes []shapeResult) {
	fmt.Fprintf(w, "\n### Memory per element: collections, each shape loaded into a fresh server (pipelined)\n\n")
	fmt.Fprintln(w, "| shape | elements | Redis B/elem | Redoubt B/elem | ratio | Redis B/elem (used_memory) | Redoubt B/elem (used_memory) | Redis RSS loaded | Redoubt RSS loaded | load s Redis | load s Redoubt | check Redis | check Redoubt |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
	for _, r := range shapes {
		n := r.shape.elements(r.n)
		a, b := r.redis.perElement(n), r.redoubt.perElement(n)
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			r.shape.shapeTitle(r.n), groupDigits(n), formatPerElement(a), formatPerElement(b), formatRatio(b/a),
			formatPerElement(r.redis.usedPerElement(n)), formatPerElement(r.redoubt.usedPerElement(n)),
			r.redis.rssLoaded(), r.redoubt.rssLoaded(), r.redis.loadSeconds(), r.redoubt.loadSeconds(),
			r.redis.verdict(), r.redoubt.verdict())
	}
	fmt.Fprintf(w, "\nB/elem is the growth of the resident set (VmRSS) from the empty server to the loaded one, once it holds still, "+
		"divided by the elements (fields, members or items; keys are not counted apart). Ratio: Redoubt/Redis, lower is better; target ≤ %.1f×.\n", targetMemory)
	var missing []string
	for _, r := range shapes {
		for _, f := range []struct {
			name string
			f    shapeFigures
		}{{"Redis", r.redis}, {"Redoubt", r.redoubt}} {
			if f.f.missing != "" {
				missing = append(missing, fmt.Sprintf("%s, %s: %s", r.shape.name, f.name, f.f.missing))
			}
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(w, "\nNot loaded:\n\n")
		for _, m := range missing {
			fmt.Fprintf(w, "- %s\n", m)
		}
	}
}

// targetMemory is issue 7's target for memory per element, as a ratio to
// Redis's.
const targetMemory = 1.2

func formatPerElement(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%.1f", x)
}

func (f shapeFigures) rssLoaded() string {
	if f.missing != "" {
		return "n/a"
	}
	return formatBytes(f.rssAfter)
}

func (f shapeFigures) loadSeconds() string {
	if f.missing != "" {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", f.loadTime.Seconds())
}

func (f shapeFigures) verdict() string {
	if f.missing != "" {
		return "not loaded"
	}
	return f.check
}

// writeACLComparisons shows, for the rows run as an ACL user, their
// throughput as a share of the default user's on the same server.
func writeACLComparisons(w io.Writer, cs []aclComparison) {
	if len(cs) == 0 {
		return
	}
	fmt.Fprintf(w, "\nAs an ACL user, req/s as a share of the same command's as the default user on the same server "+
		"(median of the per-repetition ratios, with their range; target for Redoubt: ≥ %s):\n\n", formatPercent(targetACL))
	fmt.Fprintln(w, "| test | default-user row | Redis | Redoubt | target |")
	fmt.Fprintln(w, "|---|---|---:|---:|---|")
	for _, c := range cs {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", label(c.test), label(c.baseline),
			formatShareRange(c.redis), formatShareRange(c.redoubt), c.verdict())
	}
}

// formatShareRange shows a ratio as a percentage with its range.
func formatShareRange(r ratioStats) string {
	if math.IsNaN(r.median) {
		return "n/a"
	}
	pct := func(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) }
	return fmt.Sprintf("%s (%s–%s)", pct(r.median), pct(r.min), pct(r.max))
}
