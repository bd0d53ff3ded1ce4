package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/ai-proxy/ai-proxy/hack/mock"
	"github.com/ai-proxy/ai-proxy/hack/wasmhost"
)

// Multipart uploads as the official OpenAI SDK sends them (images.edit,
// images.createVariation, audio.transcriptions, files.create): converted for DashScope,
// streamed through for OpenAI-compatible providers.

var (
	dashscopeEditCfg = map[string]any{"provider": map[string]any{"type": "qwen", "apiTokens": []any{upstreamToken},
		"modelMapping": map[string]any{"gpt-image-1": "qwen-image-edit", "dall-e-2": "wanx2.1-imageedit"}}}
	groqUploadCfg = map[string]any{"provider": map[string]any{"type": "groq", "apiTokens": []any{upstreamToken},
		"modelMapping": map[string]any{"whisper-1": "whisper-large-v3-turbo"}}}
	azureUploadCfg = map[string]any{"provider": map[string]any{"type": "azure", "apiTokens": []any{upstreamToken},
		"azureServiceUrl": "https://res-e2e.openai.azure.com?api-version=2025-04-01-preview",
		"modelMapping":    map[string]any{"gpt-image-1": "image-deployment"}}}
	openaiUploadCfg = map[string]any{"provider": map[string]any{"type": "openai", "apiTokens": []any{upstreamToken},
		"modelMapping": map[string]any{"dall-e-2": "dall-e-2-hd"}}}
)

func readPNG(t *testing.T) []byte {
	t.Helper()
	png, err := os.ReadFile("../testdata/multipart/red16.png")
	require.NoError(t, err)
	return png
}

// imageOf returns the bytes of the data URL at path in the upstream JSON body.
func imageOf(t *testing.T, body []byte, path string) []byte {
	t.Helper()
	u := gjson.GetBytes(body, path).String()
	require.True(t, strings.HasPrefix(u, "data:image/png;base64,"), "%s = %.60q", path, u)
	b, err := mock.DecodeImageURL(u)
	require.NoError(t, err)
	return b
}

func TestMultipartDashScopeImageEdit(t *testing.T) {
	e := gateway(t, "qwen-multipart", dashscopeEditCfg)
	client := openaiClient(e)
	ctx := context.Background()
	png := readPNG(t)

	t.Run("qwen-image-edit, synchronous", func(t *testing.T) {
		res, err := client.Images.Edit(ctx, openai.ImageEditParams{
			Image:  openai.ImageEditParamsImageUnion{OfFile: openai.File(bytes.NewReader(png), "red.png", "image/png")},
			Prompt: "Put a hat on it",
			Model:  "gpt-image-1",
			N:      openai.Int(2),
			Size:   openai.ImageEditParamsSize1024x1024,
		})
		require.NoError(t, err)
		require.Len(t, res.Data, 2)
		require.True(t, strings.HasPrefix(res.Data[0].URL, mock.ImageURLPrefix), res.Data[0].URL)
		up := lastUpstream(t, e)
		requireProviderAuth(t, up)
		require.Equal(t, "/api/v1/services/aigc/multimodal-generation/generation", up.Path)
		require.Equal(t, "application/json", up.Header.Get("Content-Type"))
		require.Equal(t, "qwen-image-edit", gjson.GetBytes(up.Body, "model").String())
		require.Equal(t, "Put a hat on it", gjson.GetBytes(up.Body, "input.messages.0.content.1.text").String())
		require.Equal(t, `{"n":2,"size":"1024*1024"}`, gjson.GetBytes(up.Body, "parameters").Raw)
		require.Equal(t, png, imageOf(t, up.Body, "input.messages.0.content.0.image"), "DashScope got other bytes than the upload")
	})

	t.Run("wanx2.1-imageedit with a mask, an asynchronous task", func(t *testing.T) {
		mask := bytes.Clone(png)
		mask[len(mask)-1] ^= 0xff // another file, so both are told apart
		res, err := client.Images.Edit(ctx, openai.ImageEditParams{
			Image:  openai.ImageEditParamsImageUnion{OfFile: openai.File(bytes.NewReader(png), "red.png", "image/png")},
			Mask:   openai.File(bytes.NewReader(mask), "mask.png", "image/png"),
			Prompt: "Make the sky pink",
			Model:  "dall-e-2",
		})
		require.NoError(t, err)
		require.Empty(t, res.Data)
		var raw map[string]any
		require.NoError(t, json.Unmarshal([]byte(res.RawJSON()), &raw))
		require.Equal(t, "PENDING", raw["task_status"])
		require.True(t, strings.HasPrefix(raw["task_url"].(string), "/api/v1/tasks/task-"), raw["task_url"])
		up := lastUpstream(t, e)
		require.Equal(t, "/api/v1/services/aigc/image2image/image-synthesis", up.Path)
		require.Equal(t, "enable", up.Header.Get("X-DashScope-Async"))
		require.Equal(t, "description_edit_with_mask", gjson.GetBytes(up.Body, "input.function").String())
		require.Equal(t, png, imageOf(t, up.Body, "input.base_image_url"))
		require.Equal(t, mask, imageOf(t, up.Body, "input.mask_image_url"))
	})

	t.Run("past the limit: 413 in OpenAI's shape", func(t *testing.T) {
		big := make([]byte, 10<<20+1)
		copy(big, png)
		_, err := client.Images.Edit(ctx, openai.ImageEditParams{
			Image:  openai.ImageEditParamsImageUnion{OfFile: openai.File(bytes.NewReader(big), "big.png", "image/png")},
			Prompt: "too big", Model: "gpt-image-1",
		})
		var apiErr *openai.Error
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, 413, apiErr.StatusCode)
		require.Equal(t, "request_too_large", apiErr.Code)
		require.Contains(t, apiErr.Message, "10 MiB")
	})

	t.Run("variations: not served by DashScope", func(t *testing.T) {
		_, err := client.Images.NewVariation(ctx, openai.ImageNewVariationParams{Image: openai.File(bytes.NewReader(png), "red.png", "image/png")})
		requireAPIError(t, err, 404, "invalid_request_error")
	})
}

