package translator

// StatusError is what ResponseBody returns for an upstream answer that is an error
// although its HTTP status is a success (Tencent Cloud API 3.0 answers every error
// with 200 and Response.Error in the body): the plugin answers the client with Status
// and an error in the client's protocol carrying Message and Code, instead of the 502
// any other ResponseBody error gets.
type StatusError struct {
	Status  int
	Message string
	Code    string // the upstream's error code, for OpenAI `code`
}

func (e *StatusError) Error() string { return e.Message }
