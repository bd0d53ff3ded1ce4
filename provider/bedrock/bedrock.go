// Package bedrock converts OpenAI chat completions to and from Amazon Bedrock Runtime's
// Converse API (POST /model/{modelId}/converse) and ConverseStream
// (/model/{modelId}/converse-stream, an AWS event-stream of JSON events), and signs the
// upstream request with AWS SigV4 over its final body.
//
// Usage: Bedrock's inputTokens exclude cache reads and writes (cacheReadInputTokens,
// cacheWriteInputTokens); the OpenAI prompt_tokens this package reports include them,
// and total_tokens is prompt plus completion.
package bedrock

import (
	"hash/fnv"
	"strings"
	"time"

	"github.com/ai-proxy/ai-proxy/provider/sign"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// Options configure one Chat converter; they come from the provider config and are
// shared read-only between requests.
type Options struct {
	// Key signs the request with SigV4 (service "bedrock"); nil when the request
	// carries a Bedrock API key as a bearer token instead.
	Key *sign.AWS
	// Host is the upstream authority, signed as the host header.
	Host string
	// AdditionalFields is `bedrockAdditionalFields`: a raw JSON object whose members go
	// into additionalModelRequestFields.
	AdditionalFields string
	// CachePoints says where prompt-cache points go (`bedrockPromptCachePointPositions`);
	// CacheRetention is `promptCacheRetention`, the default of a request's
	// prompt_cache_retention. Points are set only for models that cache (Claude, Nova).
	CachePoints    CachePoints
	CacheRetention string
}

// CachePoints are the places of Converse cachePoint blocks: after the system prompt,
// at the end of the last user turn, at the end of the last turn.
type CachePoints struct{ System, LastUser, Last bool }

// CacheTTL maps an OpenAI prompt_cache_retention to a cachePoint's ttl: "in_memory" (or
// "in-memory") is Bedrock's default five minutes (no ttl), "24h" its longest, "1h". ok is
// false for no retention or one Bedrock has no counterpart for.
func CacheTTL(retention string) (ttl string, ok bool) {
	switch strings.ToLower(strings.TrimSpace(retention)) {
	case "in_memory", "in-memory", "in memory", "inmemory":
		return "", true
	case "24h":
		return "1h", true
	}
	return "", false
}

// Chat converts one OpenAI chat exchange to Converse and back. Create one per request
// with NewChat.
type Chat struct {
	// Now returns the time of the request: `created` and the SigV4 timestamp. nil means
	// the wall clock.
	Now func() time.Time

	opts        *Options
	model       string
	stream      bool
	payloadHash string
	id          string
	created     int64
	usage       translator.Usage

	dec Decoder
	st  streamState
}

// NewChat returns a converter for one request.
func NewChat(o *Options) *Chat { return &Chat{opts: o} }

func (t *Chat) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// Usage implements translator.Translator.
func (t *Chat) Usage() translator.Usage { return t.usage }

// begin fixes the answer's id and created time, once per request.
func (t *Chat) begin() {
	if t.id != "" {
		return
	}
	now := t.now()
	t.created = now.Unix()
	h := fnv.New64a()
	h.Write([]byte(t.model))
	var b [8]byte
	n := uint64(now.UnixNano())
	for i := range b {
		b[i] = byte(n >> (8 * i))
	}
	h.Write(b[:])
	const hexd = "0123456789abcdef"
	s := h.Sum64()
	id := make([]byte, 0, 25)
	id = append(id, "chatcmpl-"...)
	for i := 60; i >= 0; i -= 4 {
		id = append(id, hexd[s>>uint(i)&15])
	}
	t.id = string(id)
}
