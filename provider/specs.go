package provider

import (
	"fmt"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// The providers that speak the OpenAI wire format and differ only by data: host, path
// prefix, the APIs they serve, auth. Providers that need code register in their own
// file with the same Spec type.
func init() {
	chatEmbed := []API{APIChatCompletion, APIEmbeddings}
	for typ, s := range map[string]*Spec{
		"openai":      {Host: "api.openai.com", Paths: fullOpenAIPaths("/v1"), Setup: setupOpenAICustomURL, Keyless: true},
		"moonshot":    {Host: "api.moonshot.cn", Paths: merge(openAIPaths("/v1", APIChatCompletion, APIModels, APIFiles), map[API]string{APIAnthropicMessages: "/anthropic/v1/messages"})},
		"baichuan":    {Host: "api.baichuan-ai.com", Paths: openAIPaths("/v1", chatEmbed...)},
		"yi":          {Host: "api.lingyiwanwu.com", Paths: openAIPaths("/v1", APIChatCompletion, APIModels)},
		"zhipuai":     {Host: "open.bigmodel.cn", Paths: merge(openAIPaths("/api/paas/v4", APIChatCompletion, APIEmbeddings, APIImageGeneration), map[API]string{APIAnthropicMessages: "/api/anthropic/v1/messages"}), Setup: setupZhipu},
		"deepseek":    {Host: "api.deepseek.com", Paths: merge(openAIPaths("/v1", APIChatCompletion, APICompletion, APIModels), map[API]string{APIAnthropicMessages: "/anthropic/v1/messages"})},
		"groq":        {Host: "api.groq.com", Paths: openAIPaths("/openai/v1", APIChatCompletion, APIAudioTranscription, APIAudioTranslation, APIModels)},
		"grok":        {Host: "api.x.ai", Paths: openAIPaths("/v1", APIChatCompletion, APICompletion, APIEmbeddings, APIImageGeneration, APIModels, APIAnthropicMessages)},
		"baidu":       {Host: "qianfan.baidubce.com", Paths: openAIPaths("/v2", APIChatCompletion, APIEmbeddings, APIImageGeneration, APIModels)},
		"ai360":       {Host: "api.360.cn", Paths: openAIPaths("/v1", chatEmbed...)},
		"github":      {Host: "models.inference.ai.azure.com", Paths: openAIPaths("", chatEmbed...)},
		"mistral":     {Host: "api.mistral.ai", Paths: openAIPaths("/v1", APIChatCompletion, APIEmbeddings, APIModels, APIFiles)},
		"stepfun":     {Host: "api.stepfun.com", Paths: openAIPaths("/v1", APIChatCompletion, APIEmbeddings, APIImageGeneration, APIAudioSpeech, APIAudioTranscription, APIModels, APIFiles)},
		"together-ai": {Host: "api.together.xyz", Paths: openAIPaths("/v1", APIChatCompletion, APICompletion, APIEmbeddings, APIImageGeneration, APIModels, APICohereRerank)},
		"fireworks":   {Host: "api.fireworks.ai", Paths: openAIPaths("/inference/v1", APIChatCompletion, APICompletion, APIEmbeddings, APIModels)},
		"openrouter":  {Host: "openrouter.ai", Paths: openAIPaths("/api/v1", APIChatCompletion, APICompletion, APIModels), EditBody: openRouterReasoning},
		"longcat":     {Host: "api.longcat.chat", Paths: merge(openAIPaths("/openai/v1", APIChatCompletion), map[API]string{APIAnthropicMessages: "/anthropic/v1/messages"})},
		"doubao":      {Host: "ark.cn-beijing.volces.com", Paths: openAIPaths("/api/v3", APIChatCompletion, APIEmbeddings, APIImageGeneration, APIResponses), Setup: setupDomain("doubaoDomain", func(c *Config) string { return c.DoubaoDomain })},
		"cohere":      {Host: "api.cohere.com", Paths: merge(openAIPaths("/compatibility/v1", chatEmbed...), map[API]string{APICohereRerank: "/v2/rerank"})},
		"azure":       {Auth: Auth{Header: "api-key"}, SingleToken: true, Setup: setupAzure, NativePrefixes: []string{"/openai/"}},
		"ollama":      {Paths: openAIPaths("/v1", APIChatCompletion, APICompletion, APIEmbeddings, APIModels), Setup: setupOllama, Keyless: true},
		"cloudflare":  {Host: "api.cloudflare.com", Setup: setupCloudflare},
		"vllm":        {Paths: merge(fullOpenAIPaths("/v1"), map[API]string{APICohereRerank: keepPath}), Setup: setupVLLM, Keyless: true},
		"generic":     {Paths: genericPaths(), Setup: setupDomain("genericHost", func(c *Config) string { return c.GenericHost }), Keyless: true, Passthrough: true, RouteHost: true},
	} {
		register(typ, s)
	}
}

func merge(a, b map[API]string) map[API]string {
	for k, v := range b {
		a[k] = v
	}
	return a
}

// setupDomain makes a provider-specific host field override the default host.
func setupDomain(field string, get func(*Config) string) func(*Config) error {
	return func(c *Config) error {
		if d := get(c); d != "" {
			if strings.ContainsAny(d, "/ ") {
				return fmt.Errorf("%s: %q must be a host name, no scheme or path", field, d)
			}
			c.Host = d
		}
		return nil
	}
}

// genericPaths serves every API on the client's own path: the generic provider only
// changes host and credentials.
func genericPaths() map[API]string {
	m := map[API]string{}
	for _, r := range pathRules {
		m[r.api] = keepPath
	}
	for _, a := range []API{APIQwenAsyncAIGC, APIGeminiGenerate, APIGeminiStreamGenerat, APIVertexRaw} {
		m[a] = keepPath
	}
	return m
}

// keepPath marks an upstream path that is the client's path unchanged.
const keepPath = "{path}"

// splitAPIPath splits an OpenAI-style URL path into the prefix and the API suffix it
// ends with ("/x/v1/chat/completions" → "/x/v1", chat), if it ends with one.
func splitAPIPath(p string) (prefix string, api API, ok bool) {
	for a, suffix := range openAISuffix {
		if strings.HasSuffix(p, suffix) && (api == "" || len(suffix) > len(openAISuffix[api])) {
			prefix, api, ok = strings.TrimSuffix(p, suffix), a, true
		}
	}
	return prefix, api, ok
}

// setupOpenAICustomURL: `openaiCustomUrl` is either a base ("host/v1") or a full API
// URL ("host/v1/chat/completions"); every API is served below the base, and the full
// URL's own API at exactly that path.
func setupOpenAICustomURL(c *Config) error {
	if c.OpenAICustomURL == "" {
		return nil
	}
	u, err := parseHostURL(c.OpenAICustomURL, "openaiCustomUrl")
	if err != nil {
		return err
	}
	c.Host = u.Host
	p := strings.TrimRight(u.Path, "/")
	prefix, api, full := splitAPIPath(p)
	if !full {
		prefix = p
	}
	c.Capabilities = fullOpenAIPaths(prefix)
	if full {
		c.Capabilities[api] = p
	}
	if u.RawQuery != "" {
		for a, path := range c.Capabilities {
			c.Capabilities[a] = path + "?" + u.RawQuery
		}
	}
	return nil
}

// azureAPIs are the deployment-scoped APIs of Azure OpenAI.
var azureAPIs = []API{APIChatCompletion, APICompletion, APIEmbeddings, APIImageGeneration,
	APIImageEdit, APIImageVariation, APIAudioSpeech, APIAudioTranscription, APIAudioTranslation}

// setupAzure reads `azureServiceUrl` in its three forms: a full API URL
// (.../openai/deployments/D/chat/completions?api-version=V), a deployment URL
// (.../openai/deployments/D?api-version=V), or the resource domain alone
// (https://R.openai.azure.com?api-version=V), where the request's model names the
// deployment.
func setupAzure(c *Config) error {
	if c.AzureServiceURL == "" {
		return fmt.Errorf("azureServiceUrl: required for provider type \"azure\"")
	}
	u, err := parseHostURL(c.AzureServiceURL, "azureServiceUrl")
	if err != nil {
		return err
	}
	if !queryHas(u.RawQuery, "api-version") {
		return fmt.Errorf("azureServiceUrl: %q has no api-version query parameter", c.AzureServiceURL)
	}
	c.Host = u.Host
	p := strings.TrimRight(u.Path, "/")
	prefix, api, full := splitAPIPath(p)
	if !full {
		prefix = p
	}
	if prefix == "" || prefix == "/openai" {
		prefix = "/openai/deployments/{model}"
	}
	for _, a := range azureAPIs {
		c.Capabilities[a] = prefix + openAISuffix[a] + "?" + u.RawQuery
	}
	// Resource-scoped APIs (files, batches, models) live under /openai, with
	// the same api-version, whatever form the URL has.
	for _, a := range azureResourceAPIs {
		c.Capabilities[a] = "/openai" + openAISuffix[a] + "?" + u.RawQuery
	}
	for _, a := range azureResourceSubAPIs {
		c.Capabilities[a] = "/openai" + keepTail + "?" + u.RawQuery
	}
	if full {
		c.Capabilities[api] = p + "?" + u.RawQuery
	}
	return nil
}

// azureResourceAPIs are the APIs of an Azure OpenAI resource that name no deployment
// in their path; azureResourceSubAPIs their sub-resources (/files/{id}, ...).
var (
	azureResourceAPIs    = []API{APIFiles, APIBatches, APIModels}
	azureResourceSubAPIs = []API{APIRetrieveFile, APIRetrieveFileContent, APIRetrieveBatch, APICancelBatch}
)

// openRouterReasoning gives OpenRouter the reasoning budget in tokens
// (reasoning.max_tokens) instead of a coarse reasoning_effort, as Higress does: from
// the request's reasoning_max_tokens, or an Anthropic client's thinking.budget_tokens.
func openRouterReasoning(c *Config, r *Request, client, body []byte) ([]byte, error) {
	if r.UpstreamAPI != APIChatCompletion {
		return body, nil
	}
	budget := gjson.GetBytes(body, "reasoning_max_tokens").Int()
	if budget <= 0 && r.API == APIAnthropicMessages && gjson.GetBytes(client, "thinking.type").Str == "enabled" {
		budget = gjson.GetBytes(client, "thinking.budget_tokens").Int()
	}
	if budget <= 0 {
		return body, nil
	}
	body, _ = sjson.DeleteBytes(body, "reasoning_effort")
	body, _ = sjson.DeleteBytes(body, "reasoning_max_tokens")
	return sjson.SetBytes(body, "reasoning.max_tokens", budget)
}

// setupZhipu: `zhipuDomain` (api.z.ai for the international service) and
// `zhipuCodePlanMode`, whose chat goes to the GLM Coding Plan endpoint.
func setupZhipu(c *Config) error {
	if c.ZhipuCodePlanMode {
		c.Capabilities[APIChatCompletion] = "/api/coding/paas/v4/chat/completions"
	}
	return setupDomain("zhipuDomain", func(c *Config) string { return c.ZhipuDomain })(c)
}

func setupOllama(c *Config) error {
	if c.OllamaServerHost == "" {
		return fmt.Errorf("ollamaServerHost: required for provider type \"ollama\"")
	}
	c.Host = fmt.Sprintf("%s:%d", c.OllamaServerHost, c.OllamaServerPort)
	return nil
}

func setupCloudflare(c *Config) error {
	if c.CloudflareAccountID == "" {
		return fmt.Errorf("cloudflareAccountId: required for provider type \"cloudflare\"")
	}
	c.Capabilities = openAIPaths("/client/v4/accounts/"+c.CloudflareAccountID+"/ai/v1", APIChatCompletion, APIEmbeddings)
	return nil
}

// setupVLLM: `vllmCustomUrl` (scheme, host, optional path prefix) or `vllmServerHost`.
// Rerank (/rerank, /v1/rerank, /v2/rerank: one handler in vLLM) keeps the client's path,
// or goes below the custom URL's prefix.
func setupVLLM(c *Config) error {
	if c.VLLMCustomURL != "" {
		u, err := parseHostURL(c.VLLMCustomURL, "vllmCustomUrl")
		if err != nil {
			return err
		}
		c.Host = u.Host
		if p := strings.TrimRight(u.Path, "/"); p != "" {
			prefix, _, full := splitAPIPath(p)
			if !full {
				prefix = p
			}
			c.Capabilities = fullOpenAIPaths(prefix)
			c.Capabilities[APICohereRerank] = prefix + "/rerank" // vLLM's three rerank routes are one
		}
		return nil
	}
	if c.VLLMServerHost == "" {
		return fmt.Errorf("vllmServerHost: one of vllmServerHost, vllmCustomUrl is required for provider type \"vllm\"")
	}
	c.Host = c.VLLMServerHost
	return nil
}
