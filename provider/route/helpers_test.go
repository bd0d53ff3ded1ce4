package route

import (
	"encoding/json"

	"github.com/tidwall/gjson"
)

func jsonValid(b []byte) bool { return json.Valid(b) }

func getJSON(b []byte, path string) string { return gjson.GetBytes(b, path).String() }

func gjsonParse(s string) gjson.Result { return gjson.Parse(s) }
