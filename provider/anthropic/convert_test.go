package anthropic

import (
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// fields checks paths of a JSON output: want maps a gjson path to the raw JSON
// expected there ("" = the path must be absent).
func fields(t *testing.T, out []byte, want map[string]string) {
	t.Helper()
	if !gjson.ValidBytes(out) {
		t.Fatalf("output is not valid JSON: %s", out)
	}
	for path, w := range want {
		got := gjson.GetBytes(out, path)
		if w == "" {
			if got.Exists() {
				t.Errorf("%s: got %s, want absent\nin %s", path, got.Raw, out)
			}
			continue
		}
		if got.Raw != w {
			t.Errorf("%s: got %s, want %s\nin %s", path, got.Raw, w, out)
		}
	}
}

const userHi = `"messages":[{"role":"user","content":"hi"}]`
const oneTool = `"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]`

func TestChatToMessagesRequest(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]string
	}{
		{"default max_tokens", `{"model":"c",` + userHi + `}`,
			map[string]string{"max_tokens": "4096", "stream": "", "thinking": "", "system": ""}},
		{"max_tokens kept", `{"model":"c","max_tokens":7,` + userHi + `}`, map[string]string{"max_tokens": "7"}},
		{"max_completion_tokens wins", `{"model":"c","max_tokens":7,"max_completion_tokens":9,` + userHi + `}`, map[string]string{"max_tokens": "9"}},
		{"temperature 0 kept", `{"model":"c","temperature":0,` + userHi + `}`, map[string]string{"temperature": "0"}},
		{"temperature clamped to Claude's range", `{"model":"c","temperature":1.7,` + userHi + `}`, map[string]string{"temperature": "1"}},
		{"top_k kept", `{"model":"c","top_k":40,` + userHi + `}`, map[string]string{"top_k": "40"}},
		{"stop list", `{"model":"c","stop":["a","","b"],` + userHi + `}`, map[string]string{"stop_sequences": `["a","b"]`}},
		{"stop null", `{"model":"c","stop":null,` + userHi + `}`, map[string]string{"stop_sequences": ""}},
		{"unknown fields dropped", `{"model":"c","frequency_penalty":1,"logprobs":true,"seed":3,` + userHi + `}`,
			map[string]string{"frequency_penalty": "", "logprobs": "", "seed": ""}},
		{"safety_identifier as user id", `{"model":"c","safety_identifier":"s1",` + userHi + `}`, map[string]string{"metadata.user_id": `"s1"`}},
		{"effort medium", `{"model":"c","reasoning_effort":"medium",` + userHi + `}`,
			map[string]string{"thinking": `{"type":"enabled","budget_tokens":4096}`, "max_tokens": "8192"}},
		{"effort with small max_tokens halves the budget", `{"model":"c","reasoning_effort":"high","max_tokens":6000,` + userHi + `}`,
			map[string]string{"thinking.budget_tokens": "3000", "max_tokens": "6000"}},
		{"effort with tiny max_tokens drops thinking", `{"model":"c","reasoning_effort":"low","max_tokens":1000,` + userHi + `}`,
			map[string]string{"thinking": "", "max_tokens": "1000"}},
		{"effort minimal is no thinking", `{"model":"c","reasoning_effort":"minimal",` + userHi + `}`, map[string]string{"thinking": ""}},
		{"effort dropped with forced tool", `{"model":"c","reasoning_effort":"high","tool_choice":"required",` + oneTool + `,` + userHi + `}`,
			map[string]string{"thinking": "", "tool_choice": `{"type":"any"}`}},
		{"explicit thinking passes through", `{"model":"c","thinking":{"type":"enabled","budget_tokens":8000},"reasoning_effort":"low",` + userHi + `}`,
			map[string]string{"thinking": `{"type":"enabled","budget_tokens":8000}`, "max_tokens": "12096"}},
		{"explicit thinking keeps explicit max_tokens", `{"model":"c","thinking":{"type":"enabled","budget_tokens":8000},"max_tokens":100,` + userHi + `}`,
			map[string]string{"thinking": `{"type":"enabled","budget_tokens":8000}`, "max_tokens": "100"}},
		{"adaptive thinking passes through", `{"model":"c","thinking":{"type":"adaptive"},` + userHi + `}`,
			map[string]string{"thinking": `{"type":"adaptive"}`, "max_tokens": "4096"}},
		{"tool_choice auto", `{"model":"c","tool_choice":"auto",` + oneTool + `,` + userHi + `}`, map[string]string{"tool_choice": `{"type":"auto"}`}},
		{"tool_choice none", `{"model":"c","tool_choice":"none","parallel_tool_calls":false,` + oneTool + `,` + userHi + `}`,
			map[string]string{"tool_choice": `{"type":"none"}`}},
		{"tool_choice named", `{"model":"c","tool_choice":{"type":"function","function":{"name":"f"}},` + oneTool + `,` + userHi + `}`,
			map[string]string{"tool_choice": `{"type":"tool","name":"f"}`}},
		{"parallel false alone", `{"model":"c","parallel_tool_calls":false,` + oneTool + `,` + userHi + `}`,
			map[string]string{"tool_choice": `{"type":"auto","disable_parallel_tool_use":true}`}},
		{"tool_choice without tools dropped", `{"model":"c","tool_choice":"required",` + userHi + `}`, map[string]string{"tool_choice": "", "tools": ""}},
		{"tool without parameters", `{"model":"c","tools":[{"type":"function","function":{"name":"f"}}],` + userHi + `}`,
			map[string]string{"tools.0.input_schema": `{"type":"object","properties":{}}`}},
		{"json_object dropped", `{"model":"c","response_format":{"type":"json_object"},` + userHi + `}`, map[string]string{"output_config": ""}},
		{"system only in the middle", `{"model":"c","messages":[{"role":"user","content":"a"},{"role":"system","content":"s"},{"role":"user","content":"b"}]}`,
			map[string]string{"system": `[{"type":"text","text":"s"}]`, "messages.#": "1", "messages.0.content": `[{"type":"text","text":"a"},{"type":"text","text":"b"}]`}},
		{"empty assistant left out", `{"model":"c","messages":[{"role":"user","content":"a"},{"role":"assistant","content":""},{"role":"user","content":"b"}]}`,
			map[string]string{"messages.#": "1"}},
		{"thinking_blocks round trip", `{"model":"c","messages":[{"role":"user","content":"a"},{"role":"assistant","content":"x","reasoning_content":"ignored","reasoning_signature":"ignored",` +
			`"thinking_blocks":[{"type":"thinking","thinking":"t1","signature":"s1"},{"type":"redacted_thinking","data":"r"},{"type":"thinking","thinking":"unsigned"}]}]}`,
			map[string]string{"messages.1.content": `[{"type":"thinking","thinking":"t1","signature":"s1"},{"type":"redacted_thinking","data":"r"},{"type":"text","text":"x"}]`}},
		{"unsigned reasoning dropped", `{"model":"c","messages":[{"role":"user","content":"a"},{"role":"assistant","content":"x","reasoning_content":"r"}]}`,
			map[string]string{"messages.1.content": `[{"type":"text","text":"x"}]`}},
		{"pdf file part", `{"model":"c","messages":[{"role":"user","content":[{"type":"file","file":{"filename":"a.pdf","file_data":"data:application/pdf;base64,JVBERi0="}}]}]}`,
			map[string]string{"messages.0.content.0": `{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0="}}`}},
		{"arguments as object", `{"model":"c","messages":[{"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":{"x":1}}}]}]}`,
			map[string]string{"messages.0.content.0.input": `{"x":1}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := NewChatToMessages().RequestBody([]byte(tt.in))
			if err != nil {
				t.Fatalf("RequestBody(%s): %v", tt.in, err)
			}
			fields(t, out, tt.want)
		})
	}
}

func TestRequestErrors(t *testing.T) {
	tests := []struct {
		name    string
		tr      translator.Translator
		in      string
		wantErr string
	}{
		{"chat: not JSON", NewChatToMessages(), `{"model":`, "not valid JSON"},
		{"chat: not an object", NewChatToMessages(), `[1]`, "JSON object"},
		{"chat: n > 1", NewChatToMessages(), `{"n":2,` + userHi + `}`, "n > 1"},
		{"chat: messages missing", NewChatToMessages(), `{"model":"c"}`, "messages: must be an array"},
		{"chat: bad role", NewChatToMessages(), `{"messages":[{"role":"function","content":"x"}]}`, "messages[0].role"},
		{"chat: arguments not an object", NewChatToMessages(), `{"messages":[{"role":"assistant","tool_calls":[{"id":"a","function":{"name":"f","arguments":"[1"}}]}]}`, "messages[0].tool_calls[0].function.arguments"},
		{"chat: tool call without id", NewChatToMessages(), `{"messages":[{"role":"assistant","tool_calls":[{"function":{"name":"f"}}]}]}`, "tool_calls[0].id"},
		{"chat: audio part", NewChatToMessages(), `{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}]}`, `"input_audio" is not supported`},
		{"chat: file id", NewChatToMessages(), `{"messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"f1"}}]}]}`, "file ids"},
		{"chat: image data not base64", NewChatToMessages(), `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,xyz"}}]}]}`, "base64"},
		{"chat: custom tool type", NewChatToMessages(), `{"tools":[{"type":"custom","custom":{"name":"x"}}],` + userHi + `}`, "tools[0].type"},
		{"messages: not JSON", NewMessagesToChat(), `{`, "not valid JSON"},
		{"messages: bad role", NewMessagesToChat(), `{"messages":[{"role":"system","content":"x"}]}`, "messages[0].role"},
		{"messages: unsupported block", NewMessagesToChat(), `{"messages":[{"role":"user","content":[{"type":"search_result","source":"x"}]}]}`, `"search_result" is not supported`},
		{"messages: unsupported assistant block", NewMessagesToChat(), `{"messages":[{"role":"assistant","content":[{"type":"server_tool_use","id":"x"}]}]}`, `"server_tool_use" is not supported`},
		{"messages: pdf by url", NewMessagesToChat(), `{"messages":[{"role":"user","content":[{"type":"document","source":{"type":"url","url":"https://x/a.pdf"}}]}]}`, "document source type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.tr.RequestBody([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("RequestBody(%s) = %s, %v; want error containing %q", tt.in, out, err, tt.wantErr)
			}
		})
	}
}

