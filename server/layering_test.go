package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The import direction of DESIGN.md ("Layout and dependency direction"),
// enforced on what `go list` reports, in the manner of pebble's lint test.
// Test files count: a test that imports upwards couples the layers as much
// as code does.

const modulePath = "github.com/redoubt-db/redoubt"

// layer is one row of DESIGN.md's layout table: a top-level directory and the
// other layers it may import. Every layer may import internal/... and its own
// subpackages.
type layer struct {
	name    string   // "store", "cmd", …
	imports []string // other layers it may import
}

var layers = []layer{
	{"store", nil},
	{"acl", nil},
	{"tlsconf", nil},
	{"persist", []string{"store"}},
	{"server", []string{"store", "acl", "persist", "tlsconf"}},
	{"cmd", []string{"server"}},                  // cmd/redoubt-server and any other binary
	{"conformance", []string{"server", "store"}}, // store for the settable clock
	{"bench", []string{"server", "store"}},
	{"internal", nil}, // helpers import only other helpers
}

// onlyLayer lists third-party modules that exactly one layer may import.
var onlyLayer = map[string]string{
	"github.com/tidwall/btree":      "store",
	"github.com/cockroachdb/pebble": "persist",
}

// forbidden lists third-party modules nothing may import, and why.
var forbidden = map[string]string{
	"github.com/tidwall/match": "it has no [...] classes; use internal/glob",
}

// redconModule may be imported for its reply encoders only (see
// redconAllowed).
const redconModule = "github.com/tidwall/redcon"

// listedPackage is the part of `go list -json` output the checks use.
type listedPackage struct {
	ImportPath   string
	Dir          string
	GoFiles      []string
	CgoFiles     []string
	TestGoFiles  []string
	XTestGoFiles []string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

// layerOf returns the layer of one of our packages ("internal" for
// internal/...), or "" if no layer holds it.
func layerOf(importPath string) string {
	rel, ok := strings.CutPrefix(importPath, modulePath+"/")
	if !ok {
		return ""
	}
	top, _, _ := strings.Cut(rel, "/")
	for _, l := range layers {
		if l.name == top {
			return top
		}
	}
	return ""
}

func isOurs(importPath string) bool {
	return importPath == modulePath || strings.HasPrefix(importPath, modulePath+"/")
}

// inModule reports whether importPath is module or one of its packages.
func inModule(importPath, module string) bool {
	return importPath == module || strings.HasPrefix(importPath, module+"/")
}

func rel(importPath string) string {
	if r, ok := strings.CutPrefix(importPath, modulePath+"/"); ok {
		return r
	}
	return importPath
}

// importViolations checks the imports of pkgs against the layering rules
// and returns one message per offending import.
func importViolations(pkgs []listedPackage) []string {
	var bad []string
	for _, p := range pkgs {
		from := layerOf(p.ImportPath)
		if from == "" {
			bad = append(bad, fmt.Sprintf("package %s is in no layer of DESIGN.md's layout table; add it there and to layers in server/layering_test.go", rel(p.ImportPath)))
			continue
		}
		var allowed []string
		for _, l := range layers {
			if l.name == from {
				allowed = l.imports
			}
		}
		check := func(kind string, imports []string) {
			for _, imp := range imports {
				where := rel(p.ImportPath) + kind
				switch {
				case isOurs(imp):
					to := layerOf(imp)
					if to == from || to == "internal" || slices.Contains(allowed, to) {
						continue
					}
					may := "only internal/..."
					if len(allowed) > 0 {
						may = strings.Join(allowed, ", ") + " and internal/..."
					}
					if from == "internal" {
						may = "no package of ours outside internal/"
					}
					bad = append(bad, fmt.Sprintf("%s imports %s: %s may import %s (DESIGN.md layering)", where, rel(imp), from, may))
				default:
					for mod, why := range forbidden {
						if inModule(imp, mod) {
							bad = append(bad, fmt.Sprintf("%s imports %s: %s", where, imp, why))
						}
					}
					for mod, only := range onlyLayer {
						if inModule(imp, mod) && from != only {
							bad = append(bad, fmt.Sprintf("%s imports %s: only %s may import it (DESIGN.md)", where, imp, only))
						}
					}
				}
			}
		}
		check("", p.Imports)
		check(" (test)", p.TestImports)
		check(" (external test)", p.XTestImports)
	}
	slices.Sort(bad)
	return slices.Compact(bad)
}

// redconAllowed reports whether a name from redcon may be used: its Append*
// reply encoders and the value types AppendAny takes. Its reader (Reader,
// NewReader, Parse, ReadNextCommand, ReadNextRESP…) trusts declared lengths
// and panics on "*1\r\n$9223372036854775806\r\n", its server runs that
// reader in goroutines with no recover, and its PubSub writes to sockets
// while holding a lock (DESIGN.md, SECURITY.md).
func redconAllowed(name string) bool {
	switch name {
	case "SimpleString", "SimpleInt", "SimpleError", "Marshaler":
		return true
	}
	return strings.HasPrefix(name, "Append")
}

// redconViolations returns one message per use of a redcon name that
// redconAllowed refuses in the Go source src, named filename.
func redconViolations(filename string, src []byte) []string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filename, src, parser.SkipObjectResolution)
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", filename, err)}
	}
	var bad []string
	var local string
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if path != redconModule {
			continue
		}
		local = "redcon"
		if imp.Name != nil {
			local = imp.Name.Name
		}
		if local == "." {
			bad = append(bad, fmt.Sprintf("%s: dot-imports %s; import it by name so its uses can be checked", fset.Position(imp.Pos()), redconModule))
		}
	}
	if local == "" || local == "_" || local == "." {
		return bad
	}
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if id, ok := sel.X.(*ast.Ident); ok && id.Name == local && !redconAllowed(sel.Sel.Name) {
			bad = append(bad, fmt.Sprintf("%s: uses redcon.%s; only redcon's Append* encoders may be used (its reader trusts declared lengths, its server has no recover, its PubSub writes under a lock)",
				fset.Position(sel.Pos()), sel.Sel.Name))
		}
		return true
	})
	return bad
}

