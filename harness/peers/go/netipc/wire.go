package netipc

import (
	"encoding/binary"
	"fmt"
)

// Outer header and continuation header (wire-envelope.md 1 and 3.1).
const (
	headerLen  = 32
	magicNIPC  = 0x4e495043
	magicNCHK  = 0x4e43484b
	version1   = 1
	kindReq    = 1
	kindResp   = 2
	kindCtrl   = 3
	flagBatch  = 0x0001
	codeHello  = 1
	codeAck    = 2
	helloLen   = 44
	helloAckLn = 48
)

// Transport status values (1.2).
const (
	stOK            = 0
	stBadEnvelope   = 1
	stAuthFailed    = 2
	stIncompatible  = 3
	stUnsupported   = 4
	stLimitExceeded = 5
	stInternal      = 6
)

var statusNames = []string{"OK", "BAD_ENVELOPE", "AUTH_FAILED", "INCOMPATIBLE", "UNSUPPORTED", "LIMIT_EXCEEDED", "INTERNAL_ERROR"}

// StatusName is a transport_status value's name (OK, BAD_ENVELOPE...).
func StatusName(s uint16) string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("STATUS_%d", s)
}

var le = binary.LittleEndian

// RuleError is a broken rule of the contract, named as in rules.hpp.
type RuleError struct {
	Rule   string
	Clause string
	Detail string
}

func (e *RuleError) Error() string { return e.Rule + ": " + e.Detail }

var ruleClauses = map[string]string{
	"message_truncated": "WE-1", "bad_magic": "WE-1", "bad_version": "WE-1", "bad_header_len": "WE-1",
	"bad_kind": "WE-1", "bad_flags": "WE-1", "bad_item_count": "WE-1", "message_length_mismatch": "WE-1",
	"payload_over_limit": "WE-1", "item_count_over_limit": "WE-1", "packet_over_size": "NP-14",
	"batch_directory_out_of_bounds": "WE-2", "batch_item_misaligned": "WE-2", "batch_item_out_of_bounds": "WE-2",
	"bad_chunk_magic": "WE-3", "bad_chunk_version": "WE-3", "bad_chunk_flags": "WE-3",
	"chunk_message_id_mismatch": "WE-3", "chunk_index_out_of_order": "WE-3", "chunk_count_mismatch": "WE-3",
	"chunk_total_len_mismatch": "WE-3", "chunk_payload_len_mismatch": "WE-3", "chunk_payload_empty": "WE-3",
	"chunk_payload_over_budget": "WE-3", "chunk_payload_over_remaining": "WE-3",
	"continuation_without_first": "WE-3", "chunk_interleaved": "NP-14", "first_chunk_short": "WE-4",
	"control_wrong_kind": "NP-8", "control_wrong_code": "NP-8", "hello_bad_payload_len": "WE-5",
	"hello_ack_bad_payload_len": "WE-6", "hello_bad_layout_version": "WE-7", "hello_nonzero_flags": "WE-7",
	"hello_nonzero_padding": "WE-7", "auth_token_mismatch": "WE-7", "no_common_profile": "WE-7",
	"request_payload_over_server_limit": "WE-7", "packet_size_too_small": "NP-12",
	"ack_rejected": "WE-7", "ack_bad_layout_version": "WE-6", "ack_nonzero_flags": "WE-6",
	"ack_nonzero_padding": "WE-6", "ack_batch_items_differ": "WE-6", "ack_intersection_wrong": "WE-7",
	"ack_profile_not_offered": "WE-7", "ack_packet_size_too_small": "NP-12",
	"ack_packet_size_over_proposal": "NP-12", "ack_request_payload_over_proposal": "WE-7",
	"ack_session_id_zero": "WE-8", "unknown_message_id": "WE-10",
}

func broke(rule, format string, args ...interface{}) *RuleError {
	return &RuleError{Rule: rule, Clause: ruleClauses[rule], Detail: fmt.Sprintf(format, args...)}
}

