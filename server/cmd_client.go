package server

import (
	"cmp"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/redoubt-db/redoubt/acl"
	"github.com/redoubt-db/redoubt/internal/num"
)

// Commands of the CLIENT container: the connection's own settings and the
// administration of other connections.

func init() {
	sub := func(name string, arity int, flags cmdFlags, since, complexity, summary string, args []cmdArg, run func(*client, [][]byte)) *command {
		return &command{Name: name, Arity: arity, Flags: flags, Categories: acl.Connection, Lock: lockNone,
			Group: "connection", Since: since, Complexity: complexity, Summary: summary, Args: args, Run: run}
	}
	const perClient = flagNoScript | flagLoading | flagStale
	onOff := []cmdArg{{Name: "enabled", Type: argTypeOneOf, Args: []cmdArg{
		{Name: "on", Type: argTypePureToken, Token: "ON"},
		{Name: "off", Type: argTypePureToken, Token: "OFF"},
	}}}
	const connsComplexity = "O(N) where N is the number of client connections"

	list := sub("list", -2, flagAdmin|perClient, "2.4.0", connsComplexity,
		"Describes every client connection, or those of one type or with the given ids, one line each.",
		[]cmdArg{
			{Name: "normal_master_replica_pubsub", Type: argTypeOneOf, Token: "TYPE", Since: "5.0.0", Flags: argOptional, Args: []cmdArg{
				{Name: "normal", Type: argTypePureToken, Token: "NORMAL"},
				{Name: "master", Type: argTypePureToken, Token: "MASTER"},
				{Name: "replica", Type: argTypePureToken, Token: "REPLICA"},
				{Name: "pubsub", Type: argTypePureToken, Token: "PUBSUB"},
			}},
			{Name: "id", Type: argTypeBlock, Token: "ID", Since: "6.2.0", Flags: argOptional, Args: []cmdArg{
				{Name: "client-id", Type: argTypeInteger, Flags: argMultiple},
			}},
		}, cmdClientList)
	list.Tips = []string{"nondeterministic_output"}
	info := sub("info", 2, perClient, "6.2.0", "O(1)",
		"Describes the current connection in the format of CLIENT LIST.", nil, cmdClientInfo)
	info.Tips = []string{"nondeterministic_output"}
	// CLIENT UNBLOCK (cmd_blocking.go) runs under the store's lock, which
	// guards the blocked clients.
	unblock := sub("unblock", -3, flagAdmin|perClient, "5.0.0", "O(log N) where N is the number of client connections",
		"Releases a client blocked in a blocking command, as if its timeout had passed or with an error.",
		[]cmdArg{{Name: "client-id", Type: argTypeInteger},
			{Name: "timeout_error", Type: argTypeOneOf, Flags: argOptional, Args: []cmdArg{
				{Name: "timeout", Type: argTypePureToken, Token: "TIMEOUT"},
				{Name: "error", Type: argTypePureToken, Token: "ERROR"},
			}}}, cmdClientUnblock)
	unblock.Lock = lockAlways
	// The tracking state is guarded by the store's lock (tracking.go).
	tracking := sub("tracking", -3, perClient, "6.0.0", "O(1). Some options may introduce additional complexity.",
		"Turns client-side caching invalidations for this connection on or off, and chooses how they are sent.",
		trackingArgs, cmdClientTracking)
	tracking.Lock = lockAlways
	trackinginfo := sub("trackinginfo", 2, perClient, "6.2.0", "O(1)",
		"Reports this connection's client-side caching settings.", nil, cmdClientTrackinginfo)
	trackinginfo.Lock = lockAlways

	registerCommands(&command{Name: "client", Arity: -2, Group: "connection", Since: "2.4.0",
		Complexity: "Depends on subcommand.",
		Summary:    "A container for the commands that inspect and configure client connections.",
		Subcommands: append([]*command{
			sub("id", 2, perClient, "5.0.0", "O(1)", "Returns the unique id of the current connection.", nil, cmdClientID),
			info,
			sub("kill", -3, flagAdmin|perClient, "2.4.0", connsComplexity,
				"Closes the connections that match an address or a set of filters.",
				[]cmdArg{{Name: "filter", Type: argTypeOneOf, Args: []cmdArg{
					{Name: "ip:port", Type: argTypeString, DeprecatedSince: "2.8.12"},
					{Name: "new-format", Type: argTypeOneOf, Flags: argMultiple, Args: []cmdArg{
						{Name: "client-id", Type: argTypeInteger, Token: "ID", Since: "2.8.12", Flags: argOptional},
						{Name: "normal_master_slave_pubsub", Type: argTypeOneOf, Token: "TYPE", Since: "2.8.12", Flags: argOptional, Args: []cmdArg{
							{Name: "normal", Type: argTypePureToken, Token: "NORMAL"},
							{Name: "master", Type: argTypePureToken, Token: "MASTER", Since: "3.2.0"},
							{Name: "slave", Type: argTypePureToken, Token: "SLAVE"},
							{Name: "replica", Type: argTypePureToken, Token: "REPLICA", Since: "5.0.0"},
							{Name: "pubsub", Type: argTypePureToken, Token: "PUBSUB"},
						}},
						{Name: "username", Type: argTypeString, Token: "USER", Flags: argOptional},
						{Name: "ip:port", Type: argTypeString, Token: "ADDR", Flags: argOptional},
						{Name: "ip:port", Type: argTypeString, Token: "LADDR", Since: "6.2.0", Flags: argOptional},
						{Name: "yes/no", Type: argTypeString, Token: "SKIPME", Flags: argOptional},
					}},
				}}}, cmdClientKill),
			list,
			sub("help", 2, flagLoading|flagStale, "5.0.0", "O(1)", "Lists the CLIENT subcommands.", nil, cmdClientHelp),
			sub("getname", 2, perClient, "2.6.9", "O(1)", "Returns the name of the current connection, or null.", nil, cmdClientGetname),
			sub("setname", 3, perClient, "2.6.9", "O(1)", "Names the current connection; an empty name removes it.",
				[]cmdArg{{Name: "connection-name", Type: argTypeString}}, cmdClientSetname),
			sub("setinfo", 4, perClient, "7.2.0", "O(1)", "Records the client library's name or version, shown by CLIENT LIST.",
				[]cmdArg{{Name: "attr", Type: argTypeOneOf, Args: []cmdArg{
					{Name: "libname", Type: argTypeString, Token: "lib-name"},
					{Name: "libver", Type: argTypeString, Token: "lib-ver"},
				}}}, cmdClientSetinfo),
			sub("reply", 3, perClient, "3.2.0", "O(1)", "Turns the replies to this connection's commands on, off, or off for the next command only.",
				[]cmdArg{{Name: "on_off_skip", Type: argTypeOneOf, Args: []cmdArg{
					{Name: "on", Type: argTypePureToken, Token: "ON"},
					{Name: "off", Type: argTypePureToken, Token: "OFF"},
					{Name: "skip", Type: argTypePureToken, Token: "SKIP"},
				}}}, cmdClientReply),
			sub("no-evict", 3, flagAdmin|perClient, "7.0.0", "O(1)", "Exempts the current connection from client eviction, or makes it subject to it again.",
				onOff, cmdClientNoEvict),
			unblock,
			tracking,
			sub("caching", 3, perClient, "6.0.0", "O(1)",
				"Says whether the keys of the next command are remembered for client-side caching, in OPTIN or OPTOUT mode.",
				[]cmdArg{{Name: "mode", Type: argTypeOneOf, Args: []cmdArg{
					{Name: "yes", Type: argTypePureToken, Token: "YES"},
					{Name: "no", Type: argTypePureToken, Token: "NO"},
				}}}, cmdClientCaching),
			sub("getredir", 2, perClient, "6.0.0", "O(1)",
				"Returns the id of the connection this one's invalidations are redirected to.", nil, cmdClientGetredir),
			trackinginfo,
			sub("no-touch", 3, perClient, "7.2.0", "O(1)", "Stops or resumes updating the access time of the keys this connection reads.",
				onOff, cmdClientNoTouch),
		}, clientPauseCommands()...),
	})
}

