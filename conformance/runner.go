package conformance

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redoubt-db/redoubt/internal/splitargs"
)

const (
	replyTimeout = 10 * time.Second
	// quietPeriod is how long silence must last to conclude that a server
	// sends nothing more (raw and noreply blocks).
	quietPeriod = 300 * time.Millisecond
)

// scriptTLS, when set, makes the connections of script runs TLS (the -tls
// option of the tests: the scripts over TLS against redis-server over TLS).
var scriptTLS *tls.Config

// client is one connection of a script run.
type client struct {
	addr string
	nc   net.Conn
	r    *bufio.Reader
	// id is the connection's CLIENT ID once a $idN asked it, for the
	// connection idConn (a reconnection has another).
	id     string
	idConn net.Conn
	// tls, when set, makes the connection TLS with this configuration.
	tls *tls.Config
}

func (c *client) ensure() error {
	if c.nc != nil {
		return nil
	}
	var nc net.Conn
	var err error
	if c.tls != nil {
		nc, err = tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", c.addr, c.tls)
	} else {
		nc, err = dialAddr(c.addr)
	}
	if err != nil {
		return err
	}
	c.nc, c.r = nc, bufio.NewReader(nc)
	return nil
}

// unixPrefix marks an address that is the path of a Unix socket
// ("unix:/tmp/x.sock"), as the -unix runs use.
const unixPrefix = "unix:"

// dialAddr connects to a TCP host:port, or to a Unix socket's path after
// unixPrefix.
func dialAddr(addr string) (net.Conn, error) {
	if path, ok := strings.CutPrefix(addr, unixPrefix); ok {
		return net.DialTimeout("unix", path, 5*time.Second)
	}
	return net.DialTimeout("tcp", addr, 5*time.Second)
}

func (c *client) drop() {
	if c.nc != nil {
		c.nc.Close()
		c.nc, c.r = nil, nil
	}
}

func encodeCommand(args [][]byte) []byte {
	b := []byte("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		b = append(b, "$"+strconv.Itoa(len(a))+"\r\n"...)
		b = append(b, a...)
		b = append(b, "\r\n"...)
	}
	return b
}

func (c *client) do(args [][]byte) (Value, error) {
	if err := c.ensure(); err != nil {
		return Value{}, err
	}
	c.nc.SetDeadline(time.Now().Add(replyTimeout))
	if _, err := c.nc.Write(encodeCommand(args)); err != nil {
		return Value{}, err
	}
	return readValue(c.r)
}

// recordedRawLen is how many bytes a raw block's recording says the server
// sent, or 0.
func recordedRawLen(b *block) int {
	if len(b.expected) != 1 {
		return 0
	}
	quoted, _, _ := strings.Cut(b.expected[0], " (")
	data, err := strconv.Unquote(quoted)
	if err != nil {
		return 0
	}
	return len(data)
}

// readAtLeast is readAll that first waits up to replyTimeout for n bytes, so
// that a loaded machine's slow reply is not taken for silence; then it reads
// until the server stays quiet, as readAll does.
func (c *client) readAtLeast(n int) (data []byte, closed bool) {
	buf := make([]byte, 64*1024)
	for len(data) < n {
		c.nc.SetReadDeadline(time.Now().Add(replyTimeout))
		m, err := c.r.Read(buf)
		data = append(data, buf[:m]...)
		if err != nil {
			var ne net.Error
			return data, !(errors.As(err, &ne) && ne.Timeout())
		}
	}
	more, closed := c.readAll()
	return append(data, more...), closed
}

// readAll reads until the server closes the connection or stays quiet.
func (c *client) readAll() (data []byte, closed bool) {
	buf := make([]byte, 64*1024)
	for {
		c.nc.SetReadDeadline(time.Now().Add(quietPeriod))
		n, err := c.r.Read(buf)
		data = append(data, buf[:n]...)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return data, false
			}
			return data, true
		}
	}
}

