package store

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// eventRecorder is an OnCommit consumer that keeps the events of each call,
// one string per call that saw any.
type eventRecorder struct {
	calls []string
}

func (r *eventRecorder) consume(tx *Tx, changes []Change) {
	var parts []string
	for _, e := range tx.Events() {
		parts = append(parts, fmt.Sprintf("%s %d %s", e.Name, e.DB, e.Key))
	}
	if len(parts) > 0 {
		r.calls = append(r.calls, strings.Join(parts, "; "))
	}
}

func (r *eventRecorder) take() string {
	s := strings.Join(r.calls, " | ")
	r.calls = nil
	return s
}

// eventStore returns a store on a manual clock with flags in force whose
// events go to the returned recorder.
func eventStore(t *testing.T, flags EventClass) (*Store, *ManualClock, *eventRecorder) {
	t.Helper()
	rec := &eventRecorder{}
	clk := NewManualClock(time.UnixMilli(start))
	st := New(Options{Clock: clk, Databases: 3, OnCommit: rec.consume})
	st.SetNotify(flags)
	return st, clk, rec
}

// TestEventsFromTheStore checks the events the store fires by itself: "new"
// when a key is created (whatever the command), "keymiss" when a read
// lookup misses but not a write lookup, and "expired" from lookups, the
// active cycle and RANDOMKEY, each in the step that caused it and in order.
func TestEventsFromTheStore(t *testing.T) {
	b := func(s string) []byte { return []byte(s) }
	all := EventKeyspace | EventKeyevent | EventAll | EventKeyMiss | EventNew
	st, clk, rec := eventStore(t, all)

	st.Update(func(tx *Tx) {
		db := tx.DB(0)
		db.Set(b("a"), b("1"), SetOptions{})
		db.Set(b("a"), b("2"), SetOptions{}) // an overwrite is not new
		db.Set(b("ttl"), b("v"), SetOptions{At: start + 10})
		db.ListPush(b("l"), [][]byte{b("x")}, true, false)
	})
	if got, want := rec.take(), "new 0 a; new 0 ttl; new 0 l; lpush 0 l"; got != want {
		t.Errorf("creations: %q, want %q", got, want)
	}

	st.Update(func(tx *Tx) {
		db := tx.DB(0)
		db.Get(b("missing")) // a read lookup: keymiss
		db.Delete(b("missing"))
		db.SAdd(b("s"), [][]byte{b("m")}) // a write lookup misses silently
		db.Object(b("missing"))           // OBJECT fires no keymiss
		db.CountExisting([][]byte{b("a"), b("nope")})
		buf := b("gone")
		db.Get(buf)
		copy(buf, "XXXX") // the event kept its own copy of the key
	})
	if got, want := rec.take(), "keymiss 0 missing; new 0 s; sadd 0 s; keymiss 0 nope; keymiss 0 gone"; got != want {
		t.Errorf("lookups: %q, want %q", got, want)
	}

	clk.Advance(20 * time.Millisecond)
	st.Update(func(tx *Tx) {
		tx.DB(0).Get(b("ttl")) // expired on lookup, then missed
	})
	if got, want := rec.take(), "expired 0 ttl; keymiss 0 ttl"; got != want {
		t.Errorf("lazy expiry: %q, want %q", got, want)
	}

	st.Update(func(tx *Tx) {
		tx.DB(1).Set(b("x"), b("v"), SetOptions{At: start + 30})
		tx.DB(2).Set(b("y"), b("v"), SetOptions{At: start + 30})
	})
	rec.take()
	clk.Advance(20 * time.Millisecond)
	if n := st.ActiveExpireCycle(time.Second); n != 2 {
		t.Fatalf("active cycle expired %d keys, want 2", n)
	}
	got := rec.take()
	if got != "expired 1 x | expired 2 y" && got != "expired 2 y | expired 1 x" {
		t.Errorf("active expiry: %q, want one expired event per key", got)
	}

	// A key moved or renamed is added to its new place: "new" before the
	// command's events, as Redis's dbAdd fires it there, even when RENAME
	// overwrites.
	st.Update(func(tx *Tx) {
		db := tx.DB(0)
		db.Rename(b("a"), b("l"), false)
		db.Move(b("l"), tx.DB(1))
	})
	if got, want := rec.take(), "new 0 l; rename_from 0 a; rename_to 0 l; new 1 l; move_from 0 l; move_to 1 l"; got != want {
		t.Errorf("rename and move: %q, want %q", got, want)
	}
}

