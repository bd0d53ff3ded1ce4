package provider

import (
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/anthropic"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// defaultClaudeVersion is the anthropic-version header sent when the config names none
// (`claudeVersion` / `apiVersion`).
const defaultClaudeVersion = "2023-06-01"

// Claude: Anthropic's Messages API, type "claude". OpenAI chat clients are converted to
// /v1/messages and back; Anthropic clients pass through natively; the token goes in
// x-api-key and every request carries anthropic-version.
func init() {
	register("claude", &Spec{
		Host: "api.anthropic.com",
		Paths: map[API]string{
			APIChatCompletion:    "/v1/messages",
			APIAnthropicMessages: "/v1/messages",
			APIModels:            "/v1" + keepTail, // the list and /v1/models/{id}
		},
		Auth:           Auth{Header: "x-api-key"},
		NativePrefixes: []string{"/v1/"}, // count_tokens, batches, files, ... with protocol: original
		Settings:       "claude",
		Setup:          setupClaude,
		RequestHeaders: claudeHeaders,
		EditBody:       claudeCodeBody,
		Translate:      translateClaude,
	})
}

// Claude Code mode (`claudeCodeMode`): the tokens are Claude Code OAuth tokens, sent as
// a bearer token with the headers and `?beta=true` Claude Code itself sends, and a
// request without a system prompt gets Claude Code's (values as in Higress).
const (
	claudeCodeUserAgent    = "claude-cli/2.1.2 (external, cli)"
	claudeCodeBetaFeatures = "oauth-2025-04-20,interleaved-thinking-2025-05-14,claude-code-20250219"
	claudeCodeSystemPrompt = "You are Claude Code, Anthropic's official CLI for Claude."
)

func setupClaude(c *Config) error {
	if c.ClaudeCodeMode {
		c.authHeader = "authorization"
		for i, t := range c.APITokens {
			c.authValues[i] = "Bearer " + t
		}
	}
	return nil
}

// claudeHeaders sets anthropic-version: the configured one always, else the client's
// own (an Anthropic SDK sends it), else the default.
func claudeHeaders(c *Config, r *Request, h Headers) {
	switch {
	case c.APIVersion != "":
		h.Set("anthropic-version", c.APIVersion)
	case h.Get("anthropic-version") == "":
		h.Set("anthropic-version", defaultClaudeVersion)
	}
	if c.ClaudeCodeMode {
		h.Set("user-agent", claudeCodeUserAgent)
		h.Set("x-app", "cli")
		h.Set("anthropic-beta", claudeCodeBetas(h.Get("anthropic-beta")))
		if r.API != APINative && !strings.Contains(r.Path, "beta=true") {
			r.Path = addQuery(r.Path, "beta=true")
		}
	}
}

// claudeCodeBetas is Claude Code's anthropic-beta list followed by the betas the client
// asked for that it lacks (Higress replaces the client's; a client's extra beta, such
// as a longer context window, is kept here).
func claudeCodeBetas(client string) string {
	out := claudeCodeBetaFeatures
	for _, b := range strings.Split(client, ",") {
		if b = strings.TrimSpace(b); b != "" && !strings.Contains(","+out+",", ","+b+",") {
			out += "," + b
		}
	}
	return out
}

// addQuery appends one name=value to a path's query.
func addQuery(path, kv string) string {
	if strings.IndexByte(path, '?') >= 0 {
		return path + "&" + kv
	}
	return path + "?" + kv
}

// claudeCodeBody: in Claude Code mode a Messages request (native, or converted from
// chat) without a system prompt gets Claude Code's.
func claudeCodeBody(c *Config, r *Request, _, body []byte) ([]byte, error) {
	if !c.ClaudeCodeMode || (r.API != APIChatCompletion && r.API != APIAnthropicMessages) {
		return body, nil
	}
	return claudeCodeSystem(body)
}

// claudeCodeSystem gives a Messages body without a system prompt Claude Code's, and
// turns a plain-string system prompt into a cached text block, as Claude Code sends it.
func claudeCodeSystem(body []byte) ([]byte, error) {
	sys := gjson.GetBytes(body, "system")
	var text string
	switch {
	case !sys.Exists() || sys.Type == gjson.Null || (sys.Type == gjson.String && sys.Str == ""):
		text = claudeCodeSystemPrompt
	case sys.Type == gjson.String:
		text = sys.Str
	default:
		return body, nil // blocks: the client's own, kept as they are
	}
	block := append([]byte(`[{"type":"text","text":`), translator.AppendString(nil, text)...)
	block = append(block, `,"cache_control":{"type":"ephemeral"}}]`...)
	return sjson.SetRawBytes(body, "system", block)
}

func translateClaude(c *Config, r *Request) translator.Translator {
	if r.API == APIChatCompletion {
		return anthropic.NewChatToMessages()
	}
	return nil
}
