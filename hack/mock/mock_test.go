package mock

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/sse"
	"github.com/anthropics/anthropic-sdk-go"
	anthropicoption "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
	"github.com/tidwall/gjson"
)

func newServer(t *testing.T, opts ...Option) (*Handler, *httptest.Server) {
	t.Helper()
	h := NewHandler(opts...)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, srv
}

func openaiClient(base string) openai.Client {
	return openai.NewClient(option.WithBaseURL(base), option.WithAPIKey("sk-test"), option.WithMaxRetries(0))
}

var weatherTool = openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
	Name:       "get_weather",
	Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"location": map[string]any{"type": "string"}}},
})

func TestOpenAIChat(t *testing.T) {
	_, srv := newServer(t)
	tests := []struct {
		name      string
		base      string
		stream    bool
		usage     bool
		tools     bool
		wantText  string
		wantTool  string
		wantUsage bool
	}{
		{name: "json", base: "/v1/", wantText: "Hello from the mock gpt-4o-mini! You said: What is the weather?", wantUsage: true},
		{name: "json tools", base: "/v1/", tools: true, wantTool: "get_weather", wantUsage: true},
		{name: "stream", base: "/v1/", stream: true, wantText: "Hello from the mock gpt-4o-mini! You said: What is the weather?"},
		{name: "stream usage", base: "/compatible-mode/v1/", stream: true, usage: true, wantText: "Hello from the mock gpt-4o-mini! You said: What is the weather?", wantUsage: true},
		{name: "stream tools", base: "/api/paas/v4/", stream: true, usage: true, tools: true, wantTool: "get_weather", wantUsage: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := openaiClient(srv.URL + tt.base)
			p := openai.ChatCompletionNewParams{
				Model:    "gpt-4o-mini",
				Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage("What is the weather?")},
			}
			if tt.tools {
				p.Tools = []openai.ChatCompletionToolUnionParam{weatherTool}
			}
			if tt.usage {
				p.StreamOptions.IncludeUsage = openai.Bool(true)
			}
			var got openai.ChatCompletion
			if tt.stream {
				st := c.Chat.Completions.NewStreaming(context.Background(), p)
				acc := openai.ChatCompletionAccumulator{}
				chunks := 0
				for st.Next() {
					if !acc.AddChunk(st.Current()) {
						t.Fatalf("accumulator rejected chunk %s", st.Current().RawJSON())
					}
					chunks++
				}
				if err := st.Err(); err != nil {
					t.Fatal(err)
				}
				if chunks < 4 {
					t.Errorf("got %d chunks, want several", chunks)
				}
				got = acc.ChatCompletion
			} else {
				r, err := c.Chat.Completions.New(context.Background(), p)
				if err != nil {
					t.Fatal(err)
				}
				got = *r
			}
			if len(got.Choices) != 1 {
				t.Fatalf("got %d choices", len(got.Choices))
			}
			msg := got.Choices[0].Message
			if msg.Content != tt.wantText {
				t.Errorf("content = %q, want %q", msg.Content, tt.wantText)
			}
			if tt.wantTool != "" {
				if len(msg.ToolCalls) != 1 || msg.ToolCalls[0].Function.Name != tt.wantTool || msg.ToolCalls[0].Function.Arguments != ToolArguments {
					t.Fatalf("tool calls = %+v, want %s(%s)", msg.ToolCalls, tt.wantTool, ToolArguments)
				}
				if got.Choices[0].FinishReason != "tool_calls" {
					t.Errorf("finish_reason = %q", got.Choices[0].FinishReason)
				}
			}
			if (got.Usage.TotalTokens > 0) != tt.wantUsage {
				t.Errorf("usage = %+v, want present=%v", got.Usage, tt.wantUsage)
			}
			if got.Model != "gpt-4o-mini" {
				t.Errorf("model = %q", got.Model)
			}
		})
	}
}

