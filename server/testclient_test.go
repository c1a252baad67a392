package server

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// A minimal RESP2/RESP3 client for the tests of this package, and the other
// helpers its tests share: a log buffer, a command encoder, a poll loop.

// tcValue is one reply. Kind is the RESP type byte; Str holds a scalar's
// text (an error without its '-'); Elems an aggregate's elements (a map's
// keys and values alternate).
type tcValue struct {
	Kind  byte
	Str   string
	Null  bool
	Elems []tcValue
}

func (v tcValue) String() string {
	switch v.Kind {
	case '*', '%', '~', '>':
		parts := make([]string, len(v.Elems))
		for i, e := range v.Elems {
			parts[i] = e.String()
		}
		return string(v.Kind) + "[" + strings.Join(parts, " ") + "]"
	}
	if v.Null {
		return string(v.Kind) + "nil"
	}
	return string(v.Kind) + strconv.Quote(v.Str)
}

// flat renders v as one line: "+OK", "-ERR …", ":1", a bulk string's bytes,
// "(nil)" for a null, "[a b …]" for an array or a map (keys and values
// alternating). Other types are rendered as String does.
func (v tcValue) flat() string {
	switch {
	case v.Null:
		return "(nil)"
	case v.Kind == '+' || v.Kind == '-' || v.Kind == ':':
		return string(v.Kind) + v.Str
	case v.Kind == '$':
		return v.Str
	case v.Kind == '*' || v.Kind == '%':
		parts := make([]string, len(v.Elems))
		for i, e := range v.Elems {
			parts[i] = e.flat()
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	return v.String()
}

// bulk encodes args as a multibulk command.
func bulk(args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.String()
}

// logBuffer is a log destination that the server's goroutines may write
// while a test reads it.
type logBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitUntil calls cond every millisecond until it returns true, and reports
// whether it did so within d. The caller fails the test if not, saying what
// it waited for.
func waitUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}

// tcStart starts a server with cfg and closes it when the test ends.
func tcStart(t *testing.T, cfg Config) *Server {
	t.Helper()
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

type tcConn struct {
	t  *testing.T
	nc net.Conn
	r  *bufio.Reader
}

// tcDial connects to srv; the connection closes when the test ends.
func tcDial(t *testing.T, srv *Server) *tcConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", srv.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &tcConn{t: t, nc: nc, r: bufio.NewReader(nc)}
}

// send writes one command without reading its reply.
func (c *tcConn) send(args ...string) {
	c.t.Helper()
	if _, err := io.WriteString(c.nc, bulk(args...)); err != nil {
		c.t.Fatalf("send %q: %v", args, err)
	}
}

// read reads one reply, failing the test after 5 seconds.
func (c *tcConn) read() tcValue {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	v, err := tcRead(c.r)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return v
}

// do sends a command and reads its reply.
func (c *tcConn) do(args ...string) tcValue {
	c.t.Helper()
	c.send(args...)
	return c.read()
}

// str sends a command whose reply must be a string (simple, bulk or
// verbatim, without its format prefix) and returns it.
func (c *tcConn) str(args ...string) string {
	c.t.Helper()
	v := c.do(args...)
	switch v.Kind {
	case '+', '$':
		return v.Str
	case '=':
		return v.Str[4:]
	}
	c.t.Fatalf("%q = %v, want a string", args, v)
	return ""
}

// integer sends a command whose reply must be an integer.
func (c *tcConn) integer(args ...string) int64 {
	c.t.Helper()
	v := c.do(args...)
	n, err := strconv.ParseInt(v.Str, 10, 64)
	if v.Kind != ':' || err != nil {
		c.t.Fatalf("%q = %v, want an integer", args, v)
	}
	return n
}

// closed reports whether the server closed the connection within d,
// sending nothing more: an orderly close or a reset, which is what a close
// with unread input in the server's socket gives.
func (c *tcConn) closed(d time.Duration) bool {
	c.nc.SetReadDeadline(time.Now().Add(d))
	_, err := c.r.ReadByte()
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

func tcRead(r *bufio.Reader) (tcValue, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return tcValue{}, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return tcValue{}, fmt.Errorf("malformed line %q", line)
	}
	kind, body := line[0], line[1:len(line)-2]
	switch kind {
	case '+', '-', ':', '_', '#', ',', '(':
		return tcValue{Kind: kind, Str: body, Null: kind == '_'}, nil
	case '$', '=':
		n, err := strconv.Atoi(body)
		if err != nil {
			return tcValue{}, err
		}
		if n < 0 {
			return tcValue{Kind: kind, Null: true}, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return tcValue{}, err
		}
		return tcValue{Kind: kind, Str: string(buf[:n])}, nil
	case '*', '%', '~', '>':
		n, err := strconv.Atoi(body)
		if err != nil {
			return tcValue{}, err
		}
		if n < 0 {
			return tcValue{Kind: kind, Null: true}, nil
		}
		if kind == '%' {
			n *= 2
		}
		v := tcValue{Kind: kind}
		for i := 0; i < n; i++ {
			e, err := tcRead(r)
			if err != nil {
				return tcValue{}, err
			}
			v.Elems = append(v.Elems, e)
		}
		return v, nil
	}
	return tcValue{}, fmt.Errorf("unknown reply type %q", line)
}

// tcFields parses a CLIENT LIST line into its fields, in order.
func tcFields(line string) (names []string, values map[string]string) {
	values = map[string]string{}
	for _, w := range strings.Fields(line) {
		k, v, _ := strings.Cut(w, "=")
		names = append(names, k)
		values[k] = v
	}
	return names, values
}

// tcInfo parses an INFO text into its fields.
func tcInfo(text string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(text, "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && !strings.HasPrefix(l, "#") {
			m[k] = v
		}
	}
	return m
}
