package server

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strconv"
	"testing"
)

// BenchmarkOutputLimitCheck measures the check a client's goroutine makes
// each time its output queues a segment (a value of 16 KB or more, a reply
// past 128 KB), with no limit for its class (normal clients by default)
// and with one it is under.
func BenchmarkOutputLimitCheck(b *testing.B) {
	srv, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	c := &client{s: srv}
	c.segs = append(c.segs, make([]byte, 64<<10))
	c.segsLen = 64 << 10
	b.Run("off", func(b *testing.B) {
		srv.obuf[obufNormal].hard.Store(0)
		srv.obuf[obufNormal].soft.Store(0)
		for i := 0; i < b.N; i++ {
			c.checkOutputLimit()
		}
	})
	b.Run("on", func(b *testing.B) {
		srv.obuf[obufNormal].hard.Store(1 << 30)
		srv.obuf[obufNormal].soft.Store(1 << 29)
		for i := 0; i < b.N; i++ {
			c.checkOutputLimit()
		}
	})
}

// BenchmarkBigGetOutputLimit is GET of a 32 KB value, which is queued by
// reference and so checked, pipelined 16 deep over loopback, with no limit
// and with a normal limit it stays under.
func BenchmarkBigGetOutputLimit(b *testing.B) {
	for _, limits := range []string{"normal 0 0 0", "normal 1gb 512mb 60"} {
		b.Run(limits, func(b *testing.B) {
			srv, err := New(Config{})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			nc, err := net.Dial("tcp", srv.Addr())
			if err != nil {
				b.Fatal(err)
			}
			defer nc.Close()
			r := bufio.NewReaderSize(nc, 1<<20)
			val := bytes.Repeat([]byte("v"), 32<<10)
			io.WriteString(nc, bulk("SET", "k", string(val))+bulk("CONFIG", "SET", "client-output-buffer-limit", limits))
			r.ReadString('\n')
			r.ReadString('\n')
			var batch []byte
			for i := 0; i < 16; i++ {
				batch = append(batch, bulk("GET", "k")...)
			}
			reply := len("$"+strconv.Itoa(len(val))+"\r\n") + len(val) + 2
			b.SetBytes(int64(len(val)))
			b.ResetTimer()
			for done := 0; done < b.N; done += 16 {
				nc.Write(batch)
				if _, err := r.Discard(16 * reply); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
