package dashscope

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/internal/golden"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

func newSpeech(o Options) translator.Translator { return NewSpeech(o) }

// ttsPCM is the audio of tts.answer.sse's two base64 pieces, decoded.
var ttsPCM = []byte{0, 1, 2, 3, 4, 5, 6, 7, 0x10, 0x20, 0x30, 0x40}

// TestSpeechGolden: OpenAI /v1/audio/speech → Qwen-TTS (request golden), and Qwen-TTS's
// SSE → the client's audio (pcm, wav) or OpenAI speech events (sse), whole and split at
// every byte.
func TestSpeechGolden(t *testing.T) {
	cases := []struct {
		name, in, answer, ext, ct string
		check                     func(t *testing.T, out []byte)
	}{
		{"tts_pcm", "tts_pcm.in.json", "tts.answer.sse", "pcm", "audio/pcm", func(t *testing.T, out []byte) {
			if !bytes.Equal(out, ttsPCM) {
				t.Errorf("pcm %x, want %x", out, ttsPCM)
			}
		}},
		{"tts_wav", "tts_wav.in.json", "tts.answer.sse", "wav", "audio/wav", func(t *testing.T, out []byte) {
			if len(out) != 44+len(ttsPCM) || string(out[:4]) != "RIFF" || string(out[8:16]) != "WAVEfmt " || string(out[36:40]) != "data" {
				t.Fatalf("not a WAV header: %x", out)
			}
			if rate := binary.LittleEndian.Uint32(out[24:]); rate != 24000 {
				t.Errorf("sample rate %d", rate)
			}
			if bits := binary.LittleEndian.Uint16(out[34:]); bits != 16 {
				t.Errorf("bits %d", bits)
			}
			if !bytes.Equal(out[44:], ttsPCM) {
				t.Errorf("samples %x", out[44:])
			}
		}},
		{"tts_sse", "tts_sse.in.json", "tts.answer.sse", "sse", "text/event-stream", func(t *testing.T, out []byte) {
			ev := sseData(out)
			if len(ev) != 3 || gjson.Get(ev[0], "type").String() != "speech.audio.delta" || gjson.Get(ev[1], "audio").String() != "ECAwQA==" {
				t.Fatalf("events %q", ev)
			}
			if gjson.Get(ev[2], "type").String() != "speech.audio.done" || gjson.Get(ev[2], "usage.total_tokens").Int() != 9 {
				t.Errorf("last event %s", ev[2])
			}
		}},
		{"tts_sse_error", "tts_sse.in.json", "tts_error.answer.sse", "sse", "text/event-stream", func(t *testing.T, out []byte) {
			ev := sseData(out)
			if len(ev) != 2 || gjson.Get(ev[1], "error.code").String() != "DataInspectionFailed" {
				t.Fatalf("events %q: want one delta, then the error", ev)
			}
		}},
		{"tts_pcm_error", "tts_pcm.in.json", "tts_error.answer.sse", "pcm", "audio/pcm", func(t *testing.T, out []byte) {
			if !bytes.Equal(out, ttsPCM[:8]) {
				t.Errorf("pcm %x: want the audio before the error, then the end", out)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			newT := func() translator.Translator {
				s := NewSpeech(Options{Now: fixedNow})
				if _, err := s.RequestBody(readFixture(t, c.in)); err != nil {
					t.Fatalf("RequestBody: %v", err)
				}
				s.SetUpstreamStatus(200, sseCT)
				return s
			}
			s := NewSpeech(Options{Now: fixedNow})
			up, err := s.RequestBody(readFixture(t, c.in))
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(up) {
				t.Fatalf("upstream body not JSON: %s", up)
			}
			checkGolden(t, c.name+".upstream.json", up)
			hdr := map[string]string{}
			if p := s.EditUpstream(PathMultimodalGeneration, func(k, v string) { hdr[k] = v }); p != PathMultimodalGeneration || hdr["x-dashscope-sse"] != "enable" {
				t.Errorf("upstream %s %v: want multimodal-generation as a stream", p, hdr)
			}
			if got := s.ContentType(); got != c.ct {
				t.Errorf("content type %q, want %q", got, c.ct)
			}
			answer := readFixture(t, c.answer)
			tr := newT()
			whole, _ := tr.ResponseStream(nil, answer, true)
			c.check(t, whole)
			checkGolden(t, c.name+".client."+c.ext, whole)
			golden.CheckSplits(t, newT, answer, whole)
			if c.answer == "tts.answer.sse" {
				if u := tr.Usage(); u.PromptTokens != 3 || u.CompletionTokens != 6 || u.TotalTokens != 9 || u.Model == "" {
					t.Errorf("usage %+v", u)
				}
			}
		})
	}
}

func TestSpeechRefusals(t *testing.T) {
	cases := []struct{ body, want string }{
		{`{"model":"qwen-tts","voice":"Cherry"}`, "input: required"},
		{`{"model":"qwen-tts","input":"hi"}`, "voice: required"},
		{`{"model":"qwen-tts","input":"hi","voice":"Cherry","response_format":"mp3"}`, "response_format: mp3"},
		{`{"model":"qwen-tts","input":"hi","voice":"Cherry","speed":1.5}`, "speed:"},
		{`{"model":"cosyvoice-v2","input":"hi","voice":"longxiaochun"}`, "WebSocket only"},
		{`{"model":"qwen-tts","input":"hi","voice":"Cherry","stream_format":"sse","response_format":"wav"}`, "stream_format sse"},
		{`{"model":"qwen-tts","input":"hi","voice":"Cherry","stream_format":"chunks"}`, "stream_format: chunks"},
	}
	for _, c := range cases {
		_, err := NewSpeech(Options{}).RequestBody([]byte(c.body))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.body, err, c.want)
		}
	}
}