// goList runs `go list -e -json` on every package of the module.
func goList(t *testing.T) []listedPackage {
	t.Helper()
	// go test puts its own GOROOT/bin first in the test's PATH.
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command to run go list: %v", err)
	}
	cmd := exec.Command(goTool, "list", "-e", "-json", modulePath+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages")
	}
	return pkgs
}

// TestLayering enforces DESIGN.md's import direction on the module as it is.
func TestLayering(t *testing.T) {
	pkgs := goList(t)
	seen := map[string]bool{}
	for _, p := range pkgs {
		seen[rel(p.ImportPath)] = true
	}
	for _, must := range []string{"server", "store"} {
		if !seen[must] {
			t.Fatalf("go list did not report package %s; the test is not looking at this module", must)
		}
	}
	for _, msg := range importViolations(pkgs) {
		t.Error(msg)
	}
	for _, p := range pkgs {
		if !slices.Contains(p.Imports, redconModule) && !slices.Contains(p.TestImports, redconModule) && !slices.Contains(p.XTestImports, redconModule) {
			continue
		}
		for _, files := range [][]string{p.GoFiles, p.CgoFiles, p.TestGoFiles, p.XTestGoFiles} {
			for _, name := range files {
				path := filepath.Join(p.Dir, name)
				src, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				for _, msg := range redconViolations(filepath.Join(rel(p.ImportPath), name), src) {
					t.Error(msg)
				}
			}
		}
	}
}

