package route

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func headers(kv ...string) func(string) string {
	return func(name string) string {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == name {
				return kv[i+1]
			}
		}
		return ""
	}
}

func TestMatcher(t *testing.T) {
	for _, tc := range []struct {
		pat, s string
		want   bool
	}{
		{"qwen-max", "qwen-max", true},
		{"qwen-max", "qwen-max2", false},
		{"qwen-*", "qwen-max", true},
		{"qwen-*", "qwen-", true},
		{"qwen-*", "qwen", false},
		{"qwen-*", "xqwen-max", false},
		{"*-max", "qwen-max", true},
		{"*-max", "qwen-maxx", false},
		{"*turbo*", "gpt-3.5-turbo-16k", true},
		{"*", "", true},
		{"gpt-4?", "gpt-4o", true},
		{"gpt-4?", "gpt-4", false},
		{"gpt-4?", "gpt-4oo", false},
		{"g?t-*-mini", "gpt-4o-mini", true},
		{"g?t-*-mini", "gpt-4o-mini-x", false},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"a**c", "abc", true},
		{"*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaab", true},
		{"*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"claude-?-*", "claude-3-opus", true},
		{"Qwen-*", "qwen-max", false}, // case-sensitive
	} {
		m, err := compilePattern(tc.pat)
		if err != nil {
			t.Fatalf("%q: %v", tc.pat, err)
		}
		if got := m.match(tc.s); got != tc.want {
			t.Errorf("match(%q, %q) = %v, want %v", tc.pat, tc.s, got, tc.want)
		}
	}
}

func TestChooseSingle(t *testing.T) {
	s := mustParse(t, `{"mode":"single","target":{"provider":"qwen","model":"qwen-max"}}`)
	d := s.Choose(&Input{Model: "gpt-4o"}, nil)
	if want := (Decision{Target: Target{"qwen", "qwen-max"}, Mode: ModeSingle, Reason: "single", OK: true}); d != want {
		t.Errorf("got %+v want %+v", d, want)
	}
	if d := s.Choose(&Input{Exclude: []string{"qwen"}}, nil); d.OK {
		t.Errorf("excluded single target chosen: %+v", d)
	}
}

