package server

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/redoubt-db/redoubt/internal/conf"
	"github.com/redoubt-db/redoubt/internal/num"
)

// Value parsers of the directive table. Each checks a directive's arguments
// exactly as Redis 7.0.15 checks them (same acceptance, same error text) and
// returns the value in the form CONFIG GET prints. Where Redis reads an
// argument as a C string (strcasecmp, strtoll, memtoull, zstrdup), the
// parser ignores everything from a NUL byte on, as Redis does.

// parseFunc checks args and returns the directive's new value in CONFIG GET
// form. prev is the current value, for directives whose settings add up
// (save in a config file, client-output-buffer-limit); loading is set while
// a config file is read.
type parseFunc func(args []string, prev string, loading bool) (string, error)

// reasonError is a reason as Redis words it, shown after "CONFIG SET failed
// (possibly related to argument '…') - " or under a config file line.
type reasonError string

func (e reasonError) Error() string { return string(e) }

func reasonf(format string, args ...any) error { return reasonError(fmt.Sprintf(format, args...)) }

// Reasons Redis gives for bad values.
const (
	msgArgYesNo        = "argument must be 'yes' or 'no'"
	msgArgInteger      = "argument couldn't be parsed into an integer"
	msgArgMemory       = "argument must be a memory value"
	msgArgMemPercent   = "argument must be a memory or percent value"
	msgArgOctal        = "argument couldn't be parsed as an octal number"
	msgWrongArgCount   = "wrong number of arguments"
	msgSaveParams      = "Invalid save parameters"
	msgTooManyBinds    = "Too many bind addresses specified."
	msgObufArgs        = "Wrong number of arguments in buffer limit configuration."
	msgObufClass       = "Invalid client class specified in buffer limit configuration."
	msgObufValues      = "Error in hard, soft or soft_seconds setting in buffer limit configuration."
	msgOOMValues       = "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
	msgKeyspaceEvents  = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
	msgMasterPort      = "Invalid master port"
	msgPercentilesArgs = "Invalid latency-tracking-info-percentiles parameters"
	msgPercentilesSit  = "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
	msgProcTitle       = "template format is invalid or contains unknown variables"
)

// maxBindAddrs is Redis's CONFIG_BINDADDR_MAX.
const maxBindAddrs = 16

// parseYesNo parses a yes/no directive (boolConfigSet).
func parseYesNo(args []string, _ string, _ bool) (string, error) {
	switch conf.Lower(cString(args[0])) {
	case "yes":
		return "yes", nil
	case "no":
		return "no", nil
	}
	return "", reasonError(msgArgYesNo)
}

// parseStr parses a string directive: any value, as C sees it.
func parseStr(args []string, _ string, _ bool) (string, error) { return cString(args[0]), nil }

// parseBinaryStr parses a string directive Redis keeps as an sds (requirepass,
// masterauth): every byte counts.
func parseBinaryStr(args []string, _ string, _ bool) (string, error) { return args[0], nil }

// parseCheckedStr parses a string directive with a validity check.
func parseCheckedStr(valid func(string) error) parseFunc {
	return func(args []string, _ string, _ bool) (string, error) {
		v := cString(args[0])
		if err := valid(v); err != nil {
			return "", err
		}
		return v, nil
	}
}

// parseEnum parses an enumerated directive (enumConfigSet); names are lower
// case and matched ignoring case, as strcasecmp.
func parseEnum(names ...string) parseFunc {
	return func(args []string, _ string, _ bool) (string, error) {
		v := []byte(args[0])
		for _, n := range names {
			if isOpt(v, n) {
				return n, nil
			}
		}
		msg := "argument(s) must be one of the following: " + strings.Join(names, ", ")
		if len(msg) > 255 { // Redis formats it into a 256-byte buffer
			msg = msg[:255]
		}
		return "", reasonError(msg)
	}
}

