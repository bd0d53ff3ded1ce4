package provider

import (
	"fmt"

	"github.com/ai-proxy/ai-proxy/provider/minimax"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// MiniMax: type "minimax" (package minimax). Chat goes to ChatCompletion v2
// (OpenAI-like), or to ChatCompletion Pro when `minimaxGroupId` is set and the model is
// one of minimax.ProModels. Bearer token.
func init() {
	register("minimax", &Spec{
		Host:     "api.minimax.chat",
		Paths:    map[API]string{APIChatCompletion: minimax.PathV2},
		Settings: "minimax",
		Setup: func(c *Config) error {
			// As Higress: a mapping onto a Pro model needs the group id.
			if c.MinimaxGroupID == "" && c.ModelMapping != nil {
				for m := range minimax.ProModels {
					if c.ModelMapping.targets(m) {
						return fmt.Errorf("minimaxGroupId: required when modelMapping names %s (a ChatCompletion Pro model)", m)
					}
				}
			}
			return nil
		},
		Translate: func(c *Config, r *Request) translator.Translator {
			if r.API == APIChatCompletion {
				return minimax.NewChat(minimax.Options{GroupID: c.MinimaxGroupID})
			}
			return nil
		},
	})
}

// targets reports whether the mapping sends some model to target (regex targets with
// references are not expanded).
func (m *ModelMapping) targets(target string) bool {
	for _, t := range m.exact {
		if t == target {
			return true
		}
	}
	for _, p := range m.prefixes {
		if p.target == target {
			return true
		}
	}
	for _, r := range m.regexes {
		if r.target == target {
			return true
		}
	}
	return m.wildcard != nil && *m.wildcard == target
}
