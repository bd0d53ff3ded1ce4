package mock

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
)

// A minimal RFC 6455 WebSocket, enough for the mock's ComfyUI /ws and for tests that
// talk to it: the handshake, and unfragmented frames up to 64 KiB.

// WSAccept is the Sec-WebSocket-Accept value for a Sec-WebSocket-Key.
func WSAccept(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// WebSocket opcodes.
const (
	WSText   = 0x1
	WSBinary = 0x2
	WSClose  = 0x8
)

// WriteWSFrame writes one final frame; clients mask theirs (RFC 6455 5.3).
func WriteWSFrame(w io.Writer, opcode byte, payload []byte, mask bool) error {
	if len(payload) > 0xFFFF {
		return errors.New("websocket: frame too large for the mock")
	}
	b := []byte{0x80 | opcode}
	m := byte(0)
	if mask {
		m = 0x80
	}
	if len(payload) < 126 {
		b = append(b, m|byte(len(payload)))
	} else {
		b = append(b, m|126)
		b = binary.BigEndian.AppendUint16(b, uint16(len(payload)))
	}
	p := append([]byte(nil), payload...)
	if mask {
		key := [4]byte{0x12, 0x34, 0x56, 0x78}
		b = append(b, key[:]...)
		for i := range p {
			p[i] ^= key[i%4]
		}
	}
	_, err := w.Write(append(b, p...))
	return err
}

// ReadWSFrame reads one unfragmented frame, unmasking it.
func ReadWSFrame(r *bufio.Reader) (opcode byte, payload []byte, err error) {
	var h [2]byte
	if _, err = io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := int(h[1] & 0x7F)
	switch n {
	case 126:
		var l [2]byte
		if _, err = io.ReadFull(r, l[:]); err != nil {
			return 0, nil, err
		}
		n = int(binary.BigEndian.Uint16(l[:]))
	case 127:
		return 0, nil, errors.New("websocket: frame too large for the mock")
	}
	var key [4]byte
	masked := h[1]&0x80 != 0
	if masked {
		if _, err = io.ReadFull(r, key[:]); err != nil {
			return 0, nil, err
		}
	}
	payload = make([]byte, n)
	if _, err = io.ReadFull(r, payload); err != nil {
		return 0, nil, err
	}
	if masked {
		for i := range payload {
			payload[i] ^= key[i%4]
		}
	}
	return h[0] & 0x0F, payload, nil
}

// comfyWS serves ComfyUI's /ws?clientId=: the upgrade, then, as ComfyUI does, a
// "status" message with the queue and the session id; a client's "feature_flags"
// message is answered with the server's feature flags. It ends when the client closes.
func (x *exchange) comfyWS() {
	key := x.r.Header.Get("Sec-WebSocket-Key")
	if key == "" || x.r.Header.Get("Upgrade") == "" {
		http.Error(x.w, "400: Bad Request (no WebSocket upgrade)", http.StatusBadRequest)
		return
	}
	sid := x.r.URL.Query().Get("clientId")
	if sid == "" {
		sid = x.id
	}
	conn, brw := x.acceptWS(key)
	defer conn.Close()
	WriteWSFrame(brw, WSText, mustJSON(map[string]any{"type": "status", "data": map[string]any{
		"status": map[string]any{"exec_info": map[string]any{"queue_remaining": 0}}, "sid": sid}}), false)
	brw.Flush()
	for {
		op, msg, err := ReadWSFrame(brw.Reader)
		if err != nil || op == WSClose {
			return
		}
		if op == WSText && jsonType(msg) == "feature_flags" {
			WriteWSFrame(brw, WSText, []byte(`{"type":"feature_flags","data":{"supports_preview_metadata":true,"max_upload_size":104857600}}`), false)
			brw.Flush()
		}
	}
}

// acceptWS hijacks the connection and completes the WebSocket handshake.
func (x *exchange) acceptWS(key string) (net.Conn, *bufio.ReadWriter) {
	x.fw.dead = true
	conn, brw, err := http.NewResponseController(x.fw.w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + WSAccept(key) + "\r\n\r\n")
	brw.Flush()
	return conn, brw
}
