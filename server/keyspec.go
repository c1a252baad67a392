package server

import "github.com/redoubt-db/redoubt/internal/keyspec"

// Key extraction: which arguments of a command line are keys, and what the
// command does with each. internal/keyspec does the work from the command's
// key specs and its per-command procedures; COMMAND GETKEYS and
// GETKEYSANDFLAGS report the result, and ACL key checks will enforce
// permissions on exactly these arguments.

// Keys returns the key arguments of args, a whole command line for cmd
// (args[0] is the command name; for a subcommand args[1] is its name), in
// the order COMMAND GETKEYS lists them, as keyspec.Append finds them. It
// does not check the arity.
func (cmd *command) Keys(args [][]byte) []keyspec.Ref {
	return cmd.appendKeys(nil, args)
}

// appendKeys is Keys appending to dst, so that callers on a hot path (ACL
// checks) can reuse a buffer.
func (cmd *command) appendKeys(dst []keyspec.Ref, args [][]byte) []keyspec.Ref {
	return keyspec.Append(dst, args, cmd.KeySpecs, keyspec.Options{GetKeys: cmd.GetKeys, Flags: cmd.keyFlags, KeyFlags: cmd.keyFlagsAt})
}

// hasKeys reports whether the command can have key arguments at all, as
// Redis's doesCommandHaveKeys: a GetKeys function, or a key spec that is not
// "not_key".
func (cmd *command) hasKeys() bool {
	if cmd.GetKeys != nil {
		return true
	}
	for i := range cmd.KeySpecs {
		if cmd.KeySpecs[i].Flags&keyspec.NotKey == 0 {
			return true
		}
	}
	return false
}
