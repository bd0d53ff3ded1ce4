package dashscope

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/openai/openai-go/v3"
)

// The converted answers decode with the official OpenAI SDK's types, and a streamed
// answer accumulates to what the JSON answer says.

func TestSDKDecodesChatStream(t *testing.T) {
	tests := []struct {
		name                     string
		content, reasoning, tool string
		finish                   string
		prompt, completion       int64
		cached, reasoningTokens  int64
	}{
		{name: "chat_reasoning_stream", content: "Hello! 你好 \u2028", reasoning: "The user greets me.", finish: "stop",
			prompt: 20, completion: 9, cached: 12, reasoningTokens: 5},
		{name: "chat_reasoning_stream_concat", content: "<think>The user greets me.</think>\nHello! 你好 \u2028", finish: "stop",
			prompt: 20, completion: 9, cached: 12, reasoningTokens: 5},
		{name: "chat_tools_stream", tool: `get_weather({"city": "Hangzhou"})`, finish: "tool_calls", prompt: 205, completion: 13},
		{name: "chat_tools_stream_repeated", tool: `get_weather({"city": "Hangzhou"})`, finish: "tool_calls", prompt: 205, completion: 13},
		{name: "chat_vl_stream", content: "A corgi.", finish: "stop", prompt: 1270, completion: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := findCase(t, tt.name)
			out := c.runStream(t, [][]byte{readFixture(t, c.answer)})
			var acc openai.ChatCompletionAccumulator
			var reasoning strings.Builder
			data := sseData(out)
			if data[len(data)-1] != "[DONE]" {
				t.Fatalf("stream does not end with [DONE]: %s", out)
			}
			for _, d := range data[:len(data)-1] {
				var chunk openai.ChatCompletionChunk
				if err := json.Unmarshal([]byte(d), &chunk); err != nil {
					t.Fatalf("chunk %s: %v", d, err)
				}
				if chunk.Object != "chat.completion.chunk" {
					t.Errorf("object: got %q", chunk.Object)
				}
				for _, ch := range chunk.Choices {
					var extra struct {
						Delta struct {
							ReasoningContent string `json:"reasoning_content"`
						} `json:"delta"`
					}
					_ = json.Unmarshal([]byte(ch.RawJSON()), &extra)
					reasoning.WriteString(extra.Delta.ReasoningContent)
				}
				if !acc.AddChunk(chunk) {
					t.Fatalf("accumulator refused chunk %s", d)
				}
			}
			if len(acc.Choices) != 1 {
				t.Fatalf("choices: got %d, want 1", len(acc.Choices))
			}
			msg := acc.Choices[0].Message
			if msg.Content != tt.content {
				t.Errorf("content: got %q, want %q", msg.Content, tt.content)
			}
			if reasoning.String() != tt.reasoning {
				t.Errorf("reasoning: got %q, want %q", reasoning.String(), tt.reasoning)
			}
			tool := ""
			for _, tc := range msg.ToolCalls {
				tool += tc.Function.Name + "(" + tc.Function.Arguments + ")"
			}
			if tool != tt.tool {
				t.Errorf("tool calls: got %q, want %q", tool, tt.tool)
			}
			if got := acc.Choices[0].FinishReason; got != tt.finish {
				t.Errorf("finish_reason: got %q, want %q", got, tt.finish)
			}
			u := acc.Usage
			if u.PromptTokens != tt.prompt || u.CompletionTokens != tt.completion || u.TotalTokens != tt.prompt+tt.completion ||
				u.PromptTokensDetails.CachedTokens != tt.cached || u.CompletionTokensDetails.ReasoningTokens != tt.reasoningTokens {
				t.Errorf("usage: got %+v", u)
			}
		})
	}
}

func TestSDKDecodesChatJSON(t *testing.T) {
	tests := []struct {
		name, content, tool, finish string
		prompt, cached              int64
	}{
		{"chat_text", `{"greeting":"hi"}`, "", "stop", 26, 16},
		{"chat_reasoning_json_concat", "<think>The user greets me.</think>\nHello! 你好", "", "stop", 20, 12},
		{"chat_tools_json", "", `get_weather({"city": "Hangzhou"})`, "tool_calls", 205, 0},
		{"chat_vl_json", "A corgi.", "", "stop", 1270, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got openai.ChatCompletion
			if err := json.Unmarshal(readFixture(t, tt.name+".client.json"), &got); err != nil {
				t.Fatal(err)
			}
			m := got.Choices[0].Message
			tool := ""
			for _, tc := range m.ToolCalls {
				tool += tc.Function.Name + "(" + tc.Function.Arguments + ")"
			}
			if m.Content != tt.content || tool != tt.tool || got.Choices[0].FinishReason != tt.finish {
				t.Errorf("got content %q tool %q finish %q, want %q %q %q", m.Content, tool, got.Choices[0].FinishReason, tt.content, tt.tool, tt.finish)
			}
			if got.Usage.PromptTokens != tt.prompt || got.Usage.PromptTokensDetails.CachedTokens != tt.cached {
				t.Errorf("usage: got %+v", got.Usage)
			}
		})
	}
}

