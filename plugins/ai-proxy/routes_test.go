package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider"
	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm/types"
	"github.com/higress-group/wasm-go/pkg/test"
)

// routeProviders are the provider configs the default-route table runs against (the
// token is added per case).
var routeProviders = map[string]struct{ config, host, auth, prefix string }{
	"openai":  {`{"type":"openai"}`, "api.openai.com", "authorization", "Bearer "},
	"qwen":    {`{"type":"qwen"}`, "dashscope.aliyuncs.com", "authorization", "Bearer "},
	"claude":  {`{"type":"claude"}`, "api.anthropic.com", "x-api-key", ""},
	"comfyui": {`{"type":"comfyui","comfyuiServerHost":"comfy.internal"}`, "comfy.internal:8188", "authorization", "Bearer "},
	"vllm":    {`{"type":"vllm","vllmServerHost":"vllm.internal:8000"}`, "vllm.internal:8000", "authorization", "Bearer "},
	"cohere":  {`{"type":"cohere"}`, "api.cohere.com", "authorization", "Bearer "},
}

const (
	chatJSON   = `{"model":"m","messages":[{"role":"user","content":"hi"}]}`
	imageJSON  = `{"model":"qwen-image","prompt":"a cat","size":"1024x1024"}`
	editJSON   = `{"model":"qwen-image-edit","prompt":"hat","image":"https://x/cat.png"}`
	rerankJSON = `{"model":"gte-rerank","query":"q","documents":["a","b"]}`
	speechJSON = `{"model":"qwen3-tts-flash","input":"hello","voice":"Cherry","response_format":"pcm"}`
	taskJSON   = `{"model":"wan2.2-t2v-plus","input":{"prompt":"a cat"}}`
)

