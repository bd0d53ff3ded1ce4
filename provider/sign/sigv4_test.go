package sign

import (
	"strings"
	"testing"
)

// The vectors of AWS's SigV4 test suite (aws-sig-v4-test-suite), with its example
// credentials, region us-east-1, service "service", signed at 20150830T123600Z.
var suiteKey = AWS{AccessKey: "AKIDEXAMPLE", SecretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", Region: "us-east-1", Service: "service"}

const (
	suiteDate  = "20150830T123600Z"
	suiteCred  = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	suiteToken = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
)

func suiteHeaders(extra ...Header) []Header {
	return append([]Header{{"Host", "example.amazonaws.com"}, {"X-Amz-Date", suiteDate}}, extra...)
}

func TestSigV4Suite(t *testing.T) {
	cases := []struct {
		name, method, path, query, body string
		headers                         []Header
		canonical                       string // checked when set
		stringToSign                    string // checked when set
		auth                            string
	}{
		{name: "get-vanilla", method: "GET", path: "/", headers: suiteHeaders(),
			canonical:    "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + EmptyPayloadHash,
			stringToSign: "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
			auth:         suiteCred + "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
		{name: "post-vanilla", method: "POST", path: "/", headers: suiteHeaders(),
			stringToSign: "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
			auth:         suiteCred + "SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
		{name: "post-x-www-form-urlencoded", method: "POST", path: "/", body: "Param1=value1",
			headers: suiteHeaders(Header{"Content-Type", "application/x-www-form-urlencoded"}),
			canonical: "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n" +
				"content-type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
			auth: suiteCred + "SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
		{name: "get-vanilla-query-order-key-case", method: "GET", path: "/", query: "Param2=value2&Param1=value1", headers: suiteHeaders(),
			auth: suiteCred + "SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
		{name: "get-utf8", method: "GET", path: "/ሴ", headers: suiteHeaders(),
			auth: suiteCred + "SignedHeaders=host;x-amz-date, Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
		{name: "get-space", method: "GET", path: "/example space/", headers: suiteHeaders(),
			auth: suiteCred + "SignedHeaders=host;x-amz-date, Signature=652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
		{name: "post-vanilla-query", method: "POST", path: "/", query: "Param1=value1", headers: suiteHeaders(),
			auth: suiteCred + "SignedHeaders=host;x-amz-date, Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
		{name: "post-header-value-case", method: "POST", path: "/", headers: suiteHeaders(Header{"My-Header1", "VALUE1"}),
			auth: suiteCred + "SignedHeaders=host;my-header1;x-amz-date, Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
		{name: "post-sts-header-before", method: "POST", path: "/", headers: suiteHeaders(Header{"X-Amz-Security-Token", suiteToken}),
			stringToSign: "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nc237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6",
			auth:         suiteCred + "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &Request{Method: c.method, Path: c.path, Query: c.query, Headers: c.headers, PayloadHash: PayloadHash([]byte(c.body))}
			canonical, _ := CanonicalRequest(r)
			if c.canonical != "" && canonical != c.canonical {
				t.Errorf("canonical request:\n got %q\nwant %q", canonical, c.canonical)
			}
			if sts := suiteKey.StringToSign(suiteDate, canonical); c.stringToSign != "" && sts != c.stringToSign {
				t.Errorf("string to sign:\n got %q\nwant %q", sts, c.stringToSign)
			}
			if got := suiteKey.Sign(r, suiteDate); got != c.auth {
				t.Errorf("authorization:\n got %s\nwant %s", got, c.auth)
			}
		})
	}
}

// An already-encoded path is encoded again, as AWS's SDKs sign Bedrock model ids.
func TestSigV4PathEncodedTwice(t *testing.T) {
	r := &Request{Method: "POST", Path: "/model/anthropic.claude-v2%3A1/converse", Headers: suiteHeaders()}
	canonical, _ := CanonicalRequest(r)
	if !strings.HasPrefix(canonical, "POST\n/model/anthropic.claude-v2%253A1/converse\n") {
		t.Errorf("canonical request %q", canonical)
	}
}

func BenchmarkSign(b *testing.B) {
	body := []byte(strings.Repeat(`{"messages":[{"role":"user","content":[{"text":"hello"}]}]}`, 20))
	k := AWS{AccessKey: "AKID", SecretKey: "secret", Region: "us-east-1", Service: "bedrock"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r := Request{Method: "POST", Path: "/model/a%3A0/converse", PayloadHash: PayloadHash(body),
			Headers: []Header{{"host", "bedrock-runtime.us-east-1.amazonaws.com"}, {"x-amz-date", suiteDate}}}
		_ = k.Sign(&r, suiteDate)
	}
}
