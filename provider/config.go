package provider

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// Config is one validated provider entry of the plugin configuration (the legacy
// `provider` object or one element of `providers`). Field names follow Higress's
// ai-proxy exactly; see the README's configuration reference.
type Config struct {
	ID        string
	Type      string
	APITokens []string
	// Timeout is the upstream timeout in ms (`timeout`, default 120000).
	Timeout uint32
	// FirstByteTimeout in ms; 0 disables it (`firstByteTimeout`).
	FirstByteTimeout uint32
	// Failover (API-token health) and Retry (retryOnFailure), nil unless enabled.
	Failover *Failover
	Retry    *Retry
	// timeoutHeader and firstByteHeader are the two values above as header values,
	// formatted once.
	timeoutHeader, firstByteHeader string
	// authHeader is the lower-case name of the header that carries the token, and
	// authValues the header value for each token (prefix included), built once.
	authHeader   string
	authValues   []string
	ModelMapping *ModelMapping
	// Original is true for `protocol: original`: the client speaks the provider's
	// native protocol and bodies pass through with only credentials and settings.
	Original       bool
	Context        *ContextConfig
	CustomSettings []CustomSetting
	// settingsOwnStreamOptions: a customSettings entry writes stream_options, so the
	// plugin does not add include_usage itself.
	settingsOwnStreamOptions bool
	// Capabilities are the upstream paths by API: the spec's defaults with the config's
	// `capabilities` on top.
	Capabilities map[API]string
	// BasePath is removed from (`removePrefix`, default) or prepended to (`prepend`)
	// the client's path.
	BasePath         string
	BasePathPrepend  bool
	ProviderBasePath string // prepended to every upstream path
	// Host is the upstream authority (spec default, provider fields, or `providerDomain`).
	Host string
	// ReasoningContentMode is passthrough (default), ignore or concat.
	ReasoningContentMode string
	// Chat message edits (messages.go): `contextCleanupCommands`,
	// `mergeConsecutiveMessages`; `promoteThinkingOnEmpty` works on the answer.
	// `hiclawMode` turns on both of the latter.
	ContextCleanupCommands   []string
	MergeConsecutiveMessages bool
	PromoteThinkingOnEmpty   bool

	// Provider-specific fields, named as in the configuration reference.
	OpenAICustomURL      string
	ResponseJSONSchema   string // raw JSON object
	AzureServiceURL      string
	MoonshotFileID       string
	QwenEnableSearch     bool
	QwenFileIDs          []string
	QwenDomain           string
	QwenEnableCompatible bool
	OllamaServerHost     string
	OllamaServerPort     uint32
	ComfyUIServerHost    string // `comfyuiServerHost` (comfyui.go)
	ComfyUIServerPort    uint32 // `comfyuiServerPort`, default 8188
	APIVersion           string // `claudeVersion` or `apiVersion`
	CloudflareAccountID  string
	MinimaxGroupID       string
	GeminiSafetySetting  map[string]string
	GeminiThinkingBudget int64 // `geminiThinkingBudget`; 0: unset, -1: dynamic
	TargetLang           string
	GenericHost          string
	VLLMServerHost       string
	VLLMCustomURL        string
	DoubaoDomain         string
	ClaudeCodeMode       bool         // `claudeCodeMode`: Claude Code OAuth tokens (claude.go)
	ZhipuDomain          string       // `zhipuDomain`, e.g. api.z.ai
	ZhipuCodePlanMode    bool         // `zhipuCodePlanMode`: the GLM Coding Plan chat path
	HunyuanAuthID        string       // `hunyuanAuthId`: Tencent Cloud SecretId
	HunyuanAuthKey       string       // `hunyuanAuthKey`: Tencent Cloud SecretKey; never logged
	AWS                  AWSConfig    // awsRegion, awsAccessKey, ... (bedrock.go)
	Vertex               VertexConfig // vertexAuthKey, vertexRegion, ... (vertex.go)
	// Credential is the token the plugin fetches by callout before a request leaves
	// (Vertex AI's service account); nil for most providers (credential.go).
	Credential *Credential
	// --- dify, triton (dify.go, triton.go): difyApiUrl, botType, inputVariable, outputVariable,
	// tritonDomain, tritonModelVersion.
	Agents AgentsConfig
	// --- end dify, triton

	// signRequest, set by Setup, signs a request passed through unconverted over its
	// final path and body (bedrock's SigV4 with AWS keys under `protocol: original`).
	signRequest func(r *Request, body []byte, h Headers)

	spec *Spec
}

// ContextConfig is `context`: a plain-text file fetched from a gateway service and
// added to chat requests as system context.
type ContextConfig struct {
	FileURL     string
	ServiceName string
	ServicePort uint32
	ServiceHost string // the authority used for the callout
	Path        string // the file's path and query
}

