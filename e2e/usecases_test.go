package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ai-proxy/ai-proxy/hack/mock"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// The Model API use cases of seed 001 beyond chat, end to end through the local gateway:
// video generation (DashScope tasks, OpenAI video jobs), speech synthesis, rerank and
// ComfyUI, its WebSocket included.

func qwenGateway(t *testing.T) *env {
	return gateway(t, "usecases-qwen", map[string]any{"provider": map[string]any{"type": "qwen", "apiTokens": []any{upstreamToken}}})
}

// call sends one raw request through the gateway and returns the status and body.
func call(t *testing.T, e *env, method, path, body string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+clientKey)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

// TestDashScopeVideoTask: a DashScope text-to-video task created natively through the
// gateway (the client leaves X-DashScope-Async out: the plugin adds it, as DashScope
// only takes video synthesis as a task) and polled on /api/v1/tasks/{id} until it
// succeeds with the video's URL; the provider saw the configured key every time.
func TestDashScopeVideoTask(t *testing.T) {
	e := qwenGateway(t)
	for _, path := range []string{"/api/v1/services/aigc/video-generation/video-synthesis", "/api/v1/services/aigc/image2video/video-synthesis"} {
		t.Run(path, func(t *testing.T) {
			st, b := call(t, e, "POST", path,
				`{"model":"wan2.2-i2v-plus","input":{"prompt":"a cat runs on grass","img_url":"https://example.com/cat.png"},"parameters":{"resolution":"480P","prompt_extend":true}}`)
			require.Equal(t, 200, st, "%s", b)
			id := gjson.GetBytes(b, "output.task_id").String()
			require.NotEmpty(t, id, "%s", b)
			require.Equal(t, "PENDING", gjson.GetBytes(b, "output.task_status").String())
			up := lastUpstream(t, e)
			requireProviderAuth(t, up)
			require.Equal(t, "enable", up.Header.Get("X-DashScope-Async"))
			require.Equal(t, path, up.Path)

			var status string
			for polls := 0; polls < 5 && status != "SUCCEEDED"; polls++ {
				st, b = call(t, e, "GET", "/api/v1/tasks/"+id, "")
				require.Equal(t, 200, st, "%s", b)
				status = gjson.GetBytes(b, "output.task_status").String()
				require.Contains(t, []string{"RUNNING", "SUCCEEDED"}, status, "%s", b)
				requireProviderAuth(t, lastUpstream(t, e))
			}
			require.Equal(t, "SUCCEEDED", status)
			require.Equal(t, mock.VideoURLPrefix+id+".mp4", gjson.GetBytes(b, "output.video_url").String())
			require.Equal(t, int64(1), gjson.GetBytes(b, "usage.video_count").Int())
		})
	}
}

// TestOpenAIVideoJob: the OpenAI SDK's video API (multipart create, poll, download)
// passes through to an OpenAI-compatible provider with credentials.
func TestOpenAIVideoJob(t *testing.T) {
	e := gateway(t, "openai", openaiCfg)
	client := openaiClient(e)
	ctx := context.Background()
	v, err := client.Videos.New(ctx, openai.VideoNewParams{Prompt: "a lighthouse at dusk", Model: "sora-2", Seconds: "8", Size: "1280x720"})
	require.NoError(t, err)
	require.Equal(t, openai.VideoStatusQueued, v.Status)
	up := lastUpstream(t, e)
	requireProviderAuth(t, up)
	require.True(t, strings.HasPrefix(up.Header.Get("Content-Type"), "multipart/form-data"))
	for polls := 0; polls < 5 && v.Status != openai.VideoStatusCompleted; polls++ {
		v, err = client.Videos.Get(ctx, v.ID)
		require.NoError(t, err)
	}
	require.Equal(t, openai.VideoStatusCompleted, v.Status)
	require.Equal(t, int64(100), v.Progress)
	require.Equal(t, "a lighthouse at dusk", v.Prompt)
	resp, err := client.Videos.DownloadContent(ctx, v.ID, openai.VideoDownloadContentParams{})
	require.NoError(t, err)
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	require.Equal(t, mock.VideoBytes, got)
}

