package spark

import (
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/internal/golden"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// fuzz: every converter; a body passed on unchanged (an OpenAI-compatible answer) need
// not be JSON.
var fuzz = golden.Fuzz{New: []func() translator.Translator{newChat}, Statuses: []int{200, 429},
	RequestPassThrough: true, AnswerPassThrough: true, Walked: []func() translator.Translator{walkedChat}}

func seeds(pattern string) [][]byte {
	var ds []string
	for _, d := range dirs {
		ds = append(ds, testdata+"/"+d)
	}
	return golden.Seeds(pattern, ds...)
}

// FuzzRequest: no body makes a converter panic; what it writes is JSON.
func FuzzRequest(f *testing.F) {
	for _, b := range seeds("*.json") {
		f.Add(b)
	}
	f.Fuzz(fuzz.Body)
}

// FuzzStream: any input gives JSON events ending in [DONE], the same whatever the split.
func FuzzStream(f *testing.F) {
	for i, b := range seeds("*.sse") {
		f.Add(b, 37*i)
	}
	f.Add(sparkStream()[:3000], 1500) // events that match the last one's shape
	f.Fuzz(fuzz.Stream)
}

// FuzzPlainRequest: a request taken as it is converts as the edits would convert it.
func FuzzPlainRequest(f *testing.F) {
	for _, b := range seeds("*.request.json") {
		f.Add(b)
	}
	f.Add([]byte(`{"model":"lite","messages":[{"role":"user","content":"hi"},{"content":["x"]}]}`))
	f.Add([]byte(`{"model":"lite","messages":[{"role":"user","content":"hi"}],"model":"general"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, slow := NewChat(), NewChat()
		got, err := fast.RequestBody(body)
		want, werr := slow.editRequest(body)
		if (err == nil) != (werr == nil) || err == nil && (string(got) != string(want) || fast.model != slow.model) {
			t.Fatalf("RequestBody(%s) = %s, %v (model %q); the edits give %s, %v (model %q)", body, got, err, fast.model, want, werr, slow.model)
		}
	})
}

// FuzzPlainAnswer: an answer converted in one pass converts as the general reading
// converts it.
func FuzzPlainAnswer(f *testing.F) {
	for _, b := range seeds("*.response.json") {
		f.Add(b)
	}
	f.Add([]byte(`{"code":0,"sid":null,"id":"x","choices":[{"message":{"content":"a\u00e9"},"index":1,"finish_reason":"length"},3]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, slow := newChat().(*Chat), newChat().(*Chat)
		got, ok := fast.plainAnswer(string(body))
		if !ok {
			return
		}
		want, err := slow.answer(body)
		if err != nil || string(got) != string(want) || fast.usage != slow.usage {
			t.Fatalf("plainAnswer(%s) = %s (%+v); answer gives %s, %v (%+v)", body, got, fast.usage, want, err, slow.usage)
		}
	})
}
