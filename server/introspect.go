package server

import (
	"sync"
	"sync/atomic"
	"time"
)

// Introspection: what the server tells about the commands it runs, as
// Redis's call() does after each command: MONITOR (monitor.go), SLOWLOG
// (slowlog.go) and the latency monitor's command events (latency.go).
//
// The dispatcher calls afterCall once per call, after the command ran. What
// it costs when nothing is on (no monitor, slowlog-log-slower-than -1,
// latency-monitor-threshold 0) is one atomic load and a branch. When the slow
// log or the latency monitor is on, every call must have its own duration:
// slow commands have it already (client.call times each of their calls);
// a run of fast commands, which the dispatcher times as a whole, is then timed
// call by call, the end of one call being the start of the next, so N calls
// cost N clock reads. A call well under the thresholds costs nothing more
// than that read and two compares: no lock, no allocation.

// Bits of introState.on.
const (
	introMonitor = 1 << iota // at least one client is in MONITOR
	introSlowlog             // slowlog-log-slower-than >= 0
	introLatency             // latency-monitor-threshold > 0
)

// introState is the Server's share of introspection.
type introState struct {
	// on says what afterCall has to do, as introMonitor | introSlowlog |
	// introLatency.
	on atomic.Int32

	// Thresholds, in microseconds for the slow log and milliseconds for
	// the latency monitor, as their directives say.
	slowerThan atomic.Int64
	latencyMs  atomic.Int64

	// monMu guards monitors, the clients in MONITOR; monList points to
	// it for feeders, which read it without the lock (it is replaced,
	// never changed in place).
	monMu    sync.Mutex
	monitors []*client
	monList  atomic.Pointer[[]*client]
	// monGen counts the times monitoring started (the first monitor
	// came): a blocked command shown before it blocked (feedBeforeBlock)
	// is not shown again by afterCall in the same generation.
	monGen atomic.Uint64

	slow slowlog
	lat  latencyMonitor
}

// setBit sets or clears bit in on.
func (st *introState) setBit(bit int32, set bool) {
	for {
		old := st.on.Load()
		v := old &^ bit
		if set {
			v |= bit
		}
		if st.on.CompareAndSwap(old, v) {
			return
		}
	}
}

// applyIntrospectConfig takes the introspection directives from cfg (New and
// CONFIG SET).
func (s *Server) applyIntrospectConfig(cfg *Config) {
	in := &s.intro
	slower := cfg.slowlogSlowerThan()
	in.slowerThan.Store(slower)
	in.slow.setMaxLen(cfg.slowlogMaxLen())
	in.latencyMs.Store(cfg.LatencyMonitorThreshold)
	in.setBit(introSlowlog, slower >= 0)
	in.setBit(introLatency, cfg.LatencyMonitorThreshold > 0)
}

// afterCall is the dispatcher's hook after each call of cmd with args: it
// feeds the monitors, and logs the call to the slow log and the latency
// monitor when they are on.
func (c *client) afterCall(cmd *command, args [][]byte) {
	if c.s.intro.on.Load() != 0 {
		c.introspectCall(cmd, args)
	}
}

// introspectCall is afterCall's work when something is on.
func (c *client) introspectCall(cmd *command, args [][]byte) {
	on := c.s.intro.on.Load()
	if on&introMonitor != 0 && cmd.Flags&(flagSkipMonitor|flagAdmin) == 0 {
		if fed := c.monitorFed; fed == 0 || fed != c.s.intro.monGen.Load() {
			c.s.feedMonitors(c, cmd, args)
		}
	}
	c.monitorFed = 0
	if on&(introSlowlog|introLatency) == 0 {
		return
	}
	var d time.Duration
	if cmd.Flags&flagFast == 0 {
		d = c.run.callTime
	} else {
		now := time.Since(c.created)
		d = now - c.run.callStart
		c.run.callStart = now
	}
	in := &c.s.intro
	us := int64(d / time.Microsecond)
	if on&introLatency != 0 {
		if ms, th := us/1000, in.latencyMs.Load(); th > 0 && ms >= th {
			event := "command"
			if cmd.Flags&flagFast != 0 {
				event = "fast-command"
			}
			in.lat.add(event, ms, c.s.unixNow())
		}
	}
	if on&introSlowlog != 0 && cmd.Flags&flagSkipSlowlog == 0 {
		if th := in.slowerThan.Load(); th >= 0 && us >= th {
			in.slow.push(c, cmd, args, us)
		} else if in.slow.overLen.Load() {
			in.slow.trimNow()
		}
	}
}

// unixNow is the current Unix time in seconds, as Redis's time(NULL).
func (s *Server) unixNow() int64 { return time.Now().Unix() }

// peerAddr is the client's address as MONITOR and SLOWLOG show it
// (Redis's getClientPeerId).
func peerAddr(c *client) string {
	if c.nc == nil {
		return addrString(nil)
	}
	return addrString(c.nc.RemoteAddr())
}