// TestSpeechToQwenTTS: the OpenAI SDK's audio.speech on a qwen route gets audio bytes:
// the plugin asks Qwen-TTS for its stream and turns the base64 PCM events into raw PCM,
// or a WAV file (the default).
func TestSpeechToQwenTTS(t *testing.T) {
	e := qwenGateway(t)
	client := openaiClient(e)
	const text = "Hello from the gateway"
	want := mock.SpeechPCM(text)
	for _, format := range []openai.AudioSpeechNewParamsResponseFormat{openai.AudioSpeechNewParamsResponseFormatPCM, openai.AudioSpeechNewParamsResponseFormatWAV, ""} {
		t.Run("format "+string(format), func(t *testing.T) {
			resp, err := client.Audio.Speech.New(context.Background(), openai.AudioSpeechNewParams{
				Model: "qwen3-tts-flash", Input: text, ResponseFormat: format,
				Voice: openai.AudioSpeechNewParamsVoiceUnion{OfString: openai.String("Cherry")},
			})
			require.NoError(t, err)
			defer resp.Body.Close()
			audio, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			up := lastUpstream(t, e)
			requireProviderAuth(t, up)
			require.Equal(t, "/api/v1/services/aigc/multimodal-generation/generation", up.Path)
			require.Equal(t, "enable", up.Header.Get("X-DashScope-SSE"))
			require.Equal(t, text, gjson.GetBytes(up.Body, "input.text").String())
			if format == openai.AudioSpeechNewParamsResponseFormatPCM {
				require.Equal(t, "audio/pcm", resp.Header.Get("Content-Type"))
				require.Equal(t, want, audio)
				return
			}
			require.Equal(t, "audio/wav", resp.Header.Get("Content-Type"))
			require.Greater(t, len(audio), 44)
			require.Equal(t, "RIFF", string(audio[:4]))
			require.Equal(t, uint32(24000), binary.LittleEndian.Uint32(audio[24:]))
			require.Equal(t, want, audio[44:])
		})
	}
	t.Run("DashScope error before the audio", func(t *testing.T) {
		// DashScope refuses a streamed request with its status and an SSE error event.
		_, err := client.Audio.Speech.New(context.Background(), openai.AudioSpeechNewParams{
			Model: "qwen3-tts-flash", Input: text,
			Voice: openai.AudioSpeechNewParamsVoiceUnion{OfString: openai.String("Cherry")},
		}, option.WithHeader(mock.FaultHeader, "dashscope-sse-error:400"))
		var apiErr *openai.Error
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, 400, apiErr.StatusCode)
		require.Equal(t, "InvalidParameter", apiErr.Code)
	})
	t.Run("mp3 refused", func(t *testing.T) {
		_, err := client.Audio.Speech.New(context.Background(), openai.AudioSpeechNewParams{
			Model: "qwen3-tts-flash", Input: text, ResponseFormat: openai.AudioSpeechNewParamsResponseFormatMP3,
			Voice: openai.AudioSpeechNewParamsVoiceUnion{OfString: openai.String("Cherry")},
		})
		var apiErr *openai.Error
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, 400, apiErr.StatusCode)
		require.Contains(t, apiErr.Message, "response_format")
	})
}

