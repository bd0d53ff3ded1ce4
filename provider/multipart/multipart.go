// Package multipart reads multipart/form-data bodies (RFC 7578) as they stream: the body
// may arrive in pieces split at any byte, also inside a boundary, and the parser keeps
// only what it cannot decide yet — a possible partial boundary (at most the boundary's
// length) and one part's header block (at most MaxHeaderBytes). Part data is handed on
// as slices of the input, never copied whole.
//
// Go's mime/multipart is not used: it reads from an io.Reader (the plugin is handed
// pieces, and must decide per piece whether to hold the request), buffers through
// bufio, and costs the plugin binary 398 KB of wasm (net/textproto, mime with its
// quoted-printable and encoded-word decoders, measured on the plugin) where this
// parser costs 32 KB.
package multipart

import (
	"bytes"
	"errors"
	"strings"
)

// MaxHeaderBytes bounds one part's header block; SDKs send well under 300 bytes.
const MaxHeaderBytes = 8 << 10

// maxBoundary is RFC 2046's limit on a boundary's length.
const maxBoundary = 70

// Errors of a malformed body.
var (
	ErrUnexpectedEnd = errors.New("multipart: body ends before its closing boundary")
	ErrHeaderTooLong = errors.New("multipart: part header block too long")
	ErrBadDelimiter  = errors.New("multipart: malformed boundary line")
	ErrNoFormData    = errors.New("multipart: part without Content-Disposition: form-data")
)

// Boundary returns the boundary parameter of a multipart/form-data content type, and
// false when the content type is not multipart/form-data or has no valid boundary.
func Boundary(contentType string) (string, bool) {
	mt, params, _ := strings.Cut(contentType, ";")
	if !strings.EqualFold(strings.TrimSpace(mt), "multipart/form-data") {
		return "", false
	}
	b := param(params, "boundary")
	if b == "" || len(b) > maxBoundary || strings.ContainsAny(b, "\r\n") {
		return "", false
	}
	return b, true
}

// Kind says what an Event reports.
type Kind uint8

// Event kinds, in the order a part yields them: PartStart, Data (zero or more), PartEnd;
// End once after the last part.
const (
	PartStart Kind = iota + 1
	Data
	PartEnd
	End
)

// Part is one form field's headers.
type Part struct {
	Name        string // Content-Disposition name
	FileName    string // Content-Disposition filename; "" for a plain field
	ContentType string // "" when the part has none
}

// Event is one step through the body. Offset is the position in the whole body (as
// counted from its first byte over every Feed) where Data starts, where the part's data
// starts (PartStart) or ends (PartEnd). Data aliases the parser's input or its small
// carry buffer: it is valid only during the callback.
type Event struct {
	Kind   Kind
	Part   *Part
	Data   []byte
	Offset int64
}

type state uint8

const (
	stPreamble state = iota
	stAfterDelim
	stHeaders
	stBody
	stDone
)

// Parser is an incremental multipart/form-data reader. The zero value is not usable:
// create it with NewParser. A Parser is per body and not safe for concurrent use.
type Parser struct {
	delim []byte // "\r\n--" + boundary
	st    state
	// lineStart: a part's data begins here, where "--boundary" alone is a delimiter
	lineStart bool
	carry     []byte // undecided bytes from the previous Feed
	hdr       []byte // the current part's header block so far
	part      Part
	off       int64 // body offset of the next byte the state machine reads
	err       error
	ev        Event // reused for every callback: events cost no allocation
}

// NewParser returns a parser for a body with the given boundary (see Boundary).
func NewParser(boundary string) *Parser {
	p := &Parser{delim: []byte("\r\n--" + boundary)}
	// The first delimiter may start the body without a line break before it: read the
	// body as if it began with one.
	p.carry = append(p.carry, '\r', '\n')
	p.off = -2
	return p
}

