package server

import (
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redoubt-db/redoubt/acl"
	"github.com/redoubt-db/redoubt/tlsconf"
)

// The security audit (issue 10): SECURITY AUDIT on a running server and
// redoubt-server --check-config FILE on a configuration file judge a
// deployment against the maturity levels of the hardening guides the
// project follows (SECURITY.md §3):
//
//   - basic: a password and nothing more, for development;
//   - standard: ACL users and network restrictions, for internal
//     applications;
//   - high: ACL users, TLS and network restrictions, for production;
//   - paranoid: all of that, plus client certificates and an audit log.
//
// Every check belongs to one level. A deployment reaches a level when no
// check of that level or of a lower one fails, so a configuration is at
// exactly one level, and each failed check says how to remedy it. Both
// entry points build the same auditInput (from the running server, or from
// a server that is set up but never started) and judge it with the same
// checks, so they cannot disagree.
//
// Settings are read through the directive table, as CONFIG GET reads them,
// not through Config fields, so the audit judges what CONFIG GET shows:
// the tls-*, unixsocket and unixsocketperm values the listeners use, and
// dir, which is the working directory.

// Level is a maturity level of the security audit.
type Level int

// The maturity levels, lowest first. LevelNone is below basic.
const (
	LevelNone Level = iota
	LevelBasic
	LevelStandard
	LevelHigh
	LevelParanoid
)

var levelNames = [...]string{"none", "basic", "standard", "high", "paranoid"}

// levelPurposes say what each level is for, as the guides put it.
var levelPurposes = [...]string{
	"below basic: not protected enough even for development",
	"password only, for development",
	"ACL users and network restrictions, for internal applications",
	"ACL users, TLS and network restrictions, for production",
	"high, plus client certificates and an audit log",
}

// String returns the level's name: none, basic, standard, high or paranoid.
func (l Level) String() string {
	if l < LevelNone || l > LevelParanoid {
		return "level(" + strconv.Itoa(int(l)) + ")"
	}
	return levelNames[l]
}

// Purpose says what the level is for.
func (l Level) Purpose() string {
	if l < LevelNone || l > LevelParanoid {
		return ""
	}
	return levelPurposes[l]
}

// ParseLevel returns the level named s (basic, standard, high or paranoid,
// in any case).
func ParseLevel(s string) (Level, bool) {
	for l := LevelBasic; l <= LevelParanoid; l++ {
		if strings.EqualFold(s, levelNames[l]) {
			return l, true
		}
	}
	return LevelNone, false
}

// CheckStatus is the outcome of one audit check.
type CheckStatus string

// Check outcomes. A check that does not apply (the TLS protocols while TLS
// is off) is StatusNotApplicable and never holds a level back.
const (
	StatusPass          CheckStatus = "pass"
	StatusFail          CheckStatus = "fail"
	StatusNotApplicable CheckStatus = "n/a"
)

// CheckResult is the outcome of one check of the security audit.
type CheckResult struct {
	// Name identifies the check ("default-user-nopass").
	Name string
	// Level is the level the check belongs to: a failure keeps the
	// deployment below it.
	Level Level
	// Title says what the check asks for.
	Title string
	// Status is pass, fail or n/a.
	Status CheckStatus
	// Found says what the check found, in a sentence.
	Found string
	// Remedy says how to pass the check; set only when it failed.
	Remedy string
}

// AuditReport is the result of a security audit.
type AuditReport struct {
	// Level is the highest level whose checks, and those of every lower
	// level, all passed or did not apply.
	Level Level
	// Checks are every check's result, by level and then in a fixed order.
	Checks []CheckResult
}

// Failed returns the failed checks.
func (r *AuditReport) Failed() []CheckResult {
	var out []CheckResult
	for _, c := range r.Checks {
		if c.Status == StatusFail {
			out = append(out, c)
		}
	}
	return out
}

