package conformance

import (
	"bytes"
	"net"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// startRedisConf starts redis-server on a free port with the config file
// conf first on its command line (where redis-server wants it), then
// extra, in the working directory dir ("" for the test's), stops it when
// the test ends, and returns its address.
func startRedisConf(t *testing.T, bin, dir, conf string, extra ...string) string {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command(bin, append([]string{conf, "--port", strconv.Itoa(port)}, extra...)...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := waitPing(addr, 5*time.Second); err != nil {
		t.Fatalf("redis-server did not start: %v\n%s", err, out.String())
	}
	return addr
}
