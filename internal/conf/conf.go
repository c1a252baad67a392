// Package conf reads configuration in the syntax of redis.conf, exactly as
// Redis 7.0's loader (loadServerConfig and loadServerConfigFromString in
// src/config.c) reads it, and turns a redis-server command line into the
// configuration lines it stands for (main in src/server.c). It knows no
// directive except include: it yields each directive's arguments with the
// place they came from, and the caller gives them meaning.
//
// The syntax, quirks included:
//
//   - A file is read as C's fgets reads it, in pieces of at most 1,024
//     bytes that end after a newline, and each piece is appended as a C
//     string: a NUL byte drops the rest of its piece. When the piece ends
//     with the line, the line's newline goes too, so the next line is joined
//     to what came before the NUL (ReadText).
//   - The text is split at each "\n". A line is trimmed of spaces, tabs,
//     "\r" and "\n" at both ends; an empty line, or one whose first
//     remaining byte is '#', is skipped. A '#' later in a line is not a
//     comment.
//   - The line is split into arguments as internal/splitargs does (quotes,
//     escapes); a malformed line is "Unbalanced quotes in configuration
//     line", and a line of blanks that trimming left (\v, \f) is skipped.
//     The first argument, the directive's name, is lower-cased.
//   - "include path" reads another file in place, as a source of its own
//     (its lines are numbered from 1). A path with '*', '?' or '[' is a glob
//     pattern: the files it matches are read in byte order, and a pattern
//     matching nothing is not an error, so an empty conf.d directory may be
//     included. A relative path is relative to the working directory.
//
// Redoubt adds what Redis leaves to chance: an include loop (a file that
// includes itself, directly or through others) is an error instead of
// endless recursion, include nesting is bounded, and the text read is
// bounded, so "include /dev/zero" fails instead of running forever.
package conf

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/redoubt-db/redoubt/internal/splitargs"
)

// Limits on what a Reader reads, against mistakes and hostile files.
const (
	// MaxDepth is how deeply includes may nest.
	MaxDepth = 32
	// MaxBytes is how much text one Reader reads in all, includes counted.
	MaxBytes = 64 << 20
	// pieceLen is the most fgets reads at once in Redis's loader
	// (CONFIG_READ_LEN).
	pieceLen = 1024
)

// A Line is one directive read from a configuration source.
type Line struct {
	// Source names where the line comes from: a file's path as it was
	// given, or a description such as "the command line".
	Source string
	// Num is the line's number in Source, from 1.
	Num int
	// Text is the line as Redis shows it in errors: trimmed.
	Text string
	// Args are the line's arguments; Args[0], the directive's name, is
	// lower-cased.
	Args []string
}

// Error is a configuration error, at a line when Num is not zero.
type Error struct {
	Source string
	Num    int
	Text   string
	// Reason says what is wrong, in Redis's words where Redis has them.
	Reason string
}

func (e *Error) Error() string {
	if e.Num == 0 {
		return "conf: " + e.Reason
	}
	return fmt.Sprintf("conf: %s, line %d ('%s'): %s", e.Source, e.Num, e.Text, e.Reason)
}

// At returns an Error at l.
func At(l Line, reason string) *Error {
	return &Error{Source: l.Source, Num: l.Num, Text: l.Text, Reason: reason}
}

// Reason texts of Redis's loader.
const (
	msgUnbalanced = "Unbalanced quotes in configuration line"
)

// A Reader reads configuration sources and resolves their includes. Its
// zero value is ready to use. A Reader is not safe for concurrent use.
type Reader struct {
	// open files, for include loop detection: the chain of files being
	// read, outermost first.
	stack []os.FileInfo
	// read counts the bytes read, against MaxBytes.
	read int64
}

// ReadFile reads the configuration file at path and calls fn for each of
// its directives, in order, resolving includes. It stops at the first error,
// from fn or from reading.
func (r *Reader) ReadFile(path string, fn func(Line) error) error {
	return r.readFile(path, nil, fn)
}

// Read reads the configuration text from rd, named source in errors, and
// calls fn for each of its directives, resolving includes.
func (r *Reader) Read(source string, rd io.Reader, fn func(Line) error) error {
	text, err := r.readText(rd)
	if err != nil {
		return &Error{Reason: fmt.Sprintf("can't read %s: %v", source, err)}
	}
	return r.Parse(source, text, fn)
}

// Parse calls fn for each directive of text, named source in errors,
// resolving includes. Like Redis, which holds the text as a C string, it
// ignores everything from the first NUL byte on; ReadText has already
// dropped every NUL from a file's text.
func (r *Reader) Parse(source string, text []byte, fn func(Line) error) error {
	if i := bytes.IndexByte(text, 0); i >= 0 {
		text = text[:i]
	}
	num := 0
	for len(text) > 0 || num == 0 {
		num++
		var raw []byte
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			raw, text = text[:i], text[i+1:]
		} else {
			raw, text = text, nil
		}
		line := bytes.Trim(raw, " \t\r\n") // sdstrim(line, " \t\r\n")
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		l := Line{Source: source, Num: num, Text: string(line)}
		args, err := splitargs.Split(line)
		if err != nil {
			return At(l, msgUnbalanced)
		}
		if len(args) == 0 {
			continue
		}
		l.Args = make([]string, len(args))
		for i, a := range args {
			l.Args[i] = string(a)
		}
		l.Args[0] = Lower(l.Args[0])
		if l.Args[0] == "include" && len(l.Args) == 2 {
			if err := r.include(l, fn); err != nil {
				return err
			}
			continue
		}
		if err := fn(l); err != nil {
			return err
		}
	}
	return nil
}

