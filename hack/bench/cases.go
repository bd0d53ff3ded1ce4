package main

import (
	"fmt"
	"strings"

	"github.com/ai-proxy/ai-proxy/hack/mock"

	"github.com/tidwall/gjson"
)

// delivery is how the upstream answer reaches the plugin.
type delivery int

const (
	deliverJSON   delivery = iota // one JSON body in one callback
	deliverSSE256                 // an SSE stream in 256-byte pieces
	deliverRandom                 // the same stream cut at seeded random bytes
)

func (d delivery) String() string {
	switch d {
	case deliverSSE256:
		return "stream/256B"
	case deliverRandom:
		return "stream/random"
	}
	return "json"
}

// client is the protocol the client speaks; it decides how the plugin's output is checked.
type client int

const (
	clientOpenAI client = iota
	clientAnthropic
	clientEmbeddings
	clientResponses
)

// benchCase is one kind of exchange: a plugin configuration, the client's request, and
// how the upstream answer is delivered. The upstream answer itself is produced by the
// mock provider from the request the plugin actually sent upstream.
type benchCase struct {
	name     string // e.g. "openai chat"
	group    string // the target it is reported against
	config   string // plugin configuration (JSON)
	path     string // client request path
	client   client
	body     []byte // client request body
	delivery delivery
	// wantUpstream is the path the plugin is expected to call; a different one is reported.
	wantUpstream string
}

func (c *benchCase) id() string { return c.name + " " + c.delivery.String() }

func (c *benchCase) streaming() bool { return c.delivery != deliverJSON }

const (
	configOpenAI = `{"provider":{"type":"openai","apiTokens":["sk-bench-openai"]}}`
	configQwen   = `{"provider":{"type":"qwen","apiTokens":["sk-bench-dashscope"],"qwenEnableCompatible":false}}`
	configClaude = `{"provider":{"type":"claude","apiTokens":["sk-bench-anthropic"]}}`
	// configRouted is configOpenAI behind a routing section (model-name rules, the
	// request matching the last): the cost of choosing the provider per request.
	configRouted = `{"providers":[{"id":"qwen","type":"qwen","apiTokens":["sk-bench-dashscope"]},` +
		`{"id":"claude","type":"claude","apiTokens":["sk-bench-anthropic"]},{"id":"openai","type":"openai","apiTokens":["sk-bench-openai"]}],` +
		`"routing":{"mode":"model","rules":[{"match":"qwen-*","provider":"qwen"},{"match":"claude-*","provider":"claude"},{"match":"gpt-*","provider":"openai"}]}}`
	// configDeepSeek is a chat-only provider: Responses clients go through its chat API.
	configDeepSeek = `{"provider":{"type":"deepseek","apiTokens":["sk-bench-deepseek"]}}`
	// configMonitored and configClaudeMonitored are configOpenAI and configClaude with
	// monitoring on: metrics, AI log and span attributes per request, usage read from the
	// passed-through answer.
	configMonitored       = `{"provider":{"type":"openai","apiTokens":["sk-bench-openai"]},"monitoring":{"enabled":true}}`
	configClaudeMonitored = `{"provider":{"type":"claude","apiTokens":["sk-bench-anthropic"]},"monitoring":{"enabled":true}}`
	// configFallback is configOpenAI as a routed single target with a fallback that the
	// benchmark never triggers: the cost of being ready to fall back.
	configFallback = `{"providers":[{"id":"openai","type":"openai","apiTokens":["sk-bench-openai"]},{"id":"claude","type":"claude","apiTokens":["sk-bench-anthropic"]}],` +
		`"routing":{"mode":"single","target":{"provider":"openai"},"fallback":[{"provider":"claude","cluster":"outbound|443||api.anthropic.com"}]}}`
	// configClaudeAll is configClaude behind routing (model-name rules, the request
	// matching the last), with a fallback that is never triggered, and monitoring on: the
	// three together on a converted exchange (issue 20's target: ≤ 15 % over claude chat).
	configClaudeAll = `{"providers":[{"id":"qwen","type":"qwen","apiTokens":["sk-bench-dashscope"]},{"id":"openai","type":"openai","apiTokens":["sk-bench-openai"]},` +
		`{"id":"claude","type":"claude","apiTokens":["sk-bench-anthropic"]}],` +
		`"routing":{"mode":"model","rules":[{"match":"qwen-*","provider":"qwen"},{"match":"gpt-*","provider":"openai"},{"match":"claude-*","provider":"claude"}],` +
		`"fallback":[{"provider":"openai","cluster":"outbound|443||api.openai.com"}]},"monitoring":{"enabled":true}}`
	// The converters of the configuration reference's other native protocols.
	configGemini  = `{"provider":{"type":"gemini","apiTokens":["sk-bench-gemini"]}}`
	configMinimax = `{"provider":{"type":"minimax","apiTokens":["sk-bench-minimax"],"minimaxGroupId":"g1"}}`
	configSpark   = `{"provider":{"type":"spark","apiTokens":["key:secret"]}}`
	configDeepL   = `{"provider":{"type":"deepl","apiTokens":["sk-bench-deepl"],"targetLang":"ZH"}}`
	configHunyuan = `{"provider":{"type":"hunyuan","apiTokens":[""],"hunyuanAuthId":"` + mock.HunyuanSecretID + `","hunyuanAuthKey":"` + mock.HunyuanSecretKey + `"}}`
	// configNoop is what the floor plugin gets; it reads no configuration.
	configNoop = `{}`
)