// parseShutdownFlags is shutdown-on-sigint and shutdown-on-sigterm: one
// or more of default, save, nosave, now and force, printed in that order
// ("default" when none is set).
func parseShutdownFlags(args []string, _ string, _ bool) (string, error) {
	names := []string{"default", "save", "nosave", "now", "force"}
	bad := reasonError("argument(s) must be one of the following: " + strings.Join(names, ", "))
	if len(args) == 0 {
		return "", bad
	}
	var set [5]bool
	for _, a := range args {
		found := false
		ab := []byte(a)
		for i, n := range names {
			if isOpt(ab, n) {
				set[i], found = true, true
			}
		}
		if !found {
			return "", bad
		}
	}
	if set[1] && set[2] {
		return "", reasonError("shutdown options SAVE and NOSAVE can't be used simultaneously")
	}
	var out []string
	for i, n := range names[1:] {
		if set[i+1] {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return "default", nil
	}
	return strings.Join(out, " "), nil
}

// numericSpec describes a numeric directive as Redis's numericConfigData does.
type numericSpec struct {
	lo, hi   int64 // for unsigned types, the bits of uint64 bounds
	unsigned bool  // an unsigned C type: bounds compare as uint64
	memory   bool  // accepts memory units; prints as unsigned
	percent  bool  // accepts "N%", kept as -N
	octal    bool  // parsed and printed in octal
}

// Numeric directive shapes.
func parseIntRange(lo, hi int64) parseFunc { return numericSpec{lo: lo, hi: hi}.parse }
func parseUintRange(lo, hi uint64) parseFunc {
	return numericSpec{lo: int64(lo), hi: int64(hi), unsigned: true}.parse
}
func parseMemRange(lo, hi int64) parseFunc { return numericSpec{lo: lo, hi: hi, memory: true}.parse }
func parseMemURange(lo, hi uint64) parseFunc {
	return numericSpec{lo: int64(lo), hi: int64(hi), unsigned: true, memory: true}.parse
}

// parse is numericConfigSet: parse (memory, percent, octal or plain, as
// numericParseString), check the bounds (numericBoundaryCheck), format (as
// numericConfigGet).
func (n numericSpec) parse(args []string, _ string, _ bool) (string, error) {
	v := args[0]
	ll, ok := int64(0), false
	if n.memory {
		var u uint64
		if u, ok = memToUint(cString(v)); ok {
			ll = int64(u)
		}
	}
	if !ok && n.percent && len(v) > 1 && v[len(v)-1] == '%' {
		if p, pok := num.ParseInt([]byte(v[:len(v)-1])); pok && p >= 0 {
			ll, ok = -p, true
		}
	}
	if !ok && n.octal {
		ll, ok = cStrtoll(cString(v), 8)
	}
	if !ok && !n.memory && !n.percent && !n.octal {
		ll, ok = num.ParseInt([]byte(v))
	}
	if !ok {
		switch {
		case n.memory && n.percent:
			return "", reasonError(msgArgMemPercent)
		case n.memory:
			return "", reasonError(msgArgMemory)
		case n.octal:
			return "", reasonError(msgArgOctal)
		}
		return "", reasonError(msgArgInteger)
	}
	switch {
	case n.unsigned:
		u, lo, hi := uint64(ll), uint64(n.lo), uint64(n.hi)
		if u > hi || u < lo {
			if n.octal {
				return "", reasonf("argument must be between %o and %o inclusive", lo, hi)
			}
			return "", reasonf("argument must be between %d and %d inclusive", lo, hi)
		}
	case n.percent && ll < 0:
		if ll < n.lo {
			return "", reasonf("percentage argument must be less or equal to %d", -n.lo)
		}
	case ll > n.hi || ll < n.lo:
		return "", reasonf("argument must be between %d and %d inclusive", n.lo, n.hi)
	}
	switch {
	case n.percent && ll < 0:
		return strconv.FormatInt(-ll, 10) + "%", nil
	case n.memory:
		return strconv.FormatUint(uint64(ll), 10), nil
	case n.octal:
		return strconv.FormatInt(ll, 8), nil
	}
	return strconv.FormatInt(ll, 10), nil
}

// memToUint parses a memory value as Redis 7.0.15's memtoull: digits and an
// optional unit, b (1), k (1000), kb (1024), m (1000²), mb (1024²), g
// (1000³) or gb (1024³), the unit in any case. No sign, no blank. Redis's
// quirks are kept: no digits at all is 0 ("" and "kb" are 0), a number too
// big for 64 bits is the largest one, and the multiplication by the unit
// wraps around.
func memToUint(p string) (uint64, bool) {
	if strings.HasPrefix(p, "-") {
		return 0, false
	}
	u := 0
	for u < len(p) && '0' <= p[u] && p[u] <= '9' {
		u++
	}
	var mul uint64
	switch conf.Lower(p[u:]) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1024
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1024 * 1024
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1024 * 1024 * 1024
	default:
		return 0, false
	}
	if u >= 128 { // the digits must fit Redis's 128-byte buffer
		return 0, false
	}
	var val uint64
	for _, c := range p[:u] {
		d := uint64(c - '0')
		if val > (math.MaxUint64-d)/10 {
			val = math.MaxUint64 // strtoull saturates
			break
		}
		val = val*10 + d
	}
	return val * mul, true
}

