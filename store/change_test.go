package store

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is an OnCommit consumer that keeps a printable copy of every
// change, one string per step.
type recorder struct {
	steps []string
}

func (r *recorder) consume(tx *Tx, changes []Change) {
	var parts []string
	for _, c := range changes {
		s := fmt.Sprintf("%s %d", c.Op, c.DB)
		if c.Key != nil {
			s += " " + string(c.Key)
		}
		switch c.Op {
		case OpMoveFrom, OpMoveTo, OpCopyTo, OpSwap:
			s += fmt.Sprintf(" other=%d", c.Other)
		case OpFlush:
			s += fmt.Sprintf(" n=%d", c.N)
		}
		parts = append(parts, s)
	}
	r.steps = append(r.steps, strings.Join(parts, "; "))
}

// recordedStore returns a store on a manual clock whose committed changes
// go to the returned recorder.
func recordedStore(t *testing.T) (*Store, *ManualClock, *recorder) {
	t.Helper()
	rec := &recorder{}
	clk := NewManualClock(time.UnixMilli(start))
	return New(Options{Clock: clk, Databases: 3, OnCommit: rec.consume}), clk, rec
}

// TestChangeLogRecordsEveryPrimitive runs each primitive that changes a key
// in a step of its own, after a setup step, and checks the records its step
// produced: one per key changed, nothing for a no-op.
func TestChangeLogRecordsEveryPrimitive(t *testing.T) {
	b := func(s string) []byte { return []byte(s) }
	seed := func(tx *Tx) {
		db := tx.DB(0)
		db.Set(b("s"), b("v"), SetOptions{})
		db.Set(b("n"), b("10"), SetOptions{})
		db.Set(b("ttl"), b("v"), SetOptions{At: start + 10_000})
		tx.DB(1).Set(b("other"), b("v"), SetOptions{})
	}
	tests := []struct {
		name string
		run  func(tx *Tx)
		want string
	}{
		{"set new", func(tx *Tx) { tx.DB(0).Set(b("k"), b("v"), SetOptions{}) }, "write 0 k"},
		{"set over", func(tx *Tx) { tx.DB(0).Set(b("s"), b("w"), SetOptions{At: start + 5}) }, "write 0 s"},
		{"set nx existing", func(tx *Tx) { tx.DB(0).Set(b("s"), b("w"), SetOptions{NX: true}) }, ""},
		{"set xx missing", func(tx *Tx) { tx.DB(0).Set(b("k"), b("w"), SetOptions{XX: true}) }, ""},
		{"mset", func(tx *Tx) { tx.DB(0).MSet([][]byte{b("a"), b("1"), b("s"), b("2")}) }, "write 0 a; write 0 s"},
		{"msetnx refused", func(tx *Tx) { tx.DB(0).MSetNX([][]byte{b("a"), b("1"), b("s"), b("2")}) }, ""},
		{"msetnx", func(tx *Tx) { tx.DB(0).MSetNX([][]byte{b("a"), b("1"), b("c"), b("2")}) }, "write 0 a; write 0 c"},
		{"append new", func(tx *Tx) { tx.DB(0).Append(b("k"), b("x"), 1<<20) }, "write 0 k"},
		{"append", func(tx *Tx) { tx.DB(0).Append(b("s"), b("x"), 1<<20) }, "write 0 s"},
		{"append too long", func(tx *Tx) { tx.DB(0).Append(b("s"), b("xx"), 2) }, ""},
		{"setrange new", func(tx *Tx) { tx.DB(0).SetRange(b("k"), 3, b("x"), 1<<20) }, "write 0 k"},
		{"setrange", func(tx *Tx) { tx.DB(0).SetRange(b("s"), 0, b("x"), 1<<20) }, "write 0 s"},
		{"setrange empty", func(tx *Tx) { tx.DB(0).SetRange(b("s"), 0, nil, 1<<20) }, ""},
		{"incrby", func(tx *Tx) { tx.DB(0).IncrBy(b("n"), 5) }, "write 0 n"},
		{"incrby wrong", func(tx *Tx) { tx.DB(0).IncrBy(b("s"), 5) }, ""},
		{"incrbyfloat", func(tx *Tx) { tx.DB(0).IncrByFloat(b("n"), b("1.5")) }, "write 0 n"},
		{"getdel", func(tx *Tx) { tx.DB(0).GetDel(b("s")) }, "delete 0 s"},
		{"getdel missing", func(tx *Tx) { tx.DB(0).GetDel(b("k")) }, ""},
		{"getex ex", func(tx *Tx) { tx.DB(0).GetEx(b("s"), GetExOptions{At: start + 100}) }, "expire 0 s"},
		{"getex exat past", func(tx *Tx) { tx.DB(0).GetEx(b("s"), GetExOptions{At: start - 1, Absolute: true}) }, "delete 0 s"},
		{"getex persist", func(tx *Tx) { tx.DB(0).GetEx(b("ttl"), GetExOptions{Persist: true}) }, "persist 0 ttl"},
		{"getex persist none", func(tx *Tx) { tx.DB(0).GetEx(b("s"), GetExOptions{Persist: true}) }, ""},
		{"get", func(tx *Tx) { tx.DB(0).Get(b("s")) }, ""},
		{"del", func(tx *Tx) { tx.DB(0).DeleteKeys([][]byte{b("s"), b("k"), b("n")}) }, "delete 0 s; delete 0 n"},
		{"expire", func(tx *Tx) { tx.DB(0).Expire(b("s"), start+100, 0) }, "expire 0 s"},
		{"expire past", func(tx *Tx) { tx.DB(0).Expire(b("s"), start, 0) }, "delete 0 s"},
		{"expire nx refused", func(tx *Tx) { tx.DB(0).Expire(b("ttl"), start+100, ExpireNX) }, ""},
		{"persist", func(tx *Tx) { tx.DB(0).Persist(b("ttl")) }, "persist 0 ttl"},
		{"persist none", func(tx *Tx) { tx.DB(0).Persist(b("s")) }, ""},
		{"rename", func(tx *Tx) { tx.DB(0).Rename(b("s"), b("t"), false) }, "rename_from 0 s; rename_to 0 t"},
		{"rename to itself", func(tx *Tx) { tx.DB(0).Rename(b("s"), b("s"), false) }, ""},
		{"renamenx refused", func(tx *Tx) { tx.DB(0).Rename(b("s"), b("n"), true) }, ""},
		{"move", func(tx *Tx) { tx.DB(0).Move(b("s"), tx.DB(2)) }, "move_from 0 s other=2; move_to 2 s other=0"},
		{"move refused", func(tx *Tx) { tx.DB(1).Move(b("other"), tx.DB(1)) }, ""},
		{"copy", func(tx *Tx) { tx.DB(0).Copy(b("s"), tx.DB(1), b("c"), false) }, "copy_to 1 c other=0"},
		{"copy refused", func(tx *Tx) { tx.DB(0).Copy(b("s"), tx.DB(1), b("other"), false) }, ""},
		{"flushdb", func(tx *Tx) { tx.DB(0).Flush() }, "flush 0 n=3"},
		{"flushdb empty", func(tx *Tx) { tx.DB(2).Flush() }, ""},
		{"flushall", func(tx *Tx) { tx.Store().FlushAll() }, "flush 0 n=3; flush 1 n=1"},
		{"swapdb", func(tx *Tx) { tx.Store().Swap(0, 2) }, "swap 0 other=2"},
		{"swapdb itself", func(tx *Tx) { tx.Store().Swap(1, 1) }, "swap 1 other=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _, rec := recordedStore(t)
			st.Update(seed)
			rec.steps = nil
			st.Update(tt.run)
			var got string
			if len(rec.steps) > 0 {
				got = rec.steps[0]
			}
			if len(rec.steps) > 1 || got != tt.want {
				t.Errorf("changes = %q, want %q", rec.steps, tt.want)
			}
		})
	}
}

