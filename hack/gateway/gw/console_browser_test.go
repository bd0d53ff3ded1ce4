package gw

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ai-proxy/ai-proxy/hack/mock"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// consoleBrowserEnv set to "require" makes TestConsoleBrowser fail instead of skip when
// no Chromium or no compiled plugin is found (`make test` sets it).
const consoleBrowserEnv = "CONSOLE_BROWSER_TEST"

// findChromium looks for a Chromium-family browser on PATH.
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// skipOrFail skips the test, or fails it when consoleBrowserEnv=require.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv(consoleBrowserEnv) == "require" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// TestConsoleBrowser drives the debug console (/console/) in headless Chromium against
// the compiled plugin and the mock provider, as a user would: chat with streaming off and
// on, multi-turn, the Anthropic protocol, an error, form validation, the cURL tab's
// command replayed outside the browser, the usage view, labels, Ctrl+Enter and a 390 px
// viewport. It saves build/console.png and build/console-390.png.
func TestConsoleBrowser(t *testing.T) {
	browser := findChromium()
	if browser == "" {
		skipOrFail(t, "no Chromium on PATH (chromium, chromium-browser, google-chrome): install it (`apt-get install chromium`) to run the console browser test")
	}
	wasmPath := os.Getenv("WASM_FILE_PATH")
	if wasmPath == "" {
		wasmPath = filepath.Join("..", "..", "..", "build", "ai-proxy.wasm")
	}
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		skipOrFail(t, "no compiled plugin (%v): run `make build` or set WASM_FILE_PATH", err)
	}
	start := time.Now()

	// The mock pauses between stream events so that the page shows the answer growing.
	g, err := New(context.Background(), &Config{
		Listen: "127.0.0.1:0",
		Mock:   true,
		VMs:    2,
		Plugin: map[string]any{
			"monitoring": map[string]any{"enabled": true},
			"provider":   map[string]any{"type": "openai", "apiTokens": []any{"sk-console-test-upstream"}},
		},
	}, wasm, Options{Mock: mock.NewHandler(mock.WithStreamDelay(40 * time.Millisecond)), Log: io.Discard})
	require.NoError(t, err)
	defer g.Close()
	require.NoError(t, g.Start())
	base := g.URL()

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(browser),
			chromedp.NoSandbox, // CI runs as root
			chromedp.Flag("disable-gpu", true),
			chromedp.WindowSize(1280, 1000),
		)...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	// Uncaught page errors fail the test.
	var (
		errMu      sync.Mutex
		pageErrors []string
	)
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			// The 429 of step 5 is wanted (the browser logs it as a failed load).
			if m.IsException() || m.Type == "error" && !strings.Contains(m.String(), "status of 429") {
				errMu.Lock()
				pageErrors = append(pageErrors, m.String())
				errMu.Unlock()
			}
		}
	}()

	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		require.NoError(t, chromedp.Do(ctx, steps...))
	}
	eval := func(expr string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		require.NoError(t, err, expr)
		return v
	}
	// waitFor polls a JavaScript expression until it is true.
	waitFor := func(what, expr string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
			require.NoError(t, err, expr)
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s (%s); chat: %s; status: %s", what, expr,
					eval(`document.getElementById("chat").innerText`), eval(`document.getElementById("status").innerText`))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	lastAnswer := func() string {
		return eval(`(() => { const a = document.querySelectorAll("#chat .msg.assistant .text"); return a.length ? a[a.length-1].textContent : "" })()`)
	}
	assistantCount := `document.querySelectorAll("#chat .msg.assistant").length`
	setValue := func(id, v string) {
		t.Helper()
		b, _ := json.Marshal(v)
		eval(fmt.Sprintf(`(() => { const e = document.getElementById(%q); e.value = %s; e.dispatchEvent(new Event("input")); e.dispatchEvent(new Event("change")); return "" })()`, id, b))
	}

	do(chromedp.Navigate(base+"/console"), chromedp.WaitVisible(chromedp.CSS("#send")))
	// The model list comes from /v1/models through the plugin.
	waitFor("the model list", `document.querySelectorAll("#models option").length >= 2`)
	require.Equal(t, "gpt-4o-mini", eval(`document.getElementById("model").value`))

	// Every control has a label.
	unlabelled := eval(`[...document.querySelectorAll("input, select, textarea")].filter(e => !(e.labels && e.labels.length)).map(e => e.id || e.outerHTML).join(",")`)
	require.Empty(t, unlabelled, "controls without a <label>")

	// Validation: out-of-range and malformed values are reported inline, nothing is sent.
	setValue("top_p", "1.5")
	setValue("custom", "[1, 2]")
	setValue("message", "not sent")
	do(chromedp.Click(chromedp.CSS("#send")))
	require.Contains(t, eval(`document.getElementById("top_p-err").textContent`), "Between 0 and 1")
	require.Contains(t, eval(`document.getElementById("custom-err").textContent`), "JSON object")
	require.Equal(t, "true", eval(`document.getElementById("top_p").getAttribute("aria-invalid")`))
	require.Equal(t, "0", eval(`String(`+assistantCount+`)`))
	setValue("system", strings.Repeat("x", 101))
	do(chromedp.Click(chromedp.CSS("#send")))
	require.Contains(t, eval(`document.getElementById("system-err").textContent`), "At most 100")
	setValue("system", "Answer briefly.")
	setValue("top_p", "0.95")
	setValue("custom", `{"presence_penalty": 0.5}`)

	// 1. Streaming off, sent with the button.
	setValue("message", "first turn")
	do(chromedp.Click(chromedp.CSS("#send")))
	waitFor("the first answer", assistantCount+` === 1 && !document.getElementById("send").disabled`)
	require.Equal(t, "Hello from the mock gpt-4o-mini! You said: first turn", lastAnswer())
	raw := eval(`document.getElementById("raw").textContent`)
	require.Contains(t, raw, `"object":"chat.completion"`)
	curl := eval(`document.getElementById("curl").textContent`)
	require.Contains(t, curl, `"presence_penalty":0.5`)
	require.Contains(t, curl, `"max_tokens":1024`)
	require.Contains(t, curl, `{"role":"system","content":"Answer briefly."}`)
	require.Contains(t, curl, "Bearer sk-****")
	require.NotContains(t, curl, "sk-console-placeholder")
	require.Equal(t, lastAnswer(), answerText(t, runCurl(t, curl)), "the cURL command reproduces the answer")

	// 2. Streaming on, sent with Ctrl+Enter: the answer grows as events arrive, and the
	// history goes with the request.
	do(chromedp.Click(chromedp.CSS("#stream")))
	eval(`(() => { window.__seen = new Set(); new MutationObserver(() => { const a = document.querySelectorAll("#chat .msg.assistant .text"); if (a.length === 2) window.__seen.add(a[1].textContent) }).observe(document.getElementById("chat"), {subtree: true, childList: true, characterData: true}); return "" })()`)
	setValue("message", "second turn")
	do(chromedp.Focus(chromedp.CSS("#message")), chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	waitFor("the streamed answer", assistantCount+` === 2 && !document.getElementById("send").disabled`)
	require.Equal(t, "Hello from the mock gpt-4o-mini! You said: second turn", lastAnswer())
	require.Equal(t, "", eval(`document.getElementById("message").value`))
	seen := eval(`String(window.__seen.size)`)
	require.NotContains(t, []string{"0", "1", "2"}, seen, "the streamed answer appeared in pieces (%s states)", seen)
	raw = eval(`document.getElementById("raw").textContent`)
	require.Contains(t, raw, "data: {")
	require.Contains(t, raw, "data: [DONE]")
	curl = eval(`document.getElementById("curl").textContent`)
	require.True(t, strings.HasPrefix(curl, "curl -sSN "), curl)
	require.Contains(t, curl, `{"role":"assistant","content":"Hello from the mock gpt-4o-mini! You said: first turn"}`)
	require.Equal(t, lastAnswer(), answerText(t, runCurl(t, curl)), "the cURL command reproduces the streamed answer")

	// The cURL and raw tabs are switchable and show the same text.
	do(chromedp.Click(chromedp.CSS("#tab-curl")))
	require.Equal(t, "false", eval(`String(document.getElementById("panel-curl").hidden)`))
	do(chromedp.Click(chromedp.CSS("#tab-raw")))
	require.Equal(t, "false", eval(`String(document.getElementById("panel-raw").hidden)`))
	do(chromedp.Click(chromedp.CSS("#tab-chat")))

	// 3. The usage view counts the requests, read from /metrics.
	waitFor("the usage view", `(() => { const r = document.querySelector('#usage-table tr[data-model="gpt-4o-mini"]'); return r && Number(r.cells[1].textContent) >= 2 && Number(r.cells[2].textContent) > 0 })()`)
	require.Contains(t, eval(`document.getElementById("chart").innerHTML`), "<svg")

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join("..", "..", "..", "build", "console.png"), shot, 0o644))

	// 4. Anthropic protocol, after Clear: max_tokens is required, system is top-level.
	do(chromedp.Click(chromedp.CSS("#clear")))
	require.Equal(t, "0", eval(`String(`+assistantCount+`)`))
	setValue("protocol", "anthropic")
	setValue("max_tokens", "0")
	setValue("message", "third turn")
	do(chromedp.Click(chromedp.CSS("#send")))
	require.Contains(t, eval(`document.getElementById("max_tokens-err").textContent`), "Anthropic")
	setValue("max_tokens", "256")
	do(chromedp.Click(chromedp.CSS("#send")))
	waitFor("the Anthropic answer", assistantCount+` === 1 && !document.getElementById("send").disabled`)
	require.Equal(t, "Hello from the mock gpt-4o-mini! You said: third turn", lastAnswer())
	curl = eval(`document.getElementById("curl").textContent`)
	require.Contains(t, curl, "/v1/messages")
	require.Contains(t, curl, `"system":"Answer briefly."`)
	require.Contains(t, curl, "x-api-key: sk-****")
	require.Contains(t, eval(`document.getElementById("raw").textContent`), "event: content_block_delta")
	require.Equal(t, lastAnswer(), answerText(t, runCurl(t, curl)))

	// 5. An error is shown as the plugin returned it.
	setValue("protocol", "openai")
	setValue("model", "mock-error-429")
	setValue("message", "fail please")
	do(chromedp.Click(chromedp.CSS("#send")))
	waitFor("the error", `document.querySelector("#chat .msg.failed")`)
	failed := eval(`document.querySelector("#chat .msg.failed").textContent`)
	require.Contains(t, failed, "HTTP 429")
	require.Contains(t, failed, "rate_limit_exceeded")
	setValue("model", "gpt-4o-mini")

	// 6. A 390 px wide viewport: nothing overflows horizontally, on any tab.
	do(chromedp.EmulateViewport(390, 844))
	for _, tab := range []string{"curl", "raw", "chat"} {
		do(chromedp.Click(chromedp.CSS("#tab-"+tab)), chromedp.Sleep(50*time.Millisecond))
		w := eval(`String(Math.max(document.documentElement.scrollWidth, document.body.scrollWidth))`)
		require.Equal(t, "390", w, "page width at a 390 px viewport on tab %s", tab)
	}
	shot, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join("..", "..", "..", "build", "console-390.png"), shot, 0o644))

	// 7. Without monitoring in the plugin config the usage view says so.
	g2, err := New(context.Background(), &Config{
		Listen: "127.0.0.1:0", Mock: true, VMs: 1,
		Plugin: map[string]any{"provider": map[string]any{"type": "openai", "apiTokens": []any{"sk-console-test-upstream"}}},
	}, wasm, Options{Log: io.Discard})
	require.NoError(t, err)
	defer g2.Close()
	require.NoError(t, g2.Start())
	do(chromedp.Navigate(g2.URL()+ConsolePath), chromedp.WaitVisible(chromedp.CSS("#send")))
	waitFor("the no-monitoring notice", `document.getElementById("usage-note").textContent.includes("Monitoring is off")`)

	errMu.Lock()
	defer errMu.Unlock()
	require.Empty(t, pageErrors, "errors in the page's console")
	t.Logf("console browser test took %s", time.Since(start).Round(time.Millisecond))
}

