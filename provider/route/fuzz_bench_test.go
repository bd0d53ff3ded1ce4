package route

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		weightCfg,
		`{"mode":"model","rules":[{"match":"qwen-*","provider":"qwen"},{"match":"gpt-4?","provider":"openai","model":"gpt-4o"}],"default":{"provider":"openai"}}`,
		`{"mode":"intent","intents":{"code":{"provider":"coder"}},"classifier":{"provider":"q","model":"m","cluster":"c","timeout":300},"intentHeader":"x"}`,
		`{"mode":"metrics","targets":[{"provider":"a"}]}`,
		`{"mode":"single","target":{"provider":"a"},"servedByHeader":false}`,
		`{"mode":"weight","targets":[{"provider":"a","weight":1e400}]}`,
		`[`, `null`, `{"mode":`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(gjson.ParseBytes(b), "routing", testProviders)
		if err != nil {
			return
		}
		// a parsed service must choose without panicking
		in := Input{Model: string(b), Body: b, Header: func(string) string { return string(b) }, Rand: rand.New(rand.NewPCG(1, 1)), Now: time.Unix(1, 0)}
		st := &MapStore{}
		d := s.Choose(&in, st)
		if d.OK {
			s.Record(st, d.Target.Provider, time.Second, true, in.Now)
		}
		in.Exclude = []string{d.Target.Provider}
		s.Choose(&in, st)
		s.Targets()
	})
}

func FuzzClassify(f *testing.F) {
	for _, s := range []string{"", "hi", "```go\nfunc main() {}\n```", "解方程 x^2=1", "翻译成英文：你好", "\xff\xfe\xe4\xb8", strings.Repeat("分析", 3000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if i := Classify(s); !i.valid() {
			t.Fatalf("Classify(%q) = %d", s, i)
		}
		ExtractText([]byte(s), false)
		ParseClassifierAnswer([]byte(s))
		if b := ClassifierRequest(s, s); !jsonValid(b) {
			t.Fatalf("ClassifierRequest: invalid JSON %q", b)
		}
	})
}

func BenchmarkChooseModelRule(b *testing.B) {
	s := mustParse(b, `{"mode":"model","rules":[
		{"match":"gpt-4?","provider":"openai","model":"gpt-4o"},
		{"match":"claude-*","provider":"a"},
		{"match":"*-mini","provider":"b"},
		{"match":"deepseek-r?-*","provider":"ds"},
		{"match":"qwen-*","provider":"qwen"}],
		"default":{"provider":"openai"}}`)
	in := Input{Model: "qwen-max-latest"}
	b.ReportAllocs()
	for b.Loop() {
		if d := s.Choose(&in, nil); !d.OK {
			b.Fatal(d)
		}
	}
}

func BenchmarkChooseWeight(b *testing.B) {
	s := mustParse(b, weightCfg)
	b.Run("random", func(b *testing.B) {
		in := Input{Rand: rand.New(rand.NewPCG(1, 2))}
		b.ReportAllocs()
		for b.Loop() {
			s.Choose(&in, nil)
		}
	})
	b.Run("sticky", func(b *testing.B) {
		h := headers("x-session-id", "2f6c1a7e-5a0b-4c9e-8d11-0b6f3c2a9e47")
		in := Input{Header: h}
		b.ReportAllocs()
		for b.Loop() {
			s.Choose(&in, nil)
		}
	})
}

func BenchmarkChooseMetrics(b *testing.B) {
	s := mustParse(b, `{"mode":"metrics","targets":[{"provider":"a"},{"provider":"b"},{"provider":"qwen"}]}`)
	st := &MapStore{}
	now := time.Unix(1_700_000_000, 0)
	for i, p := range []string{"a", "b", "qwen"} {
		s.Record(st, p, time.Duration(300+100*i)*time.Millisecond, i != 1, now)
	}
	in := Input{Rand: rand.New(rand.NewPCG(1, 2)), Now: now.Add(time.Second)}
	b.Run("choose", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.Choose(&in, st)
		}
	})
	b.Run("record", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.Record(st, "a", 350*time.Millisecond, true, now)
		}
	})
}

// prompt2KB is a realistic ~2 KB mixed prompt: prose, a code block, Chinese.
var prompt2KB = func() string {
	p := "I have a service written in Go that reads messages from Kafka and writes them into PostgreSQL. " +
		"Under load the consumer lag keeps growing and I'd like to understand why. Here is the loop:\n" +
		"```go\nfor {\n    msg, err := r.ReadMessage(ctx)\n    if err != nil {\n        log.Printf(\"read: %v\", err)\n        continue\n    }\n" +
		"    if _, err := db.ExecContext(ctx, \"INSERT INTO events(id, body) VALUES($1, $2)\", msg.Key, msg.Value); err != nil {\n        return err\n    }\n}\n```\n" +
		"我们每秒大约有三千条消息，数据库是单机的，连接池默认配置。请帮我分析一下瓶颈在哪里，以及应该怎么改。"
	for len(p) < 2048 {
		p += " Also consider batching inserts, tuning the connection pool and committing offsets asynchronously; what are the trade-offs?"
	}
	return p[:2048]
}()

func BenchmarkClassify2KB(b *testing.B) {
	b.Run("en+zh+code", func(b *testing.B) {
		b.SetBytes(int64(len(prompt2KB)))
		b.ReportAllocs()
		for b.Loop() {
			Classify(prompt2KB)
		}
	})
	zh := strings.Repeat("请深入分析新能源汽车价格战对上游电池供应链的影响，并预测未来三年行业格局的变化。", 30)[:2046]
	b.Run("zh", func(b *testing.B) {
		b.SetBytes(int64(len(zh)))
		b.ReportAllocs()
		for b.Loop() {
			Classify(zh)
		}
	})
}

func BenchmarkChooseIntent2KB(b *testing.B) {
	s := mustParse(b, `{"mode":"intent","intents":{"code":{"provider":"coder"},"complex":{"provider":"ds"}},"default":{"provider":"q"}}`)
	body := []byte(`{"model":"auto","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":` + string(appendJSONString(nil, prompt2KB)) + `}]}`)
	in := Input{Body: body}
	b.ReportAllocs()
	for b.Loop() {
		s.Choose(&in, nil)
	}
}
