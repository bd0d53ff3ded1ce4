package provider

// Coze: type "coze", the Coze (扣子) OpenAPI at api.coze.cn with the personal access
// token as bearer. As in Higress, Coze is served with `protocol: original` only: Coze
// has no OpenAI-compatible API, so clients speak Coze's own (POST /v3/chat and its
// retrieve and message list, /v1/workflow/run and stream_run, /v1/workflows/chat,
// /v1/conversation/..., /v1/files/upload, ...), and those paths pass with the token in
// place of the client's credentials, bodies and answers (JSON or SSE) untouched. With
// the OpenAI protocol every API is answered 404, naming the provider type.
func init() {
	register("coze", &Spec{
		Host:           "api.coze.cn",
		NativePrefixes: []string{"/v1/", "/v3/"},
	})
}