func cmdClientID(c *client, args [][]byte) { c.WriteInt(c.id) }

func cmdClientGetname(c *client, args [][]byte) {
	if name := c.name.Load(); name != nil {
		c.WriteBulkString(*name)
		return
	}
	c.WriteNull()
}

func cmdClientSetname(c *client, args [][]byte) {
	if c.setName(args[2]) {
		c.WriteOK()
	}
}

// cmdClientSetinfo is Redis 7.2's CLIENT SETINFO, which client libraries
// (go-redis among them) send on every new connection.
func cmdClientSetinfo(c *client, args [][]byte) {
	attr, val := args[2], args[3]
	var dst *atomic.Pointer[string]
	switch {
	case isOpt(attr, "lib-name"):
		dst = &c.libName
	case isOpt(attr, "lib-ver"):
		dst = &c.libVer
	default:
		c.writeErrorReply(fmt.Sprintf(msgClientAttrOption, cString(attr)))
		return
	}
	if !storeAttr(dst, val) {
		c.writeErrorReply(fmt.Sprintf(msgClientAttrBad, cString(attr)))
		return
	}
	c.WriteOK()
}

// cmdClientReply sets the state that drops replies (client.mute): OFF drops
// every reply from now on, SKIP the next command's, ON none.
func cmdClientReply(c *client, args [][]byte) {
	switch {
	case isOpt(args[2], "on"):
		c.replyOff, c.replySkip, c.mute = false, false, false
		c.WriteOK()
	case isOpt(args[2], "off"):
		c.replyOff, c.mute = true, true
	case isOpt(args[2], "skip"):
		if !c.replyOff {
			c.skipNext = true
		}
	default:
		c.writeErrorReply(msgSyntax)
	}
}

