package provider

import (
	"bytes"
	"compress/gzip"
	"testing"

	"github.com/tidwall/gjson"
)

func TestPassthroughResponses(t *testing.T) {
	msg := func(want string) func(t *testing.T, out string, status int) {
		return func(t *testing.T, out string, status int) {
			if got := gjson.Get(out, "error.message").String(); got != want {
				t.Errorf("message %q, want %q (body %s)", got, want, out)
			}
		}
	}
	tests := []struct {
		name, path, ct, encoding string
		status                   int
		body                     string
		convert                  bool
		check                    func(t *testing.T, out string, status int)
	}{
		{"json answer untouched", "/v1/chat/completions", "application/json", "", 200, `{"id":"x"}`, false, nil},
		{"sse untouched", "/v1/chat/completions", "text/event-stream", "", 200, "data: {}\n\n", false, nil},
		{"json error kept", "/v1/chat/completions", "application/json; charset=utf-8", "", 429, `{"error":{"message":"slow down"}}`, true,
			func(t *testing.T, out string, status int) {
				if out != `{"error":{"message":"slow down"}}` || status != 0 {
					t.Errorf("got %d %s", status, out)
				}
			}},
		{"plain-text error wrapped", "/v1/chat/completions", "text/html", "", 502, "<html>Bad Gateway</html>", true,
			msg("upstream answered HTTP 502: <html>Bad Gateway</html>")},
		{"empty error wrapped", "/v1/embeddings", "", "", 503, "", true, msg("upstream answered HTTP 503 with an empty body")},
		{"empty json error wrapped", "/v1/chat/completions", "application/json", "", 502, " ", true, msg("upstream answered HTTP 502 with an empty body")},
		{"sse error read", "/v1/chat/completions", "text/event-stream", "", 400, "id:1\nevent:error\n:HTTP_STATUS/400\ndata:{\"code\":\"InvalidParameter\",\"message\":\"bad input\"}\n\n", true,
			func(t *testing.T, out string, status int) {
				if gjson.Get(out, "error.message").String() != "bad input" || gjson.Get(out, "error.type").String() != "invalid_request_error" {
					t.Errorf("got %s", out)
				}
			}},
		{"compressed error untouched", "/v1/chat/completions", "application/json", "gzip", 500, gz(`{"error":{"message":"boom"}}`), false, nil},
	}
	c := mustConfig(t, `{"type":"openai","apiTokens":["k"]}`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := NewRequest(c, tt.path)
			h := testHeaders{"content-type": tt.ct, "content-length": "10"}
			if tt.encoding != "" {
				h["content-encoding"] = tt.encoding
			}
			convert, streaming := r.RewriteResponseHeaders(tt.status, h)
			if convert != tt.convert || streaming {
				t.Fatalf("convert=%v streaming=%v, want convert=%v", convert, streaming, tt.convert)
			}
			if !convert {
				if h["content-length"] != "10" {
					t.Errorf("passthrough headers changed: %v", h)
				}
				return
			}
			if h["content-type"] != "application/json" || h["content-length"] != "" || h["content-encoding"] != "" {
				t.Errorf("headers %v", h)
			}
			out, status := r.ConvertResponseBody([]byte(tt.body))
			tt.check(t, string(out), status)
		})
	}
}

// gz is s gzip-compressed.
func gz(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

// FuzzRequestBody: no client body may panic the request rewrite, and whatever it
// accepts comes out as valid JSON.
func FuzzRequestBody(f *testing.F) {
	f.Add("/v1/chat/completions", `{"model":"gpt-4","stream":true,"messages":[{"role":"user","content":"x"}]}`)
	f.Add("/v1/messages", `{"model":"c","max_tokens":5,"messages":[]}`)
	f.Add("/v1/embeddings", `{"input":["a"]}`)
	configs := []*Config{
		mustConfig(f, `{"type":"openai","apiTokens":["k"],"modelMapping":{"~(.*)":"x-$1","*":"y"},"customSettings":[{"name":"max_tokens","value":3},{"name":"a.b","value":[1],"mode":"raw"}]}`),
		mustConfig(f, `{"type":"azure","apiTokens":["k"],"azureServiceUrl":"https://r?api-version=1"}`),
	}
	f.Fuzz(func(t *testing.T, path, body string) {
		for _, c := range configs {
			r, e := NewRequest(c, path)
			if e != nil {
				continue
			}
			h := testHeaders{}
			r.RewriteRequestHeaders(h)
			out, e := r.RewriteRequestBody([]byte(body), h)
			if e == nil && !gjson.ValidBytes(out) {
				t.Fatalf("accepted %q but produced invalid JSON %q", body, out)
			}
		}
	})
}

// FuzzBodyFields: the one-pass reader of RewriteRequestBody agrees with gjson on
// validity and on the model and stream it finds.
func FuzzBodyFields(f *testing.F) {
	f.Add(`{"model":"gpt-4","stream":true,"messages":[{"role":"user","content":"x"}]}`)
	f.Add(` {"mod\u0065l" : 1, "stream":"true", "model":"b"} `)
	f.Add(`[{"model":"x"}]`)
	f.Fuzz(func(t *testing.T, body string) {
		got, ok := readBodyFields([]byte(body))
		if ok != gjson.Valid(body) {
			t.Fatalf("valid=%v, gjson says %v", ok, !ok)
		}
		if !ok {
			return
		}
		if m := gjson.Get(body, "model"); got.model != m.Raw || (m.Exists() && body[got.modelAt:got.modelAt+len(got.model)] != m.Raw) {
			t.Fatalf("model %q at %d, gjson %q", got.model, got.modelAt, m.Raw)
		}
		if s := gjson.Get(body, "stream"); got.stream != s.Raw {
			t.Fatalf("stream %q, gjson %q", got.stream, s.Raw)
		}
		if got.end >= 0 && body[got.end] != '}' {
			t.Fatalf("end %d is no closing brace", got.end)
		}
	})
}
