package server

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// split turns a command line into arguments, on spaces.
func split(line string) [][]byte {
	var args [][]byte
	for _, f := range strings.Fields(line) {
		args = append(args, []byte(f))
	}
	return args
}

// cmdFor returns the table's command for a full name, or a bare command
// with that name for the commands that do not exist yet (ACL SETUSER,
// MIGRATE): redaction goes by the full name.
func cmdFor(t *testing.T, full string) *command {
	t.Helper()
	initCommands()
	if cmd := lookupFullName(full); cmd != nil {
		return cmd
	}
	return &command{Name: full, fullName: full}
}

// redactionCases are commands with the positions of their secrets.
var redactionCases = []struct {
	cmd, line string
	secret    []int
}{
	{"auth", "AUTH pw1", []int{1}},
	{"auth", "auth user1 pw1", []int{1, 2}},
	{"auth", "AUTH user1 pw1 extra1", []int{1, 2, 3}}, // Redis shows these: it fails first
	{"hello", "HELLO 3", nil},
	{"hello", "HELLO 3 AUTH user1 pw1", []int{3, 4}},
	{"hello", "HELLO 3 SETNAME auth AUTH user1 pw1", []int{5, 6}},
	{"hello", "hello 2 auth user1 pw1 auth user2 pw2", []int{3, 4, 6, 7}},
	{"hello", "HELLO 3 AUTH user1", nil}, // too few words: a syntax error, nothing secret
	{"hello", "HELLO x AUTH user1 pw1", []int{3, 4}},
	{"acl|setuser", "ACL SETUSER user1 on >pw1 ~*", []int{2, 3, 4, 5}},
	{"acl|getuser", "ACL GETUSER user1", nil},
	{"config|set", "CONFIG SET requirepass pw1", []int{3}},
	{"config|set", "CONFIG SET maxmemory 10 MASTERAUTH pw1 masteruser user1 hz 5", []int{5, 7}},
	{"config|set", "CONFIG SET hz requirepass", nil},
	{"config|set", "CONFIG SET requirepass", nil},
	{"config|set", "CONFIG SET tls-key-file-pass pw1", []int{3}},
	{"config|get", "CONFIG GET requirepass", nil},
	{"migrate", "MIGRATE h1 6379 k1 0 1000 AUTH pw1", []int{7}},
	{"migrate", "MIGRATE h1 6379 \"\" 0 1000 COPY REPLACE AUTH2 user1 pw1 KEYS auth pw9", []int{9, 10}},
	{"migrate", "MIGRATE h1 6379 k1 0 1000 auth", nil},
	{"set", "SET auth pw1", nil},
	{"get", "GET requirepass", nil},
}

func TestSecretArgs(t *testing.T) {
	for _, tc := range redactionCases {
		args := split(tc.line)
		secret := secretArgs(cmdFor(t, tc.cmd), args)
		var got []int
		for i, s := range secret {
			if s {
				got = append(got, i)
			}
		}
		if !slices.Equal(got, tc.secret) {
			t.Errorf("%s: secret arguments %v, want %v", tc.line, got, tc.secret)
		}
		if tc.secret == nil && secret != nil {
			t.Errorf("%s: allocated a mask with no secret", tc.line)
		}
	}
	set, args := cmdFor(t, "set"), split("SET k v")
	if n := testing.AllocsPerRun(100, func() { secretArgs(set, args) }); n != 0 {
		t.Errorf("secretArgs of SET allocates %v times", n)
	}
}