func TestMessagesToChatRequest(t *testing.T) {
	const hi = `"max_tokens":10,"messages":[{"role":"user","content":"hi"}]`
	const tool = `"tools":[{"name":"f","input_schema":{"type":"object"}}]`
	tests := []struct {
		name string
		in   string
		want map[string]string
	}{
		{"plain", `{"model":"m",` + hi + `}`,
			map[string]string{"messages": `[{"role":"user","content":"hi"}]`, "max_tokens": "10", "stream": "", "stream_options": ""}},
		{"stream asks for usage", `{"model":"m","stream":true,` + hi + `}`,
			map[string]string{"stream": "true", "stream_options": `{"include_usage":true}`}},
		{"top_k dropped", `{"model":"m","top_k":3,` + hi + `}`, map[string]string{"top_k": ""}},
		{"tool_choice auto", `{"model":"m","tool_choice":{"type":"auto"},` + tool + `,` + hi + `}`, map[string]string{"tool_choice": `"auto"`}},
		{"tool_choice none", `{"model":"m","tool_choice":{"type":"none"},` + tool + `,` + hi + `}`, map[string]string{"tool_choice": `"none"`}},
		{"tool_choice tool", `{"model":"m","tool_choice":{"type":"tool","name":"f"},` + tool + `,` + hi + `}`,
			map[string]string{"tool_choice": `{"type":"function","function":{"name":"f"}}`}},
		{"server tools only", `{"model":"m","tools":[{"type":"bash_20250124","name":"bash"}],"tool_choice":{"type":"any"},` + hi + `}`,
			map[string]string{"tools": "", "tool_choice": ""}},
		{"thinking budget low", `{"model":"m","thinking":{"type":"enabled","budget_tokens":1024},` + hi + `}`, map[string]string{"reasoning_effort": `"low"`}},
		{"thinking budget high", `{"model":"m","thinking":{"type":"enabled","budget_tokens":32000},` + hi + `}`, map[string]string{"reasoning_effort": `"high"`}},
		{"thinking disabled", `{"model":"m","thinking":{"type":"disabled"},` + hi + `}`, map[string]string{"reasoning_effort": ""}},
		{"output_config effort wins", `{"model":"m","thinking":{"type":"enabled","budget_tokens":32000},"output_config":{"effort":"low"},` + hi + `}`,
			map[string]string{"reasoning_effort": `"low"`}},
		{"effort max is high", `{"model":"m","output_config":{"effort":"max"},` + hi + `}`, map[string]string{"reasoning_effort": `"high"`}},
		{"several text blocks stay parts", `{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}]}`,
			map[string]string{"messages.0.content": `[{"type":"text","text":"a"},{"type":"text","text":"b"}]`}},
		{"text document", `{"model":"m","messages":[{"role":"user","content":[{"type":"document","source":{"type":"text","media_type":"text/plain","data":"doc"}}]}]}`,
			map[string]string{"messages.0.content": `[{"type":"text","text":"doc"}]`}},
		{"pdf document", `{"model":"m","messages":[{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBE"}}]}]}`,
			map[string]string{"messages.0.content.0.file.file_data": `"data:application/pdf;base64,JVBE"`}},
		{"tool_use only", `{"model":"m","messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{}}]}]}`,
			map[string]string{"messages.0.content": "null", "messages.0.tool_calls.0.function.arguments": `"{}"`}},
		{"empty system array", `{"model":"m","system":[],` + hi + `}`, map[string]string{"messages.#": "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := NewMessagesToChat().RequestBody([]byte(tt.in))
			if err != nil {
				t.Fatalf("RequestBody(%s): %v", tt.in, err)
			}
			fields(t, out, tt.want)
		})
	}
}