func TestSDKDecodesErrors(t *testing.T) {
	for _, name := range []string{"chat_error_json", "chat_auth_error_json", "rerank_error"} {
		t.Run(name, func(t *testing.T) {
			var e struct {
				Error openai.Error `json:"error"`
			}
			if err := json.Unmarshal(readFixture(t, name+".client.json"), &e); err != nil {
				t.Fatal(err)
			}
			if e.Error.Message == "" || e.Error.Type == "" || e.Error.Code == "" {
				t.Errorf("error fields missing: %+v", e.Error)
			}
		})
	}
}

func TestSDKDecodesEmbeddings(t *testing.T) {
	want := [][]float64{{0.015625, -0.25, 0.5, 1.0}, {-0.125, 0.0625, 0.75, -1.5}}
	for _, name := range []string{"embeddings", "embeddings_b64"} {
		t.Run(name, func(t *testing.T) {
			raw := readFixture(t, name+".client.json")
			var got openai.CreateEmbeddingResponse
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			if len(got.Data) != 2 || got.Usage.TotalTokens != 4 {
				t.Fatalf("got %+v", got)
			}
			for i, d := range got.Data {
				vec := d.Embedding
				if name == "embeddings_b64" {
					var s []struct {
						Embedding string `json:"embedding"`
					}
					var wrap struct {
						Data *[]struct {
							Embedding string `json:"embedding"`
						} `json:"data"`
					}
					wrap.Data = &s
					_ = json.Unmarshal(raw, &wrap)
					b, err := base64.StdEncoding.DecodeString(s[i].Embedding)
					if err != nil {
						t.Fatal(err)
					}
					vec = nil
					for j := 0; j+4 <= len(b); j += 4 {
						vec = append(vec, float64(math.Float32frombits(binary.LittleEndian.Uint32(b[j:]))))
					}
				}
				if len(vec) != len(want[i]) {
					t.Fatalf("data[%d]: got %v, want %v", i, vec, want[i])
				}
				for j := range vec {
					if vec[j] != want[i][j] {
						t.Errorf("data[%d][%d]: got %v, want %v", i, j, vec[j], want[i][j])
					}
				}
			}
		})
	}
}

func TestSDKDecodesImages(t *testing.T) {
	tests := []struct {
		name    string
		urls    int
		taskURL string
	}{
		{"image_gen", 1, ""},
		{"image_edit", 1, ""},
		{"image_task_done", 1, ""},
		{"image_gen_wan_async", 0, "/api/v1/tasks/0385dc79-5ff8-4d82-bcb6-xxxxxx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := readFixture(t, tt.name+".client.json")
			var got openai.ImagesResponse
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			if len(got.Data) != tt.urls || got.Created != fixedNow() {
				t.Errorf("got %d images created %d, want %d", len(got.Data), got.Created, tt.urls)
			}
			for _, d := range got.Data {
				if !strings.HasPrefix(d.URL, "https://") {
					t.Errorf("url: got %q", d.URL)
				}
			}
			var task struct {
				TaskURL string `json:"task_url"`
			}
			_ = json.Unmarshal(raw, &task)
			if task.TaskURL != tt.taskURL {
				t.Errorf("task_url: got %q, want %q", task.TaskURL, tt.taskURL)
			}
		})
	}
}

func TestUsageReported(t *testing.T) {
	tests := []struct {
		name                           string
		prompt, completion, cached, rs int64
		model                          string
	}{
		{"chat_reasoning_stream", 20, 9, 12, 5, "qwen-plus-latest"},
		{"chat_tools_stream", 205, 13, 0, 0, "qwen-max"},
		{"compat_fileids_stream", 3021, 3, 2048, 0, "qwen-long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := findCase(t, tt.name)
			tr, _, _, _ := c.prepare(t)
			_, _ = tr.ResponseStream(nil, readFixture(t, c.answer), true)
			u := tr.Usage()
			if u.PromptTokens != tt.prompt || u.CompletionTokens != tt.completion || u.CachedTokens != tt.cached ||
				u.ReasoningTokens != tt.rs || u.Model != tt.model || u.TotalTokens != tt.prompt+tt.completion {
				t.Errorf("got %+v", u)
			}
		})
	}
}

func TestRequestErrors(t *testing.T) {
	tests := []struct {
		name string
		newT func(Options) translator.Translator
		body string
		want string
	}{
		{"chat no messages", newChat, `{"model":"qwen-plus"}`, "messages"},
		{"chat bad role", newChat, `{"model":"qwen-plus","messages":[{"role":"wizard","content":"x"}]}`, "role"},
		{"chat bad part", newChat, `{"model":"qwen-plus","messages":[{"role":"user","content":[{"type":"file","file":{}}]}]}`, "file"},
		{"embeddings tokens", newEmbeddings, `{"model":"text-embedding-v4","input":[[1,2,3]]}`, "token"},
		{"embeddings none", newEmbeddings, `{"model":"text-embedding-v4"}`, "input"},
		{"rerank no query", newRerank, `{"model":"gte-rerank-v2","documents":["a"]}`, "query"},
		{"rerank bad doc", newRerank, `{"model":"gte-rerank-v2","query":"q","documents":[1]}`, "documents"},
		{"image no prompt", newImageGen, `{"model":"qwen-image-plus"}`, "prompt"},
		{"edit no image", newImageEdit, `{"model":"qwen-image-edit","prompt":"p"}`, "multipart"},
		{"edit file id", newImageEdit, `{"model":"qwen-image-edit","prompt":"p","images":[{"file_id":"f"}]}`, "file_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.newT(Options{}).RequestBody([]byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}
