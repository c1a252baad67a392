package server

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// LATENCY: the latency monitor of Redis's latency.c. Events ("command" and
// "fast-command", the calls of commands without and with the fast flag, and
// "expire-cycle") that take at least
// latency-monitor-threshold milliseconds are recorded, one sample per event
// and second (the worst of that second), in a history of latencyHistoryLen
// samples per event, with the worst ever seen. LATENCY HISTOGRAM reports the
// per-command histograms that INFO latencystats is computed from (stats.go).
//
// Redis also samples its background cycles (eviction, fork, AOF…), which
// Redoubt does not have, and its active expiry cycle ("expire-cycle"),
// which Redoubt runs in short store transactions of its own between which
// clients run: its sample is the time the cycle held the store's lock
// (store.LastExpireCycle), not the time it waited for clients' commands.

func init() {
	flags := flagAdmin | flagNoScript | flagLoading | flagStale
	allNodes := []string{"nondeterministic_output", "request_policy:all_nodes", "response_policy:special"}
	registerCommands(&command{Name: "latency", Arity: -2, Group: "server", Since: "2.8.13",
		Complexity: "Depends on subcommand.",
		Summary:    "Groups the commands of the latency monitor.",
		Subcommands: []*command{
			{Name: "doctor", Arity: 2, Flags: flags, Lock: lockNone,
				Group: "server", Since: "2.8.13", Complexity: "O(1)", Tips: allNodes,
				Summary: "Describes the latency events recorded, in words, with advice.",
				Run:     cmdLatencyDoctor},
			{Name: "graph", Arity: 3, Flags: flags, Lock: lockNone,
				Group: "server", Since: "2.8.13", Complexity: "O(1)", Tips: allNodes,
				Summary: "Draws the history of an event's latency as ASCII art.",
				Args:    []cmdArg{{Name: "event", Type: argTypeString}},
				Run:     cmdLatencyGraph},
			{Name: "help", Arity: 2, Flags: flagLoading | flagStale, Lock: lockNone,
				Group: "server", Since: "2.8.13", Complexity: "O(1)",
				Summary: "Lists the LATENCY subcommands.",
				Run:     cmdLatencyHelp},
			{Name: "histogram", Arity: -2, Flags: flags, Lock: lockNone,
				Group: "server", Since: "7.0.0",
				Complexity: "O(N) where N is the number of commands with latency information being retrieved.",
				Tips:       allNodes,
				Summary:    "Returns the cumulative distribution of the latencies of some commands, or of all.",
				Args:       []cmdArg{{Name: "command", Type: argTypeString, Flags: argOptional | argMultiple}},
				Run:        cmdLatencyHistogram},
			{Name: "history", Arity: 3, Flags: flags, Lock: lockNone,
				Group: "server", Since: "2.8.13", Complexity: "O(1)", Tips: allNodes,
				Summary: "Returns the samples recorded for an event, with their times.",
				Args:    []cmdArg{{Name: "event", Type: argTypeString}},
				Run:     cmdLatencyHistory},
			{Name: "latest", Arity: 2, Flags: flags, Lock: lockNone,
				Group: "server", Since: "2.8.13", Complexity: "O(1)", Tips: allNodes,
				Summary: "Returns the latest sample of every event.",
				Run:     cmdLatencyLatest},
			{Name: "reset", Arity: -2, Flags: flags, Lock: lockNone,
				Group: "server", Since: "2.8.13", Complexity: "O(1)",
				Tips:    []string{"request_policy:all_nodes", "response_policy:all_succeeded"},
				Summary: "Forgets the samples of some events, or of all.",
				Args:    []cmdArg{{Name: "event", Type: argTypeString, Flags: argOptional | argMultiple}},
				Run:     cmdLatencyReset},
		}})
}

// latencyHistoryLen is how many samples an event keeps (LATENCY_TS_LEN).
const latencyHistoryLen = 160

const msgLatencyNoSamples = "ERR No samples available for event '%s'"

type latencySample struct {
	unix, ms int64
}

// latencySeries is one event's history: a ring of samples, the next one
// going at idx, and the worst latency since the event was created.
type latencySeries struct {
	name    string
	samples [latencyHistoryLen]latencySample
	idx     int
	max     int64
}

// latencyMonitor holds the events in the order they were first seen.
type latencyMonitor struct {
	mu     sync.Mutex
	events []*latencySeries
}

