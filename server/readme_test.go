package server

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestREADMEListsEveryCommand checks that README's command table lists
// exactly the commands and subcommands of the command table, by group.
func TestREADMEListsEveryCommand(t *testing.T) {
	initCommands()
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	start := strings.Index(text, "<!-- commands")
	end := strings.Index(text, "<!-- /commands -->")
	if start < 0 || end < start {
		t.Fatal("README.md has no <!-- commands --> … <!-- /commands --> section")
	}
	inREADME := map[string][]string{}
	row := regexp.MustCompile(`^\| ([a-z_ -]+) \| (.*) \|$`)
	name := regexp.MustCompile(`([A-Z][A-Z0-9_-]*)(?: \(([^)]*)\))?`)
	for _, line := range strings.Split(text[start:end], "\n") {
		m := row.FindStringSubmatch(line)
		if m == nil || m[1] == "Group" {
			continue
		}
		for _, c := range name.FindAllStringSubmatch(m[2], -1) {
			inREADME[m[1]] = append(inREADME[m[1]], strings.ToLower(c[1]))
			if c[2] != "" {
				for _, sub := range strings.Split(c[2], ", ") {
					inREADME[m[1]] = append(inREADME[m[1]], strings.ToLower(c[1]+"|"+sub))
				}
			}
		}
	}
	inTable := map[string][]string{}
	table, err := newCommandNames(commands, commandOptions{})
	if err != nil {
		t.Fatal(err)
	}
	table.each(func(cmd *command) {
		group := cmd.Group
		if cmd.parent != nil {
			group = cmd.parent.Group
		}
		inTable[group] = append(inTable[group], cmd.fullName)
	})
	for group, want := range inTable {
		got := inREADME[group]
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("README group %q lists %v, the command table has %v", group, got, want)
		}
	}
	for group := range inREADME {
		if _, ok := inTable[group]; !ok {
			t.Errorf("README lists group %q, which has no commands", group)
		}
	}
}
