// Package gemini converts between the OpenAI protocol and Google's Gemini API
// (Generative Language API, generativelanguage.googleapis.com):
//
//   - Chat serves an OpenAI chat completions client from generateContent /
//     streamGenerateContent?alt=sse.
//   - Embeddings serves /v1/embeddings from batchEmbedContents.
//   - Models serves /v1/models from Gemini's model list.
//
// Each is a translator.Translator created per request. They read JSON with gjson and
// the shared scanner, write JSON by appending to buffers, and convert streams event by
// event with sse.Reader, so every way a stream is split gives the same output.
//
// Conventions an OpenAI client sees for Gemini features OpenAI has no field for:
//
//   - Thought summaries (`thought: true` parts) are `reasoning_content`.
//   - Thought signatures: Gemini signs the function calls of a thinking model
//     (`thoughtSignature` beside `functionCall`) and wants the signature back with the
//     call when the conversation continues. The signature travels in the tool call id:
//     `call_<n>_ts_<signature>`, the signature in base64url without padding (so the id
//     keeps to [A-Za-z0-9_-], which Anthropic clients require too). When the client
//     sends the conversation back, an assistant tool call whose id has that form gets
//     its `thoughtSignature` again. Signatures on text parts are not carried (Gemini
//     documents them as optional to return).
//   - Usage is in OpenAI's meaning: completion_tokens = candidatesTokenCount +
//     thoughtsTokenCount (Gemini counts thoughts apart, OpenAI counts reasoning inside
//     completion tokens, reported again as completion_tokens_details.reasoning_tokens);
//     prompt_tokens = promptTokenCount + toolUsePromptTokenCount, cached_tokens =
//     cachedContentTokenCount (part of the prompt in both meanings).
//   - A prompt Gemini blocks (promptFeedback.blockReason, no candidates) is answered as
//     a completion with no content and finish_reason content_filter, as OpenAI does for
//     filtered output.
package gemini

