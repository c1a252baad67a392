package server

import (
	"strconv"
	"strings"
	"testing"
)

// TestCommandRESP3 checks COMMAND's RESP3 replies (sets, maps, null) against
// the bytes redis-server 7.0.15 sent after HELLO 3, recorded below. Once
// HELLO exists, conformance/command_test.go compares RESP3 for every command
// too; this test needs neither HELLO nor a redis-server.
func TestCommandRESP3(t *testing.T) {
	srv, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := newConn(srv, nil)
	c.proto = 3

	bulk := func(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }
	// Redis's documentation text is not ours; these fields carry our own.
	ours := func(recorded, name string) string {
		cmd := srv.cmds.lookupFullName([]byte(name))
		r := strings.NewReplacer(
			bulk("Get the value of a key"), bulk(cmd.Summary),
			bulk("Get an array of Redis command names"), bulk(cmd.Summary),
			bulk("Get the time to live for a key in milliseconds"), bulk(cmd.Summary),
			"$10\r\ncomplexity\r\n$4\r\nO(1)\r\n", "$10\r\ncomplexity\r\n"+bulk(cmd.Complexity),
			bulk("O(N) where N is the total number of Redis commands"), bulk(cmd.Complexity))
		return r.Replace(recorded)
	}
	tests := []struct {
		cmd  string
		want string
	}{
		{"COMMAND INFO get nosuch", "*2\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@read\r\n+@string\r\n+@fast\r\n~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n~0\r\n_\r\n"},
		{"COMMAND DOCS get", ours("%1\r\n$3\r\nget\r\n%5\r\n$7\r\nsummary\r\n$22\r\nGet the value of a key\r\n$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n$9\r\narguments\r\n*1\r\n%3\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n", "get")},
		{"COMMAND GETKEYSANDFLAGS set k v", "*1\r\n*2\r\n$1\r\nk\r\n~2\r\n+OW\r\n+update\r\n"},
		{"COMMAND INFO command|list", "*1\r\n*10\r\n$12\r\ncommand|list\r\n:-2\r\n~2\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n~2\r\n+@slow\r\n+@connection\r\n~1\r\n$29\r\nnondeterministic_output_order\r\n~0\r\n~0\r\n"},
		{"COMMAND DOCS command|list nosuch", ours("%1\r\n$12\r\ncommand|list\r\n%5\r\n$7\r\nsummary\r\n$35\r\nGet an array of Redis command names\r\n$5\r\nsince\r\n$5\r\n7.0.0\r\n$5\r\ngroup\r\n$6\r\nserver\r\n$10\r\ncomplexity\r\n$50\r\nO(N) where N is the total number of Redis commands\r\n$9\r\narguments\r\n*1\r\n%5\r\n$4\r\nname\r\n$8\r\nfilterby\r\n$4\r\ntype\r\n$5\r\noneof\r\n$5\r\ntoken\r\n$8\r\nFILTERBY\r\n$5\r\nflags\r\n~1\r\n+optional\r\n$9\r\narguments\r\n*3\r\n%3\r\n$4\r\nname\r\n$11\r\nmodule-name\r\n$4\r\ntype\r\n$6\r\nstring\r\n$5\r\ntoken\r\n$6\r\nMODULE\r\n%3\r\n$4\r\nname\r\n$8\r\ncategory\r\n$4\r\ntype\r\n$6\r\nstring\r\n$5\r\ntoken\r\n$6\r\nACLCAT\r\n%3\r\n$4\r\nname\r\n$7\r\npattern\r\n$4\r\ntype\r\n$7\r\npattern\r\n$5\r\ntoken\r\n$7\r\nPATTERN\r\n", "command|list")},
		{"COMMAND DOCS nosuch", "%0\r\n"},
		// The history is Redis's, word for word (history.go).
		{"COMMAND DOCS pttl", ours("%1\r\n$4\r\npttl\r\n%6\r\n$7\r\nsummary\r\n$46\r\nGet the time to live for a key in milliseconds\r\n$5\r\nsince\r\n$5\r\n2.6.0\r\n$5\r\ngroup\r\n$7\r\ngeneric\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n$7\r\nhistory\r\n~1\r\n*2\r\n$5\r\n2.8.0\r\n$19\r\nAdded the -2 reply.\r\n$9\r\narguments\r\n*1\r\n%3\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n", "pttl")},
		{"COMMAND LIST FILTERBY PATTERN get", "*1\r\n$3\r\nget\r\n"},
	}
	for _, tt := range tests {
		c.out = c.out[:0]
		c.execute(line(strings.Fields(tt.cmd)...))
		if got := string(c.out); got != tt.want {
			t.Errorf("%s in RESP3 = %q, want %q", tt.cmd, got, tt.want)
		}
	}
}
