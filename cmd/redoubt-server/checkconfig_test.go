package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/redoubt-db/redoubt/internal/tlstest"
)

// Tests of --check-config: the built binary audits a configuration file
// without starting a server and exits by the level reached.

const (
	ccPassA = "8c1e5a0f3b7d9e2c4a6f8b0d1e3c5a7f9b2d4e6c8a0f1b3d5e7c9a2b4d6f8e0a"
	ccPassB = "3f7a1c9e5b2d8f4a6c0e2b4d6f8a1c3e5b7d9f0a2c4e6b8d0f1a3c5e7b9d2f4a"
)

// nobody is the user the check runs as when the tests run as root, since
// running as root is itself a finding that would hold every configuration
// below standard.
const nobody = 65534

// checkRun writes conf (mode 0600) into a private directory, runs the
// binary there with --check-config and args, as nobody when the test runs
// as root, and returns its standard output, standard error and exit
// status.
func checkRun(t *testing.T, conf string, args ...string) (string, string, int) {
	t.Helper()
	return checkRunFiles(t, conf, nil, args...)
}

// ccFile is a file checkRunFiles writes beside the config file.
type ccFile struct {
	name string
	data []byte
	mode os.FileMode
}

// checkRunFiles is checkRun with files written into the directory first,
// which conf may name by their relative names: the directory is the
// working directory of the check, and so also its dir.
func checkRunFiles(t *testing.T, conf string, files []ccFile, args ...string) (string, string, int) {
	t.Helper()
	dir, err := os.MkdirTemp("", "audit10-checkconfig-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "redoubt.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "redoubt-server")
	data, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o700); err != nil {
		t.Fatal(err)
	}
	owned := []string{dir, path, bin}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, f.data, f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil { // whatever the umask
			t.Fatal(err)
		}
		owned = append(owned, p)
	}
	cmd := exec.Command(bin, append([]string{"--check-config", "redoubt.conf"}, args...)...)
	cmd.Dir = dir
	if os.Geteuid() == 0 {
		for _, p := range owned {
			if err := os.Chown(p, nobody, nobody); err != nil {
				t.Fatal(err)
			}
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

// The configurations of the levels below TLS (needed from high on:
// ccHigh, ccParanoid).
const (
	ccBasic    = "requirepass " + ccPassA + "\n"
	ccStandard = "user default off\n" +
		"user admin on >" + ccPassA + " ~* &* +@all\n" +
		"user app on >" + ccPassB + " ~app:* &app:* +@all -@dangerous\n"
)

var levelLine = regexp.MustCompile(`(?m)^Level reached: (\w+) `)

// TestCheckConfigLevels: each configuration gets its level and no higher;
// --min-level passes at or below it and exits 2 above it; every failed
// check prints its remedy.
func TestCheckConfigLevels(t *testing.T) {
	for _, tc := range []struct {
		name, conf, level, above string
	}{
		{"none", "", "none", "basic"},
		{"weak password", "requirepass foobared\n", "none", "basic"},
		{"basic", ccBasic, "basic", "standard"},
		{"standard", ccStandard, "standard", "high"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := checkRun(t, tc.conf)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d without --min-level; stderr %q\n%s", code, errOut, out)
			}
			m := levelLine.FindStringSubmatch(out)
			if m == nil || m[1] != tc.level {
				t.Fatalf("level %v, want %s:\n%s", m, tc.level, out)
			}
			fails := regexp.MustCompile(`(?m)^\[FAIL\] +\S+ +(\S+) `).FindAllStringSubmatch(out, -1)
			remedies := regexp.MustCompile(`(?m)^ +remedy: \S`).FindAllString(out, -1)
			if len(fails) == 0 || len(fails) != len(remedies) {
				t.Errorf("%d failed checks, %d remedies:\n%s", len(fails), len(remedies), out)
			}
			if tc.level != "none" {
				if _, _, code := checkRun(t, tc.conf, "--min-level", tc.level); code != 0 {
					t.Errorf("--min-level %s: exit %d, want 0", tc.level, code)
				}
			}
			out, _, code = checkRun(t, tc.conf, "--min-level", tc.above)
			if code != 2 || !strings.Contains(out, "Below the requested level, "+tc.above+".") {
				t.Errorf("--min-level %s: exit %d, want 2:\n%s", tc.above, code, out)
			}
		})
	}
}

