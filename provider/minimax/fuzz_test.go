package minimax

import (
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/internal/golden"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// fuzz: every converter; a body passed on unchanged (an OpenAI-compatible answer) need
// not be JSON.
var fuzz = golden.Fuzz{New: []func() translator.Translator{newV2, newPro}, Statuses: []int{200, 429},
	RequestPassThrough: true, AnswerPassThrough: true,
	Walked: []func() translator.Translator{walked(newV2), walked(newPro)}}

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
	f.Add(proStream()[:3000], 1500) // events that match the last one's shape
	f.Fuzz(fuzz.Stream)
}

// botReplyGJSON is botReply written with gjson's Get, the reference it must match.
func botReplyGJSON(dst []byte, c gjson.Result) ([]byte, gjson.Result) {
	var call gjson.Result
	c.Get("messages").ForEach(func(_, m gjson.Result) bool {
		if st := m.Get("sender_type").Str; st != "" && st != "BOT" {
			return true
		}
		dst = append(dst, m.Get("text").String()...)
		if fc := m.Get("function_call"); fc.IsObject() {
			call = fc
		}
		return true
	})
	return dst, call
}

// FuzzBotReply: the one-pass reading of a Pro choice's messages reads what gjson does.
func FuzzBotReply(f *testing.F) {
	f.Add(`{"messages":[{"sender_type":"BOT","text":"a\n\u00e9","function_call":{"name":"f"}},{"sender_type":"USER","text":"x"},{"text":5},{"text":null}]}`)
	f.Add(`{"messages":{"a":{"text":"t"}}}`)
	f.Fuzz(func(t *testing.T, choice string) {
		if !gjson.Valid(choice) {
			return
		}
		c := gjson.Parse(choice)
		got, gotCall := botReply(nil, c)
		want, wantCall := botReplyGJSON(nil, c)
		if string(got) != string(want) || gotCall.Raw != wantCall.Raw {
			t.Fatalf("botReply(%s) = %q, %q; gjson reads %q, %q", choice, got, gotCall.Raw, want, wantCall.Raw)
		}
	})
}
