package translator

// StatusError is what ResponseBody returns for an upstream answer that is an error its
// HTTP status does not tell: Tencent Cloud, iFLYTEK Spark and MiniMax answer errors with
// 200 and a code in the body, and DeepL's 456 (quota) is a status clients do not know.
// The plugin answers the client with Status and an error in the client's own protocol
// carrying Message, Type (OpenAI `type`; "" for the status's usual one) and Code, instead
// of the 502 any other ResponseBody error gets.
type StatusError struct {
	Status  int
	Message string
	Type    string
	Code    string
}

func (e *StatusError) Error() string { return e.Message }

// OpenAI renders the error as an OpenAI error body.
func (e *StatusError) OpenAI() []byte {
	typ := e.Type
	if typ == "" {
		typ = ErrorType(e.Status)
	}
	return AppendOpenAIError(nil, e.Message, typ, e.Code)
}
