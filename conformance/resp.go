package conformance

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Value is one RESP2 or RESP3 reply, kept exactly as received so that its
// rendering is lossless: two replies render the same only if their bytes
// were the same.
type Value struct {
	Kind  byte    // '+', '-', ':', '$', '*', '%', '~', '>', '_', '#', ',', '(', '=', '|'
	Str   string  // the payload of scalar kinds
	Null  bool    // $-1 or *-1
	Elems []Value // the elements of aggregate kinds (a map's keys and values alternate)
}

const maxReplyLen = 64 << 20

// readValue reads one reply.
func readValue(r *bufio.Reader) (Value, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return Value{}, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return Value{}, fmt.Errorf("conformance: malformed reply line %q", line)
	}
	kind, body := line[0], line[1:len(line)-2]
	switch kind {
	case '+', '-', ':', '_', '#', ',', '(':
		return Value{Kind: kind, Str: body}, nil
	case '$', '=':
		n, err := strconv.Atoi(body)
		if err != nil || n > maxReplyLen {
			return Value{}, fmt.Errorf("conformance: bad bulk length %q", body)
		}
		if n < 0 {
			return Value{Kind: kind, Null: true}, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return Value{}, err
		}
		return Value{Kind: kind, Str: string(buf[:n])}, nil
	case '*', '%', '~', '>', '|':
		n, err := strconv.Atoi(body)
		if err != nil || n > maxReplyLen {
			return Value{}, fmt.Errorf("conformance: bad aggregate length %q", body)
		}
		if n < 0 {
			return Value{Kind: kind, Null: true}, nil
		}
		if kind == '%' || kind == '|' {
			n *= 2
		}
		v := Value{Kind: kind, Elems: make([]Value, 0, min(n, 1024))}
		for i := 0; i < n; i++ {
			e, err := readValue(r)
			if err != nil {
				return Value{}, err
			}
			v.Elems = append(v.Elems, e)
		}
		if kind == '|' {
			// An attribute precedes the real reply; keep both.
			next, err := readValue(r)
			if err != nil {
				return Value{}, err
			}
			v.Elems = append(v.Elems, next)
		}
		return v, nil
	}
	return Value{}, fmt.Errorf("conformance: unknown reply type %q", line)
}

// render writes v one token per line, nested elements indented, strings
// quoted, so that the rendering is readable and lossless.
func (v Value) render(b *strings.Builder, depth int) {
	b.WriteString(strings.Repeat("  ", depth))
	switch v.Kind {
	case '$', '=':
		if v.Null {
			b.WriteString(string(v.Kind) + "-1\n")
			return
		}
		b.WriteString(string(v.Kind) + strconv.Quote(v.Str) + "\n")
	case '*', '%', '~', '>', '|':
		if v.Null {
			b.WriteString(string(v.Kind) + "-1\n")
			return
		}
		n := len(v.Elems)
		if v.Kind == '%' {
			n /= 2
		}
		if v.Kind == '|' {
			n = (n - 1) / 2
		}
		b.WriteString(string(v.Kind) + strconv.Itoa(n) + "\n")
		for _, e := range v.Elems {
			e.render(b, depth+1)
		}
	default:
		b.WriteString(string(v.Kind) + v.Str + "\n")
	}
}

// String renders v.
func (v Value) String() string {
	var b strings.Builder
	v.render(&b, 0)
	return b.String()
}

// shape keeps the types and aggregate sizes of v but drops scalar values, for
// replies that differ from run to run (CLIENT ID, TIME).
func (v Value) shape() Value {
	s := Value{Kind: v.Kind, Null: v.Null}
	switch v.Kind {
	case '*', '%', '~', '>', '|':
		for _, e := range v.Elems {
			s.Elems = append(s.Elems, e.shape())
		}
	case '-':
		// Keep the error code: its kind matters.
		code, _, _ := strings.Cut(v.Str, " ")
		s.Str = code + " ?"
	default:
		if !v.Null {
			s.Str = "?"
		}
	}
	return s
}

// sorted orders the elements of an aggregate reply whose order is not part
// of its contract (KEYS, SMEMBERS, COMMAND).
func (v Value) sorted() Value {
	if v.Kind != '*' && v.Kind != '~' && v.Kind != '>' {
		return v
	}
	out := v
	out.Elems = slices.Clone(v.Elems)
	slices.SortFunc(out.Elems, func(a, b Value) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// pairsSorted orders the (key, value) pairs of a flat array or a map, for
// replies such as CONFIG GET with a pattern.
func (v Value) pairsSorted() Value {
	if (v.Kind != '*' && v.Kind != '%') || len(v.Elems)%2 != 0 {
		return v
	}
	type pair struct{ k, v Value }
	var ps []pair
	for i := 0; i < len(v.Elems); i += 2 {
		ps = append(ps, pair{v.Elems[i], v.Elems[i+1]})
	}
	slices.SortFunc(ps, func(a, b pair) int {
		return strings.Compare(a.k.String()+a.v.String(), b.k.String()+b.v.String())
	})
	out := v
	out.Elems = nil
	for _, p := range ps {
		out.Elems = append(out.Elems, p.k, p.v)
	}
	return out
}

// fieldNames returns the sorted field names of an INFO-style reply
// ("name:value" lines) or a CLIENT INFO-style reply ("name=value" words).
func (v Value) fieldNames() []string {
	var names []string
	if v.Kind != '$' && v.Kind != '=' && v.Kind != '+' {
		return nil
	}
	text := v.Str
	if v.Kind == '=' && len(text) >= 4 {
		text = text[4:]
	}
	if strings.Contains(text, "\r\n") || strings.HasPrefix(text, "#") {
		for _, line := range strings.Split(text, "\r\n") {
			if line == "" {
				continue
			}
			if strings.HasPrefix(line, "#") {
				names = append(names, line)
				continue
			}
			name, _, _ := strings.Cut(line, ":")
			names = append(names, name)
		}
	} else {
		for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
			for _, word := range strings.Fields(line) {
				name, _, _ := strings.Cut(word, "=")
				names = append(names, name)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}
