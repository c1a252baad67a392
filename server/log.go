package server

import (
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Log levels, in Redis's order.
const (
	levelDebug = iota
	levelVerbose
	levelNotice
	levelWarning
	levelNothing
)

// levelMarks are the characters Redis prints for each level.
var levelMarks = [...]byte{'.', '-', '*', '#'}

// parseLogLevel returns the level named s, or levelNotice if s names none.
func parseLogLevel(s string) int {
	if i := slices.Index(logLevels, s); i >= 0 {
		return i
	}
	return levelNotice
}

// logger writes Redis-style log lines:
//
//	1234:M 21 Nov 2026 05:48:27.578 * Ready to accept connections
//
// Tools that wait for a Redis server to start (testcontainers and the like)
// match these lines, so their shape must not change.
type logger struct {
	level atomic.Int32
	pid   int
	clock func() time.Time

	mu sync.Mutex // guards w and file
	w  io.Writer
	// file is the open logfile, if any, closed by close.
	file *os.File
}

func newLogger(cfg Config) (*logger, error) {
	l := &logger{pid: os.Getpid(), clock: time.Now, w: io.Discard}
	l.level.Store(int32(parseLogLevel(cfg.LogLevel)))
	if cfg.LogFile != "" {
		f, err := os.OpenFile(cfg.LogFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return nil, fmt.Errorf("server: can't open the log file: %w", err)
		}
		l.w, l.file = f, f
	} else if cfg.LogOutput != nil {
		l.w = cfg.LogOutput
	}
	return l, nil
}

func (l *logger) enabled(level int) bool { return int32(level) >= l.level.Load() }

// logf writes one line at level, as the master process ('M').
func (l *logger) logf(level int, format string, args ...any) {
	l.logRole(level, 'M', format, args...)
}

func (l *logger) logRole(level int, role byte, format string, args ...any) {
	if !l.enabled(level) || level >= levelNothing {
		return
	}
	now := l.clock()
	line := fmt.Appendf(nil, "%d:%c %s %c ", l.pid, role, now.Format("02 Jan 2006 15:04:05.000"), levelMarks[level])
	line = fmt.Appendf(line, format, args...)
	line = append(line, '\n')
	l.mu.Lock()
	l.w.Write(line)
	l.mu.Unlock()
}

func (l *logger) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.file != nil {
		err := l.file.Close()
		l.file = nil
		l.w = io.Discard
		return err
	}
	return nil
}
