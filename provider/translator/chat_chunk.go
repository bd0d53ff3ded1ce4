package translator

import "github.com/tidwall/gjson"

// ChatChoice is what the first choice (index 0, or no index) of an OpenAI chat
// completion chunk holds, as raw JSON values that view the chunk: the one choice that
// converters to single-answer protocols (Anthropic messages, Responses) carry over.
type ChatChoice struct {
	// Reasoning is delta.reasoning_content, else delta.reasoning (OpenRouter's and newer
	// vLLM's name).
	Reasoning, Content, Calls, Finish string
	Found                             bool
}

// ReadChatChoices reads the `choices` array at sc in place and returns its first choice
// with index 0 (or no index).
func ReadChatChoices(sc *Scan) (first ChatChoice) {
	list := sc.Enter()
	for list.Next() {
		if first.Found {
			continue
		}
		var index, alt string
		var c ChatChoice
		el := list.Enter()
		for el.Next() {
			switch el.Key() {
			case "index":
				if index == "" { // the first, as gjson's Get
					index = el.Value()
				}
			case "delta":
				c.Reasoning, alt, c.Content, c.Calls = "", "", "", ""
				d := el.Enter()
				for d.Next() {
					switch d.Key() {
					case "reasoning_content":
						c.Reasoning = d.Value()
					case "reasoning":
						alt = d.Value()
					case "content":
						c.Content = d.Value()
					case "tool_calls":
						c.Calls = d.Value()
					}
				}
				el.Leave(&d)
			case "finish_reason":
				c.Finish = el.Value()
			}
		}
		list.Leave(&el)
		if index != "" && rawInt(index) != 0 {
			continue
		}
		if c.Reasoning == "" || c.Reasoning == "null" {
			c.Reasoning = alt
		}
		first, first.Found = c, true
	}
	sc.Leave(&list)
	return first
}

// TemplateText returns the one text of a chunk whose only effect is a text or a
// reasoning delta (no tool calls, no finish): the value a Template varies, since the
// next chunks will likely differ from this one only there. ok is false for other
// chunks.
func (c *ChatChoice) TemplateText() (value string, reasoning, ok bool) {
	isStr := func(v string) bool { return len(v) >= 2 && v[0] == '"' }
	isText := func(v string) bool { return len(v) > 2 && v[0] == '"' }
	if (len(c.Calls) > 0 && c.Calls[0] == '[') || isText(c.Finish) {
		return "", false, false
	}
	switch {
	case isStr(c.Content) && !isText(c.Reasoning):
		return c.Content, false, true
	case isStr(c.Reasoning) && !isText(c.Content):
		return c.Reasoning, true, true
	}
	return "", false, false
}

// rawInt is gjson's Result.Int of a raw value.
func rawInt(v string) int64 {
	if n, ok := Int(v); ok {
		return n
	}
	return gjson.Parse(v).Int()
}