func TestErrorAnswers(t *testing.T) {
	tests := []struct {
		name   string
		tr     translator.Translator
		status int
		body   string
		want   string
	}{
		{"claude rate limit", NewChatToMessages(), 429, `{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"},"request_id":"req_1"}`,
			`{"error":{"message":"Number of request tokens has exceeded your per-minute rate limit","type":"rate_limit_error","code":null}}`},
		{"claude overloaded", NewChatToMessages(), 529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`,
			`{"error":{"message":"Overloaded","type":"overloaded_error","code":null}}`},
		{"claude error with 200", NewChatToMessages(), 200, `{"type":"error","error":{"type":"api_error","message":"boom"}}`,
			`{"error":{"message":"boom","type":"api_error","code":null}}`},
		{"claude html 502", NewChatToMessages(), 502, `<html>Bad Gateway</html>`,
			`{"error":{"message":"upstream answered HTTP 502: <html>Bad Gateway</html>","type":"server_error","code":null}}`},
		{"claude empty 503", NewChatToMessages(), 503, ``,
			`{"error":{"message":"upstream answered HTTP 503 with an empty body","type":"server_error","code":null}}`},
		{"openai auth", NewMessagesToChat(), 401, `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`,
			`{"type":"error","error":{"type":"authentication_error","message":"Incorrect API key provided"}}`},
		{"openai string error", NewMessagesToChat(), 400, `{"error":"model not found"}`,
			`{"type":"error","error":{"type":"invalid_request_error","message":"model not found"}}`},
		{"openai error with 200", NewMessagesToChat(), 200, `{"error":{"message":"quota"}}`,
			`{"type":"error","error":{"type":"api_error","message":"quota"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.tr.ResponseBody(tt.status, []byte(tt.body))
			if err != nil || string(out) != tt.want {
				t.Fatalf("got %s, %v\nwant %s", out, err, tt.want)
			}
		})
	}
}

func TestErrorStreams(t *testing.T) {
	tests := []struct {
		name   string
		tr     translator.Translator
		status int
		ct     string
		body   string
		want   string
	}{
		{"claude 429 json", NewChatToMessages(), 429, "application/json", `{"type":"error","error":{"type":"rate_limit_error","message":"slow"}}`,
			"data: {\"error\":{\"message\":\"slow\",\"type\":\"rate_limit_error\",\"code\":null}}\n\ndata: [DONE]\n\n"},
		{"claude 500 sse error", NewChatToMessages(), 500, "text/event-stream", "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"x\"}}\n\n",
			"data: {\"error\":{\"message\":\"x\",\"type\":\"api_error\",\"code\":null}}\n\ndata: [DONE]\n\n"},
		{"claude empty stream", NewChatToMessages(), 200, "text/event-stream", "",
			"data: {\"error\":{\"message\":\"upstream stream ended before the answer was complete\",\"type\":\"server_error\",\"code\":null}}\n\ndata: [DONE]\n\n"},
		{"claude garbage event", NewChatToMessages(), 200, "text/event-stream", "data: {oops}\n\ndata: {\"type\":\"message_stop\"}\n\n",
			"data: {\"error\":{\"message\":\"upstream sent an event that is not valid JSON\",\"type\":\"server_error\",\"code\":null}}\n\ndata: [DONE]\n\n"},
		{"openai 401 json", NewMessagesToChat(), 401, "application/json", `{"error":{"message":"bad key"}}`,
			"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"bad key\"}}\n\n" + messageStop},
		{"openai done only", NewMessagesToChat(), 200, "text/event-stream", "data: [DONE]\n\n",
			"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_proxy\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":0,\"output_tokens\":0}}}\n\n" +
				"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"input_tokens\":0,\"output_tokens\":0,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0}}\n\n" + messageStop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.tr.(translator.StreamStatus).SetUpstreamStatus(tt.status, tt.ct)
			// Whole and byte by byte must agree.
			whole, _ := tt.tr.ResponseStream(nil, []byte(tt.body), true)
			if string(whole) != tt.want {
				t.Fatalf("got:\n%s\nwant:\n%s", whole, tt.want)
			}
		})
	}
}

