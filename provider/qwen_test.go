package provider

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// TestQwenUpstream shows the upstream request of type "qwen" for each mode and route:
// authority, path, auth, DashScope headers, and the body as it leaves.
func TestQwenUpstream(t *testing.T) {
	const key = `"type":"qwen","apiTokens":["sk-ds"]`
	stream := `{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}],"stream":true}`
	tests := []struct {
		name    string
		config  string
		path    string
		body    string
		headers map[string]string // client headers
		host    string
		want    string            // upstream :path
		hdr     map[string]string // upstream headers that must be set ("" = absent)
		body1   map[string]string // gjson path → raw value in the upstream body ("" = absent)
	}{
		{name: "compatible chat passes through", config: `{` + key + `}`, path: "/v1/chat/completions", body: chatBody,
			host: "dashscope.aliyuncs.com", want: "/compatible-mode/v1/chat/completions",
			hdr:   map[string]string{"authorization": "Bearer sk-ds", "x-dashscope-sse": ""},
			body1: map[string]string{"temperature": "0", "stop": `"END"`, "x_unknown": `{"a":[1,2]}`, "enable_search": ""}},
		{name: "compatible chat with search and file ids", config: `{` + key + `,"qwenEnableSearch":true,"qwenFileIds":["file-1","file-2"]}`,
			path: "/v1/chat/completions", body: chatBody, host: "dashscope.aliyuncs.com", want: "/compatible-mode/v1/chat/completions",
			body1: map[string]string{"enable_search": "true", "messages.0": `{"role":"system","content":"fileid://file-1,fileid://file-2"}`,
				"messages.1.content": `"hi"`, "temperature": "0"}},
		{name: "international domain", config: `{` + key + `,"qwenDomain":"dashscope-intl.aliyuncs.com"}`, path: "/v1/embeddings",
			body: embedBody, host: "dashscope-intl.aliyuncs.com", want: "/compatible-mode/v1/embeddings",
			body1: map[string]string{"input": `"hello"`}},
		{name: "providerDomain", config: `{` + key + `,"providerDomain":"ds.internal:8080"}`, path: "/v1/completions",
			body: `{"model":"qwen-plus","prompt":"x"}`, host: "ds.internal:8080", want: "/compatible-mode/v1/completions"},
		{name: "responses", config: `{` + key + `}`, path: "/v1/responses", body: `{"model":"qwen-plus","input":"hi"}`,
			host: "dashscope.aliyuncs.com", want: "/compatible-mode/v1/responses"},
		{name: "native chat", config: `{` + key + `,"qwenEnableCompatible":false,"qwenEnableSearch":true,"modelMapping":{"gpt-4o":"qwen-max"}}`,
			path: "/v1/chat/completions", body: chatBody, host: "dashscope.aliyuncs.com",
			want: "/api/v1/services/aigc/text-generation/generation",
			hdr:  map[string]string{"authorization": "Bearer sk-ds"},
			body1: map[string]string{"model": `"qwen-max"`, "input.messages.0.content": `"hi"`, "parameters.temperature": "0",
				"parameters.stop": `"END"`, "parameters.result_format": `"message"`, "parameters.enable_search": "true", "messages": ""}},
		{name: "native chat stream", config: `{` + key + `,"qwenEnableCompatible":false}`, path: "/v1/chat/completions", body: stream,
			host: "dashscope.aliyuncs.com", want: "/api/v1/services/aigc/text-generation/generation",
			hdr:   map[string]string{"x-dashscope-sse": "enable", "accept": "text/event-stream"},
			body1: map[string]string{"parameters.incremental_output": "true", "stream": "", "stream_options": ""}},
		{name: "native vision goes multimodal", config: `{` + key + `,"qwenEnableCompatible":false}`, path: "/v1/chat/completions",
			body: `{"model":"qwen-vl-max","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/a.png"}},{"type":"text","text":"what?"}]}]}`,
			host: "dashscope.aliyuncs.com", want: "/api/v1/services/aigc/multimodal-generation/generation",
			body1: map[string]string{"input.messages.0.content": `[{"image":"https://x/a.png"},{"text":"what?"}]`}},
		{name: "native embeddings", config: `{` + key + `,"qwenEnableCompatible":false}`, path: "/v1/embeddings", body: embedBody,
			host: "dashscope.aliyuncs.com", want: "/api/v1/services/embeddings/text-embedding/text-embedding",
			body1: map[string]string{"input.texts": `["hello"]`}},
		{name: "images generations", config: `{` + key + `}`, path: "/v1/images/generations",
			body: `{"model":"qwen-image-plus","prompt":"a cat","size":"1024x1024","n":1}`, host: "dashscope.aliyuncs.com",
			want:  "/api/v1/services/aigc/multimodal-generation/generation",
			body1: map[string]string{"parameters.size": `"1024*1024"`, "input.messages.0.content.0.text": `"a cat"`}},
		{name: "images generations async wan", config: `{` + key + `}`, path: "/v1/images/generations",
			body: `{"model":"wan2.2-t2i-flash","prompt":"a cat"}`, host: "dashscope.aliyuncs.com",
			want: "/api/v1/services/aigc/text2image/image-synthesis", hdr: map[string]string{"x-dashscope-async": "enable"},
			body1: map[string]string{"input.prompt": `"a cat"`}},
		{name: "images edits JSON", config: `{` + key + `}`, path: "/v1/images/edits",
			body: `{"model":"wanx2.1-imageedit","prompt":"make it red","image":"https://x/in.png"}`, host: "dashscope.aliyuncs.com",
			want: "/api/v1/services/aigc/image2image/image-synthesis", hdr: map[string]string{"x-dashscope-async": "enable"},
			body1: map[string]string{"input.base_image_url": `"https://x/in.png"`, "input.function": `"description_edit"`}},
		{name: "rerank converted", config: `{` + key + `}`, path: "/v1/rerank",
			body: `{"model":"gte-rerank-v2","query":"q","documents":["a",{"text":"b"}],"top_n":1}`, host: "dashscope.aliyuncs.com",
			want: "/api/v1/services/rerank/text-rerank/text-rerank", body1: map[string]string{"input.documents": `["a","b"]`, "parameters.top_n": "1"}},
		{name: "rerank on the compatible route passes through", config: `{` + key + `,"capabilities":{"cohere/v1/rerank":"/compatible-api/v1/reranks"}}`,
			path: "/v1/rerank", body: `{"model":"qwen3-rerank","query":"q","documents":["a"]}`, host: "dashscope.aliyuncs.com",
			want: "/compatible-api/v1/reranks", body1: map[string]string{"query": `"q"`, "input": ""}},
		{name: "anthropic messages", config: `{` + key + `}`, path: "/v1/messages",
			body: `{"model":"qwen-plus","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`, headers: map[string]string{"x-api-key": "client-key"},
			host: "dashscope.aliyuncs.com", want: "/apps/anthropic/v1/messages",
			hdr: map[string]string{"authorization": "Bearer sk-ds", "x-api-key": ""}, body1: map[string]string{"max_tokens": "10"}},
		{name: "native rerank route keeps its path", config: `{` + key + `}`, path: "/api/v1/services/rerank/text-rerank/text-rerank",
			body: `{"model":"gte-rerank-v2","input":{"query":"q","documents":["a"]}}`, host: "dashscope.aliyuncs.com",
			want: "/api/v1/services/rerank/text-rerank/text-rerank", body1: map[string]string{"input.query": `"q"`}},
		{name: "async aigc route keeps its path", config: `{` + key + `}`, path: "/api/v1/services/aigc/video-generation/video-synthesis",
			body: `{"model":"wan2.2-t2v-plus","input":{"prompt":"p"}}`, headers: map[string]string{"x-dashscope-async": "enable"},
			host: "dashscope.aliyuncs.com", want: "/api/v1/services/aigc/video-generation/video-synthesis",
			hdr: map[string]string{"x-dashscope-async": "enable", "authorization": "Bearer sk-ds"}},
		{name: "task route keeps its path", config: `{` + key + `}`, path: "/api/v1/tasks/86ecf553-d340-4e21-xxxx",
			host: "dashscope.aliyuncs.com", want: "/api/v1/tasks/86ecf553-d340-4e21-xxxx", hdr: map[string]string{"authorization": "Bearer sk-ds"}},
		{name: "protocol original with raw parameters", config: `{` + key + `,"protocol":"original","customSettings":[{"name":"max_tokens","value":256},{"name":"top_k","value":5,"mode":"raw"}]}`,
			path: "/api/v1/services/aigc/text-generation/generation",
			body: `{"model":"qwen-plus","input":{"messages":[{"role":"user","content":"hi"}]},"parameters":{"temperature":0}}`,
			host: "dashscope.aliyuncs.com", want: "/api/v1/services/aigc/text-generation/generation",
			body1: map[string]string{"parameters.max_tokens": "256", "parameters.top_k": "5", "parameters.temperature": "0", "input.messages.0.content": `"hi"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustConfig(t, tt.config)
			h, body := upstream(t, c, tt.path, tt.body, tt.headers)
			if h[":authority"] != tt.host {
				t.Errorf(":authority: got %q, want %q", h[":authority"], tt.host)
			}
			if h[":path"] != tt.want {
				t.Errorf(":path: got %q, want %q", h[":path"], tt.want)
			}
			for k, v := range tt.hdr {
				if got, ok := h[k]; got != v || (v == "" && ok) {
					t.Errorf("header %s: got %q, want %q", k, got, v)
				}
			}
			if tt.body != "" && !gjson.Valid(body) {
				t.Fatalf("upstream body is not JSON: %s", body)
			}
			for p, want := range tt.body1 {
				if got := gjson.Get(body, p).Raw; got != want {
					t.Errorf("body %s: got %s, want %s\nbody: %s", p, got, want, body)
				}
			}
		})
	}
}

// TestQwenAnswers runs answers back through the Request: native JSON and stream
// conversion, upstream errors, and passthrough in compatible mode.
func TestQwenAnswers(t *testing.T) {
	tests := []struct {
		name, config, path, body string
		status                   int
		ct, answer               string
		want                     []string // substrings of the client answer
	}{
		{name: "native JSON", config: `{"type":"qwen","apiTokens":["k"],"qwenEnableCompatible":false}`, path: "/v1/chat/completions",
			body: chatBody, status: 200, ct: "application/json",
			answer: `{"output":{"choices":[{"finish_reason":"stop","message":{"role":"assistant","content":"hello"}}]},"usage":{"input_tokens":3,"output_tokens":1,"total_tokens":4},"request_id":"r1"}`,
			want:   []string{`"object":"chat.completion"`, `"content":"hello"`, `"prompt_tokens":3`, `"model":"gpt-4o"`}},
		{name: "native error keeps status shape", config: `{"type":"qwen","apiTokens":["k"],"qwenEnableCompatible":false}`, path: "/v1/chat/completions",
			body: chatBody, status: 429, ct: "application/json",
			answer: `{"code":"Throttling.RateQuota","message":"Requests rate limit exceeded","request_id":"r2"}`,
			want:   []string{`{"error":{"message":"Requests rate limit exceeded","type":"rate_limit_error","code":"Throttling.RateQuota"}}`}},
		{name: "native stream", config: `{"type":"qwen","apiTokens":["k"],"qwenEnableCompatible":false,"reasoningContentMode":"concat"}`, path: "/v1/chat/completions",
			body: `{"model":"qwen3-max","messages":[{"role":"user","content":"hi"}],"stream":true}`, status: 200, ct: "text/event-stream;charset=UTF-8",
			answer: "id:1\nevent:result\n:HTTP_STATUS/200\ndata:{\"output\":{\"choices\":[{\"message\":{\"content\":\"\",\"reasoning_content\":\"hm\",\"role\":\"assistant\"},\"finish_reason\":\"null\"}]},\"usage\":{\"input_tokens\":2,\"output_tokens\":1},\"request_id\":\"r3\"}\n\n" +
				"id:2\nevent:result\n:HTTP_STATUS/200\ndata:{\"output\":{\"choices\":[{\"message\":{\"content\":\"yo\",\"role\":\"assistant\"},\"finish_reason\":\"stop\"}]},\"usage\":{\"input_tokens\":2,\"output_tokens\":3},\"request_id\":\"r3\"}\n\n",
			want: []string{`"content":"<think>hm"`, `"content":"</think>\nyo"`, `"usage":{"prompt_tokens":2,"completion_tokens":3,"total_tokens":5}`, "data: [DONE]\n\n"}},
		{name: "native stream refused with JSON error", config: `{"type":"qwen","apiTokens":["k"],"qwenEnableCompatible":false}`, path: "/v1/chat/completions",
			body: `{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}],"stream":true}`, status: 401, ct: "application/json",
			answer: `{"code":"InvalidApiKey","message":"Invalid API-key provided.","request_id":"r4"}`,
			want:   []string{`"type":"authentication_error"`, `"code":"InvalidApiKey"`}},
		{name: "rerank", config: `{"type":"qwen","apiTokens":["k"]}`, path: "/v1/rerank",
			body: `{"model":"gte-rerank-v2","query":"q","documents":["a","b"],"top_n":1,"return_documents":true}`, status: 200, ct: "application/json",
			answer: `{"output":{"results":[{"document":{"text":"b"},"index":1,"relevance_score":0.9}]},"usage":{"total_tokens":9},"request_id":"r5"}`,
			want:   []string{`"results":[{"index":1,"relevance_score":0.9,"document":{"text":"b"}}]`, `"total_tokens":9`}},
		{name: "async image", config: `{"type":"qwen","apiTokens":["k"]}`, path: "/v1/images/generations",
			body: `{"model":"wanx2.1-t2i-turbo","prompt":"p"}`, status: 200, ct: "application/json",
			answer: `{"output":{"task_status":"PENDING","task_id":"t-1"},"request_id":"r6"}`,
			want:   []string{`"data":[]`, `"task_id":"t-1"`, `"task_url":"/api/v1/tasks/t-1"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustConfig(t, tt.config)
			r, e := NewRequest(c, tt.path)
			if e != nil {
				t.Fatal(e.Message)
			}
			h := testHeaders{}
			r.RewriteRequestHeaders(h)
			if _, e := r.RewriteRequestBody([]byte(tt.body), h); e != nil {
				t.Fatal(e.Message)
			}
			rh := testHeaders{"content-type": tt.ct}
			convert, streaming := r.RewriteResponseHeaders(tt.status, rh)
			if !convert {
				t.Fatalf("answer not converted")
			}
			var got []byte
			if streaming {
				got = r.ConvertResponseChunk(nil, []byte(tt.answer), true)
			} else {
				got, _ = r.ConvertResponseBody([]byte(tt.answer))
			}
			for _, w := range tt.want {
				if !strings.Contains(string(got), w) {
					t.Errorf("answer lacks %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestQwenConfigErrors(t *testing.T) {
	_, err := ParseConfig(gjson.Parse(`{"type":"qwen","apiTokens":["k"],"qwenDomain":"https://x/y"}`), "provider")
	if err == nil || !strings.Contains(err.Error(), "qwenDomain") {
		t.Errorf("got %v, want an error naming qwenDomain", err)
	}
}
