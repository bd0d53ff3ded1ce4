package sign

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"math/big"
	"strconv"
	"time"

	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// Google's OAuth 2.0 flow for service accounts
// (https://developers.google.com/identity/protocols/oauth2/service-account#httprest):
// the account signs a JWT with its private key (RS256) and exchanges it at the key's
// token_uri for an access token.

// CloudPlatformScope is the OAuth scope of Vertex AI (and every Google Cloud API).
const CloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

// JWTBearerGrant is the grant_type of the token request.
const JWTBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// jwtLifetime is how long an assertion is valid; Google accepts at most one hour.
const jwtLifetime = 3600

// ServiceAccount is a Google service-account key, as in its JSON key file. The private
// key never leaves it: errors and String never show it.
type ServiceAccount struct {
	Email     string // client_email: the JWT's issuer
	KeyID     string // private_key_id: the JWT header's kid
	ProjectID string // project_id
	TokenURI  string // token_uri: the JWT's audience and where it is exchanged
	key       *rsa.PrivateKey
}

// String names the account, never its key.
func (s *ServiceAccount) String() string { return "service account " + s.Email }

// ParseServiceAccount reads a JSON key file. Its errors name the missing or bad field,
// never a value.
func ParseServiceAccount(keyJSON string) (*ServiceAccount, error) {
	if !gjson.Valid(keyJSON) || !gjson.Parse(keyJSON).IsObject() {
		return nil, errors.New("not a JSON object (the service account's JSON key file)")
	}
	v := gjson.Parse(keyJSON)
	s := &ServiceAccount{
		Email:     v.Get("client_email").String(),
		KeyID:     v.Get("private_key_id").String(),
		ProjectID: v.Get("project_id").String(),
		TokenURI:  v.Get("token_uri").String(),
	}
	switch {
	case s.Email == "":
		return nil, errors.New("client_email: missing from the key")
	case s.TokenURI == "":
		return nil, errors.New("token_uri: missing from the key")
	}
	block, _ := pem.Decode([]byte(v.Get("private_key").String()))
	if block == nil {
		return nil, errors.New("private_key: missing or not PEM")
	}
	k, err := parseRSAKey(block.Bytes)
	if err != nil {
		return nil, errors.New("private_key: " + err.Error())
	}
	s.key = k
	return s, nil
}

// oidRSA is the algorithm of an RSA key in PKCS#8 (rsaEncryption, RFC 8017).
var oidRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}

// parseRSAKey reads a PKCS#8 (Google's key files) or PKCS#1 RSA private key. It is
// written with encoding/asn1 rather than crypto/x509, whose certificate machinery
// would cost the plugin about 1 MB of wasm for two key formats.
func parseRSAKey(der []byte) (*rsa.PrivateKey, error) {
	var p8 struct {
		Version   int
		Algorithm struct {
			Algorithm  asn1.ObjectIdentifier
			Parameters asn1.RawValue `asn1:"optional"`
		}
		PrivateKey []byte
	}
	if rest, err := asn1.Unmarshal(der, &p8); err == nil && len(rest) == 0 {
		if !p8.Algorithm.Algorithm.Equal(oidRSA) {
			return nil, errors.New("not an RSA key")
		}
		der = p8.PrivateKey
	}
	var p1 struct {
		Version               int
		N                     *big.Int
		E                     int
		D, P, Q, Dp, Dq, Qinv *big.Int
		Additional            asn1.RawValue `asn1:"optional"`
	}
	if rest, err := asn1.Unmarshal(der, &p1); err != nil || len(rest) != 0 || p1.N == nil || p1.D == nil || p1.P == nil || p1.Q == nil {
		return nil, errors.New("not a PKCS#8 or PKCS#1 RSA private key")
	}
	if p1.Version != 0 || p1.N.Sign() <= 0 || p1.D.Sign() <= 0 || p1.P.Sign() <= 0 || p1.Q.Sign() <= 0 || p1.E < 3 {
		return nil, errors.New("not a two-prime RSA private key")
	}
	k := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: p1.N, E: p1.E}, D: p1.D, Primes: []*big.Int{p1.P, p1.Q}}
	if err := k.Validate(); err != nil {
		return nil, errors.New("invalid RSA key")
	}
	k.Precompute()
	return k, nil
}

// JWT is the signed assertion for scope at time now: header {alg RS256, typ JWT, kid},
// claims iss, scope, aud (the token URI), iat, exp (iat + 1 hour).
func (s *ServiceAccount) JWT(scope string, now time.Time) (string, error) {
	b := make([]byte, 0, 1024)
	b = append(b, `{"alg":"RS256","typ":"JWT"`...)
	if s.KeyID != "" {
		b = append(b, `,"kid":`...)
		b = translator.AppendString(b, s.KeyID)
	}
	b = append(b, '}')
	header := len(b)
	iat := now.Unix()
	b = append(b, `{"iss":`...)
	b = translator.AppendString(b, s.Email)
	b = append(b, `,"scope":`...)
	b = translator.AppendString(b, scope)
	b = append(b, `,"aud":`...)
	b = translator.AppendString(b, s.TokenURI)
	b = append(b, `,"iat":`...)
	b = strconv.AppendInt(b, iat, 10)
	b = append(b, `,"exp":`...)
	b = strconv.AppendInt(b, iat+jwtLifetime, 10)
	b = append(b, '}')

	enc := base64.RawURLEncoding
	out := make([]byte, 0, enc.EncodedLen(len(b))+2+enc.EncodedLen(s.key.Size()))
	out = enc.AppendEncode(out, b[:header])
	out = append(out, '.')
	out = enc.AppendEncode(out, b[header:])
	digest := sha256.Sum256(out)
	sig, err := rsa.SignPKCS1v15(nil, s.key, crypto.SHA256, digest[:])
	if err != nil {
		return "", errors.New("cannot sign the JWT: " + err.Error())
	}
	out = append(out, '.')
	return string(enc.AppendEncode(out, sig)), nil
}

// TokenRequest is the form body that exchanges a fresh JWT (scope, time now) for an
// access token at TokenURI (POST, application/x-www-form-urlencoded).
func (s *ServiceAccount) TokenRequest(scope string, now time.Time) ([]byte, error) {
	jwt, err := s.JWT(scope, now)
	if err != nil {
		return nil, err
	}
	// The grant type's ':' are escaped; a JWT is base64url and dots: nothing to escape.
	return []byte("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" + jwt), nil
}

// ReadTokenResponse reads the token endpoint's answer: the access token and its
// lifetime in seconds (Google sends expires_in, usually 3599). err describes a refusal
// with Google's error and error_description, which never hold the key.
func ReadTokenResponse(status int, body []byte) (token string, expiresIn int64, err error) {
	v := gjson.ParseBytes(body)
	if status != 200 {
		msg := "token endpoint answered status " + strconv.Itoa(status)
		if e := v.Get("error"); e.Type == gjson.String {
			msg += ": " + e.Str
			if d := v.Get("error_description").String(); d != "" {
				msg += " (" + d + ")"
			}
		}
		return "", 0, errors.New(msg)
	}
	token = v.Get("access_token").String()
	if token == "" {
		return "", 0, errors.New("token endpoint answered without an access_token")
	}
	expiresIn = v.Get("expires_in").Int()
	if expiresIn <= 0 {
		expiresIn = 3600
	}
	return token, expiresIn, nil
}
