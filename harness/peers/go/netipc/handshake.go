package netipc

import (
	"math/bits"
	"sync/atomic"
)

// Config is one side's handshake configuration. A server decides with it;
// a client proposes exactly it.
type Config struct {
	AuthToken               uint64
	SupportedProfiles       uint32
	PreferredProfiles       uint32
	MaxRequestPayloadBytes  uint32
	MaxRequestBatchItems    uint32
	MaxResponsePayloadBytes uint32
	MaxResponseBatchItems   uint32
	PacketSize              uint32
}

func (c *Config) proposal() Hello {
	return Hello{LayoutVersion: 1, SupportedProfiles: c.SupportedProfiles, PreferredProfiles: c.PreferredProfiles,
		MaxRequestPayloadBytes: c.MaxRequestPayloadBytes, MaxRequestBatchItems: c.MaxRequestBatchItems,
		MaxResponsePayloadBytes: c.MaxResponsePayloadBytes, MaxResponseBatchItems: c.MaxResponseBatchItems,
		AuthToken: c.AuthToken, PacketSize: c.PacketSize}
}

// sessionCounter hands out session ids 1, 2, 3... for the server's lifetime (WE-8).
var sessionCounter uint64

func highestBit(mask uint32) uint32 {
	if mask == 0 {
		return 0
	}
	return 1 << (31 - bits.LeadingZeros32(mask))
}

// decide applies wire-envelope.md 4.3 to a HELLO. A rejection returns the
// status, the rule, and an ACK carrying only layout_version and the
// server's profiles; an acceptance takes the next session id.
func decide(cfg *Config, h *Hello) (HelloAck, uint16, *RuleError) {
	reject := HelloAck{LayoutVersion: 1, ServerSupportedProfiles: cfg.SupportedProfiles}
	switch {
	case h.LayoutVersion != 1:
		return reject, stIncompatible, broke("hello_bad_layout_version", "layout_version: expected 1, got %d", h.LayoutVersion)
	case h.Flags != 0:
		return reject, stBadEnvelope, broke("hello_nonzero_flags", "flags: expected 0, got %d", h.Flags)
	case h.Padding != 0:
		return reject, stBadEnvelope, broke("hello_nonzero_padding", "padding: expected 0, got %d", h.Padding)
	case h.AuthToken != cfg.AuthToken:
		return reject, stAuthFailed, broke("auth_token_mismatch", "auth_token does not match the server's")
	}
	inter := h.SupportedProfiles & cfg.SupportedProfiles
	if inter == 0 {
		return reject, stUnsupported, broke("no_common_profile", "supported_profiles 0x%x & server 0x%x is empty",
			h.SupportedProfiles, cfg.SupportedProfiles)
	}
	if h.MaxRequestPayloadBytes > cfg.MaxRequestPayloadBytes {
		return reject, stLimitExceeded, broke("request_payload_over_server_limit",
			"max_request_payload_bytes: expected <= %d, got %d", cfg.MaxRequestPayloadBytes, h.MaxRequestPayloadBytes)
	}
	packet := h.PacketSize
	if cfg.PacketSize < packet {
		packet = cfg.PacketSize
	}
	if packet <= headerLen {
		return reject, stIncompatible, broke("packet_size_too_small", "agreed packet size %d: expected > 32", packet)
	}
	selected := highestBit(inter & h.PreferredProfiles & cfg.PreferredProfiles)
	if selected == 0 {
		selected = highestBit(inter)
	}
	// The response limit: the client's hint or the server's own, whichever is larger.
	resp := h.MaxResponsePayloadBytes
	if cfg.MaxResponsePayloadBytes > resp {
		resp = cfg.MaxResponsePayloadBytes
	}
	ack := HelloAck{LayoutVersion: 1, ServerSupportedProfiles: cfg.SupportedProfiles, IntersectionProfiles: inter,
		SelectedProfile: selected, AgreedMaxRequestPayloadBytes: h.MaxRequestPayloadBytes,
		AgreedMaxRequestBatchItems: h.MaxRequestBatchItems, AgreedMaxResponsePayloadBytes: resp,
		AgreedMaxResponseBatchItems: h.MaxRequestBatchItems, AgreedPacketSize: packet,
		SessionID: atomic.AddUint64(&sessionCounter, 1)}
	return ack, stOK, nil
}

// checkAck is the client's check of a successful HELLO_ACK against its HELLO.
func checkAck(h *Hello, a *HelloAck) *RuleError {
	switch {
	case a.LayoutVersion != 1:
		return broke("ack_bad_layout_version", "layout_version: expected 1, got %d", a.LayoutVersion)
	case a.Flags != 0:
		return broke("ack_nonzero_flags", "flags: expected 0, got %d", a.Flags)
	case a.Padding != 0:
		return broke("ack_nonzero_padding", "padding: expected 0, got %d", a.Padding)
	case a.AgreedMaxResponseBatchItems != a.AgreedMaxRequestBatchItems:
		return broke("ack_batch_items_differ", "agreed_max_response_batch_items: expected %d (the request one), got %d",
			a.AgreedMaxRequestBatchItems, a.AgreedMaxResponseBatchItems)
	case a.IntersectionProfiles != h.SupportedProfiles&a.ServerSupportedProfiles:
		return broke("ack_intersection_wrong", "intersection_profiles: expected 0x%x, got 0x%x",
			h.SupportedProfiles&a.ServerSupportedProfiles, a.IntersectionProfiles)
	case a.SelectedProfile == 0 || a.SelectedProfile&(a.SelectedProfile-1) != 0 || a.SelectedProfile&a.IntersectionProfiles == 0:
		return broke("ack_profile_not_offered", "selected_profile: expected one bit of 0x%x, got 0x%x",
			a.IntersectionProfiles, a.SelectedProfile)
	case a.AgreedPacketSize <= headerLen:
		return broke("ack_packet_size_too_small", "agreed_packet_size: expected > 32, got %d", a.AgreedPacketSize)
	case a.AgreedPacketSize > h.PacketSize:
		return broke("ack_packet_size_over_proposal", "agreed_packet_size: expected <= %d, got %d", h.PacketSize, a.AgreedPacketSize)
	case a.AgreedMaxRequestPayloadBytes > h.MaxRequestPayloadBytes:
		return broke("ack_request_payload_over_proposal", "agreed_max_request_payload_bytes: expected <= %d, got %d",
			h.MaxRequestPayloadBytes, a.AgreedMaxRequestPayloadBytes)
	case a.SessionID == 0:
		return broke("ack_session_id_zero", "session_id: expected > 0, got 0")
	}
	return nil
}
