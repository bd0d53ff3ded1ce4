package translator

// Chain returns a Translator that runs two conversions in a row: outer faces the
// client, inner the upstream, and inner's client side speaks outer's upstream protocol.
// E.g. an Anthropic client of a provider with a native protocol: outer converts
// Anthropic↔OpenAI, inner OpenAI↔native. Requests go through outer then inner, answers
// through inner then outer. The upstream status reaches both; UpstreamEditor is inner's.
// Usage is inner's when it counted any, else outer's.
func Chain(outer, inner Translator) Translator {
	return &chain{outer: outer, inner: inner}
}

type chain struct {
	outer, inner Translator
	mid          []byte // inner's stream output, reused between pieces
}

func (c *chain) RequestBody(body []byte) ([]byte, error) {
	b, err := c.outer.RequestBody(body)
	if err != nil {
		return nil, err
	}
	return c.inner.RequestBody(b)
}

func (c *chain) ResponseBody(status int, body []byte) ([]byte, error) {
	b, err := c.inner.ResponseBody(status, body)
	if err != nil { // a StatusError is rendered in the client's protocol by the request

		return nil, err
	}
	return c.outer.ResponseBody(status, b)
}

func (c *chain) ResponseStream(dst, chunk []byte, end bool) ([]byte, error) {
	var err error
	c.mid, err = c.inner.ResponseStream(c.mid[:0], chunk, end)
	if err != nil {
		return dst, err
	}
	return c.outer.ResponseStream(dst, c.mid, end)
}

func (c *chain) Usage() Usage {
	if u := c.inner.Usage(); u != (Usage{}) {
		return u
	}
	return c.outer.Usage()
}

// SetUpstreamStatus implements StreamStatus for both halves.
func (c *chain) SetUpstreamStatus(status int, contentType string) {
	if s, ok := c.inner.(StreamStatus); ok {
		s.SetUpstreamStatus(status, contentType)
		// inner turns the answer into outer's upstream protocol: an SSE stream when
		// it streams, whatever the upstream's own content type was.
		contentType = "text/event-stream"
	}
	if s, ok := c.outer.(StreamStatus); ok {
		s.SetUpstreamStatus(status, contentType)
	}
}

// EditUpstream implements UpstreamEditor through inner, which knows the upstream.
func (c *chain) EditUpstream(path string, setHeader func(name, value string)) string {
	if e, ok := c.inner.(UpstreamEditor); ok {
		return e.EditUpstream(path, setHeader)
	}
	return path
}
