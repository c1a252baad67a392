package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// redisServer is a real redis-server started for one script.
type redisServer struct {
	cmd     *exec.Cmd
	addr    string
	tlsAddr string // the TLS listener, started by startRedisTLS
	out     bytes.Buffer
}

// findRedisServer returns the redis-server binary to compare against:
// $REDIS_SERVER, or redis-server on PATH.
func findRedisServer() (string, error) {
	if p := os.Getenv("REDIS_SERVER"); p != "" {
		return p, nil
	}
	return exec.LookPath("redis-server")
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startRedis starts redis-server on a free loopback port with persistence
// off and the extra arguments, and waits until it answers.
func startRedis(bin string, extra []string) (*redisServer, error) {
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", ""}, extra...)
		rs := &redisServer{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
		rs.cmd = exec.Command(bin, args...)
		// Die with the test binary, even if it is killed by -timeout.
		rs.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		rs.cmd.Stdout, rs.cmd.Stderr = &rs.out, &rs.out
		if err := rs.cmd.Start(); err != nil {
			return nil, err
		}
		if err := waitPing(rs.addr, 5*time.Second); err != nil {
			rs.stop()
			lastErr = fmt.Errorf("redis-server did not start: %v\n%s", err, rs.out.String())
			continue
		}
		return rs, nil
	}
	return nil, lastErr
}

func (rs *redisServer) stop() {
	if rs.cmd.Process != nil {
		rs.cmd.Process.Kill()
		rs.cmd.Wait()
	}
}

func waitPing(addr string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		c := &client{addr: addr}
		v, err := c.do([][]byte{[]byte("PING")})
		c.drop()
		// A server that wants a password (requirepass) is up too.
		if err == nil && (v.Kind == '+' || v.Kind == '-' && strings.HasPrefix(v.Str, "NOAUTH")) {
			return nil
		}
		if err == nil {
			err = errors.New(v.String())
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}
