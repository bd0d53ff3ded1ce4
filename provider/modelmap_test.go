package provider

import (
	"testing"

	"github.com/tidwall/gjson"
)

func TestModelMapping(t *testing.T) {
	mapping := `{
		"gpt-4": "exact-gpt-4",
		"gpt-4-*": "prefix-short",
		"gpt-4-turbo-*": "prefix-long",
		"~^claude-(\\d+)-(\\w+)$": "anthropic.$2-v$1",
		"~^claude-.*": "regex-second",
		"keep-me": "",
		"*": "fallback"
	}`
	m, err := parseModelMapping(gjson.Parse(mapping), "modelMapping")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, want string }{
		{"gpt-4", "exact-gpt-4"},                // exact beats prefix
		{"gpt-4-0613", "prefix-short"},          // prefix
		{"gpt-4-turbo-2024", "prefix-long"},     // longest prefix wins, whatever the map order
		{"claude-3-opus", "anthropic.opus-v3"},  // regex with $ references
		{"claude-3.5-sonnet-x", "regex-second"}, // regexes in config order
		{"keep-me", "keep-me"},                  // empty target keeps the model
		{"llama", "fallback"},                   // wildcard last
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			// Repeat: map iteration order must never change the result.
			for i := 0; i < 50; i++ {
				if got := m.Map(tt.in); got != tt.want {
					t.Fatalf("Map(%q) = %q, want %q", tt.in, got, tt.want)
				}
			}
		})
	}
}

func TestModelMappingEdgeCases(t *testing.T) {
	tests := []struct {
		name, mapping, in, want string
	}{
		{"nil mapping keeps", ``, "m", "m"},
		{"empty key is the wildcard", `{"":"w"}`, "x", "w"},
		{"no match, no wildcard keeps", `{"a":"b"}`, "x", "x"},
		{"wildcard to empty keeps", `{"*":""}`, "x", "x"},
		{"regex partial match replaces the matched part", `{"~gpt":"qwen"}`, "my-gpt-4", "my-qwen-4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := parseModelMapping(gjson.Parse(tt.mapping), "modelMapping")
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Map(tt.in); got != tt.want {
				t.Fatalf("Map(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		path string
		want API
	}{
		{"/v1/chat/completions", APIChatCompletion},
		{"/v1/chat/completions?stream=1", APIChatCompletion},
		{"/any/prefix/v1/chat/completions", APIChatCompletion},
		{"/compatible-mode/v1/chat/completions", APIChatCompletion},
		{"/v1/completions", APICompletion},
		{"/v1/embeddings", APIEmbeddings},
		{"/v1/images/generations", APIImageGeneration},
		{"/v1/images/edits", APIImageEdit},
		{"/v1/images/variations", APIImageVariation},
		{"/v1/audio/speech", APIAudioSpeech},
		{"/v1/audio/transcriptions", APIAudioTranscription},
		{"/v1/audio/translations", APIAudioTranslation},
		{"/v1/realtime?model=x", APIRealtime},
		{"/v1/models", APIModels},
		{"/v1/models/gpt-4o", APIModels},
		{"/v1/files", APIFiles},
		{"/v1/files/file-1", APIRetrieveFile},
		{"/v1/files/file-1/content", APIRetrieveFileContent},
		{"/v1/batches", APIBatches},
		{"/v1/batches/b1", APIRetrieveBatch},
		{"/v1/batches/b1/cancel", APICancelBatch},
		{"/v1/responses", APIResponses},
		{"/v1/fine_tuning/jobs", APIFineTuningJobs},
		{"/v1/fine_tuning/jobs/j1", APIRetrieveFineTuningJob},
		{"/v1/fine_tuning/jobs/j1/events", APIFineTuningJobEvents},
		{"/v1/fine_tuning/jobs/j1/checkpoints", APIFineTuningJobCheckpoints},
		{"/v1/fine_tuning/jobs/j1/cancel", APICancelFineTuningJob},
		{"/v1/fine_tuning/jobs/j1/resume", APIResumeFineTuningJob},
		{"/v1/fine_tuning/jobs/j1/pause", APIPauseFineTuningJob},
		{"/v1/fine_tuning/checkpoints/c1/permissions", APIFineTuningCheckpointPermissions},
		{"/v1/fine_tuning/checkpoints/c1/permissions/p1", APIDeleteFineTuningCheckpointPermiss},
		{"/v1/videos", APIVideos},
		{"/v1/videos/v1", APIRetrieveVideo},
		{"/v1/videos/v1/remix", APIVideoRemix},
		{"/v1/videos/v1/content", APIRetrieveVideoContent},
		{"/v1/messages", APIAnthropicMessages},
		{"/v1/rerank", APICohereRerank},
		{"/v1beta/models/gemini-pro:generateContent", APIGeminiGenerate},
		{"/v1beta/models/gemini-pro:streamGenerateContent?alt=sse", APIGeminiStreamGenerat},
		{"/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent", APIVertexRaw},
		{"/gw/v1beta1/projects/p/locations/global/publishers/anthropic/models/claude-x:streamRawPredict?alt=sse", APIVertexRaw},
		{"/v1/projects/p/locations/l/publishers/google/models/text-embedding-005:predict", APIVertexRaw},
		{"/v1/projects/p/locations/l/publishers/google/models/m", ""},
		{"/v1/projects/p/publishers/google/models/m:predict", ""},
		{"/api/v1/services/aigc/text-generation/generation", APIQwenAsyncAIGC},
		{"/api/v1/tasks/abc", APIQwenAsyncTask},
		{"/api/v1/services/rerank/text-rerank/text-rerank", APIQwenRerank},
		{"/api/v1/services/embeddings/text-embedding/text-embedding", APIQwenAsyncAIGC},
		{"/api/v1/services/aigc", ""},
		{"/", ""},
		{"/v1", ""},
		{"/v1/chat", ""},
		{"/v1/chat/completions/extra", ""},
		{"/v2/chat/completions", ""},
		{"/admin", ""},
		{"/v1/files//content", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, ok := Classify(tt.path)
			if got != tt.want || ok != (tt.want != "") {
				t.Fatalf("Classify(%q) = %q, %v; want %q", tt.path, got, ok, tt.want)
			}
		})
	}
}

func FuzzClassify(f *testing.F) {
	f.Add("/v1/files/x/content?y")
	f.Add("/v1beta/models/m:streamGenerateContent")
	f.Fuzz(func(t *testing.T, p string) {
		api, ok := Classify(p)
		if ok != (api != "") {
			t.Fatalf("Classify(%q) = %q, %v", p, api, ok)
		}
	})
}