func TestOpenAIToolResultTurn(t *testing.T) {
	_, srv := newServer(t)
	c := openaiClient(srv.URL + "/v1/")
	r, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "gpt-4o-mini",
		Tools: []openai.ChatCompletionToolUnionParam{weatherTool},
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.UserMessage("Weather?"),
			openai.ToolMessage("sunny, 21C", "call_1"),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "The tool returned: sunny, 21C"; r.Choices[0].Message.Content != want {
		t.Errorf("content = %q, want %q", r.Choices[0].Message.Content, want)
	}
}

func TestOpenAIEmbeddingsAndModels(t *testing.T) {
	_, srv := newServer(t)
	c := openaiClient(srv.URL + "/v1/")
	tests := []struct {
		name   string
		params openai.EmbeddingNewParams
		want   int
		dims   int
	}{
		{"one string", openai.EmbeddingNewParams{Model: "text-embedding-3-small", Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("hi")}}, 1, DefaultDimensions},
		{"strings dims", openai.EmbeddingNewParams{Model: "text-embedding-3-small", Dimensions: openai.Int(8),
			Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b", "c"}}}, 3, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := c.Embeddings.New(context.Background(), tt.params)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Data) != tt.want || len(r.Data[0].Embedding) != tt.dims || r.Usage.TotalTokens == 0 {
				t.Fatalf("got %d vectors of %d, usage %+v", len(r.Data), len(r.Data[0].Embedding), r.Usage)
			}
			var norm float64
			for _, f := range r.Data[0].Embedding {
				norm += f * f
			}
			if math.Abs(norm-1) > 1e-3 {
				t.Errorf("norm² = %v, want 1", norm)
			}
		})
	}
	t.Run("base64", func(t *testing.T) {
		body := `{"model":"text-embedding-3-small","input":"hi","encoding_format":"base64","dimensions":4}`
		_, b := do(t, srv.URL+"/v1/embeddings", map[string]string{"Authorization": "Bearer k"}, body)
		raw, err := base64.StdEncoding.DecodeString(gjson.GetBytes(b, "data.0.embedding").String())
		if err != nil || len(raw) != 16 {
			t.Fatalf("base64 embedding: %v, %d bytes", err, len(raw))
		}
		if got, want := math.Float32frombits(binary.LittleEndian.Uint32(raw)), vector("hi", 4)[0]; got != want {
			t.Errorf("first value %v, want %v", got, want)
		}
	})
	t.Run("models", func(t *testing.T) {
		p, err := c.Models.List(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Data) != len(MockModels) || p.Data[0].ID != MockModels[0] {
			t.Errorf("models = %+v", p.Data)
		}
	})
}

func TestAnthropicMessages(t *testing.T) {
	_, srv := newServer(t)
	tests := []struct {
		name     string
		prefix   string
		stream   bool
		tools    bool
		wantText string
		wantStop anthropic.StopReason
	}{
		{"json", "", false, false, "Hello from the mock claude-sonnet-4-5! You said: Hi there", anthropic.StopReasonEndTurn},
		{"stream", "/anthropic", true, false, "Hello from the mock claude-sonnet-4-5! You said: Hi there", anthropic.StopReasonEndTurn},
		{"json tools", "/apps/anthropic", false, true, anthropicPreamble, anthropic.StopReasonToolUse},
		{"stream tools", "", true, true, anthropicPreamble, anthropic.StopReasonToolUse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := anthropic.NewClient(anthropicoption.WithBaseURL(srv.URL+tt.prefix), anthropicoption.WithAPIKey("sk-ant"), anthropicoption.WithMaxRetries(0))
			p := anthropic.MessageNewParams{
				Model:     "claude-sonnet-4-5",
				MaxTokens: 256,
				System:    []anthropic.TextBlockParam{{Text: "Be brief."}},
				Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Hi there"))},
			}
			if tt.tools {
				p.Tools = []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{Name: "get_weather",
					InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{"location": map[string]any{"type": "string"}}}}}}
			}
			var msg anthropic.Message
			if tt.stream {
				st := c.Messages.NewStreaming(context.Background(), p)
				events := 0
				for st.Next() {
					if err := msg.Accumulate(st.Current()); err != nil {
						t.Fatal(err)
					}
					events++
				}
				if err := st.Err(); err != nil {
					t.Fatal(err)
				}
				if events < 6 {
					t.Errorf("%d events, want several", events)
				}
			} else {
				r, err := c.Messages.New(context.Background(), p)
				if err != nil {
					t.Fatal(err)
				}
				msg = *r
			}
			if len(msg.Content) == 0 || msg.Content[0].Text != tt.wantText {
				t.Fatalf("content = %+v, want text %q", msg.Content, tt.wantText)
			}
			if msg.StopReason != tt.wantStop {
				t.Errorf("stop_reason = %q, want %q", msg.StopReason, tt.wantStop)
			}
			if tt.tools {
				if len(msg.Content) != 2 || msg.Content[1].Name != "get_weather" || string(msg.Content[1].Input) != ToolArguments {
					t.Errorf("tool_use = %+v", msg.Content)
				}
			}
			if msg.Usage.InputTokens == 0 || msg.Usage.OutputTokens == 0 {
				t.Errorf("usage = %+v", msg.Usage)
			}
		})
	}
}

