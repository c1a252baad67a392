package server

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/redoubt-db/redoubt/internal/keyspec"
)

// Commands with the key spec shapes of Redis 7.0 (index and keyword
// begin-search; range, negative last key, limit and keynum find-keys; not_key,
// incomplete and variable_flags specs), built here so that key extraction is
// tested whatever the table holds today. conformance/command_test.go checks
// the same extraction against a real Redis for every command Redis has.
var (
	ksGet = &command{Name: "get", Arity: 2, KeySpecs: []keyspec.Spec{{Flags: keyspec.RO | keyspec.Access, Index: 1, KeyStep: 1}}}
	ksSet = &command{Name: "set", Arity: -3, KeySpecs: []keyspec.Spec{
		{Flags: keyspec.RW | keyspec.Access | keyspec.Update | keyspec.VariableFlags, Index: 1, KeyStep: 1}}}
	ksMset        = &command{Name: "mset", Arity: -3, KeySpecs: []keyspec.Spec{{Flags: keyspec.OW | keyspec.Update, Index: 1, LastKey: -1, KeyStep: 2}}}
	ksBlpop       = &command{Name: "blpop", Arity: -3, KeySpecs: []keyspec.Spec{{Flags: keyspec.RW | keyspec.Access | keyspec.Delete, Index: 1, LastKey: -2, KeyStep: 1}}}
	ksZunionstore = &command{Name: "zunionstore", Arity: -4, KeySpecs: []keyspec.Spec{
		{Flags: keyspec.OW | keyspec.Update, Index: 1, KeyStep: 1},
		{Flags: keyspec.RO | keyspec.Access, Index: 2, KeyNum: true, FirstKey: 1, KeyStep: 1}}}
	ksEval = &command{Name: "eval", Arity: -3, Flags: flagNoMandatoryKeys, KeySpecs: []keyspec.Spec{
		{Flags: keyspec.RW | keyspec.Access | keyspec.Update, Index: 2, KeyNum: true, FirstKey: 1, KeyStep: 1}}}
	ksXread = &command{Name: "xread", Arity: -4, KeySpecs: []keyspec.Spec{
		{Flags: keyspec.RO | keyspec.Access, Keyword: "STREAMS", StartFrom: 1, LastKey: -1, KeyStep: 1, Limit: 2}}}
	ksGeoradius = &command{Name: "georadius", Arity: -6, KeySpecs: []keyspec.Spec{
		{Flags: keyspec.RO | keyspec.Access, Index: 1, KeyStep: 1},
		{Flags: keyspec.OW | keyspec.Update, Keyword: "STORE", StartFrom: 6, KeyStep: 1},
		{Flags: keyspec.OW | keyspec.Update, Keyword: "STOREDIST", StartFrom: 6, KeyStep: 1}}}
	ksMigrate = &command{Name: "migrate", Arity: -6, KeySpecs: []keyspec.Spec{
		{Flags: keyspec.RW | keyspec.Access | keyspec.Delete | keyspec.Incomplete, Index: 3, KeyStep: 1},
		{Flags: keyspec.RW | keyspec.Access | keyspec.Delete | keyspec.Incomplete, Keyword: "KEYS", StartFrom: -2, LastKey: -1, KeyStep: 1}},
		// Not Redis's procedure: enough to show that an incomplete spec
		// hands over to GetKeys, and that bad positions are dropped.
		GetKeys: func(args [][]byte) ([]int, error) {
			for i := 6; i < len(args); i++ {
				if isOpt(args[i], "keys") {
					var pos []int
					for j := i + 1; j < len(args); j++ {
						pos = append(pos, j)
					}
					return append(pos, -1, 0, len(args)), nil
				}
			}
			return []int{3}, nil
		}}
	ksSpublish = &command{Name: "spublish", Arity: 3, KeySpecs: []keyspec.Spec{{Flags: keyspec.NotKey, Index: 1, KeyStep: 1}}}
	ksLmove    = &command{Name: "lmove", Arity: 5, KeySpecs: []keyspec.Spec{
		{Flags: keyspec.RW | keyspec.Access | keyspec.Delete, Index: 1, KeyStep: 1},
		{Flags: keyspec.RW | keyspec.Insert, Index: 2, KeyStep: 1}}}
	ksSubcommand = &command{Name: "encoding", Arity: 3, parent: &command{Name: "object"},
		KeySpecs: []keyspec.Spec{{Flags: keyspec.RO, Index: 2, KeyStep: 1}}}

	keySpecShapes = []*command{ksGet, ksSet, ksMset, ksBlpop, ksZunionstore, ksEval, ksXread,
		ksGeoradius, ksMigrate, ksSpublish, ksLmove, ksSubcommand}
)

