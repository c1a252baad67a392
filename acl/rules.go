package acl

import (
	"strings"

	"github.com/redoubt-db/redoubt/internal/splitargs"
)

// Reasons a rule is refused, as Redis 7.0 words them.
const (
	reasonFormat      = "Wrong format"
	reasonUnknown     = "Unknown command or category name in ACL"
	reasonSyntax      = "Syntax error"
	reasonAfterAllKey = "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
	reasonAfterAllCh  = "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
	reasonNoPassword  = "The password you are trying to remove from the user does not exist"
	reasonBadHash     = "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
	reasonSubFirstArg = "Allowing first-arg of a subcommand is not supported"
)

// RuleError is a rule that SetRules refused. Rule is the refused rule (a
// whole "(...)" selector when the error was inside one); Reason is Redis's
// text for the cause.
type RuleError struct {
	Rule   string
	Reason string
}

// Error is the text ACL SETUSER replies after "ERR ".
func (e *RuleError) Error() string {
	return "Error in ACL SETUSER modifier '" + cstr(e.Rule) + "': " + e.Reason
}

// Redacted is Error with any password the rule holds hidden, for logs and
// the audit log: a rule starting with '>' or '<', or a selector holding one
// of those bytes, shows only its first byte.
func (e *RuleError) Redacted() string {
	return "Error in ACL SETUSER modifier '" + redactRule(cstr(e.Rule)) + "': " + e.Reason
}

func redactRule(r string) string {
	if r != "" && (r[0] == '>' || r[0] == '<' || (r[0] == '(' && strings.ContainsAny(r, "<>"))) {
		return r[:1] + "(redacted)"
	}
	return r
}

// UnmatchedError is a selector opened with '(' and never closed.
type UnmatchedError struct {
	Rule string // the argument that opened the selector
}

func (e *UnmatchedError) Error() string {
	return "Unmatched parenthesis in acl selector starting at '" + cstr(e.Rule) + "'."
}

// Redacted is Error with any password the rule holds hidden.
func (e *UnmatchedError) Redacted() string {
	return "Unmatched parenthesis in acl selector starting at '" + redactRule(cstr(e.Rule)) + "'."
}