// TestCheckConfigOptions: options after the file apply as when starting,
// and a configuration the server would refuse, a bad level or a missing
// file exit 1 with the reason.
func TestCheckConfigOptions(t *testing.T) {
	out, _, code := checkRun(t, ccStandard, "--bind", "*", "--min-level", "standard")
	if code != 2 || !strings.Contains(out, "bind *: listening on every address") {
		t.Errorf("--bind * after the file: exit %d:\n%s", code, out)
	}
	if _, errOut, code := checkRun(t, ccBasic, "--min-level", "basic", "--check-config", "."); code != 1 || !strings.Contains(errOut, "--check-config given twice") {
		t.Errorf("--check-config twice: exit %d, %q", code, errOut)
	}
	for _, tc := range []struct {
		conf string
		args []string
		want string
	}{
		{"bind 0.0.0.0\n", nil, "The server would not start with this configuration: server: refusing to listen on 0.0.0.0"},
		{ccBasic, []string{"--min-level", "extreme"}, `--min-level "extreme" is not one of basic, standard, high, paranoid`},
		{ccBasic, []string{"--min-level"}, "--min-level needs a value"},
		{ccBasic, []string{"other.conf"}, `"other.conf" is one more`},
		{"maxmemory-policy nosuch\n", nil, "FATAL CONFIG FILE ERROR"},
		{"user app on >x +nosuchcommand\n", nil, "nosuchcommand"},
		{"hz \xff\"unbalanced\n", nil, "Unbalanced quotes"},
	} {
		out, errOut, code := checkRun(t, tc.conf, tc.args...)
		if code != 1 || !strings.Contains(errOut, tc.want) || out != "" {
			t.Errorf("%q %q: exit %d, stderr %q, stdout %q; want 1 and %q", tc.conf, tc.args, code, errOut, out, tc.want)
		}
	}
}

// TestCheckConfigDirectory: a directory given as the config file is
// refused, not audited as an empty configuration.
func TestCheckConfigDirectory(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"--check-config", t.TempDir()}, &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "a directory, not a config file") || stdout.Len() != 0 {
		t.Errorf("exit %d, stderr %q, stdout %q", code, stderr.String(), stdout.String())
	}
}

// ccTLSFiles are a CA, a server certificate and its key (mode keyMode),
// made for the test, to be named ca.crt, server.crt and server.key.
func ccTLSFiles(t *testing.T, keyMode os.FileMode) []ccFile {
	t.Helper()
	ca := tlstest.NewCA(t, "Redoubt check-config CA")
	srv := ca.Issue(t, tlstest.Options{CN: "server"})
	return []ccFile{{"ca.crt", ca.PEM, 0o644}, {"server.crt", srv.CertPEM, 0o644}, {"server.key", srv.KeyPEM, keyMode}}
}

// The TLS-only configurations of the high and paranoid levels: the
// standard one, the plain port off, TLS on with the files of ccTLSFiles.
const (
	ccTLS = "port 0\n" +
		"tls-port 6380\n" +
		"tls-cert-file server.crt\n" +
		"tls-key-file server.key\n" +
		"tls-ca-cert-file ca.crt\n" +
		"tls-protocols \"TLSv1.2 TLSv1.3\"\n"
	ccHigh     = ccStandard + ccTLS + "tls-auth-clients optional\n"
	ccParanoid = ccStandard + ccTLS + "tls-auth-clients yes\n" + "redoubt-audit-log audit.log\n"
)

// failLine matches a failed check's line, capturing its level and name.
var failLine = regexp.MustCompile(`(?m)^\[FAIL\] +(\S+) +(\S+) `)

