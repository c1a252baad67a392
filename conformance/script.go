package conformance

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/redoubt-db/redoubt/internal/splitargs"
)

// A script is a file of commands, each followed by the reply real Redis gave
// to it:
//
//	# Comments start with '#'.
//	SET foo "hello world"
//	----
//	+OK
//
//	[sorted] KEYS *
//	----
//	*1
//	  $"foo"
//
// A block is an optional list of options in brackets, a command line quoted
// as redis-cli quotes (double quotes with \n \r \t \xHH escapes, or single
// quotes), the line "----", the recorded reply, and a blank line. The replies
// are written by "go test ./conformance -rewrite" from a real redis-server
// and never by hand, so they are Redis's behaviour, not ours.
//
// Options:
//
//	conn=N      send on connection N (default 1); connections open lazily
//	            and reopen after the server closes them
//	sleep=D     wait D (a Go duration) before sending
//	sorted      the order of the reply's elements is not part of its contract
//	pairs       a flat array of (name, value) pairs whose order is free
//	shape       compare types and sizes only (CLIENT ID, TIME…)
//	fields      an INFO or CLIENT INFO text: every field name Redis has must
//	            be present (extra fields are allowed)
//	approx=N    an integer reply compared within ±N (TTL, PTTL)
//	scan        iterate the SCAN-family cursor to 0 and compare the set of
//	            everything returned
//	ignore      send and read the reply, but do not compare it
//	noreply     the server must send nothing (CLIENT REPLY OFF)
//	closes      the server closes the connection after the reply
//	raw         the command is a Go-quoted string of bytes sent as is; the
//	            recorded reply is every byte the server sent, and whether it
//	            closed the connection
//	send        send the command and read nothing: its replies are read by
//	            later (read) blocks (a client that blocks, subscribes…)
//	monitor     a MONITOR line: its time and the client's port are masked
//	slowlog     a SLOWLOG GET reply: ids, times, durations and client
//	            ports are masked (introspect.go)
//	acllog      an ACL LOG reply: age-seconds and the client-info fields
//	            that vary (id, address, ages, buffers) are masked
//	            (introspect.go)
//	n=K         read K replies instead of one (SUBSCRIBE of K channels);
//	            they are recorded one after another
//
// In a command line, $idN stands for the client id of connection N (CLIENT
// TRACKING ON REDIRECT $id2), asked with CLIENT ID the first time.
//
// A command line of "(read)" sends nothing and reads the connection's next
// reply, or the next K with n=K: a message pushed to a subscriber, the
// reply of a command sent before with the send option. With noreply, it
// checks that nothing arrives.
type script struct {
	path  string
	items []item
	// args are extra server arguments from "#! args:" header lines, split
	// as redis-server splits a config line (internal/splitargs).
	args []string
	// serial is set by a "#! serial" line: TestRedoubt runs the script
	// alone, before the others, whose embedded servers share its process
	// (MEMORY DOCTOR reads the process's memory).
	serial bool
	// tcpOnly is set by a "#! tcp-only" line: the script shows or judges
	// the client's TCP address, so the -unix runs skip it.
	tcpOnly bool
}

// An item is a block or a run of comment and blank lines kept verbatim.
type item struct {
	text  string // verbatim lines, for non-blocks
	block *block
}

type block struct {
	line     int // line number of the command, for messages
	optText  string
	cmdText  string
	opts     options
	expected []string // recorded reply lines
	recorded bool     // a "----" line was present
}

type options struct {
	conn    int
	sleep   time.Duration
	mode    string // "", sorted, pairs, shape, fields, scan, ignore, noreply, raw, monitor, slowlog, acllog
	approx  int64
	closes  bool
	send    bool
	n       int // replies to read; 1 unless n=K
	hasMode bool
}

