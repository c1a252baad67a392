package server

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseArgsConfigFile(t *testing.T) {
	cfg, err := ParseArgs([]string{"testdata/conf/basic.conf", "--port", "7002"})
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("testdata/conf/basic.conf")
	checks := []struct {
		what      string
		got, want any
	}{
		{"port (the option after the file wins)", cfg.Port, 7002},
		{"hz (quoted; .hidden.conf not read)", cfg.Hz, 20},
		{"loglevel (single-quoted)", cfg.LogLevel, "verbose"},
		{"timeout (set again by the include)", cfg.Timeout, 20},
		{"databases (from the include)", cfg.Databases, 8},
		{"maxclients (the glob's last file)", cfg.MaxClients, 60},
		{"ConfigFile", cfg.ConfigFile, abs},
		{"tcp-keepalive (the binary's default)", cfg.TCPKeepAlive, 300},
		{"io-threads (the binary's default)", cfg.IOThreads, 1},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
}

// cfgWriteFiles writes files into a new directory and returns it.
func cfgWriteFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(text, "$DIR", dir)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestConfigFileErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string // the first file read is main.conf
		extra []string          // more arguments after the file
		// want: the file (relative to the directory; "" for none),
		// line, text and reason of the error.
		file, text, reason string
		line               int
	}{
		{name: "unknown directive", files: map[string]string{"main.conf": "port 7000\nfoo bar\n"},
			file: "main.conf", line: 2, text: "foo bar", reason: msgBadDirective},
		{name: "wrong number of arguments", files: map[string]string{"main.conf": "port 7000 7001\n"},
			file: "main.conf", line: 1, text: "port 7000 7001", reason: msgWrongArgCount},
		{name: "unbalanced quotes", files: map[string]string{"main.conf": "# x\nport \"7000\n"},
			file: "main.conf", line: 2, text: `port "7000`, reason: "Unbalanced quotes in configuration line"},
		{name: "trimmed line", files: map[string]string{"main.conf": "\n\n  \thz abc \r\n"},
			file: "main.conf", line: 3, text: "hz abc", reason: msgArgInteger},
		{name: "NUL joins lines, as Redis's fgets and sdscat do",
			files: map[string]string{"main.conf": "port 7799\nloglevel verbose\x00xyz\nfoo bar\n"},
			file:  "main.conf", line: 2, text: "loglevel verbosefoo bar", reason: msgWrongArgCount},
		{name: "include with two paths", files: map[string]string{"main.conf": "include a b\n"},
			file: "main.conf", line: 1, text: "include a b", reason: msgBadDirective},
		{name: "error in an included file names it",
			files: map[string]string{"main.conf": "hz 5\ninclude $DIR/inc.conf\n", "inc.conf": "\ntimeout x\n"},
			file:  "inc.conf", line: 2, text: "timeout x", reason: msgArgInteger},
		{name: "missing include",
			files: map[string]string{"main.conf": "include $DIR/nope.conf\n"},
			file:  "main.conf", line: 1, text: "include $DIR/nope.conf",
			reason: "Fatal error, can't open config file '$DIR/nope.conf': No such file or directory"},
		{name: "include loop",
			files: map[string]string{"main.conf": "include $DIR/b.conf\n", "b.conf": "hz 5\ninclude $DIR/main.conf\n"},
			file:  "b.conf", line: 2, text: "include $DIR/main.conf",
			reason: "include loop: '$DIR/main.conf' is already being read"},
		{name: "include loop through a glob",
			files: map[string]string{"main.conf": "include $DIR/d/*.conf\n", "d/x.conf": "include $DIR/d/*.conf\n"},
			file:  "d/x.conf", line: 1, text: "include $DIR/d/*.conf",
			reason: "include loop: '$DIR/d/x.conf' is already being read"},
		{name: "not supported, at the line that set it last",
			files: map[string]string{"main.conf": "maxmemory 1gb\nhz 5\nmaxmemory 2gb\nappendonly yes\n"},
			file:  "main.conf", line: 3, text: "maxmemory 2gb",
			reason: "not supported yet by Redoubt (a memory limit and eviction): only 'maxmemory 0' is accepted"},
		{name: "a secret is not shown",
			files: map[string]string{"main.conf": "masterauth hunter2\n"},
			file:  "main.conf", line: 1, text: "masterauth (redacted)",
			reason: `not supported yet by Redoubt (replication): only 'masterauth ""' is accepted`},
		{name: "rename-command", files: map[string]string{"main.conf": "rename-command CONFIG \"\"\nrename-command config x\n"},
			file: "main.conf", line: 2, text: "rename-command config x", reason: msgRenameNoSuch},
		{name: "user", files: map[string]string{"main.conf": "user bob on nosuchrule\n"},
			file: "main.conf", line: 1, text: "user bob (redacted)", reason: "Error in user declaration 'bob': Syntax error"},
		// Redis names the argument two before the one at fault, here a
		// password, which Redoubt hides.
		{name: "user password", files: map[string]string{"main.conf": "user bob >pw on nosuchrule\n"},
			file: "main.conf", line: 1, text: "user bob (redacted)", reason: "Error in user declaration '>(redacted)': Syntax error"},
		{name: "user selector", files: map[string]string{"main.conf": "user bob on (~a +get\n"},
			file: "main.conf", line: 1, text: "user bob (redacted)", reason: "Error in user declaration 'bob': Unknown command or category name in ACL"},
		{name: "user twice", files: map[string]string{"main.conf": "user bob on\nuser bob off\n"},
			file: "main.conf", line: 2, text: "user bob (redacted)", reason: "Error in user declaration 'bob': Duplicate user found. A user can only be defined once in config files"},
		{name: "loadmodule", files: map[string]string{"main.conf": "loadmodule /x.so\n"},
			file: "main.conf", line: 1, text: "loadmodule /x.so", reason: "not supported yet by Redoubt (modules)"},
		{name: "module config without value", files: map[string]string{"main.conf": "mod.opt\n"},
			file: "main.conf", line: 1, text: "mod.opt", reason: msgModuleConfig},
		{name: "sentinel", files: map[string]string{"main.conf": "sentinel monitor m 1.2.3.4 6379 2\n"},
			file: "main.conf", line: 1, text: "sentinel monitor m 1.2.3.4 6379 2", reason: msgSentinelNotOn},
		{name: "a deprecated directive takes one argument only", files: map[string]string{"main.conf": "list-max-ziplist-value 1 2\n"},
			file: "main.conf", line: 1, text: "list-max-ziplist-value 1 2", reason: msgBadDirective},
		{name: "an option after the file", files: map[string]string{"main.conf": "hz 5\n"},
			extra: []string{"--hz", "7", "--timeout", "x"},
			file:  "", line: 2, text: `timeout "x"`, reason: msgArgInteger},
		{name: "log file that cannot be opened", files: map[string]string{"main.conf": "logfile $DIR/no/such/dir/x.log\n"},
			reason: "Can't open the log file: No such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := cfgWriteFiles(t, tt.files)
			args := append([]string{filepath.Join(dir, "main.conf")}, tt.extra...)
			_, err := ParseArgs(args)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v, want a *ConfigError", err)
			}
			expand := func(s string) string { return strings.ReplaceAll(s, "$DIR", dir) }
			wantSource := sourceCmdline
			if tt.file != "" {
				wantSource = filepath.Join(dir, tt.file)
			}
			if tt.line == 0 {
				wantSource = ""
			}
			if ce.Source != wantSource || ce.Line != tt.line || ce.Text != expand(tt.text) || ce.Reason != expand(tt.reason) {
				t.Errorf("got %q line %d %q: %q\nwant %q line %d %q: %q",
					ce.Source, ce.Line, ce.Text, ce.Reason, wantSource, tt.line, expand(tt.text), expand(tt.reason))
			}
		})
	}
}