// Text formats the report for a terminal: one line per check, the remedy
// under each failure, then the level reached and what the next one needs.
func (r *AuditReport) Text() string {
	var b strings.Builder
	width := 0
	for _, c := range r.Checks {
		width = max(width, len(c.Name))
	}
	for _, c := range r.Checks {
		status := "pass"
		switch c.Status {
		case StatusFail:
			status = "FAIL"
		case StatusNotApplicable:
			status = "n/a "
		}
		fmt.Fprintf(&b, "[%s] %-8s  %-*s  %s\n", status, c.Level, width, c.Name, c.Found)
		if c.Status == StatusFail {
			fmt.Fprintf(&b, "       %-8s  %-*s  remedy: %s\n", "", width, "", c.Remedy)
		}
	}
	fmt.Fprintf(&b, "\nLevel reached: %s (%s).\n", r.Level, r.Level.Purpose())
	if r.Level < LevelParanoid {
		next := r.Level + 1
		var names []string
		for _, c := range r.Checks {
			if c.Status == StatusFail && c.Level == next {
				names = append(names, c.Name)
			}
		}
		fmt.Fprintf(&b, "Next level, %s (%s), needs: %s.\n", next, next.Purpose(), strings.Join(names, ", "))
	}
	return b.String()
}

// auditInput is everything the checks judge, gathered from a running
// server (Server.auditInput) or from a configuration (CheckConfig).
type auditInput struct {
	cfg   Config
	users []*acl.User
	cat   *acl.Catalog
	// weak maps the SHA-256 (hex) of passwords judged weak when they were
	// set to the reason (weakHashes).
	weak map[string]string
	// euid is the effective user id the server runs as (offline: the
	// user running the check).
	euid    int
	offline bool
	stat    func(string) (fs.FileInfo, error)
}

// directive returns the value of the directive called name as CONFIG GET
// reports it, or "" if there is no such directive.
func (in *auditInput) directive(name string) string {
	e, ok := lookupDirective(name)
	if !ok {
		return ""
	}
	return e.d.valueOf(&in.cfg)
}

// auditInput gathers what the audit of the running server judges.
func (s *Server) auditInput() *auditInput {
	return &auditInput{
		cfg:   s.configSnapshot(),
		users: s.allUsers(),
		cat:   s.aclCatalog(),
		weak:  s.weakHashes.snapshot(),
		euid:  os.Geteuid(),
		stat:  os.Stat,
	}
}

// SecurityAudit audits the running server: its users as they are now, its
// configuration as CONFIG GET reports it, the modes of its files and the
// user it runs as.
func (s *Server) SecurityAudit() *AuditReport { return judge(s.auditInput()) }

// CheckConfig audits a configuration without starting a server (as
// ParseArgs returns it): it sets up the users as New would (requirepass,
// "user" lines or the ACL file), and judges them and the configuration as
// SECURITY AUDIT judges a running server, with the user calling it as the
// user the server would run as. A configuration New would refuse returns
// New's error.
func CheckConfig(cfg Config) (*AuditReport, error) {
	in, err := offlineAuditInput(cfg)
	if err != nil {
		return nil, err
	}
	return judge(in), nil
}

// offlineAuditInput sets up, without listening, logging or opening any
// file but the ACL file and the TLS files, the users New would start with,
// loads the TLS certificates and keys as New would (so a configuration
// whose TLS New would refuse is refused here too), and returns the audit
// input of that configuration.
func offlineAuditInput(cfg Config) (*auditInput, error) {
	initCommands()
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if _, err := newCommandNames(commands, cfg.commandOptions()); err != nil {
		return nil, err
	}
	log, err := newLogger(Config{LogLevel: "warning"}) // discards
	if err != nil {
		return nil, err
	}
	s := &Server{log: log, cfg: cfg}
	s.initUsers()
	if cfg.RequirePass != "" {
		s.applyRequirePass(cfg.RequirePass, "requirepass")
	}
	if err := s.loadUsersAtStartup(&cfg); err != nil {
		return nil, err
	}
	if open := s.exposedUnprotected(cfg); open != "" {
		return nil, fmt.Errorf("server: "+msgExposedUnprotected, open)
	}
	if cfg.TLSPort != 0 {
		if _, err := tlsconf.Load(tlsOf(&cfg), time.Now()); err != nil {
			return nil, fmt.Errorf("server: failed to configure TLS: %w", err)
		}
	}
	in := s.auditInput()
	in.offline = true
	return in, nil
}

