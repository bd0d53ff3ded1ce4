package provider

import (
	"github.com/ai-proxy/ai-proxy/provider/spark"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// Spark: iFLYTEK Spark's HTTP API, type "spark" (package spark). The token is
// `APIKey:APISecret` and goes in `Authorization: Bearer APIKey:APISecret`; models are
// lite, generalv3, pro-128k, generalv3.5, max-32k, 4.0Ultra (general is lite).
func init() {
	register("spark", &Spec{
		Host:     "spark-api-open.xf-yun.com",
		Paths:    map[API]string{APIChatCompletion: "/v1/chat/completions"},
		Settings: "spark",
		Translate: func(c *Config, r *Request) translator.Translator {
			if r.API == APIChatCompletion {
				return spark.NewChat()
			}
			return nil
		},
	})
}
