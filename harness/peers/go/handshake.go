package main

import (
	"math/bits"
	"sync/atomic"
)

// config is one side's handshake configuration (the peer-cli config flags).
type config struct {
	authToken      uint64
	supported      uint32
	preferred      uint32
	maxReqPayload  uint32
	maxReqBatch    uint32
	maxRespPayload uint32
	maxRespBatch   uint32
	packetSize     uint32
}

func defaultConfig() config {
	return config{0, 1, 1, 1024, 1, 1024, 1, 65536}
}

func (c *config) proposal() hello {
	return hello{layoutVersion: 1, supported: c.supported, preferred: c.preferred,
		maxReqPayload: c.maxReqPayload, maxReqBatch: c.maxReqBatch,
		maxRespPayload: c.maxRespPayload, maxRespBatch: c.maxRespBatch,
		authToken: c.authToken, packetSize: c.packetSize}
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
func decide(cfg *config, h *hello) (helloAck, uint16, *ruleError) {
	reject := helloAck{layoutVersion: 1, serverSupported: cfg.supported}
	switch {
	case h.layoutVersion != 1:
		return reject, stIncompatible, broke("hello_bad_layout_version", "layout_version: expected 1, got %d", h.layoutVersion)
	case h.flags != 0:
		return reject, stBadEnvelope, broke("hello_nonzero_flags", "flags: expected 0, got %d", h.flags)
	case h.padding != 0:
		return reject, stBadEnvelope, broke("hello_nonzero_padding", "padding: expected 0, got %d", h.padding)
	case h.authToken != cfg.authToken:
		return reject, stAuthFailed, broke("auth_token_mismatch", "auth_token does not match the server's")
	}
	inter := h.supported & cfg.supported
	if inter == 0 {
		return reject, stUnsupported, broke("no_common_profile", "supported_profiles 0x%x & server 0x%x is empty", h.supported, cfg.supported)
	}
	if h.maxReqPayload > cfg.maxReqPayload {
		return reject, stLimitExceeded, broke("request_payload_over_server_limit",
			"max_request_payload_bytes: expected <= %d, got %d", cfg.maxReqPayload, h.maxReqPayload)
	}
	packet := h.packetSize
	if cfg.packetSize < packet {
		packet = cfg.packetSize
	}
	if packet <= headerLen {
		return reject, stIncompatible, broke("packet_size_too_small", "agreed packet size %d: expected > 32", packet)
	}
	selected := highestBit(inter & h.preferred & cfg.preferred)
	if selected == 0 {
		selected = highestBit(inter)
	}
	// The response limit: the client's hint or the server's own, whichever is larger.
	resp := h.maxRespPayload
	if cfg.maxRespPayload > resp {
		resp = cfg.maxRespPayload
	}
	ack := helloAck{layoutVersion: 1, serverSupported: cfg.supported, intersection: inter, selected: selected,
		reqPayload: h.maxReqPayload, reqBatch: h.maxReqBatch, respPayload: resp, respBatch: h.maxReqBatch,
		packetSize: packet, sessionID: atomic.AddUint64(&sessionCounter, 1)}
	return ack, stOK, nil
}

// checkAck is the client's check of a successful HELLO_ACK against its HELLO.
func checkAck(h *hello, a *helloAck) *ruleError {
	switch {
	case a.layoutVersion != 1:
		return broke("ack_bad_layout_version", "layout_version: expected 1, got %d", a.layoutVersion)
	case a.flags != 0:
		return broke("ack_nonzero_flags", "flags: expected 0, got %d", a.flags)
	case a.padding != 0:
		return broke("ack_nonzero_padding", "padding: expected 0, got %d", a.padding)
	case a.respBatch != a.reqBatch:
		return broke("ack_batch_items_differ", "agreed_max_response_batch_items: expected %d (the request one), got %d", a.reqBatch, a.respBatch)
	case a.intersection != h.supported&a.serverSupported:
		return broke("ack_intersection_wrong", "intersection_profiles: expected 0x%x, got 0x%x", h.supported&a.serverSupported, a.intersection)
	case a.selected == 0 || a.selected&(a.selected-1) != 0 || a.selected&a.intersection == 0:
		return broke("ack_profile_not_offered", "selected_profile: expected one bit of 0x%x, got 0x%x", a.intersection, a.selected)
	case a.packetSize <= headerLen:
		return broke("ack_packet_size_too_small", "agreed_packet_size: expected > 32, got %d", a.packetSize)
	case a.packetSize > h.packetSize:
		return broke("ack_packet_size_over_proposal", "agreed_packet_size: expected <= %d, got %d", h.packetSize, a.packetSize)
	case a.reqPayload > h.maxReqPayload:
		return broke("ack_request_payload_over_proposal", "agreed_max_request_payload_bytes: expected <= %d, got %d", h.maxReqPayload, a.reqPayload)
	case a.sessionID == 0:
		return broke("ack_session_id_zero", "session_id: expected > 0, got 0")
	}
	return nil
}