// Target groups.
const (
	groupPassthrough = "passthrough"
	groupConverted   = "converted"
	groupBody        = "request size"
)

// filler is realistic prose used to pad request bodies to a size.
const filler = "The quarterly report shows steady growth in every region, with the strongest " +
	"gains in cloud services and a modest decline in hardware. Please summarise the key " +
	"figures, list the risks the authors mention, and suggest three follow-up questions. "

// text returns about n bytes of prose.
func text(n int) string {
	var sb strings.Builder
	for sb.Len() < n {
		sb.WriteString(filler)
	}
	return sb.String()[:n]
}

// openaiChatBody is an OpenAI chat request of about size bytes.
func openaiChatBody(model string, size int, stream bool) []byte {
	head := `{"model":"` + model + `","messages":[{"role":"system","content":"You are a concise analyst. Answer in plain text."},{"role":"user","content":"`
	tail := `"}],"temperature":0.7,"top_p":1,"max_tokens":1024,"user":"bench-user-42"`
	if stream {
		tail += `,"stream":true,"stream_options":{"include_usage":true}`
	}
	tail += "}"
	n := size - len(head) - len(tail)
	if n < 16 {
		n = 16
	}
	return []byte(head + text(n) + tail)
}

// anthropicBody is an Anthropic Messages request of about size bytes.
func anthropicBody(model string, size int, stream bool) []byte {
	head := `{"model":"` + model + `","max_tokens":1024,"system":"You are a concise analyst. Answer in plain text.","messages":[{"role":"user","content":"`
	tail := `"}],"temperature":0.7`
	if stream {
		tail += `,"stream":true`
	}
	tail += "}"
	return []byte(head + text(size-len(head)-len(tail)) + tail)
}

// responsesBody is an OpenAI Responses request of about size bytes.
func responsesBody(model string, size int, stream bool) []byte {
	head := `{"model":"` + model + `","instructions":"You are a concise analyst. Answer in plain text.","input":[{"role":"user","content":"`
	tail := `"}],"temperature":0.7,"max_output_tokens":1024,"store":false`
	if stream {
		tail += `,"stream":true`
	}
	tail += "}"
	return []byte(head + text(size-len(head)-len(tail)) + tail)
}

func embeddingsBody() []byte {
	return []byte(`{"model":"text-embedding-3-small","input":"` + text(600) + `","encoding_format":"float"}`)
}

