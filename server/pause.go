package server

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/redoubt-db/redoubt/acl"
	"github.com/redoubt-db/redoubt/internal/num"
)

// CLIENT PAUSE and CLIENT UNPAUSE, as Redis 7.0 holds and releases clients
// (networking.c pauseClients, server.c processCommand, blocked.c's
// BLOCKED_POSTPONE).
//
// A pause has a type and an end. Under PAUSE ALL every command of every
// client is held, CLIENT UNPAUSE from another connection included (as in
// Redis: only the end of the timeout lifts such a pause); under PAUSE WRITE
// the commands that may change the keyspace or be propagated are held:
// those flagged write or may_replicate (PUBLISH, PFCOUNT, EVAL and the
// like), and an EXEC whose queued commands include one. A write sent inside
// MULTI is held before it is queued, as Redis checks the pause before it
// queues. Commands that fail the lookup or arity check are answered at once.
// A later CLIENT PAUSE never shortens a pause nor relaxes its type: it keeps
// the later end and the stricter type. While a pause lasts, expiry stands
// still (store.HoldExpiry): an expired key reads as missing but is not
// deleted, and the active cycle does not run.
//
// A held client parks its goroutine in client.block, like a blocking
// command: no polling, and it keeps reading its input, so a disconnect,
// CLIENT KILL or a shutdown ends the hold (the held command then never
// runs). CLIENT LIST shows it with flag b and the held command, and INFO
// counts it in blocked_clients, as Redis does. CLIENT UNBLOCK does not
// release it (Redis 7.0 crashes there, or replies to the command twice).
//
// When the pause ends (CLIENT UNPAUSE, the cron, or a command to be held
// finding its end passed), every held client is released and processes its
// command from the start, in the order the clients were held: each waits
// until the one held before it has run its command, or blocked in it, or
// found it held again by a new pause. So held commands take effect in the
// order they were sent, as Redis runs its postponed clients one after
// another, and a released CLIENT PAUSE holds the clients released after it.
// (Redis also runs the rest of a released client's pipeline before the next
// client's command; here the next client's held command may run between
// them.)

// pauseType is the kind of pause in force, from least to most strict.
type pauseType int32

const (
	pauseOff   pauseType = iota // no pause
	pauseWrite                  // CLIENT PAUSE … WRITE
	pauseAll                    // CLIENT PAUSE … ALL, or no mode
)

// pauseState is a server's pause. The command path reads typ alone, with
// one atomic load; the rest changes only under mu.
type pauseState struct {
	// typ is the pauseType in force: read by every command
	// (client.execute), written under mu.
	typ atomic.Int32
	// end is when the pause ends, in Unix milliseconds by the store's
	// clock: it ends once the clock has passed it. Written under mu.
	end atomic.Int64

	// mu guards held and the released fields of pauseHold; nothing else
	// is locked while it is held but a client's outbox (to wake it).
	mu sync.Mutex
	// held are the clients held, in the order they were held.
	held []*pauseHold
}

// pauseHold is one client held by a pause, for one command.
type pauseHold struct {
	c *client
	// released is set, under pauseState.mu, when the pause lets the
	// client go; next is then the client released after it.
	released bool
	next     *pauseHold
	// turn is closed when the client may process its command: at once
	// for the first client released, and by the client before it for
	// the others (pass).
	turn chan struct{}
}

// pass lets the client released after h process its command.
func (h *pauseHold) pass() {
	if h != nil && h.next != nil {
		close(h.next.turn)
	}
}

// paused is the command path's test: true only while a pause is in force.
func (s *Server) paused() bool { return s.pause.typ.Load() != int32(pauseOff) }

// holds reports whether a pause of type typ holds cmd, run by c: every
// command under ALL; under WRITE, what may write or replicate, and EXEC of
// a transaction that queued such a command (Redis's is_may_replicate_command).
func (c *client) holds(typ pauseType, cmd *command) bool {
	const mayWrite = flagWrite | flagMayReplicate
	switch {
	case typ == pauseAll:
		return true
	case typ == pauseOff:
		return false
	case cmd.Flags&mayWrite != 0:
		return true
	}
	return c.multi != nil && cmd.fullName == "exec" && c.multi.flags&mayWrite != 0
}

// clientPause is a client's part in a pause, which only its own goroutine
// touches.
type clientPause struct {
	// turn is the hold whose turn the client has while it processes its
	// released command: the next released client goes on once the
	// command has run, or has blocked (passTurn).
	turn *pauseHold
	// rerun marks the command waitPause processes again after the hold,
	// so that the check lets it through.
	rerun bool
}