func TestChooseModel(t *testing.T) {
	s := mustParse(t, `{"mode":"model","rules":[
		{"match":"qwen-*","provider":"qwen"},
		{"match":"gpt-4?","provider":"openai","model":"gpt-4o"},
		{"match":"*","provider":"a"}],
		"default":{"provider":"b"}}`)
	noDefault := mustParse(t, `{"mode":"model","rules":[{"match":"qwen-*","provider":"qwen"}]}`)
	for _, tc := range []struct {
		name string
		s    *Service
		in   Input
		want Decision
	}{
		{"first rule", s, Input{Model: "qwen-long"}, Decision{Target{"qwen", ""}, ModeModel, 0, "rule qwen-*", true}},
		{"model override", s, Input{Model: "gpt-4o"}, Decision{Target{"openai", "gpt-4o"}, ModeModel, 0, "rule gpt-4?", true}},
		{"catch-all", s, Input{Model: "llama"}, Decision{Target{"a", ""}, ModeModel, 0, "rule *", true}},
		{"excluded falls to next rule", s, Input{Model: "qwen-max", Exclude: []string{"qwen"}}, Decision{Target{"a", ""}, ModeModel, 0, "rule *", true}},
		{"excluded falls to default", s, Input{Model: "qwen-max", Exclude: []string{"qwen", "a"}}, Decision{Target{"b", ""}, ModeModel, 0, "default", true}},
		{"all excluded", s, Input{Model: "qwen-max", Exclude: []string{"qwen", "a", "b"}}, Decision{Target{}, ModeModel, 0, "no match", false}},
		{"no match no default", noDefault, Input{Model: "gpt-4o"}, Decision{Target{}, ModeModel, 0, "no match", false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.Choose(&tc.in, nil); got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
	if got, want := fmt.Sprint(s.Targets()), "[{qwen } {openai gpt-4o} {a } {b }]"; got != want {
		t.Errorf("Targets() = %s, want %s", got, want)
	}
}

const weightCfg = `{"mode":"weight","targets":[{"provider":"a","weight":70,"model":"m1"},{"provider":"b","weight":20},{"provider":"qwen","weight":10}],"stickyHeader":"X-Session-Id"}`

func TestChooseWeightShares(t *testing.T) {
	s := mustParse(t, weightCfg)
	in := Input{Rand: rand.New(rand.NewPCG(1, 2))}
	const n = 10000
	counts := map[string]int{}
	for i := 0; i < n; i++ {
		d := s.Choose(&in, nil)
		if !d.OK || d.Reason != "weight" {
			t.Fatalf("decision %+v", d)
		}
		counts[d.Target.Provider]++
		if d.Target.Provider == "a" && d.Target.Model != "m1" {
			t.Fatalf("model of a: %q", d.Target.Model)
		}
	}
	checkShares(t, counts, n, map[string]float64{"a": 70, "b": 20, "qwen": 10}, 2)

	// excluding a: b and qwen share 2:1
	in.Exclude = []string{"a"}
	counts = map[string]int{}
	for i := 0; i < n; i++ {
		counts[s.Choose(&in, nil).Target.Provider]++
	}
	checkShares(t, counts, n, map[string]float64{"b": 66.67, "qwen": 33.33}, 2)
	in.Exclude = []string{"a", "b", "qwen"}
	if d := s.Choose(&in, nil); d.OK {
		t.Errorf("all excluded: %+v", d)
	}
}

func TestChooseWeightSticky(t *testing.T) {
	s := mustParse(t, weightCfg)
	in := Input{Rand: rand.New(rand.NewPCG(3, 4))}
	const n = 10000
	counts := map[string]int{}
	moved := 0
	for i := 0; i < n; i++ {
		in.Header = headers("x-session-id", fmt.Sprintf("session-%d", i))
		in.Exclude = nil
		d := s.Choose(&in, nil)
		if d.Reason != "sticky" {
			t.Fatalf("reason %q", d.Reason)
		}
		for k := 0; k < 3; k++ {
			if again := s.Choose(&in, nil); again != d {
				t.Fatalf("session-%d: %+v then %+v", i, d, again)
			}
		}
		counts[d.Target.Provider]++
		// excluding another target never moves a session
		other := "b"
		if d.Target.Provider == "b" {
			other = "qwen"
		}
		in.Exclude = []string{other}
		if again := s.Choose(&in, nil); again.Target != d.Target {
			moved++
		}
	}
	checkShares(t, counts, n, map[string]float64{"a": 70, "b": 20, "qwen": 10}, 2)
	if moved != 0 {
		t.Errorf("%d sessions moved when an unrelated target was excluded", moved)
	}
	// without the header: weighted random
	in.Header = headers("other", "x")
	in.Exclude = nil
	if d := s.Choose(&in, nil); d.Reason != "weight" {
		t.Errorf("no sticky header: reason %q", d.Reason)
	}
}

func checkShares(t *testing.T, counts map[string]int, n int, want map[string]float64, tol float64) {
	t.Helper()
	for p, w := range want {
		got := 100 * float64(counts[p]) / float64(n)
		if math.Abs(got-w) > tol {
			t.Errorf("%s: share %.2f%%, want %.2f%% ± %.0f", p, got, w, tol)
		}
	}
	for p := range counts {
		if _, ok := want[p]; !ok {
			t.Errorf("unexpected target %s (%d)", p, counts[p])
		}
	}
}

func TestChooseIntent(t *testing.T) {
	s := mustParse(t, `{"mode":"intent","intents":{
		"code":{"provider":"coder","model":"qwen-coder-plus"},
		"math":{"provider":"q","model":"qwen-math-plus"},
		"translation":{"provider":"q","model":"qwen-mt-plus"},
		"complex":{"provider":"ds","model":"deepseek-r1"}},
		"default":{"provider":"q","model":"qwen-plus"},
		"classifier":{"provider":"q","model":"qwen-flash","cluster":"outbound|443||dashscope.aliyuncs.com"}}`)
	body := func(text string) []byte {
		return []byte(`{"model":"auto","messages":[{"role":"system","content":"You are helpful."},{"role":"user","content":"hi"},{"role":"assistant","content":"Hello"},{"role":"user","content":` + string(appendJSONString(nil, text)) + `}]}`)
	}
	codeBody := body("Why does my Python script raise KeyError when I read the dict?")
	for _, tc := range []struct {
		name string
		in   Input
		want Decision
	}{
		{"builtin code", Input{Body: codeBody}, Decision{Target{"coder", "qwen-coder-plus"}, ModeIntent, IntentCode, "intent code (builtin)", true}},
		{"header wins", Input{Body: codeBody, Header: headers("x-ai-intent", "Math")}, Decision{Target{"q", "qwen-math-plus"}, ModeIntent, IntentMath, "intent math (header)", true}},
		{"header wins over llm", Input{Body: codeBody, Intent: IntentTranslation, Header: headers("x-ai-intent", "complex")}, Decision{Target{"ds", "deepseek-r1"}, ModeIntent, IntentComplex, "intent complex (header)", true}},
		{"unknown header ignored", Input{Body: codeBody, Header: headers("x-ai-intent", "poetry")}, Decision{Target{"coder", "qwen-coder-plus"}, ModeIntent, IntentCode, "intent code (builtin)", true}},
		{"llm answer", Input{Body: codeBody, Intent: IntentTranslation}, Decision{Target{"q", "qwen-mt-plus"}, ModeIntent, IntentTranslation, "intent translation (llm)", true}},
		{"no intents entry: default", Input{Body: body("hello!")}, Decision{Target{"q", "qwen-plus"}, ModeIntent, IntentFast, "default", true}},
		{"excluded: default", Input{Body: codeBody, Exclude: []string{"coder"}}, Decision{Target{"q", "qwen-plus"}, ModeIntent, IntentCode, "default", true}},
		{"anthropic body", Input{Anthropic: true, Body: []byte(`{"model":"x","system":"be brief","messages":[{"role":"user","content":[{"type":"text","text":"把这句话翻译成英文：你好世界"}]}]}`)},
			Decision{Target{"q", "qwen-mt-plus"}, ModeIntent, IntentTranslation, "intent translation (builtin)", true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.Choose(&tc.in, nil); got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
	if !s.NeedsClassifier(&Input{}) || s.NeedsClassifier(&Input{Header: headers("x-ai-intent", "code")}) {
		t.Error("NeedsClassifier: want true without the forcing header, false with it")
	}
	if !s.NeedsClassifier(&Input{Header: headers("x-ai-intent", "nonsense")}) {
		t.Error("NeedsClassifier: an unknown header value does not force")
	}
	noDefault := mustParse(t, `{"mode":"intent","intents":{"code":{"provider":"coder"}},"intentHeader":"x-task"}`)
	if d := noDefault.Choose(&Input{Header: headers("x-task", "fast")}, nil); d.OK || d.Intent != IntentFast {
		t.Errorf("no entry, no default: %+v", d)
	}
	if d := noDefault.Choose(&Input{Header: headers("x-task", "code")}, nil); !d.OK || d.Target.Provider != "coder" {
		t.Errorf("custom header: %+v", d)
	}
}

func TestExtractText(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		anthropic  bool
		want       string
	}{
		{"openai string", `{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"}]}`, false, "c"},
		{"openai parts", `{"messages":[{"role":"user","content":[{"type":"text","text":"x"},{"type":"image_url","image_url":{"url":"u"}},{"type":"text","text":"y"}]}]}`, false, "x\ny"},
		{"last user without text", `{"messages":[{"role":"user","content":"q"},{"role":"user","content":[{"type":"tool_result","content":"r"}]}]}`, true, "q"},
		{"no user", `{"messages":[{"role":"system","content":"s"}]}`, false, ""},
		{"not json", `nope`, false, ""},
		{"empty", ``, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ExtractText([]byte(tc.body), tc.anthropic); got != tc.want {
				t.Errorf("got %q want %q", got, tc.want)
			}
		})
	}
}

func TestClassifierHelpers(t *testing.T) {
	b := ClassifierRequest("qwen-flash", "say \"hi\"\n\x01 你好")
	if !jsonValid(b) {
		t.Fatalf("invalid JSON: %s", b)
	}
	for path, want := range map[string]string{
		"model": "qwen-flash", "messages.1.content": "say \"hi\"\n\x01 你好", "messages.0.role": "system",
		"temperature": "0", "max_tokens": "4", "stream": "false",
	} {
		if got := getJSON(b, path); got != want {
			t.Errorf("%s = %q want %q", path, got, want)
		}
	}
	long := ClassifierRequest("m", strings.Repeat("长", 5000))
	if len(long) > 5000 || !jsonValid(long) {
		t.Errorf("long text not cut: %d bytes", len(long))
	}
	for _, tc := range []struct {
		content string
		want    Intent
		ok      bool
	}{
		{"code", IntentCode, true},
		{" Math.", IntentMath, true},
		{"\"TRANSLATION\"", IntentTranslation, true},
		{"Intent: fast", IntentFast, true},
		{"complex, maybe code", IntentComplex, true},
		{"decode", IntentNone, false},
		{"I don't know", IntentNone, false},
		{"", IntentNone, false},
	} {
		body := `{"choices":[{"message":{"role":"assistant","content":` + string(appendJSONString(nil, tc.content)) + `}}]}`
		got, ok := ParseClassifierAnswer([]byte(body))
		if got != tc.want || ok != tc.ok {
			t.Errorf("%q: got %v %v want %v %v", tc.content, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := ParseClassifierAnswer([]byte(`{"error":{}}`)); ok {
		t.Error("error body parsed as an answer")
	}
}

func TestParseIntent(t *testing.T) {
	for s, want := range map[string]Intent{"code": IntentCode, " MATH ": IntentMath, "Translation": IntentTranslation, "fast": IntentFast, "complex": IntentComplex} {
		if got, ok := ParseIntent(s); !ok || got != want {
			t.Errorf("ParseIntent(%q) = %v %v", s, got, ok)
		}
	}
	for _, s := range []string{"", "none", "codes"} {
		if _, ok := ParseIntent(s); ok {
			t.Errorf("ParseIntent(%q) ok", s)
		}
	}
}