// routeCases: one row per default route (provider.DefaultRoutes) and provider type that
// serves it, with the method the client uses; every method of a route with several.
// upPath "" means the client's path unchanged; converted is whether the body is
// rewritten into another protocol.
var routeCases = []struct {
	method, path, body, typ string
	upPath                  string
	converted               bool
}{
	// Text generation
	{"POST", "/v1/chat/completions", chatJSON, "openai", "", false},
	{"POST", "/v1/chat/completions", chatJSON, "qwen", "/compatible-mode/v1/chat/completions", false},
	{"POST", "/v1/chat/completions", chatJSON, "vllm", "", false},
	{"POST", "/v1/completions", `{"model":"m","prompt":"hi"}`, "openai", "", false},
	{"POST", "/v1/completions", `{"model":"m","prompt":"hi"}`, "qwen", "/compatible-mode/v1/completions", false},
	{"POST", "/v1/responses", `{"model":"m","input":"hi"}`, "openai", "", false},
	{"POST", "/v1/responses", `{"model":"m","input":"hi"}`, "qwen", "/compatible-mode/v1/responses", false},
	{"GET", "/v1/conversations/conv_1", "", "openai", "", false},
	{"POST", "/v1/conversations/conv_1", `{"metadata":{"k":"v"}}`, "qwen", "/compatible-mode/v1/conversations/conv_1", false},
	{"DELETE", "/v1/conversations/conv_1", "", "qwen", "/compatible-mode/v1/conversations/conv_1", false},
	{"POST", "/v1/messages", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`, "claude", "", false},
	{"POST", "/v1/messages", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`, "qwen", "/apps/anthropic/v1/messages", false},

	// Image generation: DashScope
	{"POST", "/api/v1/services/aigc/text2image/image-synthesis", taskJSON, "qwen", "", false},
	{"POST", "/api/v1/services/aigc/image2image/image-synthesis", taskJSON, "qwen", "", false},
	{"POST", "/api/v1/services/aigc/image2image/out-painting", taskJSON, "qwen", "", false},
	{"POST", "/api/v1/services/aigc/virtualmodel/generation", taskJSON, "qwen", "", false},
	{"POST", "/api/v1/services/aigc/background-generation/generation/", taskJSON, "qwen", "", false},
	{"POST", "/api/v1/services/aigc/multimodal-generation/generation", taskJSON, "qwen", "", false},
	{"GET", "/api/v1/tasks/task-1", "", "qwen", "", false},
	{"POST", "/api/v1/tasks/task-1/cancel", "", "qwen", "", false},
	{"GET", "/api/v1/tasks?status=RUNNING", "", "qwen", "", false},
	// Image generation: OpenAI
	{"POST", "/v1/images/generations", imageJSON, "openai", "", false},
	{"POST", "/v1/images/generations", imageJSON, "qwen", "/api/v1/services/aigc/multimodal-generation/generation", true},
	{"POST", "/v1/images/edits", editJSON, "openai", "", false},
	{"POST", "/v1/images/edits", editJSON, "qwen", "/api/v1/services/aigc/multimodal-generation/generation", true},
	{"POST", "/v1/images/variations", "", "openai", "", false},
	// Image generation: ComfyUI (the WebSocket is TestWebSocketUpgradePassesThrough)
	{"GET", "/embeddings", "", "comfyui", "", false},
	{"GET", "/extensions", "", "comfyui", "", false},
	{"GET", "/features", "", "comfyui", "", false},
	{"GET", "/models", "", "comfyui", "", false},
	{"GET", "/models/checkpoints", "", "comfyui", "", false},
	{"GET", "/workflow_templates", "", "comfyui", "", false},
	{"POST", "/upload/image", "--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n\r\nPNG\r\n--b--\r\n", "comfyui", "", false},
	{"POST", "/upload/mask", "--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"m.png\"\r\n\r\nPNG\r\n--b--\r\n", "comfyui", "", false},
	{"GET", "/view?filename=ComfyUI_00001_.png&type=output", "", "comfyui", "", false},
	{"GET", "/view_metadata/loras?filename=a.safetensors", "", "comfyui", "", false},
	{"GET", "/system_stats", "", "comfyui", "", false},
	{"GET", "/prompt", "", "comfyui", "", false},
	{"POST", "/prompt", `{"prompt":{"3":{"class_type":"KSampler","inputs":{}}},"client_id":"c1"}`, "comfyui", "", false},
	{"POST", "/api/prompt", `{"prompt":{}}`, "comfyui", "", false},
	{"GET", "/object_info", "", "comfyui", "", false},
	{"GET", "/object_info/KSampler", "", "comfyui", "", false},
	{"GET", "/history?max_items=10", "", "comfyui", "", false},
	{"POST", "/history", `{"clear":true}`, "comfyui", "", false},
	{"GET", "/history/prompt-1", "", "comfyui", "", false},
	{"GET", "/queue", "", "comfyui", "", false},
	{"POST", "/queue", `{"delete":["prompt-1"]}`, "comfyui", "", false},
	{"POST", "/interrupt", `{}`, "comfyui", "", false},
	{"POST", "/free", `{"unload_models":true}`, "comfyui", "", false},
	{"GET", "/userdata?dir=workflows", "", "comfyui", "", false},
	{"GET", "/v2/userdata", "", "comfyui", "", false},
	{"GET", "/userdata/workflows%2Fa.json", "", "comfyui", "", false},
	{"POST", "/userdata/workflows%2Fa.json", `{"nodes":[]}`, "comfyui", "", false},
	{"DELETE", "/userdata/workflows%2Fa.json", "", "comfyui", "", false},
	{"POST", "/userdata/a.json/move/b.json", "", "comfyui", "", false},
	{"GET", "/users", "", "comfyui", "", false},
	{"POST", "/users", `{"username":"u"}`, "comfyui", "", false},

	// Video generation
	{"POST", "/api/v1/services/aigc/video-generation/video-synthesis", taskJSON, "qwen", "", false},
	{"POST", "/api/v1/services/aigc/image2video/video-synthesis", taskJSON, "qwen", "", false},
	{"GET", "/v1/videos", "", "openai", "", false},
	{"POST", "/v1/videos", "", "openai", "", false},
	{"GET", "/v1/videos/video_1", "", "openai", "", false},
	{"DELETE", "/v1/videos/video_1", "", "openai", "", false},
	{"GET", "/v1/videos/video_1/content", "", "openai", "", false},
	{"POST", "/v1/videos", "", "vllm", "", false},

	// Speech synthesis (the WebSocket is TestWebSocketUpgradePassesThrough)
	{"POST", "/api/v1/services/aigc/multimodal-generation/generation", `{"model":"qwen3-tts-flash","input":{"text":"hi","voice":"Cherry"}}`, "qwen", "", false},
	{"POST", "/v1/audio/speech", speechJSON, "openai", "", false},
	{"POST", "/v1/audio/speech", speechJSON, "qwen", "/api/v1/services/aigc/multimodal-generation/generation", true},
	{"POST", "/v1/audio/speech", speechJSON, "vllm", "", false},

	// Embedding
	{"POST", "/v1/embeddings", `{"model":"m","input":"hi"}`, "openai", "", false},
	{"POST", "/v1/embeddings", `{"model":"m","input":"hi"}`, "qwen", "/compatible-mode/v1/embeddings", false},

	// Rerank
	{"POST", "/api/v1/services/rerank/text-rerank/text-rerank", `{"model":"gte-rerank","input":{"query":"q","documents":["a"]}}`, "qwen", "", false},
	{"POST", "/compatible-api/v1/reranks", rerankJSON, "qwen", "", false},
	{"POST", "/v1/rerank", rerankJSON, "qwen", "/api/v1/services/rerank/text-rerank/text-rerank", true},
	{"POST", "/v1/rerank", rerankJSON, "vllm", "", false},
	{"POST", "/v1/rerank", rerankJSON, "cohere", "/v2/rerank", false},
	{"POST", "/v2/rerank", rerankJSON, "vllm", "", false},
	{"POST", "/v2/rerank", rerankJSON, "cohere", "/v2/rerank", false},
	{"POST", "/rerank", rerankJSON, "vllm", "", false},

	// Others
	{"GET", "/v1/models", "", "openai", "", false},
	{"GET", "/v1/models", "", "qwen", "/compatible-mode/v1/models", false},
	{"GET", "/v1/models/gpt-4o", "", "openai", "", false},
	{"DELETE", "/v1/models/ft:gpt-4o:acme", "", "openai", "", false},
	{"GET", "/v1/files", "", "openai", "", false},
	{"POST", "/v1/files", "--b\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--b--\r\n", "openai", "", false},
	{"GET", "/v1/files/file-1", "", "openai", "", false},
	{"DELETE", "/v1/files/file-1", "", "qwen", "/compatible-mode/v1/files/file-1", false},
	{"GET", "/v1/files/file-1/content", "", "openai", "", false},
	{"GET", "/v1/batches", "", "openai", "", false},
	{"POST", "/v1/batches", `{"input_file_id":"file-1","endpoint":"/v1/chat/completions","completion_window":"24h"}`, "qwen", "/compatible-mode/v1/batches", false},
	{"GET", "/v1/batches/batch_1", "", "openai", "", false},
	{"POST", "/v1/batches/batch_1/cancel", "", "openai", "", false},
	{"GET", "/v1/fine_tuning/jobs", "", "openai", "", false},
	{"POST", "/v1/fine_tuning/jobs", `{"model":"gpt-4o-mini","training_file":"file-1"}`, "vllm", "", false},
	{"GET", "/v1/fine_tuning/jobs/ftjob-1", "", "openai", "", false},
	{"POST", "/v1/fine_tuning/jobs/ftjob-1/cancel", "", "openai", "", false},
}

