package server

import (
	"bufio"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNewCommandNames(t *testing.T) {
	initCommands()
	long := strings.Repeat("x", maxNameLen+1)
	tests := []struct {
		renames []CommandRename
		err     string            // a part of the error, "" for none
		want    map[string]string // this server's name → table name ("" for none)
	}{
		{nil, "", map[string]string{"get": "get", "config": "config"}},
		{[]CommandRename{{"GET", "Fetch"}}, "", map[string]string{"fetch": "get", "get": ""}},
		{[]CommandRename{{"flushall", ""}}, "", map[string]string{"flushall": ""}},
		// Renames apply in order; a name freed by one may be taken by the next.
		{[]CommandRename{{"get", "x"}, {"x", "y"}}, "", map[string]string{"get": "", "x": "", "y": "get"}},
		{[]CommandRename{{"get", "tmp"}, {"set", "get"}, {"tmp", "set"}}, "", map[string]string{"get": "set", "set": "get"}},
		{[]CommandRename{{"get", "get"}}, "", map[string]string{"get": "get"}},
		{[]CommandRename{{"nosuch", "x"}}, "no such command", nil},
		{[]CommandRename{{"config|get", "x"}}, "no such command", nil},
		{[]CommandRename{{"get", ""}, {"get", "x"}}, "no such command", nil},
		{[]CommandRename{{"get", "set"}}, "target command name already exists", nil},
		{[]CommandRename{{"get", long}}, "at most 64 bytes", nil},
		{[]CommandRename{{"get", strings.Repeat("x", maxNameLen)}}, "", map[string]string{strings.Repeat("x", maxNameLen): "get"}},
	}
	for _, tt := range tests {
		n, err := newCommandNames(commands, commandOptions{renames: tt.renames})
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("newCommandNames(%v) error = %v, want one saying %q", tt.renames, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("newCommandNames(%v) error = %v", tt.renames, err)
			continue
		}
		for name, want := range tt.want {
			got := ""
			if cmd := n.lookupFullName([]byte(name)); cmd != nil {
				got = cmd.fullName
			}
			if got != want {
				t.Errorf("with %v, %q is %q, want %q", tt.renames, name, got, want)
			}
		}
		if len(n.list) != len(n.byName) {
			t.Errorf("with %v, %d commands listed for %d names", tt.renames, len(n.list), len(n.byName))
		}
	}
}

// TestConfigValidateRenames checks that New refuses bad renames with every
// problem, as Validate reports them.
func TestConfigValidateRenames(t *testing.T) {
	_, err := New(Config{RenameCommands: []CommandRename{{"nosuch", "x"}, {"get", "set"}}})
	if err == nil || !strings.Contains(err.Error(), `"nosuch" "x": no such command`) || !strings.Contains(err.Error(), `"get" "set": target command name already exists`) {
		t.Errorf("New with bad renames: error %v, want both problems", err)
	}
}

// TestRenameCommandPerServer runs two servers in one process, one with GET
// renamed to FETCH, CONFIG to CFG and FLUSHALL removed, the other as
// configured by default, and checks that each answers by its own names, as
// Redis answers after rename-command, while clients of both run at once.
func TestRenameCommandPerServer(t *testing.T) {
	renamed := tcStart(t, Config{RenameCommands: []CommandRename{
		{"get", "fetch"}, {"CONFIG", "cfg"}, {"flushall", ""}}})
	plain := tcStart(t, Config{})
	r, p := tcDial(t, renamed), tcDial(t, plain)

	r.do("SET", "k", "v")
	p.do("SET", "k", "v")
	count := p.integer("COMMAND", "COUNT")
	tests := []struct {
		srv  *tcConn
		cmd  []string
		want string
	}{
		{r, []string{"FETCH", "k"}, "v"},
		{r, []string{"fetch", "k"}, "v"},
		{r, []string{"GET", "k"}, "-ERR unknown command 'GET', with args beginning with: 'k' "},
		{p, []string{"GET", "k"}, "v"},
		{p, []string{"FETCH", "k"}, "-ERR unknown command 'FETCH', with args beginning with: 'k' "},
		{r, []string{"FLUSHALL"}, "-ERR unknown command 'FLUSHALL', with args beginning with: "},
		{r, []string{"CONFIG", "GET", "port"}, "-ERR unknown command 'CONFIG', with args beginning with: 'GET' 'port' "},
		{r, []string{"CFG", "GET", "databases"}, "[databases 16]"},
		{r, []string{"cfg", "NOSUCH"}, "-ERR unknown subcommand 'NOSUCH'. Try CFG HELP."},
		{p, []string{"cfg", "NOSUCH"}, "-ERR unknown command 'cfg', with args beginning with: 'NOSUCH' "},
		// Arity errors name the command as Redis does, by its table name.
		{r, []string{"FETCH"}, "-ERR wrong number of arguments for 'get' command"},

		// COMMAND finds a command by this server's name, and shows its
		// table name.
		{r, []string{"COMMAND", "COUNT"}, fmt.Sprintf(":%d", count-1)},
		{r, []string{"COMMAND", "GETKEYS", "FETCH", "k"}, "[k]"},
		{r, []string{"COMMAND", "GETKEYS", "GET", "k"}, "-ERR Invalid command specified"},
		{p, []string{"COMMAND", "GETKEYS", "GET", "k"}, "[k]"},
		{r, []string{"COMMAND", "LIST", "FILTERBY", "PATTERN", "flush*"}, "[flushdb]"},
		{p, []string{"COMMAND", "LIST", "FILTERBY", "PATTERN", "flush*"}, "[flushdb flushall]"},
		{r, []string{"COMMAND", "LIST", "FILTERBY", "PATTERN", "get"}, "[get]"},
		{r, []string{"COMMAND", "LIST", "FILTERBY", "PATTERN", "fetch"}, "[]"},
	}
	for _, tt := range tests {
		if got := tt.srv.do(tt.cmd...).flat(); got != tt.want {
			name := "renamed"
			if tt.srv == p {
				name = "plain"
			}
			t.Errorf("%s: %q = %q, want %q", name, tt.cmd, got, tt.want)
		}
	}
	info := r.do("COMMAND", "INFO", "fetch", "get", "cfg|get", "config|get")
	if len(info.Elems) != 4 || info.Elems[0].Elems[0].Str != "get" || !info.Elems[1].Null ||
		info.Elems[2].Elems[0].Str != "config|get" || !info.Elems[3].Null {
		t.Errorf("renamed: COMMAND INFO fetch get cfg|get config|get = %v, want get, nil, config|get, nil", info)
	}
	if docs := r.do("COMMAND", "DOCS", "fetch", "get"); len(docs.Elems) != 2 || docs.Elems[0].Str != "get" {
		t.Errorf("renamed: COMMAND DOCS fetch get = %v, want get's docs alone", docs)
	}
	all := r.do("COMMAND")
	if int64(len(all.Elems)) != count-1 || slices.ContainsFunc(all.Elems, func(v tcValue) bool { return v.Elems[0].Str == "flushall" }) {
		t.Errorf("renamed: COMMAND lists %d commands, want %d without flushall", len(all.Elems), count-1)
	}

	// Statistics stay with the command: FETCH counts as get.
	if got := tcInfo(r.str("INFO", "commandstats"))["cmdstat_get"]; !strings.HasPrefix(got, "calls=2,") {
		t.Errorf("renamed: cmdstat_get = %q, want calls=2 (two FETCHes)", got)
	}

	// Both at once, in pipelines: a pipeline's repeated command is looked
	// up once, and that shortcut must not let GET through after a FETCH.
	var wg sync.WaitGroup
	for i := range 4 {
		srv, cmds, want := renamed, "FETCH k\r\nGET k\r\n", []string{"v", "-ERR unknown command 'GET', with args beginning with: 'k' "}
		if i%2 == 1 {
			srv, cmds, want = plain, "GET k\r\nFETCH k\r\n", []string{"v", "-ERR unknown command 'FETCH', with args beginning with: 'k' "}
		}
		wg.Add(1)
		go func() { // exits after its pipelines
			defer wg.Done()
			if err := pipeline(srv.Addr(), strings.Repeat(cmds, 200), want); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

// pipeline sends cmds, inline commands, at once and checks that the
// replies repeat want.
func pipeline(addr, cmds string, want []string) error {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := nc.Write([]byte(cmds)); err != nil {
		return err
	}
	rd := bufio.NewReader(nc)
	for i := range strings.Count(cmds, "\n") {
		v, err := tcRead(rd)
		if err != nil {
			return err
		}
		if got := v.flat(); got != want[i%len(want)] {
			return fmt.Errorf("%s: reply %d = %q, want %q", addr, i, got, want[i%len(want)])
		}
	}
	return nil
}

// TestProtectedCommandsPerServer checks that enable-debug-command and
// enable-module-command are each server's own: a server that allows DEBUG
// and the module commands runs them while another in the same process
// refuses them, and "local" allows local clients only.
func TestProtectedCommandsPerServer(t *testing.T) {
	var logs logBuffer
	allowing := tcStart(t, Config{LogOutput: &logs, EnableDebugCommand: AllowYes, EnableModuleCommand: AllowLocal})
	refusing := tcStart(t, Config{})
	a, r := tcDial(t, allowing), tcDial(t, refusing)

	debugOff := "-ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
	moduleOff := "-ERR MODULE command not allowed. If the enable-module-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
	tests := []struct {
		srv  *tcConn
		cmd  []string
		want string
	}{
		{a, []string{"DEBUG", "SLEEP", "0"}, "-ERR unknown subcommand or wrong number of arguments for 'SLEEP'. Try DEBUG HELP."},
		{a, []string{"debug", "help"}, "[+DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are: +HELP +    Prints this help.]"},
		{r, []string{"DEBUG", "SLEEP", "0"}, debugOff},
		{a, []string{"MODULE", "LOAD", "/x.so"}, "-ERR Error loading the extension. Please check the server logs."},
		{a, []string{"MODULE", "LOADEX", "/x.so", "CONFIG"}, "-ERR Error loading the extension. Please check the server logs."},
		{a, []string{"MODULE", "UNLOAD", "x"}, "-ERR Error unloading module: no such module with that name"},
		{r, []string{"MODULE", "LOAD", "/x.so"}, moduleOff},
		{r, []string{"MODULE", "UNLOAD", "x"}, moduleOff},
		{r, []string{"MODULE", "LIST"}, "[]"},
	}
	for _, tt := range tests {
		if got := tt.srv.do(tt.cmd...).flat(); got != tt.want {
			t.Errorf("%q = %q, want %q", tt.cmd, got, tt.want)
		}
	}
	if !strings.Contains(logs.String(), "Module /x.so failed to load") {
		t.Errorf("no log line for the failed MODULE LOAD:\n%s", logs.String())
	}

	// "local" refuses a client that is not on this host. A client with no
	// network connection stands for one here.
	c := newConn(allowing, nil)
	c.execute(line("MODULE", "LOAD", "/x.so"))
	c.execute(line("DEBUG", "HELP"))
	if got := string(c.out); !strings.HasPrefix(got, moduleOff+"\r\n*") {
		t.Errorf("MODULE LOAD then DEBUG HELP from a remote client = %q, want MODULE refused and DEBUG run", got)
	}
}