// do posts body with headers and returns the status and answer body.
func do(t *testing.T, url string, headers map[string]string, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// events splits an SSE body with the project's reader.
func events(b []byte) []sse.Event {
	var r sse.Reader
	r.Feed(b)
	var out []sse.Event
	for {
		ev, ok := r.Flush()
		if !ok {
			return out
		}
		out = append(out, sse.Event{Name: bytes.Clone(ev.Name), Data: bytes.Clone(ev.Data), ID: bytes.Clone(ev.ID)})
	}
}

func TestDashScopeGeneration(t *testing.T) {
	_, srv := newServer(t)
	const gen = "/api/v1/services/aigc/text-generation/generation"
	const mm = "/api/v1/services/aigc/multimodal-generation/generation"
	const wantText = "Hello from the mock qwen-plus! You said: Hi"
	msgs := `"input":{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]}`
	tools := `"tools":[{"type":"function","function":{"name":"get_weather","parameters":{}}}]`
	tests := []struct {
		name     string
		path     string
		headers  map[string]string
		body     string
		textPath string // where the text is in the final answer
		wantText string
		wantTool bool
	}{
		{"json message", gen, nil, `{"model":"qwen-plus",` + msgs + `,"parameters":{"result_format":"message"}}`, "output.choices.0.message.content", wantText, false},
		{"json text format", gen, nil, `{"model":"qwen-plus",` + msgs + `}`, "output.text", wantText, false},
		{"json prompt", gen, nil, `{"model":"qwen-plus","input":{"prompt":"Hi"}}`, "output.text", wantText, false},
		{"json tools", gen, nil, `{"model":"qwen-plus",` + msgs + `,"parameters":{` + tools + `}}`, "", "", true},
		{"json multimodal", mm, nil, `{"model":"qwen-plus","input":{"messages":[{"role":"user","content":[{"image":"http://x/y.png"},{"text":"Hi"}]}]}}`, "output.choices.0.message.content.0.text", wantText, false},
		{"sse cumulative", gen, map[string]string{"X-DashScope-SSE": "enable"}, `{"model":"qwen-plus",` + msgs + `,"parameters":{"result_format":"message"}}`, "output.choices.0.message.content", wantText, false},
		{"sse incremental", gen, map[string]string{"Accept": "text/event-stream"}, `{"model":"qwen-plus",` + msgs + `,"parameters":{"result_format":"message","incremental_output":true}}`, "output.choices.0.message.content", wantText, false},
		{"sse tools incremental", gen, map[string]string{"X-DashScope-SSE": "enable"}, `{"model":"qwen-plus",` + msgs + `,"parameters":{"incremental_output":true,` + tools + `}}`, "", "", true},
		{"sse tools cumulative", gen, map[string]string{"X-DashScope-SSE": "enable"}, `{"model":"qwen-plus",` + msgs + `,"parameters":{` + tools + `}}`, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{"Authorization": "Bearer sk-ds"}
			for k, v := range tt.headers {
				h[k] = v
			}
			status, b := do(t, srv.URL+tt.path, h, tt.body)
			if status != 200 {
				t.Fatalf("status %d: %s", status, b)
			}
			incremental := gjson.Get(tt.body, "parameters.incremental_output").Bool()
			var final gjson.Result
			var text, args string
			if tt.headers == nil {
				final = gjson.ParseBytes(b)
				text = final.Get(tt.textPath).String()
				args = final.Get("output.choices.0.message.tool_calls.0.function.arguments").String()
			} else {
				evs := events(b)
				if len(evs) < 3 {
					t.Fatalf("%d events: %s", len(evs), b)
				}
				if !bytes.Contains(b, []byte("id:1\nevent:result\n:HTTP_STATUS/200\ndata:{")) {
					t.Errorf("not the DashScope SSE shape: %.80q", b)
				}
				for i, ev := range evs {
					d := gjson.ParseBytes(ev.Data)
					if string(ev.Name) != "result" || !d.Get("request_id").Exists() || !d.Get("usage.output_tokens").Exists() {
						t.Fatalf("event %d = %s %s", i, ev.Name, ev.Data)
					}
					fr := d.Get("output.choices.0.finish_reason").String()
					if (i < len(evs)-1) != (fr == "null") {
						t.Errorf("event %d finish_reason %q", i, fr)
					}
					t1 := d.Get(tt.textPath).String()
					a1 := d.Get("output.choices.0.message.tool_calls.0.function.arguments").String()
					if incremental {
						text += t1
						args += a1
					} else {
						text, args = t1, a1
					}
					final = d
				}
			}
			if text != tt.wantText {
				t.Errorf("text = %q, want %q", text, tt.wantText)
			}
			if tt.wantTool {
				if args != ToolArguments || final.Get("output.choices.0.message.tool_calls.0.function.name").String() != "get_weather" {
					t.Errorf("tool call: args %q, final %s", args, final.Raw)
				}
				if fr := final.Get("output.choices.0.finish_reason").String(); fr != "tool_calls" {
					t.Errorf("finish_reason %q", fr)
				}
			}
			if final.Get("usage.input_tokens").Int() == 0 || final.Get("request_id").String() == "" {
				t.Errorf("usage/request_id missing: %s", final.Raw)
			}
		})
	}
}