// include reads the file or files named by the include line l.
func (r *Reader) include(l Line, fn func(Line) error) error {
	pattern := l.Args[1]
	if !strings.ContainsAny(pattern, "*?[") {
		return r.readFile(pattern, &l, fn)
	}
	for _, path := range glob(pattern) {
		if err := r.readFile(path, &l, fn); err != nil {
			return err
		}
	}
	return nil
}

// readFile reads one file, included from the line from (nil for the top
// file).
func (r *Reader) readFile(path string, from *Line, fn func(Line) error) error {
	fail := func(reason string) error {
		if from == nil {
			return &Error{Reason: reason}
		}
		return At(*from, reason)
	}
	if len(r.stack) >= MaxDepth {
		return fail(fmt.Sprintf("include nesting deeper than %d levels", MaxDepth))
	}
	f, err := os.Open(path)
	if err != nil {
		return fail(fmt.Sprintf("Fatal error, can't open config file '%s': %s", path, strerror(err)))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fail(fmt.Sprintf("Fatal error, can't open config file '%s': %s", path, strerror(err)))
	}
	if fi.IsDir() {
		// Redis's fopen opens a directory and fgets reads nothing
		// from it: an empty file.
		return nil
	}
	for _, open := range r.stack {
		if os.SameFile(open, fi) {
			return fail(fmt.Sprintf("include loop: '%s' is already being read", path))
		}
	}
	text, err := r.readText(f)
	if err != nil {
		return fail(fmt.Sprintf("Fatal error, can't read config file '%s': %s", path, strerror(err)))
	}
	r.stack = append(r.stack, fi)
	defer func() { r.stack = r.stack[:len(r.stack)-1] }()
	return r.Parse(path, text, fn)
}

// errTooLarge reports text beyond MaxBytes.
var errTooLarge = fmt.Errorf("configuration larger than %d bytes", MaxBytes)

func (r *Reader) readText(rd io.Reader) ([]byte, error) {
	text, n, err := readText(rd, MaxBytes-r.read)
	r.read += n
	return text, err
}

// ReadText returns the text of rd as Redis's loader sees it: read in fgets
// pieces, each cut at its first NUL byte. See the package documentation.
func ReadText(rd io.Reader) ([]byte, error) {
	text, _, err := readText(rd, MaxBytes)
	return text, err
}

// readText is ReadText reading at most limit bytes; it returns how many it
// read.
func readText(rd io.Reader, limit int64) ([]byte, int64, error) {
	br := bufio.NewReaderSize(rd, 4*pieceLen)
	var text []byte
	var n int64
	for {
		// One fgets: up to pieceLen bytes, ending after a newline.
		buf, err := br.Peek(pieceLen)
		if len(buf) == 0 {
			switch {
			case err == io.EOF:
				return text, n, nil
			case errors.Is(err, syscall.EISDIR):
				// fopen opens a directory; fgets reads nothing.
				return text, n, nil
			}
			return nil, n, err
		}
		size := len(buf)
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			size = i + 1
		}
		n += int64(size)
		if n > limit {
			return nil, n, errTooLarge
		}
		piece := buf[:size]
		if i := bytes.IndexByte(piece, 0); i >= 0 {
			piece = piece[:i]
		}
		text = append(text, piece...)
		br.Discard(size)
	}
}

// glob returns the files matching pattern as glob(3) with no flags does:
// sorted in byte order, and with a leading '.' in a name matched only by a
// pattern element that starts with '.' itself. A malformed pattern matches
// nothing.
func glob(pattern string) []string {
	goPattern := strings.ReplaceAll(pattern, "[!", "[^")
	matches, err := filepath.Glob(goPattern)
	if err != nil {
		return nil
	}
	pelems := strings.Split(filepath.Clean(goPattern), "/")
	var out []string
	for _, m := range matches {
		if hiddenByGlob(pelems, strings.Split(filepath.Clean(m), "/")) {
			continue
		}
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// hiddenByGlob reports whether a name of path starting with '.' was matched
// by a pattern element that does not start with '.', which glob(3) forbids.
func hiddenByGlob(pattern, path []string) bool {
	if len(pattern) != len(path) {
		return false
	}
	for i, name := range path {
		if strings.HasPrefix(name, ".") && !strings.HasPrefix(pattern[i], ".") && strings.ContainsAny(pattern[i], "*?[") {
			return true
		}
	}
	return false
}

// strerror words an error as C's strerror does, for the errors Redis prints
// with it: "No such file or directory".
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		if s != "" && 'a' <= s[0] && s[0] <= 'z' {
			s = string(s[0]-'a'+'A') + s[1:]
		}
		return s
	}
	return err.Error()
}

// Lower lower-cases the ASCII letters of s, as C's tolower in the C locale;
// other bytes, valid UTF-8 or not, are kept (strings.ToLower would fold
// Unicode letters too). It returns s itself when s has no upper-case ASCII
// letter, without allocating.
func Lower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
