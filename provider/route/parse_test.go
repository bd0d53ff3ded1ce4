package route

import (
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"
)

var testProviders = []string{"qwen", "openai", "a", "b", "coder", "q", "ds"}

func mustParse(t testing.TB, js string) *Service {
	t.Helper()
	s, err := Parse(gjson.Parse(js), "routing", testProviders)
	if err != nil {
		t.Fatalf("Parse(%s): %v", js, err)
	}
	return s
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, js, want string
	}{
		{"not object", `[]`, `routing: must be an object`},
		{"no mode", `{}`, `routing.mode: required`},
		{"mode type", `{"mode": 1}`, `routing.mode: must be a string`},
		{"unknown mode", `{"mode": "random"}`, `routing.mode: unknown mode "random"`},
		{"unknown field", `{"mode": "weight", "tragets": []}`, `routing.tragets: unknown field`},
		{"field of other mode", `{"mode": "weight", "targets": [{"provider":"a","weight":1}], "rules": []}`, `routing.rules: not used in mode "weight"`},
		{"servedByHeader type", `{"mode": "single", "target": {"provider":"a"}, "servedByHeader": "yes"}`, `routing.servedByHeader: must be true or false, got "yes"`},
		{"single no target", `{"mode": "single"}`, `routing.target: required in mode "single"`},
		{"single target type", `{"mode": "single", "target": "qwen"}`, `routing.target: must be an object, got "qwen"`},
		{"single unknown provider", `{"mode": "single", "target": {"provider":"x"}}`, `routing.target.provider: no provider with id "x" in providers`},
		{"single provider missing", `{"mode": "single", "target": {"model":"m"}}`, `routing.target.provider: required`},
		{"single provider type", `{"mode": "single", "target": {"provider": 3}}`, `routing.target.provider: must be a string, got 3`},
		{"single model type", `{"mode": "single", "target": {"provider":"a", "model": false}}`, `routing.target.model: must be a string, got false`},
		{"target unknown key", `{"mode": "single", "target": {"provider":"a", "modle":"m"}}`, `routing.target.modle: unknown field`},
		{"model nothing", `{"mode": "model"}`, `routing.rules: required in mode "model" (or a default)`},
		{"model empty rules", `{"mode": "model", "rules": []}`, `routing.rules: required in mode "model"`},
		{"rules type", `{"mode": "model", "rules": {}}`, `routing.rules: must be a list`},
		{"rule no match", `{"mode": "model", "rules": [{"provider":"a"}]}`, `routing.rules[0].match: required`},
		{"rule empty match", `{"mode": "model", "rules": [{"match":"q*","provider":"a"},{"match":"","provider":"a"}]}`, `routing.rules[1].match: "" is empty`},
		{"rule regex match", `{"mode": "model", "rules": [{"match":"gpt-(4|5)","provider":"a"}]}`, `routing.rules[0].match: "gpt-(4|5)" contains regex characters`},
		{"rule space match", `{"mode": "model", "rules": [{"match":"gpt 4","provider":"a"}]}`, `routing.rules[0].match: "gpt 4" contains a space`},
		{"rule match type", `{"mode": "model", "rules": [{"match":4,"provider":"a"}]}`, `routing.rules[0].match: must be a string, got 4`},
		{"rule unknown provider", `{"mode": "model", "rules": [{"match":"a","provider":"zz"}]}`, `routing.rules[0].provider: no provider with id "zz" in providers`},
		{"rule unknown key", `{"mode": "model", "rules": [{"match":"a","provider":"a","weight":1}]}`, `routing.rules[0].weight: unknown field`},
		{"default unknown provider", `{"mode": "model", "default": {"provider":"nope"}}`, `routing.default.provider: no provider with id "nope" in providers`},
		{"weight no targets", `{"mode": "weight"}`, `routing.targets: required in mode "weight"`},
		{"weight empty targets", `{"mode": "weight", "targets": []}`, `routing.targets: at least one target required`},
		{"weight missing", `{"mode": "weight", "targets": [{"provider":"a"}]}`, `routing.targets[0].weight: required`},
		{"weight zero", `{"mode": "weight", "targets": [{"provider":"a","weight":1},{"provider":"b","weight":0}]}`, `routing.targets[1].weight: 0 is not a whole number`},
		{"weight negative", `{"mode": "weight", "targets": [{"provider":"a","weight":-3}]}`, `routing.targets[0].weight: -3 is not`},
		{"weight fraction", `{"mode": "weight", "targets": [{"provider":"a","weight":2.5}]}`, `routing.targets[0].weight: 2.5 is not a whole number`},
		{"weight string", `{"mode": "weight", "targets": [{"provider":"a","weight":"70"}]}`, `routing.targets[0].weight: "70" is not`},
		{"weight huge", `{"mode": "weight", "targets": [{"provider":"a","weight":1e9}]}`, `routing.targets[0].weight: 1e9 is not`},
		{"weight unknown provider", `{"mode": "weight", "targets": [{"provider":"c","weight":1}]}`, `routing.targets[0].provider: no provider with id "c" in providers`},
		{"sticky type", `{"mode": "weight", "targets": [{"provider":"a","weight":1}], "stickyHeader": 1}`, `routing.stickyHeader: must be a string`},
		{"sticky empty", `{"mode": "weight", "targets": [{"provider":"a","weight":1}], "stickyHeader": ""}`, `routing.stickyHeader: "" is not a header name`},
		{"metrics weight", `{"mode": "metrics", "targets": [{"provider":"a","weight":1}]}`, `routing.targets[0].weight: not used in mode "metrics"`},
		{"metrics sticky", `{"mode": "metrics", "targets": [{"provider":"a"}], "stickyHeader": "x"}`, `routing.stickyHeader: not used in mode "metrics"`},
		{"metrics no targets", `{"mode": "metrics"}`, `routing.targets: required in mode "metrics"`},
		{"intent nothing", `{"mode": "intent"}`, `routing.intents: required in mode "intent" (or a default)`},
		{"intent type", `{"mode": "intent", "intents": []}`, `routing.intents: must be an object`},
		{"intent unknown", `{"mode": "intent", "intents": {"coding": {"provider":"coder"}}}`, `routing.intents.coding: unknown intent "coding"`},
		{"intent upper", `{"mode": "intent", "intents": {"Code": {"provider":"coder"}}}`, `routing.intents.Code: unknown intent "Code"`},
		{"intent unknown provider", `{"mode": "intent", "intents": {"code": {"provider":"x"}}}`, `routing.intents.code.provider: no provider with id "x" in providers`},
		{"intentHeader bad", `{"mode": "intent", "default": {"provider":"q"}, "intentHeader": "a b"}`, `routing.intentHeader: "a b" is not a header name`},
		{"classifier type", `{"mode": "intent", "default": {"provider":"q"}, "classifier": true}`, `routing.classifier: must be an object`},
		{"classifier no model", `{"mode": "intent", "default": {"provider":"q"}, "classifier": {"provider":"q"}}`, `routing.classifier.model: required`},
		{"classifier provider", `{"mode": "intent", "default": {"provider":"q"}, "classifier": {"provider":"zz","model":"m"}}`, `routing.classifier.provider: no provider with id "zz" in providers`},
		{"classifier timeout", `{"mode": "intent", "default": {"provider":"q"}, "classifier": {"provider":"q","model":"m","cluster":"c","timeout":0}}`, `routing.classifier.timeout: 0 is not`},
		{"classifier cluster", `{"mode": "intent", "default": {"provider":"q"}, "classifier": {"provider":"q","model":"m"}}`, `routing.classifier.cluster: required`},
		{"classifier timeout type", `{"mode": "intent", "default": {"provider":"q"}, "classifier": {"provider":"q","model":"m","cluster":"c","timeout":"300ms"}}`, `routing.classifier.timeout: "300ms" is not`},
		{"classifier unknown key", `{"mode": "intent", "default": {"provider":"q"}, "classifier": {"provider":"q","model":"m","timeoutMs":3}}`, `routing.classifier.timeoutMs: unknown field`},
		{"intent field in model mode", `{"mode": "model", "default": {"provider":"q"}, "intents": {}}`, `routing.intents: not used in mode "model"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(gjson.Parse(tc.js), "routing", testProviders)
			if err == nil {
				t.Fatalf("Parse(%s): no error, want %q", tc.js, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse(%s):\n got  %q\n want %q", tc.js, err, tc.want)
			}
		})
	}
}

func TestParseFieldPath(t *testing.T) {
	_, err := Parse(gjson.Parse(`{"mode":"single","target":{"provider":"x"}}`), "_rules_[1].routing", testProviders)
	if err == nil || err.Error() != `_rules_[1].routing.target.provider: no provider with id "x" in providers` {
		t.Errorf("got %v", err)
	}
}

func TestParseDefaults(t *testing.T) {
	s := mustParse(t, `{"mode":"intent","default":{"provider":"q"}}`)
	if !s.ServedByHeader() {
		t.Error("servedByHeader should default to true")
	}
	if s.intentHeader != DefaultIntentHeader {
		t.Errorf("intentHeader = %q", s.intentHeader)
	}
	if _, ok := s.Classifier(); ok {
		t.Error("no classifier configured")
	}
	s = mustParse(t, `{"mode":"intent","default":{"provider":"q"},"servedByHeader":false,"intentHeader":"X-Task",
		"classifier":{"provider":"q","model":"qwen-flash","cluster":"outbound|443||dashscope.aliyuncs.com"}}`)
	if s.ServedByHeader() || s.intentHeader != "x-task" {
		t.Errorf("servedBy %v header %q", s.ServedByHeader(), s.intentHeader)
	}
	c, ok := s.Classifier()
	if !ok || c != (Classifier{Provider: "q", Model: "qwen-flash", Cluster: "outbound|443||dashscope.aliyuncs.com", Timeout: DefaultClassifierTimeout}) {
		t.Errorf("classifier %+v", c)
	}
	s = mustParse(t, `{"mode":"intent","default":{"provider":"q"},"classifier":{"provider":"q","model":"m","cluster":"c","timeout":300}}`)
	if c, _ := s.Classifier(); c.Timeout != 300*time.Millisecond {
		t.Errorf("timeout %v", c.Timeout)
	}
}
