package mock

import (
	"sort"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

type dsUsage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
	TotalTokens  int `json:"total_tokens"`
}

// dashscopeStreaming reports whether a native DashScope request asks for SSE.
func (x *exchange) dashscopeStreaming() bool {
	return strings.EqualFold(x.r.Header.Get("X-DashScope-SSE"), "enable") ||
		strings.Contains(x.r.Header.Get("Accept"), "text/event-stream")
}

// dashscopeGeneration answers text-generation (and, with multimodal, multimodal-generation):
// output.choices[].message when result_format is "message" (always for multimodal or
// when tools are given), output.text otherwise.
func (x *exchange) dashscopeGeneration(multimodal bool) {
	if multimodal && isImageModel(x.model()) {
		x.dashscopeImage()
		return
	}
	if multimodal && isTTSModel(x.model()) {
		x.dashscopeTTS() // tts.go
		return
	}
	in := x.req.Get("input")
	var cv conversation
	if in.Get("messages").Exists() {
		cv = summarise(in.Get("messages"), "content")
	} else {
		cv = summarise(gjson.Result{}, "content", in.Get("prompt").String())
		cv.lastUser = in.Get("prompt").String()
	}
	params := x.req.Get("parameters")
	tool := ""
	if !cv.lastIsTool && params.Get("tool_choice").String() != "none" {
		tool = params.Get("tools.0.function.name").String()
	}
	messageFormat := multimodal || tool != "" || params.Get("result_format").String() == "message"
	incremental := params.Get("incremental_output").Bool()
	pieces := x.reply(cv)
	callID := "call_mock" + x.id[:8]
	out := len(pieces)
	if tool != "" {
		out = 12
	}

	content := func(text string) any {
		if multimodal {
			return []map[string]any{{"text": text}}
		}
		return text
	}
	// answer builds one answer object: text so far (or this piece), tool arguments so far
	// (or this fragment), finish reason, output tokens so far.
	answer := func(text, args string, withTool bool, finish string, outTok int) map[string]any {
		var output map[string]any
		if messageFormat {
			msg := map[string]any{"role": "assistant", "content": content(text)}
			if withTool {
				msg["tool_calls"] = []map[string]any{{"index": 0, "id": callID, "type": "function",
					"function": map[string]any{"name": tool, "arguments": args}}}
			}
			output = map[string]any{"choices": []map[string]any{{"finish_reason": finish, "message": msg}}}
		} else {
			output = map[string]any{"text": text, "finish_reason": finish}
		}
		return map[string]any{
			"output":     output,
			"usage":      dsUsage{cv.promptTokens, outTok, cv.promptTokens + outTok},
			"request_id": x.id,
		}
	}

	if !x.dashscopeStreaming() {
		if tool != "" {
			writeJSON(x.w, answer("", ToolArguments, true, "tool_calls", out))
		} else {
			writeJSON(x.w, answer(join(pieces), "", false, "stop", out))
		}
		return
	}

	s := x.startStream()
	n := 0
	send := func(v any, status int) error {
		n++
		b := make([]byte, 0, 512)
		b = append(b, "id:"...)
		b = strconv.AppendInt(b, int64(n), 10)
		if status == 200 {
			b = append(b, "\nevent:result\n:HTTP_STATUS/200\ndata:"...)
		} else {
			b = append(b, "\nevent:error\n:HTTP_STATUS/"...)
			b = strconv.AppendInt(b, int64(status), 10)
			b = append(b, "\ndata:"...)
		}
		b = append(b, mustJSON(v)...)
		b = append(b, "\n\n"...)
		return s.send(b)
	}
	if tool != "" {
		sofar := ""
		for i, f := range toolArgFragments {
			sofar += f
			args := sofar
			if incremental {
				args = f
			}
			if send(answer("", args, true, "null", 1+i), 200) != nil {
				return
			}
		}
		args := ToolArguments
		if incremental {
			args = ""
		}
		send(answer("", args, true, "tool_calls", out), 200)
		return
	}
	sofar := ""
	for i, p := range pieces {
		if x.midstream() && i == 2 {
			send(map[string]any{"code": "InternalError", "message": "mock upstream failure mid-stream",
				"request_id": x.id}, 500)
			return
		}
		sofar += p
		text := sofar
		if incremental {
			text = p
		}
		if send(answer(text, "", false, "null", i+1), 200) != nil {
			return
		}
	}
	last := sofar
	if incremental {
		last = ""
	}
	send(answer(last, "", false, "stop", out), 200)
}