func TestMultipartPassthrough(t *testing.T) {
	ctx := context.Background()
	png := readPNG(t)

	t.Run("transcription on groq: the file intact, the model mapped", func(t *testing.T) {
		e := gateway(t, "groq-multipart", groqUploadCfg)
		audio := bytes.Repeat([]byte("RIFF\x00\x01WAVEfmt \r\n--not-a-boundary\r\n"), 20000) // ~700 KB
		client := openaiClient(e)
		res, err := client.Audio.Transcriptions.New(ctx, openai.AudioTranscriptionNewParams{
			File: openai.File(bytes.NewReader(audio), "speech.wav", "audio/wav"), Model: "whisper-1", Language: openai.String("en"),
		})
		require.NoError(t, err)
		require.Equal(t, "whisper-large-v3-turbo heard "+strconv.Itoa(len(audio))+" bytes sha256 "+mock.UploadDigest(audio), res.Text)
		up := lastUpstream(t, e)
		requireProviderAuth(t, up)
		require.Equal(t, "api.groq.com", up.Host)
		require.Equal(t, "/openai/v1/audio/transcriptions", up.Path)
		// Only the model changed: the form is the client's otherwise.
		fields := formFields(t, up)
		require.Equal(t, "whisper-large-v3-turbo", fields["model"])
		require.Equal(t, "en", fields["language"])
	})

	t.Run("variation on openai: the model field mapped", func(t *testing.T) {
		e := gateway(t, "openai-multipart", openaiUploadCfg)
		client := openaiClient(e)
		res, err := client.Images.NewVariation(ctx, openai.ImageNewVariationParams{
			Image: openai.File(bytes.NewReader(png), "red.png", "image/png"), Model: openai.ImageModelDallE2, N: openai.Int(1),
		})
		require.NoError(t, err)
		require.Equal(t, mock.ImageURLPrefix+"dall-e-2-hd-"+mock.UploadDigest(png)+".png", res.Data[0].URL)
		requireProviderAuth(t, lastUpstream(t, e))
	})

	t.Run("azure image edit: the deployment from the form's model", func(t *testing.T) {
		e := gateway(t, "azure-multipart", azureUploadCfg)
		client := openaiClient(e)
		res, err := client.Images.Edit(ctx, openai.ImageEditParams{
			Image:  openai.ImageEditParamsImageUnion{OfFileArray: []io.Reader{openai.File(bytes.NewReader(png), "a.png", "image/png")}},
			Prompt: "a hat", Model: "gpt-image-1",
		})
		require.NoError(t, err)
		require.Equal(t, mock.ImageURLPrefix+"image-deployment-"+mock.UploadDigest(png)+".png", res.Data[0].URL)
		up := lastUpstream(t, e)
		require.Equal(t, "res-e2e.openai.azure.com", up.Host)
		require.Equal(t, "/openai/deployments/image-deployment/images/edits", up.Path)
		require.Equal(t, "api-version=2025-04-01-preview", up.RawQuery)
		require.Equal(t, upstreamToken, up.Header.Get("api-key"))
		require.Empty(t, up.Header.Get("Authorization"))
	})

	t.Run("files: upload and list", func(t *testing.T) {
		e := gateway(t, "openai-multipart", openaiUploadCfg)
		client := openaiClient(e)
		batch := []byte(`{"custom_id":"r1","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[]}}` + "\n")
		f, err := client.Files.New(ctx, openai.FileNewParams{File: openai.File(bytes.NewReader(batch), "batch.jsonl", "application/jsonl"), Purpose: openai.FilePurposeBatch})
		require.NoError(t, err)
		require.Equal(t, "file-"+mock.UploadDigest(batch)[:24], f.ID)
		require.Equal(t, int64(len(batch)), f.Bytes)
		require.Equal(t, "batch.jsonl", f.Filename)
		page, err := client.Files.List(ctx, openai.FileListParams{})
		require.NoError(t, err)
		var ids []string
		for _, x := range page.Data {
			ids = append(ids, x.ID)
		}
		require.Contains(t, ids, f.ID)
		up := lastUpstream(t, e)
		require.Equal(t, "GET", up.Method)
		requireProviderAuth(t, up)
	})
}

