package provider

import (
	"fmt"
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/dashscope"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// Qwen: Alibaba Cloud Model Studio (DashScope), type "qwen".
//
// The host is dashscope.aliyuncs.com; `qwenDomain` replaces it, e.g.
// dashscope-intl.aliyuncs.com selects the international (Singapore) endpoint
// (`providerDomain` works too, as for every provider). With `protocol: original`
// customSettings go raw under `parameters`.
//
// `qwenEnableCompatible` (default true) chooses how OpenAI chat and embeddings are
// served: through DashScope's OpenAI-compatible mode (the body passes through with the
// model mapped; qwenEnableSearch and qwenFileIds are still applied), or converted to
// the native text-generation / multimodal-generation and text-embedding APIs. Either
// way: completions, models, files and batches use compatible mode (responses too, but
// with qwenEnableCompatible false they are converted to native chat); images
// and `/v1/rerank` are converted to the native APIs, `/v1/audio/speech` to Qwen-TTS;
// Anthropic `/v1/messages` goes to DashScope's own Anthropic endpoint; conversations to
// compatible mode; DashScope's native rerank, compatible rerank, AIGC, task and
// WebSocket routes pass through on the client's path with credentials (X-DashScope-Async
// added on the async-only routes).
func init() {
	register("qwen", &Spec{
		Host:              "dashscope.aliyuncs.com",
		Settings:          "qwen",
		RawSettingsPrefix: "parameters.",
		Setup:             setupQwen,
		RequestHeaders:    qwenRequestHeaders,
		Translate:         translateQwen,
	})
}

func setupQwen(c *Config) error {
	if d := c.QwenDomain; d != "" {
		if strings.ContainsAny(d, "/ ") {
			return fmt.Errorf("qwenDomain: %q must be a host name, no scheme or path", d)
		}
		c.Host = d
	}
	compat := dashscope.PathCompatiblePrefix
	m := openAIPaths(compat, APIChatCompletion, APICompletion, APIEmbeddings, APIResponses, APIModels,
		APIFiles, APIBatches)
	for _, a := range []API{APIRetrieveFile, APIRetrieveFileContent, APIRetrieveBatch, APICancelBatch, APIConversations} {
		m[a] = compat + keepTail
	}
	if !c.QwenEnableCompatible {
		m[APIChatCompletion] = dashscope.PathTextGeneration
		m[APIEmbeddings] = dashscope.PathEmbeddings
		delete(m, APIResponses) // served through native chat (chat_bridge.go), as chat is
	}
	m[APIImageGeneration] = dashscope.PathMultimodalGeneration
	m[APIImageEdit] = dashscope.PathImage2Image
	m[APICohereRerank] = dashscope.PathRerank
	m[APIAnthropicMessages] = dashscope.PathAnthropicMessages
	m[APIQwenRerank] = keepPath
	m[APIQwenAsyncAIGC] = keepPath
	m[APIQwenAsyncTask] = keepPath
	m[APIQwenCompatibleRerank] = keepPath
	m[APIQwenWebSocket] = keepPath
	m[APIAudioSpeech] = dashscope.PathMultimodalGeneration // Qwen-TTS (dashscope/tts.go)
	for a, p := range m {
		c.Capabilities[a] = p
	}
	return nil
}

// translateQwen picks the converter by API and by the upstream path, so a
// `capabilities` entry pointing an API at another DashScope route (say chat at
// compatible mode while qwenEnableCompatible is false, or rerank at
// /compatible-api/v1/reranks) is served the way that route speaks.
func translateQwen(c *Config, r *Request) translator.Translator {
	o := dashscope.Options{
		ReasoningMode: c.ReasoningContentMode,
		EnableSearch:  c.QwenEnableSearch,
		FileIDs:       c.QwenFileIDs,
	}
	native := !strings.Contains(r.Path, dashscope.PathCompatiblePrefix+"/")
	switch r.API {
	case APIChatCompletion:
		if native && strings.Contains(r.Path, "/api/v1/services/aigc/") {
			return dashscope.NewChat(o)
		}
		if c.QwenEnableSearch || len(c.QwenFileIDs) > 0 {
			return dashscope.NewCompatible(o)
		}
	case APIEmbeddings:
		if native && strings.Contains(r.Path, dashscope.PathEmbeddings) {
			return dashscope.NewEmbeddings(o)
		}
	case APICohereRerank:
		if strings.Contains(r.Path, dashscope.PathRerank) {
			return dashscope.NewRerank(o)
		}
	case APIImageGeneration:
		if native {
			return dashscope.NewImageGeneration(o)
		}
	case APIImageEdit:
		if native && r.formBoundary() != "" {
			return dashscope.NewImageEditForm(o, r.formBoundary(), r.Model)
		}
		if native {
			return dashscope.NewImageEdit(o)
		}
	case APIAudioSpeech:
		if native {
			s := dashscope.NewSpeech(o)
			r.answerType = s.ContentType
			return s
		}
	}
	return nil
}

// qwenRequestHeaders asks for a task on DashScope's async-only routes when a client
// calling them natively left X-DashScope-Async out.
func qwenRequestHeaders(_ *Config, r *Request, h Headers) {
	if r.API == APIQwenAsyncAIGC && dashscope.AsyncOnly(r.Path) {
		h.Set("x-dashscope-async", "enable")
	}
}
