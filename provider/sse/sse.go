// Package sse reads and writes Server-Sent Events incrementally.
//
// A Reader is fed the body pieces exactly as the host delivers them; a piece may end
// at any byte, inside a line, a CRLF pair or a multi-byte character. The Reader keeps
// only the incomplete tail and yields each event once it is complete, so converters give
// the same output for every way a stream is split.
package sse

import (
	"bytes"
	"math/bits"
	"unsafe"
)

// Event is one complete SSE event. Its slices alias the Reader's buffers and stay valid
// until the next call to Feed, Next or Flush.
type Event struct {
	Name []byte // the `event:` field, empty when absent
	Data []byte // the `data:` lines joined with "\n"
	ID   []byte // the `id:` field, empty when absent
}

// Reader splits a byte stream into events. The zero value is ready to use.
//
// It reads each piece in place when no incomplete event is pending (no copy), copies
// only the incomplete tail of a piece, finds line ends 8 bytes at a time, and reads
// every line once: the fields of an incomplete event are remembered as offsets, and
// reading goes on from its first unread line when the next piece arrives. Per-byte
// loops and repeated scans are what cost most in wasm.
type Reader struct {
	buf     []byte // owned: the incomplete tail carried between pieces
	cur     []byte // what is being read: buf, or the caller's piece read in place
	pos     int    // start of the current event in cur
	st      state  // how far the current event is read, relative to pos
	scratch []byte // joins multi-line data
}

// state is a partly read event; offsets are relative to its first byte.
type state struct {
	next            int // first unread line
	scan            int // where the search for that line's end goes on, when past it
	nameAt, nameEnd int
	idAt, idEnd     int
	dataAt, dataEnd int // the first data line
	dataLines       int
	hasName, hasID  bool
}

// Feed appends the next piece of the stream. The Reader may read chunk in place until
// Next or Flush reports no further event: the caller must not change it before then.
func (r *Reader) Feed(chunk []byte) {
	if r.pos < len(r.cur) { // an incomplete event is pending: it is in buf
		r.buf = append(r.buf, chunk...)
		r.cur = r.buf
		return
	}
	r.buf = r.buf[:0]
	r.cur, r.pos, r.st = chunk, 0, state{}
}

// Next returns the next complete event. ok is false when no complete event is buffered.
func (r *Reader) Next() (ev Event, ok bool) { return r.next(false) }

// Flush returns the events left at the end of the stream, where an unterminated last
// event counts as complete. Call it repeatedly until ok is false.
func (r *Reader) Flush() (ev Event, ok bool) { return r.next(true) }

// Pending reports whether unconsumed bytes remain.
func (r *Reader) Pending() bool { return r.pos < len(r.cur) }

// Reset drops all buffered bytes, keeping the allocated memory.
func (r *Reader) Reset() { r.buf, r.cur, r.pos, r.st = r.buf[:0], nil, 0, state{} }

func (r *Reader) next(atEOF bool) (Event, bool) {
	for r.pos < len(r.cur) {
		// Read the event at pos from its first unread line (read and the search for
		// line ends written out: a call per line costs in wasm).
		b := r.cur[r.pos:]
		st := &r.st
		i, end := st.next, 0
	lines:
		for {
			if i >= len(b) {
				if atEOF {
					end = len(b)
					break
				}
				return r.incomplete(i, i)
			}
			j := i // the blank line that ends most events
			if b[i] != '\n' {
				// lineEnd, written out: a call per line costs in wasm.
				j = -1
				k := max(i, st.scan) // bytes of the line read before its piece ended are not read again
				for ; len(b)-k >= 8; k += 8 {
					w := *(*uint64)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(b)), k))
					n, r := w^(ones*'\n'), w^(ones*'\r')
					if m := ((n-ones)&^n | (r-ones)&^r) & highs; m != 0 {
						j = k + bits.TrailingZeros64(m)>>3
						break
					}
				}
				if j < 0 {
					for ; k < len(b); k++ {
						if c := b[k]; c == '\n' || c == '\r' {
							j = k
							break
						}
					}
				}
			}
			next := j + 1
			switch {
			case j < 0:
				if !atEOF {
					return r.incomplete(i, len(b))
				}
				j, next = len(b), len(b)
			case b[j] == '\r':
				if j+1 == len(b) && !atEOF {
					return r.incomplete(i, j) // a lone CR may be the first half of CRLF
				}
				if j+1 < len(b) && b[j+1] == '\n' {
					next = j + 2
				}
			}
			switch {
			case j == i:
				end = next // an empty line ends the event
				break lines
			// The usual fields are read here, the others by field: a call per line
			// costs in wasm.
			case b[i] == ':': // a comment
			case st.dataLines == 0 && j-i >= 5 && string(b[i:i+5]) == "data:":
				st.dataLines, st.dataAt, st.dataEnd = 1, valueAt(b, i+5, j), j
			case j-i >= 6 && string(b[i:i+6]) == "event:":
				st.nameAt, st.nameEnd, st.hasName = valueAt(b, i+6, j), j, true
			case j-i >= 3 && string(b[i:i+3]) == "id:":
				st.idAt, st.idEnd, st.hasID = valueAt(b, i+3, j), j, true
			default:
				r.field(b, i, j)
			}
			i = next
		}
		ev := r.st
		r.pos += end
		r.st = state{}
		if ev.dataLines == 0 && ev.nameEnd == ev.nameAt {
			continue // a block of comments or an empty event: nothing to dispatch
		}
		var e Event
		if ev.hasName {
			e.Name = b[ev.nameAt:ev.nameEnd]
		}
		if ev.hasID {
			e.ID = b[ev.idAt:ev.idEnd]
		}
		switch ev.dataLines {
		case 0:
		case 1:
			e.Data = b[ev.dataAt:ev.dataEnd:ev.dataEnd]
		default:
			e.Data = r.scratch
		}
		return e, true
	}
	r.buf, r.cur, r.pos = r.buf[:0], nil, 0
	return Event{}, false
}

