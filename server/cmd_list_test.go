package server

import (
	"runtime"
	"strconv"
	"testing"
)

// TestCmdListBadInput sends counts, indexes and key numbers at the limits
// of their types: each must be answered from the list's real size, with
// nothing allocated from the client's number and the server still alive.
func TestCmdListBadInput(t *testing.T) {
	srv := tcStart(t, Config{})
	c := tcDial(t, srv)
	c.do("RPUSH", "l", "a", "b", "c")
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"LPOP", "l", "9223372036854775807"}, "[a b c]"},
		{[]string{"RPOP", "l", "9223372036854775807"}, "(nil)"},
		{[]string{"RPUSH", "l", "a", "b", "a"}, ":3"},
		{[]string{"LRANGE", "l", "-9223372036854775808", "9223372036854775807"}, "[a b a]"},
		{[]string{"LRANGE", "l", "9223372036854775807", "-9223372036854775808"}, "[]"},
		{[]string{"LINDEX", "l", "-9223372036854775808"}, "(nil)"},
		{[]string{"LSET", "l", "9223372036854775807", "x"}, "-ERR index out of range"},
		{[]string{"LPOS", "l", "a", "COUNT", "0", "MAXLEN", "9223372036854775807"}, "[:0 :2]"},
		{[]string{"LPOS", "l", "a", "RANK", "-9223372036854775808", "COUNT", "1"}, "[:2 :0]"},
		{[]string{"LPOS", "l", "a", "RANK", "9223372036854775807", "COUNT", "0"}, "[]"},
		{[]string{"LREM", "l", "-9223372036854775808", "a"}, ":2"},
		{[]string{"LMPOP", "9223372036854775807", "l", "left"}, "-ERR syntax error"},
		{[]string{"LMPOP", "2147483648", "l", "left"}, "-ERR syntax error"},
		{[]string{"LMPOP", "1", "l", "left", "COUNT", "9223372036854775807"}, "[l [b]]"},
		{[]string{"LTRIM", "l", "-9223372036854775808", "9223372036854775807"}, "+OK"},
		{[]string{"EXISTS", "l"}, ":0"},
	}
	for _, tt := range tests {
		if got := c.do(tt.args...).flat(); got != tt.want {
			t.Errorf("%q = %s, want %s", tt.args, got, tt.want)
		}
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("the commands allocated %d bytes", grew)
	}
}

// TestCmdListDirty checks what each list command adds to the dirty counter
// (INFO's rdb_changes_since_last_save), as Redis counts it: one per element
// pushed, popped or removed, one for a move, nothing for a no-op.
func TestCmdListDirty(t *testing.T) {
	srv := tcStart(t, Config{})
	c := tcDial(t, srv)
	dirty := func() int64 {
		n, err := strconv.ParseInt(tcInfo(c.str("INFO", "persistence"))["rdb_changes_since_last_save"], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	steps := []struct {
		args []string
		add  int64
	}{
		{[]string{"RPUSH", "l", "a", "b", "c", "d", "e", "f"}, 6},
		{[]string{"LPUSHX", "missing", "a"}, 0},
		{[]string{"LPOP", "l", "2"}, 2},
		{[]string{"LPOP", "l", "0"}, 0},
		{[]string{"RPOP", "l"}, 1},
		{[]string{"LSET", "l", "0", "x"}, 1},
		{[]string{"LSET", "l", "10", "x"}, 0},
		{[]string{"LINSERT", "l", "before", "x", "w"}, 1},
		{[]string{"LINSERT", "l", "before", "nope", "w"}, 0},
		{[]string{"RPUSH", "l", "w", "w"}, 2},
		{[]string{"LREM", "l", "0", "w"}, 3},
		{[]string{"LREM", "l", "0", "nope"}, 0},
		{[]string{"LMOVE", "l", "m", "left", "right"}, 1},
		{[]string{"LMOVE", "l", "l", "left", "right"}, 1},
		{[]string{"RPOPLPUSH", "missing", "m"}, 0},
		{[]string{"LTRIM", "l", "0", "-1"}, 0},
		{[]string{"LTRIM", "l", "1", "0"}, 2},
		{[]string{"LMPOP", "2", "l", "m", "left", "COUNT", "5"}, 1},
		{[]string{"LMPOP", "1", "m", "left"}, 0},
	}
	for _, s := range steps {
		d := dirty()
		c.do(s.args...)
		if got := dirty() - d; got != s.add {
			t.Errorf("%q added %d to the dirty counter, want %d", s.args, got, s.add)
		}
	}
}