// Feed parses the next piece of the body, calling fn for every event it completes;
// end says the body is over. An error from fn stops the parser and is returned; a
// malformed body returns one of the Err values. After an error the parser stays failed.
func (p *Parser) Feed(chunk []byte, end bool, fn func(*Event) error) error {
	if p.err != nil {
		return p.err
	}
	// Undecided bytes from the previous piece are completed with just enough of this
	// one to decide them; the rest of the piece is then read in place.
	for len(p.carry) > 0 && len(chunk) > 0 {
		old := len(p.carry)
		k := min(len(chunk), len(p.delim)+maxPadding+4)
		p.carry = append(p.carry, chunk[:k]...)
		last := end && k == len(chunk)
		n, err := p.run(p.carry, last, fn)
		if err != nil {
			return p.fail(err)
		}
		if n >= old {
			chunk = chunk[n-old:]
			p.carry = p.carry[:0]
			break
		}
		// Still undecided (a short piece): keep it all and read on.
		p.carry = append(p.carry[:0], p.carry[n:]...)
		chunk = chunk[k:]
		if last {
			return p.finish()
		}
	}
	if len(p.carry) > 0 { // empty chunk
		if !end {
			return nil
		}
		n, err := p.run(p.carry, true, fn)
		p.carry = p.carry[:copy(p.carry, p.carry[n:])]
		if err != nil {
			return p.fail(err)
		}
		return p.finish()
	}
	n, err := p.run(chunk, end, fn)
	if err != nil {
		return p.fail(err)
	}
	p.carry = append(p.carry, chunk[n:]...)
	if end {
		return p.finish()
	}
	return nil
}

func (p *Parser) finish() error {
	if p.st != stDone {
		return p.fail(ErrUnexpectedEnd)
	}
	return nil
}

func (p *Parser) fail(err error) error {
	p.err = err
	return err
}

// Done reports whether the closing boundary was read.
func (p *Parser) Done() bool { return p.st == stDone }