func TestParseArgsOptions(t *testing.T) {
	tests := []struct {
		args  []string
		stdin string
		check func(Config) bool
		// or an error at a line of the command line (or of stdin)
		source, text, reason string
		line                 int
	}{
		{args: nil, check: func(c Config) bool {
			return c.Port == 6379 && strings.Join(c.Bind, " ") == "127.0.0.1 -::1" && c.ConfigFile == ""
		}},
		{args: []string{"--port", "7000"}, check: func(c Config) bool { return c.Port == 7000 }},
		{args: []string{"--port 7000"}, check: func(c Config) bool { return c.Port == 7000 }},
		{args: []string{"--PORT", "7000"}, check: func(c Config) bool { return c.Port == 7000 }},
		{args: []string{"--save"}, check: func(c Config) bool { return true }},
		{args: []string{"--save", ""}, check: func(c Config) bool { return true }},
		{args: []string{"--save", "--hz", "20"}, check: func(c Config) bool { return c.Hz == 20 }},
		{args: []string{"--bind", "127.0.0.1", "::1"}, check: func(c Config) bool { return strings.Join(c.Bind, ",") == "127.0.0.1,::1" }},
		{args: []string{"--bind", "127.0.0.1  ::1"}, check: func(c Config) bool { return strings.Join(c.Bind, ",") == "127.0.0.1,::1" }},
		{args: []string{"--bind", ""}, check: func(c Config) bool { return c.Bind != nil && len(c.Bind) == 0 }},
		{args: []string{"--logfile", ""}, check: func(c Config) bool { return c.LogFile == "" }},
		{args: []string{"--daemonize", "yes", "--daemonize", "no"}, check: func(c Config) bool { return true }},
		{args: []string{"-"}, stdin: "hz 5\ntimeout 3", check: func(c Config) bool { return c.Hz == 5 && c.Timeout == 3 }},
		{args: []string{"--hz", "7", "-"}, stdin: "hz 5\ntimeout 3\n", check: func(c Config) bool { return c.Hz == 7 && c.Timeout == 3 }},
		// Errors, at the line an option stands for.
		{args: []string{"--foo", "bar"}, source: sourceCmdline, line: 1, text: `foo "bar"`, reason: msgBadDirective},
		{args: []string{"--port", "7000", "--foo", "bar", "baz"}, source: sourceCmdline, line: 2, text: `foo "bar" "baz"`, reason: msgBadDirective},
		{args: []string{"--hz", "--port", "7000"}, source: sourceCmdline, line: 1, text: `hz "--port" "7000"`, reason: msgWrongArgCount},
		{args: []string{"--hz"}, source: sourceCmdline, line: 1, text: "hz", reason: msgWrongArgCount},
		{args: []string{"--loglevel", "a b"}, source: sourceCmdline, line: 1, text: `loglevel "a b"`,
			reason: "argument(s) must be one of the following: debug, verbose, notice, warning"},
		{args: []string{"--port", "7000", "-"}, stdin: "hz x\n", source: sourceStdin, line: 1, text: "hz x", reason: msgArgInteger},
		{args: []string{"--port", "-", "--hz", "5"}, source: sourceCmdline, line: 1, text: `port "-"`, reason: msgArgInteger},
		{args: []string{"--version"}, source: sourceCmdline, line: 1, text: "version", reason: msgBadDirective},
		{args: []string{"--daemonize", "no", "--daemonize", "yes"}, source: sourceCmdline, line: 2, text: `daemonize "yes"`,
			reason: "not supported yet by Redoubt (daemonizing: run it in the foreground, under a supervisor if need be): only 'daemonize no' is accepted"},
	}
	for _, tt := range tests {
		cfg, err := applyArgs(DefaultConfig(), tt.args, strings.NewReader(tt.stdin))
		if tt.check != nil {
			if err != nil {
				t.Errorf("%q: %v", tt.args, err)
			} else if !tt.check(cfg) {
				t.Errorf("%q: unexpected %+v", tt.args, cfg)
			}
			continue
		}
		var ce *ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%q: error %v, want a *ConfigError", tt.args, err)
			continue
		}
		if ce.Source != tt.source || ce.Line != tt.line || ce.Text != tt.text || ce.Reason != tt.reason {
			t.Errorf("%q: got %q line %d %q: %q\nwant %q line %d %q: %q", tt.args,
				ce.Source, ce.Line, ce.Text, ce.Reason, tt.source, tt.line, tt.text, tt.reason)
		}
	}
}

