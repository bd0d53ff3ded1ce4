package mock

import (
	"bufio"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"
)

func serve(t *testing.T, h http.Handler, method, path, body string, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer k")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, rec.Header(), b
}

func TestDashScopeVideoTaskLifecycle(t *testing.T) {
	h := NewHandler(WithoutCompression())
	const create = `{"model":"wan2.2-t2v-plus","input":{"prompt":"a cat"}}`
	if st, _, b := serve(t, h, "POST", "/api/v1/services/aigc/video-generation/video-synthesis", create); st != 403 || gjson.GetBytes(b, "code").String() != "AccessDenied" {
		t.Fatalf("without X-DashScope-Async: %d %s", st, b)
	}
	st, _, b := serve(t, h, "POST", "/api/v1/services/aigc/video-generation/video-synthesis", create, "X-DashScope-Async", "enable")
	id := gjson.GetBytes(b, "output.task_id").String()
	if st != 200 || id == "" || gjson.GetBytes(b, "output.task_status").String() != "PENDING" {
		t.Fatalf("create: %d %s", st, b)
	}
	for i, want := range []string{"RUNNING", "SUCCEEDED", "SUCCEEDED"} {
		_, _, b = serve(t, h, "GET", "/api/v1/tasks/"+id, "")
		if got := gjson.GetBytes(b, "output.task_status").String(); got != want {
			t.Fatalf("poll %d: %s, want %s", i, b, want)
		}
	}
	if gjson.GetBytes(b, "output.video_url").String() != VideoURLPrefix+id+".mp4" {
		t.Errorf("no video_url: %s", b)
	}
	if _, _, b = serve(t, h, "GET", "/api/v1/tasks/nope", ""); gjson.GetBytes(b, "output.task_status").String() != "UNKNOWN" {
		t.Errorf("unknown task: %s", b)
	}
	if st, _, b := serve(t, h, "POST", "/api/v1/services/aigc/image2video/video-synthesis", create, "X-DashScope-Async", "enable"); st != 400 {
		t.Errorf("image2video without img_url: %d %s", st, b)
	}
}

func TestImageTaskPolled(t *testing.T) {
	h := NewHandler(WithoutCompression())
	_, _, b := serve(t, h, "POST", "/api/v1/services/aigc/image2image/image-synthesis",
		`{"model":"wan2.5-i2i-preview","input":{"prompt":"a hat","images":["https://x/cat.png"]}}`, "X-DashScope-Async", "enable")
	id := gjson.GetBytes(b, "output.task_id").String()
	if id == "" {
		t.Fatalf("create: %s", b)
	}
	serve(t, h, "GET", "/api/v1/tasks/"+id, "")
	if _, _, b = serve(t, h, "GET", "/api/v1/tasks/"+id, ""); gjson.GetBytes(b, "output.results.0.url").String() != ImageURLPrefix+id+".png" {
		t.Errorf("second poll: %s", b)
	}
}

func TestQwenTTSStream(t *testing.T) {
	h := NewHandler(WithoutCompression())
	body := `{"model":"qwen3-tts-flash","input":{"text":"hello big world","voice":"Cherry"}}`
	st, hdr, b := serve(t, h, "POST", "/api/v1/services/aigc/multimodal-generation/generation", body, "X-DashScope-SSE", "enable")
	if st != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("%d %v", st, hdr)
	}
	var pcm []byte
	var last gjson.Result
	for _, ev := range strings.Split(string(b), "\n\n") {
		if i := strings.Index(ev, "data:"); i >= 0 {
			last = gjson.Parse(ev[i+5:])
			d, err := base64.StdEncoding.DecodeString(last.Get("output.audio.data").String())
			if err != nil {
				t.Fatal(err)
			}
			pcm = append(pcm, d...)
		}
	}
	if string(pcm) != string(SpeechPCM("hello big world")) || len(pcm) != 3*960 {
		t.Errorf("streamed %d bytes of PCM, want SpeechPCM's %d", len(pcm), len(SpeechPCM("hello big world")))
	}
	if last.Get("output.finish_reason").String() != "stop" || last.Get("output.audio.url").String() == "" {
		t.Errorf("last event %s", last.Raw)
	}
	_, _, b = serve(t, h, "POST", "/api/v1/services/aigc/multimodal-generation/generation", body)
	if gjson.GetBytes(b, "output.audio.data").String() != "" || gjson.GetBytes(b, "output.audio.url").String() == "" {
		t.Errorf("plain answer: %s, want only the URL", b)
	}
}

func TestComfyUIRoutes(t *testing.T) {
	h := NewHandler(WithoutCompression())
	if st, _, b := serve(t, h, "POST", "/prompt", `{"client_id":"c"}`); st != 400 || gjson.GetBytes(b, "error.type").String() != "no_prompt" {
		t.Errorf("no prompt: %d %s", st, b)
	}
	_, _, b := serve(t, h, "POST", "/prompt", `{"prompt":{"9":{"class_type":"SaveImage","inputs":{}}}}`)
	id := gjson.GetBytes(b, "prompt_id").String()
	if id == "" {
		t.Fatalf("queue: %s", b)
	}
	if _, _, b = serve(t, h, "GET", "/history/"+id, ""); !gjson.GetBytes(b, gjson.Escape(id)+".status.completed").Bool() {
		t.Errorf("history: %s", b)
	}
	if _, hdr, b := serve(t, h, "GET", "/view?filename=ComfyUI_00001_.png", ""); hdr.Get("Content-Type") != "image/png" || string(b) != string(ComfyUIImage) {
		t.Errorf("view: %v %q", hdr, b)
	}
}

// wsOpen dials a WebSocket on the mock.
func wsOpen(t *testing.T, srv *httptest.Server, path string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: a2V5\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer k\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 || resp.Header.Get("Sec-WebSocket-Accept") != WSAccept("a2V5") {
		t.Fatalf("handshake: %v %+v", err, resp)
	}
	return conn, br
}

func TestDashScopeWebSocketTTS(t *testing.T) {
	srv := httptest.NewServer(NewHandler())
	defer srv.Close()
	conn, br := wsOpen(t, srv, "/api-ws/v1/inference")
	frame := func(action, payload string) {
		WriteWSFrame(conn, WSText, []byte(`{"header":{"action":"`+action+`","task_id":"t1","streaming":"duplex"},"payload":`+payload+`}`), true)
	}
	frame("run-task", `{"model":"cosyvoice-v2","parameters":{"voice":"longxiaochun_v2","format":"pcm"},"input":{}}`)
	if _, msg, err := ReadWSFrame(br); err != nil || gjson.GetBytes(msg, "header.event").String() != "task-started" {
		t.Fatalf("run-task: %s %v", msg, err)
	}
	frame("continue-task", `{"input":{"text":"two words"}}`)
	var audio []byte
	for {
		op, msg, err := ReadWSFrame(br)
		if err != nil {
			t.Fatal(err)
		}
		if op == WSBinary {
			audio = append(audio, msg...)
			continue
		}
		if gjson.GetBytes(msg, "header.event").String() != "result-generated" {
			t.Fatalf("event %s", msg)
		}
		break
	}
	if string(audio) != string(SpeechPCM("two words")) {
		t.Errorf("audio: %d bytes", len(audio))
	}
	frame("finish-task", `{"input":{}}`)
	if _, msg, _ := ReadWSFrame(br); gjson.GetBytes(msg, "payload.usage.characters").Int() != 9 {
		t.Errorf("task-finished: %s", msg)
	}
}
