package provider

import "time"

// Credential is an upstream credential the plugin fetches by callout and caches, for
// providers whose requests carry a short-lived token minted from a configured key
// (Vertex AI: a service account's OAuth access token). Setup sets Config.Credential;
// it is nil for every other provider. A request of such a provider leaves only once it
// carries the token (plugins/ai-proxy/token.go fetches, caches and refreshes it).
type Credential struct {
	// What names the credential in errors ("Vertex AI access token").
	What string
	// Cluster, Authority and Path address the token endpoint (a POST with a
	// form-encoded body).
	Cluster, Authority, Path string
	// Key is the shared-data key of the cached token: one per signing key, so every
	// provider and VM with the same key shares one token. It holds no secret.
	Key string
	// RefreshAhead is how long before its expiry a token is replaced.
	RefreshAhead time.Duration
	// Header and Prefix: the token goes upstream as Header: Prefix+token.
	Header, Prefix string
	// Request returns the token request's body at time now. Its error never holds the key.
	Request func(now time.Time) ([]byte, error)
	// Read reads the token endpoint's answer: the token and how long it is valid, or
	// why there is none (never the key, never the token).
	Read func(status int, body []byte) (token string, ttl time.Duration, err error)
}
