package sign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"sort"
	"strings"
	"time"
)

// AWS holds the credentials and scope of AWS Signature Version 4 signing.
type AWS struct {
	AccessKey    string
	SecretKey    string
	SessionToken string // sent and signed as x-amz-security-token when set
	Region       string
	Service      string
}

// Header is one request header to sign. Names are compared case-insensitively.
type Header struct{ Name, Value string }

// AmzDateFormat is the layout of x-amz-date (ISO 8601 basic, UTC).
const AmzDateFormat = "20060102T150405Z"

// AmzDate formats t as an x-amz-date value.
func AmzDate(t time.Time) string { return t.UTC().Format(AmzDateFormat) }

// EmptyPayloadHash is the SHA-256 of an empty body, hex.
const EmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// PayloadHash returns the hex SHA-256 of body: the last line of the canonical request.
func PayloadHash(body []byte) string {
	s := sha256.Sum256(body)
	return hex.EncodeToString(s[:])
}

// Request is what SigV4 signs. Path is the URI path as the canonical URI encodes it:
// each byte outside the unreserved set (A-Z a-z 0-9 - _ . ~) and '/' is percent-encoded,
// so a path already percent-encoded on the wire (Bedrock's "/model/a%3A0/converse") is
// encoded once more ("%253A"), as AWS's SDKs do for every service but S3. The path is
// not normalised. Query is the raw query string (without '?'). Headers must include
// host and x-amz-date (and x-amz-security-token with a session token); all of them are
// signed.
type Request struct {
	Method      string
	Path        string
	Query       string
	Headers     []Header
	PayloadHash string // hex SHA-256 of the body; "" means the empty body
}

// CanonicalRequest returns SigV4's canonical request and the signed-headers list.
func CanonicalRequest(r *Request) (canonical, signed string) {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	path := r.Path
	if path == "" {
		path = "/"
	}
	appendURIEncode(&b, path, true)
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.Query))
	b.WriteByte('\n')
	hs := make([]Header, len(r.Headers))
	for i, h := range r.Headers {
		hs[i] = Header{strings.ToLower(strings.TrimSpace(h.Name)), trimAll(h.Value)}
	}
	sort.SliceStable(hs, func(i, j int) bool { return hs[i].Name < hs[j].Name })
	var sh strings.Builder
	for i := 0; i < len(hs); i++ {
		// Repeated headers join their values with commas, in order.
		b.WriteString(hs[i].Name)
		b.WriteByte(':')
		b.WriteString(hs[i].Value)
		for i+1 < len(hs) && hs[i+1].Name == hs[i].Name {
			i++
			b.WriteByte(',')
			b.WriteString(hs[i].Value)
		}
		b.WriteByte('\n')
		if sh.Len() > 0 {
			sh.WriteByte(';')
		}
		sh.WriteString(hs[i].Name)
	}
	b.WriteByte('\n')
	b.WriteString(sh.String())
	b.WriteByte('\n')
	if r.PayloadHash == "" {
		b.WriteString(EmptyPayloadHash)
	} else {
		b.WriteString(r.PayloadHash)
	}
	return b.String(), sh.String()
}

// StringToSign returns SigV4's string to sign for a canonical request signed at
// amzDate (x-amz-date's value).
func (k *AWS) StringToSign(amzDate, canonical string) string {
	h := sha256.Sum256([]byte(canonical))
	return "AWS4-HMAC-SHA256\n" + amzDate + "\n" + k.scope(amzDate) + "\n" + hex.EncodeToString(h[:])
}

func (k *AWS) scope(amzDate string) string {
	return dateOf(amzDate) + "/" + k.Region + "/" + k.Service + "/aws4_request"
}

func dateOf(amzDate string) string {
	if len(amzDate) >= 8 {
		return amzDate[:8]
	}
	return amzDate
}

// SigningKey derives the day's signing key: HMAC chain over date, region, service and
// "aws4_request", starting from "AWS4"+secret.
func (k *AWS) SigningKey(date string) []byte {
	m := hmac.New(sha256.New, []byte("AWS4"+k.SecretKey))
	key := mac(m, nil, date)
	for _, s := range [...]string{k.Region, k.Service, "aws4_request"} {
		m = hmac.New(sha256.New, key)
		key = mac(m, key[:0], s)
	}
	return key
}

func mac(m hash.Hash, dst []byte, s string) []byte {
	m.Write([]byte(s))
	return m.Sum(dst)
}

// Sign returns the Authorization header value for r signed at amzDate, which must be
// the value of r's x-amz-date header.
func (k *AWS) Sign(r *Request, amzDate string) string {
	canonical, signed := CanonicalRequest(r)
	sts := k.StringToSign(amzDate, canonical)
	sig := mac(hmac.New(sha256.New, k.SigningKey(dateOf(amzDate))), nil, sts)
	return "AWS4-HMAC-SHA256 Credential=" + k.AccessKey + "/" + k.scope(amzDate) +
		", SignedHeaders=" + signed + ", Signature=" + hex.EncodeToString(sig)
}

// canonicalQuery sorts the query's parameters by name then value, each URI-encoded
// (after decoding what the query already encoded).
func canonicalQuery(q string) string {
	if q == "" {
		return ""
	}
	type kv struct{ k, v string }
	var ps []kv
	for _, p := range strings.Split(q, "&") {
		if p == "" {
			continue
		}
		k, v, _ := strings.Cut(p, "=")
		ps = append(ps, kv{encode(unescape(k)), encode(unescape(v))})
	}
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].k != ps[j].k {
			return ps[i].k < ps[j].k
		}
		return ps[i].v < ps[j].v
	})
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

func encode(s string) string {
	var b strings.Builder
	appendURIEncode(&b, s, false)
	return b.String()
}

const upperHex = "0123456789ABCDEF"

// appendURIEncode writes s with every byte outside the unreserved set percent-encoded
// (upper-case hex); '/' is kept when slash is set.
func appendURIEncode(b *strings.Builder, s string, slash bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || (slash && c == '/') {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&15])
	}
}

// unescape decodes %XX sequences; malformed ones are kept as they are.
func unescape(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		out = append(out, s[i])
	}
	return string(out)
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// trimAll trims a header value and collapses runs of spaces to one.
func trimAll(v string) string {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "  ") {
		return v
	}
	return strings.Join(strings.Fields(v), " ")
}
