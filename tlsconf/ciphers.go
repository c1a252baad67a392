package tlsconf

import (
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
)

// suite is a TLS 1.2 cipher suite Go implements, by its OpenSSL name, with
// the properties OpenSSL's cipher-string aliases select on.
type suite struct {
	openssl string
	id      uint16
	kx      string // key exchange: ECDHE or RSA
	auth    string // RSA or ECDSA
	enc     string // AES128, AES256, AESGCM128, AESGCM256, CHACHA20
	mac     string // SHA1, SHA256, SHA384, AEAD
	deflt   bool   // in Go's default list
}

// suites are the TLS 1.2 suites tls-ciphers can name. Go implements a few
// more (RC4 and 3DES), which are not offered: naming them is refused as
// for any cipher Go's TLS does not offer.
var suites = []suite{
	{"ECDHE-ECDSA-AES256-GCM-SHA384", tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "ECDHE", "ECDSA", "AESGCM256", "AEAD", true},
	{"ECDHE-RSA-AES256-GCM-SHA384", tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "ECDHE", "RSA", "AESGCM256", "AEAD", true},
	{"ECDHE-ECDSA-CHACHA20-POLY1305", tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE", "ECDSA", "CHACHA20", "AEAD", true},
	{"ECDHE-RSA-CHACHA20-POLY1305", tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE", "RSA", "CHACHA20", "AEAD", true},
	{"ECDHE-ECDSA-AES128-GCM-SHA256", tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "ECDHE", "ECDSA", "AESGCM128", "AEAD", true},
	{"ECDHE-RSA-AES128-GCM-SHA256", tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "ECDHE", "RSA", "AESGCM128", "AEAD", true},
	{"ECDHE-ECDSA-AES128-SHA256", tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, "ECDHE", "ECDSA", "AES128", "SHA256", false},
	{"ECDHE-RSA-AES128-SHA256", tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, "ECDHE", "RSA", "AES128", "SHA256", false},
	{"ECDHE-ECDSA-AES256-SHA", tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, "ECDHE", "ECDSA", "AES256", "SHA1", true},
	{"ECDHE-RSA-AES256-SHA", tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, "ECDHE", "RSA", "AES256", "SHA1", true},
	{"ECDHE-ECDSA-AES128-SHA", tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, "ECDHE", "ECDSA", "AES128", "SHA1", true},
	{"ECDHE-RSA-AES128-SHA", tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, "ECDHE", "RSA", "AES128", "SHA1", true},
	{"AES256-GCM-SHA384", tls.TLS_RSA_WITH_AES_256_GCM_SHA384, "RSA", "RSA", "AESGCM256", "AEAD", false},
	{"AES128-GCM-SHA256", tls.TLS_RSA_WITH_AES_128_GCM_SHA256, "RSA", "RSA", "AESGCM128", "AEAD", false},
	{"AES128-SHA256", tls.TLS_RSA_WITH_AES_128_CBC_SHA256, "RSA", "RSA", "AES128", "SHA256", false},
	{"AES256-SHA", tls.TLS_RSA_WITH_AES_256_CBC_SHA, "RSA", "RSA", "AES256", "SHA1", false},
	{"AES128-SHA", tls.TLS_RSA_WITH_AES_128_CBC_SHA, "RSA", "RSA", "AES128", "SHA1", false},
}

// aliases are OpenSSL's cipher-string aliases, as sets of suites. The ones
// that select nothing Go offers (MEDIUM, LOW, NULL, DHE, PSK, …) may be
// removed ("!MEDIUM") but not added.
var aliases = map[string]func(s suite) bool{
	"DEFAULT":             func(s suite) bool { return s.deflt },
	"ALL":                 func(suite) bool { return true },
	"HIGH":                func(suite) bool { return true },
	"COMPLEMENTOFDEFAULT": func(s suite) bool { return !s.deflt },
	"ECDHE":               func(s suite) bool { return s.kx == "ECDHE" },
	"EECDH":               func(s suite) bool { return s.kx == "ECDHE" },
	"kECDHE":              func(s suite) bool { return s.kx == "ECDHE" },
	"kEECDH":              func(s suite) bool { return s.kx == "ECDHE" },
	"RSA":                 func(s suite) bool { return s.kx == "RSA" },
	"kRSA":                func(s suite) bool { return s.kx == "RSA" },
	"aRSA":                func(s suite) bool { return s.auth == "RSA" },
	"aECDSA":              func(s suite) bool { return s.auth == "ECDSA" },
	"ECDSA":               func(s suite) bool { return s.auth == "ECDSA" },
	"AES":                 func(s suite) bool { return strings.HasPrefix(s.enc, "AES") },
	"AES128":              func(s suite) bool { return s.enc == "AES128" || s.enc == "AESGCM128" },
	"AES256":              func(s suite) bool { return s.enc == "AES256" || s.enc == "AESGCM256" },
	"AESGCM":              func(s suite) bool { return strings.HasPrefix(s.enc, "AESGCM") },
	"CHACHA20":            func(s suite) bool { return s.enc == "CHACHA20" },
	"SHA1":                func(s suite) bool { return s.mac == "SHA1" },
	"SHA":                 func(s suite) bool { return s.mac == "SHA1" },
	"SHA256":              func(s suite) bool { return s.mac == "SHA256" },
	"SHA384":              func(s suite) bool { return s.mac == "SHA384" },
	"TLSv1.2":             func(s suite) bool { return s.mac != "SHA1" },
	"TLSv1":               func(s suite) bool { return s.mac == "SHA1" },
	"SSLv3":               func(s suite) bool { return s.mac == "SHA1" },
}

// emptyAliases select nothing Go's TLS offers.
var emptyAliases = []string{"MEDIUM", "LOW", "EXPORT", "EXP", "eNULL", "NULL", "aNULL", "COMPLEMENTOFALL",
	"RC4", "3DES", "DES", "MD5", "PSK", "SRP", "DSS", "aDSS", "DH", "DHE", "EDH", "kDHE", "kEDH", "ADH",
	"AECDH", "CAMELLIA", "ARIA", "SEED", "IDEA", "CCM", "CCM8", "GOST", "kPSK", "aPSK", "SUITEB128", "SUITEB192"}

// ParseCiphers maps tls-ciphers, in OpenSSL's syntax (elements separated by
// ':', ',' or ' '; each a cipher name, an alias, or aliases joined by '+',
// optionally prefixed by '!' or '-' to remove, or '+' to move last), to Go's
// suite IDs. "" is nil: Go's defaults. A name Go's TLS does not offer, an
// alias that adds nothing Go offers, or a list that leaves no suite, is an
// error naming it. Order is not honoured: Go's TLS orders suites itself.
func ParseCiphers(s string) ([]uint16, error) {
	if s == "" {
		return nil, nil
	}
	fail := func(format string, args ...any) ([]uint16, error) {
		return nil, fmt.Errorf("Failed to configure ciphers: %s: "+format, append([]any{s}, args...)...)
	}
	on := make([]bool, len(suites))
	killed := make([]bool, len(suites))
	for _, el := range strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		op := byte(0)
		if el[0] == '!' || el[0] == '-' || el[0] == '+' {
			op, el = el[0], el[1:]
		}
		if el == "@STRENGTH" || strings.HasPrefix(el, "@SECLEVEL=") {
			continue // ordering and OpenSSL's security level: Go decides both
		}
		match, empty, err := selectSuites(el)
		if err != nil {
			return fail("%v", err)
		}
		if empty && op == 0 {
			return fail("'%s' selects no cipher Go's TLS offers", el)
		}
		for i := range suites {
			if !match[i] {
				continue
			}
			switch op {
			case '!':
				killed[i], on[i] = true, false
			case '-':
				on[i] = false
			case '+':
				// moves matching enabled suites last: order is Go's
			default:
				if !killed[i] {
					on[i] = true
				}
			}
		}
	}
	var ids []uint16
	for i, ok := range on {
		if ok {
			ids = append(ids, suites[i].id)
		}
	}
	if len(ids) == 0 {
		return fail("no TLS 1.2 cipher left that Go's TLS offers")
	}
	return ids, nil
}

// selectSuites returns which suites el (a name, an alias, or aliases joined
// by '+') selects, and whether it is an OpenSSL alias that selects none.
func selectSuites(el string) ([]bool, bool, error) {
	match := make([]bool, len(suites))
	if i := slices.IndexFunc(suites, func(s suite) bool { return s.openssl == el }); i >= 0 {
		match[i] = true
		return match, false, nil
	}
	for i := range match {
		match[i] = true
	}
	empty := false
	for _, part := range strings.Split(el, "+") {
		if slices.Contains(emptyAliases, part) {
			empty = true
			continue
		}
		f, ok := aliases[part]
		if !ok {
			return nil, false, fmt.Errorf("Go's TLS does not offer cipher '%s'", part)
		}
		for i := range suites {
			match[i] = match[i] && f(suites[i])
		}
	}
	if empty {
		clear(match)
		return match, true, nil
	}
	if !slices.Contains(match, true) {
		return match, true, nil
	}
	return match, false, nil
}
