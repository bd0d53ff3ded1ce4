package provider

import (
	"fmt"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// settingNames is the `auto`-mode rename table of the configuration reference: the
// standard name → its name in each protocol. A protocol missing from a row does not
// support the parameter, and the setting has no effect there.
var settingNames = map[string]map[string]string{
	"max_tokens": {"openai": "max_tokens", "baidu": "max_output_tokens", "spark": "max_tokens",
		"qwen": "max_tokens", "gemini": "maxOutputTokens", "claude": "max_tokens", "minimax": "tokens_to_generate"},
	"temperature": {"openai": "temperature", "baidu": "temperature", "spark": "temperature", "qwen": "temperature",
		"gemini": "temperature", "hunyuan": "Temperature", "claude": "temperature", "minimax": "temperature"},
	"top_p": {"openai": "top_p", "baidu": "top_p", "qwen": "top_p", "gemini": "topP", "hunyuan": "TopP",
		"claude": "top_p", "minimax": "top_p"},
	"top_k": {"spark": "top_k", "gemini": "topK", "claude": "top_k"},
	"seed":  {"openai": "seed", "qwen": "seed"},
}

// CustomSetting is one `customSettings` entry, resolved for the provider and protocol:
// path is where the value goes in the request body.
type CustomSetting struct {
	path      string
	value     string // raw JSON
	overwrite bool
}

// parseCustomSettings reads `customSettings`. protocol is "openai" for the OpenAI
// protocol, or the provider's settings column for `protocol: original`; rawPrefix is
// the provider's injection subpath in that case (e.g. "parameters." for qwen).
func parseCustomSettings(v gjson.Result, field, protocol, rawPrefix string) ([]CustomSetting, error) {
	if !v.Exists() || v.Type == gjson.Null {
		return nil, nil
	}
	if !v.IsArray() {
		return nil, fmt.Errorf("%s: must be a list of {name, value, mode, overwrite}", field)
	}
	var out []CustomSetting
	for i, s := range v.Array() {
		f := fmt.Sprintf("%s[%d]", field, i)
		name := s.Get("name").String()
		if name == "" {
			return nil, fmt.Errorf("%s.name: required", f)
		}
		val := s.Get("value")
		if !val.Exists() {
			return nil, fmt.Errorf("%s.value: required", f)
		}
		mode := "auto"
		if m := s.Get("mode"); m.Exists() {
			mode = m.String()
		}
		overwrite := true
		if o := s.Get("overwrite"); o.Exists() {
			overwrite = o.Bool()
		}
		switch mode {
		case "raw":
		case "auto":
			renamed, ok := settingNames[name][protocol]
			if !ok {
				continue // not supported by this protocol: no effect, as documented
			}
			name = renamed
		default:
			return nil, fmt.Errorf("%s.mode: %q is not one of auto, raw", f, mode)
		}
		out = append(out, CustomSetting{path: rawPrefix + name, value: val.Raw, overwrite: overwrite})
	}
	return out, nil
}

// applyCustomSettings edits body in place (sjson), leaving every other field as it was.
func applyCustomSettings(body []byte, settings []CustomSetting) ([]byte, error) {
	var err error
	for _, s := range settings {
		if !s.overwrite && gjson.GetBytes(body, s.path).Exists() {
			continue
		}
		if body, err = sjson.SetRawBytes(body, s.path, []byte(s.value)); err != nil {
			return body, err
		}
	}
	return body, nil
}
