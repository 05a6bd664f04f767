package main

import (
	"bytes"
	"encoding/json"
	"os"
	"sync"
	"syscall"
)

// obj is a JSON object that keeps its keys in the order given.
type obj []kv

type kv struct {
	k string
	v interface{}
}

// write appends o as JSON, without Go's HTML escaping of <, > and &.
func (o obj) write(b *bytes.Buffer) error {
	b.WriteByte('{')
	for i, p := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := writeValue(b, p.k); err != nil {
			return err
		}
		b.WriteByte(':')
		if err := writeValue(b, p.v); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}

func writeValue(b *bytes.Buffer, v interface{}) error {
	if o, ok := v.(obj); ok {
		return o.write(b)
	}
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1) // Encode ends with a newline
	return nil
}

var outMu sync.Mutex

// line writes one line to stdout at once (Go's os.Stdout is unbuffered:
// every line leaves the process immediately, in binary form).
func line(text string) {
	outMu.Lock()
	defer outMu.Unlock()
	os.Stdout.Write([]byte(text + "\n"))
}

func emit(o obj) {
	var b bytes.Buffer
	if err := o.write(&b); err != nil {
		line(`{"event":"encoding_error"}`)
		return
	}
	line(b.String())
}

func helloJSON(h *hello) obj {
	return obj{{"layout_version", h.layoutVersion}, {"flags", h.flags},
		{"supported_profiles", h.supported}, {"preferred_profiles", h.preferred},
		{"max_request_payload_bytes", h.maxReqPayload}, {"max_request_batch_items", h.maxReqBatch},
		{"max_response_payload_bytes", h.maxRespPayload}, {"max_response_batch_items", h.maxRespBatch},
		{"padding", h.padding}, {"auth_token", h.authToken}, {"packet_size", h.packetSize}}
}

func ackJSON(a *helloAck) obj {
	return obj{{"layout_version", a.layoutVersion}, {"flags", a.flags},
		{"server_supported_profiles", a.serverSupported}, {"intersection_profiles", a.intersection},
		{"selected_profile", a.selected},
		{"agreed_max_request_payload_bytes", a.reqPayload}, {"agreed_max_request_batch_items", a.reqBatch},
		{"agreed_max_response_payload_bytes", a.respPayload}, {"agreed_max_response_batch_items", a.respBatch},
		{"agreed_packet_size", a.packetSize}, {"padding", a.padding}, {"session_id", a.sessionID}}
}

// Close reasons (peer-cli.md) and the exit codes they lead to.
const (
	reasonClosed       = "closed"
	reasonDisconnected = "disconnected"
	reasonProtocol     = "protocol"
	reasonRejected     = "rejected"
	reasonTimeout      = "timeout"
	reasonWin32        = "win32_error"
)

const (
	exitOK           = 0
	exitBadArgs      = 2
	exitRejected     = 3
	exitDisconnected = 4
	exitProtocol     = 5
	exitTimeout      = 6
	exitWin32        = 7
	exitUnsupported  = 127
)

func exitFor(reason string) int {
	switch reason {
	case reasonClosed:
		return exitOK
	case reasonDisconnected:
		return exitDisconnected
	case reasonProtocol:
		return exitProtocol
	case reasonRejected:
		return exitRejected
	case reasonTimeout:
		return exitTimeout
	}
	return exitWin32
}

// ending says why a session ended.
type ending struct {
	reason string
	detail string
	rule   *ruleError
	code   syscall.Errno
}

// endingFor classifies an error: a rule, a disconnect, a deadline, or other.
func endingFor(err error) ending {
	switch e := err.(type) {
	case *ruleError:
		return ending{reason: reasonProtocol, detail: e.Error(), rule: e}
	case *ioError:
		if e.timeout {
			return ending{reason: reasonTimeout, detail: e.Error()}
		}
		if isDisconnect(e.code) {
			return ending{reason: reasonDisconnected, detail: e.Error(), code: e.code}
		}
		return ending{reason: reasonWin32, detail: e.Error(), code: e.code}
	}
	return ending{reason: reasonWin32, detail: err.Error()}
}

func (e ending) fields() obj {
	o := obj{{"reason", e.reason}, {"detail", e.detail}}
	if e.rule != nil {
		o = append(o, kv{"rule", e.rule.rule}, kv{"clause", e.rule.clause})
	}
	if e.code != 0 {
		o = append(o, kv{"win32_code", uint32(e.code)}, kv{"win32_name", win32Name(e.code)})
	}
	return o
}

func exitEvent(code int) {
	emit(obj{{"event", "exit"}, {"code", code}})
	os.Exit(code)
}