// TestSpeechWholeAnswers: an error answer becomes an OpenAI error; a whole success
// answer (a URL, no audio) a 502 that names the URL.
func TestSpeechWholeAnswers(t *testing.T) {
	s := NewSpeech(Options{})
	if _, err := s.RequestBody(readFixture(t, "tts_pcm.in.json")); err != nil {
		t.Fatal(err)
	}
	out, err := s.ResponseBody(400, readFixture(t, "chat_error.answer.json"))
	if err != nil || gjson.GetBytes(out, "error.message").String() == "" {
		t.Errorf("error answer: %s %v", out, err)
	}
	_, err = s.ResponseBody(200, readFixture(t, "tts_url.answer.json"))
	var se *translator.StatusError
	if !asStatus(err, &se) || se.Status != 502 || !strings.Contains(se.Message, "audio_0f0f.wav") {
		t.Errorf("url answer: %v", err)
	}
}

func asStatus(err error, se **translator.StatusError) bool {
	s, ok := err.(*translator.StatusError)
	*se = s
	return ok
}

// FuzzSpeechStream: the speech stream converter never panics and gives the same bytes
// however its input is split.
func FuzzSpeechStream(f *testing.F) {
	f.Add(readFixture(f, "tts.answer.sse"), 10)
	f.Add(readFixture(f, "tts_error.answer.sse"), 100)
	f.Add([]byte("data:{\"output\":{\"audio\":{\"data\":\"!!!\"}}}\n\n"), 3)
	f.Fuzz(func(t *testing.T, in []byte, cut int) {
		for _, fixture := range []string{"tts_pcm.in.json", "tts_wav.in.json", "tts_sse.in.json"} {
			run := func(pieces ...[]byte) []byte {
				s := NewSpeech(Options{})
				if _, err := s.RequestBody(readFixture(t, fixture)); err != nil {
					t.Fatal(err)
				}
				var out []byte
				for i, p := range pieces {
					out, _ = s.ResponseStream(out, append([]byte(nil), p...), i == len(pieces)-1)
				}
				return out
			}
			c := 0
			if len(in) > 0 {
				c = (cut%len(in) + len(in)) % len(in)
			}
			if whole, split := run(in), run(in[:c], in[c:]); !bytes.Equal(whole, split) {
				t.Fatalf("%s: split at %d changes the output", fixture, c)
			}
		}
	})
}