// runCurl runs the cURL tab's command with curl if it is on PATH, else replays it with
// net/http (parseCurl); it returns the answer body.
func runCurl(t *testing.T, command string) string {
	t.Helper()
	if _, err := exec.LookPath("curl"); err == nil {
		out, err := exec.Command("sh", "-c", command).Output()
		require.NoError(t, err, command)
		return string(out)
	}
	method, url, headers, body, err := parseCurl(command)
	require.NoError(t, err, command)
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Add(k, strings.TrimSpace(v))
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// parseCurl reads the commands the console writes: curl [-flags] -X METHOD 'url'
// -H 'k: v'... -d 'body', arguments single-quoted the POSIX shell way.
func parseCurl(command string) (method, url string, headers []string, body string, err error) {
	args, err := shellWords(strings.ReplaceAll(command, "\\\n", " "))
	if err != nil {
		return "", "", nil, "", err
	}
	method = "GET"
	for i := 1; i < len(args); i++ {
		a := args[i]
		next := func() string {
			i++
			if i < len(args) {
				return args[i]
			}
			err = fmt.Errorf("%s without a value", a)
			return ""
		}
		switch {
		case a == "-X":
			method = next()
		case a == "-H":
			headers = append(headers, next())
		case a == "-d":
			body = next()
			if method == "GET" {
				method = "POST"
			}
		case strings.HasPrefix(a, "-"):
		default:
			url = a
		}
	}
	if url == "" && err == nil {
		err = errors.New("no URL")
	}
	return method, url, headers, body, err
}

// shellWords splits a command line of bare and single-quoted words.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	in, quoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '\'':
			quoted = false
		case quoted:
			cur.WriteByte(c)
		case c == '\'':
			quoted, in = true, true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			in = true
		case c == ' ' || c == '\t' || c == '\n':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if quoted {
		return nil, errors.New("unterminated quote")
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}

// answerText is the assistant text of an OpenAI or Anthropic answer, JSON or SSE.
func answerText(t *testing.T, body string) string {
	t.Helper()
	if !strings.Contains(body, "data:") {
		var j struct {
			Choices []struct {
				Message struct{ Content string } `json:"message"`
			} `json:"choices"`
			Content []struct{ Type, Text string } `json:"content"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &j), body)
		if len(j.Choices) > 0 {
			return j.Choices[0].Message.Content
		}
		var s strings.Builder
		for _, c := range j.Content {
			s.WriteString(c.Text)
		}
		return s.String()
	}
	var s strings.Builder
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		var ev struct {
			Choices []struct {
				Delta struct{ Content string } `json:"delta"`
			} `json:"choices"`
			Type  string                `json:"type"`
			Delta struct{ Text string } `json:"delta"`
		}
		require.NoError(t, json.Unmarshal([]byte(data), &ev), data)
		if len(ev.Choices) > 0 {
			s.WriteString(ev.Choices[0].Delta.Content)
		}
		if ev.Type == "content_block_delta" {
			s.WriteString(ev.Delta.Text)
		}
	}
	return s.String()
}

func TestParseCurl(t *testing.T) {
	m, u, h, b, err := parseCurl("curl -sSN -X POST 'http://h/v1' \\\n  -H 'a: b' \\\n  -d '{\"x\":\"it'\\''s\"}'")
	require.NoError(t, err)
	require.Equal(t, "POST", m)
	require.Equal(t, "http://h/v1", u)
	require.Equal(t, []string{"a: b"}, h)
	require.Equal(t, `{"x":"it's"}`, b)
}
