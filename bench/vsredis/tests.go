package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A benchTest is one redis-benchmark run per server, repetition and
// pipeline depth: either one of redis-benchmark's own tests (-t) or a
// command of ours with __rand_int__ in it, which redis-benchmark replaces by
// a random number of twelve zero-padded digits below -r.
type benchTest struct {
	name    string   // as given to -tests
	builtin string   // redis-benchmark's -t name, or "" for command
	command []string // a custom command, run as redis-benchmark's arguments
	// big is the preloaded value the command works on (its key and
	// members match the command's); its keyspace (-r) is the big values'
	// size rather than -keyspace.
	big *shape
	// costP1 and costPipelined divide the request counts (-requests,
	// -pipelined-requests) for a test slower than most, so that each run
	// takes a similar time.
	costP1, costPipelined int
	// probe are commands that must succeed on a server for the test to run
	// there: the test's own command, on a key of its own, and those its
	// preload needs.
	probe [][]string
	// options are more redis-benchmark options (-3 --enable-tracking), and
	// suffix is added to the names of the rows the test reports, so that
	// they differ from the same command's rows without the options.
	options []string
	suffix  string
	// drive, when set, runs the test instead of redis-benchmark: a Go
	// load generator (driver.go).
	drive driver
	// user, when set, is the ACL user the test runs as (acluser.go): it is
	// created on each server before the probes, which run logged in as it,
	// and redis-benchmark logs in as it. baseline is the row of the same
	// command run as the default user, which the report compares it with.
	user     *benchUser
	baseline string
	// tls runs redis-benchmark --tls against the servers' TLS port (tls.go).
	tls bool
	// unix runs redis-benchmark over the server's Unix socket (-s)
	// instead of TCP.
	unix bool
}

// droppedRows are rows redis-benchmark prints that are preparation, not a
// test: its -t lrange_* runs push to the list first.
var droppedRows = map[string]bool{"LPUSH (needed to benchmark LRANGE)": true}

