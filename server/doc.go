// Package server is Redoubt's network server and its embedding API: the
// listeners, one goroutine per connection, the RESP reader and reply writer,
// the command table and dispatch, CONFIG, INFO and the lifecycle.
//
//	srv, err := server.New(server.Config{}) // secure defaults, a free loopback port
//	defer srv.Close()
//
// # The request path
//
// A connection's goroutine (client.serve) reads into its buffer
// (internal/resp), then executes every complete command buffered, which is
// one pipelined batch: the command is looked up by the server's own names
// (names.go: rename-command and the enable-*-command switches are per
// server) among the commands of the table (command.go; each group's
// commands are in cmd_<group>.go), its arity checked, and its handler run. A handler parses its arguments, makes one call into the store
// and appends its reply to the connection's output buffer (reply.go), which
// is written once per batch. Arguments are slices of the read buffer and are
// copied only when the store keeps them.
//
// # Goroutines
//
// New starts one accept loop per listener (exits when the listener is
// closed), the cron (background work hz times a second: active expiry,
// idle clients, INFO's samples; exits when the server stops) and, per
// accepted connection, client.serve (exits when the client goes away, the
// connection is closed, or after a protocol error). A panic in a handler is
// recovered in client.serve and closes that connection only. Close and
// Shutdown wait for all of them.
//
// # Locking
//
// Handlers never lock. The store has one lock, taken only by its
// transactions (store.Tx); the dispatcher (client.call) opens the transaction a
// command's table entry declares (lockMode) before the first command that
// needs one, and keeps it across the following commands of the batch, up to
// maxLockHold of them, so a pipeline pays for the lock once. Each command is
// a step of the transaction: it sees one fixed "now", and when it returns
// its changes go to Server.consumeChanges, still under the lock. Commands
// marked lockNone run outside any transaction and do not touch the store.
// EXEC and scripts will run their commands inside the caller's
// transaction; blocked clients are served inside the transaction of
// whoever made their keys ready, when its step commits (blocking.go).
//
// Lock order: the store's lock may be held while taking Server.connsMu,
// Server.cfgMu or one of INFO's own mutexes; never the reverse. connsMu and
// cfgMu are never held together. Everything read by other goroutines about
// a connection (CLIENT LIST, CLIENT KILL, the cron) is in its atomic fields.
//
// # Replies
//
// Reply texts that clients match on live in replies.go, copied from Redis
// 7.0's wire behaviour and checked by the conformance suite. Handlers pick
// RESP2 or RESP3 shapes through the client.Write* methods.
package server