// add records a latency of ms milliseconds for event at Unix time now, as
// Redis's latencyAddSample: a second's samples keep only the worst.
func (m *latencyMonitor) add(event string, ms, now int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ts *latencySeries
	for _, e := range m.events {
		if e.name == event {
			ts = e
			break
		}
	}
	if ts == nil {
		ts = &latencySeries{name: event}
		m.events = append(m.events, ts)
	}
	ts.max = max(ts.max, ms)
	prev := &ts.samples[(ts.idx+latencyHistoryLen-1)%latencyHistoryLen]
	if prev.unix == now {
		prev.ms = max(prev.ms, ms)
		return
	}
	ts.samples[ts.idx] = latencySample{now, ms}
	ts.idx = (ts.idx + 1) % latencyHistoryLen
}

// find returns a copy of the event's series, matched exactly, or nil.
func (m *latencyMonitor) find(event string) *latencySeries {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.events {
		if e.name == event {
			cp := *e
			return &cp
		}
	}
	return nil
}

// snapshot returns copies of every series.
func (m *latencyMonitor) snapshot() []latencySeries {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]latencySeries, len(m.events))
	for i, e := range m.events {
		out[i] = *e
	}
	return out
}

// reset drops the events named (ignoring case), or all with none named, and
// returns how many it dropped.
func (m *latencyMonitor) reset(names [][]byte) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if names == nil {
		n := len(m.events)
		m.events = nil
		return n
	}
	resets := 0
	for _, name := range names {
		// Redis compares C strings: a NUL ends the name.
		want := cString(name)
		kept := m.events[:0]
		for _, e := range m.events {
			if strings.EqualFold(e.name, want) {
				resets++
				continue
			}
			kept = append(kept, e)
		}
		clear(m.events[len(kept):])
		m.events = kept
	}
	return resets
}

// ordered calls f with the series' samples oldest first, skipping the
// empty places.
func (ts *latencySeries) ordered(f func(latencySample)) {
	for j := range latencyHistoryLen {
		s := ts.samples[(ts.idx+j)%latencyHistoryLen]
		if s.unix != 0 {
			f(s)
		}
	}
}

// sampleExpireCycle records the last active expiry cycle as the
// expire-cycle event, when the latency monitor is on and the cycle took
// at least its threshold. The cron calls it after each cycle.
func (s *Server) sampleExpireCycle() {
	th := s.intro.latencyMs.Load()
	if th == 0 {
		return
	}
	if ms := s.store.LastExpireCycle().Milliseconds(); ms >= th {
		s.intro.lat.add("expire-cycle", ms, s.unixNow())
	}
}

func cmdLatencyLatest(c *client, args [][]byte) {
	events := c.s.intro.lat.snapshot()
	c.WriteArray(len(events))
	for i := range events {
		ts := &events[i]
		last := ts.samples[(ts.idx+latencyHistoryLen-1)%latencyHistoryLen]
		c.WriteArray(4)
		c.WriteBulkString(ts.name)
		c.WriteInt(last.unix)
		c.WriteInt(last.ms)
		c.WriteInt(ts.max)
	}
}

func cmdLatencyHistory(c *client, args [][]byte) {
	ts := c.s.intro.lat.find(cString(args[2]))
	if ts == nil {
		c.WriteArray(0)
		return
	}
	var samples []latencySample
	ts.ordered(func(s latencySample) { samples = append(samples, s) })
	c.WriteArray(len(samples))
	for _, s := range samples {
		c.WriteArray(2)
		c.WriteInt(s.unix)
		c.WriteInt(s.ms)
	}
}

func cmdLatencyReset(c *client, args [][]byte) {
	var names [][]byte
	if len(args) > 2 {
		names = args[2:]
	}
	c.WriteInt(int64(c.s.intro.lat.reset(names)))
}

func cmdLatencyGraph(c *client, args [][]byte) {
	ts := c.s.intro.lat.find(cString(args[2]))
	if ts == nil {
		c.writeErrorReply(fmt.Sprintf(msgLatencyNoSamples, cString(args[2])))
		return
	}
	c.WriteVerbatim(latencyGraph(ts, c.s.unixNow()), "txt")
}

// Sparkline rendering, as Redis's LATENCY GRAPH draws it: four rows of
// three levels each, filled below the line, then the labels written
// downwards under their columns, 80 columns to a block.
const (
	graphCols     = 80
	graphRows     = 4
	graphLevels   = "_o#"
	graphLabelGap = 1
)

type graphPoint struct {
	value float64
	label string
}

