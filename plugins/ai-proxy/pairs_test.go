package main

import (
	"encoding/binary"
	"reflect"
	"testing"
)

// serializePairs writes a header map the way the proxy-wasm ABI (and Envoy) does.
func serializePairs(hs [][2]string) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(hs)))
	for _, kv := range hs {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(kv[0])))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(kv[1])))
	}
	for _, kv := range hs {
		b = append(append(append(append(b, kv[0]...), 0), kv[1]...), 0)
	}
	return b
}

func TestParsePairs(t *testing.T) {
	hs := [][2]string{{":path", "/v1/chat/completions"}, {"authorization", "Bearer k"}, {"x-empty", ""}, {"", "v"}}
	b := serializePairs(hs)
	if got := parsePairs(b); !reflect.DeepEqual(got, hs) {
		t.Fatalf("parsePairs = %q, want %q", got, hs)
	}
	if got := parsePairs(serializePairs(nil)); len(got) != 0 {
		t.Fatalf("empty map: got %q", got)
	}
	// Every truncation and a count larger than the data are rejected, never a panic.
	for n := 0; n < len(b); n++ {
		if got := parsePairs(b[:n]); got != nil {
			t.Fatalf("truncated to %d bytes: got %q, want nil", n, got)
		}
	}
	bad := append([]byte(nil), b...)
	binary.LittleEndian.PutUint32(bad[4:], 1<<31)
	if got := parsePairs(bad); got != nil {
		t.Fatalf("huge name length: got %q, want nil", got)
	}
}
