//go:build noregexp

package provider

import "errors"

// modelRegexp: this build (-tags noregexp) leaves Go's regexp out, so a `~regex`
// modelMapping key fails plugin start instead of being ignored.
type modelRegexp struct{}

func compileModelRegexp(string) (*modelRegexp, error) {
	return nil, errors.New("regular expression keys need the full build of the plugin (this one was built with -tags noregexp)")
}

func (*modelRegexp) replace(string, string) (string, bool) { return "", false }
