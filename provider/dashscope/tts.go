package dashscope

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"unsafe"

	"github.com/ai-proxy/ai-proxy/provider/sse"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// Speech converts OpenAI speech synthesis (`/v1/audio/speech`: model, input, voice,
// instructions, response_format, stream_format) to DashScope's Qwen-TTS HTTP API
// (qwen-tts, qwen3-tts-flash, qwen3-tts-instruct-flash: multimodal-generation with
// input.text, input.voice, input.language_type, input.instructions), and DashScope's
// answer back to what the OpenAI SDK expects: audio bytes.
//
// Qwen-TTS answers a plain request with a URL to a WAV file, which the plugin cannot
// fetch for the client; so the request is always sent as a stream (X-DashScope-SSE:
// enable), whose events carry the audio as base64 PCM (24 kHz, 16-bit, mono — exactly
// OpenAI's `pcm` format). The client gets:
//
//   - response_format "pcm": the decoded PCM bytes as they arrive (audio/pcm);
//   - "wav" or none: the same bytes behind a 44-byte WAV header (audio/wav); the
//     header's sizes are 0xFFFFFFFF ("unknown length", as streamed WAV is written),
//     since the audio is passed on before its length is known;
//   - stream_format "sse": OpenAI's speech events, `speech.audio.delta` with the base64
//     PCM copied as it is and a final `speech.audio.done` with usage.
//
// mp3, opus, aac and flac cannot be produced without an encoder and are refused with
// 400, as are `speed` other than 1 (Qwen-TTS has no rate control) and the CosyVoice and
// Sambert models (DashScope serves them over WebSocket only: /api-ws/v1/inference,
// which passes through the plugin as it is). voice is DashScope's voice name (Cherry,
// Ethan, ...); `language_type` and `optimize_instructions` are passed on when present.
//
// An error DashScope reports inside the stream after the audio began cannot be told in
// audio bytes: the audio ends there (with stream_format "sse" it is an error event).
type Speech struct {
	o      Options
	model  string
	format string // "pcm", "wav" or "sse"
	rd     sse.Reader
	usage  translator.Usage
	head   bool // the WAV header was written
	done   bool // the final event (finish_reason stop) or an error arrived
	buf    []byte
	resp   []byte
	jsonAnswer
}

// NewSpeech returns the converter for one speech request.
func NewSpeech(o Options) *Speech { return &Speech{o: o} }

// ContentType is the content type of the client's answer, known once RequestBody ran.
func (t *Speech) ContentType() string {
	switch t.format {
	case "pcm":
		return "audio/pcm"
	case "sse":
		return "text/event-stream"
	}
	return "audio/wav"
}

// Qwen-TTS's PCM: 24 kHz, 16-bit little-endian, mono.
const (
	ttsRate     = 24000
	ttsBits     = 16
	ttsChannels = 1
)

// RequestBody implements translator.Translator.
func (t *Speech) RequestBody(body []byte) ([]byte, error) {
	root := gjson.ParseBytes(body)
	t.model = root.Get("model").String()
	t.usage.Model = t.model
	m := strings.ToLower(t.model)
	if strings.HasPrefix(m, "cosyvoice") || strings.HasPrefix(m, "sambert") {
		return nil, errors.New("model: " + t.model + " is served by DashScope over WebSocket only (/api-ws/v1/inference); use a Qwen-TTS model (qwen3-tts-flash, qwen-tts) on /v1/audio/speech")
	}
	in := root.Get("input")
	if in.Type != gjson.String || in.Str == "" {
		return nil, errors.New("input: required, the text to speak")
	}
	voice := root.Get("voice")
	if voice.IsObject() {
		voice = voice.Get("id")
	}
	if voice.Type != gjson.String || voice.Str == "" {
		return nil, errors.New("voice: required, a DashScope voice name (Cherry, Ethan, ...)")
	}
	if s := root.Get("speed"); s.Exists() && s.Type != gjson.Null && s.Float() != 1 {
		return nil, errors.New("speed: Qwen-TTS has no speaking-rate control; leave speed at 1")
	}
	f := root.Get("response_format").String()
	switch f {
	case "", "wav", "pcm":
	default:
		return nil, errors.New("response_format: " + f + " cannot be produced from DashScope's Qwen-TTS, which streams 24 kHz 16-bit mono PCM; ask for wav or pcm")
	}
	switch sf := root.Get("stream_format").String(); sf {
	case "", "audio":
		t.format = f
		if t.format == "" {
			t.format = "wav"
		}
	case "sse":
		if f == "wav" {
			return nil, errors.New("stream_format sse carries pcm audio from DashScope; ask for response_format pcm")
		}
		t.format = "sse"
	default:
		return nil, errors.New("stream_format: " + sf + " is not one of audio, sse")
	}
	out := append(t.buf[:0], `{"model":`...)
	out = translator.AppendString(out, t.model)
	out = append(out, `,"input":{"text":`...)
	out = append(out, in.Raw...)
	out = append(out, `,"voice":`...)
	out = append(out, voice.Raw...)
	for _, k := range [...]string{"instructions", "language_type", "optimize_instructions"} {
		if v := root.Get(k); v.Exists() && v.Type != gjson.Null {
			out = append(out, ',')
			out = translator.AppendString(out, k)
			out = append(out, ':')
			out = append(out, v.Raw...)
		}
	}
	out = append(out, "}}"...)
	t.buf = out
	return out, nil
}

