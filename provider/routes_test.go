package provider

import (
	"os"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// minimalConfigs start each provider type with the fields it requires.
var minimalConfigs = map[string]string{
	"azure":   `"azureServiceUrl":"https://r.openai.azure.com?api-version=2024-10-21"`,
	"ollama":  `"ollamaServerHost":"ollama.local"`,
	"vllm":    `"vllmServerHost":"vllm.local:8000"`,
	"generic": `"genericHost":"llm.local"`,
	"comfyui": `"comfyuiServerHost":"comfy.local"`,
	"bedrock": `"awsRegion":"us-east-1"`,
}

// TestREADMEUseCaseTable: the README's use-case table has exactly the rows of
// DefaultRoutes (use case, protocol, methods, path), and every provider type it names
// for a route serves that route's API.
func TestREADMEUseCaseTable(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	start := strings.Index(readme, "## Use cases and default routes")
	if start < 0 {
		t.Fatal("README has no use-case section")
	}
	section := readme[start:]
	section = section[:strings.Index(section[3:], "\n## ")+3]
	var rows [][]string
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| Use case") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if len(cells) != 6 {
			t.Fatalf("row %q: want 6 cells", line)
		}
		rows = append(rows, cells)
	}
	if len(rows) != len(DefaultRoutes) {
		t.Errorf("README lists %d routes, DefaultRoutes has %d", len(rows), len(DefaultRoutes))
	}
	for i, r := range DefaultRoutes {
		if i >= len(rows) {
			break
		}
		row := rows[i]
		if row[0] != r.UseCase || row[1] != r.Protocol || row[2] != r.Methods || row[3] != "`"+r.Path+"`" {
			t.Errorf("README row %d %q, want %s | %s | %s | %s", i, row[:4], r.UseCase, r.Protocol, r.Methods, r.Path)
			continue
		}
		if api, ok := Classify(strings.NewReplacer("{", "", "}", "").Replace(r.Path)); !ok || api != r.API {
			t.Errorf("%s classified %q, want %q", r.Path, api, r.API)
		}
		for _, typ := range namedTypes(row[4]) {
			js := `{"type":"` + typ + `","apiTokens":["k"]`
			if f := minimalConfigs[typ]; f != "" {
				js += "," + f
			}
			c := mustConfig(t, js+"}")
			if _, ok := c.Capabilities[r.API]; !ok && !(bridgedToChat(r.API) && c.Capabilities[APIChatCompletion] != "") {
				t.Errorf("README says %s serves %s %s (%s); it does not", typ, r.Methods, r.Path, r.API)
			}
		}
	}
}

// namedTypes returns the registered provider types a table cell names.
func namedTypes(cell string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(cell, func(r rune) bool { return r == ',' || r == ';' || r == '(' || r == ')' || r == ' ' }) {
		if _, ok := specs[f]; ok {
			out = append(out, f)
		}
	}
	return out
}

func TestComfyUIConfig(t *testing.T) {
	c := mustConfig(t, `{"type":"comfyui","comfyuiServerHost":"10.0.0.7","comfyuiServerPort":8000}`)
	if c.Host != "10.0.0.7:8000" {
		t.Errorf("host %q", c.Host)
	}
	if c := mustConfig(t, `{"type":"comfyui","comfyuiServerHost":"comfy.svc"}`); c.Host != "comfy.svc:8188" {
		t.Errorf("default port: host %q", c.Host)
	}
	h, _ := upstream(t, c, "/prompt", "", nil)
	if _, ok := h["authorization"]; ok {
		t.Errorf("no token configured, yet authorization sent: %v", h)
	}
	for _, js := range []string{`{"type":"comfyui"}`, `{"type":"comfyui","comfyuiServerHost":"h","comfyuiServerPort":-1}`} {
		if _, err := ParseConfig(gjson.Parse(js), "provider"); err == nil || !strings.Contains(err.Error(), "comfyuiServer") {
			t.Errorf("%s: error %v, want one naming the field", js, err)
		}
	}
	// A path that is no ComfyUI route is still no AI API, generic names included.
	for _, p := range []string{"/admin/users", "/internal/prompt", "/v1/files/queue"} {
		api, ok := Classify(p)
		if ok && api == APIComfyUI {
			t.Errorf("%s classified as ComfyUI", p)
		}
	}
}

func TestClassifyUseCaseRoutes(t *testing.T) {
	tests := []struct {
		path string
		want API
	}{
		{"/prompt", APIComfyUI},
		{"/api/prompt", APIComfyUI},
		{"/history/abc-1", APIComfyUI},
		{"/ws?clientId=1", APIComfyUIWebSocket},
		{"/admin/prompt", ""},
		{"/internal/ws", ""},
		{"/v1/files/queue", APIRetrieveFile},
		{"/v1/models/embeddings", APIModels},
		{"/rerank", APICohereRerank},
		{"/x/rerank", ""},
		{"/v2/rerank", APICohereRerank},
		{"/v1/reranks", APICohereRerank},
		{"/compatible-api/v1/reranks", APIQwenCompatibleRerank},
		{"/api-ws/v1/inference/", APIQwenWebSocket},
		{"/v1/conversations", APIConversations},
		{"/compatible-mode/v1/conversations/c1/items/i1", APIConversations},
		{"/api/v1/tasks", APIQwenAsyncTask},
		{"/api/v1/tasks/t1/cancel", APIQwenAsyncTask},
		{"/api/v1/services/aigc/video-generation/video-synthesis", APIQwenAsyncAIGC},
	}
	for _, tt := range tests {
		if got, ok := Classify(tt.path); got != tt.want || ok != (tt.want != "") {
			t.Errorf("Classify(%q) = %q, %v; want %q", tt.path, got, ok, tt.want)
		}
	}
}