// weakHashes remembers which passwords were judged weak when they were set
// (warnWeakSecret), by their SHA-256, since the users keep nothing else:
// the audit then finds a user whose current password is one of them. Its
// lock is a leaf: nothing else is locked while it is held, so note may be
// called under any other lock.
type weakHashes struct {
	mu sync.Mutex
	m  map[string]string // hex SHA-256 → why it is weak
}

// maxWeakHashes bounds the record: past it, an arbitrary old entry makes
// room, so that a client setting weak passwords in a loop cannot grow it.
const maxWeakHashes = 1024

func (w *weakHashes) note(password []byte, why string) {
	h := acl.HashPassword(string(password))
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		w.m = map[string]string{}
	}
	if _, ok := w.m[h]; !ok && len(w.m) >= maxWeakHashes {
		for k := range w.m {
			delete(w.m, k)
			break
		}
	}
	w.m[h] = why
}

func (w *weakHashes) snapshot() map[string]string {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := make(map[string]string, len(w.m))
	for k, v := range w.m {
		m[k] = v
	}
	return m
}

// sampleHashes are the SHA-256 of the sample passwords, as written and in
// capitals: passwords loaded as "#hash" lines can only be compared with
// these.
var sampleHashes = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, s := range sampleSecrets {
		m[acl.HashPassword(s)] = true
		m[acl.HashPassword(strings.ToUpper(s))] = true
	}
	return m
})

// dangerousCommands are the commands the issue names: open to a user who
// is not an administrator, each can destroy data, reconfigure the server,
// stop it, or read every key or command.
var dangerousCommands = []struct{ name, acl string }{
	{"flushall", "flushall"}, {"flushdb", "flushdb"}, {"config", "config|set"},
	{"debug", "debug"}, {"keys", "keys"}, {"shutdown", "shutdown"}, {"monitor", "monitor"},
}

// judge runs every check on in, in level order, and computes the level.
func judge(in *auditInput) *AuditReport {
	a := auditor{in: in}
	a.prepare()
	checks := []func() CheckResult{
		a.checkDefaultNoPass, a.checkWeakPasswords, a.checkProtectedMode,
		a.checkBind, a.checkDefaultRestricted, a.checkNoPassUsers, a.checkDangerous,
		a.checkProtectedActions, a.checkUnixSocket, a.checkRoot,
		a.checkTLS, a.checkTLSProtocols, a.checkSuperusers, a.checkFileModes, a.checkThrottle,
		a.checkClientCerts, a.checkAuditLog,
	}
	r := &AuditReport{Level: LevelParanoid}
	for _, check := range checks {
		c := check()
		if c.Status != StatusFail {
			c.Remedy = ""
		} else if c.Level-1 < r.Level {
			r.Level = c.Level - 1
		}
		r.Checks = append(r.Checks, c)
	}
	return r
}

// auditor holds what several checks share.
type auditor struct {
	in      *auditInput
	enabled []*acl.User // users that can log in
	admin   []int       // ids of the @admin commands
	def     *acl.User
	admins  map[*acl.User]bool // isAdmin's answers
}

func (a *auditor) prepare() {
	for _, u := range a.in.users {
		if u.Name == defaultUser {
			a.def = u
		}
		if u.Enabled() {
			a.enabled = append(a.enabled, u)
		}
	}
	for _, name := range a.in.cat.CommandsIn(acl.Admin) {
		if id, ok := a.in.cat.ID(name); ok {
			a.admin = append(a.admin, id)
		}
	}
}