const defaultTimeout = 120000

// ParseConfig reads and validates one provider object. field is its position in the
// plugin config (e.g. "provider", "providers[2]") and prefixes every error message.
func ParseConfig(v gjson.Result, field string) (*Config, error) {
	if !v.IsObject() {
		return nil, fmt.Errorf("%s: must be an object", field)
	}
	c := &Config{
		ID:   v.Get("id").String(),
		Type: v.Get("type").String(),
	}
	if c.Type == "" {
		return nil, fmt.Errorf("%s.type: required (one of %s)", field, strings.Join(sortedTypes(), ", "))
	}
	spec, ok := specs[c.Type]
	if !ok {
		return nil, fmt.Errorf("%s.type: unknown provider type %q (one of %s)", field, c.Type, strings.Join(sortedTypes(), ", "))
	}
	c.spec = spec
	for i, t := range v.Get("apiTokens").Array() {
		if t.Type != gjson.String {
			return nil, fmt.Errorf("%s.apiTokens[%d]: must be a string", field, i)
		}
		if t.String() != "" {
			c.APITokens = append(c.APITokens, t.String())
		}
	}
	if len(c.APITokens) == 0 && !spec.Keyless && !anySet(v, spec.KeylessWith) {
		alt := ""
		if len(spec.KeylessWith) > 0 {
			alt = ", or set " + strings.Join(spec.KeylessWith, ", ")
		}
		return nil, fmt.Errorf("%s.apiTokens: required for provider type %q (give at least one API token%s)", field, c.Type, alt)
	}
	if spec.SingleToken && len(c.APITokens) > 1 {
		return nil, fmt.Errorf("%s.apiTokens: provider type %q accepts only one token, got %d", field, c.Type, len(c.APITokens))
	}

	var err error
	if c.Timeout, err = uintField(v, "timeout", field, defaultTimeout); err != nil {
		return nil, err
	}
	if c.FirstByteTimeout, err = uintField(v, "firstByteTimeout", field, 0); err != nil {
		return nil, err
	}
	if err = c.parseResilience(v, field); err != nil {
		return nil, err
	}
	if c.ModelMapping, err = parseModelMapping(v.Get("modelMapping"), field+".modelMapping"); err != nil {
		return nil, err
	}
	switch p := v.Get("protocol").String(); p {
	case "", "openai":
	case "original":
		c.Original = true
	default:
		return nil, fmt.Errorf("%s.protocol: %q is not one of openai, original", field, p)
	}
	settingsProtocol, rawPrefix := "openai", ""
	if c.Original {
		settingsProtocol, rawPrefix = spec.Settings, spec.RawSettingsPrefix
	}
	if c.CustomSettings, err = parseCustomSettings(v.Get("customSettings"), field+".customSettings", settingsProtocol, rawPrefix); err != nil {
		return nil, err
	}
	for _, s := range c.CustomSettings {
		if s.path == "stream_options" || strings.HasPrefix(s.path, "stream_options.") {
			c.settingsOwnStreamOptions = true
		}
	}
	if c.Context, err = parseContext(v.Get("context"), field+".context"); err != nil {
		return nil, err
	}
	switch m := strings.ToLower(v.Get("reasoningContentMode").String()); m {
	case "", "passthrough":
		c.ReasoningContentMode = "passthrough"
	case "ignore", "concat":
		c.ReasoningContentMode = m
	default:
		return nil, fmt.Errorf("%s.reasoningContentMode: %q is not one of passthrough, ignore, concat", field, m)
	}
	for i, cmd := range v.Get("contextCleanupCommands").Array() {
		if cmd.Type != gjson.String {
			return nil, fmt.Errorf("%s.contextCleanupCommands[%d]: must be a string", field, i)
		}
		if cmd.Str != "" {
			c.ContextCleanupCommands = append(c.ContextCleanupCommands, cmd.Str)
		}
	}
	hiclaw := v.Get("hiclawMode").Bool()
	c.MergeConsecutiveMessages = hiclaw || v.Get("mergeConsecutiveMessages").Bool()
	c.PromoteThinkingOnEmpty = hiclaw || v.Get("promoteThinkingOnEmpty").Bool()
	c.BasePath = v.Get("basePath").String()
	switch h := v.Get("basePathHandling").String(); h {
	case "", "removePrefix":
	case "prepend":
		c.BasePathPrepend = true
	default:
		return nil, fmt.Errorf("%s.basePathHandling: %q is not one of removePrefix, prepend", field, h)
	}
	if c.BasePath != "" && !strings.HasPrefix(c.BasePath, "/") {
		return nil, fmt.Errorf("%s.basePath: %q must start with /", field, c.BasePath)
	}
	c.ProviderBasePath = strings.TrimRight(v.Get("providerBasePath").String(), "/")
	if c.ProviderBasePath != "" && !strings.HasPrefix(c.ProviderBasePath, "/") {
		return nil, fmt.Errorf("%s.providerBasePath: %q must start with /", field, c.ProviderBasePath)
	}

	c.OpenAICustomURL = v.Get("openaiCustomUrl").String()
	if s := v.Get("responseJsonSchema"); s.Exists() && s.Type != gjson.Null {
		if !s.IsObject() {
			return nil, fmt.Errorf("%s.responseJsonSchema: must be an object", field)
		}
		c.ResponseJSONSchema = s.Raw
	}
	c.AzureServiceURL = v.Get("azureServiceUrl").String()
	c.MoonshotFileID = v.Get("moonshotFileId").String()
	c.QwenEnableSearch = v.Get("qwenEnableSearch").Bool()
	for _, id := range v.Get("qwenFileIds").Array() {
		c.QwenFileIDs = append(c.QwenFileIDs, id.String())
	}
	c.QwenDomain = v.Get("qwenDomain").String()
	// Like Higress: compatible mode unless explicitly disabled.
	c.QwenEnableCompatible = true
	if q := v.Get("qwenEnableCompatible"); q.Exists() {
		c.QwenEnableCompatible = q.Bool()
	}
	c.OllamaServerHost = v.Get("ollamaServerHost").String()
	if c.OllamaServerPort, err = uintField(v, "ollamaServerPort", field, 11434); err != nil {
		return nil, err
	}
	c.ComfyUIServerHost = v.Get("comfyuiServerHost").String()
	if c.ComfyUIServerPort, err = uintField(v, "comfyuiServerPort", field, 8188); err != nil {
		return nil, err
	}
	c.APIVersion = v.Get("claudeVersion").String()
	if c.APIVersion == "" {
		c.APIVersion = v.Get("apiVersion").String()
	}
	c.CloudflareAccountID = v.Get("cloudflareAccountId").String()
	c.MinimaxGroupID = v.Get("minimaxGroupId").String()
	g := v.Get("geminiSafetySetting")
	if !g.Exists() && c.Type == "vertex" {
		g = v.Get("vertexGeminiSafetySetting") // the name in Higress's README
	}
	if g.IsObject() {
		c.GeminiSafetySetting = map[string]string{}
		g.ForEach(func(k, val gjson.Result) bool { c.GeminiSafetySetting[k.String()] = val.String(); return true })
	}
	c.GeminiThinkingBudget = v.Get("geminiThinkingBudget").Int()
	c.TargetLang = v.Get("targetLang").String()
	c.GenericHost = v.Get("genericHost").String()
	c.VLLMServerHost = v.Get("vllmServerHost").String()
	c.VLLMCustomURL = v.Get("vllmCustomUrl").String()
	c.DoubaoDomain = v.Get("doubaoDomain").String()
	c.ClaudeCodeMode = v.Get("claudeCodeMode").Bool()
	c.ZhipuDomain = v.Get("zhipuDomain").String()
	c.ZhipuCodePlanMode = v.Get("zhipuCodePlanMode").Bool()
	c.HunyuanAuthID, c.HunyuanAuthKey = v.Get("hunyuanAuthId").String(), v.Get("hunyuanAuthKey").String()
	c.AWS = readAWSConfig(v)
	c.Agents = readAgentsConfig(v) // dify, triton
	c.Vertex = readVertexConfig(v)
	if c.Context != nil && (c.MoonshotFileID != "" || len(c.QwenFileIDs) > 0) {
		return nil, fmt.Errorf("%s.context: cannot be used together with moonshotFileId or qwenFileIds", field)
	}

	c.timeoutHeader = strconv.FormatUint(uint64(c.Timeout), 10)
	c.firstByteHeader = strconv.FormatUint(uint64(c.FirstByteTimeout), 10)
	c.authHeader = strings.ToLower(spec.Auth.Header)
	for _, t := range c.APITokens {
		c.authValues = append(c.authValues, spec.Auth.Prefix+t)
	}
	c.Host = spec.Host
	c.Capabilities = make(map[API]string, len(spec.Paths))
	for api, p := range spec.Paths {
		c.Capabilities[api] = p
	}
	if spec.Setup != nil {
		if err := spec.Setup(c); err != nil {
			return nil, fmt.Errorf("%s.%v", field, err)
		}
	}
	// Config capabilities override the provider's defaults.
	var capErr error
	v.Get("capabilities").ForEach(func(k, p gjson.Result) bool {
		if p.Type != gjson.String || !strings.HasPrefix(p.String(), "/") {
			capErr = fmt.Errorf("%s.capabilities[%q]: path must be a string starting with /", field, k.String())
			return false
		}
		c.Capabilities[API(k.String())] = p.String()
		return true
	})
	if capErr != nil {
		return nil, capErr
	}
	if d := v.Get("providerDomain").String(); d != "" {
		if strings.ContainsAny(d, "/ ") {
			return nil, fmt.Errorf("%s.providerDomain: %q must be a host name (with optional port), no scheme or path", field, d)
		}
		c.Host = d
	}
	if c.Host == "" && !spec.RouteHost {
		return nil, fmt.Errorf("%s: provider type %q needs an upstream host (set providerDomain)", field, c.Type)
	}
	return c, nil
}