// passTurn lets the next released client go on, if this one has the turn.
// waitPause calls it when the released command has run, and client.block
// when it blocks (a BLPOP released into an empty list), as Redis goes on
// to the next postponed client when one blocks again.
func (c *client) passTurn() {
	if t := c.pause.turn; t != nil {
		c.pause.turn = nil
		t.pass()
	}
}

// waitPause is the dispatcher's pause check (client.execute), called only
// while a pause is in force. While the pause holds cmd, it parks the
// client; once released, in its turn, it processes the command again from
// the start (client.execute, with args), as Redis does a postponed client's
// command, and lets the next released client go on when the command has run
// or blocked. It reports whether it dealt with the command: false when the
// pause does not hold it (the dispatcher runs it), true when it ran it, or
// dropped it because the client went away or the server is stopping.
func (c *client) waitPause(cmd *command, args [][]byte) (done bool) {
	if c.pause.rerun {
		c.pause.rerun = false
		return false
	}
	s := c.s
	p := &s.pause
	if !c.holds(pauseType(p.typ.Load()), cmd) {
		return false // a read under WRITE: no lock taken
	}
	var turn *pauseHold // the hold whose turn this client has, if any
	for {
		h := &pauseHold{c: c, turn: make(chan struct{})}
		p.mu.Lock()
		held := c.holds(s.pauseTypeLocked(), cmd)
		if held {
			p.held = append(p.held, h)
		}
		p.mu.Unlock()
		if !held {
			break
		}
		turn.pass() // held again, behind the clients held before it
		turn = nil

		// Whatever ran before is timed up to here: the hold is no
		// command's time. CLIENT LIST shows the held command.
		c.endRun()
		c.run.mark = 0
		c.run.shown = cmd
		c.lastCmd.Store(cmd)
		released, alive := c.parkHeld(h)
		if released {
			<-h.turn
			turn = h
		}
		if !alive || c.shutdown.Load() || c.closed.Load() {
			turn.pass()
			c.closeAfterReply = true // run nothing more of the batch
			return true
		}
	}
	if turn == nil {
		return false // the pause ended before the client was held
	}
	c.pause.turn, c.pause.rerun = turn, true
	defer func() {
		c.pause.rerun = false
		c.passTurn()
	}()
	c.execute(args)
	// execute has moved CLIENT REPLY SKIP on past this command; the
	// dispatcher's execute, which called us, will do it again: give it
	// the state to move to.
	c.skipNext = c.replySkip
	return true
}

// parkHeld parks the client, held by h, until the pause lets it go or the
// client goes away or the server stops. It reports whether h was released
// (the client must then wait for its turn) and whether the client is
// still connected. A hold that was not released leaves the queue. Should
// block panic, a released hold's turn is still passed on when it comes,
// by a goroutine, so that the clients released after it are not stuck.
func (c *client) parkHeld(h *pauseHold) (released, alive bool) {
	p := &c.s.pause
	settled := false
	defer func() {
		if settled {
			return
		}
		p.mu.Lock()
		if h.released {
			go func() { // exits once the client before it passes the turn
				<-h.turn
				h.pass()
			}()
		} else {
			p.removeLocked(h)
		}
		p.mu.Unlock()
	}()
	alive = c.block(0)
	p.mu.Lock()
	released = h.released
	if !released {
		p.removeLocked(h)
	}
	p.mu.Unlock()
	settled = true
	return released, alive
}

// removeLocked takes h out of the held clients. The caller holds mu.
func (p *pauseState) removeLocked(h *pauseHold) {
	if i := slices.Index(p.held, h); i >= 0 {
		p.held = slices.Delete(p.held, i, i+1)
	}
}

// pauseTypeLocked returns the pause in force, ending it first if its end
// has passed (as Redis's checkClientPauseTimeoutAndReturnIfPaused). The
// caller holds pause.mu.
func (s *Server) pauseTypeLocked() pauseType {
	p := &s.pause
	typ := pauseType(p.typ.Load())
	if typ != pauseOff && p.end.Load() < s.store.NowMs() {
		s.setPauseLocked(pauseOff, 0)
		return pauseOff
	}
	return typ
}

// pauseClients starts a pause of type typ until end (Unix ms), or extends
// the one in force: the pause keeps the stricter type and the later end,
// as Redis's pauseClients. An end already passed pauses nothing.
func (s *Server) pauseClients(typ pauseType, end int64) {
	p := &s.pause
	p.mu.Lock()
	defer p.mu.Unlock()
	if cur := s.pauseTypeLocked(); cur != pauseOff {
		typ = max(typ, cur)
		end = max(end, p.end.Load())
	}
	if end < s.store.NowMs() {
		typ, end = pauseOff, 0
	}
	s.setPauseLocked(typ, end)
}

