// Command redoubt-server runs a Redoubt server. It takes the command line of
// redis-server:
//
//	redoubt-server [/path/to/redis.conf] [--directive value …] [-]
//
// With no argument it serves on 127.0.0.1 and ::1, port 6379, and logs to
// standard output. SIGTERM and SIGINT shut it down gracefully; it exits 0
// after a shutdown (signal or SHUTDOWN command) and 1 when the
// configuration is bad or the server cannot start.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/redoubt-db/redoubt/server"
)

// shutdownTimeout is how long a signal lets connections finish their
// commands, as Redis's shutdown-timeout default.
const shutdownTimeout = 10 * time.Second

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole program but for the exit; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "-v", "--version":
			fmt.Fprintf(stdout, "Redoubt server v=%s redis_version=%s go=%s bits=%d\n",
				server.Version, server.RedisVersion, runtime.Version(), strconv.IntSize)
			return 0
		case "-h", "--help":
			fmt.Fprint(stderr, usage)
			return 1
		}
	}
	cfg, err := server.ParseArgs(args)
	if err != nil {
		var ce *server.ConfigError
		if errors.As(err, &ce) {
			fmt.Fprint(stderr, ce.Report())
		} else {
			fmt.Fprintln(stderr, err)
		}
		return 1
	}
	cfg.LogOutput = stdout
	// ParseArgs starts from DefaultConfig (io-threads 1) and the directive
	// takes 1 to 128, so IOThreads is always set here. A GOMAXPROCS
	// environment variable wins; then report what the process really runs
	// with.
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(cfg.IOThreads)
	} else {
		cfg.IOThreads = runtime.GOMAXPROCS(0)
	}

	// As redis-server: a hang-up or a closed pipe does not stop the
	// server; SIGTERM and SIGINT shut it down. Signals are caught before
	// the server starts, so one sent during start-up is not lost.
	signal.Ignore(syscall.SIGHUP, syscall.SIGPIPE)
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)

	srv, err := server.New(cfg)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	results := make(chan error, 4)
	for {
		select {
		case <-srv.Done():
			return 0
		case sig := <-sigs:
			go func() { // exits when the shutdown ends or gives up
				ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
				defer cancel()
				results <- srv.ShutdownOnSignal(ctx, sig)
			}()
		case err := <-results:
			if errors.Is(err, server.ErrInterrupted) {
				return 1
			}
			// Otherwise the shutdown is over (cleanly, or after its
			// deadline closed the last connections) and Done is
			// closed.
		}
	}
}

const usage = `Usage: redoubt-server [/path/to/redis.conf] [options] [-]
       redoubt-server - (read the configuration from standard input)
       redoubt-server -v or --version
       redoubt-server -h or --help

Options are configuration directives, as in a redis.conf file, each
written as --name followed by its values; they apply after the file and
standard input, and the last value of a directive wins.

Examples:
       redoubt-server                      (127.0.0.1 and ::1, port 6379)
       redoubt-server /etc/redis/redis.conf
       redoubt-server --port 7777 --loglevel verbose
       redoubt-server /etc/redis/redis.conf --daemonize no --dir "$PWD"
       echo 'hz 20' | redoubt-server -
`
