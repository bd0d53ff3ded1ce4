package sign

import (
	"encoding/hex"
	"strings"
	"testing"
)

// The worked example of Tencent Cloud's "Signature v3" documentation (CVM
// DescribeInstances in ap-guangzhou, timestamp 1551113065): the payload, every
// intermediate value and the expected signature are the document's.
const (
	docPayload     = `{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`
	docPayloadHash = "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
	docTimestamp   = 1551113065
)

func docRequest(action string) *TC3Request {
	return &TC3Request{
		ContentType: "application/json; charset=utf-8",
		Host:        "cvm.tencentcloudapi.com",
		Action:      action,
		Timestamp:   docTimestamp,
		Payload:     []byte(docPayload),
	}
}

// TestTC3DocumentExample: the example with SignedHeaders=content-type;host, whose
// document publishes the secret key, so the whole chain is checked end to end.
func TestTC3DocumentExample(t *testing.T) {
	k := &TC3{SecretID: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", SecretKey: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", Service: "cvm"}
	r := docRequest("")

	wantCanonical := "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n" + docPayloadHash
	if got := string(TC3CanonicalRequest(nil, r)); got != wantCanonical {
		t.Errorf("canonical request\n got %q\nwant %q", got, wantCanonical)
	}
	wantSTS := "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
	if got := string(k.StringToSign(nil, r)); got != wantSTS {
		t.Errorf("string to sign\n got %q\nwant %q", got, wantSTS)
	}
	want := "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, " +
		"SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
	got := string(k.Authorization(nil, r))
	if got != want {
		t.Errorf("authorization\n got %q\nwant %q", got, want)
	}
	if strings.Contains(got, k.SecretKey) {
		t.Error("the authorization holds the secret key")
	}
}

// TestTC3DocumentExampleWithAction: the current version of the document signs
// x-tc-action too (value lower-cased). It masks the secret key but publishes the
// canonical request's hash, the derived signing key and the signature, so the key-less
// steps and the last HMAC are checked.
func TestTC3DocumentExampleWithAction(t *testing.T) {
	k := &TC3{SecretID: "AKIDEXAMPLE", SecretKey: "unused", Service: "cvm"}
	r := docRequest("DescribeInstances")
	wantCanonical := "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\nx-tc-action:describeinstances\n\ncontent-type;host;x-tc-action\n" + docPayloadHash
	if got := string(TC3CanonicalRequest(nil, r)); got != wantCanonical {
		t.Errorf("canonical request\n got %q\nwant %q", got, wantCanonical)
	}
	sts := k.StringToSign(nil, r)
	wantSTS := "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84"
	if string(sts) != wantSTS {
		t.Errorf("string to sign\n got %q\nwant %q", sts, wantSTS)
	}
	key, _ := hex.DecodeString("b596b923aad85185e2d1f6659d2a062e0a86731226e021e61bfe06f7ed05f5af")
	sig := hex.EncodeToString(tc3MAC(nil, key, string(sts)))
	if want := "10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f"; sig != want {
		t.Errorf("signature from the published signing key: got %s, want %s", sig, want)
	}
	if a := string(k.Authorization(nil, r)); !strings.Contains(a, "SignedHeaders=content-type;host;x-tc-action, Signature=") {
		t.Errorf("authorization %q does not name x-tc-action", a)
	}
}

func TestTC3DateIsUTC(t *testing.T) {
	// 1551113065 is 2019-02-26 00:44 in UTC+8: the scope must still say 2019-02-25.
	for _, c := range []struct {
		ts   int64
		want string
	}{{docTimestamp, "2019-02-25"}, {0, "1970-01-01"}, {1700000000, "2023-11-14"}, {951782400, "2000-02-29"}} {
		if got := tc3Date(c.ts); got != c.want {
			t.Errorf("tc3Date(%d) = %s, want %s", c.ts, got, c.want)
		}
	}
}

func BenchmarkTC3Authorization(b *testing.B) {
	k := &TC3{SecretID: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", SecretKey: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", Service: "hunyuan"}
	r := docRequest("ChatCompletions")
	r.Payload = []byte(strings.Repeat(docPayload, 20))
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = k.Authorization(buf[:0], r)
	}
}

// TestTC3KeyPerDate: a TC3 kept across requests signs each as a fresh one does, also
// when the date changes between them.
func TestTC3KeyPerDate(t *testing.T) {
	kept := &TC3{SecretID: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", SecretKey: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", Service: "cvm"}
	for _, ts := range []int64{1551113065, 1551113065 + 60, 1551113065 + 86400, 1551113065} {
		r := docRequest("")
		r.Timestamp = ts
		fresh := &TC3{SecretID: kept.SecretID, SecretKey: kept.SecretKey, Service: kept.Service}
		if got, want := string(kept.Authorization(nil, r)), string(fresh.Authorization(nil, r)); got != want {
			t.Errorf("at %d: kept %s, fresh %s", ts, got, want)
		}
	}
}
