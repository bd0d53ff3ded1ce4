package mock

import (
	"encoding/base64"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// Speech synthesis, as DashScope's Qwen-TTS HTTP API serves it: multimodal-generation
// with a TTS model (qwen-tts, qwen3-tts-flash, ...: a name containing "tts"),
// input.text and input.voice required. With X-DashScope-SSE: enable the answer is an SSE
// stream, one event per word of the text, each carrying that word's audio as base64 PCM
// (24 kHz, 16-bit, mono) in output.audio.data, finish_reason "null"; the last event has
// finish_reason "stop", empty data and output.audio.url. Without SSE the answer is one
// JSON body with only the URL (DashScope keeps the WAV file for 24 hours), as the real
// API answers. usage has input_tokens, output_tokens, total_tokens and characters.
// SpeechPCM is the audio the mock streams for a text.

// SpeechURLPrefix starts output.audio.url of the mock's Qwen-TTS answers.
const SpeechURLPrefix = "https://dashscope-result-mock.oss-cn-beijing.aliyuncs.com/mock/audio/"

// isTTSModel reports the Qwen-TTS models.
func isTTSModel(model string) bool { return strings.Contains(strings.ToLower(model), "tts") }

// speechWord is the PCM of one word: 20 ms (480 samples) of a tone derived from it.
func speechWord(w string) []byte {
	h := fnv.New32a()
	h.Write([]byte(w))
	seed := h.Sum32()
	out := make([]byte, 960)
	for i := 0; i < 480; i++ {
		v := uint16(seed>>uint(i%16)) ^ uint16(i*31)
		out[2*i], out[2*i+1] = byte(v), byte(v>>8)
	}
	return out
}

// SpeechPCM is the PCM audio the mock's Qwen-TTS streams for text: the words' pieces
// in order.
func SpeechPCM(text string) []byte {
	var out []byte
	for _, w := range strings.Fields(text) {
		out = append(out, speechWord(w)...)
	}
	return out
}

func (x *exchange) dashscopeTTS() {
	in := x.req.Get("input")
	text, voice := in.Get("text").String(), in.Get("voice").String()
	if text == "" || voice == "" {
		x.fail(http.StatusBadRequest, "input.text and input.voice are required")
		return
	}
	words := strings.Fields(text)
	inTokens := len(words) + 1
	url := SpeechURLPrefix + x.id + ".wav"
	usage := func(out int) map[string]any {
		return map[string]any{"input_tokens": inTokens, "output_tokens": out, "total_tokens": inTokens + out, "characters": len([]rune(text))}
	}
	audio := func(data string, last bool) map[string]any {
		a := map[string]any{"data": data, "expires_at": Created + 86400, "id": "audio_" + x.id}
		if last {
			a["url"] = url
		}
		return a
	}
	if !x.dashscopeStreaming() {
		writeJSON(x.w, map[string]any{"output": map[string]any{"finish_reason": "stop", "audio": audio("", true)},
			"usage": usage(len(words) * 10), "request_id": x.id})
		return
	}
	s := x.startStreamAs("text/event-stream;charset=UTF-8")
	ev := func(n int, body map[string]any) error {
		return s.send([]byte("id:" + strconv.Itoa(n) + "\nevent:result\n:HTTP_STATUS/200\ndata:" + string(mustJSON(body)) + "\n\n"))
	}
	for i, w := range words {
		if ev(i+1, map[string]any{"output": map[string]any{"finish_reason": "null", "audio": audio(base64.StdEncoding.EncodeToString(speechWord(w)), false)},
			"usage": usage((i + 1) * 10), "request_id": x.id}) != nil {
			return
		}
	}
	ev(len(words)+1, map[string]any{"output": map[string]any{"finish_reason": "stop", "audio": audio("", true)},
		"usage": usage(len(words) * 10), "request_id": x.id})
}

// dashscopeWS serves DashScope's WebSocket inference route (/api-ws/v1/inference) for
// speech synthesis (CosyVoice, Sambert), as DashScope's WebSocket API reference
// describes it: the handshake needs Authorization (bearer; else 401 before the
// upgrade). The client sends JSON text frames {"header":{"action","task_id",
// "streaming":"duplex"},"payload":{...}}: run-task (payload.model, parameters.voice
// required) is answered with the event task-started; each continue-task
// (payload.input.text) with the text's audio as one binary frame per word (SpeechPCM's
// pieces) and a result-generated event; finish-task with task-finished (payload.usage.
// characters). An action before run-task, or a bad one, gets task-failed
// (error_code InvalidParameter) and the server closes.
func (x *exchange) dashscopeWS() {
	key := x.r.Header.Get("Sec-WebSocket-Key")
	if key == "" || x.r.Header.Get("Upgrade") == "" {
		x.fail(http.StatusBadRequest, "WebSocket upgrade required")
		return
	}
	conn, brw := x.acceptWS(key)
	defer conn.Close()
	event := func(task, name string, payload map[string]any, errCode string) {
		h := map[string]any{"task_id": task, "event": name, "attributes": map[string]any{}}
		if errCode != "" {
			h["error_code"], h["error_message"] = errCode, "mock: "+name
		}
		WriteWSFrame(brw, WSText, mustJSON(map[string]any{"header": h, "payload": payload}), false)
		brw.Flush()
	}
	started, chars := false, 0
	for {
		op, msg, err := ReadWSFrame(brw.Reader)
		if err != nil || op == WSClose {
			return
		}
		if op != WSText {
			continue
		}
		m := gjson.ParseBytes(msg)
		task := m.Get("header.task_id").String()
		switch action := m.Get("header.action").String(); {
		case action == "run-task" && m.Get("payload.model").String() != "" && m.Get("payload.parameters.voice").String() != "":
			started = true
			event(task, "task-started", map[string]any{}, "")
		case action == "continue-task" && started:
			text := m.Get("payload.input.text").String()
			chars += len([]rune(text))
			for _, w := range strings.Fields(text) {
				WriteWSFrame(brw, WSBinary, speechWord(w), false)
			}
			event(task, "result-generated", map[string]any{"output": map[string]any{"sentence": map[string]any{"text": text}}}, "")
		case action == "finish-task" && started:
			event(task, "task-finished", map[string]any{"output": map[string]any{}, "usage": map[string]any{"characters": chars}}, "")
			return
		default:
			event(task, "task-failed", map[string]any{}, "InvalidParameter")
			return
		}
	}
}
