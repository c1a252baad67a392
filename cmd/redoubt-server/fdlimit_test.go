package main

import (
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// limitedServer is a server started under a low open-files limit.
type limitedServer struct {
	addr string
	log  *syncBuffer
}

// startLimited starts bin with args under 'ulimit -n nofile' and waits
// until it accepts connections. The test's cleanup kills it.
func startLimited(t *testing.T, bin string, nofile int, args ...string) limitedServer {
	t.Helper()
	port := freePort(t)
	script := "ulimit -n " + strconv.Itoa(nofile) + ` && exec "$0" "$@"`
	out := startListening(t, port, "sh", append([]string{"-c", script, bin}, append(serverArgs(port), args...)...)...)
	return limitedServer{net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), out}
}

// fdLogLine matches the log lines about open files and maxclients, and
// captures their text after the level mark.
var fdLogLine = regexp.MustCompile(`(?m)^\d+:[CM] \d\d \w{3} \d{4} [\d:.]+ [#*] (.*(?:open files|maxclients|ulimit).*)$`)

func fdLogLines(log string) []string {
	var lines []string
	for _, m := range fdLogLine.FindAllStringSubmatch(log, -1) {
		lines = append(lines, m[1])
	}
	return lines
}

// TestOpenFilesLimitLikeRedis starts redis-server and redoubt-server with
// more maxclients than 'ulimit -n 256' allows and compares what each makes
// of it: the log lines at start-up, the maxclients they settle on, and
// CONFIG SET maxclients beyond the limit.
func TestOpenFilesLimitLikeRedis(t *testing.T) {
	redisBin := requireTool(t, "redis-server", "REDIS_SERVER")
	const nofile = 256
	redis := startLimited(t, redisBin, nofile, "--maxclients", "10000")
	redoubt := startLimited(t, binary, nofile, "--maxclients", "10000")

	steps := [][]string{
		{"CONFIG", "GET", "maxclients"},
		{"CONFIG", "SET", "maxclients", "20000"},
		{"CONFIG", "GET", "maxclients"},
		{"CONFIG", "SET", "maxclients", "100"},
		{"CONFIG", "GET", "maxclients"},
		{"CONFIG", "SET", "maxclients", "200"},
		{"CONFIG", "GET", "maxclients"},
		{"CONFIG", "SET", "maxclients", "225"},
		{"CONFIG", "GET", "maxclients"},
	}
	for _, step := range steps {
		want := do(t, redis.addr, step...)
		got := do(t, redoubt.addr, step...)
		if got != want {
			t.Errorf("%s: Redoubt replies %q, Redis %q", strings.Join(step, " "), got, want)
		}
	}
	want, got := fdLogLines(redis.log.String()), fdLogLines(redoubt.log.String())
	if len(want) == 0 {
		t.Fatalf("Redis logged nothing about open files; its log:\n%s", redis.log.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("log lines about open files differ\nRedoubt:\n%s\nRedis:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
