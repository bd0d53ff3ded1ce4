package gw

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// The console's own endpoints, without a browser (TestConsoleBrowser drives the page).
func TestConsoleEndpoints(t *testing.T) {
	for _, tc := range []struct {
		name       string
		plugin     map[string]any
		monitoring bool
	}{
		{"no monitoring", map[string]any{"prefix": "/up"}, false},
		{"top-level monitoring", map[string]any{"monitoring": map[string]any{"enabled": true}}, true},
		{"monitoring in a rule", map[string]any{"_rules_": []any{map[string]any{"monitoring": map[string]any{"enabled": true}}}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := New(context.Background(), &Config{Listen: "127.0.0.1:0", VMs: 1, Plugin: tc.plugin}, testPlugin, Options{Log: io.Discard, CacheDir: "-"})
			require.NoError(t, err)
			defer g.Close()

			rec := httptest.NewRecorder()
			g.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/console/info.json", nil))
			require.Equal(t, 200, rec.Code)
			var info struct {
				Monitoring   bool
				ExampleModel string
			}
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &info))
			require.Equal(t, tc.monitoring, info.Monitoring)
			require.Equal(t, "gpt-4o-mini", info.ExampleModel)
		})
	}

	g, err := New(context.Background(), &Config{Listen: "127.0.0.1:0", VMs: 1}, testPlugin, Options{Log: io.Discard, CacheDir: "-"})
	require.NoError(t, err)
	defer g.Close()
	rec := httptest.NewRecorder()
	g.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/console", nil))
	require.Equal(t, http.StatusMovedPermanently, rec.Code)
	require.Equal(t, ConsolePath, rec.Header().Get("Location"))

	rec = httptest.NewRecorder()
	g.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, ConsolePath, nil))
	require.Equal(t, 200, rec.Code)
	require.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
	require.Contains(t, rec.Header().Get("Content-Security-Policy"), "default-src 'self'")
	page := rec.Body.String()
	require.Contains(t, page, "Model Returned")
	// Self-contained: no absolute URL, no external script, style or image.
	require.Empty(t, regexp.MustCompile(`https?://`).FindAllString(page, -1))
	require.NotRegexp(t, `<(script|link|img)[^>]+(src|href)="(?:[^"d]|d[^a])`, page)
}
