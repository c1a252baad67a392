package server

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestCmdInfoSections(t *testing.T) {
	srv := tcStart(t, Config{})
	c := tcDial(t, srv)
	headers := func(args ...string) string {
		var hs []string
		for _, l := range strings.Split(c.str(args...), "\r\n") {
			if strings.HasPrefix(l, "# ") {
				hs = append(hs, strings.TrimPrefix(l, "# "))
			}
		}
		return strings.Join(hs, " ")
	}
	const def = "Server Clients Memory Persistence Stats Replication CPU Modules Errorstats Cluster Keyspace"
	const all = "Server Clients Memory Persistence Stats Replication CPU Modules Commandstats Errorstats Latencystats Cluster Keyspace"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"INFO"}, def},
		{[]string{"INFO", "default"}, def},
		{[]string{"INFO", "ALL"}, all},
		{[]string{"INFO", "everything"}, all},
		{[]string{"INFO", "keyspace", "server"}, "Server Keyspace"},
		{[]string{"INFO", "commandstats", "nosuch", "CPU"}, "CPU Commandstats"},
		{[]string{"INFO", "default", "latencystats"}, "Server Clients Memory Persistence Stats Replication CPU Modules Errorstats Latencystats Cluster Keyspace"},
		{[]string{"INFO", "module_list"}, "Modules"},
		{[]string{"INFO", "nosuch"}, ""},
	} {
		if got := headers(tc.args...); got != tc.want {
			t.Errorf("%q sections = %q, want %q", tc.args, got, tc.want)
		}
	}
	if got := c.str("INFO", "cluster", "modules"); got != "# Modules\r\n\r\n# Cluster\r\ncluster_enabled:0\r\n" {
		t.Errorf("INFO cluster modules = %q", got)
	}
}

func TestCmdInfoValues(t *testing.T) {
	srv := tcStart(t, Config{})
	// Command statistics belong to the command table, which every server
	// in the process shares: start from zero.
	srv.resetStats()
	a, b := tcDial(t, srv), tcDial(t, srv)
	a.do("SET", "k", "v")
	a.do("GET", "k")
	a.do("GET", "k")
	a.do("GET", "nokey")
	a.do("SELECT", "2")
	a.do("SET", "x", "1", "EX", "1000")
	b.do("CLIENT", "ID")
	b.do("NOSUCHCOMMAND")
	b.do("GET")
	b.do("HELLO", "9")

	info := tcInfo(a.str("INFO", "everything"))
	want := map[string]string{
		"redis_version":              RedisVersion,
		"redoubt_version":            Version,
		"tcp_port":                   strconv.Itoa(srv.Port()),
		"connected_clients":          "2",
		"total_connections_received": "2", // counted from the reset
		"keyspace_hits":              "2",
		"keyspace_misses":            "1",
		"total_error_replies":        "3",
		"db0":                        "keys=1,expires=0,avg_ttl=0",
		"errorstat_ERR":              "count=2",
		"errorstat_NOPROTO":          "count=1",
		"role":                       "master",
		"maxmemory_policy":           "noeviction",
	}
	for k, w := range want {
		if info[k] != w {
			t.Errorf("%s = %q, want %q", k, info[k], w)
		}
	}
	if !strings.HasPrefix(info["db2"], "keys=1,expires=1,avg_ttl=") {
		t.Errorf("db2 = %q", info["db2"])
	}

	// Command statistics: subcommands by full name; rejected and failed
	// calls counted; total_commands_processed is their sum.
	stat := regexp.MustCompile(`^calls=(\d+),usec=(\d+),usec_per_call=(\d+\.\d\d),rejected_calls=(\d+),failed_calls=(\d+)$`)
	var sum int64
	for k, v := range info {
		if !strings.HasPrefix(k, "cmdstat_") {
			continue
		}
		m := stat.FindStringSubmatch(v)
		if m == nil {
			t.Fatalf("%s = %q, malformed", k, v)
		}
		n, _ := strconv.ParseInt(m[1], 10, 64)
		sum += n
	}
	for k, w := range map[string]string{
		"cmdstat_get":       "calls=3,rejected_calls=1,failed_calls=0",
		"cmdstat_client|id": "calls=1,rejected_calls=0,failed_calls=0",
		"cmdstat_hello":     "calls=1,rejected_calls=0,failed_calls=1",
		"cmdstat_set":       "calls=2,rejected_calls=0,failed_calls=0",
	} {
		m := stat.FindStringSubmatch(info[k])
		if m == nil {
			t.Errorf("%s missing", k)
			continue
		}
		if got := "calls=" + m[1] + ",rejected_calls=" + m[4] + ",failed_calls=" + m[5]; got != w {
			t.Errorf("%s: %s, want %s", k, got, w)
		}
	}
	// INFO itself is counted once it returns, so the sum excludes it.
	if total := info["total_commands_processed"]; total != strconv.FormatInt(sum, 10) {
		t.Errorf("total_commands_processed = %s, want the sum of calls, %d", total, sum)
	}
	lat := regexp.MustCompile(`^p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$`)
	if !lat.MatchString(info["latency_percentiles_usec_client|id"]) {
		t.Errorf("latency of client|id = %q", info["latency_percentiles_usec_client|id"])
	}
	if _, ok := info["latency_percentiles_usec_hello"]; !ok {
		t.Error("no latency line for hello")
	}
}

// TestResetStats checks that resetStats zeroes what CONFIG RESETSTAT does
// in Redis and keeps what it keeps.
func TestResetStats(t *testing.T) {
	srv := tcStart(t, Config{})
	c := tcDial(t, srv)
	c.do("SET", "k", "v")
	c.do("GET", "k")
	c.do("GET", "nokey")
	c.do("GET")
	c.do("NOSUCHCOMMAND")
	srv.resetStats()
	info := tcInfo(c.str("INFO", "everything"))
	for _, k := range []string{"total_commands_processed", "total_connections_received", "keyspace_hits",
		"keyspace_misses", "total_error_replies", "expired_keys", "rejected_connections"} {
		if info[k] != "0" {
			t.Errorf("after reset %s = %s, want 0", k, info[k])
		}
	}
	for k := range info {
		if strings.HasPrefix(k, "cmdstat_") || strings.HasPrefix(k, "errorstat_") || strings.HasPrefix(k, "latency_percentiles_usec_") {
			t.Errorf("after reset %s is still reported", k)
		}
	}
	// The keyspace and the clients are not statistics.
	if info["db0"] != "keys=1,expires=0,avg_ttl=0" || info["connected_clients"] != "1" {
		t.Errorf("after reset db0=%q connected_clients=%q", info["db0"], info["connected_clients"])
	}
	// Counting resumes.
	c.do("GET", "k")
	info = tcInfo(c.str("INFO", "stats", "commandstats"))
	if info["keyspace_hits"] != "1" || !strings.HasPrefix(info["cmdstat_get"], "calls=1,") || info["total_commands_processed"] != "2" {
		t.Errorf("after reset and two commands: hits=%s get=%s total=%s",
			info["keyspace_hits"], info["cmdstat_get"], info["total_commands_processed"])
	}
}

func TestCmdInfoResp3(t *testing.T) {
	srv := tcStart(t, Config{})
	c := tcDial(t, srv)
	c.do("HELLO", "3")
	if v := c.do("INFO", "cluster"); v.Kind != '=' || v.Str != "txt:# Cluster\r\ncluster_enabled:0\r\n" {
		t.Errorf("INFO cluster in RESP3 = %v", v)
	}
}