// TestDefaultRoutes runs every default route of every use case through the plugin, for
// each provider type that serves it, with and without a base path that is removed
// before forwarding (seed 001: base path /api, /api/users → /users): the upstream gets
// the provider's host, path and credentials, the client's key never, and the body is
// converted exactly where the protocols differ.
func TestDefaultRoutes(t *testing.T) {
	test.RunTest(t, func(t *testing.T) {
		for _, tt := range routeCases {
			p, ok := routeProviders[tt.typ]
			if !ok {
				t.Fatalf("no provider %q", tt.typ)
			}
			for _, base := range []string{"", "/api"} {
				t.Run(tt.method+" "+base+tt.path+" "+tt.typ, func(t *testing.T) {
					cfg := strings.Replace(p.config, "{", `{"apiTokens":["`+secretToken+`"],`, 1)
					if base != "" {
						cfg = strings.Replace(cfg, "{", `{"basePath":"`+base+`",`, 1)
					}
					host := newHost(t, `{"provider":`+cfg+`}`)
					defer host.Reset()
					hs := [][2]string{{":authority", "gateway.example.com"}, {":method", tt.method}, {":path", base + tt.path},
						{"authorization", "Bearer client-own-key"}}
					if tt.body != "" {
						ct := "application/json"
						if strings.HasPrefix(tt.body, "--b") {
							ct = "multipart/form-data; boundary=b"
						}
						hs = append(hs, [2]string{"content-type", ct})
					}
					a := host.CallOnHttpRequestHeaders(hs, test.WithEndOfStream(tt.body == ""))
					if local := host.GetLocalResponse(); local != nil {
						t.Fatalf("refused: %d %s", local.StatusCode, local.Data)
					}
					if tt.body != "" {
						if a == types.HeaderStopIteration {
							a = host.CallOnHttpRequestBody([]byte(tt.body))
						} else if a := host.CallOnHttpStreamingRequestBody([]byte(tt.body), true); a != types.ActionContinue {
							t.Fatalf("passthrough body held: action %v", a)
						}
					}
					if a != types.ActionContinue {
						t.Fatalf("action %v, want continue", a)
					}
					if local := host.GetLocalResponse(); local != nil {
						t.Fatalf("refused: %d %s", local.StatusCode, local.Data)
					}
					up := host.GetRequestHeaders()
					want := tt.upPath
					if want == "" {
						want = tt.path
					}
					for _, w := range [][2]string{{":authority", p.host}, {":path", want}, {p.auth, p.prefix + secretToken}} {
						if got, _ := header(up, w[0]); got != w[1] {
							t.Errorf("%s: got %q, want %q", w[0], got, w[1])
						}
					}
					if v, _ := header(up, "authorization"); strings.Contains(v, "client-own-key") {
						t.Errorf("client's key forwarded")
					}
					if strings.HasPrefix(tt.path, "/api/v1/services/") && strings.Contains(tt.path, "synthesis") || strings.Contains(tt.path, "painting") || strings.Contains(tt.path, "virtualmodel") || strings.Contains(tt.path, "background-generation") {
						if v, _ := header(up, "x-dashscope-async"); v != "enable" {
							t.Errorf("x-dashscope-async %q on an async-only DashScope route", v)
						}
					}
					if body := host.GetRequestBody(); tt.body != "" && !bytes.Equal(body, []byte(tt.body)) != tt.converted {
						t.Errorf("converted=%v, want %v; upstream body %s", !bytes.Equal(body, []byte(tt.body)), tt.converted, body)
					}
				})
			}
		}
	})
}