// allCases lists every case, streaming modes included.
func allCases() []*benchCase {
	var cs []*benchCase
	modes := []delivery{deliverJSON, deliverSSE256, deliverRandom}
	add := func(name, group, config, path string, cl client, body func(stream bool) []byte, want string, ds ...delivery) {
		for _, d := range ds {
			cs = append(cs, &benchCase{name: name, group: group, config: config, path: path, client: cl,
				body: body(d != deliverJSON), delivery: d, wantUpstream: want})
		}
	}
	add("openai chat", groupPassthrough, configOpenAI, "/v1/chat/completions", clientOpenAI,
		func(s bool) []byte { return openaiChatBody("gpt-4o-mini", 1<<10, s) }, "/v1/chat/completions", modes...)
	add("openai chat routed", groupPassthrough, configRouted, "/v1/chat/completions", clientOpenAI,
		func(s bool) []byte { return openaiChatBody("gpt-4o-mini", 1<<10, s) }, "/v1/chat/completions", modes...)
	add("openai chat monitored", groupPassthrough, configMonitored, "/v1/chat/completions", clientOpenAI,
		func(s bool) []byte { return openaiChatBody("gpt-4o-mini", 1<<10, s) }, "/v1/chat/completions", modes...)
	add("openai chat fallback-ready", groupPassthrough, configFallback, "/v1/chat/completions", clientOpenAI,
		func(s bool) []byte { return openaiChatBody("gpt-4o-mini", 1<<10, s) }, "/v1/chat/completions", modes...)
	add("openai embeddings", groupPassthrough, configOpenAI, "/v1/embeddings", clientEmbeddings,
		func(bool) []byte { return embeddingsBody() }, "/v1/embeddings", deliverJSON)
	for _, size := range []int{100 << 10, 1 << 20} {
		add(fmt.Sprintf("openai chat req %s", sizeName(size)), groupBody, configOpenAI, "/v1/chat/completions", clientOpenAI,
			func(s bool) []byte { return openaiChatBody("gpt-4o-mini", size, s) }, "/v1/chat/completions", deliverJSON)
	}
	add("qwen native chat", groupConverted, configQwen, "/v1/chat/completions", clientOpenAI,
		func(s bool) []byte { return openaiChatBody("qwen-plus", 1<<10, s) }, "/api/v1/services/aigc/text-generation/generation", modes...)
	add("claude chat", groupConverted, configClaude, "/v1/chat/completions", clientOpenAI,
		func(s bool) []byte { return openaiChatBody("claude-sonnet-4-5", 1<<10, s) }, "/v1/messages", modes...)
	add("claude chat monitored", groupConverted, configClaudeMonitored, "/v1/chat/completions", clientOpenAI,
		func(s bool) []byte { return openaiChatBody("claude-sonnet-4-5", 1<<10, s) }, "/v1/messages", modes...)
	add("claude chat routed+fallback+monitored", groupConverted, configClaudeAll, "/v1/chat/completions", clientOpenAI,
		func(s bool) []byte { return openaiChatBody("claude-sonnet-4-5", 1<<10, s) }, "/v1/messages", modes...)
	add("gemini chat", groupConverted, configGemini, "/v1/chat/completions", clientOpenAI,
		func(s bool) []byte { return openaiChatBody("gemini-2.5-flash", 1<<10, s) }, "", modes...)
	add("minimax pro chat", groupConverted, configMinimax, "/v1/chat/completions", clientOpenAI,
		func(s bool) []byte { return openaiChatBody("abab6.5-chat", 1<<10, s) }, "", modes...)
	add("spark chat", groupConverted, configSpark, "/v1/chat/completions", clientOpenAI,
		func(s bool) []byte { return openaiChatBody("generalv3.5", 1<<10, s) }, "", modes...)
	add("hunyuan chat", groupConverted, configHunyuan, "/v1/chat/completions", clientOpenAI,
		func(s bool) []byte { return openaiChatBody("hunyuan-lite", 1<<10, s) }, "", modes...)
	add("deepl translate", groupConverted, configDeepL, "/v1/chat/completions", clientOpenAI,
		func(s bool) []byte { return openaiChatBody("Free", 1<<10, s) }, "", deliverJSON)
	add("anthropic→openai", groupConverted, configOpenAI, "/v1/messages", clientAnthropic,
		func(s bool) []byte { return anthropicBody("gpt-4o-mini", 1<<10, s) }, "/v1/chat/completions", modes...)
	add("responses→chat-only", groupConverted, configDeepSeek, "/v1/responses", clientResponses,
		func(s bool) []byte { return responsesBody("deepseek-chat", 1<<10, s) }, "/v1/chat/completions", modes...)
	return cs
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%dMB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%dKB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

// checkOutput reports whether what the plugin passed to the client is a complete answer
// in the client's protocol ("" when it is).
func checkOutput(c *benchCase, status string, body []byte) string {
	if status != "200" {
		return "client got status " + status
	}
	if !c.streaming() {
		if !gjson.ValidBytes(body) {
			return fmt.Sprintf("client body is not JSON: %.80q", body)
		}
		var path string
		switch c.client {
		case clientAnthropic:
			path = "content.0.text"
		case clientEmbeddings:
			path = "data.0.embedding.0"
		case clientResponses:
			path = "output.0.content.0.text"
		default:
			path = "choices.0.message.content"
		}
		if !gjson.GetBytes(body, path).Exists() {
			return fmt.Sprintf("client JSON lacks %s: %.120q", path, body)
		}
		return ""
	}
	var marker string
	switch c.client {
	case clientAnthropic:
		marker = "message_stop"
	case clientResponses:
		marker = "event: response.completed"
	default:
		marker = "data: [DONE]"
	}
	if !strings.Contains(string(body), marker) {
		return fmt.Sprintf("client stream lacks %q (ends %q)", marker, tail(body, 80))
	}
	return ""
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
