package mock

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"hash/crc32"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// Bedrock Runtime: POST /model/{modelId}/converse (JSON) and /converse-stream (AWS
// event-stream frames, application/vnd.amazon.eventstream, with real CRCs). A request
// signed with SigV4 must verify against BedrockSecretKey (any access key id); a
// Bedrock API key comes as a bearer token. Errors are AWS's shape: {"message": ...}
// with the exception name in x-amzn-errortype.

// BedrockSecretKey is the AWS secret key the mock verifies SigV4 signatures with.
const BedrockSecretKey = "mock-aws-secret-key"

// BedrockReasoning is the reasoning text the mock returns when the request enables
// thinking (additionalModelRequestFields.thinking).
const BedrockReasoning = "Considering the question."

func isBedrockPath(p string) bool {
	return strings.HasPrefix(p, "/model/") && (strings.HasSuffix(p, "/converse") || strings.HasSuffix(p, "/converse-stream"))
}

// bedrockModel is the model id of the path, decoded.
func (x *exchange) bedrockModel() string {
	p := strings.TrimPrefix(x.r.URL.EscapedPath(), "/model/")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		p = p[:i]
	}
	m, err := url.PathUnescape(p)
	if err != nil {
		return p
	}
	return m
}

// bedrockException names the AWS exception of an HTTP status.
func bedrockException(status int) string {
	switch status {
	case 400:
		return "ValidationException"
	case 401, 403:
		return "AccessDeniedException"
	case 404:
		return "ResourceNotFoundException"
	case 429:
		return "ThrottlingException"
	case 503:
		return "ServiceUnavailableException"
	}
	return "InternalServerException"
}

// bedrockVerify checks a SigV4 Authorization header with the mock's own
// implementation; "" means the signature is good (or the request uses a bearer key).
func (x *exchange) bedrockVerify() string {
	r := x.r
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") {
		return ""
	}
	var cred, signed, sig string
	for _, f := range strings.Split(strings.TrimPrefix(auth, "AWS4-HMAC-SHA256 "), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
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
	if len(parts) != 5 || parts[3] != "bedrock" || parts[4] != "aws4_request" {
		return "malformed Credential in Authorization"
	}
	date := r.Header.Get("X-Amz-Date")
	if !strings.HasPrefix(date, parts[1]) {
		return "X-Amz-Date does not match the credential scope date"
	}
	var cr strings.Builder
	cr.WriteString(r.Method + "\n")
	cr.WriteString(awsEscape(r.URL.EscapedPath(), true) + "\n")
	cr.WriteString(r.URL.RawQuery + "\n")
	names := strings.Split(signed, ";")
	if !sort.StringsAreSorted(names) {
		return "SignedHeaders are not sorted"
	}
	for _, n := range names {
		v := r.Header.Get(n)
		if n == "host" {
			v = r.Host
		}
		cr.WriteString(n + ":" + strings.TrimSpace(v) + "\n")
	}
	if !strings.Contains(";"+signed+";", ";host;") || !strings.Contains(";"+signed+";", ";x-amz-date;") {
		return "host and x-amz-date must be signed"
	}
	if r.Header.Get("X-Amz-Security-Token") != "" && !strings.Contains(signed, "x-amz-security-token") {
		return "x-amz-security-token must be signed"
	}
	sum := sha256.Sum256(x.body)
	cr.WriteString("\n" + signed + "\n" + hex.EncodeToString(sum[:]))
	crSum := sha256.Sum256([]byte(cr.String()))
	scope := strings.Join(parts[1:], "/")
	sts := "AWS4-HMAC-SHA256\n" + date + "\n" + scope + "\n" + hex.EncodeToString(crSum[:])
	key := []byte("AWS4" + BedrockSecretKey)
	for _, s := range []string{parts[1], parts[2], parts[3], "aws4_request"} {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(s))
		key = m.Sum(nil)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(sts))
	if want := hex.EncodeToString(m.Sum(nil)); !hmac.Equal([]byte(want), []byte(sig)) {
		return "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."
	}
	return ""
}

func awsEscape(s string, slash bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-_.~", c) >= 0 || slash && c == '/' {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
		}
	}
	return b.String()
}

