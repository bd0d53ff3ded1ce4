package mock

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ai-proxy/ai-proxy/provider/sign"
	"github.com/tidwall/gjson"
)

func hunyuanPost(t *testing.T, srv *httptest.Server, key, body string) (int, string, string) {
	t.Helper()
	ts := time.Now().Unix()
	k := &sign.TC3{SecretID: HunyuanSecretID, SecretKey: key, Service: "hunyuan"}
	req, _ := http.NewRequest("POST", srv.URL+"/", bytes.NewReader([]byte(body)))
	req.Host = "hunyuan.tencentcloudapi.com"
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("X-TC-Action", "ChatCompletions")
	req.Header.Set("X-TC-Version", "2023-09-01")
	req.Header.Set("X-TC-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("Authorization", string(k.Authorization(nil, &sign.TC3Request{ContentType: "application/json; charset=utf-8",
		Host: req.Host, Action: "ChatCompletions", Timestamp: ts, Payload: []byte(body)})))
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

func TestHunyuan(t *testing.T) {
	srv := httptest.NewServer(NewHandler())
	defer srv.Close()

	status, _, body := hunyuanPost(t, srv, HunyuanSecretKey, `{"Model":"hunyuan-lite","Messages":[{"Role":"user","Content":"hi"}]}`)
	if status != 200 || !strings.Contains(gjson.Get(body, "Response.Choices.0.Message.Content").Str, "You said: hi") ||
		gjson.Get(body, "Response.Usage.TotalTokens").Int() == 0 {
		t.Fatalf("%d %s", status, body)
	}
	status, _, body = hunyuanPost(t, srv, "wrong-key", `{"Model":"hunyuan-lite","Messages":[{"Role":"user","Content":"hi"}]}`)
	if status != 200 || gjson.Get(body, "Response.Error.Code").Str != "AuthFailure.SignatureFailure" {
		t.Fatalf("wrong key: %d %s", status, body)
	}
	_, ct, body := hunyuanPost(t, srv, HunyuanSecretKey, `{"Model":"hunyuan-lite","Stream":true,"Messages":[{"Role":"user","Content":"hi"}],"Tools":[{"Type":"function","Function":{"Name":"get_weather"}}]}`)
	if !strings.HasPrefix(ct, "text/event-stream") || !strings.Contains(body, `"FinishReason":"tool_calls"`) || strings.Contains(body, "[DONE]") {
		t.Fatalf("stream: %s %s", ct, body)
	}
	_, _, body = hunyuanPost(t, srv, HunyuanSecretKey, `{"Model":"mock-error-429","Messages":[{"Role":"user","Content":"hi"}]}`)
	if gjson.Get(body, "Response.Error.Code").Str != "RequestLimitExceeded" {
		t.Fatalf("error model: %s", body)
	}
}
