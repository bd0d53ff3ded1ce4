package minimax

import (
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/internal/golden"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

const testdata = "../../testdata/minimax"

var dirs = []string{"v2", "pro"}

func newV2() translator.Translator {
	c := NewChat(Options{GroupID: "g1"})
	c.Now = func() int64 { return 1700000000 }
	return c
}

// newPro is a converter that has seen a Pro request (fixtures with their own request
// convert it again).
func newPro() translator.Translator {
	c := NewChat(Options{GroupID: "g1"})
	c.Now = func() int64 { return 1700000000 }
	if _, err := c.RequestBody([]byte(`{"model":"abab6.5s-chat","messages":[{"role":"user","content":"hi"}]}`)); err != nil || !c.Pro() {
		panic("not a Pro request")
	}
	return c
}

// TestGolden runs testdata/minimax/{v2,pro} (`-update` rewrites the want files).
func TestGolden(t *testing.T) {
	t.Run("v2", func(t *testing.T) { golden.RunWith(t, testdata+"/v2", newV2, golden.Options{Walked: walked(newV2)}) })
	t.Run("pro", func(t *testing.T) { golden.RunWith(t, testdata+"/pro", newPro, golden.Options{Walked: walked(newPro)}) })
}

// walked returns newT with its stream shape off: every event walked.
func walked(newT func() translator.Translator) func() translator.Translator {
	return func() translator.Translator {
		c := newT().(*Chat)
		c.shape.Off = true
		return c
	}
}

func TestProNeedsGroupID(t *testing.T) {
	c := NewChat(Options{})
	body := []byte(`{"model":"abab6.5s-chat","messages":[{"role":"user","content":"hi"}]}`)
	out, err := c.RequestBody(body)
	if err != nil || c.Pro() || string(out) != string(body) {
		t.Fatalf("without a group id the request goes to v2 unchanged: pro=%v %s %v", c.Pro(), out, err)
	}
}
