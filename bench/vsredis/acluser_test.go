package main

import (
	"context"
	"math"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/server"
)

// TestACLTests: the *-acl tests run their command as the ACL user, on keys
// the user may touch, with redis-benchmark logging in as it.
func TestACLTests(t *testing.T) {
	tests, err := selectTests("set-acl,get-acl")
	if err != nil {
		t.Fatal(err)
	}
	if len(tests) != 2 {
		t.Fatalf("selectTests = %d tests", len(tests))
	}
	for _, test := range tests {
		args := test.args(6379, "", 50, 16, 1000, 10000)
		i := slices.Index(args, "--user")
		if i < 0 || i+3 >= len(args) || args[i+1] != aclBenchUser.name || args[i+2] != "-a" || args[i+3] != aclBenchUser.password {
			t.Errorf("%s: redis-benchmark arguments %q do not log in as %s", test.name, args, aclBenchUser.name)
		}
		if key := test.command[1]; !strings.HasPrefix(key, "bench:") {
			t.Errorf("%s: key %q is outside the user's bench:* pattern", test.name, key)
		}
		for _, probe := range test.probe {
			if len(probe) > 1 && !strings.HasPrefix(probe[1], "bench:") {
				t.Errorf("%s: probe %q is outside the user's pattern", test.name, probe)
			}
		}
	}
}

// TestACLComparisons: each row run as the ACL user is compared with its own
// default-user row only, as the median of the per-repetition ratios.
func TestACLComparisons(t *testing.T) {
	tests, err := selectTests("set,get,set-acl,get-acl")
	if err != nil {
		t.Fatal(err)
	}
	d := &depthResults{pipeline: 1, pairs: map[string][]pair{}}
	add := func(name string, redis []float64, redoubt ...float64) {
		d.order = append(d.order, name)
		for i := range redis {
			d.pairs[name] = append(d.pairs[name], pair{result{test: name, rps: redis[i]}, result{test: name, rps: redoubt[i]}})
		}
	}
	add("SET", []float64{100, 200, 100}, 100, 100, 100)
	add("GET", []float64{100, 100, 100}, 200, 200, 200)
	add("SET bench:__rand_int__ xxx (ACL user bench)", []float64{100, 100, 100}, 96, 90, 99)
	add("GET bench:__rand_int__ (ACL user bench)", []float64{50, 100, 100}, 100, 180, 200)
	cs := d.aclComparisons(tests)
	if len(cs) != 2 {
		t.Fatalf("aclComparisons = %+v, want two", cs)
	}
	set, get := cs[0], cs[1]
	if set.baseline != "SET" || set.redoubt.median != 0.96 || set.redis.median != 1 || set.verdict() != "yes" {
		t.Errorf("SET comparison = %+v (%s)", set, set.verdict())
	}
	if get.baseline != "GET" || get.redoubt.median != 0.9 || get.redis.median != 1 || get.verdict() != "**no**" {
		t.Errorf("GET comparison = %+v (%s)", get, get.verdict())
	}
	if v := (aclComparison{redoubt: ratioStats{median: math.NaN()}}).verdict(); v != "n/a" {
		t.Errorf("verdict without figures = %q", v)
	}
	var b strings.Builder
	writeACLComparisons(&b, cs)
	if !strings.Contains(b.String(), "| GET bench:‹rand› (ACL user bench) | GET | 100.0% (50.0%–100.0%) | 90.0% (50.0%–100.0%) | **no** |") {
		t.Errorf("the comparison table:\n%s", b.String())
	}
}

// TestProbeUser: the ACL user is created and checked on a real redis-server
// (where the tests can run), refused by a server that does not enforce its
// rules (the floor server, which answers +PONG to everything), and created
// and checked on Redoubt.
func TestProbeUser(t *testing.T) {
	ctx := context.Background()
	tests, err := selectTests("set-acl,get-acl")
	if err != nil {
		t.Fatal(err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go floorServe(ln) // returns when ln is closed
	fake := &serverProc{name: "Fake", port: ln.Addr().(*net.TCPAddr).Port}
	for _, test := range tests {
		why, err := probeUser(ctx, fake, test)
		if err != nil || !strings.Contains(why, "does not enforce ACL user bench") {
			t.Errorf("%s on a server answering +PONG: %q, %v; want the refusal", test.name, why, err)
		}
	}

	srv, err := server.New(server.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	redoubt := &serverProc{name: "Redoubt", port: srv.Port()}
	for _, test := range tests {
		why, err := probeUser(ctx, redoubt, test)
		if why != "" || err != nil {
			t.Errorf("%s on Redoubt: %q, %v", test.name, why, err)
		}
	}

	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("REDOUBT_REQUIRE_REDIS") != "" {
			t.Fatalf("redis-server is required (REDOUBT_REQUIRE_REDIS is set): %v", err)
		}
		t.Skipf("redis-server not installed: %v", err)
	}
	redis, err := startServer(ctx, "Redis", bin, serverArgs, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer redis.stop()
	for _, test := range tests {
		if why, err := probeUser(ctx, redis, test); why != "" || err != nil {
			t.Errorf("%s on redis-server: %q, %v", test.name, why, err)
		}
	}
}
