package conformance

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/server"
	"github.com/redoubt-db/redoubt/server/servertest"
)

var rewrite = flag.Bool("rewrite", false, "record the replies of a real redis-server into the scripts")

// overUnix runs the scripts over a Unix socket of each server instead of
// TCP (issue 10): go test ./conformance -run 'TestRedoubt|TestRedis' -unix.
// Scripts marked "#! tcp-only" (they show or judge the client's TCP
// address) are skipped.
var overUnix = flag.Bool("unix", false, "run the scripts over each server's Unix socket instead of TCP")

// unixSocketPath makes a short directory for a script's socket, removed
// when the test ends (t.TempDir's names, made of the test's, can pass the
// 107 bytes a socket path may have).
func unixSocketPath(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "conf-unix-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "s.sock")
}

func scripts(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in testdata: %v", err)
	}
	return files
}

// redoubtConfig turns a script's "#! args:" header into a server config:
// the embedded defaults with the arguments applied as redis-server applies
// its command line, so "#! args: --hz 100" means the same to both servers.
// The harness gives Redis its own port, bind and persistence arguments;
// scripts must not set those. Redoubt's login throttling is off: Redis
// answers every AUTH at once, and scripts try many wrong passwords in a
// row (server/throttle_test.go tests the throttling).
func redoubtConfig(args []string) (server.Config, error) {
	cfg, err := server.ApplyArgs(server.Config{}, args)
	if err == nil && cfg.AuthThrottle == nil {
		th := server.DefaultAuthThrottle()
		th.InsecureDisable = true
		cfg.AuthThrottle = &th
	}
	return cfg, err
}

// TestRedoubt replays every script against an embedded Redoubt server and
// compares each reply with the one recorded from Redis.
func TestRedoubt(t *testing.T) {
	if *rewrite {
		t.Skip("recording from Redis")
	}
	tf := scriptsOverTLS(t) // tls_test.go: nil unless -tls
	for _, path := range scripts(t) {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			skipOverTLS(t, tf, path) // tls_test.go
			sc, err := loadScript(path)
			if err != nil {
				t.Fatal(err)
			}
			if !sc.serial {
				t.Parallel()
			}
			cfg, err := redoubtConfig(sc.args)
			if err != nil {
				t.Fatal(err)
			}
			// Redoubt's time stands still except where the script
			// sleeps, so deadlines are met exactly whatever the load on
			// the machine; TestRedis checks the same script in real time.
			// ApplyArgs set the system clock; servertest puts a manual
			// one in its place.
			cfg.Clock = nil
			if tf != nil {
				redoubtTLSConfig(&cfg, tf)
			}
			if *overUnix {
				if sc.tcpOnly {
					t.Skip("#! tcp-only")
				}
				cfg.UnixSocket = unixSocketPath(t)
			}
			srv := servertest.New(t, cfg)
			if names, err := scriptRequires(path); err != nil {
				t.Fatal(err)
			} else if missing, err := missingCommands(srv.Addr(), names); err != nil {
				t.Fatal(err)
			} else if len(missing) > 0 {
				t.Skipf("Redoubt lacks %s, which the script needs", strings.Join(missing, ", "))
			}
			// A sleep moves the clock and nothing else: srv.Advance
			// would also delete the expired keys at once, which Redis
			// leaves to its lazy and active expiry.
			addr := srv.Addr()
			if tf != nil {
				addr = srv.TLSAddr()
			}
			if *overUnix {
				addr = unixPrefix + cfg.UnixSocket
			}
			checkScript(t, sc, addr, func(d time.Duration) { srv.Clock().Advance(d) })
		})
	}
}

// TestRedis replays every script against a real redis-server, proving that
// the recorded replies are Redis's. With -rewrite it records them instead.
func TestRedis(t *testing.T) {
	bin := requireTool(t, "redis-server")
	tf := scriptsOverTLS(t) // tls_test.go: nil unless -tls
	if tf != nil && *rewrite {
		t.Fatal("record from Redis over plain TCP: -rewrite and -tls do not go together")
	}
	for _, path := range scripts(t) {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			skipOverTLS(t, tf, path) // tls_test.go
			t.Parallel()
			sc, err := loadScript(path)
			if err != nil {
				t.Fatal(err)
			}
			args, addr := sc.args, ""
			if *overUnix {
				if *rewrite || sc.tcpOnly {
					t.Skip("recordings are made over TCP; #! tcp-only scripts run over TCP only")
				}
				path := unixSocketPath(t)
				args, addr = append(slices.Clone(args), "--unixsocket", path), unixPrefix+path
			}
			var rs *redisServer
			if tf != nil {
				rs, err = startRedisTLS(bin, args, tf)
			} else {
				rs, err = startRedis(bin, args)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer rs.stop()
			if tf != nil {
				addr = rs.tlsAddr
			}
			if addr == "" {
				addr = rs.addr
			}
			if !*rewrite {
				checkScript(t, sc, addr, time.Sleep)
				return
			}
			got, err := run(sc, addr, time.Sleep)
			if err != nil {
				t.Fatal(err)
			}
			i := 0
			for _, it := range sc.items {
				if it.block != nil {
					it.block.expected = got[i]
					it.block.recorded = true
					i++
				}
			}
			if err := sc.write(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// checkScript runs sc against addr and reports every block whose reply
// differs from the recording.
func checkScript(t *testing.T, sc *script, addr string, sleep func(time.Duration)) {
	t.Helper()
	got, err := run(sc, addr, sleep)
	i := 0
	for _, it := range sc.items {
		b := it.block
		if b == nil {
			continue
		}
		if i >= len(got) {
			break
		}
		if cerr := compare(b, got[i]); cerr != nil {
			t.Errorf("%s:%d: %s\n%v", sc.path, b.line, b.cmdText, cerr)
		}
		i++
	}
	if err != nil {
		t.Fatal(err)
	}
}
