// Command redoubt-server runs a Redoubt server. It takes the command line of
// redis-server:
//
//	redoubt-server [/path/to/redis.conf] [--directive value …] [-]
//
// With no argument it serves on 127.0.0.1 and ::1, port 6379, and logs to
// standard output. SIGTERM and SIGINT shut it down gracefully; it exits 0
// after a shutdown (signal or SHUTDOWN command) and 1 when the
// configuration is bad or the server cannot start.
//
//	redoubt-server --check-config FILE [--min-level LEVEL] [options]
//
// audits the configuration instead of starting a server (see usage).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
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
	if slices.Contains(args, "--check-config") {
		return checkConfig(args, stdout, stderr)
	}
	cfg, err := server.ParseArgs(args)
	if err != nil {
		printConfigError(stderr, err)
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

// printConfigError reports an error of ParseArgs as redis-server does.
func printConfigError(stderr io.Writer, err error) {
	var ce *server.ConfigError
	if errors.As(err, &ce) {
		fmt.Fprint(stderr, ce.Report())
	} else {
		fmt.Fprintln(stderr, err)
	}
}

// Exit statuses of --check-config.
const (
	checkOK         = 0 // audited, at or above the requested level
	checkBadConfig  = 1 // bad usage, or a configuration the server would refuse
	checkBelowLevel = 2 // audited, below the requested level
)

// checkConfig is --check-config FILE [--min-level LEVEL] [options]: it
// audits the configuration of FILE (with the options applied after it, as
// when starting) without starting a server, prints every check, and exits
// checkBelowLevel when the level reached is below LEVEL.
func checkConfig(args []string, stdout, stderr io.Writer) int {
	var file, minName string
	var rest []string
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--check-config", "--min-level":
			if i+1 >= len(args) {
				fmt.Fprintf(stderr, "%s needs a value\n\n%s", args[i], usage)
				return checkBadConfig
			}
			if args[i] == "--check-config" {
				if file != "" {
					fmt.Fprintf(stderr, "--check-config given twice\n\n%s", usage)
					return checkBadConfig
				}
				file = args[i+1]
			} else {
				minName = args[i+1]
			}
			i++
		default:
			rest = append(rest, args[i])
		}
	}
	minLevel := server.LevelNone
	if minName != "" {
		l, ok := server.ParseLevel(minName)
		if !ok {
			fmt.Fprintf(stderr, "--min-level %q is not one of basic, standard, high, paranoid\n", minName)
			return checkBadConfig
		}
		minLevel = l
	}
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "--") && rest[0] != "-" {
		fmt.Fprintf(stderr, "--check-config takes the config file; %q is one more\n\n%s", rest[0], usage)
		return checkBadConfig
	}
	if fi, err := os.Stat(file); err == nil && fi.IsDir() {
		fmt.Fprintf(stderr, "--check-config %s: a directory, not a config file\n", file)
		return checkBadConfig
	}
	cfg, err := server.ParseArgs(append([]string{file}, rest...))
	if err != nil {
		printConfigError(stderr, err)
		return checkBadConfig
	}
	report, err := server.CheckConfig(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "The server would not start with this configuration: %v\n", err)
		return checkBadConfig
	}
	fmt.Fprintf(stdout, "Security audit of %s (Redoubt %s)\n\n", cfg.ConfigFile, server.Version)
	fmt.Fprint(stdout, report.Text())
	if report.Level < minLevel {
		fmt.Fprintf(stdout, "Below the requested level, %s.\n", minLevel)
		return checkBelowLevel
	}
	return checkOK
}

const usage = `Usage: redoubt-server [/path/to/redis.conf] [options] [-]
       redoubt-server - (read the configuration from standard input)
       redoubt-server --check-config /path/to/redis.conf [--min-level LEVEL] [options]
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

--check-config audits the configuration without starting a server: every
check of the security audit with its result and remedy, and the maturity
level reached (none, basic, standard, high or paranoid). It exits 0, or 2
when a --min-level (basic, standard, high or paranoid) is given and not
reached, and 1 when the configuration is bad or the server would refuse it.
File modes are judged as they are; running as root is judged for the user
running the check.
       redoubt-server --check-config /etc/redoubt/redoubt.conf --min-level high
`
