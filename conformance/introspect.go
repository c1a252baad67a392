package conformance

import (
	"regexp"
	"strings"
)

// Reply modes for introspection, whose replies hold times and client ports
// that differ from run to run and from server to server:
//
//	monitor  a MONITOR line: the time and the client's port are masked,
//	         the database, the address and the quoted arguments compared
//	slowlog  a SLOWLOG GET reply: each entry's id, time and duration are
//	         masked (their types kept), and the port of the client's
//	         address; the arguments and the client name are compared

// monitorLine matches the variable part of a MONITOR line.
var monitorLine = regexp.MustCompile(`^[0-9]+\.[0-9]{6} \[([0-9]+) (.*):[0-9]+\] `)

// maskMonitor masks the time and port of a MONITOR line; a line of another
// form is left as it is, so that it shows as a difference.
func maskMonitor(v Value) Value {
	if v.Kind != '+' {
		return v
	}
	v.Str = monitorLine.ReplaceAllString(v.Str, "<time> [$1 $2:<port>] ")
	return v
}

// maskSlowlog masks the variable fields of a SLOWLOG GET reply's entries.
func maskSlowlog(v Value) Value {
	if v.Kind != '*' {
		return v
	}
	out := Value{Kind: v.Kind, Null: v.Null}
	for _, e := range v.Elems {
		if e.Kind == '*' && len(e.Elems) == 6 {
			m := Value{Kind: e.Kind, Elems: append([]Value(nil), e.Elems...)}
			for i := 0; i < 3; i++ {
				m.Elems[i] = Value{Kind: m.Elems[i].Kind, Str: "?"}
			}
			if addr := m.Elems[4]; addr.Kind == '$' {
				if i := strings.LastIndexByte(addr.Str, ':'); i >= 0 {
					m.Elems[4] = Value{Kind: '$', Str: addr.Str[:i] + ":<port>"}
				}
			}
			e = m
		}
		out.Elems = append(out.Elems, e)
	}
	return out
}

// aclLogKept are the client-info fields an acllog block compares: the
// others (id, address, ages, buffer sizes) differ from run to run. cmd is
// the refused command (EXEC for a refusal at EXEC), as in Redis.
var aclLogKept = map[string]bool{"name": true, "db": true, "user": true, "cmd": true, "resp": true, "flags": true}

// maskACLLog masks the variable fields of an ACL LOG reply's entries:
// age-seconds (its type kept) and the client-info fields that are not in
// aclLogKept; count, reason, context, object and username are compared.
func maskACLLog(v Value) Value {
	if v.Kind != '*' {
		return v
	}
	out := Value{Kind: v.Kind, Null: v.Null}
	for _, e := range v.Elems {
		if e.Kind == '*' || e.Kind == '%' {
			m := Value{Kind: e.Kind, Elems: append([]Value(nil), e.Elems...)}
			for i := 0; i+1 < len(m.Elems); i += 2 {
				val := &m.Elems[i+1]
				switch m.Elems[i].Str {
				case "age-seconds":
					*val = Value{Kind: val.Kind, Str: "?"}
				case "client-info":
					var kept []string
					for _, f := range strings.Fields(val.Str) {
						if k, _, _ := strings.Cut(f, "="); aclLogKept[k] {
							kept = append(kept, f)
						}
					}
					*val = Value{Kind: val.Kind, Str: strings.Join(kept, " ")}
				}
			}
			e = m
		}
		out.Elems = append(out.Elems, e)
	}
	return out
}
