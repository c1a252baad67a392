package server

import (
	"math"
	"math/bits"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// Statistics behind INFO that the rest of the server does not keep:
// instantaneous rates, the memory peak, per-command latency histograms and
// the set of blocked connections; and resetStats, which zeroes what CONFIG
// RESETSTAT zeroes. cmd_info.go documents how each INFO field is computed.
//
// A note on units: commandStats.nanos holds nanoseconds; INFO converts to
// microseconds when it prints, which keeps usec_per_call meaningful for
// commands faster than 1µs.

// infoState is the Server's share of INFO state. Its two mutexes are
// leaves: nothing else is locked while one is held (blockMu may be taken
// with connsMu held).
type infoState struct {
	replID     string // master_replid: random, fixed for the server's life
	startupMem uint64 // used_memory once the server was set up
	peakMem    atomic.Uint64

	// mu guards the instantaneous metrics, sampled by the cron and read
	// by INFO.
	mu         sync.Mutex
	lastSample int64 // Unix ms of the last sample
	metrics    [numInstMetrics]instMetric

	// blockMu guards blocked.
	blockMu sync.Mutex
	// blocked holds the connections parked in a blocking command (WAIT),
	// each with whether its block has a timeout.
	blocked map[*client]bool
}

// Instantaneous metrics, as Redis's STATS_METRIC_*.
const (
	metricCommands = iota
	metricNetInput
	metricNetOutput
	numInstMetrics
)

const (
	// instSamples is how many samples an instantaneous metric averages,
	// as Redis's STATS_METRIC_SAMPLES.
	instSamples = 16
	// samplePeriod is how often the cron samples, as Redis's
	// run_with_period(100) in serverCron.
	samplePeriod = 100 // ms
)

// instMetric is a rate averaged over the last instSamples samples, as
// Redis's trackInstantaneousMetric.
type instMetric struct {
	lastTime, lastCount int64
	samples             [instSamples]float64
	idx                 int
}

func (m *instMetric) track(nowMs, count int64) {
	if m.lastTime != 0 && nowMs > m.lastTime {
		m.samples[m.idx] = float64(count-m.lastCount) * 1000 / float64(nowMs-m.lastTime)
		m.idx = (m.idx + 1) % instSamples
	}
	m.lastTime, m.lastCount = nowMs, count
}

func (m *instMetric) rate() float64 {
	var sum float64
	for _, v := range m.samples {
		sum += v
	}
	return sum / instSamples
}

// initStats records what INFO compares against later: the memory in use
// once the server is set up, and a replication id.
func (s *Server) initStats() {
	s.info.replID = newRunID()
	s.info.blocked = map[*client]bool{}
	used := heapObjectBytes()
	s.info.startupMem = used
	s.info.peakMem.Store(used)
}

// sampleStats is called by the cron: every samplePeriod it samples the
// instantaneous metrics and the memory peak.
func (s *Server) sampleStats() {
	nowMs := time.Now().UnixMilli()
	s.info.mu.Lock()
	if nowMs-s.info.lastSample < samplePeriod {
		s.info.mu.Unlock()
		return
	}
	s.info.lastSample = nowMs
	s.info.metrics[metricCommands].track(nowMs, s.totalCalls())
	s.info.metrics[metricNetInput].track(nowMs, s.stats.netInput.Load())
	s.info.metrics[metricNetOutput].track(nowMs, s.stats.netOutput.Load())
	s.info.mu.Unlock()
	s.notePeakMemory(heapObjectBytes())
}

// instantaneous returns the current rate of metric m, per second.
func (s *Server) instantaneous(m int) float64 {
	s.info.mu.Lock()
	defer s.info.mu.Unlock()
	return s.info.metrics[m].rate()
}

func (s *Server) notePeakMemory(used uint64) {
	for {
		peak := s.info.peakMem.Load()
		if used <= peak || s.info.peakMem.CompareAndSwap(peak, used) {
			return
		}
	}
}

// setBlocked records that c entered (on) or left a blocking command, and
// whether the block has a timeout, for CLIENT LIST's 'b' flag and INFO's
// blocked_clients and clients_in_timeout_table.
func (st *infoState) setBlocked(c *client, on, timed bool) {
	st.blockMu.Lock()
	if on {
		st.blocked[c] = timed
	} else {
		delete(st.blocked, c)
	}
	st.blockMu.Unlock()
}

func (st *infoState) isBlocked(c *client) bool {
	st.blockMu.Lock()
	_, ok := st.blocked[c]
	st.blockMu.Unlock()
	return ok
}

// blockedCounts returns the number of blocked connections and how many of
// them have a timeout.
func (st *infoState) blockedCounts() (blocked, timed int) {
	st.blockMu.Lock()
	defer st.blockMu.Unlock()
	for _, t := range st.blocked {
		if t {
			timed++
		}
	}
	return len(st.blocked), timed
}

// totalCalls is total_commands_processed: the calls of every command.
func (s *Server) totalCalls() int64 {
	var n int64
	for i := range s.cmdStats {
		n += s.cmdStats[i].calls.Load()
	}
	return n
}

// resetStats zeroes what Redis's CONFIG RESETSTAT zeroes: the server
// counters (resetServerStats), every command's statistics and latency
// histogram (resetCommandTableStats), the error counters
// (resetErrorTableStats) and the keyspace counters. As in Redis, the start
// time and the memory peak stay.
func (s *Server) resetStats() {
	for i := range s.cmdStats {
		st := &s.cmdStats[i]
		st.calls.Store(0)
		st.nanos.Store(0)
		st.rejected.Store(0)
		st.failed.Store(0)
		st.latency.Store(nil)
	}
	s.stats.connections.Store(0)
	s.stats.rejectedConns.Store(0)
	s.stats.netInput.Store(0)
	s.stats.netOutput.Store(0)
	s.stats.errorReplies.Store(0)
	s.stats.clientQueryLimit.Store(0)
	s.stats.clientOutputLimit.Store(0)
	for i := range s.aclLog.denied {
		s.aclLog.denied[i].Store(0)
	}
	s.thr.resetStats()
	s.stats.errMu.Lock()
	s.stats.errorCodes = map[string]int64{}
	s.stats.errMu.Unlock()
	s.store.ResetStats()
	s.info.mu.Lock()
	s.info.metrics = [numInstMetrics]instMetric{}
	s.info.mu.Unlock()
}

// Latency histograms (INFO latencystats). Each bucket counts durations in
// nanoseconds with about 3% precision: below 64ns one bucket per value,
// above that 32 buckets per power of two. Values are clamped to [1ns, 1s],
// the range of Redis's histogram, so there are a fixed number of buckets.
const (
	latSubBits = 5
	latSub     = 1 << latSubBits
	latMaxNs   = 1_000_000_000
	latMaxBits = 30 // bits.Len64(latMaxNs)
	latBuckets = (latMaxBits-(latSubBits+1))*latSub + 2*latSub
)

// latencyHist is one command's latency histogram. It is allocated at the
// command's first call and updated without locks.
type latencyHist struct {
	counts [latBuckets]atomic.Int64
}

// recordLatency adds n calls of duration d to the command's latency
// histogram.
func (st *commandStats) recordLatency(d time.Duration, n int64) {
	h := st.latency.Load()
	if h == nil {
		h = new(latencyHist)
		if !st.latency.CompareAndSwap(nil, h) {
			h = st.latency.Load()
		}
	}
	v := uint64(min(max(int64(d), 1), latMaxNs))
	h.counts[latBucket(v)].Add(n)
}

// latBucket returns the bucket of v nanoseconds.
func latBucket(v uint64) int {
	shift := max(bits.Len64(v)-(latSubBits+1), 0)
	return shift*latSub + int(v>>shift)
}

// latBucketTop returns the largest value bucket i holds, which is what
// Redis's histogram reports for a percentile (its highest equivalent value).
func latBucketTop(i int) uint64 {
	if i < 2*latSub {
		return uint64(i)
	}
	shift := i/latSub - 1
	top := uint64(i - shift*latSub)
	return (top+1)<<shift - 1
}

// percentiles returns the values, in microseconds, below which the given
// percentages of the recorded durations fall.
func (h *latencyHist) percentiles(ps ...float64) []float64 {
	var counts [latBuckets]int64
	var total int64
	for i := range h.counts {
		counts[i] = h.counts[i].Load()
		total += counts[i]
	}
	out := make([]float64, len(ps))
	for j, p := range ps {
		rank := max(int64(p/100*float64(total)+0.5), 1)
		var cum int64
		for i, n := range counts {
			cum += n
			if cum >= rank {
				out[j] = float64(latBucketTop(i)) / 1000
				break
			}
		}
	}
	return out
}

// memStats are the Go runtime's memory figures INFO memory is built from.
type memStats struct {
	used     uint64 // bytes in heap objects, live or not yet swept
	active   uint64 // bytes of heap spans in use: objects and the gaps between them
	resident uint64 // bytes the runtime has mapped and not returned to the OS
	rss      uint64 // the process's resident set size, from the OS when it says
}

var memMetrics = []string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/total:bytes",
	"/memory/classes/heap/released:bytes",
}

// heapObjectBytes returns used_memory alone, cheaply enough for the cron.
func heapObjectBytes() uint64 {
	sample := [1]metrics.Sample{{Name: memMetrics[0]}}
	metrics.Read(sample[:])
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return sample[0].Value.Uint64()
}

// readMemStats reads the runtime's memory metrics. Unlike
// runtime.ReadMemStats it does not stop the world.
func readMemStats() memStats {
	samples := make([]metrics.Sample, len(memMetrics))
	for i, name := range memMetrics {
		samples[i].Name = name
	}
	metrics.Read(samples)
	v := func(i int) uint64 {
		if samples[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return samples[i].Value.Uint64()
	}
	m := memStats{used: v(0), active: v(0) + v(1), resident: v(2) - min(v(3), v(2))}
	m.rss = processRSS()
	if m.rss == 0 {
		m.rss = m.resident
	}
	return m
}

// ratio returns a/b, or 0 when b is 0.
func ratio(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// diff returns a-b as a signed number.
func diff(a, b uint64) int64 {
	if a >= b {
		return int64(min(a-b, math.MaxInt64))
	}
	return -int64(min(b-a, math.MaxInt64))
}