// cStrtoll parses s as C's strtoll(s, &end, base) followed by Redis's checks
// errno == 0 and *end == '\0': optional leading blanks and sign, then digits
// of base, and nothing after them. The empty string is 0, as strtoll
// converts nothing and stops at the terminating NUL.
func cStrtoll(s string, base int) (int64, bool) {
	v, end, overflow := cStrtollEnd(s, base)
	return v, end == len(s) && !overflow
}

// cStrtollEnd is C's strtoll: the value (saturated on overflow), the index
// where parsing stopped (0 if there were no digits) and whether the value
// overflowed.
func cStrtollEnd(s string, base int) (int64, int, bool) {
	i := 0
	for i < len(s) && cIsSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var acc uint64
	overflow := false
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	for ; i < len(s); i++ {
		d := cDigitVal(s[i])
		if d >= base {
			break
		}
		if acc > (limit-uint64(d))/uint64(base) {
			overflow = true
			acc = limit
			continue
		}
		if !overflow {
			acc = acc*uint64(base) + uint64(d)
		}
	}
	if i == start {
		return 0, 0, false
	}
	if neg {
		return -int64(acc-1) - 1, i, overflow
	}
	return int64(acc), i, overflow
}

func cDigitVal(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'z':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'Z':
		return int(c-'A') + 10
	}
	return 99
}

func cIsSpace(c byte) bool { return c == ' ' || '\t' <= c && c <= '\r' }

// cStrtollChecked is Redis's frequent "strtoll(arg, &eptr, 10); *eptr !=
// '\0' is an error", which allows blanks and a sign in front, saturates on
// overflow and reads "" as 0.
func cStrtollChecked(s string) (int64, bool) {
	s = cString(s)
	v, end, _ := cStrtollEnd(s, 10)
	return v, end == len(s)
}

// parseSave is the "save" directive (setConfigSaveOption): pairs of
// seconds (≥ 1) and changes (≥ 0). A single "" clears every save point.
// While a config file is read, each save line adds its points to those of
// the lines before; CONFIG SET replaces them.
func parseSave(args []string, prev string, loading bool) (string, error) {
	if len(args) == 1 && cString(args[0]) == "" {
		return "", nil
	}
	if len(args)%2 != 0 {
		return "", reasonError(msgSaveParams)
	}
	points := make([]string, 0, len(args))
	for j, a := range args {
		v, ok := cStrtollChecked(a)
		if !ok || (j%2 == 0 && v < 1) || (j%2 == 1 && v < 0) {
			return "", reasonError(msgSaveParams)
		}
		if j%2 == 1 {
			v = int64(int32(v)) // changes is a C int
		}
		points = append(points, strconv.FormatInt(v, 10))
	}
	out := strings.Join(points, " ")
	if loading && prev != "" && out != "" {
		out = prev + " " + out
	}
	return out, nil
}

