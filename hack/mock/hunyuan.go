package mock

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// The Tencent Cloud key pair the mock's Hunyuan endpoint accepts: a request to POST /
// with X-TC-Action must carry a TC3-HMAC-SHA256 Authorization made with it.
const (
	HunyuanSecretID  = "AKIDmockHunyuanSecretId000000000000"
	HunyuanSecretKey = "mockHunyuanSecretKey000000000000"
)

// hunyuanNote is the disclaimer Hunyuan puts on every answer and chunk.
const hunyuanNote = "以上内容为AI生成，不代表开发者立场，请勿删除或修改本标记"

type hyUsage struct {
	PromptTokens     int `json:"PromptTokens"`
	CompletionTokens int `json:"CompletionTokens"`
	TotalTokens      int `json:"TotalTokens"`
}

// hunyuan answers Tencent Hunyuan's ChatCompletions action (hunyuan.tencentcloudapi.com,
// POST /, X-TC-Action: ChatCompletions, X-TC-Version: 2023-09-01) as Tencent does: it
// verifies the TC3 signature (recomputed here with HunyuanSecretKey from the headers
// the request names in SignedHeaders and the body as received) and answers errors with
// HTTP 200 and {"Response":{"Error":{"Code","Message"},"RequestId"}} (AuthFailure.*
// for a missing, expired or wrong signature). Answers are {"Response":{...}} JSON, or
// with Stream true SSE `data: {...}` chunks with Choices[].Delta, the last one with
// FinishReason and every one with the usage so far, and no [DONE]. mock-error-NNN
// models get the Tencent error code of status NNN; mock-error-midstream breaks the
// stream with ErrorMsg {Code 4000}.
func (x *exchange) hunyuan() {
	if code, msg := x.hunyuanAuth(); code != "" {
		x.hunyuanError(code, msg)
		return
	}
	if !gjson.ValidBytes(x.body) {
		x.hunyuanError("InvalidParameter", "request body is not valid JSON")
		return
	}
	x.req = gjson.ParseBytes(x.body)
	model := x.req.Get("Model").String()
	if status, ok := errorModel(model); ok {
		x.hunyuanError(hunyuanErrorCode(status), "mock error requested by model name")
		return
	}
	msgs := x.req.Get("Messages").Array()
	if len(msgs) == 0 {
		x.hunyuanError("InvalidParameter", "Messages: required")
		return
	}
	var cv conversation
	total := 0
	for i, m := range msgs {
		text := m.Get("Content").String()
		for _, c := range m.Get("Contents").Array() {
			text += c.Get("Text").String()
		}
		total += len(text)
		role := m.Get("Role").String()
		switch role {
		case "system", "user", "assistant", "tool":
		default:
			x.hunyuanError("InvalidParameter", "Messages["+strconv.Itoa(i)+"].Role: "+role+" is not one of system, user, assistant, tool")
			return
		}
		if role == "tool" && m.Get("ToolCallId").String() == "" {
			x.hunyuanError("InvalidParameter", "Messages["+strconv.Itoa(i)+"].ToolCallId: required for Role tool")
			return
		}
		if role == "user" {
			cv.lastUser = text
		}
		if i == len(msgs)-1 && role == "tool" {
			cv.lastIsTool, cv.toolResult = true, text
		}
	}
	cv.promptTokens = 1 + total/4
	tool := ""
	if !cv.lastIsTool && x.req.Get("ToolChoice").String() != "none" {
		tool = x.req.Get("Tools.0.Function.Name").String()
		if c := x.req.Get("CustomTool.Function.Name"); c.Exists() {
			tool = c.String()
		}
	}
	pieces := x.reply(cv)
	if len(pieces) > 0 && !cv.lastIsTool && x.words == 0 {
		pieces = splitWords("Hello from the mock " + model + "! You said: " + truncate(cv.lastUser, 120))
	}
	id := "mock-" + x.id
	completion := len(pieces)
	if tool != "" {
		completion = 12
	}
	usage := hyUsage{cv.promptTokens, completion, cv.promptTokens + completion}
	callID := "call_mock" + x.id[:8]
	x.w.Header().Set("X-TC-RequestId", id)

	if !x.req.Get("Stream").Bool() {
		msg := map[string]any{"Role": "assistant", "Content": join(pieces)}
		finish := "stop"
		if tool != "" {
			msg["Content"] = ""
			msg["ToolCalls"] = []any{map[string]any{"Id": callID, "Type": "function", "Index": 0,
				"Function": map[string]any{"Name": tool, "Arguments": ToolArguments}}}
			finish = "tool_calls"
		}
		writeJSON(x.w, map[string]any{"Response": map[string]any{
			"Note": hunyuanNote, "Created": Created, "Id": id, "RequestId": id, "Usage": usage,
			"Choices": []any{map[string]any{"Index": 0, "Message": msg, "FinishReason": finish}},
		}})
		return
	}
	s := x.startStream()
	sent := 0
	send := func(delta map[string]any, finish string) error {
		sent++
		u := usage
		if finish == "" {
			u.CompletionTokens = min(sent, completion)
			u.TotalTokens = u.PromptTokens + u.CompletionTokens
		}
		delta["Role"] = "assistant"
		return s.send(sseData(mustJSON(map[string]any{
			"Note": hunyuanNote, "Created": Created, "Id": id, "Usage": u,
			"Choices": []any{map[string]any{"Index": 0, "Delta": delta, "FinishReason": finish}},
		})))
	}
	finish := "stop"
	if tool != "" {
		finish = "tool_calls"
		for i, f := range toolArgFragments {
			call := map[string]any{"Id": callID, "Type": "function", "Index": 0, "Function": map[string]any{"Name": tool, "Arguments": f}}
			if i > 0 {
				call["Function"] = map[string]any{"Arguments": f}
			}
			if send(map[string]any{"Content": "", "ToolCalls": []any{call}}, "") != nil {
				return
			}
		}
	} else {
		for i, p := range pieces {
			if model == "mock-error-midstream" && i == 2 {
				s.send(sseData(mustJSON(map[string]any{"Note": hunyuanNote, "Created": Created, "Id": id,
					"Choices": []any{}, "ErrorMsg": map[string]any{"Code": 4000, "Msg": "mock upstream failure mid-stream"}})))
				return
			}
			if send(map[string]any{"Content": p}, "") != nil {
				return
			}
		}
	}
	send(map[string]any{"Content": ""}, finish)
}