// TestRoundTrip: an OpenAI client's tool loop through Claude keeps tool ids, arguments
// and the thinking signature. Claude's answer, converted, is sent back verbatim as the
// assistant turn of the next request; that request must carry Claude's own blocks.
func TestRoundTrip(t *testing.T) {
	claude := `{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[` +
		`{"type":"thinking","thinking":"Need weather.","signature":"SIG+/=="},` +
		`{"type":"text","text":"Checking."},` +
		`{"type":"tool_use","id":"toolu_01","name":"get_weather","input":{"city":"Paris","days":[1,2]}},` +
		`{"type":"tool_use","id":"toolu_02","name":"get_time","input":{}}],` +
		`"stop_reason":"tool_use","usage":{"input_tokens":5,"output_tokens":6}}`
	answer, err := NewChatToMessages().ResponseBody(200, []byte(claude))
	if err != nil {
		t.Fatal(err)
	}
	msg := gjson.GetBytes(answer, "choices.0.message").Raw
	next := `{"model":"c","messages":[{"role":"user","content":"weather?"},` + msg + `,` +
		`{"role":"tool","tool_call_id":"toolu_01","content":"sunny"},{"role":"tool","tool_call_id":"toolu_02","content":"noon"}]}`
	req, err := NewChatToMessages().RequestBody([]byte(next))
	if err != nil {
		t.Fatal(err)
	}
	fields(t, req, map[string]string{
		"messages.1.content": gjson.Get(claude, "content").Raw,
		"messages.2.content": `[{"type":"tool_result","tool_use_id":"toolu_01","content":"sunny"},{"type":"tool_result","tool_use_id":"toolu_02","content":"noon"}]`,
	})

	// The same through a stream: the accumulated OpenAI message goes back.
	stream := "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"c\",\"usage\":{\"input_tokens\":5}}}\n\n" +
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}\n\n" +
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"Need weather.\"}}\n\n" +
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"SIG+/==\"}}\n\n" +
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_01\",\"name\":\"get_weather\",\"input\":{}}}\n\n" +
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"city\\\":\\\"Paris\\\",\"}}\n\n" +
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\\\"days\\\":[1,2]}\"}}\n\n" +
		"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":6}}\n\n" +
		"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
	out, _ := NewChatToMessages().ResponseStream(nil, []byte(stream), true)
	var reasoning, sig, args, id, name strings.Builder
	for _, line := range strings.Split(string(out), "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		d := gjson.Get(data, "choices.0.delta")
		reasoning.WriteString(d.Get("reasoning_content").Str)
		sig.WriteString(d.Get("reasoning_signature").Str)
		args.WriteString(d.Get("tool_calls.0.function.arguments").Str)
		id.WriteString(d.Get("tool_calls.0.id").Str)
		name.WriteString(d.Get("tool_calls.0.function.name").Str)
	}
	next = `{"model":"c","messages":[{"role":"assistant","content":null,"reasoning_content":` + quote(reasoning.String()) +
		`,"reasoning_signature":` + quote(sig.String()) + `,"tool_calls":[{"id":` + quote(id.String()) +
		`,"type":"function","function":{"name":` + quote(name.String()) + `,"arguments":` + quote(args.String()) + `}}]}]}`
	req, err = NewChatToMessages().RequestBody([]byte(next))
	if err != nil {
		t.Fatal(err)
	}
	fields(t, req, map[string]string{
		"messages.0.content": `[{"type":"thinking","thinking":"Need weather.","signature":"SIG+/=="},{"type":"tool_use","id":"toolu_01","name":"get_weather","input":{"city":"Paris","days":[1,2]}}]`,
	})
}