// cstr is s as C code reading it as a NUL-terminated string sees it.
func cstr(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// MergeSelectors joins the arguments of a selector written across several
// arguments ("(~a", "+get)") into one rule, as Redis does before applying
// rules. An argument starting with '(' and not ending with ')' opens a
// selector that runs up to the first argument ending with ')'.
func MergeSelectors(args []string) ([]string, error) {
	out := make([]string, 0, len(args))
	open := -1
	var b strings.Builder
	for i, op := range args {
		if open < 0 && len(op) > 0 && op[0] == '(' && op[len(op)-1] != ')' {
			open = i
			b.Reset()
			b.WriteString(op)
			continue
		}
		if open >= 0 {
			b.WriteByte(' ')
			b.WriteString(op)
			if len(op) > 0 && op[len(op)-1] == ')' {
				out = append(out, b.String())
				open = -1
			}
			continue
		}
		out = append(out, op)
	}
	if open >= 0 {
		return nil, &UnmatchedError{Rule: args[open]}
	}
	return out, nil
}

// SetRules applies rules to u in order, all or none, as ACL SETUSER does:
// selectors written across several arguments are merged first, the rules
// are applied to a copy, and u changes only when every rule is valid. The
// error is a *RuleError or an *UnmatchedError.
func (u *User) SetRules(rules []string) error {
	merged, err := MergeSelectors(rules)
	if err != nil {
		return err
	}
	t := u.Clone()
	for _, op := range merged {
		if reason := t.apply(op); reason != "" {
			return &RuleError{Rule: op, Reason: reason}
		}
	}
	*u = *t
	return nil
}

// apply applies one rule to u, returning the reason it is refused or "".
func (u *User) apply(op string) string {
	if op == "" {
		return ""
	}
	kw := cstr(op)
	switch {
	case strings.EqualFold(kw, "on"):
		u.flags = u.flags&^flagOff | flagOn
	case strings.EqualFold(kw, "off"):
		u.flags = u.flags&^flagOn | flagOff
	case strings.EqualFold(kw, "skip-sanitize-payload"):
		u.flags = u.flags&^flagSanitize | flagSkipSanitize
	case strings.EqualFold(kw, "sanitize-payload"):
		u.flags = u.flags&^flagSkipSanitize | flagSanitize
	case strings.EqualFold(kw, "nopass"):
		u.flags |= flagNoPass
		u.passwords = nil
	case strings.EqualFold(kw, "resetpass"):
		u.flags &^= flagNoPass
		u.passwords = nil
	case op[0] == '>' || op[0] == '#':
		var h string
		if op[0] == '>' {
			h = HashPassword(op[1:])
		} else {
			if !validHash(op[1:]) {
				return reasonBadHash
			}
			h = op[1:]
		}
		found := false
		for _, p := range u.passwords {
			if p == h {
				found = true
				break
			}
		}
		if !found {
			u.passwords = append(u.passwords, h)
		}
		u.flags &^= flagNoPass
	case op[0] == '<' || op[0] == '!':
		var h string
		if op[0] == '<' {
			h = HashPassword(op[1:])
		} else {
			if !validHash(op[1:]) {
				return reasonBadHash
			}
			h = op[1:]
		}
		i := 0
		for i < len(u.passwords) && u.passwords[i] != h {
			i++
		}
		if i == len(u.passwords) {
			return reasonNoPassword
		}
		u.passwords = append(u.passwords[:i:i], u.passwords[i+1:]...)
	case op[0] == '(' && op[len(op)-1] == ')':
		s := u.cat.newSelector(u.pubsubAll)
		var args [][]byte
		if len(op) >= 2 {
			// A malformed interior (an unbalanced quote) splits into no
			// rules at all, as in Redis: the selector is added empty.
			args, _ = splitargs.Split([]byte(op[1 : len(op)-1]))
		}
		for _, a := range args {
			if reason := u.cat.applySelector(s, string(a)); reason != "" {
				return reason
			}
		}
		u.selectors = append(u.selectors, s)
	case strings.EqualFold(kw, "clearselectors"):
		u.selectors = u.selectors[:1:1]
	case strings.EqualFold(kw, "reset"):
		u.flags &^= flagNoPass
		u.passwords = nil
		root := u.selectors[0]
		root.allKeys, root.keys = false, nil
		root.allChannels, root.channels = u.pubsubAll, nil
		u.flags = u.flags&^(flagOn|flagSkipSanitize) | flagOff | flagSanitize
		u.selectors = u.selectors[:1:1]
		u.cat.applySelector(root, "-@all")
	default:
		return u.cat.applySelector(u.selectors[0], op)
	}
	return ""
}

// applySelector applies one selector rule (keys, channels, commands) to s.
func (c *Catalog) applySelector(s *Selector, op string) string {
	if op == "" {
		// Only inside a selector: at the top level an empty rule does
		// nothing.
		return reasonSyntax
	}
	kw := cstr(op)
	switch {
	case strings.EqualFold(kw, "allkeys") || kw == "~*":
		s.allKeys, s.keys = true, nil
	case strings.EqualFold(kw, "resetkeys"):
		s.allKeys, s.keys = false, nil
	case strings.EqualFold(kw, "allchannels") || kw == "&*":
		s.allChannels, s.channels = true, nil
	case strings.EqualFold(kw, "resetchannels"):
		s.allChannels, s.channels = false, nil
	case strings.EqualFold(kw, "allcommands") || strings.EqualFold(kw, "+@all"):
		s.commands.fill(true)
		s.allCommands, s.future = true, true
		s.firstArgs = nil
	case strings.EqualFold(kw, "nocommands") || strings.EqualFold(kw, "-@all"):
		s.commands.fill(false)
		s.allCommands, s.future = false, false
		s.firstArgs = nil
	case op[0] == '~' || op[0] == '%':
		if s.allKeys {
			return reasonAfterAllKey
		}
		var perm Perm
		off := 1
		if op[0] == '%' {
		flags:
			for ; off < len(op); off++ {
				switch {
				case (op[off] == 'R' || op[off] == 'r') && perm&PermRead == 0:
					perm |= PermRead
				case (op[off] == 'W' || op[off] == 'w') && perm&PermWrite == 0:
					perm |= PermWrite
				case op[off] == '~':
					off++
					break flags
				default:
					return reasonSyntax
				}
			}
			// The installed 7.0.15 refuses "%~p" and a bare "%" (its
			// source would store a pattern granting nothing).
			if perm == 0 {
				return reasonSyntax
			}
		} else {
			perm = PermAll
		}
		pat := op[off:]
		if hasSpace(pat) {
			return reasonSyntax
		}
		found := false
		for i := range s.keys {
			if s.keys[i].Pattern == pat {
				s.keys[i].Perm |= perm
				found = true
				break
			}
		}
		if !found {
			s.keys = append(s.keys, KeyPattern{Pattern: pat, Perm: perm, prefix: literalPrefix(pat)})
		}
		s.allKeys = false
	case op[0] == '&':
		if s.allChannels {
			return reasonAfterAllCh
		}
		pat := op[1:]
		if hasSpace(pat) {
			return reasonSyntax
		}
		found := false
		for _, p := range s.channels {
			if p == pat {
				found = true
				break
			}
		}
		if !found {
			s.channels = append(s.channels, pat)
		}
		s.allChannels = false
	case kw == "":
		return reasonSyntax
	case (kw[0] == '+' || kw[0] == '-') && (len(kw) < 2 || kw[1] != '@'):
		return c.applyCommand(s, kw)
	case (kw[0] == '+' || kw[0] == '-') && kw[1] == '@':
		cat, ok := ParseCategory(kw[2:])
		if !ok {
			return reasonUnknown
		}
		c.setCategory(s, cat, kw[0] == '+')
	default:
		return reasonSyntax
	}
	return ""
}

// applyCommand applies +cmd, -cmd, +cmd|sub and +cmd|firstarg.
func (c *Catalog) applyCommand(s *Selector, op string) string {
	allow := op[0] == '+'
	name := op[1:]
	bar := strings.LastIndexByte(name, '|')
	if !allow || bar < 0 {
		id, ok := c.ID(name)
		if !ok {
			return reasonUnknown
		}
		c.changePerm(s, id, allow)
		return ""
	}
	id, ok := c.ID(name[:bar])
	if !ok {
		return reasonUnknown
	}
	if c.cmds[id].parent >= 0 {
		return reasonSubFirstArg
	}
	sub := name[bar+1:]
	if sub == "" {
		return reasonSyntax
	}
	if len(c.cmds[id].subs) > 0 {
		sid, ok := c.ID(name)
		if !ok {
			return reasonUnknown
		}
		c.changePerm(s, sid, true)
		return ""
	}
	// A first argument of a command without subcommands (SELECT|0).
	for _, a := range s.firstArgs[id] {
		if strings.EqualFold(a, sub) {
			return ""
		}
	}
	if s.firstArgs == nil {
		s.firstArgs = make(map[int][]string)
	}
	s.firstArgs[id] = append(s.firstArgs[id], sub)
	return ""
}

// setBit sets one command bit; clearing one means the bitmap must be tested.
func (s *Selector) setBit(id int, v bool) {
	s.commands.set(id, v)
	if !v {
		s.allCommands = false
	}
}

// changePerm allows or denies a command with all its subcommands, and
// forgets the command's allowed first arguments.
func (c *Catalog) changePerm(s *Selector, id int, allow bool) {
	s.setBit(id, allow)
	if s.firstArgs != nil {
		delete(s.firstArgs, id)
	}
	for _, sub := range c.cmds[id].subs {
		s.setBit(sub, allow)
	}
}

// setCategory allows or denies every command and subcommand in cat. A
// container in cat takes all its subcommands with it.
func (c *Catalog) setCategory(s *Selector, cat Category, allow bool) {
	for _, id := range c.top {
		if c.cmds[id].cats&cat != 0 {
			c.changePerm(s, id, allow)
		}
		for _, sub := range c.cmds[id].subs {
			if c.cmds[sub].cats&cat != 0 {
				c.changePerm(s, sub, allow)
			}
		}
	}
}
