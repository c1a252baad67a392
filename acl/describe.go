package acl

import "strings"

// String returns the user's rules in Redis's canonical form and order, as
// ACL LIST prints them after "user <name> ": flags, "#hash" passwords, the
// root selector, then each further selector in parentheses.
func (u *User) String() string {
	var b strings.Builder
	for _, f := range u.Flags() {
		b.WriteString(f)
		b.WriteByte(' ')
	}
	for _, h := range u.passwords {
		b.WriteByte('#')
		b.WriteString(h)
		b.WriteByte(' ')
	}
	for i, s := range u.selectors {
		if i == 0 {
			b.WriteString(u.cat.describeSelector(s))
		} else {
			b.WriteString(" (")
			b.WriteString(u.cat.describeSelector(s))
			b.WriteByte(')')
		}
	}
	return b.String()
}

// SelectorDescription is one selector as ACL GETUSER shows it.
type SelectorDescription struct {
	Commands string // "+@all -debug"
	Keys     string // "~*", or the patterns separated by spaces
	Channels string // "&*", or the patterns separated by spaces
}

// Describe returns the GETUSER view of the root selector and of each
// further selector.
func (u *User) Describe() (root SelectorDescription, selectors []SelectorDescription) {
	for i, s := range u.selectors {
		d := SelectorDescription{Commands: u.cat.describeCommands(s)}
		if s.allKeys {
			d.Keys = "~*"
		} else {
			parts := make([]string, len(s.keys))
			for j, k := range s.keys {
				parts[j] = k.String()
			}
			d.Keys = strings.Join(parts, " ")
		}
		if s.allChannels {
			d.Channels = "&*"
		} else {
			parts := make([]string, len(s.channels))
			for j, ch := range s.channels {
				parts[j] = "&" + ch
			}
			d.Channels = strings.Join(parts, " ")
		}
		if i == 0 {
			root = d
		} else {
			selectors = append(selectors, d)
		}
	}
	return root, selectors
}

// String is the pattern as a rule: "~p", "%R~p" or "%W~p".
func (k KeyPattern) String() string {
	switch k.Perm {
	case PermAll:
		return "~" + k.Pattern
	case PermRead:
		return "%R~" + k.Pattern
	case PermWrite:
		return "%W~" + k.Pattern
	}
	return "%~" + k.Pattern
}

func (c *Catalog) describeSelector(s *Selector) string {
	var b strings.Builder
	if s.allKeys {
		b.WriteString("~* ")
	} else {
		for _, k := range s.keys {
			b.WriteString(k.String())
			b.WriteByte(' ')
		}
	}
	if s.allChannels {
		b.WriteString("&* ")
	} else {
		b.WriteString("resetchannels ")
		for _, ch := range s.channels {
			b.WriteByte('&')
			b.WriteString(ch)
			b.WriteByte(' ')
		}
	}
	b.WriteString(c.describeCommands(s))
	return b.String()
}

// describeCommands returns rules that rebuild s's command bitmap: "+@all"
// or "-@all" (whether commands added later are allowed), then the
// categories that best describe the rest, each chosen greedily as Redis
// does, then single commands and allowed first arguments for what remains.
// Redis lists the single commands in its hash table's order, which varies
// from run to run; we list them in catalog order.
func (c *Catalog) describeCommands(s *Selector) string {
	var rules []string
	fake := c.newSelector(false)
	additive := !s.future
	if additive {
		rules = append(rules, "-@all")
	} else {
		rules = append(rules, "+@all")
		c.applySelector(fake, "+@all")
	}
	temp := &Selector{commands: append(bitmap(nil), s.commands...)}
	var applied [numCategories]bool
	for {
		best := -1
		minDiff, maxSame := int(^uint(0)>>1), 0
		for j := 0; j < numCategories; j++ {
			if applied[j] {
				continue
			}
			on, off := c.countCategory(temp, Category(1)<<j)
			diff, same := on, off
			if additive {
				diff, same = off, on
			}
			if same > diff && (diff < minDiff || (diff == minDiff && same > maxSame)) {
				best, minDiff, maxSame = j, diff, same
			}
		}
		if best < 0 {
			break
		}
		cat := Category(1) << best
		c.setCategory(fake, cat, additive)
		c.setCategory(temp, cat, !additive)
		sign := "-@"
		if additive {
			sign = "+@"
		}
		rules = append(rules, sign+categoryNames[best])
		applied[best] = true
	}
	for _, id := range c.top {
		rules = c.describeSingle(s, fake, id, rules)
		for _, sub := range c.cmds[id].subs {
			rules = c.describeSingle(s, fake, sub, rules)
		}
		// Redis emits a command's first arguments after its subcommands.
		if !s.commands.get(id) {
			for _, a := range s.firstArgs[id] {
				rules = append(rules, "+"+c.cmds[id].fullName+"|"+a)
			}
		}
	}
	return strings.Join(rules, " ")
}

func (c *Catalog) describeSingle(s, fake *Selector, id int, rules []string) []string {
	want := s.commands.get(id)
	if want == fake.commands.get(id) {
		return rules
	}
	sign := "-"
	if want {
		sign = "+"
	}
	c.changePerm(fake, id, want)
	return append(rules, sign+c.cmds[id].fullName)
}

// countCategory counts the commands and subcommands in cat that s allows
// (on) and denies (off).
func (c *Catalog) countCategory(s *Selector, cat Category) (on, off int) {
	for id, cmd := range c.cmds {
		if cmd.cats&cat == 0 {
			continue
		}
		if s.commands.get(id) {
			on++
		} else {
			off++
		}
	}
	return on, off
}
