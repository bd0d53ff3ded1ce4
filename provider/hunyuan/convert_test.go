package hunyuan

import (
	"errors"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/sign"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

func TestEditUpstreamSignsTheFinalBody(t *testing.T) {
	c := NewChat(Options{Credential: testKey, Host: Host, Region: "ap-guangzhou", Now: func() int64 { return fixedNow }})
	body, err := c.RequestBody([]byte(`{"model":"hunyuan-lite","messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]string{}
	if p := c.EditUpstream("/", func(k, v string) { h[k] = v }); p != "/" {
		t.Errorf("path %q, want /", p)
	}
	want := map[string]string{
		"content-type": ContentType, "x-tc-action": "ChatCompletions", "x-tc-version": "2023-09-01",
		"x-tc-timestamp": "1700000000", "x-tc-region": "ap-guangzhou",
		"authorization": string(testKey.Authorization(nil, &sign.TC3Request{ContentType: ContentType, Host: Host,
			Action: Action, Timestamp: fixedNow, Payload: body})),
	}
	for k, v := range want {
		if h[k] != v {
			t.Errorf("%s: got %q, want %q", k, h[k], v)
		}
	}
	if !strings.HasPrefix(h["authorization"], "TC3-HMAC-SHA256 Credential="+testKey.SecretID+"/2023-11-14/hunyuan/tc3_request, SignedHeaders=content-type;host;x-tc-action, Signature=") {
		t.Errorf("authorization %q", h["authorization"])
	}
}

func TestResponseErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   int // StatusError status; 0: an OpenAI error body
		code   string
	}{
		{"auth", 200, `{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"The provided credentials could not be validated."},"RequestId":"r1"}}`, 401, "AuthFailure.SignatureFailure"},
		{"expired", 200, `{"Response":{"Error":{"Code":"AuthFailure.SignatureExpire","Message":"Signature expired"},"RequestId":"r1"}}`, 401, "AuthFailure.SignatureExpire"},
		{"limit", 200, `{"Response":{"Error":{"Code":"LimitExceeded","Message":"rate"},"RequestId":"r1"}}`, 429, "LimitExceeded"},
		{"param", 200, `{"Response":{"Error":{"Code":"InvalidParameterValue.Model","Message":"bad model"},"RequestId":"r1"}}`, 400, "InvalidParameterValue.Model"},
		{"internal", 200, `{"Response":{"Error":{"Code":"InternalError","Message":"oops"},"RequestId":"r1"}}`, 500, "InternalError"},
		{"gateway 503", 503, `<html>busy</html>`, 0, ""},
		{"http 401 tencent shape", 401, `{"Response":{"Error":{"Code":"AuthFailure.SecretIdNotFound","Message":"no id"}}}`, 0, "AuthFailure.SecretIdNotFound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := newChat().ResponseBody(tc.status, []byte(tc.body))
			if tc.want != 0 {
				var se *translator.StatusError
				if !errors.As(err, &se) || se.Status != tc.want || se.Code != tc.code || se.Message == "" {
					t.Fatalf("got %v (%s), want a StatusError %d %s", err, out, tc.want, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			e := gjson.GetBytes(out, "error")
			if e.Get("message").Str == "" || e.Get("code").Str != tc.code {
				t.Errorf("got %s", out)
			}
		})
	}
	if _, err := newChat().ResponseBody(200, []byte(`{"Response":`)); err == nil {
		t.Error("a cut answer must be an error")
	}
}

func TestStreamErrorBeforeStream(t *testing.T) {
	// A request that fails is answered as JSON even when it asked for a stream; if it
	// reaches the stream converter anyway it still ends the stream with the error.
	out, _ := newChat().ResponseStream(nil, []byte(`{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"bad sig"},"RequestId":"r"}}`), true)
	if !strings.Contains(string(out), `"code":"stream_cut"`) && !strings.Contains(string(out), "bad sig") {
		t.Errorf("got %s", out)
	}
	if !strings.HasSuffix(string(out), "data: [DONE]\n\n") {
		t.Errorf("no [DONE]: %s", out)
	}
	out, _ = newChat().ResponseStream(nil, []byte("data: {\"Response\":{\"Error\":{\"Code\":\"LimitExceeded\",\"Message\":\"slow down\"}}}\n\n"), true)
	if !strings.Contains(string(out), `{"error":{"message":"slow down","type":"rate_limit_error","code":"LimitExceeded"}}`) {
		t.Errorf("got %s", out)
	}
}

func TestRequestRefusals(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`[]`, "must be a JSON object"},
		{`{"model":"m"}`, "messages: must be a list"},
		{`{"messages":[{"role":"function","content":"x"}]}`, "messages[0].role"},
		{`{"messages":[{"role":"tool","content":"x"}]}`, "messages[0].tool_call_id: required"},
		{`{"messages":[{"role":"user","content":[{"type":"input_audio"}]}]}`, "messages[0].content[0]: content part type"},
		{`{"messages":[{"role":"assistant","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]}`, "user messages only"},
		{`{"messages":[],"tools":[{"type":"web_search"}]}`, "tools[0]: type"},
		{`{"messages":[],"tools":[{"type":"function","function":{"name":"a"}},{"type":"function","function":{"name":"b"}}],"tool_choice":"required"}`, "tool_choice"},
		{`{"messages":[],"tools":[{"type":"function","function":{"name":"a"}}],"tool_choice":{"type":"function","function":{"name":"zzz"}}}`, "names no tool"},
		{`{"messages":[],"stop":[1]}`, "stop:"},
	} {
		if _, err := newChat().RequestBody([]byte(tc.body)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.body, err, tc.want)
		}
	}
	// required with a single tool forces it.
	out, err := newChat().RequestBody([]byte(`{"messages":[],"tools":[{"type":"function","function":{"name":"a"}}],"tool_choice":"required"}`))
	if err != nil || gjson.GetBytes(out, "ToolChoice").Str != "custom" || gjson.GetBytes(out, "CustomTool.Function.Name").Str != "a" {
		t.Errorf("required with one tool: %s %v", out, err)
	}
	// A Hunyuan field the client sent wins over the converted one.
	out, _ = newChat().RequestBody([]byte(`{"messages":[],"temperature":1,"Temperature":0.5}`))
	if n := strings.Count(string(out), "Temperature"); n != 1 || gjson.GetBytes(out, "Temperature").Raw != "0.5" {
		t.Errorf("native field: %s", out)
	}
}
