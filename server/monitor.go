package server

import (
	"strconv"
	"time"
)

// MONITOR: a client that asks for it is sent a line for every command any
// client runs from then on, as Redis's replicationFeedMonitors: a simple
// string holding the time with microseconds, the database and the client's
// address in brackets, and the arguments quoted as Redis's sdscatrepr, with
// secrets redacted (redact.go). Administrative commands (CONFIG, DEBUG,
// SLOWLOG, MONITOR…) and those flagged skip_monitor are not shown, as in
// Redis 7.0; a command is shown after it ran, so SELECT shows the database it
// selected.
//
// Each line is built once and appended to every monitor's outbox (c.post),
// never written by the running command's goroutine to another connection;
// a monitor that runs a command itself gets its line after the reply, in its
// own output. While no client monitors, the dispatcher's cost is the load of
// introState.on in afterCall.
//
// Within MULTI, commands are shown when EXEC runs them, each as it runs
// (the dispatcher's afterCall for each call), then EXEC itself; an EXEC that
// is refused before it runs (EXECABORT of a transaction whose EXEC was
// rejected) is shown by feedMonitors, which multi.go calls.

func init() {
	registerCommands(&command{Name: "monitor", Arity: 1,
		Flags: flagAdmin | flagNoScript | flagLoading | flagStale,
		Lock:  lockNone,
		Group: "server", Since: "1.0.0",
		Summary: "Streams every command the server runs to this connection, as it runs.",
		Run:     cmdMonitor})
}

// msgMonitorDenyBlocking is MONITOR's error inside EXEC (or a script),
// where a client expects one reply per command.
const msgMonitorDenyBlocking = "ERR MONITOR isn't allowed for DENY BLOCKING client"

func cmdMonitor(c *client, args [][]byte) {
	if c.denyBlocking {
		c.writeErrorReply(msgMonitorDenyBlocking)
		return
	}
	// A second MONITOR is ignored, without a reply, as in Redis.
	if c.monitoring.Load() {
		return
	}
	c.s.addMonitor(c)
	c.WriteOK()
}

// addMonitor makes c a monitor.
func (s *Server) addMonitor(c *client) {
	in := &s.intro
	in.monMu.Lock()
	defer in.monMu.Unlock()
	c.monitoring.Store(true)
	if len(in.monitors) == 0 {
		in.monGen.Add(1)
	}
	list := append(make([]*client, 0, len(in.monitors)+1), in.monitors...)
	list = append(list, c)
	in.monitors = list
	in.monList.Store(&list)
	in.setBit(introMonitor, true)
}

// stopMonitor ends c's monitoring, if it monitors (RESET, and the end of
// the connection).
func (c *client) stopMonitor() {
	if !c.monitoring.Load() {
		return
	}
	in := &c.s.intro
	in.monMu.Lock()
	defer in.monMu.Unlock()
	c.monitoring.Store(false)
	list := make([]*client, 0, len(in.monitors))
	for _, m := range in.monitors {
		if m != c {
			list = append(list, m)
		}
	}
	in.monitors = list
	in.monList.Store(&list)
	in.setBit(introMonitor, len(list) > 0)
}

// feedMonitors shows the command cmd with args, run by c, to every monitor,
// whatever cmd's flags: the dispatcher calls it (through afterCall) for the
// commands that are shown, and EXEC for itself when it is refused. It does
// nothing while no client monitors.
func (c *client) feedMonitors(cmd *command, args [][]byte) {
	if c.s.intro.on.Load()&introMonitor != 0 {
		c.s.feedMonitors(c, cmd, args)
	}
}

// feedBeforeBlock shows the running command to the monitors when it is
// about to block, as Redis shows a blocking command when it is called, not
// when it is served; afterCall then does not show it again.
func (c *client) feedBeforeBlock() {
	in := &c.s.intro
	cmd := c.run.cmd
	if in.on.Load()&introMonitor == 0 || cmd == nil || cmd.Flags&(flagSkipMonitor|flagAdmin) != 0 {
		return
	}
	c.s.feedMonitors(c, cmd, c.argv)
	c.monitorFed = in.monGen.Load()
}

// feedMonitors builds the monitor line of cmd and args run by self and
// delivers it.
func (s *Server) feedMonitors(self *client, cmd *command, args [][]byte) {
	list := s.intro.monList.Load()
	if list == nil || len(*list) == 0 {
		return
	}
	line := appendMonitorLine(nil, time.Now(), self.db.ID(), peerAddr(self), cmd, args)
	for _, m := range *list {
		if m == self {
			// Its own command: after its reply, in its own output.
			if !self.mute {
				self.out = append(self.out, line...)
			}
			continue
		}
		m.post(line)
	}
}

// appendMonitorLine appends the monitor line of a command to b: a simple
// string of the time (seconds and microseconds), "[db addr]" and the
// arguments, each quoted, secrets redacted.
func appendMonitorLine(b []byte, now time.Time, db int, addr string, cmd *command, args [][]byte) []byte {
	b = append(b, '+')
	b = strconv.AppendInt(b, now.Unix(), 10)
	b = append(b, '.')
	us := now.Nanosecond() / 1000
	for d := 100000; d > 1 && us < d; d /= 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, int64(us), 10)
	b = append(b, " ["...)
	b = strconv.AppendInt(b, int64(db), 10)
	b = append(b, ' ')
	b = append(b, addr...)
	b = append(b, "] "...)
	secret := secretArgs(cmd, args)
	for i := range args {
		if i > 0 {
			b = append(b, ' ')
		}
		b = appendRepr(b, redactedArg(secret, args, i))
	}
	return append(b, '\r', '\n')
}

// appendRepr appends arg double-quoted as Redis's sdscatrepr:
// backslash and double quote escaped, \n \r \t \a \b by name, other
// printable ASCII as is, any other byte as \xhh.
func appendRepr(b, arg []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, ch := range arg {
		switch ch {
		case '\\', '"':
			b = append(b, '\\', ch)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if 0x20 <= ch && ch <= 0x7e {
				b = append(b, ch)
			} else {
				b = append(b, '\\', 'x', hex[ch>>4], hex[ch&0xf])
			}
		}
	}
	return append(b, '"')
}