// latencyGraph renders ts's samples, labelled with how long ago they were
// taken.
func latencyGraph(ts *latencySeries, now int64) string {
	var pts []graphPoint
	var lo, hi int64
	var vmin, vmax float64
	ts.ordered(func(s latencySample) {
		if len(pts) == 0 {
			lo, hi = s.ms, s.ms
			vmin, vmax = float64(s.ms), float64(s.ms)
		} else {
			lo, hi = min(lo, s.ms), max(hi, s.ms)
			vmin, vmax = min(vmin, float64(s.ms)), max(vmax, float64(s.ms))
		}
		ago := now - s.unix
		var label string
		switch {
		case ago < 60:
			label = strconv.FormatInt(ago, 10) + "s"
		case ago < 3600:
			label = strconv.FormatInt(ago/60, 10) + "m"
		case ago < 86400:
			label = strconv.FormatInt(ago/3600, 10) + "h"
		default:
			label = strconv.FormatInt(ago/86400, 10) + "d"
		}
		pts = append(pts, graphPoint{float64(s.ms), label})
	})
	var b strings.Builder
	fmt.Fprintf(&b, "%s - high %d ms, low %d ms (all time high %d ms)\n", ts.name, hi, lo, ts.max)
	b.WriteString(strings.Repeat("-", graphCols))
	b.WriteByte('\n')
	for j := 0; j < len(pts); j += graphCols {
		if j != 0 {
			b.WriteByte('\n')
		}
		renderGraph(&b, pts[j:min(j+graphCols, len(pts))], vmin, vmax)
	}
	return b.String()
}

// renderGraph draws one block of points scaled to [vmin, vmax].
func renderGraph(b *strings.Builder, pts []graphPoint, vmin, vmax float64) {
	span := vmax - vmin
	if span == 0 {
		span = 1
	}
	steps := len(graphLevels) * graphRows
	hasLabels := false
	for _, p := range pts {
		hasLabels = hasLabels || p.label != ""
	}
	line := make([]byte, len(pts))
	for row := 0; ; row++ {
		more := false
		for j := range line {
			line[j] = ' '
		}
		for j, p := range pts {
			step := int((p.value - vmin) * float64(steps) / span)
			step = min(max(step, 0), steps-1)
			if row < graphRows {
				more = true
				idx := step - (graphRows-row-1)*len(graphLevels)
				switch {
				case idx >= 0 && idx < len(graphLevels):
					line[j] = graphLevels[idx]
				case idx >= len(graphLevels):
					line[j] = '|'
				}
				continue
			}
			if hasLabels && row-graphRows < graphLabelGap {
				more = true
				break
			}
			if k := row - graphRows - graphLabelGap; k >= 0 && k < len(p.label) {
				more = true
				line[j] = p.label[k]
			}
		}
		if !more {
			return
		}
		b.Write(line)
		b.WriteByte('\n')
	}
}

func cmdLatencyDoctor(c *client, args [][]byte) {
	c.WriteVerbatim(c.s.latencyReport(), "txt")
}

// latencyReport is LATENCY DOCTOR's report, in our words, on the pattern of
// Redis's: each event with its statistics, then advice for the kinds of
// event seen.
func (s *Server) latencyReport() string {
	events := s.intro.lat.snapshot()
	threshold := s.intro.latencyMs.Load()
	if len(events) == 0 && threshold == 0 {
		return "Latency monitoring is disabled on this server, and no event was recorded while it was on. " +
			"Turn it on with \"CONFIG SET latency-monitor-threshold <milliseconds>\".\n"
	}
	if len(events) == 0 {
		return "No latency spike has been recorded since the monitor was turned on or last reset.\n"
	}
	now := s.unixNow()
	var b strings.Builder
	b.WriteString("Latency spikes were recorded on this server:\n\n")
	var slowCommands, fastCommands, expiry bool
	for i := range events {
		ts := &events[i]
		var n, sum, oldest int64
		ts.ordered(func(x latencySample) {
			n++
			sum += x.ms
			if oldest == 0 || x.unix < oldest {
				oldest = x.unix
			}
		})
		var avg, dev int64
		period := int64(1)
		if n > 0 {
			avg = sum / n
			ts.ordered(func(x latencySample) { dev += max(avg-x.ms, x.ms-avg) })
			dev /= n
			period = max(now-oldest, 1)
		}
		every := float64(period)
		if n > 0 {
			every /= float64(n)
		}
		fmt.Fprintf(&b, "%d. %s: %d spikes, %d ms on average (mean deviation %d ms), one every %.2f sec. Worst ever: %d ms.\n",
			i+1, ts.name, n, avg, dev, every, ts.max)
		switch ts.name {
		case "command":
			slowCommands = true
		case "fast-command":
			fastCommands = true
		case "expire-cycle":
			expiry = true
		}
	}
	b.WriteString("\nAdvice:\n\n")
	slower := s.intro.slowerThan.Load()
	if slowCommands {
		switch {
		case slower < 0:
			fmt.Fprintf(&b, "- Some commands were slow. Turn the slow log on to see which: CONFIG SET slowlog-log-slower-than %d.\n", threshold*1000)
		case slower/1000 > threshold:
			fmt.Fprintf(&b, "- The slow log only records commands slower than the latency threshold; to see the commands behind these spikes: CONFIG SET slowlog-log-slower-than %d.\n", threshold*1000)
		}
		b.WriteString("- SLOWLOG GET lists the slow commands: look for commands over big collections (KEYS, SMEMBERS, SORT, ranges without a limit).\n")
		b.WriteString("- Deleting or expiring a very big value takes time: split big values, or use UNLINK to free them in the background.\n")
	}
	if fastCommands {
		b.WriteString("- Commands that should take a constant, short time were slow: the machine is probably not giving the server enough CPU (load, noisy neighbours, CPU limits).\n")
	}
	if expiry {
		b.WriteString("- Expiring many keys at once was slow: expiring keys more evenly, or a higher hz, spreads the work.\n")
	}
	if !slowCommands && !fastCommands && !expiry {
		b.WriteString("- No specific advice for these events.\n")
	}
	return b.String()
}

