package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// The test key was generated once for this repository (testdata/vertex); it signs
// nothing real. RS256 (PKCS#1 v1.5) is deterministic, so the whole JWT is fixed for a
// fixed clock.
const keyFile = "../../testdata/vertex/service-account.json"

var fixedClock = time.Unix(1700000000, 0)

func testAccount(t *testing.T) *ServiceAccount {
	t.Helper()
	b, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseServiceAccount(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestJWTFixedKeyAndClock(t *testing.T) {
	s := testAccount(t)
	jwt, err := s.JWT(CloudPlatformScope, fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("JWT %q has %d parts, want 3", jwt, len(parts))
	}
	dec := func(p string) string {
		b, err := base64.RawURLEncoding.DecodeString(p)
		if err != nil {
			t.Fatalf("part %q is not base64url: %v", p, err)
		}
		return string(b)
	}
	if got, want := dec(parts[0]), `{"alg":"RS256","typ":"JWT","kid":"0123456789abcdef0123456789abcdef01234567"}`; got != want {
		t.Errorf("header\n got %s\nwant %s", got, want)
	}
	wantClaims := `{"iss":"ai-proxy-test@mock-project.iam.gserviceaccount.com","scope":"https://www.googleapis.com/auth/cloud-platform",` +
		`"aud":"https://oauth2.googleapis.com/token","iat":1700000000,"exp":1700003600}`
	if got := dec(parts[1]); got != wantClaims {
		t.Errorf("claims\n got %s\nwant %s", got, wantClaims)
	}
	// The signature verifies with the key's public half, over header.claims.
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(&s.key.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
		t.Errorf("signature does not verify: %v", err)
	}
	// Deterministic: the same clock gives the same bytes; another clock another JWT.
	again, _ := s.JWT(CloudPlatformScope, fixedClock)
	later, _ := s.JWT(CloudPlatformScope, fixedClock.Add(time.Second))
	if again != jwt || later == jwt {
		t.Errorf("JWT not a function of key and clock")
	}
	if wantSig := goldenSignature; parts[2] != wantSig {
		t.Errorf("signature\n got %s\nwant %s", parts[2], wantSig)
	}
}

// TestKeyFormats: the hand-written parser (not crypto/x509, see parseRSAKey) reads the
// key as x509 does, in PKCS#8 and PKCS#1, and refuses other algorithms.
func TestKeyFormats(t *testing.T) {
	s := testAccount(t)
	b, _ := os.ReadFile(keyFile)
	blk, _ := pem.Decode([]byte(gjson.GetBytes(b, "private_key").String()))
	want, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil || !s.key.Equal(want) {
		t.Fatalf("PKCS#8 key differs from x509's reading (%v)", err)
	}
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(want.(*rsa.PrivateKey))})
	b1, _ := sjson.SetBytes(b, "private_key", string(pkcs1))
	s1, err := ParseServiceAccount(string(b1))
	if err != nil || !s1.key.Equal(want) {
		t.Fatalf("PKCS#1: %v", err)
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(ec)
	b2, _ := sjson.SetBytes(b, "private_key", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
	if _, err := ParseServiceAccount(string(b2)); err == nil || err.Error() != "private_key: not an RSA key" {
		t.Fatalf("EC key: %v", err)
	}
}

func TestTokenRequest(t *testing.T) {
	s := testAccount(t)
	body, err := s.TokenRequest(CloudPlatformScope, fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	grant, assertion, ok := strings.Cut(string(body), "&")
	if !ok || grant != "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer" {
		t.Fatalf("body %q", body)
	}
	jwt, _ := s.JWT(CloudPlatformScope, fixedClock)
	if assertion != "assertion="+jwt {
		t.Errorf("assertion %q, want the JWT", assertion)
	}
}

func TestParseServiceAccountErrors(t *testing.T) {
	b, _ := os.ReadFile(keyFile)
	key := gjson.GetBytes(b, "private_key").String()
	for _, c := range []struct{ name, json, want string }{
		{"not json", `nope`, "not a JSON object"},
		{"no email", `{"token_uri":"https://t","private_key":"x"}`, "client_email: missing"},
		{"no token uri", `{"client_email":"a@b","private_key":"x"}`, "token_uri: missing"},
		{"no pem", `{"client_email":"a@b","token_uri":"https://t","private_key":"secret-not-pem"}`, "private_key: missing or not PEM"},
		{"bad der", `{"client_email":"a@b","token_uri":"https://t","private_key":"-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n"}`, "private_key: not a PKCS#8 or PKCS#1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseServiceAccount(c.json)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
			if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "c2VjcmV0") {
				t.Errorf("error shows the key: %v", err)
			}
		})
	}
	s := testAccount(t)
	if strings.Contains(s.String(), key[40:80]) {
		t.Error("String shows the key")
	}
}

func TestReadTokenResponse(t *testing.T) {
	tok, exp, err := ReadTokenResponse(200, []byte(`{"access_token":"ya29.abc","expires_in":3599,"token_type":"Bearer"}`))
	if err != nil || tok != "ya29.abc" || exp != 3599 {
		t.Fatalf("got %q %d %v", tok, exp, err)
	}
	_, _, err = ReadTokenResponse(400, []byte(`{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`))
	if err == nil || err.Error() != "token endpoint answered status 400: invalid_grant (Invalid JWT Signature.)" {
		t.Fatalf("err %v", err)
	}
	if _, _, err = ReadTokenResponse(200, []byte(`{}`)); err == nil {
		t.Fatal("no access_token accepted")
	}
	if _, _, err = ReadTokenResponse(503, []byte(`<html>`)); err == nil || err.Error() != "token endpoint answered status 503" {
		t.Fatalf("err %v", err)
	}
}

// FuzzReadTokenResponse: any answer is read without a panic.
func FuzzReadTokenResponse(f *testing.F) {
	f.Add(200, []byte(`{"access_token":"x","expires_in":1}`))
	f.Add(400, []byte(`{"error":{"code":1}}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) { ReadTokenResponse(status, body) })
}

// FuzzParseServiceAccount: any key file is read without a panic.
func FuzzParseServiceAccount(f *testing.F) {
	b, _ := os.ReadFile(keyFile)
	f.Add(string(b))
	f.Add(`{"client_email":"a","token_uri":"b","private_key":"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"}`)
	f.Fuzz(func(t *testing.T, s string) { ParseServiceAccount(s) })
}

// goldenSignature is the RS256 signature of the fixed JWT, recorded once: RS256 is
// deterministic, so a change here means the signed bytes changed.
const goldenSignature = "Ng1C8Jmc_kwALoRJfan4fRIwVM9lAMue0YY28WOHaeNAPJ6XuQzV-oFAaKB588i5doKRiw4p1fxG0HYicEEMVvsQa3ttaoO8fFjQHtz3c7GSLiNycjfybPTG0W7HUA_srtRqGyebmqY4AgubhEEnd0aW6DeDhHXrrETOmA0p6OTtgxcaG13bK_es0JtqYsL4JiP-BlXWiI7w_LKvGd8BBAZVYfgVZtCTs5z3MtgENS9NvKn-_mUsAhOLAT9WxWCpcKuG_1nmNO8l8u-i0WCv5VC7RyN8xejssBrWhrh_NE1cJysfSH1NgYSCnDJrY9pqLm9tNIivD52p1QulFUq6tg"
