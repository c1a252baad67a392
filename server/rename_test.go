package server

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRenameCommandLines checks rename-command lines in a config file: the
// renames a valid file makes, and the line and reason of a bad one, which
// must be redis-server 7.0.15's when it is installed (the reason is the
// last line of its fatal report; Redoubt's own reasons are marked).
func TestRenameCommandLines(t *testing.T) {
	redis, _ := exec.LookPath("redis-server")
	tests := []struct {
		text string
		// For a valid file: this server's name → table name ("" for none).
		want map[string]string
		// For a bad one: the line and reason.
		line   int
		reason string
		ours   bool // a reason Redis does not have (Redis starts, or crashes)
	}{
		{text: "rename-command GET Fetch\n", want: map[string]string{"fetch": "get", "get": ""}},
		{text: "rename-command flushall \"\"\nrename-command FLUSHDB ''\n", want: map[string]string{"flushall": "", "flushdb": ""}},
		{text: "rename-command get x\nhz 5\nrename-command X y\n", want: map[string]string{"get": "", "x": "", "y": "get"}},
		{text: "rename-command get tmp\nrename-command set get\nrename-command tmp set\n", want: map[string]string{"get": "set", "set": "get"}},
		{text: "rename-command get get\n", want: map[string]string{"get": "get"}},
		{text: "rename-command nosuch x\n", line: 1, reason: msgRenameNoSuch},
		{text: "hz 5\nrename-command get \"\"\nrename-command get x\n", line: 3, reason: msgRenameNoSuch},
		{text: "rename-command get set\n", line: 1, reason: msgRenameExists},
		{text: "rename-command get x\nrename-command set X\n", line: 2, reason: msgRenameExists},
		{text: "rename-command get\n", line: 1, reason: msgBadDirective},
		{text: "rename-command get a b\n", line: 1, reason: msgBadDirective},
		// Redis fails an assertion on a subcommand; Redoubt finds none.
		{text: "rename-command config|get x\n", line: 1, reason: msgRenameNoSuch, ours: true},
		{text: "rename-command get " + strings.Repeat("x", maxNameLen+1) + "\n", line: 1, reason: msgRenameTooLong, ours: true},
		{text: "rename-command " + strings.Repeat("x", 1<<20) + " y\n", line: 1, reason: msgRenameNoSuch},
	}
	for i, tt := range tests {
		cfg, err := cfgApplyText(t, tt.text)
		name := tt.text
		if len(name) > 80 {
			name = name[:80]
		}
		if tt.reason == "" {
			if err != nil {
				t.Errorf("%q: %v", name, err)
				continue
			}
			initCommands()
			n, err := newCommandNames(commands, cfg.commandOptions())
			if err != nil {
				t.Errorf("%q: New would fail: %v", name, err)
				continue
			}
			for cmdName, want := range tt.want {
				got := ""
				if cmd := n.lookupFullName([]byte(cmdName)); cmd != nil {
					got = cmd.fullName
				}
				if got != want {
					t.Errorf("%q: %q is %q, want %q", name, cmdName, got, want)
				}
			}
		} else {
			ce, ok := err.(*ConfigError)
			if !ok || ce.Line != tt.line || ce.Reason != tt.reason {
				t.Errorf("%q: error %v, want line %d: %s", name, err, tt.line, tt.reason)
			}
		}
		if redis == "" || tt.ours {
			continue
		}
		path := filepath.Join(t.TempDir(), "rename9.conf")
		// port 0: a valid file makes Redis exit at once ("not listen anywhere").
		if err := os.WriteFile(path, []byte(tt.text+"port 0\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		out, _ := exec.Command(redis, path).CombinedOutput()
		fatal := strings.Contains(string(out), "FATAL CONFIG FILE ERROR")
		if tt.reason == "" {
			if fatal {
				t.Errorf("test %d: redis-server refuses it:\n%s", i, out)
			}
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if !fatal || lines[len(lines)-1] != tt.reason {
			t.Errorf("test %d: redis-server says\n%s\nwant reason %q", i, out, tt.reason)
		}
	}
}

// TestEnableDirectives checks that the enable-* directives set the Config's
// Allowances, in any case, that CONFIG GET's form reads back, and that New
// refuses an Allowance that is none of the three.
func TestEnableDirectives(t *testing.T) {
	cfg, err := cfgApplyText(t, "enable-debug-command LOCAL\nenable-module-command yes\nenable-protected-configs No\n")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.EnableDebugCommand != AllowLocal || cfg.EnableModuleCommand != AllowYes || cfg.EnableProtectedConfigs != AllowNo {
		t.Errorf("debug %d, module %d, configs %d; want local, yes, no", cfg.EnableDebugCommand, cfg.EnableModuleCommand, cfg.EnableProtectedConfigs)
	}
	for name, want := range map[string]string{"enable-debug-command": "local", "enable-module-command": "yes", "enable-protected-configs": "no"} {
		e, _ := lookupDirective(name)
		if got := e.d.valueOf(&cfg); got != want {
			t.Errorf("CONFIG GET %s = %q, want %q", name, got, want)
		}
	}
	if _, err := cfgApplyText(t, "enable-debug-command maybe\n"); err == nil ||
		!strings.Contains(err.Error(), "argument(s) must be one of the following: no, yes, local") {
		t.Errorf("enable-debug-command maybe: %v", err)
	}
	if _, err := New(Config{EnableModuleCommand: AllowLocal + 1}); err == nil {
		t.Error("New accepted an Allowance that is not one of the three")
	}
}

// TestManyRenames reads 10,000 rename-command lines, each renaming the
// command the line before named: every line costs O(1), and only the last
// name dispatches.
func TestManyRenames(t *testing.T) {
	var b strings.Builder
	prev := "get"
	for i := range 10000 {
		next := "get" + strconv.Itoa(i)
		fmt.Fprintf(&b, "rename-command %s %s\n", prev, next)
		prev = next
	}
	cfg, err := cfgApplyText(t, b.String())
	if err != nil {
		t.Fatal(err)
	}
	initCommands()
	n, err := newCommandNames(commands, cfg.commandOptions())
	if err != nil {
		t.Fatal(err)
	}
	if cmd := n.lookupFullName([]byte(prev)); cmd == nil || cmd.fullName != "get" {
		t.Errorf("%s is %v, want get", prev, cmd)
	}
	if n.lookupFullName([]byte("get")) != nil || n.lookupFullName([]byte("get0")) != nil {
		t.Error("an earlier name still dispatches")
	}
}