// run executes a script against the server at addr and returns, for each
// block in order, the rendering of its reply (what a rewrite records).
// sleep implements the sleep= option: real time for Redis, the manual clock
// for Redoubt.
func run(sc *script, addr string, sleep func(time.Duration)) ([][]string, error) {
	clients := map[int]*client{}
	defer func() {
		for _, c := range clients {
			c.drop()
		}
	}()
	var out [][]string
	for _, it := range sc.items {
		b := it.block
		if b == nil {
			continue
		}
		c := clients[b.opts.conn]
		if c == nil {
			c = &client{addr: addr, tls: scriptTLS}
			clients[b.opts.conn] = c
		}
		if b.opts.sleep > 0 {
			sleep(b.opts.sleep)
		}
		run := b
		if strings.Contains(b.cmdText, "$id") {
			text, err := substituteIDs(b.cmdText, clients, addr)
			if err != nil {
				return out, fmt.Errorf("%s:%d: %s: %w", sc.path, b.line, b.cmdText, err)
			}
			copied := *b
			copied.cmdText = text
			run = &copied
		}
		lines, err := runBlock(c, run)
		if err != nil {
			return out, fmt.Errorf("%s:%d: %s: %w", sc.path, b.line, b.cmdText, err)
		}
		out = append(out, lines)
	}
	return out, nil
}

// idRef is a reference to a connection's client id in a command line:
// "$id2" is the id of connection 2 (CLIENT REDIRECT $id2), which differs
// between servers and runs.
var idRef = regexp.MustCompile(`\$id([0-9]+)\b`)

// substituteIDs replaces each $idN of text by the client id of connection
// N, which it asks the connection (CLIENT ID) the first time, opening it if
// need be. The connection must be able to answer at once (not blocked, not
// in RESP2 subscribed mode): scripts name ids before such states.
func substituteIDs(text string, clients map[int]*client, addr string) (string, error) {
	var failed error
	text = idRef.ReplaceAllStringFunc(text, func(ref string) string {
		n, _ := strconv.Atoi(ref[3:])
		c := clients[n]
		if c == nil {
			c = &client{addr: addr, tls: scriptTLS}
			clients[n] = c
		}
		if c.id == "" || c.idConn != c.nc {
			v, err := c.do([][]byte{[]byte("CLIENT"), []byte("ID")})
			if err != nil || v.Kind != ':' {
				failed = fmt.Errorf("CLIENT ID on connection %d: %v %v", n, v, err)
				return ref
			}
			c.id, c.idConn = v.Str, c.nc
		}
		return c.id
	})
	return text, failed
}

func runBlock(c *client, b *block) ([]string, error) {
	if b.opts.mode == "raw" {
		payload, err := strconv.Unquote(b.cmdText)
		if err != nil {
			return nil, fmt.Errorf("raw command must be a Go-quoted string: %v", err)
		}
		if err := c.ensure(); err != nil {
			return nil, err
		}
		c.nc.SetWriteDeadline(time.Now().Add(replyTimeout))
		// A write to a peer that has closed fails at once on a Unix
		// socket (EPIPE), where TCP takes it and resets later: either
		// way the read below finds the connection closed.
		if _, err := io.WriteString(c.nc, payload); err != nil && !errors.Is(err, syscall.EPIPE) && !errors.Is(err, syscall.ECONNRESET) {
			return nil, err
		}
		data, closed := c.readAtLeast(recordedRawLen(b))
		state := "(open)"
		if closed {
			state = "(closed)"
			c.drop()
		}
		return []string{strconv.Quote(string(data)) + " " + state}, nil
	}
	if b.cmdText == readLine {
		return readReplies(c, b)
	}
	args, err := splitargs.Split([]byte(b.cmdText))
	if err != nil || len(args) == 0 {
		return nil, fmt.Errorf("cannot split command line: %v", err)
	}
	if b.opts.send {
		if err := c.ensure(); err != nil {
			return nil, err
		}
		c.nc.SetWriteDeadline(time.Now().Add(replyTimeout))
		_, err := c.nc.Write(encodeCommand(args))
		return nil, err
	}
	switch b.opts.mode {
	case "noreply":
		if err := c.ensure(); err != nil {
			return nil, err
		}
		c.nc.Write(encodeCommand(args))
		data, closed := c.readAll()
		if len(data) > 0 || closed {
			return []string{fmt.Sprintf("unexpected reply %q (closed: %v)", data, closed)}, nil
		}
		return nil, nil
	case "scan":
		return scanAll(c, args)
	}
	v, err := c.do(args)
	if err != nil {
		return nil, err
	}
	lines := render(b, v)
	for i := 1; i < b.opts.n; i++ {
		v, err := readValue(c.r)
		if err != nil {
			return nil, err
		}
		lines = append(lines, render(b, v)...)
	}
	if b.opts.closes {
		_, closed := c.readAll()
		if closed {
			lines = append(lines, "(closed)")
			c.drop()
		} else {
			lines = append(lines, "(open)")
		}
	}
	return lines, nil
}

// readLine is the command line of a block that only reads.
const readLine = "(read)"