func TestParseArgsMissingFile(t *testing.T) {
	_, err := ParseArgs([]string{"no-such-file.conf"})
	abs, _ := filepath.Abs("no-such-file.conf")
	var ce *ConfigError
	want := "Fatal error, can't open config file '" + abs + "': No such file or directory"
	if !errors.As(err, &ce) || ce.Line != 0 || ce.Reason != want {
		t.Errorf("error %v, want %q", err, want)
	}
}

func TestApplyArgsEmbedded(t *testing.T) {
	cfg, err := ApplyArgs(Config{}, []string{"--hz", "100"})
	if err != nil {
		t.Fatal(err)
	}
	// The embedded defaults stay: a free port, no keepalive, GOMAXPROCS
	// left alone.
	if cfg.Hz != 100 || cfg.Port != 0 || cfg.TCPKeepAlive != 0 || cfg.IOThreads != 0 {
		t.Errorf("ApplyArgs(Config{}, --hz 100) = %+v", cfg)
	}
}

func TestConfigErrorReport(t *testing.T) {
	tests := []struct {
		err  *ConfigError
		want string
	}{
		{&ConfigError{Source: "/etc/r.conf", Line: 3, Text: "foo bar", Reason: msgBadDirective},
			"\n*** FATAL CONFIG FILE ERROR (Redoubt " + Version + ") ***\n" +
				"Reading the configuration file /etc/r.conf, at line 3\n>>> 'foo bar'\n" +
				"Bad directive or wrong number of arguments\n"},
		{&ConfigError{Source: sourceCmdline, Line: 1, Text: `foo "bar"`, Reason: msgBadDirective},
			"\n*** FATAL CONFIG FILE ERROR (Redoubt " + Version + ") ***\n" +
				"Reading the command line options, at line 1\n>>> 'foo \"bar\"'\n" +
				"Bad directive or wrong number of arguments\n"},
		{&ConfigError{Source: sourceStdin, Line: 2, Text: "hz x", Reason: msgArgInteger},
			"\n*** FATAL CONFIG FILE ERROR (Redoubt " + Version + ") ***\n" +
				"Reading the configuration from standard input, at line 2\n>>> 'hz x'\n" +
				"argument couldn't be parsed into an integer\n"},
		{&ConfigError{Reason: "Can't open the log file: Permission denied"},
			"\n*** FATAL CONFIG FILE ERROR (Redoubt " + Version + ") ***\n" +
				"Can't open the log file: Permission denied\n"},
	}
	for _, tt := range tests {
		if got := tt.err.Report(); got != tt.want {
			t.Errorf("Report() = %q, want %q", got, tt.want)
		}
	}
}

