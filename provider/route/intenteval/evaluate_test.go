package intenteval

import (
	"strings"
	"testing"
)

func TestEvaluate(t *testing.T) {
	for _, tc := range []struct {
		file string
		min  float64
	}{
		{"../../../testdata/intent/prompts.jsonl", 0.90},
		{"../../../testdata/intent/holdout.jsonl", 0.75},
	} {
		t.Run(tc.file[strings.LastIndexByte(tc.file, '/')+1:], func(t *testing.T) {
			r, err := Evaluate(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s\n%s", tc.file, r.String())
			for _, m := range r.Misses {
				t.Logf("miss line %d want %s got %s: %.70q", m.Line, m.Want, m.Got, m.Text)
			}
			if r.Total < 50 {
				t.Errorf("only %d examples", r.Total)
			}
			if r.Accuracy() < tc.min {
				t.Errorf("accuracy %.3f < %.2f", r.Accuracy(), tc.min)
			}
		})
	}
}