// TestRedactionInEveryPrinter checks that the printers of commands (the
// MONITOR line, the SLOWLOG entry) show "(redacted)" for every secret and
// every other argument as it is.
func TestRedactionInEveryPrinter(t *testing.T) {
	printers := map[string]func(cmd *command, args [][]byte) [][]byte{
		"monitor": func(cmd *command, args [][]byte) [][]byte {
			line := string(appendMonitorLine(nil, time.Unix(1, 0), 0, "127.0.0.1:1", cmd, args))
			i := strings.Index(line, "] ")
			var out [][]byte
			for _, q := range regexp.MustCompile(`"[^"]*"`).FindAllString(line[i+2:], -1) {
				out = append(out, []byte(q[1:len(q)-1]))
			}
			return out
		},
		"slowlog": slowlogArgs,
	}
	for name, print := range printers {
		for _, tc := range redactionCases {
			args := split(strings.ReplaceAll(tc.line, `""`, "e"))
			out := print(cmdFor(t, tc.cmd), args)
			if len(out) != len(args) {
				t.Fatalf("%s %s: %d arguments printed, want %d", name, tc.line, len(out), len(args))
			}
			for i, a := range out {
				want := string(args[i])
				if slices.Contains(tc.secret, i) {
					want = redactedText
				}
				if string(a) != want {
					t.Errorf("%s %s: argument %d printed %q, want %q", name, tc.line, i, a, want)
				}
			}
		}
	}
}

// TestRedactionEndToEnd sends the secret-carrying commands that exist and
// checks that neither MONITOR, SLOWLOG, CLIENT LIST nor the log shows the
// secret.
func TestRedactionEndToEnd(t *testing.T) {
	var logs logBuffer
	srv := tcStart(t, Config{LogOutput: &logs, LogLevel: "debug", Slowlog: &SlowlogConfig{LogSlowerThan: 0, MaxLen: 128}})
	mon := tcDial(t, srv)
	if s := mon.str("MONITOR"); s != "OK" {
		t.Fatalf("MONITOR = %q", s)
	}
	c := tcDial(t, srv)
	const secret = "s3cr3t-pw"
	cmds := [][]string{
		{"AUTH", secret},
		{"AUTH", "default", secret},
		{"AUTH", "default", secret, "extra"},
		{"HELLO", "2", "AUTH", "default", secret},
		{"HELLO", "3", "AUTH", "someone", secret, "SETNAME", "x"},
		{"HELLO", "2"},
		{"CONFIG", "SET", "requirepass", secret},
		{"CONFIG", "SET", "masterauth", secret, "hz", "10"},
		{"CONFIG", "SET", "requirepass", ""},
	}
	for _, cmd := range cmds {
		c.do(cmd...)
	}
	for i := range 6 { // the AUTHs and HELLOs; CONFIG is not shown
		line := mon.read()
		if line.Kind != '+' || strings.Contains(line.Str, secret) || (i < 5) != strings.Contains(line.Str, `"(redacted)"`) {
			t.Errorf("monitor line %v", line)
		}
	}
	entries := c.do("SLOWLOG", "GET", "-1")
	if len(entries.Elems) < len(cmds) {
		t.Fatalf("SLOWLOG GET -1 has %d entries, want at least %d", len(entries.Elems), len(cmds))
	}
	for _, e := range entries.Elems {
		if strings.Contains(e.String(), secret) {
			t.Errorf("slow log entry shows the secret: %v", e)
		}
	}
	if s := c.str("CLIENT", "LIST"); strings.Contains(s, secret) {
		t.Errorf("CLIENT LIST shows the secret: %s", s)
	}
	if strings.Contains(logs.String(), secret) {
		t.Errorf("the log shows the secret:\n%s", logs.String())
	}
}

// monitorLineRE is a MONITOR line: seconds, six digits of microseconds,
// [db addr], quoted arguments.
var monitorLineRE = regexp.MustCompile(`^([0-9]+)\.([0-9]{6}) \[([0-9]+) 127\.0\.0\.1:([0-9]+)\] (.*)$`)

