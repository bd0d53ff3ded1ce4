package telemetry

import (
	"fmt"
	"strings"
	"testing"
)

// TestScannerLongStream: a stream longer than the kept tail gives the same usage for
// every piece size.
func TestScannerLongStream(t *testing.T) {
	var b strings.Builder
	for i := range 300 {
		fmt.Fprintf(&b, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"word%d \"},\"finish_reason\":null}],\"usage\":null}\n\n", i)
	}
	b.WriteString("data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":19,\"completion_tokens\":300,\"total_tokens\":319}}\n\ndata: [DONE]\n\n")
	in := b.String()
	for _, n := range []int{1, 7, 100, 1000, 4096, 32 << 10, len(in)} {
		s := NewScanner(OpenAIChat)
		for i := 0; i < len(in); i += n {
			s.Piece([]byte(in[i:min(i+n, len(in))]), false)
		}
		s.Piece(nil, true)
		if u := s.Usage(); u.PromptTokens != 19 || u.TotalTokens != 319 {
			t.Errorf("pieces of %d: usage %+v", n, u)
		}
	}
}