// incomplete records that the event being read goes on at its line i, whose end is
// not before scan, and keeps the unread bytes for the next piece.
func (r *Reader) incomplete(i, scan int) (Event, bool) {
	r.st.next, r.st.scan = i, scan
	r.keepTail()
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

// valueAt returns where the value of a field line ending at j starts, v being just
// past its colon: one leading space is not part of it.
func valueAt(b []byte, v, j int) int {
	if v < j && b[v] == ' ' {
		v++
	}
	return v
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// field records the line b[i:j] (not empty) in the event being read.
func (r *Reader) field(b []byte, i, j int) {
	st := &r.st
	line := b[i:j]
	var name []byte
	v := j // start of the value
	switch {
	case line[0] == ':':
		return // comment
	case len(line) >= 5 && string(line[:5]) == "data:":
		name, v = line[:4], i+5
	case len(line) >= 6 && string(line[:6]) == "event:":
		name, v = line[:5], i+6
	case len(line) >= 3 && string(line[:3]) == "id:":
		name, v = line[:2], i+3
	default:
		name = line
		if c := bytes.IndexByte(line, ':'); c >= 0 {
			name, v = line[:c], i+c+1
		}
	}
	if v < j && b[v] == ' ' {
		v++
	}
	switch string(name) {
	case "data":
		st.dataLines++
		switch st.dataLines {
		case 1:
			st.dataAt, st.dataEnd = v, j
		case 2:
			r.scratch = append(append(append(r.scratch[:0], b[st.dataAt:st.dataEnd]...), '\n'), b[v:j]...)
		default:
			r.scratch = append(append(r.scratch, '\n'), b[v:j]...)
		}
	case "event":
		st.nameAt, st.nameEnd, st.hasName = v, j, true
	case "id":
		st.idAt, st.idEnd, st.hasID = v, j, true
	}
}

// AppendData appends `data: <payload>\n\n`.
func AppendData(dst, payload []byte) []byte {
	return appendDataLines(append(dst, "data: "...), payload)
}

// appendDataLines appends payload as the value of the `data:` field just written, and
// ends the event. A payload of several lines (a pretty-printed JSON copied from an
// upstream event) becomes one `data:` line per line, as SSE reads it back joined.
func appendDataLines(dst, payload []byte) []byte {
	for {
		i := bytes.IndexAny(payload, "\r\n")
		if i < 0 {
			break
		}
		dst = append(dst, payload[:i]...)
		if payload[i] == '\r' && i+1 < len(payload) && payload[i+1] == '\n' {
			i++
		}
		payload = payload[i+1:]
		dst = append(dst, "\ndata: "...)
	}
	dst = append(dst, payload...)
	return append(dst, '\n', '\n')
}

// AppendEvent appends `event: <name>\ndata: <payload>\n\n`.
func AppendEvent(dst []byte, name string, payload []byte) []byte {
	dst = append(dst, "event: "...)
	dst = append(dst, name...)
	dst = append(dst, "\ndata: "...)
	return appendDataLines(dst, payload)
}

// Done is the OpenAI stream terminator event.
var Done = []byte("data: [DONE]\n\n")