// TestRerankToDashScope: a Cohere-style rerank on /v1/rerank is converted to DashScope's
// text-rerank and answered in the Cohere shape.
func TestRerankToDashScope(t *testing.T) {
	e := qwenGateway(t)
	st, b := call(t, e, "POST", "/v1/rerank",
		`{"model":"gte-rerank-v2","query":"capital of France","documents":["Berlin is in Germany","Paris is the capital of France"],"top_n":2,"return_documents":true}`)
	require.Equal(t, 200, st, "%s", b)
	up := lastUpstream(t, e)
	requireProviderAuth(t, up)
	require.Equal(t, "/api/v1/services/rerank/text-rerank/text-rerank", up.Path)
	require.Equal(t, "capital of France", gjson.GetBytes(up.Body, "input.query").String())
	res := gjson.GetBytes(b, "results").Array()
	require.Len(t, res, 2)
	require.Equal(t, int64(1), res[0].Get("index").Int(), "%s", b)
	require.Equal(t, "Paris is the capital of France", res[0].Get("document.text").String())
	require.Greater(t, res[0].Get("relevance_score").Float(), res[1].Get("relevance_score").Float())
	require.Positive(t, gjson.GetBytes(b, "usage.total_tokens").Int())
}

// TestComfyUIPassthrough: ComfyUI's REST routes (queue a prompt, read its history,
// fetch the image, upload one) pass through to the ComfyUI server, bodies untouched,
// with the configured token.
func TestComfyUIPassthrough(t *testing.T) {
	e := gateway(t, "usecases-comfyui", map[string]any{"provider": map[string]any{"type": "comfyui", "comfyuiServerHost": "comfy.local", "apiTokens": []any{upstreamToken}}})
	workflow := `{"prompt":{"3":{"class_type":"KSampler","inputs":{"seed":5,"steps":20}},"9":{"class_type":"SaveImage","inputs":{"images":["8",0]}}},"client_id":"e2e-client"}`
	st, b := call(t, e, "POST", "/prompt", workflow)
	require.Equal(t, 200, st, "%s", b)
	id := gjson.GetBytes(b, "prompt_id").String()
	require.NotEmpty(t, id, "%s", b)
	up := lastUpstream(t, e)
	require.Equal(t, "comfy.local:8188", up.Host)
	require.Equal(t, workflow, string(up.Body), "the workflow reached ComfyUI as sent")
	requireProviderAuth(t, up)

	st, b = call(t, e, "GET", "/history/"+id, "")
	require.Equal(t, 200, st, "%s", b)
	img := gjson.GetBytes(b, gjson.Escape(id)+".outputs.9.images.0")
	require.Equal(t, "ComfyUI_00001_.png", img.Get("filename").String(), "%s", b)

	st, b = call(t, e, "GET", "/view?filename=ComfyUI_00001_.png&type=output", "")
	require.Equal(t, 200, st)
	require.Equal(t, mock.ComfyUIImage, b)

	st, b = call(t, e, "GET", "/queue", "")
	require.Equal(t, 200, st)
	require.True(t, gjson.GetBytes(b, "queue_running").IsArray(), "%s", b)

	var form bytes.Buffer
	form.WriteString("--xyz\r\nContent-Disposition: form-data; name=\"image\"; filename=\"cat.png\"\r\nContent-Type: image/png\r\n\r\n")
	form.Write(mock.ComfyUIImage)
	form.WriteString("\r\n--xyz--\r\n")
	req, _ := http.NewRequest("POST", e.url+"/upload/image", bytes.NewReader(form.Bytes()))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=xyz")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode, "%s", b)
	require.Equal(t, "cat.png", gjson.GetBytes(b, "name").String())
	require.Equal(t, form.Bytes(), lastUpstream(t, e).Body, "the upload reached ComfyUI byte for byte")

	st, b = call(t, e, "GET", "/admin/secrets", "")
	require.Equal(t, 404, st, "a path that is no ComfyUI route is no AI API: %s", b)
}

