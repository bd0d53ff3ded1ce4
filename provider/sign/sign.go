// Package sign holds request signing for providers that authenticate by signature
// instead of a bearer token: Tencent Cloud API 3.0 (TC3-HMAC-SHA256) and AWS Signature
// Version 4 (Bedrock), and the RS256 JWT of Google service accounts (Vertex AI).
//
// Everything here is a pure function of its inputs (keys, the request's parts, a
// timestamp the caller reads), checked against the vendors' published worked examples,
// and uses only the standard library's crypto (crypto/hmac, crypto/sha256; crypto/rsa
// with encoding/asn1 for the JWT: about 0.6 MB of wasm, where crypto/x509 would add
// another 1.2 MB).
package sign