// The shapes are finished as buildCommandTable finishes table entries, which
// gives SET its flags procedure (keyspec.ProcFlags).
func init() {
	for _, cmd := range keySpecShapes {
		cmd.finish()
	}
}

func line(s ...string) [][]byte {
	args := make([][]byte, len(s))
	for i, a := range s {
		args[i] = []byte(a)
	}
	return args
}

func TestKeys(t *testing.T) {
	ro, rw := keyspec.RO|keyspec.Access, keyspec.RW|keyspec.Access|keyspec.Update
	rwDel := keyspec.RW | keyspec.Access | keyspec.Delete
	tests := []struct {
		cmd  *command
		args [][]byte
		want []keyspec.Ref
	}{
		{ksGet, line("get", "k"), []keyspec.Ref{{Pos: 1, Flags: ro}}},
		{ksGet, line("get"), nil}, // too short for the spec
		{ksSubcommand, line("object", "encoding", "k"), []keyspec.Ref{{Pos: 2, Flags: keyspec.RO}}},

		// A negative last key counts from the end; a step skips values.
		{ksMset, line("mset", "a", "1", "b", "2"), []keyspec.Ref{{Pos: 1, Flags: keyspec.OW | keyspec.Update}, {Pos: 3, Flags: keyspec.OW | keyspec.Update}}},
		{ksMset, line("mset", "a", "1", "b"), []keyspec.Ref{{Pos: 1, Flags: keyspec.OW | keyspec.Update}, {Pos: 3, Flags: keyspec.OW | keyspec.Update}}},
		{ksBlpop, line("blpop", "a", "b", "0"), []keyspec.Ref{{Pos: 1, Flags: rwDel}, {Pos: 2, Flags: rwDel}}},
		{ksBlpop, line("blpop", "0"), nil},

		// Keys from a key count; the count is parsed strictly, and a count
		// that does not fit the arguments is refused before any arithmetic.
		{ksZunionstore, line("zunionstore", "d", "2", "a", "b"), []keyspec.Ref{{Pos: 1, Flags: keyspec.OW | keyspec.Update}, {Pos: 3, Flags: ro}, {Pos: 4, Flags: ro}}},
		{ksZunionstore, line("zunionstore", "d", "3", "a", "b"), nil},
		{ksZunionstore, line("zunionstore", "d", "0", "a"), nil},
		{ksZunionstore, line("zunionstore", "d", "-1", "a"), nil},
		{ksZunionstore, line("zunionstore", "d", "2x", "a", "b"), nil},
		{ksZunionstore, line("zunionstore", "d", "02", "a", "b"), nil},
		{ksZunionstore, line("zunionstore", "d", "9223372036854775807", "a"), nil},
		{ksZunionstore, line("zunionstore", "d", "18446744073709551617", "a"), nil},
		{ksZunionstore, line("zunionstore", "d"), nil},
		{ksEval, line("eval", "s", "2", "a", "b", "c"), []keyspec.Ref{{Pos: 3, Flags: rw}, {Pos: 4, Flags: rw}}},
		{ksEval, line("eval", "s", "0"), nil},

		// A keyword search: forwards from StartFrom, never at the last
		// argument, ignoring case, with a C string's NUL; Limit 2 takes the
		// first half of what follows.
		{ksXread, line("xread", "COUNT", "2", "STREAMS", "a", "b", "1", "2"), []keyspec.Ref{{Pos: 4, Flags: ro}, {Pos: 5, Flags: ro}}},
		{ksXread, line("xread", "streams", "a", "1"), []keyspec.Ref{{Pos: 2, Flags: ro}}},
		{ksXread, line("xread", "STREAMS\x00junk", "a", "1"), []keyspec.Ref{{Pos: 2, Flags: ro}}},
		{ksXread, line("xread", "STREAMS", "streams", "s", "1", "2"), []keyspec.Ref{{Pos: 2, Flags: ro}, {Pos: 3, Flags: ro}}},
		{ksXread, line("xread", "STREAMS", "a"), nil},
		{ksXread, line("xread", "COUNT", "STREAMS"), nil},
		{ksXread, line("xread", "STREAMSX", "a", "1"), nil},
		{ksGeoradius, line("georadius", "k", "0", "0", "1", "m", "STORE", "d"), []keyspec.Ref{{Pos: 1, Flags: ro}, {Pos: 7, Flags: keyspec.OW | keyspec.Update}}},
		{ksGeoradius, line("georadius", "k", "0", "0", "1", "m"), []keyspec.Ref{{Pos: 1, Flags: ro}}},
		{ksGeoradius, line("georadius", "k", "0", "0", "1", "STORE", "d"), []keyspec.Ref{{Pos: 1, Flags: ro}}}, // before StartFrom

		// An incomplete spec hands over to GetKeys, whose positions carry
		// the flags of Redis's procedure for MIGRATE; positions that name no
		// argument are dropped.
		{ksMigrate, line("migrate", "h", "p", "k", "0", "5"), []keyspec.Ref{{Pos: 3, Flags: rwDel}}},
		{ksMigrate, line("migrate", "h", "p", "", "0", "5", "KEYS", "a", "b"), []keyspec.Ref{{Pos: 7, Flags: rwDel}, {Pos: 8, Flags: rwDel}}},

		// Specs in order, each spec's keys in order.
		{ksLmove, line("lmove", "a", "b", "LEFT", "RIGHT"), []keyspec.Ref{{Pos: 1, Flags: rwDel}, {Pos: 2, Flags: keyspec.RW | keyspec.Insert}}},

		// not_key specs name no keys.
		{ksSpublish, line("spublish", "ch", "msg"), nil},

		// Variable flags: SET reads the key only when "get" follows the value.
		{ksSet, line("set", "k", "v"), []keyspec.Ref{{Pos: 1, Flags: keyspec.OW | keyspec.Update}}},
		{ksSet, line("set", "k", "v", "NX", "gEt"), []keyspec.Ref{{Pos: 1, Flags: rw}}},
		{ksSet, line("set", "k", "v", "get\x00x"), []keyspec.Ref{{Pos: 1, Flags: rw}}},
		{ksSet, line("set", "k", "get"), []keyspec.Ref{{Pos: 1, Flags: keyspec.OW | keyspec.Update}}},
	}
	for _, tt := range tests {
		got := tt.cmd.Keys(tt.args)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s.Keys(%q) = %v, want %v", tt.cmd.Name, tt.args, got, tt.want)
		}
	}
}