func cmdClientNoEvict(c *client, args [][]byte) { c.setOnOff(args[2], &c.noEvict) }

// cmdClientNoTouch is Redis 7.2's CLIENT NO-TOUCH. client.beginTx passes the
// setting to the store with every command.
func cmdClientNoTouch(c *client, args [][]byte) { c.setOnOff(args[2], &c.noTouch) }

func (c *client) setOnOff(arg []byte, flag *atomic.Bool) {
	switch {
	case isOpt(arg, "on"):
		flag.Store(true)
	case isOpt(arg, "off"):
		flag.Store(false)
	default:
		c.writeErrorReply(msgSyntax)
		return
	}
	c.WriteOK()
}

func cmdClientInfo(c *client, args [][]byte) {
	b := c.appendClientInfo(nil, c, c.s.unixTime.Load())
	c.WriteVerbatim(string(append(b, '\n')), "txt")
}

// Client types, as CLIENT LIST TYPE and CLIENT KILL TYPE name them.
const (
	clientNormal = iota
	clientReplica
	clientPubSub
	clientMaster
)

// parseClientType parses a client type name as Redis's getClientTypeByName.
func parseClientType(b []byte) (int, bool) {
	switch {
	case isOpt(b, "normal"):
		return clientNormal, true
	case isOpt(b, "slave"), isOpt(b, "replica"):
		return clientReplica, true
	case isOpt(b, "pubsub"):
		return clientPubSub, true
	case isOpt(b, "master"):
		return clientMaster, true
	}
	return 0, false
}

// clientType returns the type of c. There is no replication: a client with
// subscriptions is a pubsub one, any other a normal one.
func (c *client) clientType() int {
	if c.subs.Load() != 0 {
		return clientPubSub
	}
	return clientNormal
}

func cmdClientList(c *client, args [][]byte) {
	typ := -1
	var ids []int64
	switch {
	case len(args) == 4 && isOpt(args[2], "type"):
		t, ok := parseClientType(args[3])
		if !ok {
			c.writeErrorReply(fmt.Sprintf(msgClientType, cString(args[3])))
			return
		}
		typ = t
	case len(args) > 3 && isOpt(args[2], "id"):
		ids = make([]int64, 0, len(args)-3)
		for _, a := range args[3:] {
			id, ok := num.ParseInt(a)
			if !ok {
				c.writeErrorReply(msgClientIDInvalid)
				return
			}
			ids = append(ids, id)
		}
	case len(args) != 2:
		c.writeErrorReply(msgSyntax)
		return
	}
	now := c.s.unixTime.Load()
	var b []byte
	if ids != nil {
		// One line per id given, in order, repeated ids included, as Redis.
		for _, id := range ids {
			if other := c.s.lookupConn(id); other != nil {
				b = append(c.appendClientInfo(b, other, now), '\n')
			}
		}
	} else {
		for _, other := range c.s.liveConns() {
			if typ == -1 || other.clientType() == typ {
				b = append(c.appendClientInfo(b, other, now), '\n')
			}
		}
	}
	c.WriteVerbatim(string(b), "txt")
}