// run advances the state machine over b and returns how many bytes it consumed; the
// rest must be offered again, with more, in the next call.
func (p *Parser) run(b []byte, end bool, fn func(*Event) error) (int, error) {
	i := 0
	for i < len(b) {
		switch p.st {
		case stPreamble, stBody:
			rest := b[i:]
			if p.lineStart {
				// Right after the header block a delimiter needs no CRLF of its own: the
				// block's last one is it (an empty part), as Go's mime/multipart reads it.
				dash := p.delim[2:]
				if len(rest) < len(dash) && bytes.HasPrefix(dash, rest) && !end {
					return i, nil
				}
				p.lineStart = false
				if bytes.HasPrefix(rest, dash) {
					if err := p.emit(fn, Event{Kind: PartEnd, Part: &p.part, Offset: p.off}); err != nil {
						return i, err
					}
					i += len(dash)
					p.off += int64(len(dash))
					p.st = stAfterDelim
					continue
				}
			}
			j := bytes.Index(rest, p.delim)
			for j >= 0 {
				ok, undecided := delimiterEnds(rest[j+len(p.delim):], end)
				if ok || undecided {
					break
				}
				// "--boundary" followed by other text is data (as Go reads it).
				k := bytes.Index(rest[j+1:], p.delim)
				if k < 0 {
					j = -1
				} else {
					j += 1 + k
				}
			}
			if j >= 0 {
				if ok, _ := delimiterEnds(rest[j+len(p.delim):], end); !ok {
					// Decided by the next piece: the data before it is safe.
					if j > 0 && p.st == stBody {
						if err := p.emit(fn, Event{Kind: Data, Part: &p.part, Data: rest[:j], Offset: p.off}); err != nil {
							return i, err
						}
					}
					i += j
					p.off += int64(j)
					return i, nil
				}
				if p.st == stBody {
					if j > 0 {
						if err := p.emit(fn, Event{Kind: Data, Part: &p.part, Data: rest[:j], Offset: p.off}); err != nil {
							return i, err
						}
					}
					if err := p.emit(fn, Event{Kind: PartEnd, Part: &p.part, Offset: p.off + int64(j)}); err != nil {
						return i, err
					}
				}
				n := j + len(p.delim)
				i += n
				p.off += int64(n)
				p.st = stAfterDelim
				continue
			}
			// Everything but a tail that could begin a delimiter is data.
			safe := len(rest)
			if !end {
				safe = safePrefix(rest, len(p.delim))
			}
			if safe > 0 && p.st == stBody {
				if err := p.emit(fn, Event{Kind: Data, Part: &p.part, Data: rest[:safe], Offset: p.off}); err != nil {
					return i, err
				}
			}
			i += safe
			p.off += int64(safe)
			return i, nil
		case stAfterDelim:
			// "--" closes the body; otherwise optional whitespace, then CRLF.
			c := b[i]
			switch {
			case c == ' ' || c == '\t':
				i++
				p.off++
				continue
			case c == '-' || c == '\r':
				if i+1 >= len(b) {
					return i, nil
				}
				pair := string(b[i : i+2])
				if pair == "--" {
					i += 2
					p.off += 2
					p.st = stDone
					if err := p.emit(fn, Event{Kind: End, Offset: p.off}); err != nil {
						return i, err
					}
					continue
				}
				if pair != "\r\n" {
					return i, ErrBadDelimiter
				}
				i += 2
				p.off += 2
				p.st = stHeaders
			default:
				return i, ErrBadDelimiter
			}
		case stHeaders:
			rest := b[i:]
			var block []byte // the complete header block, when found
			n := 0           // bytes of rest it took
			if len(p.hdr) == 0 {
				// Usually the whole block is in this piece: read it in place.
				if bytes.HasPrefix(rest, []byte("\r\n")) {
					block, n = rest[:0], 2 // no headers at all
				} else if j := bytes.Index(rest[:min(len(rest), MaxHeaderBytes+4)], []byte("\r\n\r\n")); j >= 0 {
					block, n = rest[:j], j+4
				}
			} else {
				block, n = p.continueHeaders(rest)
			}
			if block == nil {
				// The block goes on in the next piece: keep what is here of it.
				if len(p.hdr)+len(rest) > MaxHeaderBytes+3 {
					return i, ErrHeaderTooLong
				}
				p.hdr = append(p.hdr, rest...)
				i += len(rest)
				p.off += int64(len(rest))
				continue
			}
			i += n
			p.off += int64(n)
			err := p.parseHeaders(block)
			p.hdr = p.hdr[:0]
			if err != nil {
				return i, err
			}
			p.st, p.lineStart = stBody, true
			if err := p.emit(fn, Event{Kind: PartStart, Part: &p.part, Offset: p.off}); err != nil {
				return i, err
			}
		case stDone:
			// The epilogue is ignored.
			p.off += int64(len(b) - i)
			return len(b), nil
		}
	}
	return i, nil
}

func (p *Parser) emit(fn func(*Event) error, e Event) error {
	p.ev = e
	return fn(&p.ev)
}

// maxPadding bounds the whitespace allowed after a boundary on its line.
const maxPadding = 16

// delimiterEnds reports whether after, the bytes that follow a "\r\n--boundary"
// match, make it a delimiter: "--", or optional whitespace then CRLF. undecided is
// true when after is too short to tell and more may come.
func delimiterEnds(after []byte, end bool) (ok, undecided bool) {
	for i := 0; i < len(after) && i <= maxPadding+2; i++ {
		switch c := after[i]; {
		case c == ' ' || c == '\t':
			continue
		case c == '-' && i == 0:
			if len(after) < 2 {
				return false, !end
			}
			return after[1] == '-', false
		case c == '\r':
			if i+1 >= len(after) {
				return false, !end
			}
			return after[i+1] == '\n', false
		default:
			return false, false
		}
	}
	return false, len(after) <= maxPadding+2 && !end
}

