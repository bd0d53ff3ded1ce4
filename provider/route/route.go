// Package route chooses, per request, which provider (and optionally which model) serves
// it: the "model services" layer above providers. A route's optional `routing` config
// section selects one of five modes — single, model (wildcard rules over the request's
// model), weight (weighted random, optionally sticky by header), metrics (live latency and
// success, shared across VMs through a Store) and intent (a built-in classifier, an LLM
// classifier answer, or a forcing header).
//
// The package is pure Go: it never calls the host. State that spans requests goes
// through Store, which the plugin backs with proxy-wasm shared data and tests back with
// MapStore. A Service is immutable after Parse and safe for concurrent use.
package route

import (
	"math/rand/v2"
	"time"
)

// Modes, the values of `routing.mode`.
const (
	ModeSingle  = "single"
	ModeModel   = "model"
	ModeWeight  = "weight"
	ModeMetrics = "metrics"
	ModeIntent  = "intent"
)

// Response header names the plugin adds when `servedByHeader` is true (the default):
// the id of the provider and the model that served the request.
const (
	ServedByProviderHeader = "x-ai-served-provider"
	ServedByModelHeader    = "x-ai-served-model"
)

// ProviderHeader is the request header the plugin sets to the chosen provider's id: the
// gateway's routes match it to send the request to that provider's upstream cluster
// (Envoy re-matches the route after a wasm filter changes request headers).
const ProviderHeader = "x-ai-proxy-provider"

// DefaultIntentHeader is the request header that forces the intent in intent mode unless
// `intentHeader` names another.
const DefaultIntentHeader = "x-ai-intent"

// DefaultClassifierTimeout is the LLM classifier callout timeout when
// `classifier.timeout` is absent.
const DefaultClassifierTimeout = 500 * time.Millisecond

// Target is where a request goes: a provider id from the route's `providers`, and the
// model to ask it for. Model "" passes the client's model through (the provider's own
// modelMapping still applies).
type Target struct {
	Provider string
	Model    string
}

// Input is what Choose looks at for one request. Only Model is needed by every mode; the
// rest is read where a mode needs it.
type Input struct {
	// Model is the request body's `model`.
	Model string
	// Header looks up a request header by lower-case name ("" when absent). May be nil.
	Header func(name string) string
	// Body is the request body (JSON); read in intent mode only, to classify the last
	// user message.
	Body []byte
	// Anthropic says Body is an Anthropic `/v1/messages` body (system prompt top-level)
	// rather than an OpenAI chat body. Both carry messages[].content as a string or an
	// array of parts with type "text".
	Anthropic bool
	// Intent is the LLM classifier's answer when the plugin ran the callout
	// (ParseClassifierAnswer); "" lets the built-in classifier decide. The forcing
	// header still wins over it.
	Intent Intent
	// Exclude lists provider ids not to choose, e.g. the ones that already failed this
	// request: Choose with the failed provider appended picks the next target.
	Exclude []string
	// Now is the time of the request, for metrics decay; zero means time.Now().
	Now time.Time
	// Rand is the random source for weight and metrics modes; nil uses math/rand/v2's
	// global source. Tests pass a seeded one.
	Rand *rand.Rand
}

// Decision is the result of Choose.
type Decision struct {
	// Target is the chosen provider and model; meaningful only when OK.
	Target Target
	// Mode is the Service's mode.
	Mode string
	// Intent is the intent acted on, in intent mode.
	Intent Intent
	// Reason says briefly why, for the AI log: "single", "rule qwen-*", "default",
	// "weight", "sticky", "metrics", "intent code (header)", "intent code (llm)",
	// "intent code (builtin)", "no match", "all excluded".
	Reason string
	// OK is false when no target serves the request (no rule matched and there is no
	// default, or every candidate is excluded): the plugin answers 404
	// "no model service for model X".
	OK bool
}

// Service is one parsed `routing` section. Create it with Parse.
type Service struct {
	mode   string
	field  string
	single Target
	rules  []rule
	def    *Target

	targets  []weighted // weight and metrics modes
	total    int        // sum of weights (weight mode)
	sticky   string     // sticky header name (weight mode), lower-case
	statKeys map[string]string

	intents      [NumIntents]*Target
	intentHeader string
	classifier   *Classifier

	servedBy bool
	res      *Resilience // fallback, first-packet timeout, circuit breaker; nil without
}

type rule struct {
	pattern string
	m       matcher
	target  Target
	reason  string // "rule " + pattern, built once
}

type weighted struct {
	Target
	weight int
	key    string // Store key of the provider's stats (metrics mode)
}

// Classifier is the optional LLM classifier of intent mode: the plugin sends
// ClassifierRequest(Model, text) to Provider and waits at most Timeout; on timeout or
// error the built-in classifier decides.
type Classifier struct {
	Provider string
	Model    string
	Cluster  string // the gateway cluster that reaches Provider
	Timeout  time.Duration
}

