package provider

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tidwall/gjson"
)

// ModelMapping maps client model names to provider model names, as Higress's
// `modelMapping` does, but deterministically: an exact key wins, then the longest
// `prefix-*` key, then `~regex` keys in config order (with `$1` references in the
// target), then the `*` / `""` wildcard. A target of "" keeps the client's model.
// Regexes are compiled once, when the config is parsed.
type ModelMapping struct {
	exact    map[string]string
	prefixes []prefixRule // longest prefix first
	regexes  []regexRule  // config order
	wildcard *string
}

type prefixRule struct{ prefix, target string }

type regexRule struct {
	re     *modelRegexp
	target string
}

// parseModelMapping reads a `modelMapping` object; field names the config path for errors.
func parseModelMapping(v gjson.Result, field string) (*ModelMapping, error) {
	if !v.Exists() || v.Type == gjson.Null {
		return nil, nil
	}
	if !v.IsObject() {
		return nil, fmt.Errorf("%s: must be a map of model name to model name", field)
	}
	m := &ModelMapping{exact: map[string]string{}}
	var err error
	v.ForEach(func(key, val gjson.Result) bool {
		k := key.String()
		if val.Type != gjson.String {
			err = fmt.Errorf("%s[%q]: target must be a string", field, k)
			return false
		}
		target := val.String()
		switch {
		case k == "*" || k == "":
			t := target
			m.wildcard = &t
		case strings.HasPrefix(k, "~"):
			re, e := compileModelRegexp(k[1:])
			if e != nil {
				err = fmt.Errorf("%s[%q]: %v", field, k, e)
				return false
			}
			m.regexes = append(m.regexes, regexRule{re, target})
		case strings.HasSuffix(k, "*"):
			m.prefixes = append(m.prefixes, prefixRule{strings.TrimSuffix(k, "*"), target})
		default:
			m.exact[k] = target
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(m.prefixes, func(i, j int) bool { return len(m.prefixes[i].prefix) > len(m.prefixes[j].prefix) })
	return m, nil
}

// Map returns the provider model for a client model. A nil mapping keeps every model.
func (m *ModelMapping) Map(model string) string {
	if m == nil {
		return model
	}
	target, ok := m.lookup(model)
	if !ok || target == "" {
		return model
	}
	return target
}

func (m *ModelMapping) lookup(model string) (string, bool) {
	if t, ok := m.exact[model]; ok {
		return t, true
	}
	for _, p := range m.prefixes {
		if strings.HasPrefix(model, p.prefix) {
			return p.target, true
		}
	}
	for _, r := range m.regexes {
		if t, ok := r.re.replace(model, r.target); ok {
			return t, true
		}
	}
	if m.wildcard != nil {
		return *m.wildcard, true
	}
	return "", false
}
