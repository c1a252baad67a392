// Command bigmem measures the memory a server needs for big values and
// big replies, and how soon it gives it back, for redis-server and
// redoubt-server side by side:
//
//	go build -o bin/redoubt-server ./cmd/redoubt-server
//	go run ./bench/bigmem -redoubt bin/redoubt-server [-cases set-get,keys] [-scale 0.5]
//
// Each case runs on a fresh pair of servers, Redis first, one server at a
// time so that they do not compete for memory. For each, the report gives
// the resident set before the case, its peak during the case (VmHWM, as the
// process is fresh) and what is left 1 s and 10 s after the case's last
// reply (or disconnect), all in MB, and the peak as a ratio to Redis's.
//
// The cases (sizes at -scale 1):
//
//	replyoff-get   16 clients: CLIENT REPLY OFF, GET of a 64 MB value, CLIENT REPLY ON
//	replyoff-mget  1 client: CLIENT REPLY OFF, MGET of a 1 MB value 1000 times
//	set-get        SET of a 500 MB value, then GET of it
//	mget           MGET of a 1 MB value 300 times: a 300 MB reply
//	keys           KEYS * over 5 M small keys
//	partial        200 clients each send 4 MB of a bulk argument, then disconnect
//
// Memory figures of a Go program vary by some percent between runs (the
// collector's timing); the interesting differences are factors.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	redoubt := flag.String("redoubt", "bin/redoubt-server", "redoubt-server binary")
	redis := flag.String("redis", "redis-server", "redis-server binary")
	cases := flag.String("cases", "replyoff-get,replyoff-mget,set-get,mget,keys,partial", "comma-separated cases")
	scale := flag.Float64("scale", 1, "multiplies every size and count")
	only := flag.String("only", "", "run only this server: redis or redoubt")
	flag.Parse()
	fmt.Println("| case | server | before | peak | +1 s | +10 s | peak / Redis's |")
	fmt.Println("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
	for _, name := range strings.Split(*cases, ",") {
		run, ok := allCases[name]
		if !ok {
			fmt.Fprintln(os.Stderr, "bigmem: no case", name)
			os.Exit(2)
		}
		var redisPeak int64
		for _, srv := range []struct{ name, bin string }{{"Redis", *redis}, {"Redoubt", *redoubt}} {
			if *only != "" && !strings.EqualFold(*only, srv.name) {
				continue
			}
			r, err := measure(srv.bin, func(addr string) error { return run(addr, *scale) })
			if err != nil {
				fmt.Fprintf(os.Stderr, "bigmem: %s on %s: %v\n", name, srv.name, err)
				os.Exit(1)
			}
			ratio := "1"
			if srv.name == "Redis" {
				redisPeak = r.peak
			} else if redisPeak > 0 {
				ratio = fmt.Sprintf("%.2f", float64(r.peak)/float64(redisPeak))
			}
			fmt.Printf("| %s | %s | %s | %s | %s | %s | %s |\n", name, srv.name,
				mb(r.before), mb(r.peak), mb(r.after1), mb(r.after10), ratio)
		}
	}
}

var allCases = map[string]func(addr string, scale float64) error{
	"replyoff-get":  replyOffGet,
	"replyoff-mget": replyOffMget,
	"set-get":       setGet,
	"mget":          mget,
	"keys":          keys,
	"partial":       partial,
}

type result struct{ before, peak, after1, after10 int64 }

func mb(n int64) string { return strconv.FormatInt(n>>20, 10) }

// measure starts bin on a free port, runs fn against it and samples its
// memory.
func measure(bin string, fn func(addr string) error) (result, error) {
	var r result
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return r, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir, err := os.MkdirTemp("", "bigmem")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(dir)
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--proto-max-bulk-len", "1gb")
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return r, err
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }() // exits with the server
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for i := 0; ; i++ {
		c, err := dial(addr)
		if err == nil {
			_, err = c.do("PING")
			c.close()
			if err == nil {
				break
			}
		}
		if i == 100 {
			return r, fmt.Errorf("server did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	pid := cmd.Process.Pid
	mark = func() {
		// Writing 5 to clear_refs resets VmHWM to the current RSS.
		os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
		r.before = status(pid, "VmRSS")
	}
	mark()
	if err := fn(addr); err != nil {
		return r, err
	}
	r.peak = status(pid, "VmHWM")
	time.Sleep(time.Second)
	r.after1 = status(pid, "VmRSS")
	time.Sleep(9 * time.Second)
	r.after10 = status(pid, "VmRSS")
	return r, nil
}

// mark starts the measured part of a case: a case that loads data first
// calls it after loading.
var mark func()

// status returns a /proc/pid/status figure in bytes.
func status(pid int, field string) int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(v, "kB")), 10, 64)
			return n << 10
		}
	}
	return -1
}

// client is a minimal RESP client that reads replies without keeping them.
type client struct {
	nc net.Conn
	r  *bufio.Reader
	w  *bufio.Writer
}

func dial(addr string) (*client, error) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &client{nc: nc, r: bufio.NewReaderSize(nc, 1<<16), w: bufio.NewWriterSize(nc, 1<<16)}, nil
}