// EditUpstream implements translator.UpstreamEditor: Qwen-TTS is asked for a stream.
func (t *Speech) EditUpstream(path string, setHeader func(name, value string)) string {
	setHeader("x-dashscope-sse", "enable")
	return path
}

// ResponseBody implements translator.Translator: an error, or a whole JSON answer
// although a stream was asked for, which holds an audio URL the plugin cannot fetch for
// the client: a 502 naming it.
func (t *Speech) ResponseBody(status int, body []byte) ([]byte, error) {
	if status/100 != 2 || !gjson.ValidBytes(body) || isError(gjson.ParseBytes(body)) {
		return appendError(nil, status, body), nil
	}
	root := gjson.ParseBytes(body)
	readUsage(root.Get("usage"), &t.usage)
	return nil, &translator.StatusError{Status: 502, Code: "bad_upstream_response",
		Message: "DashScope answered with an audio URL (" + root.Get("output.audio.url").String() + ") instead of the audio stream the plugin asked for"}
}

// ResponseStream implements translator.Translator: DashScope's SSE events in, audio
// bytes (or OpenAI speech events) out, event by event.
func (t *Speech) ResponseStream(dst, chunk []byte, end bool) ([]byte, error) {
	if t.status != 0 && t.status/100 != 2 {
		return t.collect(dst, chunk, end, t.ResponseBody)
	}
	t.rd.Feed(chunk)
	for ev, ok := t.rd.Next(); ok; ev, ok = t.rd.Next() {
		dst = t.event(dst, ev)
	}
	if end {
		for ev, ok := t.rd.Flush(); ok; ev, ok = t.rd.Flush() {
			dst = t.event(dst, ev)
		}
		if !t.done && t.format == "sse" {
			dst = sse.AppendData(dst, translator.AppendOpenAIError(nil, translator.StreamCutMessage, "server_error", "stream_truncated"))
		}
		t.done = true
	}
	return dst, nil
}

func (t *Speech) event(dst []byte, ev sse.Event) []byte {
	if t.done || len(ev.Data) == 0 || ev.Data[0] != '{' {
		return dst
	}
	root := gjson.Parse(translator.View(ev.Data)) // no copy: ev.Data is only read here
	if string(ev.Name) == "error" || isError(root) {
		t.done = true
		if t.format == "sse" {
			dst = sse.AppendData(dst, appendError(nil, 0, ev.Data))
		}
		return dst
	}
	if u := root.Get("usage"); u.Exists() {
		readUsage(u, &t.usage)
	}
	dst = t.audio(dst, root.Get("output.audio.data").Str)
	if root.Get("output.finish_reason").Str == "stop" {
		t.done = true
		if t.format == "sse" {
			dst = t.appendDone(dst)
		}
	}
	return dst
}

// audio appends one piece of base64 PCM in the client's format.
func (t *Speech) audio(dst []byte, b64 string) []byte {
	if t.format == "wav" && !t.head {
		t.head = true
		dst = appendWAVHeader(dst)
	}
	if b64 == "" {
		return dst
	}
	if t.format == "sse" {
		dst = append(dst, `data: {"type":"speech.audio.delta","audio":`...)
		dst = translator.AppendString(dst, b64)
		return append(dst, "}\n\n"...)
	}
	n := base64.StdEncoding.DecodedLen(len(b64))
	start := len(dst)
	dst = append(dst, make([]byte, n)...)
	w, err := base64.StdEncoding.Decode(dst[start:], unsafe.Slice(unsafe.StringData(b64), len(b64))) // read only
	if err != nil {
		return dst[:start] // a piece that is no base64 is no audio
	}
	return dst[:start+w]
}

func (t *Speech) appendDone(dst []byte) []byte {
	dst = append(dst, `data: {"type":"speech.audio.done","usage":{"input_tokens":`...)
	dst = translator.AppendInt(dst, t.usage.PromptTokens)
	dst = append(dst, `,"output_tokens":`...)
	dst = translator.AppendInt(dst, t.usage.CompletionTokens)
	dst = append(dst, `,"total_tokens":`...)
	dst = translator.AppendInt(dst, t.usage.TotalTokens)
	return append(dst, "}}\n\n"...)
}

// appendWAVHeader writes a canonical 44-byte PCM WAV header of unknown length.
func appendWAVHeader(dst []byte) []byte {
	const unknown = 0xFFFFFFFF
	dst = append(dst, "RIFF"...)
	dst = binary.LittleEndian.AppendUint32(dst, unknown)
	dst = append(dst, "WAVEfmt "...)
	dst = binary.LittleEndian.AppendUint32(dst, 16) // fmt chunk size
	dst = binary.LittleEndian.AppendUint16(dst, 1)  // PCM
	dst = binary.LittleEndian.AppendUint16(dst, ttsChannels)
	dst = binary.LittleEndian.AppendUint32(dst, ttsRate)
	dst = binary.LittleEndian.AppendUint32(dst, ttsRate*ttsChannels*ttsBits/8) // byte rate
	dst = binary.LittleEndian.AppendUint16(dst, ttsChannels*ttsBits/8)         // block align
	dst = binary.LittleEndian.AppendUint16(dst, ttsBits)
	dst = append(dst, "data"...)
	return binary.LittleEndian.AppendUint32(dst, unknown)
}

// Usage implements translator.Translator.
func (t *Speech) Usage() translator.Usage { return t.usage }
