package provider

import (
	"errors"
	"strings"
	"sync"

	"github.com/ai-proxy/ai-proxy/provider/hunyuan"
	"github.com/ai-proxy/ai-proxy/provider/sign"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// Hunyuan: Tencent Hunyuan, type "hunyuan". With `hunyuanAuthId` and `hunyuanAuthKey`
// (a Tencent Cloud SecretId and SecretKey) OpenAI chat is converted to the
// ChatCompletions action of hunyuan.tencentcloudapi.com (POST /, API version
// 2023-09-01) and every request is signed with TC3-HMAC-SHA256 over its final body;
// apiTokens may then be empty (the configuration reference's example has `[""]`).
// Without them, apiTokens are bearer keys of Tencent's OpenAI-compatible endpoint
// api.hunyuan.cloud.tencent.com/v1 (chat completions, embeddings), passed through.
func init() {
	register("hunyuan", &Spec{
		Host:        hunyuan.OpenAIHost,
		Paths:       openAIPaths("/v1", APIChatCompletion, APIEmbeddings),
		Settings:    "hunyuan",
		KeylessWith: []string{"hunyuanAuthId", "hunyuanAuthKey"},
		Setup:       setupHunyuan,
		Translate:   translateHunyuan,
	})
}

func setupHunyuan(c *Config) error {
	id, key := c.HunyuanAuthID, c.HunyuanAuthKey
	switch {
	case id == "" && key == "":
		if len(c.APITokens) == 0 {
			return errors.New("hunyuanAuthId: required with hunyuanAuthKey for the Tencent Cloud API " +
				"(or set apiTokens for the OpenAI-compatible endpoint " + hunyuan.OpenAIHost + ")")
		}
		return nil
	case id == "":
		return errors.New("hunyuanAuthId: required when hunyuanAuthKey is set")
	case key == "":
		return errors.New("hunyuanAuthKey: required when hunyuanAuthId is set")
	case strings.ContainsAny(id, " \t\r\n,/"):
		return errors.New("hunyuanAuthId: must be a Tencent Cloud SecretId (no spaces, commas or slashes)")
	case strings.ContainsAny(key, "\r\n"):
		return errors.New("hunyuanAuthKey: must be one line") // the key itself is never shown
	case c.Original:
		return errors.New(`protocol: "original" is not supported with hunyuanAuthId/hunyuanAuthKey ` +
			"(requests must be converted to be signed); use the default openai protocol")
	}
	c.Host = hunyuan.Host
	c.Capabilities = map[API]string{APIChatCompletion: "/"}
	return nil
}

func translateHunyuan(c *Config, r *Request) translator.Translator {
	if c.HunyuanAuthID == "" || r.API != APIChatCompletion {
		return nil
	}
	return hunyuan.NewChat(hunyuan.Options{Credential: tc3Of(c.HunyuanAuthID, c.HunyuanAuthKey), Host: c.Host})
}

// tc3s holds one signer per credential, kept across requests: it derives the day's
// signing key once (three HMACs, a third of a signed request's cost in wasm). Only the
// credentials of configurations are kept, at most 64.
var tc3s struct {
	sync.Mutex
	m map[[2]string]*sign.TC3
}

func tc3Of(id, key string) *sign.TC3 {
	tc3s.Lock()
	defer tc3s.Unlock()
	k := [2]string{id, key}
	if s := tc3s.m[k]; s != nil {
		return s
	}
	if tc3s.m == nil || len(tc3s.m) >= 64 { // keys rotated many times: start again
		tc3s.m = map[[2]string]*sign.TC3{}
	}
	s := &sign.TC3{SecretID: id, SecretKey: key, Service: hunyuan.Service}
	tc3s.m[k] = s
	return s
}
