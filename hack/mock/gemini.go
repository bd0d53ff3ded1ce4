package mock

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/tidwall/gjson"
)

type gmUsage struct {
	PromptTokenCount     int `json:"promptTokenCount"`
	CandidatesTokenCount int `json:"candidatesTokenCount"`
	TotalTokenCount      int `json:"totalTokenCount"`
	ThoughtsTokenCount   int `json:"thoughtsTokenCount,omitempty"`
}

// GeminiThoughtSignature is the thoughtSignature the mock puts on the first function
// call of each model turn; like Gemini 3 it refuses a conversation whose model turn
// carries a function call without it.
const GeminiThoughtSignature = "bW9jay1zaWduYXR1cmU="

// GeminiThought is the thought summary the mock returns with thinkingConfig.includeThoughts.
const GeminiThought = "Thinking about it."

// gemini answers generateContent (one GenerateContentResponse), streamGenerateContent
// (SSE "data:" records with alt=sse, else a JSON array of records) and
// batchEmbedContents.
//
// With tools it calls every declared function (up to three) in one model turn, the
// first call signed with GeminiThoughtSignature. It checks what Gemini checks on the
// way back: a model turn's function calls carry their signature, and the user turn
// after it holds exactly as many functionResponse parts, in the same order.
func (x *exchange) gemini() {
	if strings.HasSuffix(x.r.URL.Path, ":batchEmbedContents") {
		x.geminiEmbed()
		return
	}
	if msg := geminiCheckTurns(x.req.Get("contents")); msg != "" {
		x.fail(http.StatusBadRequest, msg)
		return
	}
	sys := contentText(x.req.Get("systemInstruction.parts"))
	if sys == "" {
		sys = contentText(x.req.Get("system_instruction.parts"))
	}
	cv := summarise(x.req.Get("contents"), "parts", sys)
	var tools []string
	if !cv.lastIsTool {
		decls := x.req.Get("tools.0.functionDeclarations")
		if !decls.Exists() {
			decls = x.req.Get("tools.0.function_declarations")
		}
		for _, d := range decls.Array() {
			if len(tools) < 3 {
				tools = append(tools, d.Get("name").String())
			}
		}
	}
	if m := x.req.Get("toolConfig.functionCallingConfig.mode").String(); strings.EqualFold(m, "NONE") {
		tools = nil
	}
	thoughts := x.req.Get("generationConfig.thinkingConfig.includeThoughts").Bool()
	pieces := x.reply(cv)
	out := len(pieces)
	if len(tools) > 0 {
		out = 12 * len(tools)
	}
	model := x.model()
	record := func(parts []map[string]any, finish string, usage *gmUsage) map[string]any {
		cand := map[string]any{"content": map[string]any{"parts": parts, "role": "model"}, "index": 0}
		if finish != "" {
			cand["finishReason"] = finish
		}
		r := map[string]any{"candidates": []any{cand}, "modelVersion": model, "responseId": "mock" + x.id}
		if usage != nil {
			r["usageMetadata"] = usage
		}
		return r
	}
	usage := &gmUsage{PromptTokenCount: cv.promptTokens, CandidatesTokenCount: out, TotalTokenCount: cv.promptTokens + out}
	var thought []map[string]any
	if thoughts {
		usage.ThoughtsTokenCount = 5
		usage.TotalTokenCount += 5
		thought = []map[string]any{{"text": GeminiThought, "thought": true}}
	}
	var calls []map[string]any
	for i, name := range tools {
		args := json.RawMessage(ToolArguments)
		if i > 0 {
			args = json.RawMessage(fmt.Sprintf(`{"call":%d}`, i))
		}
		p := map[string]any{"functionCall": map[string]any{"name": name, "args": args}}
		if i == 0 {
			p["thoughtSignature"] = GeminiThoughtSignature
		}
		calls = append(calls, p)
	}

	if strings.HasSuffix(x.r.URL.Path, ":generateContent") {
		if len(calls) > 0 {
			writeJSON(x.w, record(append(thought, calls...), "STOP", usage))
		} else {
			writeJSON(x.w, record(append(thought, map[string]any{"text": join(pieces)}), "STOP", usage))
		}
		return
	}

	var records []map[string]any
	if thoughts {
		records = append(records, record(thought, "", nil))
	}
	if len(calls) > 0 {
		records = append(records, record(calls, "STOP", usage))
	} else {
		for i, p := range pieces {
			if i == len(pieces)-1 {
				records = append(records, record([]map[string]any{{"text": p}}, "STOP", usage))
			} else {
				records = append(records, record([]map[string]any{{"text": p}}, "", nil))
			}
		}
	}
	sse := x.r.URL.Query().Get("alt") == "sse"
	if !sse {
		s := x.startStreamAs("application/json")
		for i, r := range records {
			prefix := ",\r\n"
			if i == 0 {
				prefix = "["
			}
			if s.send(append([]byte(prefix), mustJSON(r)...)) != nil {
				return
			}
		}
		s.send([]byte("]"))
		return
	}
	s := x.startStream()
	for i, r := range records {
		if x.midstream() && i == 2 {
			return // Gemini just ends the connection
		}
		b := append([]byte("data: "), mustJSON(r)...)
		if s.send(append(b, "\r\n\r\n"...)) != nil {
			return
		}
	}
}

