package route

import (
	"errors"
	"strings"
)

// matcher is a compiled `match` pattern: `*` matches any run of bytes (also empty), `?`
// exactly one byte, everything else itself (case-sensitive), over the whole model name.
// Patterns without `?` are compiled to string comparisons; the rest use a linear-time
// greedy match with single-star backtracking. No regexp.
type matcher struct {
	kind   uint8
	lit    string // exact / prefix / suffix / contains literal
	pat    string // general pattern
	prefix string // general: literal before the first wildcard, checked first
}

const (
	matchExact = iota
	matchAny
	matchPrefix   // "lit*"
	matchSuffix   // "*lit"
	matchContains // "*lit*"
	matchGeneral
)

func compilePattern(p string) (matcher, error) {
	if p == "" {
		return matcher{}, errors.New("is empty")
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c <= ' ' || c == 0x7f {
			return matcher{}, errors.New("contains a space or control character")
		}
		if strings.IndexByte(`^$[](){}|\`, c) >= 0 {
			return matcher{}, errors.New("contains regex characters; only ? and * are wildcards")
		}
	}
	// collapse runs of '*'
	for strings.Contains(p, "**") {
		p = strings.ReplaceAll(p, "**", "*")
	}
	if !strings.Contains(p, "?") {
		stars := strings.Count(p, "*")
		switch {
		case stars == 0:
			return matcher{kind: matchExact, lit: p}, nil
		case p == "*":
			return matcher{kind: matchAny}, nil
		case stars == 1 && p[len(p)-1] == '*':
			return matcher{kind: matchPrefix, lit: p[:len(p)-1]}, nil
		case stars == 1 && p[0] == '*':
			return matcher{kind: matchSuffix, lit: p[1:]}, nil
		case stars == 2 && p[0] == '*' && p[len(p)-1] == '*':
			return matcher{kind: matchContains, lit: p[1 : len(p)-1]}, nil
		}
	}
	n := strings.IndexAny(p, "*?")
	return matcher{kind: matchGeneral, pat: p[n:], prefix: p[:n]}, nil
}

func (m *matcher) match(s string) bool {
	switch m.kind {
	case matchExact:
		return s == m.lit
	case matchAny:
		return true
	case matchPrefix:
		return strings.HasPrefix(s, m.lit)
	case matchSuffix:
		return strings.HasSuffix(s, m.lit)
	case matchContains:
		return strings.Contains(s, m.lit)
	}
	if !strings.HasPrefix(s, m.prefix) {
		return false
	}
	return wildcard(m.pat, s[len(m.prefix):])
}

// wildcard matches s against p (with * and ?) over the whole of s.
func wildcard(p, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