// may reports whether u may run the command (or subcommand) called name,
// with any keys.
func (a *auditor) may(u *acl.User, name string) bool {
	id, ok := a.in.cat.ID(name)
	if !ok {
		return false
	}
	res, _ := u.Check(&acl.Request{ID: id})
	return res == acl.Allowed
}

// isAdmin reports whether u may run every @admin command: an administrator,
// to whom the dangerous commands are meant to be open.
func (a *auditor) isAdmin(u *acl.User) bool {
	if is, ok := a.admins[u]; ok {
		return is
	}
	is := true
	for _, id := range a.admin {
		if res, _ := u.Check(&acl.Request{ID: id}); res != acl.Allowed {
			is = false
			break
		}
	}
	if a.admins == nil {
		a.admins = map[*acl.User]bool{}
	}
	a.admins[u] = is
	return is
}

// isSuperuser reports whether u may run every command on every key.
func (a *auditor) isSuperuser(u *acl.User) bool {
	for id := range a.in.cat.Len() {
		if res, _ := u.Check(&acl.Request{ID: id}); res != acl.Allowed {
			return false
		}
	}
	root, sels := u.Describe()
	for _, d := range append([]acl.SelectorDescription{root}, sels...) {
		if slices.Contains(strings.Fields(d.Keys), "~*") {
			return true
		}
	}
	return false
}

// result builds a check's result.
func result(name string, level Level, title string, ok bool, found, remedy string) CheckResult {
	st := StatusPass
	if !ok {
		st = StatusFail
	}
	return CheckResult{Name: name, Level: level, Title: title, Status: st, Found: found, Remedy: remedy}
}

func notApplicable(name string, level Level, title, found string) CheckResult {
	return CheckResult{Name: name, Level: level, Title: title, Status: StatusNotApplicable, Found: found}
}

// quoteNames lists user names for a sentence.
func quoteNames(users []string) string {
	q := make([]string, len(users))
	for i, u := range users {
		q[i] = quotedName(u)
	}
	return strings.Join(q, ", ")
}

// Basic.

func (a *auditor) checkDefaultNoPass() CheckResult {
	const name, title = "default-user-nopass", "the default user needs a password (or is off)"
	ok := a.def == nil || !a.def.Enabled() || !a.def.NoPass()
	found := "the default user needs a password"
	switch {
	case a.def != nil && !a.def.Enabled():
		found = "the default user is off"
	case !ok:
		found = "the default user is on with nopass: every connection is logged in as it, with all its permissions, and no password"
	}
	return result(name, LevelBasic, title, ok, found,
		`give it a long random password: requirepass <the output of ACL GENPASS> (or "user default on >PASSWORD"), or turn it off with "user default off" and log in as named ACL users`)
}

func (a *auditor) checkWeakPasswords() CheckResult {
	const name, title = "weak-passwords", "no user has a sample, short or guessable password"
	var weak []string
	for _, u := range a.enabled {
		nameHash := acl.HashPassword(u.Name)
		for _, h := range u.PasswordHashes() {
			why, ok := a.in.weak[h]
			switch {
			case ok:
			case sampleHashes()[h]:
				why = "it is a well-known sample password"
			case h == nameHash:
				why = "it is the user's name"
			default:
				continue
			}
			weak = append(weak, quotedName(u.Name)+" ("+why+")")
			break
		}
	}
	found := "no password known to be weak (passwords given as #hash are compared with the sample list only)"
	if len(weak) > 0 {
		found = "weak passwords: " + strings.Join(weak, "; ")
	}
	return result(name, LevelBasic, title, len(weak) == 0, found,
		"replace each by a long random password (ACL GENPASS makes one of 256 bits): ACL SETUSER <user> resetpass >NEW, or requirepass NEW for the default user, and update the clients")
}