// formFields reads the text fields of a multipart request the mock received.
func formFields(t *testing.T, r mock.Request) map[string]string {
	t.Helper()
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	require.NoError(t, err)
	form, err := multipart.NewReader(bytes.NewReader(r.Body), params["boundary"]).ReadForm(1 << 20)
	require.NoError(t, err)
	out := map[string]string{}
	for k, v := range form.Value {
		out[k] = v[0]
	}
	return out
}

// TestMultipartStreamingMemory: a 20 MB upload streams through a passthrough provider
// without the plugin holding it: guest memory grows by at most a small constant, with
// the form followed for its model field (model mapping) as without.
func TestMultipartStreamingMemory(t *testing.T) {
	e := gateway(t, "groq-multipart", groqUploadCfg)
	file := bytes.Repeat([]byte("0123456789abcdef\r\n--boundary-ish\r\n"), 20<<20/34)
	cases := []struct {
		name   string
		cfg    map[string]any
		fields []string
	}{
		{"model after the file, mapped", groqUploadCfg, []string{"file", "model"}},
		{"model first, mapped", groqUploadCfg, []string{"model", "file"}},
		{"no mapping", map[string]any{"provider": map[string]any{"type": "groq", "apiTokens": []any{upstreamToken}}}, []string{"file", "model"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := json.Marshal(c.cfg)
			require.NoError(t, err)
			vm, err := e.gw.Host().NewVM(context.Background(), cfg)
			require.NoError(t, err)
			defer vm.Close(context.Background())
			var body bytes.Buffer
			w := multipart.NewWriter(&body)
			for _, f := range c.fields {
				if f == "model" {
					w.WriteField("model", "whisper-1")
				} else {
					fw, _ := w.CreateFormFile("file", "big.wav")
					fw.Write(file)
				}
			}
			w.Close()
			upload := func() []byte {
				s, err := vm.NewStream(map[string]string{"route_name": "ai-route"})
				require.NoError(t, err)
				_, err = s.RequestHeaders(wasmhost.Headers{{":method", "POST"}, {":path", "/v1/audio/transcriptions"},
					{":authority", "gateway.local"}, {"content-type", w.FormDataContentType()},
					{"content-length", strconv.Itoa(body.Len())}, {"authorization", "Bearer " + clientKey}}, false)
				require.NoError(t, err)
				b := body.Bytes()
				for off := 0; off < len(b); off += 32 << 10 {
					end := min(off+32<<10, len(b))
					_, err = s.RequestBody(b[off:end], end == len(b))
					require.NoError(t, err)
					require.Nil(t, s.LocalReply())
				}
				require.True(t, s.Request().Ended())
				sent := s.Request().Body()
				// The length the upstream is told is the length it gets, or none (chunked)
				// when the model field came after the file.
				hs, _ := s.Request().SentHeaders()
				if cl, ok := hs.Get("content-length"); ok {
					require.Equal(t, strconv.Itoa(len(sent)), cl)
				} else {
					require.Equal(t, "file", c.fields[0], "content-length dropped although the model came first")
				}
				_, err = s.ResponseHeaders(wasmhost.Headers{{":status", "200"}, {"content-type", "application/json"}}, false)
				require.NoError(t, err)
				_, err = s.ResponseBody([]byte(`{"text":"ok"}`), true)
				require.NoError(t, err)
				require.NoError(t, s.Done())
				return sent
			}
			start := vm.MemorySize()
			sent := upload()
			first := vm.MemorySize()
			for range 5 {
				sent = upload()
			}
			last := vm.MemorySize()
			t.Logf("20 MB upload (%s): guest memory %d bytes at start, %d after the first upload (+%d), %d after five more (+%d)",
				c.name, start, first, first-start, last, last-first)
			// A small constant — the Go heap's headroom for the pieces read while the form is
			// followed — never the upload's size: buffering would add 20 MB at once.
			require.LessOrEqual(t, last-start, uint32(4<<20), "six 20 MB uploads grew guest memory by %d bytes", last-start)
			require.True(t, bytes.Contains(sent, file), "the file did not arrive whole")
			if c.cfg["provider"].(map[string]any)["modelMapping"] != nil {
				require.Contains(t, string(sent), "whisper-large-v3-turbo")
			}
		})
	}
}