// readReplies reads what the server sends without being asked: the next
// b.opts.n replies, or, with noreply, nothing during quietPeriod.
func readReplies(c *client, b *block) ([]string, error) {
	if err := c.ensure(); err != nil {
		return nil, err
	}
	if b.opts.mode == "noreply" {
		data, closed := c.readAll()
		if len(data) > 0 || closed {
			return []string{fmt.Sprintf("unexpected reply %q (closed: %v)", data, closed)}, nil
		}
		return nil, nil
	}
	var lines []string
	for range b.opts.n {
		c.nc.SetReadDeadline(time.Now().Add(replyTimeout))
		v, err := readValue(c.r)
		if err != nil {
			return nil, err
		}
		lines = append(lines, render(b, v)...)
	}
	return lines, nil
}

// render is how a block records one reply, according to its mode.
func render(b *block, v Value) []string {
	var lines []string
	switch b.opts.mode {
	case "ignore":
	case "sorted":
		lines = splitLines(v.sorted().String())
	case "pairs":
		lines = splitLines(v.pairsSorted().String())
	case "shape":
		lines = splitLines(v.shape().String())
	case "monitor":
		lines = splitLines(maskMonitor(v).String())
	case "slowlog":
		lines = splitLines(maskSlowlog(v).String())
	case "acllog":
		lines = splitLines(maskACLLog(v).String())
	case "fields":
		lines = v.fieldNames()
		if lines == nil {
			lines = splitLines(v.String())
		}
	default:
		lines = splitLines(v.String())
	}
	return lines
}

// scanAll iterates a SCAN-family cursor to the end and returns the sorted,
// de-duplicated set of what it returned: keys for SCAN, (field, value) pairs
// for HSCAN and ZSCAN, members for SSCAN.
func scanAll(c *client, args [][]byte) ([]string, error) {
	cursorAt, pairs := 1, false
	switch strings.ToLower(string(args[0])) {
	case "hscan", "zscan":
		cursorAt, pairs = 2, true
	case "sscan":
		cursorAt = 2
	}
	if len(args) <= cursorAt {
		return nil, errors.New("scan: no cursor argument")
	}
	seen := map[string]bool{}
	for calls := 0; ; calls++ {
		if calls > 1000000 {
			return nil, errors.New("scan: cursor never returned to 0")
		}
		v, err := c.do(args)
		if err != nil {
			return nil, err
		}
		if v.Kind == '-' {
			return splitLines(v.String()), nil
		}
		if v.Kind != '*' || len(v.Elems) != 2 || v.Elems[1].Kind != '*' {
			return nil, fmt.Errorf("scan: unexpected reply %s", v)
		}
		elems := v.Elems[1].Elems
		step := 1
		if pairs {
			step = 2
		}
		for i := 0; i+step <= len(elems); i += step {
			var b strings.Builder
			for _, e := range elems[i : i+step] {
				b.WriteString(strings.TrimSuffix(e.String(), "\n"))
				b.WriteString(" ")
			}
			seen[strings.TrimSpace(b.String())] = true
		}
		cursor := v.Elems[0].Str
		if cursor == "0" {
			break
		}
		args[cursorAt] = []byte(cursor)
	}
	lines := make([]string, 0, len(seen))
	for k := range seen {
		lines = append(lines, k)
	}
	slices.Sort(lines)
	return append([]string{fmt.Sprintf("(%d distinct)", len(lines))}, lines...), nil
}

func splitLines(s string) []string { return strings.Split(strings.TrimSuffix(s, "\n"), "\n") }

// compare checks a block's actual rendering against the recorded one.
func compare(b *block, got []string) error {
	if !b.recorded {
		return errors.New("no recorded reply: run 'go test ./conformance -rewrite' with redis-server installed")
	}
	want := b.expected
	switch b.opts.mode {
	case "ignore":
		return nil
	case "fields":
		have := map[string]bool{}
		for _, f := range got {
			have[f] = true
		}
		var missing []string
		for _, f := range want {
			if !have[f] {
				missing = append(missing, f)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("missing fields %q", missing)
		}
		return nil
	case "approx":
		if len(want) == 1 && len(got) == 1 && strings.HasPrefix(want[0], ":") && strings.HasPrefix(got[0], ":") {
			w, err1 := strconv.ParseInt(want[0][1:], 10, 64)
			g, err2 := strconv.ParseInt(got[0][1:], 10, 64)
			if err1 == nil && err2 == nil && g >= w-b.opts.approx && g <= w+b.opts.approx {
				return nil
			}
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		return fmt.Errorf("reply differs\n--- want (Redis)\n%s\n--- got\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
	return nil
}
