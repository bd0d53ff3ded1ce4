// Package intenteval measures the built-in intent classifier of package route on labelled
// prompts. It is tooling (tests, make bench), kept out of the plugin binary.
package intenteval

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/route"
	"github.com/tidwall/gjson"
)

// Report is the result of running the built-in classifier over a labelled file.
type Report struct {
	Total, Correct int
	// Confusion[want][got] counts examples labelled want and classified got.
	Confusion [route.NumIntents][route.NumIntents]int
	// ByLang counts examples and correct ones per `lang` label.
	ByLang map[string][2]int
	// Misses lists the misclassified examples.
	Misses []Miss
}

// Miss is one misclassified example.
type Miss struct {
	Line      int
	Text      string
	Want, Got route.Intent
}

// Accuracy is Correct/Total (0 for an empty report).
func (r *Report) Accuracy() float64 {
	if r.Total == 0 {
		return 0
	}
	return float64(r.Correct) / float64(r.Total)
}

// Evaluate classifies every line of a JSON-lines file of {"text", "intent", "lang"}
// objects with Classify and compares with the label. A line that is not such an object,
// or names an unknown intent, is an error naming the line. Blank lines are skipped.
func Evaluate(path string) (Report, error) {
	r := Report{ByLang: map[string][2]int{}}
	data, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if !gjson.ValidBytes(line) {
			return r, fmt.Errorf("%s:%d: not JSON", path, n)
		}
		text := gjson.GetBytes(line, "text")
		want, ok := route.ParseIntent(gjson.GetBytes(line, "intent").String())
		if text.Type != gjson.String || !ok {
			return r, fmt.Errorf("%s:%d: want {\"text\": string, \"intent\": one of %s}", path, n, "code, math, translation, fast, complex")
		}
		got := route.Classify(text.String())
		r.Total++
		r.Confusion[want][got]++
		lang := gjson.GetBytes(line, "lang").String()
		l := r.ByLang[lang]
		l[0]++
		if got == want {
			r.Correct++
			l[1]++
		} else {
			r.Misses = append(r.Misses, Miss{Line: n, Text: text.String(), Want: want, Got: got})
		}
		r.ByLang[lang] = l
	}
	return r, sc.Err()
}

// String prints the accuracy, the per-language accuracy and the confusion matrix (rows:
// labelled intent, columns: classified intent, then the row's recall).
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "accuracy %.3f (%d/%d)", r.Accuracy(), r.Correct, r.Total)
	for _, lang := range []string{"en", "zh"} {
		if l, ok := r.ByLang[lang]; ok && l[0] > 0 {
			fmt.Fprintf(&b, "  %s %.3f (%d/%d)", lang, float64(l[1])/float64(l[0]), l[1], l[0])
		}
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "%-12s", "want\\got")
	for g := route.IntentCode; g < route.NumIntents; g++ {
		fmt.Fprintf(&b, "%12s", g)
	}
	fmt.Fprintf(&b, "%9s\n", "recall")
	for w := route.IntentCode; w < route.NumIntents; w++ {
		fmt.Fprintf(&b, "%-12s", w)
		row := 0
		for g := route.IntentCode; g < route.NumIntents; g++ {
			fmt.Fprintf(&b, "%12d", r.Confusion[w][g])
			row += r.Confusion[w][g]
		}
		if row > 0 {
			fmt.Fprintf(&b, "%9.2f\n", float64(r.Confusion[w][w])/float64(row))
		} else {
			fmt.Fprintf(&b, "%9s\n", "-")
		}
	}
	return b.String()
}
