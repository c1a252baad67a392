package acl

import "strings"

// CommandSpec describes one command of the server's table as ACL rules see
// it: its lower-case name, its categories, and its subcommands (each named
// by the part after the '|', lower-case). The server builds these from its
// command table; tests build them from a live redis-server's COMMAND reply.
type CommandSpec struct {
	Name        string
	Categories  Category
	Subcommands []CommandSpec
}

// Catalog numbers the commands and subcommands that ACL rules may name. A
// command's id indexes the permission bitmaps of every selector built on the
// catalog. A Catalog is immutable once built and safe for concurrent use.
type Catalog struct {
	cmds   []catalogCommand
	byName map[string]int
	top    []int // top-level ids, in the order given to NewCatalog
}

type catalogCommand struct {
	fullName string // "get", "config|get"
	cats     Category
	parent   int // -1 for a top-level command
	subs     []int
}

// NewCatalog numbers specs and their subcommands. Names are folded to lower
// case; a repeated name keeps its first definition.
func NewCatalog(specs []CommandSpec) *Catalog {
	c := &Catalog{byName: make(map[string]int)}
	for _, s := range specs {
		name := strings.ToLower(s.Name)
		if _, dup := c.byName[name]; dup || name == "" {
			continue
		}
		id := c.add(name, s.Categories, -1)
		c.top = append(c.top, id)
		for _, sub := range s.Subcommands {
			full := name + "|" + strings.ToLower(sub.Name)
			if _, dup := c.byName[full]; dup || sub.Name == "" {
				continue
			}
			sid := c.add(full, sub.Categories, id)
			c.cmds[id].subs = append(c.cmds[id].subs, sid)
		}
	}
	return c
}

func (c *Catalog) add(full string, cats Category, parent int) int {
	id := len(c.cmds)
	c.cmds = append(c.cmds, catalogCommand{fullName: full, cats: cats, parent: parent})
	c.byName[full] = id
	return id
}

// Len is the number of ids: commands and subcommands.
func (c *Catalog) Len() int { return len(c.cmds) }

// ID returns the id of a command ("get") or subcommand ("config|get"),
// matched without regard to case.
func (c *Catalog) ID(fullName string) (int, bool) {
	id, ok := c.byName[fullName]
	if !ok {
		id, ok = c.byName[strings.ToLower(fullName)]
	}
	return id, ok
}

// Name returns the full name of id ("config|get").
func (c *Catalog) Name(id int) string { return c.cmds[id].fullName }

// Parent returns the id of id's container command, or -1.
func (c *Catalog) Parent(id int) int { return c.cmds[id].parent }

// CommandsIn returns the full names of the commands and subcommands in
// category cat, in catalog order (ACL CAT <category>).
func (c *Catalog) CommandsIn(cat Category) []string {
	var names []string
	for _, cmd := range c.cmds {
		if cmd.cats&cat != 0 {
			names = append(names, cmd.fullName)
		}
	}
	return names
}

// bitmap is a selector's set of allowed command ids.
type bitmap []uint64

func newBitmap(n int) bitmap { return make(bitmap, (n+63)/64) }

func (b bitmap) get(id int) bool { return b[id/64]&(1<<(id%64)) != 0 }

func (b bitmap) set(id int, v bool) {
	if v {
		b[id/64] |= 1 << (id % 64)
	} else {
		b[id/64] &^= 1 << (id % 64)
	}
}

func (b bitmap) fill(v bool) {
	var w uint64
	if v {
		w = ^uint64(0)
	}
	for i := range b {
		b[i] = w
	}
}

func (b bitmap) equal(o bitmap) bool {
	for i := range b {
		if b[i] != o[i] {
			return false
		}
	}
	return true
}
