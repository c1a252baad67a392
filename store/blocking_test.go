package store

import (
	"slices"
	"testing"
	"time"
)

// TestCommitConsumerChanges checks that what the OnCommit consumer itself
// changes (as the server does when it serves a blocked client) reaches the
// consumer in turn, in the same step, and only once: each call sees the
// changes recorded since the previous call, until one records nothing.
func TestCommitConsumerChanges(t *testing.T) {
	var calls [][]string
	var st *Store
	consume := func(tx *Tx, changes []Change) {
		var keys []string
		for _, c := range changes {
			keys = append(keys, c.Op.String()+" "+string(c.Key))
		}
		calls = append(calls, keys)
		// Each write of "k<n>" makes the consumer write "k<n+1>", up to k3,
		// as a chain of blocked clients moving an element along would.
		for _, c := range changes {
			if c.Op == OpWrite && len(c.Key) == 2 && c.Key[0] == 'k' && c.Key[1] < '3' {
				tx.DB(0).Set([]byte{'k', c.Key[1] + 1}, []byte("v"), SetOptions{})
			}
		}
	}
	st = New(Options{Clock: NewManualClock(time.UnixMilli(start)), OnCommit: consume})
	tx := st.Begin(TxOptions{})
	tx.DB(0).Set([]byte("k1"), []byte("v"), SetOptions{})
	tx.DB(0).Set([]byte("x"), []byte("v"), SetOptions{})
	tx.Commit()
	want := [][]string{{"write k1", "write x"}, {"write k2"}, {"write k3"}}
	if !slices.EqualFunc(calls, want, slices.Equal) {
		t.Fatalf("consumer calls = %q, want %q", calls, want)
	}
	calls = nil
	tx.Commit() // nothing new: the consumer is not called
	tx.End()
	if len(calls) != 0 {
		t.Errorf("consumer called %d more times after its changes were consumed", len(calls))
	}
}

// TestTypeForWrite checks that the lookup counts no hit or miss and deletes
// a key past its deadline.
func TestTypeForWrite(t *testing.T) {
	st, clk, _ := recordedStore(t)
	tx := st.Begin(TxOptions{})
	db := tx.DB(0)
	db.Set([]byte("s"), []byte("v"), SetOptions{})
	db.Set([]byte("gone"), []byte("v"), SetOptions{})
	db.Expire([]byte("gone"), tx.Now()+10, 0)
	tx.End()
	clk.Advance(time.Second)

	tx = st.Begin(TxOptions{})
	defer tx.End()
	before := st.Stats()
	if got := db.TypeForWrite([]byte("s")); got != TypeString {
		t.Errorf("TypeForWrite(s) = %v, want string", got)
	}
	if got := db.TypeForWrite([]byte("missing")); got != TypeNone {
		t.Errorf("TypeForWrite(missing) = %v, want none", got)
	}
	if got := db.TypeForWrite([]byte("gone")); got != TypeNone {
		t.Errorf("TypeForWrite(gone) = %v after its deadline, want none", got)
	}
	if after := st.Stats(); after.Hits != before.Hits || after.Misses != before.Misses {
		t.Errorf("hits/misses went from %d/%d to %d/%d; want them unchanged", before.Hits, before.Misses, after.Hits, after.Misses)
	}
	if db.Len() != 1 {
		t.Errorf("Len = %d after looking up an expired key, want 1", db.Len())
	}
}