// TestDefaultRoutesCovered: every row of provider.DefaultRoutes has a case above, and
// each case's path is classified as its route's API.
func TestDefaultRoutesCovered(t *testing.T) {
	for _, r := range provider.DefaultRoutes {
		found := false
		for _, c := range routeCases {
			api, _ := provider.Classify(c.path)
			if api == r.API && strings.Contains(r.Methods, c.method) && samePathShape(r.Path, c.path) {
				found = true
				break
			}
		}
		if !found && r.API != provider.APIComfyUIWebSocket && r.API != provider.APIQwenWebSocket {
			t.Errorf("default route %s %s (%s) has no case", r.Methods, r.Path, r.API)
		}
	}
}

// samePathShape matches a route path with {x} segments against a concrete path.
func samePathShape(shape, path string) bool {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	s, p := strings.Split(strings.TrimRight(shape, "/"), "/"), strings.Split(strings.TrimRight(path, "/"), "/")
	if len(s) != len(p) {
		return false
	}
	for i := range s {
		if s[i] != p[i] && !strings.HasPrefix(s[i], "{") {
			return false
		}
	}
	return true
}

// TestWebSocketUpgradePassesThrough: a WebSocket upgrade (ComfyUI's /ws, DashScope's
// /api-ws/v1/inference) leaves the plugin with its upgrade headers intact, nothing held,
// no upstream timeout; the frames that follow in both directions and the 101 pass
// unchanged. (e2e TestComfyUIWebSocket runs a real upgrade through the local gateway.)
func TestWebSocketUpgradePassesThrough(t *testing.T) {
	cases := []struct{ typ, path, host string }{
		{"comfyui", "/ws?clientId=c1", "comfy.internal:8188"},
		{"qwen", "/api-ws/v1/inference", "dashscope.aliyuncs.com"},
	}
	test.RunTest(t, func(t *testing.T) {
		for _, tt := range cases {
			t.Run(tt.typ, func(t *testing.T) {
				cfg := strings.Replace(routeProviders[tt.typ].config, "{", `{"apiTokens":["`+secretToken+`"],`, 1)
				host := newHost(t, `{"provider":`+cfg+`,"monitoring":{"enabled":true}}`)
				defer host.Reset()
				upgrade := [][2]string{{"connection", "Upgrade"}, {"upgrade", "websocket"},
					{"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="}, {"sec-websocket-version", "13"}}
				hs := append([][2]string{{":authority", "gateway.example.com"}, {":method", "GET"}, {":path", tt.path}}, upgrade...)
				if a := host.CallOnHttpRequestHeaders(hs); a != types.ActionContinue {
					t.Fatalf("upgrade request held: action %v", a)
				}
				up := host.GetRequestHeaders()
				for _, w := range append(upgrade, [2]string{":authority", tt.host}, [2]string{":path", tt.path}, [2]string{"authorization", "Bearer " + secretToken}) {
					if got, _ := header(up, w[0]); got != w[1] {
						t.Errorf("%s: got %q, want %q", w[0], got, w[1])
					}
				}
				if v, ok := header(up, "x-envoy-upstream-rq-timeout-ms"); ok {
					t.Errorf("upstream timeout %s set on a WebSocket", v)
				}
				frame := []byte{0x81, 0x85, 1, 2, 3, 4, 'h' ^ 1, 'e' ^ 2, 'l' ^ 3, 'l' ^ 4, 'o' ^ 1}
				if a := host.CallOnHttpStreamingRequestBody(frame, false); a != types.ActionContinue {
					t.Fatalf("client frame held: action %v", a)
				}
				if got := host.GetRequestBody(); !bytes.Equal(got, frame) {
					t.Errorf("client frame changed: %x", got)
				}
				if a := host.CallOnHttpResponseHeaders([][2]string{{":status", "101"}, {"connection", "Upgrade"}, {"upgrade", "websocket"},
					{"sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}}); a != types.ActionContinue {
					t.Fatalf("101 held: action %v", a)
				}
				if v, _ := header(host.GetResponseHeaders(), "upgrade"); v != "websocket" {
					t.Errorf("101 lost its upgrade header")
				}
				server := []byte{0x81, 0x02, 'o', 'k'}
				if a := host.CallOnHttpStreamingResponseBody(server, false); a != types.ActionContinue {
					t.Fatalf("server frame held: action %v", a)
				}
				if got := host.GetResponseBody(); !bytes.Equal(got, server) {
					t.Errorf("server frame changed: %x", got)
				}
				assertNoSecret(t, host, secretToken)
			})
		}
	})
}
