package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"

	"github.com/redoubt-db/redoubt/internal/resp"
)

// The floor is a third server in the PING runs: a goroutine per connection
// that parses commands with Redoubt's RESP reader and answers each with
// +PONG, with no command table, no store and no statistics. It shows what
// Go's runtime and network poller cost by themselves, so a gap between
// Redoubt and Redis that the floor shares is not in Redoubt's request path.
//
// vsredis starts it as a child process of its own binary (-floor-server
// PORT), with the same GOMAXPROCS as redoubt-server, so that it runs apart
// from the tool's own goroutines as the other two servers do.

// floorServe serves connections from ln until it fails.
func floorServe(ln net.Listener) error {
	for {
		nc, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		go floorConn(nc) // exits when the client disconnects
	}
}

// floorConn answers every command on nc: PING with +PONG, anything else
// with an empty array, which is what redis-benchmark's start-up CONFIG GET
// accepts from a server without that setting.
func floorConn(nc net.Conn) {
	defer nc.Close()
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	rd := resp.NewReader()
	var argv [][]byte
	var out []byte
	for {
		if _, err := rd.Fill(nc); err != nil {
			return
		}
		for {
			args, err := rd.ReadCommand(argv[:0])
			argv = args
			if err == resp.ErrIncomplete {
				break
			}
			if err != nil {
				out = append(out, "-ERR "+err.Error()+"\r\n"...)
				nc.Write(out)
				return
			}
			if bytes.EqualFold(args[0], []byte("ping")) {
				out = append(out, "+PONG\r\n"...)
			} else {
				out = append(out, "*0\r\n"...)
			}
		}
		if len(out) > 0 {
			if _, err := nc.Write(out); err != nil {
				return
			}
			out = out[:0]
		}
	}
}

// runFloorServer is the -floor-server mode: serve on 127.0.0.1:port until
// killed.
func runFloorServer(port string, stderr io.Writer) int {
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		fmt.Fprintf(stderr, "vsredis: -floor-server: bad port %q\n", port)
		return 2
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		fmt.Fprintln(stderr, "vsredis: floor server:", err)
		return 1
	}
	fmt.Fprintf(os.Stdout, "floor server listening on %s\n", ln.Addr())
	if err := floorServe(ln); err != nil {
		fmt.Fprintln(stderr, "vsredis: floor server:", err)
		return 1
	}
	return 0
}