func (a *auditor) checkProtectedMode() CheckResult {
	const name, title = "protected-mode", "protected mode is on"
	ok := !a.in.cfg.InsecureDisableProtectedMode
	found := "protected-mode yes: if the default user ever loses its password, only local clients are served"
	if !ok {
		found = "protected-mode no: should the default user lose its password, every client that reaches the port is served"
	}
	return result(name, LevelBasic, title, ok, found, "protected-mode yes")
}

// Standard.

// wildcardAddr reports whether a bind address means every address.
func wildcardAddr(b string) bool {
	switch strings.TrimPrefix(b, "-") {
	case "*", "::*", "0.0.0.0", "::":
		return true
	}
	return false
}

func (a *auditor) checkBind() CheckResult {
	const name, title = "bind", "the server listens only on the addresses its clients use"
	cfg := &a.in.cfg
	_, tls := a.tlsOn()
	if cfg.Port == PortDisabled && !tls || len(cfg.Bind) == 0 {
		return result(name, LevelStandard, title, true, "no TCP listener", "")
	}
	var wild []string
	for _, b := range cfg.Bind {
		if wildcardAddr(b) {
			wild = append(wild, strings.TrimPrefix(b, "-"))
		}
	}
	bind := strings.Join(cfg.Bind, " ")
	if len(wild) > 0 {
		return result(name, LevelStandard, title, false,
			fmt.Sprintf("bind %s: listening on every address (%s) of every interface", bind, strings.Join(wild, " ")),
			"bind only the addresses clients use, e.g. bind 127.0.0.1 -::1 10.0.0.5, and firewall the port from everything else")
	}
	return result(name, LevelStandard, title, true, "bind "+bind, "")
}

func (a *auditor) checkDefaultRestricted() CheckResult {
	const name, title = "default-user-restricted", "the default user is off or limited, and clients log in as named ACL users"
	ok := a.def == nil || !a.def.Enabled() || !a.isSuperuser(a.def)
	found := "the default user may not run every command on every key"
	switch {
	case a.def != nil && !a.def.Enabled():
		found = "the default user is off"
	case !ok:
		found = "the default user is on and may run every command on every key: one shared password guards everything"
	}
	return result(name, LevelStandard, title, ok, found,
		`give each application its own user with only what it needs (user app on >PASSWORD ~app:* +@all -@dangerous), an administrator its own, and turn the default user off: user default off`)
}

func (a *auditor) checkNoPassUsers() CheckResult {
	const name, title = "nopass-users", "every named user needs a password"
	var open []string
	for _, u := range a.enabled {
		if u.Name != defaultUser && u.NoPass() {
			open = append(open, u.Name)
		}
	}
	found := "no named user logs in without a password"
	if len(open) > 0 {
		found = "users that log in with any password: " + quoteNames(open)
	}
	return result(name, LevelStandard, title, len(open) == 0, found,
		"ACL SETUSER <user> resetpass >PASSWORD (ACL GENPASS makes one), or turn the user off")
}

// renamedTo follows the rename-command lines from a command's name: the
// name it is called by now, "" if it was removed.
func renamedTo(renames []CommandRename, name string) string {
	cur := name
	for _, r := range renames {
		if strings.EqualFold(r.From, cur) {
			cur = r.To
			if cur == "" {
				return ""
			}
		}
	}
	return cur
}

