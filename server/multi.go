package server

// MULTI, EXEC, DISCARD, WATCH and UNWATCH.

// multiState is a client's transaction from MULTI to EXEC or DISCARD.
type multiState struct {
	// queued are the commands queued, with copies of their arguments.
	queued []queuedCmd
	// flags ORs the queued commands' flags: EXEC of a transaction with a
	// write is a write (CLIENT PAUSE WRITE holds it, as Redis does).
	flags cmdFlags
	// failed is set by a queue-time error: EXEC replies EXECABORT.
	failed bool
	// mem is what the queued commands hold, for CLIENT LIST's multi-mem.
	mem int64
}

// queuedCmd is one command queued by MULTI.
type queuedCmd struct {
	cmd  *command
	args [][]byte
}
