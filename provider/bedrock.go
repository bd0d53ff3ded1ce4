package provider

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/ai-proxy/ai-proxy/provider/bedrock"
	"github.com/ai-proxy/ai-proxy/provider/sign"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// bedrockEventStream is the content type of ConverseStream answers.
const bedrockEventStream = "application/vnd.amazon.eventstream"

// Bedrock: Amazon Bedrock Runtime, type "bedrock". OpenAI chat is converted to Converse
// (ConverseStream for streams, an AWS event-stream), host
// bedrock-runtime.{awsRegion}.amazonaws.com. Credentials are either AWS keys
// (`awsAccessKey`, `awsSecretKey`, optionally `awsSessionToken`), with every request
// signed by SigV4 over its final body, or Bedrock API keys in `apiTokens` (bearer).
// `bedrockAdditionalFields` go into additionalModelRequestFields. Anthropic and
// Responses clients reach it through the chat bridges.
func init() {
	register("bedrock", &Spec{
		Paths:             map[API]string{APIChatCompletion: "/model/{model}/converse", APIImageGeneration: "/model/{model}/invoke"},
		StreamContentType: bedrockEventStream,
		KeylessWith:       []string{"awsAccessKey", "awsSecretKey"},
		// Bedrock Runtime's own routes, passed with protocol: original (signed).
		NativePrefixes: []string{"/model/", "/async-invoke", "/guardrail/"},
		Setup:          setupBedrock,
		Translate:      translateBedrock,
	})
}

// AWSConfig holds the AWS fields of a provider config (`awsRegion`, `awsAccessKey`,
// `awsSecretKey`, `awsSessionToken`, `bedrockAdditionalFields`).
type AWSConfig struct {
	Region, AccessKey, SecretKey, SessionToken string
	AdditionalFields                           string // raw JSON object
	// `bedrockPromptCachePointPositions` (raw JSON object) and `promptCacheRetention`.
	CachePointPositions, CacheRetention string

	bedrock *bedrock.Options // built by setupBedrock, shared read-only by requests
}

func readAWSConfig(v gjson.Result) AWSConfig {
	a := AWSConfig{
		Region:       v.Get("awsRegion").String(),
		AccessKey:    v.Get("awsAccessKey").String(),
		SecretKey:    v.Get("awsSecretKey").String(),
		SessionToken: v.Get("awsSessionToken").String(),
	}
	if f := v.Get("bedrockAdditionalFields"); f.Exists() {
		a.AdditionalFields = f.Raw
	}
	if f := v.Get("bedrockPromptCachePointPositions"); f.Exists() {
		a.CachePointPositions = f.Raw
	}
	a.CacheRetention = v.Get("promptCacheRetention").String()
	return a
}

func setupBedrock(c *Config) error {
	a := &c.AWS
	switch {
	case a.Region == "":
		return errors.New("awsRegion: required for provider type \"bedrock\" (e.g. us-east-1)")
	case strings.ContainsAny(a.Region, "/.: "):
		return errors.New("awsRegion: " + a.Region + " is not a region name such as us-east-1")
	case a.AccessKey != "" && a.SecretKey == "":
		return errors.New("awsSecretKey: required with awsAccessKey")
	case a.SecretKey != "" && a.AccessKey == "":
		return errors.New("awsAccessKey: required with awsSecretKey")
	case a.AccessKey == "" && len(c.APITokens) == 0:
		return errors.New("awsAccessKey: provider type \"bedrock\" needs awsAccessKey and awsSecretKey, or Bedrock API keys in apiTokens")
	case a.SessionToken != "" && a.AccessKey == "":
		return errors.New("awsSessionToken: needs awsAccessKey and awsSecretKey")
	}
	if f := strings.TrimSpace(a.AdditionalFields); f != "" && !gjson.Parse(f).IsObject() {
		return errors.New("bedrockAdditionalFields: must be an object")
	}
	c.Host = "bedrock-runtime." + a.Region + ".amazonaws.com"
	a.bedrock = &bedrock.Options{Host: c.Host, AdditionalFields: a.AdditionalFields, CacheRetention: a.CacheRetention}
	if _, ok := bedrock.CacheTTL(a.CacheRetention); a.CacheRetention != "" && !ok {
		return errors.New("promptCacheRetention: " + strconv.Quote(a.CacheRetention) + " is not in_memory or 24h")
	}
	points, err := readCachePoints(a.CachePointPositions)
	if err != nil {
		return err
	}
	a.bedrock.CachePoints = points
	if a.AccessKey != "" {
		a.bedrock.Key = &sign.AWS{AccessKey: a.AccessKey, SecretKey: a.SecretKey, SessionToken: a.SessionToken, Region: a.Region, Service: "bedrock"}
		if c.Original {
			c.signRequest = signBedrockNative
		}
	}
	return nil
}