// safePrefix returns how much of b surely holds no beginning of a delimiter of length
// n: all of it but a tail from a '\r' in the last n-1 bytes on.
func safePrefix(b []byte, n int) int {
	from := max(0, len(b)-(n-1))
	if j := bytes.IndexByte(b[from:], '\r'); j >= 0 {
		return from + j
	}
	return len(b)
}

var crlf2 = []byte("\r\n\r\n")

// continueHeaders looks for the end of a header block begun in p.hdr in its next piece
// rest: block is the complete block (nil if it does not end in rest), n the bytes of
// rest up to and including its end.
func (p *Parser) continueHeaders(rest []byte) (block []byte, n int) {
	if len(p.hdr) == 1 && p.hdr[0] == '\r' && len(rest) > 0 && rest[0] == '\n' {
		return p.hdr[:0], 1 // "\r\n" right after the delimiter line: no headers
	}
	for s := 3; s >= 1; s-- { // the end straddles: s of its bytes are in p.hdr
		if bytes.HasSuffix(p.hdr, crlf2[:s]) && bytes.HasPrefix(rest, crlf2[s:]) {
			return p.hdr[:len(p.hdr)-s], 4 - s
		}
	}
	if j := bytes.Index(rest, crlf2); j >= 0 && len(p.hdr)+j <= MaxHeaderBytes {
		p.hdr = append(p.hdr, rest[:j]...)
		return p.hdr, j + 4
	}
	return nil, 0
}

// parseHeaders reads Content-Disposition and Content-Type from a part's header block.
func (p *Parser) parseHeaders(block []byte) error {
	p.part = Part{}
	disposition := false
	for len(block) > 0 {
		line := block
		if j := bytes.Index(block, []byte("\r\n")); j >= 0 {
			line, block = block[:j], block[j+2:]
		} else {
			block = nil
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		switch strings.ToLower(string(name)) { // no whitespace allowed around a field name (RFC 9112)
		case "content-disposition":
			v := string(value)
			kind, params, _ := strings.Cut(v, ";")
			if !strings.EqualFold(strings.TrimSpace(kind), "form-data") {
				return ErrNoFormData
			}
			disposition = true
			p.part.Name = param(params, "name")
			p.part.FileName = param(params, "filename")
		case "content-type":
			p.part.ContentType = strings.TrimSpace(string(value))
		}
	}
	if !disposition {
		return ErrNoFormData
	}
	return nil
}

// param returns the value of parameter key in a header's "; k=v; k2="v2"" tail: quoted
// strings with backslash escapes, or tokens.
func param(params, key string) string {
	s := params
	for len(s) > 0 {
		s = strings.TrimLeft(s, " \t;")
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			return ""
		}
		k := strings.TrimSpace(s[:eq])
		s = strings.TrimLeft(s[eq+1:], " \t")
		var v string
		if len(s) > 0 && s[0] == '"' {
			var b strings.Builder
			j := 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			v = b.String()
			s = s[min(j+1, len(s)):]
		} else {
			end := strings.IndexByte(s, ';')
			if end < 0 {
				end = len(s)
			}
			v, s = strings.TrimSpace(s[:end]), s[end:]
		}
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}

// Field is one part of a whole body: its headers and its data, a slice of the body.
type Field struct {
	Part
	Value []byte
}

// Parse reads a whole body. The fields' values alias body (no copy).
func Parse(body []byte, boundary string) ([]Field, error) {
	var fields []Field
	var start int64
	err := NewParser(boundary).Feed(body, true, func(e *Event) error {
		switch e.Kind {
		case PartStart:
			start = e.Offset
		case PartEnd:
			fields = append(fields, Field{Part: *e.Part, Value: body[start:e.Offset]})
		}
		return nil
	})
	return fields, err
}