// Mode returns the routing mode (one of the Mode constants).
func (s *Service) Mode() string { return s.mode }

// ServedByHeader reports whether the plugin should add ServedByProviderHeader and
// ServedByModelHeader to the response.
func (s *Service) ServedByHeader() bool { return s.servedBy }

// Classifier returns the LLM classifier config of intent mode, if any.
func (s *Service) Classifier() (Classifier, bool) {
	if s.classifier == nil {
		return Classifier{}, false
	}
	return *s.classifier, true
}

// NeedsClassifier reports whether the plugin should run the LLM classifier callout for
// this request before Choose: intent mode with a classifier configured, and no valid
// forcing header.
func (s *Service) NeedsClassifier(in *Input) bool {
	if s.mode != ModeIntent || s.classifier == nil {
		return false
	}
	_, forced := s.headerIntent(in)
	return !forced
}

// Targets returns every target the Service can choose, in config order (rules, then
// intents in the order code, math, translation, fast, complex, then the default), for
// fallback chains and diagnostics. The slice is new; targets may repeat.
func (s *Service) Targets() []Target {
	var out []Target
	switch s.mode {
	case ModeSingle:
		out = append(out, s.single)
	case ModeModel:
		for _, r := range s.rules {
			out = append(out, r.target)
		}
	case ModeWeight, ModeMetrics:
		for _, t := range s.targets {
			out = append(out, t.Target)
		}
	case ModeIntent:
		for _, t := range s.intents {
			if t != nil {
				out = append(out, *t)
			}
		}
	}
	if s.def != nil {
		out = append(out, *s.def)
	}
	return out
}

// Choose picks the target for one request. st is read in metrics mode only (it may be
// nil otherwise; a nil Store in metrics mode treats every provider as unmeasured).
// Providers in in.Exclude are never chosen: in model mode the next matching rule (then
// the default) is taken, in weight and metrics modes the remaining targets share the
// traffic, in intent mode the default is taken.
func (s *Service) Choose(in *Input, st Store) Decision {
	d := Decision{Mode: s.mode}
	switch s.mode {
	case ModeSingle:
		if excluded(in.Exclude, s.single.Provider) {
			d.Reason = "all excluded"
			return d
		}
		d.Target, d.Reason, d.OK = s.single, "single", true
		return d
	case ModeModel:
		for i := range s.rules {
			r := &s.rules[i]
			if r.m.match(in.Model) && !excluded(in.Exclude, r.target.Provider) {
				d.Target, d.Reason, d.OK = r.target, r.reason, true
				return d
			}
		}
	case ModeWeight:
		if i, reason := s.chooseWeight(in); i >= 0 {
			d.Target, d.Reason, d.OK = s.targets[i].Target, reason, true
			return d
		}
		d.Reason = "all excluded"
		return d
	case ModeMetrics:
		if i := s.chooseMetrics(in, st); i >= 0 {
			d.Target, d.Reason, d.OK = s.targets[i].Target, "metrics", true
			return d
		}
		d.Reason = "all excluded"
		return d
	case ModeIntent:
		intent, src := s.intentOf(in)
		d.Intent = intent
		if t := s.intents[intent]; t != nil && !excluded(in.Exclude, t.Provider) {
			d.Target, d.OK = *t, true
			d.Reason = intentReasons[intent][src]
			return d
		}
	}
	if s.def != nil && !excluded(in.Exclude, s.def.Provider) {
		d.Target, d.Reason, d.OK = *s.def, "default", true
		return d
	}
	d.Reason = "no match"
	return d
}

// intent sources, for the Reason
const (
	srcBuiltin = iota
	srcHeader
	srcLLM
)

var intentReasons = func() (r [NumIntents][3]string) {
	for i := Intent(0); i < NumIntents; i++ {
		r[i][srcBuiltin] = "intent " + i.String() + " (builtin)"
		r[i][srcHeader] = "intent " + i.String() + " (header)"
		r[i][srcLLM] = "intent " + i.String() + " (llm)"
	}
	return
}()

func (s *Service) headerIntent(in *Input) (Intent, bool) {
	if in.Header == nil {
		return 0, false
	}
	return ParseIntent(in.Header(s.intentHeader))
}

func (s *Service) intentOf(in *Input) (Intent, int) {
	if i, ok := s.headerIntent(in); ok {
		return i, srcHeader
	}
	if in.Intent.valid() {
		return in.Intent, srcLLM
	}
	return Classify(ExtractText(in.Body, in.Anthropic)), srcBuiltin
}

func excluded(list []string, provider string) bool {
	for _, p := range list {
		if p == provider {
			return true
		}
	}
	return false
}

func (in *Input) float64() float64 {
	if in.Rand != nil {
		return in.Rand.Float64()
	}
	return rand.Float64()
}

func (in *Input) now() time.Time {
	if in.Now.IsZero() {
		return time.Now()
	}
	return in.Now
}
