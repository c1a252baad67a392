package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/redoubt-db/redoubt/acl"
)

// The ACL file (the "aclfile" directive): one "user <name> <rules…>" line
// per user, as ACL LIST prints them. ACL LOAD and the start-up read it with
// Redis 7.0.15's rules and error texts (ACLLoadFromFile): every line is
// checked, every error is reported, and if there is any the file changes
// nothing. ACL SAVE writes it atomically, with mode 0600.

// maxACLFileBytes bounds the ACL file read (Redis reads any size): 10,000
// users of long rules fit in a few megabytes.
const maxACLFileBytes = 64 << 20

// Texts of ACL file errors, in Redis 7.0.15's words. Each names the file as
// configured and the line.
const (
	msgACLFileOpen       = "Error loading ACLs, opening file '%s': %s"
	msgACLFileNotUser    = "%s:%d should start with user keyword followed by the username. "
	msgACLFileBadName    = "'%s:%d: username '%s' contains invalid characters. "
	msgACLFileDuplicate  = "WARNING: Duplicate user '%s' found on line %d. "
	msgACLFileUnmatched  = "%s:%d: Unmatched parenthesis in selector definition."
	msgACLFileUnknownOp  = "%s:%d: Error in applying operation '%s': %s. "
	msgACLFileRuleError  = "%s:%d: %s. "
	msgACLFileRolledBack = "WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
	// Redoubt's own: Redis reads a NUL byte as the end of a piece of the
	// line and silently drops the rest of it.
	msgACLFileNUL = "%s:%d: the line holds a NUL byte. "
	// Redoubt's own: Redis reads a file of any size.
	msgACLFileTooBig = "Error loading ACLs, file '%s' is larger than %d bytes"
)

// aclReasonUnknown is the reason package acl gives a rule naming a command
// or category that does not exist, which Redis reports with the rule
// itself (it holds no secret); other reasons are reported without the rule.
const aclReasonUnknown = "Unknown command or category name in ACL"

// readACLFile reads the ACL file path, bounded by maxACLFileBytes. The
// error is the text ACL LOAD replies (without "ERR ").
func readACLFile(path string) ([]byte, string) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Sprintf(msgACLFileOpen, path, errnoText(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxACLFileBytes+1))
	if err != nil {
		return nil, fmt.Sprintf(msgACLFileOpen, path, errnoText(err))
	}
	if len(data) > maxACLFileBytes {
		return nil, fmt.Sprintf(msgACLFileTooBig, path, maxACLFileBytes)
	}
	return data, ""
}

// errnoText is the C library's text of an operating system error
// ("No such file or directory"), or the error's own text.
func errnoText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		err = le.Err
	}
	s := err.Error()
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

// parseACLFile parses the text of an ACL file into users, as Redis's
// ACLLoadFromFile: name is the file as configured, used in messages; new
// users start as ACL SETUSER creates them (channels as pubsubAll says),
// and when the file does not define "default" it is added as Redis creates
// it at start-up. The users are in the file's order. On any error the
// users are nil and the text lists every error found, as Redis words it.
func parseACLFile(cat *acl.Catalog, pubsubAll bool, name string, data []byte) ([]*acl.User, string) {
	var errs strings.Builder
	var users []*acl.User
	seen := map[string]bool{}
	lines := bytes.Split(data, []byte("\n"))
	for i, raw := range lines {
		num := i + 1
		line := strings.Trim(string(raw), " \t\r\n")
		if line == "" {
			continue
		}
		if strings.IndexByte(line, 0) >= 0 {
			fmt.Fprintf(&errs, msgACLFileNUL, name, num)
			continue
		}
		// Redis splits on single spaces: quotes mean nothing, and two
		// spaces make an empty rule, which does nothing.
		argv := strings.Split(line, " ")
		if argv[0] != "user" || len(argv) < 2 {
			fmt.Fprintf(&errs, msgACLFileNotUser, name, num)
			continue
		}
		uname := argv[1]
		if !acl.ValidUsername(uname) {
			fmt.Fprintf(&errs, msgACLFileBadName, name, num, uname)
			continue
		}
		if seen[uname] {
			fmt.Fprintf(&errs, msgACLFileDuplicate, uname, num)
			continue
		}
		seen[uname] = true
		u := cat.NewUser(uname, pubsubAll)
		rules, err := acl.MergeSelectors(argv[2:])
		if err != nil {
			errs.WriteString(fmt.Sprintf(msgACLFileUnmatched, name, num))
			continue
		}
		ruleError := false
		for _, r := range rules {
			r = strings.Trim(r, "\t\r\n")
			err := u.SetRules([]string{r})
			if err == nil {
				continue
			}
			var re *acl.RuleError
			reason := err.Error()
			if errors.As(err, &re) {
				reason = re.Reason
			}
			if reason == aclReasonUnknown {
				fmt.Fprintf(&errs, msgACLFileUnknownOp, name, num, r, reason)
			} else if !ruleError {
				fmt.Fprintf(&errs, msgACLFileRuleError, name, num, reason)
				ruleError = true
			}
		}
		users = append(users, u)
	}
	if errs.Len() > 0 {
		errs.WriteString(msgACLFileRolledBack)
		return nil, errs.String()
	}
	if !seen["default"] {
		users = append(users, cat.NewDefaultUser(pubsubAll))
	}
	return users, ""
}