// bedrockNow is the signing clock of native requests; tests fix it.
var bedrockNow = time.Now

// signBedrockNative signs a native Bedrock request (`protocol: original`: /model/{id}/
// converse, invoke, ...) with SigV4 over its path, query and body as they leave.
func signBedrockNative(r *Request, body []byte, h Headers) {
	c := r.Config
	k := c.AWS.bedrock.Key
	path, query, _ := strings.Cut(r.Path, "?")
	method := h.Get(":method")
	if method == "" {
		method = "POST"
	}
	date := sign.AmzDate(bedrockNow())
	hs := []sign.Header{{Name: "host", Value: c.Host}, {Name: "x-amz-date", Value: date}}
	h.Set("x-amz-date", date)
	if k.SessionToken != "" {
		hs = append(hs, sign.Header{Name: "x-amz-security-token", Value: k.SessionToken})
		h.Set("x-amz-security-token", k.SessionToken)
	}
	hash := ""
	if len(body) > 0 {
		hash = sign.PayloadHash(body)
	}
	h.Set("authorization", k.Sign(&sign.Request{Method: method, Path: path, Query: query, Headers: hs, PayloadHash: hash}, date))
}

func translateBedrock(c *Config, r *Request) translator.Translator {
	if r.API != APIChatCompletion && r.API != APIImageGeneration {
		return nil
	}
	o := c.AWS.bedrock
	if c.Host != o.Host { // providerDomain: the signed host is the one reached
		cp := *o
		cp.Host = c.Host
		o = &cp
	}
	if r.API == APIImageGeneration {
		return bedrock.NewImages(o)
	}
	return bedrock.NewChat(o)
}

// streamAccept is the accept header of a streaming request: the spec's stream content
// type, else SSE.
func (c *Config) streamAccept() string {
	if c.spec.StreamContentType != "" {
		return c.spec.StreamContentType
	}
	return "text/event-stream"
}

// readCachePoints reads `bedrockPromptCachePointPositions`, an object of booleans keyed
// systemPrompt, lastUserMessage, lastMessage (any case, with or without _ or -). Unset,
// only the system prompt gets a cache point, as in Higress.
func readCachePoints(raw string) (bedrock.CachePoints, error) {
	if strings.TrimSpace(raw) == "" {
		return bedrock.CachePoints{System: true}, nil
	}
	obj := gjson.Parse(raw)
	if !obj.IsObject() {
		return bedrock.CachePoints{}, errors.New("bedrockPromptCachePointPositions: must be an object of booleans")
	}
	var p bedrock.CachePoints
	var err error
	obj.ForEach(func(k, v gjson.Result) bool {
		if v.Type != gjson.True && v.Type != gjson.False {
			err = errors.New("bedrockPromptCachePointPositions." + k.String() + ": must be true or false")
			return false
		}
		on := v.Bool()
		switch strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(k.String())) {
		case "systemprompt":
			p.System = on
		case "lastusermessage":
			p.LastUser = on
		case "lastmessage":
			p.Last = on
		default:
			err = errors.New("bedrockPromptCachePointPositions: unknown position " + strconv.Quote(k.String()) + " (systemPrompt, lastUserMessage, lastMessage)")
			return false
		}
		return true
	})
	return p, err
}