// cmdClientKill implements both forms: the old "CLIENT KILL addr", which may
// kill the caller and replies OK or an error, and the filter form, which
// skips the caller unless SKIPME no and replies with the number killed.
func cmdClientKill(c *client, args [][]byte) {
	var addr, laddr []byte
	hasAddr, hasLaddr := false, false
	var id int64
	var user string
	hasUser := false
	typ := -1
	skipMe := true
	oldForm := len(args) == 3
	if oldForm {
		addr, hasAddr, skipMe = args[2], true, false
	} else {
		for i := 2; i < len(args); i += 2 {
			if i+1 >= len(args) {
				c.writeErrorReply(msgSyntax)
				return
			}
			opt, val := args[i], args[i+1]
			switch {
			case isOpt(opt, "id"):
				n, ok := num.ParseInt(val)
				if !ok || n < 1 {
					c.writeErrorReply(msgClientIDPositive)
					return
				}
				id = n
			case isOpt(opt, "type"):
				t, ok := parseClientType(val)
				if !ok {
					c.writeErrorReply(fmt.Sprintf(msgClientType, cString(val)))
					return
				}
				typ = t
			case isOpt(opt, "addr"):
				addr, hasAddr = val, true
			case isOpt(opt, "laddr"):
				laddr, hasLaddr = val, true
			case isOpt(opt, "user"):
				if !c.s.userExists(val) {
					c.writeErrorReply(fmt.Sprintf(msgNoSuchUser, cString(val)))
					return
				}
				user, hasUser = string(val), true
			case isOpt(opt, "skipme"):
				switch {
				case isOpt(val, "yes"):
					skipMe = true
				case isOpt(val, "no"):
					skipMe = false
				default:
					c.writeErrorReply(msgSyntax)
					return
				}
			default:
				c.writeErrorReply(msgSyntax)
				return
			}
		}
	}
	addrWant, laddrWant := cString(addr), cString(laddr)
	killed := 0
	for _, other := range c.s.liveConns() {
		switch {
		case hasAddr && addrString(other.nc.RemoteAddr()) != addrWant,
			hasLaddr && addrString(other.nc.LocalAddr()) != laddrWant,
			typ != -1 && other.clientType() != typ,
			id != 0 && other.id != id,
			hasUser && other.authUserName() != user,
			other == c && skipMe:
			continue
		}
		if other == c {
			c.closeAfterReply = true
		} else {
			other.close()
		}
		killed++
	}
	switch {
	case !oldForm:
		c.WriteInt(int64(killed))
	case killed == 0:
		c.writeErrorReply(msgNoSuchClient)
	default:
		c.WriteOK()
	}
}

var clientHelp = []string{
	"CACHING (YES|NO)",
	"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
	"GETREDIR",
	"    Return the client ID we are redirecting to when tracking is enabled.",
	"GETNAME",
	"    Return the name of the current connection.",
	"ID",
	"    Return the ID of the current connection.",
	"INFO",
	"    Return information about the current client connection.",
	"KILL <ip:port>",
	"    Kill connection made from <ip:port>.",
	"KILL <option> <value> [<option> <value> [...]]",
	"    Kill connections. Options are:",
	"    * ADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made from the specified address",
	"    * LADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made to specified local address",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Kill connections by type.",
	"    * USER <username>",
	"      Kill connections authenticated by <username>.",
	"    * SKIPME (YES|NO)",
	"      Skip killing current connection (default: yes).",
	"LIST [options ...]",
	"    Return information about client connections. Options:",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Return clients of specified type.",
	"UNPAUSE",
	"    Stop the current client pause, resuming traffic.",
	"PAUSE <timeout> [WRITE|ALL]",
	"    Suspend all, or just write, clients for <timeout> milliseconds.",
	"REPLY (ON|OFF|SKIP)",
	"    Control the replies sent to the current connection.",
	"SETNAME <name>",
	"    Assign the name <name> to the current connection.",
	"UNBLOCK <clientid> [TIMEOUT|ERROR]",
	"    Unblock the specified blocked client.",
	"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
	"         [OPTIN] [OPTOUT] [NOLOOP]",
	"    Control server assisted client side caching.",
	"TRACKINGINFO",
	"    Report tracking status for the current connection.",
	"NO-EVICT (ON|OFF)",
	"    Protect current client connection from eviction.",
}