// aclFileText is the text ACL SAVE writes: every user, in name order, as
// ACL LIST prints it.
func aclFileText(users []*acl.User) []byte {
	var b bytes.Buffer
	for _, u := range users {
		b.WriteString("user ")
		b.WriteString(u.Name)
		b.WriteByte(' ')
		b.WriteString(u.String())
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// writeACLFile replaces path with data atomically, as Redis's ACLSaveToFile
// but with mode 0600 (Redis creates it 0644: the file holds password
// hashes) and with fsyncs: a temporary file beside it, written, synced,
// renamed over path, then the directory synced. It returns the step that
// failed and why, for the log.
func writeACLFile(path string, data []byte) (string, error) {
	tmp := fmt.Sprintf("%s.tmp-%d-%d", path, os.Getpid(), time.Now().UnixMilli())
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "Opening temp ACL file for ACL SAVE", err
	}
	step := ""
	if _, err = f.Write(data); err != nil {
		step = "Writing ACL file for ACL SAVE"
	} else if err = f.Sync(); err != nil {
		step = "Syncing ACL file for ACL SAVE"
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		step, err = "Writing ACL file for ACL SAVE", cerr
	}
	if err == nil {
		if err = os.Rename(tmp, path); err != nil {
			step = "Renaming ACL file for ACL SAVE"
		}
	}
	if err != nil {
		os.Remove(tmp)
		return step, err
	}
	if d, derr := os.Open(filepath.Dir(path)); derr == nil {
		derr = d.Sync()
		d.Close()
		if derr != nil {
			return "Syncing the directory of the ACL file for ACL SAVE", derr
		}
	}
	return "", nil
}

// Start-up texts, in Redis 7.0.15's words (ACLLoadUsersAtStartup).
const (
	msgACLFileAndUsers = "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both."
	msgACLUserSpaces   = "Spaces not allowed in ACL usernames"
	msgACLUserRule     = "Error loading ACL rule '%s' for the user named '%s': %s"
	msgACLCritical     = "Critical error while loading ACLs. Exiting."
	msgACLStartupFile  = "Aborting Redis startup because of ACL errors: %s"
	msgACLUserDisabled = "The user '%s' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error."
	// The reason a config file's user line is refused, with the argument
	// Redis names and why.
	msgACLUserDecl      = "Error in user declaration '%s': %s"
	msgACLUserDuplicate = "Duplicate user found. A user can only be defined once in config files"
)

// loadUsersAtStartup applies the configuration's users, as Redis's
// ACLLoadUsersAtStartup after the default user and requirepass are set:
// the "user" lines (the default user is reset first, any other is created
// off), or the ACL file. An error stops the server; it has been logged.
func (s *Server) loadUsersAtStartup(cfg *Config) error {
	if cfg.ACLFile != "" && len(cfg.ACLUsers) > 0 {
		s.log.logf(levelWarning, "%s", msgACLFileAndUsers)
		return errors.New(msgACLFileAndUsers)
	}
	if len(cfg.ACLUsers) > 0 {
		users, msg := s.configuredUsers(cfg)
		if msg != "" {
			s.log.logf(levelWarning, "%s", msg)
			s.log.logf(levelWarning, "%s", msgACLCritical)
			return errors.New(msg)
		}
		for _, line := range cfg.ACLUsers {
			if len(line) > 0 {
				s.warnWeakRules("user", line[0], line[1:]) // authhooks.go
			}
		}
		s.replaceUsers(users)
	}
	if cfg.ACLFile != "" {
		data, msg := readACLFile(cfg.ACLFile)
		var users []*acl.User
		if msg == "" {
			users, msg = parseACLFile(s.aclCatalog(), cfg.ACLPubsubDefaultAll, cfg.ACLFile, data)
		}
		if msg != "" {
			text := fmt.Sprintf(msgACLStartupFile, msg)
			s.log.logf(levelWarning, "%s", text)
			return errors.New(text)
		}
		s.warnWeakFile(cfg.ACLFile, data) // authhooks.go
		s.replaceUsers(users)
	}
	return nil
}

// configuredUsers builds the users of cfg.ACLUsers onto the registry's
// current ones, or returns the error to log.
func (s *Server) configuredUsers(cfg *Config) ([]*acl.User, string) {
	cat := s.aclCatalog()
	byName := map[string]*acl.User{}
	for _, u := range s.allUsers() {
		byName[u.Name] = u
	}
	for _, line := range cfg.ACLUsers {
		if len(line) == 0 {
			continue
		}
		name := line[0]
		if !acl.ValidUsername(name) {
			return nil, msgACLUserSpaces
		}
		// A new user starts off with nothing; the default user starts
		// from "reset", which leaves what a new user has but the
		// sanitize-payload flag.
		u := cat.NewUser(name, cfg.ACLPubsubDefaultAll)
		if name == defaultUser {
			if err := u.SetRules([]string{"reset"}); err != nil {
				return nil, err.Error()
			}
		}
		rules, err := acl.MergeSelectors(line[1:])
		if err != nil {
			return nil, fmt.Sprintf(msgACLUserRule, redactedRule(err.(*acl.UnmatchedError).Rule), name, "Syntax error")
		}
		for _, r := range rules {
			if err := u.SetRules([]string{r}); err != nil {
				return nil, fmt.Sprintf(msgACLUserRule, redactedRule(r), name, ruleReason(err))
			}
		}
		if !u.Enabled() {
			s.log.logf(levelNotice, msgACLUserDisabled, name)
		}
		byName[name] = u
	}
	users := make([]*acl.User, 0, len(byName))
	for _, u := range byName {
		users = append(users, u)
	}
	return users, ""
}

// ruleReason is the reason a single rule was refused, Redis's text.
func ruleReason(err error) string {
	var re *acl.RuleError
	if errors.As(err, &re) {
		return re.Reason
	}
	// A lone rule opening a selector it does not close: Redis applies
	// it as a rule, and no rule starts with '('.
	return "Syntax error"
}

// redactedRule is a rule as a log line may show it: a password rule, or a
// selector holding one, shows only its first byte.
func redactedRule(r string) string {
	r = cString(r)
	if r != "" && (r[0] == '>' || r[0] == '<' || (r[0] == '(' && strings.ContainsAny(r, "<>"))) {
		return r[:1] + redactedText
	}
	return r
}

// checkUserLine checks a config file "user" line (args without the
// keyword) as Redis's ACLAppendUserForLoading: the name is new among the
// lines, the selectors close, and every rule applies to a new user, rules
// naming unknown commands excepted (Redis finds those at start, when
// loadUsersAtStartup reports them). It returns the reason the line is
// refused, or "". Redis names the argument at the index of the failing
// rule among the rules, counted from the line's start, not the argument at
// fault; Redoubt does the same, hiding a password it lands on.
func checkUserLine(cat *acl.Catalog, seen map[string]bool, args []string) string {
	line := append([]string{"user"}, args...)
	if seen[args[0]] {
		return fmt.Sprintf(msgACLUserDecl, redactedRule(line[1]), msgACLUserDuplicate)
	}
	rules, err := acl.MergeSelectors(args[1:])
	if err != nil {
		// Redis sets no errno for this error: its text comes from an
		// earlier failure, which in 7.0.15's start-up is a lookup
		// that found nothing (checked by hand with redis-server).
		return fmt.Sprintf(msgACLUserDecl, redactedRule(line[unclosedSelector(args[1:])]), aclReasonUnknown)
	}
	u := cat.NewUser(args[0], false)
	for j, r := range rules {
		if err := u.SetRules([]string{r}); err != nil {
			reason := ruleReason(err)
			if reason == aclReasonUnknown {
				continue
			}
			return fmt.Sprintf(msgACLUserDecl, redactedRule(line[j]), reason)
		}
	}
	seen[args[0]] = true
	return ""
}

// unclosedSelector returns the index in rules of the argument opening the
// selector that MergeSelectors found unclosed.
func unclosedSelector(rules []string) int {
	open := -1
	for i, op := range rules {
		switch {
		case open < 0 && len(op) > 0 && op[0] == '(' && op[len(op)-1] != ')':
			open = i
		case open >= 0 && len(op) > 0 && op[len(op)-1] == ')':
			open = -1
		}
	}
	return max(open, 0)
}