// TestLayeringRules checks that the checks above catch what they must, on
// made-up packages.
func TestLayeringRules(t *testing.T) {
	pkg := func(path string, imports ...string) listedPackage {
		return listedPackage{ImportPath: modulePath + "/" + path, Imports: imports}
	}
	ours := func(path string) string { return modulePath + "/" + path }
	tests := []struct {
		name string
		pkg  listedPackage
		want []string
	}{
		{"store imports internal", pkg("store", ours("internal/num"), "bytes", "github.com/tidwall/btree"), nil},
		{"store imports server", pkg("store", ours("server")),
			[]string{"store imports server: store may import only internal/... (DESIGN.md layering)"}},
		{"acl imports store", pkg("acl", ours("store")),
			[]string{"acl imports store: acl may import only internal/... (DESIGN.md layering)"}},
		{"tlsconf imports acl", pkg("tlsconf", ours("acl")),
			[]string{"tlsconf imports acl: tlsconf may import only internal/... (DESIGN.md layering)"}},
		{"persist imports store and pebble", pkg("persist", ours("store"), "github.com/cockroachdb/pebble/vfs"), nil},
		{"persist imports server", pkg("persist", ours("server")),
			[]string{"persist imports server: persist may import store and internal/... (DESIGN.md layering)"}},
		{"server imports its layers", pkg("server", ours("store"), ours("acl"), ours("persist"), ours("tlsconf"), ours("internal/resp"), redconModule), nil},
		{"server imports cmd", pkg("server", ours("cmd/redoubt-server")),
			[]string{"server imports cmd/redoubt-server: server may import store, acl, persist, tlsconf and internal/... (DESIGN.md layering)"}},
		{"server imports btree", pkg("server", "github.com/tidwall/btree"),
			[]string{"server imports github.com/tidwall/btree: only store may import it (DESIGN.md)"}},
		{"server imports pebble", pkg("server", "github.com/cockroachdb/pebble"),
			[]string{"server imports github.com/cockroachdb/pebble: only persist may import it (DESIGN.md)"}},
		{"cmd imports store", pkg("cmd/redoubt-server", ours("server"), ours("store")),
			[]string{"cmd/redoubt-server imports store: cmd may import server and internal/... (DESIGN.md layering)"}},
		{"conformance imports store", pkg("conformance", ours("server"), ours("store")), nil},
		{"conformance imports acl", pkg("conformance", ours("acl")),
			[]string{"conformance imports acl: conformance may import server, store and internal/... (DESIGN.md layering)"}},
		{"bench subpackage", pkg("bench/vsredis", ours("bench"), ours("server"), ours("store")), nil},
		{"bench imports persist", pkg("bench", ours("persist")),
			[]string{"bench imports persist: bench may import server, store and internal/... (DESIGN.md layering)"}},
		{"internal imports internal", pkg("internal/resp", ours("internal/num")), nil},
		{"internal imports store", pkg("internal/glob", ours("store")),
			[]string{"internal/glob imports store: internal may import no package of ours outside internal/ (DESIGN.md layering)"}},
		{"anyone imports match", pkg("server", "github.com/tidwall/match"),
			[]string{"server imports github.com/tidwall/match: it has no [...] classes; use internal/glob"}},
		{"unknown package", pkg("util"),
			[]string{"package util is in no layer of DESIGN.md's layout table; add it there and to layers in server/layering_test.go"}},
		{"test imports count", listedPackage{ImportPath: ours("store"), TestImports: []string{ours("server")}, XTestImports: []string{ours("store"), ours("acl")}},
			[]string{
				"store (external test) imports acl: store may import only internal/... (DESIGN.md layering)",
				"store (test) imports server: store may import only internal/... (DESIGN.md layering)",
			}},
	}
	for _, tt := range tests {
		got := importViolations([]listedPackage{tt.pkg})
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) {
			t.Errorf("%s: importViolations(%+v) = %q, want %q", tt.name, tt.pkg, got, tt.want)
		}
	}
}

// TestRedconRules checks the redcon usage check on made-up source files.
func TestRedconRules(t *testing.T) {
	const why = "; only redcon's Append* encoders may be used (its reader trusts declared lengths, its server has no recover, its PubSub writes under a lock)"
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"encoders", `package p
import "github.com/tidwall/redcon"
func f(b []byte) []byte { b = redcon.AppendBulk(b, nil); return redcon.AppendAny(b, redcon.SimpleString("x")) }`, nil},
		{"reader", `package p
import "github.com/tidwall/redcon"
func f() { redcon.NewReader(nil) }`, []string{"f.go:3:12: uses redcon.NewReader" + why}},
		{"parse and pubsub", `package p
import "github.com/tidwall/redcon"
var ps redcon.PubSub
func f(b []byte) { redcon.Parse(b) }`, []string{"f.go:3:8: uses redcon.PubSub" + why, "f.go:4:20: uses redcon.Parse" + why}},
		{"renamed", `package p
import rc "github.com/tidwall/redcon"
func f(b []byte) { rc.ReadNextCommand(b, nil) }`, []string{"f.go:3:20: uses redcon.ReadNextCommand" + why}},
		{"dot import", `package p
import . "github.com/tidwall/redcon"
func f(b []byte) { Parse(b) }`, []string{"f.go:2:8: dot-imports github.com/tidwall/redcon; import it by name so its uses can be checked"}},
		{"server", `package p
import "github.com/tidwall/redcon"
func f() { redcon.ListenAndServe(":0", nil, nil, nil) }`, []string{"f.go:3:12: uses redcon.ListenAndServe" + why}},
		{"no redcon", `package p
import "strings"
func f() { strings.NewReader("") }`, nil},
	}
	for _, tt := range tests {
		got := redconViolations("f.go", []byte(tt.src))
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) {
			t.Errorf("%s: redconViolations(%q) = %q, want %q", tt.name, tt.src, got, tt.want)
		}
	}
}