// cmdClientHelp replies with Redis 7.0's help text, byte for byte.
func cmdClientHelp(c *client, args [][]byte) {
	c.writeHelpReply(args[0], clientHelp)
}

// lookupConn returns the live connection with that id, or nil.
func (s *Server) lookupConn(id int64) *client {
	s.connsMu.Lock()
	c := s.conns[id]
	s.connsMu.Unlock()
	if c == nil || c.closed.Load() {
		return nil
	}
	return c
}

// liveConns returns the connections not being closed, oldest first, which
// is the order of Redis's client list.
func (s *Server) liveConns() []*client {
	s.connsMu.Lock()
	conns := make([]*client, 0, len(s.conns))
	for _, c := range s.conns {
		if !c.closed.Load() {
			conns = append(conns, c)
		}
	}
	s.connsMu.Unlock()
	slices.SortFunc(conns, func(a, b *client) int { return cmp.Compare(a.id, b.id) })
	return conns
}

// connBaseMem is what a connection costs before its buffers, for tot-mem.
const connBaseMem = int64(unsafe.Sizeof(client{}))

// appendClientInfo appends the CLIENT LIST line of other to b, with Redis
// 7.0's fields in its order plus the lib-name and lib-ver of Redis 7.2. c is
// the connection running the command: for c itself the figures are exact;
// for any other connection only its atomic fields may be read, which it
// publishes as it goes (output.go), so argv-mem is 0 and rbp is obl.
//
// The output figures map Redis's onto Redoubt's output (output.go): rbs is
// the size of the reply buffer (c.out) and obl the bytes in it; oll counts
// the segments queued ahead of it (chunks of a big reply, big values
// written by reference) plus one for a non-empty outbox, and omem is their
// bytes plus segOverhead each, as getClientOutputBufferMemoryUsage counts
// the reply list. tot-mem adds, as getClientMemoryUsage does, the
// connection's structure, the query buffer, the reply buffer and the
// arguments.
func (c *client) appendClientInfo(b []byte, other *client, now int64) []byte {
	self := other == c
	var qbuf, qbufCap, argvMem, rbs, obl, oll, omem int64
	if self {
		qbuf = int64(c.rd.Buffered())
		qbufCap = int64(c.rd.BufferCap())
		for _, a := range c.argv {
			argvMem += int64(len(a))
		}
		rbs = int64(cap(c.out))
		obl, oll, omem = c.outputFigures()
	} else {
		qbuf, qbufCap = other.qbuf.Load(), other.qbufCap.Load()
		rbs = other.outCap.Load()
		obl, oll, omem = other.publishedOutput()
	}
	qbufFree := max(qbufCap-qbuf, 0)
	rbp := obl
	multiMem := other.multiMem()
	totMem := connBaseMem + max(qbufCap, qbuf) + argvMem + multiMem + rbs + omem

	b = append(b, "id="...)
	b = strconv.AppendInt(b, other.id, 10)
	b = append(b, " addr="...)
	b = append(b, addrString(other.nc.RemoteAddr())...)
	b = append(b, " laddr="...)
	b = append(b, addrString(other.nc.LocalAddr())...)
	b = append(b, " fd="...)
	b = strconv.AppendInt(b, int64(connFD(other.nc)), 10)
	b = append(b, " name="...)
	if name := other.name.Load(); name != nil {
		b = append(b, *name...)
	}
	b = append(b, " age="...)
	// now is the cron's cached clock, which may lag a new connection's.
	b = strconv.AppendInt(b, max(now-other.created.Unix(), 0), 10)
	b = append(b, " idle="...)
	b = strconv.AppendInt(b, max(now-other.lastInteraction.Load(), 0), 10)
	b = append(b, " flags="...)
	n := len(b)
	if other.monitoring.Load() {
		b = append(b, 'O')
	}
	if other.subs.Load() != 0 {
		b = append(b, 'P')
	}
	if other.multiCount.Load() >= 0 {
		b = append(b, 'x')
	}
	if c.s.info.isBlocked(other) {
		b = append(b, 'b')
	}
	b = appendTrackingFlags(b, other)
	if other.dirtyCAS.Load() {
		b = append(b, 'd')
	}
	if self && c.closeAfterReply {
		b = append(b, 'c')
	}
	if isUnixConn(other.nc) {
		b = append(b, 'U')
	}
	if other.noEvict.Load() {
		b = append(b, 'e')
	}
	if other.noTouch.Load() {
		b = append(b, 'T')
	}
	if len(b) == n {
		b = append(b, 'N')
	}
	b = append(b, " db="...)
	b = strconv.AppendInt(b, int64(other.dbIndex.Load()), 10)
	b = other.appendSubCounts(b)
	b = append(b, " multi="...)
	b = strconv.AppendInt(b, int64(other.multiCount.Load()), 10)
	b = append(b, " qbuf="...)
	b = strconv.AppendInt(b, qbuf, 10)
	b = append(b, " qbuf-free="...)
	b = strconv.AppendInt(b, qbufFree, 10)
	b = append(b, " argv-mem="...)
	b = strconv.AppendInt(b, argvMem, 10)
	b = append(b, " multi-mem="...)
	b = strconv.AppendInt(b, other.multiArgMem.Load(), 10)
	b = append(b, " rbs="...)
	b = strconv.AppendInt(b, rbs, 10)
	b = append(b, " rbp="...)
	b = strconv.AppendInt(b, rbp, 10)
	b = append(b, " obl="...)
	b = strconv.AppendInt(b, obl, 10)
	b = append(b, " oll="...)
	b = strconv.AppendInt(b, oll, 10)
	b = append(b, " omem="...)
	b = strconv.AppendInt(b, omem, 10)
	b = append(b, " tot-mem="...)
	b = strconv.AppendInt(b, totMem, 10)
	// A write in progress is Redis's write handler: "w".
	if !self && obl+oll > 0 {
		b = append(b, " events=rw cmd="...)
	} else {
		b = append(b, " events=r cmd="...)
	}
	if cmd := other.lastCmd.Load(); cmd != nil {
		b = append(b, cmd.fullName...)
	} else {
		b = append(b, "NULL"...)
	}
	b = append(b, " user="...)
	b = append(b, other.authUserName()...)
	b = append(b, " redir="...)
	b = strconv.AppendInt(b, trackingRedir(other), 10)
	b = append(b, " resp="...)
	b = strconv.AppendInt(b, int64(other.resp.Load()), 10)
	b = append(b, " lib-name="...)
	if v := other.libName.Load(); v != nil {
		b = append(b, *v...)
	}
	b = append(b, " lib-ver="...)
	if v := other.libVer.Load(); v != nil {
		b = append(b, *v...)
	}
	return b
}

// addrString formats a socket address as Redis does: "ip:port", with the
// IPv6 address in brackets, or "path:0" for a Unix socket.
func addrString(a net.Addr) string {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.String()
	case *net.UnixAddr:
		return a.Name + ":0"
	case nil:
		return "?:0"
	}
	return a.String()
}

// connFD returns the socket's file descriptor, read through SyscallConn's
// Control so that the connection stays in the runtime's poller (File would
// duplicate it and make it blocking), or -1 if there is none.
func connFD(nc net.Conn) int {
	sc, ok := sockOf(nc).(syscall.Conn)
	if !ok {
		return -1
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	if err := rc.Control(func(f uintptr) { fd = int(f) }); err != nil {
		return -1
	}
	return fd
}
