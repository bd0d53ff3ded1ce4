package translator

import "github.com/tidwall/gjson"

// The pieces of OpenAI's chat wire format every converter that answers in it writes
// or reads the same way.

// AppendOpenAIUsage appends u as an OpenAI usage object of its prompt, completion and
// total tokens.
func AppendOpenAIUsage(dst []byte, u Usage) []byte {
	return append(AppendOpenAIUsageCounts(dst, u), '}')
}

// AppendOpenAIUsageCounts appends the opening of an OpenAI usage object with u's
// prompt, completion and total tokens; the caller adds any details and the closing '}'.
func AppendOpenAIUsageCounts(dst []byte, u Usage) []byte {
	dst = append(dst, `{"prompt_tokens":`...)
	dst = AppendInt(dst, u.PromptTokens)
	dst = append(dst, `,"completion_tokens":`...)
	dst = AppendInt(dst, u.CompletionTokens)
	dst = append(dst, `,"total_tokens":`...)
	return AppendInt(dst, u.TotalTokens)
}

// ReadOpenAIUsage reads an OpenAI usage object (prompt_tokens, completion_tokens,
// total_tokens; a missing total is their sum) as the usage of model; ok is false when u
// is not an object.
func ReadOpenAIUsage(u gjson.Result, model string) (usage Usage, ok bool) {
	if !u.IsObject() {
		return Usage{}, false
	}
	usage = Usage{
		PromptTokens:     u.Get("prompt_tokens").Int(),
		CompletionTokens: u.Get("completion_tokens").Int(),
		TotalTokens:      u.Get("total_tokens").Int(),
		Model:            model,
	}
	if usage.TotalTokens == 0 {
		usage.TotalTokens = usage.PromptTokens + usage.CompletionTokens
	}
	return usage, true
}

// AppendOpenAIErrorEvent appends an OpenAI stream's error chunk: a data event holding
// the error object (see AppendOpenAIError). The stream's `data: [DONE]` is the caller's.
func AppendOpenAIErrorEvent(dst []byte, message, typ, code string) []byte {
	dst = append(dst, "data: "...)
	dst = AppendOpenAIError(dst, message, typ, code)
	return append(dst, "\n\n"...)
}
