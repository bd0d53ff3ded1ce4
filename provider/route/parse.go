package route

import (
	"fmt"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

var modes = []string{ModeSingle, ModeModel, ModeWeight, ModeMetrics, ModeIntent}

// fields of `routing`, and the modes each is used in (nil: every mode)
var routingFields = map[string][]string{
	"mode":           nil,
	"servedByHeader": nil,
	"target":         {ModeSingle},
	"rules":          {ModeModel},
	"default":        {ModeModel, ModeIntent},
	"targets":        {ModeWeight, ModeMetrics},
	"stickyHeader":   {ModeWeight},
	"intents":        {ModeIntent},
	"intentHeader":   {ModeIntent},
	"classifier":     {ModeIntent},
	// resilience (fallback.go)
	"fallback":           nil,
	"fallbackOnStatus":   nil,
	"firstPacketTimeout": nil,
	"circuitBreaker":     nil,
}

const maxWeight = 1_000_000

// Parse reads and validates the `routing` object of a route. field is its path in the
// plugin config ("routing", "_rules_[1].routing") and prefixes every error message, which
// names the bad field and value. providers are the ids of the route's providers; every
// provider a target names must be one of them. Unknown keys, keys of another mode, wrong
// types, unknown provider ids and intents, non-positive or fractional weights and empty or
// regex-looking patterns are errors. Parse runs once, at plugin start.
func Parse(v gjson.Result, field string, providers []string) (*Service, error) {
	if !v.IsObject() {
		return nil, fmt.Errorf("%s: must be an object", field)
	}
	p := parser{providers: providers}
	mode := v.Get("mode")
	if !mode.Exists() {
		return nil, fmt.Errorf("%s.mode: required (one of %s)", field, strings.Join(modes, ", "))
	}
	if mode.Type != gjson.String {
		return nil, fmt.Errorf("%s.mode: must be a string (one of %s), got %s", field, strings.Join(modes, ", "), mode.Raw)
	}
	s := &Service{mode: mode.String(), field: field, servedBy: true, intentHeader: DefaultIntentHeader}
	if !contains(modes, s.mode) {
		return nil, fmt.Errorf("%s.mode: unknown mode %q (one of %s)", field, s.mode, strings.Join(modes, ", "))
	}
	var err error
	v.ForEach(func(k, _ gjson.Result) bool {
		name := k.String()
		ms, known := routingFields[name]
		switch {
		case !known:
			err = fmt.Errorf("%s.%s: unknown field", field, name)
		case ms != nil && !contains(ms, s.mode):
			err = fmt.Errorf("%s.%s: not used in mode %q (used in %s)", field, name, s.mode, strings.Join(ms, ", "))
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	if b := v.Get("servedByHeader"); b.Exists() {
		if !b.IsBool() {
			return nil, fmt.Errorf("%s.servedByHeader: must be true or false, got %s", field, b.Raw)
		}
		s.servedBy = b.Bool()
	}
	if v.Get("fallback").Exists() || v.Get("fallbackOnStatus").Exists() || v.Get("firstPacketTimeout").Exists() || v.Get("circuitBreaker").Exists() {
		if s.res, err = p.resilience(v, field); err != nil {
			return nil, err
		}
	}
	if d := v.Get("default"); d.Exists() {
		t, err := p.target(d, field+".default")
		if err != nil {
			return nil, err
		}
		s.def = &t
	}
	switch s.mode {
	case ModeSingle:
		t := v.Get("target")
		if !t.Exists() {
			return nil, fmt.Errorf("%s.target: required in mode %q", field, s.mode)
		}
		if s.single, err = p.target(t, field+".target"); err != nil {
			return nil, err
		}
	case ModeModel:
		if err := s.parseRules(&p, v.Get("rules"), field+".rules"); err != nil {
			return nil, err
		}
		if len(s.rules) == 0 && s.def == nil {
			return nil, fmt.Errorf("%s.rules: required in mode %q (or a default)", field, s.mode)
		}
	case ModeWeight, ModeMetrics:
		if err := s.parseTargets(&p, v.Get("targets"), field+".targets"); err != nil {
			return nil, err
		}
		if h := v.Get("stickyHeader"); h.Exists() {
			if s.sticky, err = headerName(h, field+".stickyHeader"); err != nil {
				return nil, err
			}
		}
	case ModeIntent:
		if err := s.parseIntents(&p, v.Get("intents"), field+".intents"); err != nil {
			return nil, err
		}
		if h := v.Get("intentHeader"); h.Exists() {
			if s.intentHeader, err = headerName(h, field+".intentHeader"); err != nil {
				return nil, err
			}
		}
		if c := v.Get("classifier"); c.Exists() {
			if s.classifier, err = p.classifier(c, field+".classifier"); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

type parser struct{ providers []string }

// object checks that v is an object whose keys are all in allowed.
func object(v gjson.Result, field string, allowed ...string) error {
	if !v.IsObject() {
		return fmt.Errorf("%s: must be an object, got %s", field, v.Raw)
	}
	var err error
	v.ForEach(func(k, _ gjson.Result) bool {
		if !contains(allowed, k.String()) {
			err = fmt.Errorf("%s.%s: unknown field (known: %s)", field, k.String(), strings.Join(allowed, ", "))
		}
		return err == nil
	})
	return err
}

func str(v gjson.Result, field string) (string, error) {
	if v.Type != gjson.String {
		return "", fmt.Errorf("%s: must be a string, got %s", field, v.Raw)
	}
	return v.String(), nil
}

func (p *parser) provider(v gjson.Result, field string) (string, error) {
	if !v.Exists() {
		return "", fmt.Errorf("%s: required", field)
	}
	id, err := str(v, field)
	if err != nil {
		return "", err
	}
	if !contains(p.providers, id) {
		return "", fmt.Errorf("%s: no provider with id %q in providers", field, id)
	}
	return id, nil
}

func (p *parser) targetFields(v gjson.Result, field string) (Target, error) {
	var t Target
	var err error
	if t.Provider, err = p.provider(v.Get("provider"), field+".provider"); err != nil {
		return t, err
	}
	if m := v.Get("model"); m.Exists() {
		if t.Model, err = str(m, field+".model"); err != nil {
			return t, err
		}
	}
	return t, nil
}

func (p *parser) target(v gjson.Result, field string) (Target, error) {
	if err := object(v, field, "provider", "model"); err != nil {
		return Target{}, err
	}
	return p.targetFields(v, field)
}

func (s *Service) parseRules(p *parser, v gjson.Result, field string) error {
	if !v.Exists() {
		return nil
	}
	if !v.IsArray() {
		return fmt.Errorf("%s: must be a list, got %s", field, v.Raw)
	}
	var err error
	i := 0
	v.ForEach(func(_, r gjson.Result) bool {
		f := fmt.Sprintf("%s[%d]", field, i)
		i++
		if err = object(r, f, "match", "provider", "model"); err != nil {
			return false
		}
		mv := r.Get("match")
		if !mv.Exists() {
			err = fmt.Errorf("%s.match: required", f)
			return false
		}
		var pat string
		if pat, err = str(mv, f+".match"); err != nil {
			return false
		}
		var m matcher
		if m, err = compilePattern(pat); err != nil {
			err = fmt.Errorf("%s.match: %q %v", f, pat, err)
			return false
		}
		var t Target
		if t, err = p.targetFields(r, f); err != nil {
			return false
		}
		s.rules = append(s.rules, rule{pattern: pat, m: m, target: t, reason: "rule " + pat})
		return true
	})
	return err
}

func (s *Service) parseTargets(p *parser, v gjson.Result, field string) error {
	if !v.Exists() {
		return fmt.Errorf("%s: required in mode %q", field, s.mode)
	}
	if !v.IsArray() {
		return fmt.Errorf("%s: must be a list, got %s", field, v.Raw)
	}
	s.statKeys = map[string]string{}
	var err error
	i := 0
	v.ForEach(func(_, r gjson.Result) bool {
		f := fmt.Sprintf("%s[%d]", field, i)
		i++
		allowed := []string{"provider", "model", "weight"}
		if s.mode == ModeMetrics {
			allowed = allowed[:2] // traffic follows live metrics: a weight would be misleading
		}
		if err = object(r, f, allowed...); err != nil {
			if s.mode == ModeMetrics && r.Get("weight").Exists() {
				err = fmt.Errorf("%s.weight: not used in mode %q (traffic follows measured latency and success)", f, s.mode)
			}
			return false
		}
		w := weighted{weight: 1}
		if w.Target, err = p.targetFields(r, f); err != nil {
			return false
		}
		if s.mode == ModeWeight {
			wv := r.Get("weight")
			if !wv.Exists() {
				err = fmt.Errorf("%s.weight: required in mode %q", f, s.mode)
				return false
			}
			if wv.Type != gjson.Number || strings.ContainsAny(wv.Raw, ".eE") || wv.Int() <= 0 || wv.Int() > maxWeight {
				err = fmt.Errorf("%s.weight: %s is not a whole number from 1 to %d", f, wv.Raw, maxWeight)
				return false
			}
			w.weight = int(wv.Int())
			s.total += w.weight
		}
		w.key = s.statKey(w.Provider)
		s.statKeys[w.Provider] = w.key
		s.targets = append(s.targets, w)
		return true
	})
	if err == nil && len(s.targets) == 0 {
		err = fmt.Errorf("%s: at least one target required in mode %q", field, s.mode)
	}
	return err
}

func (s *Service) parseIntents(p *parser, v gjson.Result, field string) error {
	if !v.Exists() {
		if s.def == nil {
			return fmt.Errorf("%s: required in mode %q (or a default)", field, s.mode)
		}
		return nil
	}
	if !v.IsObject() {
		return fmt.Errorf("%s: must be an object, got %s", field, v.Raw)
	}
	var err error
	v.ForEach(func(k, t gjson.Result) bool {
		name := k.String()
		i, ok := ParseIntent(name)
		if !ok || name != i.String() {
			err = fmt.Errorf("%s.%s: unknown intent %q (one of %s)", field, name, name, intentList)
			return false
		}
		var tt Target
		if tt, err = p.target(t, field+"."+name); err != nil {
			return false
		}
		s.intents[i] = &tt
		return true
	})
	return err
}

func (p *parser) classifier(v gjson.Result, field string) (*Classifier, error) {
	if err := object(v, field, "provider", "model", "timeout", "cluster"); err != nil {
		return nil, err
	}
	t, err := p.targetFields(v, field)
	if err != nil {
		return nil, err
	}
	if t.Model == "" {
		return nil, fmt.Errorf("%s.model: required (the model that classifies)", field)
	}
	cl := v.Get("cluster")
	if cl.Type != gjson.String || cl.Str == "" {
		return nil, fmt.Errorf("%s.cluster: required: the gateway cluster that reaches provider %q (the classifier is asked by callout)", field, t.Provider)
	}
	c := &Classifier{Provider: t.Provider, Model: t.Model, Cluster: cl.Str, Timeout: DefaultClassifierTimeout}
	if tv := v.Get("timeout"); tv.Exists() {
		if tv.Type != gjson.Number || strings.ContainsAny(tv.Raw, ".eE") || tv.Int() <= 0 || tv.Int() > 60000 {
			return nil, fmt.Errorf("%s.timeout: %s is not a whole number of milliseconds from 1 to 60000", field, tv.Raw)
		}
		c.Timeout = time.Duration(tv.Int()) * time.Millisecond
	}
	return c, nil
}

func headerName(v gjson.Result, field string) (string, error) {
	h, err := str(v, field)
	if err != nil {
		return "", err
	}
	if h == "" || strings.ContainsAny(h, " \t\r\n:") {
		return "", fmt.Errorf("%s: %q is not a header name", field, h)
	}
	return strings.ToLower(h), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
