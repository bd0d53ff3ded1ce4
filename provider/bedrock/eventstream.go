package bedrock

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
)

// AWS event-stream framing (application/vnd.amazon.eventstream), as ConverseStream
// answers: each message is
//
//	total length (4) | headers length (4) | prelude CRC32 (4) | headers | payload | message CRC32 (4)
//
// big-endian, CRC32 IEEE; the prelude CRC covers the first 8 bytes, the message CRC
// everything before it. A header is name length (1), name, value type (1), value; this
// package reads string values (type 7: length (2), bytes) and skips the other types.

const (
	preludeLen = 12
	minFrame   = preludeLen + 4
	// maxFrame bounds a message's declared length (AWS caps event-stream messages at
	// 16 MiB), so a corrupt prelude cannot make the decoder buffer without end.
	maxFrame = 16 << 20
)

var (
	errPreludeCRC = errors.New("event-stream prelude checksum mismatch")
	errMessageCRC = errors.New("event-stream message checksum mismatch")
	errFrameLen   = errors.New("event-stream message length out of range")
	errHeaders    = errors.New("event-stream headers malformed")
)

// Message is one decoded event-stream message. Its byte slices point into the
// decoder's buffer and are valid until the next call to Next or Feed.
type Message struct {
	EventType     string // :event-type
	MessageType   string // :message-type: event, exception or error
	ExceptionType string // :exception-type
	ErrorCode     string // :error-code (message type error)
	Payload       []byte
}

// Decoder splits an event-stream into messages. Input may be fed split at any byte;
// an incomplete message stays buffered until the rest arrives.
type Decoder struct {
	buf []byte
	pos int
}

// Feed appends the next piece of the stream; chunk is copied.
func (d *Decoder) Feed(chunk []byte) {
	if d.pos > 0 {
		n := copy(d.buf, d.buf[d.pos:])
		d.buf, d.pos = d.buf[:n], 0
	}
	d.buf = append(d.buf, chunk...)
}

// Pending reports whether bytes of an incomplete message are buffered.
func (d *Decoder) Pending() bool { return d.pos < len(d.buf) }

// Next returns the next complete message. ok is false when none is complete yet. An
// error (checksum mismatch, impossible lengths) means the stream cannot be read on.
func (d *Decoder) Next() (m Message, ok bool, err error) {
	b := d.buf[d.pos:]
	if len(b) < preludeLen {
		return m, false, nil
	}
	total := binary.BigEndian.Uint32(b)
	hlen := binary.BigEndian.Uint32(b[4:])
	if crc32.ChecksumIEEE(b[:8]) != binary.BigEndian.Uint32(b[8:]) {
		return m, false, errPreludeCRC
	}
	if total < minFrame || total > maxFrame || hlen > total-minFrame {
		return m, false, errFrameLen
	}
	if uint32(len(b)) < total {
		return m, false, nil
	}
	f := b[:total]
	if crc32.ChecksumIEEE(f[:total-4]) != binary.BigEndian.Uint32(f[total-4:]) {
		return m, false, errMessageCRC
	}
	if !readHeaders(f[preludeLen:preludeLen+hlen], &m) {
		return m, false, errHeaders
	}
	m.Payload = f[preludeLen+hlen : total-4]
	d.pos += int(total)
	return m, true, nil
}

// readHeaders reads the headers the converter needs into m.
func readHeaders(h []byte, m *Message) bool {
	for len(h) > 0 {
		n := int(h[0])
		if len(h) < 1+n+1 {
			return false
		}
		name := h[1 : 1+n]
		typ := h[1+n]
		h = h[2+n:]
		var size int
		switch typ {
		case 0, 1: // bool true, false
		case 2: // byte
			size = 1
		case 3: // short
			size = 2
		case 4: // int
			size = 4
		case 5, 8: // long, timestamp
			size = 8
		case 9: // uuid
			size = 16
		case 6, 7: // byte array, string
			if len(h) < 2 {
				return false
			}
			size = int(binary.BigEndian.Uint16(h))
			h = h[2:]
		default:
			return false
		}
		if len(h) < size {
			return false
		}
		if typ == 7 {
			switch v := h[:size]; string(name) {
			case ":event-type":
				m.EventType = intern(v)
			case ":message-type":
				m.MessageType = intern(v)
			case ":exception-type":
				m.ExceptionType = string(v)
			case ":error-code":
				m.ErrorCode = string(v)
			}
		}
		h = h[size:]
	}
	return true
}

// intern returns v as a string, without allocating for the event and message types
// every stream repeats.
func intern(v []byte) string {
	switch string(v) {
	case "event":
		return "event"
	case "contentBlockDelta":
		return "contentBlockDelta"
	case "contentBlockStart":
		return "contentBlockStart"
	case "contentBlockStop":
		return "contentBlockStop"
	case "messageStart":
		return "messageStart"
	case "messageStop":
		return "messageStop"
	case "metadata":
		return "metadata"
	}
	return string(v)
}

// AppendFrame appends one event-stream message with the given string headers (name,
// value pairs) and payload, checksums included. Tests and tools use it to build
// streams; the plugin only decodes.
func AppendFrame(dst []byte, headers []string, payload []byte) []byte {
	hlen := 0
	for i := 0; i+1 < len(headers); i += 2 {
		hlen += 1 + len(headers[i]) + 1 + 2 + len(headers[i+1])
	}
	total := preludeLen + hlen + len(payload) + 4
	start := len(dst)
	dst = binary.BigEndian.AppendUint32(dst, uint32(total))
	dst = binary.BigEndian.AppendUint32(dst, uint32(hlen))
	dst = binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:start+8]))
	for i := 0; i+1 < len(headers); i += 2 {
		dst = append(dst, byte(len(headers[i])))
		dst = append(dst, headers[i]...)
		dst = append(dst, 7)
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(headers[i+1])))
		dst = append(dst, headers[i+1]...)
	}
	dst = append(dst, payload...)
	return binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:]))
}

// AppendEvent appends an event message (:message-type event) of the given type with a
// JSON payload.
func AppendEvent(dst []byte, eventType string, payload []byte) []byte {
	return AppendFrame(dst, []string{":event-type", eventType, ":content-type", "application/json", ":message-type", "event"}, payload)
}

// AppendException appends an exception message (e.g. throttlingException).
func AppendException(dst []byte, exceptionType string, payload []byte) []byte {
	return AppendFrame(dst, []string{":exception-type", exceptionType, ":content-type", "application/json", ":message-type", "exception"}, payload)
}