// hunyuanAuth checks the request as Tencent's API gateway does: action and version,
// timestamp within five minutes, and the TC3 signature. It returns the error code and
// message of the first failure, or "".
func (x *exchange) hunyuanAuth() (code, msg string) {
	r := x.r
	if a := r.Header.Get("X-TC-Action"); a != "ChatCompletions" {
		return "InvalidAction", "The action `" + a + "` is not supported by hunyuan (ChatCompletions is)."
	}
	if v := r.Header.Get("X-TC-Version"); v != "2023-09-01" {
		return "InvalidParameterValue", "The value of X-TC-Version `" + v + "` is invalid; want 2023-09-01."
	}
	ts, err := strconv.ParseInt(r.Header.Get("X-TC-Timestamp"), 10, 64)
	if err != nil {
		return "MissingParameter", "The request is missing a valid X-TC-Timestamp."
	}
	if d := time.Now().Unix() - ts; d > 300 || d < -300 {
		return "AuthFailure.SignatureExpire", "Signature expired. Timestamp " + strconv.FormatInt(ts, 10) + " is more than 5 minutes from the server time."
	}
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, "TC3-HMAC-SHA256 ")
	if !ok {
		return "AuthFailure.InvalidAuthorization", "Authorization header is not TC3-HMAC-SHA256."
	}
	var cred, signed, sig string
	for _, kv := range strings.Split(rest, ", ") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "Credential":
			cred = v
		case "SignedHeaders":
			signed = v
		case "Signature":
			sig = v
		}
	}
	parts := strings.Split(cred, "/")
	if len(parts) != 4 || parts[2] != "hunyuan" || parts[3] != "tc3_request" {
		return "AuthFailure.InvalidAuthorization", "Credential is not <SecretId>/<date>/hunyuan/tc3_request."
	}
	if parts[0] != HunyuanSecretID {
		return "AuthFailure.SecretIdNotFound", "The SecretId is not found, please ensure that your SecretId is correct."
	}
	date := time.Unix(ts, 0).UTC().Format("2006-01-02")
	if parts[1] != date {
		return "AuthFailure.SignatureFailure", "The credential date does not match X-TC-Timestamp (UTC)."
	}
	// Canonical request from the headers as received.
	var ch strings.Builder
	names := strings.Split(signed, ";")
	for _, n := range names {
		v := r.Header.Get(n)
		if n == "host" {
			v = r.Host
		}
		if n == "x-tc-action" {
			v = strings.ToLower(v)
		}
		ch.WriteString(n + ":" + strings.TrimSpace(v) + "\n")
	}
	if !strings.HasPrefix(signed, "content-type;host") {
		return "AuthFailure.SignatureFailure", "SignedHeaders must include content-type and host."
	}
	sum := func(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }
	canonical := "POST\n/\n\n" + ch.String() + "\n" + signed + "\n" + sum(x.body)
	scope := date + "/hunyuan/tc3_request"
	sts := "TC3-HMAC-SHA256\n" + strconv.FormatInt(ts, 10) + "\n" + scope + "\n" + sum([]byte(canonical))
	mac := func(key []byte, msg string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	k := mac(mac(mac([]byte("TC3"+HunyuanSecretKey), date), "hunyuan"), "tc3_request")
	if want := hex.EncodeToString(mac(k, sts)); !hmac.Equal([]byte(want), []byte(sig)) {
		return "AuthFailure.SignatureFailure", "The provided credentials could not be validated. Please check your signature is correct."
	}
	return "", ""
}

// hunyuanError answers as Tencent Cloud API 3.0 does: HTTP 200 with Response.Error.
func (x *exchange) hunyuanError(code, msg string) {
	writeJSON(x.w, map[string]any{"Response": map[string]any{
		"Error": map[string]any{"Code": code, "Message": msg}, "RequestId": "mock-" + x.id}})
}

// hunyuanErrorCode is the Tencent Cloud error code for an HTTP status.
func hunyuanErrorCode(status int) string {
	switch {
	case status == 401:
		return "AuthFailure.SignatureFailure"
	case status == 403:
		return "UnauthorizedOperation"
	case status == 404:
		return "ResourceNotFound"
	case status == 429:
		return "RequestLimitExceeded"
	case status >= 500:
		return "InternalError"
	}
	return "InvalidParameter"
}
