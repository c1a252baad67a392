package server

import (
	"errors"
	"fmt"
	"sync"
	"syscall"
)

// reservedFDs is how many file descriptors Redis keeps for itself beyond
// one per client (CONFIG_MIN_RESERVED_FDS): listeners, log, persistence.
const reservedFDs = 32

// rlimitStep is how much Redis lowers its request each time the system
// refuses an open-files limit.
const rlimitStep = 16

// nofile reads and sets the process's open-files limit; tests replace it.
type nofile struct {
	get func() (cur, max uint64, err error)
	set func(cur, max uint64) error
}

var processNofile = nofile{
	get: func() (uint64, uint64, error) {
		var l syscall.Rlimit
		err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l)
		return l.Cur, l.Max, err
	},
	set: func(cur, max uint64) error {
		return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: cur, Max: max})
	},
}

// nofileMu serializes changes of the process-wide limit by the servers of
// one process.
var nofileMu sync.Mutex

// fdFit is the outcome of fitting maxclients clients into the open-files
// limit.
type fdFit struct {
	clients  int    // how many clients fit: the request, or fewer
	want     uint64 // descriptors the request needs
	limit    uint64 // the limit in force afterwards
	was      uint64 // the limit before
	raised   bool   // the limit was raised to want
	refusal  error  // why the system refused a higher limit, if it did
	getError error  // the limit could not be read
}

// fitOpenFiles makes room for maxclients clients, as Redis's
// adjustOpenFilesLimit: it raises the open-files limit to maxclients plus
// reservedFDs if it is lower; where the system refuses, it settles for the
// highest limit it accepts among want, want-16, want-32, … (Redis tries
// them one by one; a binary search finds the same one, since a limit the
// system accepts makes every lower one acceptable too), and the clients
// that fit under it. The hard limit is never lowered.
func (nf nofile) fitOpenFiles(maxclients int) fdFit {
	nofileMu.Lock()
	defer nofileMu.Unlock()
	f := fdFit{clients: maxclients, want: uint64(maxclients) + reservedFDs}
	cur, hard, err := nf.get()
	if err != nil {
		// Redis assumes 1024 and sizes maxclients for it.
		f.getError, f.was, f.limit = err, 1024, 1024
		f.clients = 1024 - reservedFDs
		return f
	}
	f.was, f.limit = cur, cur
	if cur >= f.want {
		return f
	}
	try := func(v uint64) bool {
		err := nf.set(v, max(v, hard))
		if err != nil {
			f.refusal = err
		}
		return err == nil
	}
	if try(f.want) {
		f.limit, f.raised = f.want, true
		return f
	}
	// Steps k = 1..n give want-k*16, all above cur; find the smallest k
	// the system accepts, if any. Otherwise the limit stays cur.
	n := (f.want - cur - 1) / rlimitStep
	lo, hi := uint64(1), n+1 // hi: no step accepted
	for lo < hi {
		mid := lo + (hi-lo)/2
		if try(f.want - mid*rlimitStep) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	if hi <= n {
		// The last probe accepted was this one; refused probes change
		// nothing.
		f.limit = f.want - hi*rlimitStep
	}
	if f.limit <= reservedFDs {
		f.clients = 0
	} else {
		f.clients = int(f.limit - reservedFDs)
	}
	return f
}

// errOpenFiles stops start-up when the limit leaves no room for clients.
var errOpenFiles = errors.New("the open-files limit leaves no room for clients")

// logFit logs what fitOpenFiles did in Redis's words; requested is the
// maxclients asked for. It returns an error when the server cannot start.
func (s *Server) logFit(f fdFit, requested int) error {
	switch {
	case f.getError != nil:
		s.log.logf(levelWarning, "Unable to obtain the current NOFILE limit (%s), assuming 1024 and setting the max clients configuration accordingly.", cStrerror(f.getError))
	case f.raised:
		s.log.logf(levelNotice, "Increased maximum number of open files to %d (it was originally set to %d).", f.want, f.was)
	case f.clients == 0:
		s.log.logf(levelWarning, "Your current 'ulimit -n' of %d is not enough for the server to start. Please increase your open file limit to at least %d. Exiting.", f.was, f.want)
		return fmt.Errorf("%w: 'ulimit -n' is %d, maxclients %d needs %d", errOpenFiles, f.was, requested, f.want)
	case f.clients < requested:
		s.log.logf(levelWarning, "You requested maxclients of %d requiring at least %d max file descriptors.", requested, f.want)
		s.log.logf(levelWarning, "Server can't set maximum open files to %d because of OS error: %s.", f.want, cStrerror(f.refusal))
		s.log.logf(levelWarning, "Current maximum open files is %d. maxclients has been reduced to %d to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.", f.limit, f.clients)
	}
	return nil
}

// cStrerror words a system error as C's strerror does: Go's texts are
// glibc's with a lower-case first letter.
func cStrerror(err error) string {
	if err == nil {
		return "Success"
	}
	msg := err.Error()
	if msg != "" && msg[0] >= 'a' && msg[0] <= 'z' {
		msg = string(msg[0]-'a'+'A') + msg[1:]
	}
	return msg
}
