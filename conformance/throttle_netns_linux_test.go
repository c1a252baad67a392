package conformance

import (
	"strconv"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/server"
)

// TestLoginThrottleFromNetns: a client in the network namespace guesses the
// default user's password over the veth. Redis answers every guess at once;
// Redoubt answers the first few at once and makes the later ones wait,
// longer and longer (redoubt-auth-throttle-delay, doubled per failure), while
// a correct password from another address (127.0.0.1, which has failed
// nothing) logs in at once, and the namespace's WRONGPASS replies are
// Redis's.
func TestLoginThrottleFromNetns(t *testing.T) {
	ns := newNetns(t)
	bin := requireTool(t, "redis-server")
	const pw = "netns-password-0123456789abcdef0123"
	const after, delay = 5, 20 * time.Millisecond
	args := []string{"--bind", ns.hostIP, "127.0.0.1", "--protected-mode", "yes", "--requirepass", pw}
	rs, err := startRedis(bin, args)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rs.stop)
	cfg, err := redoubtConfig(append(args, "--redoubt-auth-throttle", "yes",
		"--redoubt-auth-throttle-after", strconv.Itoa(after),
		"--redoubt-auth-throttle-delay", strconv.Itoa(int(delay/time.Millisecond))))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })

	names := [2]string{"Redoubt", "Redis"}
	var tenth, good [2]time.Duration
	var replies [2][]string
	for i, addr := range []string{onAddr(t, srv.Addr(), "127.0.0.1"), rs.addr} {
		guesser := ns.client(t, onAddr(t, addr, ns.hostIP))
		for n := 1; n <= 10; n++ {
			t0 := time.Now()
			v := mustDo(t, guesser, "AUTH", "wrong-guess-"+strconv.Itoa(n))
			tenth[i] = time.Since(t0)
			replies[i] = append(replies[i], v.String())
		}
		local := newClient(t, addr)
		t0 := time.Now()
		v := mustDo(t, local, "AUTH", pw)
		good[i] = time.Since(t0)
		if v.Kind != '+' {
			t.Errorf("%s: the correct password from 127.0.0.1 = %v", names[i], v)
		}
	}
	for n := range replies[1] {
		if replies[0][n] != replies[1][n] {
			t.Errorf("wrong guess %d from the namespace: Redoubt %s, Redis %s", n+1, replies[0][n], replies[1][n])
		}
	}
	// The tenth failure waits for the delay doubled at each failure past
	// the fifth: 16 times it, so surely more than 4 times.
	if tenth[0] < 4*delay {
		t.Errorf("Redoubt answered the tenth wrong guess from the namespace in %v, want a wait of at least %v", tenth[0], 4*delay)
	}
	if tenth[1] >= tenth[0]/2 {
		t.Errorf("Redis took %v over the tenth wrong guess, Redoubt %v: the comparison shows nothing", tenth[1], tenth[0])
	}
	if good[0] >= tenth[0]/2 {
		t.Errorf("Redoubt took %v over a correct password from 127.0.0.1 after the namespace's guesses (the tenth took %v)", good[0], tenth[0])
	}
}