// TestCheckConfigTLSLevels: configurations with real TLS files reach high
// and paranoid, and no higher; --min-level passes at the level and exits 2
// above it; a weakness of the high level (a TLS key the group may read, TLS
// off, the plain port exposed) drops them below high, a unix socket open to
// all below standard; TLS files the server could not load are refused with
// exit 1.
func TestCheckConfigTLSLevels(t *testing.T) {
	for _, tc := range []struct {
		name    string
		conf    string
		keyMode os.FileMode
		level   string
		failed  []string // the failed checks, as "level name"
	}{
		{"high", ccHigh, 0o600, "high", []string{"paranoid tls-client-certs", "paranoid audit-log"}},
		{"paranoid", ccParanoid, 0o600, "paranoid", nil},
		{"paranoid, key readable by the group", ccParanoid, 0o640, "standard", []string{"high file-modes"}},
		{"paranoid, key readable by all", ccParanoid, 0o644, "standard", []string{"high file-modes"}},
		{"paranoid, plain port exposed", ccParanoid + "port 6379\nbind 10.1.2.3 127.0.0.1\n", 0o600, "standard", []string{"high tls"}},
		{"paranoid, TLS off", ccParanoid + "tls-port 0\n", 0o600, "standard", []string{"high tls"}},
		{"paranoid, unix socket 700", ccParanoid + "unixsocket redoubt.sock\nunixsocketperm 700\n", 0o600, "paranoid", nil},
		{"paranoid, unix socket 777", ccParanoid + "unixsocket redoubt.sock\nunixsocketperm 777\n", 0o600, "basic", []string{"standard unixsocket-perm"}},
		{"high, no client certificates", ccHigh + "tls-auth-clients no\n", 0o600, "high", []string{"paranoid tls-client-certs", "paranoid audit-log"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := ccTLSFiles(t, tc.keyMode)
			out, errOut, code := checkRunFiles(t, tc.conf, files)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d without --min-level; stderr %q\n%s", code, errOut, out)
			}
			m := levelLine.FindStringSubmatch(out)
			if m == nil || m[1] != tc.level {
				t.Fatalf("level %v, want %s:\n%s", m, tc.level, out)
			}
			var failed []string
			for _, f := range failLine.FindAllStringSubmatch(out, -1) {
				failed = append(failed, f[1]+" "+f[2])
			}
			if !slices.Equal(failed, tc.failed) {
				t.Errorf("failed checks %q, want %q:\n%s", failed, tc.failed, out)
			}
			if remedies := regexp.MustCompile(`(?m)^ +remedy: \S`).FindAllString(out, -1); len(remedies) != len(failed) {
				t.Errorf("%d failed checks, %d remedies:\n%s", len(failed), len(remedies), out)
			}
			if _, _, code := checkRunFiles(t, tc.conf, files, "--min-level", tc.level); code != 0 {
				t.Errorf("--min-level %s: exit %d, want 0", tc.level, code)
			}
			if tc.level == "paranoid" {
				if strings.Contains(out, "Next level") {
					t.Errorf("a next level above paranoid:\n%s", out)
				}
				return
			}
			above := map[string]string{"basic": "standard", "standard": "high", "high": "paranoid"}[tc.level]
			out, _, code = checkRunFiles(t, tc.conf, files, "--min-level", above)
			if code != 2 || !strings.Contains(out, "Below the requested level, "+above+".") {
				t.Errorf("--min-level %s: exit %d, want 2:\n%s", above, code, out)
			}
		})
	}
	// TLS files the server could not load: the configuration is refused,
	// not judged.
	other := tlstest.NewCA(t, "Other CA").Issue(t, tlstest.Options{CN: "other"})
	for _, tc := range []struct {
		name  string
		files func([]ccFile) []ccFile
		conf  string
		want  string
	}{
		{"missing key", func(f []ccFile) []ccFile { return f[:2] }, ccParanoid, "server.key"},
		{"key of another certificate", func(f []ccFile) []ccFile {
			return append(f[:2], ccFile{"server.key", other.KeyPEM, 0o600})
		}, ccParanoid, "failed to configure TLS"},
		{"garbage CA", func(f []ccFile) []ccFile { return append(f[1:], ccFile{"ca.crt", []byte("garbage"), 0o644}) }, ccParanoid, "failed to configure TLS"},
		{"TLS 1.1", func(f []ccFile) []ccFile { return f }, ccParanoid + "tls-protocols \"TLSv1.1 TLSv1.2\"\n", "TLSv1.1 is refused"},
	} {
		out, errOut, code := checkRunFiles(t, tc.conf, tc.files(ccTLSFiles(t, 0o600)), "--min-level", "high")
		if code != 1 || !strings.Contains(errOut, "The server would not start with this configuration") ||
			!strings.Contains(errOut, tc.want) || out != "" {
			t.Errorf("%s: exit %d, stderr %q, stdout %q; want 1 and %q", tc.name, code, errOut, out, tc.want)
		}
	}
}
