package deepl

import (
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/internal/golden"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

const testdata = "../../testdata/deepl/chat"

// seedCreated is the created time of the configuration reference's example answer.
const seedCreated = 1722747752

func newChat() translator.Translator {
	c := NewChat(Options{TargetLang: "ZH"})
	c.Now = func() int64 { return seedCreated }
	return c
}

// TestGolden runs testdata/deepl/chat (`-update` rewrites the want files).
func TestGolden(t *testing.T) { golden.Run(t, testdata, newChat) }

// seedResponse is the example answer of the configuration reference, as printed there.
const seedResponse = `{"choices":[{"index":0},{"index":1}],"created":1722747752,"model":"Free","object":"chat.completion","usage":{}}`

// TestSeedExample: the reference's request becomes the DeepL request it describes, and
// the answer has every member of the reference's answer, in its order, with its values.
func TestSeedExample(t *testing.T) {
	tr := newChat()
	req := `{"model":"Free","messages":[{"role":"system","content":"money"},{"content":"sit by the bank"},{"content":"a bank in China"}]}`
	out, err := tr.RequestBody([]byte(req))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"text":["sit by the bank","a bank in China"],"target_lang":"ZH","context":"money"}`; string(out) != want {
		t.Fatalf("DeepL request:\ngot  %s\nwant %s", out, want)
	}
	ans, err := tr.ResponseBody(200, []byte(`{"translations":[{"detected_source_language":"EN","text":"坐庄"},{"detected_source_language":"EN","text":"中国银行"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	gjson.ParseBytes(ans).ForEach(func(k, _ gjson.Result) bool { keys = append(keys, k.Str); return true })
	var want []string
	gjson.Parse(seedResponse).ForEach(func(k, v gjson.Result) bool {
		want = append(want, k.Str)
		if k.Str != "choices" && gjson.GetBytes(ans, k.Str).Raw != v.Raw {
			t.Errorf("%s: got %s, want %s", k.Str, gjson.GetBytes(ans, k.Str).Raw, v.Raw)
		}
		return true
	})
	if len(keys) != len(want) {
		t.Fatalf("members %v, want %v", keys, want)
	}
	for i := range keys {
		if keys[i] != want[i] {
			t.Fatalf("members %v, want %v", keys, want)
		}
	}
	for i, c := range gjson.GetBytes(ans, "choices").Array() {
		if c.Get("index").Int() != int64(i) || c.Get("message.content").Str == "" {
			t.Errorf("choice %d: %s", i, c.Raw)
		}
	}
}

func TestRequestErrors(t *testing.T) {
	for body, want := range map[string]string{
		`{"model":"gpt-4","messages":[{"content":"x"}]}`:                                 `model: DeepL takes "Free" or "Pro" (the service tier), got "gpt-4"`,
		`{"model":"Free","messages":[{"role":"system","content":"x"}]}`:                  "messages: no text to translate (system messages are only context)",
		`{"model":"Free","messages":[{"role":"user","content":[{"type":"image_url"}]}]}`: `messages.content: DeepL translates text only, got a "image_url" part`,
		`{"model":"Free"}`: "messages: must be a list",
	} {
		if _, err := newChat().RequestBody([]byte(body)); err == nil || err.Error() != want {
			t.Errorf("%s: got %v, want %s", body, err, want)
		}
	}
}