// Spec returns the provider type's description.
func (c *Config) Spec() *Spec { return c.spec }

// anySet reports whether any of the named fields holds a non-empty value.
func anySet(v gjson.Result, fields []string) bool {
	for _, f := range fields {
		if x := v.Get(f); x.Exists() && x.String() != "" {
			return true
		}
	}
	return false
}

func uintField(v gjson.Result, name, field string, def uint32) (uint32, error) {
	f := v.Get(name)
	if !f.Exists() || f.Type == gjson.Null {
		return def, nil
	}
	if f.Type != gjson.Number || f.Num < 0 || f.Num != float64(uint32(f.Num)) {
		return 0, fmt.Errorf("%s.%s: %s is not a non-negative whole number", field, name, f.Raw)
	}
	if f.Num == 0 {
		return def, nil
	}
	return uint32(f.Num), nil
}

func parseContext(v gjson.Result, field string) (*ContextConfig, error) {
	if !v.Exists() || v.Type == gjson.Null {
		return nil, nil
	}
	if a := v.Array(); v.IsArray() && len(a) == 1 {
		v = a[0] // a list of one, as Higress's README writes it
	}
	c := &ContextConfig{
		FileURL:     v.Get("fileUrl").String(),
		ServiceName: v.Get("serviceName").String(),
		ServicePort: uint32(v.Get("servicePort").Uint()),
	}
	switch {
	case c.FileURL == "":
		return nil, fmt.Errorf("%s.fileUrl: required", field)
	case c.ServiceName == "":
		return nil, fmt.Errorf("%s.serviceName: required", field)
	case c.ServicePort == 0:
		return nil, fmt.Errorf("%s.servicePort: required", field)
	}
	u, ok := splitURL(c.FileURL)
	if !ok || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("%s.fileUrl: %q is not an http(s) URL", field, c.FileURL)
	}
	c.ServiceHost = u.Host
	c.Path = u.Path
	if c.Path == "" {
		c.Path = "/"
	}
	if u.RawQuery != "" {
		c.Path += "?" + u.RawQuery
	}
	return c, nil
}

