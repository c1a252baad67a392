package server

import (
	"errors"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
)

// fakeNofile is an open-files limit that accepts any value up to ceiling,
// as the kernel does for a process that may raise its hard limit to
// fs.nr_open, or for one that may not (ceiling = its hard limit).
type fakeNofile struct {
	cur, max, ceiling uint64
	sets              int
}

func (f *fakeNofile) nofile() nofile {
	return nofile{
		get: func() (uint64, uint64, error) { return f.cur, f.max, nil },
		set: func(cur, max uint64) error {
			f.sets++
			if cur > f.ceiling || max > f.ceiling {
				return syscall.EPERM
			}
			f.cur, f.max = cur, max
			return nil
		},
	}
}

// redisFit is Redis's adjustOpenFilesLimit loop, step by step, as the
// model: the limit it ends with and the clients that fit.
func redisFit(maxclients int, cur, ceiling uint64) (limit uint64, clients int) {
	want := uint64(maxclients) + 32
	if cur >= want {
		return cur, maxclients
	}
	best := want
	for best > cur {
		if best <= ceiling {
			break
		}
		if best < 16 {
			best = cur
			break
		}
		best -= 16
	}
	if best < cur {
		best = cur
	}
	if best >= want {
		return best, maxclients
	}
	if best <= 32 {
		return best, 0
	}
	return best, int(best - 32)
}

func TestFitOpenFilesLikeRedis(t *testing.T) {
	cases := []struct {
		maxclients    int
		cur, ceiling  uint64
		wantLimit     uint64
		wantClients   int
		wantRaised    bool
		wantNoRefusal bool
	}{
		{10000, 20000, 20000, 20000, 10000, false, true}, // room already
		{10000, 1024, 1 << 20, 10032, 10000, true, true}, // raised
		{10000, 256, 256, 256, 224, false, false},        // a hard limit
		{10000, 256, 1000, 992, 960, false, false},       // the highest step under 1000
		{2000000, 256, 1 << 20, 1 << 20, 1<<20 - 32, false, false},
		{10000, 32, 32, 32, 0, false, false}, // no room for a client
	}
	for _, c := range cases {
		f := &fakeNofile{cur: c.cur, max: c.cur, ceiling: c.ceiling}
		got := f.nofile().fitOpenFiles(c.maxclients)
		if got.limit != c.wantLimit || got.clients != c.wantClients || got.raised != c.wantRaised || (got.refusal == nil) != c.wantNoRefusal {
			t.Errorf("fit(%d) under cur %d, ceiling %d = %+v; want limit %d, clients %d, raised %v",
				c.maxclients, c.cur, c.ceiling, got, c.wantLimit, c.wantClients, c.wantRaised)
		}
		if f.cur != got.limit {
			t.Errorf("fit(%d) under cur %d, ceiling %d left the limit at %d, reports %d", c.maxclients, c.cur, c.ceiling, f.cur, got.limit)
		}
		if c.wantRaised || c.wantNoRefusal {
			continue
		}
		if !errors.Is(got.refusal, syscall.EPERM) {
			t.Errorf("fit(%d): refusal %v, want EPERM", c.maxclients, got.refusal)
		}
	}

	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		maxclients := 1 + rng.IntN(100000)
		cur := uint64(rng.IntN(120000))
		ceiling := cur + uint64(rng.IntN(120000))
		f := &fakeNofile{cur: cur, max: cur, ceiling: ceiling}
		got := f.nofile().fitOpenFiles(maxclients)
		limit, clients := redisFit(maxclients, cur, ceiling)
		if got.limit != limit || got.clients != clients || f.cur != limit {
			t.Fatalf("fit(%d) under cur %d, ceiling %d = limit %d (set %d), clients %d; Redis's loop gives %d, %d",
				maxclients, cur, ceiling, got.limit, f.cur, got.clients, limit, clients)
		}
		if f.sets > 64 {
			t.Fatalf("fit(%d) under cur %d, ceiling %d tried %d limits", maxclients, cur, ceiling, f.sets)
		}
	}
}

