package wire

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestAppendCommand(t *testing.T) {
	got := string(AppendCommand(nil, "SET", "key", ""))
	want := "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$0\r\n\r\n"
	if got != want {
		t.Fatalf("AppendCommand = %q, want %q", got, want)
	}
	if got := string(AppendBulk([]byte("x"), []byte("ab"))); got != "x$2\r\nab\r\n" {
		t.Fatalf("AppendBulk = %q", got)
	}
}

func TestRead(t *testing.T) {
	big := strings.Repeat("v", 100)
	in := "+OK\r\n-ERR unknown command 'incr'\r\n:42\r\n$3\r\nabc\r\n$-1\r\n$0\r\n\r\n" +
		"*2\r\n$1\r\na\r\n*1\r\n:1\r\n*-1\r\n$100\r\n" + big + "\r\n"
	want := []struct {
		kind byte
		data string
	}{
		{Simple, "OK"}, {Error, "ERR unknown command 'incr'"}, {Integer, "42"},
		{Bulk, "abc"}, {Null, ""}, {Bulk, ""}, {Array, ""}, {Null, ""}, {Bulk, big},
	}
	// A 16-byte buffer forces the scratch path for the large bulk reply.
	r := NewReader(strings.NewReader(in), 16)
	for i, w := range want {
		kind, data, err := r.Read()
		if err != nil || kind != w.kind || string(data) != w.data {
			t.Fatalf("reply %d: Read() = %q, %q, %v; want %q, %q", i, kind, data, err, w.kind, w.data)
		}
	}
	if _, _, err := r.Read(); err != io.EOF {
		t.Fatalf("Read at end = %v, want EOF", err)
	}
}

func TestReadMalformed(t *testing.T) {
	for _, in := range []string{"OK\r\n", "+OK\n", "$x\r\n", "*12345678901\r\n", "$-2\r\n"} {
		r := NewReader(strings.NewReader(in), 64)
		if _, _, err := r.Read(); !errors.Is(err, ErrProtocol) {
			t.Errorf("Read(%q) error = %v, want ErrProtocol", in, err)
		}
	}
}

// TestReadDoesNotAllocate guards what the server benchmarks rely on: the
// client side of a benchmark allocates nothing, so every allocation the
// process makes during the loop is the server's.
func TestReadDoesNotAllocate(t *testing.T) {
	replies := []byte(strings.Repeat("+OK\r\n$3\r\nxxx\r\n:7\r\n$-1\r\n", 64))
	src := bytes.NewReader(replies)
	r := NewReader(src, 4096)
	var cmd []byte
	allocs := testing.AllocsPerRun(100, func() {
		src.Reset(replies)
		r.br.Reset(src)
		cmd = AppendCommand(cmd[:0], "GET", "key:000000000001")
		for {
			if _, _, err := r.Read(); err != nil {
				break
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("encoding a command and reading 256 replies allocates %v times, want 0", allocs)
	}
}

func TestReadStrings(t *testing.T) {
	r := NewReader(strings.NewReader("*2\r\n$10\r\nio-threads\r\n$1\r\n1\r\n*0\r\n-ERR no\r\n+OK\r\n"), 64)
	got, err := r.ReadStrings()
	if err != nil || len(got) != 2 || got[0] != "io-threads" || got[1] != "1" {
		t.Fatalf("ReadStrings = %q, %v", got, err)
	}
	if got, err := r.ReadStrings(); err != nil || len(got) != 0 {
		t.Fatalf("ReadStrings of *0 = %q, %v", got, err)
	}
	if _, err := r.ReadStrings(); err == nil || !strings.Contains(err.Error(), "ERR no") {
		t.Fatalf("ReadStrings of an error reply: err = %v", err)
	}
	if _, err := r.ReadStrings(); !errors.Is(err, ErrProtocol) {
		t.Fatalf("ReadStrings of +OK: err = %v, want ErrProtocol", err)
	}
}

// TestReadRESP3 reads the RESP3 kinds a client with HELLO 3 gets: maps,
// sets and pushes are read whole, with their kind.
func TestReadRESP3(t *testing.T) {
	in := "%2\r\n+a\r\n:1\r\n$1\r\nb\r\n_\r\n" + // a map of 2 pairs
		">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n" +
		"~1\r\n#t\r\n" + "_\r\n" + ",1.5\r\n" + "=7\r\ntxt:abc\r\n" + "+OK\r\n"
	r := NewReader(strings.NewReader(in), 64)
	for _, want := range []struct {
		kind byte
		data string
	}{{Map, ""}, {Push, ""}, {Set, ""}, {Null, ""}, {Double, "1.5"}, {Bulk, "txt:abc"}, {Simple, "OK"}} {
		kind, data, err := r.Read()
		if err != nil || kind != want.kind || string(data) != want.data {
			t.Fatalf("Read = %q %q %v, want %q %q", kind, data, err, want.kind, want.data)
		}
	}
}