func TestMonitor(t *testing.T) {
	srv := tcStart(t, Config{})
	mon := tcDial(t, srv)
	c := tcDial(t, srv)
	if on := srv.intro.on.Load() & introMonitor; on != 0 {
		t.Fatalf("monitor bit set with no monitor")
	}
	mon.do("MONITOR")
	if !strings.Contains(c.str("CLIENT", "LIST"), "flags=O ") {
		t.Errorf("CLIENT LIST lacks flag O: %s", c.str("CLIENT", "LIST"))
	}
	before := time.Now()
	c.do("SELECT", "2")
	c.do("SET", "k\x00\xfe", "a \"b\"\\\r\n\t\a\b")
	after := time.Now()
	l1, l2 := mon.read(), mon.read()
	m := monitorLineRE.FindStringSubmatch(l1.Str)
	if l1.Kind != '+' || m == nil || m[3] != "2" || m[5] != `"SELECT" "2"` {
		t.Fatalf("first line %v", l1)
	}
	sec, _ := strconv.ParseInt(m[1], 10, 64)
	if sec < before.Unix() || sec > after.Unix() {
		t.Errorf("line time %s, want between %d and %d", m[1], before.Unix(), after.Unix())
	}
	if want := c.nc.LocalAddr().String(); !strings.HasSuffix(want, ":"+m[4]) {
		t.Errorf("line port %s, client is %s", m[4], want)
	}
	m = monitorLineRE.FindStringSubmatch(l2.Str)
	if m == nil || m[5] != `"SET" "k\x00\xfe" "a \"b\"\\\r\n\t\a\b"` {
		t.Fatalf("second line %v", l2)
	}
	// RESET ends monitoring: nothing more arrives, the flag goes.
	if s := mon.str("RESET"); s != "RESET" {
		t.Fatalf("RESET = %q", s)
	}
	if on := srv.intro.on.Load() & introMonitor; on != 0 {
		t.Errorf("monitor bit still set after RESET")
	}
	c.do("PING")
	if s := c.str("CLIENT", "LIST"); strings.Contains(s, "flags=O") {
		t.Errorf("CLIENT LIST still shows O: %s", s)
	}
	if v := mon.do("ECHO", "x"); v.Str != "x" {
		t.Errorf("after RESET, ECHO = %v (a monitor line arrived?)", v)
	}
	// A monitor that goes away is forgotten.
	mon.do("MONITOR")
	mon.nc.Close()
	if !waitUntil(5*time.Second, func() bool { return srv.intro.on.Load()&introMonitor == 0 }) {
		t.Errorf("monitor bit still set after the monitor disconnected")
	}
}

