//go:build !noregexp

package provider

import (
	"fmt"
	"regexp"
)

// modelRegexp is a `~regex` modelMapping key. Go's regexp (with the unicode tables it
// needs) is 0.5 MB of the plugin and ~0.7 MiB of its memory; `-tags noregexp` builds
// without it (modelregexp_none.go).
type modelRegexp struct{ re *regexp.Regexp }

func compileModelRegexp(expr string) (*modelRegexp, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("invalid regular expression: %v", err)
	}
	return &modelRegexp{re}, nil
}

// replace reports whether model matches and, if so, returns model with the matched
// part replaced by target with its $1 references expanded (as Higress does); an
// empty target stays empty (the caller keeps the client's model).
func (r *modelRegexp) replace(model, target string) (string, bool) {
	loc := r.re.FindStringSubmatchIndex(model)
	if loc == nil {
		return "", false
	}
	if target == "" {
		return "", true
	}
	return model[:loc[0]] + string(r.re.ExpandString(nil, target, model, loc)) + model[loc[1]:], true
}
