package conf

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestReadText checks the NUL rule of Redis's loader (fgets into a 1,025
// byte buffer, then sdscat up to the first NUL). The first rows were
// checked against redis-server 7.0.15's error messages.
func TestReadText(t *testing.T) {
	long := strings.Repeat("a", 1030)
	tests := []struct{ in, want string }{
		{"port 1\nhz 5\n", "port 1\nhz 5\n"},
		{"port 7799\nloglevel verbose\x00xyz\nfoo bar\n", "port 7799\nloglevel verbosefoo bar\n"},
		{"loglevel verbose\x00xyz\nhz 5\n", "loglevel verbosehz 5\n"},
		{"\x00\nhz 5", "hz 5"},
		{"a\x00", "a"},
		// A line longer than 1,024 bytes is read in pieces: a NUL
		// drops the rest of its piece only.
		{"x" + strings.Repeat("b", 1019) + "\x00ddd" + "c" + long[:6] + "\n", "x" + strings.Repeat("b", 1019) + "c" + long[:6] + "\n"},
		{"x" + strings.Repeat("b", 1022) + "\x00" + "c\n", "x" + strings.Repeat("b", 1022) + "c\n"},
		{long + "\n", long + "\n"},
	}
	for _, tt := range tests {
		got, err := ReadText(strings.NewReader(tt.in))
		if err != nil || string(got) != tt.want {
			t.Errorf("ReadText(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// collect parses text and returns "num: args" for each directive.
func collect(t *testing.T, text string) ([]string, error) {
	t.Helper()
	var r Reader
	var out []string
	err := r.Parse("test", []byte(text), func(l Line) error {
		out = append(out, strings.Join(append([]string{itoa(l.Num) + ":"}, l.Args...), " ")+" <"+l.Text+">")
		return nil
	})
	return out, err
}

func itoa(n int) string { return fmt.Sprintf("%02d", n) }

func TestParse(t *testing.T) {
	got, err := collect(t, "# comment\n\n  # indented comment\nPORT 7000\n\thz \"1\" \r\n\v\nBind 'a b' c # not a comment\nx\x00port 1\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"04: port 7000 <PORT 7000>",
		"05: hz 1 <hz \"1\">",
		"07: bind a b c # not a comment <Bind 'a b' c # not a comment>",
		"08: x <x>",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	_, err = collect(t, "hz 1\nport \"7000\n")
	var e *Error
	if !errors.As(err, &e) || e.Num != 2 || e.Text != `port "7000` || e.Reason != "Unbalanced quotes in configuration line" {
		t.Errorf("unbalanced quotes: %v", err)
	}
}

func TestParseCommandLine(t *testing.T) {
	tests := []struct {
		args []string
		want CommandLine
	}{
		{nil, CommandLine{}},
		{[]string{"r.conf"}, CommandLine{File: "r.conf", HasFile: true}},
		{[]string{"r.conf", "--port", "7000"}, CommandLine{File: "r.conf", HasFile: true, Options: `port "7000" `}},
		{[]string{"--port", "7000", "--hz", "5"}, CommandLine{Options: "port \"7000\" \nhz \"5\" "}},
		{[]string{"--bind", "a", "b c"}, CommandLine{Options: `bind "a" "b c" `}},
		{[]string{"--port 7000"}, CommandLine{Options: "port 7000 "}},
		{[]string{"--port 7000", "--hz", "5"}, CommandLine{Options: "port 7000 \nhz \"5\" "}},
		{[]string{"--save"}, CommandLine{Options: `save ""`}},
		{[]string{"--SAVE", "--hz", "5"}, CommandLine{Options: "SAVE \"\"\nhz \"5\" "}},
		{[]string{"--save", "", "--hz", "5"}, CommandLine{Options: "save \"\" \nhz \"5\" "}},
		{[]string{"--hz", "--port", "7000"}, CommandLine{Options: `hz "--port" "7000" `}},
		{[]string{"--sentinel", "--port", "1"}, CommandLine{Options: "sentinel \nport \"1\" "}},
		{[]string{"-"}, CommandLine{Stdin: true}},
		{[]string{"-", "--hz", "5"}, CommandLine{Stdin: true, Options: `hz "5" `}},
		{[]string{"--hz", "5", "-"}, CommandLine{Stdin: true, Options: `hz "5" `}},
		{[]string{"--port", "-", "--hz", "5"}, CommandLine{Options: "port \"-\" \nhz \"5\" "}},
		{[]string{"r.conf", "-"}, CommandLine{File: "r.conf", HasFile: true, Stdin: true}},
		{[]string{"--x", "a\nb\x01\"\\"}, CommandLine{Options: `x "a\nb\x01\"\\" `}},
		{[]string{"-v"}, CommandLine{Options: `"-v" `}},
		{[]string{""}, CommandLine{File: "", HasFile: true}},
	}
	for _, tt := range tests {
		if got := ParseCommandLine(tt.args); got != tt.want {
			t.Errorf("ParseCommandLine(%q) = %+v, want %+v", tt.args, got, tt.want)
		}
	}
}

func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readAll(t *testing.T, path string) ([]string, error) {
	t.Helper()
	var r Reader
	var out []string
	err := r.ReadFile(path, func(l Line) error {
		out = append(out, filepath.Base(l.Source)+":"+strings.Join(l.Args, " "))
		return nil
	})
	return out, err
}

func TestInclude(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "d/b.conf", "hz 2\n")
	write(t, dir, "d/a.conf", "hz 1\n")
	write(t, dir, "d/.hidden.conf", "hz 3\n")
	write(t, dir, "d/c.txt", "hz 4\n")
	write(t, dir, "d/sub.conf/x", "hz 5\n") // a directory matched by the glob reads as empty
	write(t, dir, "e/.only.conf", "hz 6\n")
	main := write(t, dir, "main.conf", "port 1\ninclude "+dir+"/d/*.conf\ninclude "+dir+"/none/*.conf\n"+
		"include "+dir+"/e/.*.conf\ninclude "+dir+"/d/[!a]*.conf\nport 2\n")
	got, err := readAll(t, main)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"main.conf:port 1", "a.conf:hz 1", "b.conf:hz 2", ".only.conf:hz 6", "b.conf:hz 2", "main.conf:port 2"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestIncludeErrors(t *testing.T) {
	dir := t.TempDir()
	self := write(t, dir, "self.conf", "hz 1\ninclude "+dir+"/self.conf\n")
	write(t, dir, "a.conf", "include "+dir+"/b.conf\n")
	write(t, dir, "b.conf", "hz 1\n\ninclude "+dir+"/a.conf\n")
	if err := os.Symlink(filepath.Join(dir, "self.conf"), filepath.Join(dir, "link.conf")); err != nil {
		t.Fatal(err)
	}
	viaLink := write(t, dir, "vialink.conf", "include "+dir+"/link.conf\n")
	tests := []struct {
		path, source string
		num          int
		reason       string
	}{
		{self, self, 2, "include loop: '" + self + "' is already being read"},
		{filepath.Join(dir, "a.conf"), filepath.Join(dir, "b.conf"), 3, "include loop: '" + dir + "/a.conf' is already being read"},
		{viaLink, filepath.Join(dir, "link.conf"), 2, "include loop: '" + self + "' is already being read"},
		{filepath.Join(dir, "missing.conf"), "", 0, "Fatal error, can't open config file '" + dir + "/missing.conf': No such file or directory"},
	}
	for _, tt := range tests {
		_, err := readAll(t, tt.path)
		var e *Error
		if !errors.As(err, &e) || e.Source != tt.source || e.Num != tt.num || e.Reason != tt.reason {
			t.Errorf("%s: %#v, want %s:%d %q", tt.path, err, tt.source, tt.num, tt.reason)
		}
	}
}

func TestIncludeLimits(t *testing.T) {
	dir := t.TempDir()
	// A chain of distinct files deeper than MaxDepth.
	for i := 0; i <= MaxDepth; i++ {
		write(t, dir, "f"+itoa(i)+".conf", "include "+dir+"/f"+itoa(i+1)+".conf\n")
	}
	write(t, dir, "f"+itoa(MaxDepth+1)+".conf", "hz 1\n")
	_, err := readAll(t, filepath.Join(dir, "f00.conf"))
	if err == nil || !strings.Contains(err.Error(), "include nesting deeper than") {
		t.Errorf("deep includes: %v", err)
	}
	if testing.Short() {
		return
	}
	// Endless text: Redis would read /dev/zero forever.
	zero := write(t, dir, "zero.conf", "include /dev/zero\n")
	_, err = readAll(t, zero)
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("include /dev/zero: %v", err)
	}
}

// FuzzParse feeds any text to the parser: it must never panic, every line
// it yields has a lower-case name, and errors are *Error.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"port 1\n", "# c\n\"a b\" 'c'\n", "a\x00b\nc", "include\n", "x \"\\x41\n", "\v\f\n\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		var r Reader
		if strings.Contains(string(text), "include") {
			t.Skip("reads files")
		}
		err := r.Parse("fuzz", text, func(l Line) error {
			if len(l.Args) == 0 || l.Args[0] != Lower(l.Args[0]) {
				t.Errorf("bad line %+v", l)
			}
			return nil
		})
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Errorf("error %v is not an *Error", err)
		}
		if _, err := ReadText(strings.NewReader(string(text))); err != nil {
			t.Error(err)
		}
	})
}

// FuzzCommandLine checks that any command line turns into options text
// whose lines the parser reads without panicking.
func FuzzCommandLine(f *testing.F) {
	f.Add("--port\x007000\x00--save")
	f.Add("r.conf\x00-\x00--hz\x00--port")
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		cl := ParseCommandLine(args)
		var r Reader
		if strings.Contains(cl.Options, "include") {
			t.Skip("reads files")
		}
		r.Parse("fuzz", []byte(cl.Options), func(Line) error { return nil })
	})
}