func (a *auditor) checkDangerous() CheckResult {
	const name, title = "dangerous-commands", "FLUSHALL, FLUSHDB, CONFIG, DEBUG, KEYS, SHUTDOWN and MONITOR are open to administrators only, or renamed"
	debug := a.in.cfg.EnableDebugCommand
	var open, closed []string
	for _, d := range dangerousCommands {
		now := renamedTo(a.in.cfg.RenameCommands, d.name)
		switch {
		case now == "":
			closed = append(closed, d.name+" removed")
			continue
		case !strings.EqualFold(now, d.name):
			closed = append(closed, d.name+" renamed")
			continue
		case d.name == "debug" && debug != AllowYes:
			closed = append(closed, "debug refused (enable-debug-command "+allowanceNames[debug]+")")
			continue
		}
		var who []string
		for _, u := range a.enabled {
			if a.may(u, d.acl) && !a.isAdmin(u) {
				who = append(who, u.Name)
			}
		}
		if len(who) > 0 {
			open = append(open, strings.ToUpper(d.name)+" to "+quoteNames(who))
		}
	}
	if len(open) > 0 {
		return result(name, LevelStandard, title, false,
			"open to users who are not administrators: "+strings.Join(open, "; "),
			`take them from those users (ACL SETUSER <user> -@dangerous, or -flushall -flushdb -config -debug -keys -shutdown -monitor), or remove them for everybody: rename-command FLUSHALL ""`)
	}
	found := "only administrators (users allowed every @admin command) may run them"
	if len(closed) > 0 {
		found += "; " + strings.Join(closed, ", ")
	}
	return result(name, LevelStandard, title, true, found, "")
}

func (a *auditor) checkProtectedActions() CheckResult {
	const name, title = "protected-actions", "DEBUG, MODULE and CONFIG SET dir/dbfilename are not allowed to every client"
	cfg := &a.in.cfg
	var yes []string
	for _, p := range []struct {
		name string
		a    Allowance
	}{{"enable-debug-command", cfg.EnableDebugCommand}, {"enable-module-command", cfg.EnableModuleCommand},
		{"enable-protected-configs", cfg.EnableProtectedConfigs}} {
		if p.a == AllowYes {
			yes = append(yes, p.name+" yes")
		}
	}
	if len(yes) > 0 {
		return result(name, LevelStandard, title, false, strings.Join(yes, ", ")+": any client allowed the command may use it (CONFIG SET dir then SAVE writes files anywhere)",
			"set each to no (the default), or to local when it is needed from this host only")
	}
	return result(name, LevelStandard, title, true, "enable-debug-command, enable-module-command and enable-protected-configs are no or local", "")
}

func (a *auditor) checkUnixSocket() CheckResult {
	const name, title = "unixsocket-perm", "the unix socket is closed to other users"
	path := a.in.directive("unixsocket")
	if path == "" {
		return notApplicable(name, LevelStandard, title, "no unix socket")
	}
	v := a.in.directive("unixsocketperm")
	perm, err := strconv.ParseUint(v, 8, 32)
	switch {
	case err != nil:
		return result(name, LevelStandard, title, false, fmt.Sprintf("unixsocketperm %q is not an octal mode", v), "unixsocketperm 700 (or 770 for a group of trusted users)")
	case perm == 0:
		return result(name, LevelStandard, title, false, "unixsocket "+path+" without unixsocketperm: the umask decides who may connect",
			"unixsocketperm 700 (or 770 for a group of trusted users)")
	case perm&0o007 != 0:
		return result(name, LevelStandard, title, false, fmt.Sprintf("unixsocketperm %o: every local user may connect", perm),
			"unixsocketperm 700 (or 770 for a group of trusted users)")
	}
	return result(name, LevelStandard, title, true, fmt.Sprintf("unixsocket %s, unixsocketperm %o", path, perm), "")
}

func (a *auditor) checkRoot() CheckResult {
	const name, title = "not-root", "the server does not run as root"
	who := "the server runs"
	if a.in.offline {
		who = "this check runs (as the server would, started by the same user)"
	}
	if a.in.euid == 0 {
		return result(name, LevelStandard, title, false, who+" as root: a flaw in it, or CONFIG SET dir with SAVE, can take the whole host",
			"run it as a dedicated unprivileged user (e.g. redis): User=redis in its systemd unit, or start it with runuser/su")
	}
	return result(name, LevelStandard, title, true, fmt.Sprintf("%s as user id %d", who, a.in.euid), "")
}

// High.

