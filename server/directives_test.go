package server

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// cfgRedisParam is one line of testdata/redis-7.0.15-config.tsv: a parameter
// of redis-server 7.0.15, its default, and what CONFIG SET of that default
// answered.
type cfgRedisParam struct {
	name, value, set string
}

func cfgLoadRedisFixture(t *testing.T) []cfgRedisParam {
	t.Helper()
	f, err := os.Open("testdata/redis-7.0.15-config.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []cfgRedisParam
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		parts := strings.Split(line, "\t")
		if len(parts) != 3 {
			t.Fatalf("bad fixture line %q", line)
		}
		out = append(out, cfgRedisParam{parts[0], parts[1], parts[2]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDirectiveTableMatchesRedis checks the table against the parameters of
// a real redis-server: the same names, the same immutable and protected
// flags, and, for what Redoubt does not implement, the value Redoubt
// behaves like is Redis's default but where the table says why not.
func TestDirectiveTableMatchesRedis(t *testing.T) {
	redis := cfgLoadRedisFixture(t)
	known := map[string]bool{}
	// Directives whose Redoubt value differs from Redis's default, on
	// purpose.
	differs := map[string]string{
		"save": "Redoubt never writes snapshots",
		"dir":  "the working directory, recorded elsewhere",
		"bind": "Redoubt binds loopback by default",
	}
	def := DefaultConfig()
	for _, rc := range redis {
		known[rc.name] = true
		e, ok := lookupDirective(rc.name)
		if !ok {
			t.Errorf("%s: Redis knows it, the table does not", rc.name)
			continue
		}
		d := e.d
		gotSet := "ok"
		switch {
		case d.flags&dirImmutable != 0:
			gotSet = "immutable"
		case d.flags&dirProtected != 0:
			gotSet = "protected"
		}
		if gotSet != rc.set {
			t.Errorf("%s: CONFIG SET would say %s, Redis says %s", rc.name, gotSet, rc.set)
		}
		if _, ok := differs[rc.name]; ok {
			continue
		}
		if got := d.valueOf(&def); got != rc.value {
			t.Errorf("%s: default %q, Redis's is %q", rc.name, got, rc.value)
		}
	}
	for _, e := range directiveTable.names {
		// Redoubt's own directives carry a prefix no Redis directive
		// has, so that they can never mean something else to Redis.
		if !known[e.name] && !strings.HasPrefix(e.name, ownDirectivePrefix) {
			t.Errorf("%s: in the table, unknown to Redis 7.0.15", e.name)
		}
		if known[e.name] && strings.HasPrefix(e.name, ownDirectivePrefix) {
			t.Errorf("%s: Redis knows it, yet it has Redoubt's prefix", e.name)
		}
	}
}

// TestDirectiveRoundTrip parses every directive's current value back: what
// CONFIG GET prints, the config file and CONFIG SET accept, unchanged.
func TestDirectiveRoundTrip(t *testing.T) {
	cfg := DefaultConfig()
	for _, e := range directiveTable.names {
		d := e.d
		v := d.valueOf(&cfg)
		args := []string{v}
		if d.flags&dirMultiArg != 0 {
			args = splitConfigValue(v)
		}
		if d.name == "replicaof" && v == "" {
			// CONFIG GET prints "" for no master, which Redis reads
			// back only as "no one".
			args = []string{"no", "one"}
		}
		got, err := d.parse(args, v, false)
		if err != nil {
			t.Errorf("%s: parse(%q): %v", e.name, v, err)
			continue
		}
		if got != v {
			t.Errorf("%s: parse(%q) = %q", e.name, v, got)
		}
		if d.implemented() {
			c := cfg
			d.set(&c, got)
			if back := d.get(&c); back != v {
				t.Errorf("%s: set(%q) then get = %q", e.name, got, back)
			}
		}
	}
}

// TestImplementedDirectives sets each implemented directive from a config
// line and reads it back, through the Config field.
func TestImplementedDirectives(t *testing.T) {
	tests := []struct {
		line  string
		check func(Config) bool
		get   string // CONFIG GET's value afterwards
	}{
		{"bind 10.0.0.1 -::1", func(c Config) bool { return strings.Join(c.Bind, ",") == "10.0.0.1,-::1" }, "10.0.0.1 -::1"},
		{`bind ""`, func(c Config) bool { return c.Bind != nil && len(c.Bind) == 0 }, ""},
		{`bind "127.0.0.1 ::1"`, func(c Config) bool { return len(c.Bind) == 2 }, "127.0.0.1 ::1"},
		{"port 7000", func(c Config) bool { return c.Port == 7000 }, "7000"},
		{"port 0", func(c Config) bool { return c.Port == PortDisabled }, "0"},
		{"databases 4", func(c Config) bool { return c.Databases == 4 }, "4"},
		{"protected-mode no", func(c Config) bool { return c.InsecureDisableProtectedMode }, "no"},
		{"protected-mode YES", func(c Config) bool { return !c.InsecureDisableProtectedMode }, "yes"},
		{"maxclients 4294967295", func(c Config) bool { return c.MaxClients == 4294967295 }, "4294967295"},
		{"timeout 30", func(c Config) bool { return c.Timeout == 30 }, "30"},
		{"tcp-keepalive 0", func(c Config) bool { return c.TCPKeepAlive == 0 }, "0"},
		{"proto-max-bulk-len 1gb", func(c Config) bool { return c.ProtoMaxBulkLen == 1<<30 }, "1073741824"},
		{"proto-max-bulk-len 4294967295", func(c Config) bool { return c.ProtoMaxBulkLen == 1<<32-1 }, "4294967295"},
		{"client-query-buffer-limit 1mb", func(c Config) bool { return c.ClientQueryBufferLimit == 1<<20 }, "1048576"},
		{"client-query-buffer-limit 1024gb", func(c Config) bool { return c.ClientQueryBufferLimit == 1<<40 }, "1099511627776"},
		{"hz 100", func(c Config) bool { return c.Hz == 100 }, "100"},
		{"hz 0", func(c Config) bool { return c.Hz == 1 }, "1"},
		{"hz 2147483647", func(c Config) bool { return c.Hz == 500 }, "500"},
		{"loglevel WARNING", func(c Config) bool { return c.LogLevel == "warning" }, "warning"},
		{"logfile /tmp/redoubt-test.log", func(c Config) bool { return c.LogFile == "/tmp/redoubt-test.log" }, "/tmp/redoubt-test.log"},
		{"pidfile /run/x.pid", func(c Config) bool { return c.PidFile == "/run/x.pid" }, "/run/x.pid"},
		{"io-threads 4", func(c Config) bool { return c.IOThreads == 4 }, "4"},
		{"lazyfree-lazy-eviction yes", func(c Config) bool { return c.LazyFree == LazyFreeConfig{Eviction: true} }, "yes"},
		{"lazyfree-lazy-expire YES", func(c Config) bool { return c.LazyFree == LazyFreeConfig{Expire: true} }, "yes"},
		{"lazyfree-lazy-server-del yes", func(c Config) bool { return c.LazyFree == LazyFreeConfig{ServerDel: true} }, "yes"},
		{"lazyfree-lazy-user-del yes", func(c Config) bool { return c.LazyFree == LazyFreeConfig{UserDel: true} }, "yes"},
		{"lazyfree-lazy-user-flush yes", func(c Config) bool { return c.LazyFree == LazyFreeConfig{UserFlush: true} }, "yes"},
		{"lazyfree-lazy-user-flush no", func(c Config) bool { return c.LazyFree == LazyFreeConfig{} }, "no"},
	}
	for _, tt := range tests {
		cfg, err := cfgApplyText(t, tt.line)
		if err != nil {
			t.Errorf("%s: %v", tt.line, err)
			continue
		}
		if !tt.check(cfg) {
			t.Errorf("%s: Config not set as expected: %+v", tt.line, cfg)
		}
		name := strings.Fields(tt.line)[0]
		e, _ := lookupDirective(name)
		if got := e.d.get(&cfg); got != tt.get {
			t.Errorf("%s: CONFIG GET %s = %q, want %q", tt.line, name, got, tt.get)
		}
	}
}

// cfgApplyText applies config text (as standard input) on top of the
// binary's defaults.
func cfgApplyText(t *testing.T, text string) (Config, error) {
	t.Helper()
	cfg, err := applyArgs(DefaultConfig(), []string{"-"}, strings.NewReader(text))
	if err == nil && cfg.LogFile != "" {
		os.Remove(cfg.LogFile)
	}
	return cfg, err
}

// TestDirectiveValueErrors checks values Redis refuses, with Redis's words,
// and the bounds Redoubt sets tighter than Redis's.
func TestDirectiveValueErrors(t *testing.T) {
	tests := []struct {
		name, value, want string
	}{
		// Redis's own reasons.
		{"protected-mode", "maybe", "argument must be 'yes' or 'no'"},
		{"timeout", "01", "argument couldn't be parsed into an integer"},
		{"timeout", "-1", "argument must be between 0 and 2147483647 inclusive"},
		{"maxclients", "-1", "argument must be between 1 and 4294967295 inclusive"},
		{"maxclients", "0", "argument must be between 1 and 4294967295 inclusive"},
		{"loglevel", "nothing", "argument(s) must be one of the following: debug, verbose, notice, warning"},
		{"proto-max-bulk-len", "-1", "argument must be a memory value"},
		{"proto-max-bulk-len", "1.5mb", "argument must be a memory value"},
		{"maxmemory-clients", "x", "argument must be a memory or percent value"},
		{"maxmemory-clients", "101%", "percentage argument must be less or equal to 100"},
		{"unixsocketperm", "778", "argument couldn't be parsed as an octal number"},
		{"unixsocketperm", "1000", "argument must be between 0 and 777 inclusive"},
		{"port", "65536", "argument must be between 0 and 65535 inclusive"},
		{"io-threads", "0", "argument must be between 1 and 128 inclusive"},
		{"io-threads", "129", "argument must be between 1 and 128 inclusive"},
		{"shutdown-on-sigterm", "save nosave", "shutdown options SAVE and NOSAVE can't be used simultaneously"},
		{"dbfilename", "a/b", "dbfilename can't be a path, just a filename"},
		{"appendfilename", "", "appendfilename can't be empty"},
		{"notify-keyspace-events", "KE?", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."},
		{"proc-title-template", "{nosuch}", "template format is invalid or contains unknown variables"},
		{"dir", "/nonexistent-redoubt-dir", "No such file or directory"},
		// Redoubt's tighter caps (SECURITY.md §2, CVE-2021-32627,
		// CVE-2021-41099, CVE-2021-21309).
		{"proto-max-bulk-len", "4gb", "argument must be between 1048576 and 4294967295 inclusive"},
		{"client-query-buffer-limit", "2048gb", "argument must be between 1048576 and 1099511627776 inclusive"},
		{"databases", "2000000", "argument must be between 1 and 1048576 inclusive"},
	}
	for _, tt := range tests {
		e, ok := lookupDirective(tt.name)
		if !ok {
			t.Fatalf("no directive %s", tt.name)
		}
		args := []string{tt.value}
		if e.d.flags&dirMultiArg != 0 {
			args = splitConfigValue(tt.value)
		}
		_, err := e.d.parse(args, e.d.valueOf(&Config{}), false)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s %q: error %v, want %q", tt.name, tt.value, err, tt.want)
		}
	}
}

// TestMemoryUnits checks memory values as Redis's memtoull reads them.
func TestMemoryUnits(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true},
		{"1", 1, true},
		{"1b", 1, true},
		{"1B", 1, true},
		{"1k", 1000, true},
		{"1K", 1000, true},
		{"1kb", 1024, true},
		{"1KB", 1024, true},
		{"1kB", 1024, true},
		{"1m", 1000 * 1000, true},
		{"1mb", 1 << 20, true},
		{"1Mb", 1 << 20, true},
		{"1g", 1000 * 1000 * 1000, true},
		{"1gb", 1 << 30, true},
		{"1GB", 1 << 30, true},
		{"512mb", 512 << 20, true},
		// Quirks of Redis's parser, kept.
		{"", 0, true},
		{"kb", 0, true},
		{"007", 7, true},
		{"18446744073709551615", 1<<64 - 1, true},
		{"18446744073709551616", 1<<64 - 1, true}, // saturates
		{"99999999999999999999999", 1<<64 - 1, true},
		{"20000000000gb", 3028092406290448384, true}, // wraps, as in Redis
		{strings.Repeat("0", 126) + "1", 1, true},
		{strings.Repeat("0", 127) + "1", 0, false}, // 128 digits: too many
		// Refused.
		{"-1", 0, false},
		{"+1", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"1.5", 0, false},
		{"1tb", 0, false},
		{"1kbb", 0, false},
		{"0x10", 0, false},
	}
	for _, tt := range tests {
		got, ok := memToUint(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("memToUint(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestStrtoll checks the C strtoll emulation behind save, oom-score-adj-values
// and the octal unixsocketperm.
func TestStrtoll(t *testing.T) {
	tests := []struct {
		in   string
		base int
		want int64
		ok   bool
	}{
		{"10", 10, 10, true},
		{" 10", 10, 10, true},
		{"+10", 10, 10, true},
		{"-10", 10, -10, true},
		{"", 10, 0, true},
		{"10 ", 10, 10, false},
		{"1x", 10, 1, false},
		{"-", 10, 0, false},
		{" ", 10, 0, false},
		{"9223372036854775807", 10, 1<<63 - 1, true},
		{"9223372036854775808", 10, 1<<63 - 1, false},
		{"-9223372036854775808", 10, -1 << 63, true},
		{"-9223372036854775809", 10, -1 << 63, false},
		{"777", 8, 511, true},
		{"0777", 8, 511, true},
		{"8", 8, 0, false},
	}
	for _, tt := range tests {
		got, ok := cStrtoll(tt.in, tt.base)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("cStrtoll(%q, %d) = %d, %v; want %d, %v", tt.in, tt.base, got, ok, tt.want, tt.ok)
		}
	}
}

// TestSpecialDirectives checks the directives with a syntax of their own.
func TestSpecialDirectives(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		prev    string
		loading bool
		want    string
		err     string
	}{
		{"save", []string{""}, "900 1", true, "", ""},
		{"save", []string{"900", "1"}, "", true, "900 1", ""},
		{"save", []string{"300", "10"}, "900 1", true, "900 1 300 10", ""},
		{"save", []string{"300", "10"}, "900 1", false, "300 10", ""},
		{"save", []string{"+5", " 6"}, "", false, "5 6", ""},
		{"save", []string{"10", "4294967297"}, "", false, "10 1", ""}, // changes is a C int
		{"save", []string{"10"}, "", false, "", msgSaveParams},
		{"save", []string{"0", "1"}, "", false, "", msgSaveParams},
		{"save", []string{"1", "-1"}, "", false, "", msgSaveParams},
		{"save", nil, "900 1", false, "", ""},
		{"bind", []string{"a", "b"}, "", false, "a b", ""},
		{"bind", []string{""}, "x", false, "", ""},
		{"bind", strings.Fields(strings.Repeat("a ", 17)), "", false, "", msgTooManyBinds},
		{"client-output-buffer-limit", []string{"pubsub", "1mb", "1kb", "5"}, defaultObufLimit, false,
			"normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 1024 5", ""},
		{"client-output-buffer-limit", []string{"replica", "1", "2", "3", "NORMAL", "4", "5", "6"}, defaultObufLimit, false,
			"normal 4 5 6 slave 1 2 3 pubsub 33554432 8388608 60", ""},
		{"client-output-buffer-limit", []string{"master", "1", "2", "3"}, defaultObufLimit, false, "", msgObufClass},
		{"client-output-buffer-limit", []string{"normal", "1", "2"}, defaultObufLimit, false, "", msgObufArgs},
		{"client-output-buffer-limit", []string{"normal", "1", "2", "-3"}, defaultObufLimit, false, "", msgObufValues},
		{"oom-score-adj-values", []string{"0", "200", "800"}, "", false, "0 200 800", ""},
		{"oom-score-adj-values", []string{"-2000", "+0", "2000"}, "", false, "-2000 0 2000", ""},
		{"oom-score-adj-values", []string{"0", "200"}, "", false, "", msgWrongArgCount},
		{"oom-score-adj-values", []string{"0", "200", "2001"}, "", false, "", msgOOMValues},
		{"notify-keyspace-events", []string{"KEA"}, "", false, "AKE", ""},
		{"notify-keyspace-events", []string{"Exg$"}, "", false, "g$xE", ""},
		{"notify-keyspace-events", []string{"mn"}, "", false, "nm", ""},
		{"replicaof", []string{"NO", "One"}, "", false, "", ""},
		{"replicaof", []string{"h", "6380"}, "", false, "h 6380", ""},
		{"replicaof", []string{"h", "x"}, "", false, "", msgMasterPort},
		{"replicaof", []string{"h"}, "", false, "", msgWrongArgCount},
		{"latency-tracking-info-percentiles", []string{"50", "99", "99.9"}, "", false, "50 99 99.9", ""},
		{"latency-tracking-info-percentiles", []string{"0.5", "100"}, "", false, "0.5 100", ""},
		{"latency-tracking-info-percentiles", []string{"101"}, "", false, "", msgPercentilesSit},
		{"latency-tracking-info-percentiles", []string{"x"}, "", false, "", msgPercentilesArgs},
		{"shutdown-on-sigint", []string{"NOW", "nosave"}, "", false, "nosave now", ""},
		{"shutdown-on-sigint", []string{"default", "default"}, "", false, "default", ""},
		{"shutdown-on-sigint", nil, "", false, "", "argument(s) must be one of the following: default, save, nosave, now, force"},
		{"dir", []string{"."}, "/", false, "/", ""},
		{"dir", []string{"/"}, "/tmp", false, "/", ""},
	}
	for _, tt := range tests {
		e, _ := lookupDirective(tt.name)
		got, err := e.d.parse(tt.args, tt.prev, tt.loading)
		switch {
		case tt.err != "":
			if err == nil || err.Error() != tt.err {
				t.Errorf("%s %q: %q, %v; want error %q", tt.name, tt.args, got, err, tt.err)
			}
		case err != nil || got != tt.want:
			t.Errorf("%s %q: %q, %v; want %q", tt.name, tt.args, got, err, tt.want)
		}
	}
}

// TestNotSupported checks that a directive Redoubt does not implement
// refuses every value but the one it behaves like, naming what is missing.
func TestNotSupported(t *testing.T) {
	tests := []struct {
		line, want string
	}{
		{"maxmemory 100mb", "not supported yet by Redoubt (a memory limit and eviction): only 'maxmemory 0' is accepted"},
		{"appendonly yes", "not supported yet by Redoubt (the append-only file): only 'appendonly no' is accepted"},
		{"save 900 1", `not supported yet by Redoubt (RDB snapshots): only 'save ""' is accepted`},
		{"daemonize yes", "not supported yet by Redoubt (daemonizing: run it in the foreground, under a supervisor if need be): only 'daemonize no' is accepted"},
		{"supervised systemd", "not supported yet by Redoubt (supervisor notification (systemd or upstart)): only 'supervised no' is accepted"},
		{"stream-node-max-entries 1000", "not supported yet by Redoubt (tuning of compact encodings): only Redis's default 'stream-node-max-entries 100' is accepted"},
		{"tls-port 6380", "not supported yet by Redoubt (TLS): only 'tls-port 0' is accepted"},
	}
	for _, tt := range tests {
		_, err := cfgApplyText(t, tt.line)
		ce, ok := err.(*ConfigError)
		if !ok || ce.Reason != tt.want {
			t.Errorf("%s: %v, want %q", tt.line, err, tt.want)
		}
	}
	// Values Redoubt behaves like are taken, in any spelling Redis takes.
	for _, line := range []string{
		"maxmemory 0", "maxmemory 0gb", "appendonly NO", `save ""`, "daemonize no",
		"supervised no", `requirepass ""`, "hash-max-listpack-entries 512",
		"hash-max-ziplist-entries 512", "tls-port 0", `notify-keyspace-events ""`,
		"client-output-buffer-limit normal 0 0 0", "client-output-buffer-limit replica 256mb 64mb 60",
		"dir .", "dir " + currentWorkingDir(), "slaveof no one", "list-max-ziplist-entries 512",
		"lua-replicate-commands yes",
	} {
		if _, err := cfgApplyText(t, line); err != nil {
			t.Errorf("%s: %v", line, err)
		}
	}
}

// TestIOThreadsDefault checks what io-threads reports: the setting, or
// GOMAXPROCS when an embedded server leaves it alone.
func TestIOThreadsDefault(t *testing.T) {
	e, _ := lookupDirective("io-threads")
	if got := e.d.get(&Config{IOThreads: 3}); got != "3" {
		t.Errorf("io-threads 3 reads %s", got)
	}
	if got, want := e.d.get(&Config{}), strconv.Itoa(runtime.GOMAXPROCS(0)); got != want {
		t.Errorf("io-threads 0 reads %s, want GOMAXPROCS %s", got, want)
	}
	if DefaultConfig().IOThreads != 1 {
		t.Errorf("the binary's io-threads default is %d, want 1", DefaultConfig().IOThreads)
	}
}
