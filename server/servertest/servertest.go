// Package servertest runs an embedded Redoubt server for Go tests, with a
// clock that only moves when the test says so.
//
// New starts a server on a free loopback port, closes it when the test ends,
// and gives it a store.ManualClock. Advancing that clock makes keys expire
// for real: Advance also runs the expiry cycle to completion, so a key past
// its deadline is gone at once, from DBSIZE and INFO too, without any client
// having to touch it.
//
//	func TestSession(t *testing.T) {
//		ts := servertest.New(t)
//		rdb := redis.NewClient(&redis.Options{Addr: ts.Addr()})
//		rdb.Set(ctx, "session", "abc", time.Minute)
//
//		ts.Advance(2 * time.Minute)
//		if n := ts.DB(0).Len(); n != 0 {
//			t.Fatalf("DBSIZE = %d after the session expired", n)
//		}
//	}
//
// DB gives direct access to the data (see server.DB), so a test can seed
// keys and check results without a client.
package servertest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/server"
	"github.com/redoubt-db/redoubt/store"
)

// Server is a running server under test. The embedded *server.Server gives
// Addr, DB, Store, Close and the rest of the embedding API.
type Server struct {
	*server.Server
	clock *store.ManualClock
}

// New starts a server for the test tb, with the configuration cfg if one is
// given (at most one), and closes it when the test and its subtests end. The
// server's clock is cfg.Clock if that is a *store.ManualClock, or else a new
// ManualClock set to the current time; any other Clock is an error. New
// fails the test if the server cannot start.
func New(tb testing.TB, cfg ...server.Config) *Server {
	tb.Helper()
	s, err := Start(cfg...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// Start starts a server as New does, for code that has no testing.TB, such
// as a TestMain shared by several tests or an example. The caller must
// Close it.
func Start(cfg ...server.Config) (*Server, error) {
	var c server.Config
	switch len(cfg) {
	case 0:
	case 1:
		c = cfg[0]
	default:
		return nil, fmt.Errorf("servertest: at most one Config, got %d", len(cfg))
	}
	clock, ok := c.Clock.(*store.ManualClock)
	switch {
	case c.Clock == nil:
		clock = store.NewManualClock(time.Now())
		c.Clock = clock
	case !ok || clock == nil:
		return nil, errors.New("servertest: Config.Clock must be a *store.ManualClock")
	}
	srv, err := server.New(c)
	if err != nil {
		return nil, fmt.Errorf("servertest: starting server: %w", err)
	}
	return &Server{Server: srv, clock: clock}, nil
}

// Now returns the server's time.
func (s *Server) Now() time.Time { return s.clock.Now() }

// Advance moves the server's clock forward by d, deletes every key whose
// deadline has passed, and returns the new time.
func (s *Server) Advance(d time.Duration) time.Time {
	t := s.clock.Advance(d)
	s.DeleteExpired()
	return t
}

// SetTime moves the server's clock to t, which may be earlier than now, and
// deletes every key whose deadline has passed by t. Moving the clock back
// does not bring deleted keys back.
func (s *Server) SetTime(t time.Time) {
	s.clock.Set(t)
	s.DeleteExpired()
}

// Clock returns the server's clock, for code that needs a store.Clock on the
// same time. Moving it directly does not delete expired keys until the next
// Advance, SetTime or background cycle.
func (s *Server) Clock() *store.ManualClock { return s.clock }
