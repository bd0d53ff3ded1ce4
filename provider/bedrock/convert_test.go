package bedrock

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

func TestEventStreamChecksums(t *testing.T) {
	good := AppendEvent(nil, "messageStart", []byte(`{"role":"assistant"}`))
	for _, tc := range []struct {
		name string
		at   int // byte flipped
		want string
	}{
		{"prelude crc", 9, "prelude checksum"},
		{"total length", 3, "prelude checksum"},
		{"header byte", 14, "message checksum"},
		{"payload byte", len(good) - 6, "message checksum"},
		{"message crc", len(good) - 1, "message checksum"},
	} {
		b := bytes.Clone(good)
		b[tc.at] ^= 0x20
		out := runStream(t, b, func(int) bool { return false })
		if !strings.Contains(string(out), tc.want) || !strings.HasSuffix(string(out), "data: [DONE]\n\n") {
			t.Errorf("%s: got %s", tc.name, out)
		}
	}
}

func TestRequestErrors(t *testing.T) {
	for body, want := range map[string]string{
		`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]}`:          "does not fetch http(s) image URLs",
		`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/bmp;base64,AA"}}]}]}`: `image format "bmp"`,
		`{"messages":[{"role":"assistant","tool_calls":[{"id":"a","function":{"name":"f","arguments":"[1]"}}]}]}`:        "arguments: must be a JSON object",
		`{"messages":{}}`: "messages: must be a list",
		`{"messages":[{"role":"wizard","content":"x"}]}`: `unknown role "wizard"`,
	} {
		_, err := newChat(testOpts).RequestBody([]byte(body))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %s", body, err, want)
		}
	}
}

func TestEditUpstreamSigns(t *testing.T) {
	o := *testOpts
	o.Key = &suiteLikeKey
	c := newChat(&o)
	if _, err := c.RequestBody([]byte(`{"model":"amazon.nova-pro-v1:0","stream":true,"messages":[{"role":"user","content":"hi"}]}`)); err != nil {
		t.Fatal(err)
	}
	h := map[string]string{}
	path := c.EditUpstream("/model/amazon.nova-pro-v1:0/converse", func(k, v string) { h[k] = v })
	if path != "/model/amazon.nova-pro-v1%3A0/converse-stream" {
		t.Errorf("path %s", path)
	}
	if h["x-amz-date"] != "20231114T221320Z" || !strings.HasPrefix(h["authorization"], "AWS4-HMAC-SHA256 Credential=AKID/20231114/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=") {
		t.Errorf("headers %v", h)
	}
}

