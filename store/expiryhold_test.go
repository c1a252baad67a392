package store

import (
	"testing"
	"time"
)

// TestHoldExpiry checks what holding expiry (CLIENT PAUSE) does to keys past
// their deadline: lookups see them missing but leave them, the active cycle
// and DeleteExpired delete nothing, a write to such a key replaces it, and
// once the hold ends or runs out, expiry resumes.
func TestHoldExpiry(t *testing.T) {
	clk := NewManualClock(time.UnixMilli(start))
	st := New(Options{Clock: clk, Databases: 2})
	var expiredOps int
	st.onCommit = func(tx *Tx, changes []Change) {
		for _, c := range changes {
			if c.Op == OpExpired {
				expiredOps++
			}
		}
	}
	db := st.DB(0)
	st.Update(func(*Tx) {
		for _, k := range []string{"a", "b", "c", "w"} {
			set(t, db, k, "v", start+10)
		}
		set(t, db, "l", "v", 0)
	})
	clk.Advance(time.Second) // every volatile key is past its deadline
	st.HoldExpiry(st.NowMs() + 5000)

	st.Update(func(*Tx) {
		if v, ok, _ := db.Get([]byte("a")); ok {
			t.Errorf("Get(a) = %q while held, want missing", v)
		}
		if _, _, exists := db.Deadline([]byte("b"), 0); exists {
			t.Error("Deadline(b) while held: exists, want missing")
		}
		if db.Delete([]byte("c")) {
			t.Error("Delete(c) while held = true, want false (already expired)")
		}
		if got := strs(db.Keys(nil, []byte("*"))); len(got) != 1 || got[0] != "l" {
			t.Errorf("Keys(*) while held = %q, want [l]", got)
		}
		keys, _ := db.Scan(nil, 0, ScanOptions{Count: 100})
		if got := strs(keys); len(got) != 1 || got[0] != "l" {
			t.Errorf("Scan while held = %q, want [l]", got)
		}
	})
	if n := st.ActiveExpireCycle(time.Second); n != 0 {
		t.Errorf("ActiveExpireCycle while held = %d, want 0", n)
	}
	if n := st.DeleteExpired(); n != 0 {
		t.Errorf("DeleteExpired while held = %d, want 0", n)
	}
	st.Update(func(*Tx) {
		if n := db.Len(); n != 5 {
			t.Errorf("Len while held = %d, want 5: nothing deleted", n)
		}
	})
	if s := st.Stats(); s.Expired != 0 || expiredOps != 0 {
		t.Errorf("while held: expired_keys %d, OpExpired records %d; want 0 and 0", s.Expired, expiredOps)
	}

	// A write replaces the expired entry, which counts as expired first.
	st.Update(func(*Tx) {
		set(t, db, "w", "new", 0)
		if v, ok := get(db, "w"); !ok || v != "new" {
			t.Errorf("after Set(w) while held: w = %q, %v; want new", v, ok)
		}
		if n := db.Len(); n != 5 {
			t.Errorf("Len after Set(w) while held = %d, want 5 (one entry for w)", n)
		}
	})
	if s := st.Stats(); s.Expired != 1 || expiredOps != 1 {
		t.Errorf("after Set(w): expired_keys %d, OpExpired records %d; want 1 and 1", s.Expired, expiredOps)
	}

	// The hold runs out with the clock: lookups delete again.
	clk.Advance(6 * time.Second)
	st.Update(func(*Tx) {
		if _, ok, _ := db.Get([]byte("a")); ok {
			t.Error("Get(a) after the hold ran out: found, want missing")
		}
		if n := db.Len(); n != 4 {
			t.Errorf("Len after the hold ran out and a lookup = %d, want 4", n)
		}
	})
	// Lifted explicitly, the active cycle runs again.
	st.HoldExpiry(st.NowMs() + 5000)
	if n := st.DeleteExpired(); n != 0 {
		t.Errorf("DeleteExpired while held again = %d, want 0", n)
	}
	st.HoldExpiry(0)
	if n := st.DeleteExpired(); n != 2 {
		t.Errorf("DeleteExpired after the hold = %d, want 2 (b and c)", n)
	}
}

// TestHoldExpiryRandomKey checks that RANDOMKEY ends while expiry is held in
// a database whose keys have all expired (Redis 7.0 loops for ever there),
// and still prefers live keys.
func TestHoldExpiryRandomKey(t *testing.T) {
	clk := NewManualClock(time.UnixMilli(start))
	st := New(Options{Clock: clk, Databases: 1})
	db := st.DB(0)
	st.Update(func(*Tx) {
		for _, k := range []string{"x", "y", "z"} {
			set(t, db, k, "v", start+10)
		}
	})
	clk.Advance(time.Second)
	st.HoldExpiry(st.NowMs() + 5000)
	st.Update(func(*Tx) {
		k, ok := db.RandomKey()
		if !ok || (string(k) != "x" && string(k) != "y" && string(k) != "z") {
			t.Errorf("RandomKey with every key expired while held = %q, %v; want one of them", k, ok)
		}
		if n := db.Len(); n != 3 {
			t.Errorf("Len after RandomKey while held = %d, want 3", n)
		}
		set(t, db, "live", "v", 0)
		for range 20 {
			if k, ok := db.RandomKey(); !ok || string(k) != "live" {
				t.Fatalf("RandomKey with one live key while held = %q, %v; want live", k, ok)
			}
		}
	})
}
