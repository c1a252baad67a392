package conformance

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/splitargs"
)

// TestScriptArgs checks how "#! args:" lines are split, and that a line with
// malformed quotes is an error naming the file and the line.
func TestScriptArgs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}

	good := write("good.txt", "#! args: --save \"\" --hz 100\n#! args: --notify-keyspace-events 'K A'\n\nPING\n----\n+PONG\n")
	sc, err := loadScript(good)
	if err != nil {
		t.Fatalf("loadScript(%q): %v", good, err)
	}
	if want := []string{"--save", "", "--hz", "100", "--notify-keyspace-events", "K A"}; !slices.Equal(sc.args, want) {
		t.Errorf("args = %q, want %q", sc.args, want)
	}

	bad := write("bad.txt", "# a comment\n#! args: --save \"x\n")
	_, err = loadScript(bad)
	if !errors.Is(err, splitargs.ErrUnbalancedQuotes) || !strings.Contains(err.Error(), bad+":2:") {
		t.Errorf("loadScript(%q) = %v, want %s:2: and splitargs.ErrUnbalancedQuotes", bad, err, bad)
	}
}
