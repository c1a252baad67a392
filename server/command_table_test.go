package server

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/keyspec"

	"github.com/redoubt-db/redoubt/acl"
)

// TestCommandTable checks every entry of the command table for the mistakes
// a table invites: what COMMAND INFO and DOCS report, what dispatch relies
// on (names, arity, handlers), and what ACL key checks will rely on (key
// specs that fit the arity, flags that agree with the categories). Whether
// each entry says what Redis says is conformance/command_test.go's job.
func TestCommandTable(t *testing.T) {
	initCommands()
	if len(commands.list) == 0 {
		t.Fatal("the command table is empty")
	}
	var problems []string
	seen := map[string]bool{}
	for _, cmd := range commands.list {
		if seen[cmd.Name] {
			problems = append(problems, fmt.Sprintf("%s: registered twice", cmd.Name))
		}
		seen[cmd.Name] = true
		problems = append(problems, checkCommand(cmd)...)
	}
	for _, cmd := range commands.list {
		if cmd.keyFlags != nil && !hasKeyFlag(cmd, keyspec.VariableFlags) && cmd.GetKeys == nil {
			problems = append(problems, fmt.Sprintf("%s: Redis's procedure gives its keys flags (keyspec.ProcFlags), but it has neither a variable_flags key spec nor GetKeys", cmd.Name))
		}
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// keyedNeitherReadNorWrite are the commands with keys that Redis 7.0 flags
// neither "write" nor "readonly": scripts and functions (whose keys are
// whatever the script does with them) and WATCH (which only observes keys).
var keyedNeitherReadNorWrite = map[string]bool{"eval": true, "evalsha": true, "fcall": true, "watch": true}

// docGroups are Redis's documentation groups (COMMAND DOCS's "group").
var docGroups = []string{"generic", "string", "list", "set", "sorted-set", "hash", "pubsub",
	"transactions", "connection", "server", "scripting", "hyperloglog", "cluster", "sentinel",
	"geo", "stream", "bitmap", "module"}

var (
	versionRE = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)
	tipRE     = regexp.MustCompile(`^(nondeterministic_output|nondeterministic_output_order|request_policy:[a-z_]+|response_policy:[a-z_]+)$`)
)

// checkCommand returns what is wrong with a finished table entry (as
// buildCommandTable leaves it) and its subcommands, each problem naming the
// command and the field.
func checkCommand(cmd *command) []string {
	var out []string
	name := cmd.fullName
	if name == "" {
		name = cmd.Name
	}
	bad := func(format string, a ...any) { out = append(out, name+": "+fmt.Sprintf(format, a...)) }

	if cmd.Name == "" || cmd.Name != strings.ToLower(cmd.Name) || strings.ContainsAny(cmd.Name, " |\t\r\n") {
		bad("Name %q must be lowercase, without blanks or '|'", cmd.Name)
	}
	minArity := 1
	if cmd.parent != nil {
		minArity = 2 // the container's name and the subcommand's
	}
	if cmd.Arity == 0 || (cmd.Arity > 0 && cmd.Arity < minArity) || (cmd.Arity < 0 && -cmd.Arity < minArity) {
		bad("Arity %d: must not be 0, and must count the name (and a subcommand's container's name)", cmd.Arity)
	}
	if cmd.Run == nil && len(cmd.Subcommands) == 0 {
		bad("Run is nil and there are no Subcommands")
	}
	if cmd.protectedBy != unprotected && len(cmd.Subcommands) > 0 {
		bad("a container cannot be protected: Redis guards the command that runs")
	}
	if cmd.parent != nil && len(cmd.Subcommands) > 0 {
		bad("a subcommand cannot have subcommands (Redis has one level)")
	}
	if strings.TrimSpace(cmd.Summary) == "" {
		bad("Summary is empty")
	}
	if !slices.Contains(docGroups, cmd.Group) {
		bad("Group %q is not one of Redis's groups %v", cmd.Group, docGroups)
	}
	if !versionRE.MatchString(cmd.Since) {
		bad("Since %q is not a version", cmd.Since)
	}
	for _, tip := range cmd.Tips {
		if !tipRE.MatchString(tip) {
			bad("Tips: %q is not a command tip", tip)
		}
	}
	// Documentation flags: a deprecated command says since when and what
	// replaces it, as every deprecated command of Redis 7.0 does.
	for i, f := range cmd.DocFlags {
		if (f != "deprecated" && f != "syscmd") || (i > 0 && f != "syscmd") || slices.Index(cmd.DocFlags, f) != i {
			bad("DocFlags %q: only \"deprecated\" then \"syscmd\", each at most once", cmd.DocFlags)
			break
		}
	}
	deprecated := slices.Contains(cmd.DocFlags, "deprecated")
	if deprecated != (cmd.DeprecatedSince != "") || deprecated != (cmd.ReplacedBy != "") {
		bad("DocFlags \"deprecated\", DeprecatedSince %q and ReplacedBy %q go together", cmd.DeprecatedSince, cmd.ReplacedBy)
	}
	if cmd.DeprecatedSince != "" && !versionRE.MatchString(cmd.DeprecatedSince) {
		bad("DeprecatedSince %q is not a version", cmd.DeprecatedSince)
	}

	// Flags that are computed or never valid here.
	if cmd.Flags&(flagMovableKeys|flagModule) != 0 {
		bad("Flags: movablekeys and module are computed, not set")
	}
	if cmd.Flags&flagWrite != 0 && cmd.Flags&flagReadOnly != 0 {
		bad("Flags: both Write and ReadOnly")
	}

	// Key specs.
	keyed := false
	for i := range cmd.KeySpecs {
		for _, p := range checkKeySpec(&cmd.KeySpecs[i], cmd.Arity, cmd.GetKeys != nil) {
			bad("KeySpecs[%d]: %s", i, p)
		}
		keyed = keyed || cmd.KeySpecs[i].Flags&keyspec.NotKey == 0
		if cmd.KeySpecs[i].Flags&keyspec.VariableFlags != 0 && cmd.GetKeys == nil && (cmd.parent != nil || keyspec.ProcFlags(cmd.Name) == nil) {
			bad("KeySpecs[%d] has variable flags, but there is no GetKeys and no keyspec.ProcFlags entry to compute them", i)
		}
	}
	if keyed && cmd.Flags&(flagWrite|flagReadOnly) == 0 && !keyedNeitherReadNorWrite[name] {
		bad("Flags: a command with keys must be Write or ReadOnly")
	}
	if cmd.Flags&flagNoMandatoryKeys != 0 && !keyed && cmd.GetKeys == nil {
		bad("Flags: NoMandatoryKeys on a command without keys")
	}

	// Arguments. Every key spec that names keys is some argument's, as in
	// Redis's table, so a key argument pointing at the wrong spec shows.
	for _, p := range checkArgs(cmd.Args, len(cmd.KeySpecs)) {
		bad("Args: %s", p)
	}
	if len(cmd.Args) > 0 {
		used := map[int]bool{}
		markSpecs(cmd.Args, used)
		for i := range cmd.KeySpecs {
			if cmd.KeySpecs[i].Flags&keyspec.NotKey == 0 && !used[i] {
				bad("KeySpecs[%d] is no argument's KeySpecIndex", i)
			}
		}
	}

	// Categories, after finish added the implied ones, must agree with
	// the flags both ways, as Redis's table does.
	has := func(c acl.Category) bool { return cmd.Categories&c != 0 }
	agree := func(flag cmdFlags, cat acl.Category, flagName, catName string) {
		if (cmd.Flags&flag != 0) != has(cat) {
			bad("Categories: @%s goes with the %s flag, and only with it", catName, flagName)
		}
	}
	agree(flagWrite, acl.Write, "Write", "write")
	agree(flagFast, acl.Fast, "Fast", "fast")
	agree(flagPubSub, acl.PubSub, "PubSub", "pubsub")
	agree(flagBlocking, acl.Blocking, "Blocking", "blocking")
	if has(acl.Read) && cmd.Flags&flagReadOnly == 0 {
		bad("Categories: @read without the ReadOnly flag")
	}
	if cmd.Flags&flagReadOnly != 0 && !has(acl.Read) && !has(acl.Scripting) {
		bad("Categories: ReadOnly without @read")
	}
	if has(acl.Fast) == has(acl.Slow) {
		bad("Categories: exactly one of @fast and @slow")
	}
	if cmd.Flags&flagAdmin != 0 && (!has(acl.Admin) || !has(acl.Dangerous)) {
		bad("Categories: Admin implies @admin and @dangerous")
	}

	seen := map[string]bool{}
	for _, sub := range cmd.Subcommands {
		if seen[sub.Name] {
			bad("subcommand %q registered twice", sub.Name)
		}
		seen[sub.Name] = true
		if sub.parent != cmd {
			bad("subcommand %q was not registered with its container", sub.Name)
		}
		out = append(out, checkCommand(sub)...)
	}
	return out
}

// checkKeySpec returns what is wrong with a key spec of a command of the
// given arity; unknownOK allows an unknown spec (the command has GetKeys). Indices must fit the arity: a fixed-arity command cannot have
// a key past its last argument (Redis panics on such a table), and a
// variadic one cannot start its keys more than one argument past its
// minimum (PFMERGE's optional source keys start just there).
func checkKeySpec(ks *keyspec.Spec, arity int, unknownOK bool) []string {
	var out []string
	bad := func(format string, a ...any) { out = append(out, fmt.Sprintf(format, a...)) }

	access := 0
	for _, f := range []keyspec.Flags{keyspec.RO, keyspec.RW, keyspec.OW, keyspec.RM} {
		if ks.Flags&f != 0 {
			access++
		}
	}
	if ks.Flags&keyspec.NotKey == 0 && access != 1 {
		bad("Flags %v: a key spec has exactly one of RO, RW, OW and RM", ks.Flags.Names())
	}
	if ks.Flags&keyspec.NotKey != 0 && access != 0 {
		bad("Flags %v: a not_key spec has none of RO, RW, OW and RM", ks.Flags.Names())
	}

	// Begin search: an index, or a keyword.
	switch {
	case ks.Index > 0 && ks.Keyword != "":
		bad("both Index and Keyword")
	case ks.Index > 0 && ks.StartFrom != 0:
		bad("StartFrom is for a keyword search")
	case ks.Index < 0:
		bad("Index %d is negative", ks.Index)
	case ks.Index == 0 && ks.Keyword == "" && !unknownOK:
		bad("neither Index nor Keyword, and no GetKeys to find the keys of this unknown spec")
	case ks.Index == 0 && ks.Keyword == "":
		if ks.StartFrom != 0 || ks.LastKey != 0 || ks.KeyStep != 0 || ks.Limit != 0 || ks.IsKeyNum() || ks.FirstKey != 0 {
			bad("an unknown spec (no Index, no Keyword) has no find-keys fields either")
		}
		return out
	case ks.Keyword != "" && (ks.StartFrom == 0 || ks.Keyword != strings.ToUpper(ks.Keyword)):
		bad("keyword search %q from %d: the keyword is in capitals and StartFrom is not 0", ks.Keyword, ks.StartFrom)
	}

	// Find keys: a range, or a key count.
	if ks.KeyStep < 1 {
		bad("KeyStep %d: must be at least 1", ks.KeyStep)
	}
	if ks.IsKeyNum() {
		if ks.KeyNumIdx < 0 || ks.FirstKey < 1 || ks.LastKey != 0 || ks.Limit != 0 {
			bad("keynum spec: KeyNumIdx %d >= 0, FirstKey %d >= 1, and no LastKey (%d) or Limit (%d)", ks.KeyNumIdx, ks.FirstKey, ks.LastKey, ks.Limit)
		}
	} else {
		if ks.FirstKey != 0 {
			bad("FirstKey is for a keynum spec")
		}
		if ks.Limit < 0 || (ks.Limit > 0 && ks.LastKey != -1) {
			bad("Limit %d: not negative, and only with LastKey -1", ks.Limit)
		}
	}

	// Positions against the arity.
	if arity > 0 {
		if ks.Index >= arity {
			bad("Index %d: a command of arity %d has no such argument", ks.Index, arity)
		}
		if !ks.IsKeyNum() && ks.LastKey >= 0 && ks.Index+ks.LastKey >= arity {
			bad("last key at %d: a command of arity %d has no such argument", ks.Index+ks.LastKey, arity)
		}
		if ks.IsKeyNum() && ks.Index+ks.KeyNumIdx >= arity {
			bad("key count at %d: a command of arity %d has no such argument", ks.Index+ks.KeyNumIdx, arity)
		}
		if ks.StartFrom >= arity || -ks.StartFrom >= arity {
			bad("StartFrom %d: a command of arity %d has no such argument", ks.StartFrom, arity)
		}
	} else if ks.Index > -arity || ks.StartFrom > -arity {
		bad("keys start at %d: past what arity %d requires", max(ks.Index, ks.StartFrom), arity)
	}
	return out
}

// checkArgs returns what is wrong with an argument list for COMMAND DOCS.
func checkArgs(args []cmdArg, numSpecs int) []string {
	var out []string
	for _, a := range args {
		bad := func(format string, v ...any) {
			out = append(out, fmt.Sprintf("%q: ", a.Name)+fmt.Sprintf(format, v...))
		}
		if a.Name == "" {
			bad("no Name")
		}
		if int(a.Type) >= len(argTypeNames) {
			bad("Type %d is not an argument type", a.Type)
			continue
		}
		if a.Type == argTypeKey && (a.KeySpecIndex < 0 || a.KeySpecIndex >= numSpecs) {
			bad("KeySpecIndex %d: the command has %d key specs", a.KeySpecIndex, numSpecs)
		}
		if a.Type != argTypeKey && a.KeySpecIndex != 0 && (a.KeySpecIndex < 0 || a.KeySpecIndex >= numSpecs) {
			bad("KeySpecIndex %d: the command has %d key specs", a.KeySpecIndex, numSpecs)
		}
		if a.Type == argTypePureToken && a.Token == "" {
			bad("a pure-token needs a Token")
		}
		nested := a.Type == argTypeOneOf || a.Type == argTypeBlock
		if nested && len(a.Args) == 0 {
			bad("a %s needs Args", a.Type)
		}
		if !nested && len(a.Args) > 0 {
			bad("only oneof and block have Args")
		}
		if a.Flags&^(argOptional|argMultiple|argMultipleToken) != 0 {
			bad("unknown Flags %#x", a.Flags)
		}
		if a.Flags&argMultipleToken != 0 && (a.Flags&argMultiple == 0 || a.Token == "") {
			bad("multiple_token needs multiple and a Token")
		}
		for _, v := range []string{a.Since, a.DeprecatedSince} {
			if v != "" && !versionRE.MatchString(v) {
				bad("%q is not a version", v)
			}
		}
		for _, p := range checkArgs(a.Args, numSpecs) {
			out = append(out, a.Name+"/"+p)
		}
	}
	return out
}

// markSpecs records the key specs that arguments refer to.
func markSpecs(args []cmdArg, used map[int]bool) {
	for _, a := range args {
		if a.Type == argTypeKey || a.KeySpecIndex > 0 {
			used[a.KeySpecIndex] = true
		}
		markSpecs(a.Args, used)
	}
}

func hasKeyFlag(cmd *command, f keyspec.Flags) bool {
	for i := range cmd.KeySpecs {
		if cmd.KeySpecs[i].Flags&f != 0 {
			return true
		}
	}
	return false
}

// TestCommandTableCatchesMistakes feeds checkCommand entries with one
// mistake each, so that TestCommandTable is known to be able to fail.
func TestCommandTableCatchesMistakes(t *testing.T) {
	run := func(c *client, args [][]byte) {}
	good := func() *command {
		return &command{Name: "good", Arity: 2, Flags: flagReadOnly | flagFast, Categories: acl.String,
			KeySpecs: []keyspec.Spec{{Flags: keyspec.RO | keyspec.Access, Index: 1, KeyStep: 1}},
			Group:    "string", Since: "1.0.0", Summary: "A well-formed entry.",
			Args: []cmdArg{{Name: "key", Type: argTypeKey}}, Run: run}
	}
	finished := func(c *command) *command {
		c.fullName = c.Name
		c.finish()
		for _, s := range c.Subcommands {
			s.parent = c
			s.fullName = c.Name + "|" + s.Name
			s.finish()
		}
		return c
	}
	if p := checkCommand(finished(good())); len(p) > 0 {
		t.Fatalf("checkCommand(good) = %q, want no problems", p)
	}
	tests := []struct {
		name   string
		mutate func(c *command)
		want   string // a substring of one problem
	}{
		{"uppercase name", func(c *command) { c.Name = "Good" }, "lowercase"},
		{"zero arity", func(c *command) { c.Arity = 0 }, "Arity 0"},
		{"no handler", func(c *command) { c.Run = nil }, "Run is nil"},
		{"no summary", func(c *command) { c.Summary = " " }, "Summary is empty"},
		{"no group", func(c *command) { c.Group = "" }, "Group"},
		{"no since", func(c *command) { c.Since = "" }, "Since"},
		{"bad tip", func(c *command) { c.Tips = []string{"sometimes"} }, "Tips"},
		{"write and readonly", func(c *command) { c.Flags |= flagWrite }, "both Write and ReadOnly"},
		{"keyed, neither", func(c *command) { c.Flags = flagFast }, "must be Write or ReadOnly"},
		{"movablekeys by hand", func(c *command) { c.Flags |= flagMovableKeys }, "computed"},
		{"key past arity", func(c *command) { c.KeySpecs = []keyspec.Spec{{Flags: keyspec.RO, Index: 2, KeyStep: 1}} }, "Index 2"},
		{"range past arity", func(c *command) { c.KeySpecs = []keyspec.Spec{{Flags: keyspec.RO, Index: 1, LastKey: 1, KeyStep: 1}} }, "last key at 2"},
		{"variadic key too far", func(c *command) { c.Arity = -2; c.KeySpecs[0].Index = 3 }, "keys start at 3"},
		{"no begin search", func(c *command) { c.KeySpecs[0].Index = 0 }, "neither Index nor Keyword"},
		{"unknown spec with a step", func(c *command) {
			c.KeySpecs[0].Index = 0
			c.GetKeys = func([][]byte) ([]int, error) { return nil, nil }
		}, "unknown spec"},
		{"zero step", func(c *command) { c.KeySpecs[0].KeyStep = 0 }, "KeyStep 0"},
		{"two access flags", func(c *command) { c.KeySpecs[0].Flags |= keyspec.RW }, "exactly one of RO"},
		{"limit without -1", func(c *command) { c.KeySpecs[0].Limit = 2 }, "Limit 2"},
		{"keynum without first key", func(c *command) { c.Arity = -3; c.KeySpecs[0].KeyNum = true }, "keynum spec"},
		{"lowercase keyword", func(c *command) {
			c.KeySpecs[0] = keyspec.Spec{Flags: keyspec.RO, Keyword: "store", StartFrom: 1, KeyStep: 1}
		}, "capitals"},
		{"key arg, no spec", func(c *command) { c.Args[0].KeySpecIndex = 1 }, "KeySpecIndex 1"},
		{"spec of no argument", func(c *command) {
			c.Arity = 3
			c.KeySpecs = append(c.KeySpecs, keyspec.Spec{Flags: keyspec.OW | keyspec.Update, Index: 2, KeyStep: 1})
			c.Args = append(c.Args, cmdArg{Name: "destination", Type: argTypeKey})
		}, "KeySpecs[1] is no argument's"},
		{"pure token without token", func(c *command) { c.Args = append(c.Args, cmdArg{Name: "nx", Type: argTypePureToken}) }, "needs a Token"},
		{"oneof without args", func(c *command) { c.Args = append(c.Args, cmdArg{Name: "cond", Type: argTypeOneOf}) }, "needs Args"},
		{"read category on a write", func(c *command) { c.Flags = flagWrite; c.Categories |= acl.Read }, "@read without"},
		{"fast category, slow command", func(c *command) { c.Flags = flagReadOnly; c.Categories |= acl.Fast }, "@fast goes with"},
		{"deprecated without replacement", func(c *command) { c.DocFlags = []string{"deprecated"}; c.DeprecatedSince = "6.2.0" }, "go together"},
		{"variable flags, nothing to compute them", func(c *command) { c.KeySpecs[0].Flags |= keyspec.VariableFlags }, "variable flags"},
		{"subcommand arity", func(c *command) {
			c.Run = nil
			c.Subcommands = []*command{{Name: "sub", Arity: 1, Group: "server", Since: "1.0.0", Summary: "S.", Run: run}}
		}, "good|sub: Arity 1"},
		{"subcommand twice", func(c *command) {
			s := &command{Name: "sub", Arity: 2, Group: "server", Since: "1.0.0", Summary: "S.", Run: run}
			c.Subcommands = []*command{s, s}
		}, "registered twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good()
			tt.mutate(c)
			problems := checkCommand(finished(c))
			for _, p := range problems {
				if strings.Contains(p, tt.want) {
					return
				}
			}
			t.Errorf("checkCommand = %q, want a problem containing %q", problems, tt.want)
		})
	}
}