func TestDashScopeEmbeddingAndRerank(t *testing.T) {
	_, srv := newServer(t)
	auth := map[string]string{"Authorization": "Bearer sk-ds"}
	status, b := do(t, srv.URL+"/api/v1/services/embeddings/text-embedding/text-embedding", auth,
		`{"model":"text-embedding-v3","input":{"texts":["a","b"]},"parameters":{"dimension":8}}`)
	e := gjson.ParseBytes(b)
	if status != 200 || len(e.Get("output.embeddings").Array()) != 2 || len(e.Get("output.embeddings.1.embedding").Array()) != 8 ||
		e.Get("output.embeddings.1.text_index").Int() != 1 || e.Get("usage.total_tokens").Int() == 0 {
		t.Errorf("embedding answer %d: %s", status, b)
	}
	status, b = do(t, srv.URL+"/api/v1/services/rerank/text-rerank/text-rerank", auth,
		`{"model":"gte-rerank","input":{"query":"paris weather","documents":["Berlin is big","Paris weather is mild","Cats"]},"parameters":{"top_n":2,"return_documents":true}}`)
	r := gjson.ParseBytes(b)
	if status != 200 || len(r.Get("output.results").Array()) != 2 || r.Get("output.results.0.index").Int() != 1 ||
		r.Get("output.results.0.document.text").String() != "Paris weather is mild" ||
		r.Get("output.results.0.relevance_score").Float() <= r.Get("output.results.1.relevance_score").Float() {
		t.Errorf("rerank answer %d: %s", status, b)
	}
}