// allTests are the tests -tests may name, in the order they run. Order
// matters: LPOP and RPOP pop what LPUSH and RPUSH pushed, SPOP and ZPOPMIN
// what SADD and ZADD added, as in redis-benchmark's own suite, so that both
// servers see the same state at each step.
var allTests = []benchTest{
	{name: "ping", builtin: "ping", probe: [][]string{{"PING"}}},
	{name: "set", builtin: "set", probe: [][]string{{"SET", "vsredis:probe", "xxx"}}},
	// SET and GET as an ACL user limited to bench:* keys and to commands
	// that are not @dangerous, on the same 3-byte values and keyspace as
	// -t set and get (whose keys, key:…, the user may not touch), each
	// right after the default user's run, so that the two are compared
	// under the same conditions.
	{name: "set-acl", command: []string{"SET", "bench:__rand_int__", "xxx"}, user: aclBenchUser, suffix: aclSuffix, baseline: "SET",
		probe: [][]string{{"SET", "bench:probe", "xxx"}}},
	{name: "get", builtin: "get", probe: [][]string{{"GET", "vsredis:probe"}}},
	{name: "get-acl", command: []string{"GET", "bench:__rand_int__"}, user: aclBenchUser, suffix: aclSuffix, baseline: "GET",
		probe: [][]string{{"SET", "bench:probe", "xxx"}, {"GET", "bench:probe"}}},
	// GET and SET over TLS, and PING on a new TLS connection per request
	// (redis-benchmark -k 0): handshakes per second (issue 10).
	{name: "set-tls", builtin: "set", tls: true, suffix: tlsSuffix, probe: [][]string{{"SET", "vsredis:probe", "xxx"}}},
	{name: "get-tls", builtin: "get", tls: true, suffix: tlsSuffix, probe: [][]string{{"GET", "vsredis:probe"}}},
	{name: "handshake-tls", command: []string{"PING"}, tls: true, options: []string{"-k", "0"}, suffix: reconnectSuffix,
		costP1: 10, costPipelined: 150, probe: [][]string{{"PING"}}},
	// SET and GET over each server's Unix socket (issue 10), as -t set
	// and get over TCP.
	{name: "set-unix", builtin: "set", unix: true, suffix: unixSuffix, probe: [][]string{{"SET", "vsredis:probe", "xxx"}}},
	{name: "get-unix", builtin: "get", unix: true, suffix: unixSuffix, probe: [][]string{{"GET", "vsredis:probe"}}},
	{name: "incr", builtin: "incr", probe: [][]string{{"INCR", "vsredis:probe:counter"}}},
	{name: "lpush", builtin: "lpush", probe: [][]string{{"LPUSH", "vsredis:probe:list", "xxx"}}},
	{name: "rpush", builtin: "rpush", probe: [][]string{{"RPUSH", "vsredis:probe:list", "xxx"}}},
	{name: "lpop", builtin: "lpop", probe: [][]string{{"LPOP", "vsredis:probe:list"}}},
	{name: "rpop", builtin: "rpop", probe: [][]string{{"RPOP", "vsredis:probe:list"}}},
	{name: "sadd", builtin: "sadd", probe: [][]string{{"SADD", "vsredis:probe:set", "element:000000000001"}}},
	{name: "hset", builtin: "hset", probe: [][]string{{"HSET", "vsredis:probe:hash", "element:000000000001", "xxx"}}},
	{name: "spop", builtin: "spop", probe: [][]string{{"SPOP", "vsredis:probe:set"}}},
	{name: "zadd", builtin: "zadd", costPipelined: 2, probe: [][]string{{"ZADD", "vsredis:probe:zset", "1", "element:000000000001"}}},
	{name: "zpopmin", builtin: "zpopmin", probe: [][]string{{"ZPOPMIN", "vsredis:probe:zset"}}},
	{name: "lrange_100", builtin: "lrange_100", costPipelined: 5, probe: lrangeProbe("99")},
	{name: "lrange_300", builtin: "lrange_300", costP1: 2, costPipelined: 15, probe: lrangeProbe("299")},
	{name: "lrange_500", builtin: "lrange_500", costP1: 3, costPipelined: 25, probe: lrangeProbe("499")},
	{name: "lrange_600", builtin: "lrange_600", costP1: 3, costPipelined: 25, probe: lrangeProbe("599")},
	{name: "mset", builtin: "mset", costPipelined: 3, probe: [][]string{{"MSET", "vsredis:probe:a", "xxx", "vsredis:probe:b", "xxx"}}},
	{name: "multi", drive: multiIncrDriver, costP1: 2, costPipelined: 10,
		probe: [][]string{{"MULTI"}}},
	// Client-side caching: every one of the 50 clients speaks RESP3 and has
	// CLIENT TRACKING on, so each GET remembers its key for its client and
	// each SET of a remembered key invalidates it (the clients of the GET
	// run are gone by then: the SET run empties the table of their keys).
	{name: "get-tracking", builtin: "get", options: trackingOptions, suffix: trackingSuffix,
		probe: [][]string{{"CLIENT", "TRACKING", "on"}, {"GET", "vsredis:probe"}}},
	{name: "set-tracking", builtin: "set", options: trackingOptions, suffix: trackingSuffix,
		probe: [][]string{{"CLIENT", "TRACKING", "on"}, {"SET", "vsredis:probe", "xxx"}}},
	// Tracking clients that read and write: writes invalidate keys the
	// others read, with pushes (our own client: tracking.go).
	{name: "mixed-tracking", drive: trackingMixedDriver,
		probe: [][]string{{"CLIENT", "TRACKING", "on"}, {"GET", "vsredis:probe"}, {"SET", "vsredis:probe", "xxx"}}},
	{name: "zadd-big", command: []string{"ZADD", bigZsetKey, "__rand_int__", "m:__rand_int__"}, big: &bigZset,
		costPipelined: 4, probe: [][]string{{"ZADD", "vsredis:probe:bigzset", "1", "m:000000000001"}}},
	{name: "zrank-big", command: []string{"ZRANK", bigZsetKey, "m:__rand_int__"}, big: &bigZset,
		costPipelined: 4, probe: [][]string{{"ZADD", "vsredis:probe:bigzset", "1", "m:000000000001"}, {"ZRANK", "vsredis:probe:bigzset", "m:000000000001"}}},
	{name: "zrangebyscore-big", command: []string{"ZRANGEBYSCORE", bigZsetKey, "__rand_int__", "+inf", "LIMIT", "0", "10"}, big: &bigZset,
		costPipelined: 4, probe: [][]string{{"ZADD", "vsredis:probe:bigzset", "1", "m:000000000001"}, {"ZRANGEBYSCORE", "vsredis:probe:bigzset", "000000000001", "+inf", "LIMIT", "0", "10"}}},
	{name: "hget-big", command: []string{"HGET", bigHashKey, "f:__rand_int__"}, big: &bigHash,
		costPipelined: 4, probe: [][]string{{"HSET", "vsredis:probe:bighash", "f:000000000001", "v"}, {"HGET", "vsredis:probe:bighash", "f:000000000001"}}},
	{name: "sismember-big", command: []string{"SISMEMBER", bigSetKey, "m:__rand_int__"}, big: &bigSet,
		costPipelined: 4, probe: [][]string{{"SADD", "vsredis:probe:bigset", "m:000000000001"}, {"SISMEMBER", "vsredis:probe:bigset", "m:000000000001"}}},
}