func cmdLatencyHistogram(c *client, args [][]byte) {
	type entry struct {
		name string
		h    *latencyHist
	}
	var out []entry
	add := func(cmd *command) {
		if h := c.s.cmdStats[cmd.id].latency.Load(); h != nil {
			out = append(out, entry{cmd.fullName, h})
		}
	}
	var walk func(cmds []*command)
	walk = func(cmds []*command) {
		for _, cmd := range cmds {
			add(cmd)
			walk(cmd.Subcommands)
		}
	}
	if len(args) == 2 {
		walk(commands.list)
	} else {
		for _, a := range args[2:] {
			cmd := lookupFullName(string(a))
			if cmd == nil {
				continue
			}
			add(cmd)
			for _, sub := range cmd.Subcommands {
				add(sub)
			}
		}
	}
	c.WriteMap(len(out))
	for _, e := range out {
		c.WriteBulkString(e.name)
		writeLatencyCDF(c, e.h)
	}
}

// writeLatencyCDF writes a command's histogram as Redis's fillCommandCDF: the
// number of calls, and for each power of two from 1024 ns (1 µs), reported
// in microseconds, the number of calls that took up to about that long,
// where that number grew.
func writeLatencyCDF(c *client, h *latencyHist) {
	var counts [latBuckets]int64
	var total int64
	for i := range h.counts {
		counts[i] = h.counts[i].Load()
		total += counts[i]
	}
	var pairs []int64
	var cum, prev int64
	i := 0
	for level := uint64(1024); cum < total; level *= 2 {
		// The calls up to level's bucket, as HdrHistogram's log
		// iterator counts them.
		top := latBucketTop(latBucket(level))
		for ; i < latBuckets && latBucketTop(i) <= top; i++ {
			cum += counts[i]
		}
		if cum > prev {
			pairs = append(pairs, int64(hdrTop(level)/1000), cum)
		}
		prev = cum
		if level > latMaxNs {
			break
		}
	}
	c.WriteMap(2)
	c.WriteBulkString("calls")
	c.WriteInt(total)
	c.WriteBulkString("histogram_usec")
	c.WriteMap(len(pairs) / 2)
	for _, v := range pairs {
		c.WriteInt(v)
	}
}

// hdrTop is the highest value HdrHistogram with two significant digits
// (Redis's LATENCY_HISTOGRAM_PRECISION) counts with v, a power of two from
// 1024: its buckets there are 1/128 of a power of two wide.
func hdrTop(v uint64) uint64 { return v + v/128 - 1 }

// lookupFullName finds a command by its full name ("get", "config|get"),
// ignoring case, as Redis's lookupCommandBySds.
func lookupFullName(name string) *command {
	parts := strings.SplitN(strings.ToLower(name), "|", 2)
	cmd := commands.byName[parts[0]]
	if cmd == nil || len(parts) == 1 {
		return cmd
	}
	return cmd.subs[parts[1]]
}

func cmdLatencyHelp(c *client, args [][]byte) { c.writeHelpReply(args[0], latencyHelp) }

// latencyHelp is the body of LATENCY HELP, as Redis 7.0 words it.
var latencyHelp = []string{
	"DOCTOR",
	"    Return a human readable latency analysis report.",
	"GRAPH <event>",
	"    Return an ASCII latency graph for the <event> class.",
	"HISTORY <event>",
	"    Return time-latency samples for the <event> class.",
	"LATEST",
	"    Return the latest latency samples for all events.",
	"RESET [<event> ...]",
	"    Reset latency data of one or more <event> classes.",
	"    (default: reset all data for all event classes)",
	"HISTOGRAM [COMMAND ...]",
	"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
	"    If no commands are specified then all histograms are replied.",
}
