package translator

import (
	"errors"
	"strconv"

	"github.com/tidwall/gjson"
)

// AppendTranscript appends the OpenAI chat messages as the one prompt text of an upstream
// that takes text, not messages (Dify apps, Triton's generate). A single message is its
// text alone; several become a transcript with each message's text under a role label,
// as Higress writes it ("SYSTEM: \n", "ASSISTANT: \n", "USER: \n" for the others, each
// text followed by "\n"). With lastUser only the last user message is written, alone:
// the upstream keeps the conversation itself.
//
// Content may be a string or a list of parts; text parts are joined. Any other part is
// passed to other, which may keep it (Dify takes image URLs as files) or refuse it; a nil
// other refuses every non-text part. Errors name the message.
func AppendTranscript(dst []byte, messages gjson.Result, lastUser bool, other func(field string, part gjson.Result) error) ([]byte, error) {
	if !messages.IsArray() {
		return dst, errors.New("messages: must be a list")
	}
	msgs := messages.Array()
	if len(msgs) == 0 {
		return dst, errors.New("messages: must not be empty")
	}
	from, labels := 0, len(msgs) > 1
	if lastUser {
		from, labels = -1, false
		for i := len(msgs) - 1; i >= 0; i-- {
			if msgs[i].Get("role").Str == "user" {
				from = i
				break
			}
		}
		if from < 0 {
			return dst, errors.New("messages: no user message to send")
		}
		msgs = msgs[from : from+1]
	}
	for i, m := range msgs {
		field := "messages[" + strconv.Itoa(from+i) + "].content"
		if labels {
			switch m.Get("role").Str {
			case "system", "developer":
				dst = append(dst, "SYSTEM: \n"...)
			case "assistant":
				dst = append(dst, "ASSISTANT: \n"...)
			default:
				dst = append(dst, "USER: \n"...)
			}
		}
		c := m.Get("content")
		switch {
		case c.Type == gjson.String:
			dst = append(dst, c.Str...)
		case c.IsArray():
			var err error
			c.ForEach(func(_, p gjson.Result) bool {
				if err = CheckPart(field, p.Raw); err != nil {
					return false
				}
				if p.Get("type").Str == "text" {
					dst = append(dst, p.Get("text").String()...)
					return true
				}
				if other == nil {
					err = errors.New(field + ": only text parts can be sent, got a " + strconv.Quote(p.Get("type").Str) + " part")
				} else {
					err = other(field, p)
				}
				return err == nil
			})
			if err != nil {
				return dst, err
			}
		case c.Exists() && c.Type != gjson.Null:
			return dst, errors.New(field + ": must be a string or a list of parts")
		}
		if labels {
			dst = append(dst, '\n')
		}
	}
	return dst, nil
}
