package provider

import (
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// editMessages applies `contextCleanupCommands` and `mergeConsecutiveMessages` to the
// `messages` of an OpenAI chat or Anthropic messages body (both are role + content
// lists). Only the messages array is rewritten; every other field keeps its bytes.
//
//   - Cleanup: the last user message whose text is exactly one of the commands is
//     removed together with every message before it except system (and developer)
//     messages — the user's way to start the conversation afresh (Higress's semantics).
//   - Merge: consecutive user (or assistant) messages that carry nothing but role and
//     content become one: two strings are joined by a blank line, otherwise both become
//     content-part lists and are concatenated. A message with tool calls, a name or any
//     other field is never merged, so nothing the client sent is lost.
func editMessages(body []byte, cleanup []string, merge bool) ([]byte, error) {
	msgs := gjson.GetBytes(body, "messages")
	if !msgs.IsArray() {
		return body, nil
	}
	items := msgs.Array()
	cut := -1
	for i := len(items) - 1; i >= 0 && len(cleanup) > 0; i-- {
		if items[i].Get("role").Str == "user" && isCommand(items[i].Get("content"), cleanup) {
			cut = i
			break
		}
	}
	mergeAt := -1
	if merge {
		for i := cut + 2; i < len(items); i++ {
			if mergeable(items[i-1], items[i]) {
				mergeAt = i
				break
			}
		}
	}
	if cut < 0 && mergeAt < 0 {
		return body, nil // the common case: nothing is rewritten
	}
	arr := make([]byte, 0, len(msgs.Raw))
	arr = append(arr, '[')
	var prev gjson.Result // the message written last, when it may still take a merge
	var merged []byte     // its merged form, when it took one
	flush := func() {
		if prev.Raw == "" {
			return
		}
		if len(arr) > 1 {
			arr = append(arr, ',')
		}
		if merged != nil {
			arr = append(arr, merged...)
		} else {
			arr = append(arr, prev.Raw...)
		}
		prev, merged = gjson.Result{}, nil
	}
	for i, m := range items {
		if i < cut {
			if r := m.Get("role").Str; r != "system" && r != "developer" {
				continue
			}
		}
		if i == cut {
			continue
		}
		if merge && prev.Raw != "" && mergeable(prev, m) {
			cur := prev.Raw
			if merged != nil {
				cur = string(merged)
			}
			next, err := sjson.SetRawBytes([]byte(cur), "content", mergeContent(gjson.Get(cur, "content"), m.Get("content")))
			if err != nil {
				return body, err
			}
			merged = next
			continue
		}
		flush()
		prev = m
	}
	flush()
	arr = append(arr, ']')
	return sjson.SetRawBytes(body, "messages", arr)
}

// isCommand reports whether a message content is exactly one of the commands: a string,
// or a list whose text parts (joined by newlines) are.
func isCommand(content gjson.Result, cmds []string) bool {
	text := content.Str
	if content.IsArray() {
		var sb strings.Builder
		content.ForEach(func(_, p gjson.Result) bool {
			if p.Get("type").Str == "text" {
				if sb.Len() > 0 {
					sb.WriteByte('\n')
				}
				sb.WriteString(p.Get("text").Str)
			}
			return true
		})
		text = sb.String()
	} else if content.Type != gjson.String {
		return false
	}
	for _, c := range cmds {
		if text == c {
			return true
		}
	}
	return false
}

// mergeable: both are user messages, or both assistant messages, and hold only role
// and content.
func mergeable(a, b gjson.Result) bool {
	r := a.Get("role").Str
	if (r != "user" && r != "assistant") || b.Get("role").Str != r {
		return false
	}
	return onlyRoleContent(a) && onlyRoleContent(b)
}

func onlyRoleContent(m gjson.Result) bool {
	ok := true
	m.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "role":
		case "content":
			ok = v.Type == gjson.String || v.IsArray()
		default:
			ok = false
		}
		return ok
	})
	return ok
}

// mergeContent joins two contents: strings with a blank line between, else as one list
// of content parts.
func mergeContent(a, b gjson.Result) []byte {
	if a.Type == gjson.String && b.Type == gjson.String {
		return translator.AppendString(nil, a.Str+"\n\n"+b.Str)
	}
	out := []byte{'['}
	for _, c := range [2]gjson.Result{a, b} {
		if c.Type == gjson.String {
			if len(out) > 1 {
				out = append(out, ',')
			}
			out = append(out, `{"type":"text","text":`...)
			out = translator.AppendString(out, c.Str)
			out = append(out, '}')
			continue
		}
		c.ForEach(func(_, p gjson.Result) bool {
			if len(out) > 1 {
				out = append(out, ',')
			}
			out = append(out, p.Raw...)
			return true
		})
	}
	return append(out, ']')
}