func parseOptions(s string) (options, error) {
	o := options{conn: 1, n: 1}
	for _, f := range strings.Fields(s) {
		name, val, hasVal := strings.Cut(f, "=")
		setMode := func() error {
			if o.hasMode {
				return fmt.Errorf("two reply modes in [%s]", s)
			}
			o.mode, o.hasMode = name, true
			return nil
		}
		var err error
		switch name {
		case "conn":
			o.conn, err = strconv.Atoi(val)
			if err == nil && (o.conn < 1 || o.conn > 100) {
				err = fmt.Errorf("conn=%d out of range", o.conn)
			}
		case "sleep":
			o.sleep, err = time.ParseDuration(val)
		case "approx":
			if err = setMode(); err == nil {
				o.approx, err = strconv.ParseInt(val, 10, 64)
			}
		case "closes":
			o.closes = true
		case "send":
			o.send = true
		case "n":
			o.n, err = strconv.Atoi(val)
			if err == nil && (o.n < 1 || o.n > 10000) {
				err = fmt.Errorf("n=%d out of range", o.n)
			}
		case "sorted", "pairs", "shape", "fields", "scan", "ignore", "noreply", "raw", "monitor", "slowlog", "acllog":
			if hasVal {
				err = fmt.Errorf("option %s takes no value", name)
			} else {
				err = setMode()
			}
		default:
			err = fmt.Errorf("unknown option %q", name)
		}
		if err != nil {
			return o, err
		}
	}
	return o, nil
}

func loadScript(path string) (*script, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sc := &script{path: path}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	var verbatim []string
	flush := func() {
		if len(verbatim) > 0 {
			sc.items = append(sc.items, item{text: strings.Join(verbatim, "\n")})
			verbatim = nil
		}
	}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			if strings.TrimSpace(l) == "#! tcp-only" {
				sc.tcpOnly = true
			}
			if strings.TrimSpace(l) == "#! serial" {
				sc.serial = true
			}
			if rest, ok := strings.CutPrefix(l, "#! args:"); ok {
				args, err := splitargs.Split([]byte(rest))
				if err != nil {
					return nil, fmt.Errorf("%s:%d: #! args: %w", path, i+1, err)
				}
				for _, a := range args {
					sc.args = append(sc.args, string(a))
				}
			}
			verbatim = append(verbatim, l)
			continue
		}
		flush()
		b := &block{line: i + 1}
		cmd := l
		if strings.HasPrefix(cmd, "[") {
			end := strings.IndexByte(cmd, ']')
			if end < 0 {
				return nil, fmt.Errorf("%s:%d: unclosed '['", path, i+1)
			}
			b.optText = cmd[1:end]
			cmd = strings.TrimSpace(cmd[end+1:])
		}
		b.cmdText = cmd
		if b.opts, err = parseOptions(b.optText); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, i+1, err)
		}
		if i+1 < len(lines) && lines[i+1] == "----" {
			b.recorded = true
			i += 2
			for ; i < len(lines) && lines[i] != ""; i++ {
				b.expected = append(b.expected, lines[i])
			}
			i-- // the blank line is kept as verbatim text
		}
		sc.items = append(sc.items, item{block: b})
	}
	flush()
	return sc, nil
}

// write saves the script with its blocks' current expectations.
func (sc *script) write() error {
	var b strings.Builder
	for i, it := range sc.items {
		if it.block == nil {
			b.WriteString(it.text)
			b.WriteString("\n")
			continue
		}
		bl := it.block
		if bl.optText != "" {
			fmt.Fprintf(&b, "[%s] ", bl.optText)
		}
		b.WriteString(bl.cmdText)
		b.WriteString("\n----\n")
		for _, l := range bl.expected {
			b.WriteString(l)
			b.WriteString("\n")
		}
		// A block ends at a blank line.
		if i+1 < len(sc.items) && (sc.items[i+1].block != nil || strings.SplitN(sc.items[i+1].text, "\n", 2)[0] != "") {
			b.WriteString("\n")
		}
	}
	return os.WriteFile(sc.path, []byte(b.String()), 0o644)
}
