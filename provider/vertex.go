package provider

import (
	"errors"
	"strings"
	"time"

	"github.com/ai-proxy/ai-proxy/provider/gemini"
	"github.com/ai-proxy/ai-proxy/provider/sign"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/ai-proxy/ai-proxy/provider/vertex"
	"github.com/tidwall/gjson"
)

// Vertex: Google Vertex AI, type "vertex". Two ways in:
//
//   - a service account (`vertexAuthKey`, its JSON key; `vertexRegion`,
//     `vertexProjectId`, `vertexAuthServiceName` the gateway service of
//     oauth2.googleapis.com): the plugin signs an RS256 JWT, exchanges it for an OAuth
//     access token by callout, caches it for every VM and refreshes it
//     `vertexTokenRefreshAhead` seconds (default 60) before it expires
//     (Config.Credential, plugins/ai-proxy/token.go); host {region}-aiplatform.googleapis.com
//     (aiplatform.googleapis.com for region global), paths below
//     /v1/projects/{project}/locations/{region};
//   - express mode: API keys in `apiTokens`, sent as x-goog-api-key, host
//     aiplatform.googleapis.com, paths below /v1.
//
// OpenAI chat goes to publishers/google/models/M:generateContent through the gemini
// converter, or for claude* models to publishers/anthropic/models/M:rawPredict through
// the Claude converter (provider/vertex); embeddings to M:predict. With
// `vertexOpenAICompatible` chat passes through to Vertex's OpenAI-compatible endpoint
// (endpoints/openapi/chat/completions). Native Vertex paths (…/publishers/P/models/M:
// method) pass through with credentials.
func init() {
	register("vertex", &Spec{
		Auth:              Auth{Header: "x-goog-api-key"},
		Settings:          "gemini",
		RawSettingsPrefix: "generation_config.",
		KeylessWith:       []string{"vertexAuthKey"},
		Setup:             setupVertex,
		Translate:         translateVertex,
	})
}

// VertexConfig holds the Vertex AI fields of a provider config.
type VertexConfig struct {
	AuthKey          string // `vertexAuthKey`: the service account's JSON key; never logged
	Region           string // `vertexRegion`
	ProjectID        string // `vertexProjectId`
	AuthServiceName  string // `vertexAuthServiceName`
	RefreshAhead     int64  // `vertexTokenRefreshAhead`, seconds
	OpenAICompatible bool   // `vertexOpenAICompatible`
}

// defaultVertexRefreshAhead is Higress's default `vertexTokenRefreshAhead`.
const defaultVertexRefreshAhead = 60

func readVertexConfig(v gjson.Result) VertexConfig {
	return VertexConfig{
		AuthKey:          v.Get("vertexAuthKey").String(),
		Region:           v.Get("vertexRegion").String(),
		ProjectID:        v.Get("vertexProjectId").String(),
		AuthServiceName:  v.Get("vertexAuthServiceName").String(),
		RefreshAhead:     v.Get("vertexTokenRefreshAhead").Int(),
		OpenAICompatible: v.Get("vertexOpenAICompatible").Bool(),
	}
}

