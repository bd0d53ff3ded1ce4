package mock

import (
	"encoding/json"
	"strings"
)

type gmUsage struct {
	PromptTokenCount     int `json:"promptTokenCount"`
	CandidatesTokenCount int `json:"candidatesTokenCount"`
	TotalTokenCount      int `json:"totalTokenCount"`
}

// gemini answers generateContent (one GenerateContentResponse) and streamGenerateContent
// (SSE "data:" records with alt=sse, else a JSON array of records).
func (x *exchange) gemini() {
	sys := contentText(x.req.Get("systemInstruction.parts"))
	if sys == "" {
		sys = contentText(x.req.Get("system_instruction.parts"))
	}
	cv := summarise(x.req.Get("contents"), "parts", sys)
	tool := ""
	if !cv.lastIsTool {
		tool = x.req.Get("tools.0.functionDeclarations.0.name").String()
		if tool == "" {
			tool = x.req.Get("tools.0.function_declarations.0.name").String()
		}
	}
	if m := x.req.Get("toolConfig.functionCallingConfig.mode").String(); strings.EqualFold(m, "NONE") {
		tool = ""
	}
	pieces := x.reply(cv)
	out := len(pieces)
	if tool != "" {
		out = 12
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
	usage := &gmUsage{cv.promptTokens, out, cv.promptTokens + out}
	callPart := map[string]any{"functionCall": map[string]any{"name": tool, "args": json.RawMessage(ToolArguments)}}

	if strings.HasSuffix(x.r.URL.Path, ":generateContent") {
		if tool != "" {
			writeJSON(x.w, record([]map[string]any{callPart}, "STOP", usage))
		} else {
			writeJSON(x.w, record([]map[string]any{{"text": join(pieces)}}, "STOP", usage))
		}
		return
	}

	var records []map[string]any
	if tool != "" {
		records = append(records, record([]map[string]any{callPart}, "STOP", usage))
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