// dashscopeEmbedding answers native text-embedding: output.embeddings[].{text_index,embedding}.
func (x *exchange) dashscopeEmbedding() {
	texts := inputTexts(x.req.Get("input.texts"))
	dims := int(x.req.Get("parameters.dimension").Int())
	if dims <= 0 {
		dims = DefaultDimensions
	}
	embs := make([]map[string]any, len(texts))
	for i, t := range texts {
		embs[i] = map[string]any{"text_index": i, "embedding": vector(t, dims)}
	}
	writeJSON(x.w, map[string]any{
		"output":     map[string]any{"embeddings": embs},
		"usage":      map[string]int{"total_tokens": tokenCount(texts)},
		"request_id": x.id,
	})
}

// dashscopeRerank answers native text-rerank: documents scored by the share of query
// words they contain (ties broken by a hash), best first, cut to parameters.top_n.
func (x *exchange) dashscopeRerank() {
	query := strings.ToLower(x.req.Get("input.query").String())
	docs := x.req.Get("input.documents").Array()
	qwords := strings.Fields(query)
	type scored struct {
		i     int
		text  string
		score float64
	}
	res := make([]scored, len(docs))
	texts := []string{query}
	for i, d := range docs {
		text := d.String()
		if d.IsObject() {
			text = d.Get("text").String()
		}
		texts = append(texts, text)
		lower := strings.ToLower(text)
		hits := 0
		for _, w := range qwords {
			if strings.Contains(lower, w) {
				hits++
			}
		}
		score := 0.05 + 0.9*float64(hits)/float64(max(1, len(qwords)))
		score += float64(vector(text, 1)[0]+1) * 0.01 // deterministic tie-break
		res[i] = scored{i, text, float64(int(score*1e6)) / 1e6}
	}
	sort.SliceStable(res, func(a, b int) bool { return res[a].score > res[b].score })
	if n := int(x.req.Get("parameters.top_n").Int()); n > 0 && n < len(res) {
		res = res[:n]
	}
	withDocs := x.req.Get("parameters.return_documents").Bool()
	results := make([]map[string]any, len(res))
	for k, r := range res {
		m := map[string]any{"index": r.i, "relevance_score": r.score}
		if withDocs {
			m["document"] = map[string]any{"text": r.text}
		}
		results[k] = m
	}
	writeJSON(x.w, map[string]any{
		"output":     map[string]any{"results": results},
		"usage":      map[string]int{"total_tokens": tokenCount(texts)},
		"request_id": x.id,
	})
}

// isImageModel reports whether a multimodal-generation model makes images (qwen-image,
// qwen-image-plus, qwen-image-edit, wan2.x-t2i-..., wanx-...) rather than text.
func isImageModel(model string) bool {
	m := strings.ToLower(model)
	return strings.Contains(m, "image") || strings.HasPrefix(m, "wan")
}

// ImageURLPrefix starts the URL of every image the mock "generates".
const ImageURLPrefix = "https://dashscope-result-mock.oss-cn-beijing.aliyuncs.com/mock/"

// dashscopeImage answers an image model on multimodal-generation as DashScope does
// (always JSON, even when SSE is asked for): output.choices[0].message.content holds one
// {"image": url} per image (parameters.n, default 1), usage the size
// (parameters.size "W*H", default 1328*1328) and image_count.
func (x *exchange) dashscopeImage() {
	params := x.req.Get("parameters")
	w, h := 1328, 1328
	if ws, hs, ok := strings.Cut(params.Get("size").String(), "*"); ok {
		if a, err := strconv.Atoi(ws); err == nil && a > 0 {
			if b, err := strconv.Atoi(hs); err == nil && b > 0 {
				w, h = a, b
			}
		}
	}
	n := int(params.Get("n").Int())
	if n <= 0 {
		n = 1
	}
	content := make([]map[string]any, n)
	for i := range content {
		content[i] = map[string]any{"image": ImageURLPrefix + x.id + "-" + strconv.Itoa(i+1) + ".png"}
	}
	writeJSON(x.w, map[string]any{
		"output": map[string]any{
			"choices": []map[string]any{{"finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": content}}},
			"task_metric": map[string]int{"TOTAL": n, "SUCCEEDED": n, "FAILED": 0},
		},
		"usage":      map[string]int{"width": w, "height": h, "image_count": n},
		"request_id": x.id,
	})
}