type header struct {
	magic           uint32
	version         uint16
	headerLen       uint16
	kind            uint16
	flags           uint16
	code            uint16
	transportStatus uint16
	payloadLen      uint32
	itemCount       uint32
	messageID       uint64
}

func newHeader(kind, flags, code, status uint16, payloadLen, items uint32, id uint64) header {
	return header{magicNIPC, version1, headerLen, kind, flags, code, status, payloadLen, items, id}
}

func (h *header) encode(out []byte) {
	le.PutUint32(out[0:], h.magic)
	le.PutUint16(out[4:], h.version)
	le.PutUint16(out[6:], h.headerLen)
	le.PutUint16(out[8:], h.kind)
	le.PutUint16(out[10:], h.flags)
	le.PutUint16(out[12:], h.code)
	le.PutUint16(out[14:], h.transportStatus)
	le.PutUint32(out[16:], h.payloadLen)
	le.PutUint32(out[20:], h.itemCount)
	le.PutUint64(out[24:], h.messageID)
}

func decodeHeader(b []byte) (header, error) {
	if len(b) < headerLen {
		return header{}, broke("message_truncated", "message length: expected at least 32, got %d", len(b))
	}
	return header{le.Uint32(b[0:]), le.Uint16(b[4:]), le.Uint16(b[6:]), le.Uint16(b[8:]), le.Uint16(b[10:]),
		le.Uint16(b[12:]), le.Uint16(b[14:]), le.Uint32(b[16:]), le.Uint32(b[20:]), le.Uint64(b[24:])}, nil
}

// limits are one direction's negotiated limits; nil means "not checked".
type limits struct {
	maxPayload uint32
	maxItems   uint32
}

// checkHeader validates an outer header (1.3).
func checkHeader(h *header, lim *limits) error {
	switch {
	case h.magic != magicNIPC:
		return broke("bad_magic", "magic: expected 0x%08x, got 0x%08x", magicNIPC, h.magic)
	case h.version != version1:
		return broke("bad_version", "version: expected 1, got %d", h.version)
	case h.headerLen != headerLen:
		return broke("bad_header_len", "header_len: expected 32, got %d", h.headerLen)
	case h.kind < kindReq || h.kind > kindCtrl:
		return broke("bad_kind", "kind: expected 1, 2 or 3, got %d", h.kind)
	case h.flags&^flagBatch != 0:
		return broke("bad_flags", "flags: expected only bit 0 (BATCH) set, got 0x%04x", h.flags)
	case h.flags&flagBatch == 0 && h.itemCount != 1:
		return broke("bad_item_count", "item_count: expected 1 (flags has no BATCH), got %d", h.itemCount)
	case h.flags&flagBatch != 0 && h.itemCount < 1:
		return broke("bad_item_count", "item_count: expected >= 1 (flags has BATCH), got %d", h.itemCount)
	}
	if lim != nil {
		if h.payloadLen > lim.maxPayload {
			return broke("payload_over_limit", "payload_len: expected <= %d, got %d", lim.maxPayload, h.payloadLen)
		}
		if h.itemCount > lim.maxItems {
			return broke("item_count_over_limit", "item_count: expected <= %d, got %d", lim.maxItems, h.itemCount)
		}
	}
	return nil
}

type contHeader struct {
	magic, version, flags uint32 // version and flags are u16 on the wire
	messageID             uint64
	totalLen              uint32
	index, count, length  uint32
}

func (c *contHeader) encode(out []byte) {
	le.PutUint32(out[0:], c.magic)
	le.PutUint16(out[4:], uint16(c.version))
	le.PutUint16(out[6:], uint16(c.flags))
	le.PutUint64(out[8:], c.messageID)
	le.PutUint32(out[16:], c.totalLen)
	le.PutUint32(out[20:], c.index)
	le.PutUint32(out[24:], c.count)
	le.PutUint32(out[28:], c.length)
}

