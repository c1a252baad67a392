package store

import (
	"strconv"
	"testing"
	"time"
)

// TestLastExpireCycle checks that the active cycle reports the time it held
// the lock, not the time it waited for it: a cycle that waits for another
// transaction reports less than it took.
func TestLastExpireCycle(t *testing.T) {
	clk := NewManualClock(time.UnixMilli(start))
	st := New(Options{Clock: clk})
	if d := st.LastExpireCycle(); d != 0 {
		t.Fatalf("before any cycle: %v", d)
	}
	st.Update(func(tx *Tx) {
		for i := range 2000 {
			tx.DB(0).Set([]byte("k"+strconv.Itoa(i)), []byte("v"), SetOptions{At: start + 1})
		}
	})
	clk.Advance(time.Second)
	// Another transaction holds the lock for 50 ms while the cycle starts.
	tx := st.Begin(TxOptions{AllDBs: true})
	done := make(chan int)
	began := time.Now()
	go func() { done <- st.ActiveExpireCycle(time.Second) }()
	time.Sleep(50 * time.Millisecond)
	tx.End()
	n := <-done
	took := time.Since(began)
	if n != 2000 {
		t.Fatalf("ActiveExpireCycle deleted %d keys, want 2000", n)
	}
	held := st.LastExpireCycle()
	if held <= 0 || held > took-40*time.Millisecond {
		t.Errorf("LastExpireCycle = %v, the cycle took %v of which 50 ms waiting", held, took)
	}
}