// TestChangeLogRecordsExpiry checks the changes no command asks for: a key
// found past its deadline by a lookup, by the active cycle and by
// DeleteExpired is recorded once, as expired.
func TestChangeLogRecordsExpiry(t *testing.T) {
	st, clk, rec := recordedStore(t)
	st.Update(func(tx *Tx) {
		for _, k := range []string{"lazy", "active", "all"} {
			tx.DB(1).Set([]byte(k), []byte("v"), SetOptions{At: start + 1})
		}
	})
	clk.Advance(time.Second)
	rec.steps = nil

	st.Update(func(tx *Tx) {
		if _, ok, _ := tx.DB(1).Get([]byte("lazy")); ok {
			t.Error("Get returned an expired key")
		}
	})
	if want := []string{"expired 1 lazy"}; !slices.Equal(rec.steps, want) {
		t.Errorf("after a lookup: changes = %q, want %q", rec.steps, want)
	}

	rec.steps = nil
	if n := st.ActiveExpireCycle(time.Second); n != 2 {
		t.Fatalf("ActiveExpireCycle = %d, want 2", n)
	}
	got := strings.Join(rec.steps, "; ")
	if got != "expired 1 active; expired 1 all" && got != "expired 1 all; expired 1 active" {
		t.Errorf("after the active cycle: changes = %q", rec.steps)
	}

	st.Update(func(tx *Tx) { tx.DB(2).Set([]byte("later"), []byte("v"), SetOptions{At: start + 2000}) })
	clk.Advance(2 * time.Second)
	rec.steps = nil
	if n := st.DeleteExpired(); n != 1 {
		t.Fatalf("DeleteExpired = %d, want 1", n)
	}
	if want := []string{"expired 2 later"}; !slices.Equal(rec.steps, want) {
		t.Errorf("after DeleteExpired: changes = %q, want %q", rec.steps, want)
	}
}