func decodeCont(b []byte) (contHeader, error) {
	if len(b) < headerLen {
		return contHeader{}, broke("message_truncated", "continuation length: expected at least 32, got %d", len(b))
	}
	return contHeader{le.Uint32(b[0:]), uint32(le.Uint16(b[4:])), uint32(le.Uint16(b[6:])), le.Uint64(b[8:]),
		le.Uint32(b[16:]), le.Uint32(b[20:]), le.Uint32(b[24:]), le.Uint32(b[28:])}, nil
}

// Hello is the HELLO payload (4.1).
type Hello struct {
	LayoutVersion           uint16
	Flags                   uint16
	SupportedProfiles       uint32
	PreferredProfiles       uint32
	MaxRequestPayloadBytes  uint32
	MaxRequestBatchItems    uint32
	MaxResponsePayloadBytes uint32
	MaxResponseBatchItems   uint32
	Padding                 uint32
	AuthToken               uint64
	PacketSize              uint32
}

func (m *Hello) encode() []byte {
	b := make([]byte, helloLen)
	le.PutUint16(b[0:], m.LayoutVersion)
	le.PutUint16(b[2:], m.Flags)
	le.PutUint32(b[4:], m.SupportedProfiles)
	le.PutUint32(b[8:], m.PreferredProfiles)
	le.PutUint32(b[12:], m.MaxRequestPayloadBytes)
	le.PutUint32(b[16:], m.MaxRequestBatchItems)
	le.PutUint32(b[20:], m.MaxResponsePayloadBytes)
	le.PutUint32(b[24:], m.MaxResponseBatchItems)
	le.PutUint32(b[28:], m.Padding)
	le.PutUint64(b[32:], m.AuthToken)
	le.PutUint32(b[40:], m.PacketSize)
	return b
}

func decodeHello(b []byte) Hello {
	return Hello{le.Uint16(b[0:]), le.Uint16(b[2:]), le.Uint32(b[4:]), le.Uint32(b[8:]), le.Uint32(b[12:]),
		le.Uint32(b[16:]), le.Uint32(b[20:]), le.Uint32(b[24:]), le.Uint32(b[28:]), le.Uint64(b[32:]), le.Uint32(b[40:])}
}

// HelloAck is the HELLO_ACK payload (4.2).
type HelloAck struct {
	LayoutVersion                 uint16
	Flags                         uint16
	ServerSupportedProfiles       uint32
	IntersectionProfiles          uint32
	SelectedProfile               uint32
	AgreedMaxRequestPayloadBytes  uint32
	AgreedMaxRequestBatchItems    uint32
	AgreedMaxResponsePayloadBytes uint32
	AgreedMaxResponseBatchItems   uint32
	AgreedPacketSize              uint32
	Padding                       uint32
	SessionID                     uint64
}

func (a *HelloAck) encode() []byte {
	b := make([]byte, helloAckLn)
	le.PutUint16(b[0:], a.LayoutVersion)
	le.PutUint16(b[2:], a.Flags)
	le.PutUint32(b[4:], a.ServerSupportedProfiles)
	le.PutUint32(b[8:], a.IntersectionProfiles)
	le.PutUint32(b[12:], a.SelectedProfile)
	le.PutUint32(b[16:], a.AgreedMaxRequestPayloadBytes)
	le.PutUint32(b[20:], a.AgreedMaxRequestBatchItems)
	le.PutUint32(b[24:], a.AgreedMaxResponsePayloadBytes)
	le.PutUint32(b[28:], a.AgreedMaxResponseBatchItems)
	le.PutUint32(b[32:], a.AgreedPacketSize)
	le.PutUint32(b[36:], a.Padding)
	le.PutUint64(b[40:], a.SessionID)
	return b
}

func decodeAck(b []byte) HelloAck {
	return HelloAck{le.Uint16(b[0:]), le.Uint16(b[2:]), le.Uint32(b[4:]), le.Uint32(b[8:]), le.Uint32(b[12:]),
		le.Uint32(b[16:]), le.Uint32(b[20:]), le.Uint32(b[24:]), le.Uint32(b[28:]), le.Uint32(b[32:]),
		le.Uint32(b[36:]), le.Uint64(b[40:])}
}