// trackingOptions make redis-benchmark's clients speak RESP3 and turn
// CLIENT TRACKING on before the test; trackingSuffix marks their rows.
var (
	trackingOptions = []string{"-3", "--enable-tracking"}
	trackingSuffix  = " (50 clients tracking)"
)

// unixSuffix marks the rows of the tests run over the Unix socket.
var unixSuffix = " (Unix socket)"

// aclSuffix marks the rows of the tests run as aclBenchUser.
var aclSuffix = " (ACL user " + aclBenchUser.name + ")"

func lrangeProbe(stop string) [][]string {
	return [][]string{{"LPUSH", "vsredis:probe:list", "xxx"}, {"LRANGE", "vsredis:probe:list", "0", stop}}
}

// defaultTests is -tests' default: every test.
func defaultTests() string {
	names := make([]string, len(allTests))
	for i, t := range allTests {
		names[i] = t.name
	}
	return joinList(names)
}

// selectTests returns the tests a -tests list names, in allTests' order.
func selectTests(list string) ([]benchTest, error) {
	want := map[string]bool{}
	for _, name := range splitList(list) {
		if !slices.ContainsFunc(allTests, func(t benchTest) bool { return t.name == name }) {
			return nil, fmt.Errorf("-tests: unknown test %q (known: %s)", name, defaultTests())
		}
		want[name] = true
	}
	var out []benchTest
	for _, t := range allTests {
		if want[t.name] {
			out = append(out, t)
		}
	}
	return out, nil
}

// requests is how many requests the test runs at a pipeline depth: the
// option's count divided by the test's cost, at least 1,000.
func (t benchTest) requests(o options, pipeline int) int {
	all, cost := o.requests, t.costP1
	if pipeline > 1 {
		all, cost = o.pipelinedRequests, t.costPipelined
	}
	return max(all/max(cost, 1), min(1000, all))
}

// keyspace is the test's -r.
func (t benchTest) keyspace(o options) int {
	if t.big != nil {
		return o.elements
	}
	return o.keyspace
}

// args is redis-benchmark's command line for one run of the test against
// the server on port, whose Unix socket is sock.
func (t benchTest) args(port int, sock string, clients, pipeline, keyspace, requests int) []string {
	args := []string{"-h", "127.0.0.1", "-p", strconv.Itoa(port)}
	if t.unix {
		args = []string{"-s", sock}
	}
	args = append(args,
		"-c", strconv.Itoa(clients), "-P", strconv.Itoa(pipeline),
		"-r", strconv.Itoa(keyspace), "-n", strconv.Itoa(requests), "--csv",
	)
	args = append(args, t.options...)
	if t.user != nil {
		args = append(args, t.user.benchmarkOptions()...)
	}
	if t.builtin != "" {
		return append(args, "-t", t.builtin)
	}
	return append(args, t.command...)
}

// label is how the report names one of redis-benchmark's rows.
func label(test string) string {
	switch test {
	case "PING_INLINE":
		return "PING (inline)"
	case "PING_MBULK":
		return "PING (multibulk)"
	}
	// Custom commands are named by their command line: show the random
	// parts as redis-benchmark fills them in.
	return strings.ReplaceAll(test, "__rand_int__", "‹rand›")
}
