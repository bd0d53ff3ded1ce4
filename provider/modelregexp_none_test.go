//go:build noregexp

package provider

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// TestNoRegexpBuild: the build without regexp refuses `~regex` keys at plugin start,
// naming the key, and still maps exact, prefix and wildcard keys.
func TestNoRegexpBuild(t *testing.T) {
	_, err := ParseConfig(gjson.Parse(`{"type":"openai","apiTokens":["k"],"modelMapping":{"~^gpt-(.*)":"qwen-$1"}}`), "provider")
	if err == nil || !strings.Contains(err.Error(), `provider.modelMapping["~^gpt-(.*)"]: regular expression keys need the full build`) {
		t.Fatalf("got %v, want the ~ key refused by name", err)
	}
	m, err := parseModelMapping(gjson.Parse(`{"gpt-4":"a","gpt-4-*":"b","*":"c"}`), "modelMapping")
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{"gpt-4": "a", "gpt-4-turbo": "b", "claude": "c"} {
		if got := m.Map(in); got != want {
			t.Errorf("Map(%q) = %q, want %q", in, got, want)
		}
	}
}
