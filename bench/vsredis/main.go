// Command vsredis runs redis-benchmark against a real redis-server and a
// redoubt-server side by side and reports Redoubt's throughput, latency and
// memory per element as ratios to Redis's.
//
//	go run ./bench/vsredis -redoubt bin/redoubt-server [-quick]
//
// Both servers run on free loopback ports with the same command line
// (--port N --bind 127.0.0.1 --save "" --appendonly no).
//
// Throughput: the tests (tests.go) are redis-benchmark's own for strings
// and the collection types (-t ping, set, get, incr, lpush, …, lrange_600,
// mset) and, on values of -elements members loaded into both servers first
// (shapes.go), commands of ours with random arguments (ZADD, ZRANK,
// ZRANGEBYSCORE … LIMIT 0 10 on a sorted set, HGET on a hash, SISMEMBER on a
// set). Client-side caching is measured three ways, every one of the 50
// clients speaking RESP3 with CLIENT TRACKING on: redis-benchmark's GET and
// SET with -3 --enable-tracking, and our own client's mix of 90% GET and
// 10% SET, where writes invalidate keys the others read (tracking.go). SET
// and GET also run as an ACL user, bench, limited to ~bench:* and
// +@all -@dangerous, created with ACL SETUSER on both servers and logged in
// by redis-benchmark (--user, -a); the report compares those rows with the
// default user's on the same server (acluser.go). A server without ACL
// SETUSER, or one that lets the user past its rules, skips them. Both
// servers also listen for TLS with a certificate made for the run, and SET,
// GET and PING on a new connection per request (redis-benchmark -k 0, so
// handshakes per second) run again over it with redis-benchmark --tls
// (tls.go). For
// each pipeline depth, each test runs against Redis, then
// Redoubt; all of them -reps times over. The ratio reported for a test is
// the median of the per-repetition ratios Redoubt/Redis, which cancels most
// of the drift of a shared machine. Slow tests run fewer requests, so that
// each run takes about as long as the others.
//
// Memory: a fresh pair of servers loads -keys small string keys, and one
// fresh pair per collection shape loads it (memshapes.go); the growth of
// each process's resident set, once it holds still, gives bytes per key or
// element.
//
// A test or shape a server lacks a command for is left out (for that
// server) and listed, so the tool runs against a Redoubt that has only
// some of the commands; -redoubt "$(command -v redis-server)" runs it
// against two Redises, which checks the tests themselves.
//
// The report is Markdown on standard output; progress goes to standard
// error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// options are the command-line settings of a run.
type options struct {
	redoubt           string
	reps              int
	requests          int
	pipelinedRequests int
	clients           int
	keyspace          int
	keys              int
	elements          int
	pipelines         []int
	tests             []benchTest
	shapes            []*shape
	gomaxprocs        int
	throughput        bool
	pubsub            bool
	pubsubKinds       []pubsubKind
	memory            bool
	timeout           time.Duration
	quietWait         time.Duration
	quietBudget       time.Duration
	verbose           bool
	floor             bool
	floorServer       string
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is main without the exit, so that deferred clean-ups (stopping the
// servers) always happen.
func run(args []string, stdout, stderr io.Writer) int {
	opts, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "vsredis:", err)
		return 2
	}
	if opts.floorServer != "" {
		return runFloorServer(opts.floorServer, stderr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := compare(ctx, opts, stdout, stderr); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("interrupted (%v)", err)
		}
		fmt.Fprintln(stderr, "vsredis:", err)
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("vsredis", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.redoubt, "redoubt", "bin/redoubt-server", "path of the redoubt-server binary")
	fs.IntVar(&o.reps, "reps", 5, "interleaved repetitions (Redis, Redoubt, Redis, …) per pipeline depth")
	fs.IntVar(&o.requests, "requests", 30_000, "requests per test at pipeline depth 1 (redis-benchmark -n), divided for the slower tests (see tests.go)")
	fs.IntVar(&o.pipelinedRequests, "pipelined-requests", 300_000, "requests per test at pipeline depths above 1, divided for the slower tests")
	fs.IntVar(&o.clients, "clients", 50, "parallel connections (redis-benchmark -c)")
	fs.IntVar(&o.keyspace, "keyspace", 100_000, "random keys per test (redis-benchmark -r)")
	fs.IntVar(&o.keys, "keys", 1_000_000, "string keys loaded for the memory comparison")
	fs.IntVar(&o.elements, "elements", 1_000_000, "elements of each collection shape in the memory comparison (a big value holds them all, small values 10 each), and of the big values the *-big tests work on")
	pipelines := fs.String("pipelines", "1,16", "pipeline depths (redis-benchmark -P), comma-separated")
	tests := fs.String("tests", defaultTests(), "tests, comma-separated: redis-benchmark's own (-t) and ours on big values (*-big)")
	shapeList := fs.String("shapes", shapeNames(), "collection shapes for the memory comparison, comma-separated, or none")
	fs.IntVar(&o.gomaxprocs, "gomaxprocs", 0, "GOMAXPROCS for the redoubt-server process (its environment); 0 leaves the binary's own choice (redoubt-server: io-threads, default 1)")
	fs.BoolVar(&o.throughput, "throughput", true, "run the redis-benchmark comparison")
	fs.BoolVar(&o.memory, "memory", true, "run the memory comparison")
	fs.BoolVar(&o.pubsub, "pubsub", true, "run the pub/sub comparison (PUBLISH fan-out and fan-in, see pubsub.go)")
	pubsubKinds := fs.String("pubsub-tests", "fan-out,fan-in", "pub/sub shapes, comma-separated: fan-out, fan-in")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "limit for one redis-benchmark run")
	fs.DurationVar(&o.quietWait, "quiet-wait", time.Minute, "before a pair of runs that follows a busy one, wait up to this long for other processes to leave the CPUs (<10% busy); 0 does not wait")
	fs.DurationVar(&o.quietBudget, "quiet-budget", time.Minute, "wait for quiet at most this long in all, so that a busy machine does not stretch the run without end")
	fs.BoolVar(&o.verbose, "v", false, "print every repetition's figures to standard error")
	fs.BoolVar(&o.floor, "floor", true, "also run the PING tests against the floor: a bare Go server that answers +PONG (see floor.go)")
	fs.StringVar(&o.floorServer, "floor-server", "", "run as the floor server on this loopback port (vsredis starts it so)")
	quick := fs.Bool("quick", false, "smoke-test mode: 2 repetitions, 10,000/100,000 requests, 100,000 keys and elements, -quiet-wait 10s (explicit flags win)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["reps"] {
			o.reps = 2
		}
		if !set["requests"] {
			o.requests = 10_000
		}
		if !set["pipelined-requests"] {
			o.pipelinedRequests = 100_000
		}
		if !set["keys"] {
			o.keys = 100_000
		}
		if !set["elements"] {
			o.elements = 100_000
		}
		if !set["quiet-wait"] {
			o.quietWait = 10 * time.Second
		}
	}
	for _, p := range splitList(*pipelines) {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return o, fmt.Errorf("-pipelines: %q is not a positive integer", p)
		}
		o.pipelines = append(o.pipelines, n)
	}
	for _, k := range splitList(*pubsubKinds) {
		if k != string(fanOut) && k != string(fanIn) {
			return o, fmt.Errorf("-pubsub-tests: unknown shape %q (known: fan-out, fan-in)", k)
		}
		o.pubsubKinds = append(o.pubsubKinds, pubsubKind(k))
	}
	var err error
	if o.tests, err = selectTests(*tests); err != nil {
		return o, err
	}
	if o.shapes, err = selectShapes(*shapeList); err != nil {
		return o, err
	}
	switch {
	case o.reps < 1:
		return o, errors.New("-reps must be at least 1")
	case o.requests < 1 || o.pipelinedRequests < 1:
		return o, errors.New("-requests and -pipelined-requests must be at least 1")
	case o.clients < 1:
		return o, errors.New("-clients must be at least 1")
	case o.keyspace < 1:
		return o, errors.New("-keyspace must be at least 1")
	case o.memory && o.keys < 1:
		return o, errors.New("-keys must be at least 1")
	case o.elements < 10:
		return o, errors.New("-elements must be at least 10")
	}
	return o, nil
}