func TestFitOpenFilesKeepsHardLimit(t *testing.T) {
	// An unprivileged process: raising the soft limit up to the hard one
	// works, and the hard limit must stay where it was.
	f := &fakeNofile{cur: 1024, max: 4096, ceiling: 4096}
	got := f.nofile().fitOpenFiles(100)
	if got.limit != 1024 || f.max != 4096 {
		t.Fatalf("fit(100) = %+v, hard limit now %d", got, f.max)
	}
	got = f.nofile().fitOpenFiles(10000)
	if got.limit != 4096 || got.clients != 4064 || f.max != 4096 {
		t.Fatalf("fit(10000) = %+v, hard limit now %d", got, f.max)
	}
}

func TestFitOpenFilesUnreadable(t *testing.T) {
	nf := nofile{
		get: func() (uint64, uint64, error) { return 0, 0, syscall.ENOSYS },
		set: func(uint64, uint64) error { t.Fatal("set called"); return nil },
	}
	got := nf.fitOpenFiles(10000)
	if got.clients != 1024-32 || got.getError == nil {
		t.Fatalf("fit = %+v, want Redis's assumed 1024 files", got)
	}
}

func TestCStrerror(t *testing.T) {
	for err, want := range map[error]string{
		syscall.EPERM:  "Operation not permitted",
		syscall.EINVAL: "Invalid argument",
		nil:            "Success",
	} {
		if got := cStrerror(err); got != want {
			t.Errorf("cStrerror(%v) = %q, want %q", err, got, want)
		}
	}
}

// withNofile makes the servers started by the test see f as the process's
// open-files limit.
func withNofile(t *testing.T, f *fakeNofile) {
	saved := processNofile
	processNofile = f.nofile()
	t.Cleanup(func() { processNofile = saved })
}

func TestNewFitsMaxClientsToOpenFiles(t *testing.T) {
	withNofile(t, &fakeNofile{cur: 100, max: 100, ceiling: 100})
	var log logBuffer
	srv := tcStart(t, Config{LogOutput: &log})
	c := tcDial(t, srv)
	if got := c.do("CONFIG", "GET", "maxclients").flat(); got != "[maxclients 68]" {
		t.Errorf("CONFIG GET maxclients = %q, want 68 (100 files less 32)", got)
	}
	if got := tcInfo(c.str("INFO", "clients"))["maxclients"]; got != "68" {
		t.Errorf("INFO maxclients = %q", got)
	}
	if got := c.do("CONFIG", "SET", "maxclients", "69").flat(); got != "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating system is not able to handle the specified number of clients, try with 68" {
		t.Errorf("CONFIG SET maxclients 69 = %q", got)
	}
	if got := c.do("CONFIG", "GET", "maxclients").flat(); got != "[maxclients 68]" {
		t.Errorf("after a refused CONFIG SET, maxclients = %q", got)
	}
	for _, want := range []string{
		"# You requested maxclients of 10000 requiring at least 10032 max file descriptors.",
		"# Current maximum open files is 100. maxclients has been reduced to 68",
	} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
}

func TestNewRefusesWithoutRoomForClients(t *testing.T) {
	withNofile(t, &fakeNofile{cur: 32, max: 32, ceiling: 32})
	var log logBuffer
	srv, err := New(Config{LogOutput: &log})
	if err == nil {
		srv.Close()
		t.Fatal("New started with no file descriptor left for clients")
	}
	if !errors.Is(err, errOpenFiles) {
		t.Errorf("New: %v", err)
	}
	if want := "Your current 'ulimit -n' of 32 is not enough for the server to start. Please increase your open file limit to at least 10032. Exiting."; !strings.Contains(log.String(), want) {
		t.Errorf("log lacks %q:\n%s", want, log.String())
	}
}
