// Package sse reads and writes Server-Sent Events incrementally.
//
// A Reader is fed the body pieces exactly as the host delivers them; a piece may end
// at any byte, inside a line, a CRLF pair or a multi-byte character. The Reader keeps
// only the incomplete tail and yields each event once it is complete, so converters give
// the same output for every way a stream is split.
package sse

import "bytes"

// Event is one complete SSE event. Its slices alias the Reader's buffers and stay valid
// until the next call to Feed, Next or Flush.
type Event struct {
	Name []byte // the `event:` field, empty when absent
	Data []byte // the `data:` lines joined with "\n"
	ID   []byte // the `id:` field, empty when absent
}

// Reader splits a byte stream into events. The zero value is ready to use.
type Reader struct {
	buf     []byte
	pos     int    // start of the unconsumed bytes in buf
	scratch []byte // joins multi-line data
}

// Feed appends the next piece of the stream.
func (r *Reader) Feed(chunk []byte) {
	if r.pos > 0 {
		n := copy(r.buf, r.buf[r.pos:])
		r.buf = r.buf[:n]
		r.pos = 0
	}
	r.buf = append(r.buf, chunk...)
}

// Next returns the next complete event. ok is false when no complete event is buffered.
func (r *Reader) Next() (ev Event, ok bool) { return r.next(false) }

// Flush returns the events left at the end of the stream, where an unterminated last
// event counts as complete. Call it repeatedly until ok is false.
func (r *Reader) Flush() (ev Event, ok bool) { return r.next(true) }

// Pending reports whether unconsumed bytes remain.
func (r *Reader) Pending() bool { return r.pos < len(r.buf) }

// Reset drops all buffered bytes, keeping the allocated memory.
func (r *Reader) Reset() { r.buf, r.pos = r.buf[:0], 0 }

func (r *Reader) next(atEOF bool) (Event, bool) {
	for r.pos < len(r.buf) {
		ev, consumed, complete := r.parse(r.buf[r.pos:], atEOF)
		if !complete {
			return Event{}, false
		}
		r.pos += consumed
		if ev.Data != nil || len(ev.Name) > 0 {
			return ev, true
		}
		// A block of comments or an empty event: nothing to dispatch, keep going.
	}
	if r.pos == len(r.buf) && r.pos > 0 {
		r.buf, r.pos = r.buf[:0], 0
	}
	return Event{}, false
}

// parse reads one event from b. complete is false when b ends before the blank line that
// ends the event (at EOF, the end of b ends it).
func (r *Reader) parse(b []byte, atEOF bool) (ev Event, consumed int, complete bool) {
	i := 0
	dataLines := 0
	for {
		if i >= len(b) {
			if atEOF {
				return ev, len(b), true
			}
			return Event{}, 0, false
		}
		// Find the end of the line.
		j := i
		for j < len(b) && b[j] != '\n' && b[j] != '\r' {
			j++
		}
		if j == len(b) {
			if !atEOF {
				return Event{}, 0, false
			}
		}
		line := b[i:j]
		next := j
		if j < len(b) {
			if b[j] == '\r' {
				if j+1 == len(b) && !atEOF {
					return Event{}, 0, false // a lone CR may be the first half of CRLF
				}
				if j+1 < len(b) && b[j+1] == '\n' {
					next = j + 2
				} else {
					next = j + 1
				}
			} else {
				next = j + 1
			}
		}
		i = next
		if len(line) == 0 {
			return ev, i, true
		}
		if line[0] == ':' {
			continue // comment
		}
		field, value := line, []byte(nil)
		if c := bytes.IndexByte(line, ':'); c >= 0 {
			field, value = line[:c], line[c+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "data":
			dataLines++
			switch dataLines {
			case 1:
				if value == nil {
					value = []byte{}
				}
				ev.Data = value
			case 2:
				r.scratch = append(append(append(r.scratch[:0], ev.Data...), '\n'), value...)
				ev.Data = r.scratch
			default:
				r.scratch = append(append(r.scratch, '\n'), value...)
				ev.Data = r.scratch
			}
		case "event":
			ev.Name = value
		case "id":
			ev.ID = value
		}
		if i >= len(b) && atEOF {
			return ev, i, true
		}
	}
}

// AppendData appends `data: <payload>\n\n`.
func AppendData(dst, payload []byte) []byte {
	dst = append(dst, "data: "...)
	dst = append(dst, payload...)
	return append(dst, '\n', '\n')
}

// AppendEvent appends `event: <name>\ndata: <payload>\n\n`.
func AppendEvent(dst []byte, name string, payload []byte) []byte {
	dst = append(dst, "event: "...)
	dst = append(dst, name...)
	dst = append(dst, "\ndata: "...)
	dst = append(dst, payload...)
	return append(dst, '\n', '\n')
}

// Done is the OpenAI stream terminator event.
var Done = []byte("data: [DONE]\n\n")