// geminiCheckTurns returns Gemini's complaint about a conversation whose function
// calls and responses do not pair up, or "".
func geminiCheckTurns(contents gjson.Result) string {
	turns := contents.Array()
	for i, t := range turns {
		var names []string
		for j, p := range t.Get("parts").Array() {
			if fc := p.Get("functionCall"); fc.Exists() {
				names = append(names, fc.Get("name").String())
				if len(names) == 1 && p.Get("thoughtSignature").String() != GeminiThoughtSignature {
					return fmt.Sprintf("Function call is missing a thought_signature in functionCall parts. contents[%d].parts[%d]", i, j)
				}
			}
		}
		if len(names) == 0 || t.Get("role").String() != "model" {
			continue
		}
		var resps []string
		if i+1 < len(turns) {
			for _, p := range turns[i+1].Get("parts").Array() {
				if fr := p.Get("functionResponse"); fr.Exists() {
					resps = append(resps, fr.Get("name").String())
				}
			}
		}
		if len(resps) != len(names) {
			return "Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn."
		}
		for k := range names {
			if names[k] != resps[k] {
				return fmt.Sprintf("function response %d names %q, the call %q", k, resps[k], names[k])
			}
		}
	}
	return ""
}

// geminiEmbed answers batchEmbedContents: one embedding per request, the vectors the
// OpenAI endpoint gives for the same text.
func (x *exchange) geminiEmbed() {
	reqs := x.req.Get("requests").Array()
	if len(reqs) == 0 {
		x.fail(http.StatusBadRequest, "requests: required")
		return
	}
	var embs []map[string]any
	for i, r := range reqs {
		if want := "models/" + x.model(); r.Get("model").String() != want {
			x.fail(http.StatusBadRequest, fmt.Sprintf("requests[%d].model: %q, want %q", i, r.Get("model").String(), want))
			return
		}
		dims := int(r.Get("outputDimensionality").Int())
		if dims <= 0 {
			dims = DefaultDimensions
		}
		embs = append(embs, map[string]any{"values": vector(contentText(r.Get("content.parts")), dims)})
	}
	writeJSON(x.w, map[string]any{"embeddings": embs})
}

// geminiModels answers GET /v1beta/models with MockModels in Gemini's shape.
func (x *exchange) geminiModels() {
	models := make([]map[string]any, len(MockModels))
	for i, m := range MockModels {
		models[i] = map[string]any{"name": "models/" + m, "displayName": m, "supportedGenerationMethods": []string{"generateContent"}}
	}
	writeJSON(x.w, map[string]any{"models": models})
}