// controlMessage builds a whole CONTROL message (never chunked).
func controlMessage(code, status uint16, id uint64, payload []byte) []byte {
	msg := make([]byte, headerLen+len(payload))
	h := newHeader(kindCtrl, 0, code, status, uint32(len(payload)), 1, id)
	h.encode(msg)
	copy(msg[headerLen:], payload)
	return msg
}

// parseControl checks that msg is one CONTROL message with the given code
// and payload length, and returns its header and payload.
func parseControl(msg []byte, code uint16, payloadLen uint32, badLenRule string) (header, []byte, error) {
	h, err := decodeHeader(msg)
	if err != nil {
		return h, nil, err
	}
	if err := checkHeader(&h, nil); err != nil {
		return h, nil, err
	}
	if h.kind != kindCtrl {
		return h, nil, broke("control_wrong_kind", "kind: expected 3 (CONTROL), got %d", h.kind)
	}
	if h.code != code {
		return h, nil, broke("control_wrong_code", "code: expected %d, got %d", code, h.code)
	}
	if h.payloadLen != payloadLen {
		return h, nil, broke(badLenRule, "payload_len: expected %d, got %d", payloadLen, h.payloadLen)
	}
	if uint64(len(msg)) != headerLen+uint64(h.payloadLen) {
		return h, nil, broke("message_length_mismatch", "message length: expected %d, got %d", headerLen+uint64(h.payloadLen), len(msg))
	}
	return h, msg[headerLen:], nil
}

// checkBatch validates a batch directory and item bounds (section 2).
func checkBatch(payload []byte, items uint32) error {
	dir := uint64(items) * 8
	if dir > uint64(len(payload)) {
		return broke("batch_directory_out_of_bounds", "directory: %d items need %d bytes, payload has %d", items, dir, len(payload))
	}
	area := (dir + 7) &^ 7
	for i := uint64(0); i < uint64(items); i++ {
		off := uint64(le.Uint32(payload[i*8:]))
		n := uint64(le.Uint32(payload[i*8+4:]))
		if off%8 != 0 {
			return broke("batch_item_misaligned", "item %d: offset %d is not a multiple of 8", i, off)
		}
		if area+off+n > uint64(len(payload)) {
			return broke("batch_item_out_of_bounds", "item %d: offset %d length %d ends past the payload (%d bytes, packed area at %d)", i, off, n, len(payload), area)
		}
	}
	return nil
}

// EncodeBatch packs items into a batch payload (section 2): the directory,
// then each item at an 8-byte aligned offset of the packed area, zero padded.
func EncodeBatch(items [][]byte) ([]byte, error) {
	area := (uint64(len(items))*8 + 7) &^ 7
	total := area
	for _, it := range items {
		total = (total+7)&^7 + uint64(len(it))
	}
	if len(items) == 0 || total > 0xFFFFFFFF {
		return nil, fmt.Errorf("batch of %d items, %d bytes: expected 1 or more items within a u32 payload_len", len(items), total)
	}
	out := make([]byte, total)
	off := uint64(0)
	for i, it := range items {
		le.PutUint32(out[i*8:], uint32(off))
		le.PutUint32(out[i*8+4:], uint32(len(it)))
		copy(out[area+off:], it)
		off = (off + uint64(len(it)) + 7) &^ 7
	}
	return out, nil
}

// DecodeBatch checks a batch payload of count items and returns the items
// (views into payload).
func DecodeBatch(payload []byte, count uint32) ([][]byte, error) {
	if err := checkBatch(payload, count); err != nil {
		return nil, err
	}
	area := (uint64(count)*8 + 7) &^ 7
	items := make([][]byte, count)
	for i := range items {
		off := area + uint64(le.Uint32(payload[i*8:]))
		items[i] = payload[off : off+uint64(le.Uint32(payload[i*8+4:]))]
	}
	return items, nil
}