// TestMonitorSlowReader checks that a monitor that does not read does not
// hold up the clients it monitors: lines go to its outbox, and past its
// class's output limit it is closed.
func TestMonitorSlowReader(t *testing.T) {
	srv := tcStart(t, Config{})
	mon := tcDial(t, srv)
	mon.do("MONITOR")
	c := tcDial(t, srv)
	// A monitor is a normal client: its class's limit applies.
	if v := c.do("CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0"); v.Str != "OK" {
		t.Fatalf("CONFIG SET client-output-buffer-limit = %v", v)
	}
	val := strings.Repeat("v", 64<<10)
	start := time.Now()
	for range 200 { // 12 MB of monitor lines, never read
		c.send("SET", "k", val)
	}
	for range 200 {
		if v := c.read(); v.Str != "OK" {
			t.Fatalf("SET = %v", v)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("200 SETs took %v with a monitor not reading", d)
	}
	if !waitUntil(5*time.Second, func() bool { return srv.intro.on.Load()&introMonitor == 0 }) {
		t.Errorf("the monitor past its limit is still monitoring")
	}
}

func TestSlowlogEntries(t *testing.T) {
	srv := tcStart(t, Config{Slowlog: &SlowlogConfig{LogSlowerThan: 0, MaxLen: 3}})
	c := tcDial(t, srv)
	c.do("CLIENT", "SETNAME", "me")
	// A command of 100,000 arguments keeps 32, the last saying how many
	// more there were.
	args := []string{"DEL"}
	for i := range 100_000 {
		args = append(args, "key"+strconv.Itoa(i))
	}
	if n := c.integer(args...); n != 0 {
		t.Fatalf("DEL = %d", n)
	}
	c.do("SET", "big", strings.Repeat("b", 1000))
	e := c.do("SLOWLOG", "GET", "2")
	if len(e.Elems) != 2 {
		t.Fatalf("SLOWLOG GET 2 = %v", e)
	}
	set, del := e.Elems[0], e.Elems[1]
	if got := set.Elems[3].Elems[2].Str; got != strings.Repeat("b", 128)+"... (872 more bytes)" {
		t.Errorf("cut argument %q", got)
	}
	if set.Elems[5].Str != "me" || !strings.HasPrefix(set.Elems[4].Str, "127.0.0.1:") {
		t.Errorf("entry client %v %v", set.Elems[4], set.Elems[5])
	}
	dargs := del.Elems[3].Elems
	if len(dargs) != 32 || dargs[31].Str != "... (99970 more arguments)" || dargs[30].Str != "key29" {
		t.Errorf("DEL entry args: %d, last %v", len(dargs), dargs[len(dargs)-1])
	}
	id0, _ := strconv.Atoi(del.Elems[0].Str)
	id1, _ := strconv.Atoi(set.Elems[0].Str)
	if id1 != id0+1 {
		t.Errorf("ids %d then %d", id0, id1)
	}
	// The log keeps slowlog-max-len entries, the newest.
	for i := range 10 {
		c.do("ECHO", strconv.Itoa(i))
	}
	if n := c.integer("SLOWLOG", "LEN"); n != 3 {
		t.Errorf("SLOWLOG LEN = %d, want 3", n)
	}
	all := c.do("SLOWLOG", "GET", "-1")
	if len(all.Elems) != 3 || all.Elems[0].Elems[3].Elems[0].Str != "SLOWLOG" || all.Elems[1].Elems[3].Elems[1].Str != "9" {
		t.Errorf("SLOWLOG GET -1 = %v", all.flat())
	}
	c.do("CONFIG", "SET", "slowlog-max-len", "1")
	if n := c.integer("SLOWLOG", "LEN"); n != 1 {
		t.Errorf("after slowlog-max-len 1, SLOWLOG LEN = %d", n)
	}
	c.do("CONFIG", "SET", "slowlog-max-len", "1000", "slowlog-log-slower-than", "-1")
	c.do("SLOWLOG", "RESET")
	c.do("PING")
	if n := c.integer("SLOWLOG", "LEN"); n != 0 {
		t.Errorf("with the log off, SLOWLOG LEN = %d", n)
	}
	// A threshold far above every call logs nothing.
	c.do("CONFIG", "SET", "slowlog-log-slower-than", "100000000")
	for range 100 {
		c.do("SET", "a", "b")
	}
	if n := c.integer("SLOWLOG", "LEN"); n != 0 {
		t.Errorf("with a threshold of 100 s, SLOWLOG LEN = %d", n)
	}
}

// TestSlowlogTimesFastCalls checks that with slowlog-log-slower-than 0
// every call of a pipelined fast command has its own entry and duration.
func TestSlowlogTimesFastCalls(t *testing.T) {
	srv := tcStart(t, Config{Slowlog: &SlowlogConfig{LogSlowerThan: 0, MaxLen: 1000}})
	c := tcDial(t, srv)
	c.do("SLOWLOG", "RESET")
	var pipe bytes.Buffer
	// INCRBY has the fast flag: the dispatcher times its pipelined calls
	// as one run unless the slow log is on.
	if cmd := cmdFor(t, "incrby"); cmd.Flags&flagFast == 0 {
		t.Fatal("INCRBY is not flagged fast")
	}
	for i := range 50 {
		pipe.WriteString(bulk("INCRBY", "k", strconv.Itoa(i)))
	}
	c.nc.Write(pipe.Bytes())
	for range 50 {
		c.read()
	}
	e := c.do("SLOWLOG", "GET", "-1")
	if len(e.Elems) != 51 { // SLOWLOG RESET and the 50 INCRBYs
		t.Fatalf("%d entries, want 51", len(e.Elems))
	}
	for i, en := range e.Elems[:50] {
		if want := strconv.Itoa(49 - i); en.Elems[3].Elems[2].Str != want {
			t.Errorf("entry %d is INCRBY k %s, want %s", i, en.Elems[3].Elems[2].Str, want)
		}
		if us, err := strconv.Atoi(en.Elems[2].Str); err != nil || us < 0 || us > 1_000_000 {
			t.Errorf("entry %d duration %q", i, en.Elems[2].Str)
		}
	}
}

func TestSlowlogRing(t *testing.T) {
	var l slowlog
	l.setMaxLen(5)
	e := func(id int64) *slowEntry { return &slowEntry{micros: id} }
	for i := range 12 {
		l.pushEntry(e(int64(i)))
	}
	got := l.newest(longMax)
	var ids []int64
	for _, x := range got {
		ids = append(ids, x.micros)
	}
	if !slices.Equal(ids, []int64{11, 10, 9, 8, 7}) {
		t.Errorf("newest = %v", ids)
	}
	// A shorter maximum waits for the next call (trimNow or a push).
	l.setMaxLen(2)
	if l.len() != 5 || !l.overLen.Load() {
		t.Errorf("after max 2, before a call: len %d", l.len())
	}
	l.trimNow()
	if l.len() != 2 || l.newest(1)[0].micros != 11 || l.overLen.Load() {
		t.Errorf("after max 2: len %d", l.len())
	}
	l.setMaxLen(longMax)
	for i := 12; i < 100; i++ {
		l.pushEntry(e(int64(i)))
	}
	if l.len() != 90 || l.newest(longMax)[89].micros != 10 {
		t.Errorf("after max LONG_MAX: len %d", l.len())
	}
	l.setMaxLen(0)
	l.pushEntry(e(1))
	if l.len() != 0 {
		t.Errorf("max 0 keeps %d", l.len())
	}
	l.setMaxLen(3)
	for i := range 5 {
		l.pushEntry(e(int64(i)))
	}
	l.setMaxLen(1)
	l.pushEntry(e(9))
	if l.len() != 1 || l.newest(1)[0].micros != 9 {
		t.Errorf("a push after max 1 keeps %d", l.len())
	}
	l.setMaxLen(0)
	l.pushEntry(e(1))
	if l.len() != 0 {
		t.Errorf("max 0 keeps %d", l.len())
	}
}

func TestLatencyMonitor(t *testing.T) {
	srv := tcStart(t, Config{})
	c := tcDial(t, srv)
	if s := c.str("LATENCY", "DOCTOR"); !strings.Contains(s, "disabled") {
		t.Errorf("DOCTOR with the monitor off: %q", s)
	}
	// A command that takes more than a millisecond: KEYS over many keys.
	for i := 0; i < 200_000; i += 1000 {
		args := []string{"MSET"}
		for j := i; j < i+1000; j++ {
			args = append(args, "key:"+strconv.Itoa(j), "v")
		}
		c.do(args...)
	}
	c.do("CONFIG", "SET", "latency-monitor-threshold", "1")
	start := time.Now()
	c.do("KEYS", "*")
	took := time.Since(start)
	if took < 2*time.Millisecond {
		t.Skip("KEYS too fast to make a latency event")
	}
	latest := c.do("LATENCY", "LATEST")
	var ev tcValue
	for _, e := range latest.Elems {
		if e.Elems[0].Str == "command" {
			ev = e
		}
	}
	if len(ev.Elems) != 4 {
		t.Fatalf("LATENCY LATEST = %v, no command event", latest.flat())
	}
	ts, _ := strconv.ParseInt(ev.Elems[1].Str, 10, 64)
	ms, _ := strconv.ParseInt(ev.Elems[2].Str, 10, 64)
	worst, _ := strconv.ParseInt(ev.Elems[3].Str, 10, 64)
	if ts < start.Unix() || ms < 1 || ms > took.Milliseconds() || worst < ms {
		t.Errorf("command event %v, KEYS took %v", ev.flat(), took)
	}
	hist := c.do("LATENCY", "HISTORY", "command")
	lo, hi := int64(1<<62), int64(0)
	for _, s := range hist.Elems {
		v, _ := strconv.ParseInt(s.Elems[1].Str, 10, 64)
		lo, hi = min(lo, v), max(hi, v)
	}
	if n := len(hist.Elems); n == 0 || hist.Elems[n-1].Elems[1].Str != strconv.FormatInt(ms, 10) {
		t.Errorf("HISTORY command = %v, want the latest sample last", hist.flat())
	}
	graph := c.str("LATENCY", "GRAPH", "command")
	if !strings.HasPrefix(graph, fmt.Sprintf("command - high %d ms, low %d ms (all time high %d ms)\n", hi, lo, worst)) ||
		!strings.Contains(graph, strings.Repeat("-", 80)+"\n") {
		t.Errorf("GRAPH command = %q", graph)
	}
	if s := c.str("LATENCY", "DOCTOR"); !strings.Contains(s, fmt.Sprintf(". command: %d spikes", len(hist.Elems))) {
		t.Errorf("DOCTOR = %q", s)
	}
	if n := c.integer("LATENCY", "RESET", "COMMAND"); n != 1 {
		t.Errorf("RESET COMMAND = %d", n)
	}
	if v := c.do("LATENCY", "HISTORY", "command"); len(v.Elems) != 0 {
		t.Errorf("HISTORY after RESET = %v", v.flat())
	}
}

func TestLatencySeries(t *testing.T) {
	var m latencyMonitor
	// Two samples in one second keep the worst; the ring keeps 160.
	m.add("e", 5, 100)
	m.add("e", 9, 100)
	m.add("e", 3, 100)
	ts := m.find("e")
	if ts.max != 9 || ts.samples[0] != (latencySample{100, 9}) || ts.idx != 1 {
		t.Errorf("same second: %+v", ts.samples[:2])
	}
	for i := int64(1); i <= 200; i++ {
		m.add("e", i, 100+i)
	}
	var got []latencySample
	m.find("e").ordered(func(s latencySample) { got = append(got, s) })
	if len(got) != latencyHistoryLen || got[0].unix != 141 || got[len(got)-1].unix != 300 {
		t.Errorf("ring: %d samples, from %v to %v", len(got), got[0], got[len(got)-1])
	}
	if m.find("E") != nil {
		t.Errorf("event names match exactly")
	}
	m.add("other", 1, 1)
	if n := m.reset([][]byte{[]byte("E"), []byte("E"), []byte("x")}); n != 1 {
		t.Errorf("reset E E x = %d, want 1", n)
	}
	if n := m.reset(nil); n != 1 {
		t.Errorf("reset all = %d, want 1", n)
	}
}

// TestLatencyGraphRender checks the sparkline against a rendering worked out
// by hand: values 1, 2, 3, 12 over four rows of three levels.
func TestLatencyGraphRender(t *testing.T) {
	var ts latencySeries
	ts.name = "ev"
	ts.max = 12
	for i, v := range []int64{1, 2, 3, 12} {
		ts.samples[i] = latencySample{int64(100 + i), v}
	}
	ts.idx = 4
	got := latencyGraph(&ts, 103)
	want := "ev - high 12 ms, low 1 ms (all time high 12 ms)\n" +
		strings.Repeat("-", 80) + "\n" +
		"   #\n" +
		"   |\n" +
		"   |\n" +
		"_o#|\n" +
		"    \n" +
		"3210\n" +
		"ssss\n"
	if got != want {
		t.Errorf("graph:\n%s\nwant:\n%s", got, want)
	}
}

func TestLatencyHistogram(t *testing.T) {
	srv := tcStart(t, Config{})
	c := tcDial(t, srv)
	for range 20 {
		c.do("SET", "a", "b")
	}
	c.do("CONFIG", "GET", "hz")
	v := c.do("LATENCY", "HISTOGRAM", "set", "config", "nosuch")
	if len(v.Elems) != 4 || v.Elems[0].Str != "set" || v.Elems[2].Str != "config|get" {
		t.Fatalf("HISTOGRAM = %v", v.flat())
	}
	set := v.Elems[1]
	if set.Elems[0].Str != "calls" || set.Elems[1].Str != "20" || set.Elems[2].Str != "histogram_usec" {
		t.Fatalf("set = %v", set.flat())
	}
	buckets := set.Elems[3].Elems
	var prevUs, prevN int64 = -1, 0
	for i := 0; i < len(buckets); i += 2 {
		us, _ := strconv.ParseInt(buckets[i].Str, 10, 64)
		n, _ := strconv.ParseInt(buckets[i+1].Str, 10, 64)
		if us <= prevUs || n <= prevN {
			t.Errorf("buckets not increasing: %v", set.flat())
		}
		prevUs, prevN = us, n
	}
	if prevN != 20 {
		t.Errorf("last cumulative count %d, want 20", prevN)
	}
	all := c.do("LATENCY", "HISTOGRAM")
	names := map[string]bool{}
	for i := 0; i < len(all.Elems); i += 2 {
		names[all.Elems[i].Str] = true
	}
	if !names["set"] || !names["config|get"] || names["get"] {
		t.Errorf("HISTOGRAM lists %v", names)
	}
	// HdrHistogram's reporting levels, in microseconds.
	for _, tc := range []struct{ v, us uint64 }{{1024, 1}, {2048, 2}, {32768, 33}, {65536, 66}, {1 << 20, 1056}} {
		if got := hdrTop(tc.v) / 1000; got != tc.us {
			t.Errorf("hdrTop(%d) = %d µs, want %d", tc.v, got, tc.us)
		}
	}
}

// TestIntrospectionOffCostsNothing checks that afterCall, with no monitor,
// the slow log off and the latency monitor off, allocates nothing, and with
// the slow log on but a call under its threshold, nothing either.
func TestIntrospectionOffCostsNothing(t *testing.T) {
	srv := tcStart(t, Config{Slowlog: &SlowlogConfig{LogSlowerThan: -1, MaxLen: 128}})
	c := newConn(srv, nil)
	cmd := cmdFor(t, "get")
	args := [][]byte{[]byte("GET"), []byte("k")}
	if n := testing.AllocsPerRun(1000, func() { c.afterCall(cmd, args) }); n != 0 {
		t.Errorf("afterCall with everything off allocates %v times", n)
	}
	srv.applyIntrospectConfig(&Config{Slowlog: &SlowlogConfig{LogSlowerThan: 1_000_000, MaxLen: 128}})
	if n := testing.AllocsPerRun(1000, func() { c.afterCall(cmd, args) }); n != 0 {
		t.Errorf("afterCall under the threshold allocates %v times", n)
	}
	if srv.intro.slow.len() != 0 {
		t.Errorf("calls under the threshold were logged")
	}
}

func BenchmarkAfterCallOff(b *testing.B) {
	srv, err := New(Config{Slowlog: &SlowlogConfig{LogSlowerThan: -1}})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	c := newConn(srv, nil)
	initCommands()
	cmd := lookupFullName("get")
	args := [][]byte{[]byte("GET"), []byte("k")}
	for b.Loop() {
		c.afterCall(cmd, args)
	}
}

func BenchmarkAfterCallSlowlogOn(b *testing.B) {
	srv, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	c := newConn(srv, nil)
	initCommands()
	cmd := lookupFullName("get")
	args := [][]byte{[]byte("GET"), []byte("k")}
	for b.Loop() {
		c.afterCall(cmd, args)
	}
}

func TestRedactedInput(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n", `"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n"`},
		{"*2\r\n$4\r\nAUTH\r\n$6\r\nsecret", redactedText},
		{"*3\r\n$5\r\nhElLo\r\n$1\r\n3", redactedText},
		{"config set requirepass secret", redactedText},
		{"*3\r\n$3\r\nACL\r\n$7\r\nSETUSER", redactedText},
		{"\x00\xff", `"\x00\xff"`},
	} {
		if got := redactedInput([]byte(tc.in)); got != tc.want {
			t.Errorf("redactedInput(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestMonitorChurn starts and stops monitors while clients run commands:
// feeders read the monitor list without its lock (run with -race).
func TestMonitorChurn(t *testing.T) {
	srv := tcStart(t, Config{})
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		c := tcDial(t, srv)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				c.send("SET", "k", "v")
				if _, err := tcRead(c.r); err != nil {
					return
				}
			}
		}()
	}
	for range 50 {
		m := tcDial(t, srv)
		m.do("MONITOR")
		m.read() // a line: the clients are running
		if s := m.str("RESET"); s != "RESET" {
			// Lines that arrived before RESET's reply come first.
			for s != "RESET" {
				s = m.read().Str
			}
		}
		m.nc.Close()
	}
	close(done)
	wg.Wait()
	if !waitUntil(5*time.Second, func() bool { return srv.intro.on.Load()&introMonitor == 0 }) {
		t.Errorf("monitor bit set after every monitor left")
	}
}

// TestLatencyExpireCycle checks the expire-cycle event: an active expiry
// cycle that deletes many keys holds the lock for milliseconds.
func TestLatencyExpireCycle(t *testing.T) {
	srv := tcStart(t, Config{LatencyMonitorThreshold: 1})
	c := tcDial(t, srv)
	var pipe bytes.Buffer
	const keys = 200_000
	for i := range keys {
		pipe.WriteString(bulk("SET", "key:"+strconv.Itoa(i), "v", "PX", "200"))
	}
	go c.nc.Write(pipe.Bytes())
	for range keys {
		c.read()
	}
	var ev tcValue
	waitUntil(10*time.Second, func() bool {
		ev = c.do("LATENCY", "HISTORY", "expire-cycle")
		return len(ev.Elems) > 0
	})
	if len(ev.Elems) == 0 {
		t.Skip("no expiry cycle held the lock for a millisecond")
	}
	if ms, _ := strconv.Atoi(ev.Elems[0].Elems[1].Str); ms < 1 || ms > 1000 {
		t.Errorf("expire-cycle sample %v", ev.flat())
	}
	if s := c.str("LATENCY", "DOCTOR"); !strings.Contains(s, "expire-cycle:") || !strings.Contains(s, "Expiring many keys") {
		t.Errorf("DOCTOR = %q", s)
	}
}

// TestAfterCallTimesFastCalls checks that afterCall gives a fast command's
// call its own duration, from the end of the previous call, and logs it
// when it reaches the threshold.
func TestAfterCallTimesFastCalls(t *testing.T) {
	srv := tcStart(t, Config{Slowlog: &SlowlogConfig{LogSlowerThan: 4000, MaxLen: 10}})
	c := newConn(srv, nil)
	cmd := cmdFor(t, "incrby")
	args := split("INCRBY k 1")
	// A call that started 5 ms ago (a run's start, or the last call's end).
	c.run.callStart = time.Since(c.created) - 5*time.Millisecond
	c.afterCall(cmd, args)
	e := srv.intro.slow.newest(10)
	if len(e) != 1 || e[0].micros < 5000 || e[0].micros > 5000+1_000_000 || string(e[0].args[0]) != "INCRBY" {
		t.Fatalf("entries after a 5 ms call: %+v", e)
	}
	// The next call starts where that one ended: short, not logged.
	c.afterCall(cmd, args)
	if n := srv.intro.slow.len(); n != 1 {
		t.Errorf("the next call was logged too (%d entries)", n)
	}
	// With the log off, a fast run is not timed call by call.
	srv.applyIntrospectConfig(&Config{Slowlog: &SlowlogConfig{LogSlowerThan: -1, MaxLen: 10}})
	before := c.run.callStart
	c.afterCall(cmd, args)
	if c.run.callStart != before {
		t.Errorf("afterCall read the clock with the log off")
	}
}
