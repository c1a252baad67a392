package conformance

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A network namespace joined to this host by a veth pair: clients dialled
// from inside it reach the servers from an address that is not loopback, as
// a client on another machine would. Creating one needs root (CAP_NET_ADMIN)
// and iproute2's ip; CI runs as root, and there (REDOUBT_REQUIRE_REDIS set)
// a missing ip or a failure to build the namespace fails the test instead of
// skipping it.
type netns struct {
	name   string // the namespace, as ip netns names it
	host   string // the host side's interface
	hostIP string // the host side's address, which servers bind
	nsIP   string // the namespace side's address, the clients' source
}

// netnsPrefix starts the names of every namespace and interface the tests
// make, so that leftovers of a killed run can be recognised and removed.
const netnsPrefix = "rdbt"

// requireNetns skips the test where a network namespace cannot be made
// (not root, no ip), or fails it when REDOUBT_REQUIRE_REDIS is set.
func requireNetns(t *testing.T) {
	t.Helper()
	why := ""
	if ipPath() == "" {
		why = "iproute2's ip is not installed"
	} else if os.Geteuid() != 0 {
		why = "making a network namespace needs root"
	}
	if why == "" {
		return
	}
	if os.Getenv("REDOUBT_REQUIRE_REDIS") != "" {
		t.Fatalf("%s; REDOUBT_REQUIRE_REDIS is set, as in CI, which runs as root with ip installed", why)
	}
	t.Skipf("%s; set REDOUBT_REQUIRE_REDIS=1 to make this a failure", why)
}

// ipPath is where ip is: on the PATH, or in the sbin directories a
// non-root PATH may lack; "" if nowhere.
func ipPath() string {
	if p, err := exec.LookPath("ip"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/ip", "/sbin/ip"} {
		if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// ipCmd runs ip with args and returns its error with its output.
func ipCmd(args ...string) error {
	out, err := exec.Command(ipPath(), args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// removeStaleNetns deletes namespaces and links left by a run of this test
// binary that was killed before its clean-up ran: their names carry the pid
// of a process that no longer exists.
func removeStaleNetns() {
	out, _ := exec.Command(ipPath(), "netns", "list").Output()
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		pid, ok := strings.CutPrefix(name, netnsPrefix+"-")
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(pid); err == nil && unix.Kill(n, 0) == unix.ESRCH {
			ipCmd("netns", "del", name)
			ipCmd("link", "del", netnsPrefix+pid+"h")
		}
	}
}

// newNetns makes a namespace and a veth pair whose ends carry the two usable
// addresses of a private /30 (in 198.18.0.0/15, the range set aside for
// benchmarking networks, which no real network should route), brings both
// up, and removes everything when the test ends, whether it passed or not.
func newNetns(t *testing.T) *netns {
	t.Helper()
	requireNetns(t)
	removeStaleNetns()
	pid := os.Getpid()
	// One namespace per test binary at a time (its tests using one are not
	// parallel); the /30 is chosen from the pid so that two binaries
	// running at once (go test ./... runs packages side by side) differ.
	block := uint32(pid % (1 << 15)) // 198.18.0.0/15 holds 1<<15 blocks of 4
	base := uint32(198<<24|18<<16) + block*4
	ip4 := func(a uint32) string { return net.IPv4(byte(a>>24), byte(a>>16), byte(a>>8), byte(a)).String() }
	n := &netns{
		name:   netnsPrefix + "-" + strconv.Itoa(pid),
		host:   netnsPrefix + strconv.Itoa(pid) + "h",
		hostIP: ip4(base + 1),
		nsIP:   ip4(base + 2),
	}
	peer := netnsPrefix + strconv.Itoa(pid) + "n"
	t.Cleanup(func() {
		// Deleting one end of a veth pair deletes the other; deleting the
		// namespace would too, but the host end must go even if the
		// namespace was never made.
		if err := ipCmd("link", "del", n.host); err != nil && !strings.Contains(err.Error(), "Cannot find device") {
			t.Errorf("clean-up: %v", err)
		}
		if err := ipCmd("netns", "del", n.name); err != nil && !strings.Contains(err.Error(), "No such file") {
			t.Errorf("clean-up: %v", err)
		}
	})
	steps := [][]string{
		{"netns", "add", n.name},
		{"link", "add", n.host, "type", "veth", "peer", "name", peer},
		{"link", "set", peer, "netns", n.name},
		{"addr", "add", n.hostIP + "/30", "dev", n.host},
		{"link", "set", n.host, "up"},
		{"-n", n.name, "addr", "add", n.nsIP + "/30", "dev", peer},
		{"-n", n.name, "link", "set", peer, "up"},
		{"-n", n.name, "link", "set", "lo", "up"},
	}
	for _, s := range steps {
		if err := ipCmd(s...); err != nil {
			t.Fatal(err)
		}
	}
	// The host side's address is usable once duplicate address detection
	// (IPv6 only) and the link are up; wait until a connection from the
	// namespace to a listener there succeeds.
	ln, err := net.Listen("tcp4", net.JoinHostPort(n.hostIP, "0"))
	if err != nil {
		t.Fatalf("listen on the veth's host address: %v", err)
	}
	defer ln.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		nc, err := n.dial(ln.Addr().String())
		if err == nil {
			nc.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the namespace cannot reach %s: %v", ln.Addr(), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return n
}

// dial connects to addr from inside the namespace. The socket is made on a
// thread that joins the namespace for the call and then goes back to the
// host's: the connection, once made, belongs to the namespace whichever
// thread reads or writes it. The thread must not simply be left to die
// (what Go does with a thread locked by a goroutine that ends): it may be
// the one that started a redis-server, whose Pdeathsig would then kill it.
func (n *netns) dial(addr string) (net.Conn, error) {
	type result struct {
		nc  net.Conn
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		home, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{err: err}
			return
		}
		defer home.Close()
		ns, err := os.Open("/var/run/netns/" + n.name)
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{err: err}
			return
		}
		defer ns.Close()
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			done <- result{err: fmt.Errorf("setns: %v", err)}
			return
		}
		nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if unix.Setns(int(home.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		} // else the thread stays locked and dies with the goroutine
		done <- result{nc, err}
	}()
	r := <-done
	return r.nc, r.err
}

// client returns a conformance client connected from inside the namespace.
func (n *netns) client(t *testing.T, addr string) *client {
	t.Helper()
	nc, err := n.dial(addr)
	if err != nil {
		t.Fatalf("dial %s from the namespace: %v", addr, err)
	}
	c := &client{addr: addr, nc: nc, r: bufio.NewReader(nc)}
	t.Cleanup(c.drop)
	return c
}

// firstContact connects from the namespace, sends PING and returns what the
// server sent until it closed the connection or fell quiet, quoted, with
// whether it closed.
func (n *netns) firstContact(t *testing.T, addr string) string {
	t.Helper()
	c := n.client(t, addr)
	c.nc.Write(encodeCommand(toBytes([]string{"PING"})))
	data, closed := c.readAtLeast(1)
	return strconv.Quote(string(data)) + " closed=" + strconv.FormatBool(closed)
}