func TestUsage(t *testing.T) {
	c := NewChatToMessages()
	if _, err := c.ResponseBody(200, []byte(`{"type":"message","model":"m","content":[],"stop_reason":"end_turn",`+
		`"usage":{"input_tokens":10,"cache_read_input_tokens":100,"cache_creation_input_tokens":5,"output_tokens":7}}`)); err != nil {
		t.Fatal(err)
	}
	want := translator.Usage{PromptTokens: 115, CompletionTokens: 7, TotalTokens: 122, CachedTokens: 100, CacheCreationTokens: 5, Model: "m"}
	if got := c.Usage(); got != want {
		t.Errorf("claude usage: got %+v, want %+v", got, want)
	}

	m := NewMessagesToChat()
	if _, err := m.ResponseBody(200, []byte(`{"model":"g","choices":[{"message":{"content":"x"},"finish_reason":"stop"}],`+
		`"usage":{"prompt_tokens":50,"completion_tokens":9,"prompt_tokens_details":{"cached_tokens":40},"completion_tokens_details":{"reasoning_tokens":3}}}`)); err != nil {
		t.Fatal(err)
	}
	want = translator.Usage{PromptTokens: 50, CompletionTokens: 9, TotalTokens: 59, CachedTokens: 40, ReasoningTokens: 3, Model: "g"}
	if got := m.Usage(); got != want {
		t.Errorf("openai usage: got %+v, want %+v", got, want)
	}
}

func TestFinishReasons(t *testing.T) {
	for _, tt := range []struct{ claude, openai string }{
		{"end_turn", "stop"}, {"stop_sequence", "stop"}, {"max_tokens", "length"}, {"tool_use", "tool_calls"},
		{"refusal", "content_filter"}, {"pause_turn", "stop"}, {"model_context_window_exceeded", "length"},
	} {
		if got := finishReason(tt.claude); got != tt.openai {
			t.Errorf("finishReason(%q) = %q, want %q", tt.claude, got, tt.openai)
		}
	}
	for _, tt := range []struct{ openai, claude string }{
		{"stop", "end_turn"}, {"length", "max_tokens"}, {"tool_calls", "tool_use"}, {"function_call", "tool_use"}, {"content_filter", "refusal"},
	} {
		if got := stopReason(tt.openai); got != tt.claude {
			t.Errorf("stopReason(%q) = %q, want %q", tt.openai, got, tt.claude)
		}
	}
}

func quote(s string) string { return string(translator.AppendString(nil, s)) }
