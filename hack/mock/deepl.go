package mock

import (
	"net/http"
	"strconv"
	"strings"
)

// The protocols of deepl.go, spark.go and minimax.go.
const (
	protoDeepL protocol = 100 + iota
	protoSpark
	protoMiniMax
)

// DeepL's text translation API: POST /v2/translate with {"text": [...], "target_lang",
// "context"?}, `Authorization: DeepL-Auth-Key <key>`. Each text comes back as
// "[<target_lang>] <text>" with detected_source_language "EN". A text
// "mock-error-NNN" gets status NNN with DeepL's error body {"message": ...} (456 is
// DeepL's quota exceeded, 403 its bad key).
func (x *exchange) deepl() {
	texts := x.req.Get("text").Array()
	lang := x.req.Get("target_lang").String()
	if len(texts) == 0 || lang == "" {
		x.fail(http.StatusBadRequest, "Value for 'text' not supported." /* DeepL's wording */)
		return
	}
	type tr struct {
		Lang string `json:"detected_source_language"`
		Text string `json:"text"`
	}
	out := make([]tr, 0, len(texts))
	for _, t := range texts {
		if status, ok := errorModel(t.String()); ok {
			x.fail(status, deeplErrorMessage(status))
			return
		}
		out = append(out, tr{"EN", "[" + lang + "] " + t.String()})
	}
	writeJSON(x.w, map[string]any{"translations": out})
}

func deeplErrorMessage(status int) string {
	switch status {
	case 456:
		return "Quota exceeded"
	case 403:
		return "Wrong endpoint. Use https://api.deepl.com"
	case 429:
		return "Too many requests"
	}
	return "mock error " + strconv.Itoa(status)
}

// failOwn writes the error answers of DeepL, Spark and MiniMax in their own shapes:
// Spark and MiniMax answer most errors with HTTP 200 and a code in the body, as the real
// APIs do. It reports whether x speaks one of them.
func (x *exchange) failOwn(status int, msg string) bool {
	var body []byte
	httpStatus := status
	switch x.proto {
	case protoDeepL:
		body = mustJSON(map[string]any{"message": msg})
	case protoSpark:
		code := sparkCode(status)
		if code == 0 { // an authentication failure is an HTTP error with an OpenAI body
			body = mustJSON(map[string]any{"error": map[string]any{"message": "invalid user", "type": "api_error", "param": nil, "code": nil}})
			break
		}
		httpStatus = http.StatusOK
		body = mustJSON(map[string]any{"code": code, "message": msg, "sid": "cha000mock@" + x.id})
	case protoMiniMax:
		httpStatus = http.StatusOK
		body = mustJSON(map[string]any{"id": x.id, "choices": nil, "created": Created, "model": x.model(),
			"base_resp": map[string]any{"status_code": minimaxCode(status), "status_msg": msg}})
	default:
		return false
	}
	x.w.Header().Set("Content-Type", "application/json")
	x.w.WriteHeader(httpStatus)
	x.w.Write(body)
	return true
}

// deeplAuthorized: DeepL's own authorization scheme.
func deeplAuthorized(r *http.Request) bool {
	k, ok := strings.CutPrefix(r.Header.Get("Authorization"), "DeepL-Auth-Key ")
	return ok && strings.TrimSpace(k) != ""
}