// TestCommandHistory checks the history data (history.go): each entry has a
// version in Redis's x.y.z form and a change, entries are oldest first, and
// every command of the table carries the entries filed under its full name.
func TestCommandHistory(t *testing.T) {
	initCommands()
	for name, hist := range commandHistory {
		if name != strings.ToLower(name) || len(hist) == 0 {
			t.Errorf("commandHistory[%q]: want a lowercase full name and at least one entry", name)
		}
		prev := ""
		for _, h := range hist {
			if !versionRe.MatchString(h.Version) || h.Change == "" {
				t.Errorf("commandHistory[%q]: entry %q: want a version x.y.z and a change", name, h)
			}
			if prev != "" && versionLess(h.Version, prev) {
				t.Errorf("commandHistory[%q]: %s comes after %s: want oldest first", name, h.Version, prev)
			}
			prev = h.Version
		}
	}
	var walk func(cmds []*command)
	walk = func(cmds []*command) {
		for _, cmd := range cmds {
			if want := commandHistory[cmd.fullName]; !slices.Equal(cmd.History, want) {
				t.Errorf("%s: History = %q, want %q", cmd.fullName, cmd.History, want)
			}
			walk(cmd.Subcommands)
		}
	}
	walk(commands.list)
	if len(commands.byName["set"].History) == 0 {
		t.Error("set has no history; want Redis's four entries")
	}
}

var versionRe = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)

// versionLess compares two x.y.z versions numerically.
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := range pa {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x < y
		}
	}
	return false
}