func FuzzRequest(f *testing.F) {
	for _, n := range []string{"text", "tools"} {
		b, _ := os.ReadFile(testdata + "/" + n + ".request.json")
		f.Add(b)
	}
	f.Add([]byte(`{"messages":[{"role":"tool"},{"role":"assistant","tool_calls":[{}]}],"tools":[{"function":{"name":"x"}}],"tool_choice":{}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c := newChat(testOpts)
		c.RequestBody(body)
		c.EditUpstream("/model/m/converse", func(string, string) {})
	})
}

// FuzzEventStream: no panic on any stream, and the output does not depend on where
// the stream is split.
func FuzzEventStream(f *testing.F) {
	for _, n := range []string{"text", "tools", "throttled", "cut"} {
		b, _ := os.ReadFile(testdata + "/" + n + ".stream.json")
		f.Add(streamBytes(f, b), uint16(7))
	}
	f.Fuzz(func(t *testing.T, stream []byte, cut uint16) {
		whole := runStream(t, stream, func(int) bool { return false })
		at := int(cut)%(len(stream)+1) + 1
		split := runStream(t, stream, func(i int) bool { return i%at == 0 })
		if !bytes.Equal(whole, split) {
			t.Fatalf("split every %d bytes:\n%s\nwhole:\n%s", at, split, whole)
		}
		if !bytes.HasSuffix(whole, []byte("data: [DONE]\n\n")) {
			t.Fatalf("stream does not end with [DONE]: %s", whole)
		}
	})
}

func BenchmarkJSONExchange(b *testing.B) {
	req, _ := os.ReadFile(testdata + "/tools.request.json")
	resp, _ := os.ReadFile(testdata + "/text.response.json")
	o := *testOpts
	o.Key = &suiteLikeKey
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c := NewChat(&o)
		if _, err := c.RequestBody(req); err != nil {
			b.Fatal(err)
		}
		c.EditUpstream("/model/amazon.nova-pro-v1:0/converse", func(string, string) {})
		if _, err := c.ResponseBody(200, resp); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStreamEvent(b *testing.B) {
	ev := AppendEvent(nil, "contentBlockDelta", []byte(`{"contentBlockIndex":0,"delta":{"text":"Hello there, this is a token"},"p":"abcdefghijklmn"}`))
	c := newChat(testOpts)
	c.RequestBody([]byte(`{"model":"m","stream":true,"messages":[]}`))
	var out []byte
	b.ReportAllocs()
	b.SetBytes(int64(len(ev)))
	for i := 0; i < b.N; i++ {
		out, _ = c.ResponseStream(out[:0], ev, false)
	}
}

// TestImages: an OpenAI image generation as a Nova Canvas / Titan TEXT_IMAGE request,
// its base64 images as b64_json, Nova's content-filter error as a 400, bad input named.
func TestImages(t *testing.T) {
	c := NewImages(testOpts)
	c.Now = func() time.Time { return fixedNow }
	got, err := c.RequestBody([]byte(`{"model":"amazon.nova-canvas-v1:0","prompt":"a red fox","n":2,"size":"1280x720","quality":"hd","response_format":"url"}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"a red fox"},"imageGenerationConfig":{"numberOfImages":2,"width":1280,"height":720,"quality":"premium"}}`; string(got) != want {
		t.Errorf("request:\n got %s\nwant %s", got, want)
	}
	if got, _ := c.RequestBody([]byte(`{"model":"m","prompt":"p"}`)); !strings.Contains(string(got), `"numberOfImages":1,"width":1024,"height":1024}`) {
		t.Errorf("defaults: %s", got)
	}
	answer, err := c.ResponseBody(200, []byte(`{"images":["iVBORw0KGgo=","R0lGODlh"],"error":null}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"created":` + strconv.FormatInt(fixedNow.Unix(), 10) + `,"data":[{"b64_json":"iVBORw0KGgo="},{"b64_json":"R0lGODlh"}]}`; string(answer) != want {
		t.Errorf("answer:\n got %s\nwant %s", answer, want)
	}
	_, err = c.ResponseBody(200, []byte(`{"images":[],"error":"This request has been blocked by our content filters."}`))
	var se *translator.StatusError
	if !errors.As(err, &se) || se.Status != 400 || se.Code != "content_filter" {
		t.Errorf("content filter: %v", err)
	}
	if e, _ := c.ResponseBody(400, []byte(`{"message":"Malformed input request"}`)); !strings.Contains(string(e), "Malformed input request") {
		t.Errorf("error: %s", e)
	}
	for body, want := range map[string]string{
		`{"model":"m"}`:                           "prompt: required",
		`{"model":"m","prompt":"p","n":0}`:        "n: must be a positive integer",
		`{"model":"m","prompt":"p","size":"big"}`: `size: "big" is not WIDTHxHEIGHT`,
	} {
		if _, err := NewImages(testOpts).RequestBody([]byte(body)); err == nil || err.Error() != want {
			t.Errorf("%s: got %v, want %s", body, err, want)
		}
	}
}

// FuzzImages: any request or answer body gives an answer or an error, never a panic, and
// a converted request or answer is JSON.
func FuzzImages(f *testing.F) {
	f.Add([]byte(`{"model":"amazon.nova-canvas-v1:0","prompt":"a fox","n":2,"size":"512x512","quality":"hd"}`))
	f.Add([]byte(`{"images":["aGk="],"error":null}`))
	f.Add([]byte(`{"images":[1],"error":"blocked"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c := NewImages(testOpts)
		if out, err := c.RequestBody(body); err == nil && !gjson.ValidBytes(out) {
			t.Fatalf("request not JSON: %s", out)
		}
		if out, err := c.ResponseBody(200, body); err == nil && !gjson.ValidBytes(out) {
			t.Fatalf("answer not JSON: %s", out)
		}
	})
}