import (
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// finishReason maps a Gemini finishReason to an OpenAI finish_reason; calls says the
// candidate holds function calls.
func finishReason(reason string, calls bool) string {
	switch reason {
	case "MAX_TOKENS":
		return "length"
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
		"IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION":
		return "content_filter"
	}
	if calls {
		return "tool_calls"
	}
	return "stop" // STOP, OTHER, LANGUAGE, MALFORMED_FUNCTION_CALL, anything new
}

// usageCounts are the counts of a Gemini usageMetadata object.
type usageCounts struct {
	prompt, candidates, total, cached, thoughts, toolPrompt int64
	seen                                                    bool
}

// usageKeys are the members of usageMetadata read, in the order of usageCounts.
var usageKeys = [...]string{"promptTokenCount", "candidatesTokenCount", "totalTokenCount",
	"cachedContentTokenCount", "thoughtsTokenCount", "toolUsePromptTokenCount"}

// read overwrites the counts v (raw usageMetadata) holds; in a stream each chunk holds
// the counts so far.
func (u *usageCounts) read(v string) {
	var n [len(usageKeys)]int64
	if found, flat := translator.FlatInts(v, usageKeys[:], n[:]); flat { // the common object, read quickly
		for i, p := range [...]*int64{&u.prompt, &u.candidates, &u.total, &u.cached, &u.thoughts, &u.toolPrompt} {
			if found&(1<<i) != 0 {
				*p = n[i]
			}
		}
		u.seen = u.seen || strings.IndexByte(v, ':') >= 0 // any member
		return
	}
	u.scan(v)
}

// scan is read for any usageMetadata value.
func (u *usageCounts) scan(v string) {
	s := translator.NewScan(v)
	for s.Next() {
		n, ok := translator.Int(s.Value())
		if !ok {
			continue
		}
		switch s.Key() {
		case "promptTokenCount":
			u.prompt = n
		case "candidatesTokenCount":
			u.candidates = n
		case "totalTokenCount":
			u.total = n
		case "cachedContentTokenCount":
			u.cached = n
		case "thoughtsTokenCount":
			u.thoughts = n
		case "toolUsePromptTokenCount":
			u.toolPrompt = n
		}
		u.seen = true
	}
}

// openAI returns the counts in OpenAI's meaning (see the package doc).
func (u *usageCounts) openAI(model string) translator.Usage {
	prompt := u.prompt + u.toolPrompt
	completion := u.candidates + u.thoughts
	total := u.total
	if total == 0 {
		total = prompt + completion
	}
	return translator.Usage{
		PromptTokens:     prompt,
		CompletionTokens: completion,
		TotalTokens:      total,
		CachedTokens:     u.cached,
		ReasoningTokens:  u.thoughts,
		Model:            model,
	}
}

// appendUsage appends an OpenAI usage object.
func appendUsage(dst []byte, u translator.Usage) []byte {
	dst = translator.AppendOpenAIUsageCounts(dst, u)
	dst = append(dst, `,"prompt_tokens_details":{"cached_tokens":`...)
	dst = translator.AppendInt(dst, u.CachedTokens)
	dst = append(dst, `},"completion_tokens_details":{"reasoning_tokens":`...)
	dst = translator.AppendInt(dst, u.ReasoningTokens)
	return append(dst, "}}"...)
}

// appendError appends the OpenAI error for a Gemini error answer
// ({"error":{"code","message","status"}}, also inside a JSON array or an SSE event, or
// any other body translator.ReadUpstreamError reads). The OpenAI code is Gemini's
// status name (RESOURCE_EXHAUSTED, ...).
func appendError(dst []byte, status int, body []byte) []byte {
	s := strings.TrimSpace(translator.View(body))
	if strings.HasPrefix(s, "[") {
		if first := gjson.Get(s, "0"); first.IsObject() {
			body = []byte(first.Raw)
		}
	}
	e := translator.ReadUpstreamError(status, body)
	code := ""
	if st := gjson.GetBytes(body, "error.status"); st.Type == gjson.String {
		code = st.Str
	}
	if code == "" {
		code = e.Code
	}
	return translator.AppendOpenAIError(dst, e.Message, translator.ErrorType(status), code)
}

// sigMarker separates the call number from the thought signature in a tool call id.
const sigMarker = "_ts_"

// appendToolID appends the JSON string call_<n>, with the thought signature sig (raw
// JSON string, standard base64) carried as base64url after sigMarker.
func appendToolID(dst []byte, n int, sig string) []byte {
	dst = append(dst, `"call_`...)
	dst = translator.AppendInt(dst, int64(n))
	if s := translator.Str(sig); s != "" {
		dst = append(dst, sigMarker...)
		for i := 0; i < len(s); i++ {
			switch c := s[i]; {
			case c == '+':
				dst = append(dst, '-')
			case c == '/':
				dst = append(dst, '_')
			case c == '=':
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
				dst = append(dst, c)
			}
		}
	}
	return append(dst, '"')
}

// signatureOf returns the thought signature (standard base64, padded) carried in a tool
// call id written by appendToolID, or "". The mapping is character for character, so
// any signature comes back exactly.
func signatureOf(id string) string {
	i := strings.Index(id, sigMarker)
	if i < 0 || i+len(sigMarker) == len(id) {
		return ""
	}
	s := id[i+len(sigMarker):]
	out := make([]byte, 0, len(s)+3)
	for j := 0; j < len(s); j++ {
		switch c := s[j]; {
		case c == '-':
			out = append(out, '+')
		case c == '_':
			out = append(out, '/')
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			out = append(out, c)
		default:
			return "" // not an id this package wrote
		}
	}
	for len(out)%4 != 0 {
		out = append(out, '=')
	}
	return string(out)
}

// effortBudget maps an OpenAI reasoning_effort to a Gemini thinking budget, as
// Google's own OpenAI compatibility layer does; ok is false for an unknown level.
func effortBudget(effort string) (budget int64, ok bool) {
	switch effort {
	case "none":
		return 0, true
	case "minimal", "low":
		return 1024, true
	case "medium":
		return 8192, true
	case "high", "xhigh", "max":
		return 24576, true
	}
	return 0, false
}

// mimeByExt guesses the MIME type of a media URL from its extension.
func mimeByExt(url string) string {
	if i := strings.IndexAny(url, "?#"); i >= 0 {
		url = url[:i]
	}
	dot := strings.LastIndexByte(url, '.')
	if dot < 0 || strings.IndexByte(url[dot:], '/') >= 0 {
		return ""
	}
	switch strings.ToLower(url[dot+1:]) {
	case "png":
		return "image/png"
	case "jpg", "jpeg":
		return "image/jpeg"
	case "webp":
		return "image/webp"
	case "gif":
		return "image/gif"
	case "heic":
		return "image/heic"
	case "heif":
		return "image/heif"
	case "pdf":
		return "application/pdf"
	case "mp3":
		return "audio/mp3"
	case "wav":
		return "audio/wav"
	case "mp4":
		return "video/mp4"
	}
	return ""
}

// schemaKeys are the OpenAPI Schema fields Gemini accepts in function parameters and
// response schemas; JSON Schema keywords outside the set (additionalProperties,
// $schema, $ref, const, oneOf, ...) are rejected by the API and dropped here.
var schemaKeys = map[string]bool{
	"type": true, "format": true, "title": true, "description": true, "nullable": true,
	"enum": true, "maxItems": true, "minItems": true, "properties": true, "required": true,
	"minProperties": true, "maxProperties": true, "minLength": true, "maxLength": true,
	"pattern": true, "example": true, "anyOf": true, "propertyOrdering": true,
	"default": true, "items": true, "minimum": true, "maximum": true,
}

// appendSchema appends the JSON schema raw as a Gemini Schema: unsupported keywords
// dropped at every level, `type: [T, "null"]` written as type T with nullable, and
// `const` as a one-value enum. depth bounds the recursion on hostile input.
func appendSchema(dst []byte, raw string, depth int) []byte {
	v := gjson.Parse(raw)
	if !v.IsObject() || depth > 32 {
		return append(dst, "{}"...)
	}
	dst = append(dst, '{')
	n := 0
	sep := func() {
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
	}
	v.ForEach(func(k, val gjson.Result) bool {
		key := k.String()
		switch {
		case key == "type" && val.IsArray():
			typ, nullable := "", false
			val.ForEach(func(_, t gjson.Result) bool {
				if t.Str == "null" {
					nullable = true
				} else if typ == "" {
					typ = t.Str
				}
				return true
			})
			if typ != "" {
				sep()
				dst = append(dst, `"type":`...)
				dst = translator.AppendString(dst, typ)
			}
			if nullable {
				sep()
				dst = append(dst, `"nullable":true`...)
			}
		case key == "const":
			sep()
			dst = append(dst, `"enum":[`...)
			dst = translator.AppendString(dst, val.String())
			dst = append(dst, ']')
			if !v.Get("type").Exists() {
				dst = append(dst, `,"type":"string"`...)
			}
		case !schemaKeys[key]:
		case key == "enum" && val.IsArray():
			// Gemini enums are strings; a null member is expressed by nullable.
			sep()
			dst = append(dst, `"enum":[`...)
			m := 0
			val.ForEach(func(_, e gjson.Result) bool {
				if e.Type == gjson.Null {
					return true
				}
				if m > 0 {
					dst = append(dst, ',')
				}
				m++
				dst = translator.AppendString(dst, e.String())
				return true
			})
			dst = append(dst, ']')
		case key == "properties" && val.IsObject():
			sep()
			dst = append(dst, `"properties":{`...)
			m := 0
			val.ForEach(func(pk, pv gjson.Result) bool {
				if m > 0 {
					dst = append(dst, ',')
				}
				m++
				dst = translator.AppendString(dst, pk.String())
				dst = append(dst, ':')
				dst = appendSchema(dst, pv.Raw, depth+1)
				return true
			})
			dst = append(dst, '}')
		case key == "items" && val.IsObject():
			sep()
			dst = append(dst, `"items":`...)
			dst = appendSchema(dst, val.Raw, depth+1)
		case key == "anyOf" && val.IsArray():
			sep()
			dst = append(dst, `"anyOf":[`...)
			m := 0
			val.ForEach(func(_, s gjson.Result) bool {
				if m > 0 {
					dst = append(dst, ',')
				}
				m++
				dst = appendSchema(dst, s.Raw, depth+1)
				return true
			})
			dst = append(dst, ']')
		case key == "properties" || key == "items" || key == "anyOf":
		default:
			sep()
			dst = translator.AppendString(dst, key)
			dst = append(dst, ':')
			dst = append(dst, val.Raw...)
		}
		return true
	})
	return append(dst, '}')
}

// is2xx reports whether status is a success.
func is2xx(status int) bool { return status >= 200 && status < 300 }