// splitList splits a comma-separated option into its trimmed, lower-case
// items.
func splitList(s string) []string {
	var items []string
	for _, item := range strings.Split(s, ",") {
		items = append(items, strings.ToLower(strings.TrimSpace(item)))
	}
	return items
}

func joinList(items []string) string { return strings.Join(items, ",") }

// tools are the programs a run needs.
type tools struct {
	redisServer, redisBenchmark, redoubt string
}

func findTools(o options) (tools, error) {
	var t tools
	var missing []string
	var err error
	if t.redisServer, err = exec.LookPath("redis-server"); err != nil {
		missing = append(missing, "redis-server")
	}
	if t.redisBenchmark, err = exec.LookPath("redis-benchmark"); err != nil {
		missing = append(missing, "redis-benchmark")
	}
	if len(missing) > 0 {
		return t, fmt.Errorf("%s not found on PATH; install Debian's redis-server and redis-tools packages (apt-get install redis-server redis-tools)",
			strings.Join(missing, " and "))
	}
	st, err := os.Stat(o.redoubt)
	switch {
	case err != nil:
		return t, fmt.Errorf("redoubt-server binary: %w (build it with make build, or pass -redoubt)", err)
	case st.IsDir() || st.Mode()&0o111 == 0:
		return t, fmt.Errorf("redoubt-server binary %s is not an executable file", o.redoubt)
	}
	// The servers run in a scratch directory, so a relative path would
	// not be found from there.
	if t.redoubt, err = filepath.Abs(o.redoubt); err != nil {
		return t, err
	}
	return t, nil
}

// compare does the whole run and writes the report.
func compare(ctx context.Context, o options, stdout, stderr io.Writer) error {
	t, err := findTools(o)
	if err != nil {
		return err
	}
	workDir, err := os.MkdirTemp("", "vsredis-")
	if err != nil {
		return err
	}
	keepWorkDir := false
	defer func() {
		if keepWorkDir {
			fmt.Fprintf(stderr, "vsredis: server logs kept in %s\n", workDir)
			return
		}
		os.RemoveAll(workDir)
	}()
	progress := func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }

	start := time.Now()
	rep := &report{opts: o}
	if o.throughput {
		rep.throughput, err = runThroughput(ctx, o, t, workDir, progress)
		if err != nil {
			keepWorkDir = ctx.Err() == nil
			return err
		}
	}
	if o.pubsub {
		rep.pubsub, err = runPubSub(ctx, o, t, workDir, progress)
		if err != nil {
			keepWorkDir = ctx.Err() == nil
			return err
		}
	}
	if o.memory {
		rep.memory, err = runMemory(ctx, o, t, workDir, progress)
		if err != nil {
			keepWorkDir = ctx.Err() == nil
			return err
		}
		rep.shapes, err = runShapes(ctx, o, t, workDir, progress)
		if err != nil {
			keepWorkDir = ctx.Err() == nil
			return err
		}
	}
	rep.elapsed = time.Since(start)
	rep.env = describeEnv(o, t, rep)
	rep.write(stdout)
	return nil
}
