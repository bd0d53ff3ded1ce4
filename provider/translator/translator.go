// Package translator holds the contract every protocol converter implements, and the
// pieces all of them share: token usage, JSON appending helpers and client-protocol errors.
//
// It imports nothing from the rest of the project, so converter packages (anthropic,
// dashscope, ...) depend on it and the provider package wires them together.
package translator

// Translator converts one HTTP exchange between the protocol the client speaks and the
// protocol the upstream speaks. A Translator is created per request and carries that
// request's stream state (ids, open content blocks, usage so far); it is never shared.
//
// Every method is a pure function of its inputs and the Translator's own state. None
// panics on any input: malformed input yields an error (request side) or a well-formed
// error in the client's protocol (response side).
type Translator interface {
	// RequestBody converts the client's JSON request body (model already mapped, custom
	// settings applied) into the upstream's body. It may return body itself when nothing
	// changes. An error means the client sent something the upstream cannot express; the
	// plugin answers 400 with the error's text.
	RequestBody(body []byte) ([]byte, error)

	// ResponseBody converts a complete, non-streamed upstream answer with the given HTTP
	// status into the client's protocol. Non-2xx statuses carry the upstream's error and
	// are converted into the client's error shape.
	ResponseBody(status int, body []byte) ([]byte, error)

	// ResponseStream converts the next piece of a streamed (SSE) upstream answer and
	// appends the complete client events it yields to dst. A piece may end at any byte;
	// incomplete input is kept until the next call. With end set the stream is over:
	// everything pending is flushed and the client's stream terminator (OpenAI `[DONE]`,
	// Anthropic `message_stop`) is written if the upstream did not end the stream itself.
	// chunk is only read during the call: the plugin reuses its memory for the next
	// piece, so what must be kept is copied.
	ResponseStream(dst, chunk []byte, end bool) ([]byte, error)

	// Usage reports the tokens counted so far, in OpenAI's meaning (prompt tokens include
	// cached tokens), and the model the upstream says it served.
	Usage() Usage
}

// Usage is token accounting in OpenAI's meaning: PromptTokens includes CachedTokens and
// CacheCreationTokens. Converters to and from protocols with another meaning (Anthropic's
// input_tokens exclude cache reads and writes) convert at their edge.
type Usage struct {
	PromptTokens        int64
	CompletionTokens    int64
	TotalTokens         int64
	CachedTokens        int64 // prompt tokens read from the provider's cache
	CacheCreationTokens int64 // prompt tokens written to the provider's cache
	ReasoningTokens     int64 // part of CompletionTokens
	Model               string
}

// StreamStatus tells a streaming translator the upstream status before any body arrives,
// so that a non-2xx stream (an error JSON, not SSE) is converted as an error. Translators
// that care implement it; the plugin calls it once, after the response headers.
type StreamStatus interface {
	SetUpstreamStatus(status int, contentType string)
}

// UpstreamEditor is implemented by translators whose upstream path or headers depend
// on the request body (DashScope picks text or multimodal generation by model and
// needs X-DashScope-SSE for streams). The plugin calls it right after RequestBody with
// the upstream path so far; the returned path replaces it.
type UpstreamEditor interface {
	EditUpstream(path string, setHeader func(name, value string)) string
}