func sortedTypes() []string {
	t := Types()
	sort.Strings(t)
	return t
}

// hostURL is a URL split into the parts the config needs. net/url is not used: it
// costs about 150 KB of wasm for what a few string cuts do here.
type hostURL struct{ Scheme, Host, Path, RawQuery string }

// splitURL splits scheme://host[:port][/path][?query]; ok is false without a scheme
// or host, or with characters no URL holds.
func splitURL(raw string) (u hostURL, ok bool) {
	if strings.ContainsAny(raw, " \t\r\n") {
		return u, false
	}
	scheme, rest, found := strings.Cut(raw, "://")
	if !found || scheme == "" {
		return u, false
	}
	u.Scheme = strings.ToLower(scheme)
	rest, _, _ = strings.Cut(rest, "#")
	rest, u.RawQuery, _ = strings.Cut(rest, "?")
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		u.Host, u.Path = rest[:i], rest[i:]
	} else {
		u.Host = rest
	}
	if u.Host == "" || strings.ContainsAny(u.Host, "@") {
		return u, false
	}
	return u, true
}

// parseHostURL reads a URL that must have a host (the scheme may be left out); field
// names it in the error.
func parseHostURL(raw, field string) (hostURL, error) {
	s := raw
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, ok := splitURL(s)
	if !ok {
		return u, fmt.Errorf("%s: %q is not a valid URL", field, raw)
	}
	return u, nil
}

// queryHas reports whether a raw query string has a non-empty parameter name.
func queryHas(rawQuery, name string) bool {
	for _, kv := range strings.Split(rawQuery, "&") {
		if v, ok := strings.CutPrefix(kv, name+"="); ok && v != "" {
			return true
		}
	}
	return false
}