func setupVertex(c *Config) error {
	x := &c.Vertex
	var prefix string // of every model path
	if len(c.APITokens) > 0 {
		// Express mode: the API key is the credential, no project or region in paths.
		if x.OpenAICompatible {
			return errors.New("vertexOpenAICompatible: needs a service account (vertexAuthKey); express mode (apiTokens) has no OpenAI-compatible endpoint")
		}
		c.Host, prefix = "aiplatform.googleapis.com", "/v1"
	} else {
		if x.AuthKey == "" {
			return errors.New("vertexAuthKey: required for provider type \"vertex\" (a service account's JSON key), or API keys in apiTokens for express mode")
		}
		sa, err := sign.ParseServiceAccount(x.AuthKey)
		if err != nil {
			return errors.New("vertexAuthKey: " + err.Error())
		}
		if x.ProjectID == "" {
			x.ProjectID = sa.ProjectID
		}
		switch {
		case x.Region == "":
			return errors.New("vertexRegion: required for provider type \"vertex\" (e.g. us-central1, or global)")
		case strings.ContainsAny(x.Region, "/.: ?"):
			return errors.New("vertexRegion: " + x.Region + " is not a region name such as us-central1")
		case x.ProjectID == "":
			return errors.New("vertexProjectId: required for provider type \"vertex\" (the key names no project_id)")
		case strings.ContainsAny(x.ProjectID, "/: ?"):
			return errors.New("vertexProjectId: " + x.ProjectID + " is not a project id")
		case x.AuthServiceName == "":
			return errors.New("vertexAuthServiceName: required for provider type \"vertex\" with vertexAuthKey (the gateway service of oauth2.googleapis.com)")
		case x.RefreshAhead < 0:
			return errors.New("vertexTokenRefreshAhead: must not be negative")
		}
		if x.RefreshAhead == 0 {
			x.RefreshAhead = defaultVertexRefreshAhead
		}
		c.Credential, err = vertexCredential(sa, x)
		if err != nil {
			return err
		}
		c.Host = "aiplatform.googleapis.com"
		if x.Region != "global" {
			c.Host = x.Region + "-" + c.Host
		}
		prefix = "/v1/projects/" + x.ProjectID + "/locations/" + x.Region
	}
	if x.OpenAICompatible {
		c.Capabilities[APIChatCompletion] = "/v1beta1" + strings.TrimPrefix(prefix, "/v1") + "/endpoints/openapi/chat/completions"
	} else {
		c.Capabilities[APIChatCompletion] = prefix + "/publishers/google/models/{model}:generateContent"
		c.Capabilities[APIEmbeddings] = prefix + "/publishers/google/models/{model}:predict"
	}
	for _, a := range []API{APIVertexRaw, APIGeminiGenerate, APIGeminiStreamGenerat} {
		c.Capabilities[a] = keepPath
	}
	return nil
}

// vertexCredential is the OAuth access token of service account sa.
func vertexCredential(sa *sign.ServiceAccount, x *VertexConfig) (*Credential, error) {
	u, ok := splitURL(sa.TokenURI)
	if !ok || u.Scheme != "https" {
		return nil, errors.New("vertexAuthKey: token_uri is not an https URL")
	}
	path := u.Path
	if path == "" {
		path = "/"
	}
	cluster := x.AuthServiceName
	if !strings.Contains(cluster, "|") {
		// Higress's name for a DNS service (wasm-go DnsCluster); a full Envoy cluster
		// name (with '|') is used as written.
		cluster = "outbound|443||" + cluster + ".dns"
	}
	return &Credential{
		What:         "Vertex AI access token",
		Cluster:      cluster,
		Authority:    u.Host,
		Path:         path,
		Key:          "ai-proxy/credential/vertex/" + sa.Email + "/" + sa.KeyID,
		RefreshAhead: time.Duration(x.RefreshAhead) * time.Second,
		Header:       "authorization",
		Prefix:       "Bearer ",
		Request: func(now time.Time) ([]byte, error) {
			return sa.TokenRequest(sign.CloudPlatformScope, now)
		},
		Read: func(status int, body []byte) (string, time.Duration, error) {
			tok, ttl, err := sign.ReadTokenResponse(status, body)
			return tok, time.Duration(ttl) * time.Second, err
		},
	}, nil
}

func translateVertex(c *Config, r *Request) translator.Translator {
	if c.Vertex.OpenAICompatible {
		return nil // OpenAI in, OpenAI out
	}
	switch r.API {
	case APIChatCompletion:
		return vertex.NewChat(gemini.Options{SafetySettings: c.GeminiSafetySetting, ThinkingBudget: c.GeminiThinkingBudget})
	case APIEmbeddings:
		return gemini.NewPredictEmbeddings()
	}
	return nil
}
