package lzf

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startRedis runs redis-server on a free port with its files in dir and
// returns a function running redis-cli against it. It skips the test when
// redis-server is not installed.
func startRedis(t *testing.T, dir string) func(args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	srv := exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1",
		"--dir", dir, "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no",
		"--rdbcompression", "yes", "--daemonize", "no")
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	cli := func(args ...string) string {
		out, err := exec.Command("redis-cli", append([]string{"-p", port}, args...)...).Output()
		if err != nil {
			t.Fatalf("redis-cli %v: %v", args, err)
		}
		return strings.TrimSuffix(string(out), "\n")
	}
	for i := 0; ; i++ {
		out, _ := exec.Command("redis-cli", "-p", port, "PING").Output()
		if strings.TrimSpace(string(out)) == "PONG" {
			break
		}
		if i > 100 {
			t.Fatal("redis-server did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cli
}

// rdbLength decodes an RDB length at b, returning it and the bytes used.
func rdbLength(b []byte) (int, int) {
	switch b[0] >> 6 {
	case 0:
		return int(b[0] & 0x3f), 1
	case 1:
		return int(b[0]&0x3f)<<8 | int(b[1]), 2
	}
	if b[0] == 0x80 {
		return int(binary.BigEndian.Uint32(b[1:])), 5
	}
	return -1, 0
}

// TestRedisCompressed decompresses a string Redis compressed into its RDB
// file, and has Redis load an RDB file holding a string we compressed.
func TestRedisCompressed(t *testing.T) {
	value := strings.Repeat("compress-me-", 200) + "tail"
	// Redis to us.
	dir := t.TempDir()
	cli := startRedis(t, dir)
	cli("SET", "compress-key", value)
	cli("SAVE")
	rdb, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	// The value follows the key, marked as an LZF string (0xc3), then
	// the compressed and the original lengths.
	at := bytes.Index(rdb, []byte("compress-key"))
	if at < 0 || rdb[at+len("compress-key")] != 0xc3 {
		t.Fatalf("no LZF string after the key in %q", rdb)
	}
	p := rdb[at+len("compress-key")+1:]
	clen, n := rdbLength(p)
	p = p[n:]
	ulen, n := rdbLength(p)
	p = p[n:]
	if ulen != len(value) || clen <= 0 || clen > len(p) {
		t.Fatalf("lengths %d %d", clen, ulen)
	}
	got, err := Decompress(p[:clen], ulen)
	if err != nil || string(got) != value {
		t.Fatalf("Redis's LZF did not decompress: %v", err)
	}

	// Us to Redis: an RDB file of one LZF string, checksum 0 (unchecked).
	ours, ok := Compress([]byte(value), len(value))
	if !ok {
		t.Fatal("did not compress")
	}
	dir2 := t.TempDir()
	var f []byte
	f = append(f, "REDIS0010"...)
	f = append(f, 0xfe, 0) // SELECTDB 0
	f = append(f, 0, byte(len("our-key")))
	f = append(f, "our-key"...)
	f = append(f, 0xc3, 0x80)
	f = binary.BigEndian.AppendUint32(f, uint32(len(ours)))
	f = append(f, 0x80)
	f = binary.BigEndian.AppendUint32(f, uint32(len(value)))
	f = append(f, ours...)
	f = append(f, 0xff, 0, 0, 0, 0, 0, 0, 0, 0)
	if err := os.WriteFile(filepath.Join(dir2, "dump.rdb"), f, 0o644); err != nil {
		t.Fatal(err)
	}
	cli2 := startRedis(t, dir2)
	if got := cli2("GET", "our-key"); got != value {
		t.Fatalf("Redis loaded %q", got)
	}
}
