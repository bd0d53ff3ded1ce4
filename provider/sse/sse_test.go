package sse

import (
	"fmt"
	"strings"
	"testing"
)

func collect(pieces [][]byte) []string {
	var r Reader
	var out []string
	add := func(ev Event) {
		out = append(out, fmt.Sprintf("%s|%s|%s", ev.Name, ev.Data, ev.ID))
	}
	for _, p := range pieces {
		r.Feed(p)
		for ev, ok := r.Next(); ok; ev, ok = r.Next() {
			add(ev)
		}
	}
	for ev, ok := r.Flush(); ok; ev, ok = r.Flush() {
		add(ev)
	}
	return out
}

func TestReaderEverySplit(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"lf", "data: {\"a\":1}\n\ndata: [DONE]\n\n", []string{`|{"a":1}|`, `|[DONE]|`}},
		{"crlf", "event: message_start\r\ndata: {}\r\n\r\nevent: ping\r\ndata: {\"type\":\"ping\"}\r\n\r\n",
			[]string{"message_start|{}|", `ping|{"type":"ping"}|`}},
		{"cr", "data: x\r\rdata: y\r\r", []string{"|x|", "|y|"}},
		{"dashscope", "id:1\nevent:result\n:HTTP_STATUS/200\ndata:{\"output\":{}}\n\n", []string{`result|{"output":{}}|1`}},
		{"multiline", "data: a\ndata: b\ndata: c\n\n", []string{"|a\nb\nc|"}},
		{"comment only", ": keepalive\n\ndata: z\n\n", []string{"|z|"}},
		{"unterminated tail", "data: 1\n\ndata: 2", []string{"|1|", "|2|"}},
		{"utf8", "data: {\"t\":\"你好\"}\n\n", []string{`|{"t":"你好"}|`}},
		{"empty data", "data:\n\n", []string{"||"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			whole := collect([][]byte{[]byte(tt.in)})
			if strings.Join(whole, "\n~\n") != strings.Join(tt.want, "\n~\n") {
				t.Fatalf("whole: got %q want %q", whole, tt.want)
			}
			for cut := 0; cut <= len(tt.in); cut++ {
				got := collect([][]byte{[]byte(tt.in[:cut]), []byte(tt.in[cut:])})
				if strings.Join(got, "\n~\n") != strings.Join(tt.want, "\n~\n") {
					t.Fatalf("split at %d: got %q want %q", cut, got, tt.want)
				}
			}
			var bytewise [][]byte
			for i := 0; i < len(tt.in); i++ {
				bytewise = append(bytewise, []byte{tt.in[i]})
			}
			if got := collect(bytewise); strings.Join(got, "\n~\n") != strings.Join(tt.want, "\n~\n") {
				t.Fatalf("byte by byte: got %q want %q", got, tt.want)
			}
		})
	}
}

// TestReaderThreePieces: a line cut twice, whose end the Reader goes on looking for
// where it stopped, at every pair of cuts, with line ends just before, at and after
// 8-byte boundaries and a CR that may be half of a CRLF.
func TestReaderThreePieces(t *testing.T) {
	in := "id:12345\nevent:result\r\ndata:{\"content\":\"0123456789abcdef0123456\"}\r\n\r\n" +
		"data: 0123456\r\rdata: 01234567\n\ndata: 012345678\r\n\r\n"
	want := strings.Join(reference([]byte(in)), "\x00")
	for i := 0; i <= len(in); i++ {
		for j := i; j <= len(in); j++ {
			got := strings.Join(collect([][]byte{[]byte(in[:i]), []byte(in[i:j]), []byte(in[j:])}), "\x00")
			if got != want {
				t.Fatalf("cut at %d and %d: got %q want %q", i, j, got, want)
			}
		}
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte("data: a\r\n\r\nevent: x\ndata: b\n\n"), 3)
	f.Fuzz(func(t *testing.T, in []byte, cut int) {
		if cut < 0 {
			cut = -cut
		}
		if len(in) > 0 {
			cut %= len(in) + 1
		} else {
			cut = 0
		}
		whole := collect([][]byte{in})
		split := collect([][]byte{in[:cut], in[cut:]})
		if strings.Join(whole, "\x00") != strings.Join(split, "\x00") {
			t.Fatalf("split at %d differs: %q vs %q", cut, whole, split)
		}
	})
}

