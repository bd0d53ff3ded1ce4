package translator

import "strconv"

// StatusError is what ResponseBody returns when the upstream's answer is an error the
// HTTP status does not tell: DeepL's, iFLYTEK Spark's and MiniMax's APIs answer some
// errors with 200 and a code in the body, and DeepL's 456 (quota) is no status clients
// know. Body is the error already in the client's protocol and Status the HTTP status to
// answer with instead of the upstream's.
type StatusError struct {
	Status int
	Body   []byte
}

func (e *StatusError) Error() string {
	return "upstream error answered with HTTP " + strconv.Itoa(e.Status)
}
