package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// cpuSnapshot is a reading of the machine's CPU time and of the CPU time of
// the processes a run consists of (this tool, its finished children such as
// redis-benchmark, and the servers), in clock ticks.
type cpuSnapshot struct {
	total, busy int64 // all CPUs: every state, and every state but idle and iowait
	ours        int64
}

// takeCPUSnapshot reads /proc. ok is false where /proc is unavailable.
func takeCPUSnapshot(servers ...*serverProc) (s cpuSnapshot, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	if len(fields) < 5 || fields[0] != "cpu" {
		return s, false
	}
	for i, f := range fields[1:] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return s, false
		}
		// guest and guest_nice (fields 9 and 10) are already counted in
		// user and nice.
		if i >= 8 {
			break
		}
		s.total += n
		if i != 3 && i != 4 { // idle, iowait
			s.busy += n
		}
	}
	// Our own time includes the children we have waited for
	// (redis-benchmark); the servers are still running, so they are read
	// directly.
	self, ok := procCPU("self", true)
	if !ok {
		return s, false
	}
	s.ours = self
	for _, p := range servers {
		n, ok := procCPU(strconv.Itoa(p.pid()), false)
		if !ok {
			return s, false
		}
		s.ours += n
	}
	return s, true
}

// procCPU returns a process's user and system time from /proc/<pid>/stat,
// with that of its waited-for children if children is set.
func procCPU(pid string, children bool) (int64, bool) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name, in parentheses, may contain spaces.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	// After the name: state is f[0], so utime (field 14) is f[11].
	last := 12
	if children {
		last = 14
	}
	if len(f) <= last {
		return 0, false
	}
	var sum int64
	for _, s := range f[11 : last+1] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, false
		}
		sum += n
	}
	return sum, true
}

// otherShare returns the share of the machine's CPU capacity that processes
// other than ours used between a and b, in [0, 1].
func otherShare(a, b cpuSnapshot) float64 {
	total := b.total - a.total
	if total <= 0 {
		return 0
	}
	other := (b.busy - a.busy) - (b.ours - a.ours)
	return min(max(float64(other)/float64(total), 0), 1)
}

func formatPercent(x float64) string { return fmt.Sprintf("%.0f%%", 100*x) }

// quietShare is the share of the machine's CPU other processes may use for
// it to count as quiet.
const quietShare = 0.10

// waitQuiet waits, for at most limit, until other processes have used less
// than quietShare of the machine's CPU over half a second, so that a
// repetition starts on a quiet machine if the machine becomes quiet. It
// returns the share last seen; -1 if /proc cannot tell.
func waitQuiet(ctx context.Context, limit time.Duration, servers ...*serverProc) (float64, error) {
	deadline := time.Now().Add(limit)
	for {
		a, ok := takeCPUSnapshot(servers...)
		if !ok {
			return -1, nil
		}
		if err := sleep(ctx, 500*time.Millisecond); err != nil {
			return 0, err
		}
		b, ok := takeCPUSnapshot(servers...)
		if !ok {
			return -1, nil
		}
		share := otherShare(a, b)
		if share < quietShare || !time.Now().Before(deadline) {
			return share, nil
		}
	}
}