// TestEventsFromHandlers checks DB.Notify: an event of an enabled class is
// recorded in order with the store's own, one of a disabled class is not,
// and the consumer is called for a step that changed nothing.
func TestEventsFromHandlers(t *testing.T) {
	b := func(s string) []byte { return []byte(s) }
	st, _, rec := eventStore(t, EventKeyevent|EventString|EventNew)
	st.Update(func(tx *Tx) {
		db := tx.DB(2)
		db.Set(b("k"), b("v"), SetOptions{})
		db.Notify(EventString, "set", b("k"))
		db.Notify(EventGeneric, "expire", b("k")) // class g is off
		tx.Commit()
		db.Notify(EventString, "append", b("k")) // a step with no change
	})
	if got, want := rec.take(), "new 2 k; set 2 k | append 2 k"; got != want {
		t.Errorf("events: %q, want %q", got, want)
	}
	if !st.DB(0).Notifies(EventString) || st.DB(0).Notifies(EventHash) {
		t.Errorf("Notifies does not follow the flags")
	}
}

// TestEventsNeedKorE checks that classes without K or E record nothing,
// as Redis publishes nothing then, and that Notify reports the flags.
func TestEventsNeedKorE(t *testing.T) {
	st, _, rec := eventStore(t, EventAll|EventNew|EventKeyMiss)
	st.Update(func(tx *Tx) {
		tx.DB(0).Set([]byte("k"), []byte("v"), SetOptions{})
		tx.DB(0).Get([]byte("nope"))
		tx.DB(0).Notify(EventString, "set", []byte("k"))
	})
	if got := rec.take(); got != "" {
		t.Errorf("events without K or E: %q", got)
	}
	if f := st.Notify(); f != 0 {
		t.Errorf("Notify() = %b, want 0", f)
	}
	st.SetNotify(EventKeyspace | EventGeneric)
	if f := st.Notify(); f != EventKeyspace|EventGeneric {
		t.Errorf("Notify() = %b, want K|g", f)
	}
}

// TestEventsOffCostNothing checks that with notifications off the paths
// where events fire allocate nothing more than they did.
func TestEventsOffCostNothing(t *testing.T) {
	st := New(Options{OnCommit: func(tx *Tx, changes []Change) {}})
	k, v := []byte("k"), []byte("v")
	st.Update(func(tx *Tx) { tx.DB(0).Set(k, v, SetOptions{}) })
	tx := st.Begin(TxOptions{})
	defer tx.End()
	db := tx.DB(0)
	allocs := testing.AllocsPerRun(1000, func() {
		db.Get(k)
		db.Get([]byte("missing"))
		db.Set(k, v, SetOptions{})
		db.Notify(EventString, "set", k)
		tx.Commit()
	})
	if allocs != 0 {
		t.Errorf("%v allocations per GET, GET miss, SET and commit with notifications off", allocs)
	}
}

// TestTakeEvents checks that events taken in the middle of a step are not
// handed to the consumer again at Commit, and that the rest are, in order.
func TestTakeEvents(t *testing.T) {
	st, _, rec := eventStore(t, EventKeyevent|EventString)
	st.Update(func(tx *Tx) {
		db := tx.DB(0)
		db.Notify(EventString, "set", []byte("a"))
		db.Notify(EventString, "set", []byte("b"))
		taken := tx.TakeEvents()
		if len(taken) != 2 || string(taken[0].Key) != "a" || string(taken[1].Key) != "b" {
			t.Errorf("TakeEvents = %v, want a and b", taken)
		}
		if again := tx.TakeEvents(); len(again) != 0 {
			t.Errorf("second TakeEvents = %v, want none", again)
		}
		db.Notify(EventString, "append", []byte("c"))
	})
	if got, want := rec.take(), "append 0 c"; got != want {
		t.Errorf("consumer saw %q, want %q", got, want)
	}
}