// unpauseClients ends the pause, as CLIENT UNPAUSE does; the held clients
// are released.
func (s *Server) unpauseClients() {
	p := &s.pause
	p.mu.Lock()
	s.setPauseLocked(pauseOff, 0)
	p.mu.Unlock()
}

// pauseCron ends the pause once its end has passed; the cron calls it at
// every tick, as Redis's serverCron does.
func (s *Server) pauseCron() {
	if !s.paused() {
		return
	}
	p := &s.pause
	p.mu.Lock()
	s.pauseTypeLocked()
	p.mu.Unlock()
}

// setPauseLocked puts the pause typ until end in force, holds or lets go
// expiry to match, and releases every held client when the pause becomes
// less strict, as Redis's updateClientPauseTypeAndEndTime: they process
// their commands again, and are held again if the new pause still holds
// them. The caller holds pause.mu.
func (s *Server) setPauseLocked(typ pauseType, end int64) {
	p := &s.pause
	old := pauseType(p.typ.Load())
	p.end.Store(end)
	p.typ.Store(int32(typ))
	if typ == pauseOff {
		s.store.HoldExpiry(0)
	} else {
		s.store.HoldExpiry(end)
	}
	if typ >= old || len(p.held) == 0 {
		return
	}
	held := p.held
	p.held = nil
	for i, h := range held {
		h.released = true
		if i+1 < len(held) {
			h.next = held[i+1]
		}
	}
	close(held[0].turn)
	for _, h := range held {
		h.c.unblock()
	}
}

// clientPauseCommands are CLIENT PAUSE and CLIENT UNPAUSE's table entries,
// for the CLIENT container (cmd_client.go).
func clientPauseCommands() []*command {
	const flags = flagAdmin | flagNoScript | flagLoading | flagStale
	return []*command{
		{Name: "pause", Arity: -3, Flags: flags, Categories: acl.Connection, Lock: lockNone,
			Group: "connection", Since: "2.9.50", Complexity: "O(1)",
			Summary: "Holds the commands of every client, or only those that may write, for a number of milliseconds.",
			Args: []cmdArg{
				{Name: "timeout", Type: argTypeInteger},
				{Name: "mode", Type: argTypeOneOf, Since: "6.2.0", Flags: argOptional, Args: []cmdArg{
					{Name: "write", Type: argTypePureToken, Token: "WRITE"},
					{Name: "all", Type: argTypePureToken, Token: "ALL"},
				}},
			}, Run: cmdClientPause},
		{Name: "unpause", Arity: 2, Flags: flags, Categories: acl.Connection, Lock: lockNone,
			Group: "connection", Since: "6.2.0", Complexity: "O(N) Where N is the number of paused clients",
			Summary: "Ends a client pause at once and lets the held clients go on.",
			Run:     cmdClientUnpause},
	}
}

// cmdClientPause is CLIENT PAUSE timeout [WRITE|ALL]: the mode is checked
// before the timeout, a timeout of 0 pauses nothing, and a timeout whose
// end overflows Redis's millisecond clock wraps to the past, as in Redis,
// and so pauses nothing either.
func cmdClientPause(c *client, args [][]byte) {
	if len(args) > 4 {
		c.writeErrorReply(fmt.Sprintf(msgSubcommandSyntax, cTrunc(args[1], 128), strings.ToUpper(cString(args[0]))))
		return
	}
	typ := pauseAll
	if len(args) == 4 {
		switch {
		case isOpt(args[3], "write"):
			typ = pauseWrite
		case isOpt(args[3], "all"):
		default:
			c.writeErrorReply(msgPauseMode)
			return
		}
	}
	ms, ok := num.ParseInt(args[2])
	if !ok {
		c.writeErrorReply(msgTimeoutNotInt)
		return
	}
	if ms < 0 {
		c.writeErrorReply(msgTimeoutNegative)
		return
	}
	var end int64
	if ms > 0 {
		end = ms + c.s.store.NowMs() // wraps past math.MaxInt64, as in Redis
	}
	c.s.pauseClients(typ, end)
	c.WriteOK()
}

func cmdClientUnpause(c *client, args [][]byte) {
	c.s.unpauseClients()
	c.WriteOK()
}

// Reply texts of CLIENT PAUSE.
const msgPauseMode = "ERR CLIENT PAUSE mode must be WRITE or ALL"