// TestDebianRedisConf loads the directives of Debian's stock redis.conf:
// Redoubt refuses only what it cannot do (daemonize yes, a data directory
// that is not the working one) and takes the rest once those are
// overridden on the command line, as a user running it in the foreground
// would.
func TestDebianRedisConf(t *testing.T) {
	paths := []string{"testdata/conf/debian-7.0.15.conf"}
	if _, err := os.Stat("/etc/redis/redis.conf"); err == nil {
		paths = append(paths, "/etc/redis/redis.conf")
	}
	for _, path := range paths {
		_, err := ParseArgs([]string{path})
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Text != "daemonize yes" {
			t.Errorf("%s alone: %v, want daemonize yes refused", path, err)
		}
		// A relative dir is relative to the file's dir, as Redis's
		// chdir makes it: the working directory must be given whole.
		cfg, err := ParseArgs([]string{path, "--daemonize", "no", "--dir", currentWorkingDir(),
			"--logfile", "", "--pidfile", "", "--port", "7010"})
		if err != nil {
			t.Errorf("%s with overrides: %v", path, err)
			continue
		}
		if cfg.Port != 7010 || strings.Join(cfg.Bind, " ") != "127.0.0.1 -::1" || cfg.TCPKeepAlive != 300 {
			t.Errorf("%s: %+v", path, cfg)
		}
	}
}

// FuzzConfigText applies any text as a configuration: it must never panic,
// and a failure must be a *ConfigError.
func FuzzConfigText(f *testing.F) {
	for _, s := range []string{
		"port 7000\n", "bind 127.0.0.1 -::1\nsave \"\"\n", "include /nonexistent\n",
		"client-output-buffer-limit normal 1 2 3\n", "maxmemory 1\x00gb\n", "hz \"\\x41\"\n",
		"dir .\nsave 1 2\nsave \"\"\n", "latency-tracking-info-percentiles 1e308\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if strings.Contains(text, "include") || strings.Contains(text, "logfile") {
			t.Skip("reads or creates files")
		}
		_, err := applyArgs(Config{}, []string{"-"}, strings.NewReader(text))
		var ce *ConfigError
		if err != nil && !errors.As(err, &ce) {
			t.Errorf("error %v is not a *ConfigError", err)
		}
	})
}
