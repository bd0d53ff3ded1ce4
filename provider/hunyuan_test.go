package provider

import (
	"strconv"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/sign"
	"github.com/tidwall/gjson"
)

const (
	testHunyuanID  = "AKIDtestHunyuanSecretId0000000000000"
	testHunyuanKey = "testHunyuanSecretKey000000000000"
)

// The configuration reference's example: apiTokens [""] with the TC3 key pair.
const hunyuanSeedConfig = `{"type":"hunyuan","hunyuanAuthKey":"` + testHunyuanKey + `","apiTokens":[""],"hunyuanAuthId":"` +
	testHunyuanID + `","timeout":1200000,"modelMapping":{"*":"hunyuan-lite"},` +
	`"customSettings":[{"name":"temperature","value":0.3},{"name":"top_p","value":0.9}]}`

func TestHunyuanSignedRequest(t *testing.T) {
	c := mustConfig(t, hunyuanSeedConfig)
	client := map[string]string{"authorization": "Bearer client-own-key", "content-type": "application/json"}
	h, body := upstream(t, c, "/v1/chat/completions", `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":true}`, client)
	for k, want := range map[string]string{
		":authority": "hunyuan.tencentcloudapi.com", ":path": "/", "x-tc-action": "ChatCompletions",
		"x-tc-version": "2023-09-01", "content-type": "application/json; charset=utf-8", "accept": "text/event-stream",
	} {
		if h[k] != want {
			t.Errorf("%s: got %q, want %q", k, h[k], want)
		}
	}
	b := gjson.Parse(body)
	if b.Get("Model").Str != "hunyuan-lite" || b.Get("Messages.0.Content").Str != "hi" || !b.Get("Stream").Bool() ||
		b.Get("Temperature").Raw != "0.3" || b.Get("TopP").Raw != "0.9" {
		t.Errorf("body: %s", body)
	}
	ts, err := strconv.ParseInt(h["x-tc-timestamp"], 10, 64)
	if err != nil {
		t.Fatalf("x-tc-timestamp %q: %v", h["x-tc-timestamp"], err)
	}
	k := &sign.TC3{SecretID: testHunyuanID, SecretKey: testHunyuanKey, Service: "hunyuan"}
	want := string(k.Authorization(nil, &sign.TC3Request{ContentType: h["content-type"], Host: h[":authority"],
		Action: h["x-tc-action"], Timestamp: ts, Payload: []byte(body)}))
	if h["authorization"] != want {
		t.Errorf("authorization:\n got %q\nwant %q", h["authorization"], want)
	}
	for name, v := range h {
		if strings.Contains(v, testHunyuanKey) || strings.Contains(v, "client-own-key") {
			t.Errorf("header %s holds a secret: %q", name, v)
		}
	}
	if _, e := NewRequest(c, "/v1/embeddings"); e == nil || e.Status != 404 {
		t.Errorf("embeddings on the signed API: want 404, got %v", e)
	}
}

func TestHunyuanConfigErrors(t *testing.T) {
	for _, tc := range []struct{ cfg, want string }{
		{`{"type":"hunyuan","hunyuanAuthKey":"` + testHunyuanKey + `"}`, "provider.hunyuanAuthId: required when hunyuanAuthKey is set"},
		{`{"type":"hunyuan","hunyuanAuthId":"AKID1"}`, "provider.hunyuanAuthKey: required when hunyuanAuthId is set"},
		{`{"type":"hunyuan","apiTokens":[""]}`, `provider.apiTokens: required for provider type "hunyuan" (give at least one API token, or set hunyuanAuthId, hunyuanAuthKey)`},
		{`{"type":"hunyuan","hunyuanAuthId":"AK ID","hunyuanAuthKey":"` + testHunyuanKey + `"}`, "provider.hunyuanAuthId: must be"},
		{`{"type":"hunyuan","hunyuanAuthId":"AKID1","hunyuanAuthKey":"` + testHunyuanKey + `\n"}`, "provider.hunyuanAuthKey: must be one line"},
		{`{"type":"hunyuan","protocol":"original","hunyuanAuthId":"AKID1","hunyuanAuthKey":"` + testHunyuanKey + `"}`, `provider.protocol: "original" is not supported`},
	} {
		_, err := ParseConfig(gjson.Parse(tc.cfg), "provider")
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q...", tc.cfg, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), testHunyuanKey) {
			t.Errorf("error shows the key: %v", err)
		}
	}
}