// TestReaderDoesNotKeepThePiece: once Next reports no further event, the Reader holds
// no reference to the caller's piece, which may then be reused (the chain translator
// reuses its buffer between pieces).
func TestReaderDoesNotKeepThePiece(t *testing.T) {
	var r Reader
	piece := []byte("data: one\n\ndata: tw")
	r.Feed(piece)
	ev, ok := r.Next()
	if !ok || string(ev.Data) != "one" {
		t.Fatalf("first event %q %v", ev.Data, ok)
	}
	if _, ok := r.Next(); ok {
		t.Fatal("incomplete event returned")
	}
	for i := range piece {
		piece[i] = 'X' // the caller reuses its buffer
	}
	r.Feed([]byte("o\n\n"))
	if ev, ok := r.Next(); !ok || string(ev.Data) != "two" {
		t.Fatalf("second event %q %v", ev.Data, ok)
	}
}

func BenchmarkReader(b *testing.B) {
	var stream []byte
	for i := 0; i < 200; i++ {
		stream = append(stream, `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"word "}}]}`+"\n\n"...)
	}
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	var r Reader
	for i := 0; i < b.N; i++ {
		for off := 0; off < len(stream); off += 256 {
			r.Feed(stream[off:min(off+256, len(stream))])
			for _, ok := r.Next(); ok; _, ok = r.Next() {
			}
		}
		for _, ok := r.Flush(); ok; _, ok = r.Flush() {
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*200), "ns/event")
}

// reference is an obviously correct, whole-input SSE parser (line ends normalised,
// one line at a time) that the incremental Reader must agree with.
func reference(in []byte) []string {
	s := strings.ReplaceAll(string(in), "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var out []string
	var name, id string
	var data []string
	dispatch := func() {
		if len(data) > 0 || name != "" {
			out = append(out, fmt.Sprintf("%s|%s|%s", name, strings.Join(data, "\n"), id))
		}
		name, id, data = "", "", nil
	}
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		if line == "" {
			if i < len(lines)-1 || len(data) > 0 || name != "" {
				dispatch()
			}
			continue
		}
		if line[0] == ':' {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "data":
			data = append(data, value)
		case "event":
			name = value
		case "id":
			id = value
		}
	}
	dispatch()
	return out
}

func FuzzReaderMatchesReference(f *testing.F) {
	f.Add([]byte("id:1\nevent:result\n:HTTP_STATUS/200\ndata:{}\n\n"), 7)
	f.Add([]byte("data: a\r\ndata: b\r\n\r\nevent: x\rdata\r\r"), 5)
	f.Fuzz(func(t *testing.T, in []byte, cut int) {
		if cut < 0 {
			cut = -cut
		}
		cut %= len(in) + 1
		want := strings.Join(reference(in), "\x00")
		if got := strings.Join(collect([][]byte{in[:cut], in[cut:]}), "\x00"); got != want {
			t.Fatalf("input %q split at %d:\n got %q\nwant %q", in, cut, got, want)
		}
	})
}

// TestAppendDataLines: a payload of several lines is written as one data line each, so
// that a reader gets the payload back (joined by "\n") and no line is read as a field.
func TestAppendDataLines(t *testing.T) {
	for _, payload := range []string{`{"a":1}`, "{\n  \"a\": 1\n}", "x\r\ny\rz", "\n\"\"", ""} {
		out := AppendData(nil, []byte(payload))
		var r Reader
		r.Feed(out)
		ev, ok := r.Next()
		want := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(payload)
		if !ok || string(ev.Data) != want {
			t.Errorf("AppendData(%q) = %q, read back %q (ok %v), want %q", payload, out, ev.Data, ok, want)
		}
		if _, more := r.Next(); more {
			t.Errorf("AppendData(%q) = %q: more than one event", payload, out)
		}
	}
}