func TestHasKeys(t *testing.T) {
	for _, tt := range []struct {
		cmd  *command
		want bool
	}{
		{ksGet, true}, {ksSpublish, false}, {&command{Name: "ping"}, false},
		{&command{Name: "sort", GetKeys: func([][]byte) ([]int, error) { return nil, nil }}, true},
	} {
		if got := tt.cmd.hasKeys(); got != tt.want {
			t.Errorf("%s.hasKeys() = %v, want %v", tt.cmd.Name, got, tt.want)
		}
	}
}

// TestKeysAppendDoesNotAllocate checks that extraction from key specs into a
// buffer with room does not allocate: ACL checks run it on every command.
func TestKeysAppendDoesNotAllocate(t *testing.T) {
	args := line("zunionstore", "d", "2", "a", "b")
	buf := make([]keyspec.Ref, 0, 8)
	if n := testing.AllocsPerRun(100, func() { buf = ksZunionstore.appendKeys(buf[:0], args) }); n != 0 {
		t.Errorf("appendKeys allocated %v times per run, want 0", n)
	}
}

// FuzzGetKeys runs key extraction and COMMAND GETKEYSANDFLAGS over every
// command of the table and the key spec shapes above, with arbitrary
// argument lists (the input's first byte picks the command, the rest is
// split at spaces). Neither may panic, and every key must be an argument.
func FuzzGetKeys(f *testing.F) {
	initCommands()
	var all []*command
	for _, cmd := range commands.list {
		all = append(all, cmd)
		all = append(all, cmd.Subcommands...)
	}
	all = append(all, keySpecShapes...)
	srv, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	defer srv.Close()
	c := newConn(srv, nil)

	for i, cmd := range all {
		f.Add([]byte(fmt.Sprintf("%c %s k v", byte(i), cmd.Name)))
	}
	f.Add([]byte("\x06 d 2 a b"))
	f.Add([]byte("\x07 COUNT 2 STREAMS a b 1 2"))
	f.Add([]byte("\x09 h p  0 5 KEYS a b"))
	f.Add([]byte("\x06 d 9223372036854775807 a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		cmd := all[int(data[0])%len(all)]
		args := bytes.Split(data[1:], []byte(" "))
		args[0] = []byte(cmd.Name)
		if cmd.parent != nil {
			args = append([][]byte{[]byte(cmd.parent.Name)}, args...)
		}
		keys := cmd.Keys(args)
		if !cmd.hasKeys() && len(keys) > 0 {
			t.Fatalf("%s.Keys(%q) = %v for a command without keys", cmd.Name, args, keys)
		}
		for _, k := range keys {
			if k.Pos < 1 || k.Pos >= len(args) {
				t.Fatalf("%s.Keys(%q) = %v: position %d is not an argument", cmd.Name, args, keys, k.Pos)
			}
		}
		c.out = c.out[:0]
		c.commandGetKeys(args, true)
		if len(c.out) == 0 {
			t.Fatalf("COMMAND GETKEYSANDFLAGS %q wrote nothing", args)
		}
	})
}