// bedrockFrame encodes one event-stream message with string headers.
func bedrockFrame(headers [][2]string, payload []byte) []byte {
	var h []byte
	for _, kv := range headers {
		h = append(h, byte(len(kv[0])))
		h = append(h, kv[0]...)
		h = append(h, 7)
		h = binary.BigEndian.AppendUint16(h, uint16(len(kv[1])))
		h = append(h, kv[1]...)
	}
	total := 12 + len(h) + len(payload) + 4
	b := binary.BigEndian.AppendUint32(nil, uint32(total))
	b = binary.BigEndian.AppendUint32(b, uint32(len(h)))
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	b = append(append(b, h...), payload...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

func bedrockEvent(typ string, payload any) []byte {
	return bedrockFrame([][2]string{{":event-type", typ}, {":content-type", "application/json"}, {":message-type", "event"}}, mustJSON(payload))
}

// bedrock answers Converse and ConverseStream. With tools (and the last message not a
// tool result) it calls the first tool with ToolArguments; with thinking enabled it
// returns BedrockReasoning first.
func (x *exchange) bedrock() {
	if msg := x.bedrockVerify(); msg != "" {
		x.w.Header().Set("x-amzn-errortype", "InvalidSignatureException")
		x.w.Header().Set("Content-Type", "application/json")
		x.w.WriteHeader(http.StatusForbidden)
		x.w.Write(mustJSON(map[string]any{"message": msg}))
		return
	}
	msgs := x.req.Get("messages")
	if !msgs.IsArray() || len(msgs.Array()) == 0 {
		x.fail(http.StatusBadRequest, "messages: must not be empty")
		return
	}
	var sys []string
	for _, s := range x.req.Get("system").Array() {
		sys = append(sys, s.Get("text").String())
	}
	cv := summarise(msgs, "content", strings.Join(sys, ""))
	all := msgs.Array()
	for _, b := range all[len(all)-1].Get("content").Array() {
		if tr := b.Get("toolResult"); tr.Exists() {
			cv.lastIsTool = true
			cv.toolResult = contentText(tr.Get("content"))
		}
	}
	if cv.lastIsTool {
		cv.lastUser = ""
	}
	tool := ""
	if !cv.lastIsTool {
		tool = x.req.Get("toolConfig.tools.0.toolSpec.name").String()
	}
	thinking := x.req.Get("additionalModelRequestFields.thinking").Exists()
	pieces := x.reply(cv)
	out := len(pieces)
	if tool != "" {
		out = 12
	}
	usage := map[string]any{"inputTokens": cv.promptTokens, "outputTokens": out, "totalTokens": cv.promptTokens + out}
	stop := "end_turn"
	if tool != "" {
		stop = "tool_use"
	}
	toolID := "tooluse_mock" + x.id[:8]
	if !strings.HasSuffix(x.r.URL.Path, "/converse-stream") {
		var content []any
		if thinking {
			content = append(content, map[string]any{"reasoningContent": map[string]any{"reasoningText": map[string]any{"text": BedrockReasoning, "signature": "mock-sig"}}})
		}
		if tool != "" {
			content = append(content, map[string]any{"toolUse": map[string]any{"toolUseId": toolID, "name": tool, "input": json.RawMessage(ToolArguments)}})
		} else {
			content = append(content, map[string]any{"text": join(pieces)})
		}
		writeJSON(x.w, map[string]any{
			"output":     map[string]any{"message": map[string]any{"role": "assistant", "content": content}},
			"stopReason": stop, "usage": usage, "metrics": map[string]any{"latencyMs": 12},
		})
		return
	}
	s := x.startStreamAs("application/vnd.amazon.eventstream")
	send := func(typ string, p any) bool { return s.send(bedrockEvent(typ, p)) == nil }
	if !send("messageStart", map[string]any{"role": "assistant"}) {
		return
	}
	block := 0
	if thinking {
		if !send("contentBlockDelta", map[string]any{"contentBlockIndex": 0, "delta": map[string]any{"reasoningContent": map[string]any{"text": BedrockReasoning}}}) ||
			!send("contentBlockStop", map[string]any{"contentBlockIndex": 0}) {
			return
		}
		block = 1
	}
	if tool != "" {
		if !send("contentBlockStart", map[string]any{"contentBlockIndex": block, "start": map[string]any{"toolUse": map[string]any{"toolUseId": toolID, "name": tool}}}) {
			return
		}
		for _, f := range toolArgFragments {
			if !send("contentBlockDelta", map[string]any{"contentBlockIndex": block, "delta": map[string]any{"toolUse": map[string]any{"input": f}}}) {
				return
			}
		}
	} else {
		for i, p := range pieces {
			if x.midstream() && i == 2 {
				s.send(bedrockFrame([][2]string{{":exception-type", "throttlingException"}, {":content-type", "application/json"}, {":message-type", "exception"}},
					mustJSON(map[string]any{"message": "mock throttling mid-stream"})))
				return
			}
			if !send("contentBlockDelta", map[string]any{"contentBlockIndex": block, "delta": map[string]any{"text": p}}) {
				return
			}
		}
	}
	if !send("contentBlockStop", map[string]any{"contentBlockIndex": block}) || !send("messageStop", map[string]any{"stopReason": stop}) {
		return
	}
	send("metadata", map[string]any{"usage": usage, "metrics": map[string]any{"latencyMs": 12}})
}

// bedrockError is AWS's error body; the exception goes in x-amzn-errortype.
func (x *exchange) bedrockError(status int, msg string) []byte {
	x.w.Header().Set("x-amzn-errortype", bedrockException(status)+":http://internal.amazon.com/coral/com.amazon.bedrock/")
	return mustJSON(map[string]any{"message": msg})
}
