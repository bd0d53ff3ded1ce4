package provider

import (
	"errors"
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/dify"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// Dify: the service API of a Dify app, type "dify" (package dify). `botType` (Chat,
// Completion, Agent, Workflow; default Chat) picks the endpoint; `difyApiUrl` names a
// self-hosted Dify (its host, and a path prefix before /v1 if it has one), else
// api.dify.ai; Workflow apps
// need `inputVariable` and `outputVariable`. Bearer token (the app's API key). A
// conversation is continued with the client's `ConversationId` header.
func init() {
	register("dify", &Spec{
		Host:           "api.dify.ai",
		Paths:          map[API]string{APIChatCompletion: dify.PathChat},
		Setup:          setupDify,
		RequestHeaders: difyHeaders,
		HeldStreams:    true, // Agent apps stream only (dify.Converter collects)
		Translate: func(c *Config, r *Request) translator.Translator {
			if r.API != APIChatCompletion && r.UpstreamAPI != APIChatCompletion {
				return nil
			}
			return dify.New(c.Agents.dify)
		},
	})
}

// AgentsConfig holds the fields of the dify and triton provider types (`difyApiUrl`,
// `botType`, `inputVariable`, `outputVariable`, `tritonDomain`, `tritonModelVersion`).
type AgentsConfig struct {
	DifyAPIURL, BotType, InputVariable, OutputVariable string
	TritonDomain, TritonModelVersion                   string

	dify dify.Options // built by setupDify
}

func readAgentsConfig(v gjson.Result) AgentsConfig {
	return AgentsConfig{
		DifyAPIURL:         v.Get("difyApiUrl").String(),
		BotType:            v.Get("botType").String(),
		InputVariable:      v.Get("inputVariable").String(),
		OutputVariable:     v.Get("outputVariable").String(),
		TritonDomain:       v.Get("tritonDomain").String(),
		TritonModelVersion: v.Get("tritonModelVersion").String(),
	}
}

func setupDify(c *Config) error {
	a := &c.Agents
	bot, ok := dify.ParseBot(a.BotType)
	if !ok {
		return errors.New("botType: " + quoteField(a.BotType) + " is not one of Chat, Completion, Agent, Workflow")
	}
	a.dify = dify.Options{Bot: bot, InputVariable: a.InputVariable, OutputVariable: a.OutputVariable}
	if bot == dify.Workflow {
		switch {
		case a.InputVariable == "":
			return errors.New("inputVariable: required when botType is Workflow (the workflow's input variable that gets the messages)")
		case a.OutputVariable == "":
			return errors.New("outputVariable: required when botType is Workflow (the workflow's output variable that holds the answer)")
		}
	}
	prefix := ""
	if a.DifyAPIURL != "" {
		u, err := parseHostURL(a.DifyAPIURL, "difyApiUrl")
		if err != nil {
			return err
		}
		c.Host = u.Host
		// Dify's console shows the API base as https://host/v1; a path before /v1 is a
		// self-hosted Dify behind a prefix.
		prefix = strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/v1")
	}
	c.Capabilities[APIChatCompletion] = prefix + bot.Path()
	return nil
}

func quoteField(s string) string { return string(translator.AppendString(nil, s)) }

// conversationHeader is the request header naming the Dify conversation to continue.
const conversationHeader = "conversationid"

// difyHeaders hands the client's ConversationId header (Higress's name) to the request's
// converter.
func difyHeaders(c *Config, r *Request, h Headers) {
	if d, ok := r.translator.(*dify.Converter); ok {
		if id := strings.TrimSpace(h.Get(conversationHeader)); id != "" {
			d.SetConversation(id)
		}
	}
}