// TestComfyUIWebSocket: ComfyUI's /ws upgrade goes through the gateway and the plugin
// (request headers without end of stream, the 101, the frames both ways through the
// body callbacks): the handshake completes with the server's own accept key, ComfyUI's
// status message arrives, and a client message is answered.
func TestComfyUIWebSocket(t *testing.T) {
	e := gateway(t, "usecases-comfyui", map[string]any{"provider": map[string]any{"type": "comfyui", "comfyuiServerHost": "comfy.local", "apiTokens": []any{upstreamToken}}})
	const key = "dGhlIHNhbXBsZSBub25jZQ=="
	conn, br := wsDial(t, e, "/ws?clientId=e2e-ws", key)
	up := lastUpstream(t, e)
	require.Equal(t, "/ws", up.Path)
	require.Equal(t, "comfy.local:8188", up.Host)
	require.Equal(t, key, up.Header.Get("Sec-WebSocket-Key"))
	requireProviderAuth(t, up)

	op, msg, err := mock.ReadWSFrame(br)
	require.NoError(t, err)
	require.Equal(t, byte(1), op)
	require.Equal(t, "status", gjson.GetBytes(msg, "type").String(), "%s", msg)
	require.Equal(t, "e2e-ws", gjson.GetBytes(msg, "data.sid").String())

	require.NoError(t, mock.WriteWSFrame(conn, mock.WSText, []byte(`{"type":"feature_flags","data":{"supports_preview_metadata":true}}`), true))
	_, msg, err = mock.ReadWSFrame(br)
	require.NoError(t, err)
	require.Equal(t, "feature_flags", gjson.GetBytes(msg, "type").String(), "%s", msg)
}

// wsDial opens a WebSocket through the gateway (with the client's own key, which must
// not reach the provider) and checks the handshake completed with the server's accept.
func wsDial(t *testing.T, e *env, path, key string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second)) // bounds a failing run only
	_, err = io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: gateway.local\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: "+key+"\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer "+clientKey+"\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	require.Equal(t, mock.WSAccept(key), resp.Header.Get("Sec-WebSocket-Accept"))
	require.True(t, strings.EqualFold(resp.Header.Get("Upgrade"), "websocket"))
	return conn, br
}

// TestDashScopeWebSocketTTS: DashScope's WebSocket speech synthesis (CosyVoice on
// /api-ws/v1/inference) through the gateway: the upgrade carries the provider's key,
// the task's JSON events and the binary audio frames pass both ways untouched.
func TestDashScopeWebSocketTTS(t *testing.T) {
	e := qwenGateway(t)
	conn, br := wsDial(t, e, "/api-ws/v1/inference", "x3JJHMbDL1EzLkh9GBhXDw==")
	up := lastUpstream(t, e)
	require.Equal(t, "/api-ws/v1/inference", up.Path)
	require.Equal(t, "dashscope.aliyuncs.com", up.Host)
	requireProviderAuth(t, up)

	send := func(action, payload string) {
		require.NoError(t, mock.WriteWSFrame(conn, mock.WSText, []byte(`{"header":{"action":"`+action+`","task_id":"t-1","streaming":"duplex"},"payload":`+payload+`}`), true))
	}
	next := func() (byte, []byte) {
		op, msg, err := mock.ReadWSFrame(br)
		require.NoError(t, err)
		return op, msg
	}
	send("run-task", `{"task_group":"audio","task":"tts","function":"SpeechSynthesizer","model":"cosyvoice-v2","parameters":{"text_type":"PlainText","voice":"longxiaochun_v2","format":"pcm","sample_rate":22050},"input":{}}`)
	_, msg := next()
	require.Equal(t, "task-started", gjson.GetBytes(msg, "header.event").String(), "%s", msg)
	const text = "hello speech world"
	send("continue-task", `{"input":{"text":"`+text+`"}}`)
	var audio []byte
	for {
		op, msg := next()
		if op == mock.WSBinary {
			audio = append(audio, msg...)
			continue
		}
		require.Equal(t, "result-generated", gjson.GetBytes(msg, "header.event").String(), "%s", msg)
		break
	}
	require.Equal(t, mock.SpeechPCM(text), audio)
	send("finish-task", `{"input":{}}`)
	_, msg = next()
	require.Equal(t, "task-finished", gjson.GetBytes(msg, "header.event").String(), "%s", msg)
	require.Equal(t, int64(len(text)), gjson.GetBytes(msg, "payload.usage.characters").Int())
}
