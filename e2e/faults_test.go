package e2e

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	aoption "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/require"

	"github.com/ai-proxy/ai-proxy/hack/mock"
)

// convertingRoutes are the routes on which the plugin converts the answer: the client's
// SDK sees only what the plugin made of the upstream's bytes.
var convertingRoutes = []struct {
	name      string
	plugin    map[string]any
	anthropic bool // the client is the Anthropic SDK
	dashscope bool
}{
	{"claude", map[string]any{"provider": map[string]any{"type": "claude", "apiTokens": []any{upstreamToken}}}, false, false},
	{"qwen-native", map[string]any{"provider": map[string]any{"type": "qwen", "apiTokens": []any{upstreamToken}, "qwenEnableCompatible": false}}, false, true},
	{"anthropic-on-openai", openaiCfg, true, false},
}

// outcome is what an SDK made of one call: the text it returned as complete, or the
// error it raised (and the HTTP status of that error, when it has one).
type outcome struct {
	text   string
	err    error
	status int
}

func (o outcome) String() string {
	if o.err != nil {
		return "error " + o.err.Error()
	}
	return "answer " + o.text
}

// callSDK makes one call with the SDK; fault goes in the mock's fault header. The SDKs
// ask for gzip (Go's transport adds it); identity asks for plain answers instead, so that
// a fault is not hidden behind a compression failure.
func callSDK(t *testing.T, e *env, anthropicClient bool, stream bool, fault string, identity ...bool) outcome {
	t.Helper()
	ctx := context.Background()
	plain := len(identity) > 0 && identity[0]
	if anthropicClient {
		opts := []aoption.RequestOption{aoption.WithBaseURL(e.url), aoption.WithAPIKey(clientKey), aoption.WithMaxRetries(0),
			aoption.WithHeader(mock.FaultHeader, fault)}
		if plain {
			opts = append(opts, aoption.WithHeader("Accept-Encoding", "identity"))
		}
		c := anthropic.NewClient(opts...)
		var o outcome
		if stream {
			s := c.Messages.NewStreaming(ctx, hello("gpt-4o"))
			var msg anthropic.Message
			for s.Next() {
				if err := msg.Accumulate(s.Current()); err != nil {
					o.err = err
				}
			}
			if o.err == nil {
				o.err = s.Err()
			}
			if o.err == nil && len(msg.Content) > 0 {
				o.text = msg.Content[0].Text
			}
		} else {
			m, err := c.Messages.New(ctx, hello("gpt-4o"))
			o.err = err
			if err == nil && len(m.Content) > 0 {
				o.text = m.Content[0].Text
			}
		}
		var ae *anthropic.Error
		if errors.As(o.err, &ae) {
			o.status = ae.StatusCode
		}
		return o
	}
	opts := []option.RequestOption{option.WithHeader(mock.FaultHeader, fault)}
	if plain {
		opts = append(opts, option.WithHeader("Accept-Encoding", "identity"))
	}
	c := openaiClient(e, opts...)
	params := openai.ChatCompletionNewParams{Model: "claude-x", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello there")}}
	var o outcome
	if stream {
		s := c.Chat.Completions.NewStreaming(ctx, params)
		var acc openai.ChatCompletionAccumulator
		for s.Next() {
			acc.AddChunk(s.Current())
		}
		o.err = s.Err()
		if o.err == nil && len(acc.Choices) > 0 {
			o.text = acc.Choices[0].Message.Content
		}
	} else {
		out, err := c.Chat.Completions.New(ctx, params)
		o.err = err
		if err == nil && len(out.Choices) > 0 {
			o.text = out.Choices[0].Message.Content
		}
	}
	var oe *openai.Error
	if errors.As(o.err, &oe) {
		o.status = oe.StatusCode
	}
	return o
}

// TestFaultyUpstreamsRaiseSDKErrors: whatever goes wrong upstream — a cut stream, a
// body that is not the answer, an empty error — the official SDKs raise an error; none
// returns a short answer as if it were complete. A compressed upstream (the SDKs ask for
// gzip) is answered in full.
func TestFaultyUpstreamsRaiseSDKErrors(t *testing.T) {
	faults := []struct {
		fault      string
		streamOnly bool
		jsonOnly   bool
		status     int // the HTTP status the SDK error must carry; 0: any (in-stream errors have none)
	}{
		{fault: "cut-after:2", streamOnly: true},
		{fault: "cut-inside:2", streamOnly: true},
		{fault: "body:truncated", jsonOnly: true, status: 502},
		{fault: "body:html", jsonOnly: true, status: 502},
		{fault: "body:empty", jsonOnly: true, status: 502},
		{fault: "status:502:empty", status: 502},
		{fault: "status:503:html", status: 503},
		{fault: "gzip", status: 502}, // compressed although the plugin asked for identity
	}
	for _, r := range convertingRoutes {
		t.Run(r.name, func(t *testing.T) {
			e := gateway(t, r.name, r.plugin)
			for _, stream := range []bool{false, true} {
				mode := map[bool]string{false: "json", true: "stream"}[stream]
				t.Run("compressed answer "+mode, func(t *testing.T) {
					o := callSDK(t, e, r.anthropic, stream, "")
					require.NoError(t, o.err)
					require.Contains(t, o.text, "Hello")
					up := lastUpstream(t, e)
					require.Equal(t, "identity", up.Header.Get("Accept-Encoding"), "the plugin reads this answer")
				})
				for _, f := range faults {
					if (f.streamOnly && !stream) || (f.jsonOnly && stream) {
						continue
					}
					t.Run(f.fault+" "+mode, func(t *testing.T) {
						for _, identity := range []bool{false, true} {
							o := callSDK(t, e, r.anthropic, stream, f.fault, identity)
							require.Error(t, o.err, "the SDK took %s as a complete answer (identity %v)", o, identity)
							if f.status != 0 && f.fault != "gzip" {
								require.Equal(t, f.status, o.status, "%s", o)
							}
						}
						o := callSDK(t, e, r.anthropic, stream, f.fault)
						if f.status != 0 {
							require.Equal(t, f.status, o.status, "%s", o)
						}
					})
				}
			}
			if r.dashscope {
				t.Run("dashscope sse error", func(t *testing.T) {
					o := callSDK(t, e, r.anthropic, true, "dashscope-sse-error:400")
					var oe *openai.Error
					require.True(t, errors.As(o.err, &oe), "%s", o)
					require.Equal(t, http.StatusBadRequest, oe.StatusCode)
					require.Equal(t, "InvalidParameter", oe.Code)
					require.False(t, strings.Contains(oe.Message, "event:error"), "raw SSE in the message: %s", oe.Message)
				})
			}
		})
	}
}

// TestPassthroughKeepsClientEncoding: an answer the plugin does not read keeps the
// encoding the client asked for.
func TestPassthroughKeepsClientEncoding(t *testing.T) {
	e := gateway(t, "openai", openaiCfg)
	o := callSDK(t, e, false, false, "")
	require.NoError(t, o.err)
	up := lastUpstream(t, e)
	require.Contains(t, up.Header.Get("Accept-Encoding"), "gzip")
}

// TestPassthroughStreamCut: a passed-through stream that the upstream cuts ends with an
// error the SDK raises, for OpenAI clients of openai and Anthropic clients of claude.
func TestPassthroughStreamCut(t *testing.T) {
	routes := []struct {
		name      string
		plugin    map[string]any
		anthropic bool
	}{
		{"openai", openaiCfg, false},
		{"claude-native", map[string]any{"provider": map[string]any{"type": "claude", "apiTokens": []any{upstreamToken}}}, true},
	}
	for _, r := range routes {
		e := gateway(t, r.name, r.plugin)
		for _, fault := range []string{"cut-after:2", "cut-inside:2"} {
			t.Run(r.name+" "+fault, func(t *testing.T) {
				for _, identity := range []bool{false, true} {
					o := callSDK(t, e, r.anthropic, true, fault, identity)
					require.Error(t, o.err, "the SDK took %s as a complete answer", o)
				}
				require.Equal(t, "identity", lastUpstream(t, e).Header.Get("Accept-Encoding"), "a watched stream is asked uncompressed")
			})
		}
		t.Run(r.name+" whole", func(t *testing.T) {
			o := callSDK(t, e, r.anthropic, true, "")
			require.NoError(t, o.err)
			require.NotEmpty(t, o.text)
		})
	}
}
