package keyspec

import (
	"slices"
	"testing"
)

// server/keyspec_test.go tests Append through the command table's shapes,
// and conformance/command_test.go against a real Redis for every command
// Redis has; these tests cover what neither reaches directly.

func line(s ...string) [][]byte {
	args := make([][]byte, len(s))
	for i, a := range s {
		args[i] = []byte(a)
	}
	return args
}

func TestKeywordPos(t *testing.T) {
	args := line("cmd", "A", "KW", "B", "KW", "C")
	for _, tt := range []struct {
		from, want int
	}{
		{1, 3},  // forwards: the first KW
		{3, 5},  // forwards from the second KW
		{5, 0},  // the last argument cannot be the keyword
		{9, 0},  // past the end
		{-1, 5}, // backwards from the last: the last KW
		{-3, 3}, // backwards from index 3
		{-5, 0}, // backwards from index 1: args[1] is never searched
		{-9, 0}, // before the start
	} {
		if got := keywordPos(args, "KW", tt.from); got != tt.want {
			t.Errorf("keywordPos(%q, KW, %d) = %d, want %d", args, tt.from, got, tt.want)
		}
	}
}

// TestAppendOptions checks the two per-command procedures: Flags replaces
// the flags of a variable_flags spec, and GetKeys takes over when a spec
// fails, its keys getting Flags's flags or none.
func TestAppendOptions(t *testing.T) {
	set := []Spec{{Flags: RW | Access | Update | VariableFlags, Index: 1, KeyStep: 1}}
	incomplete := []Spec{{Flags: RW | Incomplete, Index: 1, KeyStep: 1}}
	getKeys := func([][]byte) ([]int, error) { return []int{2, 9}, nil }
	// SORT's: the sorted key, then "unknown" specs for BY/GET and STORE.
	sortSpecs := []Spec{{Flags: RO | Access, Index: 1, KeyStep: 1}, {Flags: RO | Access}, {Flags: OW | Update}}
	tests := []struct {
		name  string
		specs []Spec
		opts  Options
		args  [][]byte
		want  []Ref
	}{
		{"variable flags without Flags keep the spec's", set, Options{},
			line("set", "k", "v"), []Ref{{1, RW | Access | Update | VariableFlags}}},
		{"variable flags from SET's procedure", set, Options{Flags: ProcFlags("set")},
			line("set", "k", "v"), []Ref{{1, OW | Update}}},
		{"SET's GET", set, Options{Flags: ProcFlags("set")},
			line("set", "k", "v", "GET"), []Ref{{1, RW | Access | Update}}},
		{"GetKeys keys have no flags without Flags", incomplete, Options{GetKeys: getKeys},
			line("x", "a", "b"), []Ref{{2, 0}}},
		{"GetKeys keys get Flags's", incomplete, Options{GetKeys: getKeys, Flags: ProcFlags("migrate")},
			line("x", "a", "b"), []Ref{{2, RW | Access | Delete}}},
		{"no GetKeys after a failed spec", incomplete, Options{}, line("x", "a"), nil},
		{"SORT's keys flagged one by one", sortSpecs,
			Options{GetKeys: func([][]byte) ([]int, error) { return []int{1, 3}, nil }, KeyFlags: ProcKeyFlags("sort")},
			line("sort", "k", "store", "d"), []Ref{{1, RO | Access}, {3, OW | Update}}},
		{"KeyFlags overrides Flags", sortSpecs,
			Options{GetKeys: func([][]byte) ([]int, error) { return []int{1}, nil }, Flags: ProcFlags("migrate"), KeyFlags: ProcKeyFlags("sort_ro")},
			line("sort_ro", "k"), []Ref{{1, RO | Access}}},
	}
	for _, tt := range tests {
		if got := Append(nil, tt.args, tt.specs, tt.opts); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Append(%q) = %v, want %v", tt.name, tt.args, got, tt.want)
		}
	}
}

func TestLegacyRange(t *testing.T) {
	tests := []struct {
		specs             []Spec
		first, last, step int
		movable           bool
	}{
		{nil, 0, 0, 0, false},
		{[]Spec{{Index: 1, KeyStep: 1}}, 1, 1, 1, false},
		{[]Spec{{Index: 1, LastKey: -1, KeyStep: 2}}, 1, -1, 2, false},
		{[]Spec{{Index: 1, KeyStep: 1}, {Index: 2, KeyStep: 1}}, 1, 2, 1, false},
		{[]Spec{{Index: 1, KeyStep: 1}, {Index: 2, KeyNum: true, FirstKey: 1, KeyStep: 1}}, 1, 1, 1, true},
		{[]Spec{{Keyword: "STREAMS", StartFrom: 1, LastKey: -1, KeyStep: 1, Limit: 2}}, 0, 0, 0, true},
		{[]Spec{{Flags: Incomplete, Index: 3, KeyStep: 1}}, 3, 3, 1, true},
	}
	for _, tt := range tests {
		first, last, step, movable := LegacyRange(tt.specs)
		if first != tt.first || last != tt.last || step != tt.step || movable != tt.movable {
			t.Errorf("LegacyRange(%+v) = %d, %d, %d, %v, want %d, %d, %d, %v",
				tt.specs, first, last, step, movable, tt.first, tt.last, tt.step, tt.movable)
		}
	}
}

// TestAppendDoesNotAllocate checks that extraction from key specs into a
// buffer with room does not allocate: ACL checks run it on every command.
func TestAppendDoesNotAllocate(t *testing.T) {
	specs := []Spec{
		{Flags: OW | Update, Index: 1, KeyStep: 1},
		{Flags: RO | Access, Index: 2, KeyNum: true, FirstKey: 1, KeyStep: 1}}
	args := line("zunionstore", "d", "2", "a", "b")
	buf := make([]Ref, 0, 8)
	if n := testing.AllocsPerRun(100, func() { buf = Append(buf[:0], args, specs, Options{}) }); n != 0 {
		t.Errorf("Append allocated %v times per run, want 0", n)
	}
}