// parseBind is the "bind" directive: up to 16 addresses; a single "" means
// none.
func parseBind(args []string, _ string, _ bool) (string, error) {
	if len(args) > maxBindAddrs {
		return "", reasonError(msgTooManyBinds)
	}
	if len(args) == 1 && args[0] == "" {
		return "", nil
	}
	addrs := make([]string, len(args))
	for i, a := range args {
		addrs[i] = cString(a)
	}
	return strings.Join(addrs, " "), nil
}

// obufClasses are the client classes of client-output-buffer-limit, in
// CONFIG GET's order.
var obufClasses = [...]string{"normal", "slave", "pubsub"}

// parseObufLimit is "client-output-buffer-limit": groups of class, hard
// limit, soft limit and soft seconds, each group replacing that class's
// limits; classes not named keep theirs.
func parseObufLimit(args []string, prev string, _ bool) (string, error) {
	if len(args)%4 != 0 {
		return "", reasonError(msgObufArgs)
	}
	cur := strings.Fields(prev)
	if len(cur) != 4*len(obufClasses) {
		return "", reasonError(msgObufArgs)
	}
	type limits struct{ hard, soft, secs string }
	var next [len(obufClasses)]*limits
	for j := 0; j < len(args); j += 4 {
		class := -1
		switch conf.Lower(cString(args[j])) {
		case "normal":
			class = 0
		case "slave", "replica":
			class = 1
		case "pubsub":
			class = 2
		}
		if class < 0 {
			return "", reasonError(msgObufClass)
		}
		hard, hok := memToUint(cString(args[j+1]))
		soft, sok := memToUint(cString(args[j+2]))
		secs, tok := cStrtollChecked(args[j+3])
		secs = int64(int32(secs)) // soft_seconds is a C int
		if !hok || !sok || !tok || secs < 0 {
			return "", reasonError(msgObufValues)
		}
		next[class] = &limits{strconv.FormatUint(hard, 10), strconv.FormatUint(soft, 10), strconv.FormatInt(secs, 10)}
	}
	out := make([]string, 0, len(cur))
	for i, class := range obufClasses {
		l := limits{cur[4*i+1], cur[4*i+2], cur[4*i+3]}
		if next[i] != nil {
			l = *next[i]
		}
		out = append(out, class, l.hard, l.soft, l.secs)
	}
	return strings.Join(out, " "), nil
}

// parseOOMValues is "oom-score-adj-values": three scores in [-2000, 2000].
func parseOOMValues(args []string, _ string, _ bool) (string, error) {
	if len(args) != 3 {
		return "", reasonError(msgWrongArgCount)
	}
	out := make([]string, 3)
	for i, a := range args {
		v, ok := cStrtollChecked(a)
		if !ok || v < -2000 || v > 2000 {
			return "", reasonError(msgOOMValues)
		}
		out[i] = strconv.FormatInt(v, 10)
	}
	return strings.Join(out, " "), nil
}

// parseReplicaOf is "replicaof host port", or "replicaof no one".
func parseReplicaOf(args []string, _ string, _ bool) (string, error) {
	if len(args) != 2 {
		return "", reasonError(msgWrongArgCount)
	}
	if isOpt([]byte(args[0]), "no") && isOpt([]byte(args[1]), "one") {
		return "", nil
	}
	port, ok := cStrtollChecked(args[1])
	port = int64(int32(port)) // masterport is a C int
	if !ok || port < 0 || port > 65535 {
		return "", reasonError(msgMasterPort)
	}
	return cString(args[0]) + " " + strconv.FormatInt(port, 10), nil
}

