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
//
// It reads each piece in place when no incomplete event is pending (no copy), and
// copies only the incomplete tail of a piece. Line ends are found with
// bytes.IndexByte, and an incomplete event is not searched again from its start when
// the next piece arrives: per-byte loops are what cost most in wasm.
type Reader struct {
	buf     []byte // owned: the incomplete tail carried between pieces
	cur     []byte // what is being read: buf, or the caller's piece read in place
	pos     int    // start of the unread bytes in cur
	resume  int    // bytes of cur[pos:] already known to hold no end of event
	cr      bool   // the stream has used CR line ends: find them too
	scratch []byte // joins multi-line data
}

// Feed appends the next piece of the stream. The Reader may read chunk in place until
// Next or Flush reports no further event: the caller must not change it before then.
func (r *Reader) Feed(chunk []byte) {
	if !r.cr && bytes.IndexByte(chunk, '\r') >= 0 {
		r.cr = true
	}
	if r.pos < len(r.cur) { // an incomplete event is pending: it is in buf
		r.buf = append(r.buf, chunk...)
		r.cur = r.buf
		return
	}
	r.buf = r.buf[:0]
	r.cur, r.pos, r.resume = chunk, 0, 0
}

// Next returns the next complete event. ok is false when no complete event is buffered.
func (r *Reader) Next() (ev Event, ok bool) { return r.next(false) }

// Flush returns the events left at the end of the stream, where an unterminated last
// event counts as complete. Call it repeatedly until ok is false.
func (r *Reader) Flush() (ev Event, ok bool) { return r.next(true) }

// Pending reports whether unconsumed bytes remain.
func (r *Reader) Pending() bool { return r.pos < len(r.cur) }

// Reset drops all buffered bytes, keeping the allocated memory.
func (r *Reader) Reset() { r.buf, r.cur, r.pos, r.resume = r.buf[:0], nil, 0, 0 }

func (r *Reader) next(atEOF bool) (Event, bool) {
	for r.pos < len(r.cur) {
		b := r.cur[r.pos:]
		end := r.eventEnd(b, atEOF)
		if end < 0 {
			r.keepTail()
			return Event{}, false
		}
		r.pos += end
		r.resume = 0
		if ev := r.parse(b[:end]); ev.Data != nil || len(ev.Name) > 0 {
			return ev, true
		}
		// A block of comments or an empty event: nothing to dispatch, keep going.
	}
	r.buf, r.cur, r.pos = r.buf[:0], nil, 0
	return Event{}, false
}

// keepTail makes the unread bytes the start of buf, so that the caller's piece is no
// longer referenced and the next piece is appended to them.
func (r *Reader) keepTail() {
	tail := r.cur[r.pos:]
	if len(r.buf) > 0 && len(r.cur) > 0 && &r.cur[0] == &r.buf[0] {
		r.buf = r.buf[:copy(r.buf, tail)]
	} else {
		r.buf = append(r.buf[:0], tail...)
	}
	r.cur, r.pos = r.buf, 0
}

// lineEnd returns the index in b of the first line terminator at or after from, or -1.
func (r *Reader) lineEnd(b []byte, from int) int {
	if !r.cr {
		if j := bytes.IndexByte(b[from:], '\n'); j >= 0 {
			return from + j
		}
		return -1
	}
	for k := from; k < len(b); k++ {
		if b[k] == '\n' || b[k] == '\r' {
			return k
		}
	}
	return -1
}

// eventEnd returns the length of the event at the start of b, its ending blank line
// included, or -1 when b ends first (at EOF, the end of b ends the event). It starts
// searching at r.resume and leaves there the start of the line it could not finish.
func (r *Reader) eventEnd(b []byte, atEOF bool) int {
	i := r.resume
	for i < len(b) {
		j := r.lineEnd(b, i)
		if j < 0 {
			break
		}
		next := j + 1
		if b[j] == '\r' {
			if j+1 == len(b) && !atEOF {
				break // a lone CR may be the first half of CRLF
			}
			if j+1 < len(b) && b[j+1] == '\n' {
				next = j + 2
			}
		}
		if j == i {
			return next // an empty line ends the event
		}
		i = next
	}
	if atEOF {
		return len(b)
	}
	r.resume = i
	return -1
}

// parse reads the fields of one complete event.
func (r *Reader) parse(b []byte) (ev Event) {
	dataLines := 0
	for i := 0; i < len(b); {
		j := r.lineEnd(b, i)
		if j < 0 {
			j = len(b)
		}
		line := b[i:j]
		i = j + 1
		if j < len(b) && b[j] == '\r' && i < len(b) && b[i] == '\n' {
			i++
		}
		if len(line) == 0 {
			break
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
	}
	return ev
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