func TestGemini(t *testing.T) {
	_, srv := newServer(t)
	const wantText = "Hello from the mock gemini-2.5-flash! You said: Hi"
	body := `{"systemInstruction":{"parts":[{"text":"Be brief."}]},"contents":[{"role":"user","parts":[{"text":"Hi"}]}]}`
	tools := `{"contents":[{"role":"user","parts":[{"text":"Hi"}]}],"tools":[{"functionDeclarations":[{"name":"get_weather"}]}]}`
	tests := []struct {
		name, path, body string
		stream, sse      bool
		wantTool         bool
	}{
		{name: "generate", path: "/v1beta/models/gemini-2.5-flash:generateContent", body: body},
		{name: "generate tools", path: "/v1beta/models/gemini-2.5-flash:generateContent", body: tools, wantTool: true},
		{name: "stream sse", path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", body: body, stream: true, sse: true},
		{name: "stream array", path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent", body: body, stream: true},
		{name: "stream sse tools", path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", body: tools, stream: true, sse: true, wantTool: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, b := do(t, srv.URL+tt.path, map[string]string{"x-goog-api-key": "g"}, tt.body)
			if status != 200 {
				t.Fatalf("status %d: %s", status, b)
			}
			var records []gjson.Result
			switch {
			case !tt.stream:
				records = []gjson.Result{gjson.ParseBytes(b)}
			case tt.sse:
				if !bytes.Contains(b, []byte("\r\n\r\n")) {
					t.Errorf("records not CRLF-separated")
				}
				for _, ev := range events(b) {
					records = append(records, gjson.ParseBytes(ev.Data))
				}
			default:
				records = gjson.ParseBytes(b).Array()
			}
			if tt.stream && !tt.wantTool && len(records) < 3 {
				t.Fatalf("%d records", len(records))
			}
			var text string
			for _, r := range records {
				text += r.Get("candidates.0.content.parts.0.text").String()
			}
			last := records[len(records)-1]
			if tt.wantTool {
				if fc := last.Get("candidates.0.content.parts.0.functionCall"); fc.Get("name").String() != "get_weather" || fc.Get("args.location").String() != "Paris" {
					t.Errorf("functionCall = %s", fc.Raw)
				}
			} else if text != wantText {
				t.Errorf("text = %q, want %q", text, wantText)
			}
			if last.Get("candidates.0.finishReason").String() != "STOP" || last.Get("usageMetadata.totalTokenCount").Int() == 0 ||
				last.Get("modelVersion").String() != "gemini-2.5-flash" {
				t.Errorf("last record = %s", last.Raw)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	_, srv := newServer(t)
	chat := func(model string) string {
		return `{"model":"` + model + `","messages":[{"role":"user","content":"hi"}]}`
	}
	bearer := map[string]string{"Authorization": "Bearer k"}
	tests := []struct {
		name    string
		path    string
		headers map[string]string
		body    string
		status  int
		check   string // gjson path that must hold want
		want    string
	}{
		{"openai 429", "/v1/chat/completions", bearer, chat("mock-error-429"), 429, "error.code", "rate_limit_exceeded"},
		{"openai 400", "/v1/chat/completions", bearer, chat("mock-error-400"), 400, "error.type", "invalid_request_error"},
		{"openai 500", "/v1/chat/completions", bearer, chat("mock-error-500"), 500, "error.type", "server_error"},
		{"openai no key", "/v1/chat/completions", nil, chat("gpt-4o"), 401, "error.code", "invalid_api_key"},
		{"openai empty bearer", "/v1/chat/completions", map[string]string{"Authorization": "Bearer "}, chat("gpt-4o"), 401, "error.code", "invalid_api_key"},
		{"azure api-key ok", "/openai/deployments/d/chat/completions", map[string]string{"api-key": "k"}, chat("mock-error-429"), 429, "error.code", "rate_limit_exceeded"},
		{"openai bad json", "/v1/chat/completions", bearer, `{"model":`, 400, "error.type", "invalid_request_error"},
		{"unknown path", "/v1/nothing", bearer, chat("x"), 404, "error.code", "unknown_url"},
		{"anthropic no key", "/v1/messages", nil, chat("claude"), 401, "error.type", "authentication_error"},
		{"anthropic empty x-api-key", "/v1/messages", map[string]string{"x-api-key": " "}, chat("claude"), 401, "error.type", "authentication_error"},
		{"anthropic-compatible bearer ok", "/api/v2/apps/claude-code-proxy/v1/messages", bearer, chat("mock-error-429"), 429, "error.type", "rate_limit_error"},
		{"anthropic 429", "/v1/messages", map[string]string{"x-api-key": "k"}, chat("mock-error-429"), 429, "error.type", "rate_limit_error"},
		{"anthropic 500", "/v1/messages", map[string]string{"x-api-key": "k"}, chat("mock-error-500"), 500, "error.type", "api_error"},
		{"anthropic 400", "/v1/messages", map[string]string{"x-api-key": "k"}, chat("mock-error-400"), 400, "type", "error"},
		{"dashscope no key", "/api/v1/services/aigc/text-generation/generation", nil, chat("qwen"), 401, "code", "InvalidApiKey"},
		{"dashscope 429", "/api/v1/services/aigc/text-generation/generation", bearer, chat("mock-error-429"), 429, "code", "Throttling.RateQuota"},
		{"dashscope 400", "/api/v1/services/rerank/text-rerank/text-rerank", bearer, chat("mock-error-400"), 400, "code", "InvalidParameter"},
		{"dashscope 500", "/api/v1/services/aigc/text-generation/generation", bearer, chat("mock-error-500"), 500, "code", "InternalError"},
		{"gemini no key", "/v1beta/models/gemini:generateContent", nil, `{}`, 401, "error.status", "UNAUTHENTICATED"},
		{"gemini 429", "/v1beta/models/mock-error-429:generateContent?key=k", nil, `{}`, 429, "error.status", "RESOURCE_EXHAUSTED"},
		{"gemini 500", "/v1beta/models/mock-error-500:streamGenerateContent?alt=sse", map[string]string{"x-goog-api-key": "k"}, `{}`, 500, "error.code", "500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, b := do(t, srv.URL+tt.path, tt.headers, tt.body)
			if status != tt.status {
				t.Errorf("status = %d, want %d", status, tt.status)
			}
			if got := gjson.GetBytes(b, tt.check).String(); got != tt.want {
				t.Errorf("%s = %q, want %q in %s", tt.check, got, tt.want, b)
			}
		})
	}

	t.Run("sdk errors", func(t *testing.T) {
		oc := openaiClient(srv.URL + "/v1/")
		_, err := oc.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
			Model: "mock-error-429", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
		var oe *openai.Error
		if !errors.As(err, &oe) || oe.StatusCode != 429 || oe.Code != "rate_limit_exceeded" {
			t.Errorf("openai error = %v", err)
		}
		ac := anthropic.NewClient(anthropicoption.WithBaseURL(srv.URL), anthropicoption.WithAPIKey("k"), anthropicoption.WithMaxRetries(0))
		_, err = ac.Messages.New(context.Background(), anthropic.MessageNewParams{Model: "mock-error-500", MaxTokens: 5,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))}})
		var ae *anthropic.Error
		if !errors.As(err, &ae) || ae.StatusCode != 500 {
			t.Errorf("anthropic error = %v", err)
		}
	})
}

func TestMidstreamErrors(t *testing.T) {
	_, srv := newServer(t)
	tests := []struct {
		name, path string
		headers    map[string]string
		body       string
		want       string // the in-stream error marker
		notWant    string // what a clean stream would end with
	}{
		{"openai", "/v1/chat/completions", map[string]string{"Authorization": "Bearer k"},
			`{"model":"mock-error-midstream","stream":true,"messages":[{"role":"user","content":"hi"}]}`, `data: {"error":`, "[DONE]"},
		{"anthropic", "/v1/messages", map[string]string{"x-api-key": "k"},
			`{"model":"mock-error-midstream","stream":true,"max_tokens":9,"messages":[{"role":"user","content":"hi"}]}`, "event: error\n", "message_stop"},
		{"dashscope", "/api/v1/services/aigc/text-generation/generation", map[string]string{"Authorization": "Bearer k", "X-DashScope-SSE": "enable"},
			`{"model":"mock-error-midstream","input":{"prompt":"hi"}}`, "event:error\n:HTTP_STATUS/500\n", `"finish_reason":"stop"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, b := do(t, srv.URL+tt.path, tt.headers, tt.body)
			if status != 200 || !bytes.Contains(b, []byte(tt.want)) || bytes.Contains(b, []byte(tt.notWant)) {
				t.Errorf("status %d, body:\n%s", status, b)
			}
		})
	}
}

// flushRecorder records the bytes written between flushes.
type flushRecorder struct {
	*httptest.ResponseRecorder
	pieces []string
	cur    bytes.Buffer
}

func (f *flushRecorder) Write(b []byte) (int, error) {
	f.cur.Write(b)
	return f.ResponseRecorder.Write(b)
}

func (f *flushRecorder) Flush() {
	f.pieces = append(f.pieces, f.cur.String())
	f.cur.Reset()
}

func TestStreamsFlushEachEvent(t *testing.T) {
	tests := []struct {
		name, path string
		header     map[string]string
		body       string
		sep        string
	}{
		{"openai", "/v1/chat/completions", map[string]string{"Authorization": "Bearer k"}, `{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`, "\n\n"},
		{"anthropic", "/v1/messages", map[string]string{"x-api-key": "k"}, `{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`, "\n\n"},
		{"dashscope", "/api/v1/services/aigc/text-generation/generation", map[string]string{"Authorization": "Bearer k", "X-DashScope-SSE": "enable"}, `{"model":"m","input":{"prompt":"hi"}}`, "\n\n"},
		{"gemini", "/v1beta/models/m:streamGenerateContent?alt=sse", map[string]string{"x-goog-api-key": "k"}, `{"contents":[{"parts":[{"text":"hi"}]}]}`, "\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, tt.path, strings.NewReader(tt.body))
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := &flushRecorder{ResponseRecorder: httptest.NewRecorder()}
			NewHandler(WithReplyWords(10)).ServeHTTP(rec, req)
			if len(rec.pieces) < 10 {
				t.Fatalf("%d flushes, want >= 10", len(rec.pieces))
			}
			for i, p := range rec.pieces {
				if strings.Count(p, tt.sep) != 1 || !strings.HasSuffix(p, tt.sep) {
					t.Errorf("flush %d is not exactly one event: %q", i, p)
				}
			}
		})
	}
}

func TestDeterministicAndRecorded(t *testing.T) {
	h, srv := newServer(t, WithMaxRecorded(2))
	body := `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	hdr := map[string]string{"Authorization": "Bearer k", "X-Test": "1"}
	_, a := do(t, srv.URL+"/v1/chat/completions", hdr, body)
	_, b := do(t, srv.URL+"/v1/chat/completions", hdr, body)
	if !bytes.Equal(a, b) {
		t.Errorf("answers differ:\n%s\n%s", a, b)
	}
	do(t, srv.URL+"/compatible-mode/v1/chat/completions", hdr, body)
	reqs := h.Requests()
	if len(reqs) != 2 {
		t.Fatalf("recorded %d, want 2 (the limit)", len(reqs))
	}
	last, ok := h.LastRequest()
	if !ok || last.Path != "/compatible-mode/v1/chat/completions" || last.Method != http.MethodPost ||
		last.Header.Get("X-Test") != "1" || string(last.Body) != body || last.Host == "" {
		t.Errorf("last request = %+v", last)
	}
	h.Reset()
	if len(h.Requests()) != 0 {
		t.Error("Reset kept requests")
	}
}

func TestReplyWords(t *testing.T) {
	_, srv := newServer(t)
	status, b := do(t, srv.URL+"/v1/chat/completions", map[string]string{"Authorization": "Bearer k", ReplyWordsHeader: "50"},
		`{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	if n := len(events(b)); status != 200 || n != 50+3 {
		t.Errorf("status %d, %d events, want 53", status, n)
	}
}
