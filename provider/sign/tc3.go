package sign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"sync"
	"time"
)

// TC3Algorithm is the name of Tencent Cloud's signature method v3.
const TC3Algorithm = "TC3-HMAC-SHA256"

// TC3 is a Tencent Cloud API 3.0 credential: the key pair of an account (SecretId,
// SecretKey) and the service it signs for ("hunyuan", "cvm": the first label of the
// API host).
//
// A TC3 keeps the signing key of the last date it signed for (derived with three
// HMACs), so that one TC3 kept for a credential signs a day's requests with one HMAC
// each. It may be shared by goroutines.
type TC3 struct {
	SecretID  string
	SecretKey string
	Service   string

	mu      sync.Mutex
	keyDate string // the date key was derived for ("" none)
	key     [sha256.Size]byte
}

// TC3Request is what a TC3 signature covers of one POST request to "/" with an empty
// query: the Content-Type and Host header values, optionally the X-TC-Action value
// (signed as the current documentation recommends, lower-cased), the request
// timestamp (X-TC-Timestamp, Unix seconds) and the exact body bytes sent.
type TC3Request struct {
	ContentType string
	Host        string
	Action      string // "" leaves x-tc-action out of the signed headers
	Timestamp   int64
	Payload     []byte
}

// Authorization appends the Authorization header value for r to dst:
//
//	TC3-HMAC-SHA256 Credential=<SecretId>/<date>/<service>/tc3_request,
//	SignedHeaders=content-type;host[;x-tc-action], Signature=<hex>
//
// The secret key appears nowhere in the result.
func (k *TC3) Authorization(dst []byte, r *TC3Request) []byte {
	var scratch [512]byte
	sts := k.StringToSign(scratch[:0], r)
	var sig [sha256.Size]byte
	k.signature(sig[:0], tc3Date(r.Timestamp), sts)
	dst = append(dst, TC3Algorithm+" Credential="...)
	dst = append(dst, k.SecretID...)
	dst = append(dst, '/')
	dst = appendScope(dst, r.Timestamp, k.Service)
	dst = append(dst, ", SignedHeaders="...)
	dst = appendSignedHeaders(dst, r)
	dst = append(dst, ", Signature="...)
	return hex.AppendEncode(dst, sig[:])
}

// TC3CanonicalRequest appends the canonical request string of r (step 1 of the signature):
//
//	POST\n/\n\n<canonical headers>\n<signed headers>\n<hex SHA-256 of the payload>
//
// where the canonical headers are "content-type:<v>\nhost:<v>\n" (and
// "x-tc-action:<lower-case action>\n"), keys sorted, values trimmed.
func TC3CanonicalRequest(dst []byte, r *TC3Request) []byte {
	dst = append(dst, "POST\n/\n\ncontent-type:"...)
	dst = append(dst, trim(r.ContentType)...)
	dst = append(dst, "\nhost:"...)
	dst = append(dst, trim(r.Host)...)
	dst = append(dst, '\n')
	if r.Action != "" {
		dst = append(dst, "x-tc-action:"...)
		dst = appendLower(dst, trim(r.Action))
		dst = append(dst, '\n')
	}
	dst = append(dst, '\n')
	dst = appendSignedHeaders(dst, r)
	dst = append(dst, '\n')
	sum := sha256.Sum256(r.Payload)
	return hex.AppendEncode(dst, sum[:])
}

// StringToSign appends the string to sign for r (step 2):
//
//	TC3-HMAC-SHA256\n<timestamp>\n<UTC date>/<service>/tc3_request\n<hex SHA-256 of the canonical request>
func (k *TC3) StringToSign(dst []byte, r *TC3Request) []byte {
	var scratch [512]byte
	sum := sha256.Sum256(TC3CanonicalRequest(scratch[:0], r))
	dst = append(dst, TC3Algorithm+"\n"...)
	dst = strconv.AppendInt(dst, r.Timestamp, 10)
	dst = append(dst, '\n')
	dst = appendScope(dst, r.Timestamp, k.Service)
	dst = append(dst, '\n')
	return hex.AppendEncode(dst, sum[:])
}

// SigningKey appends the derived signing key of date ("2006-01-02", UTC) (step 3):
// HMAC(HMAC(HMAC("TC3"+SecretKey, date), service), "tc3_request").
func (k *TC3) SigningKey(dst []byte, date string) []byte {
	key := make([]byte, 0, 3+len(k.SecretKey))
	key = append(append(key, "TC3"...), k.SecretKey...)
	var a, b [sha256.Size]byte
	tc3MAC(a[:0], key, date)
	tc3MAC(b[:0], a[:], k.Service)
	return tc3MAC(dst, b[:], "tc3_request")
}

// signature appends HMAC(signing key of date, stringToSign).
func (k *TC3) signature(dst []byte, date string, stringToSign []byte) []byte {
	k.mu.Lock()
	if k.keyDate != date {
		k.SigningKey(k.key[:0], date)
		k.keyDate = date
	}
	key := k.key
	k.mu.Unlock()
	h := hmac.New(sha256.New, key[:])
	h.Write(stringToSign)
	return h.Sum(dst)
}

func tc3MAC(dst, key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(dst)
}

func appendSignedHeaders(dst []byte, r *TC3Request) []byte {
	dst = append(dst, "content-type;host"...)
	if r.Action != "" {
		dst = append(dst, ";x-tc-action"...)
	}
	return dst
}

// appendScope appends <UTC date>/<service>/tc3_request.
func appendScope(dst []byte, ts int64, service string) []byte {
	dst = append(dst, tc3Date(ts)...)
	dst = append(dst, '/')
	dst = append(dst, service...)
	return append(dst, "/tc3_request"...)
}

// dateOf is the UTC date of a Unix time, as the credential scope writes it. The date
// must be UTC: a local date fails every request signed around midnight.
func tc3Date(ts int64) string {
	y, m, d := time.Unix(ts, 0).UTC().Date()
	var b [10]byte
	put := func(i, v, n int) {
		for j := i + n - 1; j >= i; j-- {
			b[j] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, y, 4)
	b[4] = '-'
	put(5, int(m), 2)
	b[7] = '-'
	put(8, d, 2)
	return string(b[:])
}

func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

func trim(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