// TestChangeFlushedHas checks that a flush record lets a consumer ask which
// keys the database held, as WATCH will after FLUSHDB.
func TestChangeFlushedHas(t *testing.T) {
	var had, hadNot bool
	st := New(Options{OnCommit: func(tx *Tx, changes []Change) {
		for i := range changes {
			if changes[i].Op == OpFlush {
				had = changes[i].FlushedHas([]byte("k"))
				hadNot = changes[i].FlushedHas([]byte("x"))
			}
		}
	}})
	st.Update(func(tx *Tx) { tx.DB(0).Set([]byte("k"), []byte("v"), SetOptions{}) })
	st.Update(func(tx *Tx) { tx.DB(0).Flush() })
	if !had || hadNot {
		t.Errorf("FlushedHas(k) = %v, FlushedHas(x) = %v; want true, false", had, hadNot)
	}
}

// TestTxFixedNow checks that a step sees one time however the clock moves,
// and that the next step sees the new time: a key alive for one command of
// an EXEC stays alive for the rest of it.
func TestTxFixedNow(t *testing.T) {
	st, clk, _ := recordedStore(t)
	tx := st.Begin(TxOptions{})
	db := tx.DB(0)
	db.Set([]byte("k"), []byte("v"), SetOptions{At: start + 1000})
	first := tx.Now()
	clk.Advance(5 * time.Second)
	if tx.Now() != first {
		t.Errorf("Now moved within a step: %d, then %d", first, tx.Now())
	}
	if _, ok, _ := db.Get([]byte("k")); !ok {
		t.Error("the key expired within the step that saw it alive")
	}
	tx.Commit()
	if got := tx.Now(); got != start+5000 {
		t.Errorf("Now after Commit = %d, want %d", got, start+5000)
	}
	if _, ok, _ := db.Get([]byte("k")); ok {
		t.Error("the key is alive in a step after its deadline")
	}
	tx.End()
}

// TestTxNested checks that commands run inside a caller's transaction (as
// EXEC, scripts and the serving of blocked clients will run them) neither
// deadlock nor commit early: their changes reach the consumer when the
// caller commits, in order.
func TestTxNested(t *testing.T) {
	st, _, rec := recordedStore(t)
	tx := st.Begin(TxOptions{AllDBs: true})
	run := func(tx *Tx, key string) { tx.DB(0).Set([]byte(key), []byte("v"), SetOptions{}) }
	done := make(chan struct{})
	go func() { // exits when the three commands have run
		defer close(done)
		run(tx, "a")
		run(tx, "b")
		tx.DB(1).Set([]byte("c"), []byte("v"), SetOptions{})
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("commands inside an open transaction did not complete")
	}
	if len(rec.steps) != 0 {
		t.Fatalf("changes reached the consumer before the commit: %q", rec.steps)
	}
	tx.End()
	if want := []string{"write 0 a; write 0 b; write 1 c"}; !slices.Equal(rec.steps, want) {
		t.Errorf("changes = %q, want %q", rec.steps, want)
	}
}

// TestTxExcludes checks that transactions exclude each other: TryBegin fails
// while one is open, and Begin waits for it.
func TestTxExcludes(t *testing.T) {
	st := New(Options{})
	tx := st.Begin(TxOptions{})
	if other := st.TryBegin(TxOptions{}); other != nil {
		t.Fatal("TryBegin succeeded while a transaction was open")
	}
	var wg sync.WaitGroup
	wg.Add(1)
	entered := make(chan struct{})
	go func() { // exits when its transaction ends
		defer wg.Done()
		tx := st.Begin(TxOptions{})
		close(entered)
		tx.End()
	}()
	select {
	case <-entered:
		t.Fatal("Begin returned while another transaction was open")
	case <-time.After(20 * time.Millisecond):
	}
	tx.End()
	wg.Wait()
	if tx := st.TryBegin(TxOptions{}); tx == nil {
		t.Fatal("TryBegin failed with no transaction open")
	} else {
		tx.End()
	}
}

// TestActiveDatabases checks that the background work visits only
// databases that hold keys: with many databases and keys in two, the active
// list has two, and an emptied database leaves it at the next Cron.
func TestActiveDatabases(t *testing.T) {
	st := New(Options{Databases: 100_000})
	st.Update(func(tx *Tx) {
		tx.DB(7).Set([]byte("a"), []byte("v"), SetOptions{})
		tx.DB(99_999).Set([]byte("b"), []byte("v"), SetOptions{At: st.NowMs() + 60_000})
	})
	if got := st.ActiveDBs(); !slices.Equal(got, []int{7, 99_999}) {
		t.Fatalf("ActiveDBs = %v, want [7 99999]", got)
	}
	st.Update(func(tx *Tx) { tx.Store().Swap(7, 8) })
	st.Update(func(tx *Tx) { tx.DB(99_999).Flush() })
	st.Cron(10)
	if got := st.ActiveDBs(); !slices.Equal(got, []int{8}) {
		t.Fatalf("ActiveDBs after SWAPDB 7 8, FLUSHDB of 99999 and a Cron = %v, want [8]", got)
	}
}
