package main

import (
	"bufio"
	"context"
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// describeEnv returns the lines that say where and with what the figures
// were measured.
func describeEnv(o options, t tools, r *report) []string {
	lines := []string{
		fmt.Sprintf("Date: %s", time.Now().UTC().Format("2006-01-02 15:04 MST")),
		fmt.Sprintf("CPU: %d × %s; kernel %s; Go runtime of this tool: %s, GOMAXPROCS %d",
			runtime.NumCPU(), cpuModel(), kernel(), runtime.Version(), runtime.GOMAXPROCS(0)),
		fmt.Sprintf("Redis: %s; %s", firstLine(t.redisServer, "--version"), firstLine(t.redisBenchmark, "--version")),
		"Redoubt: " + redoubtBuild(t.redoubt),
	}
	threads := ""
	switch {
	case r.throughput != nil:
		threads = r.throughput.threads
	case r.memory != nil:
		threads = r.memory.threads
	}
	if threads != "" {
		lines = append(lines, "Threads: "+threads)
	}
	lines = append(lines, fmt.Sprintf("Both servers: `%s` on loopback; redis-benchmark, both servers and this tool share the machine, unpinned",
		shownServerArgs()))
	return lines
}

// shownServerArgs returns serverArgs as a shell command line, with N for the
// port: --port N --bind 127.0.0.1 --save "" --appendonly no --unixsocket
// vsredis-N.sock --unixsocketperm 700.
func shownServerArgs() string {
	args := serverArgs(0)
	for i, a := range args {
		switch {
		case i > 0 && args[i-1] == "--port":
			args[i] = "N"
		case i > 0 && args[i-1] == "--unixsocket":
			args[i] = strings.Replace(args[i], "-0.", "-N.", 1)
		case a == "" || strings.ContainsAny(a, " \t\"'\\$"):
			args[i] = strconv.Quote(a)
		}
	}
	return strings.Join(args, " ")
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func kernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return runtime.GOOS
	}
	return runtime.GOOS + " " + strings.TrimSpace(string(b))
}

// firstLine runs a program briefly and returns the first line it prints.
func firstLine(bin string, args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).Output()
	if err != nil {
		return bin + " (version unknown: " + err.Error() + ")"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}

// redoubtBuild describes the redoubt-server binary from its embedded build
// information, without running it.
func redoubtBuild(path string) string {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return path + " (no Go build information: " + err.Error() + ")"
	}
	desc := fmt.Sprintf("%s, built with %s", path, bi.GoVersion)
	if bi.Main.Path != "" {
		desc += fmt.Sprintf(", module %s %s", bi.Main.Path, bi.Main.Version)
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev != "" {
		desc += ", revision " + rev[:min(len(rev), 12)]
		if modified == "true" {
			desc += " (modified)"
		}
	}
	return desc
}