// parsePercentiles is "latency-tracking-info-percentiles": numbers in [0,
// 100], printed with "%f" and trailing zeros trimmed; a single "" means
// none.
func parsePercentiles(args []string, _ string, _ bool) (string, error) {
	if len(args) == 1 && args[0] == "" {
		return "", nil
	}
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || cIsSpace(a[0]) || strings.ContainsAny(a, "_") {
			return "", reasonError(msgPercentilesArgs)
		}
		f, err := strconv.ParseFloat(a, 64)
		if err != nil || math.IsNaN(f) {
			return "", reasonError(msgPercentilesArgs)
		}
		if f > 100 || f < 0 {
			return "", reasonError(msgPercentilesSit)
		}
		s := strconv.FormatFloat(f, 'f', 6, 64)
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
		out[i] = s
	}
	return strings.Join(out, " "), nil
}

// parseDir is "dir": Redis changes its working directory to it at once, so
// a relative dir is relative to the previous one. Redoubt never changes the
// working directory of the process; the value is the absolute directory
// the setting names, which must exist.
func parseDir(args []string, prev string, _ bool) (string, error) {
	d := cString(args[0])
	if !filepath.IsAbs(d) {
		d = filepath.Join(prev, d)
	}
	d = filepath.Clean(d)
	fi, err := os.Stat(d)
	if err != nil {
		return "", reasonError(strerrorOf(err))
	}
	if !fi.IsDir() {
		return "", reasonError("Not a directory")
	}
	return d, nil
}

// currentWorkingDir is the current working directory, as Redis's CONFIG GET dir
// reports it.
func currentWorkingDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	return wd
}

// pathIsBaseName reports whether p names no directory, as Redis's
// pathIsBaseName.
func pathIsBaseName(p string) bool { return !strings.ContainsAny(p, "/\\") }

func validDBFilename(v string) error {
	if !pathIsBaseName(v) {
		return reasonError("dbfilename can't be a path, just a filename")
	}
	return nil
}

func validAOFFilename(v string) error {
	if v == "" {
		return reasonError("appendfilename can't be empty")
	}
	if !pathIsBaseName(v) {
		return reasonError("appendfilename can't be a path, just a filename")
	}
	return nil
}

func validAOFDirname(v string) error {
	if v == "" {
		return reasonError("appenddirname can't be empty")
	}
	if !pathIsBaseName(v) {
		return reasonError("appenddirname can't be a path, just a dirname")
	}
	return nil
}

// validHostname is Redis's isValidAnnouncedHostname.
func validHostname(v string) error {
	if len(v) >= 256 {
		return reasonError("Hostnames must be less than 256 characters")
	}
	for _, c := range []byte(v) {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return reasonError("Hostnames may only contain alphanumeric characters, hyphens or dots")
		}
	}
	return nil
}

// validProcTitle checks a proc-title-template: {name} variables Redis
// knows, "{{" and "}}" for braces, and something left once expanded.
func validProcTitle(v string) error {
	known := map[string]bool{"title": true, "listen-addr": true, "server-mode": true, "port": true,
		"tls-port": true, "unixsocket": true, "config-file": true}
	nonEmpty := false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '{' && i+1 < len(v) && v[i+1] == '{', c == '}' && i+1 < len(v) && v[i+1] == '}':
			i++
			nonEmpty = true
		case c == '{':
			end := strings.IndexByte(v[i:], '}')
			if end < 0 || !known[v[i+1:i+end]] {
				return reasonError(msgProcTitle)
			}
			if v[i+1:i+end] != "title" {
				nonEmpty = true
			}
			i += end
		case c == '}':
			return reasonError(msgProcTitle)
		default:
			nonEmpty = true
		}
	}
	if !nonEmpty {
		return reasonError(msgProcTitle)
	}
	return nil
}

// strerrorOf words a file error as C's strerror: "No such file or
// directory".
func strerrorOf(err error) string {
	var errno syscall.Errno
	s := err.Error()
	if errors.As(err, &errno) {
		s = errno.Error()
	}
	if s != "" && 'a' <= s[0] && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}
