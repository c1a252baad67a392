package server

import (
	"bytes"
	"strconv"
)

// Redaction: the one place that says which arguments of a command carry a
// secret (a password, a user's rules), so that no printer of commands shows
// them. MONITOR, SLOWLOG and any log line that quotes a command call
// secretArgs (or redactedArg) and print redactedText in place of each
// secret; CLIENT LIST shows only the command's name. There is no
// authentication yet, but AUTH, HELLO, CONFIG SET and, when they come, ACL
// SETUSER and MIGRATE are covered here already.
//
// Redis marks an argument as redacted when its handler reaches it
// (redactClientCommandArgument), so a command that fails before that point,
// such as AUTH with too many arguments or CONFIG SET with a name missing its
// value, is shown whole by Redis. Redoubt redacts by position from the
// arguments alone, whether the command succeeds or not: a secret typed into
// a malformed command stays secret. Well-formed commands are shown exactly
// as Redis shows them.

// redactedText is what a printer shows in place of a secret argument, as
// Redis's shared "(redacted)" object.
const redactedText = "(redacted)"

var redactedBytes = []byte(redactedText)

// secretArgs reports which of args (args[0] being the command's name) carry
// a secret, for the command cmd that args were dispatched to. It returns
// nil, allocating nothing, when none does, which is the case of every
// command but the few that take passwords.
func secretArgs(cmd *command, args [][]byte) []bool {
	if cmd == nil || len(args) < 2 {
		return nil
	}
	var secret []bool
	mark := func(i int) { secret = markSecret(secret, len(args), i) }
	switch cmd.fullName {
	case "auth":
		// AUTH password | AUTH username password: the username too, as
		// Redis hides both.
		for i := 1; i < len(args); i++ {
			mark(i)
		}
	case "hello":
		// HELLO [protover [AUTH username password] [SETNAME name]]: the
		// two words after each AUTH.
		for j := 2; j < len(args); j++ {
			more := len(args) - 1 - j
			switch {
			case isOpt(args[j], "auth") && more >= 2:
				mark(j + 1)
				mark(j + 2)
				j += 2
			case isOpt(args[j], "setname") && more >= 1:
				j++
			}
		}
	case "acl|setuser":
		// ACL SETUSER username rule…: the user and every rule.
		for i := 2; i < len(args); i++ {
			mark(i)
		}
	case "config|set":
		// CONFIG SET name value…: the values of the directives whose
		// value is a secret (requirepass, masterauth, masteruser…).
		for i := 2; i+1 < len(args); i += 2 {
			if e, ok := lookupDirective(string(args[i])); ok && e.d.flags&dirSensitive != 0 {
				mark(i + 1)
			}
		}
	case "migrate":
		// MIGRATE host port key db timeout [COPY] [REPLACE] [AUTH
		// password | AUTH2 username password] [KEYS key…].
		for j := 6; j < len(args); j++ {
			switch {
			case isOpt(args[j], "auth"):
				mark(j + 1)
				j++
			case isOpt(args[j], "auth2"):
				mark(j + 1)
				mark(j + 2)
				j += 2
			case isOpt(args[j], "keys"):
				j = len(args)
			}
		}
	}
	return secret
}

// markSecret sets secret[i], making secret (of n flags) if it is nil.
func markSecret(secret []bool, n, i int) []bool {
	if i <= 0 || i >= n {
		return secret
	}
	if secret == nil {
		secret = make([]bool, n)
	}
	secret[i] = true
	return secret
}

// redactedArg returns args[i] as a printer may show it: redactedText when
// secret (from secretArgs) marks it.
func redactedArg(secret []bool, args [][]byte, i int) []byte {
	if secret != nil && secret[i] {
		return redactedBytes
	}
	return args[i]
}

// secretCommands are the names of the commands that may carry a secret,
// for redactedInput.
var secretCommands = []string{"auth", "hello", "acl", "config", "migrate"}

// redactedInput quotes raw input for a log line (the start of a query
// buffer), as Go's %q, unless it may hold a command that carries a
// secret: the input is not parsed yet, so any mention of such a command's
// name hides it all.
func redactedInput(b []byte) string {
	lower := bytes.ToLower(b)
	for _, name := range secretCommands {
		if bytes.Contains(lower, []byte(name)) {
			return redactedText
		}
	}
	return strconv.Quote(string(b))
}