// tlsOn reports whether a TLS port is configured.
func (a *auditor) tlsOn() (string, bool) {
	p := a.in.directive("tls-port")
	return p, p != "" && p != "0"
}

func (a *auditor) checkTLS() CheckResult {
	const name, title = "tls", "clients from other hosts reach the server over TLS only"
	cfg := &a.in.cfg
	port, on := a.tlsOn()
	plainExposed := ""
	if cfg.Port != PortDisabled {
		plainExposed = exposedAddr(cfg.Bind)
	}
	switch {
	case !on:
		return result(name, LevelHigh, title, false, "TLS is off (tls-port 0): passwords and data cross the network in clear",
			"tls-port 6379 with tls-cert-file, tls-key-file and tls-ca-cert-file, and port 0 (or the plain port bound to 127.0.0.1 only)")
	case plainExposed != "":
		return result(name, LevelHigh, title, false,
			fmt.Sprintf("tls-port %s, but the plain port %d also listens on %s", port, cfg.Port, plainExposed),
			"port 0, or bind the plain port to loopback addresses only")
	}
	found := "tls-port " + port + ", no plain TCP port"
	if cfg.Port != PortDisabled {
		found = fmt.Sprintf("tls-port %s; the plain port %d listens on loopback only", port, cfg.Port)
	}
	return result(name, LevelHigh, title, true, found, "")
}

func (a *auditor) checkTLSProtocols() CheckResult {
	const name, title = "tls-protocols", "TLS 1.0 and 1.1 are refused"
	if _, on := a.tlsOn(); !on {
		return notApplicable(name, LevelHigh, title, "TLS is off")
	}
	v := a.in.directive("tls-protocols")
	var old []string
	for _, p := range strings.Fields(v) {
		if strings.EqualFold(p, "TLSv1") || strings.EqualFold(p, "TLSv1.1") {
			old = append(old, p)
		}
	}
	if len(old) > 0 {
		return result(name, LevelHigh, title, false, "tls-protocols \""+v+"\" allows "+strings.Join(old, " "),
			`tls-protocols "TLSv1.2 TLSv1.3" (the default)`)
	}
	if v == "" {
		v = "TLSv1.2 TLSv1.3 (the default)"
	}
	return result(name, LevelHigh, title, true, "tls-protocols "+v, "")
}

func (a *auditor) checkSuperusers() CheckResult {
	const name, title = "unrestricted-users", "at most one user (the administrator) may run every command on every key"
	var su []string
	for _, u := range a.enabled {
		if a.isSuperuser(u) {
			su = append(su, u.Name)
		}
	}
	if len(su) > 1 {
		return result(name, LevelHigh, title, false, "users without key or command restrictions: "+quoteNames(su),
			"keep one administrator; give the others only the keys and commands they need: ACL SETUSER <user> resetkeys ~app:* -@all +@read +@write -@dangerous")
	}
	found := "no user without key or command restrictions"
	if len(su) == 1 {
		found = "one administrator without restrictions: " + quotedName(su[0])
	}
	return result(name, LevelHigh, title, true, found, "")
}

// fileRule is one file the file-modes check looks at.
type fileRule struct {
	what, path string
	deny       fs.FileMode // permission bits the file must not have
	why        string
}

