package kit

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"sync"
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

// out writes whole lines to stdout, one Write each, from any goroutine.
// (Go's os.Stdout is unbuffered: every line leaves the process at once,
// which Wine's fully buffered Unix pipes need.)
type out struct {
	mu sync.Mutex
	w  io.Writer
}

func (o *out) line(text string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.w.Write([]byte(text + "\n"))
}

func (o *out) emit(e obj) {
	var b bytes.Buffer
	if err := e.write(&b); err != nil {
		o.line(`{"event":"encoding_error"}`)
		return
	}
	o.line(b.String())
}

func helloJSON(h *Hello) obj {
	return obj{{"layout_version", h.LayoutVersion}, {"flags", h.Flags},
		{"supported_profiles", h.SupportedProfiles}, {"preferred_profiles", h.PreferredProfiles},
		{"max_request_payload_bytes", h.MaxRequestPayloadBytes}, {"max_request_batch_items", h.MaxRequestBatchItems},
		{"max_response_payload_bytes", h.MaxResponsePayloadBytes}, {"max_response_batch_items", h.MaxResponseBatchItems},
		{"padding", h.Padding}, {"auth_token", h.AuthToken}, {"packet_size", h.PacketSize}}
}

func ackJSON(a *Ack) obj {
	return obj{{"layout_version", a.LayoutVersion}, {"flags", a.Flags},
		{"server_supported_profiles", a.ServerSupportedProfiles}, {"intersection_profiles", a.IntersectionProfiles},
		{"selected_profile", a.SelectedProfile},
		{"agreed_max_request_payload_bytes", a.AgreedMaxRequestPayloadBytes},
		{"agreed_max_request_batch_items", a.AgreedMaxRequestBatchItems},
		{"agreed_max_response_payload_bytes", a.AgreedMaxResponsePayloadBytes},
		{"agreed_max_response_batch_items", a.AgreedMaxResponseBatchItems},
		{"agreed_packet_size", a.AgreedPacketSize}, {"padding", a.Padding}, {"session_id", a.SessionID}}
}

// Exit codes (docs/peer-cli.md).
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

func exitFor(r Reason) int {
	switch r {
	case Closed:
		return exitOK
	case Disconnected:
		return exitDisconnected
	case Protocol:
		return exitProtocol
	case Rejected:
		return exitRejected
	case Timeout:
		return exitTimeout
	}
	return exitWin32
}

// fields are a Failure's keys in a close event (or an accept failure).
func (f *Failure) fields() obj {
	o := obj{{"reason", string(f.Reason)}, {"detail", f.Detail}}
	if f.Rule != "" {
		o = append(o, kv{"rule", f.Rule})
		if f.Clause != "" {
			o = append(o, kv{"clause", f.Clause})
		}
	}
	if f.Status != "" {
		o = append(o, kv{"status", f.Status})
	}
	if f.Win32Code != 0 {
		name := f.Win32Name
		if name == "" {
			name = "WIN32_" + strconv.FormatUint(uint64(f.Win32Code), 10)
		}
		o = append(o, kv{"win32_code", f.Win32Code}, kv{"win32_name", name})
	}
	return o
}