func (c *client) close() { c.nc.Close() }

// send buffers a command.
func (c *client) send(args ...any) {
	fmt.Fprintf(c.w, "*%d\r\n", len(args))
	for _, a := range args {
		switch a := a.(type) {
		case string:
			fmt.Fprintf(c.w, "$%d\r\n%s\r\n", len(a), a)
		case []byte:
			fmt.Fprintf(c.w, "$%d\r\n", len(a))
			c.w.Write(a)
			c.w.WriteString("\r\n")
		}
	}
}

// do sends a command and reads its reply, returning the reply's first line.
func (c *client) do(args ...any) (string, error) {
	c.send(args...)
	if err := c.w.Flush(); err != nil {
		return "", err
	}
	return c.read()
}

// read reads one reply, discarding bulk contents, and returns its first line.
func (c *client) read() (string, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("empty reply line")
	}
	switch line[0] {
	case '-':
		return line, errors.New(line)
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n >= 0 {
			if _, err := io.CopyN(io.Discard, c.r, int64(n)+2); err != nil {
				return "", err
			}
		}
	case '*':
		n, _ := strconv.Atoi(line[1:])
		for i := 0; i < n; i++ {
			if _, err := c.read(); err != nil {
				return "", err
			}
		}
	}
	return line, nil
}

func sized(n int, scale float64) int { return max(1, int(float64(n)*scale)) }

// setBig stores a value of n bytes at key.
func setBig(addr, key string, n int) error {
	c, err := dial(addr)
	if err != nil {
		return err
	}
	defer c.close()
	_, err = c.do("SET", key, bytesOf(n))
	return err
}

func bytesOf(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return b
}

func replyOffGet(addr string, scale float64) error {
	if err := setBig(addr, "big", sized(64<<20, scale)); err != nil {
		return err
	}
	errs := make(chan error, 16)
	for range 16 {
		go func() { // exits when its client is done
			c, err := dial(addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.close()
			c.send("CLIENT", "REPLY", "OFF")
			c.send("GET", "big")
			_, err = c.do("CLIENT", "REPLY", "ON")
			errs <- err
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			return err
		}
	}
	return nil
}

func replyOffMget(addr string, scale float64) error {
	if err := setBig(addr, "big", 1<<20); err != nil {
		return err
	}
	c, err := dial(addr)
	if err != nil {
		return err
	}
	defer c.close()
	args := []any{"MGET"}
	for range sized(1000, scale) {
		args = append(args, "big")
	}
	c.send("CLIENT", "REPLY", "OFF")
	c.send(args...)
	_, err = c.do("CLIENT", "REPLY", "ON")
	return err
}

func setGet(addr string, scale float64) error {
	n := sized(500<<20, scale)
	if err := setBig(addr, "big", n); err != nil {
		return err
	}
	c, err := dial(addr)
	if err != nil {
		return err
	}
	defer c.close()
	line, err := c.do("GET", "big")
	if err == nil && line != "$"+strconv.Itoa(n) {
		err = fmt.Errorf("GET replied %q", line)
	}
	return err
}

func mget(addr string, scale float64) error {
	if err := setBig(addr, "big", 1<<20); err != nil {
		return err
	}
	c, err := dial(addr)
	if err != nil {
		return err
	}
	defer c.close()
	args := []any{"MGET"}
	for range sized(300, scale) {
		args = append(args, "big")
	}
	_, err = c.do(args...)
	return err
}

func keys(addr string, scale float64) error {
	c, err := dial(addr)
	if err != nil {
		return err
	}
	defer c.close()
	n := sized(5_000_000, scale)
	const batch = 1000
	for i := 0; i < n; i += batch {
		args := []any{"MSET"}
		for j := i; j < min(n, i+batch); j++ {
			args = append(args, "key:"+strconv.Itoa(j), "v")
		}
		c.send(args...)
		if i/batch%100 == 99 || i+batch >= n {
			if err := c.w.Flush(); err != nil {
				return err
			}
			for k := i / batch / 100 * 100; k <= i/batch; k++ {
				if _, err := c.read(); err != nil {
					return err
				}
			}
		}
	}
	// Let the loading's garbage settle before the case proper; the
	// figures are about KEYS.
	time.Sleep(3 * time.Second)
	mark()
	line, err := c.do("KEYS", "*")
	if err == nil && line != "*"+strconv.Itoa(n) {
		err = fmt.Errorf("KEYS replied %q", line)
	}
	return err
}

func partial(addr string, scale float64) error {
	n := sized(200, scale)
	size := 4 << 20
	body := bytesOf(size - 1)
	for i := range n {
		c, err := dial(addr)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.w, "*3\r\n$3\r\nSET\r\n$%d\r\nk%d\r\n$%d\r\n", len(strconv.Itoa(i))+1, i, size)
		c.w.Write(body)
		if err := c.w.Flush(); err != nil {
			return err
		}
		defer c.close()
	}
	// Make sure the server has read it all, then disconnect everyone.
	time.Sleep(2 * time.Second)
	return nil
}