func (a *auditor) checkFileModes() CheckResult {
	const name, title = "file-modes", "the config file, ACL file, TLS key, data directory and audit log are private to the server's user"
	rules := []fileRule{
		{"config file", a.in.cfg.ConfigFile, 0o027, "it may hold passwords, and whoever writes it runs the server's configuration"},
		{"aclfile", a.in.cfg.ACLFile, 0o027, "it holds the users and their password hashes"},
		{"tls-key-file", a.in.directive("tls-key-file"), 0o077, "it is the server's private key"},
		{"dir", a.in.directive("dir"), 0o027, "it holds the data"},
		{"redoubt-audit-log", a.in.cfg.AuditLog, 0o077, "it is the audit trail"},
	}
	var bad, good []string
	for _, r := range rules {
		if r.path == "" {
			continue
		}
		fi, err := a.in.stat(r.path)
		if err != nil {
			if r.what == "redoubt-audit-log" && os.IsNotExist(err) {
				continue // created 0600 at start
			}
			bad = append(bad, fmt.Sprintf("%s %s: %v", r.what, r.path, err))
			continue
		}
		mode := fi.Mode().Perm()
		if extra := mode & r.deny; extra != 0 {
			bad = append(bad, fmt.Sprintf("%s %s has mode %04o: %s to the group or others (%s)", r.what, r.path, mode, accessWords(extra), r.why))
			continue
		}
		if !a.in.offline {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != a.in.euid && st.Uid != 0 {
				bad = append(bad, fmt.Sprintf("%s %s is owned by user id %d, neither the server's user (%d) nor root", r.what, r.path, st.Uid, a.in.euid))
				continue
			}
		}
		good = append(good, fmt.Sprintf("%s %04o", r.what, mode))
	}
	if len(bad) > 0 {
		return result(name, LevelHigh, title, false, strings.Join(bad, "; "),
			"chown them to the server's user; chmod 600 the files (640 at most for the config and ACL files) and 700 the directory (750 at most)")
	}
	return result(name, LevelHigh, title, true, strings.Join(good, ", "), "")
}

// accessWords names the permission bits of extra.
func accessWords(extra fs.FileMode) string {
	var w []string
	if extra&0o222 != 0 {
		w = append(w, "writable")
	}
	if extra&0o444 != 0 {
		w = append(w, "readable")
	}
	if extra&0o111 != 0 && extra&0o666 == 0 {
		w = append(w, "searchable")
	}
	return strings.Join(w, " and ")
}

func (a *auditor) checkThrottle() CheckResult {
	const name, title = "auth-throttling", "failed logins are throttled"
	t := a.in.cfg.authThrottle()
	if t.InsecureDisable {
		return result(name, LevelHigh, title, false, "redoubt-auth-throttle no: a client may try passwords as fast as the server answers",
			"redoubt-auth-throttle yes (the default)")
	}
	found := fmt.Sprintf("throttled after %d failures", t.After)
	if t.LockoutAfter > 0 {
		found += fmt.Sprintf(", locked out after %d", t.LockoutAfter)
	}
	return result(name, LevelHigh, title, true, found, "")
}

// Paranoid.

func (a *auditor) checkClientCerts() CheckResult {
	const name, title = "tls-client-certs", "TLS clients must present a certificate"
	if _, on := a.tlsOn(); !on {
		return notApplicable(name, LevelParanoid, title, "TLS is off")
	}
	switch v := a.in.directive("tls-auth-clients"); v {
	case "yes":
		return result(name, LevelParanoid, title, true, "tls-auth-clients yes", "")
	case "optional":
		return result(name, LevelParanoid, title, false,
			"tls-auth-clients optional: a client without a certificate is served, and a user meant for certificate logins may log in without one (redis issue #14638)",
			"tls-auth-clients yes, with tls-ca-cert-file naming your clients' CA")
	default:
		return result(name, LevelParanoid, title, false, "tls-auth-clients "+v+": client certificates are not asked for",
			"tls-auth-clients yes, with tls-ca-cert-file naming your clients' CA")
	}
}

func (a *auditor) checkAuditLog() CheckResult {
	const name, title = "audit-log", "security events are written to an audit log"
	if a.in.cfg.AuditLog == "" {
		return result(name, LevelParanoid, title, false, "no audit log: logins, ACL and configuration changes leave no trail beyond the 128 entries of ACL LOG",
			"redoubt-audit-log /var/log/redoubt/audit.log (a directory only the server's user may write)")
	}
	return result(name, LevelParanoid, title, true, "redoubt-audit-log "+a.in.cfg.AuditLog, "")
}
